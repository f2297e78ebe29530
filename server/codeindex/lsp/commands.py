"""The thirteen `workspace/executeCommand` commands, advertised in `executeCommandProvider`.

Each takes one argument object (none for indexStatus and validateIndex) with the field
names of the contract, and answers with exactly the JSON of the contract, the same as the
CLI's `--json`. A bad argument is an InvalidParams error naming the field, what was given
and what is allowed. A sync `codeindex.forceReindex` (`"async": false`) answers when the
task ends, with its progress on the request's `workDoneToken` when there is one;
cancelling the request stops the wait, not the task.

With several folders served, every argument object may also name its folder
(`"folder"`: the folder's path or name); without one, an absolute path in the argument
picks the folder that holds it, a task id the folder whose queue has it, search and
findSymbol ask every folder (each hit then names its `root`), and the rest act on the
first folder.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from codeindex import contract
from codeindex.app.roots import merge_search, merge_symbols
from codeindex.contract import code_args
from codeindex.errors import BadArgument
from codeindex.lsp.error_codes import to_jsonrpc, translate
from codeindex.lsp.folders import CURRENT, Folder, within
from codeindex.lsp.follow import observe
from codeindex.lsp.progress import adopted, release
from codeindex.lsp.server import COMMAND_PARAMS, CodeIndexServer

log = logging.getLogger(__name__)

FORCE_REINDEX = "codeindex.forceReindex"
REINDEX_STATUS = "codeindex.reindexStatus"
LIST_TASKS = "codeindex.listTasks"
PAUSE_REINDEX = "codeindex.pauseReindex"
RESUME_REINDEX = "codeindex.resumeReindex"
CANCEL_REINDEX = "codeindex.cancelReindex"
INDEX_STATUS = "codeindex.indexStatus"
VALIDATE_INDEX = "codeindex.validateIndex"
SEARCH = "codeindex.search"
FIND_SYMBOL = "codeindex.findSymbol"
FILE_OUTLINE = "codeindex.fileOutline"
GET_SYMBOL = "codeindex.getSymbol"
FIND_REFERENCES = "codeindex.findReferences"

EXAMPLES = {
    FORCE_REINDEX: '{"scope": "project", "async": true}',
    REINDEX_STATUS: '{"task_id": "reindex_..."}',
    LIST_TASKS: '{"status": "Running", "limit": 20}',
    PAUSE_REINDEX: '{"task_id": "reindex_..."}',
    RESUME_REINDEX: '{"task_id": "reindex_..."}',
    CANCEL_REINDEX: '{"task_id": "reindex_..."}',
    INDEX_STATUS: "no argument",
    VALIDATE_INDEX: "no argument",
    SEARCH: '{"query": "parse config", "mode": "hybrid", "limit": 10}',
    FIND_SYMBOL: '{"name": "Command", "match": "prefix"}',
    FILE_OUTLINE: '{"path": "src/command.go"}',
    GET_SYMBOL: '{"name": "Command.AddCommand", "bodies": true}',
    FIND_REFERENCES: '{"name": "AddCommand", "kind": "call"}',
}


def one_object(command: str, arguments: Sequence[Any]) -> Any:
    """The command's single argument (None when none was given); the contract checks it."""
    if not arguments:
        return None
    if len(arguments) == 1:
        return arguments[0]
    shown = json.dumps(list(arguments), default=str)
    raise BadArgument(
        f"arguments: {command} takes one argument object like {EXAMPLES[command]}; "
        f"got {len(arguments)} arguments: {shown[:120]}",
        field="arguments",
        allowed=EXAMPLES[command],
    )


Body = Callable[[CodeIndexServer, Any], Awaitable[Any]]
Handler = Callable[..., Awaitable[Any]]
COMMANDS: dict[str, Handler] = {}


def command(name: str, about: str | None = None) -> Callable[[Body], Handler]:
    """Register a command body: it gets the argument; errors become JSON-RPC errors
    (a bad argument that names no field is `about` that field)."""

    def decorate(body: Body) -> Handler:
        async def handler(ls: CodeIndexServer, *arguments: Any) -> Any:
            try:
                argument, folder = _folder_of(ls, one_object(name, arguments))
                with within(folder):
                    result = await body(ls, argument)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                raise to_jsonrpc(translate(exc), about) from exc
            return json.loads(json.dumps(result, default=str))

        handler.__name__ = handler.__qualname__ = body.__name__
        handler.__doc__ = body.__doc__
        COMMANDS[name] = handler
        return handler

    return decorate


def _folder_of(ls: CodeIndexServer, argument: Any) -> tuple[Any, Folder | None]:
    """The argument without its `folder` field, and the folder it picks: the one `folder`
    names, else the one holding an absolute path it gives (None: the command's default)."""
    if not isinstance(argument, dict):
        return argument, None
    if "folder" in argument:
        rest = {k: v for k, v in argument.items() if k != "folder"}
        return (rest or None), ls.folders.named(argument["folder"])
    for key in ("path", "paths"):
        given = argument.get(key)
        for path in given if isinstance(given, list) else [given]:
            if isinstance(path, str) and Path(path).is_absolute():
                found = ls.folders.containing(path)
                if found is not None:
                    return argument, found
    return argument, None


def _fan_out(ls: CodeIndexServer) -> list[Folder]:
    """The folders a search asks: every open one, unless the request picked one."""
    folders = ls.open_folders()
    return folders if CURRENT.get() is None and len(folders) > 1 else []


