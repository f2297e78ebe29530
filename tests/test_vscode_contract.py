"""The VS Code extension against the real language server: what package.json and the
extension's constants promise is what `codeindex lsp` advertises and accepts, and the
response types the extension reads are the contract's.

The server is started as a subprocess with pytest-lsp and initialized on an empty folder;
its `executeCommandProvider` is the list every command of the extension maps onto (the
extension's unit tests check the mapping itself against these constants). The response
types are generated from the contract's JSON Schemas (`scripts/generate_protocol.py`); the
checked-in file must be what the generator writes now.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from tests.conftest import REPO
from tests.helpers import cli_env

from codeindex.lsp import commands as server_commands
from codeindex.lsp import settings as server_settings
from codeindex.lsp import status as server_status
from codeindex.mcp_server.schema import schema_of
from codeindex.mcp_server.tools import TOOLS

CLIENT = REPO / "vscode-client"
CONSTANT = re.compile(r'^export const ([A-Z_]+) = "([^"]+)";$', re.MULTILINE)
CLIENT_ONLY_SETTINGS = ("server.", "trace.")
GENERATOR = REPO / "scripts" / "generate_protocol.py"
INTERFACE = re.compile(r"^export interface (\w+) ", re.MULTILINE)


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CLIENT / "package.json").read_text(encoding="utf-8"))
    return data


def ts_constants() -> dict[str, str]:
    """`export const NAME = "value";` lines of vscode-client/src/common/constants.ts."""
    text = (CLIENT / "src" / "common" / "constants.ts").read_text(encoding="utf-8")
    return dict(CONSTANT.findall(text))


# The server's code tools, for agents and other clients: VS Code users have the outline,
# Go to Symbol and Find All References of each language's own server, so the extension
# does not expose them (nor declare them).
NOT_IN_EXTENSION = {"FILE_OUTLINE", "GET_SYMBOL", "FIND_REFERENCES"}


def server_command_constants() -> dict[str, str]:
    """Every command constant of the server: NAME -> `codeindex.xxx`."""
    return {
        name: value
        for name, value in vars(server_commands).items()
        if name.isupper() and isinstance(value, str) and value.startswith("codeindex.")
    }


def python_commands() -> dict[str, str]:
    """The server's command constants the extension mirrors: NAME -> `codeindex.xxx`."""
    return {k: v for k, v in server_command_constants().items() if k not in NOT_IN_EXTENSION}


def server_settings_of_extension(values: dict[str, Any]) -> dict[str, Any]:
    """What the extension sends: package.json's server settings, nested at the dots."""
    nested: dict[str, Any] = {}
    for key, value in values.items():
        *parents, leaf = key.removeprefix("codeindex.").split(".")
        table = nested
        for parent in parents:
            table = table.setdefault(parent, {})
        table[leaf] = value
    return nested


def extension_server_settings() -> dict[str, dict[str, Any]]:
    properties: dict[str, dict[str, Any]] = manifest()["contributes"]["configuration"]["properties"]
    return {
        key: spec
        for key, spec in properties.items()
        if not key.removeprefix("codeindex.").startswith(CLIENT_ONLY_SETTINGS)
    }


async def initialized(
    root: Path, options: Any
) -> AsyncIterator[tuple[LanguageClient, types.InitializeResult]]:
    """`python -m codeindex lsp` initialized on `root`, after its first status notification."""
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "codeindex", "lsp"],
        server_env=cli_env(CODEINDEX_ALLOW_DOWNLOAD="0"),
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)
    uri = from_fs_path(str(root)) or ""
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=uri,
            workspace_folders=[types.WorkspaceFolder(uri=uri, name=root.name)],
            initialization_options=options,
        )
    )
    await client.wait_for_notification(server_status.STATUS_NOTIFICATION)
    yield client, result
    await client.shutdown_session()
    await client.stop()


@pytest.fixture
async def server(
    tmp_path: Path,
) -> AsyncIterator[tuple[LanguageClient, types.InitializeResult]]:
    """The server on an empty folder, with the extension's default settings."""
    defaults = {key: spec["default"] for key, spec in extension_server_settings().items()}
    async for session in initialized(tmp_path, server_settings_of_extension(defaults)):
        yield session


