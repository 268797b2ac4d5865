"""Deterministic generator of nursery allocation rounds for the benchmark tiers.

A town on a unit square: facilities (some small-scale ones with only the 0–2 classes) and households
placed at random; households list nearby and popular facilities. About 20% of the children are in sibling
households, 5–10% are transfer applicants (転園), 0–15% have a facility bonus, scores are coarse (two
parents' 基準指数 plus a few 調整指数) so there are many ties, and every child lists 3–10 choices.

    python -m bench.nursery.generate L -o /tmp/L.json
"""

from __future__ import annotations

import argparse
import json
import math
import random
from itertools import product
from pathlib import Path
from typing import Any

TIERS: dict[str, tuple[int, int]] = {
    "S": (300, 10),
    "M": (1_500, 60),
    "L": (3_000, 100),
    "XL": (10_000, 300),
    "XXL": (20_000, 400),
}
AGE_SHARE = (0.30, 0.38, 0.14, 0.12, 0.04, 0.02)  # applicants per age class in April
SUPPLY = (0.85, 0.65, 0.85, 1.1, 1.3, 1.3)  # vacancies per applicant, per age class
SIBLING_HOUSEHOLD_SHARE = 0.105  # gives about 20% of the children in sibling households
TRANSFER_SHARE = 0.075
BONUS_SHARE = 0.08
MAX_SIBLING_TUPLES = 12


def _parent_points(rng: random.Random) -> int:
    return rng.choices((50, 45, 40, 30, 20), weights=(55, 15, 15, 10, 5))[0]


def _weighted_sample(rng: random.Random, items: list[int], weights: list[float], k: int) -> list[int]:
    """k distinct items, drawn with probability proportional to weight (Efraimidis–Spirakis)."""
    keyed = sorted(items, key=lambda i: -(rng.random() ** (1.0 / weights[i])))
    return keyed[:k]


