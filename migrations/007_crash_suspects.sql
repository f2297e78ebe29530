-- A worker that dies leaves its items `processing`. They were in flight, not proven guilty:
-- the next worker retries each of them alone (suspect 1 = waits to be tried alone, 2 = being
-- tried alone now). Only a file whose lone try killed the worker counts a crash; two such
-- crashes fail it. Files in flight when something else killed the worker are never failed.
ALTER TABLE reindexing_task_items ADD COLUMN suspect INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reindexing_task_items ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
CREATE INDEX items_suspect ON reindexing_task_items(suspect) WHERE suspect > 0;
