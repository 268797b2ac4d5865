"""The input of one allocation round (保育所等利用調整) and its validation.

`parse_problem` turns the JSON document described in docs/nursery.md into frozen dataclasses. It checks
everything before anything is computed and reports every problem at once in one `InputError`, so staff
can fix a sheet in one pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from madoguchi.nursery.engine.gcpause import paused_gc

FORMAT = "madoguchi-nursery/1"
AGE_CLASSES = 6  # 0歳児クラス … 5歳児クラス
OBJECTIVES = ("stable", "municipal_sd")
DEFAULT_OBJECTIVE = "stable"
DEFAULT_SEED = 1
DEFAULT_TIME_LIMIT_S = 60.0


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in an input, with where it is and what to do, in Japanese and English."""

    where: str
    ja: str
    en: str

    def __str__(self) -> str:
        return f"{self.where}: {self.ja} / {self.en}"


class InputError(ValueError):
    """The input cannot be used; `issues` lists every problem found."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = list(issues)
        super().__init__(f"{len(self.issues)} problem(s) in the input")

    def __str__(self) -> str:
        lines = [
            f"入力に {len(self.issues)} 件の問題があります / {len(self.issues)} problem(s) in the input:"
        ]
        lines.extend(f"  - {issue}" for issue in self.issues)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Facility:  # 施設
    id: str
    name: str
    seats: tuple[int, ...]  # vacancies per age class this round, transfer applicants' own seats excluded


@dataclass(frozen=True, slots=True)
class Child:  # 児童
    id: str
    age_class: int
    enrolled_facility: str | None = None  # set for a 転園 applicant
    bonus: tuple[tuple[str, int], ...] = ()  # facility-specific points, sorted by facility id

    def bonus_at(self, facility_id: str) -> int:
        for fid, points in self.bonus:
            if fid == facility_id:
                return points
        return 0


@dataclass(frozen=True, slots=True)
class Household:  # 世帯
    id: str
    score: int
    tie_keys: tuple[int, ...]
    children: tuple[Child, ...]
    preferences: tuple[tuple[str | None, ...], ...]  # ranked tuples, one entry per child


@dataclass(frozen=True, slots=True)
class Round:
    id: str
    reference_date: str


@dataclass(frozen=True, slots=True)
class Policy:
    objective: str = DEFAULT_OBJECTIVE
    seed: int = DEFAULT_SEED
    time_limit_s: float = DEFAULT_TIME_LIMIT_S


@dataclass(frozen=True, slots=True)
class Problem:
    round: Round
    facilities: tuple[Facility, ...]
    households: tuple[Household, ...]
    policy: Policy = field(default_factory=Policy)

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON form (what `input_sha256` is computed over)."""
        return {
            "format": FORMAT,
            "round": {"id": self.round.id, "reference_date": self.round.reference_date},
            "facilities": [{"id": f.id, "name": f.name, "seats": list(f.seats)} for f in self.facilities],
            "households": [
                {
                    "id": h.id,
                    "score": h.score,
                    "tie_keys": list(h.tie_keys),
                    "children": [
                        {
                            "id": c.id,
                            "age_class": c.age_class,
                            "enrolled_facility": c.enrolled_facility,
                            "bonus": dict(c.bonus),
                        }
                        for c in h.children
                    ],
                    "preferences": [list(p) for p in h.preferences],
                }
                for h in self.households
            ],
            "policy": {
                "objective": self.policy.objective,
                "seed": self.policy.seed,
                "time_limit_s": self.policy.time_limit_s,
            },
        }

    def with_policy(
        self, *, objective: str | None = None, seed: int | None = None, time_limit_s: float | None = None
    ) -> Problem:
        """A copy with some policy values overridden (from the command line)."""
        issues: list[Issue] = []
        if objective is not None and objective not in OBJECTIVES:
            issues.append(
                Issue(
                    "--objective",
                    f"目的関数 {objective!r} は使えません（{' / '.join(OBJECTIVES)} のいずれか）",
                    f"unknown objective {objective!r} (use one of {', '.join(OBJECTIVES)})",
                )
            )
        if time_limit_s is not None and not time_limit_s > 0:
            issues.append(
                Issue(
                    "--time-limit", "制限時間は正の秒数で指定してください", "the time limit must be positive"
                )
            )
        if issues:
            raise InputError(issues)
        policy = Policy(
            objective=self.policy.objective if objective is None else objective,
            seed=self.policy.seed if seed is None else seed,
            time_limit_s=self.policy.time_limit_s if time_limit_s is None else float(time_limit_s),
        )
        return Problem(
            round=self.round, facilities=self.facilities, households=self.households, policy=policy
        )

    def iter_children(self) -> Iterator[tuple[Household, Child]]:
        for household in self.households:
            for child in household.children:
                yield household, child


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_iso_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


