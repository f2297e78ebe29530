"""Load: 20 clients query without a single failure while a worker process reindexes everything.

A Django subset (django/db/models and django/utils, 88 files) indexed with the tiny model;
a quarter of its files then gain a new function, so the forced full reindex both swaps
every file's rows in SQLite and writes new vectors to LanceDB (and the worker, idle again,
compacts and cleans up old table versions and tidies index.db). Meanwhile 20 clients query
in a loop: lexical, semantic and hybrid search, symbols, status, until the worker has
tidied.

The clients are asyncio tasks of this process, each over its own `CodeIndexService`
(`worker="none"`), as editors and agents would be: each has its own SQLite connections,
which is what readers can conflict over (locks, snapshots), and sends its semantic and
hybrid queries to the worker process over its query socket, which answers them from
LanceDB while it rewrites the tables (the table versions the writer removes). A session
(`start_session`) keeps that worker alive between tasks, as an editor's does. Twenty
client processes would spend the two cores this machine has on starting Python, not on
querying beside the reindex; and a failure here comes with its traceback.

A failed query is one that raises, or that finds nothing where the index holds matches
(a reader must see each file old or new, never empty). Latencies are printed, not asserted.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import background_workers, cli_env, copy_tree, index_with_cli
from tests.reliability.checks import until

from codeindex.app.service import CodeIndexService
from codeindex.storage.meta import TIDIED_AT

DJANGO_SLICE = ["django/db/models", "django/utils"]
CLIENTS = 20
WORDS = ["queryset", "timezone", "lazy", "escape", "aggregate", "deconstruct", "cache", "field"]
SYMBOLS = ["QuerySet", "Field", "timezone", "Model", "cached_property", "Lookup", "F", "Q"]


@pytest.fixture(scope="module")
def django_indexed(
    django_src: Path, tiny_model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The Django subset indexed once with the tiny model (read-only: copy it)."""
    root = copy_tree(django_src, tmp_path_factory.mktemp("load") / "dj", DJANGO_SLICE)
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path), CODEINDEX_ALLOW_DOWNLOAD="0")
    index_with_cli(root, env=env)
    return root


Query = Callable[[CodeIndexService, int], Awaitable[int]]


async def _lexical(service: CodeIndexService, n: int) -> int:
    return len((await service.search(WORDS[n % len(WORDS)], mode="lexical"))["hits"])


async def _semantic(service: CodeIndexService, n: int) -> int:
    return len((await service.search(f"how to {WORDS[n % len(WORDS)]}", mode="semantic"))["hits"])


async def _hybrid(service: CodeIndexService, n: int) -> int:
    return len((await service.search(WORDS[n % len(WORDS)], mode="hybrid"))["hits"])


async def _symbols(service: CodeIndexService, n: int) -> int:
    return len(await service.find_symbols(SYMBOLS[n % len(SYMBOLS)]))


async def _status(service: CodeIndexService, n: int) -> int:
    return int((await service.status())["files"]["total"])


QUERIES: dict[str, Query] = {
    "lexical": _lexical,
    "semantic": _semantic,
    "hybrid": _hybrid,
    "symbols": _symbols,
    "status": _status,
}


def _edit_a_quarter(root: Path) -> int:
    files = sorted(root.rglob("*.py"))[::4]
    for n, path in enumerate(files):
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"\n\ndef added_under_load_{n}():\n    return 'new text {n} to embed'\n")
    return len(files)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def test_twenty_clients_query_through_a_full_reindex_without_a_failure(
    django_indexed: Path, tmp_path: Path, tiny_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEINDEX_WORKER_LINGER", "0")
    root = copy_tree(django_indexed, tmp_path / "dj")
    edited = _edit_a_quarter(root)
    clients = [await CodeIndexService.open(root, worker="none") for _ in range(CLIENTS)]
    front = await CodeIndexService.open(root)
    await front.start_session("load")  # a worker serves while the session lives
    latencies: dict[str, list[float]] = {kind: [] for kind in QUERIES}
    failures: list[str] = []
    done = asyncio.Event()

    async def client(index: int, service: CodeIndexService) -> None:
        kinds = list(QUERIES)
        n = index
        while not done.is_set():
            kind = kinds[n % len(kinds)]
            started = time.perf_counter()
            try:
                found = await QUERIES[kind](service, n)
            except Exception as exc:
                failures.append(f"client {index} {kind}: {type(exc).__name__}: {exc}")
            else:
                latencies[kind].append(time.perf_counter() - started)
                if not found:
                    failures.append(f"client {index} {kind} #{n}: nothing found")
            n += 1

    try:
        for n, service in enumerate(clients):  # warm: each client has loaded its model
            for kind, query in QUERIES.items():
                assert await query(service, n), kind
        tidied_before = await front.storage.meta.get(TIDIED_AT) or 0.0
        workers = [asyncio.create_task(client(i, s)) for i, s in enumerate(clients)]
        started = time.monotonic()
        resp = await front.force_reindex("project")
        async with asyncio.timeout(300):
            final = await front.wait(resp["task_id"])

            async def compacted() -> bool:  # idle after the task: vectors compacted, db tidied
                tidied = await front.storage.meta.get(TIDIED_AT)
                return tidied is not None and tidied > tidied_before

            await until(compacted, "the worker compacted and tidied", 120)
        duration = time.monotonic() - started
        done.set()
        await asyncio.gather(*workers)
        await front.end_session()  # now the worker may leave

        async def worker_left() -> bool:
            return await front.queue.live_lease() is None

        await until(worker_left, "the worker left", 120)
        every = [t for values in latencies.values() for t in values]
        print(
            f"\nload: {CLIENTS} clients, {len(every)} queries over {duration:.1f} s of a forced "
            f"full reindex ({final['items_total']} files, {edited} edited): "
            f"{len(failures)} failed; p50 {_percentile(every, 50) * 1000:.1f} ms, "
            f"p95 {_percentile(every, 95) * 1000:.1f} ms"
        )
        for kind, values in latencies.items():
            print(
                f"  {kind:8} n={len(values):5} p50 {_percentile(values, 50) * 1000:7.1f} ms"
                f"  p95 {_percentile(values, 95) * 1000:7.1f} ms"
            )
        assert final["status"] == "Completed", final
        assert final["summary"]["embeddings_generated"] >= edited
        assert not failures, failures[:20]
        assert all(latencies.values()), {k: len(v) for k, v in latencies.items()}
        assert (await front.validate())["ok"]
        stats: dict[str, Any] = await front.status()
        assert stats["embeddings"]["chunks_pending"] == 0
    finally:
        done.set()
        for service in clients:
            await service.close()
        await front.close()
        for pid in background_workers(root):
            os.kill(pid, signal.SIGTERM)
