"""The hand-off configuration as this installation has it: `MADOGUCHI_HANDOFF_CONFIG` (settings.HANDOFF_CONFIG)
over the shipped `handoff.yaml`, parsed once per file state and process (an edited file is read again)."""

from __future__ import annotations

from pathlib import Path
from threading import Lock

from django.conf import settings

from .config import DEFAULT_PATH, ConfigError, FormatOptions, load_config
from .registry import register

_cache: dict[tuple, dict[str, FormatOptions]] = {}
_lock = Lock()


def config_path() -> Path | None:
    """The file that overrides the shipped one, or None."""
    configured = getattr(settings, "HANDOFF_CONFIG", "") or ""
    return Path(configured) if str(configured).strip() else None


def _state(path: Path | None) -> tuple:
    def stat(p: Path) -> tuple:
        try:
            s = p.stat()
        except OSError:
            return (str(p), None)
        return (str(p), s.st_mtime_ns, s.st_size)

    return (stat(DEFAULT_PATH), stat(path) if path else None, register.names())


def all_options() -> dict[str, FormatOptions]:
    """Every registered format's options; ConfigError (every problem, with the file) when a file is wrong."""
    path = config_path()
    key = _state(path)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    options = load_config(register.catalogues(), path)
    with _lock:
        _cache.clear()
        _cache[key] = options
    return options


def options_for(name: str) -> FormatOptions:
    return all_options()[name]


__all__ = ["ConfigError", "all_options", "config_path", "options_for"]
