"""The clerk's and the resident's journey in Chromium at 360 px and 1366 px, keyboard only, axe on every page:
a reviewer finds a case by the applicant's kana, sees the attachments inline (the page and its preview images
one audit row), starts the review and sends it for decision with a summary; an approver reads the summary, approves, confirms on a second page, and the case says
who reviewed and who decided; the department dashboard shows it; the resident's case page and receipt say what
happens next (what to bring, the fee, where and when to collect)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.cases import services
from madoguchi.cases.models import Case, Status
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.models import AuditEvent
from madoguchi.demo.services import ensure_departments
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.services import sync_procedures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "midori-e2e-password-2026"
SUMMARY = "住民記録と照合し、記載内容に誤りがないことを確認しました。"
MAX_TABS = 150


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), "navy").save(out, "PNG")
    return out.getvalue()


def _pdf(pages: int) -> bytes:
    images = [Image.new("RGB", (200, 280), colour) for colour in ("white", "ivory", "beige")[:pages]]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


@pytest.fixture
def town(live_server, settings, tmp_path):
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "uploads"
    ensure_departments()
    sync_procedures(directory=settings.PROCEDURES_DIR)
    shimin = DepartmentFactory(code="shimin")
    reviewer = StaffFactory(
        email="shimin.reviewer@city.midori.example.jp",
        password=PASSWORD,
        department=shimin,
        role=Role.REVIEWER,
        display_name="若葉 審査",
    )
    approver = StaffFactory(
        email="shimin.approver@city.midori.example.jp",
        password=PASSWORD,
        department=shimin,
        role=Role.APPROVER,
        display_name="春日 決裁",
    )
    resident = ResidentFactory(email="hanako@example.jp", password=PASSWORD)
    case = CaseFactory(
        procedure=Procedure.objects.get(slug="juminhyo-copy"),
        applicant=resident,
        applicant_name="緑川 花子",
        reference="HN7K-2QRS",
        data={"applicant_kana": "ミドリカワ\u3000ハナコ", "applicant_phone": "09012345678"},
    )
    for name, data, content_type in (
        ("honnin.png", _png(), "image/png"),
        ("gensen.pdf", _pdf(2), "application/pdf"),
    ):
        attachment = services.attach_file(
            case=case, uploaded=SimpleUploadedFile(name, data, content_type=content_type), by=resident
        )
        services.render_attachment(attachment=attachment)
    return live_server.url, reviewer, approver, case


def _tab_to(page, predicate: str) -> None:
    """Press Tab until `predicate` (a JS expression over `el`, the focused element) holds."""
    for _ in range(MAX_TABS):
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({predicate}); }})()"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"not reached with Tab: {predicate}")


def _sign_in(page, base: str, path: str, email: str, button: str) -> None:
    page.goto(base + path)
    page.get_by_label(re.compile(r"^\s*メールアドレス")).fill(email)
    page.get_by_label(re.compile(r"^\s*パスワード")).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=button).press("Enter")


@pytest.mark.parametrize("width,height", [(360, 740), (1366, 768)])
def test_review_then_decision_and_what_happens_next(town, new_page, axe_check, width, height):
    base, reviewer, approver, case = town

    # The reviewer finds the case by the applicant's kana, with the keyboard.
    page = new_page(width, height)
    _sign_in(page, base, "/office/login/", reviewer.email, "ログイン")
    axe_check(page)
    _tab_to(page, "el.id === 'id_q'")
    page.keyboard.type("みどりかわ はなこ")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert case.reference in page.content()
    axe_check(page)
    _tab_to(page, f"el.tagName === 'A' && el.textContent.includes('{case.reference}')")
    looks = AuditEvent.objects.filter(object_type="case", object_id=case.reference, actor_id=reviewer.pk)
    before = looks.count()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    preview = page.get_by_role("img", name=re.compile("honnin.pngの1ページ目"))
    assert preview.is_visible()
    previews = page.locator("img.office-preview__image")
    assert previews.count() == 3  # honnin.png, and both pages of gensen.pdf
    for index in range(previews.count()):  # loading="lazy": each loads as it comes into view
        previews.nth(index).scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.office-preview__image')].every(i => i.complete && i.naturalWidth > 0)"
    )
    # The look at the case page is one audit row however many preview images the browser loaded: the row lists
    # each page shown, and each image came with the page's look token for its page.
    assert looks.count() == before + 1
    shown = {
        f"attachment:{attachment.pk}:{number}"
        for attachment in case.attachments.all()
        for number in range(1, (attachment.page_count or 1) + 1)
    }
    assert len(shown) == 3 and shown <= set(looks.order_by("-id").first().fields)
    axe_check(page)

    _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === '審査を始める'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, "el.id === 'action-submit_for_decision-note'")
    page.keyboard.type(SUMMARY)
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    case.refresh_from_db()
    assert case.status == Status.READY_FOR_DECISION and case.reviewed_by == reviewer
    assert "承認する" not in [b.inner_text() for b in page.get_by_role("button").all()]
    axe_check(page)

    # The approver reads the summary, approves, and confirms on a second page.
    page = new_page(width, height)
    _sign_in(page, base, f"/office/login/?next=/office/cases/{case.reference}/", approver.email, "ログイン")
    assert SUMMARY in page.content() and "若葉 審査" in page.content()
    _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === '承認する'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", name="「承認する」を確定しますか").is_visible()
    assert Case.objects.get(pk=case.pk).status == Status.READY_FOR_DECISION  # nothing written yet
    axe_check(page)
    _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('を確定する')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    case.refresh_from_db()
    assert (case.status, case.reviewed_by, case.decided_by) == (Status.APPROVED, reviewer, approver)
    facts = page.locator(".office-facts").inner_text()
    assert "若葉 審査" in facts and "春日 決裁" in facts
    axe_check(page)

    # The department dashboard counts it.
    page.goto(base + "/office/dashboard/")
    assert page.locator("#weekly-table").is_visible()
    assert page.locator("svg.office-hbars").count() == 6
    axe_check(page)

    # The resident reads what happens next on the case page and the receipt.
    page = new_page(width, height)
    _sign_in(page, base, f"/login/?next=/mypage/cases/{case.reference}/", "hanako@example.jp", "ログインする")
    if "/mypage/cases/" not in page.url:
        page.goto(f"{base}/mypage/cases/{case.reference}/")
    next_step = page.get_by_role("region", name="このあとの手続き")
    assert "市民課（市役所本庁舎1階 2番窓口）" in next_step.inner_text()
    assert "本人確認書類" in next_step.inner_text()
    axe_check(page)
    page.goto(f"{base}/applications/{case.reference}/receipt/")
    assert "1通300円" in page.content() and "承認されたら" in page.content()
    axe_check(page)
