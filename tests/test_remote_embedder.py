"""Embeddings from a real remote engine (infinity-emb serving MiniLM on 127.0.0.1).

One engine per session; a small proxy in front of it throttles (429 + Retry-After), dies,
or refuses the key when a test asks. Without the engine (`scripts/setup-remote-engine`
not run) every test here is skipped, saying NOT TESTED.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.helpers import copy_tree, open_in_process
from tests.remote_engine import SERVED_MODEL, Proxy, engine_paths, running_engine

from codeindex.app.service import CodeIndexService
from codeindex.config import ConfigError, load_settings
from codeindex.embedding.context import embed_text
from codeindex.embedding.loader import ModelLoader
from codeindex.embedding.local import load_embedder
from codeindex.embedding.remote import load_remote
from codeindex.embedding.spec import ModelSpec, RemoteSpec, embeddings_url
from codeindex.errors import ModelUnavailable
from codeindex.parser import parse
from codeindex.parser.languages import language_for_path

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus

FILES = [
    "cobra-go/args.go",
    "cobra-go/flag_groups.go",
    "cobra-go/active_help.go",
    "cobra-go/command_notwin.go",
    "regex-rust/src/error.rs",
    "regex-rust/src/find_byte.rs",
    *(
        f"rxjs-ts/src/internal/operators/{name}.ts"
        for name in ["debounceTime", "retry", "filter", "map", "take", "scan"]
    ),
]
TASK_SECONDS = 300


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """infinity serving MiniLM, started once; its base URL."""
    paths = engine_paths()
    if paths is None or not paths[0].is_file():
        pytest.skip(
            "NOT TESTED: no remote embedding engine; run scripts/setup-remote-engine and "
            "export the REMOTE_ENGINE and REMOTE_MODEL it prints"
        )
    log = tmp_path_factory.mktemp("infinity") / "infinity.log"
    with running_engine(paths[0], paths[1], log) as url:
        yield url


@pytest.fixture
def proxy(engine: str) -> Iterator[Proxy]:
    front = Proxy(engine)
    yield front
    front.close()


def _remote_env(monkeypatch: pytest.MonkeyPatch, url: str, **more: str) -> None:
    env = {
        "CODEINDEX_EMBED_PROVIDER": "openai",
        "CODEINDEX_EMBED_URL": url,
        "CODEINDEX_EMBED_MODEL": SERVED_MODEL,
        "CODEINDEX_ALLOW_DOWNLOAD": "0",
        **more,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CODEINDEX_EMBED_MODEL_PATH", raising=False)


@pytest.fixture
def workspace(polyglot_src: Path, tmp_path: Path) -> Path:
    return copy_tree(polyglot_src, tmp_path / "ws", FILES)


@pytest.fixture
async def opened() -> AsyncIterator[list[CodeIndexService]]:
    """Services a test opens, closed after it."""
    services: list[CodeIndexService] = []
    yield services
    for service in services:
        await service.close()


async def _open(root: Path, opened: list[CodeIndexService]) -> CodeIndexService:
    service = await open_in_process(root)
    opened.append(service)
    service.start_worker()
    return service


async def _index(service: CodeIndexService) -> Any:
    async with asyncio.timeout(TASK_SECONDS):
        response = await service.force_reindex("project", async_=False)
        return await service.get_reindex_status(response["task_id"])


def _corpus_texts(root: Path) -> list[str]:
    """Real chunk texts of these files, as codeindex embeds them (with their path)."""
    texts = []
    for rel in FILES:
        source = (root / rel).read_text(encoding="utf-8")
        for chunk in parse(source, language_for_path(rel)).chunks:
            texts.append(embed_text(rel, None, chunk.text))
    return texts


def test_remote_vectors_match_the_local_model(
    engine: str, workspace: Path, minilm_path: Path
) -> None:
    texts = _corpus_texts(workspace)
    assert len(texts) > 50
    remote = load_remote(RemoteSpec(url=engine, model=SERVED_MODEL, request_tokens=1024))
    local = load_embedder(ModelSpec(path=minilm_path, quantize="fp32"))
    try:
        far, near = remote.embed(texts), local.embed(texts)
    finally:
        remote.close()
    cosines = np.sum(far * near, axis=1)
    assert far.shape == near.shape == (len(texts), 384)
    assert float(cosines.min()) >= 0.99, f"lowest cosine {cosines.min():.4f}"
    assert remote.identity.dim == 384 and remote.identity.name == SERVED_MODEL
    assert remote.identity.table_name != local.identity.table_name


async def test_index_through_the_remote_engine(
    engine: str,
    workspace: Path,
    minilm_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    opened: list[CodeIndexService],
) -> None:
    # with a local tokenizer configured, requests are sized by its counts
    _remote_env(monkeypatch, engine + "/", CODEINDEX_EMBED_MODEL_PATH=str(minilm_path))
    service = await _open(workspace, opened)
    info = await _index(service)
    assert info["status"] == "Completed" and info["items_failed"] == 0
    status = await service.status()
    emb = status["embeddings"]
    assert emb["chunks_total"] > 50
    assert emb["chunks_embedded"] == emb["chunks_total"] and emb["chunks_pending"] == 0
    assert emb["source"]["provider"] == "openai"
    assert emb["source"]["url"] == f"{engine}/embeddings"
    assert emb["source"]["health"]["answering"] is True
    assert emb["active_model"]["source"] == engine + "/"
    result = await service.search("mark flags that must be used together", mode="semantic")
    assert result["hits"][0]["path"] == "cobra-go/flag_groups.go"
    assert (await service.validate())["ok"]


async def test_throttled_engine_is_waited_for(
    proxy: Proxy,
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    opened: list[CodeIndexService],
) -> None:
    proxy.throttle = 3  # the probe that loads the model, then the first batches
    _remote_env(monkeypatch, proxy.url, CODEINDEX_EMBED_CONCURRENCY="1")
    service = await _open(workspace, opened)
    info = await _index(service)
    assert info["status"] == "Completed" and info["items_failed"] == 0
    emb = (await service.status())["embeddings"]
    assert emb["chunks_pending"] == 0 and emb["chunks_embedded"] == emb["chunks_total"] > 50
    statuses = [s for _, s in proxy.arrivals]
    assert statuses[:4] == [429, 429, 429, 200]
    gaps = [b - a for (a, _), (b, _) in zip(proxy.arrivals, proxy.arrivals[1:4], strict=False)]
    assert min(gaps) >= 0.9, f"Retry-After: 1 not honoured: gaps {gaps}"


async def test_engine_that_dies_leaves_chunks_pending_until_it_returns(
    proxy: Proxy,
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    opened: list[CodeIndexService],
) -> None:
    # the probe and three requests of four texts, then it stops listening
    proxy.forward_left = 4
    _remote_env(
        monkeypatch,
        proxy.url,
        CODEINDEX_EMBED_BATCH_SIZE="4",
        CODEINDEX_EMBED_CONCURRENCY="1",
        CODEINDEX_EMBED_RETRY_SECONDS="2",
    )
    service = await _open(workspace, opened)
    info = await _index(service)
    assert info["status"] == "Completed"
    assert info["items_completed"] == len(FILES) and info["items_failed"] == 0
    assert not proxy.alive
    status = await service.status()
    emb = status["embeddings"]
    assert status["files"]["by_status"] == {"indexed": len(FILES)}
    assert emb["chunks_embedded"] == 12 < emb["chunks_total"]
    assert emb["chunks_pending"] == emb["chunks_total"] - emb["chunks_embedded"]
    reason = emb["pending_reason"]
    assert reason.startswith(f"embeddings pending: remote engine {proxy.url}/embeddings "), reason
    assert "unreachable" in reason or "Error" in reason
    assert emb["source"]["health"]["answering"] is False
    # full-text search answers; a hybrid query says the engine does not, and falls back
    hybrid = await service.search("debounceTime", mode="hybrid")
    assert any(h["path"].endswith("debounceTime.ts") for h in hybrid["hits"])
    assert hybrid["mode"] == "lexical" and f"remote engine {proxy.url}" in (hybrid["note"] or "")
    report = await service.validate()
    assert [p["kind"] for p in report["problems"]] == ["embedding_engine"]
    assert report["problems"][0]["fix"] == {"scope": "embeddings-only"}
    await service.close()
    opened.remove(service)

    # the engine returns; a later run fills what is pending without a forced reindex
    proxy.forward_left = None
    proxy.start()
    later = await _open(workspace, opened)
    async with asyncio.timeout(TASK_SECONDS):
        async for task in later.watch():
            if task["scope"] == "EmbeddingsOnly" and task["status"] == "Completed":
                break
    emb = (await later.status())["embeddings"]
    assert emb["chunks_pending"] == 0 and emb["chunks_embedded"] == emb["chunks_total"]
    assert emb["source"]["health"]["answering"] is True
    result = await later.search("mark flags that must be used together", mode="semantic")
    assert result["hits"][0]["path"] == "cobra-go/flag_groups.go"


async def test_a_running_worker_fills_pending_chunks_when_the_engine_returns(
    proxy: Proxy,
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    opened: list[CodeIndexService],
) -> None:
    proxy.forward_left, proxy.exhausted = 2, "unavailable"  # the probe, one request, then 503
    _remote_env(
        monkeypatch,
        proxy.url,
        CODEINDEX_EMBED_BATCH_SIZE="4",
        CODEINDEX_EMBED_CONCURRENCY="1",
        CODEINDEX_EMBED_RETRY_SECONDS="1",
    )
    service = await _open(workspace, opened)
    await _index(service)
    assert (await service.status())["embeddings"]["chunks_pending"] > 0
    # while it is down the worker probes now and then, backing off: no busy loop
    seen, started = len(proxy.arrivals), time.monotonic()
    assert await asyncio.to_thread(proxy.wait_for_requests, seen + 3, 60)
    assert time.monotonic() - started >= 1.5, proxy.arrivals[seen:]
    proxy.forward_left = None
    async with asyncio.timeout(TASK_SECONDS):
        async for task in service.watch():
            if task["scope"] == "EmbeddingsOnly" and task["status"] == "Completed":
                break
    emb = (await service.status())["embeddings"]
    assert emb["chunks_pending"] == 0 and emb["chunks_embedded"] == emb["chunks_total"]


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        pytest.param("http://h:8080/v1", "http://h:8080/v1/embeddings", id="v1"),
        pytest.param("http://h:8080/v1/", "http://h:8080/v1/embeddings", id="v1-slash"),
        pytest.param("http://h:7997", "http://h:7997/embeddings", id="no-v1"),
        pytest.param("https://h/v1/embeddings", "https://h/v1/embeddings", id="endpoint-given"),
    ],
)
def test_requests_go_to_url_slash_embeddings(url: str, endpoint: str) -> None:
    assert embeddings_url(url) == endpoint


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param({"embedding.provider": "remote"}, "not one of local, openai", id="provider"),
        pytest.param(
            {"embedding.provider": "openai", "embedding.url": "127.0.0.1:8080/v1"},
            "is not an http:// or https:// URL",
            id="url-without-scheme",
        ),
        pytest.param(
            {"embedding.provider": "openai", "embedding.url": "ftp://host/v1"},
            "is not an http:// or https:// URL",
            id="url-ftp",
        ),
        pytest.param(
            {"embedding.provider": "openai"}, "embedding.url (CODEINDEX_EMBED_URL)", id="no-url"
        ),
        pytest.param(
            {"embedding.api_key_env": "sk-abc123"},
            "is not the name of an environment variable",
            id="key-instead-of-name",
        ),
        pytest.param({"embedding.concurrency": 0}, "must be positive", id="concurrency"),
        pytest.param({"embedding.timeout": "soon"}, "is not a valid float", id="timeout"),
    ],
)
def test_bad_remote_settings_are_refused(
    tmp_path: Path, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, values)
    assert message in str(caught.value)


async def test_the_key_is_sent_but_never_shown(
    proxy: Proxy,
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    opened: list[CodeIndexService],
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "sk-test-0123456789abcdef"
    monkeypatch.setenv("CODEINDEX_TEST_ENGINE_KEY", secret)
    monkeypatch.delenv("CODEINDEX_TEST_UNSET_KEY", raising=False)
    caplog.set_level(logging.DEBUG)

    # a variable that is not set: a clear error naming it
    _remote_env(monkeypatch, proxy.url, CODEINDEX_EMBED_API_KEY_ENV="CODEINDEX_TEST_UNSET_KEY")
    unset = await _open(workspace, opened)
    with pytest.raises(ModelUnavailable) as caught:
        await ModelLoader(unset.models).configured()
    assert "CODEINDEX_TEST_UNSET_KEY, which is not set" in caught.value.reason
    await unset.close()
    opened.remove(unset)

    _remote_env(
        monkeypatch,
        proxy.url,
        CODEINDEX_EMBED_API_KEY_ENV="CODEINDEX_TEST_ENGINE_KEY",
        CODEINDEX_EMBED_RETRY_SECONDS="1",
    )
    service = await _open(workspace, opened)
    info = await _index(service)
    assert info["items_failed"] == 0
    assert proxy.authorizations == {f"Bearer {secret}"}
    status = await service.status()
    assert status["embeddings"]["source"]["api_key_env"] == "CODEINDEX_TEST_ENGINE_KEY"

    # an engine that refuses the key and echoes it back: the error does not repeat it
    proxy.refuse_key = True
    report = await service.validate()
    problem = report["problems"][0]
    assert problem["kind"] == "embedding_engine" and "HTTP 401" in problem["detail"]
    proxy.refuse_key = False
    proxy.stop()
    (workspace / "cobra-go" / "args.go").write_text("package cobra\n\nfunc Added() {}\n")
    await _index(service)
    status = await service.status()
    assert status["embeddings"]["source"]["health"]["answering"] is False
    shown = json.dumps([status, report, info]) + caplog.text
    assert secret not in shown
    assert "<key>" in problem["detail"]
