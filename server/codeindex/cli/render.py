"""The CLI's text output: the two consoles, JSON-or-text emission, renderers, the progress bar.

Data goes to `out` (stdout); progress, notes and errors go to `err` (stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from codeindex.cli.lines import result_lines, shown, symbol_line
from codeindex.contract import (
    Embeddings,
    IndexStatus,
    QueueInfo,
    ReindexResponse,
    SearchResponse,
    SymbolInfo,
    TaskInfo,
    TaskListEntry,
    ValidationReport,
    WatcherStatus,
)

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def emit(args: argparse.Namespace, data: Any, render: Callable[[Any], None]) -> None:
    """Print `data` as JSON with --json, else as `render` shows it."""
    if args.json:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    else:
        render(data)


def eta_text(status: TaskInfo) -> str:
    """The time left the task reports, as h:mm:ss: none while it is paused or not estimated."""
    if status["status"] == "Paused":
        return "paused"
    eta = status.get("eta_seconds")
    if eta is None:
        return "-:--:--"
    seconds = round(eta)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


BAR_STEPS = 1000  # the bar shows the task's progress (its estimated run time done)


def shortened(path: str, room: int) -> str:
    """The path in `room` characters: its end kept (the file name), nothing when under 12."""
    if room < 12:
        return ""
    return path if len(path) <= room else "…" + path[-(room - 1) :]


class ProgressBar:
    """A rich progress bar on stderr fed by task status dicts: the bar and the ETA are the
    task's own progress and ETA; the counts are its files.

    It fits the terminal: on a narrow one the bar shrinks, then the current file's path
    shortens and then disappears; the counter, rate, elapsed time and ETA always show.
    """

    def __init__(self, label: str) -> None:
        self.bar = BarColumn()
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            self.bar,
            TextColumn("{task.fields[files]}"),
            TextColumn("files"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TextColumn("{task.fields[eta]}", style="cyan"),
            TextColumn("{task.fields[current]}", style="dim"),
            console=err,
            transient=False,
        )
        self.task: TaskID | None = None
        self.label = label

    def __enter__(self) -> ProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, status: TaskInfo) -> None:
        total = status["items_total"]
        done = status["items_completed"] + status["items_failed"]
        if self.task is None:
            self.task = self.progress.add_task(
                self.label, total=BAR_STEPS, rate="", current="", files="", eta=""
            )
        elapsed = self.progress.tasks[0].elapsed or 0
        rate = f"{done / elapsed:,.0f} files/s" if elapsed > 0.5 else ""
        paused = status["status"] == "Paused"
        if paused:
            rate = "paused"
        # what the other columns take: text, an h:mm:ss each for elapsed and ETA, 8 gaps
        used = len(self.label) + 2 * len(str(total)) + 1 + len(" files ETA") + len(rate) + 24
        self.bar.bar_width = max(8, min(40, self.progress.console.width - used - 30))
        room = min(50, self.progress.console.width - used - self.bar.bar_width - 2)
        current = "" if paused else shortened(status.get("current_file") or "", room)
        self.progress.update(
            self.task,
            completed=round(status["progress"] * BAR_STEPS),
            rate=rate,
            current=current,
            files=f"{done}/{total}",
            eta=eta_text(status),
        )


def render_reindex(resp: ReindexResponse) -> None:
    """A reindex response: the task, and its result once it has one."""
    out.print(f"task {resp['task_id']}: {resp['status']} — {resp['message']}")
    result = resp.get("result")
    if result:
        summary = result["summary"]
        out.print(
            f"{result['items_completed']} done, {result['items_failed']} failed in "
            f"{result['duration_seconds']:.1f}s: {summary['files_processed']} files, "
            f"{summary['symbols_extracted']} symbols, {summary['chunks_created']} chunks, "
            f"{summary['embeddings_generated']} embeddings"
        )
        for failure in result["failures"][:20]:
            out.print(f"  failed: {shown(failure['path'])}: {failure['error']}")
    elif resp.get("estimated_duration_seconds") is not None:
        out.print(
            f"estimated {resp['estimated_duration_seconds']}s; "
            f"follow it with `codeindex task {resp['task_id']}`"
        )


def render_hits(result: SearchResponse, *, context: bool) -> None:
    """Search hits, one per line (with their context lines if asked for), after the
    search's note if any."""
    note = result.get("note")
    if note:
        err.print(f"[yellow]note:[/] {escape(note)}")
    for line in result_lines(result, context=context):
        out.print(line)


