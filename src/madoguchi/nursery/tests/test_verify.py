"""The verifier catches every kind of violation, and the command exits 1 on any of them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from madoguchi.nursery.engine.allocate import allocate_seats
from madoguchi.nursery.engine.cli import main
from madoguchi.nursery.engine.model import parse_problem
from madoguchi.nursery.engine.verify import verify_result
from madoguchi.nursery.tests.reference import random_round

ROUND = random_round(11)


@pytest.fixture(scope="module")
def stable_result() -> dict[str, Any]:
    return allocate_seats(parse_problem(ROUND))


def _violations(result: dict[str, Any], **kwargs: Any) -> list[str]:
    return [str(v) for v in verify_result(parse_problem(ROUND), result, **kwargs).violations]


def test_a_fresh_result_passes(stable_result: dict[str, Any]) -> None:
    assert _violations(stable_result) == []


def test_a_moved_child_is_caught(stable_result: dict[str, Any]) -> None:
    result = copy.deepcopy(stable_result)
    child = next(cid for cid, fid in result["assignments"].items() if fid is None)
    result["assignments"][child] = "F00"
    assert any("一致しません" in v for v in _violations(result))


def test_over_capacity_is_caught(stable_result: dict[str, Any]) -> None:
    problem = parse_problem(ROUND)
    result = copy.deepcopy(stable_result)
    # give every household its first tuple: some class overflows
    for household in problem.households:
        result["households"][household.id] = 0 if household.preferences else None
        for j, child in enumerate(household.children):
            fid = household.preferences[0][j] if household.preferences else None
            result["assignments"][child.id] = fid or child.enrolled_facility
    assert any("超える" in v for v in _violations(result))


def test_a_transfer_child_losing_its_seat_is_caught(stable_result: dict[str, Any]) -> None:
    problem = parse_problem(ROUND)
    result = copy.deepcopy(stable_result)
    household, child = next((h, c) for h, c in problem.iter_children() if c.enrolled_facility)
    result["assignments"][child.id] = None
    assert any("転園申込" in v for v in _violations(result))
    del household


def test_unlisted_and_phantom_blocking_pairs_are_caught(stable_result: dict[str, Any]) -> None:
    result = copy.deepcopy(stable_result)
    result["blocking_pairs"].append({"household": "H0000", "tuple_index": 0})
    assert any("ブロッキングペアではありません" in v for v in _violations(result))
    sd = allocate_seats(parse_problem(ROUND).with_policy(objective="municipal_sd"))
    assert sd["blocking_pairs"], "this round has justified envy under serial dictatorship"
    assert _violations(sd, allow_blocking_pairs=True) == []
    assert any("ブロッキングペア" in v for v in _violations(sd))
    sd["blocking_pairs"] = []
    assert any("記載されていません" in v for v in _violations(sd, allow_blocking_pairs=True))


def test_explanations_must_agree(stable_result: dict[str, Any]) -> None:
    result = copy.deepcopy(stable_result)
    child, entries = next((c, e) for c, e in result["explanations"].items() if e)
    entries[0]["reason"] = "blocking" if entries[0]["reason"] != "blocking" else "full"
    assert any(f"explanations.{child}" in v for v in _violations(result))
    result = copy.deepcopy(stable_result)
    child, entries = next((c, e) for c, e in result["explanations"].items() if e)
    entries.pop()
    assert any(f"explanations.{child}" in v for v in _violations(result))


def test_explanations_name_the_sibling_reason() -> None:
    doc = {
        "format": "madoguchi-nursery/1",
        "round": {"id": "t", "reference_date": "2027-04-01"},
        "facilities": [{"id": "A", "name": "あおば園", "seats": [0, 1, 0, 0, 0, 0]}],
        "households": [
            {
                "id": "H1",
                "score": 100,
                "tie_keys": [],
                "children": [{"id": "C1", "age_class": 1}, {"id": "C2", "age_class": 1}],
                "preferences": [["A", "A"]],
            },
        ],
    }
    result = allocate_seats(parse_problem(doc))
    entry = result["explanations"]["C1"][0]
    assert entry["reason"] == "full" and entry["needed"] == 2
    assert "2 人分の枠が必要でしたが、残りは 1 人分" in entry["message"]


def test_another_inputs_result_is_caught(stable_result: dict[str, Any]) -> None:
    other = copy.deepcopy(ROUND)
    other["facilities"][0]["seats"][0] += 1
    assert any("別の入力" in str(v) for v in verify_result(parse_problem(other), stable_result).violations)


def test_verify_command_exit_codes(tmp_path: Path, stable_result: dict[str, Any]) -> None:
    source = tmp_path / "in.json"
    source.write_text(json.dumps(ROUND), encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(stable_result), encoding="utf-8")
    assert main(["verify", str(source), str(good)]) == 0
    broken = copy.deepcopy(stable_result)
    broken["assignments"][next(iter(broken["assignments"]))] = "F05"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken), encoding="utf-8")
    assert main(["verify", str(source), str(bad)]) == 1
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{", encoding="utf-8")
    assert main(["verify", str(source), str(garbage)]) == 1
