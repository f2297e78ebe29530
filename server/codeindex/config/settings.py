"""Typed settings: workspace root, data dir, model and limits.

Settings come from, lowest precedence first: the defaults below, the
workspace's `.codeindex.toml`, environment variables, and explicit overrides
(CLI flags, LSP initialization options, MCP arguments). `data_dir_for` is the
one function that decides where the index lives; every front-end calls it.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from codeindex.config.table import DEFAULT_MODEL, SETTINGS, SettingInfo
from codeindex.datadir import data_dir_for
from codeindex.errors import ConfigError

__all__ = ["CONFIG_FILE", "Settings", "load_settings"]

CONFIG_FILE = ".codeindex.toml"


_BY_KEY = {s.key: s for s in SETTINGS}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the core needs to know about one workspace."""

    root: Path
    data_dir: Path
    max_file_size: int = 1024 * 1024
    max_chunk_chars: int = 1000
    excludes: tuple[str, ...] = ()
    embed_model: str = DEFAULT_MODEL
    embed_model_path: Path | None = None
    allow_download: bool = True
    embed_batch_size: int = 16
    embed_max_tokens: int = 256
    embed_threads: int | None = None
    embed_quantize: str = "auto"
    embed_skip_files: bool = True
    embed_skip_patterns: str = ""
    vectors_uri: str = ""
    vectors_s3_endpoint: str = ""
    vectors_s3_region: str = ""
    vectors_allow_http: bool = False
    cache_enabled: bool = True
    cache_max_bytes: int = 2 * 1024**3
    embed_provider: str = "local"
    embed_url: str = ""
    embed_api_key_env: str = ""
    embed_request_tokens: int = 4096
    embed_concurrency: int = 4
    embed_timeout: float = 30.0
    embed_retry_seconds: float = 60.0
    lease_seconds: float = 10.0
    linger_seconds: float = 120.0
    watch_enabled: bool = True
    watch_debounce_ms: int = 100
    watch_reconcile_seconds: float = 300.0
    search_test_patterns: tuple[str, ...] = ()
    search_docs_patterns: tuple[str, ...] = ()
    search_changelog_patterns: tuple[str, ...] = ()
    search_example_patterns: tuple[str, ...] = ()
    search_generated_patterns: tuple[str, ...] = ()
    parser_version_bump: int = 0
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def db_path(self) -> Path:
        """The SQLite file."""
        return self.data_dir / "index.db"

    def gone(self) -> str | None:
        """What of the workspace was removed under a running worker (`rm -rf`): its folder
        or its index.db; None while both are there."""
        if not self.root.is_dir():
            return f"the workspace {self.root} was removed"
        if not self.db_path.is_file():
            return f"its index {self.db_path} was removed"
        return None

    @property
    def vectors_path(self) -> Path:
        """The local LanceDB folder (used when `vectors_uri` is empty)."""
        return self.data_dir / "vectors"

    def index_key(self) -> str:
        """The settings that change what the index holds: two workers with the same key
        index and embed alike. Batch size, threads and download permission only change
        how fast or whether, so they are not in it: an editor and a shell with different
        values of those share one worker."""
        return json.dumps(
            {
                "max_file_size": self.max_file_size,
                "max_chunk_chars": self.max_chunk_chars,
                "excludes": list(self.excludes),
                "embed_model": self.embed_model,
                "embed_model_path": None
                if self.embed_model_path is None
                else str(self.embed_model_path),
                "embed_max_tokens": self.embed_max_tokens,
                "embed_quantize": self.embed_quantize,
                "embed_skip_files": self.embed_skip_files,
                "embed_skip_patterns": self.embed_skip_patterns,
                "embed_provider": self.embed_provider,
                "embed_url": self.embed_url,
                "embed_api_key_env": self.embed_api_key_env,
                "parser_version_bump": self.parser_version_bump,
                "vectors_uri": self.vectors_uri,
                "vectors_s3_endpoint": self.vectors_s3_endpoint,
                "vectors_s3_region": self.vectors_s3_region,
                "vectors_allow_http": self.vectors_allow_http,
            },
            sort_keys=True,
        )

    def with_values(self, values: Mapping[str, Any]) -> Settings:
        """A copy with settings given by key (`embedding.model_path`, ...)."""
        updates: dict[str, Any] = {}
        for key, raw in values.items():
            info = _BY_KEY.get(key)
            if info is None:
                known = ", ".join(sorted(_BY_KEY))
                raise ConfigError(f"unknown setting {key!r}; known settings: {known}", field=key)
            try:
                updates[_attr(key)] = _coerce(info, raw, self.root)
            except ConfigError as exc:
                exc.data.setdefault("field", key)
                raise
        return replace(self, **updates)


def _attr(key: str) -> str:
    section, name = key.split(".", 1)
    if section == "embedding":
        return {
            "model": "embed_model",
            "model_path": "embed_model_path",
            "allow_download": "allow_download",
        }.get(name, f"embed_{name}")
    if section == "worker":
        return name
    if section == "watch":
        return f"watch_{name}"
    if section in ("vectors", "search", "cache"):
        return f"{section}_{name}"
    return name


