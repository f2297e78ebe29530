"""Item 1: the model alone on this index's chunk texts, fastembed defaults vs our batching,
fp32 vs its int8 variant, and the share of the machine's FLOP ceiling.

The fp32 model through fastembed's defaults is the yardstick ("today's" rate): the cold
index's efficiency and the int8 gain are ratios to it, measured in the same run. The
ceiling is the fp32 matrix-multiply rate this process measures with numpy, divided by the
model's multiply-adds per token (2 x the weights of its MatMul nodes, from the ONNX file;
attention's own products are left out, so the ceiling is a little optimistic).
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from codeindex.app.service import CodeIndexService
from codeindex.bench.cold import ColdIndexResult
from codeindex.bench.common import SEED, BenchError
from codeindex.bench.session import Run
from codeindex.embedding.context import embed_text
from codeindex.embedding.loader import ModelLoader
from codeindex.embedding.local import FastEmbedder, load_embedder
from codeindex.embedding.spec import ModelSpec


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
    int8_model: str = ""
    int8_tokens_per_s: float = 0.0
    int8_over_fp32_default: float = 0.0
    int8_over_fp32_pipeline: float = 0.0
    cosine_texts: int = 0
    cosine_mean: float = 0.0
    cosine_min: float = 0.0
    flops_per_token: float = 0.0
    matmul_gflops: float = 0.0
    ceiling_tokens_per_s: float = 0.0


async def _embedder(service: CodeIndexService) -> FastEmbedder:
    embedder, _ = await ModelLoader(service.models).configured()
    if not isinstance(embedder, FastEmbedder):
        raise BenchError(f"the configured model is a {type(embedder).__name__}, not fastembed")
    return embedder


def _variants(run: Run) -> tuple[FastEmbedder, FastEmbedder]:
    """The fp32 model of the bench's folder and its int8 variant (made once, cached)."""
    settings = run.service.settings
    spec = ModelSpec(
        path=run.config.model_path,
        max_tokens=settings.embed_max_tokens,
        threads=settings.embed_threads,
    )
    return load_embedder(spec), load_embedder(replace(spec, quantize="int8"))


def matmul_gflops(size: int = 768, seconds: float = 1.0) -> float:
    """The fp32 matrix-multiply rate of this machine now (numpy's BLAS, all its threads)."""
    a = np.random.default_rng(SEED).standard_normal((size, size), dtype=np.float32)
    b = np.random.default_rng(SEED + 1).standard_normal((size, size), dtype=np.float32)
    a @ b  # warm-up
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        a @ b
        done += 1
    return 2.0 * size**3 * done / (time.perf_counter() - started) / 1e9


def flops_per_token(model_file: Path) -> float:
    """2 x the weights that MatMul/Gemm nodes multiply each token by (ONNX initializers)."""
    import onnx

    model = onnx.load(str(model_file), load_external_data=False)
    shapes = {init.name: list(init.dims) for init in model.graph.initializer}
    total = 0
    for node in model.graph.node:
        if node.op_type in ("MatMul", "Gemm"):
            for name in node.input[1:2]:
                dims = shapes.get(name)
                if dims and len(dims) == 2:
                    total += dims[0] * dims[1]
    return 2.0 * total


async def distinct_texts(service: CodeIndexService) -> list[str]:
    """Every distinct chunk text of the index as the model sees it, ordered by its hash."""
    chunks = await service.storage.distinct_chunk_texts()
    return [embed_text(c.path, c.context, c.text) for c in chunks]


def _seconds(fn: Callable[[list[str]], object], texts: list[str]) -> float:
    started = time.perf_counter()
    fn(texts)
    return time.perf_counter() - started


