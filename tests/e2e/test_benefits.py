"""Benefits end to end in Chromium: a resident on a 360 px phone opens the household's 確認書 from My Page and,
with the keyboard only, corrects the account and applies, or declines after the page that says what declining
means (axe on every page, nothing overflows); an approver opens the program dashboard (axe), approves and sees
the figures move."""

from __future__ import annotations

import re

import pytest

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import PASSWORD, DepartmentFactory, StaffFactory
from madoguchi.benefits import services
from madoguchi.benefits.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Channel,
    Payment,
    PaymentStatus,
)
from madoguchi.benefits.tests.support import linked_resident, make_household, make_program

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 360
MAX_TABS = 80


def _tab_to(page, selector: str) -> None:
    for _ in range(MAX_TABS):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with Tab on {page.url}")


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width}px wide"


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label(re.compile(r"^\s*メールアドレス\s*(必須)?\s*$")).first.focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _resident_on_benefits_list(live_server, new_page, resident):
    """The resident signed in on a 360 px phone, gone from My Page to the 給付金 list with the keyboard."""
    page = new_page(WIDTH, 740)
    _sign_in(page, f"{live_server.url}/login/", resident.email)
    page.goto(f"{live_server.url}/mypage/")
    _tab_to(page, "a[href='/benefits/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return page


def test_a_resident_corrects_the_account_and_applies_on_a_phone_with_the_keyboard(
    live_server, new_page, axe_check
):
    program = make_program()
    household = make_household()
    services.compute_eligibility(program=program)
    page = _resident_on_benefits_list(live_server, new_page, linked_resident(household))
    axe_check(page)
    _fits(page)
    _tab_to(page, "a[href^='/benefits/C']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    axe_check(page)
    _fits(page)
    assert "****567" in page.inner_text("main")

    _tab_to(page, "input[name='choice']")
    page.keyboard.press("ArrowDown")  # 別の口座を入力する
    for name, text in (
        ("bank_code", "0001"),
        ("branch_code", "998"),
        ("account_number", "7654321"),
        ("holder_kana", "みどりかわ　はなこ"),
    ):
        _tab_to(page, f"[name='{name}']")
        page.keyboard.type(text)
    _tab_to(page, "button[type='submit']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    axe_check(page)
    _fits(page)
    assert "支店コード「998」の支店はありません" in page.inner_text(".error-summary")
    assert not Application.objects.exists()

    _tab_to(page, "[name='branch_code']")
    page.keyboard.press("Control+A")
    page.keyboard.type("001")
    _tab_to(page, "button[type='submit']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    axe_check(page)
    application = Application.objects.get()
    assert (application.channel, application.status, application.account_corrected) == (
        Channel.ONLINE,
        ApplicationStatus.RECEIVED,
        True,
    )
    assert application.number in page.inner_text("main")


def test_the_program_dashboard_in_chromium(live_server, new_page, axe_check):
    program = make_program()
    households = [make_household() for _ in range(4)]
    services.compute_eligibility(program=program)
    for household, channel in zip(
        households[:3], (Channel.ONLINE, Channel.COUNTER, Channel.PAPER), strict=True
    ):
        services.apply(program=program, household=household, channel=channel)
    approver = StaffFactory(department=DepartmentFactory(code="fukushi"), role=Role.APPROVER)
    page = new_page(1280, 900)
    _sign_in(page, f"{live_server.url}/office/login/", approver.email)
    page.goto(f"{live_server.url}/office/benefits/")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="テスト給付金").click()
    axe_check(page)
    assert page.locator("[data-figure='eligible']").inner_text() == "4"
    assert page.locator("[data-figure='applied']").inner_text() == "3"
    assert page.locator("svg.figures-bars rect").count() >= 6
    assert "成り立っています" in page.locator("[data-figure='reconciles']").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="受付済みの申請 3 件の支給を決定する").click()
    axe_check(page)
    assert page.locator("[data-figure='approved']").inner_text() == "3"
    assert Payment.objects.count() == 3
    with page.expect_download() as download:
        page.get_by_role("button", name="振込データ（全銀）を作成する（3 件）").click()
    assert download.value.suggested_filename.startswith("test-kyufu-zengin-")


def test_a_resident_declines_on_a_phone_with_the_keyboard_after_reading_what_it_means(
    live_server, new_page, axe_check
):
    program = make_program()
    household = make_household()
    services.compute_eligibility(program=program)
    page = _resident_on_benefits_list(live_server, new_page, linked_resident(household))
    _tab_to(page, "a[href^='/benefits/C']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    axe_check(page)
    _fits(page)

    _tab_to(page, "a[href$='/decline/']")  # 辞退の手続きへ進む
    with page.expect_navigation():
        page.keyboard.press("Enter")
    axe_check(page)
    _fits(page)
    meaning = page.inner_text("[data-decline-meaning]")
    assert "30,000 円）は支給されません" in meaning and "撤回できます" in meaning
    assert not Application.objects.exists()  # the confirmation step files nothing

    _tab_to(page, "main button[type='submit']")  # 給付金の受給を辞退する
    assert page.evaluate("document.activeElement.textContent").strip() == "給付金の受給を辞退する"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    axe_check(page)
    _fits(page)
    decline = Application.objects.get()
    assert (decline.kind, decline.status, decline.channel) == (
        ApplicationKind.DECLINE,
        ApplicationStatus.DECLINED,
        Channel.ONLINE,
    )
    assert Payment.objects.get().status == PaymentStatus.DECLINED
    notice = page.inner_text("[data-declined]")
    assert "受給を辞退しています" in notice and decline.number in notice
    assert page.locator("main a[href$='/decline/']").count() == 0
    assert page.locator("main button[type='submit']").count() == 0  # no form to apply either
