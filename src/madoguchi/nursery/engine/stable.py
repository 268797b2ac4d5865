"""The `stable` objective: no blocking pair where possible, then most children placed, then most first choices.

1. Heuristics: household-proposing deferred acceptance (and the manual procedure when that leaves
   blocking pairs); the better one is the solver's hint and the fallback.
2. `prune`: outcomes no stable allocation can contain are removed; about half the households end up fixed.
3. CP-SAT on what is left: one boolean per (household, outcome); per (facility, age class) an order
   encoding of the cut-off, b(i) = "the class is full and nobody from position i down is admitted"; a
   tuple ranked above a household's result needs b at its lowest child in one of its classes. This is the
   AAAI-24 stability condition with cut-off literals instead of one constraint per (child, better child)
   pair, so the model stays linear in size; CP-SAT's presolve usually settles it completely.
4. If no stable allocation exists (a contradiction while pruning, or CP-SAT proves the model infeasible):
   a restricted search in which only the households that block in the heuristic's allocation may block
   (with a counted slack), then, for small rounds, the full model with a slack per (household, tuple),
   minimising the slacks first.

The search is deterministic: fixed seed, interleaved workers and a deterministic time limit (plus the
wall-clock one).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from madoguchi.nursery.engine.heuristic import deferred_acceptance, outcome_quality
from madoguchi.nursery.engine.market import Market, blocking_pairs
from madoguchi.nursery.engine.model import AGE_CLASSES
from madoguchi.nursery.engine.prune import Entries, Pruned, build_entries, prune_for_stability, trivial
from madoguchi.nursery.engine.serial import allocate_serial

WORKERS = 2


@dataclass(slots=True)
class StableOutcome:
    outcome: list[int | None]
    status: str  # optimal | feasible | fallback
    proven: bool
    stable_exists: bool | None  # None: unknown (time limit)
    info: dict[str, Any] = field(default_factory=dict)


_TRUE = "true"
_FALSE = "false"


class _ModelBuilder:
    """Builds the CP-SAT model over the outcomes that `pruned` leaves alive."""

    def __init__(self, market: Market, pruned: Pruned, *, relaxed: frozenset[int] | None) -> None:
        self.m = market
        self.p = pruned
        self.en: Entries = pruned.entries
        # households whose tuples may block (with a counted slack); None: every household
        self.relaxed = relaxed
        self.model = cp_model.CpModel()
        self.infeasible = False
        self.x: dict[tuple[int, int], Any] = {}
        self.fixed: list[int | None] = [None] * market.n_households
        self.betas: list[tuple[Any, int, int]] = []
        self.full_cache: dict[Any, Any] = {}
        self.z_cache: dict[int, list[Any]] = {}
        self._make_outcome_vars()
        self._index_classes()

    # --- variables -------------------------------------------------------------------------
    def _make_outcome_vars(self) -> None:
        model = self.model
        for h in range(self.m.n_households):
            alive = [o for o, a in enumerate(self.p.alive[h]) if a]
            if len(alive) == 1:
                self.fixed[h] = alive[0]
                continue
            lits = []
            for o in alive:
                var = model.new_bool_var("")
                self.x[(h, o)] = var
                lits.append(var)
            model.add_exactly_one(lits)

    def _z_terms(self, e: int) -> list[Any]:
        """The outcome literals that admit entry e (their sum is 0 or 1)."""
        terms = self.z_cache.get(e)
        if terms is None:
            h = self.en.household[e]
            terms = self.z_cache[e] = [self.x[(h, o)] for o in self.en.outcomes[e] if self.p.alive[h][o]]
        return terms

    def _index_classes(self) -> None:
        """Per class: the position of the last entry that may still be admitted."""
        self.last_open: list[int] = []
        for lst in self.en.by_class:
            last = -1
            for i in range(len(lst) - 1, -1, -1):
                if self.p.possible[lst[i]]:
                    last = i
                    break
            self.last_open.append(last)

    def _build_cutoffs(self, requested: dict[int, set[int]]) -> dict[tuple[int, int], Any]:
        """Literals b(k, i) = "class k is full and nobody at position i or lower is admitted".

        Order encoding over the positions asked for, highest first: b(i) implies the next b below it,
        b(i) excludes every entry from i down to the next asked position, and the lowest b implies a
        full class.
        """
        model = self.model
        literals: dict[tuple[int, int], Any] = {}
        for k in sorted(requested):
            lst = self.en.by_class[k]
            positions = sorted(requested[k])
            full = self._class_full(k)
            chain = [model.new_bool_var("") for _ in positions]
            for j, pos in enumerate(positions):
                lit = chain[j]
                literals[(k, pos)] = lit
                if j + 1 < len(positions):
                    model.add_implication(lit, chain[j + 1])
                    stop = positions[j + 1]
                else:
                    if full is not _TRUE:
                        model.add_implication(lit, full)
                    stop = self.last_open[k] + 1
                for e in lst[pos:stop]:
                    if self.p.sure[e]:
                        model.add_bool_or([lit.Not()])
                    elif self.p.possible[e]:
                        for var in self._z_terms(e):
                            model.add_bool_or([lit.Not(), var.Not()])
        return literals

    def _class_full(self, k: int) -> Any:
        cached = self.full_cache.get(("class", k))
        if cached is not None:
            return cached
        cap = self.m.capacity[k]
        const = 0
        terms: list[Any] = []
        for e in self.en.by_class[k]:
            if self.p.sure[e]:
                const += 1
            elif self.p.possible[e]:
                terms.extend(self._z_terms(e))
        need = cap - const
        if need <= 0:
            lit: Any = _TRUE
        else:
            lit = self.model.new_bool_var("")
            if need > len(terms):
                self.model.add_bool_or([lit.Not()])
            else:
                self.model.add(cp_model.LinearExpr.sum(terms) >= need).only_enforce_if(lit)
        self.full_cache[("class", k)] = lit
        return lit

    def _full_irregular(self, h: int, k: int, kids: tuple[int, ...]) -> Any:
        key = (h, k, kids)
        cached = self.full_cache.get(key)
        if cached is not None:
            return cached
        e_low = self.en.lookup[(kids[0], k // AGE_CLASSES)]
        const = 0
        terms: list[Any] = []
        for e in self.en.by_class[k][: self.en.position[e_low]]:
            if self.en.household[e] == h or not self.p.possible[e]:
                continue
            if self.p.sure[e]:
                const += 1
            else:
                terms.extend(self._z_terms(e))
        need = self.m.capacity[k] - len(kids) + 1 - const
        if need <= 0:
            lit: Any = _TRUE
        elif need > len(terms):
            lit = _FALSE
        else:
            lit = self.model.new_bool_var("")
            self.model.add(cp_model.LinearExpr.sum(terms) >= need).only_enforce_if(lit)
        self.full_cache[key] = lit
        return lit

    # --- constraints -----------------------------------------------------------------------
    def add_capacity(self) -> None:
        for k, lst in enumerate(self.en.by_class):
            cap = self.m.capacity[k]
            const = 0
            terms: list[Any] = []
            for e in lst:
                if self.p.sure[e]:
                    const += 1
                elif self.p.possible[e]:
                    terms.extend(self._z_terms(e))
            if const > cap:
                self.infeasible = True
                return
            if const + len(terms) > cap:
                self.model.add(cp_model.LinearExpr.sum(terms) <= cap - const)

    def add_stability(self) -> None:
        """For every tuple that may be ranked above the household's result: obtained-or-better, or full."""
        m, p = self.m, self.p
        pending: list[tuple[list[Any], list[tuple[int, int]], int, int]] = []
        requested: dict[int, set[int]] = {}
        for h in range(m.n_households):
            n = len(m.outcomes[h])
            alive = p.alive[h]
            worst = max(o for o in range(n + 1) if alive[o])
            fixed = self.fixed[h]
            for q in range(min(worst, n)):
                if p.dead[h][q]:
                    continue
                if fixed is not None:
                    if fixed <= q:
                        continue
                    lits: list[Any] = []
                else:
                    lits = [self.x[(h, o)] for o in range(q + 1) if alive[o]]
                cutoffs: list[tuple[int, int]] = []
                satisfied = False
                for j, (k, kids) in enumerate(m.parts[h][q]):
                    if p.part_fits(h, q, j):
                        continue
                    if (h, q, j) in p.irregular:
                        lit = self._full_irregular(h, k, kids)
                    else:
                        pos = self.en.position[self.en.part_entry[h][q][j]]
                        if pos <= self.last_open[k]:
                            cutoffs.append((k, pos))
                            requested.setdefault(k, set()).add(pos)
                            continue
                        lit = self._class_full(k)  # nobody below can be admitted: "full above" = "full"
                    if lit is _TRUE:
                        satisfied = True
                        break
                    if lit is not _FALSE:
                        lits.append(lit)
                if not satisfied:
                    pending.append((lits, cutoffs, h, q))
        literals = self._build_cutoffs(requested)
        for lits, cutoffs, h, q in pending:
            lits.extend(literals[c] for c in cutoffs)
            if self.relaxed is None or h in self.relaxed:
                beta = self.model.new_bool_var("")
                self.betas.append((beta, h, q))
                lits.append(beta)
            if not lits:
                self.infeasible = True
                return
            self.model.add_bool_or(lits)

    def add_objective(self) -> None:
        m = self.m
        weight = m.n_households + 1
        terms, coefs = [], []
        for (h, o), var in self.x.items():
            n = len(m.outcomes[h])
            terms.append(var)
            coefs.append(weight * m.placed(h, None if o == n else o) + (1 if o == 0 else 0))
        if self.betas:
            penalty = weight * (len(m.child_ids) + 1)
            for beta, _, _ in self.betas:
                terms.append(beta)
                coefs.append(-penalty)
        self.model.maximize(cp_model.LinearExpr.weighted_sum(terms, coefs))

    def add_hint(self, outcome: list[int | None]) -> None:
        for h, o in enumerate(outcome):
            if self.fixed[h] is not None:
                continue
            n = len(self.m.outcomes[h])
            target = n if o is None else o
            if not self.p.alive[h][target]:
                continue
            for oo in range(n + 1):
                var = self.x.get((h, oo))
                if var is not None:
                    self.model.add_hint(var, oo == target)

    def read(self, solver: cp_model.CpSolver) -> list[int | None]:
        outcome: list[int | None] = []
        for h in range(self.m.n_households):
            n = len(self.m.outcomes[h])
            o = self.fixed[h]
            if o is None:
                o = next(
                    oo for oo in range(n + 1) if (h, oo) in self.x and solver.boolean_value(self.x[(h, oo)])
                )
            outcome.append(None if o == n else o)
        return outcome


