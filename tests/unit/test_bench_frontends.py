"""Item 16's parts that need no index: reading a process's memory and maps, the framed LSP
client against a scripted server, the rows' targets, and the `--frontends` flag.

`tests/test_bench.py` runs the whole measurement against real front-ends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codeindex.bench.common import BenchError, config_from_args
from codeindex.bench.frontends import FrontendResult, FrontendSpawn, FrontendsResult, process_memory
from codeindex.bench.lsp_stdio import LspStdio
from codeindex.bench.process_targets import frontend_rows
from codeindex.cli.args import parse

# A server that answers like `codeindex lsp` does around a request: a notification and a
# request of its own first (the client must answer it), then the response.
SCRIPTED_SERVER = r"""
import json, sys
def read():
    length = None
    while True:
        line = sys.stdin.buffer.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(sys.stdin.buffer.read(length)) if length else None
def send(message):
    body = json.dumps(message).encode()
    sys.stdout.buffer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    sys.stdout.buffer.flush()
while (message := read()) is not None:
    if "id" not in message:
        continue
    if message["method"] == "shutdown":
        send({"jsonrpc": "2.0", "id": message["id"], "result": None})
        continue
    send({"jsonrpc": "2.0", "method": "codeindex/status", "params": {"tasks": 0}})
    send({"jsonrpc": "2.0", "id": "p1", "method": "window/workDoneProgress/create",
          "params": {"token": "t"}})
    answer = read()
    assert answer == {"jsonrpc": "2.0", "id": "p1", "result": None}, answer
    if message["method"] == "fail":
        send({"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": "no"}})
    else:
        send({"jsonrpc": "2.0", "id": message["id"], "result": message["params"]})
"""


async def test_the_lsp_client_answers_the_server_and_gets_its_response(tmp_path: Path) -> None:
    command = [sys.executable, "-c", SCRIPTED_SERVER]
    client = await LspStdio.spawn(command, {}, tmp_path, tmp_path / "server.log")
    try:
        assert await client.request("echo", {"q": "é" * 3}) == {"q": "é" * 3}
        with pytest.raises(BenchError, match="-32601"):
            await client.request("fail", {})
        assert await client.request("echo", [1, 2]) == [1, 2]  # still in step after an error
    finally:
        await client.close()
    assert client.process.returncode == 0, (tmp_path / "server.log").read_text()


@pytest.mark.parametrize("imports", ["", "import onnxruntime"])
def test_process_memory_reads_rss_and_sees_onnxruntime_mapped(imports: str) -> None:
    code = f"{imports}\nimport sys\nprint('ready', flush=True)\nsys.stdin.read()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        rss, onnx = process_memory(proc.pid)
    finally:
        proc.communicate("", timeout=30)
    assert 1_000_000 < rss < 2_000_000_000
    assert onnx == bool(imports)


def _front_end(first: float, rss: int, onnx: bool) -> FrontendResult:
    spawn = FrontendSpawn(first / 2, first, [5.0], rss, onnx)
    return FrontendResult([spawn], first / 2, first, rss, onnx)


def test_item_16_rows_hold_each_front_end_to_its_targets() -> None:
    good = _front_end(1.2, 90_000_000, False)
    rows = frontend_rows(FrontendsResult("q", 5, good, good))
    assert [row.item for row in rows] == [16, 16, 16]
    assert [row.met for row in rows] == [True, True, True]
    slow_lsp = frontend_rows(FrontendsResult("q", 5, good, _front_end(1.6, 90_000_000, False)))
    assert [row.met for row in slow_lsp] == [False, True, True]
    heavy_mcp = frontend_rows(FrontendsResult("q", 5, _front_end(1.0, 400_000_000, True), good))
    assert [row.met for row in heavy_mcp] == [True, False, False]
    assert "400 MB" in heavy_mcp[1].value and heavy_mcp[2].value == "yes / no"


def test_the_frontends_flag_measures_item_16_alone(tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.onnx").write_bytes(b"")
    base = ["bench", str(tmp_path / "tree"), "--model-path", str(tmp_path / "model")]
    args = parse([*base, "--frontends"])
    assert not isinstance(args, int)
    config = config_from_args(args)
    assert config.frontends_only and not config.progress_only
    both = parse([*base, "--frontends", "--progress"])
    assert not isinstance(both, int)
    with pytest.raises(BenchError, match="one of them"):
        config_from_args(both)
