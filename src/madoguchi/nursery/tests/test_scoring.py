"""Scoring tables as data: the demo town's table, and clear errors for a broken one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from madoguchi.nursery.engine.cli import main
from madoguchi.nursery.engine.model import InputError
from madoguchi.nursery.engine.scoring import load_scoring_table, parse_scoring_table, score_household

DEMO = Path(__file__).resolve().parents[1] / "scoring" / "demo-town.yaml"


@pytest.fixture(scope="module")
def table():
    return load_scoring_table(DEMO)


def test_the_demo_table_records_its_source_and_version(table) -> None:
    assert table.id == "demo-town" and table.version == "2027.1" and table.valid_from == "2026-10-01"
    assert "利用調整基準表" in table.source


def test_two_full_time_parents_with_a_sibling_enrolled(table) -> None:
    scored = score_household(
        table,
        {
            "guardians": [{"reason": "就労", "monthly_hours": 168}, {"reason": "就労", "monthly_hours": 130}],
            "sibling_enrolled": True,
            "sibling_facility": "F003",
            "income_tax": 120_000,
            "months_waiting": 4,
        },
    )
    assert scored.score == 50 + 40 + 5
    assert scored.tie_keys == (0, 0, 1, -120_000, 4)
    assert scored.facility_bonus == (("F003", 5),)
    assert ("母: 就労（月120時間以上）", 40) in scored.breakdown


def test_single_parent_looking_for_work(table) -> None:
    scored = score_household(table, {"guardians": [None, {"reason": "求職"}], "single_parent": "有"})
    assert scored.score == 50 + 20 + 20  # absent guardian, 求職, ひとり親
    assert scored.tie_keys[0] == 1


def test_grandparents_who_can_care_lower_the_score(table) -> None:
    base = {"guardians": [{"reason": "就労", "monthly_hours": 100}, {"reason": "疾病", "severity": 1}]}
    assert score_household(table, base).score == 35 + 50
    assert score_household(table, {**base, "grandparent_can_care": True}).score == 35 + 50 - 10


def test_unknown_values_are_reported(table) -> None:
    with pytest.raises(InputError) as caught:
        score_household(table, {"guardians": [{"reason": "旅行"}], "income_tax": "たくさん"})
    text = str(caught.value)
    assert "旅行" in text and "income_tax" in text


def test_a_broken_table_lists_every_problem() -> None:
    with pytest.raises(InputError) as caught:
        parse_scoring_table(
            {
                "format": "madoguchi-nursery-scoring/1",
                "id": "x",
                "name": "x",
                "version": "1",
                "valid_from": "2026-04-01",
                "guardians": {
                    "labels": ["父"],
                    "facts": {"reason": {"type": "str"}},
                    "rules": [
                        {"when": {"hours": 1}, "points": 5},
                        {"when": {"reason": {"about": 1}}, "points": 1},
                    ],
                },
                "tie_breaks": [{"fact": "income", "order": "ascending"}],
            }
        )
    text = str(caught.value)
    assert "source" in text and "'hours'" in text and "gte" in text and "tie_breaks" in text


def test_score_command_fills_the_input(tmp_path: Path) -> None:
    doc = {
        "format": "madoguchi-nursery/1",
        "round": {"id": "2027-04", "reference_date": "2027-04-01"},
        "facilities": [{"id": "F003", "name": "さくら", "seats": [1, 1, 1, 1, 1, 1]}],
        "households": [
            {
                "id": "H1",
                "facts": {
                    "guardians": [{"reason": "就労", "monthly_hours": 160}],
                    "sibling_facility": "F003",
                },
                "children": [{"id": "C1", "age_class": 1}],
                "preferences": [["F003"]],
            }
        ],
    }
    source = tmp_path / "apps.json"
    source.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "input.json"
    assert main(["score", str(source), "--table", str(DEMO), "-o", str(out)]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    household = written["households"][0]
    assert household["score"] == 50 + 50  # the second guardian is absent
    assert household["children"][0]["bonus"] == {"F003": 5}
    assert written["scoring"]["version"] == "2027.1"
