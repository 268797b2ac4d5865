"""The benefit desk in Chromium at 1366 px, with the keyboard only (axe on every page): a clerk goes from the
office navigation to the desk, finds the household by its 宛名番号, finds the bank by its name, enters the
branch, the account and the holder in hiragana, reviews what will be paid (names from zengin-code, the holder
in 全銀 half-width kana), files the counter application and gets the receipt; the same household again is shown
side by side with no form to file a second application."""

from __future__ import annotations

import os
import re

import pytest

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import PASSWORD, DepartmentFactory, StaffFactory
from madoguchi.benefits import services
from madoguchi.benefits.models import Application, ApplicationStatus, Channel
from madoguchi.benefits.tests.support import make_household, make_program

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 1366
MAX_TABS = 120
SHOTS = os.environ.get("MADOGUCHI_E2E_SCREENSHOTS", "")  # a directory: save each page for a person to look at


def _tab_to(page, selector: str) -> None:
    for _ in range(MAX_TABS):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with Tab on {page.url}")


def _check(page, axe_check, name: str) -> None:
    axe_check(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width}px wide"
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _wait_for_autofocus(page, selector: str) -> None:
    """Chromium moves focus to an autofocus field in a rendering step after load, not at once."""
    page.wait_for_function("(s) => document.activeElement && document.activeElement.matches(s)", arg=selector)


def _enter(page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_clerk_files_a_counter_application_with_the_keyboard_and_a_second_one_is_refused(
    live_server, new_page, axe_check
):
    program = make_program()
    household = make_household(account=False)  # no 公金受取口座: the account is entered
    make_household()
    services.compute_eligibility(program=program)
    head = household.members.order_by("atena_number").first()
    clerk = StaffFactory(department=DepartmentFactory(code="fukushi"), role=Role.REVIEWER)

    page = new_page(WIDTH, 900)
    page.goto(f"{live_server.url}/office/login/")
    page.get_by_label(re.compile(r"^\s*メールアドレス\s*(必須)?\s*$")).first.focus()
    page.keyboard.type(clerk.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    _enter(page)

    _tab_to(page, "a[href='/office/benefits/desk/']")  # the office navigation
    _enter(page)  # one program open: straight to its desk
    assert page.url.endswith(f"/office/benefits/{program.slug}/desk/")
    _check(page, axe_check, "1-desk")
    _wait_for_autofocus(page, "[name='atena_number']")
    page.keyboard.type(head.atena_number)
    _enter(page)  # one match: the household's page
    assert f"/counter/{head.pk}/" in page.url
    _check(page, axe_check, "2-entry")
    assert "30,000 円" in page.inner_text("main")

    _tab_to(page, "#finder-text")  # find the bank by its name
    page.keyboard.type("みずほ")
    page.locator("[data-finder-results] button").first.wait_for()
    page.keyboard.press("Enter")  # to the first candidate
    assert page.evaluate("document.activeElement.textContent").startswith("0001")
    page.keyboard.press("Enter")  # choose it: the code is filled in, the branch is next
    assert page.evaluate("document.activeElement.name") == "branch_code"
    assert page.input_value("[name='bank_code']") == "0001"
    page.keyboard.type("001")
    page.locator("[data-name-of='branch_code']").filter(has_text="東京営業部").wait_for()
    assert page.inner_text("[data-name-of='bank_code']") == "みずほ"
    _tab_to(page, "[name='account_number']")
    page.keyboard.type("7654321")
    _tab_to(page, "[name='holder_kana']")
    page.keyboard.press("Control+A")
    page.keyboard.type("みどりかわ　きょうこ")
    _tab_to(page, "button[value='review']")
    _enter(page)
    _check(page, axe_check, "3-review")
    assert page.inner_text("[data-figure='review-amount']") == "30,000 円"
    assert page.inner_text("[data-figure='review-bank']") == "みずほ（0001）"
    assert page.inner_text("[data-figure='review-branch']") == "東京営業部（001）"
    assert page.inner_text("[data-figure='review-holder']") == "ﾐﾄﾞﾘｶﾜ ｷﾖｳｺ"
    assert not Application.objects.exists()

    _wait_for_autofocus(page, "button[value='confirm']")  # 登録
    _enter(page)
    _check(page, axe_check, "4-receipt")
    application = Application.objects.get()
    assert (application.channel, application.status, application.holder_kana) == (
        Channel.COUNTER,
        ApplicationStatus.RECEIVED,
        "ﾐﾄﾞﾘｶﾜ ｷﾖｳｺ",
    )
    assert page.inner_text("[data-figure='receipt-number']") == application.number
    assert "****321" in page.inner_text("main")

    _tab_to(page, f"a[href='/office/benefits/{program.slug}/desk/']")  # 次の方の受付へ
    _enter(page)
    _wait_for_autofocus(page, "[name='atena_number']")  # keys typed before autofocus lands are lost
    page.keyboard.type(head.atena_number)
    _enter(page)
    _check(page, axe_check, "5-applied")
    assert page.locator("[data-mode='applied']").count() == 1
    assert application.number in page.inner_text(".benefit-side-by-side")
    assert page.locator("button[value='review']").count() == 0
    assert Application.objects.count() == 1
