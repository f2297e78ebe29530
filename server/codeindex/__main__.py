"""`python -m codeindex`: the same entry point as the `codeindex` console script."""

from codeindex.cli.fast import main

raise SystemExit(main())
