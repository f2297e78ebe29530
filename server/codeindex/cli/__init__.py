"""The `codeindex` command line: `fast` (the console script, queries first), `main` (parser and
commands), `commands`, `render`."""