def _solve(
    market: Market,
    pruned: Pruned,
    *,
    relaxed: frozenset[int] | None,
    hint: list[int | None],
    time_limit_s: float,
    seed: int,
    info: dict[str, Any],
    prefix: str,
) -> tuple[str, list[int | None] | None]:
    started = time.perf_counter()
    builder = _ModelBuilder(market, pruned, relaxed=relaxed)
    builder.add_capacity()
    if not builder.infeasible:
        builder.add_stability()
    info[f"{prefix}_fixed_households"] = sum(1 for f in builder.fixed if f is not None)
    if builder.infeasible:
        info[f"{prefix}_build_s"] = time.perf_counter() - started
        return "infeasible", None
    builder.add_objective()
    builder.add_hint(hint)
    proto = builder.model.proto
    info[f"{prefix}_variables"] = len(proto.variables)
    info[f"{prefix}_constraints"] = len(proto.constraints)
    info[f"{prefix}_build_s"] = time.perf_counter() - started
    started = time.perf_counter()
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = WORKERS
    params.interleave_search = True
    params.symmetry_level = 0
    params.random_seed = seed % (1 << 31)
    params.max_deterministic_time = time_limit_s
    params.max_time_in_seconds = time_limit_s
    status = solver.solve(builder.model)
    info[f"{prefix}_solve_s"] = time.perf_counter() - started
    info[f"{prefix}_deterministic_time"] = round(solver.deterministic_time, 6)
    info[f"{prefix}_status"] = solver.status_name(status)
    if status == cp_model.OPTIMAL:
        return "optimal", builder.read(solver)
    if status == cp_model.FEASIBLE:
        return "feasible", builder.read(solver)
    if status == cp_model.INFEASIBLE:
        return "infeasible", None
    return "unknown", None


