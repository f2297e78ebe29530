"""A real VS Code for the tests: code-server with the extension, and a page that drives it.

`CodeServer` installs a `.vsix` into a fresh user-data folder and serves one workspace on a
free loopback port (in its own process group, killed whole at the end). `Workbench` drives
the page through `browser_driver.py` (Playwright, run by the e2e setup's Python) and saves
a numbered screenshot after each step.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

DRIVER = Path(__file__).with_name("browser_driver.py")
STATUS_BAR = ".part.statusbar"
TOASTS = ".notifications-toasts .notification-toast"
PALETTE_ROWS = ".quick-input-widget .quick-input-list .monaco-list-row"
QUICK_INPUT = ".quick-input-widget"
CONTEXT_MENU = ".context-view .monaco-menu"

USER_SETTINGS = {
    "workbench.startupEditor": "none",
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "update.mode": "none",
    "workbench.tips.enabled": False,
    "chat.disableAIFeatures": True,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CodeServer:
    """code-server (VS Code 1.139) serving `workspace`, with the extension installed."""

    def __init__(
        self, tools: dict[str, str], state: Path, vsix: Path, settings: dict[str, Any]
    ) -> None:
        self.tools = tools
        self.state = state
        self.port = free_port()
        (state / "ud" / "User").mkdir(parents=True)
        (state / "ext").mkdir()
        (state / "ud" / "User" / "settings.json").write_text(
            json.dumps({**USER_SETTINGS, **settings}, indent=2), encoding="utf-8"
        )
        (state / "config.yaml").write_text(
            f"bind-addr: 127.0.0.1:{self.port}\nauth: none\ncert: false\n", encoding="utf-8"
        )
        self.args = [
            tools["E2E_CODE_SERVER"],
            "--config",
            str(state / "config.yaml"),
            "--user-data-dir",
            str(state / "ud"),
            "--extensions-dir",
            str(state / "ext"),
        ]
        node_bin = str(Path(tools["E2E_NODE"]).parent)
        self.env = {
            **os.environ,
            "PATH": f"{node_bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "XDG_DATA_HOME": str(state / "xdg"),
            "XDG_CONFIG_HOME": str(state / "xdg"),
        }
        self.log = state / "code-server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.workspace: Path | None = None
        self.install(vsix)

    def install(self, vsix: Path) -> None:
        """`code-server --install-extension FILE.vsix`, as a user would."""
        proc = subprocess.run(
            [*self.args, "--install-extension", str(vsix)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, f"installing {vsix} failed:\n{proc.stdout}\n{proc.stderr}"
        installed = list((self.state / "ext").glob("codeindex.codeindex-*"))
        assert installed, f"{vsix} did not install: {proc.stdout}\n{proc.stderr}"

    def start(self, workspace: Path, timeout: float = 120) -> str:
        """Serve `workspace`; the URL that opens it, once code-server answers."""
        self.workspace = workspace
        flags = [
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            "--disable-getting-started-override",
        ]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [*self.args, *flags, str(workspace)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        health = f"http://127.0.0.1:{self.port}/healthz"
        while True:
            assert self.proc.poll() is None, f"code-server exited: {self.tail()}"
            try:
                with urllib.request.urlopen(health, timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, f"code-server did not answer: {self.tail()}"
                time.sleep(0.2)  # polling a port that is not open yet: nothing to wait on
        return f"http://127.0.0.1:{self.port}/?folder={workspace}"

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Kill code-server's whole process group (its extension host and our server too)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=10)
                return
            except subprocess.TimeoutExpired:
                continue


class StepFailed(AssertionError):
    """A step of the browser failed; the message says which and where the screenshots are."""


class Workbench:
    """The VS Code page in headless Chromium, one request at a time."""

    def __init__(self, tools: dict[str, str], shots: Path) -> None:
        self.shots = shots
        shots.mkdir(parents=True, exist_ok=True)
        self.step = 0
        self.seen: list[str] = []
        with (shots / "driver.log").open("wb") as log:
            self.proc = subprocess.Popen(
                [tools["E2E_PYTHON"], str(DRIVER), tools["E2E_CHROMIUM"]],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def call(self, op: str, **fields: Any) -> Any:
        """One request to the driver; its value, or StepFailed with its error."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            log = (self.shots / "driver.log").read_text(encoding="utf-8", errors="replace")
            raise StepFailed(f"the browser driver exited during {op}: {log[-2000:]}")
        answer = json.loads(line)
        if not answer["ok"]:
            failed = self.shot(f"failed-{op}")
            raise StepFailed(
                f"{op} {fields}: {answer['error'][:1500]}\nscreenshots: {self.shots} "
                f"(the last one: {failed.name})"
            )
        return answer["value"]

    def shot(self, name: str) -> Path:
        """A numbered screenshot of the page now."""
        self.step += 1
        path = self.shots / f"{self.step:02d}-{name}.png"
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": "screenshot", "path": str(path)}) + "\n")
        self.proc.stdin.flush()
        self.proc.stdout.readline()
        return path

    def wait(
        self,
        selector: str,
        text: str | None = None,
        timeout: float = 60,
        state: str = "visible",
        frames: list[str] | None = None,
    ) -> str:
        """The text of the first element matching `selector` (and the regex `text`), once
        shown (or, for another `state` such as "attached", once in that state: ""); inside
        the nested iframes `frames` when given (a webview)."""
        found = self.call(
            "wait", selector=selector, text=text, timeout=timeout, state=state, frames=frames
        )
        self.seen.append(found or "")
        return str(found or "")

    def open(self, url: str) -> None:
        """Open the workspace; ready when the explorer lists its files."""
        self.call("goto", url=url, timeout=120)
        self.wait(".explorer-folders-view .monaco-list-row", timeout=120)

    def palette(self, title: str) -> None:
        """Run a command from the palette (F1, type its title, Enter on its row)."""
        self.call("click", selector=".monaco-workbench", timeout=10)
        self.call("press", key="F1")
        self.wait(QUICK_INPUT + " input")
        self.call("type", text=title)
        self.wait(PALETTE_ROWS, text=re.escape(title))
        self.shot("palette-" + re.sub(r"\W+", "-", title.removeprefix("Code Index: ")).strip("-"))
        self.call("press", key="Enter")

    def set_setting(self, key: str, value: str) -> None:
        """Type a string setting's new value in the Settings editor, as a person would."""
        self.palette("Preferences: Open User Settings")
        self.wait(".settings-editor .settings-header .suggest-input-container")
        self.call("type", text=key)  # the search box has the focus
        box = f".settings-editor .setting-item-contents:has-text('{key.split('.')[-1]}') input"
        self.wait(box)
        self.call("fill", selector=box, value=value)
        self.call("press", key="Enter")

    def explorer_menu(self, *names: str) -> str:
        """Select `names` in the explorer (Ctrl+click for more than one), right-click the
        last one; the context menu's text."""
        rows = ".explorer-folders-view .monaco-list-row"
        for i, name in enumerate(names):
            self.call(
                "click",
                selector=rows,
                text=f"^{re.escape(name)}$",
                modifiers=["Control"] if i else [],
            )
        self.call("click", selector=rows, text=f"^{re.escape(names[-1])}$", button="right")
        return self.wait(CONTEXT_MENU)

    def close(self) -> None:
        """Close the browser (the driver ends when its stdin closes)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
