-- Symbol names with a character outside ASCII, indexed apart: case-insensitive symbol search
-- folds them with Unicode case folding (`casefold()`, a function each connection registers),
-- which SQLite's NOCASE index and LIKE cannot do (they fold ASCII only). The condition is the
-- one the search repeats, so only these few names are scanned, never the whole table.
CREATE INDEX symbols_non_ascii ON symbols(name)
    WHERE length(name) != length(CAST(name AS BLOB));