def _no_argument(name: str, argument: Any) -> None:
    if argument not in (None, {}):
        raise BadArgument(
            f"arguments: {name} takes no argument; got {json.dumps(argument, default=str)[:120]}",
            field="arguments",
            allowed="no argument",
        )


@command(FORCE_REINDEX, about="paths")
async def force_reindex(ls: CodeIndexServer, obj: Any) -> Any:
    """{scope, paths, priority, embeddings_only, async, incremental, recursive}: the
    force_reindex response (with `result` when sync)."""
    kwargs = contract.reindex_args(obj)
    service = ls.service()
    sync = not kwargs.pop("async_")
    params = COMMAND_PARAMS.get()
    token = params.work_done_token if params is not None and sync else None
    if token is None:
        async with ls.book.lock:
            resp = await service.force_reindex(**kwargs)
    else:
        ls.book.expecting += 1  # the follower holds back new tasks: this one is ours
        try:
            async with ls.book.lock:
                resp = await service.force_reindex(**kwargs)
            ls.book.adopt(resp["task_id"], token)
        finally:
            for info in adopted(ls):
                observe(ls, info)
    if not sync:
        return resp
    try:
        final = await service.wait(resp["task_id"])
    except asyncio.CancelledError:
        release(ls, resp["task_id"])
        raise
    observe(ls, final)
    return await service.reindex_response(resp["task_id"], with_result=True)


@command(REINDEX_STATUS)
async def reindex_status(ls: CodeIndexServer, obj: Any) -> Any:
    """{task_id}: the task's state."""
    task_id = contract.task_id_arg(obj)
    return await (await ls.service_of_task(task_id)).get_reindex_status(task_id)


@command(LIST_TASKS)
async def list_tasks(ls: CodeIndexServer, obj: Any) -> Any:
    """{status?, limit?}: tasks, newest first."""
    return await ls.service().list_reindex_tasks(**contract.list_args(obj))


@command(PAUSE_REINDEX)
async def pause_reindex(ls: CodeIndexServer, obj: Any) -> Any:
    """{task_id}: hold the task between files; its state afterwards."""
    task_id = contract.task_id_arg(obj)
    return await (await ls.service_of_task(task_id)).pause_reindex(task_id)


@command(RESUME_REINDEX)
async def resume_reindex(ls: CodeIndexServer, obj: Any) -> Any:
    """{task_id}: let a paused task go on; its state afterwards."""
    task_id = contract.task_id_arg(obj)
    return await (await ls.service_of_task(task_id)).resume_reindex(task_id)


@command(CANCEL_REINDEX)
async def cancel_reindex(ls: CodeIndexServer, obj: Any) -> Any:
    """{task_id}: stop the task (what it wrote stays); its state afterwards."""
    task_id = contract.task_id_arg(obj)
    return await (await ls.service_of_task(task_id)).cancel_reindex(task_id)


@command(INDEX_STATUS)
async def index_status(ls: CodeIndexServer, obj: Any) -> Any:
    """No argument: get_index_status."""
    _no_argument(INDEX_STATUS, obj)
    return await ls.service().status()


@command(VALIDATE_INDEX)
async def validate_index(ls: CodeIndexServer, obj: Any) -> Any:
    """No argument: the problems found, each with the reindex that fixes it."""
    _no_argument(VALIDATE_INDEX, obj)
    return await ls.service().validate()


@command(SEARCH)
async def search(ls: CodeIndexServer, obj: Any) -> Any:
    """{query, mode?, limit?, output?, path?, exclude?, language?, kind?, source_only?,
    context_lines?, max_tokens?}: hits or files, as `codeindex search --json` (from every
    folder, each hit naming its root, when several are served and none is named)."""
    kwargs = contract.search_args(obj)
    folders = _fan_out(ls)
    if not folders:
        return await ls.service().search(**kwargs)
    answers = [(f.root, await f.service.search(**kwargs)) for f in folders if f.service]
    return merge_search(answers)


@command(FIND_SYMBOL)
async def find_symbol(ls: CodeIndexServer, obj: Any) -> Any:
    """{name, match?, kind?, limit?}: symbols, as `codeindex symbols --json`."""
    kwargs = contract.symbol_args(obj)
    folders = _fan_out(ls)
    if not folders:
        return await ls.service().find_symbols(**kwargs)
    answers = [(f.root, await f.service.find_symbols(**kwargs)) for f in folders if f.service]
    return merge_symbols(answers, int(kwargs.get("limit") or 50))


@command(FILE_OUTLINE, about="path")
async def file_outline(ls: CodeIndexServer, obj: Any) -> Any:
    """{path, max_tokens?}: the file's symbols as a tree, as the get_file_outline tool."""
    return await ls.service().file_outline(**code_args.outline_args(obj))


@command(GET_SYMBOL, about="name")
async def get_symbol(ls: CodeIndexServer, obj: Any) -> Any:
    """{name | id, path?, kind?, bodies?, max_tokens?}: one symbol's source, as get_symbol."""
    return await ls.service().symbol_source(**code_args.symbol_source_args(obj))


@command(FIND_REFERENCES, about="name")
async def find_references(ls: CodeIndexServer, obj: Any) -> Any:
    """{name, path?, kind?, limit?}: where the name is used, as find_references."""
    return await ls.service().find_references(**code_args.references_args(obj))
