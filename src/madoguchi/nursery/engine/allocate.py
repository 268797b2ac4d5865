"""Allocate one round and build the result document (format madoguchi-nursery-result/1)."""

from __future__ import annotations

import time
from typing import Any

from ortools import __version__ as ortools_version

from madoguchi.nursery.engine import ENGINE_VERSION
from madoguchi.nursery.engine.explain import explanations
from madoguchi.nursery.engine.gcpause import paused_gc
from madoguchi.nursery.engine.market import NONE, assignment_of, blocking_pairs, compile_market
from madoguchi.nursery.engine.model import Problem
from madoguchi.nursery.engine.serial import allocate_serial
from madoguchi.nursery.engine.stable import allocate_stable
from madoguchi.nursery.engine.verify import RESULT_FORMAT, input_sha256

# Solver facts that are the same on every run (wall-clock times are kept out unless asked for).
_DETERMINISTIC_INFO = (
    "heuristic",
    "heuristic_blocking_pairs",
    "prune_contradiction",
    "stable_fixed_households",
    "stable_variables",
    "stable_constraints",
    "stable_status",
    "stable_deterministic_time",
    "restricted_fixed_households",
    "restricted_variables",
    "restricted_constraints",
    "restricted_status",
    "restricted_deterministic_time",
    "min_blocking_fixed_households",
    "min_blocking_variables",
    "min_blocking_constraints",
    "min_blocking_status",
    "min_blocking_deterministic_time",
)


def allocate_seats(problem: Problem, *, timings: bool = False) -> dict[str, Any]:
    """Run the round's objective and return the result document; same input and seed, same bytes."""
    with paused_gc():
        return _allocate(problem, timings=timings)


def _allocate(problem: Problem, *, timings: bool) -> dict[str, Any]:
    times: dict[str, float] = {}
    started = time.perf_counter()
    market = compile_market(problem)
    times["compile_s"] = time.perf_counter() - started
    solver_info: dict[str, Any] = {}
    objective = problem.policy.objective
    if objective == "municipal_sd":
        t = time.perf_counter()
        outcome = allocate_serial(market)
        times["solve_s"] = time.perf_counter() - t
        status, proven, stable_exists = "optimal", True, None
    else:
        stable = allocate_stable(market, time_limit_s=problem.policy.time_limit_s)
        outcome, status, proven, stable_exists = (
            stable.outcome,
            stable.status,
            stable.proven,
            stable.stable_exists,
        )
        solver_info = stable.info
        for key in ("heuristic_s", "prune_s"):
            times[key] = solver_info[key]
        times["model_s"] = sum(v for k, v in solver_info.items() if k.endswith("_build_s"))
        times["solve_s"] = sum(v for k, v in solver_info.items() if k.endswith("_solve_s"))

    t = time.perf_counter()
    household_outcome = {market.household_ids[h]: o for h, o in enumerate(outcome)}
    pairs = [(market.household_ids[h], p) for h, p in blocking_pairs(market, outcome)]
    times["blocking_pairs_s"] = time.perf_counter() - t
    t = time.perf_counter()
    explained, cutoffs = explanations(market, outcome)
    times["explain_s"] = time.perf_counter() - t

    assigned = assignment_of(market, outcome)
    placed = sum(1 for d in assigned if d != NONE)
    meta: dict[str, Any] = {
        "engine": "madoguchi-nursery",
        "engine_version": ENGINE_VERSION,
        "ortools_version": ortools_version,
        "input_sha256": input_sha256(problem),
        "round": problem.round.id,
        "objective": objective,
        "seed": problem.policy.seed,
        "time_limit_s": problem.policy.time_limit_s,
        "summary": {
            "households": market.n_households,
            "children": len(market.child_ids),
            "placed": placed,
            "first_choices": sum(1 for o in outcome if o == 0),
            "blocking_pairs": len(pairs),
            "stable_allocation_exists": stable_exists,
        },
        "solver": {key: solver_info[key] for key in _DETERMINISTIC_INFO if key in solver_info},
    }
    times["total_s"] = time.perf_counter() - started
    if timings:
        meta["times"] = {key: round(value, 4) for key, value in times.items()}
    else:
        meta["times"] = {key: solver_info[key] for key in solver_info if key.endswith("_deterministic_time")}
    return {
        "format": RESULT_FORMAT,
        "assignments": {
            market.child_ids[c]: (None if d == NONE else market.facility_ids[d])
            for c, d in enumerate(assigned)
        },
        "households": household_outcome,
        "blocking_pairs": [{"household": hid, "tuple_index": p} for hid, p in pairs],
        "status": status,
        "proven": proven,
        "cutoffs": cutoffs,
        "explanations": explained,
        "meta": meta,
    }
