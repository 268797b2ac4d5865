"""Every read of the benefits room: programs, the household's confirmation, conflicts, the reconciliation."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from .models import (
    Application,
    ApplicationStatus,
    Channel,
    Confirmation,
    Eligibility,
    Payment,
    PaymentStatus,
    Program,
)

STATES = ("paid", "pending", "rejected", "returned")


def program_by_slug(slug: str) -> Program | None:
    return Program.objects.filter(slug=slug).first()


def programs() -> list[Program]:
    return list(Program.objects.order_by("-base_date", "slug"))


def confirmations_of_household(household_id: int) -> list[Confirmation]:
    """The household's 確認書 of every program it is eligible for (My Page)."""
    return list(
        Confirmation.objects.filter(eligibility__household_id=household_id, eligibility__active=True)
        .select_related("eligibility__program")
        .order_by("-eligibility__program__base_date")
    )


def applications_of_household(program_id: int, household_id: int) -> list[Application]:
    return list(
        Application.objects.filter(program_id=program_id, household_id=household_id).order_by(
            "submitted_at", "pk"
        )
    )


def conflicts(program: Program) -> list[list[Application]]:
    """Households with an application in conflict: all their open applications, side by side."""
    households = (
        Application.objects.filter(program=program, status=ApplicationStatus.CONFLICT)
        .values_list("household_id", flat=True)
        .distinct()
    )
    grouped: dict[int, list[Application]] = defaultdict(list)
    for application in (
        Application.objects.filter(program=program, household_id__in=list(households[:200]))
        .select_related("household")
        .order_by("household_id", "submitted_at", "pk")
    ):
        grouped[application.household_id].append(application)
    return list(grouped.values())


@dataclass
class Reconciliation:
    """eligible = applied + not_applied; applied = paid + pending + rejected + returned (per channel too)."""

    eligible: int = 0
    applied: int = 0
    not_applied: int = 0
    by_state: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    amount_eligible: int = 0
    amount_paid: int = 0

    def holds(self) -> bool:
        channels_ok = all(
            sum(states.values()) == sum(self.by_channel[c][s] for s in STATES)
            for c, states in self.by_channel.items()
        )
        per_state = all(self.by_state[s] == sum(ch[s] for ch in self.by_channel.values()) for s in STATES)
        return (
            self.eligible == self.applied + self.not_applied
            and self.applied == sum(self.by_state.values())
            and channels_ok
            and per_state
        )


def _state(status: str, payment_status: str | None) -> str:
    if payment_status == PaymentStatus.PAID:
        return "paid"
    if payment_status == PaymentStatus.RETURNED and status == ApplicationStatus.RETURNED_TO_RESIDENT:
        return "returned"
    if status == ApplicationStatus.REJECTED:
        return "rejected"
    return "pending"


def reconciliation(program: Program) -> Reconciliation:
    """Each eligible household counted once, by its deciding application: the one with the latest payment,
    else the latest open one, else the latest (rejected) one."""
    result = Reconciliation()
    eligible = Eligibility.objects.filter(program=program, active=True)
    totals = eligible.aggregate(n=Count("id"), amount=Sum("amount"))
    result.eligible, result.amount_eligible = totals["n"], totals["amount"] or 0
    result.amount_paid = (
        Payment.objects.filter(program=program, status=PaymentStatus.PAID).aggregate(s=Sum("amount"))["s"]
        or 0
    )
    last_payment = {
        app_id: status
        for app_id, status in Payment.objects.filter(program=program)
        .order_by("pk")
        .values_list("application_id", "status")
    }
    deciding: dict[int, tuple[int, int, str, str]] = {}
    open_rank = {
        s: 1
        for s in (
            ApplicationStatus.RECEIVED,
            ApplicationStatus.CONFLICT,
            ApplicationStatus.RETURNED_TO_RESIDENT,
            ApplicationStatus.APPROVED,
        )
    }
    for app_id, household_id, status, channel in (
        Application.objects.filter(program=program, eligibility__active=True)
        .order_by("pk")
        .values_list("id", "household_id", "status", "channel")
    ):
        rank = 2 if app_id in last_payment else open_rank.get(status, 0)
        if household_id not in deciding or rank >= deciding[household_id][0]:
            deciding[household_id] = (rank, app_id, status, channel)
    result.by_channel = {c: dict.fromkeys(STATES, 0) for c in Channel.values}
    for _rank, app_id, status, channel in deciding.values():
        state = _state(status, last_payment.get(app_id))
        result.by_state[state] += 1
        result.by_channel[channel][state] += 1
    result.applied = len(deciding)
    result.not_applied = result.eligible - result.applied
    return result


@dataclass
class DayRow:
    day: dt.date
    applied: Counter = field(default_factory=Counter)  # by channel
    approved: int = 0
    paid: int = 0
    returned: int = 0


def per_day(program: Program) -> list[DayRow]:
    """Applications per channel, approvals, payments and returns per day (the dashboard's chart and CSV)."""
    days: dict[dt.date, DayRow] = {}

    def row(day: dt.date) -> DayRow:
        return days.setdefault(day, DayRow(day=day))

    for day, channel, n in (
        Application.objects.filter(program=program)
        .annotate(day=TruncDate("submitted_at"))
        .values_list("day", "channel")
        .annotate(n=Count("id"))
        .order_by()
    ):
        row(day).applied[channel] += n
    for day, n in (
        Payment.objects.filter(program=program)
        .annotate(day=TruncDate("approved_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .order_by()
    ):
        row(day).approved += n
    for day, paid, returned in (
        Payment.objects.filter(program=program, settled_at__isnull=False)
        .annotate(day=TruncDate("settled_at"))
        .values_list("day")
        .annotate(
            paid=Count("id", filter=Q(status=PaymentStatus.PAID)),
            returned=Count("id", filter=Q(status=PaymentStatus.RETURNED)),
        )
        .order_by()
    ):
        row(day).paid += paid
        row(day).returned += returned
    return [days[d] for d in sorted(days)]


def dashboard_figures(program: Program) -> dict[str, int]:
    counts = Payment.objects.filter(program=program).aggregate(
        approved=Count("id", filter=~Q(status=PaymentStatus.CANCELLED)),
        paid=Count("id", filter=Q(status=PaymentStatus.PAID)),
        returned=Count("id", filter=Q(status=PaymentStatus.RETURNED)),
        to_export=Count("id", filter=Q(status=PaymentStatus.APPROVED)),
    )
    confirmations = Confirmation.objects.filter(
        eligibility__program=program, eligibility__active=True
    ).aggregate(all=Count("id"), printed=Count("id", filter=Q(printed_at__isnull=False)))
    return {
        "eligible": Eligibility.objects.filter(program=program, active=True).count(),
        "confirmations": confirmations["all"],
        "confirmations_printed": confirmations["printed"],
        "received": Application.objects.filter(program=program, status=ApplicationStatus.RECEIVED).count(),
        "conflicts": Application.objects.filter(program=program, status=ApplicationStatus.CONFLICT).count(),
        **counts,
    }