def render_symbols(data: list[SymbolInfo]) -> None:
    """Found symbols, one per line."""
    if not data:
        out.print("no symbols")
    for s in data:
        out.print(symbol_line(s))


def render_status(data: IndexStatus) -> None:
    """The index's state as a table, then the files not indexed."""
    files = data["files"]
    table = Table(show_header=False, box=None)
    table.add_row("workspace", data["workspace"])
    table.add_row("data dir", f"{data['data_dir']} ({data['data_dir_bytes'] / 1e6:.1f} MB)")
    if data.get("storage_note"):
        table.add_row("", data["storage_note"])
    table.add_row(
        "files",
        f"{files['total']} " + ", ".join(f"{k} {v}" for k, v in sorted(files["by_status"].items())),
    )
    table.add_row("languages", ", ".join(f"{k} {v}" for k, v in files["by_language"].items()))
    if files.get("by_encoding"):
        table.add_row("not UTF-8", ", ".join(f"{k} {v}" for k, v in files["by_encoding"].items()))
    table.add_row("symbols / chunks", f"{data['symbols']} / {data['chunks']}")
    table.add_row("last full index", str(data["last_full_index_at"]))
    table.add_row("schema / parser", f"{data['schema_version']} / {data['parser_version']}")
    _embedding_rows(table, data["embeddings"])
    _queue_rows(table, data["queue"])
    table.add_row("watcher", _watcher_line(data.get("watcher")))
    out.print(table)
    for p in files["not_indexed"][:20]:
        out.print(f"  {p['status']}: {shown(p['path'])}: {p['reason']}")
    if files.get("with_syntax_errors"):
        out.print(f"  {files['with_syntax_errors']} indexed file(s) with syntax errors:")
        for e in files.get("syntax_errors", [])[:10]:
            out.print(f"    {shown(e['path'])}: {e['reason']}")


def _embedding_rows(table: Table, emb: Embeddings) -> None:
    model = emb["active_model"]
    table.add_row("active model", f"{model['name']} ({model['dim']} dims)" if model else "none")
    shared = emb.get("shared_store")
    table.add_row(
        "embeddings",
        f"{emb['chunks_embedded']} embedded, {emb['chunks_pending']} pending"
        + ("" if shared else f", {emb['vectors_bytes'] / 1e6:.1f} MB of vectors"),
    )
    table.add_row("vectors in", str(emb.get("vectors_location")) + (" (shared)" if shared else ""))
    run = shared["last_run"] if shared else None
    if run:
        table.add_row(
            "shared store hits",
            f"{run['texts_found']:,} of {run['texts_looked_up']:,} texts on the last run; "
            f"{run['texts_embedded']:,} embedded here",
        )
    if shared and shared.get("error") and shared["error"] != emb["pending_reason"]:
        table.add_row("shared store", shared["error"])
    if emb["pending_reason"] and emb["chunks_pending"]:
        table.add_row("pending because", emb["pending_reason"])
    if emb["not_embedding"] and emb["not_embedding"] != emb["pending_reason"]:
        table.add_row("not embedding", emb["not_embedding"])
    source = emb["source"]
    if source["provider"] == "local" and source["note"]:
        table.add_row("model note", source["note"])
    if source["provider"] == "openai":
        table.add_row("embeddings from", f"{source['url']} (model {source['model']})")
        health = source["health"]
        if health:
            state = "answering" if health["answering"] else "NOT answering"
            seen = f"last success {health['last_success_at'] or 'never'}"
            if health["last_failure_at"]:
                seen += f", last failure {health['last_failure_at']}: {health['last_error']}"
            table.add_row("remote engine", f"{state} ({seen})")
    if emb.get("files_not_embedded"):
        reasons = ", ".join(f"{k} {v}" for k, v in emb["files_not_embedded"].items())
        table.add_row("files not embedded", f"{reasons} (full-text search only)")


