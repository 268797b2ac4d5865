"""Nursery allocation rounds for the office: import, run, override (audited), publish as My Page notices.

The allocation itself is the pure engine (`madoguchi.nursery.engine`); this module stores its JSON
documents in `Round` and turns results into notices. Every problem staff can fix is a `NurseryError` whose
`issues` (engine `Issue`: where, ja, en) are shown as a list; nothing is saved when one is raised.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from madoguchi.cases import workflow
from madoguchi.cases.models import Case
from madoguchi.core import audit
from madoguchi.notify.services import send_notice
from madoguchi.nursery.engine.allocate import allocate_seats
from madoguchi.nursery.engine.explain import explanations
from madoguchi.nursery.engine.market import NONE, assignment_of, blocking_pairs, compile_market
from madoguchi.nursery.engine.model import AGE_CLASSES, FORMAT, InputError, Issue, Problem, parse_problem
from madoguchi.nursery.engine.scoring import ScoringTable, load_scoring_table, score_household
from madoguchi.nursery.engine.sheets import import_sheets, read_sheets
from madoguchi.nursery.engine.tables import read_csv
from madoguchi.nursery.engine.verify import verify_result
from madoguchi.nursery.models import Override, Round, RoundCase, RoundSource, RoundStatus

PROCEDURE_SLUG = "hoiku-moushikomi"
DEFAULT_SCORING_TABLE = Path(__file__).parent / "scoring" / "demo-town.yaml"
DEFAULT_TIME_LIMIT_S = 30.0
# Cases that still wait for a decision take part in a round.
NOTICE_KIND = "nursery_result"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_ROUND_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,39}$")

# 保育施設等の利用申込: the form's reasons → the scoring table's guardian reasons (事由).
REASONS = {
    "work": "就労",
    "pregnancy": "妊娠出産",
    "illness": "疾病",
    "care": "介護",
    "job_seeking": "求職",
    "study": "就学",
    "disaster": "災害",
    "other": "なし",
}


class NurseryError(Exception):
    """Staff can fix this; every problem is listed (engine `Issue`s: where, ja, en)."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues = list(issues)
        super().__init__("; ".join(str(i) for i in self.issues))

    def messages(self, lang: str) -> list[str]:
        return [
            f"{i.where}: {i.en if lang == 'en' else i.ja}" if i.where else (i.en if lang == "en" else i.ja)
            for i in self.issues
        ]


def _fail(ja: str, en: str, where: str = "") -> NurseryError:
    return NurseryError([Issue(where, ja, en)])


def scoring_table() -> ScoringTable:
    return load_scoring_table(getattr(settings, "NURSERY_SCORING_TABLE", DEFAULT_SCORING_TABLE))


def _check_round_header(round_id: str, reference_date: dt.date | str) -> tuple[str, dt.date]:
    issues = []
    round_id = (round_id or "").strip()
    if not _ROUND_ID.match(round_id) or round_id.lower() == "new":
        issues.append(
            Issue(
                "回のID",
                "回のIDは半角英数字とハイフンで入力してください（例: 2027-04）",
                "enter the round id in letters, digits and hyphens (e.g. 2027-04)",
            )
        )
    elif Round.objects.filter(round_id=round_id).exists():
        issues.append(
            Issue(
                "回のID",
                f"回のID {round_id} はすでに使われています。別のIDにしてください",
                f"round id {round_id} is already used; choose another",
            )
        )
    if isinstance(reference_date, str):
        try:
            reference_date = dt.date.fromisoformat(reference_date)
        except ValueError:
            issues.append(
                Issue(
                    "基準日",
                    "基準日を YYYY-MM-DD で入力してください",
                    "enter the reference date as YYYY-MM-DD",
                )
            )
    if issues:
        raise NurseryError(issues)
    return round_id, reference_date  # type: ignore[return-value]


def _save_upload(folder: Path, uploaded: Any, fallback: str) -> Path:
    """Write an uploaded file to a temporary folder under a safe name (the name appears in messages)."""
    if (getattr(uploaded, "size", 0) or 0) > MAX_UPLOAD_BYTES:
        raise _fail(
            "ファイルが大きすぎます（20 MB まで）。不要なシートや列を削除してください",
            "the file is too large (20 MB at most); remove unneeded sheets or columns",
            getattr(uploaded, "name", fallback),
        )
    name = Path(getattr(uploaded, "name", "") or fallback).name
    name = re.sub(r"[^\w.\-]", "_", name) or fallback
    path = folder / name
    with open(path, "wb") as handle:
        if hasattr(uploaded, "chunks"):
            for chunk in uploaded.chunks():
                handle.write(chunk)
        else:
            handle.write(uploaded.read())
    return path


