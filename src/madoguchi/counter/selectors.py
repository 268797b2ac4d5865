"""Reads of the life-event guide: the guide files, the published procedures they name, department names, and
the answers the register (住民記録) gives for a verified resident.

Guide files are read from `guides_directory()` and parsed once per file and process; a changed file (its
modification time or size) is parsed again on the next request, so an edit needs no restart. A file with
problems is left out of the portal and logged; `madoguchi guides check` lists its problems.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from madoguchi.accounts import selectors as account_selectors
from madoguchi.accounts.models import Department, User
from madoguchi.cases.models import Case
from madoguchi.counter import guide as engine
from madoguchi.counter.models import Visit, VisitForm
from madoguchi.procedures import selectors as procedure_selectors
from madoguchi.procedures.models import Procedure
from madoguchi.residents import selectors as resident_selectors

logger = logging.getLogger(__name__)

_GUIDE_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_cache: dict[Path, tuple[tuple[int, int], engine.Guide | None]] = {}
_cache_lock = Lock()


def guides_directory() -> Path:
    """settings.GUIDES_DIR when set, else `guides/` next to the procedures directory."""
    configured = getattr(settings, "GUIDES_DIR", None)
    if configured:
        return Path(configured)
    return Path(settings.PROCEDURES_DIR).parent / "guides"


def _load(path: Path) -> engine.Guide | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        guide: engine.Guide | None = engine.load_guide_file(path)
    except engine.GuideFileError as exc:
        logger.error("Guide file %s is not shown: it has problems (madoguchi guides check):\n%s", path, exc)
        guide = None
    with _cache_lock:
        _cache[path] = (key, guide)
    return guide


def guides() -> list[engine.Guide]:
    """Every valid guide, by `order` then id."""
    directory = guides_directory()
    if not directory.is_dir():
        return []
    loaded = [_load(path) for path in sorted(directory.glob("*.yaml"))]
    return sorted((g for g in loaded if g is not None), key=lambda g: (g.order, g.id))


def get_guide(guide_id: str) -> engine.Guide | None:
    """The guide `guide_id` (the file name without .yaml), or None when there is no valid one."""
    if not _GUIDE_ID_RE.match(guide_id or ""):
        return None
    return _load(guides_directory() / f"{guide_id}.yaml")


def procedure_refs() -> dict[str, engine.ProcedureRef]:
    """The active procedures of the catalog as the guide uses them (online only while the catalog says so)."""
    refs = {}
    for procedure in procedure_selectors.catalog():
        spec = procedure_selectors.spec_of(procedure.current_version)
        refs[procedure.slug] = engine.ProcedureRef.from_spec(
            spec, online=bool(procedure.online and spec.online)
        )
    return refs


def department_names(lang: str) -> dict[str, str]:
    """Department code → its name in `lang`, as the installation calls it (accounts.Department)."""
    return {d.code: d.name_for(lang) for d in Department.objects.all()}


@dataclass(frozen=True)
class RegistryAnswers:
    """What the register answers for one guide: question id → yes/no, and an event date (or None)."""

    answers: dict[str, str]
    event_date: dt.date | None

    def __bool__(self) -> bool:
        return bool(self.answers) or self.event_date is not None


def registry_answers_for(
    user, guide: engine.Guide, *, today: dt.date, event_date: dt.date | None = None
) -> RegistryAnswers | None:
    """The guide's `prefill` answers for a resident whose account is linked to the register (verified).

    Only birth dates are read: the resident's own (accounts.selectors.active_link_of, as form pre-fill does)
    and those of the household on the day (residents.selectors.household_members_as_of). Nothing is shown
    but yes/no answers and the date the resident reaches an age. Like form pre-fill, a resident's read of
    their own register record is not an audited staff access; no address is read, so no 支援措置 refusal.
    None for everyone else, and when the guide pre-fills nothing.
    """
    wants_household = any(q.prefill and q.prefill.startswith("household.") for q in guide.questions)
    wants_person = any(q.prefill and q.prefill.startswith("person.") for q in guide.questions) or bool(
        guide.event_date is not None and guide.event_date.prefill
    )
    if not (wants_household or wants_person):
        return None
    link = account_selectors.active_link_of(user)
    if link is None or link.assurance_level not in account_selectors.ASSURANCE_FOR_IDENTITY_LEVEL["verified"]:
        return None
    person = link.person
    birth_date = None if person.birth_date_text else person.birth_date
    household: list[engine.HouseholdMember] = []
    if wants_household:
        members = resident_selectors.household_members_as_of(person.household.number, event_date or today)
        household = [engine.HouseholdMember(m.birth_date, is_self=m.person_id == person.pk) for m in members]
    answers, prefilled_date = engine.registry_answers(
        guide, birth_date=birth_date, household=household, today=today, event_date=event_date
    )
    return RegistryAnswers(answers=answers, event_date=prefilled_date)


def online_procedures_for(
    guide: engine.Guide, answers: dict[str, str], *, event_date: dt.date | None = None
) -> list[engine.ProcedureRef]:
    """The online procedures a guide's answers certainly call for, in the guide's order: what a resident can
    fill in at once for the counter (a pre-fill bundle)."""
    refs = procedure_refs()
    return [
        refs[item.procedure]
        for item in engine.evaluate(guide, answers, procedures=refs, event_date=event_date)
        if item.procedure and item.certain and item.where.kind == "online"
    ]


@dataclass(frozen=True)
class Suggestion:
    """A procedure of procedures/ that a guide names for the answers: certain, or depending on a question."""

    ref: engine.ProcedureRef
    certain: bool


def procedures_for(
    guide: engine.Guide, answers: dict[str, str], *, event_date: dt.date | None = None
) -> list[Suggestion]:
    """Every procedure of procedures/ (online or done at a window) the guide names for the answers: the forms
    a clerk can fill in at the counter, in the guide's order."""
    refs = procedure_refs()
    return [
        Suggestion(refs[item.procedure], item.certain)
        for item in engine.evaluate(guide, answers, procedures=refs, event_date=event_date)
        if item.procedure
    ]


