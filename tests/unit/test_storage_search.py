"""The queries behind search, at the SQL level: full-text (bm25), symbols by name, hashes."""

from __future__ import annotations

import pytest
from tests.unit.builders import Sym, chunk, digest, record, store

from codeindex.search.kinds import DEFAULT_KINDS, GENERATED_REASONS, NON_SOURCE
from codeindex.storage import FileRecord, Storage
from codeindex.storage.search_sql import ChunkFilter


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
    rows = await indexed.match_chunks("config", limit=10)
    assert {r.path for r in rows} == {
        "src/parse.py",
        "web/app.ts",
        "README.md",
        "min.js",
    }
    assert [r.rank for r in rows] == sorted(r.rank for r in rows)  # bm25: lower is better
    assert all(r.text.lower().count("config") for r in rows)


async def test_full_text_respects_the_limit(indexed: Storage) -> None:
    assert len(await indexed.match_chunks("config", limit=2)) == 2


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
    where = ChunkFilter(include=(prefix,) if prefix else (), language=language)
    rows = await indexed.match_chunks("config", limit=10, where=where)
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
    rows = await storage.match_chunks("widget", limit=5)
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
    rows = await storage.match_chunks("file", limit=5)
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
    rows = await indexed.chunks_with_hashes(wanted)
    assert [(r.path, r.content_hash) for r in rows] == [("src/util/strings.py", wanted[0])]
    assert await indexed.chunks_with_hashes([]) == []
    assert await indexed.chunks_with_hashes(wanted, where=ChunkFilter(include=("web",))) == []


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


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        pytest.param(
            ChunkFilter(exclude=("src/util", "min.js")),
            {"src/parse.py", "web/app.ts", "README.md"},
            id="exclude",
        ),
        pytest.param(
            ChunkFilter(include=("src/util", "web")),
            {"src/util/strings.py", "web/app.ts"},
            id="several",
        ),
        pytest.param(ChunkFilter(symbol_kind="class"), {"src/parse.py"}, id="kind"),
        pytest.param(ChunkFilter(symbol_kind="variable"), {"web/app.ts"}, id="other-kind"),
    ],
)
async def test_full_text_scope(indexed: Storage, where: ChunkFilter, expected: set[str]) -> None:
    rows = await indexed.match_chunks('"config" OR "words"', limit=10, where=where)
    assert {r.path for r in rows} == expected


KIND_PATHS = [
    "src/parse.py",
    "src/config_test.go",
    "tests/test_config.py",
    "docs/guide.md",
    "CHANGELOG.md",
    "examples/demo.py",
    "gen/api.pb.go",
    "src/schema.py",
    "src/contest.py",
]


async def test_source_only_in_sql_leaves_out_what_the_kinds_call_non_source(
    storage: Storage,
) -> None:
    await store(
        storage,
        *[
            record(p, "config", embed_skip="generated" if p == "src/schema.py" else None)
            for p in KIND_PATHS
        ],
    )
    skip_paths, skip_names = DEFAULT_KINDS.sql_globs(NON_SOURCE)
    where = ChunkFilter(
        skip_paths=tuple(skip_paths),
        skip_names=tuple(skip_names),
        skip_reasons=GENERATED_REASONS,
    )
    rows = await storage.match_chunks("config", limit=20, where=where)
    kept = {r.path for r in rows}
    assert kept == {"src/parse.py", "src/contest.py"}
    everything = await storage.match_chunks("config", limit=20)
    assert {r.path for r in everything if r.path not in kept} == {
        r.path for r in everything if DEFAULT_KINDS.kind_of(r.path, r.embed_skip) != "source"
    }


async def test_chunks_defining_names_in_any_case(indexed: Storage) -> None:
    rows = await indexed.search.chunks_defining(["PARSE_CONFIG", "nothing"], limit=5)
    assert [(r.chunk.path, r.name, r.chunk.start_line) for r in rows] == [
        ("src/parse.py", "parse_config", 1)
    ]
    scoped = ChunkFilter(include=("web",))
    assert await indexed.search.chunks_defining(["parse_config"], limit=5, where=scoped) == []
