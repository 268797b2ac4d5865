"""Which announcements are shown, and to whom. Targeting is one SQL query for the resident's registry person.

A resident's person is the one their active identity link (accounts.IdentityLink) points to, if that person
is an active resident. Ages are counted on `today` (the birthday is the day a year is added): each age band
becomes a birth-date range, so the database compares dates and nothing is computed per row in Python.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from madoguchi.announcements.models import (
    AGE_BAND_RANGES,
    CHILD_UNDER,
    ELDERLY_FROM,
    Announcement,
    HouseholdType,
)
from madoguchi.residents.models import Person

UNTARGETED = Q(town="", age_band="", household_type="")


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier (29 February → 28 February in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def born_aged(today: dt.date, youngest: int, oldest: int | None) -> Q:
    """Persons whose age on `today` is between youngest and oldest (inclusive), as a birth-date condition."""
    condition = Q(birth_date__lte=years_before(today, youngest))
    if oldest is not None:
        condition &= Q(birth_date__gt=years_before(today, oldest + 1))
    return condition


def current(today: dt.date | None = None) -> QuerySet[Announcement]:
    """Published (publish date reached) and not expired (expiry not passed) announcements."""
    today = today or timezone.localdate()
    return Announcement.objects.filter(publish_on__lte=today).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    )


def public(today: dt.date | None = None) -> QuerySet[Announcement]:
    """What everyone sees on the portal: current announcements with no target."""
    return current(today).filter(UNTARGETED).select_related("department")


def public_detail(pk: int, today: dt.date | None = None) -> Announcement | None:
    return public(today).filter(pk=pk).first()


def _linked_person(user) -> QuerySet[Person]:
    return Person.objects.filter(
        is_active=True, identity_links__user=user, identity_links__revoked_at__isnull=True
    )


def for_resident(user, today: dt.date | None = None) -> QuerySet[Announcement]:
    """Current announcements a signed-in resident sees: the public ones and those whose target they match.

    Every set target condition must hold for the linked person; without a linked person only public ones.
    """
    today = today or timezone.localdate()
    me = _linked_person(user)
    housemates = Person.objects.filter(household=OuterRef("household"), is_active=True)

    town = Q(town="") | Exists(me.filter(town=OuterRef("town")))
    age = Q(age_band="")
    for code, (youngest, oldest) in AGE_BAND_RANGES.items():
        age |= Q(age_band=code) & Exists(me.filter(born_aged(today, youngest, oldest)))
    single = me.filter(~Exists(housemates.exclude(pk=OuterRef("pk"))))
    with_children = me.filter(Exists(housemates.filter(born_aged(today, 0, CHILD_UNDER - 1))))
    elderly_only = me.filter(~Exists(housemates.filter(born_aged(today, 0, ELDERLY_FROM - 1))))
    household = (
        Q(household_type="")
        | Q(household_type=HouseholdType.SINGLE) & Exists(single)
        | Q(household_type=HouseholdType.WITH_CHILDREN) & Exists(with_children)
        | Q(household_type=HouseholdType.ELDERLY_ONLY) & Exists(elderly_only)
    )
    return current(today).filter(town & age & household).select_related("department")


def for_resident_detail(user, pk: int, today: dt.date | None = None) -> Announcement | None:
    return for_resident(user, today).filter(pk=pk).first()


def office_list(user) -> QuerySet[Announcement]:
    """Every announcement of the staff member's department, newest first (all of them for a superuser)."""
    qs = Announcement.objects.select_related("department")
    if user.is_superuser:
        return qs
    return qs.filter(department_id=user.department_id)
