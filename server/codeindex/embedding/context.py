"""What the model sees of a chunk: its path, a short header of its context, then its text.

A chunk alone often lacks what a question names: a method body split from its
signature, a helper whose purpose is said only in its docstring, a file whose path says
what it is for. So each chunk is embedded after a header:

    cobra-go/command.go
    go Command.AddCommand
    func (c *Command) AddCommand(cmds ...*Command) {
    AddCommand adds one or more commands to this parent command.

1. the file's workspace-relative path;
2. its language and the qualified name of the enclosing symbol;
3. that symbol's signature (the line that names it) and 4. the first sentence of its
   docstring or leading comment, both only when the chunk does not hold them itself (a
   part of a long definition).

The vector key (the chunk's `content_hash`) is the sha256 of lines 2-4 and the chunk's
text: everything but the path. So a moved or renamed file keeps every vector (invariant
3: text that did not change is never embedded again), and a changed signature or
docstring embeds again the chunks it heads. The price: a vector keeps the path it was
first embedded under until its text changes, and identical texts in two files share the
vector of whichever was embedded first. The path is a hint to the model, not part of
what a chunk means.

Pure functions, no I/O: the pipeline calls `chunk_context` while parsing a file, and the
worker `embed_text` when it embeds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from codeindex.parser import Chunk, Symbol

MAX_LINE = 160
_COMMENT = re.compile(r"^\s*(?:///?|//!|#|--|/\*\*?|\*)\s?")
_ATTRIBUTE = re.compile(r"^\s*(?:@|#\[|\[)")
_DOCSTRING = re.compile(r"^\s*[rbuRBU]?(\"\"\"|''')")
_SENTENCE = re.compile(r"(.+?[.!?])(?:\s|$)")


def keyed_text(context: str | None, text: str) -> str:
    """What a vector is keyed by: the context header (no path), then the chunk's text."""
    return f"{context}\n{text}" if context else text


def embed_text(path: str, context: str | None, text: str) -> str:
    """The text the model embeds: the path, the context header, then the chunk's text."""
    return f"{path}\n{keyed_text(context, text)}"


def text_hash(text: str) -> str:
    """The key of a vector: sha256 of `keyed_text`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_context(
    language: str | None, chunk: Chunk, symbols: dict[str, Symbol], lines: Sequence[str]
) -> str:
    """The header of one chunk without its path (`symbols` by qualified name, `lines` the
    file's lines); empty when there is nothing to say."""
    first = " ".join(part for part in (language, chunk.symbol) if part)
    header = [first] if first else []
    symbol = symbols.get(chunk.symbol or "")
    if symbol is not None and not chunk.start_line <= symbol.start_line <= chunk.end_line:
        line = lines[symbol.start_line - 1][: 4 * MAX_LINE] if symbol.start_line else ""
        signature = _clip(line.strip())
        if signature:
            header.append(signature)
        doc = leading_doc(lines, symbol.start_line)
        if doc:
            header.append(doc)
    return "\n".join(header)


def qualified(symbol: Symbol) -> str:
    """The dotted path a chunk names its enclosing symbol by."""
    return f"{symbol.container}.{symbol.name}" if symbol.container else symbol.name


def leading_doc(lines: Sequence[str], def_line: int) -> str | None:
    """The first sentence of the comment right above line `def_line` (1-based), or of the
    docstring right below it (Python)."""
    i = def_line - 2
    while i >= 0 and _ATTRIBUTE.match(lines[i]):
        i -= 1
    block: list[str] = []
    while i >= 0 and _COMMENT.match(lines[i]) and lines[i].strip():
        block.append(_COMMENT.sub("", lines[i]).strip().removesuffix("*/").strip())
        i -= 1
    text = " ".join(t for t in reversed(block) if t)
    if not text:
        text = _docstring(lines, def_line)
    return _first_sentence(text) if text else None


def _docstring(lines: Sequence[str], def_line: int) -> str:
    for j in range(def_line, min(def_line + 4, len(lines))):
        match = _DOCSTRING.match(lines[j])
        if match:
            quote = match.group(1)
            rest = lines[j][match.end() :]
            parts = [rest.split(quote, 1)[0]]
            k = j + 1
            while quote not in rest and k < min(j + 8, len(lines)):
                rest = lines[k]
                parts.append(rest.split(quote, 1)[0])
                k += 1
            return " ".join(p.strip() for p in parts if p.strip())
        if lines[j].strip() and not lines[j].rstrip().endswith((":", "(", ",")):
            return ""
    return ""


def _first_sentence(text: str) -> str:
    match = _SENTENCE.match(text)
    return _clip(match.group(1) if match else text)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 3] + "..."