def generate(tier: str, seed: int = 0) -> dict[str, Any]:
    n_children, n_facilities = TIERS[tier]
    rng = random.Random(f"madoguchi-nursery-bench:{tier}:{seed}")

    fac_pos = [(rng.random(), rng.random()) for _ in range(n_facilities)]
    popularity = [math.exp(rng.gauss(0.0, 0.6)) for _ in range(n_facilities)]
    small = [rng.random() < 0.25 for _ in range(n_facilities)]
    size = [0.4 if s else 1.0 + rng.random() for s in small]
    classes_of = [range(3) if small[d] else range(6) for d in range(n_facilities)]

    seats = [[0] * 6 for _ in range(n_facilities)]
    for g in range(6):
        total = round(n_children * AGE_SHARE[g] * SUPPLY[g])
        offering = [d for d in range(n_facilities) if g in classes_of[d]]
        weights = [size[d] for d in offering]
        for d in rng.choices(offering, weights=weights, k=total):
            seats[d][g] += 1

    def nearby(pos: tuple[float, float], count: int, age: int, exclude: set[int]) -> list[int]:
        candidates = [d for d in range(n_facilities) if age in classes_of[d] and d not in exclude]
        weights = [0.0] * n_facilities
        for d in candidates:
            dist = math.dist(pos, fac_pos[d])
            weights[d] = popularity[d] * math.exp(-dist / 0.12) + 1e-9
        return _weighted_sample(rng, candidates, weights, min(count, len(candidates)))

    households: list[dict[str, Any]] = []
    child_no = 0
    while child_no < n_children:
        hno = len(households) + 1
        pos = (rng.random(), rng.random())
        size_h = 1
        if rng.random() < SIBLING_HOUSEHOLD_SHARE:
            size_h = 3 if rng.random() < 0.1 else 2
        size_h = min(size_h, n_children - child_no)
        ages = sorted((rng.choices(range(6), weights=AGE_SHARE)[0] for _ in range(size_h)), reverse=True)
        if size_h > 1 and rng.random() > 0.05:  # twins are rare; otherwise distinct classes
            ages = sorted(rng.sample(range(6), size_h), reverse=True)
        single_parent = rng.random() < 0.08
        score = 100 if single_parent else _parent_points(rng) + _parent_points(rng)
        score += rng.choices((0, 5, 10, -5), weights=(70, 15, 10, 5))[0] + (10 if single_parent else 0)
        income_bracket = rng.randrange(10)
        children: list[dict[str, Any]] = []
        lists: list[list[int]] = []
        enrolled: list[int | None] = []
        for age in ages:
            child_no += 1
            transfer = age > 0 and rng.random() < TRANSFER_SHARE
            enrolled_at = None
            if transfer:
                options = [d for d in range(n_facilities) if age in classes_of[d]]
                enrolled_at = rng.choice(options)
            n_choices = rng.randint(1, 4) if transfer else rng.randint(3, 10)
            prefs = nearby(pos, n_choices, age, {enrolled_at} if enrolled_at is not None else set())
            bonus = {}
            if prefs and rng.random() < BONUS_SHARE:
                bonus[f"F{rng.choice(prefs) + 1:04d}"] = rng.choice((3, 5, 10))
            children.append(
                {
                    "id": f"C{child_no:06d}",
                    "age_class": age,
                    "enrolled_facility": None if enrolled_at is None else f"F{enrolled_at + 1:04d}",
                    "bonus": bonus,
                }
            )
            lists.append(prefs)
            enrolled.append(enrolled_at)
        tuples = _tuples(rng, lists, enrolled)
        households.append(
            {
                "id": f"H{hno:06d}",
                "score": score,
                "tie_keys": [1 if single_parent else 0, -income_bracket],
                "children": children,
                "preferences": [[None if d is None else f"F{d + 1:04d}" for d in t] for t in tuples],
            }
        )
    return {
        "format": "madoguchi-nursery/1",
        "round": {"id": f"bench-{tier}-{seed}", "reference_date": "2027-04-01"},
        "facilities": [
            {"id": f"F{d + 1:04d}", "name": f"{'小規模' if small[d] else ''}保育園{d + 1}", "seats": seats[d]}
            for d in range(n_facilities)
        ],
        "households": households,
        "policy": {"objective": "stable", "seed": 1, "time_limit_s": 60},
    }


def _tuples(
    rng: random.Random, lists: list[list[int]], enrolled: list[int | None]
) -> list[tuple[int | None, ...]]:
    """The household's ranked tuples: one per choice for a single child; combinations for siblings."""
    if len(lists) == 1:
        return [(d,) for d in lists[0]]
    rank = [{d: i for i, d in enumerate(lst)} for lst in lists]
    options = [[*lst, None] for lst in lists]
    scored = []
    allow_partial = rng.random() < 0.5
    for combo in product(*options):
        placed = [d for d in combo if d is not None]
        if not placed:
            continue
        if len(placed) < len(combo) and not allow_partial:
            continue
        same = len(set(placed)) == 1 and len(placed) == len(combo)
        rank_sum = sum(rank[i][d] for i, d in enumerate(combo) if d is not None)
        scored.append(((-len(placed), 0 if same else 1, rank_sum), combo))
    scored.sort(key=lambda item: item[0])
    result = [combo for _, combo in scored[:MAX_SIBLING_TUPLES]]
    # a transfer applicant's younger sibling may also join it at its current facility
    for i, e in enumerate(enrolled):
        if e is None:
            continue
        for j in range(len(lists)):
            if j != i and enrolled[j] is None and rng.random() < 0.6:
                combo = tuple(e if k == j else None for k in range(len(lists)))
                if combo not in result:
                    result.insert(min(2, len(result)), combo)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.nursery.generate", description=__doc__)
    parser.add_argument("tier", choices=sorted(TIERS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    document = generate(args.tier, args.seed)
    Path(args.output).write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
