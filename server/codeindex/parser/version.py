"""The parser version rows are stamped with: a file parsed by another is reindexed."""

PARSER_VERSION: int = 2  # 2: identifier words and defined names of chunks


def parser_version(bump: int = 0) -> int:
    """The version of this parser, raised by `CODEINDEX_PARSER_VERSION_BUMP` (benchmarks)."""
    return PARSER_VERSION + bump
