"""Typed settings: workspace root, data dir, model and limits.

Modules: `table` (every user-facing setting: key, environment variable, default, meaning,
check) and `settings` (`Settings`, and `load_settings`, which reads them, lowest
precedence first, from the defaults, the workspace's `.codeindex.toml`, the environment
and explicit overrides).
"""

from codeindex.config.settings import CONFIG_FILE, Settings, load_settings
from codeindex.config.table import DEFAULT_MODEL, SETTINGS, SettingInfo
from codeindex.datadir import data_dir_for
from codeindex.errors import ConfigError

__all__ = [
    "CONFIG_FILE",
    "DEFAULT_MODEL",
    "SETTINGS",
    "ConfigError",
    "SettingInfo",
    "Settings",
    "data_dir_for",
    "load_settings",
]
