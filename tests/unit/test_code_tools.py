"""Outline, symbol source and references on a fresh index of real code, in this process.

The index is built by the worker's own pipeline (read, parse, one transaction per batch)
over parts of the corpora: cobra (Go), regex (Rust), rxjs (TypeScript) and Django
(Python); the service answers from it with no worker running.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.helpers import copy_tree

from codeindex.app.service import CodeIndexService
from codeindex.app.validate import _stale_rows
from codeindex.config import load_settings
from codeindex.errors import BadArgument, OutsideWorkspace
from codeindex.storage import FileRecord, Storage
from codeindex.worker.pipeline import Parsed, read_and_parse
from codeindex.workspace import Workspace

DJANGO = [
    "django/utils/crypto.py",
    "django/contrib/auth/hashers.py",
    "django/contrib/sessions/backends/base.py",
    "django/core/management/utils.py",
    "django/middleware/csrf.py",
    "django/db/models/query.py",
    "django/db/models/manager.py",
    "django/db/models/__init__.py",
    "django/views/generic/list.py",
]
POLYGLOT = ["cobra-go", "regex-rust/src", "rxjs-ts/src/internal"]


async def build(root: Path) -> None:
    """Index every file under `root` with the worker's pipeline."""
    settings = load_settings(root)
    workspace = Workspace(root, settings.data_dir)
    storage = await Storage.open(settings.db_path)
    try:
        records: list[FileRecord] = []
        for entry in workspace.scan("").files:
            parsed = read_and_parse(workspace, settings, entry.path)
            if isinstance(parsed, Parsed):
                records.append(parsed.record)
        await storage.apply_files(records, [])
    finally:
        await storage.close()


