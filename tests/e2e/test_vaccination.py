"""Mass vaccination booking in Chromium on a 360 px phone with the keyboard only: the campaign's page, the queue
page (it refreshes itself, no JavaScript needed) until admitted, the 接種券 number and birth date, a slot, the
confirmation and My booking; axe finds no serious or critical violation on any of them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from madoguchi.vaccination import waiting_room
from madoguchi.vaccination.models import Booking
from madoguchi.vaccination.tests.factories import InvitationFactory, SlotFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 360
MAX_TABS = 40


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width}px wide"


def _tab_to(page, selector: str) -> None:
    for _ in range(MAX_TABS):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with Tab")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_queue_then_book_on_a_phone_with_the_keyboard(live_server, new_page, axe_check, settings, lang):
    settings.REDIS_URL = ""
    settings.VACCINATION_ADMISSION_RATE = 1
    settings.VACCINATION_ADMISSION_BURST = 0
    slot = SlotFactory(starts_at=timezone.now() + dt.timedelta(days=5), capacity=20)
    campaign = slot.campaign
    invitation = InvitationFactory(campaign=campaign)
    prefix = "/en" if lang == "en" else ""
    page = new_page(width=WIDTH, height=740)
    page.set_default_timeout(60_000)  # the shared test machine can be very busy
    page.goto(f"{live_server.url}{prefix}/vaccination/{campaign.pk}/")
    axe_check(page)
    _fits(page)
    _tab_to(page, f"a[href$='/vaccination/{campaign.pk}/enter/']")
    for _ in range(3):  # people ahead: the browser waits about three seconds
        waiting_room.take_place(campaign_id=campaign.pk)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/vaccination/{campaign.pk}/queue/")
    assert "自動更新" in page.inner_text("main") or "refreshes itself" in page.inner_text("main")
    axe_check(page)
    _fits(page)
    page.wait_for_url(f"**/vaccination/{campaign.pk}/book/", timeout=20_000)  # the meta refresh admits
    axe_check(page)
    _fits(page)

    _tab_to(page, "#id_code")
    page.keyboard.type(invitation.code)
    page.keyboard.press("Tab")
    page.keyboard.type("昭和25年5月1日" if lang == "ja" else "1950-05-01")
    _tab_to(page, "button[type='submit']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/book/slots/" in page.url
    axe_check(page)
    _fits(page)
    _tab_to(page, f"#slot-{slot.pk}")
    page.keyboard.press("Space")
    assert page.locator(f"#slot-{slot.pk}").is_checked()
    _tab_to(page, "form[action$='/book/confirm/'] button[type='submit']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/book/confirm/" in page.url
    axe_check(page)
    _fits(page)
    _tab_to(page, "form[method='post'] button[type='submit']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    booking = Booking.objects.get()
    assert f"/vaccination/{campaign.pk}/mine/" in page.url
    assert booking.reference in page.inner_text("main")
    axe_check(page)
    _fits(page)
    if lang == "en":
        assert "Booking code" in page.inner_text("main")  # the same word as the visit booking room's


def test_a_forged_admission_shows_a_clear_message(live_server, new_page, axe_check):
    slot = SlotFactory()
    page = new_page(width=WIDTH, height=740)
    page.set_default_timeout(60_000)  # the shared test machine can be very busy
    page.context.add_cookies([{"name": "vx_admit", "value": "forged", "url": live_server.url}])
    page.goto(f"{live_server.url}/vaccination/{slot.campaign_id}/book/")
    assert "入場券が正しくありません" in page.inner_text("main")
    axe_check(page)
