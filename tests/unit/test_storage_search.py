"""The queries behind search, at the SQL level: full-text (bm25), symbols by name, hashes."""

from __future__ import annotations

import pytest
from tests.unit.builders import Sym, chunk, digest, record, store

from codeindex.storage import FileRecord, Storage


@pytest.fixture
async def indexed(storage: Storage) -> Storage:
    """A few files in three languages, with symbols."""
    await store(
        storage,
        record(
            "src/parse.py",
            "def parse_config(path): read the config file",
            "def parse_args(argv): split arguments",
            symbols=[Sym("parse_config"), Sym("parse_args"), Sym("Parser", "class")],
        ),
        record(
            "src/util/strings.py",
            "def split_words(text): words of a text",
            symbols=[Sym("split_words"), Sym("CONFIG_PATH", "constant")],
        ),
        record(
            "web/app.ts",
            "function parseConfig(): config for the browser",
            symbols=[Sym("parseConfig"), Sym("config", "variable")],
            language="typescript",
        ),
        record("README.md", "how to write the config", language=None),
        record("min.js", "var config=1", language="javascript", embed_skip="minified"),
    )
    return storage


async def test_full_text_finds_chunks_by_word_best_first(indexed: Storage) -> None:
    rows = await indexed.match_chunks("config", limit=10, path_prefix=None, language=None)
    assert {r.path for r in rows} == {
        "src/parse.py",
        "web/app.ts",
        "README.md",
        "min.js",
    }
    assert [r.rank for r in rows] == sorted(r.rank for r in rows)  # bm25: lower is better
    assert all(r.text.lower().count("config") for r in rows)


async def test_full_text_respects_the_limit(indexed: Storage) -> None:
    assert len(await indexed.match_chunks("config", limit=2, path_prefix=None, language=None)) == 2


@pytest.mark.parametrize(
    ("prefix", "language", "expected"),
    [
        pytest.param("src", None, {"src/parse.py"}, id="folder"),
        pytest.param("src/", None, {"src/parse.py"}, id="folder-slash"),
        pytest.param("src/parse.py", None, {"src/parse.py"}, id="one-file"),
        pytest.param("sr", None, set(), id="not-a-name-prefix"),
        pytest.param(None, "typescript", {"web/app.ts"}, id="language"),
        pytest.param("web", "python", set(), id="both"),
    ],
)
async def test_full_text_filters_by_folder_and_language(
    indexed: Storage, prefix: str | None, language: str | None, expected: set[str]
) -> None:
    rows = await indexed.match_chunks("config", limit=10, path_prefix=prefix, language=language)
    assert {r.path for r in rows} == expected


async def test_a_defined_name_weighs_more_than_a_word_of_the_text(storage: Storage) -> None:
    await store(
        storage,
        FileRecord(
            "mentions.py",
            "python",
            1,
            1,
            "h1",
            "indexed",
            1,
            None,
            chunks=[chunk("we call widget here and there")],
        ),
        FileRecord(
            "defines.py",
            "python",
            1,
            1,
            "h2",
            "indexed",
            1,
            None,
            chunks=[chunk("def make(): return 1", defines="widget")],
        ),
    )
    rows = await storage.match_chunks("widget", limit=5, path_prefix=None, language=None)
    assert [r.path for r in rows] == ["defines.py", "mentions.py"]


async def test_identifier_words_are_searchable(storage: Storage) -> None:
    await store(
        storage,
        FileRecord(
            "a.py",
            "python",
            1,
            1,
            "h",
            "indexed",
            1,
            None,
            chunks=[chunk("parseConfigFile()", words="parse config file")],
        ),
    )
    rows = await storage.match_chunks("file", limit=5, path_prefix=None, language=None)
    assert [r.path for r in rows] == ["a.py"]


