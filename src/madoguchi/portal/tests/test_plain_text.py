"""Bidi controls (U+202E …) and control characters are refused in every free-text input, with a message that
names the character and says what to do; nothing is stored (probe finding 4, docs/security.md)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from madoguchi.accounts.models import User
from madoguchi.accounts.tests.factories import StaffFactory, create_departments
from madoguchi.cases import services as case_services
from madoguchi.cases.models import Case, CaseMessage, CaseNote, Status
from madoguchi.faq.models import Inquiry
from madoguchi.portal.tests import factories

pytestmark = pytest.mark.django_db

RLO = "\u202e"
SPOOF = f"請求書{RLO}fdp.exe"
MESSAGE_JA = "文字の並び順を入れ替える、目に見えない制御文字（U+202E）"
MESSAGE_EN = "invisible control character that reorders text (U+202E"


def _page(response) -> str:
    return response.content.decode()


def test_a_form_field_of_a_procedure_refuses_a_bidi_override(resident_client, procedure):
    response = resident_client.post(reverse("portal:apply", args=[procedure.slug]))
    case = Case.objects.get()
    step = {**factories.JUMINHYO_STEPS["applicant"], "applicant_name": f"緑{RLO}郎太"}

    response = resident_client.post(reverse("portal:apply_step", args=[case.reference, "applicant"]), step)

    assert response.status_code == 200  # the step again, with the message next to the field
    assert MESSAGE_JA in _page(response)
    assert "削除して" in _page(response)


def test_a_submitted_case_never_holds_a_bidi_override(resident):
    data = {**factories.JUMINHYO_DATA, "applicant_address": f"みどり市1-2-3{RLO}"}
    with pytest.raises(case_services.CaseValidationError) as refused:
        case_services.create_and_submit_case(applicant=resident, procedure=factories.juminhyo(), raw=data)
    assert refused.value.errors["applicant_address"][0].code == "bidi_control"
    assert not Case.objects.exclude(status=Status.DRAFT).exists()


def test_the_reply_to_a_request_refuses_a_bidi_override(resident_client, resident):
    staff = StaffFactory(department=factories.juminhyo().department)
    case = factories.transition(
        factories.submitted_case(resident),
        action="request_information",
        actor=staff,
        note="写しを送ってください。",
    )
    before = CaseMessage.objects.count()

    response = resident_client.post(reverse("portal:case_reply", args=[case.reference]), {"body": SPOOF})

    assert MESSAGE_JA in _page(response)
    assert CaseMessage.objects.count() == before
    case.refresh_from_db()
    assert case.status == Status.WAITING_FOR_APPLICANT


def test_sign_up_refuses_a_bidi_override_in_the_name_in_english_too(client):
    response = client.post(
        "/en" + reverse("portal:signup"),
        {
            "display_name": f"Hanako{RLO}",
            "email": "hanako@example.jp",
            "password": "kawa-no-nagare-2024",
            "password_confirm": "kawa-no-nagare-2024",
        },
    )
    assert response.status_code == 200
    assert MESSAGE_EN in _page(response)
    assert not User.objects.filter(email="hanako@example.jp").exists()


def test_an_internal_note_and_a_staff_message_refuse_a_bidi_override(client, resident):
    case = factories.submitted_case(resident)
    staff = StaffFactory(department=case.department)
    client.force_login(staff)

    note = client.post(reverse("office:add_note", args=[case.reference]), {"body": SPOOF}, follow=True)
    action = client.post(
        reverse("office:case_action", args=[case.reference]),
        {"action": "request_information", "note": SPOOF},
        follow=True,
    )

    assert MESSAGE_JA in _page(note)
    assert MESSAGE_JA in _page(action)
    assert not CaseNote.objects.exists()
    assert not CaseMessage.objects.exists()
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_a_faq_inquiry_refuses_a_bidi_override(client, resident, settings):
    settings.ROOT_URLCONF = "madoguchi.faq.tests.urls"
    create_departments()
    client.force_login(resident)

    response = client.post("/faq/inquiries/new/", {"category": "", "question": f"質問です{RLO}"})

    assert response.status_code == 400
    assert MESSAGE_JA in _page(response)
    assert not Inquiry.objects.exists()


def _post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_the_api_refuses_bidi_overrides_in_form_data_and_notes(resident_client, resident):
    factories.juminhyo()
    data = {**factories.JUMINHYO_DATA, "applicant_name": f"緑{RLO}郎太"}

    created = _post_json(resident_client, "/api/v1/me/cases", {"procedure": "juminhyo-copy", "data": data})

    assert created.status_code == 422
    problem = created.json()["fields"]["applicant_name"][0]
    assert problem["code"] == "bidi_control" and "U+202E" in problem["ja"] and "U+202E" in problem["en"]
    case = factories.submitted_case(resident)
    withdrawn = _post_json(resident_client, f"/api/v1/me/cases/{case.reference}/withdraw", {"note": SPOOF})
    assert withdrawn.status_code == 422
    assert withdrawn.json()["fields"]["note"][0]["code"] == "bidi_control"
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
