"""The booking service: one booking per person and dose (a database constraint), dose 2 after N days,
full and past slots, retries answered with the booking already made, change and cancel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from madoguchi.vaccination import services
from madoguchi.vaccination.models import Booking, Slot
from madoguchi.vaccination.tests.factories import (
    CampaignFactory,
    InvitationFactory,
    SlotFactory,
    VenueFactory,
    invitee_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory()


@pytest.fixture
def venue(campaign):
    return VenueFactory(campaign=campaign)


def _slot(venue, *, days=7, capacity=10):
    return SlotFactory(venue=venue, starts_at=timezone.now() + dt.timedelta(days=days), capacity=capacity)


def test_a_booking_takes_one_seat(venue, campaign):
    slot = _slot(venue)
    invitee = invitee_of(InvitationFactory(campaign=campaign))
    result = services.book(invitee=invitee, slot_id=slot.pk)
    assert result.created and result.booking.dose == 1
    slot.refresh_from_db()
    assert slot.booked == 1


def test_the_database_refuses_a_second_active_booking_of_the_same_dose(venue, campaign):
    """The partial unique index is the last guard, whatever the code above it does."""
    invitation = InvitationFactory(campaign=campaign)
    booking = services.book(invitee=invitee_of(invitation), slot_id=_slot(venue).pk).booking
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            campaign=campaign,
            invitation=invitation,
            person=invitation.person,
            dose=1,
            slot=_slot(venue, days=8),
            reference="ZZZZZZZZ",
        )
    booking.cancelled_at = timezone.now()
    booking.save(update_fields=["cancelled_at"])
    Booking.objects.create(  # a cancelled booking does not count
        campaign=campaign,
        invitation=invitation,
        person=invitation.person,
        dose=1,
        slot=_slot(venue, days=9),
        reference="YYYYYYYY",
    )


def test_the_database_refuses_more_seats_than_capacity(venue):
    slot = _slot(venue, capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked=2)


def test_a_second_booking_of_the_same_dose_is_refused_and_changes_nothing(venue, campaign):
    invitee = invitee_of(InvitationFactory(campaign=campaign))
    first, other = _slot(venue), _slot(venue, days=8)
    services.book(invitee=invitee, slot_id=first.pk)
    with pytest.raises(services.VaccinationError) as exc:
        services.book(invitee=invitee, slot_id=other.pk)
    assert exc.value.code == "already_booked"
    assert "すでに予約済み" in exc.value.ja and "already booked" in exc.value.en
    other.refresh_from_db()
    assert other.booked == 0 and Booking.objects.count() == 1


def test_a_retry_is_answered_with_the_booking_already_made(venue, campaign):
    invitee = invitee_of(InvitationFactory(campaign=campaign))
    slot = _slot(venue, capacity=1)
    first = services.book(invitee=invitee, slot_id=slot.pk)
    again = services.book(invitee=invitee, slot_id=slot.pk)  # the slot is full now: still not 満席
    assert not again.created and again.booking.pk == first.booking.pk
    keyed = services.book(invitee=invitee, slot_id=slot.pk, idempotency_key="k1")
    assert keyed.booking.pk == first.booking.pk
    slot.refresh_from_db()
    assert slot.booked == 1 and Booking.objects.count() == 1


def test_an_idempotency_key_answers_with_its_booking(venue, campaign):
    invitee = invitee_of(InvitationFactory(campaign=campaign))
    made = services.book(invitee=invitee, slot_id=_slot(venue).pk, idempotency_key="abc")
    replay = services.book(invitee=invitee, slot_id=_slot(venue, days=9).pk, idempotency_key="abc")
    assert replay.booking.pk == made.booking.pk and not replay.created
    stranger = invitee_of(InvitationFactory(campaign=campaign))
    with pytest.raises(services.VaccinationError) as exc:
        services.book(invitee=stranger, slot_id=_slot(venue).pk, idempotency_key="abc")
    assert exc.value.code == "idempotency_key_reused"


def test_a_full_slot_says_manseki_and_changes_nothing(venue, campaign):
    slot = _slot(venue, capacity=1)
    services.book(invitee=invitee_of(InvitationFactory(campaign=campaign)), slot_id=slot.pk)
    with pytest.raises(services.VaccinationError) as exc:
        services.book(invitee=invitee_of(InvitationFactory(campaign=campaign)), slot_id=slot.pk)
    assert exc.value.code == "slot_full" and "満席" in exc.value.ja
    assert Booking.objects.count() == 1


def test_a_past_slot_cannot_be_booked(venue, campaign):
    slot = _slot(venue, days=-1)
    with pytest.raises(services.VaccinationError) as exc:
        services.book(invitee=invitee_of(InvitationFactory(campaign=campaign)), slot_id=slot.pk)
    assert exc.value.code == "slot_past"


def test_another_campaigns_slot_is_not_found(venue, campaign):
    foreign = _slot(VenueFactory())
    with pytest.raises(services.VaccinationError) as exc:
        services.book(invitee=invitee_of(InvitationFactory(campaign=campaign)), slot_id=foreign.pk)
    assert exc.value.code == "slot_not_found"


def test_a_wrong_birth_date_finds_no_invitation(campaign):
    invitation = InvitationFactory(campaign=campaign)
    with pytest.raises(services.InvitationNotFound) as exc:
        services.find_invitation(code=invitation.code, birth_date=dt.date(1951, 1, 1))
    assert "10桁" in exc.value.ja
    assert services.find_invitation(
        code=f" {invitation.code[:4]}-{invitation.code[4:]} ", birth_date=invitation.birth_date
    )


def test_the_second_dose_needs_the_first_and_n_days(venue, campaign):
    invitee = invitee_of(InvitationFactory(campaign=campaign))
    first = _slot(venue, days=3)
    too_soon = _slot(venue, days=3 + 20)
    on_time = _slot(venue, days=3 + 21)
    with pytest.raises(services.VaccinationError) as exc:
        services.book(invitee=invitee, slot_id=on_time.pk, dose=2)
    assert exc.value.code == "first_dose_missing"
    services.book(invitee=invitee, slot_id=first.pk, dose=1)
    with pytest.raises(services.VaccinationError) as exc:
        services.book(invitee=invitee, slot_id=too_soon.pk, dose=2)
    assert exc.value.code == "dose_interval"
    assert "21日以上" in exc.value.ja and "21 days" in exc.value.en
    too_soon.refresh_from_db()
    assert too_soon.booked == 0
    second = services.book(invitee=invitee, slot_id=on_time.pk, dose=2).booking
    assert second.dose == 2
    # moving dose 1 later would break the interval: refused
    later_first = _slot(venue, days=5)
    with pytest.raises(services.VaccinationError) as exc:
        services.change_booking(
            invitee=invitee, reference=Booking.objects.get(dose=1).reference, slot_id=later_first.pk
        )
    assert exc.value.code == "dose_interval"


def test_a_wave_not_yet_open_cannot_book(venue, campaign):
    wave = services.add_wave(
        campaign=campaign, label="70歳以上", opens_at=timezone.now() + dt.timedelta(days=1), min_age=70
    )
    invitee = invitee_of(InvitationFactory(campaign=campaign, wave=wave))
    with pytest.raises(services.VaccinationError) as exc:
        services.book(invitee=invitee, slot_id=_slot(venue).pk)
    assert exc.value.code == "wave_not_open"


def test_change_moves_the_seat_and_cancel_frees_it(venue, campaign):
    invitee = invitee_of(InvitationFactory(campaign=campaign))
    a, b = _slot(venue), _slot(venue, days=8)
    booking = services.book(invitee=invitee, slot_id=a.pk).booking
    services.change_booking(invitee=invitee, reference=booking.reference, slot_id=b.pk)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.booked, b.booked) == (0, 1)
    services.cancel_booking(invitee=invitee, reference=booking.reference.lower())
    b.refresh_from_db()
    assert b.booked == 0
    assert Booking.objects.get().cancelled_at is not None
    services.book(invitee=invitee, slot_id=a.pk)  # a cancelled dose can be booked again


def test_change_to_a_full_slot_keeps_the_old_seat(venue, campaign):
    invitee = invitee_of(InvitationFactory(campaign=campaign))
    a, full = _slot(venue), _slot(venue, days=8, capacity=1)
    services.book(invitee=invitee_of(InvitationFactory(campaign=campaign)), slot_id=full.pk)
    booking = services.book(invitee=invitee, slot_id=a.pk).booking
    with pytest.raises(services.VaccinationError) as exc:
        services.change_booking(invitee=invitee, reference=booking.reference, slot_id=full.pk)
    assert exc.value.code == "slot_full"
    a.refresh_from_db()
    booking.refresh_from_db()
    assert a.booked == 1 and booking.slot_id == a.pk


def test_dose_one_cannot_be_cancelled_while_dose_two_is_booked(venue, campaign):
    invitee = invitee_of(InvitationFactory(campaign=campaign))
    first = services.book(invitee=invitee, slot_id=_slot(venue, days=2).pk).booking
    services.book(invitee=invitee, slot_id=_slot(venue, days=30).pk, dose=2)
    with pytest.raises(services.VaccinationError) as exc:
        services.cancel_booking(invitee=invitee, reference=first.reference)
    assert exc.value.code == "second_dose_booked"


def test_someone_elses_booking_is_not_found(venue, campaign):
    mine = invitee_of(InvitationFactory(campaign=campaign))
    theirs = services.book(
        invitee=invitee_of(InvitationFactory(campaign=campaign)), slot_id=_slot(venue).pk
    ).booking
    with pytest.raises(services.VaccinationError) as exc:
        services.cancel_booking(invitee=mine, reference=theirs.reference)
    assert exc.value.code == "booking_not_found"


def test_sessions_refuse_new_year_and_holidays_unless_asked(venue):
    with pytest.raises(services.VaccinationError) as exc:
        services.add_sessions(
            venue=venue, day=dt.date(2026, 12, 30), start=dt.time(9), end=dt.time(12), minutes=30, capacity=20
        )
    assert exc.value.code == "closed_day"
    with pytest.raises(services.VaccinationError):
        services.add_sessions(
            venue=venue, day=dt.date(2026, 5, 4), start=dt.time(9), end=dt.time(12), minutes=30, capacity=20
        )
    slots = services.add_sessions(
        venue=venue,
        day=dt.date(2026, 5, 4),
        start=dt.time(9),
        end=dt.time(12),
        minutes=30,
        capacity=20,
        allow_closed_day=True,
    )
    assert len(slots) == 6 and timezone.localtime(slots[0].starts_at).hour == 9


def test_invitations_go_to_the_cohort_once_by_wave(campaign):
    from madoguchi.residents.tests.factories import PersonFactory

    old = PersonFactory(birth_date=dt.date(1940, 3, 1))
    sixty_five = PersonFactory(birth_date=dt.date(1961, 4, 1))  # 65 on 2026-04-01
    PersonFactory(birth_date=dt.date(1961, 4, 2))  # 64 on the age date
    PersonFactory(birth_date=dt.date(1930, 1, 1), status="2")  # not a current resident
    over_80 = services.add_wave(campaign=campaign, label="80歳以上", opens_at=timezone.now(), min_age=80)
    rest = services.add_wave(
        campaign=campaign, label="65〜79歳", opens_at=timezone.now() + dt.timedelta(days=7)
    )
    assert services.issue_invitations(campaign=campaign) == 2
    assert services.issue_invitations(campaign=campaign) == 0
    waves = dict(campaign.invitations.values_list("person_id", "wave_id"))
    assert waves == {old.pk: over_80.pk, sixty_five.pk: rest.pk}
    assert all(len(code) == 10 for code in campaign.invitations.values_list("code", flat=True))
