-- From this version on, index.db uses auto_vacuum=INCREMENTAL: the worker gives the pages a
-- forced reindex frees back to the file system (`PRAGMA incremental_vacuum`). A new database
-- gets it before its first table; an older one is switched by one VACUUM right after this
-- migration (see migrate.py), which needs no statement here.
SELECT 1;
