"""Bad input: one error listing every problem, and nothing written."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from madoguchi.nursery.engine.cli import main
from madoguchi.nursery.engine.model import InputError, parse_problem

GOOD = {
    "format": "madoguchi-nursery/1",
    "round": {"id": "2027-04", "reference_date": "2027-04-01"},
    "facilities": [
        {"id": "F001", "name": "ひまわり保育園", "seats": [1, 2, 0, 0, 0, 0]},
        {"id": "F003", "name": "さくら保育園", "seats": [0, 1, 1, 0, 0, 0]},
    ],
    "households": [
        {
            "id": "H00001",
            "score": 105,
            "tie_keys": [2, -3120000],
            "children": [{"id": "C00001", "age_class": 1, "enrolled_facility": None, "bonus": {"F003": 3}}],
            "preferences": [["F001"], ["F003"]],
        },
        {
            "id": "H00002",
            "score": 100,
            "tie_keys": [0, -100],
            "children": [
                {"id": "C00002", "age_class": 2, "enrolled_facility": "F003"},
                {"id": "C00003", "age_class": 0},
            ],
            "preferences": [["F001", "F001"], [None, "F001"]],
        },
    ],
    "policy": {"objective": "stable", "seed": 1, "time_limit_s": 60},
}


def test_the_example_of_the_issue_parses() -> None:
    problem = parse_problem(GOOD)
    assert [h.id for h in problem.households] == ["H00001", "H00002"]
    assert problem.households[0].children[0].bonus == (("F003", 3),)


def test_every_problem_is_listed_at_once() -> None:
    doc = copy.deepcopy(GOOD)
    doc["facilities"][1]["seats"][2] = -1  # negative seats
    doc["households"][0]["preferences"].append(["F999"])  # unknown facility
    doc["households"][0]["children"][0]["age_class"] = 6  # age class out of range
    doc["households"][1]["children"][1]["id"] = "C00001"  # duplicated child
    doc["households"][1]["preferences"].append(["F001"])  # tuple length differs from the children
    doc["households"][1]["children"][0]["enrolled_facility"] = "F404"  # unknown enrolled facility
    with pytest.raises(InputError) as caught:
        parse_problem(doc)
    text = str(caught.value)
    for expected in ("負の値", "F999", "年齢クラス 6", "C00001 が重複", "長さ（1）が児童数（2）", "F404"):
        assert expected in text, expected
    assert len(caught.value.issues) == 6


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        (("households", 0, "score"), "105", "整数ではありません"),
        (("households", 0, "tie_keys"), [1], "同じ個数"),
        (("households", 0, "preferences"), [[None]], "どの児童も入所しない"),
        (("households", 0, "preferences"), [["F001"], ["F001"]], "同じ組み合わせ"),
        (("round", "reference_date"), "2027/04/01", "YYYY-MM-DD"),
        (("policy", "objective"), "fastest", "目的関数"),
        (("format",), "other/1", "format"),
    ],
)
def test_single_problems_are_explained(path: tuple, value: object, fragment: str) -> None:
    doc = copy.deepcopy(GOOD)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(InputError) as caught:
        parse_problem(doc)
    assert fragment in str(caught.value)


def test_bad_input_writes_no_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = copy.deepcopy(GOOD)
    doc["facilities"][0]["seats"] = [1, 2, 3]
    source = tmp_path / "in.json"
    source.write_text(json.dumps(doc), encoding="utf-8")
    output = tmp_path / "out.json"
    assert main(["allocate", str(source), "-o", str(output)]) == 2
    assert not output.exists()
    err = capsys.readouterr().err
    assert "seats" in err and "何も書き込んでいません" in err


def test_malformed_json_says_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.json"
    source.write_text('{"format": "madoguchi-nursery/1",\n "round": }', encoding="utf-8")
    assert main(["allocate", str(source), "-o", str(tmp_path / "out.json")]) == 2
    assert "in.json:2:" in capsys.readouterr().err
