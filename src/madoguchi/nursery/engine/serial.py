"""The manual procedure (serial dictatorship, `municipal_sd`), reproduced exactly.

Households are processed in priority order (score, tie_keys, lottery; facility bonuses do not change the
order). Each takes its best-ranked tuple that still fits; if none fits it gets nothing and its transfer
applicants keep their seats. A transfer applicant's seat stays reserved until its household is processed;
if the child moves, the seat goes back to the pool for the households processed after it.
"""

from __future__ import annotations

from madoguchi.nursery.engine.market import NONE, Market
from madoguchi.nursery.engine.model import AGE_CLASSES


def allocate_serial(market: Market) -> list[int | None]:
    """Tuple index obtained by each household (None: nothing) under serial dictatorship."""
    used = [0] * len(market.capacity)
    for c, e in enumerate(market.child_enrolled):
        if e != NONE:
            used[e * AGE_CLASSES + market.child_age[c]] += 1
    capacity = market.capacity
    outcome: list[int | None] = [None] * market.n_households
    for h in market.serial_order:
        members = market.household_children[h]
        for c in members:
            e = market.child_enrolled[c]
            if e != NONE:
                used[e * AGE_CLASSES + market.child_age[c]] -= 1
        chosen: int | None = None
        for p, parts in enumerate(market.parts[h]):
            if all(used[k] + len(kids) <= capacity[k] for k, kids in parts):
                chosen = p
                break
        eff = market.stay[h] if chosen is None else market.outcomes[h][chosen]
        for c, d in zip(members, eff, strict=True):
            if d != NONE:
                used[d * AGE_CLASSES + market.child_age[c]] += 1
        outcome[h] = chosen
    return outcome
