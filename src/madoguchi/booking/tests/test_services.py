"""Booking, changing, cancelling, reminders, check-in and the numbered queue."""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from madoguchi.booking import services
from madoguchi.booking.errors import BookingError
from madoguchi.booking.models import Booking, BookingStatus, CalendarException, Slot, Ticket, TicketStatus
from madoguchi.booking.tests.conftest import GUEST, at, next_open_day
from madoguchi.notify.models import Delivery

pytestmark = pytest.mark.django_db


def _book(appointment_type, starts_at, **overrides):
    return services.book(appointment_type=appointment_type, starts_at=starts_at, **{**GUEST, **overrides})


def test_a_booking_takes_a_seat_and_the_last_seat_is_refused(
    appointment_type, django_capture_on_commit_callbacks
):
    start = at(next_open_day(), 9)
    with django_capture_on_commit_callbacks(execute=True):
        first = _book(appointment_type, start)
        _book(appointment_type, start, phone="080-0000-1111")
    assert first.phone == "09012345678" and first.day == start.date() and len(first.reference) == 8
    with pytest.raises(BookingError) as exc:
        _book(appointment_type, start, phone="070-2222-3333")
    assert exc.value.code == "booking.slot_full"
    assert Slot.objects.get().booked == 2
    assert Booking.objects.count() == 2


def test_the_database_refuses_an_overbooked_slot(appointment_type):
    start = at(next_open_day(), 9)
    _book(appointment_type, start)
    with pytest.raises(IntegrityError):
        Slot.objects.update(booked=3)


@pytest.mark.parametrize(
    ("when", "code"),
    [
        ("past", "booking.past"),
        ("saturday", "booking.closed_day"),
        ("new_year", "booking.closed_day"),
        ("2030", "booking.too_far"),
        ("odd_minute", "booking.not_a_slot"),
        ("evening", "booking.not_a_slot"),
    ],
)
def test_bad_times_are_refused_and_change_nothing(appointment_type, when, code):
    day = next_open_day()
    saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
    starts_at = {
        "past": timezone.now() - dt.timedelta(hours=1),
        "saturday": at(saturday, 9),
        "new_year": at(
            dt.date(timezone.localdate().year + (1 if timezone.localdate().month > 1 else 0), 1, 1), 9
        ),
        "2030": at(dt.date(2030, 6, 3), 9),
        "odd_minute": at(day, 9, 10),
        "evening": at(day, 18),
    }[when]
    if when == "new_year":
        appointment_type.horizon_days = 400
        appointment_type.save()
    with pytest.raises(BookingError) as exc:
        _book(appointment_type, starts_at)
    assert exc.value.code == code
    assert exc.value.message("ja") and exc.value.message("en")
    assert not Slot.objects.exists() and not Booking.objects.exists()


def test_a_second_booking_of_the_same_person_type_and_day_is_refused(appointment_type):
    day = next_open_day()
    _book(appointment_type, at(day, 9))
    with pytest.raises(BookingError) as exc:
        _book(appointment_type, at(day, 10), phone="09012345678")  # same number written differently
    assert exc.value.code == "booking.duplicate"
    assert Slot.objects.get().booked == 1
    _book(appointment_type, at(next_open_day(day.toordinal() - timezone.localdate().toordinal() + 1), 9))


def test_a_closure_exception_closes_the_day(appointment_type):
    day = next_open_day()
    CalendarException.objects.create(day=day, kind="closed", note_ja="システム更新")
    with pytest.raises(BookingError) as exc:
        _book(appointment_type, at(day, 9))
    assert "システム更新" in exc.value.ja


def test_a_holiday_window_opens_a_sunday(appointment_type):
    day = next_open_day()
    sunday = day + dt.timedelta(days=6 - day.weekday())
    CalendarException.objects.create(
        window=appointment_type.window, day=sunday, kind="open", opens=dt.time(9), closes=dt.time(12)
    )
    assert _book(appointment_type, at(sunday, 11, 30)).day == sunday


