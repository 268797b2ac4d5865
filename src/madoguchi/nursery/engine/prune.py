"""Outcomes that no stable allocation can contain, removed before the CP-SAT search.

Two sound rules, applied until nothing changes (they hold in every allocation without blocking pairs):

* fit: if, for every (facility, age class) a tuple needs, the children of other households that could
  possibly be admitted there with higher priority leave room for the household's children, the household
  must get that tuple or a better one (otherwise the tuple would block);
* dead: if the children of other households that are surely admitted there with higher priority leave no
  room, the tuple can neither be obtained nor block, so it is dropped.

Each rule makes the other stronger (fewer possible children, more sure ones). Without siblings and with
priorities close to one master list (the usual case for municipalities) this alone fixes almost every
household, which is what keeps the CP-SAT model small. The rules assume a stable allocation exists; when
they run into a contradiction, none exists and the caller switches to minimising blocking pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

from madoguchi.nursery.engine.market import NONE, Market
from madoguchi.nursery.engine.model import AGE_CLASSES


@dataclass(slots=True)
class Entries:
    """One entry per (child, facility) pair that some outcome of the child's household uses."""

    child: list[int]
    facility: list[int]
    klass: list[int]
    household: list[int]
    outcomes: list[tuple[int, ...]]  # outcome indices (len(tuples) = "none") that place the child there
    position: list[int]  # index in its class list
    by_class: list[list[int]]  # entries per class, highest priority first
    by_household: list[list[int]]
    by_outcome: list[list[list[int]]]  # by_outcome[h][o]: entries that outcome o of household h uses
    part_entry: list[list[tuple[int, ...]]]  # part_entry[h][p][j]: entry of the lowest child of part j
    lookup: dict[tuple[int, int], int]  # (child, facility) -> entry
    solo: list[bool]  # the household has no other entry in the same class


