"""Residents reset a forgotten password by an emailed link: the same answer for every address, a link that
works once and for an hour, rate limits per address and per IP, and no sign-in by the reset itself."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from madoguchi.accounts import passwords, ratelimit, tokens
from madoguchi.accounts.models import User
from madoguchi.accounts.tests import factories
from madoguchi.core import counters

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "aozora-no-shita-2026"


def _ask(client, email: str, prefix: str = ""):
    return client.post(f"{prefix}/password/reset/", {"email": email}, follow=True)


def _link_path(message) -> str:
    url = re.search(r"https?://\S+/password/reset/\S+/", message.body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def _without_csrf_token(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def _set(client, link: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    opened = client.get(link)
    assert opened.status_code == 302
    return client.post(
        opened.url, {"password": password, "password_confirm": password if confirm is None else confirm}
    )


def test_the_login_page_links_to_the_reset(client):
    page = client.get(reverse("portal:login")).content.decode()
    assert f'href="{reverse("portal:password_reset")}"' in page
    assert "パスワードを忘れた方" in page


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(client):
    factories.ResidentFactory(email="hanako@example.jp")
    known = _ask(client, "hanako@example.jp")
    unknown = _ask(client, "nobody@example.jp")
    staff = _ask(client, factories.StaffFactory().email)  # staff reset in the office, not here
    assert [r.redirect_chain for r in (known, unknown, staff)] == [
        [(reverse("portal:password_reset_sent"), 302)]
    ] * 3
    pages = {_without_csrf_token(r.content.decode()) for r in (known, unknown, staff)}
    assert len(pages) == 1
    assert "登録されている場合は、パスワードを再設定するためのリンクを送りました" in known.content.decode()
    assert [m.to for m in mail.outbox] == [["hanako@example.jp"]]
    assert "60分間有効" in mail.outbox[0].body


def test_a_reset_sets_the_password_once_and_does_not_sign_in(client):
    user = factories.ResidentFactory(email="hanako@example.jp")
    _ask(client, user.email)
    link = _link_path(mail.outbox[-1])

    opened = client.get(link)
    assert opened.status_code == 302
    assert opened.url == reverse("portal:password_reset_set", args=[tokens.uidb64_of(user)])
    assert link.split("/")[-2] not in opened.url  # the token leaves the address bar
    response = client.post(opened.url, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("portal:password_reset_done")
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert mail.outbox[-1].subject.endswith("パスワードが変更されました")

    again = client.get(link)
    assert again.status_code == 400
    page = again.content.decode()
    assert "このリンクは使えません" in page and "すでに使われています" in page
    assert reverse("portal:password_reset") in page


def test_the_new_password_signs_in_and_other_sessions_end(client):
    user = factories.ResidentFactory()
    other_device = type(client)()
    other_device.force_login(user)
    _ask(client, user.email)
    _set(client, _link_path(mail.outbox[-1]))
    login = client.post(reverse("portal:login"), {"email": user.email, "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert other_device.get(reverse("portal:mypage")).status_code == 302  # sent to the sign-in


def test_weak_or_mismatched_passwords_are_shown_in_the_error_summary(client):
    user = factories.ResidentFactory()
    _ask(client, user.email)
    link = _link_path(mail.outbox[-1])
    mismatch = _set(client, link, confirm="something-else-2026")
    assert mismatch.status_code == 400
    page = mismatch.content.decode()
    assert 'role="alert"' in page and 'href="#id_password_confirm"' in page
    assert "確認のためのパスワードが一致しません" in page
    weak = client.post(
        mismatch.request["PATH_INFO"], {"password": "1234567890", "password_confirm": "1234567890"}
    )
    page = weak.content.decode()
    assert weak.status_code == 400
    assert "このパスワードは使えません" in page and 'aria-invalid="true"' in page
    assert User.objects.get(pk=user.pk).check_password(factories.PASSWORD)


def test_a_link_expires_after_an_hour(client, monkeypatch):
    user = factories.ResidentFactory()
    _ask(client, user.email)
    link = _link_path(mail.outbox[-1])
    later = dt.datetime.now() + dt.timedelta(minutes=61)
    monkeypatch.setattr(tokens.PasswordResetTokens, "_now", lambda self: later)
    response = client.get(link)
    assert response.status_code == 400
    assert "有効期限（60分）が切れたか" in response.content.decode()


def test_signing_in_meanwhile_spends_the_link(client):
    user = factories.ResidentFactory()
    _ask(client, user.email)
    link = _link_path(mail.outbox[-1])
    client.post(reverse("portal:login"), {"email": user.email, "password": factories.PASSWORD})
    client.post(reverse("portal:logout"))
    assert client.get(link).status_code == 400


def test_the_set_page_needs_the_link_opened_in_this_browser(client):
    user = factories.ResidentFactory()
    response = client.get(reverse("portal:password_reset_set", args=[tokens.uidb64_of(user)]))
    assert response.status_code == 400


def test_a_reset_confirms_the_address_and_clears_the_accounts_failures(client):
    user = factories.ResidentFactory(email_verified_at=None)
    for n in range(10):
        client.post(reverse("portal:login"), {"email": user.email, "password": f"wrong-{n}"})
    _ask(client, user.email)
    _set(client, _link_path(mail.outbox[-1]))
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert counters.peek(ratelimit._account_key(user.email, ratelimit.LOGIN)).count == 0


def test_requests_are_limited_per_address_whether_or_not_it_has_an_account(client):
    factories.ResidentFactory(email="hanako@example.jp")
    for email in ("hanako@example.jp", "nobody@example.jp"):
        for _ in range(passwords.RESET_REQUESTS_PER_ADDRESS):
            assert _ask(client, email).redirect_chain
        refused = client.post(reverse("portal:password_reset"), {"email": email})
        assert refused.status_code == 400
        page = refused.content.decode()
        assert "このメールアドレスあての再設定の依頼が続いたため" in page and 'role="alert"' in page
    assert len(mail.outbox) == passwords.RESET_REQUESTS_PER_ADDRESS


def test_requests_are_limited_per_client_ip(client):
    for n in range(10):
        _ask(client, f"person{n}@example.jp")
    refused = client.post(reverse("portal:password_reset"), {"email": "person10@example.jp"})
    assert refused.status_code == 400
    assert "短い時間に何度もメールの送信が依頼されました" in refused.content.decode()


def test_the_pages_and_the_email_are_in_english_in_the_english_ui(client):
    user = factories.ResidentFactory(preferred_language="en")
    page = client.get("/en/password/reset/").content.decode()
    assert "Reset your password" in page and "Send the reset email" in page
    sent = _ask(client, user.email, prefix="/en")
    assert "If the address you entered has an account" in sent.content.decode()
    assert "/en/password/reset/" in mail.outbox[-1].body
    assert "Set a new password" in mail.outbox[-1].subject