async def measure_raw_model(run: Run, texts: list[str]) -> RawModelResult:
    """Tokens/s of fastembed's embed(texts) with defaults vs the pipeline's sorted batches.

    The sample is split in halves, run B A A B, so drift in the machine's load cancels;
    this process's peak RSS is read after the first B and after the As.
    """
    embedder, int8 = await asyncio.to_thread(_variants, run)
    batch = run.service.settings.embed_batch_size
    sample = random.Random(SEED).sample(texts, min(run.config.raw_texts, len(texts)))
    tokens = sum(await asyncio.to_thread(embedder.count_tokens, sample))
    spent, peak = await _timed(run, embedder, int8, sample, batch)
    default_rate = tokens / spent["default"]
    pipeline_rate = tokens / spent["pipeline"]
    int8_rate = tokens / spent["int8"]
    probe = sample[: min(300, len(sample))]
    cosines = await asyncio.to_thread(
        lambda: (embedder.embed(probe) * int8.embed(probe)).sum(axis=1)
    )
    gflops = await asyncio.to_thread(matmul_gflops)
    per_token = await asyncio.to_thread(
        flops_per_token, Path(embedder.identity.source) / "model.onnx"
    )
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
        int8_model=int8.identity.name,
        int8_tokens_per_s=int8_rate,
        int8_over_fp32_default=int8_rate / default_rate,
        int8_over_fp32_pipeline=int8_rate / pipeline_rate,
        cosine_texts=len(probe),
        cosine_mean=float(cosines.mean()),
        cosine_min=float(cosines.min()),
        flops_per_token=per_token,
        matmul_gflops=gflops,
        ceiling_tokens_per_s=gflops * 1e9 / per_token if per_token else 0.0,
    )


async def _timed(
    run: Run, embedder: FastEmbedder, int8: FastEmbedder, sample: list[str], batch: int
) -> tuple[dict[str, float], dict[str, int]]:
    """Seconds spent and peak RSS of each way to embed `sample` (fastembed's default, the
    pipeline's batches in fp32 and int8), after one warm-up batch of each."""
    model = embedder._model  # the loaded fastembed TextEmbedding

    def default(part: list[str]) -> None:
        list(model.embed(part))

    def pipeline(part: list[str], chosen: FastEmbedder = embedder) -> None:
        ordered = sorted(part, key=len)
        for i in range(0, len(ordered), batch):
            chosen.embed(ordered[i : i + batch])

    def pipeline_int8(part: list[str]) -> None:
        pipeline(part, int8)

    halves = [sample[: len(sample) // 2], sample[len(sample) // 2 :]]
    await asyncio.to_thread(_seconds, default, sample[:batch])
    await asyncio.to_thread(_seconds, pipeline, sample[:batch])
    await asyncio.to_thread(_seconds, pipeline_int8, sample[:batch])
    spent = {"default": 0.0, "pipeline": 0.0, "int8": 0.0}
    peak = {"default": 0, "pipeline": 0, "int8": 0}
    order: list[tuple[str, Callable[[list[str]], None], int]] = [
        ("pipeline", pipeline, 0),
        ("int8", pipeline_int8, 0),
        ("default", default, 0),
        ("default", default, 1),
        ("int8", pipeline_int8, 1),
        ("pipeline", pipeline, 1),
    ]
    for name, fn, half in order:
        run.log(f"raw model: {name} on {len(halves[half])} texts")
        spent[name] += await asyncio.to_thread(_seconds, fn, halves[half])
        peak[name] = peak[name] or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return spent, peak


async def complete_cold(
    run: Run, cold: ColdIndexResult, texts: list[str], raw: RawModelResult
) -> None:
    """Tokens of every distinct text embedded, and the efficiency against the raw model."""
    embedder = await _embedder(run.service)
    cold.distinct_texts = len(texts)
    cold.tokens = sum(await asyncio.to_thread(embedder.count_tokens, texts))
    cold.tokens_per_s = cold.tokens / cold.wall_seconds
    cold.embedding_efficiency = cold.tokens_per_s / raw.default_tokens_per_s
    if raw.ceiling_tokens_per_s:
        cold.ceiling_share = cold.tokens_per_s / raw.ceiling_tokens_per_s
