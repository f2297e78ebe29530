"""Short text summaries of the tools' results, for clients that show only text.

The structured result carries everything; a summary says the gist in a few lines
an agent can act on (what happened, what to call next).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from codeindex.contract import (
    IndexStatus,
    ReindexResponse,
    SearchHit,
    SearchResponse,
    SymbolInfo,
    TaskInfo,
    TaskListEntry,
    ValidationReport,
)
from codeindex.contract.navigation import (
    FileOutline,
    OutlineSymbol,
    ReferenceList,
    SymbolSource,
)

MAX_LINES = 20


def _scope(scope: Any) -> str:
    if isinstance(scope, str):
        return scope
    (kind, target), *_ = scope.items()
    if "paths" in target:
        return f"{kind} ({len(target['paths'])} paths)"
    return f"{kind} {target['path']}"


def _more(lines: list[str], total: int, what: str) -> list[str]:
    if total > len(lines):
        lines.append(f"... and {total - len(lines)} more {what} (see the structured result)")
    return lines


def reindex(resp: ReindexResponse) -> str:
    """force_reindex: the task, and its result when sync."""
    head = (
        f"task {resp['task_id']} ({_scope(resp['scope'])}): {resp['status']}, "
        f"{resp['items_total']} file(s)"
    )
    lines = [head + (f"; {resp['message']}" if resp.get("message") else "")]
    result = resp.get("result")
    if result is None:
        if resp["status"] in ("Queued", "Running", "Paused"):
            lines.append(f"follow it with get_reindex_status task_id={resp['task_id']}")
        return "\n".join(lines)
    summary = result["summary"]
    lines.append(
        f"{result['items_completed']} done, {result['items_failed']} failed in "
        f"{result['duration_seconds']} s: {summary['symbols_extracted']} symbols, "
        f"{summary['chunks_created']} chunks, {summary['embeddings_generated']} embeddings"
    )
    failures = [f"failed: {f['path']}: {f['error']}" for f in result["failures"][:MAX_LINES]]
    return "\n".join(lines + _more(failures, result["items_failed"], "failures"))


def task(info: TaskInfo) -> str:
    """A task's state in one or two lines."""
    text = (
        f"task {info['task_id']} ({_scope(info['scope'])}): {info['status']}, "
        f"{round(100 * info['progress'])}%, {info['items_completed']}/{info['items_total']} "
        f"done, {info['items_failed']} failed"
    )
    if info.get("current_file"):
        text += f", now {info['current_file']}"
    if info.get("eta_seconds") is not None:
        text += f", about {info['eta_seconds']} s left"
    if info.get("error_message"):
        text += f"\nerror: {info['error_message']}"
    return text


def tasks(entries: Sequence[TaskListEntry]) -> str:
    """list_reindex_tasks: one line per task."""
    if not entries:
        return "no reindex tasks"
    lines = [
        f"{t['task_id']} {t['status']} {round(100 * t['progress'])}% "
        f"{t['items_completed']}/{t['items_total']} {_scope(t['scope'])}"
        for t in entries[:MAX_LINES]
    ]
    return "\n".join(_more(lines, len(entries), "tasks"))


def status(st: IndexStatus) -> str:
    """get_index_status: counts, embeddings, queue."""
    files, emb, queue = st["files"], st["embeddings"], st["queue"]
    model = emb["active_model"]["name"] if emb["active_model"] else "none"
    source = emb["source"]
    if source["provider"] == "local" and source["note"]:
        model += f" ({source['note']})"
    lines = [
        f"workspace {st['workspace']}: {files['total']} files "
        f"({', '.join(f'{k} {v}' for k, v in files['by_status'].items()) or 'none'}), "
        f"{st['symbols']} symbols, {st['chunks']} chunks",
        f"embeddings: {emb['chunks_embedded']}/{emb['chunks_total']} chunks, model {model}"
        + (f"; pending: {emb['pending_reason']}" if emb["chunks_pending"] else ""),
        f"queue: {queue['items_left']} item(s) left; worker "
        + (f"pid {queue['worker']['pid']}" if queue["worker"] else "none"),
    ]
    return "\n".join(lines)


def validation(report: ValidationReport) -> str:
    """validate_index: ok, or each problem with its fix."""
    if report["ok"]:
        return f"index is valid ({report['files_checked']} files checked)"
    lines = [f"{len(report['problems'])} problem(s) in {report['files_checked']} files:"]
    for problem in report["problems"][:MAX_LINES]:
        fix = problem["fix"]
        paths = fix.get("paths", [])
        shown = f", paths {paths[:5]}" + (" ..." if len(paths) > 5 else "") if paths else ""
        lines.append(
            f"- {problem['kind']}: {problem['detail']}; fix: force_reindex "
            f"scope={fix['scope']}{shown}"
        )
    return "\n".join(lines)


