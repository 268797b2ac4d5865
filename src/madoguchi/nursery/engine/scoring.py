"""Scoring tables as data: a municipality's 基準指数 + 調整指数 table (YAML) turns household facts into the
score, tie_keys and facility bonuses of the allocation input.

A table is versioned and says where it comes from. Conditions are plain data (equality, or one of
gte/gt/lte/lt/ne/in), never code, so a table can be reviewed by staff and diffed between years.
The format is documented in docs/nursery.md; scoring/demo-town.yaml is a complete example.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from madoguchi.nursery.engine.model import InputError, Issue

TABLE_FORMAT = "madoguchi-nursery-scoring/1"
_TYPES = {"int": int, "str": str, "bool": bool}
_OPERATORS = ("gte", "gt", "lte", "lt", "ne", "in")
_ORDERS = ("true_first", "ascending", "descending")
_COMBINE = ("sum", "min")


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    type: str  # int | str | bool
    column: str  # column in a municipality sheet; "{label}" is replaced by the guardian's label
    default: Any = None
    values: tuple[str, ...] = ()  # allowed values of a str fact, if listed


@dataclass(frozen=True, slots=True)
class Rule:
    label: str
    when: Mapping[str, Any]
    points: int


@dataclass(frozen=True, slots=True)
class TieBreak:
    label: str
    fact: str
    order: str


@dataclass(frozen=True, slots=True)
class FacilityBonus:
    label: str
    fact: str  # a household fact holding a facility id (or nothing)
    points: int


@dataclass(frozen=True, slots=True)
class ScoringTable:
    id: str
    name: str
    version: str
    valid_from: str
    source: str
    guardian_labels: tuple[str, ...]
    combine: str
    absent_points: int
    guardian_facts: tuple[Fact, ...]
    guardian_rules: tuple[Rule, ...]
    household_facts: tuple[Fact, ...]
    adjustments: tuple[Rule, ...]
    facility_bonuses: tuple[FacilityBonus, ...]
    tie_breaks: tuple[TieBreak, ...]

    def sheet_columns(self) -> dict[str, tuple[str, int | None]]:
        """Sheet column -> (fact name, guardian index or None for a household fact)."""
        columns: dict[str, tuple[str, int | None]] = {}
        for i, label in enumerate(self.guardian_labels):
            for fact in self.guardian_facts:
                columns[fact.column.replace("{label}", label)] = (fact.name, i)
        for fact in self.household_facts:
            columns[fact.column] = (fact.name, None)
        return columns


@dataclass(frozen=True, slots=True)
class Scored:
    score: int
    tie_keys: tuple[int, ...]
    facility_bonus: tuple[tuple[str, int], ...]
    breakdown: tuple[tuple[str, int], ...]  # (label, points) for the record


def load_scoring_table(path: str | Path) -> ScoringTable:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(
            [Issue(str(path), f"ファイルを読めません（{exc.strerror}）", f"cannot read ({exc.strerror})")]
        ) from exc
    except yaml.YAMLError as exc:
        raise InputError(
            [Issue(str(path), f"YAML として読めません（{exc}）", f"not valid YAML ({exc})")]
        ) from exc
    return parse_scoring_table(raw, where=str(path))


def parse_scoring_table(raw: Any, *, where: str = "table") -> ScoringTable:
    issues: list[Issue] = []

    def bad(path: str, ja: str, en: str) -> None:
        issues.append(Issue(f"{where}:{path}", ja, en))

    if not isinstance(raw, Mapping):
        raise InputError(
            [Issue(where, "指数表は YAML のマッピングである必要があります", "the table must be a mapping")]
        )
    if raw.get("format") != TABLE_FORMAT:
        bad("format", f"format は {TABLE_FORMAT!r} にしてください", f"format must be {TABLE_FORMAT!r}")
    meta = {}
    for key in ("id", "name", "version", "valid_from", "source"):
        value = raw.get(key)
        if not isinstance(value, str | int) or str(value).strip() == "":
            bad(key, f"{key} を指定してください（指数表の出典と版の記録に必要です）", f"{key} is required")
            value = ""
        meta[key] = str(value)

    guardians = raw.get("guardians") if isinstance(raw.get("guardians"), Mapping) else {}
    if not guardians:
        bad("guardians", "guardians（基準指数）がありません", "guardians (基準指数) is missing")
    labels = guardians.get("labels", [])
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        bad(
            "guardians.labels",
            "保護者のラベル（例: [父, 母]）を指定してください",
            "guardian labels are required",
        )
        labels = []
    combine = guardians.get("combine", "sum")
    if combine not in _COMBINE:
        bad(
            "guardians.combine",
            f"combine は {' / '.join(_COMBINE)} のいずれかです",
            f"combine must be one of {_COMBINE}",
        )
    absent = guardians.get("absent_points", 0)
    if not isinstance(absent, int) or isinstance(absent, bool):
        bad("guardians.absent_points", "absent_points は整数です", "absent_points must be an integer")
        absent = 0
    guardian_facts = _parse_facts(guardians.get("facts"), "guardians.facts", bad)
    guardian_rules = _parse_rules(guardians.get("rules"), "guardians.rules", guardian_facts, bad)

    household = raw.get("household") if isinstance(raw.get("household"), Mapping) else {}
    household_facts = _parse_facts(household.get("facts", {}), "household.facts", bad)
    adjustments = _parse_rules(
        household.get("adjustments", []), "household.adjustments", household_facts, bad
    )
    bonuses = []
    for i, item in enumerate(household.get("facility_bonuses", []) or []):
        path = f"household.facility_bonuses[{i}]"
        if not isinstance(item, Mapping) or item.get("fact") not in {f.name for f in household_facts}:
            bad(
                path,
                "facility_bonuses の fact は household.facts で宣言してください",
                "fact must be a household fact",
            )
            continue
        if not isinstance(item.get("points"), int):
            bad(path, "points は整数です", "points must be an integer")
            continue
        bonuses.append(FacilityBonus(str(item.get("label", item["fact"])), item["fact"], item["points"]))

    tie_breaks = []
    known = {f.name for f in household_facts}
    for i, item in enumerate(raw.get("tie_breaks", []) or []):
        path = f"tie_breaks[{i}]"
        if not isinstance(item, Mapping) or item.get("fact") not in known:
            bad(
                path,
                "tie_breaks の fact は household.facts で宣言してください",
                "fact must be a household fact",
            )
            continue
        if item.get("order") not in _ORDERS:
            bad(path, f"order は {' / '.join(_ORDERS)} のいずれかです", f"order must be one of {_ORDERS}")
            continue
        tie_breaks.append(TieBreak(str(item.get("label", item["fact"])), item["fact"], item["order"]))
    if issues:
        raise InputError(issues)
    return ScoringTable(
        id=meta["id"],
        name=meta["name"],
        version=meta["version"],
        valid_from=meta["valid_from"],
        source=meta["source"],
        guardian_labels=tuple(labels),
        combine=combine,
        absent_points=absent,
        guardian_facts=tuple(guardian_facts),
        guardian_rules=tuple(guardian_rules),
        household_facts=tuple(household_facts),
        adjustments=tuple(adjustments),
        facility_bonuses=tuple(bonuses),
        tie_breaks=tuple(tie_breaks),
    )


def _parse_facts(raw: Any, path: str, bad: Any) -> list[Fact]:
    facts: list[Fact] = []
    if not isinstance(raw, Mapping):
        bad(path, "facts は {名前: {type, column}} の形で指定してください", "facts must be a mapping")
        return facts
    for name, spec in raw.items():
        if not isinstance(spec, Mapping) or spec.get("type") not in _TYPES:
            bad(f"{path}.{name}", "type は int / str / bool のいずれかです", "type must be int, str or bool")
            continue
        column = spec.get("column", name)
        values = spec.get("values", [])
        if not isinstance(values, list):
            bad(f"{path}.{name}.values", "values は配列です", "values must be a list")
            values = []
        facts.append(
            Fact(str(name), spec["type"], str(column), spec.get("default"), tuple(str(v) for v in values))
        )
    return facts


def _parse_rules(raw: Any, path: str, facts: list[Fact], bad: Any) -> list[Rule]:
    rules: list[Rule] = []
    if not isinstance(raw, list):
        bad(path, "規則は配列で指定してください", "rules must be a list")
        return rules
    known = {f.name for f in facts}
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            bad(where, "規則はマッピングです", "each rule must be a mapping")
            continue
        when = item.get("when", {}) or {}
        points = item.get("points")
        if not isinstance(when, Mapping):
            bad(where, "when はマッピングです", "when must be a mapping")
            continue
        if not isinstance(points, int) or isinstance(points, bool):
            bad(where, "points は整数です", "points must be an integer")
            continue
        ok = True
        for fact, condition in when.items():
            if fact not in known:
                bad(where, f"条件の {fact!r} は facts で宣言されていません", f"unknown fact {fact!r}")
                ok = False
            elif isinstance(condition, Mapping) and any(op not in _OPERATORS for op in condition):
                bad(
                    where,
                    f"比較は {', '.join(_OPERATORS)} のみ使えます",
                    f"operators are {', '.join(_OPERATORS)}",
                )
                ok = False
        if ok:
            rules.append(Rule(str(item.get("label", f"rule {i}")), dict(when), points))
    return rules


def _matches(when: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    for name, condition in when.items():
        value = facts.get(name)
        if isinstance(condition, Mapping):
            for op, target in condition.items():
                if value is None:
                    return False
                if op == "gte" and not value >= target:
                    return False
                if op == "gt" and not value > target:
                    return False
                if op == "lte" and not value <= target:
                    return False
                if op == "lt" and not value < target:
                    return False
                if op == "ne" and value == target:
                    return False
                if op == "in" and value not in target:
                    return False
        elif value != condition:
            return False
    return True


def _coerce(fact: Fact, value: Any, where: str, issues: list[Issue]) -> Any:
    if value is None or value == "":
        return fact.default
    if fact.type == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "はい", "有", "あり", "○", "〇"}:
            return True
        if text in {"0", "false", "no", "いいえ", "無", "なし", "×", ""}:
            return False
    elif fact.type == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip().replace(",", "")
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is not None and number == int(number):
            return int(number)
    else:
        text = str(value).strip()
        if not fact.values or text in fact.values:
            return text
        issues.append(
            Issue(
                where,
                f"{fact.name} の値 {text!r} は指数表にありません（{' / '.join(fact.values)}）",
                f"value {text!r} of {fact.name} is not in the table",
            )
        )
        return fact.default
    issues.append(
        Issue(
            where,
            f"{fact.name} の値 {value!r} を {fact.type} として読めません",
            f"cannot read {fact.name} {value!r}",
        )
    )
    return fact.default


def score_household(table: ScoringTable, facts: Mapping[str, Any], *, where: str = "facts") -> Scored:
    """Score one household from its facts: {"guardians": [{...}, ...], <household facts>...}."""
    issues: list[Issue] = []
    guardians_raw = facts.get("guardians", [])
    if not isinstance(guardians_raw, list) or len(guardians_raw) > len(table.guardian_labels):
        raise InputError(
            [
                Issue(
                    f"{where}.guardians",
                    f"保護者は {len(table.guardian_labels)} 人までの配列で指定してください",
                    f"guardians must be a list of at most {len(table.guardian_labels)}",
                )
            ]
        )
    breakdown: list[tuple[str, int]] = []
    guardian_points: list[int] = []
    for i, label in enumerate(table.guardian_labels):
        if i >= len(guardians_raw) or guardians_raw[i] is None:
            guardian_points.append(table.absent_points)
            breakdown.append((f"{label}: 不在", table.absent_points))
            continue
        raw = guardians_raw[i]
        values = {
            fact.name: _coerce(
                fact, raw.get(fact.name) if isinstance(raw, Mapping) else None, f"{where}.{label}", issues
            )
            for fact in table.guardian_facts
        }
        rule = next((r for r in table.guardian_rules if _matches(r.when, values)), None)
        points = rule.points if rule is not None else 0
        guardian_points.append(points)
        breakdown.append((f"{label}: {rule.label if rule else '該当なし'}", points))
    household_values = {
        fact.name: _coerce(fact, facts.get(fact.name), f"{where}.{fact.name}", issues)
        for fact in table.household_facts
    }
    if issues:
        raise InputError(issues)
    score = sum(guardian_points) if table.combine == "sum" else min(guardian_points)
    for rule in table.adjustments:
        if _matches(rule.when, household_values):
            score += rule.points
            breakdown.append((rule.label, rule.points))
    bonus: dict[str, int] = {}
    for item in table.facility_bonuses:
        facility = household_values.get(item.fact)
        if facility:
            bonus[str(facility)] = bonus.get(str(facility), 0) + item.points
            breakdown.append((f"{item.label}（{facility}）", item.points))
    tie_keys = []
    for tie in table.tie_breaks:
        value = household_values.get(tie.fact)
        if tie.order == "true_first":
            tie_keys.append(1 if value else 0)
        elif tie.order == "ascending":
            tie_keys.append(-int(value or 0))
        else:
            tie_keys.append(int(value or 0))
    return Scored(score, tuple(tie_keys), tuple(sorted(bonus.items())), tuple(breakdown))
