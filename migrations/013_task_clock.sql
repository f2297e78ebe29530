-- Progress is the share of a task's estimated cost that is done, in seconds: the run time so
-- far (paused time excluded) against that plus the worker's estimate of the time left.
--
-- A task's run-time clock: `active_seconds` accumulated over the spans it ran, and
-- `running_since` the start of the span under way (NULL while queued, paused or ended).
-- `remaining_seconds` is the latest estimate of its time left, made when its clock read
-- `estimated_active`; readers count it down with the clock, for a short while only.
ALTER TABLE reindexing_tasks ADD COLUMN active_seconds REAL NOT NULL DEFAULT 0;
ALTER TABLE reindexing_tasks ADD COLUMN running_since REAL;
ALTER TABLE reindexing_tasks ADD COLUMN remaining_seconds REAL;
ALTER TABLE reindexing_tasks ADD COLUMN estimated_active REAL NOT NULL DEFAULT 0;
UPDATE reindexing_tasks SET running_since = started_at WHERE status = 'Running';
UPDATE reindexing_tasks SET remaining_seconds = estimated_duration_seconds
WHERE status IN ('Queued', 'Running', 'Paused');

-- What an item's cost is estimated from before it runs, beside its bytes (`size`): its
-- language (parsing speed and how much text a byte of it gives to embed differ by language)
-- and the characters it leaves to embed when that is known from the index (the file did not
-- change, or only its vectors are made); NULL when it is estimated from its bytes.
-- (`weight`, `weight_total` and `weight_done`, the estimates of earlier versions, are no
-- longer read.)
ALTER TABLE reindexing_task_items ADD COLUMN language TEXT;
ALTER TABLE reindexing_task_items ADD COLUMN embed_chars REAL;
