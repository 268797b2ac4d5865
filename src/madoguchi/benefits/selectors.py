"""Every read of the benefits room: programs, the household's confirmation, conflicts, the reconciliation."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from madoguchi.residents.models import PersonPeriod

from .models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Channel,
    Confirmation,
    Eligibility,
    Payment,
    PaymentStatus,
    Program,
    TaxRecord,
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


# --- staff entering applications (counter and paper) ------------------------------------------------


def household_on(person_id: int, day: dt.date) -> int | None:
    """The household `person_id` was registered in on `day` (the base date decides eligibility), or None."""
    return (
        PersonPeriod.objects.filter(person_id=person_id, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .order_by("-valid_from")
        .values_list("household_id", flat=True)
        .first()
    )


def head_on(household_id: int, day: dt.date) -> int | None:
    """The household's head (世帯主) on `day`, else its member with the lowest 宛名番号: whom a 確認書 names."""
    periods = (
        PersonPeriod.objects.filter(household_id=household_id, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .values_list("person_id", "relationship", "person__atena_number")
    )
    ranked = sorted(periods, key=lambda row: (row[1] != "世帯主", row[2]))
    return ranked[0][0] if ranked else None


@dataclass(frozen=True)
class HouseholdEligibility:
    """Whether a household is eligible for a program, and if not, why (for the staff entry screens)."""

    eligibility: Eligibility | None
    reason: str  # "" eligible; not_registered, not_computed, withdrawn, taxed, tax_unknown, not_found
    members: int = 0  # on the base date
    taxed: int = 0
    tax_unknown: int = 0


def household_eligibility(program: Program, household_id: int | None) -> HouseholdEligibility:
    if household_id is None:
        return HouseholdEligibility(None, "not_registered")
    eligibility = (
        Eligibility.objects.filter(program=program, household_id=household_id)
        .select_related("confirmation")
        .first()
    )
    if eligibility is not None and eligibility.active:
        return HouseholdEligibility(eligibility, "", members=eligibility.members)
    if program.eligibility_computed_at is None:
        return HouseholdEligibility(None, "not_computed")
    if eligibility is not None:
        return HouseholdEligibility(None, "withdrawn", members=eligibility.members)
    base = program.base_date
    person_ids = list(
        PersonPeriod.objects.filter(household_id=household_id, valid_from__lte=base)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=base))
        .values_list("person_id", flat=True)
    )
    if program.tax_fiscal_year is None or not person_ids:
        return HouseholdEligibility(None, "not_found", members=len(person_ids))
    records = dict(
        TaxRecord.objects.filter(person_id__in=person_ids, fiscal_year=program.tax_fiscal_year).values_list(
            "person_id", "non_taxed"
        )
    )
    taxed = sum(1 for pid in person_ids if records.get(pid) is False)
    unknown = sum(1 for pid in person_ids if pid not in records)
    reason = "taxed" if taxed else "tax_unknown" if unknown else "not_found"
    return HouseholdEligibility(None, reason, members=len(person_ids), taxed=taxed, tax_unknown=unknown)


def household_applications(program_id: int, household_id: int) -> list[Application]:
    """Every application of the household for the program (every channel), oldest first, with payments."""
    return list(
        Application.objects.filter(program_id=program_id, household_id=household_id)
        .prefetch_related("payments")
        .order_by("submitted_at", "pk")
    )


def confirmation_by_reference(program: Program, text: str) -> Confirmation | None:
    """The program's 確認書 by the number printed on the letter (C<program>-<n>) or the letter's whole QR code
    (MDG1|<reference>|benefit:<slug>|<version>|1/1, as a keyboard-wedge scanner types it); None when it is not
    one."""
    from madoguchi.procedures.forms.printable import parse_qr_payload

    text = unicodedata.normalize("NFKC", text or "").strip()
    if "|" in text:
        try:
            payload = parse_qr_payload(text)
        except ValueError:
            return None
        if payload.procedure != f"benefit:{program.slug}" or not payload.case_number:
            return None
        text = payload.case_number
    number = text.replace(" ", "")
    if not number:
        return None
    # The letter's QR code carries the confirmation's random reference (32 hex digits); the number printed on
    # the letter is C<program>-<n>.
    found = Q(reference=number.lower()) if len(number) == 32 else Q(number=number.upper())
    return (
        Confirmation.objects.filter(found, eligibility__program=program).select_related("eligibility").first()
    )


