"""The `codeindex` command line: `fast` (the console script: queries to a running worker
first), `args` (the arguments of both paths, parsed before the service is imported), `main`
(runs a parsed command), `commands`, `render` and `lines` (the text it prints)."""
