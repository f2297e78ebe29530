-- Why a file's chunks get no vectors (a lockfile, minified or generated code, a large data
-- file, a translation catalog, a pattern of embedding.skip_patterns); NULL when they do.
-- Such files stay in full-text and symbol search.
ALTER TABLE files ADD COLUMN embed_skip TEXT;
