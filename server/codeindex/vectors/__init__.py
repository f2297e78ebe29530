"""Vectors in LanceDB: one table per embedding model, rows keyed by chunk content hash.

LanceDB is derived data (SQLite is the truth): a row is `(hash, vector)`, appended once
per distinct chunk text and model, never updated. Only the worker writes; every write is
a new table version, and a process that only reads calls `refresh()` to see new commits.

The store is a local folder (`<data dir>/vectors`), or a prefix on S3 shared by a team
(`vectors.uri`, see `location`). Because rows are content-addressed they are the same on
every machine, so a shared store is a team-wide cache: a worker looks up the hashes it
needs there first and embeds only the rest.

Local store: the worker deletes rows no chunk references and compacts (dropping old
versions at once) while idle; a damaged table is set aside and rebuilt from SQLite.

Shared store: append only. Nothing is deleted, set aside, dropped, compacted or cleaned
up by a worker: another machine may be reading any version or relying on any row. An
error there is `VectorStoreUnavailable` (what to set), never a reason to rebuild.
Concurrent writers: Lance commits a table version by writing its manifest with a
conditional PUT (`If-None-Match: *`); when two machines commit the same version, the
store answers 412 to the loser, which rebases its append onto the winner's and commits
the next version (appends never conflict), so no row is lost and no table is corrupted.
AWS S3, MinIO and moto honour conditional PUT. A store that does not must use
`s3+ddb://bucket/prefix?ddbTableName=<table>`: Lance then commits through that DynamoDB
table (key `base_uri` string hash key, `version` number range key) instead.
"""
