"""The layout's rules, checked over the import graph of `server/codeindex` (read with `ast`).

Packages group code by the process that runs it: `app/` is the façade every front-end
calls, `worker/` is what the worker process runs, `embedding/` holds the models, `storage/`
all SQL. Each rule below says what it protects; a failure names the import that breaks it.
Imports inside functions and under `TYPE_CHECKING` count like the others, except where a
rule says so.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "server" / "codeindex"
HEAVY = ("lancedb", "fastembed", "onnxruntime", "onnx", "httpx")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (or package)
    line: int
    top: bool  # at module level, outside TYPE_CHECKING (runs when the module is imported)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


MODULES = _modules()


def _resolve(name: str) -> str:
    """The module an import names: `a.b.c` where c is a name defined in a.b is `a.b`."""
    while name and name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports() -> Iterator[Import]:
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = _type_checking_lines(tree)
        top_level = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{a.name}" for a in node.names]
            top = id(node) in top_level and node.lineno not in typing_only
            for name in names:
                target = _resolve(name) if name.startswith("codeindex") else name
                yield Import(module, target, node.lineno, top)


IMPORTS = list(_imports())


def _inside(module: str, *packages: str) -> bool:
    """`module` is one of `packages` or in one (the top package counts only as itself)."""
    return any(module == p or (p != "codeindex" and module.startswith(p + ".")) for p in packages)


def _offending(
    sources: tuple[str, ...], targets: tuple[str, ...], *, top_only: bool = False
) -> list[str]:
    return [
        f"{i.source}:{i.line} imports {i.target}"
        for i in IMPORTS
        if _inside(i.source, *sources) and _inside(i.target, *targets) and (i.top or not top_only)
    ]


def _closure(start: str) -> set[str]:
    """Modules that importing `start` imports (module-level imports only)."""
    seen = {start}
    todo = [start]
    while todo:
        module = todo.pop()
        # importing a.b.c runs a/__init__ and a/b/__init__ first
        parents = [module.rsplit(".", n)[0] for n in range(1, module.count(".") + 1)]
        for target in [i.target for i in IMPORTS if i.source == module and i.top] + parents:
            if target.startswith("codeindex") and target in MODULES and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


FRONT_ENDS = ("codeindex.lsp", "codeindex.mcp_server", "codeindex.cli", "codeindex.app")


def test_only_the_language_server_imports_pygls() -> None:
    outside = tuple(m for m in MODULES if not _inside(m, "codeindex.lsp", "codeindex.bench"))
    assert not _offending(outside, ("pygls", "lsprotocol"))


def test_only_the_mcp_server_imports_the_mcp_sdk() -> None:
    """The bench is an MCP client too: it times `codeindex mcp` under the SDK's own client."""
    outside = tuple(m for m in MODULES if not _inside(m, "codeindex.mcp_server", "codeindex.bench"))
    assert not _offending(outside, ("mcp",))


def test_storage_imports_nothing_of_the_domain() -> None:
    """The data layer knows rows, not parsers, models or tasks."""
    allowed = ("codeindex.storage", "codeindex.errors", "codeindex.faults")
    domain = tuple(m for m in MODULES if not _inside(m, *allowed))
    assert not _offending(("codeindex.storage",), domain)


def test_the_facade_never_imports_the_worker() -> None:
    """`app/` is what front-ends run; the worker process attaches itself to it."""
    assert not _offending(("codeindex.app",), ("codeindex.worker",))


def test_front_ends_never_import_model_or_vector_code() -> None:
    """An editor's or agent's server asks the worker for what needs the model or LanceDB.

    `codeindex worker`, `model check` and `bench` are commands that run them in the CLI's
    process: their imports sit inside the function of the command.
    """
    heavy = (
        "codeindex.worker",
        "codeindex.embedding.local",
        "codeindex.embedding.remote",
        "codeindex.embedding.loader",
        "codeindex.embedding.quantize",
        "codeindex.embedding.hub",
        "codeindex.vectors.store",
        "codeindex.vectors.table",
        "codeindex.search.semantic",
        "codeindex.bench",
        *HEAVY,
    )
    assert not _offending(FRONT_ENDS, heavy, top_only=True)
    for front_end in ("codeindex.lsp", "codeindex.mcp_server.server", "codeindex.cli.main"):
        loaded = _closure(front_end)
        assert not [m for m in loaded if _inside(m, *heavy)], front_end


@pytest.mark.parametrize("library", HEAVY)
def test_heavy_libraries_are_imported_only_where_models_and_vectors_live(library: str) -> None:
    homes = (
        "codeindex.embedding.local",
        "codeindex.embedding.remote",
        "codeindex.embedding.quantize",
        "codeindex.embedding.hub",
        "codeindex.vectors",
        "codeindex.bench",
    )
    importers = {i.source for i in IMPORTS if _inside(i.target, library)}
    assert {m for m in importers if not _inside(m, *homes)} == set()


def test_nothing_imports_the_bench_but_its_command() -> None:
    outside = tuple(m for m in MODULES if not _inside(m, "codeindex.bench"))
    found = _offending(outside, ("codeindex.bench",))
    assert all(f.startswith("codeindex.cli.main:") for f in found), found
    assert not _offending(outside, ("codeindex.bench",), top_only=True)


def test_no_import_cycles() -> None:
    """No two modules import each other, directly or around a loop, TYPE_CHECKING included;
    a package's `__init__` that re-exports its own modules does not count as a step."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in IMPORTS:
        if i.target in MODULES and i.target != i.source:
            init_of_own = i.source.startswith(i.target + ".")  # a module importing its package
            if not init_of_own:
                graph[i.source].add(i.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    assert cycles == []


def test_modules_stay_small() -> None:
    big = {
        _module_name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert big == {}


def test_functions_stay_short() -> None:
    long: dict[str, int] = {}
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = (node.end_lineno or node.lineno) - first + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{module}.{node.name}:{node.lineno}"] = lines
    assert long == {}


def test_no_module_takes_the_name_of_a_top_level_one() -> None:
    """`watch` beside `watcher/`, `models` beside `storage/models`: a module named like a
    top-level module or package of another meaning sends a reader to the wrong place."""
    top = {m.split(".")[1] for m in MODULES if m.count(".") >= 1}
    clashes = [
        m
        for m in MODULES
        if m.count(".") >= 2 and m.rsplit(".", 1)[-1] in top and m.rsplit(".", 1)[-1] != "__main__"
    ]
    assert clashes == []
