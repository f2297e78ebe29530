-- Files, symbols, chunks (+ FTS5) and index metadata.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE files (
    id             INTEGER PRIMARY KEY,
    path           TEXT NOT NULL UNIQUE,          -- workspace-relative, POSIX
    language       TEXT,                          -- tree-sitter grammar name, NULL = plain text
    size           INTEGER NOT NULL,
    mtime_ns       INTEGER NOT NULL,
    content_hash   TEXT,                          -- sha256 of the bytes; NULL when unread
    index_status   TEXT NOT NULL CHECK (index_status IN ('indexed', 'skipped', 'failed')),
    indexed_at     REAL NOT NULL,                 -- unix seconds
    parser_version INTEGER NOT NULL,
    error          TEXT                           -- why skipped or failed
);
CREATE INDEX files_status ON files(index_status);

CREATE TABLE symbols (
    id         INTEGER PRIMARY KEY,
    file_id    INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    container  TEXT,                              -- dotted path of enclosing symbols
    start_line INTEGER NOT NULL,                  -- 1-based, inclusive
    start_col  INTEGER NOT NULL,                  -- 0-based
    end_line   INTEGER NOT NULL,
    end_col    INTEGER NOT NULL
);
CREATE INDEX symbols_file ON symbols(file_id);
CREATE INDEX symbols_name ON symbols(name COLLATE NOCASE);

CREATE TABLE chunks (
    id           INTEGER PRIMARY KEY,
    file_id      INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    ordinal      INTEGER NOT NULL,
    start_line   INTEGER NOT NULL,                -- 1-based, inclusive
    end_line     INTEGER NOT NULL,
    content_hash TEXT NOT NULL,                   -- sha256 of text: the vector key
    symbol       TEXT,                            -- enclosing symbol, dotted
    text         TEXT NOT NULL,
    UNIQUE (file_id, ordinal)
);
CREATE INDEX chunks_hash ON chunks(content_hash);

CREATE VIRTUAL TABLE chunks_fts USING fts5(
    text, symbol,
    content = 'chunks', content_rowid = 'id',
    tokenize = 'unicode61'
);

CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text, symbol) VALUES (new.id, new.text, coalesce(new.symbol, ''));
END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text, symbol)
    VALUES ('delete', old.id, old.text, coalesce(old.symbol, ''));
END;