def _coerce(info: SettingInfo, raw: Any, root: Path) -> Any:
    if raw is None or raw == "":
        return info.default
    try:
        if info.kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if info.kind is tuple:
            return _patterns(raw)
        if info.kind is Path:
            path = Path(str(raw)).expanduser()
            return path if path.is_absolute() else (root / path).resolve()
        if info.kind is int and isinstance(raw, float | bool):
            raise ValueError(raw)  # 1.5 is not a size, and int(1.5) would make it 1
        value = info.kind(raw)
        if info.choices:
            value = str(value).strip().lower()
        if info.choices and value not in info.choices:
            raise ConfigError(
                f"setting {info.key} ({info.env}) = {raw!r} is not one of {', '.join(info.choices)}"
            )
    except (TypeError, ValueError):
        raise ConfigError(
            f"setting {info.key} ({info.env}) = {raw!r} is not a valid {info.kind.__name__}"
        ) from None
    problem = info.check(value) if info.check is not None else None
    if problem is not None:
        raise ConfigError(f"setting {info.key} ({info.env}) = {raw!r} {problem}")
    if isinstance(value, int | float):
        _check_number(info, value, raw)
    return value


def _check_number(info: SettingInfo, value: float, raw: Any) -> None:
    """ConfigError for a number the code cannot use: not finite, not positive, out of bounds."""
    if not math.isfinite(value):
        raise ConfigError(f"setting {info.key} ({info.env}) = {raw!r} is not a finite number")
    if value < 0 or (value == 0 and not info.allow_zero):
        raise ConfigError(f"setting {info.key} ({info.env}) must be positive, got {raw!r}")
    problem = info.bounds.problem(value) if info.bounds is not None else None
    if problem is not None:
        raise ConfigError(f"setting {info.key} ({info.env}) = {raw!r} {problem}")


def _patterns(raw: Any) -> tuple[str, ...]:
    """A list of patterns: a TOML or editor list of strings, or lines of text (environment)."""
    if isinstance(raw, str):
        return tuple(line for line in raw.splitlines() if line.strip())
    if isinstance(raw, list | tuple) and all(isinstance(p, str) for p in raw):
        return tuple(p for p in raw if p.strip())
    raise ValueError(raw)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{full}."))
        else:
            flat[full] = value
    return flat


def _read_config(path: Path) -> tuple[dict[str, Any], str]:
    """The settings of a `.codeindex.toml`, flattened, and its text; ConfigError naming the
    file and line for anything wrong with it (bytes that are not UTF-8, bad TOML)."""
    import tomllib  # not on the CLI's query fast path, which only needs data_dir_for

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read ({exc.strerror}): fix it or remove it") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}, line {line}: byte 0x{data[exc.start]:02x} is not UTF-8 (a TOML file is "
            "UTF-8 text): save it as UTF-8"
        ) from None
    try:
        return _flatten(tomllib.loads(text)), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def _where(path: Path, text: str, key: object) -> str:
    """`FILE, line N` of a dotted setting key in a TOML text (the file alone if not found)."""
    if not isinstance(key, str):
        return str(path)
    section, _, name = key.rpartition(".")
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\s*([A-Za-z0-9_.\s]+?)\s*\]\s*(#.*)?", stripped)
        if header:
            current = re.sub(r"\s+", "", header.group(1))
            continue
        found = re.match(r"([A-Za-z0-9_.\s\"']+?)\s*=", stripped)
        if found:
            full = ".".join(filter(None, (current, re.sub(r"[\s\"']", "", found.group(1)))))
            if full == key or (not section and full.endswith(f".{name}")):
                return f"{path}, line {number}"
    return str(path)


def _check_data_dir(settings: Settings) -> None:
    """ConfigError for a data dir the vector store cannot open (a path with a control
    character or bytes that are not UTF-8: LanceDB refuses it); said up front."""
    if settings.vectors_uri.strip():
        return
    text = str(settings.data_dir)
    bad = next((ch for ch in text if ch < " " or ch == "\x7f" or "\ud800" <= ch <= "\udfff"), None)
    if bad is None:
        return
    what = (
        "a byte that is not UTF-8"
        if "\ud800" <= bad <= "\udfff"
        else f"a control character ({bad!r})"
    )
    raise ConfigError(
        f"the index cannot live in {text!r}: its path holds {what}, which the vector store "
        "(LanceDB) cannot open. Rename the folder, or set CODEINDEX_DATA_DIR to a folder "
        "whose path has none (the workspace keeps its name)",
        field="data_dir",
    )


def load_settings(root: Path | str, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings for the workspace at `root`: defaults < .codeindex.toml < env < overrides."""
    root_path = Path(root).expanduser().resolve()
    if not root_path.is_dir():
        raise ConfigError(f"workspace root {root_path} is not a directory: pass an existing folder")
    settings = Settings(root=root_path, data_dir=data_dir_for(root_path))
    sources: dict[str, str] = {}
    config_file = root_path / CONFIG_FILE
    if config_file.is_file():
        from_file, text = _read_config(config_file)
        try:
            settings = settings.with_values(from_file)
        except ConfigError as exc:
            where = _where(config_file, text, exc.data.get("field"))
            raise ConfigError(f"{where}: {exc}") from None
        sources.update(dict.fromkeys(from_file, str(config_file)))
    from_env = {s.key: os.environ[s.env] for s in SETTINGS if os.environ.get(s.env)}
    settings = settings.with_values(from_env)
    sources.update({k: f"${_BY_KEY[k].env}" for k in from_env})
    if overrides:
        given = {k: v for k, v in overrides.items() if v is not None}
        settings = settings.with_values(given)
        sources.update(dict.fromkeys(given, "override"))
    if settings.embed_provider == "openai" and not settings.embed_url:
        raise ConfigError(
            "setting embedding.provider is openai but embedding.url (CODEINDEX_EMBED_URL) is "
            "not set: give the engine's OpenAI base URL (e.g. http://127.0.0.1:8080/v1), or "
            "set embedding.provider to local"
        )
    _check_data_dir(settings)
    bump = os.environ.get("CODEINDEX_PARSER_VERSION_BUMP")
    if bump:
        settings = replace(settings, parser_version_bump=int(bump))
    return replace(settings, sources=sources)
