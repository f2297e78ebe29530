-- A worker serves with the settings it started with. The lease records them, so a
-- client whose settings differ (another model, chunk size, ...) can ask a lingering
-- background worker to hand over to one started with its own.
ALTER TABLE worker_lease ADD COLUMN settings_key TEXT NOT NULL DEFAULT '';
ALTER TABLE worker_lease ADD COLUMN retire_requested INTEGER NOT NULL DEFAULT 0;
