"""Payment holds (支払保留) set by the automation room's rules, e.g. after a death (docs/benefits.md).

`madoguchi.automation` sits below this room and may not be installed: it is imported when asked, and without
it no person is on hold.
"""

from __future__ import annotations

from collections.abc import Iterable

HOLD_FLAG = "payment_hold"


def held_person_ids(person_ids: Iterable[int]) -> set[int]:
    """The persons among `person_ids` whose payments are on hold (flag `payment_hold`)."""
    try:
        from madoguchi.automation.selectors import flagged_person_ids
    except ImportError:
        return set()
    return set(flagged_person_ids(HOLD_FLAG, list(person_ids)))