class _Collector:
    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(self, where: str, ja: str, en: str) -> None:
        self.issues.append(Issue(where, ja, en))


def parse_problem(data: Any) -> Problem:
    """Validate a decoded JSON document and build the `Problem`; raise `InputError` listing every problem."""
    with paused_gc():
        return _parse_problem(data)


def _parse_problem(data: Any) -> Problem:
    out = _Collector()
    if not isinstance(data, Mapping):
        raise InputError(
            [Issue("$", "入力は JSON オブジェクトである必要があります", "the input must be a JSON object")]
        )
    if data.get("format") != FORMAT:
        out.add(
            "format",
            f"format は {FORMAT!r} である必要があります（{data.get('format')!r} が指定されています）",
            f"format must be {FORMAT!r}, got {data.get('format')!r}",
        )
    round_ = _parse_round(data.get("round"), out)
    facilities, facility_ids = _parse_facilities(data.get("facilities"), out)
    households = _parse_households(data.get("households"), facility_ids, out)
    policy = _parse_policy(data.get("policy", {}), out)
    if out.issues:
        raise InputError(out.issues)
    return Problem(round=round_, facilities=tuple(facilities), households=tuple(households), policy=policy)


def _parse_round(raw: Any, out: _Collector) -> Round:
    if not isinstance(raw, Mapping):
        out.add("round", "round（選考回）がありません", "round is missing or not an object")
        return Round(id="", reference_date="")
    rid = raw.get("id")
    if not _is_nonempty_str(rid):
        out.add("round.id", "選考回の id を文字列で指定してください", "round.id must be a non-empty string")
        rid = ""
    ref = raw.get("reference_date")
    if not _is_iso_date(ref):
        out.add(
            "round.reference_date",
            f"基準日 {ref!r} は YYYY-MM-DD 形式の日付ではありません",
            f"reference_date {ref!r} is not a YYYY-MM-DD date",
        )
        ref = ""
    return Round(id=str(rid), reference_date=str(ref))


def _parse_facilities(raw: Any, out: _Collector) -> tuple[list[Facility], set[str]]:
    """The valid facilities, and the ids of all facilities (an invalid one is not also "unknown")."""
    if not isinstance(raw, list) or not raw:
        out.add("facilities", "施設の一覧がありません", "facilities must be a non-empty list")
        return [], set()
    facilities: list[Facility] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"facilities[{i}]"
        if not isinstance(item, Mapping):
            out.add(where, "施設はオブジェクトで指定してください", "each facility must be an object")
            continue
        fid = item.get("id")
        if not _is_nonempty_str(fid):
            out.add(f"{where}.id", "施設 id がありません", "facility id must be a non-empty string")
            continue
        where = f"facilities[{i}] ({fid})"
        if fid in seen:
            out.add(where, f"施設 id {fid} が重複しています", f"duplicated facility id {fid}")
        seen.add(fid)
        name = item.get("name", "")
        if not isinstance(name, str):
            out.add(f"{where}.name", "施設名は文字列で指定してください", "facility name must be a string")
            name = ""
        seats = item.get("seats")
        if not isinstance(seats, list) or len(seats) != AGE_CLASSES:
            out.add(
                f"{where}.seats",
                f"seats は 0〜5 歳児クラスの募集数 {AGE_CLASSES} 個の整数の配列にしてください",
                f"seats must be a list of {AGE_CLASSES} integers (age classes 0 to 5)",
            )
            continue
        bad = False
        for g, s in enumerate(seats):
            if not _is_int(s):
                out.add(
                    f"{where}.seats[{g}]",
                    f"募集数 {s!r} は整数ではありません",
                    f"seats {s!r} is not an integer",
                )
                bad = True
            elif s < 0:
                out.add(
                    f"{where}.seats[{g}]",
                    f"{g}歳児クラスの募集数が負の値（{s}）です",
                    f"negative seats ({s}) in age class {g}",
                )
                bad = True
        if not bad:
            facilities.append(Facility(id=fid, name=name, seats=tuple(seats)))
    return facilities, seen


