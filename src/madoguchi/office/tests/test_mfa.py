"""Staff second factor on the office sign-in (MADOGUCHI_STAFF_MFA): set-up, codes, backup codes, access."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from madoguchi.accounts import mfa
from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import PASSWORD, ResidentFactory, StaffFactory
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.models import AuditEvent
from madoguchi.office.pending_sign_in import MAX_AGE_SECONDS, SESSION_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mfa_on(settings):
    settings.STAFF_MFA = True


def code_of(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the authenticator app shows now (or `steps_ahead` time steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def authenticator_of(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def give_password(client, user, *, next_url: str = "", prefix: str = ""):
    data = {"email": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(f"{prefix}/office/login/", data)


def field_error(body: str, field_id: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field_id}-error">(.*?)</p>', body)
    return match.group(1) if match else ""


# ---- the password alone is not enough --------------------------------------------------------------------------


def test_the_password_leads_to_the_code_step_without_signing_in(client, approver):
    authenticator_of(approver)

    response = give_password(client, approver)

    assert response.status_code == 302
    assert response.url == reverse("office:login_code")
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("office:login_code"))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in body
    assert 'inputmode="numeric"' in body
    assert '<label class="form-label" for="id_code">' in body
    assert '<label class="form-label" for="id_backup_code">' in body


def test_sign_in_with_the_code_of_the_app_goes_to_next(client, approver):
    device = authenticator_of(approver)
    give_password(client, approver, next_url="/office/?status=submitted")

    response = client.post(reverse("office:login_code"), {"code": code_of(device)})

    assert response.status_code == 302
    assert response.url == "/office/?status=submitted"
    assert client.session["_auth_user_id"] == str(approver.pk)
    assert SESSION_KEY not in client.session
    assert client.get(reverse("office:queue")).status_code == 200


def test_full_width_digits_typed_with_an_ime_are_accepted(client, approver):
    device = authenticator_of(approver)
    give_password(client, approver)
    wide = code_of(device).translate(str.maketrans("0123456789", "０１２３４５６７８９"))

    response = client.post(reverse("office:login_code"), {"code": wide})

    assert response.status_code == 302
    assert client.get(reverse("office:queue")).status_code == 200


def test_a_wrong_code_is_refused_next_to_the_field(client, approver):
    device = authenticator_of(approver)
    give_password(client, approver)
    wrong = f"{(int(code_of(device)) + 500_000) % 1_000_000:06d}"

    response = client.post(reverse("office:login_code"), {"code": wrong})

    body = response.content.decode()
    assert response.status_code == 400
    assert field_error(body, "id_code").startswith("確認コードが正しくありません。")
    assert 'aria-invalid="true"' in body
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("office:queue")).status_code == 302


def test_a_wrong_code_in_english(client, approver):
    authenticator_of(approver)
    give_password(client, approver, prefix="/en")

    response = client.post("/en/office/login/code/", {"code": "abc"})

    body = response.content.decode()
    assert response.status_code == 400
    assert field_error(body, "id_code").startswith("The code is not correct.")
    assert "確認コード" not in body


def test_an_empty_code_says_what_to_enter(client, approver):
    authenticator_of(approver)
    give_password(client, approver)

    response = client.post(reverse("office:login_code"), {"code": ""})

    assert (
        field_error(response.content.decode(), "id_code")
        == "認証アプリに表示されている6桁の数字を入力してください。"
    )


def test_a_code_works_only_once(client, approver):
    device = authenticator_of(approver)
    code = code_of(device)
    give_password(client, approver)
    client.post(reverse("office:login_code"), {"code": code})
    client.post(reverse("office:logout"))
    give_password(client, approver)

    response = client.post(reverse("office:login_code"), {"code": code})

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


# ---- set-up ----------------------------------------------------------------------------------------------------


def test_staff_without_an_authenticator_are_sent_to_set_up(client, approver):
    give_password(client, approver)

    response = client.get(reverse("office:login_code"))

    assert response.status_code == 302
    assert response.url == reverse("office:login_setup")
    page = client.get(reverse("office:login_setup"))
    body = page.content.decode()
    device = TOTPDevice.objects.get(user=approver)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert page.status_code == 200
    assert not device.confirmed
    assert '<svg width="' in body and "認証アプリで読み取るQRコード" in body
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)  # no inline script (CSP)
    assert "style=" not in body
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "no-cache" in page["Cache-Control"] or "no-store" in page["Cache-Control"]
    assert "_auth_user_id" not in client.session


def test_reloading_the_set_up_keeps_the_same_secret(client, approver):
    give_password(client, approver)
    client.get(reverse("office:login_setup"))
    first = TOTPDevice.objects.get(user=approver).key

    client.get(reverse("office:login_setup"))

    assert list(TOTPDevice.objects.filter(user=approver).values_list("key", flat=True)) == [first]


def test_set_up_is_confirmed_with_a_code_and_shows_ten_backup_codes_once(client, approver):
    give_password(client, approver, next_url="/office/persons/")
    client.get(reverse("office:login_setup"))
    device = TOTPDevice.objects.get(user=approver)

    response = client.post(reverse("office:login_setup"), {"code": code_of(device)})

    body = response.content.decode()
    shown = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", body)
    stored = set(StaticToken.objects.filter(device__user=approver).values_list("token", flat=True))
    assert response.status_code == 200
    assert len(shown) == 10
    assert {code.replace("-", "") for code in shown} == stored
    assert 'href="/office/persons/"' in body
    device.refresh_from_db()
    assert device.confirmed
    assert client.session["_auth_user_id"] == str(approver.pk)
    assert client.get(reverse("office:queue")).status_code == 200
    assert shown[0] not in client.get(reverse("office:queue")).content.decode()
    again = client.post(reverse("office:login_setup"), {"code": code_of(device)})  # the page reloaded
    assert again.status_code == 302
    assert again.url == reverse("office:queue")


def test_a_wrong_code_at_set_up_keeps_the_device_unconfirmed(client, approver):
    give_password(client, approver)
    client.get(reverse("office:login_setup"))

    response = client.post(reverse("office:login_setup"), {"code": "000000x"})

    body = response.content.decode()
    assert response.status_code == 400
    assert field_error(body, "id_code").startswith("確認コードが正しくありません。")
    assert "時刻が自動設定" in body
    assert not TOTPDevice.objects.get(user=approver).confirmed
    assert not StaticDevice.objects.filter(user=approver).exists()
    assert "_auth_user_id" not in client.session


def test_staff_with_an_authenticator_cannot_set_up_another_one(client, approver):
    authenticator_of(approver)
    give_password(client, approver)

    response = client.get(reverse("office:login_setup"))

    assert response.status_code == 302
    assert response.url == reverse("office:login_code")
    assert TOTPDevice.objects.filter(user=approver).count() == 1


# ---- backup codes ----------------------------------------------------------------------------------------------


def enrolled(user) -> list[str]:
    device = mfa.enrolment_device(user=user)
    return mfa.confirm_enrolment(user=user, code=code_of(device), ip=None).backup_codes


def test_a_backup_code_signs_in_once(client, approver):
    codes = enrolled(approver)
    give_password(client, approver)

    response = client.post(reverse("office:login_code"), {"backup_code": codes[3].upper()})

    assert response.status_code == 302
    assert client.get(reverse("office:queue")).status_code == 200
    assert StaticToken.objects.filter(device__user=approver).count() == 9
    client.post(reverse("office:logout"))
    give_password(client, approver)
    reused = client.post(reverse("office:login_code"), {"backup_code": codes[3]})
    body = reused.content.decode()
    assert reused.status_code == 400
    assert field_error(body, "id_backup_code").startswith("確認コードが正しくありません。")
    assert "_auth_user_id" not in client.session


def test_signing_in_with_a_backup_code_says_how_many_are_left(client, approver):
    codes = enrolled(approver)
    give_password(client, approver)

    response = client.post(reverse("office:login_code"), {"backup_code": codes[0]}, follow=True)

    assert "残り9個" in response.content.decode()


# ---- no office page before the second factor -------------------------------------------------------------------


OFFICE_PAGES = [
    ("office:queue", {}),
    ("office:person_search", {}),
    ("office:identity_lookup", {}),
    ("nursery:rounds", {}),
    ("faq:office_entries", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), OFFICE_PAGES)
def test_no_office_page_opens_between_the_password_and_the_code(client, approver, name, kwargs):
    authenticator_of(approver)
    give_password(client, approver)
    url = reverse(name, kwargs=kwargs)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("office:login") + "?next=")


def test_no_case_page_opens_between_the_password_and_the_code(client, approver, procedure):
    case = CaseFactory(procedure=procedure, applicant=ResidentFactory())
    authenticator_of(approver)
    give_password(client, approver)

    page = client.get(reverse("office:case_detail", kwargs={"reference": case.reference}))
    action = client.post(
        reverse("office:case_action", kwargs={"reference": case.reference}), {"action": "approve"}
    )

    assert page.status_code == 302 and action.status_code == 302
    assert case.reference not in page.content.decode()
    case.refresh_from_db()
    assert case.status == "submitted"
    assert not AuditEvent.objects.exists()


def test_the_auditor_page_does_not_open_between_the_password_and_the_code(client, auditor):
    device = authenticator_of(auditor)
    give_password(client, auditor)

    before = client.get(reverse("office:audit"))
    client.post(reverse("office:login_code"), {"code": code_of(device)})
    after = client.get(reverse("office:audit"))

    assert before.status_code == 302
    assert before.url.startswith(reverse("office:login"))
    assert after.status_code == 200


def test_the_nursery_pages_need_the_second_factor_too(client, approver):
    device = authenticator_of(approver)
    give_password(client, approver)

    before = client.get(reverse("nursery:rounds"))
    client.post(reverse("office:login_code"), {"code": code_of(device)})
    after = client.get(reverse("nursery:rounds"))

    assert before.status_code == 302
    assert after.status_code == 200


def test_a_session_without_the_second_factor_is_signed_out(client, approver):
    """Signed in before the setting was turned on: sent to the sign-in, the session ended."""
    authenticator_of(approver)
    client.force_login(approver)

    response = client.get(reverse("office:queue"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("office:login") + "?next=")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("office:login")).status_code == 200


def test_a_reset_ends_the_verified_sessions_of_that_staff_member(client, approver, kosodate):
    device = authenticator_of(approver)
    give_password(client, approver)
    client.post(reverse("office:login_code"), {"code": code_of(device)})
    assert client.get(reverse("office:queue")).status_code == 200
    admin = StaffFactory(department=kosodate, role=Role.DEPARTMENT_ADMIN)

    mfa.reset_second_factor(user=approver, admin=admin)

    response = client.get(reverse("office:queue"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    give_password(client, approver)
    assert client.get(reverse("office:login_code")).url == reverse("office:login_setup")


def test_the_second_step_expires(client, approver):
    device = authenticator_of(approver)
    give_password(client, approver)
    session = client.session
    session[SESSION_KEY]["since"] -= MAX_AGE_SECONDS + 1
    session.save()

    response = client.post(reverse("office:login_code"), {"code": code_of(device)}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("office:login")
    assert "メールアドレスとパスワードからやり直してください" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_password_change_meanwhile_ends_the_second_step(client, approver):
    device = authenticator_of(approver)
    give_password(client, approver)
    approver.set_password("another-long-password-2")
    approver.save(update_fields=["password"])

    response = client.post(reverse("office:login_code"), {"code": code_of(device)})

    assert response.status_code == 302
    assert response.url == reverse("office:login")
    assert "_auth_user_id" not in client.session


def test_the_code_pages_without_a_password_step_send_to_the_sign_in(client):
    for name in ("office:login_code", "office:login_setup"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url == reverse("office:login")


# ---- rate limit and back-off -----------------------------------------------------------------------------------


def test_wrong_codes_are_rate_limited_and_a_new_password_does_not_reset_them(client, approver, settings):
    settings.LOGIN_RATE_LIMIT = 3
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # only the rate limit under test
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    device = authenticator_of(approver)
    give_password(client, approver)
    for wrong in ("111111", "222222", "nope-nope"):
        client.post(reverse("office:login_code"), {"code": wrong})

    locked = client.post(reverse("office:login_code"), {"code": code_of(device)})
    give_password(client, approver)
    still_locked = client.post(reverse("office:login_code"), {"code": code_of(device)})

    assert locked.status_code == 400
    assert "15分ほど待ってから" in field_error(locked.content.decode(), "id_code")
    assert "15分ほど待ってから" in still_locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_rate_limit_message_in_english(client, approver, settings):
    settings.LOGIN_RATE_LIMIT = 1
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    authenticator_of(approver)
    give_password(client, approver, prefix="/en")
    client.post("/en/office/login/code/", {"code": "111111"})

    response = client.post("/en/office/login/code/", {"code": "222222"})

    assert "Too many wrong codes" in response.content.decode()


def test_consecutive_wrong_codes_make_the_device_wait(client, approver, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    device = authenticator_of(approver)
    give_password(client, approver)
    client.post(reverse("office:login_code"), {"code": f"{(int(code_of(device)) + 1) % 1_000_000:06d}"})

    response = client.post(reverse("office:login_code"), {"code": code_of(device)})

    assert response.status_code == 400
    assert re.search(r"\d+秒待ってから入力してください", response.content.decode())
    assert "_auth_user_id" not in client.session


# ---- setting off -----------------------------------------------------------------------------------------------


def test_with_the_setting_off_the_password_signs_in_as_before(client, approver, settings):
    settings.STAFF_MFA = False
    authenticator_of(approver)

    response = give_password(client, approver)

    assert response.status_code == 302
    assert response.url == reverse("office:queue")
    assert client.get(reverse("office:queue")).status_code == 200
    assert SESSION_KEY not in client.session


def test_with_the_setting_off_no_device_is_created(client, approver, settings):
    settings.STAFF_MFA = False

    give_password(client, approver)

    assert client.get(reverse("office:queue")).status_code == 200
    assert not TOTPDevice.objects.exists()
    assert not StaticDevice.objects.exists()


def test_the_password_step_signs_out_whoever_was_signed_in_before(client, approver):
    """A resident (or staff without the second factor) in the same browser is signed out first."""
    authenticator_of(approver)
    client.force_login(ResidentFactory())

    give_password(client, approver)

    assert "_auth_user_id" not in client.session
    assert client.session[SESSION_KEY]["user_id"] == approver.pk
