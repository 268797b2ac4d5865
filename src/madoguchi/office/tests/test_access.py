"""Office sign-in, sign-out, and who may open office pages at all."""

from __future__ import annotations

import pytest
from django.urls import reverse

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import PASSWORD, ResidentFactory, StaffFactory
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_sign_in_page_is_japanese_by_default(client):
    response = client.get(reverse("office:login"))

    assert response.status_code == 200
    assert "職員ログイン" in response.content.decode()


def test_sign_in_page_in_english(client):
    response = client.get("/en/office/login/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Staff sign-in" in body
    assert 'lang="en"' in body


def test_staff_signs_in_and_lands_on_the_queue(client, approver):
    response = client.post(reverse("office:login"), {"email": approver.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("office:queue")
    assert client.get(reverse("office:queue")).status_code == 200


def test_sign_in_follows_a_local_next_but_never_an_external_one(client, approver):
    local = client.post(
        reverse("office:login"), {"email": approver.email, "password": PASSWORD, "next": "/office/audit/"}
    )
    client.logout()
    external = client.post(
        reverse("office:login"),
        {"email": approver.email, "password": PASSWORD, "next": "https://evil.example.com/"},
    )

    assert local.url == "/office/audit/"
    assert external.url == reverse("office:queue")


def test_wrong_password_says_what_went_wrong(client, approver):
    response = client.post(reverse("office:login"), {"email": approver.email, "password": "wrong-password-1"})

    assert response.status_code == 400
    assert "メールアドレスかパスワードが正しくありません。" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_resident_cannot_sign_in_to_the_office(client):
    resident = ResidentFactory()

    response = client.post(reverse("office:login"), {"email": resident.email, "password": PASSWORD})

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_repeated_failures_are_rate_limited_with_a_message(client, approver, settings):
    settings.LOGIN_RATE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("office:login"), {"email": approver.email, "password": "wrong-password-1"})

    response = client.post(reverse("office:login"), {"email": approver.email, "password": PASSWORD})

    assert response.status_code == 400
    assert "15分ほど待ってから" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_rate_limit_message_in_english(client, approver, settings):
    settings.LOGIN_RATE_LIMIT = 1
    client.post("/en/office/login/", {"email": approver.email, "password": "wrong-password-1"})

    response = client.post("/en/office/login/", {"email": approver.email, "password": PASSWORD})

    assert "Too many failed sign-in attempts" in response.content.decode()


def test_empty_form_names_the_missing_fields(client):
    response = client.post(reverse("office:login"), {"email": "", "password": ""})

    body = response.content.decode()
    assert response.status_code == 400
    assert "メールアドレスを入力してください。" in body
    assert "パスワードを入力してください。" in body


def test_sign_out_needs_post_and_ends_the_session(approver_client):
    assert approver_client.get(reverse("office:logout")).status_code == 405

    response = approver_client.post(reverse("office:logout"))

    assert response.status_code == 302
    assert response.url == reverse("office:login")
    assert "_auth_user_id" not in approver_client.session


def test_anonymous_visitors_are_sent_to_the_office_sign_in(client):
    response = client.get(reverse("office:queue") + "?status=submitted")

    assert response.status_code == 302
    assert response.url.startswith(reverse("office:login") + "?next=")
    assert "status%3Dsubmitted" in response.url


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_signed_in_resident_gets_no_office_page(client, procedure, method):
    resident = ResidentFactory()
    case = CaseFactory(procedure=procedure, applicant=resident)
    attachment_url = reverse("office:attachment", kwargs={"reference": case.reference, "attachment_id": 1})
    client.force_login(resident)
    urls = {
        "get": [
            reverse("office:queue"),
            reverse("office:case_detail", kwargs={"reference": case.reference}),
            attachment_url,
            reverse("office:audit"),
        ],
        "post": [
            reverse("office:bulk_approve"),
            reverse("office:case_action", kwargs={"reference": case.reference}),
            reverse("office:add_note", kwargs={"reference": case.reference}),
        ],
    }[method]

    for url in urls:
        response = getattr(client, method)(url, {"action": "approve", "case": [case.pk], "body": "x"})
        assert response.status_code == 404, url
        assert case.reference not in response.content.decode()
    case.refresh_from_db()
    assert case.status == "submitted"
    assert AuditEvent.objects.count() == 0


def test_an_inactive_staff_member_gets_no_office_page(client, kosodate):
    staff = StaffFactory(department=kosodate, role=Role.APPROVER, is_active=False)
    client.force_login(staff)

    response = client.get(reverse("office:queue"))

    assert response.status_code in {302, 404}
