"""The parser version rows are stamped with: a file parsed by another is reindexed."""

PARSER_VERSION: int = 3

# What each version added to a file's rows, for the report on files an older one indexed.
ADDED: dict[int, str] = {
    2: "the identifier words and defined names of chunks (full-text matches of AddCommand "
    "for 'add command')",
    3: "references (calls, imports and type uses: find_references finds none in them)",
}


def parser_version(bump: int = 0) -> int:
    """The version of this parser, raised by `CODEINDEX_PARSER_VERSION_BUMP` (benchmarks)."""
    return PARSER_VERSION + bump


def missing_since(version: int) -> list[str]:
    """What rows written by parser `version` lack, oldest addition first."""
    return [what for added, what in sorted(ADDED.items()) if version < added <= PARSER_VERSION]