def test_change_moves_the_seat_and_cancel_frees_it(appointment_type):
    day = next_open_day()
    booking = _book(appointment_type, at(day, 9))
    booking = services.change(booking=booking, starts_at=at(day, 10))
    seats = dict(Slot.objects.values_list("starts_at", "booked"))
    assert seats == {at(day, 9): 0, at(day, 10): 1}
    services.cancel(booking=booking)
    services.cancel(booking=booking)  # twice: nothing more
    assert Slot.objects.get(starts_at=at(day, 10)).booked == 0
    assert Booking.objects.get().status == BookingStatus.CANCELLED
    with pytest.raises(BookingError):
        services.change(booking=booking, starts_at=at(day, 11))


def test_the_signed_link_finds_the_booking_and_a_forged_one_does_not(appointment_type):
    booking = _book(appointment_type, at(next_open_day(), 9))
    token = services.manage_token(booking)
    assert services.booking_from_token(token) == booking
    assert services.booking_from_token(token[:-2] + "xx") is None
    assert services.booking_from_token(booking.reference) is None


def test_a_guest_without_email_gets_the_confirmation_by_sms(
    appointment_type, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = _book(appointment_type, at(next_open_day(), 9))
    lines = [json.loads(line) for line in Path(settings.SMS_FILE).read_text().splitlines()]
    assert lines[0]["to"] == "09012345678"
    assert booking.reference in lines[0]["body"]
    assert "/booking/manage/" in lines[0]["body"]


def test_reminders_go_once_the_day_before_by_email_and_sms(appointment_type, settings, monkeypatch):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    monkeypatch.setattr(services, "check_slot", lambda **kwargs: None)  # tomorrow may be a holiday
    booking = _book(appointment_type, at(tomorrow, 9), email="hanako@example.jp")
    mail.outbox.clear()
    Path(settings.SMS_FILE).unlink(missing_ok=True)
    now = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(10)))
    early = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(6)))
    assert services.send_reminders(now=early) == 0
    assert services.send_reminders(now=now) == 1
    assert services.send_reminders(now=now) == 0
    assert len(mail.outbox) == 1 and booking.reference in mail.outbox[0].body
    assert len(Path(settings.SMS_FILE).read_text().splitlines()) == 1
    assert Delivery.objects.filter(key=f"booking:{booking.pk}:reminder:sms", status="sent").count() == 1


def test_check_in_issues_sequential_numbers_per_window_and_day(appointment_type, monkeypatch):
    monkeypatch.setattr(services, "check_slot", lambda **kwargs: None)
    later = timezone.localtime()  # today's booking: half an hour later is tomorrow after 23:30 JST
    booking = _book(appointment_type, later)
    walk_in = services.issue_ticket(window=appointment_type.window)
    ticket = services.check_in(booking=booking)
    assert (walk_in.number, ticket.number) == (1, 2)
    assert ticket.label == "A002"
    assert services.check_in(booking=booking) == ticket  # twice: the same number
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CHECKED_IN


def test_check_in_refuses_another_day_and_a_cancelled_booking(appointment_type):
    booking = _book(appointment_type, at(next_open_day(), 9))
    with pytest.raises(BookingError) as exc:
        services.check_in(booking=booking)
    assert exc.value.code == "booking.not_today"
    services.cancel(booking=booking)
    with pytest.raises(BookingError) as exc:
        services.check_in(booking=booking)
    assert exc.value.code == "booking.not_active"
    assert not Ticket.objects.exists()


def test_call_next_calls_in_order_and_finishes_the_clerks_current_number(appointment_type, django_user_model):
    clerk = django_user_model.objects.create_user(email="clerk@example.jp", password="x")
    window = appointment_type.window
    first, second = (services.issue_ticket(window=window) for _ in range(2))
    assert services.call_next(window=window, clerk=clerk, desk="3").pk == first.pk
    assert services.call_next(window=window, clerk=clerk, desk="3").pk == second.pk
    first.refresh_from_db()
    assert first.status == TicketStatus.DONE and first.done_at
    assert services.call_next(window=window, clerk=clerk) is None
    second.refresh_from_db()
    assert second.status == TicketStatus.DONE
