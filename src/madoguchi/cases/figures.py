"""A department's case figures for its dashboard (/office/dashboard/): open cases by status, channel and
procedure, overdue cases, and per week the cases received and closed, the average handling time and the share
of each procedure arriving online (the KPI municipalities report). Aggregates only: no personal data."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from madoguchi.cases import workflow
from madoguchi.cases.models import Case, Channel, Status

DEFAULT_WEEKS = 8
WEEK_CHOICES = (4, 8, 13, 26)


@dataclass(frozen=True)
class Week:
    start: dt.date  # a Monday
    received: int = 0
    online: int = 0
    closed: int = 0
    average_days: float | None = None  # mean days from submission to closing, of the cases closed this week

    @property
    def online_percent(self) -> float | None:
        return round(100 * self.online / self.received, 1) if self.received else None


@dataclass(frozen=True)
class ProcedureWeeks:
    procedure_id: int
    received: tuple[int, ...]  # per week, in the order of DepartmentFigures.weeks
    online: tuple[int, ...]

    def percents(self) -> list[float | None]:
        return [round(100 * o / r, 1) if r else None for r, o in zip(self.received, self.online, strict=True)]


@dataclass(frozen=True)
class DepartmentFigures:
    open_by_status: list[tuple[str, int]]
    open_by_channel: list[tuple[str, int]]
    open_by_procedure: list[tuple[int, int]]  # (procedure id, n), most first
    overdue: int
    weeks: list[Week]
    by_procedure: list[ProcedureWeeks] = field(default_factory=list)

    @property
    def open_total(self) -> int:
        return sum(n for _, n in self.open_by_status)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def department_figures(
    *, department_id: int, weeks: int = DEFAULT_WEEKS, today: dt.date | None = None
) -> DepartmentFigures:
    """The figures of one department: open cases now, and the last `weeks` weeks (Monday to Sunday, local
    time, the current week last). Counts are grouped in the database; the weekly figures read one row per
    case of the period (submitted or closed in it)."""
    today = today or timezone.localdate()
    cases = Case.objects.filter(department_id=department_id).exclude(status=Status.DRAFT)
    open_cases = cases.filter(status__in=workflow.IN_PROGRESS)
    by_status = dict(open_cases.values_list("status").annotate(n=Count("id")).order_by())
    by_channel = dict(open_cases.values_list("channel").annotate(n=Count("id")).order_by())
    by_procedure = sorted(
        open_cases.values_list("procedure_id").annotate(n=Count("id")).order_by(),
        key=lambda pair: (-pair[1], pair[0]),
    )
    overdue = cases.filter(status__in=workflow.UNDECIDED, due_date__lt=today).count()

    first = _monday(today) - dt.timedelta(weeks=weeks - 1)
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    starts = [first + dt.timedelta(weeks=i) for i in range(weeks)]
    received: Counter = Counter()
    online: Counter = Counter()
    closed: Counter = Counter()
    handling: dict[dt.date, list[float]] = defaultdict(list)
    per_procedure: dict[int, tuple[Counter, Counter]] = defaultdict(lambda: (Counter(), Counter()))
    rows = cases.filter(submitted_at__gte=since).values_list("procedure_id", "channel", "submitted_at")
    for procedure_id, channel, submitted_at in rows.iterator():
        week = _monday(timezone.localtime(submitted_at, tz).date())
        received[week] += 1
        per_procedure[procedure_id][0][week] += 1
        if channel == Channel.ONLINE:
            online[week] += 1
            per_procedure[procedure_id][1][week] += 1
    for submitted_at, closed_at in (
        cases.filter(closed_at__gte=since, submitted_at__isnull=False)
        .values_list("submitted_at", "closed_at")
        .iterator()
    ):
        week = _monday(timezone.localtime(closed_at, tz).date())
        closed[week] += 1
        handling[week].append((closed_at - submitted_at).total_seconds() / 86400)
    return DepartmentFigures(
        open_by_status=[(s, by_status.get(s, 0)) for s in workflow.IN_PROGRESS],
        open_by_channel=[(c, by_channel.get(c, 0)) for c in Channel.values],
        open_by_procedure=by_procedure,
        overdue=overdue,
        weeks=[
            Week(
                start=start,
                received=received[start],
                online=online[start],
                closed=closed[start],
                average_days=round(sum(handling[start]) / len(handling[start]), 1)
                if handling[start]
                else None,
            )
            for start in starts
        ],
        by_procedure=[
            ProcedureWeeks(
                procedure_id=procedure_id,
                received=tuple(counts[0][s] for s in starts),
                online=tuple(counts[1][s] for s in starts),
            )
            for procedure_id, counts in sorted(per_procedure.items())
        ],
    )
