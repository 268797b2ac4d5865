"""Ranked tuples for sibling households from each child's own list and a sibling condition (きょうだい条件).

Sheets and ChilmAI inputs give one list per child plus a condition code; the engine needs the household's
ranked tuples. The codes and the ordering follow ChilmAI's published rules (Apache-2.0), so both engines
see the same tuples for the same sheet:

1 同保同時: all children, same facility    2 同保順次（上）: same facility, the eldest may go alone
3 同保順次（下）: same, the youngest alone  4 別保同時（同）: all children, same facility preferred
5 別保順次（同）: at least one, same preferred  6 別保同時（希）: all children, by each one's ranks
7 別保順次（希）: at least one, by ranks

A transfer applicant's own facility counts as "not placed" when comparing tuples; the tuple in which
every transfer applicant stays and nobody else is placed is the household's "no tuple" outcome and is
left out.
"""

from __future__ import annotations

from collections import Counter
from itertools import product

PATTERNS = (1, 2, 3, 4, 5, 6, 7)
_UNRANKED = 99


def _effective(combo: tuple[str | None, ...], current: list[str | None]) -> tuple[str | None, ...]:
    return tuple(None if (cur is not None and d == cur) else d for d, cur in zip(combo, current, strict=True))


def _ranks(eff: tuple[str | None, ...], prefs: list[list[str]]) -> tuple[int, list[int]]:
    product_ = 1
    ranks = []
    for i, d in enumerate(eff):
        rank = prefs[i].index(d) + 1 if d is not None and d in prefs[i] else _UNRANKED
        product_ *= rank
        ranks.append(rank)
    return product_, ranks


def _score(pattern: int, eff: tuple[str | None, ...], prefs: list[list[str]]) -> list[int]:
    counts = sorted(Counter(d for d in eff if d is not None).values(), reverse=True)
    placed = sum(counts)
    same = counts[0] if counts else 0
    rank_product, ranks = _ranks(eff, prefs)
    if pattern == 2:
        mask = [1 if d is not None else 0 for d in eff]
        return [*mask, placed, same, -rank_product, *(-r for r in ranks)]
    if pattern == 3:
        mask = [1 if d is not None else 0 for d in reversed(eff)]
        return [*mask, placed, same, -rank_product, *(-r for r in reversed(ranks))]
    if pattern in (6, 7):
        return [placed, -rank_product, *(-r for r in ranks)]
    return [placed, same, -rank_product, *(-r for r in ranks)]


def sibling_tuples(
    prefs: list[list[str]], current: list[str | None], pattern: int, *, limit: int = 200
) -> list[tuple[str | None, ...]]:
    """Ranked tuples for children ordered eldest first; `current` is each child's facility (transfer) or None."""
    if pattern not in PATTERNS:
        raise ValueError(f"unknown sibling pattern {pattern}")
    lists = [
        [*p, *([cur] if cur is not None and cur not in p else [])]
        for p, cur in zip(prefs, current, strict=True)
    ]
    options = [[*lst, *([None] if current[i] is None else [])] for i, lst in enumerate(lists)]
    combos = [c for c in product(*options) if not all(d is None for d in c)]
    valid = []
    for combo in combos:
        eff = _effective(combo, current)
        placed = [d for d in eff if d is not None]
        if pattern == 1:
            ok = len(set(eff)) == 1 and eff[0] is not None
        elif pattern in (2, 3):
            new = {d for d, cur in zip(combo, current, strict=True) if d is not None and d != cur}
            ok = len(new) <= 1
            edge = 0 if pattern == 2 else -1
            if ok and new and (combo[edge] is None or combo[edge] == current[edge]):
                ok = False
        elif pattern in (4, 6):
            ok = None not in eff
        else:
            ok = bool(placed)
        if ok:
            valid.append(combo)
    scored = sorted(valid, key=lambda c: _score(pattern, _effective(c, current), lists), reverse=True)
    seen: set[tuple[str | None, ...]] = set()
    result = []
    stay = tuple(current)
    for combo in scored:
        if combo in seen or combo == stay:
            continue
        seen.add(combo)
        # a transfer applicant staying put is written as null
        result.append(
            tuple(
                None if (cur is not None and d == cur) else d for d, cur in zip(combo, current, strict=True)
            )
        )
    return [t for t in result if any(d is not None for d in t)][:limit]
