"""Issue 15 (errors and edges, policy pages): styled error pages, sign-up that keeps where the resident was
going through the confirmation link, the header at 200% text, and the policy pages; at 360 and 1366 px, axe."""

from __future__ import annotations

import itertools
import re

import pytest
from django.core import mail

from madoguchi.demo.services import ensure_departments
from madoguchi.procedures.services import sync_procedures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "midori-e2e-password-2026"
WIDTHS = (360, 1366)


@pytest.fixture
def site(live_server, settings):
    settings.SITE_URL = live_server.url
    ensure_departments()
    sync_procedures(directory=settings.PROCEDURES_DIR)
    return live_server.url


def field(page, label: str):
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*(必須|任意|Required|Optional)?\s*$"))


@pytest.mark.parametrize("width", WIDTHS)
def test_error_and_policy_pages_are_styled_bilingual_and_pass_axe(site, new_page, axe_check, width):
    page = new_page(width=width, height=800)
    for path, heading in [
        ("/no-such-page/", "ページが見つかりません"),
        ("/en/no-such-page/", "Page not found"),
        ("/office/no-such-page/", "ページが見つかりません"),
        ("/privacy/", "個人情報の取扱い"),
        ("/en/privacy/", "Privacy policy"),
        ("/accessibility/", "ウェブアクセシビリティ方針"),
        ("/en/accessibility/", "Accessibility policy"),
    ]:
        page.goto(site + path)
        assert page.get_by_role("heading", level=1).inner_text() == heading
        axe_check(page)
        # every page links both policies from its footer
        footer = page.locator("footer")
        assert footer.get_by_role("link", name=re.compile("個人情報の取扱い|Privacy policy")).count() == 1
        assert (
            footer.get_by_role("link", name=re.compile("アクセシビリティ方針|Accessibility policy")).count()
            == 1
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_header_wraps_at_200_percent_text_and_english_stays_whole(site, new_page, axe_check):
    page = new_page(width=360, height=740)
    page.goto(site + "/")
    page.evaluate("document.documentElement.style.fontSize = '200%'")  # CSSOM: allowed by the page's CSP
    english = page.get_by_role("link", name="English")
    box = english.bounding_box()
    line = page.evaluate(
        "el => parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.7",
        english.element_handle(),
    )
    assert box["height"] < 2 * line + 24, "「English」 broke onto two lines"
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
              .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
              .map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))
              .slice(0, 8)"""
    )
    assert wide == [], wide
    # the menu items do not overlap one another
    boxes = [item.bounding_box() for item in page.locator(".site-nav__link").all()]
    for a, b in itertools.pairwise(boxes):
        same_row = abs(a["y"] - b["y"]) < 1
        assert not same_row or a["x"] + a["width"] <= b["x"] + 0.5
    axe_check(page)


def test_sign_up_from_a_procedure_keeps_the_page_through_the_confirmation_with_the_keyboard(
    site, new_page, axe_check
):
    page = new_page(width=360, height=740)
    page.goto(site + "/login/?next=/procedures/juminhyo-copy/")
    axe_check(page)
    signup = page.get_by_role("link", name="新規登録（メールアドレスで登録）")
    signup.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/signup/\?next="))
    axe_check(page)
    field(page, "メールアドレス").fill("hanako@example.jp")
    field(page, "パスワード").fill(PASSWORD)
    field(page, "パスワード（確認のため、もう一度）").fill(PASSWORD)
    field(page, "パスワード（確認のため、もう一度）").press("Enter")
    page.wait_for_url(re.compile("/signup/sent/"))
    link = re.search(r"https?://\S+/verify/\S+", mail.outbox[-1].body).group(0)
    assert "next=%2Fprocedures%2Fjuminhyo-copy%2F" in link
    page.goto(link)
    page.wait_for_url(re.compile(r"/procedures/juminhyo-copy/$"))
    nav = page.locator(".site-nav").inner_text()
    assert "ログアウト" in nav and "マイページ" in nav, nav  # signed in, no second log-in
    axe_check(page)
