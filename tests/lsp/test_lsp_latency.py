"""The workspace/symbol latency probe that `codeindex bench` can use: real client, real
server subprocess, idle and while a full reindex runs (figures are not asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeindex.bench.latency import SymbolProbe, percentile

QUERIES = ["Command", "Regex", "Observable"]


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [
        pytest.param([5.0], 95, 5.0, id="one"),
        pytest.param([1.0, 2.0, 3.0, 4.0], 50, 2.0, id="median-nearest-rank"),
        pytest.param([float(v) for v in range(1, 101)], 95, 95.0, id="p95-of-100"),
        pytest.param([3.0, 1.0, 2.0], 100, 3.0, id="max"),
    ],
)
def test_percentile(values: list[float], pct: float, expected: float) -> None:
    assert percentile(values, pct) == expected


async def test_probe_measures_idle_and_during_a_full_reindex(
    workspace: Path, tiny_server_env: dict[str, str]
) -> None:
    async with SymbolProbe(workspace, env=tiny_server_env) as probe:
        idle = await probe.measure(QUERIES, rounds=3)
        task = await probe.command("codeindex.forceReindex", {"scope": "project"})
        busy = await probe.measure_during(task["task_id"], QUERIES)
        final = await probe.command("codeindex.reindexStatus", {"task_id": task["task_id"]})
    assert len(idle) == 9 and all(ms > 0 for ms in idle)
    assert len(busy) >= 3 and len(busy) % 3 == 0 and all(ms > 0 for ms in busy)
    assert final["status"] == "Completed"
    print(
        f"workspace/symbol p95: idle {percentile(idle, 95):.1f} ms, "
        f"during a full reindex {percentile(busy, 95):.1f} ms ({len(busy)} requests)"
    )
