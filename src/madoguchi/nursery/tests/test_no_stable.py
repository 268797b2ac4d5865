"""Rounds where no stable allocation exists (found by brute force), and the solver's fallback path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from madoguchi.nursery.engine import stable
from madoguchi.nursery.engine.allocate import allocate_seats
from madoguchi.nursery.engine.model import parse_problem
from madoguchi.nursery.engine.verify import verify_result
from madoguchi.nursery.tests import reference
from madoguchi.nursery.tests.reference import random_round

ROUNDS = json.loads((Path(__file__).with_name("no_stable_rounds.json")).read_text(encoding="utf-8"))


@pytest.mark.parametrize("doc", ROUNDS, ids=[d["round"]["id"] for d in ROUNDS])
def test_fewest_blocking_pairs_when_no_stable_allocation_exists(doc: dict[str, Any]) -> None:
    problem = parse_problem(doc)
    result = allocate_seats(problem)
    outcomes = [result["households"][h.id] for h in problem.households]
    best = reference.best_by_brute_force(problem)
    assert best[0] > 0
    assert reference.quality(problem, outcomes) == best
    assert result["meta"]["summary"]["stable_allocation_exists"] is False
    assert result["status"] == "optimal" and result["proven"] is True
    assert len(result["blocking_pairs"]) == best[0]
    assert verify_result(problem, result, allow_blocking_pairs=True).violations == []
    assert verify_result(problem, result).violations  # listed for staff, still a violation of stability


def test_solver_finding_nothing_falls_back_to_the_heuristic(monkeypatch: pytest.MonkeyPatch) -> None:
    def nothing(*args: Any, **kwargs: Any) -> tuple[str, None]:
        return "unknown", None

    monkeypatch.setattr(stable, "_solve", nothing)
    problem = parse_problem(random_round(8))
    result = allocate_seats(problem)
    assert result["status"] == "fallback" and result["proven"] is False
    assert verify_result(problem, result, allow_blocking_pairs=True).violations == []