def _validated(document: dict[str, Any]) -> Problem:
    try:
        return parse_problem(document)
    except InputError as exc:
        raise NurseryError(exc.issues) from exc


def _create_round(*, round_id, reference_date, document, staff, source, notes=()) -> Round:
    try:
        with transaction.atomic():
            return Round.objects.create(
                round_id=round_id,
                reference_date=reference_date,
                source=source,
                input=document,
                created_by=staff,
                notes=list(notes),
            )
    except IntegrityError as exc:
        raise _fail(
            f"回のID {round_id} はすでに使われています。別のIDにしてください",
            f"round id {round_id} is already used; choose another",
            "回のID",
        ) from exc


# ---------------------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------------------


def import_round_from_sheet(
    *,
    round_id: str,
    reference_date: dt.date | str,
    facilities_file: Any,
    applications_file: Any = None,
    combinations_file: Any = None,
    staff,
) -> Round:
    """A draft round from the municipality's sheets: a workbook (.xlsx, sheets 施設/申込/組み合わせ) given
    as `facilities_file`, or CSV files. Without a 指数 column the scoring table scores the fact columns."""
    round_id, reference_date = _check_round_header(round_id, reference_date)
    with tempfile.TemporaryDirectory(prefix="nursery-") as tmp:
        folder = Path(tmp)
        try:
            first = _save_upload(folder, facilities_file, "施設.csv")
            if first.suffix.lower() in (".xlsx", ".xlsm") and applications_file is None:
                tables = read_sheets(workbook=first)
            else:
                if applications_file is None:
                    raise _fail(
                        "申込の CSV ファイルを選んでください", "choose the applications CSV file", "申込"
                    )
                tables = read_sheets(
                    facilities=first,
                    applications=_save_upload(folder, applications_file, "申込.csv"),
                    combinations=(
                        _save_upload(folder, combinations_file, "組み合わせ.csv")
                        if combinations_file
                        else None
                    ),
                )
            facilities, applications, combinations = tables
            table = None if "指数" in applications.headers else scoring_table()
            document = import_sheets(
                facilities,
                applications,
                combinations,
                round_id=round_id,
                reference_date=reference_date.isoformat(),
                table=table,
            )
        except InputError as exc:
            raise NurseryError(exc.issues) from exc
        except (
            ValueError,
            KeyError,
            OSError,
            zipfile.BadZipFile,
        ) as exc:  # e.g. a file that is not a workbook at all
            raise _fail(
                "ファイルを読めませんでした。CSV（UTF-8 か Shift_JIS）か Excel（.xlsx）で保存し直してください",
                "the file could not be read; save it again as CSV (UTF-8 or Shift_JIS) or Excel (.xlsx)",
                getattr(facilities_file, "name", ""),
            ) from exc
    _validated(document)
    return _create_round(
        round_id=round_id,
        reference_date=reference_date,
        document=document,
        staff=staff,
        source=RoundSource.SHEET,
    )


def facilities_from_file(uploaded: Any) -> list[dict[str, Any]]:
    """The 施設 sheet alone (CSV: 施設ID, 施設名, 0歳 … 5歳), for rounds imported from cases."""
    with tempfile.TemporaryDirectory(prefix="nursery-") as tmp:
        try:
            table = read_csv(_save_upload(Path(tmp), uploaded, "施設.csv"))
        except InputError as exc:
            raise NurseryError(exc.issues) from exc
    seat_columns = {int(m.group(1)): h for h in table.headers if (m := re.match(r"^([0-5])歳", h))}
    if set(seat_columns) != set(range(AGE_CLASSES)) or "施設ID" not in table.headers:
        raise _fail(
            "施設の CSV には 施設ID と 0歳〜5歳 の列が必要です",
            "the facility CSV needs the columns 施設ID and 0歳 … 5歳",
            table.name,
        )
    issues, facilities = [], []
    for row in table.rows:
        seats = []
        for g in range(AGE_CLASSES):
            text = (row.get(seat_columns[g]) or "0").replace(",", "")
            if not text.isdigit():
                issues.append(
                    Issue(
                        f"{table.name} {row.line}行目",
                        f"{seat_columns[g]} は 0 以上の整数で入力してください",
                        f"{seat_columns[g]} must be a whole number, 0 or more",
                    )
                )
                text = "0"
            seats.append(int(text))
        facilities.append({"id": row.get("施設ID"), "name": row.get("施設名"), "seats": seats})
    if issues:
        raise NurseryError(issues)
    return facilities


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def age_class_on(birth: dt.date, reference_date: dt.date) -> int:
    """歳児クラス: the child's age on 1 April of the fiscal year of the reference date (0 if born later)."""
    year = reference_date.year if reference_date.month >= 4 else reference_date.year - 1
    start = dt.date(year, 4, 1)
    age = start.year - birth.year - ((start.month, start.day) < (birth.month, birth.day))
    return max(age, 0)