def _queue_rows(table: Table, queue: QueueInfo) -> None:
    tasks = ", ".join(f"{k} {v}" for k, v in queue["tasks_by_status"].items()) or "none"
    table.add_row("tasks", f"{tasks}; {queue['items_left']} item(s) left")
    worker = queue["worker"]
    starting = worker is not None and str(worker["owner"]).startswith("reserved:")
    table.add_row(
        "worker",
        "none"
        if worker is None
        else f"pid {worker['pid']} on {worker['host']}" + (" (starting)" if starting else ""),
    )
    if worker is None and queue["items_left"]:
        table.add_row(
            "",
            "no worker runs: the next `codeindex index` or `reindex` (or an editor or agent "
            "session) starts one and the unfinished tasks go on; `codeindex worker` runs one now",
        )


def _watcher_line(watcher: WatcherStatus | None) -> str:
    if not watcher:
        return "none"
    if watcher["active"]:
        line = (
            f"active since {watcher['since']}, {watcher['events_seen']} event(s) seen, "
            f"{watcher['tasks_queued']} task(s) queued"
        )
    else:
        line = "not active (it runs beside a worker)"
    if watcher["error"]:
        line += f"; {watcher['error']}"
    last = watcher["last_reconciliation"]
    if last:
        found = f"{last['files_changed']} changed file(s), task {last['task_id']}"
        line += (
            f"; last reconciled {last['at']} in {last['duration_seconds']:.2f} s: "
            f"{found if last['files_changed'] else 'nothing changed'}"
        )
    return line


def render_validation(data: ValidationReport) -> None:
    """The validation report: what was skipped, each problem and its fix."""
    for skipped in data["skipped_paths"]:
        out.print(f"not indexed: {shown(skipped['path'])}: {skipped['reason']}")
    for warning in data.get("warnings", []):
        err.print(f"[yellow]warning:[/] {escape(shown(warning))}")
    if data["ok"]:
        out.print(f"index is valid ({data['files_checked']} files checked)")
        return
    for p in data["problems"]:
        fix = p["fix"]
        paths = " ".join(shown(p) for p in fix.get("paths", [])[:5])
        more = "" if len(fix.get("paths", [])) <= 5 else " ..."
        out.print(f"{p['kind']}: {p['detail']}")
        out.print(f"  fix: codeindex reindex --scope {fix['scope']} {paths}{more}".rstrip())


def render_tasks(data: list[TaskListEntry]) -> None:
    """Reindex tasks, one per line."""
    if not data:
        out.print("no tasks")
    for t in data:
        out.print(
            f"{t['task_id']}  {t['status']:<9} {t['progress'] * 100:5.1f}%  "
            f"{t['items_completed']}/{t['items_total']}  {json.dumps(t['scope'])}  "
            f"{t['message'] or ''}"
        )


def render_task(t: TaskInfo) -> None:
    """One task: state, counts, current file, ETA, message and failures."""
    out.print(f"{t['task_id']}  {t['status']}  {t['progress'] * 100:.1f}%")
    out.print(f"  scope {json.dumps(t['scope'])}, priority {t['priority']}")
    out.print(
        f"  {t['items_completed']} done, {t['items_failed']} failed, "
        f"{t['items_pending']} left, {t['items_cancelled']} cancelled of {t['items_total']}"
    )
    if t["current_file"]:
        out.print(f"  now: {shown(t['current_file'])}")
    if t["eta_seconds"] is not None:
        out.print(f"  ETA {t['eta_seconds']}s")
    if t["message"]:
        out.print(f"  {t['message']}")
    for f in t["failures"]:
        out.print(f"  failed: {shown(f['path'])}: {f['error']}")


def render_model(data: dict[str, Any]) -> None:
    """Which model loads from where, or why it does not."""
    out.print(data["describe"])
    if data["ok"]:
        out.print(f"loaded {data['name']} ({data['dim']} dims) from {data['source']}")
    else:
        out.print(f"unavailable: {data['reason']}\n{data['hint']}")
