"""お知らせ end to end in Chromium at 360 px: a clerk publishes a notice for one area and age band with the
keyboard; the resident living there sees it in My Page, a resident elsewhere does not; the public list shows
only public notices. axe runs on the public list, the office form and My Page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from madoguchi.accounts.tests.factories import PASSWORD, IdentityLinkFactory, StaffFactory
from madoguchi.announcements.models import Announcement
from madoguchi.announcements.tests.factories import AnnouncementFactory
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 360
MAX_TABS = 80
TITLE = "桜町の75歳以上の方へ：敬老会のご案内"


@pytest.fixture
def town(live_server):
    clerk = StaffFactory(reviewer=True)
    here = IdentityLinkFactory(person=PersonFactory(town="桜町", birth_date=dt.date(1945, 5, 1))).user
    elsewhere = IdentityLinkFactory(person=PersonFactory(town="緑町", birth_date=dt.date(1945, 5, 1))).user
    AnnouncementFactory(title_ja="図書館の臨時休館", department=clerk.department)
    return live_server.url, clerk, here, elsewhere


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width}px wide"


def _tab_to(page, selector: str) -> None:
    for _ in range(MAX_TABS):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with Tab on {page.url}")


def _sign_in(page, base: str, path: str, email: str, button: str) -> None:
    page.goto(base + path)
    page.get_by_label(re.compile(r"^\s*メールアドレス")).fill(email)
    page.get_by_label(re.compile(r"^\s*パスワード")).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=button).press("Enter")


def test_clerk_publishes_a_targeted_notice_and_the_resident_sees_it(town, new_page, axe_check):
    base, clerk, here, elsewhere = town
    today = timezone.localdate()

    page = new_page(WIDTH, 740)
    _sign_in(page, base, "/office/login/?next=/office/announcements/new/", clerk.email, "ログイン")
    assert page.url.endswith("/office/announcements/new/")
    axe_check(page)
    _fits(page)
    for name, text in (
        ("title_ja", TITLE),
        ("body_ja", "9月15日に市民会館で敬老会を開きます。"),
        ("title_en", "Respect for the Aged gathering"),
        ("body_en", "On September 15 at the civic hall."),
    ):
        _tab_to(page, f'[name="{name}"]')
        page.keyboard.type(text)
    page.fill('[name="publish_on"]', today.isoformat())
    page.fill('[name="expires_on"]', (today + dt.timedelta(days=14)).isoformat())
    page.select_option('[name="town"]', "桜町")
    page.select_option('[name="age_band"]', "75-")
    _tab_to(page, 'button[type="submit"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/office/announcements/")
    assert TITLE in page.content()

    public = new_page(WIDTH, 740)
    public.goto(f"{base}/")
    axe_check(public)
    _fits(public)
    assert "図書館の臨時休館" in public.content() and TITLE not in public.content()
    public.goto(f"{base}/announcements/")
    axe_check(public)
    _fits(public)
    assert "図書館の臨時休館" in public.content() and TITLE not in public.content()

    resident = new_page(WIDTH, 740)
    _sign_in(resident, base, "/login/?next=/mypage/", here.email, "ログインする")
    assert resident.url.endswith("/mypage/")
    axe_check(resident)
    _fits(resident)
    assert TITLE in resident.content()
    published = Announcement.objects.get(title_ja=TITLE)
    assert (published.town, published.age_band, published.department) == ("桜町", "75-", clerk.department)
    _tab_to(resident, f'a[href="/announcements/{published.pk}/"]')
    with resident.expect_navigation():
        resident.keyboard.press("Enter")
    assert "市民会館" in resident.content()
    axe_check(resident)

    other = new_page(WIDTH, 740)
    _sign_in(other, base, "/login/?next=/mypage/", elsewhere.email, "ログインする")
    assert other.url.endswith("/mypage/")
    assert "図書館の臨時休館" in other.content() and TITLE not in other.content()
