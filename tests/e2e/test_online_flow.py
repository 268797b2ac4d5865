"""The online channel end to end in Chromium: a resident applies for 住民票の写し, staff ask for more
information, the resident uploads a document, staff approve, and the resident sees 承認 on My Page."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.cases.models import Case, Status
from madoguchi.demo.services import ensure_departments
from madoguchi.procedures.services import sync_procedures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "midori-e2e-password-2026"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff\xff\x7f\x00\t\xfb\x03\xfd*\x86\xe3\x8a\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def town(live_server, settings):
    settings.SITE_URL = live_server.url
    ensure_departments()
    sync_procedures(directory=settings.PROCEDURES_DIR)
    staff = StaffFactory(
        email="shimin.approver@city.midori.example.jp",
        password=PASSWORD,
        department=DepartmentFactory(code="shimin"),
        role=Role.APPROVER,
        display_name="市民 承認",
    )
    return live_server.url, staff


def field(page, label: str):
    """The input labelled exactly `label`, whatever required/optional mark follows it."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*(必須|任意|Required|Optional)?\s*$"))


def _sign_up_and_in(page, base: str, axe_check) -> None:
    page.goto(f"{base}/signup/")
    axe_check(page)
    field(page, "メールアドレス").fill("hanako@example.jp")
    field(page, "パスワード").fill(PASSWORD)
    field(page, "パスワード（確認のため、もう一度）").fill(PASSWORD)
    page.get_by_role("button", name="登録する").click()
    page.wait_for_url(re.compile("/signup/sent/"))
    axe_check(page)
    link = re.search(r"https?://\S+/verify/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)  # the browser that signed up is signed in by the confirmation link
    page.wait_for_url(re.compile("/mypage/"))
    axe_check(page)


def _apply_for_juminhyo(page, base: str, axe_check) -> str:
    page.goto(f"{base}/procedures/?q=住民票")
    axe_check(page)
    page.get_by_role("link", name="住民票の写しの交付請求").first.click()
    axe_check(page)
    page.get_by_role("button", name=re.compile("オンラインで申請")).first.click()

    # Step 1, with a wrong phone number and a birth date in the future.
    field(page, "氏名").fill("緑川 花子")
    field(page, "氏名（フリガナ）").fill("みどりかわ はなこ")
    field(page, "生年月日").fill("令和30年1月1日")
    field(page, "郵便番号").fill("100-0001")
    field(page, "住所").fill("東京都千代田区千代田1番1号")
    field(page, "日中に連絡のつく電話番号").fill("12345")
    page.get_by_role("button", name="次へ進む").click()
    summary = page.get_by_role("alert")
    assert summary.is_visible()
    axe_check(page)
    phone = field(page, "日中に連絡のつく電話番号")
    assert phone.get_attribute("aria-invalid") == "true"
    assert field(page, "氏名").input_value() == "緑川 花子"  # nothing typed is lost
    field(page, "生年月日").fill("昭和33年4月12日")
    phone.fill("090-1234-5678")
    page.get_by_role("button", name="次へ進む").click()

    # Step 2: the certificate.
    field(page, "本人のみ").check()
    field(page, "必要な通数").fill("1")
    field(page, "使用目的").select_option("employment")
    axe_check(page)
    page.get_by_role("button", name="次へ進む").click()

    # Step 3: delivery, then the review page.
    field(page, "市民課窓口で受け取る").check()
    field(page, "記載内容に誤りがないことを確認しました").check()
    page.get_by_role("button", name="入力内容を確認する").click()
    axe_check(page)
    page.get_by_role("button", name="この内容で申請する").click()
    page.wait_for_url(re.compile("/receipt/"))
    axe_check(page)
    case = Case.objects.get(applicant__email="hanako@example.jp")
    assert case.status == Status.SUBMITTED
    assert case.reference in page.content()
    return case.reference


def _staff_sign_in(page, base: str, staff) -> None:
    page.goto(f"{base}/office/login/")
    field(page, "メールアドレス").fill(staff.email)
    field(page, "パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile("/office/$"))


def test_resident_applies_staff_request_information_and_approve(town, new_page, axe_check):
    base, staff = town
    resident = new_page()
    _sign_up_and_in(resident, base, axe_check)
    reference = _apply_for_juminhyo(resident, base, axe_check)

    office = new_page(1280, 900)
    _staff_sign_in(office, base, staff)
    assert reference in office.content()  # the new case is in the 市民課 queue
    office.goto(f"{base}/office/cases/{reference}/")
    office.get_by_label(re.compile("申請者へのメッセージ")).fill("本人確認書類の写しを添付してください。")
    with office.expect_navigation():
        office.get_by_role("button", name="追加情報を依頼する").click()
    assert Case.objects.get(reference=reference).status == Status.WAITING_FOR_APPLICANT

    resident.goto(f"{base}/mypage/cases/{reference}/")
    axe_check(resident)
    assert "本人確認書類の写しを添付してください。" in resident.content()
    field(resident, "返信の内容").fill("運転免許証の写しを添付します。")
    field(resident, "書類").set_input_files(
        files=[{"name": "license.png", "mimeType": "image/png", "buffer": PNG}]
    )
    with resident.expect_navigation():
        resident.get_by_role("button", name="返信を送る").click()
    axe_check(resident)
    case = Case.objects.get(reference=reference)
    assert case.status == Status.IN_REVIEW
    assert case.attachments.filter(original_name="license.png").exists()

    # Review, then decision (決裁): a reviewer sends it with a summary; the approver confirms the approval.
    StaffFactory(
        email="shimin.reviewer@city.midori.example.jp",
        password=PASSWORD,
        department=staff.department,
        role=Role.REVIEWER,
        display_name="市民 審査",
    )
    reviewer_page = new_page(1280, 900)
    _staff_sign_in(
        reviewer_page, base, type("Reviewer", (), {"email": "shimin.reviewer@city.midori.example.jp"})
    )
    reviewer_page.goto(f"{base}/office/cases/{reference}/")
    assert "license.png" in reviewer_page.content()
    reviewer_page.get_by_label(re.compile("審査の所見")).fill("本人確認書類を確認しました。")
    with reviewer_page.expect_navigation():
        reviewer_page.get_by_role("button", name="決裁に回す").click()
    assert Case.objects.get(reference=reference).status == Status.READY_FOR_DECISION

    office.goto(f"{base}/office/cases/{reference}/")
    assert "本人確認書類を確認しました。" in office.content()
    with office.expect_navigation():
        office.get_by_role("button", name="承認する").click()
    assert Case.objects.get(reference=reference).status == Status.READY_FOR_DECISION  # the confirmation page
    with office.expect_navigation():
        office.get_by_role("button", name="「承認する」を確定する").click()
    assert Case.objects.get(reference=reference).status == Status.APPROVED

    resident.goto(f"{base}/mypage/")
    axe_check(resident)
    row = resident.locator("li, tr, article").filter(has_text=reference).first
    assert "承認" in row.inner_text()
    resident.goto(f"{base}/mypage/notices/")
    axe_check(resident)
    assert "申請が承認されました" in resident.content()


def test_sign_in_and_a_form_step_work_with_the_keyboard_alone(town, new_page, axe_check):
    base, _staff = town
    ResidentFactory(email="keyboard@example.jp", password=PASSWORD, email_verified_at="2026-01-01T00:00Z")
    page = new_page(360, 780)
    page.goto(f"{base}/login/")
    axe_check(page)
    field(page, "メールアドレス").focus()
    page.keyboard.type("keyboard@example.jp")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login/" not in page.url

    page.goto(f"{base}/procedures/juminhyo-copy/apply/")  # a GET: the procedure page, no draft yet
    with page.expect_navigation():
        page.get_by_role("button", name="オンラインで申請する").first.click()  # the POST opens the draft
    # the step puts the focus where its content starts: its heading (issue 15)
    page.wait_for_function("() => document.activeElement && document.activeElement.tagName === 'H1'")
    page.keyboard.press("Tab")  # and the next Tab goes on into the form, not back to the header
    assert page.evaluate("document.activeElement.closest('main') !== null")
    field(page, "氏名").focus()
    page.keyboard.type("鍵盤 太郎")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits the step; the other fields are now missing
    assert page.get_by_role("alert").is_visible()
    assert page.evaluate("document.activeElement.closest('[role=alert]') !== null")
    axe_check(page)
    # Nothing scrolls sideways on a 360 px wide phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_every_public_page_passes_axe_at_360_px_in_both_languages(town, new_page, axe_check):
    base, _staff = town
    page = new_page(360, 780)
    for path in [
        "/",
        "/procedures/",
        "/procedures/juminhyo-copy/",
        "/login/",
        "/signup/",
        "/en/",
        "/en/procedures/",
    ]:
        page.goto(f"{base}{path}")
        axe_check(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    assert settings.LANGUAGE_CODE == "ja"
