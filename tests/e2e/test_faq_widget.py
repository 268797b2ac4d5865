"""The FAQ chat widget in Chromium, keyboard only: open it, ask, read the answer with its procedure link, say it
helped, close it with Escape; axe on the open dialog; the panel fits a 360 px screen; without JavaScript the
button is a link to the full-page chat, which answers a form post."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from madoguchi.demo.services import import_demo_faq
from madoguchi.faq.models import ChatQuestion
from madoguchi.procedures.services import sync_procedures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BASE_TEMPLATE = Path(django_settings.BASE_DIR) / "templates" / "base.html"
MAX_TABS = 80


def _page_with_widget() -> str:
    """Every portal page once base.html includes the widget; until then, an FAQ entry page (it includes it)."""
    return "/" if "faq_widget" in BASE_TEMPLATE.read_text(encoding="utf-8") else "/faq/entries/FAQ-001/"


@pytest.fixture
def town(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.ROOT_URLCONF = "madoguchi.faq.tests.urls"
    import_demo_faq()
    sync_procedures(directory=settings.PROCEDURES_DIR)
    return live_server.url


def _tab_to(page, selector: str) -> None:
    """Press Tab until the element matching `selector` has the focus (keyboard only, no clicks)."""
    for _ in range(MAX_TABS):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with Tab")


def test_widget_with_the_keyboard(town, new_page, axe_check):
    page = new_page(360, 740)
    page.goto(town + _page_with_widget())
    launcher = page.locator("[data-faq-open]")
    assert launcher.is_visible()
    assert not page.locator("[data-faq-link]").is_visible()  # the no-JS link is replaced by the button

    _tab_to(page, "[data-faq-open]")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="チャットで質問")
    assert dialog.is_visible()
    question = page.get_by_label("質問", exact=True)
    assert question.evaluate("(element) => element === document.activeElement")
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360  # fits the screen
    # Links keep the page's link colour even inside the dark site footer (axe does not see top-layer dialogs).
    link_colour = dialog.get_by_role("link", name="大きな画面で開く").evaluate(
        "(e) => getComputedStyle(e).color"
    )
    assert link_colour != "rgb(255, 255, 255)"

    page.keyboard.type("粗大ごみを出したい")
    page.keyboard.press("Enter")
    answer = dialog.locator("article.faq-msg--answer")
    answer.wait_for()
    assert "ソファやタンスなど大きな家具を捨てたいです。" in answer.inner_text()
    procedure = answer.get_by_role("link", name=re.compile("粗大ごみ収集申込"))
    assert procedure.get_attribute("href") == "/procedures/sodai-gomi/"
    assert page.evaluate(
        "document.activeElement.classList.contains('faq-msg--answer')"
    )  # focus on the answer
    axe_check(page)

    _tab_to(page, "[data-helpful='yes']")
    page.keyboard.press("Enter")
    thanks = answer.locator("[data-slot='thanks-yes']")
    thanks.wait_for()
    assert thanks.inner_text() == "ありがとうございました。"
    assert ChatQuestion.objects.get().helpful is True

    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert page.evaluate("document.activeElement.hasAttribute('data-faq-open')")


def test_html_typed_into_the_widget_is_shown_as_text(town, new_page):
    page = new_page(1280, 900)
    page.goto(town + _page_with_widget())
    page.locator("[data-faq-open]").click()
    question = page.get_by_label("質問", exact=True)
    question.fill("<img src=x onerror=\"document.title='pwned'\">住民票がほしい")
    question.press("Enter")
    page.locator("article.faq-msg--answer").wait_for()
    asked = page.locator(".faq-msg--question .faq-msg__text").last
    assert asked.inner_text().startswith("<img src=x")
    assert page.title() != "pwned" and page.locator(".faq-widget img").count() == 0


def test_without_javascript_the_link_opens_the_full_page_chat(town, browser):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 360, "height": 740}, locale="ja-JP"
    )
    try:
        page = context.new_page()
        page.goto(town + _page_with_widget())
        link = page.locator("[data-faq-link]")
        assert link.is_visible()
        link.click()
        page.wait_for_url(re.compile("/faq/$"))
        page.get_by_label(re.compile("^\\s*質問")).fill("粗大ごみを出したい")
        page.get_by_role("button", name="質問する").click()
        page.wait_for_load_state()
        assert "ソファやタンスなど大きな家具を捨てたいです。" in page.content()
    finally:
        context.close()


def test_chat_and_inquiry_pages_pass_axe(town, new_page, axe_check):
    page = new_page(360, 740)
    page.goto(f"{town}/faq/")
    axe_check(page)
    for question in ("粗大ごみを出したい", "期日前投票はどこでできますか", "申請の状況"):
        page.get_by_label(re.compile("^\\s*質問")).fill(question)
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("質問する|別の質問をする")).click()
        axe_check(page)
    page.goto(f"{town}/faq/inquiries/new/")
    with page.expect_navigation():
        page.get_by_role("button", name="送信する").click()  # no email: the error summary
    assert page.get_by_role("alert").is_visible()
    axe_check(page)
    page.get_by_label(re.compile("^\\s*お問い合わせの内容")).fill("粗大ごみの料金はいくらですか。")
    page.get_by_label(re.compile("^\\s*回答を受け取るメールアドレス")).fill("visitor@example.jp")
    with page.expect_navigation():
        page.get_by_role("button", name="送信する").click()
    assert "お問い合わせを受け付けました" in page.content()
    axe_check(page)


def test_office_faq_pages_pass_axe(town, new_page, axe_check):
    from madoguchi.accounts.tests.factories import DepartmentFactory, StaffFactory
    from madoguchi.faq import services

    staff = StaffFactory(
        email="kankyo.faq@city.midori.example.jp",
        password="midori-e2e-password-2026",
        department=DepartmentFactory(code="kankyo"),
        reviewer=True,
    )
    services.ask(question="粗大ごみを出したい", lang="ja")
    unhelpful = services.ask(question="大きい家具を捨てたいのですが", lang="ja")
    services.record_feedback(question=services.question_from_token(unhelpful.token), helpful=False)
    inquiry = services.open_inquiry(
        question="庭木の枝は何ごみ？", category="ごみ・リサイクル", email="a@example.jp"
    )
    services.reply_to_inquiry(inquiry=inquiry, staff=staff, body="50cm以下に切って出してください。")
    page = new_page(1280, 900)
    page.goto(f"{town}/office/login/")
    page.get_by_label(re.compile("^\\s*メールアドレス")).fill(staff.email)
    page.get_by_label(re.compile("^\\s*パスワード")).fill("midori-e2e-password-2026")
    with page.expect_navigation():
        page.get_by_role("button", name="ログイン").click()
    for path in (
        "/faq/office/",
        "/faq/office/entries/FAQ-086/",
        "/faq/office/entries/FAQ-001/",
        "/faq/office/entries/new/",
        "/faq/office/inquiries/?status=all",
        f"/faq/office/inquiries/{inquiry.reference}/",
        f"/faq/office/inquiries/{inquiry.reference}/promote/",
        "/faq/office/analytics/",
        "/faq/office/review/",
    ):
        response = page.goto(town + path)
        assert response.status == 200, path
        axe_check(page)
    # The review list with the keyboard only: the first group's "add as a phrasing" of the entry preselected.
    page.goto(f"{town}/faq/office/review/?kind=unhelpful")
    button = page.get_by_role("button", name="言い換えとして追加").first
    for _ in range(60):
        page.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    else:
        raise AssertionError("the add button is not reachable with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "に言い換えを追加しました" in page.content()
    assert "確認が必要な質問はありません" in page.content()
    axe_check(page)
