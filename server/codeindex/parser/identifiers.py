"""Identifiers split into words: `AddCommand`, `addCommand` and `add_command` match "add command".

SQLite's unicode61 tokenizer already splits `add_command` at the underscore, but keeps
`AddCommand` as one token. So each chunk also gets, in full-text columns of their own,
the words of its camel-case identifiers (`words`: `AddCommand` -> "add command") and the
names of the symbols it defines with their words (`defines`), and a query word that
splits is searched as itself or as its words (`("addCommand" OR "add command")`).

Pure functions, no I/O; used when a file is indexed and when a query is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # what unicode61 keeps as one token
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
MAX_WORDS_CHARS = 20_000


def split_identifier(word: str) -> list[str]:
    """The lower-case words of one identifier: `parseHTTPHeader2` -> parse, http, header, 2.

    A word without case changes (or not ASCII letters) is itself, lower-cased.
    """
    parts = _PART.findall(word)
    if len("".join(parts)) != len(word):
        return [word.lower()]
    return [p.lower() for p in parts]


def split_words(text: str) -> str:
    """The words of every token of `text` that splits (camel case, letters and digits),
    each once, space-separated: "func AddCommand(c)" -> "add command"."""
    seen: dict[str, None] = {}
    size = 0
    for token in _TOKEN.findall(text):
        if token in seen or token.islower() or token.isupper():
            continue
        parts = split_identifier(token)
        if len(parts) > 1:
            seen[token] = None
            size += len(token) + len(parts)
            if size > MAX_WORDS_CHARS:
                break
    return " ".join(" ".join(split_identifier(t)) for t in seen)


def defined_names(names: Iterable[str]) -> str:
    """Names of the symbols a chunk defines, each with its words: "AddCommand add command"."""
    out: dict[str, None] = {}
    for name in names:
        out[name] = None
        words = [w for token in _TOKEN.findall(name) for w in split_identifier(token)]
        if len(words) > 1:
            out[" ".join(words)] = None
    return " ".join(out)
