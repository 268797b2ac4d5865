"""Where hand-off formats register: `@register("juki-ido")` on a HandoffFormat subclass.

Shaped like the identity providers' registry (accounts.identity.registry) and Open Forms' plugin
registries: `base.py` (the contract), `registry.py` (this), `contrib/<format>.py` (the formats shipped,
imported the first time the registry is read, not at start-up: importing them costs ~40 ms that every command
would pay). A municipality adds a format by registering a class the same way (from its app's `ready()`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator

from .base import HandoffFormat, UnknownFormatError
from .config import Catalogue, nearest


class Registry:
    def __init__(self, shipped: str | None = None) -> None:
        self._registered: dict[str, type[HandoffFormat]] = {}
        self._shipped = shipped  # the package whose import registers the shipped formats, first

    @property
    def _formats(self) -> dict[str, type[HandoffFormat]]:
        if self._shipped is not None:
            importlib.import_module(self._shipped)
            # The shipped formats come first, in their package's order, before any a city registered.
            root = self._shipped
            shipped = {
                n: c
                for n, c in self._registered.items()
                if c.__module__ == root or c.__module__.startswith(root + ".")
            }
            self._registered = {**shipped, **self._registered}
            self._shipped = None
        return self._registered

    def __call__(self, name: str) -> Callable[[type[HandoffFormat]], type[HandoffFormat]]:
        def decorator(cls: type[HandoffFormat]) -> type[HandoffFormat]:
            if not (isinstance(cls, type) and issubclass(cls, HandoffFormat)):
                raise TypeError(f"{cls!r} is not a HandoffFormat subclass")
            if name in self._registered and self._registered[name] is not cls:
                raise ValueError(f"hand-off format {name!r} is already registered")
            cls.name = name
            self._registered[name] = cls
            return cls

        return decorator

    def __iter__(self) -> Iterator[HandoffFormat]:
        return (cls() for cls in self._formats.values())

    def __contains__(self, name: object) -> bool:
        return name in self._formats

    def names(self) -> tuple[str, ...]:
        return tuple(self._formats)

    def get(self, name: str) -> HandoffFormat:
        """The format called `name`; UnknownFormatError names the nearest and the known ones."""
        cls = self._formats.get(name)
        if cls is None:
            known = ", ".join(self._formats)
            hit = nearest(name, tuple(self._formats))
            raise UnknownFormatError(
                "unknown_format",
                f"「{name}」という書き出し形式はありません。"
                + (f"「{hit}」のことですか。" if hit else "")
                + f"形式: {known}",
                f"There is no hand-off format '{name}'."
                + (f" Did you mean '{hit}'?" if hit else "")
                + f" Formats: {known}",
            )
        return cls()

    def catalogues(self) -> dict[str, Catalogue]:
        """What the configuration file may say, by format name."""
        return {name: cls().catalogue() for name, cls in self._formats.items()}


register = Registry(shipped="madoguchi.counter.handoff.contrib")
