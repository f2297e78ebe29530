"""The folders one language server serves: each its own index and worker, found by path or name.

An editor's multi-root workspace is several folders; each is opened as a workspace of its
own (its own `.codeindex/`, its own worker), as if a server ran per folder. A request
picks its folder with a `folder` field (the folder's path or its name), or by an absolute
path inside it; while a request or a folder's follower runs, `CURRENT` holds its folder,
and `CodeIndexServer.service()` answers with that folder's index (else the first folder's).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codeindex.app.roots import innermost, named, resolved
from codeindex.errors import BadArgument

if TYPE_CHECKING:
    import asyncio

    from codeindex.app.service import CodeIndexService


@dataclass(eq=False, slots=True)
class Folder:
    """One folder of the editor's workspace and its index (None until opened, or when it
    cannot be: `error` says why)."""

    root: Path
    service: CodeIndexService | None = None
    error: str | None = None
    follower: asyncio.Task[Any] | None = None
    session_started: bool = False

    @property
    def name(self) -> str:
        """The folder's name, as the editor shows it."""
        return self.root.name or str(self.root)


CURRENT: contextvars.ContextVar[Folder | None] = contextvars.ContextVar(
    "codeindex_folder", default=None
)


@contextlib.contextmanager
def within(folder: Folder | None) -> Iterator[None]:
    """Run the block (and the tasks it starts) on `folder`'s index."""
    token = CURRENT.set(folder)
    try:
        yield
    finally:
        CURRENT.reset(token)


@dataclass(slots=True)
class Folders:
    """The served folders, in the editor's order (the first is the default one)."""

    by_root: dict[Path, Folder] = field(default_factory=dict)

    def add(self, root: Path) -> Folder:
        """Serve `root` (the folder already served when it is one)."""
        key = resolved(root)
        if key not in self.by_root:
            self.by_root[key] = Folder(key)
        return self.by_root[key]

    def remove(self, root: Path) -> Folder | None:
        """Stop serving `root`; the folder, when it was served."""
        return self.by_root.pop(resolved(root), None)

    def serves(self, root: Path) -> bool:
        """True when `root` is served already."""
        return resolved(root) in self.by_root

    def __len__(self) -> int:
        return len(self.by_root)

    def all(self) -> list[Folder]:
        """Every served folder, in order."""
        return list(self.by_root.values())

    def first(self) -> Folder | None:
        """The default folder (the first the editor listed)."""
        return next(iter(self.by_root.values()), None)

    def current(self) -> Folder | None:
        """The folder of the running request or follower, else the first."""
        folder = CURRENT.get()
        return folder if folder is not None else self.first()

    def containing(self, path: str | Path) -> Folder | None:
        """The served folder that holds `path` (the innermost one when folders nest)."""
        root = innermost(list(self.by_root), path)
        return self.by_root[root] if root is not None else None

    def named(self, text: object) -> Folder:
        """The folder a `folder` argument names (its path or its name); BadArgument lists
        the served folders when none matches."""
        served = ", ".join(str(f.root) for f in self.by_root.values()) or "none"
        if not isinstance(text, str) or not text:
            raise BadArgument(
                f"folder: expected the path or name of a served folder, got {text!r}",
                field="folder",
                allowed=served,
            )
        matches = named(list(self.by_root), text)
        if len(matches) == 1:
            return self.by_root[matches[0]]
        why = "names several served folders" if matches else "is not a served folder"
        raise BadArgument(
            f"folder: {text!r} {why}; served: {served}", field="folder", allowed=served
        )
