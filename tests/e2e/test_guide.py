"""The life-event guide (手続ナビ) in Chromium on a 360 px wide phone screen: axe finds no serious or critical
violation on /guide/ and /guide/birth/ before and after answering, the questions are answered and sent with the
keyboard only, in the order of the page, and nothing overflows horizontally."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from madoguchi.accounts.tests.factories import create_departments
from madoguchi.procedures.services import sync_procedures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 360
MAX_TABS = 60


@pytest.fixture
def town(live_server):
    create_departments()
    sync_procedures(directory=settings.PROCEDURES_DIR)
    return live_server.url


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width}px wide"


def _focused(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def _tab_to(page, selector: str) -> None:
    for _ in range(MAX_TABS):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with Tab")


def test_guide_pages_with_the_keyboard_on_a_phone(town, new_page, axe_check):
    page = new_page(WIDTH, 740)
    page.goto(f"{town}/")
    link = page.get_by_role("link", name="くらしの出来事から手続きを探す")
    assert link.is_visible()

    page.goto(f"{town}/guide/")
    assert page.get_by_role("heading", level=1, name="くらしの出来事から手続きを探す").is_visible()
    assert page.locator(".card").count() == 10
    axe_check(page)
    _fits(page)

    # To the birth guide with the keyboard only.
    _tab_to(page, "a[href='/guide/birth/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/guide/birth/")
    axe_check(page)
    _fits(page)

    # Focus order: the date, then each question (its checked radio, "わからない・答えない" at first), then the button.
    _tab_to(page, "#event-date")
    order = []
    for _ in range(MAX_TABS):
        order.append(_focused(page) or page.evaluate("document.activeElement.tagName"))
        if page.evaluate("document.activeElement.type === 'submit'"):
            break
        page.keyboard.press("Tab")
    assert order == [
        "event-date",
        "q-kokuho-unknown",
        "q-other_children-unknown",
        "q-single_parent-unknown",
        "q-outside-unknown",
        "q-nursery-unknown",
        "q-foreign-unknown",
        "BUTTON",
    ]

    # Answer: the date, 国民健康保険 yes, other children no; the arrow keys choose within a question.
    _tab_to(page, "#event-date")
    page.keyboard.type("令和8年4月20日")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # from the last choice round to the first: はい
    assert page.locator("#q-kokuho-yes").is_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # いいえ
    assert page.locator("#q-other_children-no").is_checked()
    _tab_to(page, "button[type='submit']")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "answered=1" in page.url and "kokuho=yes" in page.url
    assert page.get_by_role("heading", level=2, name="必要な手続き").is_visible()
    online = page.locator("section[aria-labelledby='group-online']")
    assert online.get_by_role("link", name="子ども医療費助成申請", exact=True).is_visible()
    assert online.get_by_role("link", name=re.compile("オンラインで申請する")).first.is_visible()
    birth = page.locator("#entry-shussei-todoke")
    assert "市民課 1番窓口" in birth.inner_text()
    # 14 days counting 20 April end on Sunday 3 May; the offices reopen on 7 May.
    assert "令和8年（2026年）5月3日（日）まで" in birth.inner_text()
    assert "5月7日（木）まで" in birth.inner_text()
    assert page.locator("#q-kokuho-yes").is_checked() and page.locator("#q-other_children-no").is_checked()
    assert page.locator("#event-date").input_value() == "令和8年4月20日"
    axe_check(page)
    _fits(page)

    # A date that does not exist: the message, the form again with what was typed, and still accessible.
    page.goto(f"{town}/guide/birth/?date=2026-02-30&kokuho=yes&answered=1")
    assert page.get_by_role("alert").is_visible()
    assert page.locator("#event-date").input_value() == "2026-02-30"
    assert page.locator("#q-kokuho-yes").is_checked()
    axe_check(page)
    _fits(page)


def test_the_longest_guide_fits_and_passes_axe_in_english(town, new_page, axe_check):
    page = new_page(WIDTH, 740)
    page.goto(f"{town}/en/guide/death/?answered=1&date=2026-04-01")
    assert page.get_by_role("heading", level=2, name="Procedures you need").is_visible()
    assert page.locator("li.card").count() == 32
    axe_check(page)
    _fits(page)