def household_facts(data: Mapping[str, Any]) -> dict[str, Any]:
    """Scoring facts from a 保育施設等の利用申込 case (see docs/nursery-office.md for the rules)."""

    def monthly_hours(days: Any, hours: Any) -> int:
        try:
            return int(float(days) * float(hours) * 52 / 12)
        except (TypeError, ValueError):
            return 0

    guardian1 = {
        "reason": REASONS.get(data.get("guardian1_reason"), "なし"),
        "monthly_hours": monthly_hours(data.get("guardian1_work_days"), data.get("guardian1_work_hours")),
    }
    guardian2 = None
    if not data.get("single_parent"):
        reason2 = REASONS.get(data.get("guardian2_reason"), "なし")
        # The form does not ask guardian 2's hours: count 120 h/month for 保育標準時間, else 64 h.
        hours2 = (120 if data.get("care_hours") == "standard" else 64) if reason2 in ("就労", "就学") else 0
        guardian2 = {"reason": reason2, "monthly_hours": hours2}
    return {
        "guardians": [guardian1, guardian2],
        "single_parent": bool(data.get("single_parent")),
        "sibling_enrolled": bool(data.get("sibling_enrolled")),
        "unlicensed_care": data.get("current_care") == "unlicensed",
    }


def import_round_from_cases(
    *, round_id: str, reference_date: dt.date | str, facilities: list[dict[str, Any]], staff
) -> Round:
    """A draft round from the open 保育施設等の利用申込 cases (one household with one child per case).

    Taken: cases of procedure `hoiku-moushikomi` still open (submitted, in review, waiting, approved) whose
    preferred start date is on or before the reference date, except those that got 内定 in a published
    round. Children not yet born on the reference date are left out and listed in the round's notes.
    """
    round_id, reference_date = _check_round_header(round_id, reference_date)
    table = scoring_table()
    placed_before = set()
    for link in RoundCase.objects.filter(round__status=RoundStatus.PUBLISHED).select_related("round"):
        if ((link.round.result or {}).get("assignments") or {}).get(link.child_id):
            placed_before.add(link.case_id)
    cases = (
        Case.objects.filter(procedure__slug=PROCEDURE_SLUG, status__in=workflow.IN_PROGRESS)
        .exclude(pk__in=placed_before)
        .order_by("submitted_at", "id")
    )
    facility_ids = [f["id"] for f in facilities]
    households, links, notes, issues = [], [], [], []
    for case in cases:
        data = case.data or {}
        start = _as_date(data.get("start_date"))
        if start is not None and start > reference_date:
            continue
        where = f"受付番号 {case.reference}"
        birth = _as_date(data.get("child_birth_date"))
        if birth is None or birth > reference_date:
            notes.append(
                {
                    "ja": f"{where}: お子さんの生年月日（出産予定日）が基準日より後のため、この回には含めていません",
                    "en": f"case {case.reference}: the child's birth (expected) date is after the reference date; not included",
                }
            )
            continue
        age = age_class_on(birth, reference_date)
        if age >= AGE_CLASSES:
            notes.append(
                {
                    "ja": f"{where}: お子さんが6歳児以上のため、この回には含めていません",
                    "en": f"case {case.reference}: the child is 6 or older; not included",
                }
            )
            continue
        try:
            scored = score_household(table, household_facts(data), where=where)
        except InputError as exc:
            issues.extend(exc.issues)
            continue
        choices: list[str] = []
        for key in ("facility_1", "facility_2", "facility_3"):
            value = data.get(key)
            if value and value not in choices:
                choices.append(value)
        if data.get("accept_other") == "any":
            choices += [fid for fid in facility_ids if fid not in choices]
        hid, cid = f"H-{case.reference}", f"C-{case.reference}"
        households.append(
            {
                "id": hid,
                "score": scored.score,
                "tie_keys": list(scored.tie_keys),
                "children": [
                    {
                        "id": cid,
                        "age_class": age,
                        "enrolled_facility": None,
                        "bonus": dict(scored.facility_bonus),
                    }
                ],
                "preferences": [[fid] for fid in choices],
            }
        )
        links.append((hid, cid, case))
    if issues:
        raise NurseryError(issues)
    if not households:
        raise _fail(
            "対象となる申請（保育施設等の利用申込）がありません。基準日と申請の状況を確認してください",
            "no open nursery applications to allocate; check the reference date and the cases",
            "申請",
        )
    document = {
        "format": FORMAT,
        "round": {"id": round_id, "reference_date": reference_date.isoformat()},
        "facilities": facilities,
        "households": households,
        "policy": {"objective": "stable", "seed": 1, "time_limit_s": DEFAULT_TIME_LIMIT_S},
    }
    _validated(document)
    with transaction.atomic():
        rnd = _create_round(
            round_id=round_id,
            reference_date=reference_date,
            document=document,
            staff=staff,
            source=RoundSource.CASES,
            notes=notes,
        )
        RoundCase.objects.bulk_create(
            RoundCase(round=rnd, household_id=hid, child_id=cid, case=case) for hid, cid, case in links
        )
    return rnd


