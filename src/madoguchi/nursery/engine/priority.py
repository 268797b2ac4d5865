"""Priority of a child at a facility (優先順位).

The priority of a child at facility d is the tuple (score + bonus[d], *tie_keys, lottery), compared
lexicographically, higher wins. The lottery is the first 8 bytes, big-endian, of SHA-256 of
"{seed}:{household id}", so it is reproducible and cannot be steered by the order of the input.
A transfer applicant (転園) has absolute priority to its own seat.
"""

from __future__ import annotations

import hashlib

from madoguchi.nursery.engine.model import Child, Household


def lottery(seed: int, household_id: str) -> int:
    """The household's lottery number for this round's seed."""
    digest = hashlib.sha256(f"{seed}:{household_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def priority(household: Household, child: Child, facility_id: str, seed: int) -> tuple[int, ...]:
    """The public priority tuple of `child` at `facility_id` (without the transfer applicant's absolute priority)."""
    return (household.score + child.bonus_at(facility_id), *household.tie_keys, lottery(seed, household.id))