# Above this many tuples the full model (every household may block) is too large to be worth trying.
FULL_MODEL_MAX_TUPLES = 10_000


def allocate_stable(market: Market, *, time_limit_s: float) -> StableOutcome:
    info: dict[str, Any] = {}
    deadline = time.perf_counter() + time_limit_s

    def remaining() -> float:
        return max(deadline - time.perf_counter(), 0.5)

    started = time.perf_counter()
    hint, da_blocking = deferred_acceptance(market)
    hint_quality = outcome_quality(market, hint, da_blocking)
    info["heuristic"] = "deferred_acceptance"
    if da_blocking:
        serial = allocate_serial(market)
        serial_quality = outcome_quality(market, serial, len(blocking_pairs(market, serial)))
        if serial_quality < hint_quality:
            hint, hint_quality = serial, serial_quality
            info["heuristic"] = "serial"
    info["heuristic_blocking_pairs"] = hint_quality[0]
    info["heuristic_s"] = time.perf_counter() - started

    started = time.perf_counter()
    entries = build_entries(market)
    pruned = prune_for_stability(market, entries)
    info["prune_s"] = time.perf_counter() - started
    info["prune_contradiction"] = pruned.contradiction
    seed = market.seed
    if not pruned.contradiction:
        status, outcome = _solve(
            market,
            pruned,
            relaxed=frozenset(),
            hint=hint,
            time_limit_s=remaining(),
            seed=seed,
            info=info,
            prefix="stable",
        )
        if outcome is not None:
            return StableOutcome(outcome, status, status == "optimal", True, info)
        if status == "unknown":
            return StableOutcome(hint, "fallback", False, True if hint_quality[0] == 0 else None, info)

    # No stable allocation exists. First a restricted search: only the households that block in the
    # heuristic's allocation may block; everyone else stays stable, so pruning still applies.
    best, best_quality, status, proven = hint, hint_quality, "fallback", False
    suspects = frozenset(h for h, _ in blocking_pairs(market, hint))
    if suspects:
        started = time.perf_counter()
        restricted = prune_for_stability(market, entries, relaxed=suspects)
        info["restricted_prune_s"] = time.perf_counter() - started
        if not restricted.contradiction:
            found, outcome = _solve(
                market,
                restricted,
                relaxed=suspects,
                hint=hint,
                time_limit_s=remaining(),
                seed=seed,
                info=info,
                prefix="restricted",
            )
            if outcome is not None:
                quality = outcome_quality(market, outcome, len(blocking_pairs(market, outcome)))
                if quality <= best_quality:
                    best, best_quality, status = outcome, quality, "feasible"
    # Then, for rounds small enough, the full model proves the minimum.
    if sum(len(o) for o in market.outcomes) <= FULL_MODEL_MAX_TUPLES and deadline - time.perf_counter() > 0.5:
        found, outcome = _solve(
            market,
            trivial(market, entries),
            relaxed=None,
            hint=best,
            time_limit_s=remaining(),
            seed=seed,
            info=info,
            prefix="min_blocking",
        )
        if outcome is not None:
            quality = outcome_quality(market, outcome, len(blocking_pairs(market, outcome)))
            if quality <= best_quality:
                best, best_quality = outcome, quality
                status, proven = ("optimal", True) if found == "optimal" else ("feasible", False)
    return StableOutcome(best, status, proven, False, info)