# --- Visit figures (staff) -------------------------------------------------------------------------------------

FIGURE_PERIODS = (7, 30, 90)  # days a staff member may choose on the figures page
DEFAULT_FIGURE_PERIOD = 30
MAX_FIGURE_VISITS = 50_000  # bound of the visits read into Python (90 days of a large counter fit easily)
SHARE_CHANNELS = ("online", "counter", "paper")  # the channels the shares are given for; the rest is "other"


@dataclass(frozen=True)
class StepTimes:
    """Visits of a group and their average minutes between steps (None when no visit reached the step)."""

    label: str
    visits: int
    arrival_to_printed: float | None
    printed_to_signed: float | None
    signed_to_done: float | None
    arrival_to_done: float | None


@dataclass(frozen=True)
class ChannelShare:
    """Cases of one procedure created in the period, and the percentage of each channel (online/counter/paper,
    then "other" for the rest)."""

    label: str
    total: int
    percent: dict[str, float]


@dataclass(frozen=True)
class VisitFigures:
    since: dt.datetime
    until: dt.datetime
    visits: int
    prefilled: int
    by_clerk: list[StepTimes]
    by_procedure: list[StepTimes]
    by_hour: list[tuple[int, int]]  # (hour 0–23 local time, visits), every hour
    by_day: list[tuple[dt.date, int]]  # (local date, visits), every day of the period
    channel_shares: list[ChannelShare]

    @property
    def prefilled_percent(self) -> float | None:
        return round(100 * self.prefilled / self.visits, 1) if self.visits else None


def _average_minutes(spans: list[dt.timedelta]) -> float | None:
    if not spans:
        return None
    return round(sum(s.total_seconds() for s in spans) / len(spans) / 60, 1)


def _step_times(label: str, rows: list[dict]) -> StepTimes:
    def spans(start: str, end: str) -> list[dt.timedelta]:
        return [r[end] - r[start] for r in rows if r[start] is not None and r[end] is not None]

    return StepTimes(
        label=label,
        visits=len(rows),
        arrival_to_printed=_average_minutes(spans("arrived_at", "printed_at")),
        printed_to_signed=_average_minutes(spans("printed_at", "signed_at")),
        signed_to_done=_average_minutes(spans("signed_at", "done_at")),
        arrival_to_done=_average_minutes(spans("arrived_at", "done_at")),
    )


