"""Payment holds (支払保留) set by the automation room's rules, e.g. after a death (docs/benefits.md): the
shipped rule `resident-died` sets the flag `payment_hold` on the person, and no payment of a household with a
held member is approved or exported while the flag is active."""

from __future__ import annotations

from collections.abc import Iterable

from madoguchi.automation.selectors import flagged_person_ids

HOLD_FLAG = "payment_hold"


def held_person_ids(person_ids: Iterable[int]) -> set[int]:
    """The persons among `person_ids` whose payments are on hold (flag `payment_hold`)."""
    return set(flagged_person_ids(HOLD_FLAG, list(person_ids)))
