"""Settings from the editor: `initializationOptions` and `workspace/didChangeConfiguration`.

The editor sends an object (nested or with dotted keys; VS Code's `{"codeindex": {...}}`
section is unwrapped):

    {"model": {"name": "...", "path": "/models/all-MiniLM-L6-v2-onnx"},
     "maxFileSize": 1048576, "excludes": ["vendor/**"], "watching": true}

Each maps to a core setting key (below); any core key (`embedding.batch_size`, ...) is
also accepted as is. A value that cannot be used is reported with window/showMessage and
the default is used for it; the others still apply. When `didChangeConfiguration` carries
no settings, the server asks the client (`workspace/configuration`, section `codeindex`)
if it can.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from codeindex.config import SETTINGS as CORE_SETTINGS
from codeindex.errors import CodeIndexError

if TYPE_CHECKING:
    from codeindex.lsp.server import CodeIndexServer

log = logging.getLogger(__name__)

SECTION = "codeindex"
CORE_KEYS = frozenset(s.key for s in CORE_SETTINGS)


def _model_name(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "a model name (a string)"


def _model_path(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "a folder path (a string)"
    if not Path(value).expanduser().is_dir():
        return "an existing folder holding model.onnx and the tokenizer files"
    return None


def _size(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return None if ok else "a whole number of bytes above 0"


def _patterns(value: Any) -> str | None:
    ok = isinstance(value, list) and all(isinstance(p, str) for p in value)
    return None if ok else 'a list of gitignore-style patterns, e.g. ["vendor/**"]'


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else "true or false"


# editor setting -> (core setting key, check returning what is allowed when the value is bad)
SETTINGS: dict[str, tuple[str, Callable[[Any], str | None]]] = {
    "model.name": ("embedding.model", _model_name),
    "model.path": ("embedding.model_path", _model_path),
    "maxFileSize": ("index.max_file_size", _size),
    "excludes": ("index.excludes", _patterns),
    "watching": ("watch.enabled", _flag),
}


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping) and full not in SETTINGS and full not in CORE_KEYS:
            flat.update(_flatten(value, f"{full}."))
        else:
            flat[full] = value
    return flat


def parse(raw: Any) -> tuple[dict[str, Any], list[str]]:
    """Core overrides from the editor's settings object, and one message per bad setting."""
    if raw is None:
        return {}, []
    if not isinstance(raw, Mapping):
        return {}, [f"codeindex settings must be an object; got {raw!r}: using the defaults"]
    if isinstance(raw.get(SECTION), Mapping):
        raw = raw[SECTION]
    overrides: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in _flatten(raw).items():
        if value is None:
            continue
        if key in SETTINGS:
            core_key, check = SETTINGS[key]
            allowed = check(value)
            if allowed is None:
                overrides[core_key] = value
            else:
                problems.append(
                    f"codeindex setting {key} = {value!r} is not usable (allowed: {allowed}): "
                    "using the default"
                )
        elif key in CORE_KEYS:
            overrides[key] = value
        else:
            known = ", ".join([*SETTINGS, *sorted(CORE_KEYS)])
            problems.append(f"unknown codeindex setting {key!r} (known: {known}): ignored")
    return overrides, problems


def report(ls: CodeIndexServer, problems: list[str]) -> None:
    """Each problem as a window/showMessage warning."""
    for problem in problems:
        ls.show(problem, types.MessageType.Warning)


async def pull(ls: CodeIndexServer) -> Any:
    """The client's `codeindex` configuration section (None when it cannot say)."""
    workspace = ls.client_capabilities.workspace
    if workspace is None or not workspace.configuration:
        return None
    try:
        values = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        )
    except Exception as exc:
        log.info("workspace/configuration failed: %s", exc)
        return None
    return values[0] if values else None


async def apply(ls: CodeIndexServer, raw: Any) -> None:
    """New settings from the editor: check them, report the bad ones, apply the rest.

    A setting the editor no longer sends goes back to its default.
    """
    known, problems = parse(raw)
    report(ls, problems)
    folders = ls.open_folders()
    if not folders or known == ls.applied_settings:
        return
    ls.overrides = dict(known)  # for folders added later
    changes = {**dict.fromkeys(ls.applied_settings), **known}
    applied = False
    for folder in folders:
        assert folder.service is not None
        try:
            async with ls.book.lock:  # tasks created after this message see the new settings
                await folder.service.apply_settings(changes)
            applied = True
        except CodeIndexError as exc:
            ls.show(
                f"codeindex settings not applied to {folder.name}: {exc.message}; "
                "keeping the previous ones"
            )
    if applied:
        ls.applied_settings = known


async def did_change_configuration(
    ls: CodeIndexServer, params: types.DidChangeConfigurationParams
) -> None:
    """workspace/didChangeConfiguration: apply the settings sent (or pulled)."""
    raw = params.settings
    if raw is None or raw == {}:
        raw = await pull(ls)
    if raw is not None:
        await apply(ls, raw)
