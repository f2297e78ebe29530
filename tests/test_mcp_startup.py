"""`codeindex mcp` imports only the parts of the MCP SDK its stdio server runs on (issue 20:
spawn to first semantic answer): not the SDK's client, its high-level `MCPServer`, httpx2
or uvicorn, measured with `python -X importtime`. The SDK stays whole for whoever asks for
the rest in the same process."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import cli_env

pytestmark = pytest.mark.slow  # starts codeindex processes

NOT_FOR_THE_SERVER = ("mcp.client", "mcp.server.mcpserver", "httpx2", "click")


def _line(message: dict[str, object]) -> str:
    return json.dumps(message) + "\n"


def test_the_mcp_server_answers_initialize_without_the_sdk_client(tmp_path: Path) -> None:
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"},
        },
    }
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    log = tmp_path / "stderr.txt"  # a file: a pipe nobody reads could fill up
    answers: dict[int, dict[str, Any]] = {}
    with (
        log.open("w", encoding="utf-8") as stderr,
        subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "codeindex", "mcp", "--workspace", "."],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=tmp_path,
            env=cli_env(),
        ) as proc,
    ):
        watchdog = threading.Timer(60, proc.kill)  # a hang fails the test, not the run
        watchdog.start()
        try:
            assert proc.stdin is not None and proc.stdout is not None
            # stdin stays open until both answers are in: at its end the server stops at once
            for message in (initialize, listing):
                if message is listing:
                    proc.stdin.write(
                        _line({"jsonrpc": "2.0", "method": "notifications/initialized"})
                    )
                proc.stdin.write(_line(message))
                proc.stdin.flush()
                while message["id"] not in answers:
                    line = proc.stdout.readline()
                    assert line, "the server closed stdout before answering"
                    answer = json.loads(line)
                    answers[answer.get("id")] = answer
            proc.stdin.close()
            proc.wait(timeout=60)
        finally:
            watchdog.cancel()
            proc.kill()
    errors = log.read_text(encoding="utf-8")
    assert answers[1]["result"]["serverInfo"]["name"] == "codeindex", answers[1]
    assert "search_code" in {t["name"] for t in answers[2]["result"]["tools"]}
    imported = {line.rsplit("|", 1)[-1].strip() for line in errors.splitlines()}
    assert "mcp.server.lowlevel.server" in imported
    loaded = sorted(
        name
        for name in imported
        if any(name == n or name.startswith(n + ".") for n in NOT_FOR_THE_SERVER)
    )
    assert loaded == []
    # sse_starlette tries `uvicorn.main` (listed, though it fails): the package never loads
    assert "uvicorn" not in imported


def test_the_rest_of_the_sdk_loads_when_asked_for_after_the_server_parts() -> None:
    script = (
        "import sys\n"
        "from codeindex.mcp_server import sdk\n"
        "sdk.load()\n"
        "assert 'mcp.client' not in sys.modules and 'uvicorn' not in sys.modules\n"
        "from mcp.server.lowlevel import Server\n"
        "from mcp import ClientSession, StdioServerParameters, types\n"
        "from mcp.server import MCPServer, Server as Exported\n"
        "import mcp, uvicorn.main\n"
        "assert Exported is Server and types.Tool is mcp.Tool\n"
        "missing = [n for n in mcp.__all__ if not hasattr(mcp, n)]\n"
        "assert not missing, missing\n"
        "print('whole')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=cli_env(),
        check=False,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "whole"