def build_entries(market: Market) -> Entries:
    child: list[int] = []
    facility: list[int] = []
    klass: list[int] = []
    household: list[int] = []
    outcomes: list[tuple[int, ...]] = []
    by_household: list[list[int]] = []
    by_outcome: list[list[list[int]]] = []
    part_entry: list[list[tuple[int, ...]]] = []
    lookup: dict[tuple[int, int], int] = {}
    age = market.child_age
    for h in range(market.n_households):
        members = market.household_children[h]
        effs = [*market.outcomes[h], market.stay[h]]
        places: dict[tuple[int, int], list[int]] = {}
        if len(members) == 1:
            c = members[0]
            for o, eff in enumerate(effs):
                if eff[0] != NONE:
                    places.setdefault((c, eff[0]), []).append(o)
        else:
            for o, eff in enumerate(effs):
                for c, d in zip(members, eff, strict=True):
                    if d != NONE:
                        places.setdefault((c, d), []).append(o)
        mine = []
        per_outcome: list[list[int]] = [[] for _ in effs]
        for (c, d), outs in places.items():
            e = len(child)
            child.append(c)
            facility.append(d)
            klass.append(d * AGE_CLASSES + age[c])
            household.append(h)
            outcomes.append(tuple(outs))
            lookup[(c, d)] = e
            mine.append(e)
            for o in outs:
                per_outcome[o].append(e)
        by_household.append(mine)
        by_outcome.append(per_outcome)
        part_entry.append(
            [tuple(lookup[(kids[0], k // AGE_CLASSES)] for k, kids in parts) for parts in market.parts[h]]
        )
    by_class: list[list[int]] = [[] for _ in market.capacity]
    for e, k in enumerate(klass):
        by_class[k].append(e)
    position = [0] * len(child)
    rank = market.rank
    n_children = len(market.child_ids)
    # highest rank first; siblings of equal rank in child order
    order_key = [n_children * -rank[c][d] + c for c, d in zip(child, facility, strict=True)]
    for lst in by_class:
        lst.sort(key=order_key.__getitem__)
        for i, e in enumerate(lst):
            position[e] = i
    solo = [True] * len(child)
    for mine in by_household:
        if len(mine) > 1:
            seen: dict[int, int] = {}
            for e in mine:
                if klass[e] in seen:
                    solo[e] = False
                    solo[seen[klass[e]]] = False
                seen[klass[e]] = e
    return Entries(
        child,
        facility,
        klass,
        household,
        outcomes,
        position,
        by_class,
        by_household,
        by_outcome,
        part_entry,
        lookup,
        solo,
    )


@dataclass(slots=True)
class Pruned:
    entries: Entries
    alive: list[list[bool]]  # alive[h][o], o == len(tuples) is "none"
    alive_count: list[int]
    dead: list[list[bool]]  # dead[h][p]: tuple p can neither be obtained nor block
    possible: list[bool]  # per entry
    sure: list[bool]  # per entry
    fit_frontier: list[int]
    dead_frontier: list[int]
    irregular: dict[tuple[int, int, int], tuple[bool, bool]]  # (h, p, part) -> (fit, dead)
    contradiction: bool

    def part_fits(self, h: int, p: int, j: int) -> bool:
        status = self.irregular.get((h, p, j))
        if status is not None:
            return status[0]
        e = self.entries.part_entry[h][p][j]
        return self.entries.position[e] <= self.fit_frontier[self.entries.klass[e]]


def irregular_parts(market: Market, entries: Entries) -> list[tuple[int, int, int]]:
    """Parts with several children in one class, or of a household with several entries in the class."""
    result = []
    solo = entries.solo
    for h, members in enumerate(market.household_children):
        if len(members) == 1:
            continue
        for p, parts in enumerate(market.parts[h]):
            for j, (_, kids) in enumerate(parts):
                if len(kids) > 1 or not solo[entries.part_entry[h][p][j]]:
                    result.append((h, p, j))
    return result


def trivial(market: Market, entries: Entries) -> Pruned:
    """A state that excludes nothing (used when blocking pairs must be minimised)."""
    alive = [[True] * (len(market.outcomes[h]) + 1) for h in range(market.n_households)]
    counts = [len(a) for a in alive]
    sure = [len(entries.outcomes[e]) == counts[entries.household[e]] for e in range(len(entries.child))]
    return Pruned(
        entries=entries,
        alive=alive,
        alive_count=counts,
        dead=[[False] * len(market.outcomes[h]) for h in range(market.n_households)],
        possible=[True] * len(entries.child),
        sure=sure,
        fit_frontier=[-1] * len(market.capacity),
        dead_frontier=[len(lst) for lst in entries.by_class],
        irregular={key: (False, False) for key in irregular_parts(market, entries)},
        contradiction=False,
    )


class _Pruner:
    def __init__(self, market: Market, entries: Entries, relaxed: frozenset[int]) -> None:
        self.m = market
        self.en = entries
        self.relaxed = relaxed  # households allowed to block: only the "dead" rule applies to them
        n_entries = len(entries.child)
        n_h = market.n_households
        self.n_tuples = [len(o) for o in market.outcomes]
        self.alive = [[True] * (n + 1) for n in self.n_tuples]
        self.alive_count = [n + 1 for n in self.n_tuples]
        self.limit = list(self.n_tuples)  # tuples from `limit` on are worse than every possible outcome
        self.dead = [[False] * n for n in self.n_tuples]
        self.count = [len(outs) for outs in entries.outcomes]
        self.max_count = [max((self.count[e] for e in mine), default=0) for mine in entries.by_household]
        self.possible = [True] * n_entries
        self.sure = [self.count[e] == self.alive_count[entries.household[e]] for e in range(n_entries)]
        self.contradiction = False
        self.queue: list[int] = []
        self.queued = [False] * n_h
        self.dirty: set[int] = set()
        self.irregular: dict[tuple[int, int, int], tuple[bool, bool]] = {}
        self.irregular_by_class: dict[int, list[tuple[int, int, int]]] = {}
        for h, p, j in irregular_parts(market, entries):
            self.irregular[(h, p, j)] = (False, False)
            self.irregular_by_class.setdefault(market.parts[h][p][j][0], []).append((h, p, j))
        # per tuple: (class, position of the lowest child, irregular key or None) for every part
        klass, position = entries.klass, entries.position
        self.part_pos: list[list[tuple[tuple[int, int, tuple[int, int, int] | None], ...]]] = []
        for h in range(n_h):
            rows = []
            for p, parts in enumerate(entries.part_entry[h]):
                rows.append(
                    tuple(
                        (klass[e], position[e], (h, p, j) if (h, p, j) in self.irregular else None)
                        for j, e in enumerate(parts)
                    )
                )
            self.part_pos.append(rows)
        cap = market.capacity
        self.fit_frontier = [-1] * len(cap)
        self.poss_top = [0] * len(cap)
        self.dead_frontier = [0] * len(cap)
        self.sure_top = [0] * len(cap)
        self.sure_total = [0] * len(cap)
        for k, lst in enumerate(entries.by_class):
            self.sure_total[k] = sum(1 for e in lst if self.sure[e])
            if self.sure_total[k] > cap[k]:
                self.contradiction = True
            self._advance(k)
            frontier, count = len(lst), 0
            for i, e in enumerate(lst):
                if count >= cap[k]:
                    frontier = i
                    break
                count += self.sure[e]
            self.dead_frontier[k] = frontier
            self.sure_top[k] = count
        for k in self.irregular_by_class:
            self._refresh_irregular(k)

    # --- class bookkeeping ---------------------------------------------------------------
    def _schedule(self, h: int) -> None:
        if not self.queued[h]:
            self.queued[h] = True
            self.queue.append(h)

    def _advance(self, k: int) -> None:
        lst = self.en.by_class[k]
        limit = self.m.capacity[k] - 1
        frontier, top = self.fit_frontier[k], self.poss_top[k]
        while frontier + 1 < len(lst) and top <= limit:
            frontier += 1
            e = lst[frontier]
            top += self.possible[e]
            self._schedule(self.en.household[e])
        self.fit_frontier[k], self.poss_top[k] = frontier, top

    def _shrink(self, k: int) -> None:
        lst = self.en.by_class[k]
        cap = self.m.capacity[k]
        while self.dead_frontier[k] > 0:
            prev = lst[self.dead_frontier[k] - 1]
            without = self.sure_top[k] - self.sure[prev]
            if without < cap:
                break
            self.dead_frontier[k] -= 1
            self.sure_top[k] = without
            self._schedule(self.en.household[prev])

    def _lost_possible(self, e: int) -> None:
        k = self.en.klass[e]
        if k in self.irregular_by_class:
            self.dirty.add(k)
        if self.en.position[e] <= self.fit_frontier[k]:
            self.poss_top[k] -= 1
            self._advance(k)

    def _gained_sure(self, e: int) -> None:
        k = self.en.klass[e]
        if k in self.irregular_by_class:
            self.dirty.add(k)
        self.sure_total[k] += 1
        if self.sure_total[k] > self.m.capacity[k]:
            self.contradiction = True
        if self.en.position[e] < self.dead_frontier[k]:
            self.sure_top[k] += 1
            self._shrink(k)

    def _refresh_irregular(self, k: int) -> None:
        m, en = self.m, self.en
        lst = en.by_class[k]
        cap = m.capacity[k]
        for key in self.irregular_by_class[k]:
            h, p, j = key
            n_kids = len(m.parts[h][p][j][1])
            possible_above = sure_above = 0
            for e in lst[: en.position[en.part_entry[h][p][j]]]:
                if en.household[e] != h:
                    possible_above += self.possible[e]
                    sure_above += self.sure[e]
            status = (possible_above + n_kids <= cap, sure_above + n_kids > cap)
            if status != self.irregular[key]:
                self.irregular[key] = status
                self._schedule(h)

    # --- household bookkeeping -----------------------------------------------------------
    def _remove(self, h: int, o: int) -> None:
        alive = self.alive[h]
        if not alive[o]:
            return
        alive[o] = False
        remaining = self.alive_count[h] = self.alive_count[h] - 1
        if remaining == 0:
            self.contradiction = True
            return
        count, possible = self.count, self.possible
        for e in self.en.by_outcome[h][o]:
            count[e] -= 1
            if count[e] == 0 and possible[e]:
                possible[e] = False
                self._lost_possible(e)
        if remaining <= self.max_count[h]:
            sure = self.sure
            for e in self.en.by_household[h]:
                if not sure[e] and count[e] == remaining:
                    sure[e] = True
                    self._gained_sure(e)

    def _evaluate(self, h: int) -> None:
        alive, dead = self.alive[h], self.dead[h]
        fit, dead_from, irregular = self.fit_frontier, self.dead_frontier, self.irregular
        rows = self.part_pos[h]
        for p in range(self.limit[h]):
            if dead[p]:
                continue
            all_fit = True
            killed = False
            for k, pos, key in rows[p]:
                if key is None:
                    if pos >= dead_from[k]:
                        killed = True
                        break
                    if pos > fit[k]:
                        all_fit = False
                else:
                    status = irregular[key]
                    if status[1]:
                        killed = True
                        break
                    if not status[0]:
                        all_fit = False
            if killed:
                dead[p] = True
                self._remove(h, p)
                continue
            if all_fit and h not in self.relaxed:
                for o in range(p + 1, self.n_tuples[h] + 1):
                    if alive[o]:
                        self._remove(h, o)
                self.limit[h] = p + 1
                return

    def run(self) -> None:
        for h in range(self.m.n_households):
            self._schedule(h)
        while (self.queue or self.dirty) and not self.contradiction:
            while self.queue and not self.contradiction:
                h = self.queue.pop()
                self.queued[h] = False
                self._evaluate(h)
            for k in sorted(self.dirty):
                self._refresh_irregular(k)
            self.dirty.clear()


def prune_for_stability(market: Market, entries: Entries, *, relaxed: frozenset[int] = frozenset()) -> Pruned:
    """Prune for allocations in which no household outside `relaxed` is part of a blocking pair."""
    pruner = _Pruner(market, entries, relaxed)
    if not pruner.contradiction:
        pruner.run()
    return Pruned(
        entries=entries,
        alive=pruner.alive,
        alive_count=pruner.alive_count,
        dead=pruner.dead,
        possible=pruner.possible,
        sure=pruner.sure,
        fit_frontier=pruner.fit_frontier,
        dead_frontier=pruner.dead_frontier,
        irregular=pruner.irregular,
        contradiction=pruner.contradiction,
    )