def _parse_households(raw: Any, facility_ids: set[str], out: _Collector) -> list[Household]:
    if not isinstance(raw, list):
        out.add("households", "世帯の一覧がありません", "households must be a list")
        return []
    households: list[Household] = []
    seen_households: set[str] = set()
    seen_children: set[str] = set()
    tie_lengths: dict[int, str] = {}
    for i, item in enumerate(raw):
        where = f"households[{i}]"
        if not isinstance(item, Mapping):
            out.add(where, "世帯はオブジェクトで指定してください", "each household must be an object")
            continue
        hid = item.get("id")
        if not _is_nonempty_str(hid):
            out.add(f"{where}.id", "世帯 id がありません", "household id must be a non-empty string")
            hid = f"#{i}"
        else:
            where = f"households[{i}] ({hid})"
            if hid in seen_households:
                out.add(where, f"世帯 id {hid} が重複しています", f"duplicated household id {hid}")
            seen_households.add(hid)
        ok = True
        score = item.get("score")
        if not _is_int(score):
            out.add(
                f"{where}.score", f"指数 {score!r} が整数ではありません", f"score {score!r} is not an integer"
            )
            ok = False
        tie_keys = item.get("tie_keys", [])
        if not isinstance(tie_keys, list) or not all(_is_int(k) for k in tie_keys):
            out.add(
                f"{where}.tie_keys",
                "tie_keys（同点時の優先順位キー）は整数の配列にしてください",
                "tie_keys must be a list of integers",
            )
            ok = False
        else:
            tie_lengths.setdefault(len(tie_keys), where)
        raw_children = item.get("children")
        children = _parse_children(raw_children, where, facility_ids, seen_children, out)
        if children is None:
            ok = False
        n_children = len(raw_children) if isinstance(raw_children, list) and raw_children else None
        preferences = _parse_preferences(item.get("preferences"), where, n_children, facility_ids, out)
        if preferences is None:
            ok = False
        if ok and children is not None and preferences is not None:
            households.append(
                Household(
                    id=hid,
                    score=score,
                    tie_keys=tuple(tie_keys),
                    children=tuple(children),
                    preferences=tuple(preferences),
                )
            )
    if len(tie_lengths) > 1:
        examples = ", ".join(f"{n} ({w})" for n, w in sorted(tie_lengths.items()))
        out.add(
            "households[*].tie_keys",
            f"tie_keys の個数が世帯によって異なります: {examples}。全世帯で同じ個数にしてください",
            f"tie_keys must have the same length in every household; found {examples}",
        )
    return households


def _parse_children(
    raw: Any, where: str, facility_ids: set[str], seen: set[str], out: _Collector
) -> list[Child] | None:
    if not isinstance(raw, list) or not raw:
        out.add(f"{where}.children", "児童が 1 人もいません", "children must be a non-empty list")
        return None
    children: list[Child] = []
    ok = True
    for j, item in enumerate(raw):
        cwhere = f"{where}.children[{j}]"
        if not isinstance(item, Mapping):
            out.add(cwhere, "児童はオブジェクトで指定してください", "each child must be an object")
            ok = False
            continue
        cid = item.get("id")
        if not _is_nonempty_str(cid):
            out.add(f"{cwhere}.id", "児童 id がありません", "child id must be a non-empty string")
            ok = False
            continue
        cwhere = f"{cwhere} ({cid})"
        if cid in seen:
            out.add(cwhere, f"児童 id {cid} が重複しています", f"duplicated child id {cid}")
            ok = False
        seen.add(cid)
        age = item.get("age_class")
        if not _is_int(age) or not 0 <= age < AGE_CLASSES:
            out.add(
                f"{cwhere}.age_class",
                f"年齢クラス {age!r} は範囲外です（0〜{AGE_CLASSES - 1} の整数）",
                f"age class {age!r} is out of range (integer 0 to {AGE_CLASSES - 1})",
            )
            ok = False
        enrolled = item.get("enrolled_facility")
        if enrolled is not None and enrolled not in facility_ids:
            out.add(
                f"{cwhere}.enrolled_facility",
                f"在籍施設 {enrolled!r} は施設一覧にありません",
                f"unknown enrolled facility {enrolled!r}",
            )
            ok = False
        bonus_raw = item.get("bonus", {})
        bonus: list[tuple[str, int]] = []
        if not isinstance(bonus_raw, Mapping):
            out.add(
                f"{cwhere}.bonus", "bonus は {施設id: 点数} の形で指定してください", "bonus must be an object"
            )
            ok = False
        else:
            for fid, points in bonus_raw.items():
                if fid not in facility_ids:
                    out.add(
                        f"{cwhere}.bonus",
                        f"加点の施設 {fid!r} は施設一覧にありません",
                        f"unknown facility {fid!r} in bonus",
                    )
                    ok = False
                elif not _is_int(points):
                    out.add(
                        f"{cwhere}.bonus.{fid}",
                        f"加点 {points!r} が整数ではありません",
                        f"bonus {points!r} is not an integer",
                    )
                    ok = False
                elif points != 0:
                    bonus.append((fid, points))
        if ok:
            children.append(
                Child(id=cid, age_class=age, enrolled_facility=enrolled, bonus=tuple(sorted(bonus)))
            )
    return children if ok else None


