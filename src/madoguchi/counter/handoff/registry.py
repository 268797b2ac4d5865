"""Where hand-off formats register: `@register("juki-ido")` on a HandoffFormat subclass.

Shaped like the identity providers' registry (accounts.identity.registry) and Open Forms' plugin
registries: `base.py` (the contract), `registry.py` (this), `contrib/<format>.py` (the formats shipped,
imported by HandoffConfig.ready). A municipality adds a format by registering a class the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .base import HandoffFormat, UnknownFormatError
from .config import Catalogue, nearest


class Registry:
    def __init__(self) -> None:
        self._formats: dict[str, type[HandoffFormat]] = {}

    def __call__(self, name: str) -> Callable[[type[HandoffFormat]], type[HandoffFormat]]:
        def decorator(cls: type[HandoffFormat]) -> type[HandoffFormat]:
            if not (isinstance(cls, type) and issubclass(cls, HandoffFormat)):
                raise TypeError(f"{cls!r} is not a HandoffFormat subclass")
            if name in self._formats and self._formats[name] is not cls:
                raise ValueError(f"hand-off format {name!r} is already registered")
            cls.name = name
            self._formats[name] = cls
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


register = Registry()