def visit_figures(
    *, since: dt.datetime, until: dt.datetime, department_id: int | None = None, lang: str = "ja"
) -> VisitFigures:
    """The counter's visits that arrived in [since, until): per clerk and per procedure (a visit counts for
    each of its procedures) the number of visits and the average minutes between the steps, counting only
    visits that reached both steps; visits per local hour and per local day; how many came with a pre-fill.

    Channel shares are of the cases created in the period, per procedure of `department_id` only (none when
    it is None: a staff member without a department sees the counter's figures only).
    """
    period = Visit.objects.filter(arrived_at__gte=since, arrived_at__lt=until)
    fields = ("id", "clerk_id", "from_bundle", "arrived_at", "printed_at", "signed_at", "done_at")
    rows = list(period.order_by("arrived_at", "id").values(*fields)[:MAX_FIGURE_VISITS])
    by_id = {r["id"]: r for r in rows}

    clerks = {u.pk: str(u) for u in User.objects.filter(pk__in={r["clerk_id"] for r in rows})}
    per_clerk: dict[int, list[dict]] = {}
    for r in rows:
        per_clerk.setdefault(r["clerk_id"], []).append(r)
    by_clerk = sorted(
        (_step_times(clerks.get(pk, str(pk)), group) for pk, group in per_clerk.items()),
        key=lambda s: s.label,
    )

    per_procedure: dict[int, list[dict]] = {}
    form_rows = VisitForm.objects.filter(visit_id__in=by_id).values_list("visit_id", "procedure_id")
    for visit_id, procedure_id in form_rows:
        per_procedure.setdefault(procedure_id, []).append(by_id[visit_id])
    procedures = {p.pk: p.name_for(lang) for p in Procedure.objects.filter(pk__in=per_procedure)}
    by_procedure = sorted(
        (_step_times(procedures[pk], group) for pk, group in per_procedure.items()), key=lambda s: s.label
    )

    tz = timezone.get_current_timezone()
    hours = dict(
        period.annotate(hour=ExtractHour("arrived_at", tzinfo=tz))
        .values("hour")
        .annotate(n=Count("id"))
        .values_list("hour", "n")
    )
    days = dict(
        period.annotate(day=TruncDate("arrived_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    first_day = timezone.localtime(since, tz).date()
    last_day = timezone.localtime(until - dt.timedelta(microseconds=1), tz).date()
    by_day = [
        (first_day + dt.timedelta(days=i), days.get(first_day + dt.timedelta(days=i), 0))
        for i in range((last_day - first_day).days + 1)
    ]

    shares: list[ChannelShare] = []
    if department_id is not None:
        counts: dict[int, dict[str, int]] = {}
        case_rows = (
            Case.objects.filter(
                created_at__gte=since, created_at__lt=until, procedure__department_id=department_id
            )
            .values("procedure_id", "channel")
            .annotate(n=Count("id"))
            .values_list("procedure_id", "channel", "n")
        )
        for procedure_id, channel, n in case_rows:
            key = channel if channel in SHARE_CHANNELS else "other"
            per = counts.setdefault(procedure_id, {})
            per[key] = per.get(key, 0) + n
        names = {p.pk: p.name_for(lang) for p in Procedure.objects.filter(pk__in=counts)}
        for procedure_id, per in counts.items():
            total = sum(per.values())
            percent = {k: round(100 * per.get(k, 0) / total, 1) for k in (*SHARE_CHANNELS, "other")}
            shares.append(ChannelShare(label=names[procedure_id], total=total, percent=percent))
        shares.sort(key=lambda s: s.label)

    return VisitFigures(
        since=since,
        until=until,
        visits=period.count(),
        prefilled=period.filter(from_bundle=True).count(),
        by_clerk=by_clerk,
        by_procedure=by_procedure,
        by_hour=[(h, hours.get(h, 0)) for h in range(24)],
        by_day=by_day,
        channel_shares=shares,
    )