def entered_today_by(program: Program, staff) -> list[Application]:
    """The counter and paper applications `staff` entered today (the desk's list: 受付番号 only)."""
    from django.utils import timezone

    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return list(
        Application.objects.filter(
            program=program,
            staff=staff,
            channel__in=[Channel.COUNTER, Channel.PAPER],
            submitted_at__gte=start,
        )
        .only("number", "channel", "status", "submitted_at")
        .order_by("-submitted_at")[:30]
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
    """eligible = applied + declined + not_applied; applied = paid + pending + rejected + returned (per channel
    too); declined per channel."""

    eligible: int = 0
    applied: int = 0
    declined: int = 0
    not_applied: int = 0
    by_state: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    declined_by_channel: dict[str, int] = field(default_factory=dict)
    amount_eligible: int = 0
    amount_paid: int = 0
    amount_declined: int = 0  # what the declining households would have been paid
    declined_slots: int = 0  # the declines' rows in the payment table (each decline in effect has one)

    def holds(self) -> bool:
        channels_ok = all(
            sum(states.values()) == sum(self.by_channel[c][s] for s in STATES)
            for c, states in self.by_channel.items()
        )
        per_state = all(self.by_state[s] == sum(ch[s] for ch in self.by_channel.values()) for s in STATES)
        return (
            self.eligible == self.applied + self.declined + self.not_applied
            and self.not_applied >= 0
            and self.applied == sum(self.by_state.values())
            and self.declined == sum(self.declined_by_channel.values())
            and self.declined == self.declined_slots
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
    """Each eligible household counted once: declined when its decline is in effect (it holds the household's
    slot, so the household has no live payment), else by its deciding application — the one with the latest
    payment, else the latest open one, else the latest (rejected) one — else not applied. A decline waiting in
    a conflict or withdrawn does not count: the household is where its applications put it."""
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
    declined: dict[int, tuple[str, int]] = {}  # household → (channel, amount)
    for household_id, channel, amount in (
        Application.objects.filter(
            program=program,
            eligibility__active=True,
            kind=ApplicationKind.DECLINE,
            status=ApplicationStatus.DECLINED,
        )
        .order_by("pk")
        .values_list("household_id", "channel", "eligibility__amount")
    ):
        declined[household_id] = (channel, amount)
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
        Application.objects.filter(
            program=program, eligibility__active=True, kind=ApplicationKind.APPLICATION
        )
        .order_by("pk")
        .values_list("id", "household_id", "status", "channel")
    ):
        if household_id in declined:
            continue
        rank = 2 if app_id in last_payment else open_rank.get(status, 0)
        if household_id not in deciding or rank >= deciding[household_id][0]:
            deciding[household_id] = (rank, app_id, status, channel)
    result.by_channel = {c: dict.fromkeys(STATES, 0) for c in Channel.values}
    for _rank, app_id, status, channel in deciding.values():
        state = _state(status, last_payment.get(app_id))
        result.by_state[state] += 1
        result.by_channel[channel][state] += 1
    result.applied = len(deciding)
    result.declined_by_channel = dict.fromkeys(Channel.values, 0)
    for channel, amount in declined.values():
        result.declined_by_channel[channel] += 1
        result.amount_declined += amount
    result.declined = len(declined)
    result.declined_slots = Payment.objects.filter(
        program=program, status=PaymentStatus.DECLINED, application__eligibility__active=True
    ).count()
    result.not_applied = result.eligible - result.applied - result.declined
    return result


@dataclass
class DayRow:
    day: dt.date
    applied: Counter = field(default_factory=Counter)  # by channel
    declined: Counter = field(default_factory=Counter)  # declines received, by channel
    approved: int = 0
    paid: int = 0
    returned: int = 0


def per_day(program: Program) -> list[DayRow]:
    """Applications and declines received per channel, approvals, payments and returns per day (the dashboard's
    chart and CSV). Like applications, a decline counts on the day it came in, whatever became of it."""
    days: dict[dt.date, DayRow] = {}

    def row(day: dt.date) -> DayRow:
        return days.setdefault(day, DayRow(day=day))

    for day, kind, channel, n in (
        Application.objects.filter(program=program)
        .annotate(day=TruncDate("submitted_at"))
        .values_list("day", "kind", "channel")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counter = row(day).declined if kind == ApplicationKind.DECLINE else row(day).applied
        counter[channel] += n
    for day, n in (
        Payment.objects.filter(program=program)
        .exclude(application__kind=ApplicationKind.DECLINE)  # a decline's row (even withdrawn) is no approval
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
        approved=Count("id", filter=~Q(status__in=[PaymentStatus.CANCELLED, PaymentStatus.DECLINED])),
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
