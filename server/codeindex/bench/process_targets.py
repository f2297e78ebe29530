"""The table's rows of the items measured on whole codeindex processes started as a user
starts them: 15, `codeindex index` of minified code (`minified`), and 16, agent and editor
sessions against a warm worker (`frontends`): each front-end's time to its first semantic
answer, its memory, and no ONNX Runtime in it."""

from __future__ import annotations

from codeindex.bench.frontends import SPAWNS, FrontendsResult
from codeindex.bench.minified import MinifiedResult
from codeindex.bench.report import TargetRow

FRONTENDS_ITEM = 16
FIRST_ANSWER_SECONDS = 1.5
RSS_BYTES = 150_000_000
MB = 1e6


def minified_rows(m: MinifiedResult) -> list[TargetRow]:
    """One file of minified code on one line against the same code on many lines."""
    return [
        TargetRow(
            15,
            f"`codeindex index` of {m.file_bytes / 1e6:.1f} MB of minified JS: one line / "
            f"the same {m.statements:,} statements on as many lines",
            f"{m.one_line_seconds:.1f} s / {m.many_lines_seconds:.1f} s ({m.ratio:.2f}x)",
            "≤ 2x",
            m.ratio <= 2.0,
            "minified.ratio",
        )
    ]


def frontend_rows(result: FrontendsResult) -> list[TargetRow]:
    """Time to the first semantic answer, RSS after the queries, ONNX Runtime mapped."""
    mcp, lsp = result.mcp, result.lsp
    return [
        TargetRow(
            FRONTENDS_ITEM,
            f"spawn → first semantic answer, warm worker, median of {SPAWNS} (initialize "
            "answered): `codeindex mcp` (SDK client) / `codeindex lsp` (raw LSP client)",
            f"{mcp.first_answer_seconds:.2f} s ({mcp.initialize_seconds:.2f} s) / "
            f"{lsp.first_answer_seconds:.2f} s ({lsp.initialize_seconds:.2f} s)",
            f"≤ {FIRST_ANSWER_SECONDS} s each",
            max(mcp.first_answer_seconds, lsp.first_answer_seconds) <= FIRST_ANSWER_SECONDS,
            "frontends.first_answer_seconds",
        ),
        TargetRow(
            FRONTENDS_ITEM,
            f"front-end RSS after {result.queries_per_spawn} semantic queries, largest of "
            f"{SPAWNS}: mcp / lsp",
            f"{mcp.rss_bytes / MB:.0f} MB / {lsp.rss_bytes / MB:.0f} MB",
            f"≤ {RSS_BYTES / MB:.0f} MB each",
            max(mcp.rss_bytes, lsp.rss_bytes) <= RSS_BYTES,
            "frontends.rss_bytes",
        ),
        TargetRow(
            FRONTENDS_ITEM,
            "onnxruntime library mapped in a front-end process (/proc/PID/maps): mcp / lsp",
            f"{_yes_no(mcp.onnxruntime_mapped)} / {_yes_no(lsp.onnxruntime_mapped)}",
            "no",
            not (mcp.onnxruntime_mapped or lsp.onnxruntime_mapped),
            "frontends.onnxruntime_mapped",
        ),
    ]


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"
