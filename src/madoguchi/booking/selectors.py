"""Reads for the booking pages: calendars, free seats, today's bookings, the queue and waiting times."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from madoguchi.booking import calendar
from madoguchi.booking.models import (
    ACTIVE_STATUSES,
    AppointmentType,
    Booking,
    CalendarException,
    OpeningHours,
    Slot,
    Ticket,
    TicketStatus,
    Window,
)


def calendar_of(window: Window) -> calendar.Calendar:
    """The window's calendar: its weekly hours (the default 8:30–17:15 on weekdays when none are set) and the
    exceptions for it and for every window."""
    hours = list(OpeningHours.objects.filter(window=window))
    weekly: dict[int, tuple[calendar.Period, ...]] = {}
    for row in hours:
        weekly[row.weekday] = (*weekly.get(row.weekday, ()), calendar.Period(row.opens, row.closes))
    exceptions = tuple(
        calendar.CalendarException(
            day=row.day,
            kind=row.kind,
            periods=(calendar.Period(row.opens, row.closes),) if row.opens and row.closes else (),
            note=row.note_ja,
        )
        for row in CalendarException.objects.filter(Q(window=window) | Q(window__isnull=True))
    )
    return calendar.Calendar(
        weekly=weekly if hours else dict(calendar.DEFAULT_WEEKLY_HOURS), exceptions=exceptions
    )


def local_datetime(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


@dataclass(frozen=True)
class SlotView:
    starts_at: dt.datetime
    capacity: int
    booked: int

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.booked)

    @property
    def value(self) -> str:
        return timezone.localtime(self.starts_at).strftime("%Y-%m-%dT%H:%M")


def slots_on(
    appointment_type: AppointmentType, day: dt.date, *, cal: calendar.Calendar | None = None
) -> list[SlotView]:
    """Every slot of the day with its free seats; past slots left out."""
    cal = cal or calendar_of(appointment_type.window)
    now = timezone.now()
    starts = [local_datetime(day, t) for t in cal.slots_on(day, appointment_type.slot_minutes)]
    taken = {
        s.starts_at: s for s in Slot.objects.filter(appointment_type=appointment_type, starts_at__in=starts)
    }
    out = []
    for start in starts:
        if start <= now:
            continue
        slot = taken.get(start)
        out.append(
            SlotView(start, slot.capacity if slot else appointment_type.capacity, slot.booked if slot else 0)
        )
    return out


@dataclass(frozen=True)
class DayView:
    day: dt.date
    free: int


def bookable_days(appointment_type: AppointmentType, *, days: int = 21) -> list[DayView]:
    """The next open days within the booking horizon, with how many seats are free on each."""
    cal = calendar_of(appointment_type.window)
    today = timezone.localdate()
    horizon = min(days, appointment_type.horizon_days + 1)
    out = []
    for day in cal.open_days(today, horizon):
        slots = slots_on(appointment_type, day, cal=cal)
        if slots:  # today after the last slot has begun is no longer offered (it is not "full")
            out.append(DayView(day, sum(s.remaining for s in slots)))
    return out


def active_types():
    return AppointmentType.objects.filter(is_active=True, window__is_active=True).select_related("window")


def booking_by_reference(reference: str) -> Booking | None:
    cleaned = "".join(ch for ch in reference.upper() if ch.isalnum())[:12]
    if not cleaned:
        return None
    return Booking.objects.select_related("appointment_type__window").filter(reference=cleaned).first()


def bookings_of_user(user) -> list[Booking]:
    """The resident's own bookings from today on (My Page)."""
    return list(
        Booking.objects.filter(user=user, status__in=ACTIVE_STATUSES, day__gte=timezone.localdate())
        .select_related("appointment_type__window", "case")
        .order_by("starts_at")
    )


def bookings_of_case(case) -> list[Booking]:
    return list(
        Booking.objects.filter(case=case, status__in=ACTIVE_STATUSES).select_related(
            "appointment_type__window"
        )
    )


def bookings_on(*, window: Window, day: dt.date) -> list[Booking]:
    """A window's bookings of a day, for the counter (the caller audits the look)."""
    return list(
        Booking.objects.filter(appointment_type__window=window, day=day, status__in=ACTIVE_STATUSES)
        .select_related("appointment_type", "case", "ticket")
        .order_by("starts_at", "id")
    )


def called_tickets(*, window: Window | None = None, limit: int = 6) -> list[Ticket]:
    """The most recently called numbers of today (the waiting-room display)."""
    qs = Ticket.objects.filter(day=timezone.localdate(), called_at__isnull=False).select_related("window")
    if window is not None:
        qs = qs.filter(window=window)
    return list(qs.order_by("-called_at", "-id")[:limit])


@dataclass(frozen=True)
class WaitingTime:
    window: Window
    waiting: int  # people holding a number not yet called
    minutes: int  # estimated wait for a number taken now
    service_minutes: float  # measured today (or the default until someone was served)
    measured: bool  # False while the default is used
    desks: int


def waiting_times() -> list[WaitingTime]:
    """Per active window: people waiting and the estimated wait, from today's measured service times."""
    today = timezone.localdate()
    now = timezone.now()
    out = []
    tickets = list(
        Ticket.objects.filter(day=today).values("window_id", "status", "called_at", "done_at", "called_by_id")
    )
    for window in Window.objects.filter(is_active=True):
        mine = [t for t in tickets if t["window_id"] == window.pk]
        waiting = sum(1 for t in mine if t["status"] == TicketStatus.WAITING)
        durations = [
            (t["done_at"] - t["called_at"]).total_seconds() / 60
            for t in mine
            if t["status"] == TicketStatus.DONE and t["called_at"] and t["done_at"]
        ]
        measured = bool(durations)
        service = (
            sum(durations) / len(durations) if durations else float(settings.BOOKING_DEFAULT_SERVICE_MINUTES)
        )
        recent = now - dt.timedelta(hours=1)
        desks = len({t["called_by_id"] for t in mine if t["called_at"] and t["called_at"] >= recent}) or 1
        minutes = math.ceil(waiting * service / desks)
        out.append(WaitingTime(window, waiting, minutes, round(service, 1), measured, desks))
    return out


@dataclass(frozen=True)
class VisitSummary:
    """The visit of a case whose procedure needs one: its booking, or where to book it."""

    booking: Booking | None
    text: str  # "転入・転出の届出 2026年12月08日（火）09:30 市民課窓口"
    book_url: str  # the booking page for this case ("" when booked or the type is not open for booking)


def visit_of_case(*, case, appointment_type_code: str | None, lang: str) -> VisitSummary | None:
    """For the receipt, My Page, the case screens: None when the case's procedure needs no visit."""
    from django.urls import reverse

    from madoguchi.booking.services import describe

    bookings = bookings_of_case(case)
    if bookings:
        return VisitSummary(bookings[0], describe(bookings[0], lang), "")
    if not appointment_type_code:
        return None
    if not active_types().filter(code=appointment_type_code).exists():
        return VisitSummary(None, "", "")
    url = reverse("booking:choose", args=[appointment_type_code]) + f"?case={case.reference}"
    return VisitSummary(None, "", url)
