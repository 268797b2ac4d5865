"""Household-proposing deferred acceptance over tuples (a Roth–Peranson style heuristic).

Households propose their tuples in order; each (facility, age class) keeps the highest-priority children
that fit and rejects the rest; a household rejected anywhere withdraws its whole tuple and proposes its
next one. Without siblings this is the child-optimal stable allocation. With siblings it may leave
blocking pairs, so a few repair rounds re-propose blocked tuples. The result seeds the CP-SAT search and is
the fallback when the solver finds nothing.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import deque

from madoguchi.nursery.engine.market import NONE, Market, blocking_pairs
from madoguchi.nursery.engine.model import AGE_CLASSES

_TOP = 1 << 62


def outcome_quality(market: Market, outcome: list[int | None], n_blocking: int) -> tuple[int, int, int]:
    """Sort key (smaller is better): fewer blocking pairs, then more children placed, then more first choices."""
    placed = sum(market.placed(h, o) for h, o in enumerate(outcome))
    firsts = sum(1 for o in outcome if o == 0)
    return (n_blocking, -placed, -firsts)


class _Proposals:
    """Tentative acceptances; `current[h]` is a tuple index, len(tuples) for "stay", or None."""

    def __init__(self, market: Market) -> None:
        self.m = market
        self.held: list[list[tuple[int, int]]] = [[] for _ in market.capacity]
        self.current: list[int | None] = [None] * market.n_households
        self.next: list[int] = [0] * market.n_households
        self.queue: deque[int] = deque()
        self.has_transfer = [
            any(market.child_enrolled[c] != NONE for c in members) for members in market.household_children
        ]

    def outcome(self) -> list[int | None]:
        return [
            None if (p is None or p == len(self.m.outcomes[h])) else p for h, p in enumerate(self.current)
        ]

    def _fits(self, h: int, p: int) -> bool:
        m = self.m
        for k, kids in m.parts[h][p]:
            held = self.held[k]
            above = len(held) - bisect_right(held, (m.rank[kids[0]][k // AGE_CLASSES], _TOP))
            if above + len(kids) > m.capacity[k]:
                return False
        return True

    def _remove(self, k: int, entry: tuple[int, int]) -> None:
        held = self.held[k]
        i = bisect_left(held, entry)
        if i < len(held) and held[i] == entry:
            del held[i]

    def _placements(self, h: int, p: int) -> list[tuple[int, int]]:
        m = self.m
        eff = m.stay[h] if p == len(m.outcomes[h]) else m.outcomes[h][p]
        return [(c, d) for c, d in zip(m.household_children[h], eff, strict=True) if d != NONE]

    def _admit(self, h: int, p: int) -> None:
        m = self.m
        evicted: list[int] = []
        for c, d in self._placements(h, p):
            k = d * AGE_CLASSES + m.child_age[c]
            held = self.held[k]
            insort(held, (m.rank[c][d], c))
            while len(held) > m.capacity[k]:
                evicted.append(held.pop(0)[1])
        self.current[h] = p
        self.withdraw_all(evicted)

    def withdraw_all(self, evicted: list[int]) -> None:
        for c in evicted:
            h = self.m.child_household[c]
            if self.current[h] is not None:
                self.withdraw(h, advance=True)

    def withdraw(self, h: int, *, advance: bool) -> None:
        """Take household h out of its tuple (it was rejected somewhere, or is being repaired)."""
        m = self.m
        p = self.current[h]
        if p is None:
            return
        for c, d in self._placements(h, p):
            self._remove(d * AGE_CLASSES + m.child_age[c], (m.rank[c][d], c))
        self.current[h] = None
        if advance:
            self.next[h] = p + 1
        self.queue.append(h)

    def run(self, budget: int) -> int:
        m = self.m
        while self.queue and budget > 0:
            h = self.queue.popleft()
            if self.current[h] is not None:
                continue
            n = len(m.outcomes[h])
            while self.next[h] < n:
                budget -= 1
                p = self.next[h]
                if self._fits(h, p):
                    self._admit(h, p)
                    break
                self.next[h] = p + 1
            if self.current[h] is None and self.has_transfer[h]:
                self._admit(h, n)  # transfer applicants fall back on their own seats, which nobody outranks
        return budget


def deferred_acceptance(market: Market, *, repair_rounds: int = 8) -> tuple[list[int | None], int]:
    """The best outcome found and its number of blocking pairs."""
    run = _Proposals(market)
    run.queue.extend(market.serial_order)
    budget = 20 * sum(len(o) for o in market.outcomes) + 1000
    budget = run.run(budget)
    best = run.outcome()
    pairs = blocking_pairs(market, best)
    best_quality = outcome_quality(market, best, len(pairs))
    position = {h: i for i, h in enumerate(market.serial_order)}
    for _ in range(repair_rounds):
        if not pairs or budget <= 0:
            break
        target: dict[int, int] = {}
        for h, q in pairs:
            target[h] = min(target.get(h, q), q)
        for h in sorted(target, key=position.__getitem__):
            run.withdraw(h, advance=False)
            run.next[h] = target[h]
            run.queue.append(h)
        budget = run.run(budget)
        outcome = run.outcome()
        pairs = blocking_pairs(market, outcome)
        quality = outcome_quality(market, outcome, len(pairs))
        if quality < best_quality:
            best, best_quality = outcome, quality
        elif quality[0] >= best_quality[0]:
            break  # repairing no longer reduces the blocking pairs
    return best, best_quality[0]
