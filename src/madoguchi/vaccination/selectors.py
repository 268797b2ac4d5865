"""Reads of the vaccination room for pages and the API: slots with free seats, a resident's bookings, fill."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from madoguchi.vaccination import services
from madoguchi.vaccination.models import Booking, Campaign, Invitation, Slot, Venue


def campaign_or_none(pk: int) -> Campaign | None:
    return Campaign.objects.filter(pk=pk).first()


_KNOWN_CAMPAIGNS: set[int] = set()


def campaign_exists(pk: int) -> bool:
    """Whether campaign `pk` exists; a yes is remembered by the process (the waiting room's entrance asks it
    on every arrival and should not cost a query)."""
    if pk in _KNOWN_CAMPAIGNS:
        return True
    if Campaign.objects.filter(pk=pk).exists():
        _KNOWN_CAMPAIGNS.add(pk)
        return True
    return False


def invitee_by_invitation(pk: int) -> services.Invitee | None:
    row = (
        Invitation.objects.filter(pk=pk)
        .values_list(
            "pk",
            "person_id",
            "campaign_id",
            "campaign__doses",
            "campaign__min_days_between_doses",
            "wave__opens_at",
        )
        .first()
    )
    return services.Invitee(*row) if row else None


def venues_of(campaign_id: int) -> list[Venue]:
    return list(Venue.objects.filter(campaign_id=campaign_id))


def days_with_seats(venue_id: int, *, now: dt.datetime | None = None) -> list[tuple[dt.date, int]]:
    """The days of a venue that still have a free seat, with the free seats of each (Japan time)."""
    now = now or timezone.now()
    rows = (
        Slot.objects.filter(venue_id=venue_id, starts_at__gt=now, booked__lt=F("capacity"))
        .annotate(day=TruncDate("starts_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(free=Sum(F("capacity") - F("booked")))
        .order_by("day")
    )
    return [(row["day"], row["free"]) for row in rows]


def slots_of(venue_id: int, day: dt.date, *, now: dt.datetime | None = None) -> list[Slot]:
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    return list(
        Slot.objects.filter(
            venue_id=venue_id, starts_at__gte=max(start, now), starts_at__lt=start + dt.timedelta(days=1)
        ).order_by("starts_at")
    )


def slot_of(campaign_id: int, slot_id: int) -> Slot | None:
    return Slot.objects.select_related("venue").filter(pk=slot_id, campaign_id=campaign_id).first()


def bookings_of(invitee: services.Invitee) -> list[Booking]:
    return list(
        Booking.objects.select_related("slot__venue")
        .filter(invitation_id=invitee.invitation_id, cancelled_at=None)
        .order_by("dose")
    )


def fill_per_day(campaign_id: int) -> list[dict]:
    """Per venue and day: slots, capacity, booked seats, and the bookings counted (which must agree)."""
    tz = timezone.get_current_timezone()
    return list(
        Slot.objects.filter(campaign_id=campaign_id)
        .annotate(day=TruncDate("starts_at", tzinfo=tz))
        .values("venue__name", "day")
        .annotate(
            slots=Count("pk", distinct=True),
            capacity=Sum("capacity"),
            booked=Sum("booked"),
        )
        .order_by("venue__name", "day")
    )


def booking_totals(campaign_id: int) -> dict:
    return Booking.objects.filter(campaign_id=campaign_id).aggregate(
        active=Count("pk", filter=Q(cancelled_at=None)), cancelled=Count("pk", filter=~Q(cancelled_at=None))
    )
