"""The code tools of the service: a file's outline, one symbol's source, a name's references.

They only read `index.db` (symbols, chunks, `symbol_refs`) and stat files, so every
front-end answers them in its own process, in milliseconds, without the worker.
`CodeIndexService` has them as its own methods.
"""

from __future__ import annotations

from codeindex.app.code_refs import find_references
from codeindex.app.outline import file_outline
from codeindex.app.symbol_source import symbol_source
from codeindex.config import Settings
from codeindex.contract.code_args import OUTLINE_TOKENS, SYMBOL_TOKENS
from codeindex.contract.navigation import FileOutline, ReferenceList, SymbolSource
from codeindex.parser.version import parser_version
from codeindex.storage import Storage
from codeindex.workspace import Workspace


class CodeNavigation:
    """Outline, symbol source and references over the service's index."""

    settings: Settings
    storage: Storage
    workspace: Workspace

    async def file_outline(self, path: str, *, max_tokens: int = OUTLINE_TOKENS) -> FileOutline:
        """The symbols of one file as a tree: kind, name, signature, lines, first doc line."""
        return await file_outline(self.storage, self.workspace, path, max_tokens)

    async def symbol_source(
        self,
        name: str | None = None,
        *,
        symbol_id: str | None = None,
        path: str | None = None,
        kind: str | None = None,
        bodies: bool = True,
        max_tokens: int = SYMBOL_TOKENS,
    ) -> SymbolSource:
        """The source of one definition (by name, or id `path#Container.name`)."""
        return await symbol_source(
            self.storage,
            self.workspace,
            name=name,
            symbol_id=symbol_id,
            path=path,
            kind=kind,
            bodies=bodies,
            max_tokens=max_tokens,
        )

    async def find_references(
        self, name: str, *, path: str | None = None, kind: str | None = None, limit: int = 50
    ) -> ReferenceList:
        """Where a name is used (calls, imports, type uses), with the symbol of each use."""
        return await find_references(
            self.storage,
            self.workspace,
            name,
            path=path,
            kind=kind,
            limit=limit,
            version=parser_version(self.settings.parser_version_bump),
        )
