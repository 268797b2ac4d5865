"""Import the sheets a municipality keeps (Excel workbook or CSV files) into the allocation input.

施設 (facilities): 施設ID, 施設名, 0歳 … 5歳 (vacancies; any header starting with "N歳" is accepted)
申込 (one row per child): 世帯ID, 児童ID, 年齢クラス, 在籍施設ID, 指数, 同点キー1…, 加点 ("F003:3; F004:1"),
    希望1 … 希望N, きょうだい条件 (1–7, see siblings.py), or the fact columns of a scoring table
組み合わせ (optional, sibling households): 世帯ID, 順位, 児童ID1, 施設ID1, 児童ID2, 施設ID2, …
Every problem is reported with its sheet and line; nothing is returned unless the whole file is usable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from madoguchi.nursery.engine.model import AGE_CLASSES, FORMAT, InputError, Issue
from madoguchi.nursery.engine.scoring import ScoringTable, score_household
from madoguchi.nursery.engine.siblings import PATTERNS, sibling_tuples
from madoguchi.nursery.engine.tables import Row, Table, read_csv, read_workbook

FACILITY_SHEET = "施設"
APPLICATION_SHEET = "申込"
COMBINATION_SHEET = "組み合わせ"
_SEATS = re.compile(r"^([0-5])歳")
_CHOICE = re.compile(r"^希望(\d+)$")
_TIE = re.compile(r"^同点キー(\d+)$")
_COMBO_CHILD = re.compile(r"^児童ID(\d+)$")
_COMBO_FACILITY = re.compile(r"^施設ID(\d+)$")


def read_sheets(
    *,
    workbook: str | Path | None = None,
    facilities: str | Path | None = None,
    applications: str | Path | None = None,
    combinations: str | Path | None = None,
) -> tuple[Table, Table, Table | None]:
    """The three tables, from one workbook (sheets 施設, 申込, 組み合わせ) or from CSV files."""
    if workbook is not None:
        sheets = read_workbook(workbook)
        missing = [name for name in (FACILITY_SHEET, APPLICATION_SHEET) if name not in sheets]
        if missing:
            raise InputError(
                [
                    Issue(
                        str(workbook),
                        f"シート {', '.join(missing)} がありません",
                        f"missing sheet(s): {', '.join(missing)}",
                    )
                ]
            )
        return sheets[FACILITY_SHEET], sheets[APPLICATION_SHEET], sheets.get(COMBINATION_SHEET)
    if facilities is None or applications is None:
        raise InputError(
            [
                Issue(
                    "import",
                    "施設と申込の CSV を指定してください",
                    "give the facility and application CSV files",
                )
            ]
        )
    return read_csv(facilities), read_csv(applications), (read_csv(combinations) if combinations else None)


def _int(text: str) -> int | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def import_sheets(
    facilities: Table,
    applications: Table,
    combinations: Table | None,
    *,
    round_id: str,
    reference_date: str,
    table: ScoringTable | None = None,
) -> dict[str, Any]:
    """The input document (madoguchi-nursery/1) for the sheets; `InputError` lists every problem."""
    issues: list[Issue] = []

    def bad(t: Table, row: Row | None, ja: str, en: str) -> None:
        where = t.name if row is None else f"{t.name} {row.line}行目"
        issues.append(Issue(where, ja, en))

    facility_docs = []
    seat_columns = {int(m.group(1)): h for h in facilities.headers if (m := _SEATS.match(h))}
    if set(seat_columns) != set(range(AGE_CLASSES)) or "施設ID" not in facilities.headers:
        bad(
            facilities,
            None,
            "施設シートには 施設ID と 0歳〜5歳 の列が必要です",
            "the facility sheet needs 施設ID and 0歳 … 5歳",
        )
    else:
        for row in facilities.rows:
            seats = []
            for g in range(AGE_CLASSES):
                value = _int(row.get(seat_columns[g]) or "0")
                if value is None:
                    bad(
                        facilities,
                        row,
                        f"{seat_columns[g]} が整数ではありません",
                        f"{seat_columns[g]} is not an integer",
                    )
                    value = 0
                seats.append(value)
            facility_docs.append({"id": row.get("施設ID"), "name": row.get("施設名"), "seats": seats})

    choice_columns = sorted((int(m.group(1)), h) for h in applications.headers if (m := _CHOICE.match(h)))
    tie_columns = sorted((int(m.group(1)), h) for h in applications.headers if (m := _TIE.match(h)))
    required = ["世帯ID", "児童ID", "年齢クラス"] + ([] if table else ["指数"])
    missing = [c for c in required if c not in applications.headers]
    if missing or not choice_columns:
        bad(
            applications,
            None,
            f"申込シートに必要な列がありません: {', '.join(missing or ['希望1'])}",
            f"the application sheet lacks column(s): {', '.join(missing or ['希望1'])}",
        )
        raise InputError(issues)

    groups: dict[str, list[Row]] = {}
    for row in applications.rows:
        groups.setdefault(row.get("世帯ID"), []).append(row)
    combos = _read_combinations(combinations, bad) if combinations is not None else {}
    households = []
    fact_columns = table.sheet_columns() if table else {}
    for hid, rows in groups.items():
        if not hid:
            for row in rows:
                bad(applications, row, "世帯ID が空です", "household id is empty")
            continue
        rows = sorted(rows, key=lambda r: (-(_int(r.get("年齢クラス")) or 0), r.line))
        first = rows[0]
        children = []
        prefs: list[list[str]] = []
        current: list[str | None] = []
        for row in rows:
            age = _int(row.get("年齢クラス"))
            if age is None:
                bad(applications, row, "年齢クラスが整数ではありません", "age class is not an integer")
                age = -1
            bonus: dict[str, int] = {}
            for part in filter(None, (p.strip() for p in re.split(r"[;；、,]", row.get("加点")))):
                fid, _, points = part.partition(":")
                value = _int(points)
                if not fid or value is None:
                    bad(
                        applications,
                        row,
                        f"加点 {part!r} は「施設ID:点数」の形にしてください",
                        f"bonus {part!r} must be facility:points",
                    )
                else:
                    bonus[fid.strip()] = value
            enrolled = row.get("在籍施設ID") or None
            children.append(
                {"id": row.get("児童ID"), "age_class": age, "enrolled_facility": enrolled, "bonus": bonus}
            )
            prefs.append([row.get(h) for _, h in choice_columns if row.get(h)])
            current.append(enrolled)
        if table is not None:
            scored = _score_from_facts(table, fact_columns, first, applications, bad)
            if scored is None:
                continue
            score, tie_keys, extra_bonus = scored
            for child in children:
                for fid, points in extra_bonus:
                    child["bonus"][fid] = child["bonus"].get(fid, 0) + points
        else:
            score = _int(first.get("指数"))
            if score is None:
                bad(applications, first, "指数が整数ではありません", "score is not an integer")
                continue
            tie_keys = []
            for _, column in tie_columns:
                value = _int(first.get(column) or "0")
                if value is None:
                    bad(applications, first, f"{column} が整数ではありません", f"{column} is not an integer")
                    value = 0
                tie_keys.append(value)
            for row in rows[1:]:
                if row.get("指数") and row.get("指数") != first.get("指数"):
                    bad(applications, row, "同じ世帯で指数が異なります", "score differs within the household")
        if len(rows) == 1:
            preferences: list[list[str | None]] = [[d] for d in prefs[0]]
        elif hid in combos:
            ids = [child["id"] for child in children]
            preferences = []
            for line, placement in combos[hid]:
                unknown = sorted(set(placement) - set(ids))
                if unknown:
                    bad(
                        combinations,
                        Row(line, {}),
                        f"児童ID {', '.join(unknown)} はこの世帯にいません",
                        "child not in household",
                    )  # type: ignore[arg-type]
                    continue
                preferences.append([placement.get(cid) for cid in ids])
        else:
            pattern = _int(first.get("きょうだい条件"))
            if pattern not in PATTERNS:
                bad(
                    applications,
                    first,
                    "きょうだいの申込には きょうだい条件（1〜7）か 組み合わせシートの行が必要です",
                    "a sibling household needs きょうだい条件 (1-7) or rows in the combination sheet",
                )
                continue
            preferences = [list(t) for t in sibling_tuples(prefs, current, pattern)]
        households.append(
            {
                "id": hid,
                "score": score,
                "tie_keys": list(tie_keys),
                "children": children,
                "preferences": preferences,
            }
        )
    if issues:
        raise InputError(issues)
    return {
        "format": FORMAT,
        "round": {"id": round_id, "reference_date": reference_date},
        "facilities": facility_docs,
        "households": households,
        "policy": {"objective": "stable", "seed": 1, "time_limit_s": 60},
    }


def _read_combinations(t: Table, bad: Any) -> dict[str, list[tuple[int, dict[str, str | None]]]]:
    children = {int(m.group(1)): h for h in t.headers if (m := _COMBO_CHILD.match(h))}
    places = {int(m.group(1)): h for h in t.headers if (m := _COMBO_FACILITY.match(h))}
    if "世帯ID" not in t.headers or "順位" not in t.headers or not children or set(children) != set(places):
        bad(
            t,
            None,
            "組み合わせシートには 世帯ID, 順位, 児童IDn, 施設IDn の列が必要です",
            "combination sheet columns are wrong",
        )
        return {}
    result: dict[str, list[tuple[int, int, dict[str, str | None]]]] = {}
    for row in t.rows:
        rank = _int(row.get("順位"))
        if rank is None:
            bad(t, row, "順位が整数ではありません", "rank is not an integer")
            continue
        placement = {
            row.get(children[n]): (row.get(places[n]) or None)
            for n in sorted(children)
            if row.get(children[n])
        }
        result.setdefault(row.get("世帯ID"), []).append((rank, row.line, placement))
    return {
        hid: [(line, p) for _, line, p in sorted(items, key=lambda x: (x[0], x[1]))]
        for hid, items in result.items()
    }


def _score_from_facts(
    table: ScoringTable, columns: dict[str, tuple[str, int | None]], row: Row, t: Table, bad: Any
) -> tuple[int, list[int], tuple[tuple[str, int], ...]] | None:
    guardians: list[dict[str, str] | None] = [None] * len(table.guardian_labels)
    facts: dict[str, Any] = {}
    for column, (name, guardian) in columns.items():
        value = row.get(column)
        if guardian is None:
            facts[name] = value
        elif value:
            guardians[guardian] = {**(guardians[guardian] or {}), name: value}
    while guardians and guardians[-1] is None:
        guardians.pop()
    facts["guardians"] = guardians
    try:
        scored = score_household(table, facts, where=f"{t.name} {row.line}行目")
    except InputError as exc:
        for issue in exc.issues:
            bad(t, row, issue.ja, issue.en)
        return None
    return scored.score, list(scored.tie_keys), scored.facility_bonus
