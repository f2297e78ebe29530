"""`codeindex bench --quick` end to end: every figure is reported and sane, never how fast.

The machine is shared and noisy, so nothing here asserts a speed or a target met:
only that each measurement ran, its numbers are consistent with each other, and
invariants the bench observes hold (no re-embedding after a parser bump, no
query errors while a reindex runs).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import cli_env, copy_tree

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus

MODES = ("semantic", "lexical", "hybrid", "symbol")


def _positive(group: dict[str, Any], *keys: str) -> None:
    for key in keys:
        assert group[key] > 0, f"{key} = {group[key]!r}"


def test_bench_quick_reports_every_figure(
    polyglot_src: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    corpus = copy_tree(polyglot_src, tmp_path / "corpus", ["cobra-go"])  # the questions' paths
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "codeindex",
            "bench",
            str(corpus),
            "--quick",
            "--model-path",
            str(tiny_model_path),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=540,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "codeindex bench" in proc.stdout and "Met?" in proc.stdout
    report = json.loads(out.read_text(encoding="utf-8"))

    meta = report["meta"]
    assert meta["quick"] is True
    assert 0 < meta["files_copied"] <= 150

    raw = report["raw_model"]
    _positive(raw, "texts", "tokens", "default_tokens_per_s", "pipeline_tokens_per_s")
    assert raw["pipeline_over_default"] > 0
    _positive(raw, "int8_tokens_per_s", "int8_over_fp32_default", "cosine_texts")
    _positive(raw, "flops_per_token", "matmul_gflops", "ceiling_tokens_per_s")
    assert raw["int8_model"] == "tiny-bert-128-onnx-int8"
    assert -1 <= raw["cosine_min"] <= raw["cosine_mean"] <= 1

    cold = report["cold_index"]
    assert cold["files"] == meta["files_copied"]
    assert cold["files_failed"] == 0
    assert cold["chunks"] >= cold["distinct_texts"] > 0
    assert cold["embeddings_generated"] == cold["distinct_texts"]
    assert raw["texts"] == min(200, cold["distinct_texts"])
    _positive(cold, "tokens", "wall_seconds", "task_seconds", "tokens_per_s", "worker_cpu_seconds")
    assert cold["embedding_efficiency"] > 0
    assert cold["ceiling_share"] > 0

    ready = report["search_ready"]
    assert ready["files"] == cold["files"]
    assert 0 < ready["seconds"] <= cold["wall_seconds"] + 1

    inc = report["incremental"]
    assert inc["cli_no_change_items"] == 0
    _positive(
        inc,
        "cli_no_change_seconds",
        "cli_one_file_seconds",
        "api_no_change_seconds",
        "api_one_file_seconds",
        "one_file_speedup_cli",
        "one_file_speedup_api",
    )
    assert (corpus / inc["edited_path"]).is_file()

    bump = report["parser_bump"]
    assert bump["files"] == cold["files"]
    assert bump["embeddings_generated"] == 0
    _positive(bump, "wall_seconds", "speedup_over_cold", "over_one_file_api")

    queries = report["queries"]
    assert queries["errors_idle"] == 0 and queries["errors_during"] == 0, queries
    for mode in MODES:
        idle = queries["idle"][mode]
        assert idle["count"] > 0
        assert 0 <= idle["p50_ms"] <= idle["p95_ms"]
        during = queries["during"][mode]
        if during["count"]:
            assert 0 <= during["p50_ms"] <= during["p95_ms"]

    kinds = [row["kind"] for row in report["progress"]]
    assert kinds[:2] == ["cold index", "full reindex, vectors cached"], kinds
    assert kinds[2].startswith("directory ") and kinds[3] == "embeddings-only", kinds
    assert kinds[4].endswith("busy from half-way"), kinds
    for row in report["progress"]:
        assert row["samples"] > 0 and row["seconds"] > 0 and row["items"] > 0, row
        assert 0 <= row["mean_abs_error"] <= row["max_abs_error"] <= 1, row
        assert row["estimated_seconds"] is not None, row
    assert report["progress"][4]["busy_from"] is not None

    assert report["priority"]["seconds"] > 0
    assert report["enqueue"]["worst_seconds"] >= report["enqueue"]["cold_seconds"] > 0
    assert report["memory"]["worker_peak_rss_bytes"] > 0

    retrieval = report["retrieval"]
    assert retrieval["source"] == "doc-comments"
    assert 0 < retrieval["probes"] <= 20
    for score in retrieval["modes"].values():
        assert 0 <= score["recall_at_1"] <= score["mrr"] <= score["recall_at_10"] <= 1

    questions = report["questions"]
    assert questions["questions"] >= 15  # the cobra questions of tests/data/queries
    for splits in questions["scores"].values():
        for score in splits.values():
            assert score["questions"] > 0
            assert 0 <= score["recall_at_5"] <= score["recall_at_10"] <= 1

    localization = report["localization"]
    assert localization["questions"] >= 60  # the cobra commits of tests/data/commits
    assert set(localization["scores"]) == {"lexical", "semantic", "hybrid", "bm25-files"}
    for splits in localization["scores"].values():
        for score in splits.values():
            assert score["questions"] > 0
            assert 0 <= score["recall_at_1"] <= score["recall_at_5"] <= score["recall_at_10"] <= 1
            assert 0 <= score["acc_at_5"] <= 1 and 0 <= score["non_source_first"] <= 1

    cli = report["cli_queries"]
    for group in (cli["with_worker"], cli["without_worker"]):
        assert set(group) == set(MODES)
        assert all(0 < lat["p50_ms"] <= lat["max_ms"] for lat in group.values())

    symbols = report["editor_symbols"]
    assert symbols["idle_requests"] >= 12 and symbols["during_requests"] >= 4
    assert 0 < symbols["idle_p50_ms"] <= symbols["idle_p95_ms"]
    assert 0 < symbols["during_p50_ms"] <= symbols["during_p95_ms"]
    assert any(row["key"] == "editor_symbols" for row in report["targets"])

    frontends = report["frontends"]
    assert frontends["queries_per_spawn"] == 5
    for name in ("mcp", "lsp"):
        front_end = frontends[name]
        assert len(front_end["spawns"]) == 3
        for spawn in front_end["spawns"]:
            assert 0 < spawn["initialize_seconds"] < spawn["first_answer_seconds"], spawn
            assert len(spawn["query_ms"]) == 5 and min(spawn["query_ms"]) > 0
            assert spawn["rss_bytes"] > 0
        assert front_end["rss_bytes"] == max(s["rss_bytes"] for s in front_end["spawns"])
        assert front_end["onnxruntime_mapped"] is False, front_end  # the model is the worker's
    keys = {row["key"] for row in report["targets"] if row["item"] == 16}
    assert keys == {
        f"frontends.{k}" for k in ("first_answer_seconds", "rss_bytes", "onnxruntime_mapped")
    }

    minified = report["minified"]
    assert minified["file_bytes"] >= 1_000_000 and minified["statements"] > 1000
    _positive(minified, "one_line_seconds", "many_lines_seconds")
    row = next(row for row in report["targets"] if row["key"] == "minified.ratio")
    assert row["met"], row  # one line costs at most twice as much as many lines
    agent = report["agent_reads"]
    assert agent["source"] == "doc-comments" and 0 < agent["probes"] <= 20
    assert (
        agent["probed"] + agent["other"] + agent["no_symbol"] + agent["errors"] >= agent["probes"]
    )
    assert agent["probed"] > 0  # search -> get_symbol reads some probed functions
    assert 0 < agent["median_ratio_json_only"] <= agent["median_ratio"] <= agent["p90_ratio"]
    _positive(agent, "median_chars", "median_file_chars", "median_ratio_got_symbol")
    for read in agent["reads"]:
        assert read["file_chars"] > 0 and read["search_json_chars"] > 0, read
        assert (read["symbol_json_chars"] > 0) == (read["outcome"] in ("probed", "other")), read
    assert any(row["key"] == "agent_reads.median_ratio" for row in report["targets"])
    assert {row["item"] for row in report["targets"]} == set(range(1, 18))
    assert all(row["met"] in (True, False, None) for row in report["targets"])
