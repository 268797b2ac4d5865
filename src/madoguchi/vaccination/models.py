"""Mass vaccination booking (集団接種予約): campaigns, waves, invitations (接種券), venues, slots, bookings.

The two guards against overbooking and double booking live in the database, not only in code:
`Slot.booked <= Slot.capacity` (a CHECK constraint) and one active booking per person, campaign and dose
(a partial unique index). The service's conditional UPDATE is the first guard; these are the last.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Campaign(models.Model):  # 接種事業
    name = models.CharField(max_length=200)
    vaccine = models.CharField(max_length=100)  # e.g. 新型コロナワクチン（ファイザー社）
    doses = models.PositiveSmallIntegerField(default=2)  # 1 or 2
    min_days_between_doses = models.PositiveSmallIntegerField(default=21)  # N: dose 2 ≥ N days after dose 1
    cohort_min_age = models.PositiveSmallIntegerField(default=65)  # the cohort: aged ≥ this …
    cohort_age_on = models.DateField()  # … on this date (年齢基準日)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(doses__in=[1, 2]), name="vaccination_campaign_doses_1_or_2"),
        ]

    def __str__(self) -> str:
        return self.name


class Wave(models.Model):  # 予約受付の段階（年齢帯または誕生月ごと）
    """Who of the cohort may book from when: an age band (on the campaign's age date) or birth months."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="waves")
    label = models.CharField(max_length=100)
    opens_at = models.DateTimeField()
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    birth_months = models.CharField(max_length=40, blank=True)  # "1,2,3"; empty: every month

    class Meta:
        ordering = ["opens_at", "pk"]

    def __str__(self) -> str:
        return self.label


class Invitation(models.Model):  # 接種券
    """One per person and campaign. The code (券番号) and the birth date identify the resident when booking."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey("residents.Person", on_delete=models.PROTECT, related_name="+")
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    code = models.CharField(max_length=10, unique=True)  # 券番号: 10 digits, random
    birth_date = models.DateField()  # copied from the registry at issue: checked when booking
    issued_at = models.DateTimeField(default=timezone.now)
    letter_printed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)  # My Page notice for residents with an account

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "person"], name="vaccination_one_invitation_per_person"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Venue(models.Model):  # 接種会場
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="venues")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Slot(models.Model):  # 接種枠 (a session time at a venue)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")  # for the one UPDATE
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    booked = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["venue", "starts_at"], name="vaccination_slot_venue_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(booked__lte=F("capacity")), name="vaccination_slot_not_overbooked"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="vaccination_slot_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.venue} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


class Booking(models.Model):  # 接種予約
    """A booked dose. Cancelling keeps the row (cancelled_at); the partial unique index counts active rows."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    invitation = models.ForeignKey(Invitation, on_delete=models.PROTECT, related_name="bookings")
    person = models.ForeignKey("residents.Person", on_delete=models.PROTECT, related_name="+", db_index=False)
    dose = models.PositiveSmallIntegerField()
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    reference = models.CharField(max_length=12, unique=True)  # 予約番号 shown to the resident
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "campaign", "dose"],
                condition=Q(cancelled_at__isnull=True),
                name="vaccination_one_booking_per_person_dose",
            ),
            models.CheckConstraint(condition=Q(dose__in=[1, 2]), name="vaccination_booking_dose_1_or_2"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def active(self) -> bool:
        return self.cancelled_at is None


class WaitingLine(models.Model):  # 仮想待合室の行列 (the database fallback when no Redis is configured)
    """The waiting room's clock: when the next place in line is admitted, and how many places were given.

    One row per campaign, changed by one atomic statement per arrival; a refresh of the queue page reads
    nothing here (the place is in the resident's signed cookie)."""

    key = models.CharField(max_length=40, primary_key=True)
    next_admit_us = models.BigIntegerField()  # microseconds since the epoch
    issued = models.BigIntegerField()

    def __str__(self) -> str:
        return self.key
