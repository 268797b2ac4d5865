"""OCR engines as plugins (pure: no Django): a name → a factory. `rapidocr` (PP-OCR recognition models shipped
in the rapidocr wheel, run with onnxruntime) and `tesseract` (Debian's tesseract-ocr with `jpn`) come built in."""

from __future__ import annotations

import threading
from collections.abc import Callable

from .base import Crop, OcrEngine, Recognition

_factories: dict[str, Callable[..., OcrEngine]] = {}
_instances: dict[tuple, OcrEngine] = {}
_lock = threading.Lock()


def register_engine(name: str) -> Callable[[Callable[..., OcrEngine]], Callable[..., OcrEngine]]:
    def decorator(factory: Callable[..., OcrEngine]) -> Callable[..., OcrEngine]:
        _factories[name] = factory
        return factory

    return decorator


def available_engines() -> list[str]:
    _load_builtins()
    return sorted(_factories)


def get_engine(name: str, **options) -> OcrEngine:
    """The engine `name` (one instance per process and options: loading models costs time)."""
    _load_builtins()
    if name not in _factories:
        raise KeyError(f"unknown OCR engine {name!r}; known: {', '.join(sorted(_factories))}")
    key = (name, tuple(sorted(options.items())))
    with _lock:
        if key not in _instances:
            _instances[key] = _factories[name](**options)
        return _instances[key]


def _load_builtins() -> None:
    from . import rapid, tess  # noqa: F401  (they register themselves)


__all__ = ["Crop", "OcrEngine", "Recognition", "available_engines", "get_engine", "register_engine"]
