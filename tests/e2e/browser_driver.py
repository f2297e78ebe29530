"""Playwright behind a pipe, for the end-to-end tests of the VS Code extension.

Run by the e2e setup's Python (`E2E_PYTHON`, which has Playwright; the project's
environment does not), as `E2E_PYTHON browser_driver.py CHROMIUM`. Each line on stdin is
one JSON request, `{"op": ..., ...}`; each answer is one line on stdout,
`{"ok": true, "value": ...}` or `{"ok": false, "error": "..."}`. The test side is
`tests/e2e/workbench.py`. Waits are Playwright's own (a locator until it shows, with a
timeout), never sleeps.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from playwright.sync_api import FrameLocator, Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def locate(page: Page, request: dict[str, Any]) -> Locator:
    """The first element matching `selector` (whose text matches the regex `text`, if given),
    inside the nested iframes `frames` (selectors, outermost first) when given."""
    scope: Page | FrameLocator = page
    for frame in request.get("frames") or []:
        scope = scope.frame_locator(frame)
    locator = scope.locator(request["selector"])
    if request.get("text"):
        locator = locator.filter(has_text=re.compile(request["text"]))
    return locator.first


def handle(page: Page, request: dict[str, Any]) -> Any:
    """Do one request; its value (or None)."""
    op = request["op"]
    timeout = float(request.get("timeout", 30)) * 1000
    if op == "goto":
        page.goto(request["url"], timeout=timeout)
    elif op == "wait":
        locator = locate(page, request)
        locator.wait_for(state=request.get("state", "visible"), timeout=timeout)
        if request.get("state", "visible") != "visible":
            return None
        try:  # the text may have moved on since it matched (a status item, say)
            return locator.inner_text(timeout=1000)
        except PlaywrightTimeout:
            return locate(page, {**request, "text": None}).inner_text(timeout=timeout)
    elif op == "texts":
        return page.locator(request["selector"]).all_inner_texts()
    elif op == "click":
        locate(page, request).click(
            button=request.get("button", "left"),
            modifiers=request.get("modifiers") or [],
            timeout=timeout,
        )
    elif op == "fill":
        locate(page, request).fill(request["value"], timeout=timeout)
    elif op == "hover":
        locate(page, request).hover(timeout=timeout)
    elif op == "press":
        page.keyboard.press(request["key"])
    elif op == "type":
        page.keyboard.type(request["text"], delay=float(request.get("delay", 20)))
    elif op == "screenshot":
        page.screenshot(path=request["path"])
    else:
        raise ValueError(f"unknown op {op!r}")
    return None


def main() -> int:
    """Serve requests until stdin closes."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=sys.argv[1], headless=True, args=BROWSER_ARGS
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for line in sys.stdin:
            try:
                answer = {"ok": True, "value": handle(page, json.loads(line))}
            except Exception as exc:
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()}
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
