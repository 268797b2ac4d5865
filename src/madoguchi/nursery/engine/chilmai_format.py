"""ChilmAI's input format, both ways, so that both engines can run on the same data.

ChilmAI (CyberAgent, Apache-2.0, PyPI `chilmai`) reads an applicant file (申請者番号, 世帯番号, 年齢, 点数N,
希望保育園ID_N, 在籍保育所ID, きょうだいパターン), a facility file (保育所ID, 保育所名, N歳募集人数) and optionally
a combination file (ファミリーコード, 総当たり順位, 宛名コードN, 希望施設N); its internal column names
(child_id, household_id, age, score_N, pref_N, enrolled_daycare_id, sibling_pattern, daycare_id,
daycare_name, capacity_ageN, rank, child_code_N, facility_N) are accepted too.

Import: the household score is the eldest child's 点数1; a different 点数N for the N-th choice becomes a
facility bonus of the difference. ChilmAI breaks ties by the order of the rows; so does the import, with
tie_keys = [-row of the household's first row]. Export: priorities become ChilmAI scores (dense ranks of
the full priority, so no ties are left to ChilmAI's row order), sibling households get combination rows.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from madoguchi.nursery.engine.market import NONE, compile_market
from madoguchi.nursery.engine.model import AGE_CLASSES, FORMAT, InputError, Issue, Problem
from madoguchi.nursery.engine.siblings import PATTERNS, sibling_tuples
from madoguchi.nursery.engine.tables import Row, Table

_CHILD = {
    "申請者番号": "child_id",
    "世帯番号": "household_id",
    "年齢": "age",
    "在籍保育所ID": "enrolled_daycare_id",
    "きょうだいパターン": "sibling_pattern",
}
_DAYCARE = {"保育所ID": "daycare_id", "保育所名": "daycare_name"}
_COMBO = {"ファミリーコード": "household_id", "総当たり順位": "rank"}
_SCORE = re.compile(r"^(?:点数|score_?)(\d+)$")
_PREF = re.compile(r"^(?:希望保育園ID_|pref_)(\d+)$")
_CAPACITY = re.compile(r"^(?:(\d)歳募集人数|capacity_age(\d))$")
_COMBO_CHILD = re.compile(r"^(?:宛名コード|child_code_)(\d+)$")
_COMBO_FACILITY = re.compile(r"^(?:希望施設|facility_)(\d+)$")


def _column(row: Row, names: dict[str, str], internal: str) -> str:
    for japanese, name in names.items():
        if name == internal and japanese in row.values:
            return row.values[japanese]
    return row.values.get(internal, "")


def _int(text: str) -> int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def _numbered(headers: tuple[str, ...], pattern: re.Pattern[str]) -> list[tuple[int, str]]:
    found = []
    for h in headers:
        m = pattern.match(h)
        if m:
            found.append((int(next(g for g in m.groups() if g is not None)), h))
    return sorted(found)


def import_chilmai(
    children: Table, daycares: Table, combination: Table | None, *, round_id: str, reference_date: str
) -> dict[str, Any]:
    """The input document (madoguchi-nursery/1) for ChilmAI's files; `InputError` lists every problem."""
    issues: list[Issue] = []

    def bad(t: Table, row: Row | None, ja: str, en: str) -> None:
        issues.append(Issue(t.name if row is None else f"{t.name} {row.line}行目", ja, en))

    capacity_columns = _numbered(daycares.headers, _CAPACITY)
    if [g for g, _ in capacity_columns] != list(range(AGE_CLASSES)):
        bad(
            daycares,
            None,
            "保育所ファイルに 0歳募集人数〜5歳募集人数 の列がありません",
            "missing N歳募集人数 columns",
        )
    facilities = []
    for row in daycares.rows:
        seats = []
        for _, column in capacity_columns:
            value = _int(row.get(column) or "0")
            if value is None:
                bad(daycares, row, f"{column} が整数ではありません", f"{column} is not an integer")
                value = 0
            seats.append(value)
        facilities.append(
            {
                "id": _column(row, _DAYCARE, "daycare_id"),
                "name": _column(row, _DAYCARE, "daycare_name"),
                "seats": seats,
            }
        )

    score_columns = dict(_numbered(children.headers, _SCORE))
    pref_columns = _numbered(children.headers, _PREF)
    if 1 not in score_columns or not pref_columns:
        bad(
            children,
            None,
            "申込者ファイルに 点数1 と 希望保育園ID_1 の列が必要です",
            "点数1 and 希望保育園ID_1 are required",
        )
    combos = _read_combination(combination, bad) if combination is not None else {}
    groups: dict[str, list[Row]] = {}
    for row in children.rows:
        groups.setdefault(_column(row, _CHILD, "household_id"), []).append(row)
    households = []
    for hid, rows in groups.items():
        first_line = min(r.line for r in rows)
        rows = sorted(rows, key=lambda r: (-(_int(_column(r, _CHILD, "age")) or 0), r.line))
        base = _int(rows[0].get(score_columns.get(1, "")) or "")
        if base is None:
            bad(children, rows[0], "点数1 が整数ではありません", "点数1 is not an integer")
            continue
        kids, prefs, current = [], [], []
        for row in rows:
            age = _int(_column(row, _CHILD, "age"))
            own = _int(row.get(score_columns.get(1, "")) or "")
            if own is None:
                own = base
            bonus: dict[str, int] = {}
            choices = []
            for n, column in pref_columns:
                fid = row.get(column)
                if not fid or fid in choices:
                    continue
                choices.append(fid)
                points = _int(row.get(score_columns.get(n, "")) or "")
                points = own if points is None else points
                if points != base:
                    bonus[fid] = points - base
            enrolled = _column(row, _CHILD, "enrolled_daycare_id") or None
            kids.append(
                {
                    "id": _column(row, _CHILD, "child_id"),
                    "age_class": -1 if age is None else age,
                    "enrolled_facility": enrolled,
                    "bonus": bonus,
                }
            )
            prefs.append(choices)
            current.append(enrolled)
        if len(rows) == 1:
            preferences: list[list[str | None]] = [[d] for d in prefs[0]]
        elif hid in combos:
            ids = [k["id"] for k in kids]
            preferences = []
            for placement in combos[hid]:
                tup = [placement.get(cid) for cid in ids]
                tup = [
                    None if (d is not None and d == cur) else d for d, cur in zip(tup, current, strict=True)
                ]
                if any(d is not None for d in tup) and tup not in preferences:
                    preferences.append(tup)
        else:
            pattern = _int(_column(rows[0], _CHILD, "sibling_pattern")) or 1
            if pattern not in PATTERNS:
                bad(children, rows[0], "きょうだいパターンは 1〜7 です", "sibling pattern must be 1-7")
                continue
            preferences = [list(t) for t in sibling_tuples(prefs, current, pattern)]
        households.append(
            {
                "id": hid,
                "score": base,
                "tie_keys": [-first_line],
                "children": kids,
                "preferences": preferences,
            }
        )
    if issues:
        raise InputError(issues)
    return {
        "format": FORMAT,
        "round": {"id": round_id, "reference_date": reference_date},
        "facilities": facilities,
        "households": households,
        "policy": {"objective": "stable", "seed": 1, "time_limit_s": 60},
    }


