import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from madoguchi.accounts.models import User
from madoguchi.accounts.tests.factories import PASSWORD, ResidentFactory, StaffFactory
from madoguchi.accounts.tokens import uidb64_of

pytestmark = pytest.mark.django_db

SIGNUP = {
    "display_name": "緑 花子",
    "email": "Hanako@Example.jp",
    "password": "kawa-no-nagare-2024",
    "password_confirm": "kawa-no-nagare-2024",
}


def _verification_path(message) -> str:
    url = re.search(r"https?://\S+", message.body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def test_sign_up_verify_then_sign_in(client):
    response = client.post(reverse("portal:signup"), SIGNUP)
    assert response.status_code == 302
    assert response.url == reverse("portal:signup_done")
    assert "hanako@example.jp" in client.get(response.url).content.decode()
    assert len(mail.outbox) == 1

    # Before the link is opened, signing in says what to do.
    response = client.post(
        reverse("portal:login"), {"email": SIGNUP["email"], "password": SIGNUP["password"]}
    )
    assert response.status_code == 200
    assert "メールアドレスの確認が済んでいません" in response.content.decode()
    assert reverse("portal:resend_verification") in response.content.decode()

    # The link opened in another browser (say, the mail app's): confirmed, and asked to sign in.
    response = Client().get(_verification_path(mail.outbox[0]))
    assert response.status_code == 200
    assert "メールアドレスを確認しました" in response.content.decode()
    assert User.objects.get(email="hanako@example.jp").email_verified_at is not None

    response = client.post(
        reverse("portal:login"), {"email": SIGNUP["email"], "password": SIGNUP["password"]}
    )
    assert response.status_code == 302
    assert response.url == reverse("portal:mypage")
    page = client.get(response.url).content.decode()
    assert "緑 花子 さん" in page


def test_sign_up_errors_are_shown_next_to_the_fields_and_in_a_summary(client):
    response = client.post(
        reverse("portal:signup"),
        {"email": "not-an-address", "password": "short", "password_confirm": "other"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in page
    assert 'href="#id_email"' in page
    assert "メールアドレスの形式が正しくありません" in page
    assert "確認のためのパスワードが一致しません" in page
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_email-error id_email-help"' in page
    assert 'value="not-an-address"' in page  # nothing typed is lost
    assert not User.objects.exists()


def test_sign_up_weak_password(client):
    weak = client.post(
        reverse("portal:signup"),
        {"email": "new@example.jp", "password": "1234567890", "password_confirm": "1234567890"},
    )
    assert "パスワードが弱すぎます" in weak.content.decode()
    assert not User.objects.exists()


def test_a_bad_verification_link_says_what_to_do(client):
    user = ResidentFactory(unverified=True)
    response = client.get(reverse("portal:verify_email", args=[uidb64_of(user), "not-a-token"]))
    assert response.status_code == 400
    assert "この確認リンクは使えません" in response.content.decode()
    assert reverse("portal:resend_verification") in response.content.decode()


def test_a_verification_link_of_the_old_format_is_refused_with_what_to_do(client):
    response = client.get(reverse("portal:verify_email_old_link", args=["eyJ1aWQiOjF9:abc:def"]))
    assert response.status_code == 400
    assert "ログイン画面から確認メールを再送してください" in response.content.decode()


def test_resend_verification_answers_the_same_for_unknown_addresses(client):
    ResidentFactory(email="waiting@example.jp", email_verified_at=None)
    known = client.post(reverse("portal:resend_verification"), {"email": "waiting@example.jp"}, follow=True)
    unknown = client.post(reverse("portal:resend_verification"), {"email": "nobody@example.jp"}, follow=True)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["waiting@example.jp"]
    message = "確認メールを送りました"
    assert message in known.content.decode()
    assert message in unknown.content.decode()
    # A second request within a minute does not send another email.
    client.post(reverse("portal:resend_verification"), {"email": "waiting@example.jp"})
    assert len(mail.outbox) == 1


def test_wrong_password_then_rate_limit_message(client, settings):
    settings.LOGIN_RATE_LIMIT = 3
    user = ResidentFactory()
    for _ in range(3):
        response = client.post(reverse("portal:login"), {"email": user.email, "password": "wrong-password"})
        assert "メールアドレスかパスワードが正しくありません" in response.content.decode()
    response = client.post(reverse("portal:login"), {"email": user.email, "password": PASSWORD})
    page = response.content.decode()
    assert response.status_code == 200
    assert "ログインの失敗が続いたため" in page
    assert "15分ほど待ってから" in page
    assert "_auth_user_id" not in client.session


def test_staff_cannot_sign_in_to_the_portal(client):
    staff = StaffFactory()
    response = client.post(reverse("portal:login"), {"email": staff.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "メールアドレスかパスワードが正しくありません" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_signed_in_staff_account_gets_a_clear_refusal(client):
    client.force_login(StaffFactory())
    response = client.get(reverse("portal:mypage"))
    assert response.status_code == 403
    assert "職員アカウントでは利用できません" in response.content.decode()


def test_login_returns_to_the_page_asked_for_but_never_off_site(client):
    user = ResidentFactory()
    credentials = {"email": user.email, "password": PASSWORD}
    response = client.post(reverse("portal:login"), {**credentials, "next": "/mypage/notices/"})
    assert response.url == "/mypage/notices/"
    client.logout()
    response = client.post(reverse("portal:login"), {**credentials, "next": "https://evil.example/"})
    assert response.url == reverse("portal:mypage")


def test_pages_behind_login_redirect_to_the_login_page(client):
    response = client.get(reverse("portal:mypage"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login") + "?next=")


def test_logout_is_a_post(resident_client):
    assert resident_client.get(reverse("portal:logout")).status_code == 405
    response = resident_client.post(reverse("portal:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in resident_client.session


def test_sign_up_keeps_the_page_asked_for_through_the_confirmation_and_signs_in(client):
    apply = reverse("portal:procedure", args=["juminhyo"])
    login_page = client.get(reverse("portal:login") + "?next=" + apply).content.decode()
    assert f'href="{reverse("portal:signup")}?next=/procedures/juminhyo/"' in login_page
    signup_page = client.get(reverse("portal:signup") + "?next=" + apply).content.decode()
    assert f'name="next" value="{apply}"' in signup_page

    response = client.post(reverse("portal:signup"), {**SIGNUP, "next": apply})
    assert response.url == reverse("portal:signup_done")
    link = _verification_path(mail.outbox[0])
    assert link.endswith("?next=%2Fprocedures%2Fjuminhyo%2F")

    # Opened in the browser that signed up: confirmed, signed in, and on the page the resident wanted.
    response = client.get(link)
    assert response.status_code == 302
    assert response.url == apply
    assert client.get(reverse("portal:mypage")).status_code == 200


def test_the_confirmation_link_in_another_browser_confirms_but_does_not_sign_in(client):
    client.post(reverse("portal:signup"), {**SIGNUP, "next": "/procedures/juminhyo/"})
    other = Client()
    response = other.get(_verification_path(mail.outbox[0]))
    assert response.status_code == 200
    assert 'href="/login/?next=/procedures/juminhyo/"' in response.content.decode().replace("%2F", "/")
    assert other.get(reverse("portal:mypage")).status_code == 302  # still to sign in


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_sign_up_never_carries_a_next_to_another_origin(client, target):
    response = client.post(reverse("portal:signup"), {**SIGNUP, "next": target})
    assert response.status_code == 302
    link = _verification_path(mail.outbox[0])
    assert "next" not in link
    response = client.get(link + "?next=" + target)
    assert response.status_code == 302
    assert response.url == reverse("portal:mypage")