def test_constants_mirror_the_python_names() -> None:
    ts = ts_constants()
    for name, value in python_commands().items():
        assert ts.get(name) == value, f"constants.ts: {name} should be {value!r}"
    assert ts["STATUS_NOTIFICATION"] == server_status.STATUS_NOTIFICATION


async def test_the_server_advertises_exactly_the_commands_the_extension_uses(
    server: tuple[LanguageClient, types.InitializeResult],
) -> None:
    provider = server[1].capabilities.execute_command_provider
    assert provider is not None
    advertised = set(provider.commands)
    ts = ts_constants()
    assert advertised == set(server_command_constants().values())
    assert advertised - {ts[name] for name in python_commands()} == {
        server_command_constants()[name] for name in NOT_IN_EXTENSION
    }
    assert not NOT_IN_EXTENSION & set(ts)
    assert len(advertised) == 13

    contributed = [c["command"] for c in manifest()["contributes"]["commands"]]
    clashes = advertised & set(contributed)
    assert not clashes, f"the language client registers {clashes} for the server: rename ours"
    assert {c["category"] for c in manifest()["contributes"]["commands"]} == {"Code Index"}
    assert {v for k, v in ts.items() if v in contributed} == set(contributed)


def test_menus_name_contributed_commands() -> None:
    contributes = manifest()["contributes"]
    contributed = {c["command"] for c in contributes["commands"]}
    explorer = {m["command"] for m in contributes["menus"]["explorer/context"]}
    assert {"codeindex.reindexFolder", "codeindex.reindexSelectedFiles"} <= explorer
    for where, entries in contributes["menus"].items():
        for entry in entries:
            assert entry["command"] in contributed, f"{where}: {entry['command']}"


def test_settings_mirror_the_server() -> None:
    keys = {k.removeprefix("codeindex.") for k in extension_server_settings()}
    assert keys == set(server_settings.SETTINGS)
    properties = manifest()["contributes"]["configuration"]["properties"]
    assert properties["codeindex.server.command"]["default"] == "codeindex"


async def test_the_defaults_are_accepted_without_a_warning(
    server: tuple[LanguageClient, types.InitializeResult],
) -> None:
    client = server[0]
    assert client.messages == [], [m.message for m in client.messages]


async def test_set_values_are_accepted_without_a_warning(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    values = {
        "codeindex.model.name": "tiny-bert-128-onnx",
        "codeindex.model.path": str(tiny_model_path),
        "codeindex.maxFileSize": 4096,
        "codeindex.excludes": ["vendor/**"],
        "codeindex.watching": False,
    }
    assert set(values) == set(extension_server_settings())
    async for client, _ in initialized(tmp_path, server_settings_of_extension(values)):
        assert client.messages == [], [m.message for m in client.messages]


def generator() -> ModuleType:
    """scripts/generate_protocol.py imported as a module."""
    spec = importlib.util.spec_from_file_location("generate_protocol", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_client_response_types_are_generated_from_the_contract() -> None:
    gen = generator()
    target: Path = gen.TARGET
    checked_in = target.read_text(encoding="utf-8") if target.exists() else ""
    assert checked_in == gen.generate(), (
        f"{target.relative_to(REPO)} differs from the types of codeindex.contract: "
        f"run `{gen.COMMAND}` and commit the file"
    )


def test_the_client_declares_no_response_type_by_hand() -> None:
    """protocol.ts re-exports the generated types; every MCP result's parts are generated."""
    generated = set(INTERFACE.findall(generator().generate()))
    by_hand = (CLIENT / "src" / "common" / "protocol.ts").read_text(encoding="utf-8")
    assert not set(INTERFACE.findall(by_hand)) & generated
    for tool in TOOLS:
        missing = set(schema_of(tool.result).get("$defs", {})) - generated
        assert not missing, f"{tool.name}: add {sorted(missing)} to ROOTS of {GENERATOR.name}"
