"""What kind of file a path is: source, test, docs, changelog, example or generated.

Search uses it twice: `source_only` leaves every kind but source out, and the ranking
prior puts source files before the others unless the query asks for them ("the test
for ...", "docs of ..."). The kind comes from the path and the file name only (plus the
files that indexing found generated or minified, `files.embed_skip`), so it costs no
read, and the same patterns filter in SQL (`sql_globs`) and classify in Python
(`FileKinds.kind_of`).

A pattern is matched like `embedding.skip_patterns`: against the workspace-relative path
and against the file name, case-insensitively, `*` crossing folders; a pattern ending in
`/` names a folder anywhere in the path (`tests/`). The defaults below can be replaced per
kind by the settings `search.test_patterns`, `search.docs_patterns`,
`search.changelog_patterns`, `search.example_patterns` and `search.generated_patterns`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from codeindex.config import Settings

FileKind = Literal["source", "test", "docs", "changelog", "example", "generated"]
# The order a path is tried in: a CHANGELOG.md is a changelog, not docs; a test's
# fixture file is a test, not an example.
NON_SOURCE: tuple[FileKind, ...] = ("changelog", "test", "example", "generated", "docs")
# embed_skip reasons (embedding.rules) that say a file was made by a tool
GENERATED_REASONS = ("generated", "minified", "lockfile", "checksum list")

DEFAULT_PATTERNS: dict[FileKind, tuple[str, ...]] = {
    "changelog": (
        "changelog*",
        "changes",
        "changes.*",
        "history.md",
        "history.rst",
        "history.txt",
        "news",
        "news.md",
        "news.rst",
        "news.txt",
        "release-notes*",
        "release_notes*",
        "releasenotes/",
        "docs/releases/",
    ),
    "test": (
        "tests/",
        "__tests__/",
        "spec/",
        "specs/",
        "testdata/",
        "test_data/",
        "src/test/",
        "test/*",
        "test_*.py",
        "*_test.*",
        "*_tests.*",
        "*.test.*",
        "*.spec.*",
        "*_spec.*",
        "*test.java",
        "*tests.java",
        "*test.kt",
        "*test.cs",
        "*tests.cs",
        "conftest.py",
    ),
    "example": ("examples/", "example/", "_examples/", "samples/"),
    "generated": (
        "*.pb.go",
        "*_pb2.py",
        "*_pb2_grpc.py",
        "*.pb.cc",
        "*.pb.h",
        "*.min.js",
        "*.min.css",
        "*_generated.*",
        "*.generated.*",
        "*.g.dart",
        "*.lock",
        "package-lock.json",
        "go.sum",
    ),
    "docs": (
        "*.md",
        "*.markdown",
        "*.mdx",
        "*.rst",
        "*.adoc",
        "*.rdoc",
        "docs/*.txt",
        "*/docs/*.txt",
        "readme*",
        "license*",
        "licence*",
        "copying*",
        "authors*",
        "contributing*",
        "docs/*.html",
    ),
}


def _folder(pattern: str) -> tuple[str, ...]:
    """The path patterns of `dir/`: the folder at the root or below another."""
    body = pattern.rstrip("/")
    return (f"{body}/*", f"*/{body}/*")


@dataclass(frozen=True, slots=True)
class FileKinds:
    """The patterns in force for each kind but source."""

    patterns: Mapping[FileKind, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_PATTERNS)
    )

    @classmethod
    def of(cls, replaced: Mapping[FileKind, tuple[str, ...]]) -> FileKinds:
        """The defaults, with the kinds a setting gives replaced (an empty tuple keeps them)."""
        return cls({kind: replaced.get(kind) or DEFAULT_PATTERNS[kind] for kind in NON_SOURCE})

    def kind_of(self, path: str, embed_skip: str | None = None) -> FileKind:
        """The kind of the file at this workspace-relative path."""
        low = path.lower()
        name = low.rsplit("/", 1)[-1]
        for kind in NON_SOURCE:
            if kind == "generated" and embed_skip in GENERATED_REASONS:
                return kind
            if any(_matches(low, name, p.lower()) for p in self.patterns[kind]):
                return kind
        return "source"

    def sql_globs(self, kinds: Iterable[FileKind]) -> tuple[list[str], list[str]]:
        """GLOB patterns for `lower(path)` and for the file name that match these kinds.

        SQLite's GLOB has `*`, `?` and `[...]` as fnmatch has; `[!...]` is `[^...]` there.
        """
        paths: list[str] = []
        names: list[str] = []
        for kind in kinds:
            for pattern in self.patterns[kind]:
                low = pattern.lower().replace("[!", "[^")
                if low.endswith("/"):
                    paths += _folder(low)
                elif "/" in low:
                    paths.append(low)
                else:
                    names.append(low)
        return list(dict.fromkeys(paths)), list(dict.fromkeys(names))


def _matches(path: str, name: str, pattern: str) -> bool:
    if pattern.endswith("/"):
        return any(fnmatchcase(path, p) for p in _folder(pattern))
    if "/" in pattern:
        return fnmatchcase(path, pattern)
    return fnmatchcase(name, pattern)


DEFAULT_KINDS = FileKinds()


def kinds_of(settings: Settings) -> FileKinds:
    """The kinds in force under these settings (`search.<kind>_patterns`)."""
    return FileKinds.of(
        {
            "test": settings.search_test_patterns,
            "docs": settings.search_docs_patterns,
            "changelog": settings.search_changelog_patterns,
            "example": settings.search_example_patterns,
            "generated": settings.search_generated_patterns,
        }
    )


_TEST_MARKS = ("_test.", ".test.", ".spec.", "_spec.", "_tests.")


def tested_names(path: str) -> list[str]:
    """The file names of the code a test file tests, by its name: `command_test.go` ->
    `command.go`, `test_query.py` -> `query.py`, `map.spec.ts` -> `map.ts`."""
    name = path.rsplit("/", 1)[-1]
    found = [name.replace(mark, ".", 1) for mark in _TEST_MARKS if mark in name]
    if name.startswith("test_") and len(name) > 5:
        found.append(name[5:])
    return found
