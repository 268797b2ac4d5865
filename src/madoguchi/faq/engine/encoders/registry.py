"""Encoders by name: one instance per process, created on first use (thread-safe).

    from madoguchi.faq.engine.encoders import registry
    registry.register("my-city-encoder", MyEncoder)   # a class or any zero-argument factory
    encoder = registry.get("my-city-encoder")

The shipped names are in `BUILTIN`; `DEFAULT` is the one `FaqIndex.build` uses when no encoder is
given. "none" switches the dense retriever off (lexical only).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .base import Encoder

NONE = "none"
DEFAULT = "use-m3"
BUILTIN: dict[str, str] = {
    "use-m3": "madoguchi.faq.engine.encoders.use_m3:UseM3Encoder",
    "e5-small": "madoguchi.faq.engine.encoders.e5_small:E5SmallEncoder",
    "hashing": "madoguchi.faq.engine.encoders.hashing:HashingEncoder",
}

_lock = threading.Lock()
_factories: dict[str, Callable[[], Encoder] | str] = dict(BUILTIN)
_instances: dict[str, Encoder] = {}


class UnknownEncoder(KeyError):
    pass


def register(name: str, factory: Callable[[], Encoder], *, replace: bool = False) -> None:
    """Make an encoder available under `name` (a city's own model, a test double…)."""
    if not name or name == NONE:
        raise ValueError(f"invalid encoder name {name!r}")
    with _lock:
        if name in _factories and not replace:
            raise ValueError(f"an encoder named {name!r} is already registered")
        _factories[name] = factory
        _instances.pop(name, None)


def names() -> list[str]:
    with _lock:
        return sorted(_factories)


def _resolve(factory: Callable[[], Encoder] | str) -> Callable[[], Encoder]:
    if callable(factory):
        return factory
    module_name, _, attribute = factory.partition(":")
    import importlib

    return getattr(importlib.import_module(module_name), attribute)


def get(name: str | None = None) -> Encoder | None:
    """The process's encoder called `name` (None → DEFAULT; "none" → None)."""
    name = DEFAULT if name is None else name
    if name == NONE or name == "":
        return None
    encoder = _instances.get(name)
    if encoder is not None:
        return encoder
    with _lock:
        encoder = _instances.get(name)
        if encoder is None:
            factory = _factories.get(name)
            if factory is None:
                raise UnknownEncoder(f"unknown FAQ encoder {name!r}; known: {', '.join(sorted(_factories))}")
            encoder = _resolve(factory)()
            _instances[name] = encoder
        return encoder


def resolve(encoder: Encoder | str | None) -> Encoder | None:
    """An Encoder given as itself, by name, or None for the default."""
    if isinstance(encoder, Encoder):
        return encoder
    return get(encoder)
