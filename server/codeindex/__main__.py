"""`python -m codeindex`: the same entry point as the `codeindex` console script."""

from codeindex.entry import main

raise SystemExit(main())
