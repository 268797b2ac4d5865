"""Sign-up does not tell whether an address is registered, and confirmation links work once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from madoguchi.accounts import services, tokens
from madoguchi.accounts.models import User
from madoguchi.accounts.tests import factories

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "hanako@example.jp",
    "password": "kawa-no-nagare-2024",
    "password_confirm": "kawa-no-nagare-2024",
}


def _page(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def _link_path(message) -> str:
    url = re.search(r"https?://\S+/verify/\S+/", message.body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def test_signing_up_with_a_registered_address_answers_exactly_as_a_new_one(client, monkeypatch):
    existing = factories.ResidentFactory(email="taken@example.jp")
    hashed = []
    original = User.set_password
    monkeypatch.setattr(User, "set_password", lambda self, raw: (hashed.append(raw), original(self, raw)))

    new = client.post(reverse("portal:signup"), SIGNUP, follow=True)
    taken = client.post(reverse("portal:signup"), {**SIGNUP, "email": "Taken@Example.jp"}, follow=True)

    assert new.status_code == taken.status_code == 200
    assert new.redirect_chain == taken.redirect_chain == [(reverse("portal:signup_done"), 302)]
    assert _page(new).replace("hanako@example.jp", "X") == _page(taken).replace("taken@example.jp", "X")
    assert hashed == [SIGNUP["password"]] * 2  # the same work: the password is hashed either way
    assert User.objects.filter(email="taken@example.jp").count() == 1
    existing.refresh_from_db()
    assert existing.check_password(factories.PASSWORD)
    assert [m.to for m in mail.outbox] == [["hanako@example.jp"], ["taken@example.jp"]]
    notice = mail.outbox[1]
    assert "新規登録が試みられました" in notice.subject
    assert reverse("portal:login") in notice.body and reverse("portal:password_reset") in notice.body
    assert "/verify/" not in notice.body


def test_a_confirmation_link_works_once(client):
    client.post(reverse("portal:signup"), SIGNUP)
    link = _link_path(mail.outbox[-1])
    first = client.get(link)  # the browser that signed up: confirmed and signed in
    assert first.status_code == 302 and first.url == reverse("portal:mypage")
    verified_at = User.objects.get(email=SIGNUP["email"]).email_verified_at
    second = client.get(link)
    assert second.status_code == 400
    assert "すでに使われています" in second.content.decode()
    assert User.objects.get(email=SIGNUP["email"]).email_verified_at == verified_at


def test_a_confirmation_link_expires_after_3_days(client, monkeypatch):
    client.post(reverse("portal:signup"), SIGNUP)
    link = _link_path(mail.outbox[-1])
    later = dt.datetime.now() + dt.timedelta(days=3, minutes=1)
    monkeypatch.setattr(tokens.EmailVerificationTokens, "_now", lambda self: later)
    assert client.get(link).status_code == 400
    assert User.objects.get(email=SIGNUP["email"]).email_verified_at is None


def test_a_link_made_for_one_account_does_not_confirm_another(client):
    a = factories.ResidentFactory(email_verified_at=None)
    b = factories.ResidentFactory(email_verified_at=None)
    token = tokens.email_verification_tokens.make_token(a)
    assert client.get(reverse("portal:verify_email", args=[tokens.uidb64_of(b), token])).status_code == 400
    b.refresh_from_db()
    assert b.email_verified_at is None


def test_a_link_signed_with_another_secret_key_is_refused(client, settings):
    user = factories.ResidentFactory(email_verified_at=None)
    settings.SECRET_KEY = "an-attackers-guess-of-the-key-0123456789"
    forged = tokens.email_verification_tokens.make_token(user)
    settings.SECRET_KEY = "the-sites-own-secret-key-9876543210-abcdef"
    assert (
        client.get(reverse("portal:verify_email", args=[tokens.uidb64_of(user), forged])).status_code == 400
    )


def test_resending_is_limited_per_client_ip(client):
    for n in range(services.EMAIL_REQUESTS_PER_IP):
        client.post(reverse("portal:resend_verification"), {"email": f"person{n}@example.jp"})
    refused = client.post(reverse("portal:resend_verification"), {"email": "one-more@example.jp"})
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "短い時間に何度もメールの送信が依頼されました" in page and 'role="alert"' in page
