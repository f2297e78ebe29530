-- Long-running front-ends (an editor's language server, an MCP server) register as clients
-- and renew their row; a worker stays while any client is alive. Open files are boosts owned
-- by a client: two editors never overwrite each other's, and a dead client's boosts expire.
CREATE TABLE clients (
    id          TEXT PRIMARY KEY,     -- unique per front-end session
    kind        TEXT NOT NULL,        -- lsp | mcp | cli
    pid         INTEGER NOT NULL,
    hostname    TEXT NOT NULL,
    started_at  REAL NOT NULL,
    renewed_at  REAL NOT NULL,
    expires_at  REAL NOT NULL
);

CREATE TABLE client_boosts (
    client_id  TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    file_path  TEXT NOT NULL,
    boosted_at REAL NOT NULL,
    PRIMARY KEY (client_id, file_path)
) WITHOUT ROWID;
CREATE INDEX client_boosts_path ON client_boosts(file_path);

DROP TABLE boosted_paths;

-- The priority an item was queued with; `priority` is what the worker orders by, raised to
-- high while a client has the file open and lowered back when no client has.
ALTER TABLE reindexing_task_items ADD COLUMN base_priority INTEGER NOT NULL DEFAULT 1;
UPDATE reindexing_task_items SET base_priority = priority;