# ---------------------------------------------------------------------------------------------------------
# Run, override
# ---------------------------------------------------------------------------------------------------------


def _verified(problem: Problem, result: dict[str, Any]) -> dict[str, Any]:
    """The result if the independent verifier accepts it (blocking pairs are listed for staff, not refused)."""
    report = verify_result(problem, result, allow_blocking_pairs=True)
    if not report.ok():
        raise NurseryError(report.violations)
    return result


def run_round(
    *, round: Round, staff, objective: str = "stable", time_limit_s: float = DEFAULT_TIME_LIMIT_S
) -> Round:
    """Allocate (engine), verify (independent checker), store. A result the verifier rejects is not stored.
    Running again replaces the result in force (earlier overrides stay in the history)."""
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=round.pk)
        if rnd.status == RoundStatus.PUBLISHED:
            raise _fail(
                "公開済みの回は割り当てをやり直せません",
                "a published round cannot be allocated again",
                rnd.round_id,
            )
        try:
            problem = parse_problem(rnd.input).with_policy(objective=objective, time_limit_s=time_limit_s)
        except InputError as exc:
            raise NurseryError(exc.issues) from exc
        result = _verified(problem, allocate_seats(problem))
        rnd.input = problem.to_dict()
        rnd.result = result
        rnd.engine_result = result
        rnd.objective = objective
        rnd.status = RoundStatus.ALLOCATED
        rnd.allocated_at = timezone.now()
        rnd.save()
    return rnd


def result_for_outcome(problem: Problem, outcome: Mapping[str, int | None], base: Mapping[str, Any]) -> dict:
    """The result document for a household outcome chosen by staff (same format as the engine's)."""
    market = compile_market(problem)
    vector = [outcome.get(hid) for hid in market.household_ids]
    assigned = assignment_of(market, vector)
    pairs = [(market.household_ids[h], p) for h, p in blocking_pairs(market, vector)]
    explained, cutoffs = explanations(market, vector)
    result = copy.deepcopy(dict(base))
    result["assignments"] = {
        market.child_ids[c]: (None if d == NONE else market.facility_ids[d]) for c, d in enumerate(assigned)
    }
    result["households"] = {market.household_ids[h]: o for h, o in enumerate(vector)}
    result["blocking_pairs"] = [{"household": hid, "tuple_index": p} for hid, p in pairs]
    result["cutoffs"] = cutoffs
    result["explanations"] = explained
    summary = result.setdefault("meta", {}).setdefault("summary", {})
    summary.update(
        placed=sum(1 for d in assigned if d != NONE),
        first_choices=sum(1 for o in vector if o == 0),
        blocking_pairs=len(pairs),
    )
    return result


