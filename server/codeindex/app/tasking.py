"""From a reindex request to its task: plan the items, say what the task does, create it.

`force_reindex` (any front-end) and `queue_changes` (the watcher, reconciling passes,
editors' hints) both come here; the service then wakes or starts a worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal, Protocol

from codeindex.app.model_state import stalled_model
from codeindex.app.planner import ModelPlan, Plan, create_task, plan, with_failed
from codeindex.config import Settings
from codeindex.contract import MAX_PATHS
from codeindex.embedding.registry import ModelRegistry
from codeindex.errors import BadArgument
from codeindex.parser.version import parser_version
from codeindex.storage import Storage
from codeindex.storage.meta import VECTORS_FAILURE
from codeindex.tasks import Priority, Queue, Scope, Task
from codeindex.tasks.speeds import model_key, text_chars
from codeindex.workspace import Workspace

Need = Literal["worker", "embed"] | None


class Index(Protocol):
    """The parts of an index a task is planned against (the service has them)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def storage(self) -> Storage: ...

    @property
    def queue(self) -> Queue: ...

    @property
    def workspace(self) -> Workspace: ...

    @property
    def models(self) -> ModelRegistry: ...


def checked_paths(paths: Sequence[str] | str) -> list[str]:
    """The paths of a request; BadArgument past `MAX_PATHS` (the same bound everywhere)."""
    listed = [paths] if isinstance(paths, str) else list(paths)
    if len(listed) > MAX_PATHS:
        raise BadArgument(
            f"{len(listed)} paths given; at most {MAX_PATHS} are allowed: reindex their "
            "folder (scope directory) or the project instead",
            field="paths",
        )
    return listed


async def plan_for(
    index: Index,
    scope: Scope,
    paths: list[str],
    *,
    embeddings_only: bool,
    incremental: bool,
    recursive: bool,
    retry_failed: bool = False,
) -> Plan:
    """The items a request covers (WorkspaceError for paths that do not fit).

    `retry_failed`: an incremental run over a folder also retries the files that failed (a
    user's `index`; not the watcher's passes, which would retry an unreadable file forever).
    """
    planned = await plan(
        index.storage,
        index.workspace,
        scope=scope,
        paths=paths,
        recursive=recursive,
        embeddings_only=embeddings_only,
        incremental=incremental,
        parser_version=parser_version(index.settings.parser_version_bump),
    )
    folders = (Scope.PROJECT, Scope.DIRECTORY)
    if retry_failed and incremental and not embeddings_only and scope in folders:
        target = planned.target_paths[0] if planned.target_paths else "."
        folder = "" if target == "." else target
        return await with_failed(index.storage, index.workspace, planned, folder, recursive)
    return planned


async def not_waiting(index: Index, planned: Plan) -> Plan:
    """The plan without the paths a task will index and has not started: they are read then,
    so a burst of writes to one file (a generator, a formatter loop) joins that task."""
    waiting = await index.queue.waiting_to_index([i.path for i in planned.items])
    if not waiting:
        return planned
    return replace(planned, items=[i for i in planned.items if i.path not in waiting])


async def message_of(index: Index, planned: Plan, incremental: bool) -> tuple[str, Need]:
    """What a new task says it does, and what it needs although it has nothing to do: a
    worker (a model to load, a vector store to try again) or a task that embeds texts the
    configured model has no vector of (no task would, else)."""
    message = f"{len(planned.items)} file(s) queued"
    if incremental:
        message += f", {planned.unchanged} unchanged skipped"
    if planned.items:
        return message, None
    message = "nothing to do: every file is up to date" if incremental else "nothing to do"
    if await index.models.untried():
        return message + (
            "; the configured embedding model changed: a worker loads it (and queues an "
            "embeddings-only task when its table needs filling: `codeindex tasks` shows it)"
        ), "worker"
    if await index.storage.meta.get(VECTORS_FAILURE):
        return message + (
            "; the vector store could not be used last time: a worker tries it again "
            "and fills the pending embeddings"
        ), "worker"
    stalled = await stalled_model(index.storage, index.queue, index.models)
    if stalled is not None:
        return message + (
            f"; {stalled.pending} chunk text(s) have no vector of model {stalled.model}: "
            "an embeddings-only task is queued to embed them (`codeindex tasks` shows it)"
        ), "embed"
    return message, None


async def create(
    index: Index,
    scope: Scope,
    planned: Plan,
    priority: Priority,
    options: tuple[bool, bool, bool],
    message: str,
) -> Task:
    """The task and its items, in one transaction; `options`: (embeddings only,
    incremental, recursive)."""
    active = await index.models.active()
    return await create_task(
        index.queue,
        index.storage,
        scope=scope,
        planned=planned,
        priority=priority,
        options=options,
        model_id=active.id if active is not None else None,
        model=await model_plan(index),
        message=message,
    )


async def model_plan(index: Index) -> ModelPlan:
    """The configured model as estimates see it: which, what it reads, whether it loads."""
    failed = await index.models.remembered_failure() is not None
    return ModelPlan(
        key=None if failed else model_key(index.models.settings_key()),
        max_chars=text_chars(index.settings.embed_max_tokens),
        loaded=await index.queue.live_lease() is not None,
    )
