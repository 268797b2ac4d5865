"""The registry of field types: `registry.register` (a class decorator), `registry.get(name)`, `names()`.

`fields/__init__.py` imports every type module, so importing `madoguchi.procedures.fields` fills the one
module-level `registry`. Registration order is the order of `spec.FIELD_TYPES` (and of messages listing types).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import FieldType


class UnknownFieldTypeError(LookupError):
    """No field type of that name is registered."""

    def __init__(self, name: object, known: tuple[str, ...]) -> None:
        hint = difflib.get_close_matches(str(name), known, n=1)
        suggestion = f"did you mean '{hint[0]}'? " if hint else ""
        super().__init__(f"unknown field type {name!r}; {suggestion}known types: {', '.join(known)}")
        self.name = name


class Registry:
    """Field types by name, in registration order."""

    def __init__(self) -> None:
        self._types: dict[str, FieldType] = {}

    def register(self, cls: type[FieldType]) -> type[FieldType]:
        """Class decorator: register one instance of `cls` under `cls.name`."""
        from .base import REGISTER_KEYS, FieldType

        if not (isinstance(cls, type) and issubclass(cls, FieldType)):
            raise TypeError(f"{cls!r} is not a FieldType subclass")
        name = getattr(cls, "name", "")
        if not isinstance(name, str) or not name:
            raise ValueError(f"{cls.__name__} has no name")
        if name in self._types:
            raise ValueError(
                f"field type '{name}' is registered twice ({type(self._types[name]).__name__}, {cls.__name__})"
            )
        unknown_keys = [key for key in cls.prefill_keys if key not in REGISTER_KEYS]
        if unknown_keys:
            raise ValueError(
                f"field type '{name}': unknown prefill keys {unknown_keys}; use {', '.join(REGISTER_KEYS)}"
            )
        if cls.prefill_keys and "prefill" not in cls.keys:
            raise ValueError(f"field type '{name}' takes prefill keys but does not allow the 'prefill' key")
        self._types[name] = cls()
        return cls

    def get(self, name: str) -> FieldType:
        """The type called `name`; UnknownFieldTypeError (a LookupError) names the known ones."""
        try:
            return self._types[name]
        except (KeyError, TypeError):
            raise UnknownFieldTypeError(name, self.names()) from None

    def names(self) -> tuple[str, ...]:
        return tuple(self._types)

    def __iter__(self) -> Iterator[FieldType]:
        return iter(tuple(self._types.values()))

    def __len__(self) -> int:
        return len(self._types)

    def __contains__(self, name: object) -> bool:
        return name in self._types

    # -- vocabularies derived from the types, for spec.py -----------------------------------------------------

    def names_with_key(self, key: str) -> tuple[str, ...]:
        """The types that allow the YAML key `key`."""
        return tuple(name for name, kind in self._types.items() if key in kind.keys)

    def all_keys(self) -> tuple[str, ...]:
        """Every key some type allows beyond the common ones, sorted."""
        return tuple(sorted({key for kind in self._types.values() for key in kind.keys}))

    def prefill_keys(self) -> Mapping[str, tuple[str, ...]]:
        """Each registry key (base.REGISTER_KEYS, in that order) and the types it may fill: first the type the
        key is named after (person.address: address), then the others in registration order."""
        from .base import REGISTER_KEYS

        result: dict[str, tuple[str, ...]] = {}
        order = list(self._types)
        for key in REGISTER_KEYS:
            takers = [name for name, kind in self._types.items() if key in kind.prefill_keys]
            if takers:
                own = key.rsplit(".", 1)[-1]
                result[key] = tuple(sorted(takers, key=lambda name: (name != own, order.index(name))))
        return result

    def names_where(self, trait: str) -> tuple[str, ...]:
        """The types whose class attribute `trait` is true (e.g. "submit_only")."""
        return tuple(name for name, kind in self._types.items() if getattr(kind, trait))


registry = Registry()
