"""The MCP Inspector's CLI (npm) against `codeindex mcp`: what an outside client sees.

Needs `npx`; the Inspector comes from the npm cache (`.ci/run` fills it) or the npm
registry. Skipped, loudly, only when `npx` is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import REPO
from tests.mcp_client import server_env

INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"
NPX = shutil.which("npx")

pytestmark = [
    pytest.mark.slow,  # starts codeindex processes
    pytest.mark.skipif(
        NPX is None,
        reason="NOT TESTED: npx is missing, so the MCP Inspector CLI test did not run "
        "(install Node.js and npm to run it)",
    ),
]


@pytest.fixture
def workspace(polyglot_ws: Path) -> Path:
    """An indexed copy of the polyglot corpus (the server's workspace)."""
    return polyglot_ws


def inspector(workspace: Path, model: Path, *method: str) -> subprocess.CompletedProcess[str]:
    """`npx INSPECTOR --cli python -m codeindex mcp --workspace WS --method ...`."""
    assert NPX is not None
    env_args = [arg for key, value in server_env(model).items() for arg in ("-e", f"{key}={value}")]
    command = [NPX, "-y", INSPECTOR, "--cli", *env_args]
    command += [sys.executable, "-m", "codeindex", "mcp", "--workspace", str(workspace)]
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false"}
    return subprocess.run(
        [*command, "--method", *method],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def answer(proc: subprocess.CompletedProcess[str]) -> Any:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_the_ci_script_warms_the_pinned_inspector() -> None:
    assert INSPECTOR in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_inspector_lists_and_calls_the_tools(workspace: Path, tiny_model_path: Path) -> None:
    listed = answer(inspector(workspace, tiny_model_path, "tools/list", "--strict"))
    tools = {t["name"]: t for t in listed["tools"]}
    assert len(tools) == 13
    for tool in tools.values():
        assert tool["inputSchema"]["type"] == "object"
        assert tool["outputSchema"]["type"] == "object"
        assert tool["annotations"]["destructiveHint"] is False
    assert tools["search_code"]["annotations"]["readOnlyHint"] is True
    assert tools["force_reindex"]["inputSchema"]["properties"]["async"]["type"] == "boolean"

    call = ["tools/call", "--tool-name"]
    found = answer(
        inspector(
            workspace,
            tiny_model_path,
            *call,
            "search_code",
            "--tool-arg",
            "query=NonInheritedFlags",
            "mode=lexical",
        )
    )
    hits = found["structuredContent"]["hits"]
    assert hits and all(h["path"].startswith("cobra-go/") for h in hits)

    done = answer(
        inspector(
            workspace,
            tiny_model_path,
            *call,
            "force_reindex",
            "--tool-arg",
            "scope=file",
            'paths=["cobra-go/args.go"]',
            "async=false",
        )
    )
    assert done["structuredContent"]["status"] == "Completed"
    assert done["structuredContent"]["result"]["items_completed"] == 1

    refused = inspector(
        workspace, tiny_model_path, *call, "force_reindex", "--tool-arg", "scope=everything"
    )
    assert refused.returncode != 0
    assert "bad_argument: scope must be one of" in refused.stdout
