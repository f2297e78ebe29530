"""Embeddings and semantic search with the real models through fastembed and LanceDB.

MiniLM (384 dims) where vector quality matters; the tiny random model (128 dims)
where only the pipeline does, and as the "new model" of a model switch.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.helpers import (
    NO_MODEL_ENV,
    cli_env,
    copy_tree,
    index_with_cli,
    open_in_process,
    run_cli,
    run_json,
    vectors_of,
    worker_of,
)

from codeindex.app.service import CodeIndexService
from codeindex.errors import SemanticUnavailable
from codeindex.storage.meta import MODEL_FAILURE

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus

SUBSET = [
    "cobra-go/args.go",
    "cobra-go/bash_completions.go",
    "cobra-go/cobra.go",
    "cobra-go/flag_groups.go",
    "cobra-go/active_help.go",
    "cobra-go/shell_completions.go",
    "regex-rust/src/re_unicode.rs",
    "regex-rust/src/error.rs",
    "regex-rust/src/re_set.rs",
    *(
        f"rxjs-ts/src/internal/operators/{name}.ts"
        for name in [
            "debounceTime",
            "combineLatest",
            "retry",
            "filter",
            "map",
            "take",
            "throttleTime",
            "bufferCount",
            "distinctUntilChanged",
            "mergeMap",
            "catchError",
            "scan",
            "delay",
        ]
    ),
]

# natural-language query -> the file that answers it
QUERIES = [
    ("check that exactly n positional arguments were passed", "cobra-go/args.go"),
    ("escape all regular expression meta characters in a string", "regex-rust/src/re_unicode.rs"),
    ("mark flags that must be used together", "cobra-go/flag_groups.go"),
    (
        "wait for a quiet period before emitting the most recent value",
        "rxjs-ts/src/internal/operators/debounceTime.ts",
    ),
    (
        "resubscribe to the source observable when it errors",
        "rxjs-ts/src/internal/operators/retry.ts",
    ),
    (
        "only emit values that are different from the previous value",
        "rxjs-ts/src/internal/operators/distinctUntilChanged.ts",
    ),
]


@pytest.fixture(scope="session")
def minilm_template(
    polyglot_src: Path, minilm_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A polyglot subset indexed once with MiniLM by the real CLI."""
    root = copy_tree(polyglot_src, tmp_path_factory.mktemp("mini") / "ws", SUBSET)
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(minilm_path), CODEINDEX_ALLOW_DOWNLOAD="0")
    index_with_cli(root, env=env)
    return root


@pytest.fixture
async def minilm(
    minilm_template: Path, monkeypatch: pytest.MonkeyPatch, minilm_path: Path
) -> AsyncIterator[CodeIndexService]:
    monkeypatch.setenv("CODEINDEX_EMBED_MODEL_PATH", str(minilm_path))
    monkeypatch.setenv("CODEINDEX_ALLOW_DOWNLOAD", "0")
    service = await open_in_process(minilm_template)
    yield service
    await service.close()


def _rank(paths: list[str], expected: str) -> int | None:
    return paths.index(expected) + 1 if expected in paths else None


async def _ranks(service: CodeIndexService, mode: str) -> list[int | None]:
    ranks = []
    for query, expected in QUERIES:
        result = await service.search(query, mode=mode, limit=10)
        ranks.append(_rank([h["path"] for h in result["hits"]], expected))
    return ranks


def _mrr(ranks: list[int | None]) -> float:
    return sum(1 / r for r in ranks if r) / len(ranks)


async def test_semantic_queries_find_the_expected_code(minilm: CodeIndexService) -> None:
    ranks = await _ranks(minilm, "semantic")
    missed = [q for (q, _), r in zip(QUERIES, ranks, strict=True) if r is None or r > 5]
    assert not missed, f"not in the top 5: {missed} (ranks {ranks})"


async def test_hybrid_ranks_at_least_as_well_as_either_mode(minilm: CodeIndexService) -> None:
    semantic = await _ranks(minilm, "semantic")
    lexical = await _ranks(minilm, "lexical")
    hybrid = await _ranks(minilm, "hybrid")
    in_top5 = {
        name: sum(1 for r in ranks if r and r <= 5)
        for name, ranks in [("semantic", semantic), ("lexical", lexical), ("hybrid", hybrid)]
    }
    assert in_top5["hybrid"] >= max(in_top5["semantic"], in_top5["lexical"]), in_top5
    assert _mrr(hybrid) >= min(_mrr(semantic), _mrr(lexical))


