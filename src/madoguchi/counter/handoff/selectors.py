"""Reads of the hand-off: who may export, which cases were accepted when, the cases as formats read them, and
the exports made. Nothing here is audited by itself: `services.export_cases` writes the one audit row of an
export, which lists every case and person the file holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Min, QuerySet
from django.utils import timezone

from madoguchi.cases import workflow
from madoguchi.cases.models import Case, CaseHistory, Status
from madoguchi.procedures import selectors as procedure_selectors
from madoguchi.procedures.models import Procedure
from madoguchi.residents.models import Person

from .base import CaseRecord, HandoffFormat
from .models import HandoffExport, HandoffExportCase

# Who may hand off their department's accepted cases: the staff who work cases (審査担当, 決裁者, 課管理者).
# An auditor reads the log of exports, never makes one.
EXPORT_ROLES = workflow.REVIEWERS
RECENT_EXPORTS = 20


def may_export(user) -> bool:
    """Whether the user may make hand-off files of their department's accepted cases."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_office_staff
        and user.department_id is not None
        and user.role in EXPORT_ROLES
    )


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class Accepted:
    case: Case
    accepted_at: dt.datetime


def accepted_cases(
    *,
    since: dt.date,
    until: dt.date,
    procedures: Iterable[str] | None = None,
    department_id: int | None = None,
) -> list[Accepted]:
    """Cases accepted (approved: `workflow.ACCEPTED`) from `since` to `until`, both days included (local
    time), oldest acceptance first. A case is accepted once: its `approve` history row dates it."""
    approvals = CaseHistory.objects.filter(
        to_status=Status.APPROVED,
        created_at__gte=_start_of(since),
        created_at__lt=_start_of(until + dt.timedelta(days=1)),
        case__status__in=workflow.ACCEPTED,
    )
    if procedures is not None:
        approvals = approvals.filter(case__procedure__slug__in=list(procedures))
    if department_id is not None:
        approvals = approvals.filter(case__department_id=department_id)
    accepted_at = dict(approvals.values_list("case_id").annotate(at=Min("created_at")).order_by())
    return _with_cases(accepted_at)


def _with_cases(accepted_at: dict[int, dt.datetime]) -> list[Accepted]:
    cases = Case.objects.filter(pk__in=list(accepted_at)).select_related(
        "procedure", "procedure_version", "department", "person"
    )
    found = [Accepted(case, accepted_at[case.pk]) for case in cases]
    return sorted(found, key=lambda a: (a.accepted_at, a.case.pk))


def cases_of_export(export: HandoffExport) -> list[Accepted]:
    """The cases an earlier export held, in its order, with the day they were accepted."""
    ids = list(export.items.order_by("position").values_list("case_id", flat=True))
    accepted_at = dict(
        CaseHistory.objects.filter(case_id__in=ids, to_status=Status.APPROVED)
        .values_list("case_id")
        .annotate(at=Min("created_at"))
        .order_by()
    )
    position = {case_id: index for index, case_id in enumerate(ids)}
    found = _with_cases({case_id: accepted_at.get(case_id, export.created_at) for case_id in ids})
    return sorted(found, key=lambda a: position[a.case.pk])


def _named_person_ids(case: Case, spec) -> set[str]:
    """The registry persons the case's form names: household members chosen from the register."""
    ids: set[str] = set()
    for f in spec.fields:
        if not f.kind.household_choices:
            continue
        value = (case.data or {}).get(f.id)
        for member in value if isinstance(value, list) else [value]:
            if isinstance(member, dict) and str(member.get("id") or "").isdigit():
                ids.add(str(member["id"]))
    return ids


def case_records(accepted: Sequence[Accepted]) -> list[CaseRecord]:
    """The cases as the formats read them: spec, days, the registry persons they name, and whether a 支援措置
    applies to anyone in the households of the applicant or of those persons (then no address is written)."""
    specs = {a.case.pk: procedure_selectors.spec_of(a.case.procedure_version) for a in accepted}
    named = {a.case.pk: _named_person_ids(a.case, specs[a.case.pk]) for a in accepted}
    wanted = {int(i) for ids in named.values() for i in ids}
    persons = Person.objects.in_bulk(list(wanted))
    households = {p.household_id for p in persons.values()}
    households |= {a.case.person.household_id for a in accepted if a.case.person is not None}
    protected = set(
        Person.objects.filter(household_id__in=list(households), support_measure=True)
        .values_list("household_id", flat=True)
        .distinct()
    )
    records = []
    for a in accepted:
        case = a.case
        own = {i: persons[int(i)] for i in named[case.pk] if int(i) in persons}
        case_households = {p.household_id for p in own.values()}
        if case.person is not None:
            case_households.add(case.person.household_id)
        records.append(
            CaseRecord(
                case=case,
                spec=specs[case.pk],
                accepted_on=timezone.localdate(a.accepted_at),
                submitted_on=timezone.localdate(case.submitted_at or a.accepted_at),
                persons=own,
                protected=bool(case_households & protected),
            )
        )
    return records


def person_ids_of(records: Sequence[CaseRecord]) -> list[int]:
    """Every registry person whose data the records carry: the applicants and the persons they name."""
    ids = {r.case.person_id for r in records if r.case.person_id}
    ids |= {p.pk for r in records for p in r.persons.values()}
    return sorted(ids)


def previously_exported(format_name: str, case_ids: Sequence[int]) -> int:
    """How many of these cases an earlier export of the format held."""
    return (
        HandoffExportCase.objects.filter(case_id__in=list(case_ids), export__format=format_name)
        .values("case_id")
        .distinct()
        .count()
    )


def procedures_for(fmt: HandoffFormat, *, department_id: int | None = None) -> list[Procedure]:
    """The procedures whose cases the format takes (of one department), by slug."""
    procedures = Procedure.objects.select_related("department").order_by("slug")
    if fmt.procedures is not None:
        procedures = procedures.filter(slug__in=fmt.procedures)
    if department_id is not None:
        procedures = procedures.filter(department_id=department_id)
    return list(procedures)


def recent_exports(*, department_id: int | None, limit: int = RECENT_EXPORTS) -> QuerySet[HandoffExport]:
    """The latest exports of a department (None: every export), newest first."""
    exports = HandoffExport.objects.select_related("exported_by", "reexport_of").order_by(
        "-created_at", "-id"
    )
    if department_id is not None:
        exports = exports.filter(department_id=department_id)
    return exports[:limit]


def export_of(*, export_id: int, department_id: int | None) -> HandoffExport | None:
    """An export of the department (None: any), or None."""
    exports = HandoffExport.objects.filter(pk=export_id)
    if department_id is not None:
        exports = exports.filter(department_id=department_id)
    return exports.first()


def next_since(format_name: str, *, department_id: int | None, today: dt.date) -> dt.date:
    """Where the next file of the format starts: the day after the department's last export ended (at most
    today), else today."""
    last = (
        HandoffExport.objects.filter(
            format=format_name, department_id=department_id, reexport_of__isnull=True
        )
        .order_by("-until")
        .values_list("until", flat=True)
        .first()
    )
    return min(last + dt.timedelta(days=1), today) if last else today
