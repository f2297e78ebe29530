-- Full-text search by the words of identifiers: `words` holds the words of a chunk's
-- camel-case identifiers (AddCommand -> "add command"), `defines` the names of the symbols
-- whose definition starts in the chunk, with their words. `context` is the header embedded
-- before the chunk's text after its path (language, enclosing symbol, its signature and
-- doc): content_hash is now the hash of that header and the text. All three are made when a
-- file is indexed (PARSER_VERSION 2): older rows have none until they are reindexed.
ALTER TABLE chunks ADD COLUMN words TEXT;
ALTER TABLE chunks ADD COLUMN defines TEXT;
ALTER TABLE chunks ADD COLUMN context TEXT;

DROP TRIGGER IF EXISTS chunks_ai;
DROP TRIGGER IF EXISTS chunks_ad;
DROP TABLE IF EXISTS chunks_fts;

CREATE VIRTUAL TABLE chunks_fts USING fts5(
    text, symbol, words, defines,
    content = 'chunks', content_rowid = 'id',
    tokenize = 'unicode61'
);

CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text, symbol, words, defines)
    VALUES (new.id, new.text, coalesce(new.symbol, ''), coalesce(new.words, ''),
            coalesce(new.defines, ''));
END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text, symbol, words, defines)
    VALUES ('delete', old.id, old.text, coalesce(old.symbol, ''), coalesce(old.words, ''),
            coalesce(old.defines, ''));
END;

INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild');