async def test_hits_carry_location_symbol_score_and_freshness(minilm: CodeIndexService) -> None:
    result = await minilm.search("escape regular expression meta characters", limit=5)
    assert result["mode"] == "hybrid"
    hit = result["hits"][0]
    assert hit["path"] == "regex-rust/src/re_unicode.rs"
    assert hit["start_line"] <= hit["line"] <= hit["end_line"]
    assert "Escapes all regular expression meta characters" in hit["snippet"]
    assert hit["score"] > 0 and hit["freshness"] == "fresh"
    assert (
        minilm.settings.root.joinpath(hit["path"])
        .read_text(encoding="utf-8")
        .split("\n")[hit["line"] - 1]
        .strip()
        == hit["snippet"]
    )
    method = await minilm.search("replace all matches with a replacement", limit=10)
    assert any(h["symbol"] and h["symbol"].startswith("Regex") for h in method["hits"])
    only_rust = await minilm.search("match", mode="semantic", language="rust", limit=20)
    assert only_rust["hits"] and {h["language"] for h in only_rust["hits"]} == {"rust"}
    only_cobra = await minilm.search("match", mode="semantic", path="cobra-go", limit=20)
    assert only_cobra["hits"] and all(h["path"].startswith("cobra-go/") for h in only_cobra["hits"])


async def test_status_reports_the_active_model(minilm: CodeIndexService) -> None:
    status = await minilm.status()
    emb = status["embeddings"]
    assert emb["active_model"]["dim"] == 384
    assert emb["active_model"]["name"] == "sentence-transformers/all-MiniLM-L6-v2-int8"
    assert len(emb["active_model"]["fingerprint"]) == 16
    assert emb["chunks_pending"] == 0 and emb["chunks_embedded"] == emb["chunks_total"] > 100
    assert emb["vectors_bytes"] > 0


@pytest.fixture
async def tiny_copy(
    minilm_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tiny_model_path: Path,
) -> AsyncIterator[CodeIndexService]:
    """A copy of the MiniLM index, opened with the tiny model configured."""
    root = tmp_path / "ws"
    shutil.copytree(minilm_template, root, symlinks=True)
    monkeypatch.setenv("CODEINDEX_EMBED_MODEL_PATH", str(tiny_model_path))
    monkeypatch.setenv("CODEINDEX_ALLOW_DOWNLOAD", "0")
    service = await open_in_process(root)
    yield service
    await service.close()


async def test_model_switch_keeps_queries_on_the_old_table_until_the_flip(
    tiny_copy: CodeIndexService,
) -> None:
    service = tiny_copy
    before = await service.status()
    assert before["embeddings"]["active_model"]["dim"] == 384
    resp = await service.force_reindex("embeddings-only")
    assert resp["scope"] == "EmbeddingsOnly"
    service.start_worker()
    answered_by: list[str] = []
    while True:
        task = await service.queue.get(resp["task_id"])
        result = await service.search(
            "escape regular expression meta characters", mode="semantic", limit=5
        )
        assert result["hits"], "a semantic query failed during the switch"
        answered_by.append(result["model"] or "")
        if task.finished:
            break
    assert task.status.value == "Completed"
    assert answered_by[0] == "sentence-transformers/all-MiniLM-L6-v2-int8"
    after = await service.status()
    assert after["embeddings"]["active_model"]["dim"] == 128
    assert after["embeddings"]["chunks_pending"] == 0
    flipped = await service.search(
        "escape regular expression meta characters", mode="semantic", limit=5
    )
    assert flipped["model"] == "tiny-bert-128-onnx-int8"
    first_tiny = next(
        (i for i, m in enumerate(answered_by) if m == "tiny-bert-128-onnx-int8"), len(answered_by)
    )
    assert all(m == "sentence-transformers/all-MiniLM-L6-v2-int8" for m in answered_by[:first_tiny])
    assert len(vectors_of(service).table_names()) == 2


