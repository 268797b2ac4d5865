"""Where identity provider plugins register: `@register("oidc")` on an IdentityProvider subclass."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from madoguchi.accounts.identity.base import IdentityProvider


class Registry:
    def __init__(self) -> None:
        self._providers: dict[str, type[IdentityProvider]] = {}

    def __call__(self, identifier: str) -> Callable[[type[IdentityProvider]], type[IdentityProvider]]:
        def decorator(cls: type[IdentityProvider]) -> type[IdentityProvider]:
            if identifier in self._providers and self._providers[identifier] is not cls:
                raise ValueError(f"identity provider {identifier!r} is already registered")
            cls.identifier = identifier
            self._providers[identifier] = cls
            return cls

        return decorator

    def __iter__(self) -> Iterator[IdentityProvider]:
        return (cls() for cls in self._providers.values())

    def __contains__(self, identifier: str) -> bool:
        return identifier in self._providers

    def get(self, identifier: str) -> IdentityProvider | None:
        """The provider with this identifier when it is registered and enabled, else None."""
        cls = self._providers.get(identifier)
        if cls is None:
            return None
        provider = cls()
        return provider if provider.is_enabled() else None

    def enabled(self) -> list[IdentityProvider]:
        return [provider for provider in self if provider.is_enabled()]


register = Registry()
