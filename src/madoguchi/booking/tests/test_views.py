"""The booking pages through Django's test client: guest booking, bad input, the signed link, the kiosk, the
clerk's call screen, the display and the waiting times, the office calendar screens."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from madoguchi.accounts.tests.factories import ResidentFactory, StaffFactory
from madoguchi.booking import services
from madoguchi.booking.models import AppointmentType, Booking, Slot, Ticket, TicketStatus
from madoguchi.booking.tests.conftest import GUEST, at, next_open_day
from madoguchi.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _post_booking(client, appointment_type, slot: dt.datetime, **overrides):
    data = {
        "slot": timezone.localtime(slot).strftime("%Y-%m-%dT%H:%M"),
        "date": slot.date().isoformat(),
        "name": "緑　花子",
        "phone": "090-1234-5678",
        "birth_date": "昭和21年5月3日",
        "email": "",
        **overrides,
    }
    return client.post(reverse("booking:choose", args=[appointment_type.code]), data)


def test_a_guest_books_and_manages_the_booking_by_the_signed_link(client, appointment_type):
    day = next_open_day()
    page = client.get(reverse("booking:choose", args=[appointment_type.code]), {"date": day.isoformat()})
    assert page.status_code == 200
    assert at(day, 9).strftime("%Y-%m-%dT%H:%M") in page.content.decode()
    response = _post_booking(client, appointment_type, at(day, 9))
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.birth_date == dt.date(1946, 5, 3) and booking.channel == "guest"
    done = client.get(response["Location"])
    assert booking.reference in done.content.decode() and "<svg" in done.content.decode()
    token = services.manage_token(booking)
    change = client.post(
        reverse("booking:change", args=[token]), {"slot": at(day, 10).strftime("%Y-%m-%dT%H:%M")}
    )
    assert change.status_code == 302
    booking.refresh_from_db()
    assert booking.starts_at == at(day, 10)
    client.post(reverse("booking:manage", args=[token]), {"action": "cancel"})
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert client.get(reverse("booking:manage", args=["forged"])).status_code == 404


def test_a_slot_that_filled_while_the_page_was_open_gets_a_clear_message(client, appointment_type):
    day = next_open_day()
    for phone in ("080-1111-2222", "080-3333-4444"):
        services.book(appointment_type=appointment_type, starts_at=at(day, 9), **{**GUEST, "phone": phone})
    response = _post_booking(client, appointment_type, at(day, 9))
    assert response.status_code == 409
    assert "満員" in response.content.decode()
    assert Booking.objects.count() == 2


def test_bad_input_is_explained_in_english_too(client, appointment_type):
    day = next_open_day()
    saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
    response = client.post(
        reverse("booking:choose", args=[appointment_type.code]).replace("/booking/", "/en/booking/", 1),
        {
            "slot": at(saturday, 9).strftime("%Y-%m-%dT%H:%M"),
            "name": "Hanako",
            "phone": "09012345678",
            "birth_date": "1946-05-03",
        },
    )
    assert response.status_code == 409
    assert "closed on that day" in response.content.decode()
    response = _post_booking(client, appointment_type, at(day, 9), phone="12", birth_date="someday")
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    assert not Booking.objects.exists() and not Slot.objects.exists()


def test_a_closed_day_shows_why(client, appointment_type):
    response = client.get(
        reverse("booking:choose", args=[appointment_type.code]),
        {"date": dt.date(timezone.localdate().year, 12, 30).isoformat()},
    )
    assert "年末年始" in response.content.decode() or "過ぎた日" in response.content.decode()


def test_a_signed_in_resident_sees_the_booking_on_my_page(client, appointment_type):
    resident = ResidentFactory()
    client.force_login(resident)
    _post_booking(client, appointment_type, at(next_open_day(), 9))
    booking = Booking.objects.get()
    assert booking.user == resident and booking.channel == "mypage"
    assert booking.reference in client.get(reverse("booking:mine")).content.decode()


def test_kiosk_checks_in_by_code_and_by_phone_and_gives_walk_ins_numbers(
    client, appointment_type, monkeypatch
):
    monkeypatch.setattr(services, "check_slot", lambda **kwargs: None)
    booking = services.book(
        appointment_type=appointment_type,
        starts_at=timezone.now(),
        **GUEST,  # today (an hour later is tomorrow after 23:00 JST)
    )
    walk_in = client.post(reverse("booking:walk_in"), {"window": appointment_type.window.code})
    assert "A001" in client.get(walk_in["Location"]).content.decode()
    response = client.post(reverse("booking:kiosk"), {"phone": "09012345678", "birth_date": "1946/5/3"})
    ticket_page = client.get(response["Location"]).content.decode()
    assert "A002" in ticket_page
    response = client.post(reverse("booking:kiosk"), {"code": booking.reference.lower()})
    assert "A002" in client.get(response["Location"]).content.decode()  # the same number again
    missing = client.post(reverse("booking:kiosk"), {"phone": "09099999999", "birth_date": "1946-05-03"})
    assert missing.status_code == 409 and "見つかりませんでした" in missing.content.decode()
    assert Ticket.objects.count() == 2


def test_call_next_display_and_waiting_times(client, appointment_type):
    window = appointment_type.window
    first = services.issue_ticket(window=window)
    services.issue_ticket(window=window)
    clerk = StaffFactory()
    staff_client = Client()
    staff_client.force_login(clerk)
    url = reverse("booking_office:call", args=[window.code])
    staff_client.post(url, {"action": "next", "desk": "3"})
    first.refresh_from_db()
    assert first.status == TicketStatus.CALLED and first.desk == "3"
    page = client.get(reverse("booking:display"))
    body = page.content.decode()
    assert "A001" in body and 'aria-live="assertive"' in body and 'http-equiv="refresh"' in body
    assert client.get(reverse("booking:display_feed")).json()["called"][0]["label"] == "A001"
    waiting = client.get(reverse("booking:waiting")).content.decode()
    assert "市民課窓口" in waiting and "約 10 分" in waiting  # one waiting, default 10 minutes, one desk


def test_office_today_is_audited_and_calendars_need_a_department_admin(appointment_type):
    services.book(appointment_type=appointment_type, starts_at=at(next_open_day(), 9), **GUEST)
    clerk = StaffFactory()
    staff_client = Client()
    staff_client.force_login(clerk)
    assert staff_client.get(reverse("booking_office:today", args=["shimin"])).status_code == 200
    assert AuditEvent.objects.filter(action="booking.today").count() == 1
    assert staff_client.get(reverse("booking_office:list", args=["types"])).status_code == 403
    admin = StaffFactory(department_admin=True)
    staff_client.force_login(admin)
    response = staff_client.post(
        reverse("booking_office:new", args=["types"]),
        {
            "code": "mynumber-card",
            "window": appointment_type.window.pk,
            "name_ja": "マイナンバーカード受け取り",
            "name_en": "My Number Card pickup",
            "slot_minutes": 15,
            "capacity": 3,
            "horizon_days": 30,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert AppointmentType.objects.filter(code="mynumber-card", capacity=3).exists()
    response = staff_client.post(
        reverse("booking_office:new", args=["exceptions"]),
        {"day": "2026-12-06", "kind": "open", "opens": "17:00", "closes": "09:00"},
    )
    assert response.status_code == 200 and "終了の時刻は開始より後" in response.content.decode()


def test_a_clerk_books_on_the_phone(appointment_type):
    staff_client = Client()
    staff_client.force_login(StaffFactory())
    day = next_open_day()
    response = staff_client.post(
        reverse("booking_office:phone"),
        {
            "type": appointment_type.code,
            "date": day.isoformat(),
            "slot": at(day, 9).strftime("%Y-%m-%dT%H:%M"),
            "name": "緑　一郎",
            "phone": "0312345678",
            "birth_date": "昭和10年1月2日",
            "language": "ja",
        },
    )
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.channel == "phone" and booking.booked_by is not None


def test_too_many_sms_for_one_number_is_refused_and_said_on_the_page(
    client, appointment_type, settings, django_capture_on_commit_callbacks
):
    from madoguchi.notify import channels
    from madoguchi.notify.models import Delivery

    settings.SMS_DAILY_CAP = 1
    channels.send("sms", channels.OutgoingMessage(to="09012345678", body="earlier today"))
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_booking(client, appointment_type, at(next_open_day(), 9))
    page = client.get(response["Location"]).content.decode()
    assert "ショートメッセージを送ったため" in page
    assert Booking.objects.count() == 1
    refused = Delivery.objects.get(status="refused")
    assert refused.detail == "notify.sms_daily_cap" and refused.to == "09012345678"


def test_a_device_that_books_too_much_as_a_guest_is_stopped(client, appointment_type, settings):
    settings.BOOKING_GUEST_BOOKINGS_PER_HOUR = 2
    day = next_open_day()
    for n in range(2):
        assert (
            _post_booking(client, appointment_type, at(day, 9 + n), phone=f"0800000000{n}").status_code == 302
        )
    response = _post_booking(client, appointment_type, at(day, 11), phone="08000000009")
    assert response.status_code == 409 and "1時間ほどたってから" in response.content.decode()
    assert Booking.objects.count() == 2


def test_the_english_pages_are_in_english(client, appointment_type):
    day = next_open_day()
    page = client.get(f"/en/booking/{appointment_type.code}/", {"date": day.isoformat()}).content.decode()
    assert "Choose a time on" in page and "Who is coming" in page and "Date of birth" in page
    kiosk = client.get("/en/booking/kiosk/").content.decode()
    assert "Check-in kiosk" in kiosk and "Without a booking" in kiosk
