-- The encoding a file was read in: NULL for UTF-8 without a byte-order mark, else
-- Python's name of the encoding ('cp1252', 'utf-16-le', 'utf-8-sig', ...).
ALTER TABLE files ADD COLUMN encoding TEXT;

-- Before this version, files in legacy encodings failed ('not valid UTF-8') and UTF-16
-- files were skipped as binary. Give such rows a size no file has, so the next
-- incremental index reads them again instead of keeping them as they are.
UPDATE files SET size = -1 WHERE index_status IN ('failed', 'skipped');
