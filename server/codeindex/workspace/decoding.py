"""A file's bytes to text, as an editor opens it: a byte-order mark, UTF-8, a legacy encoding.

In order:

1. A byte-order mark declares the encoding: UTF-32 LE/BE (checked before UTF-16, whose LE
   mark begins UTF-32 LE's), UTF-16 LE/BE, UTF-8. Bytes that do not fit it become U+FFFD,
   as in an editor, and the encoding is recorded with `LOSSY`.
2. No mark: a NUL byte in the first 8 KiB means binary. This comes only after the marks,
   since UTF-16 text is full of NUL bytes. A decoded text with a NUL character is binary too.
3. UTF-8 (recorded as no encoding: the default).
4. Mostly UTF-8 (more valid non-ASCII UTF-8 characters than bytes that do not decode): a
   UTF-8 file with a few stray bytes of another encoding. Decoded as UTF-8 with U+FFFD for
   the stray bytes, as editors do, rather than reading all of it wrongly as a legacy text.
5. An encoding the file declares in its first two lines (Python's PEP 263 `coding:`, Emacs'
   `-*- coding: ... -*-`, Ruby's magic comment, Vim's `fileencoding=`), if it is one of
   `LEGACY_ENCODINGS` and decodes the bytes.
6. charset-normalizer, among `LEGACY_ENCODINGS`: the encodings source code is realistically
   written in. Of the readings it finds plausible, those with little mess compete (the
   least, nearly the least, or under `CLEAN_ENOUGH`); the one whose letters look most like
   a language wins, and a tie goes to the more common encoding (cp1252 first). Its own
   ranking is not used as is: on files of a few lines it prefers rare code pages
   (mac_iceland for German in cp1252, cp1006 for French). Short texts stay ambiguous: a
   dozen Greek letters in cp1253 read as well as Russian in cp1251, and Lithuanian in
   cp1257 reads as French in cp1252.

A file that no legacy encoding decodes plausibly is *skipped* with a reason, not failed and
not decoded with replacement: every single-byte code page maps every byte to something, so
"nothing plausible" means each reading is noise by charset-normalizer's mess measure. Such
bytes are binary data without an early NUL byte (compressed data, an image under a text
name); indexing them would fill full-text search and embeddings with garbage, and there is
nothing for the user to fix, so the task does not fail for it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import CharsetMatch, from_bytes

BINARY_SNIFF_BYTES = 8192
LOSSY = " (invalid bytes replaced)"
# Checked in this order: UTF-32 LE's mark begins with UTF-16 LE's.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# In order of preference when two decodings are equally plausible: Western European first
# (the most common legacy encoding of source code), then the other Windows and ISO code
# pages, the CJK encodings, old DOS code pages, and Thai last (its code page reads any
# high bytes as letters). Mac code pages are left out: on short files they win against the
# right encoding by chance.
LEGACY_ENCODINGS = (
    *("cp1252", "iso8859-15", "iso8859-1", "cp1250", "iso8859-2", "cp1251", "koi8-r"),
    *("koi8-u", "iso8859-5", "cp1253", "iso8859-7", "cp1254", "iso8859-9", "cp1255"),
    *("iso8859-8", "cp1256", "iso8859-6", "cp1257", "iso8859-13", "cp1258", "cp932"),
    *("shift_jis", "euc_jp", "iso2022_jp", "gb18030", "gbk", "gb2312", "big5", "big5hkscs"),
    *("cp949", "euc_kr", "cp437", "cp850", "cp866", "cp874"),
)
_PREFERENCE = {name: rank for rank, name in enumerate(LEGACY_ENCODINGS)}
_DECLARED = re.compile(rb"coding[:=][ \t]*([-\w.]+)")
# Tuned on 136 snippets in 19 languages and 15 encodings (a word, a docstring, a few
# functions; comments and strings of JS, C and properties files; Django's two files):
# charset-normalizer's default mess threshold (0.2) refuses well-formed Polish, and its mess
# and coherence figures differ by a few hundredths between equally good readings (a `¿`
# makes cp1252 look messier than cp1257, which reads it as a letter).
MESS_THRESHOLD = 0.5
MESS_TIE = 0.06
CLEAN_ENOUGH = 0.1
COHERENCE_TIE = 0.02


class NotText(Exception):
    """Bytes that are not text in any encoding tried; the message says why."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """A file's text and the encoding it was read in (None: UTF-8 without a mark)."""

    text: str
    encoding: str | None


def canonical(name: str) -> str | None:
    """Python's name of an encoding (`latin_1` -> `iso8859-1`), or None when unknown."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _with_mark(data: bytes) -> Decoded | None:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            label = "utf-8-sig" if encoding == "utf-8" else encoding
            try:
                return Decoded(body.decode(encoding), label)
            except UnicodeDecodeError:
                return Decoded(body.decode(encoding, "replace"), label + LOSSY)
    return None


def _mostly_utf8(data: bytes) -> Decoded | None:
    text = data.decode("utf-8", "replace")
    replaced = text.count("\ufffd") - data.count("\ufffd".encode())
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    if non_ascii - replaced > replaced:
        return Decoded(text, "utf-8" + LOSSY)
    return None


def _declared(data: bytes) -> Decoded | None:
    for line in data.split(b"\n", 2)[:2]:
        match = _DECLARED.search(line)
        if match is None:
            continue
        encoding = canonical(match.group(1).decode("ascii", "replace"))
        if encoding in _PREFERENCE:
            try:
                return Decoded(data.decode(encoding), encoding)
            except UnicodeDecodeError:
                return None
    return None


def _preferred(match: CharsetMatch) -> tuple[int, str]:
    """The most common encoding that gives the same text as `match`, and its rank."""
    names = [n for n in map(canonical, match.could_be_from_charset) if n in _PREFERENCE]
    if not names:
        return len(_PREFERENCE), canonical(match.encoding) or match.encoding
    best = min(names, key=_PREFERENCE.__getitem__)
    return _PREFERENCE[best], best


def _detected(data: bytes) -> Decoded | None:
    matches = list(
        from_bytes(
            data,
            threshold=MESS_THRESHOLD,
            cp_isolation=list(LEGACY_ENCODINGS),
            preemptive_behaviour=False,
            enable_fallback=False,
        )
    )
    if not matches:
        return None
    least_mess = min(m.chaos for m in matches)
    clean = [m for m in matches if m.chaos <= max(least_mess + MESS_TIE, CLEAN_ENOUGH)]
    most_coherent = max(m.coherence for m in clean)
    best = min((m for m in clean if m.coherence >= most_coherent - COHERENCE_TIE), key=_preferred)
    return Decoded(str(best), _preferred(best)[1])


def decode(data: bytes) -> Decoded:
    """The text of a file's bytes, or NotText saying why it is not text."""
    decoded = _with_mark(data)
    if decoded is None:
        if b"\0" in data[:BINARY_SNIFF_BYTES]:
            raise NotText("binary file (NUL byte in the first 8 KiB)")
        try:
            return Decoded(data.decode("utf-8"), None)
        except UnicodeDecodeError as exc:
            first_bad = exc.start
        decoded = _mostly_utf8(data) or _declared(data) or _detected(data)
        if decoded is None:
            raise NotText(
                f"not text: not valid UTF-8 (byte {first_bad}), and no legacy encoding "
                "decodes it plausibly"
            )
    if "\0" in decoded.text[:BINARY_SNIFF_BYTES]:
        raise NotText(
            f"binary file (NUL character in the first 8 KiB of its {decoded.encoding} text)"
        )
    return decoded
