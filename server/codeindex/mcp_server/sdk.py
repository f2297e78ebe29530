"""The parts of the MCP SDK the stdio server runs on, imported without the rest of the SDK.

Why this exists: `codeindex mcp` should answer its first search soon after it is spawned,
and importing the SDK was most of that time. Python runs a package's `__init__` before
any of its submodules, and the SDK's two package `__init__`s import far more than a stdio
server uses: `mcp/__init__` imports the whole client (`mcp.client`: httpx2, the in-memory
transport, and through it the high-level `MCPServer`), `mcp/server/__init__` imports
`MCPServer` (resources, prompts, its HTTP apps). Measured with
`python -X importtime -c "import mcp"` against the modules `load()` imports, that is
about a quarter of the SDK's import time. `load()` therefore registers `mcp` and
`mcp.server` as packages whose `__init__` has not run (the modules below need nothing
from either `__init__`: they import their siblings by full name). Such a package runs
its real `__init__` the first time it is asked for a name it lacks, so
`from mcp import ClientSession` later in the same process still works (PEP 562
`__getattr__`).

`uvicorn` is hidden while the SDK loads: `sse_starlette` (imported by the SDK's HTTP
transport, which the low-level server's module imports) patches uvicorn's signal handler
when uvicorn can be imported, and imports it and click for that; its fallback when uvicorn
is missing is documented (no graceful drain of HTTP streams). A stdio server runs no
uvicorn. The name is importable again once the SDK has loaded.

Only the `codeindex mcp` process calls `load()`, before the server module is imported; in
a process that has imported the SDK already (a test's client) it does nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

DEFERRED = ("mcp", "mcp.server")
HIDDEN = ("uvicorn",)
USED = (
    "mcp_types",
    "mcp.server.lowlevel.server",
    "mcp.server.stdio",
    "mcp.server.context",
    "mcp.shared.exceptions",
    "mcp.shared.message",
    "mcp.shared._stream_protocols",
)
"""What `codeindex.mcp_server.server` imports from the SDK."""


def load() -> None:
    """Import the SDK modules the stdio server uses, skipping the client and `MCPServer`."""
    if "mcp" in sys.modules:
        return
    for name in DEFERRED:
        _defer(name)
    hidden = [name for name in HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # None: `import name` fails
    try:
        for name in USED:
            importlib.import_module(name)
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def _defer(name: str) -> None:
    """Register the package `name` without running its `__init__` until a name it lacks is
    asked for."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def complete(attribute: str) -> object:
        if attribute.startswith("__") and attribute != "__all__":
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}")
        del package.__dict__["__getattr__"]  # once: the real `__init__` runs below
        loader.exec_module(package)
        return getattr(package, attribute)

    package.__dict__["__getattr__"] = complete
    sys.modules[name] = package
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, package)
