"""The 確認書 in Chromium: an approver prints the letter batch from the program's dashboard with the keyboard
(axe on the page); a returned letter the intake cannot file is listed and explained (axe)."""

from __future__ import annotations

import re

import pytest

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import PASSWORD, DepartmentFactory, StaffFactory
from madoguchi.benefits import letters, services
from madoguchi.benefits.models import Confirmation
from madoguchi.benefits.paper import source
from madoguchi.benefits.tests.support import make_household, make_program
from madoguchi.intake import services as intake_services
from madoguchi.intake.models import FieldReading, PaperForm, ReadingStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label(re.compile(r"^\s*メールアドレス\s*(必須)?\s*$")).first.focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _tab_to(page, selector: str) -> None:
    for _ in range(80):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with Tab on {page.url}")


def test_an_approver_prints_the_hagaki_batch_with_the_keyboard(live_server, new_page, axe_check):
    program = make_program()
    for _ in range(3):
        make_household()
    services.compute_eligibility(program=program)
    approver = StaffFactory(department=DepartmentFactory(code="fukushi"), role=Role.APPROVER)
    page = new_page(1280, 900)
    _sign_in(page, f"{live_server.url}/office/login/", approver.email)
    page.goto(f"{live_server.url}/office/benefits/{program.slug}/")
    with page.expect_navigation():
        page.get_by_role("link", name="確認書の印刷（A4・圧着はがき）").click()
    axe_check(page)
    assert "未印刷 3 件" in page.inner_text("main")

    _tab_to(page, "#layout-a4")
    page.keyboard.press("ArrowDown")  # the radio group: 圧着はがき
    assert page.is_checked("#layout-hagaki")
    _tab_to(page, "#count")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert re.match(rf"{program.slug}-letters-hagaki-\d{{8}}-\d{{4}}\.pdf", download.value.suggested_filename)
    assert Confirmation.objects.filter(printed_at__isnull=False).count() == 2


def test_a_letter_the_intake_cannot_file_is_listed_and_explained(live_server, new_page, axe_check):
    program = make_program()
    make_household()
    services.compute_eligibility(program=program)
    batch = intake_services.start_batch(name="郵送分", source="cli")
    form = PaperForm.objects.create(
        batch=batch, source_key=letters.form_key(program.slug), source_version=2, case_number="0" * 32,
        page_count=1, status=PaperForm.Status.VERIFYING,
    )  # fmt: skip
    FieldReading.objects.create(
        form=form, field_id="confirm", value=True, proposed=True, confidence=0.99, status=ReadingStatus.AUTO
    )
    intake_services._refuse(form, source.refusal(form.source_key, 2, form.case_number))
    clerk = StaffFactory(department=DepartmentFactory(code="fukushi"), role=Role.REVIEWER)
    page = new_page(1280, 900)
    _sign_in(page, f"{live_server.url}/office/login/", clerk.email)
    page.goto(f"{live_server.url}/office/intake/")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("link", name=f"申請書 {form.pk}").click()
    axe_check(page)
    text = page.inner_text("main")
    assert "テスト給付金 支給要件確認書" in text and "参照番号" in text
    assert page.get_by_role("button", name="まとめて確定する").count() == 0
