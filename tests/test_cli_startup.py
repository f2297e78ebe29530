"""`codeindex --help` and `--version` answer from the argument parser alone: no language
server, MCP SDK, bench, index or rich import (measured with `python -X importtime`)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.helpers import cli_env

pytestmark = pytest.mark.slow  # starts codeindex processes

NOT_FOR_HELP = (
    "pygls",
    "lsprotocol",
    "mcp",
    "rich",
    "aiosqlite",
    "lancedb",
    "fastembed",
    "onnxruntime",
    "codeindex.lsp",
    "codeindex.mcp_server",
    "codeindex.bench",
    "codeindex.app",
    "codeindex.storage",
    "codeindex.cli.main",
)


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_no_server_code(flag: str) -> None:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "codeindex", flag],
        capture_output=True,
        text=True,
        env=cli_env(),
        check=False,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "codeindex" in run.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()}
    assert "codeindex.cli.fast" in imported
    heavy = sorted(
        name
        for name in imported
        if any(name == h or name.startswith(h + ".") for h in NOT_FOR_HELP)
    )
    assert heavy == []
