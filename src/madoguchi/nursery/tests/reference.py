"""Slow, literal reference implementations used by the tests (brute force over every outcome)."""

from __future__ import annotations

import random
from itertools import product
from typing import Any

from madoguchi.nursery.engine.model import Household, Problem
from madoguchi.nursery.engine.priority import lottery


def placement(household: Household, outcome: int | None) -> list[str | None]:
    places = []
    for j, child in enumerate(household.children):
        fid = household.preferences[outcome][j] if outcome is not None else None
        places.append(fid if fid is not None else child.enrolled_facility)
    return places


def capacity(problem: Problem, fid: str, age: int) -> int:
    seats = next(f.seats[age] for f in problem.facilities if f.id == fid)
    return seats + sum(
        1 for h in problem.households for c in h.children if c.enrolled_facility == fid and c.age_class == age
    )


def key(problem: Problem, h: int, j: int, fid: str) -> tuple[int, ...]:
    household = problem.households[h]
    child = household.children[j]
    bonus = dict(child.bonus).get(fid, 0)
    own = 1 if child.enrolled_facility == fid else 0
    return (own, household.score + bonus, *household.tie_keys, lottery(problem.policy.seed, household.id), -h)


def feasible(problem: Problem, outcomes: list[int | None]) -> bool:
    counts: dict[tuple[str, int], int] = {}
    for h, household in enumerate(problem.households):
        for j, fid in enumerate(placement(household, outcomes[h])):
            if fid is not None:
                k = (fid, household.children[j].age_class)
                counts[k] = counts.get(k, 0) + 1
    return all(n <= capacity(problem, fid, g) for (fid, g), n in counts.items())


def blocking_pairs(problem: Problem, outcomes: list[int | None]) -> list[tuple[str, int]]:
    """The definition, word for word: for every (facility, age class) the tuple needs, the other households'
    children admitted there with higher priority than the lowest child needing it, plus the household's
    children needing it, fit within capacity."""
    pairs = []
    for h, household in enumerate(problem.households):
        r = outcomes[h]
        for p in range(len(household.preferences) if r is None else r):
            needs: dict[tuple[str, int], list[int]] = {}
            for j, fid in enumerate(placement(household, p)):
                if fid is not None:
                    needs.setdefault((fid, household.children[j].age_class), []).append(j)
            fits_everywhere = True
            for (fid, g), kids in needs.items():
                lowest = min(key(problem, h, j, fid) for j in kids)
                above = 0
                for h2, other in enumerate(problem.households):
                    if h2 == h:
                        continue
                    for j2, fid2 in enumerate(placement(other, outcomes[h2])):
                        if (
                            fid2 == fid
                            and other.children[j2].age_class == g
                            and key(problem, h2, j2, fid) > lowest
                        ):
                            above += 1
                if above + len(kids) > capacity(problem, fid, g):
                    fits_everywhere = False
            if fits_everywhere:
                pairs.append((household.id, p))
    return pairs


def quality(problem: Problem, outcomes: list[int | None]) -> tuple[int, int, int]:
    """(blocking pairs, children placed, households with their first tuple)."""
    placed = sum(
        1
        for h, household in enumerate(problem.households)
        for fid in placement(household, outcomes[h])
        if fid
    )
    firsts = sum(1 for o in outcomes if o == 0)
    return len(blocking_pairs(problem, outcomes)), placed, firsts


def best_by_brute_force(problem: Problem) -> tuple[int, int, int]:
    """Fewest blocking pairs, then most placed, then most first choices, over every feasible outcome."""
    choices = [[None, *range(len(h.preferences))] for h in problem.households]
    best: tuple[int, int, int] | None = None
    for outcomes in product(*choices):
        if not feasible(problem, list(outcomes)):
            continue
        bp, placed, firsts = quality(problem, list(outcomes))
        candidate = (bp, -placed, -firsts)
        if best is None or candidate < best:
            best = candidate
    assert best is not None  # nothing placed is always feasible
    return best[0], -best[1], -best[2]


def serial_dictatorship(problem: Problem) -> list[int | None]:
    """The manual procedure as a city clerk would run it."""
    seed = problem.policy.seed
    order = sorted(
        range(len(problem.households)),
        key=lambda h: (
            problem.households[h].score,
            *problem.households[h].tie_keys,
            lottery(seed, problem.households[h].id),
            -h,
        ),
        reverse=True,
    )
    held: dict[tuple[str, int], int] = {}
    for household in problem.households:
        for child in household.children:
            if child.enrolled_facility:
                k = (child.enrolled_facility, child.age_class)
                held[k] = held.get(k, 0) + 1
    result: list[int | None] = [None] * len(problem.households)
    for h in order:
        household = problem.households[h]
        for child in household.children:
            if child.enrolled_facility:
                held[(child.enrolled_facility, child.age_class)] -= 1
        for p in [*range(len(household.preferences)), None]:
            want: dict[tuple[str, int], int] = {}
            for j, fid in enumerate(placement(household, p)):
                if fid is not None:
                    k = (fid, household.children[j].age_class)
                    want[k] = want.get(k, 0) + 1
            if all(held.get(k, 0) + n <= capacity(problem, *k) for k, n in want.items()):
                for k, n in want.items():
                    held[k] = held.get(k, 0) + n
                result[h] = p
                break
    return result


def random_round(seed: int, *, households: int = 60, facilities: int = 6) -> dict[str, Any]:
    """A mid-sized round with siblings, transfers and bonuses, for determinism tests."""
    rng = random.Random(seed)
    fids = [f"F{i:02d}" for i in range(facilities)]
    docs = []
    cno = 0
    for h in range(households):
        n = 2 if rng.random() < 0.15 else 1
        children = []
        for _ in range(n):
            cno += 1
            age = rng.randrange(3)
            enrolled = rng.choice(fids) if age and rng.random() < 0.1 else None
            bonus = {rng.choice(fids): 3} if rng.random() < 0.1 else {}
            children.append(
                {"id": f"C{cno:04d}", "age_class": age, "enrolled_facility": enrolled, "bonus": bonus}
            )
        prefs: list[list[str | None]] = []
        for _ in range(rng.randint(1, 5)):
            tup = [rng.choice(fids) for _ in range(n)]
            if tup not in prefs:
                prefs.append(tup)
        docs.append(
            {
                "id": f"H{h:04d}",
                "score": rng.choice([80, 90, 100]),
                "tie_keys": [rng.randrange(2)],
                "children": children,
                "preferences": prefs,
            }
        )
    return {
        "format": "madoguchi-nursery/1",
        "round": {"id": "test", "reference_date": "2027-04-01"},
        "facilities": [
            {"id": f, "name": f"園{f}", "seats": [rng.randrange(4) for _ in range(6)]} for f in fids
        ],
        "households": docs,
        "policy": {"objective": "stable", "seed": 7, "time_limit_s": 20},
    }
