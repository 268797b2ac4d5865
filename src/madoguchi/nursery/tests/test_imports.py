"""Importing municipality sheets (Excel, CSV in Shift_JIS) and ChilmAI's format, and sibling tuples."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import Workbook

from madoguchi.nursery.engine.allocate import allocate_seats
from madoguchi.nursery.engine.chilmai_format import export_chilmai, import_chilmai
from madoguchi.nursery.engine.cli import main
from madoguchi.nursery.engine.market import compile_market
from madoguchi.nursery.engine.model import parse_problem
from madoguchi.nursery.engine.siblings import sibling_tuples
from madoguchi.nursery.engine.tables import read_csv
from madoguchi.nursery.tests.reference import random_round

DEMO = Path(__file__).resolve().parents[1] / "scoring" / "demo-town.yaml"


def _workbook(path: Path, *, with_facts: bool = False) -> None:
    book = Workbook()
    facilities = book.active
    facilities.title = "施設"
    facilities.append(["施設ID", "施設名", "0歳児", "1歳児", "2歳児", "3歳児", "4歳児", "5歳児"])
    facilities.append(["F001", "ひまわり", 1, 2, 0, 0, 0, 0])
    facilities.append(["F002", "さくら", 0, 1, 1, 0, 0, 0])
    apps = book.create_sheet("申込")
    if with_facts:
        apps.append(
            [
                "世帯ID",
                "児童ID",
                "年齢クラス",
                "在籍施設ID",
                "父_事由",
                "父_月就労時間",
                "母_事由",
                "母_月就労時間",
                "ひとり親",
                "市町村民税所得割額",
                "希望1",
                "希望2",
                "きょうだい条件",
            ]
        )
        apps.append(["H1", "C1", 1, None, "就労", 160, "求職", None, None, 50000, "F001", "F002", None])
        apps.append(["H2", "C2", 1, None, None, None, "就労", 160, "有", 0, "F002", "F001", None])
        apps.append(["H3", "C3", 2, None, "就労", 120, "就労", 160, None, 0, "F002", None, 4])
        apps.append(["H3", "C4", 0, None, None, None, None, None, None, None, "F001", "F002", None])
    else:
        apps.append(
            ["世帯ID", "児童ID", "年齢クラス", "在籍施設ID", "指数", "同点キー1", "加点", "希望1", "希望2"]
        )
        apps.append(["H1", "C1", 1, None, 100, 0, "F002:3", "F001", "F002"])
        apps.append(["H2", "C2", 1, None, 100, 1, None, "F001", None])
        apps.append(["H3", "C3", 2, None, 90, 0, None, "F002", None])
        apps.append(["H3", "C4", 0, None, 90, 0, None, "F001", None])
        combos = book.create_sheet("組み合わせ")
        combos.append(["世帯ID", "順位", "児童ID1", "施設ID1", "児童ID2", "施設ID2"])
        combos.append(["H3", 1, "C3", "F002", "C4", "F001"])
        combos.append(["H3", 2, "C3", "F002", "C4", None])
    book.save(path)


def test_workbook_import_then_allocate(tmp_path: Path) -> None:
    book = tmp_path / "round.xlsx"
    _workbook(book)
    out = tmp_path / "input.json"
    args = [
        "import",
        "sheet",
        "--workbook",
        str(book),
        "--round-id",
        "2027-04",
        "--reference-date",
        "2027-04-01",
    ]
    assert main([*args, "-o", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    h3 = next(h for h in doc["households"] if h["id"] == "H3")
    assert [c["id"] for c in h3["children"]] == ["C3", "C4"]  # eldest first
    assert h3["preferences"] == [["F002", "F001"], ["F002", None]]
    assert doc["households"][0]["children"][0]["bonus"] == {"F002": 3}
    result = allocate_seats(parse_problem(doc))
    assert result["status"] == "optimal"


def test_workbook_with_facts_uses_the_scoring_table(tmp_path: Path) -> None:
    book = tmp_path / "round.xlsx"
    _workbook(book, with_facts=True)
    out = tmp_path / "input.json"
    args = ["import", "sheet", "--workbook", str(book), "--scoring", str(DEMO)]
    assert main([*args, "--round-id", "r", "--reference-date", "2027-04-01", "-o", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    scores = {h["id"]: (h["score"], h["tie_keys"][0]) for h in doc["households"]}
    assert scores == {"H1": (70, 0), "H2": (120, 1), "H3": (90, 0)}
    h3 = next(h for h in doc["households"] if h["id"] == "H3")
    assert h3["preferences"][0] == ["F002", "F002"]  # 別保同時（同）: the same facility first


def test_bad_sheet_lines_are_named(tmp_path: Path, capsys) -> None:
    (tmp_path / "f.csv").write_bytes(
        "施設ID,施設名,0歳,1歳,2歳,3歳,4歳,5歳\nF001,あ,1,x,0,0,0,0\n".encode("cp932")
    )
    (tmp_path / "a.csv").write_bytes(
        "世帯ID,児童ID,年齢クラス,指数,希望1\nH1,C1,一,100,F001\n".encode("cp932")
    )
    out = tmp_path / "in.json"
    code = main(
        [
            "import",
            "sheet",
            "--facilities",
            str(tmp_path / "f.csv"),
            "--applications",
            str(tmp_path / "a.csv"),
            "--round-id",
            "r",
            "--reference-date",
            "2027-04-01",
            "-o",
            str(out),
        ]
    )
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert "f.csv 2行目" in err and "1歳" in err


def test_chilmai_round_trip_keeps_every_priority(tmp_path: Path) -> None:
    problem = parse_problem(random_round(5, households=40))
    files = export_chilmai(problem)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    doc = import_chilmai(
        read_csv(tmp_path / "children.csv"),
        read_csv(tmp_path / "daycares.csv"),
        read_csv(tmp_path / "combination.csv") if "combination.csv" in files else None,
        round_id="r",
        reference_date="2027-04-01",
    )
    back = parse_problem(doc)
    original, imported = compile_market(problem), compile_market(back)
    # the same children compete at the same facilities in the same order
    for d in range(len(original.facility_ids)):

        def order(market, d=d):
            pairs = [
                (market.rank[c][d], market.child_ids[c])
                for c in range(len(market.child_ids))
                if d in market.rank[c] and market.child_enrolled[c] != d
            ]
            return [cid for _, cid in sorted(pairs)]

        assert order(original) == order(imported)


def test_sibling_patterns() -> None:
    prefs = [["A", "B"], ["B", "A"]]
    same = sibling_tuples(prefs, [None, None], 1)
    assert same == [("A", "A"), ("B", "B")]
    at_least_one = sibling_tuples(prefs, [None, None], 5)
    assert at_least_one[0] in {("A", "A"), ("B", "B")} and ("A", None) in at_least_one
    # a transfer applicant's own facility is written as null (stay), and staying alone is no tuple
    with_transfer = sibling_tuples([["B"], ["B"]], ["A", None], 7)
    assert with_transfer[0] == ("B", "B") and (None, "B") in with_transfer
    assert all(t != (None, None) for t in with_transfer)