def search(result: SearchResponse) -> str:
    """search_code: one line per hit, or per file (with its hits' lines under it)."""
    hits, files = result["hits"], result["files"]
    count = f"{len(files)} file(s)" if result["output"] != "hits" else f"{len(hits)} hit(s)"
    head = f"{count}, {result['mode']} search"
    if result.get("note"):
        head += f" ({result['note']})"
    if result["truncated"]:
        head += "; more left out to fit max_tokens"
    lines = [head]
    for file in files[:MAX_LINES]:
        kind = "" if file["file_kind"] == "source" else f" ({file['file_kind']})"
        symbols = f"  {', '.join(file['symbols'])}" if file["symbols"] else ""
        lines.append(f"{file['path']}:{file['line']}{kind}{symbols}")
        lines += [_hit_line(hit, "  ") for hit in file["hits"]]
    previous = None
    for hit in hits[:MAX_LINES]:
        lines.append(_hit_line(hit, "  " if hit["path"] == previous else hit["path"]))
        previous = hit["path"]
    left = max(len(hits), len(files)) - MAX_LINES
    if left > 0:
        lines.append(f"... and {left} more results (see the structured result)")
    return "\n".join(lines)


def _hit_line(hit: SearchHit, path: str) -> str:
    """`path:line  signature  |  best line`; after a hit in the same file `  :line`, and no
    best line when the signature starts with it."""
    where = hit["signature"] or (f"[{hit['symbol']}]" if hit.get("symbol") else "")
    fresh = "" if hit["freshness"] == "fresh" else f" ({hit['freshness']})"
    first = hit["snippet"].strip().split("\n", 1)[0][:120]
    shown = "" if where.startswith(first.rstrip("{").rstrip()) else f"  |  {first}"
    return f"{path}:{hit['line']}{fresh}  {where}{shown}"


def symbols(found: list[SymbolInfo]) -> str:
    """find_symbol: one line per definition."""
    if not found:
        return "no symbol found"
    lines = [
        f"{s['kind']} {(s['container'] or '') + '.' if s['container'] else ''}{s['name']} "
        f"{s['path']}:{s['start_line']}-{s['end_line']}"
        for s in found[:MAX_LINES]
    ]
    return "\n".join(_more(lines, len(found), "symbols"))


def _lines(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}-{end}"


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 3] + "..."


def _outline_lines(nodes: Sequence[OutlineSymbol], depth: int, out: list[str]) -> None:
    for node in nodes:
        doc = f"  # {_clip(node['doc'], 80)}" if node.get("doc") else ""
        omitted = f" (+{node['omitted']} inside)" if node.get("omitted") else ""
        out.append(
            f"{'  ' * depth}{_lines(node['start_line'], node['end_line'])} "
            f"{node['signature']}{omitted}{doc}"
        )
        _outline_lines(node.get("children", []), depth + 1, out)


def outline(result: FileOutline) -> str:
    """get_file_outline: one line per symbol (line range, signature, first doc line)."""
    fresh = "" if result["freshness"] == "fresh" else f", {result['freshness']}"
    lines = [f"{result['path']} ({result['language'] or 'text'}, {result['lines']} lines{fresh})"]
    _outline_lines(result["symbols"], 0, lines)
    if not result["symbols"]:
        lines.append("no symbols")
    if result.get("note"):
        lines.append(f"note: {result['note']}")
    return "\n".join(lines)


def symbol_source(result: SymbolSource) -> str:
    """get_symbol: where the symbol is, then its source; other definitions after."""
    name = f"{result['container']}.{result['name']}" if result["container"] else result["name"]
    fresh = "" if result["freshness"] == "fresh" else f" ({result['freshness']})"
    lines = [
        f"{result['kind']} {name}  {result['path']}:"
        f"{_lines(result['start_line'], result['end_line'])}{fresh}",
        result["source"],
    ]
    if result.get("note"):
        lines.append(f"note: {result['note']}")
    others = result["others"]
    if others:
        shown = ", ".join(f"{o['path']}:{o['start_line']} ({o['kind']})" for o in others[:5])
        lines.append(f"also named {result['name']}: {shown}" + (" ..." if len(others) > 5 else ""))
    return "\n".join(lines)


def references(result: ReferenceList) -> str:
    """find_references: the definitions, then one line per use (where, how, caller, code)."""
    found = result["references"]
    head = f"{result['name']}: {result['total']} use(s)"
    if result["truncated"]:
        head += f", {len(found)} shown"
    defs = result["definitions"]
    if defs:
        shown = ", ".join(f"{d['path']}:{d['start_line']} ({d['kind']})" for d in defs[:5])
        head += f"; defined in {shown}" + (" ..." if len(defs) > 5 else "")
    lines = [head]
    for ref in found:
        caller = f" in {ref['caller']}" if ref["caller"] else ""
        lines.append(
            f"{ref['path']}:{ref['line']} {ref['kind']}{caller} [{ref['match']}]  {ref['text']}"
        )
    if result.get("note"):
        lines.append(f"note: {result['note']}")
    return "\n".join(lines)