def _read_combination(t: Table, bad: Any) -> dict[str, list[dict[str, str | None]]]:
    children = dict(_numbered(t.headers, _COMBO_CHILD))
    places = dict(_numbered(t.headers, _COMBO_FACILITY))
    result: dict[str, list[tuple[int, int, dict[str, str | None]]]] = {}
    for row in t.rows:
        rank = _int(_column(row, _COMBO, "rank"))
        if rank is None or rank < 1:
            bad(t, row, "総当たり順位は 1 以上の整数です", "rank must be a positive integer")
            continue
        placement = {
            row.get(children[n]): (row.get(places.get(n, "")) or None)
            for n in children
            if row.get(children[n])
        }
        result.setdefault(_column(row, _COMBO, "household_id"), []).append((rank, row.line, placement))
    return {
        hid: [p for _, _, p in sorted(items, key=lambda x: (x[0], x[1]))] for hid, items in result.items()
    }


def export_chilmai(problem: Problem) -> dict[str, str]:
    """ChilmAI's three CSV files (children.csv, daycares.csv, combination.csv) for the same round."""
    market = compile_market(problem)
    ranks = sorted({r for per_child in market.rank for r in per_child.values()})
    dense = {r: i + 1 for i, r in enumerate(ranks)}
    max_prefs = 1
    child_rows = []
    combination_rows = []
    for h, household in enumerate(problem.households):
        members = market.household_children[h]
        per_child: list[list[int]] = [[] for _ in members]
        for eff in market.outcomes[h]:
            if len(members) == 1 and eff[0] == market.child_enrolled[members[0]]:
                break  # staying is ranked here; ChilmAI appends staying as the last choice itself
            for i, (c, d) in enumerate(zip(members, eff, strict=True)):
                if d != NONE and d != market.child_enrolled[c] and d not in per_child[i]:
                    per_child[i].append(d)
        for i, (c, child) in enumerate(zip(members, household.children, strict=True)):
            if not per_child[i]:
                raise InputError(
                    [
                        Issue(
                            child.id,
                            "ChilmAI には希望のない児童を渡せません",
                            "ChilmAI needs at least one choice per child",
                        )
                    ]
                )
            max_prefs = max(max_prefs, len(per_child[i]))
            child_rows.append(
                {
                    "申請者番号": child.id,
                    "世帯番号": household.id,
                    "年齢": child.age_class,
                    "在籍保育所ID": child.enrolled_facility or "",
                    "きょうだいパターン": "",
                    "prefs": [market.facility_ids[d] for d in per_child[i]],
                    "scores": [dense[market.rank[c][d]] for d in per_child[i]],
                }
            )
        if len(members) > 1:
            effs = list(market.outcomes[h])
            if any(e != NONE for e in market.stay[h]):
                effs.append(market.stay[h])
            for r, eff in enumerate(effs, start=1):
                row: dict[str, Any] = {"ファミリーコード": household.id, "総当たり順位": r}
                for i, (child, d) in enumerate(zip(household.children, eff, strict=True), start=1):
                    row[f"宛名コード{i}"] = child.id
                    row[f"希望施設{i}"] = "" if d == NONE else market.facility_ids[d]
                combination_rows.append(row)

    out = {}
    header = ["申請者番号", "世帯番号", "年齢", "在籍保育所ID", "きょうだいパターン"]
    header += [f"希望保育園ID_{n}" for n in range(1, max_prefs + 1)] + [
        f"点数{n}" for n in range(1, max_prefs + 1)
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in child_rows:
        prefs = row.pop("prefs")
        scores = row.pop("scores")
        pad = [""] * (max_prefs - len(prefs))
        writer.writerow([*row.values(), *prefs, *pad, *scores, *pad])
    out["children.csv"] = buffer.getvalue()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["保育所ID", "保育所名", *(f"{g}歳募集人数" for g in range(AGE_CLASSES))])
    for f in problem.facilities:
        writer.writerow([f.id, f.name or f.id, *f.seats])
    out["daycares.csv"] = buffer.getvalue()
    if combination_rows:
        width = max(len(problem.households[i].children) for i in range(len(problem.households)))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        columns = ["ファミリーコード", "総当たり順位"]
        for i in range(1, width + 1):
            columns += [f"宛名コード{i}", f"希望施設{i}"]
        writer.writerow(columns)
        for row in combination_rows:
            writer.writerow([row.get(c, "") for c in columns])
        out["combination.csv"] = buffer.getvalue()
    return out


def write_chilmai(problem: Problem, directory: str | Path) -> list[Path]:
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in export_chilmai(problem).items():
        path = target / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
