"""Independent checker of an allocation result (`madoguchi nursery verify`).

Written from the definitions in docs/nursery.md and nothing else: it does not use the compiled market,
the solver or the heuristics, only the input, the result and the priority function. Each check is a direct
loop over the definition, so it can be read against the documentation line by line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from madoguchi.nursery.engine.gcpause import paused_gc
from madoguchi.nursery.engine.model import AGE_CLASSES, Household, Issue, Problem
from madoguchi.nursery.engine.priority import lottery

RESULT_FORMAT = "madoguchi-nursery-result/1"
STATUSES = ("optimal", "feasible", "fallback")
REASONS = ("full", "sibling", "blocking")


def input_sha256(problem: Problem) -> str:
    """SHA-256 of the canonical input (policy excluded: it may be overridden on the command line)."""
    data = problem.to_dict()
    del data["policy"]
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class PartCheck:
    """One (facility, age class) a tuple needs, as seen from the result."""

    facility: str
    age_class: int
    needed: int  # the household's children that need it
    admitted_above: int  # other households' children admitted there with higher priority
    capacity: int

    @property
    def fits(self) -> bool:
        return self.admitted_above + self.needed <= self.capacity


@dataclass(slots=True)
class VerifyReport:
    violations: list[Issue] = field(default_factory=list)
    blocking_pairs: list[tuple[str, int]] = field(default_factory=list)
    children: int = 0
    placed: int = 0
    first_choices: int = 0

    def ok(self) -> bool:
        return not self.violations


class _Round:
    """The input seen through the definitions: capacities, effective tuples, priority keys."""

    def __init__(self, problem: Problem, seed: int) -> None:
        self.problem = problem
        self.seed = seed
        self.facility_order = {f.id: d for d, f in enumerate(problem.facilities)}
        self.capacity: dict[tuple[str, int], int] = {}
        for f in problem.facilities:
            for g in range(AGE_CLASSES):
                self.capacity[(f.id, g)] = f.seats[g]
        for _, child in problem.iter_children():
            if child.enrolled_facility is not None:
                self.capacity[(child.enrolled_facility, child.age_class)] += 1
        self.household_index = {h.id: i for i, h in enumerate(problem.households)}
        self.lottery = {h.id: lottery(seed, h.id) for h in problem.households}

    @staticmethod
    def placement(household: Household, outcome: int | None) -> list[str | None]:
        """Facility of each child: the tuple's entry, a transfer applicant's own seat when null or no tuple."""
        result = []
        for j, child in enumerate(household.children):
            fid = None if outcome is None else household.preferences[outcome][j]
            result.append(child.enrolled_facility if fid is None else fid)
        return result

    def key(self, household: Household, j: int, fid: str) -> tuple[int, ...]:
        """(own seat, score + bonus, *tie_keys, lottery, earlier in the input): higher is better."""
        child = household.children[j]
        own = 1 if child.enrolled_facility == fid else 0
        return (
            own,
            household.score + child.bonus_at(fid),
            *household.tie_keys,
            self.lottery[household.id],
            -self.household_index[household.id],
        )

    def admitted(
        self, outcomes: Mapping[str, int | None]
    ) -> dict[tuple[str, int], list[tuple[tuple[int, ...], str]]]:
        result: dict[tuple[str, int], list[tuple[tuple[int, ...], str]]] = {}
        for household in self.problem.households:
            for j, fid in enumerate(self.placement(household, outcomes[household.id])):
                if fid is not None:
                    g = household.children[j].age_class
                    result.setdefault((fid, g), []).append((self.key(household, j, fid), household.id))
        return result

    def parts(
        self,
        household: Household,
        p: int,
        admitted: Mapping[tuple[str, int], list[tuple[tuple[int, ...], str]]],
    ) -> list[PartCheck]:
        """What tuple p of the household needs, in facility order then age class."""
        needs: dict[tuple[str, int], list[tuple[int, ...]]] = {}
        for j, fid in enumerate(self.placement(household, p)):
            if fid is not None:
                needs.setdefault((fid, household.children[j].age_class), []).append(
                    self.key(household, j, fid)
                )
        checks = []
        for (fid, g), keys in sorted(
            needs.items(), key=lambda item: (self.facility_order[item[0][0]], item[0][1])
        ):
            lowest = min(keys)
            above = sum(1 for key, hid in admitted.get((fid, g), []) if hid != household.id and key > lowest)
            checks.append(PartCheck(fid, g, len(keys), above, self.capacity[(fid, g)]))
        return checks


def find_blocking_pairs(
    problem: Problem, outcomes: Mapping[str, int | None], seed: int
) -> list[tuple[str, int]]:
    """Every (household, tuple) such that the tuple is ranked above the result and fits everywhere it needs."""
    rnd = _Round(problem, seed)
    admitted = rnd.admitted(outcomes)
    pairs = []
    for household in problem.households:
        result = outcomes[household.id]
        for p in range(len(household.preferences) if result is None else result):
            if all(check.fits for check in rnd.parts(household, p, admitted)):
                pairs.append((household.id, p))
    return pairs


def verify_result(
    problem: Problem, result: Any, *, allow_blocking_pairs: bool = False, check_input_hash: bool = True
) -> VerifyReport:
    """Check a result against its input; every problem found is a violation in the report."""
    with paused_gc():
        return _verify(
            problem, result, allow_blocking_pairs=allow_blocking_pairs, check_input_hash=check_input_hash
        )


def _verify(
    problem: Problem, result: Any, *, allow_blocking_pairs: bool, check_input_hash: bool
) -> VerifyReport:
    report = VerifyReport()
    bad = report.violations.append
    if not isinstance(result, Mapping):
        bad(Issue("$", "結果は JSON オブジェクトである必要があります", "the result must be a JSON object"))
        return report
    if result.get("format") != RESULT_FORMAT:
        bad(
            Issue("format", f"format が {RESULT_FORMAT!r} ではありません", f"format is not {RESULT_FORMAT!r}")
        )
    meta = result.get("meta") if isinstance(result.get("meta"), Mapping) else {}
    seed = meta.get("seed", problem.policy.seed)
    if not isinstance(seed, int) or isinstance(seed, bool):
        bad(Issue("meta.seed", "seed が整数ではありません", "meta.seed is not an integer"))
        return report
    if check_input_hash and meta.get("input_sha256") != input_sha256(problem):
        bad(
            Issue(
                "meta.input_sha256",
                "この結果は別の入力データに対するものです（入力の SHA-256 が一致しません）",
                "this result was computed for a different input (SHA-256 mismatch)",
            )
        )
    if result.get("status") not in STATUSES:
        bad(
            Issue(
                "status",
                f"status {result.get('status')!r} が不正です",
                f"invalid status {result.get('status')!r}",
            )
        )
    if not isinstance(result.get("proven"), bool):
        bad(Issue("proven", "proven が真偽値ではありません", "proven is not a boolean"))

    outcomes = _read_outcomes(problem, result, bad)
    if outcomes is None:
        return report
    rnd = _Round(problem, seed)
    _check_assignments(problem, result, outcomes, rnd, report)
    admitted = rnd.admitted(outcomes)
    _check_capacity(rnd, admitted, report)

    pairs = []
    analysis: dict[str, list[tuple[int, list[PartCheck]]]] = {}
    for household in problem.households:
        r = outcomes[household.id]
        rows = []
        for p in range(len(household.preferences) if r is None else r):
            checks = rnd.parts(household, p, admitted)
            rows.append((p, checks))
            if all(check.fits for check in checks):
                pairs.append((household.id, p))
        analysis[household.id] = rows
    report.blocking_pairs = pairs
    _check_listed_pairs(result, pairs, report, allow_blocking_pairs=allow_blocking_pairs)
    table = cutoff_table(problem, admitted)
    if result.get("cutoffs") != table:
        bad(
            Issue(
                "cutoffs",
                "cutoffs（最後に入所した児童の優先順位）が割当結果と一致しません",
                "cutoffs do not match the assignments",
            )
        )
    _check_explanations(problem, result, rnd, analysis, table, report)
    return report


def _read_outcomes(problem: Problem, result: Mapping[str, Any], bad: Any) -> dict[str, int | None] | None:
    raw = result.get("households")
    if not isinstance(raw, Mapping):
        bad(Issue("households", "households がありません", "households is missing"))
        return None
    outcomes: dict[str, int | None] = {}
    ok = True
    known = {h.id for h in problem.households}
    for hid in sorted(set(raw) - known):
        bad(Issue(f"households.{hid}", f"入力にない世帯 {hid} があります", f"unknown household {hid}"))
        ok = False
    for household in problem.households:
        if household.id not in raw:
            bad(
                Issue(
                    f"households.{household.id}",
                    "世帯の結果がありません",
                    "household missing from the result",
                )
            )
            ok = False
            continue
        value = raw[household.id]
        if value is None:
            outcomes[household.id] = None
        elif (
            isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(household.preferences)
        ):
            outcomes[household.id] = value
        else:
            bad(
                Issue(
                    f"households.{household.id}",
                    f"希望の番号 {value!r} が範囲外です",
                    f"tuple index {value!r} out of range",
                )
            )
            ok = False
    return outcomes if ok else None


def _check_assignments(
    problem: Problem,
    result: Mapping[str, Any],
    outcomes: Mapping[str, int | None],
    rnd: _Round,
    report: VerifyReport,
) -> None:
    bad = report.violations.append
    raw = result.get("assignments")
    if not isinstance(raw, Mapping):
        bad(Issue("assignments", "assignments がありません", "assignments is missing"))
        return
    known = {c.id for _, c in problem.iter_children()}
    for cid in sorted(set(raw) - known):
        bad(Issue(f"assignments.{cid}", f"入力にない児童 {cid} があります", f"unknown child {cid}"))
    for household in problem.households:
        r = outcomes[household.id]
        if r == 0:
            report.first_choices += 1
        for child, fid in zip(household.children, rnd.placement(household, r), strict=True):
            report.children += 1
            if fid is not None:
                report.placed += 1
            if child.id not in raw:
                bad(
                    Issue(
                        f"assignments.{child.id}", "児童の結果がありません", "child missing from the result"
                    )
                )
            elif raw[child.id] != fid:
                bad(
                    Issue(
                        f"assignments.{child.id}",
                        f"割当 {raw[child.id]!r} が世帯の結果（希望の番号 {r}）と一致しません（正しくは {fid!r}）",
                        f"assignment {raw[child.id]!r} does not match the household's tuple {r} (expected {fid!r})",
                    )
                )
            if child.enrolled_facility is not None and raw.get(child.id, fid) is None:
                bad(
                    Issue(
                        f"assignments.{child.id}",
                        "転園申込の児童が在籍施設の席を失っています",
                        "a transfer applicant lost its current seat",
                    )
                )


def _check_capacity(rnd: _Round, admitted: Mapping[tuple[str, int], list[Any]], report: VerifyReport) -> None:
    for (fid, g), lst in sorted(admitted.items()):
        cap = rnd.capacity[(fid, g)]
        if len(lst) > cap:
            report.violations.append(
                Issue(
                    f"{fid}/{g}",
                    f"{fid} の{g}歳児クラスに受入枠 {cap} 人を超える {len(lst)} 人が割り当てられています",
                    f"{len(lst)} children assigned to {fid} age class {g}, capacity {cap}",
                )
            )


def _check_listed_pairs(
    result: Mapping[str, Any],
    pairs: list[tuple[str, int]],
    report: VerifyReport,
    *,
    allow_blocking_pairs: bool,
) -> None:
    bad = report.violations.append
    listed_raw = result.get("blocking_pairs")
    listed: set[tuple[str, int]] = set()
    if not isinstance(listed_raw, list):
        bad(Issue("blocking_pairs", "blocking_pairs がありません", "blocking_pairs is missing"))
    else:
        for item in listed_raw:
            if isinstance(item, Mapping):
                listed.add((item.get("household"), item.get("tuple_index")))  # type: ignore[arg-type]
    actual = set(pairs)
    for hid, p in sorted(actual - listed):
        bad(
            Issue(
                f"blocking_pairs ({hid}, {p})",
                f"世帯 {hid} の第{p + 1}希望はブロッキングペアですが、結果に記載されていません",
                f"household {hid} tuple {p} is a blocking pair missing from the result",
            )
        )
    for hid, p in sorted(listed - actual, key=str):
        bad(
            Issue(
                f"blocking_pairs ({hid}, {p})",
                f"記載された（世帯 {hid}、希望の番号 {p}）はブロッキングペアではありません",
                f"listed ({hid}, tuple {p}) is not a blocking pair",
            )
        )
    if not allow_blocking_pairs:
        for hid, p in pairs:
            bad(
                Issue(
                    f"blocking_pairs ({hid}, {p})",
                    f"世帯 {hid} は、より上位の第{p + 1}希望を受け入れられる状態でした（ブロッキングペア）",
                    f"household {hid} could have had its higher-ranked tuple {p} (blocking pair)",
                )
            )


def cutoff_table(
    problem: Problem, admitted: Mapping[tuple[str, int], list[tuple[tuple[int, ...], str]]]
) -> dict:
    """Per facility and age class: the priority of the last admitted child (own-seat transfers excluded)."""
    table: dict[str, list[list[int] | None]] = {}
    for f in problem.facilities:
        row: list[list[int] | None] = []
        for g in range(AGE_CLASSES):
            keys = [key for key, _ in admitted.get((f.id, g), []) if key[0] == 0]
            row.append(list(min(keys)[1:-1]) if keys else None)
        table[f.id] = row
    return table


def _check_explanations(
    problem: Problem,
    result: Mapping[str, Any],
    rnd: _Round,
    analysis: Mapping[str, list[tuple[int, list[PartCheck]]]],
    table: Mapping[str, list[list[int] | None]],
    report: VerifyReport,
) -> None:
    bad = report.violations.append
    raw = result.get("explanations")
    if not isinstance(raw, Mapping):
        bad(Issue("explanations", "explanations がありません", "explanations is missing"))
        return
    for household in problem.households:
        expected: dict[str, list[dict[str, Any]]] = {c.id: [] for c in household.children}
        for p, checks in analysis[household.id]:
            by_place = {(c.facility, c.age_class): c for c in checks}
            first_full = next((c for c in checks if not c.fits), None)
            for j, fid in enumerate(rnd.placement(household, p)):
                child = household.children[j]
                if fid is None or fid == child.enrolled_facility:
                    continue
                check = by_place[(fid, child.age_class)]
                if first_full is None:
                    reason = "blocking"
                elif not check.fits:
                    reason = "full"
                else:
                    reason = "sibling"
                entry = {
                    "tuple_index": p,
                    "facility": fid,
                    "age_class": child.age_class,
                    "reason": reason,
                    "capacity": check.capacity,
                    "admitted_above": check.admitted_above,
                    "needed": check.needed,
                }
                if reason == "sibling" and first_full is not None:
                    entry["blocked_by"] = {"facility": first_full.facility, "age_class": first_full.age_class}
                if reason == "full":
                    entry["cutoff"] = table[fid][child.age_class]
                expected[child.id].append(entry)
        for child in household.children:
            given = raw.get(child.id)
            if not isinstance(given, list):
                bad(Issue(f"explanations.{child.id}", "説明がありません", "explanation missing"))
                continue
            stripped = [
                {key: value for key, value in item.items() if key in _EXPLANATION_KEYS}
                for item in given
                if isinstance(item, Mapping)
            ]
            if stripped != expected[child.id]:
                bad(
                    Issue(
                        f"explanations.{child.id}",
                        "説明が検証結果と一致しません",
                        "the explanation does not agree with the verifier",
                    )
                )


_EXPLANATION_KEYS = frozenset(
    {
        "tuple_index",
        "facility",
        "age_class",
        "reason",
        "capacity",
        "admitted_above",
        "needed",
        "blocked_by",
        "cutoff",
    }
)
