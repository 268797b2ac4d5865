"""Once-only: the registry (住民記録) values a form takes for a resident whose account is linked to a person.

Used by every channel that files a case for a linked resident (the portal's form steps and the API), so that
a value the register holds is taken from the register and never from what the client sent.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.utils import timezone

from madoguchi.accounts import selectors as account_selectors
from madoguchi.procedures import schema


@dataclasses.dataclass
class RegistryPrefill:
    """The registry values a form shows read-only for a linked resident; empty for everyone else."""

    values: dict[str, Any] = dataclasses.field(default_factory=dict)  # field id -> register value (read-only)
    household: list[dict[str, Any]] | None = None  # None: not linked, household members are typed
    withheld: bool = False  # an address the form asks for is not pre-filled (支援措置)

    @property
    def readonly(self) -> set[str]:
        return set(self.values)


def registry_prefill(user, spec, *, client_ip: str | None = None) -> RegistryPrefill:
    """Re-read the registry for this form (audited by `registry_values_for`). A register value the form would
    refuse is left to the resident."""
    wanted = {f.prefill for f in spec.fields if f.prefill}
    if not wanted:
        return RegistryPrefill()
    registry = account_selectors.registry_values_for(user, wanted=wanted, client_ip=client_ip)
    if not registry:
        return RegistryPrefill()
    prefilled = schema.prefill_values(spec, registry)
    refused = schema.validate(spec, prefilled, today=timezone.localdate()).errors
    return RegistryPrefill(
        values={key: value for key, value in prefilled.items() if key not in refused},
        household=schema.household_members(registry),
        withheld=bool(set(registry.get("withheld", ())) & wanted),
    )


def merge_registry(raw: dict[str, Any], fields, registry: RegistryPrefill) -> dict[str, Any]:
    """What the resident posted, with the register's values in place of anything posted for read-only fields.

    Household members are posted as ids; they become {"id", "name"} from the register, so the stored draft
    never takes a name from the browser. An unknown id stays as posted and fails validation.
    """
    merged = dict(raw)
    for f in fields:
        if f.id in registry.values:
            merged[f.id] = registry.values[f.id]
        elif f.kind.household_choices and registry.household is not None:
            members = {str(m["id"]): m for m in registry.household}
            posted = merged.get(f.id)
            chosen = [
                {"id": value, "name": members[value]["name"]} if value in members else value
                for value in (posted if isinstance(posted, list) else [posted])
                if value not in ("", None)
            ]
            merged[f.id] = chosen if f.is_list else (chosen[0] if chosen else "")
    return merged