def override_assignment(*, round: Round, child_id: str, facility_id: str | None, reason: str, staff):
    """Give one child another facility (one of its household's choices) or none; `reason` is required.

    The new result is verified (capacity, transfer seats…) and stored; its blocking pairs are returned and
    kept with the override so the page can show them. Audited (action "override"). Returns the Override.
    """
    reason = (reason or "").strip()
    facility_id = facility_id or None
    if not reason:
        raise _fail("変更の理由を入力してください", "enter the reason for the change", "理由")
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=round.pk)
        if rnd.status != RoundStatus.ALLOCATED:
            raise _fail(
                "割り当て済みで未公開の回だけ変更できます",
                "only an allocated, unpublished round can be changed",
                rnd.round_id,
            )
        problem = parse_problem(rnd.input)
        household = next((h for h in problem.households if any(c.id == child_id for c in h.children)), None)
        if household is None:
            raise _fail(
                f"児童ID {child_id} はこの回にいません", f"child {child_id} is not in this round", "児童ID"
            )
        j = next(i for i, c in enumerate(household.children) if c.id == child_id)
        assignments = rnd.result["assignments"]
        current = [assignments.get(c.id) for c in household.children]

        # A transfer applicant's null means "stays"; compare on the effective facility.
        def effective(tuple_: tuple, i: int) -> str | None:
            return tuple_[i] if tuple_[i] is not None else household.children[i].enrolled_facility

        target = facility_id if facility_id is not None else household.children[j].enrolled_facility
        matching = [p for p, t in enumerate(household.preferences) if effective(t, j) == target]
        same_siblings = [
            p
            for p in matching
            if all(
                effective(household.preferences[p], i) == current[i] for i in range(len(current)) if i != j
            )
        ]
        if same_siblings or matching:
            outcome: int | None = (same_siblings or matching)[0]
        elif facility_id is None:
            outcome = None
        else:
            raise _fail(
                f"施設 {facility_id} はこの世帯の希望に含まれていません。希望した施設か「割り当てなし」を選んでください",
                f"facility {facility_id} is not among this household's choices; choose one of them or none",
                "施設",
            )
        chosen = dict(rnd.result["households"])
        chosen[household.id] = outcome
        result = _verified(problem, result_for_outcome(problem, chosen, rnd.result))
        pairs = result["blocking_pairs"]
        meta = result.setdefault("meta", {})
        meta["overrides"] = int(meta.get("overrides", 0)) + 1
        override = Override.objects.create(
            round=rnd,
            child_id=child_id,
            facility_id=facility_id,
            reason=reason,
            staff=staff,
            blocking_pairs=pairs,
        )
        rnd.result = result
        rnd.save(update_fields=["result", "updated_at"])
        link = RoundCase.objects.filter(round=rnd, child_id=child_id).select_related("case").first()
        audit.record_access(
            actor=staff,
            action="override",
            object_type="nursery.round",
            object_id=f"{rnd.round_id}:{child_id}",
            person_id=link.case.person_id if link else None,
            fields=("assignment",),
            purpose=reason,
        )
    return override


# ---------------------------------------------------------------------------------------------------------
# Explanations and publishing
# ---------------------------------------------------------------------------------------------------------


def _choice(p: int, lang: str) -> str:
    if lang == "en":
        return {0: "1st", 1: "2nd", 2: "3rd"}.get(p, f"{p + 1}th") + " choice"
    return f"第{p + 1}希望"


def explanation_index(problem_doc: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, tuple[dict, dict]]]:
    """(facility names, {child id: (household, child)}) of an input document, for `plain_explanation`."""
    names = {f["id"]: f.get("name") or f["id"] for f in problem_doc["facilities"]}
    children = {c["id"]: (h, c) for h in problem_doc["households"] for c in h["children"]}
    return names, children


