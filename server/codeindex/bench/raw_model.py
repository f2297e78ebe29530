"""Item 1: the model alone on this index's chunk texts, fastembed defaults vs our batching.

Its fastembed-default rate is the yardstick of the cold index's embedding efficiency.
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass

from codeindex.bench.cold import ColdIndexResult
from codeindex.bench.config import SEED, BenchError
from codeindex.bench.session import Run
from codeindex.embedder import FastEmbedder
from codeindex.service import CodeIndexService


@dataclass(slots=True)
class RawModelResult:
    """1. The model alone on this index's chunk texts: fastembed defaults vs our batching."""

    texts: int
    tokens: int
    batch_size: int
    default_seconds: float
    default_tokens_per_s: float
    pipeline_seconds: float
    pipeline_tokens_per_s: float
    pipeline_over_default: float
    pipeline_peak_rss_bytes: int
    default_peak_rss_bytes: int


async def _embedder(service: CodeIndexService) -> FastEmbedder:
    embedder, _ = await service.models.configured()
    if not isinstance(embedder, FastEmbedder):
        raise BenchError(f"the configured model is a {type(embedder).__name__}, not fastembed")
    return embedder


async def distinct_texts(service: CodeIndexService) -> list[str]:
    """Every distinct chunk text of the index, ordered by its hash."""
    return await service.storage.distinct_chunk_texts()


def _seconds(fn: Callable[[list[str]], object], texts: list[str]) -> float:
    started = time.perf_counter()
    fn(texts)
    return time.perf_counter() - started


async def measure_raw_model(run: Run, texts: list[str]) -> RawModelResult:
    """Tokens/s of fastembed's embed(texts) with defaults vs the pipeline's sorted batches.

    The sample is split in halves, run B A A B, so drift in the machine's load cancels;
    this process's peak RSS is read after the first B and after the As.
    """
    embedder = await _embedder(run.service)
    model = embedder._model  # the loaded fastembed TextEmbedding
    batch = run.service.settings.embed_batch_size
    sample = random.Random(SEED).sample(texts, min(run.config.raw_texts, len(texts)))
    tokens = sum(await asyncio.to_thread(embedder.count_tokens, sample))

    def default(part: list[str]) -> None:
        list(model.embed(part))

    def pipeline(part: list[str]) -> None:
        ordered = sorted(part, key=len)
        for i in range(0, len(ordered), batch):
            embedder.embed(ordered[i : i + batch])

    halves = [sample[: len(sample) // 2], sample[len(sample) // 2 :]]
    await asyncio.to_thread(_seconds, default, sample[:batch])
    await asyncio.to_thread(_seconds, pipeline, sample[:batch])
    spent = {"default": 0.0, "pipeline": 0.0}
    peak = {"default": 0, "pipeline": 0}
    order: list[tuple[str, Callable[[list[str]], None], int]] = [
        ("pipeline", pipeline, 0),
        ("default", default, 0),
        ("default", default, 1),
        ("pipeline", pipeline, 1),
    ]
    for name, fn, half in order:
        run.log(f"raw model: {name} on {len(halves[half])} texts")
        spent[name] += await asyncio.to_thread(_seconds, fn, halves[half])
        peak[name] = peak[name] or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    default_rate = tokens / spent["default"]
    pipeline_rate = tokens / spent["pipeline"]
    return RawModelResult(
        texts=len(sample),
        tokens=tokens,
        batch_size=batch,
        default_seconds=spent["default"],
        default_tokens_per_s=default_rate,
        pipeline_seconds=spent["pipeline"],
        pipeline_tokens_per_s=pipeline_rate,
        pipeline_over_default=pipeline_rate / default_rate,
        pipeline_peak_rss_bytes=peak["pipeline"],
        default_peak_rss_bytes=peak["default"],
    )


async def complete_cold(
    run: Run, cold: ColdIndexResult, texts: list[str], raw: RawModelResult
) -> None:
    """Tokens of every distinct text embedded, and the efficiency against the raw model."""
    embedder = await _embedder(run.service)
    cold.distinct_texts = len(texts)
    cold.tokens = sum(await asyncio.to_thread(embedder.count_tokens, texts))
    cold.tokens_per_s = cold.tokens / cold.wall_seconds
    cold.embedding_efficiency = cold.tokens_per_s / raw.default_tokens_per_s
