"""The language server object: the state one editor session needs, and nothing else.

Handlers live in the modules of this package, one per concern, as functions that take
this server as their first parameter (`ls`); they read and change the state kept here.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import cattrs
from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCNotification, LanguageServerProtocol, lsp_method

from codeindex import __version__
from codeindex.aio import spawn
from codeindex.errors import IndexUnusable, UnknownTask
from codeindex.lsp.folders import CURRENT, Folder, Folders
from codeindex.lsp.tracking import ProgressBook, StatusReporter

if TYPE_CHECKING:  # the index is opened after `initialize` is answered (`lifecycle`)
    from codeindex.app.service import CodeIndexService

log = logging.getLogger(__name__)

SERVER_NAME = "codeindex"
IGNORED = "$/codeindex/ignored"

COMMAND_PARAMS: contextvars.ContextVar[types.ExecuteCommandParams | None] = contextvars.ContextVar(
    "command_params", default=None
)


class QuietAnswers(logging.Filter):
    """pygls logs a traceback for every error answer; one for bad input is only noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep a record unless it carries a JSON-RPC error other than an internal one."""
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, JsonRpcException) and exc.code != -32603)


Phase = Literal["new", "running", "shutdown"]
"""Where a session is: before `initialize`, serving, after `shutdown` (only `exit` left)."""


class CodeIndexProtocol(LanguageServerProtocol):
    """pygls' protocol, plus: a command handler can see its request's params (for the
    workDoneToken), a request whose params do not parse gets an error answer, and the
    session knows when the `initialize` answer has gone out (`initialize_sent`)."""

    def __init__(self, server: LanguageServer, converter: cattrs.Converter) -> None:
        super().__init__(server, converter)
        self.initialize_id: int | str | None = None
        self.initialize_sent = asyncio.Event()

    def _send_response(
        self,
        msg_id: int | str,
        result: Any | None = None,
        error: types.ResponseError | None = None,
    ) -> None:
        super()._send_response(msg_id, result, error)
        if self.initialize_id is not None and msg_id == self.initialize_id:
            self.initialize_sent.set()

    def _handle_response(
        self,
        msg_id: int | str,
        result: Any | None = None,
        error: types.ResponseError | None = None,
    ) -> None:
        """The client's answer to one of our requests. One we stopped waiting for (a
        progress token asked for by a folder since removed, a create that timed out) is
        dropped: pygls would set the result of a cancelled future, which raises."""
        future = self._request_futures.get(msg_id)
        if future is not None and future.done():
            del self._request_futures[msg_id]
            log.info("dropped the client's late answer to request %s", msg_id)
            return
        super()._handle_response(msg_id, result, error)

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        """Executes a command, with its params visible through COMMAND_PARAMS."""
        COMMAND_PARAMS.set(params)
        return (yield from super().lsp_workspace__execute_command(params))

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Parse a message; a request that does not parse is answered InvalidParams."""
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "id" not in data or "method" not in data:
                raise
            cause = exc.__cause__
            detail = (
                "; ".join(cattrs.transform_error(cause))
                if isinstance(cause, cattrs.ClassValidationError)
                else str(cause or exc)
            )
            self._send_response(
                data["id"],
                error=types.ResponseError(
                    code=-32602, message=f"invalid params for {data['method']}: {detail}"
                ),
            )
            return JsonRPCNotification(method=IGNORED, jsonrpc="2.0", params=None)


class CodeIndexServer(LanguageServer):
    """One editor session over the indexes of its workspace's folders."""

    def __init__(self, fallback_root: Path | None = None) -> None:
        super().__init__(
            SERVER_NAME,
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.None_,
            protocol_cls=CodeIndexProtocol,
        )
        self.fallback_root = fallback_root
        self.folders = Folders()
        self.no_folder_error: str | None = None  # why no folder is served, when none is
        self.phase: Phase = "new"
        self.overrides: dict[str, Any] = {}  # the editor's settings at initialize
        self.opening: asyncio.Task[None] | None = None  # the index, opened after initialize
        self.exit_requested = asyncio.Event()
        self.client_gone = asyncio.Event()  # stdout closed: nobody reads what we send
        self.pending_messages: list[str] = []
        self.applied_settings: dict[str, Any] = {}  # core settings from the editor
        self.book = ProgressBook()
        self.status = StatusReporter()
        self._tasks: set[asyncio.Task[Any]] = set()
        pygls_log = logging.getLogger("pygls.protocol.json_rpc")
        if not any(isinstance(f, QuietAnswers) for f in pygls_log.filters):
            pygls_log.addFilter(QuietAnswers())

    @property
    def rpc(self) -> CodeIndexProtocol:
        """The protocol object, as this package extends it."""
        assert isinstance(self.protocol, CodeIndexProtocol)
        return self.protocol

    @property
    def root(self) -> Path | None:
        """The first served folder."""
        first = self.folders.first()
        return first.root if first is not None else None

    @property
    def service_(self) -> CodeIndexService | None:
        """The index of the current folder (see `folders`), None when it is not open."""
        folder = self.folders.current()
        return folder.service if folder is not None else None

    @property
    def open_error(self) -> str | None:
        """Why the current folder has no index, or why no folder is served."""
        folder = self.folders.current()
        return folder.error if folder is not None else self.no_folder_error

    def service(self) -> CodeIndexService:
        """The index of the current folder; IndexUnusable says why there is none."""
        service = self.service_
        if service is None:
            raise IndexUnusable(
                self.open_error
                or "no workspace folder: open a folder in the editor (rootUri/workspaceFolders)"
            )
        return service

    async def service_of_task(self, task_id: str) -> CodeIndexService:
        """The index that knows a task: the current folder's when a request named one,
        else the first served folder whose queue holds it."""
        if CURRENT.get() is not None or len(self.folders) < 2:
            return self.service()
        for folder in self.open_folders():
            assert folder.service is not None
            try:
                await folder.service.get_reindex_status(task_id)
            except UnknownTask:
                continue
            return folder.service
        return self.service()  # whose answer names the unknown id

    def open_folders(self) -> list[Folder]:
        """The served folders whose index is open."""
        return [f for f in self.folders.all() if f.service is not None]

    def run_task(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run a background coroutine of this session (`stop_tasks` ends them all)."""
        task = spawn(coro, name=name, what=f"background task {name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def stop_tasks(self) -> None:
        """Cancel the background tasks (at shutdown) and wait for them."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log a failure no response carries (a notification's); never a popup, as pygls
        would show: a message the editor sent wrong is not the user's to read about."""
        if source is not FeatureRequestError:
            log.warning("%s", error)

    def supports_progress(self) -> bool:
        """True when the client said it shows server-initiated work-done progress."""
        window = self.client_capabilities.window
        return bool(window is not None and window.work_done_progress)

    def show(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        """A window/showMessage (and the same line in the log)."""
        log.log(logging.ERROR if kind == types.MessageType.Error else logging.INFO, "%s", message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))