def plain_explanation(
    problem_doc: Mapping[str, Any], result: Mapping[str, Any], child_id: str, lang: str, *, index=None
):
    """(kind "offered" | "stays" | "on_hold", headline, [lines]) in plain language for one child.
    Pass `index=explanation_index(problem_doc)` when explaining many children of one round."""
    names, children = index or explanation_index(problem_doc)
    household, child = children[child_id]
    facility = result["assignments"].get(child_id)
    outcome = result["households"].get(household["id"])
    age = child["age_class"]
    en = lang == "en"
    kind = (
        "on_hold"
        if facility is None
        else "stays"
        if facility == child.get("enrolled_facility")
        else "offered"
    )
    if kind == "offered":
        which = _choice(outcome, lang) + (" " if en else "の") if outcome is not None else ""
        headline = (
            f"Place offered (内定): {which}{names[facility]}, age-{age} class."
            if en
            else f"{which}{names[facility]}（{age}歳児クラス）に内定しました。"
        )
    elif kind == "stays":
        headline = (
            f"Your child stays at {names[facility]}; no move was possible this time (保留)."
            if en
            else f"転園先が決まらなかったため保留となりました。現在の{names[facility]}での利用は続きます。"
        )
    else:
        headline = (
            "On hold (保留): no place could be offered at your chosen facilities this time."
            if en
            else "ご希望の施設に空きがなかったため、保留となりました。"
        )
    lines = []
    for entry in (result.get("explanations") or {}).get(child_id, []):
        p, g = entry["tuple_index"], entry["age_class"]
        name = names.get(entry["facility"], entry["facility"])
        choice = _choice(p, lang)
        reason = entry.get("reason")
        if reason == "full" and entry.get("needed", 1) > 1:
            lines.append(
                f"{choice} ({name}, age-{g} class) needed {entry['needed']} places for siblings; not enough were free."
                if en
                else f"{choice}の{name}（{g}歳児クラス）は、きょうだいで{entry['needed']}人分の枠が必要でしたが、空きが足りませんでした。"
            )
        elif reason == "full" and entry.get("cutoff"):
            points = entry["cutoff"][0]
            lines.append(
                f"{choice} ({name}, age-{g} class) was full; the last child admitted had {points} points."
                if en
                else f"{choice}の{name}（{g}歳児クラス）は定員に達しており、入所の基準となる指数は{points}点でした。"
            )
        elif reason == "full":
            lines.append(
                f"{choice} ({name}, age-{g} class) had no places this time."
                if en
                else f"{choice}の{name}（{g}歳児クラス）は今回の募集枠がありませんでした。"
            )
        elif reason == "sibling":
            blocked = entry.get("blocked_by") or {}
            other = names.get(blocked.get("facility"), blocked.get("facility"))
            lines.append(
                f"{choice}: there was room at {name}, but not for the sibling at {other} (age-{blocked.get('age_class')} class)."
                if en
                else f"{choice}の{name}には空きがありましたが、きょうだいの希望先（{other}の{blocked.get('age_class')}歳児クラス）に空きがなかったため、この組み合わせは成立しませんでした。"
            )
        else:
            lines.append(
                f"{choice} ({name}, age-{g} class) could have taken your child; the division is checking this."
                if en
                else f"{choice}の{name}（{g}歳児クラス）は受け入れ可能な状態でした。担当課で確認しています。"
            )
    lines.append(
        f"Your household's priority points (指数): {household['score']}."
        if en
        else f"世帯の指数は{household['score']}点でした。"
    )
    return kind, headline, lines


def publish_round(*, round: Round, staff) -> int:
    """Publish once: a 内定 / 保留 notice for each household linked to a case. Returns notices sent (0 the
    second time)."""
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=round.pk)
        if rnd.status == RoundStatus.PUBLISHED:
            return 0
        if rnd.status != RoundStatus.ALLOCATED:
            raise _fail(
                "割り当てを実行してから公開してください", "run the allocation before publishing", rnd.round_id
            )
        sent = 0
        now = timezone.now()
        index = explanation_index(rnd.input)
        for link in rnd.case_links.select_related("case", "case__applicant").filter(notified_at__isnull=True):
            case = link.case
            kind, head_ja, lines_ja = plain_explanation(
                rnd.input, rnd.result, link.child_id, "ja", index=index
            )
            _, head_en, lines_en = plain_explanation(rnd.input, rnd.result, link.child_id, "en", index=index)
            offered = kind == "offered"
            if case.applicant_id is not None:
                send_notice(
                    recipient=case.applicant,
                    case=case,
                    kind=NOTICE_KIND,
                    title_ja=f"保育施設等の利用調整の結果（{'内定' if offered else '保留'}）",
                    title_en=f"Nursery allocation result ({'place offered' if offered else 'on hold'})",
                    body_ja="\n".join(
                        [f"受付番号 {case.reference}（{rnd.round_id} の利用調整）", head_ja, *lines_ja]
                    ),
                    body_en="\n".join(
                        [f"Case {case.reference} (allocation round {rnd.round_id})", head_en, *lines_en]
                    ),
                )
                sent += 1
            link.notified_at = now
            link.save(update_fields=["notified_at"])
        rnd.status = RoundStatus.PUBLISHED
        rnd.published_at = now
        rnd.published_by = staff
        rnd.save(update_fields=["status", "published_at", "published_by", "updated_at"])
        audit.record_access(
            actor=staff,
            action="publish",
            object_type="nursery.round",
            object_id=rnd.round_id,
            fields=("result",),
            purpose="保育施設等の利用調整結果の公開",
        )
    return sent
