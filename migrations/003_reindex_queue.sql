-- The durable reindex queue (invariant 4) and the worker lease.
CREATE TABLE reindexing_tasks (
    id                         TEXT PRIMARY KEY,            -- reindex_YYYYMMDDHHMMSS_<8 hex>
    scope                      TEXT NOT NULL CHECK (scope IN ('file', 'files', 'directory', 'project', 'embeddings-only')),
    target_paths               TEXT NOT NULL DEFAULT '[]',  -- JSON array of workspace-relative paths
    recursive                  INTEGER NOT NULL DEFAULT 1,
    embeddings_only            INTEGER NOT NULL DEFAULT 0,
    incremental                INTEGER NOT NULL DEFAULT 0,
    priority                   INTEGER NOT NULL,            -- 0 high, 1 normal, 2 low
    status                     TEXT NOT NULL CHECK (status IN ('Queued', 'Running', 'Paused', 'Completed', 'Failed', 'Cancelled')),
    model_id                   INTEGER REFERENCES models(id),
    progress                   REAL NOT NULL DEFAULT 0,     -- weight_done / weight_total
    weight_total               REAL NOT NULL DEFAULT 0,     -- estimated seconds of all items
    weight_done                REAL NOT NULL DEFAULT 0,     -- of completed and failed items
    items_total                INTEGER NOT NULL DEFAULT 0,
    items_completed            INTEGER NOT NULL DEFAULT 0,
    items_failed               INTEGER NOT NULL DEFAULT 0,
    symbols_extracted          INTEGER NOT NULL DEFAULT 0,
    chunks_created             INTEGER NOT NULL DEFAULT 0,
    embeddings_generated       INTEGER NOT NULL DEFAULT 0,
    current_path               TEXT,
    error_message              TEXT,
    message                    TEXT,
    created_at                 REAL NOT NULL,
    started_at                 REAL,
    completed_at               REAL,
    estimated_duration_seconds REAL
);
CREATE INDEX tasks_status ON reindexing_tasks(status, created_at);

CREATE TABLE reindexing_task_items (
    id            INTEGER PRIMARY KEY,
    task_id       TEXT NOT NULL REFERENCES reindexing_tasks(id) ON DELETE CASCADE,
    file_path     TEXT NOT NULL,
    action        TEXT NOT NULL DEFAULT 'index' CHECK (action IN ('index', 'delete', 'embed')),
    priority      INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    worker        TEXT,                                      -- lease owner that last claimed it
    size          INTEGER NOT NULL DEFAULT 0,                -- bytes, for the estimate
    weight        REAL NOT NULL DEFAULT 0,                   -- estimated seconds of work
    error_message TEXT,
    started_at    REAL,
    completed_at  REAL,
    duration_ms   REAL
);
CREATE INDEX items_next ON reindexing_task_items(status, priority, id);
CREATE INDEX items_task ON reindexing_task_items(task_id, status);
CREATE INDEX items_path ON reindexing_task_items(file_path, status);

CREATE TABLE worker_lease (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    owner        TEXT NOT NULL,       -- unique per worker instance
    pid          INTEGER NOT NULL,
    hostname     TEXT NOT NULL,
    acquired_at  REAL NOT NULL,
    renewed_at   REAL NOT NULL,
    expires_at   REAL NOT NULL
);

-- Files an editor has open: their items are raised to high priority (invariant 5).
CREATE TABLE boosted_paths (
    file_path  TEXT PRIMARY KEY,
    boosted_at REAL NOT NULL
) WITHOUT ROWID;
