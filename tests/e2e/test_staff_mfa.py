"""Staff two-step sign-in in Chromium, with the keyboard alone: set up the authenticator from the key shown
as text, keep the backup codes, sign out, then sign in again with a wrong and a right code."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django_otp.oath import TOTP

from madoguchi.accounts.tests.factories import DepartmentFactory, StaffFactory, create_departments

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "midori-e2e-password-2026"


@pytest.fixture
def office(live_server, settings):
    settings.STAFF_MFA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the wrong code below must not make the right one wait
    create_departments()
    staff = StaffFactory(
        email="kosodate.reviewer@city.midori.example.jp",
        password=PASSWORD,
        department=DepartmentFactory(code="kosodate"),
        reviewer=True,
    )
    return live_server.url, staff


def code_from_key(key_text: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app fed with the key shown on the page would display."""
    secret = key_text.replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(key, step=30, t0=0, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def type_into(page, label: str, text: str) -> None:
    page.get_by_label(label, exact=True).focus()
    page.keyboard.type(text)


def test_staff_set_up_and_sign_in_with_a_code_using_the_keyboard(office, new_page, axe_check):
    base, staff = office
    page = new_page(1280, 900)
    page.goto(f"{base}/office/login/")
    type_into(page, "メールアドレス", staff.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    page.wait_for_url(re.compile("/office/login/setup/$"))
    axe_check(page)
    assert page.locator(".mfa-qr svg").is_visible()
    key_text = page.locator(".mfa-key__secret").inner_text()
    code_input = page.get_by_label("確認コード（6桁）", exact=True)
    assert code_input.get_attribute("autocomplete") == "one-time-code"
    assert code_input.get_attribute("inputmode") == "numeric"
    type_into(page, "確認コード（6桁）", code_from_key(key_text))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    axe_check(page)
    codes = page.locator(".mfa-backup-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="控えたので、職員画面へ進む").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search("/office/$", page.url)

    with page.expect_navigation():
        page.get_by_role("button", name="ログアウト").press("Enter")
    type_into(page, "メールアドレス", staff.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/office/login/code/$"))
    axe_check(page)

    # The code set-up used is spent; the next time step's code is the app's next one.
    right = code_from_key(key_text, steps_ahead=1)
    type_into(page, "確認コード（6桁）", f"{(int(right) + 500_000) % 1_000_000:06d}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("確認コード（6桁）", exact=True).get_attribute("aria-invalid") == "true"
    assert "確認コードが正しくありません。" in page.locator("#id_code-error").inner_text()
    axe_check(page)

    type_into(page, "確認コード（6桁）", right)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search("/office/$", page.url)
    assert page.get_by_role("button", name="ログアウト").is_visible()
