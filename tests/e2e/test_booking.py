"""来庁予約 end to end in Chromium: a guest books on a 360 px phone with the keyboard only (axe on every page,
nothing overflows) and gets a QR code that reads back as the booking code; on the day, the kiosk checks the
resident in by phone number and birth date and a walk-in takes a number; a clerk calls the next number and the
waiting-room display shows it (by its own polling, announced in an aria-live region); the public waiting
times page lists the window."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from madoguchi.accounts.models import Department
from madoguchi.accounts.tests.factories import PASSWORD, StaffFactory
from madoguchi.booking import calendar, services
from madoguchi.booking.models import AppointmentType, Booking, Ticket, TicketStatus, Window

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 360
MAX_TABS = 120


@pytest.fixture
def town(live_server):
    department, _ = Department.objects.get_or_create(
        code="shimin", defaults={"name_ja": "市民課", "name_en": "Residents Division"}
    )
    window = Window.objects.create(
        code="shimin",
        department=department,
        name_ja="市民課窓口",
        name_en="Residents counter",
        ticket_prefix="A",
    )
    AppointmentType.objects.create(
        code="tennyu",
        window=window,
        name_ja="転入・転出の届出",
        name_en="Moving in or out",
        slot_minutes=30,
        capacity=2,
    )
    return live_server.url


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width}px wide"


def _tab_to(page, selector: str) -> None:
    for _ in range(MAX_TABS):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with Tab on {page.url}")


def _type(page, name: str, text: str) -> None:
    _tab_to(page, f'[name="{name}"]')
    page.keyboard.type(text)


def test_a_guest_books_on_a_phone_with_the_keyboard(town, new_page, axe_check):
    day = calendar.Calendar().open_days(timezone.localdate() + dt.timedelta(days=2), 30)[0]
    page = new_page(WIDTH, 740)
    page.goto(f"{town}/booking/")
    axe_check(page)
    _fits(page)
    _tab_to(page, 'a[href="/booking/tennyu/"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    axe_check(page)
    _fits(page)
    _tab_to(page, f'a[href^="?date={day.isoformat()}"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    axe_check(page)
    _fits(page)
    _tab_to(page, 'input[name="slot"]')
    page.keyboard.press("Space")
    slot = page.evaluate("document.activeElement.value")
    assert slot == f"{day.isoformat()}T08:30"
    _type(page, "name", "緑　花子")
    _type(page, "phone", "090-1234-5678")
    _type(page, "birth_date", "昭和21年5月3日")
    _tab_to(page, 'button[type="submit"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/booking/done/" in page.url, page.content()
    axe_check(page)
    _fits(page)
    booking = Booking.objects.get()
    assert booking.channel == "guest" and booking.birth_date == dt.date(1946, 5, 3)
    png = page.locator(".booking-qr svg").screenshot()
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [code.text for code in decoded] == [booking.reference]
    _tab_to(page, 'a[href*="/booking/manage/"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    axe_check(page)  # the signed link's page: change or cancel
    _fits(page)
    _tab_to(page, 'a[href$="/change/"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    axe_check(page)
    _fits(page)

    # The same slot again, after it filled (a second person takes the last seat while the page is open).
    page.goto(f"{town}/booking/tennyu/?date={day.isoformat()}")
    services.book(
        appointment_type=booking.appointment_type,
        starts_at=booking.starts_at,
        name="緑　一郎",
        phone="08011112222",
        birth_date=dt.date(1950, 1, 1),
        channel="guest",
    )
    page.locator('input[name="slot"]').first.check()
    page.fill('[name="name"]', "青山　三郎")
    page.fill('[name="phone"]', "07033334444")
    page.fill('[name="birth_date"]', "1980-01-01")
    with page.expect_navigation():
        page.locator('main button[type="submit"]').click()
    assert "ちょうど満員になりました" in page.locator(".error-summary").inner_text()
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.classList.contains('error-summary')"
    )
    axe_check(page)
    assert Booking.objects.count() == 2


def test_kiosk_call_next_and_the_display(town, new_page, axe_check, monkeypatch):
    monkeypatch.setattr(services, "check_slot", lambda **kwargs: None)
    appointment_type = AppointmentType.objects.get()
    services.book(
        appointment_type=appointment_type,
        starts_at=timezone.now(),  # today's booking (20 minutes later is tomorrow after 23:40 JST)
        name="緑　花子",
        phone="09012345678",
        birth_date=dt.date(1946, 5, 3),
        channel="guest",
    )
    kiosk = new_page(WIDTH, 740)
    kiosk.goto(f"{town}/booking/kiosk/")
    axe_check(kiosk)
    _fits(kiosk)
    _type(kiosk, "phone", "09012345678")
    _type(kiosk, "birth_date", "1946-05-03")
    _tab_to(kiosk, 'form:not([action]) button[type="submit"]')
    with kiosk.expect_navigation():
        kiosk.keyboard.press("Enter")
    assert kiosk.locator(".ticket-number").inner_text() == "A001"
    axe_check(kiosk)
    _fits(kiosk)
    kiosk.goto(f"{town}/booking/kiosk/")
    _tab_to(kiosk, 'button[name="window"][value="shimin"]')
    with kiosk.expect_navigation():
        kiosk.keyboard.press("Enter")
    assert kiosk.locator(".ticket-number").inner_text() == "A002"

    display = new_page(1280, 800)
    display.goto(f"{town}/booking/display/")
    axe_check(display)
    assert "まだ呼び出しはありません" in display.locator("#display-list").inner_text()

    clerk = StaffFactory(password=PASSWORD)
    desk = new_page(1280, 900)
    desk.goto(f"{town}/office/login/")
    desk.get_by_label("メールアドレス", exact=True).focus()
    desk.keyboard.type(clerk.email)
    desk.keyboard.press("Tab")
    desk.keyboard.type(PASSWORD)
    with desk.expect_navigation():
        desk.keyboard.press("Enter")
    desk.goto(f"{town}/office/booking/call/shimin/")
    axe_check(desk)
    _type(desk, "desk", "3")
    _tab_to(desk, 'button[value="next"]')
    with desk.expect_navigation():
        desk.keyboard.press("Enter")
    assert desk.locator(".ticket-number").inner_text() == "A001"
    assert "緑　花子" in desk.locator("#current-title + *").inner_text() or "緑　花子" in desk.content()

    # The display polls its feed: the called number appears and is announced without reloading the page.
    expect(display.locator("#display-announce")).to_contain_text("A001", timeout=12_000)
    assert display.locator(".display-item--latest .display-number").inner_text() == "A001"
    assert "3" in display.locator(".display-item--latest .display-desk").inner_text()
    axe_check(display)

    waiting = new_page(WIDTH, 740)
    waiting.goto(f"{town}/booking/waiting/")
    axe_check(waiting)
    _fits(waiting)
    assert "市民課窓口" in waiting.locator("table").inner_text()
    assert Ticket.objects.get(number=1).status == TicketStatus.CALLED