def _parse_preferences(
    raw: Any, where: str, n: int | None, facility_ids: set[str], out: _Collector
) -> list[tuple[str | None, ...]] | None:
    if not isinstance(raw, list):
        out.add(
            f"{where}.preferences", "希望（preferences）は配列にしてください", "preferences must be a list"
        )
        return None
    preferences: list[tuple[str | None, ...]] = []
    seen: dict[tuple[str | None, ...], int] = {}
    ok = True
    for k, entry in enumerate(raw):
        pwhere = f"{where}.preferences[{k}]"
        if not isinstance(entry, list):
            out.add(pwhere, "希望の組み合わせは配列にしてください", "each preference must be a list")
            ok = False
            continue
        if n is not None and len(entry) != n:
            out.add(
                pwhere,
                f"希望の組み合わせの長さ（{len(entry)}）が児童数（{n}）と一致しません",
                f"tuple has {len(entry)} entries but the household has {n} children",
            )
            ok = False
            continue
        entry_ok = True
        for m, fid in enumerate(entry):
            if fid is not None and fid not in facility_ids:
                out.add(
                    f"{pwhere}[{m}]",
                    f"希望施設 {fid!r} は施設一覧にありません",
                    f"unknown facility {fid!r}",
                )
                entry_ok = False
        if not entry_ok:
            ok = False
            continue
        tup = tuple(entry)
        if all(fid is None for fid in tup):
            out.add(
                pwhere,
                "どの児童も入所しない組み合わせは希望として指定できません",
                "a tuple must place at least one child",
            )
            ok = False
            continue
        if tup in seen:
            out.add(
                pwhere,
                f"希望 {k + 1} は希望 {seen[tup] + 1} と同じ組み合わせです",
                f"tuple {k} repeats tuple {seen[tup]}",
            )
            ok = False
            continue
        seen[tup] = k
        preferences.append(tup)
    return preferences if ok else None


def _parse_policy(raw: Any, out: _Collector) -> Policy:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        out.add("policy", "policy はオブジェクトで指定してください", "policy must be an object")
        return Policy()
    objective = raw.get("objective", DEFAULT_OBJECTIVE)
    if objective not in OBJECTIVES:
        out.add(
            "policy.objective",
            f"目的関数 {objective!r} は使えません（{' / '.join(OBJECTIVES)} のいずれか）",
            f"unknown objective {objective!r} (use one of {', '.join(OBJECTIVES)})",
        )
        objective = DEFAULT_OBJECTIVE
    seed = raw.get("seed", DEFAULT_SEED)
    if not _is_int(seed):
        out.add("policy.seed", f"seed {seed!r} が整数ではありません", f"seed {seed!r} is not an integer")
        seed = DEFAULT_SEED
    limit = raw.get("time_limit_s", DEFAULT_TIME_LIMIT_S)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not limit > 0:
        out.add(
            "policy.time_limit_s",
            f"制限時間 {limit!r} は正の秒数で指定してください",
            f"time_limit_s {limit!r} must be a positive number of seconds",
        )
        limit = DEFAULT_TIME_LIMIT_S
    return Policy(objective=objective, seed=seed, time_limit_s=float(limit))
