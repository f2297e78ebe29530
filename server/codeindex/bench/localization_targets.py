"""The table's rows of item 14, file-level localization (`localization`): each mode and
the BM25-over-files baseline on the report half, and the targets of hybrid search."""

from __future__ import annotations

from codeindex.bench.localization import BASELINE, LocalizationResult
from codeindex.bench.report import TargetRow

ITEM = 14
RECALL_AT_5 = 0.90
ACC_AT_5 = 0.85
OVER_BASELINE = 0.15
NON_SOURCE_FIRST = 0.05


def localization_rows(result: LocalizationResult) -> list[TargetRow]:
    """One row per mode and the baseline, then the targets of hybrid search."""
    if not result.scores:
        return [TargetRow(ITEM, "localization", result.note or "—", "—", None, "localization")]
    rows = []
    for mode, splits in result.scores.items():
        report, tune = splits["report"], splits["tune"]
        rows.append(
            TargetRow(
                ITEM,
                f"localization {mode}: file R@1 / R@5 / R@10, Acc@5, MRR (report; tune R@5)",
                f"{report.recall_at_1:.2f} / {report.recall_at_5:.2f} / "
                f"{report.recall_at_10:.2f}, {report.acc_at_5:.2f}, {report.mrr:.2f} "
                f"({report.questions} q; tune {tune.recall_at_5:.2f} of {tune.questions})",
                "—",
                None,
                f"localization.scores.{mode}",
            )
        )
    hybrid, base = result.scores["hybrid"]["report"], result.scores[BASELINE]["report"]
    rows.append(
        TargetRow(
            ITEM,
            "localization hybrid R@5, Acc@5 (report) vs BM25 over files",
            f"{hybrid.recall_at_5:.2f} (+{hybrid.recall_at_5 - base.recall_at_5:.2f}), "
            f"{hybrid.acc_at_5:.2f} (+{hybrid.acc_at_5 - base.acc_at_5:.2f})",
            f"≥ {RECALL_AT_5}, ≥ {ACC_AT_5}, each ≥ +{OVER_BASELINE}",
            hybrid.recall_at_5 >= RECALL_AT_5
            and hybrid.acc_at_5 >= ACC_AT_5
            and hybrid.recall_at_5 - base.recall_at_5 >= OVER_BASELINE
            and hybrid.acc_at_5 - base.acc_at_5 >= OVER_BASELINE,
            "localization.scores.hybrid.report",
        )
    )
    rows.append(
        TargetRow(
            ITEM,
            "localization hybrid: a test, doc or changelog first (report, questions not "
            "asking for one)",
            f"{hybrid.non_source_first:.1%} of {hybrid.unasked} "
            f"(BM25 over files {base.non_source_first:.1%})",
            f"≤ {NON_SOURCE_FIRST:.0%}",
            hybrid.non_source_first <= NON_SOURCE_FIRST,
            "localization.scores.hybrid.report.non_source_first",
        )
    )
    return rows