async def test_unchanged_text_is_never_embedded_again(tiny_copy: CodeIndexService) -> None:
    service = tiny_copy
    service.start_worker()
    first = await service.force_reindex("embeddings-only", async_=False)
    generated = first["result"]["summary"]["embeddings_generated"]
    assert generated > 100
    root = service.settings.root
    again = await service.force_reindex("project", async_=False)
    assert again["result"]["summary"]["embeddings_generated"] == 0
    assert worker_of(service) is not None
    assert worker_of(service).embedding.texts_embedded == generated

    # a moved file keeps its vectors: the same text under another path embeds nothing
    (root / "regex-rust/src/re_unicode.rs").rename(root / "regex-rust/src/moved.rs")
    moved = await service.force_reindex("project", incremental=True, async_=False)
    assert moved["items_total"] == 2  # the new path and the deleted one
    assert moved["result"]["summary"]["embeddings_generated"] == 0
    assert worker_of(service).embedding.texts_embedded == generated
    hits = await service.search("escape", mode="semantic", path="regex-rust/src/moved.rs")
    assert hits["hits"] and hits["hits"][0]["freshness"] == "fresh"


async def test_no_model_builds_the_index_and_explains(
    polyglot_src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_tree(polyglot_src, tmp_path / "ws", SUBSET[:3])
    env = cli_env(**NO_MODEL_ENV)
    index_with_cli(root, env=env)
    status = run_json(root, "status", env=env)
    emb = status["embeddings"]
    assert emb["chunks_pending"] == emb["chunks_total"] > 0
    assert "not in the fastembed cache" in emb["pending_reason"]
    assert "CODEINDEX_EMBED_MODEL_PATH" in emb["pending_reason"]
    semantic = run_cli(root, "search", "arguments", "--mode", "semantic", env=env)
    assert semantic.returncode == 3  # unavailable, not bad input
    assert "semantic search is unavailable" in semantic.stderr
    assert "CODEINDEX_EMBED_MODEL_PATH" in semantic.stderr
    default = run_json(root, "search", "arguments", env=env)
    assert default["mode"] == "lexical" and default["hits"]
    assert default["hits"][0]["freshness"] == "pending_embedding"

    for key, value in NO_MODEL_ENV.items():
        monkeypatch.setenv(key, value)
    service = await open_in_process(root)
    try:
        with pytest.raises(SemanticUnavailable, match="semantic search is unavailable"):
            await service.search("arguments", mode="semantic")
    finally:
        await service.close()


def test_wrong_model_path_is_a_clear_pending_reason(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("def a():\n    return 1\n", encoding="utf-8")
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tmp_path / "no-such-model"))
    assert run_cli(root, "index", str(root), env=env).returncode == 0
    status = run_json(root, "status", env=env)
    assert "no-such-model" in status["embeddings"]["pending_reason"]
    check = run_cli(root, "model", "check", env=env)
    assert check.returncode == 1 and "no-such-model" in check.stdout


async def test_remembered_failure_is_not_retried_on_every_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("def a():\n    return 1\n", encoding="utf-8")
    monkeypatch.setenv("CODEINDEX_ALLOW_DOWNLOAD", "0")
    monkeypatch.delenv("CODEINDEX_EMBED_MODEL_PATH", raising=False)
    for attempt in range(2):
        service = await open_in_process(root)
        try:
            (root / "a.py").write_text(f"def a():\n    return {attempt}\n", encoding="utf-8")
            await service.force_reindex("project", async_=False)
            recorded = await service.storage.meta.get(MODEL_FAILURE)
            assert recorded is not None and "fastembed cache" in recorded.reason
            if attempt == 0:
                first = recorded
            else:
                assert recorded == first  # the second start did not try to load the model again
        finally:
            await service.close()
    proc = run_cli(root, "model", "check", env=cli_env(**NO_MODEL_ENV))
    assert proc.returncode == 1 and "not in the fastembed cache" in proc.stdout


async def test_a_configured_new_model_gets_its_table_filled_and_flipped(
    tiny_copy: CodeIndexService,
) -> None:
    service = tiny_copy
    service.start_worker()
    await service.force_reindex("file", ["cobra-go/args.go"], async_=False)
    switching = await service.list_reindex_tasks()
    fill = [t for t in switching if t["scope"] == "EmbeddingsOnly"]
    assert len(fill) == 1, switching
    task = await service.wait(fill[0]["task_id"])
    assert task["status"] == "Completed"
    status = await service.status()
    assert status["embeddings"]["active_model"]["name"] == "tiny-bert-128-onnx-int8"
    assert status["embeddings"]["chunks_pending"] == 0