@pytest.fixture(scope="module")
def indexed(polyglot_src: Path, django_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The parts of the corpora indexed once for the module (tests read copies)."""
    root = tmp_path_factory.mktemp("code") / "ws"
    copy_tree(polyglot_src, root, POLYGLOT)
    copy_tree(django_src, root, DJANGO)
    os.environ["CODEINDEX_WATCH"] = "0"
    asyncio.run(build(root))
    return root


@pytest.fixture
async def service(indexed: Path, tmp_path: Path) -> AsyncIterator[CodeIndexService]:
    root = tmp_path / "ws"
    shutil.copytree(indexed, root, symlinks=True)
    opened = await CodeIndexService.open(root, worker="none", create=False)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param(
            "cobra-go/args.go",
            [("function", "NoArgs", "func NoArgs(cmd *Command, args []string) error", 42, 47)],
            id="go",
        ),
        pytest.param(
            "regex-rust/src/re_set.rs",
            [("macro", "define_set", "macro_rules! define_set", None, None)],
            id="rust",
        ),
        pytest.param(
            "rxjs-ts/src/internal/Subject.ts",
            [
                (
                    "class",
                    "Subject",
                    "export class Subject<T> extends Observable<T> implements SubscriptionLike",
                    None,
                    None,
                )
            ],
            id="typescript",
        ),
        pytest.param(
            "django/contrib/auth/hashers.py",
            [
                (
                    "function",
                    "make_password",
                    'def make_password(password, salt=None, hasher="default")',
                    94,
                    113,
                )
            ],
            id="python",
        ),
    ],
)
async def test_outline_of_each_language(
    service: CodeIndexService, path: str, expected: list[tuple[str, str, str, int, int]]
) -> None:
    outline = await service.file_outline(path)
    assert outline["path"] == path and outline["freshness"] == "fresh"
    assert not outline["truncated"] and outline["lines"] > 0
    flat = {}
    stack = list(outline["symbols"])
    while stack:
        node = stack.pop()
        flat[node["name"]] = node
        stack.extend(node.get("children", []))
    for kind, name, signature, start, end in expected:
        node = flat[name]
        assert (node["kind"], node["signature"]) == (kind, signature)
        if start is not None:
            assert (node["start_line"], node["end_line"]) == (start, end)


async def test_outline_nests_members_and_keeps_first_doc_lines(service: CodeIndexService) -> None:
    outline = await service.file_outline("django/contrib/auth/hashers.py")
    [base] = [s for s in outline["symbols"] if s["name"] == "BasePasswordHasher"]
    assert base["kind"] == "class" and base["doc"].startswith("Abstract base class")
    methods = {c["name"]: c for c in base["children"]}
    assert methods["verify"]["signature"] == "def verify(self, password, encoded)"
    assert methods["verify"]["doc"] == "Check if the given password is correct."
    assert methods["verify"]["kind"] == "method"


async def test_an_outline_over_budget_drops_deep_levels_then_symbols(
    service: CodeIndexService,
) -> None:
    full = await service.file_outline("django/contrib/auth/hashers.py")
    # about 10,500 characters in all, 4,900 with the top level only
    small = await service.file_outline("django/contrib/auth/hashers.py", max_tokens=1500)
    assert small["truncated"] and small["note"]
    assert [s["name"] for s in small["symbols"]] == [s["name"] for s in full["symbols"]]
    [base] = [s for s in small["symbols"] if s["name"] == "BasePasswordHasher"]
    assert "children" not in base and base["omitted"] == 9  # its methods
    tiny = await service.file_outline("django/contrib/auth/hashers.py", max_tokens=100)
    assert 0 < len(tiny["symbols"]) < len(full["symbols"]) and "top-level" in (tiny["note"] or "")


async def test_outline_of_a_path_not_in_the_index(service: CodeIndexService) -> None:
    with pytest.raises(BadArgument, match="not a file of the workspace's index") as caught:
        await service.file_outline("cobra-go/nothing.go")
    assert caught.value.data["field"] == "path"
    (service.workspace.root / "cobra-go" / "new.go").write_text("package cobra\n")
    with pytest.raises(BadArgument, match="not indexed yet: reindex it"):
        await service.file_outline("cobra-go/new.go")
    with pytest.raises(OutsideWorkspace):
        await service.file_outline("../../etc/passwd")


async def test_symbol_by_name_qualified_name_and_id(service: CodeIndexService) -> None:
    found = await service.symbol_source("Command.AddCommand")
    assert (found["path"], found["kind"], found["container"]) == (
        "cobra-go/command.go",
        "method",
        "Command",
    )
    assert found["source"].startswith("// AddCommand adds one or more commands")
    assert found["source"].rstrip().endswith("}") and not found["truncated"]
    assert found["signature"] == "func (c *Command) AddCommand(cmds ...*Command)"
    assert found["doc"] == "AddCommand adds one or more commands to this parent command."
    assert found["id"] == "cobra-go/command.go#Command.AddCommand"
    again = await service.symbol_source(symbol_id=found["id"])
    assert again["source"] == found["source"]
    rust = await service.symbol_source("re_unicode::Regex::new")
    assert rust["path"] == "regex-rust/src/re_unicode.rs" and rust["container"] == "Regex"
    assert "pub fn new(re: &str)" in rust["source"]
    assert {o["path"] for o in rust["others"]} == set()  # re_bytes.rs's does not qualify


async def test_a_hit_names_the_definition_at_its_best_line_for_get_symbol(
    service: CodeIndexService,
) -> None:
    # args.go's chunk of lines 73-101 holds MinimumNArgs, MaximumNArgs and ExactArgs: the
    # chunk names none of them, the hit names the one its best line is in
    found = await service.search(
        "ExactArgs returns an error if there are not exactly n args", mode="lexical", limit=5
    )
    [hit] = [h for h in found["hits"] if h["path"] == "cobra-go/args.go" and h["line"] == 93]
    assert hit["start_line"] < 80 < hit["line"] <= hit["end_line"], hit
    assert (hit["symbol"], hit["symbol_kind"]) == ("ExactArgs", "function"), hit
    assert (hit["signature"] or "").startswith("func ExactArgs(n int)"), hit
    source = await service.symbol_source(hit["symbol"], path=hit["path"])
    assert source["start_line"] <= hit["line"] <= source["end_line"], source
    assert source["source"].lstrip().startswith("// ExactArgs returns an error"), source
    method = await service.search("initCompleteCmd", mode="lexical", limit=3)
    assert method["hits"][0]["symbol"] == "Command.initCompleteCmd", method["hits"][0]


async def test_a_hit_in_a_doc_comment_longer_than_its_chunk_names_what_it_documents(
    service: CodeIndexService,
) -> None:
    # takeLast.ts: a JSDoc from line 6 to 44 over two chunks, then `export function takeLast`
    found = await service.search(
        "Waits for the source to complete, then emits the last N values", mode="lexical"
    )
    first = found["hits"][0]
    assert first["path"] == "rxjs-ts/src/internal/operators/takeLast.ts", first
    assert first["line"] <= first["end_line"] < 45, first
    assert (first["symbol"], first["symbol_kind"]) == ("takeLast", "function"), first
    assert (first["signature"] or "").startswith("export function takeLast<T>("), first
    source = await service.symbol_source(first["symbol"], path=first["path"])
    assert source["start_line"] <= 45 <= source["end_line"], source
    # a licence header runs into `package` and imports, not into a definition: no symbol
    header = await service.search(
        "Licensed under the Apache License", mode="lexical", path="cobra-go/args.go"
    )
    assert [(h["line"], h["symbol"]) for h in header["hits"]] == [(3, None)], header["hits"]


async def test_a_class_without_its_method_bodies(service: CodeIndexService) -> None:
    whole = await service.symbol_source("BasePasswordHasher")
    outline = await service.symbol_source("BasePasswordHasher", bodies=False)
    assert len(outline["source"]) < len(whole["source"]) / 2
    assert "    def verify(self, password, encoded):" in outline["source"]
    assert "raise NotImplementedError" not in outline["source"]
    assert "        ..." in outline["source"] and outline["note"]


async def test_a_symbol_over_budget_is_cut_at_a_line(service: CodeIndexService) -> None:
    cut = await service.symbol_source("QuerySet", path="django/db/models/query.py", max_tokens=300)
    assert cut["truncated"] and "larger max_tokens" in (cut["note"] or "")
    assert len(cut["source"]) < 1200 and cut["source"].startswith("class QuerySet")
    assert cut["source"].count("\n") >= 3


async def test_a_name_with_several_definitions_lists_the_others(
    service: CodeIndexService,
) -> None:
    found = await service.symbol_source("encode", path="django/contrib/auth")
    assert found["container"] == "BasePasswordHasher"  # the base class, not a subclass first
    assert {o["container"] for o in found["others"]} >= {"PBKDF2PasswordHasher"}
    kind = await service.symbol_source("Subject", kind="class")
    assert kind["kind"] == "class" and kind["path"] == "rxjs-ts/src/internal/Subject.ts"


async def test_an_unknown_symbol_says_what_to_do(service: CodeIndexService) -> None:
    with pytest.raises(BadArgument, match="find_symbol finds names"):
        await service.symbol_source("NoSuchThingAnywhere")
    with pytest.raises(BadArgument, match=r"it is defined in cobra-go/command\.go"):
        await service.symbol_source("AddCommand", path="regex-rust")
    with pytest.raises(BadArgument, match=r"no symbol 'Nope' in 'cobra-go/args\.go'"):
        await service.symbol_source(symbol_id="cobra-go/args.go#Nope")


async def test_references_of_a_go_method_list_its_callers(service: CodeIndexService) -> None:
    found = await service.find_references("ExecuteC")
    assert [d["container"] for d in found["definitions"]] == ["Command"]
    callers = {(r["caller"], r["match"]) for r in found["references"]}
    assert callers >= {
        ("Command.Execute", "same_file"),
        ("Command.ExecuteContextC", "same_file"),
        ("executeCommandC", "same_package"),  # command_test.go, one package
    }
    same_file = [r for r in found["references"] if r["match"] == "same_file"]
    assert same_file == found["references"][: len(same_file)]  # the surest first
    first = found["references"][0]
    assert first["text"] and "ExecuteC()" in first["text"] and first["kind"] == "call"


async def test_references_of_a_django_function_list_its_real_callers(
    service: CodeIndexService,
) -> None:
    found = await service.find_references("get_random_string", kind="call")
    assert [d["path"] for d in found["definitions"]] == ["django/utils/crypto.py"]
    callers = {r["caller"] for r in found["references"]}
    assert callers >= {
        "make_password",
        "BasePasswordHasher.salt",
        "SessionBase._get_new_session_key",
        "get_random_secret_key",
        "_get_new_csrf_string",
    }
    assert {r["match"] for r in found["references"]} == {"imports_definition"}
    assert all(r["kind"] == "call" for r in found["references"])
    imports = await service.find_references("QuerySet", kind="import")
    assert {r["path"] for r in imports["references"]} >= {
        "django/db/models/manager.py",  # from django.db.models.query import QuerySet
        "django/views/generic/list.py",  # from django.db.models import QuerySet (a package)
    }
    assert {r["match"] for r in imports["references"]} == {"imports_definition"}


async def test_references_narrowed_to_one_definition(service: CodeIndexService) -> None:
    everything = await service.find_references("encode", limit=1000)
    base = await service.find_references(
        "BasePasswordHasher.encode", path="django/contrib/auth/hashers.py", limit=1000
    )
    assert len(everything["definitions"]) > len(base["definitions"]) >= 1
    assert "definitions" in (everything["note"] or "")
    few = await service.find_references("AddCommand", limit=3)
    assert few["truncated"] and len(few["references"]) == 3 and few["total"] > 3
    with pytest.raises(BadArgument, match="has no definition under 'rxjs-ts'"):
        await service.find_references("AddCommand", path="rxjs-ts")


async def test_a_name_with_many_definitions_lists_only_the_first(
    service: CodeIndexService,
) -> None:
    found = await service.find_references("next")  # 30 definitions in regex and rxjs
    assert len(found["definitions"]) == 20 and found["references"]
    assert "'next' has 30 definitions (" in (found["note"] or "")
    assert ", ...; the first 20 are listed): pass path" in (found["note"] or "")


async def test_references_of_a_name_defined_nowhere(service: CodeIndexService) -> None:
    found = await service.find_references("Errorf")
    assert found["definitions"] == [] and found["total"] > 0
    assert {r["match"] for r in found["references"]} == {"name_only"}
    assert "no definition" in (found["note"] or "")
    short = await service.find_references("c")
    assert short["references"] == [] and "one character" in (short["note"] or "")


async def test_a_file_changed_on_disk_is_stale(service: CodeIndexService) -> None:
    path = service.workspace.root / "cobra-go" / "args.go"
    path.write_text(path.read_text(encoding="utf-8") + "\n// more\n", encoding="utf-8")
    assert (await service.file_outline("cobra-go/args.go"))["freshness"] == "stale"
    assert (await service.symbol_source("NoArgs"))["freshness"] == "stale"


async def test_files_of_an_older_parser_are_reported(service: CodeIndexService) -> None:
    async with service.storage.transaction() as tx:
        await tx.execute("UPDATE files SET parser_version = 2 WHERE path LIKE 'cobra-go/%'")
    found = await service.find_references("AddCommand")
    assert "indexed by an older parser and have no references yet" in (found["note"] or "")
    rows = {r.path: r for r in await service.storage.files_under("")}
    on_disk = {e.path: e for e in service.workspace.scan("").files}
    [problem] = _stale_rows(rows, on_disk, 3)
    assert problem["kind"] == "parser_version" and problem["fix"] == {"scope": "project"}
    assert "they lack references" in problem["detail"] and "find_references" in problem["detail"]