@pytest.mark.parametrize(
    ("name", "how", "kind", "expected"),
    [
        pytest.param("parse_config", "exact", None, ["parse_config"], id="exact"),
        pytest.param("PARSE_CONFIG", "exact", None, ["parse_config"], id="exact-any-case"),
        pytest.param("parse", "exact", None, [], id="exact-not-prefix"),
        pytest.param(
            "parse",
            "prefix",
            None,
            ["Parser", "parse_args", "parseConfig", "parse_config"],
            id="prefix-any-case-shorter-first",
        ),
        pytest.param(
            "config",
            "substring",
            None,
            ["config", "CONFIG_PATH", "parseConfig", "parse_config"],
            id="substring-exact-first",
        ),
        pytest.param("config", "substring", "variable", ["config"], id="kind"),
        pytest.param(
            "parse_", "prefix", None, ["parse_args", "parse_config"], id="underscore-is-literal"
        ),
        pytest.param("%", "substring", None, [], id="percent-is-literal"),
    ],
)
async def test_symbols_by_name(
    indexed: Storage, name: str, how: str, kind: str | None, expected: list[str]
) -> None:
    rows = await indexed.symbols_named(name, how, kind=kind, limit=10)  # type: ignore[arg-type]
    assert [r.name for r in rows] == expected


async def test_symbols_by_name_respect_the_limit_and_carry_their_file(indexed: Storage) -> None:
    rows = await indexed.symbols_named("parse", "prefix", kind="function", limit=1)
    assert [(r.name, r.path, r.language) for r in rows] == [
        ("parse_args", "src/parse.py", "python")
    ]


async def test_chunks_are_found_by_the_hash_of_their_text(indexed: Storage) -> None:
    wanted = [digest("def split_words(text): words of a text"), digest("not stored")]
    rows = await indexed.chunks_with_hashes(wanted, path_prefix=None, language=None)
    assert [(r.path, r.content_hash) for r in rows] == [("src/util/strings.py", wanted[0])]
    assert await indexed.chunks_with_hashes([], path_prefix=None, language=None) == []
    assert await indexed.chunks_with_hashes(wanted, path_prefix="web", language=None) == []


async def test_recorded_stats_are_what_was_stored(indexed: Storage) -> None:
    assert await indexed.recorded_stats(["src/parse.py", "absent.py"]) == {"src/parse.py": (10, 1)}
    assert await indexed.recorded_stats([]) == {}


async def test_languages_and_kinds_of_the_index(indexed: Storage) -> None:
    assert await indexed.languages() == ["javascript", "python", "text", "typescript"]
    assert await indexed.symbol_kinds() == ["class", "constant", "function", "variable"]


async def test_symbol_names_are_distinct_and_long_enough(indexed: Storage) -> None:
    names = await indexed.symbol_names(min_length=7)
    assert names == sorted(names) and "config" not in names
    assert {"parse_args", "parseConfig", "CONFIG_PATH"} <= set(names)


async def test_files_not_embedded_among_some_paths(indexed: Storage) -> None:
    assert await indexed.not_embedded_among(["min.js", "web/app.ts", "absent.js"]) == {"min.js"}
    assert await indexed.not_embedded_among([]) == set()


async def test_symbol_names_match_with_unicode_case_folding(storage: Storage) -> None:
    names = ["Straße", "STRASSE", "σίσυφος", "Ärger", "arger", "Plain"]
    await store(storage, record("u.py", "x", symbols=[Sym(n) for n in names]))

    async def named(query: str, how: str) -> list[str]:
        rows = await storage.symbols_named(query, how, kind=None, limit=10)  # type: ignore[arg-type]
        return sorted(r.name for r in rows)

    assert await named("strasse", "exact") == ["STRASSE", "Straße"]
    assert await named("STRASSE", "exact") == ["STRASSE", "Straße"]
    assert await named("ΣΊΣΥΦΟΣ", "exact") == ["σίσυφος"]
    assert await named("äRG", "prefix") == ["Ärger"]  # ä is not a
    assert await named("TRAS", "substring") == ["STRASSE", "Straße"]
    assert await named("pla", "prefix") == ["Plain"]
    assert await named("%", "substring") == []  # LIKE's wildcards are plain characters
