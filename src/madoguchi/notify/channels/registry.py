"""The registry of notification channels."""

from __future__ import annotations

from collections.abc import Iterator

from madoguchi.notify.channels.base import Channel


class Registry:
    def __init__(self) -> None:
        self._channels: dict[str, Channel] = {}

    def register(self, cls: type[Channel]) -> type[Channel]:
        if not cls.identifier:
            raise ValueError(f"{cls.__name__} has no identifier")
        if cls.identifier in self._channels:
            raise ValueError(f"channel '{cls.identifier}' is registered twice")
        self._channels[cls.identifier] = cls()
        return cls

    def get(self, identifier: str) -> Channel:
        from madoguchi.notify.channels import contrib  # noqa: F401  (fills the registry)

        try:
            return self._channels[identifier]
        except KeyError:
            raise LookupError(f"unknown channel {identifier!r}; known: {', '.join(self._channels)}") from None

    def names(self) -> tuple[str, ...]:
        from madoguchi.notify.channels import contrib  # noqa: F401

        return tuple(self._channels)

    def __iter__(self) -> Iterator[Channel]:
        return iter(tuple(self._channels.values()))


registry = Registry()
