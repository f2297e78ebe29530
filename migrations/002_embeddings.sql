-- Embedding models and which chunk texts have a committed vector for each.
CREATE TABLE models (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,   -- name + dimension + file fingerprint: the LanceDB table identity
    name        TEXT NOT NULL,
    dim         INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    source      TEXT NOT NULL,          -- where the model was loaded from
    table_name  TEXT NOT NULL UNIQUE,
    created_at  REAL NOT NULL
);

-- A row here means the LanceDB table of model_id holds the vector of this text (invariant 3).
CREATE TABLE embeddings (
    model_id     INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    PRIMARY KEY (model_id, content_hash)
) WITHOUT ROWID;
