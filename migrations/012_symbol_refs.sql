-- Where names are used, for find_references: one row per call, import, type use or other
-- use of a name in a file, with the dotted path of the definition around it (`caller`, NULL
-- at the top level of the file) and what the name was reached through (`qualifier`: the
-- receiver of a method call, the module of an import, the package of a type). Written with
-- the file's symbols and chunks, in the same transaction (PARSER_VERSION 3): files indexed
-- by an older parser have none until they are reindexed (an incremental index does it).
-- Keyed by position in the file: a file's rows are one range of the key, to replace at once.
CREATE TABLE symbol_refs (
    file_id   INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    line      INTEGER NOT NULL,                   -- 1-based
    col       INTEGER NOT NULL,                   -- 0-based, characters
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('call', 'import', 'type', 'use')),
    qualifier TEXT,
    caller    TEXT,
    PRIMARY KEY (file_id, line, col)
) WITHOUT ROWID;
CREATE INDEX symbol_refs_name ON symbol_refs(name COLLATE NOCASE);
