"""What a query says: its full-text terms, the identifiers it names, what kinds of file it asks for.

A query is always text, never syntax: FTS5's operators, column filters, `*`, `^`, quotes
that do not pair, `::`, `->` and `.` reach FTS5 only as quoted words. A quoted phrase
stays a phrase; every other word is a term of its own, so `Type::method` asks for both
words, wherever they are. A word that is an identifier of several words (`addCommand`,
`HTTPServer`) also matches its words in a row (`identifiers`).

`identifiers` finds the names a query mentions (`camelCase`, `snake_case`, `Type::method`,
`a.b`, `` `quoted` ``, `call()`), which rank the chunks that define them first. `asks`
says which kinds of file besides source the query is about ("the test for ...", "docs",
"changelog"), so the ranking prior leaves those kinds alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codeindex.parser.identifiers import split_identifier
from codeindex.search.hits import WORD, SearchError
from codeindex.search.kinds import FileKind

_TERM = re.compile(r'"([^"]+)"|(\S+)')

# Words so common in prose and code that matching them ranks nothing and costs a scan of
# huge posting lists. Dropped from a query unless it has nothing else (or they are quoted).
_STOP_TEXT = (
    "a an and are as at be by can do does for from has have how i if in into is it its of "
    "on or so that the their then there these this to was we what when where which who "
    "why will with you"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())

_QUALIFIED = re.compile(r"[A-Za-z_]\w*(?:(?:::|->|\.|#)[A-Za-z_]\w*)+")
_CAMEL = re.compile(r"[a-z0-9][A-Z]|[A-Z]{2}[a-z]")
_STRIP = "`'\"()[]{}<>,;:!?*&"
# `command.go` names a file, not a method `go` of `command`
_FILE_SUFFIX = re.compile(
    r"go|rs|pyi?|tsx?|jsx?|mjs|java|kt|rb|php|[ch]|cc|[ch]pp|cs|swift|scala|md|rst|txt|json"
    r"|ya?ml|toml|html|css|sh",
    re.IGNORECASE,
)
_ASKS: dict[FileKind, re.Pattern[str]] = {
    "test": re.compile(r"\b(tests?|testing|unit ?tests?|specs?|fixtures?|mocks?)\b", re.I),
    "docs": re.compile(r"\b(docs?|documentation|documented|readme|tutorial|guide)\b", re.I),
    "changelog": re.compile(r"\b(changelog|change ?log|release ?notes?|news file)\b", re.I),
    "example": re.compile(r"\b(examples?|samples?|demos?)\b", re.I),
    "generated": re.compile(r"\b(generated|protobuf|minified)\b", re.I),
}


@dataclass(frozen=True, slots=True)
class Identifier:
    """A name in the query, and what it is qualified by (`Type` of `Type::method`)."""

    name: str
    qualifier: str | None = None


def _phrase(words: list[str]) -> str:
    return '"' + " ".join(words).replace('"', '""') + '"'


def _term(words: list[str]) -> str:
    """A phrase, or for one identifier of several words: itself or its words in a row."""
    phrase = _phrase(words)
    if len(words) == 1:
        parts = split_identifier(words[0])
        if len(parts) > 1:
            return f"({phrase} OR {_phrase(parts)})"
    return phrase


def term_count(query: str) -> int:
    """How many terms a query has (a quoted phrase is one)."""
    count = 0
    for match in _TERM.finditer(query):
        count += 1 if match.group(1) else len(WORD.findall(match.group(2)))
    return count


def fts_query(query: str, *, any_term: bool, column: str | None = None) -> str:
    """Turn user text into a safe FTS5 query: quoted phrases, AND (or OR) between terms.

    With `column`, every term must match in that column.
    """
    terms: list[str] = []
    stop: list[str] = []
    for match in _TERM.finditer(query):
        if match.group(1):
            words = WORD.findall(match.group(1))
            if words:
                terms.append(_term(words))
            continue
        for word in WORD.findall(match.group(2)):
            (stop if word.lower() in STOP_WORDS else terms).append(_term([word]))
    terms = terms or stop
    if not terms:
        raise SearchError(f"query {query!r} has no words to search for: type some text or code")
    expression = (" OR " if any_term else " AND ").join(dict.fromkeys(terms))
    return expression if column is None else f"{{{column}}} : ({expression})"


def identifiers(query: str) -> list[Identifier]:
    """The code names a query mentions, in order, each once."""
    found: dict[tuple[str, str | None], Identifier] = {}
    for raw in query.split():
        quoted = raw.startswith("`")
        token = raw.strip(_STRIP).removesuffix("()").strip(_STRIP).rstrip(".")
        if not token:
            continue
        qualified = _QUALIFIED.fullmatch(token)
        if qualified:
            parts = re.split(r"::|->|\.|#", token)
            if _FILE_SUFFIX.fullmatch(parts[-1]) or max(map(len, parts)) < 2:
                continue
            ident = Identifier(parts[-1], parts[-2])
        elif re.fullmatch(r"\w+", token) and (
            quoted or raw.endswith("()") or "_" in token.strip("_") or _CAMEL.search(token)
        ):
            ident = Identifier(token)
        else:
            continue
        found.setdefault((ident.name.lower(), ident.qualifier), ident)
    return list(found.values())


def asks(query: str) -> frozenset[FileKind]:
    """The kinds of file besides source that the query is about."""
    return frozenset(kind for kind, pattern in _ASKS.items() if pattern.search(query))
