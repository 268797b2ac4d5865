"""A problem compiled to integer indices, shared by the allocation algorithms (not by the verifier).

Households, children and facilities become list indices; a (facility, age class) pair is one "class"
`k = d * AGE_CLASSES + g`. Every (child, facility) pair that can occur gets an integer rank: a higher rank
means a higher priority, ranks of different households never tie, and a transfer applicant at its own
seat ranks above everybody else there.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from madoguchi.nursery.engine.model import AGE_CLASSES, Problem
from madoguchi.nursery.engine.priority import lottery

NONE = -1  # "no facility" in an effective tuple

# A part of a tuple: (class k, the household's children that need k, lowest priority first)
Part = tuple[int, tuple[int, ...]]


@dataclass(slots=True)
class Market:
    problem: Problem
    seed: int
    facility_ids: list[str]
    capacity: list[int]  # per class: seats[g] + transfer applicants enrolled there
    household_ids: list[str]
    household_children: list[tuple[int, ...]]
    # outcomes[h][p] = facility per child for tuple p; a transfer child's null is its own facility
    outcomes: list[list[tuple[int, ...]]]
    stay: list[tuple[int, ...]]  # what the household has when it gets none of its tuples
    parts: list[list[tuple[Part, ...]]]  # parts[h][p], sorted by class
    child_ids: list[str]
    child_household: list[int]
    child_age: list[int]
    child_enrolled: list[int]  # NONE if not a transfer applicant
    rank: list[dict[int, int]]  # rank[c][d]
    serial_order: list[int]  # households in the order the manual procedure processes them
    lotteries: list[int]
    placed_count: list[list[int]]  # placed_count[h][o]: children with a seat; o == len(tuples) is "none"

    @property
    def n_households(self) -> int:
        return len(self.household_ids)

    def placed(self, h: int, outcome: int | None) -> int:
        """Children of household h who have a seat under `outcome` (tuple index, or None)."""
        counts = self.placed_count[h]
        return counts[-1] if outcome is None else counts[outcome]

    def public_priority(self, c: int, d: int) -> list[int]:
        """The documented priority tuple (score + bonus, *tie_keys, lottery) of child c at facility d."""
        h = self.child_household[c]
        household = self.problem.households[h]
        child = household.children[self.household_children[h].index(c)]
        return [
            household.score + child.bonus_at(self.facility_ids[d]),
            *household.tie_keys,
            self.lotteries[h],
        ]


def compile_market(problem: Problem) -> Market:
    seed = problem.policy.seed
    facility_ids = [f.id for f in problem.facilities]
    findex = {fid: d for d, fid in enumerate(facility_ids)}
    capacity = [s for f in problem.facilities for s in f.seats]
    households = problem.households
    n_h = len(households)
    lotteries = [lottery(seed, household.id) for household in households]

    # Ranks are integers: own seat first, then score + bonus, then the household's place in the order of
    # (tie_keys, lottery, earlier in the input), which never ties between households.
    by_tie = sorted(range(n_h), key=lambda h: (households[h].tie_keys, lotteries[h], -h))
    tie_rank = [0] * n_h
    for i, h in enumerate(by_tie):
        tie_rank[h] = i
    low = high = 0
    for household in households:
        for child in household.children:
            points = [b for _, b in child.bonus]
            low = min(low, household.score + min(points, default=0), household.score)
            high = max(high, household.score + max(points, default=0), household.score)
    own_bonus = (high - low + 1) * n_h

    household_ids: list[str] = []
    household_children: list[tuple[int, ...]] = []
    child_ids: list[str] = []
    child_household: list[int] = []
    child_age: list[int] = []
    child_enrolled: list[int] = []
    outcomes: list[list[tuple[int, ...]]] = []
    stay: list[tuple[int, ...]] = []
    parts: list[list[tuple[Part, ...]]] = []
    rank: list[dict[int, int]] = []

    for h, household in enumerate(households):
        household_ids.append(household.id)
        base = (household.score - low) * n_h + tie_rank[h]
        first = len(child_ids)
        members = tuple(range(first, first + len(household.children)))
        household_children.append(members)
        enrolled_here = []
        for child in household.children:
            child_ids.append(child.id)
            child_household.append(h)
            child_age.append(child.age_class)
            e = NONE if child.enrolled_facility is None else findex[child.enrolled_facility]
            child_enrolled.append(e)
            enrolled_here.append(e)
            if e != NONE:
                capacity[e * AGE_CLASSES + child.age_class] += 1
        stay.append(tuple(enrolled_here))
        if len(members) == 1:
            c = first
            child = household.children[0]
            g = child.age_class
            e = enrolled_here[0]
            effs = [(findex[pref[0]],) if pref[0] is not None else (e,) for pref in household.preferences]
            outcomes.append(effs)
            parts.append([((eff[0] * AGE_CLASSES + g, (c,)),) for eff in effs])
            bonus = {findex[fid]: points for fid, points in child.bonus}
            ranks = {eff[0]: base + bonus.get(eff[0], 0) * n_h for eff in effs}
            if e != NONE:
                ranks[e] = own_bonus + base + bonus.get(e, 0) * n_h
            rank.append(ranks)
            continue
        effs = [
            tuple(findex[fid] if fid is not None else enrolled_here[i] for i, fid in enumerate(pref))
            for pref in household.preferences
        ]
        outcomes.append(effs)
        child_ranks: list[dict[int, int]] = []
        for i, child in enumerate(household.children):
            bonus = {findex[fid]: points for fid, points in child.bonus}
            ranks = {}
            for eff in [*effs, stay[h]]:
                d = eff[i]
                if d != NONE and d not in ranks:
                    ranks[d] = (own_bonus if d == enrolled_here[i] else 0) + base + bonus.get(d, 0) * n_h
            child_ranks.append(ranks)
        rank.extend(child_ranks)
        hparts = []
        for eff in effs:
            by_class: dict[int, list[int]] = {}
            for i, d in enumerate(eff):
                if d != NONE:
                    by_class.setdefault(d * AGE_CLASSES + household.children[i].age_class, []).append(i)
            hparts.append(
                tuple(
                    (
                        k,
                        tuple(
                            first + i
                            for i in sorted(kids, key=lambda i, d=k // AGE_CLASSES: (child_ranks[i][d], i))
                        ),
                    )
                    for k, kids in sorted(by_class.items())
                )
            )
        parts.append(hparts)

    serial_order = sorted(range(n_h), key=lambda h: (households[h].score, tie_rank[h]), reverse=True)
    return Market(
        problem=problem,
        seed=seed,
        facility_ids=facility_ids,
        capacity=capacity,
        household_ids=household_ids,
        household_children=household_children,
        outcomes=outcomes,
        stay=stay,
        parts=parts,
        child_ids=child_ids,
        child_household=child_household,
        child_age=child_age,
        child_enrolled=child_enrolled,
        rank=rank,
        serial_order=serial_order,
        lotteries=lotteries,
        placed_count=[
            [sum(1 for d in eff if d != NONE) for eff in [*outcomes[h], stay[h]]] for h in range(n_h)
        ],
    )


def assignment_of(market: Market, outcome: list[int | None]) -> list[int]:
    """Facility index (or NONE) of every child under a household outcome vector."""
    result = [NONE] * len(market.child_ids)
    outcomes, stay, members_of = market.outcomes, market.stay, market.household_children
    for h, o in enumerate(outcome):
        members = members_of[h]
        eff = stay[h] if o is None else outcomes[h][o]
        if len(members) == 1:
            result[members[0]] = eff[0]
        else:
            for c, d in zip(members, eff, strict=True):
                result[c] = d
    return result


def admitted_ranks(market: Market, assigned: list[int]) -> list[list[int]]:
    """Sorted ranks of the children admitted to each class."""
    ranks: list[list[int]] = [[] for _ in market.capacity]
    rank, age = market.rank, market.child_age
    for c, d in enumerate(assigned):
        if d != NONE:
            ranks[d * AGE_CLASSES + age[c]].append(rank[c][d])
    for lst in ranks:
        lst.sort()
    return ranks


def blocking_pairs(market: Market, outcome: list[int | None]) -> list[tuple[int, int]]:
    """(household, tuple) blocking pairs of an outcome, for the algorithms' own bookkeeping.

    The verifier computes the same set independently from the raw problem.
    """
    assigned = assignment_of(market, outcome)
    ranks_at = admitted_ranks(market, assigned)
    capacity, rank, age = market.capacity, market.rank, market.child_age
    result = []
    for h, o in enumerate(outcome):
        limit = len(market.outcomes[h]) if o is None else o
        if not limit:
            continue
        members = market.household_children[h]
        hparts = market.parts[h]
        for p in range(limit):
            blocked = False
            for k, kids in hparts[p]:
                d = k // AGE_CLASSES
                lowest = rank[kids[0]][d]
                lst = ranks_at[k]
                above = len(lst) - bisect_right(lst, lowest)
                if len(members) > 1:  # own children admitted there above the lowest one do not count
                    for c in members:
                        if assigned[c] == d and age[c] == k % AGE_CLASSES and rank[c][d] > lowest:
                            above -= 1
                if above + len(kids) > capacity[k]:
                    blocked = True
                    break
            if not blocked:
                result.append((h, p))
    return result
