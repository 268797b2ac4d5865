"""Staff reset a forgotten password by an emailed link; the second factor is never removed nor bypassed."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from madoguchi.accounts.tests.factories import PASSWORD, ResidentFactory, StaffFactory
from madoguchi.office.tests.test_mfa import authenticator_of, code_of

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "shokuin-aozora-2026"


def _link_path(message) -> str:
    url = re.search(r"https?://\S+/office/password/reset/\S+/", message.body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def _reset(client, email: str) -> None:
    response = client.post(reverse("office:password_reset"), {"email": email}, follow=True)
    assert response.redirect_chain == [(reverse("office:password_reset_sent"), 302)]


def test_the_office_login_links_to_the_reset(client):
    page = client.get(reverse("office:login")).content.decode()
    assert f'href="{reverse("office:password_reset")}"' in page and "パスワードを忘れた方" in page


def test_a_staff_reset_keeps_the_authenticator_and_still_asks_for_a_code(client, settings):
    settings.STAFF_MFA = True
    staff = StaffFactory()
    device = authenticator_of(staff)
    _reset(client, staff.email)
    message = mail.outbox[-1]
    assert "認証アプリの確認コードが必要です" in message.body
    opened = client.get(_link_path(message))
    done = client.post(opened.url, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert done.url == reverse("office:password_reset_done")
    assert "認証アプリの確認コードでログインしてください" in client.get(done.url).content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()

    signed = client.post(reverse("office:login"), {"email": staff.email, "password": NEW_PASSWORD})
    assert signed.url == reverse("office:login_code")
    assert "_auth_user_id" not in client.session
    finished = client.post(reverse("office:login_code"), {"code": code_of(device)})
    assert finished.status_code == 302 and client.session["_auth_user_id"] == str(staff.pk)


def test_staff_without_an_authenticator_get_no_link_while_mfa_is_on(client, settings):
    settings.STAFF_MFA = True
    staff = StaffFactory()
    _reset(client, staff.email)
    message = mail.outbox[-1]
    assert "/password/reset/" not in message.body
    assert "課管理者" in message.body and "メールでのパスワードの再設定はできません" in message.body


def test_without_mfa_staff_reset_with_the_link(client, settings):
    settings.STAFF_MFA = False
    staff = StaffFactory()
    _reset(client, staff.email)
    opened = client.get(_link_path(mail.outbox[-1]))
    client.post(opened.url, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    staff.refresh_from_db()
    assert staff.check_password(NEW_PASSWORD) and not staff.check_password(PASSWORD)


def test_residents_and_unknown_addresses_get_the_same_page_and_no_email(client):
    resident = ResidentFactory()
    _reset(client, resident.email)
    _reset(client, "nobody@city.midori.example.jp")
    assert mail.outbox == []


def test_a_residents_link_does_not_open_in_the_office(client):
    resident = ResidentFactory()
    client.post("/password/reset/", {"email": resident.email})
    office_link = _link_path_any(mail.outbox[-1]).replace("/password/reset/", "/office/password/reset/")
    assert client.get(office_link).status_code == 400


def _link_path_any(message) -> str:
    url = re.search(r"https?://\S+/password/reset/\S+/", message.body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def test_the_office_reset_pages_are_in_english_too(client, settings):
    settings.STAFF_MFA = True
    page = client.get("/en/office/password/reset/").content.decode()
    assert "Reset your staff password" in page and "authenticator app" in page
