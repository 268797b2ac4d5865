"""A resident who forgot their password resets it in Chromium: from the sign-in page to the emailed link, a
mistake shown in the error summary, the new password, and signing in with it; axe on every page."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from madoguchi.accounts.models import User, UserKind

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OLD_PASSWORD = "midori-e2e-password-2026"
NEW_PASSWORD = "aozora-e2e-password-2026"


def field(page, label: str):
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*(必須|任意|Required|Optional)?\s*$"))


@pytest.fixture
def resident(live_server, settings):
    settings.SITE_URL = live_server.url
    User.objects.create_user(
        email="wasureta@example.jp",
        password=OLD_PASSWORD,
        kind=UserKind.RESIDENT,
        email_verified_at="2026-01-01T00:00Z",
    )
    return live_server.url


def test_a_resident_resets_a_forgotten_password(resident, new_page, axe_check):
    base = resident
    page = new_page(360, 780)
    page.goto(f"{base}/login/")
    page.get_by_role("link", name="パスワードを忘れた方").click()
    page.wait_for_url(re.compile("/password/reset/$"))
    axe_check(page)

    page.get_by_role("button", name="再設定のメールを送る").click()  # nothing typed: the summary says so
    assert page.get_by_role("alert").is_visible()
    assert field(page, "メールアドレス").get_attribute("aria-invalid") == "true"
    axe_check(page)
    field(page, "メールアドレス").fill("wasureta@example.jp")
    page.get_by_role("button", name="再設定のメールを送る").click()
    page.wait_for_url(re.compile("/password/reset/sent/$"))
    assert "リンクは1回だけ、60分間有効です。" in page.content()
    axe_check(page)

    link = re.search(r"https?://\S+/password/reset/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.wait_for_url(re.compile("/password/reset/[^/]+/set/$"))
    axe_check(page)
    field(page, "新しいパスワード").fill(NEW_PASSWORD)
    field(page, "新しいパスワード（確認のため、もう一度）").fill("something-else-2026")
    page.get_by_role("button", name="パスワードを設定する").click()
    assert page.get_by_role("alert").is_visible()
    assert "確認のためのパスワードが一致しません" in page.get_by_role("alert").inner_text()
    axe_check(page)
    field(page, "新しいパスワード").fill(NEW_PASSWORD)
    field(page, "新しいパスワード（確認のため、もう一度）").fill(NEW_PASSWORD)
    page.get_by_role("button", name="パスワードを設定する").click()
    page.wait_for_url(re.compile("/password/reset/done/$"))
    axe_check(page)

    page.get_by_role("link", name="ログインする").last.click()
    page.wait_for_url(re.compile("/login/$"))
    field(page, "メールアドレス").fill("wasureta@example.jp")
    field(page, "パスワード").fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="ログインする").click()
    assert "/mypage/" in page.url

    page.goto(link)  # the link worked once
    assert "このリンクは使えません" in page.content()
    axe_check(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
