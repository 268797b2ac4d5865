"""Forms pre-filled from the registry for verified residents: read-only, re-read by the server on every POST.

Also the 支援措置 rule: a protected address is never pre-filled (the resident types it) and each refusal
is audited; and procedures with `identity_level: verified` need a link.
"""

import pytest
from django.urls import reverse

from madoguchi.accounts import selectors
from madoguchi.accounts.tests import factories
from madoguchi.api.tests import factories as api_factories
from madoguchi.cases.models import Case, Status
from madoguchi.core.models import AuditEvent
from madoguchi.portal.tests import factories as portal_factories
from madoguchi.procedures.tests.factories import juminhyo, sync_repository_procedures
from madoguchi.residents.models import Person
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

REGISTRY_ADDRESS = "みどり県みどり市緑町3番12号"


@pytest.fixture
def procedure(db):
    return juminhyo()


@pytest.fixture
def linked(resident, hanako, taro):
    factories.IdentityLinkFactory(user=resident, person=hanako)
    return resident


@pytest.fixture
def linked_client(client, linked):
    client.force_login(linked)
    return client


def _start(client) -> Case:
    response = client.post(reverse("portal:apply", args=["juminhyo-copy"]))
    assert response.status_code == 302, response
    return Case.objects.get(status=Status.DRAFT)


def _step(case, step_id):
    return reverse("portal:apply_step", args=[case.reference, step_id])


def test_registry_values_for_a_linked_resident(linked, hanako, taro):
    values = selectors.registry_values_for(linked)
    assert values["person"] == {
        "name": "緑川\u3000花子",
        "name_kana": "ミドリカワ\u3000ハナコ",
        "birth_date": hanako.birth_date,
        "postal_code": "0000021",
        "address": REGISTRY_ADDRESS,
    }
    assert values["household"]["members"] == [
        {"id": str(hanako.pk), "name": hanako.name, "relationship": "世帯主"},
        {"id": str(taro.pk), "name": taro.name, "relationship": "子"},
    ]
    assert "withheld" not in values


def test_unlinked_and_revoked_accounts_get_nothing(resident, hanako, counter_staff):
    assert selectors.registry_values_for(resident) == {}
    link = factories.IdentityLinkFactory(user=resident, person=hanako)
    from madoguchi.accounts import services

    services.unlink_identity(link=link, by=counter_staff, reason="誤り")
    assert selectors.registry_values_for(resident) == {}


def test_registry_fields_are_shown_read_only(procedure, linked_client):
    case = _start(linked_client)
    page = linked_client.get(_step(case, "applicant")).content.decode()
    assert page.count("住民記録より") >= 5
    assert "緑川\u3000花子" in page
    assert REGISTRY_ADDRESS in page
    for field_id in ("applicant_name", "applicant_kana", "applicant_birth_date", "applicant_postal_code"):
        assert f'name="{field_id}"' not in page
    assert 'name="applicant_address"' not in page
    assert 'name="applicant_phone"' in page  # not in the register: the resident types it
    assert "js/furigana.js" not in page  # the reading comes from the register


def test_a_post_cannot_change_a_registry_value(procedure, linked_client, hanako):
    case = _start(linked_client)
    response = linked_client.post(
        _step(case, "applicant"),
        {
            "applicant_name": "偽名\u3000次郎",
            "applicant_kana": "ギメイ\u3000ジロウ",
            "applicant_birth_date": "2000-01-01",
            "applicant_postal_code": "1000001",
            "applicant_address": "東京都千代田区千代田1-1",
            "applicant_phone": "0312345678",
        },
    )
    assert response.status_code == 302, response.content.decode()
    case.refresh_from_db()
    assert case.draft_data["applicant_name"] == "緑川\u3000花子"
    assert case.draft_data["applicant_kana"] == "ミドリカワ\u3000ハナコ"
    assert case.draft_data["applicant_birth_date"] == "1985-04-01"
    assert case.draft_data["applicant_postal_code"] == "0000021"
    assert case.draft_data["applicant_address"] == REGISTRY_ADDRESS
    assert case.draft_data["applicant_phone"] == "0312345678"


def test_household_members_come_from_the_register(procedure, linked_client, taro):
    case = _start(linked_client)
    linked_client.post(_step(case, "applicant"), {"applicant_phone": "0312345678"})
    page = linked_client.get(_step(case, "certificate")).content.decode()
    assert f'value="{taro.pk}"' in page
    assert "緑川\u3000太郎（子）" in page

    response = linked_client.post(
        _step(case, "certificate"),
        {"scope": "some_members", "members": [str(taro.pk)], "copies": "1", "purpose": "license"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.draft_data["members"] == [{"id": str(taro.pk), "name": "緑川\u3000太郎"}]


def test_someone_outside_the_household_cannot_be_chosen(procedure, linked_client):
    stranger = PersonFactory(name="他人\u3000三郎", name_kana="タニン\u3000サブロウ")
    case = _start(linked_client)
    response = linked_client.post(
        _step(case, "certificate"),
        {"scope": "some_members", "members": [str(stranger.pk)], "copies": "1", "purpose": "license"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "世帯の方の一覧から選んでください" in page
    assert "他人" not in page


def test_submitted_case_holds_the_registry_values_whatever_the_draft_said(
    procedure, client, resident, hanako, taro, django_capture_on_commit_callbacks
):
    client.force_login(resident)
    case = _start(client)
    for step_id, data in portal_factories.JUMINHYO_STEPS.items():  # typed before the account was linked
        assert client.post(_step(case, step_id), data).status_code == 302
    case.refresh_from_db()
    assert case.draft_data["applicant_name"] == "緑 太郎"

    factories.IdentityLinkFactory(user=resident, person=hanako)
    review = client.get(reverse("portal:review", args=[case.reference])).content.decode()
    assert "緑川\u3000花子" in review
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:review", args=[case.reference]))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert case.data["applicant_name"] == "緑川\u3000花子"
    assert case.data["applicant_address"] == REGISTRY_ADDRESS
    assert case.data["applicant_birth_date"] == "1985-04-01"


def test_a_registry_value_the_form_refuses_is_left_to_the_resident(procedure, client, resident, household):
    person = PersonFactory(household=household, postal_code="9999999")  # not a known postal code
    factories.IdentityLinkFactory(user=resident, person=person)
    client.force_login(resident)
    case = _start(client)
    page = client.get(_step(case, "applicant")).content.decode()
    assert 'name="applicant_postal_code"' in page
    assert 'name="applicant_name"' not in page


def test_an_unknown_birth_date_is_not_prefilled(procedure, client, resident, household):
    if not any(f.name == "birth_date_text" for f in Person._meta.get_fields()):
        pytest.skip("residents.Person has no birth_date_text yet")
    person = PersonFactory(household=household, birth_date_text="昭和60年頃")
    factories.IdentityLinkFactory(user=resident, person=person)
    client.force_login(resident)
    case = _start(client)
    page = client.get(_step(case, "applicant")).content.decode()
    assert 'name="applicant_birth_date"' in page


# ---- 支援措置: a protected address is never pre-filled ------------------------------------------------------------


def _refusals():
    return AuditEvent.objects.filter(action="refused", purpose=selectors.PURPOSE_REGISTRY_PREFILL)


def test_protected_address_is_not_prefilled_and_the_refusal_is_audited(
    procedure, linked_client, linked, hanako
):
    Person.objects.filter(pk=hanako.pk).update(support_measure=True)
    case = _start(linked_client)
    response = linked_client.get(_step(case, "applicant"), REMOTE_ADDR="192.0.2.44")
    page = response.content.decode()

    assert "緑町3番12号" not in page
    assert "0000021" not in page
    assert 'name="applicant_address"' in page and 'name="applicant_postal_code"' in page
    assert "郵便番号と住所は自動では入力されません" in page
    assert "支援措置" not in page  # the page does not say why
    assert 'name="applicant_name"' not in page  # the rest still comes from the register
    row = _refusals().get()
    assert (row.actor_id, row.person_id, row.object_type) == (linked.pk, hanako.pk, "person")
    assert sorted(row.fields) == ["address", "postal_code"]
    assert row.client_ip == "192.0.2.44"


def test_protected_address_typed_by_the_resident_is_kept(procedure, linked_client, hanako):
    Person.objects.filter(pk=hanako.pk).update(support_measure=True)
    case = _start(linked_client)
    response = linked_client.post(
        _step(case, "applicant"),
        {
            "applicant_name": "偽名\u3000次郎",
            "applicant_postal_code": "1000001",
            "applicant_address": "東京都千代田区千代田1-1",
            "applicant_phone": "0312345678",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.draft_data["applicant_address"] == "東京都千代田区千代田1-1"
    assert case.draft_data["applicant_name"] == "緑川\u3000花子"
    assert _refusals().count() == 1  # every attempt (this POST) is refused and audited


def test_a_protected_household_member_protects_the_household_address(procedure, linked_client, taro):
    Person.objects.filter(pk=taro.pk).update(support_measure=True)
    case = _start(linked_client)
    page = linked_client.get(_step(case, "applicant")).content.decode()
    assert "緑町3番12号" not in page
    assert _refusals().get().person_id == taro.pk


def test_no_refusal_is_recorded_when_the_form_asks_for_no_address(linked, hanako, taro):
    Person.objects.filter(pk=hanako.pk).update(support_measure=True)
    values = selectors.registry_values_for(linked, wanted={"person.name"})
    assert "address" not in values["person"] and "postal_code" not in values["person"]
    assert values["withheld"] == ["person.postal_code", "person.address"]
    assert not _refusals().exists()


# ---- identity levels ---------------------------------------------------------------------------------------


def test_a_verified_procedure_needs_a_link(client, resident, hanako):
    sync_repository_procedures()
    client.force_login(resident)
    detail = client.get(reverse("portal:procedure", args=["jido-teate"])).content.decode()
    assert "本人確認（アカウントと住民記録の紐付け）が必要です" in detail
    assert reverse("portal:mypage") in detail
    response = client.post(reverse("portal:apply", args=["jido-teate"]), follow=True)
    assert "本人確認（アカウントと住民記録の紐付け）が必要です" in response.content.decode()
    assert not Case.objects.exists()

    factories.IdentityLinkFactory(user=resident, person=hanako)
    detail = client.get(reverse("portal:procedure", args=["jido-teate"])).content.decode()
    assert reverse("portal:apply", args=["jido-teate"]) in detail
    assert client.post(reverse("portal:apply", args=["jido-teate"])).status_code == 302
    assert Case.objects.filter(procedure__slug="jido-teate", status=Status.DRAFT).exists()


def test_a_draft_of_a_verified_procedure_stops_when_the_link_ends(client, resident, hanako, counter_staff):
    from madoguchi.accounts import services

    sync_repository_procedures()
    link = factories.IdentityLinkFactory(user=resident, person=hanako)
    client.force_login(resident)
    client.post(reverse("portal:apply", args=["jido-teate"]))
    case = Case.objects.get()
    services.unlink_identity(link=link, by=counter_staff, reason="誤り")
    response = client.get(reverse("portal:resume", args=[case.reference]))
    assert response.status_code == 302
    assert response.url == reverse("portal:procedure", args=["jido-teate"])
    response = client.post(reverse("portal:review", args=[case.reference]))
    assert response.url == reverse("portal:procedure", args=["jido-teate"])
    case.refresh_from_db()
    assert case.status == Status.DRAFT


def test_my_page_shows_the_verification(client, linked):
    client.force_login(linked)
    page = client.get(reverse("portal:mypage")).content.decode()
    assert "本人確認済み（窓口）" in page


def test_my_page_says_how_to_get_verified(client, resident):
    client.force_login(resident)
    page = client.get(reverse("portal:mypage")).content.decode()
    assert "まだ本人確認が済んでいません" in page
    assert "写真付きの本人確認書類" in page
    english = client.get("/en" + reverse("portal:mypage")).content.decode()
    assert "Your identity is not verified yet" in english


# ---- the same rules through the API (/api/v1/me/cases) -------------------------------------------------------


def _api_apply(client, procedure: str, data: dict):
    import json

    return client.post(
        "/api/v1/me/cases",
        data=json.dumps({"procedure": procedure, "data": data}),
        content_type="application/json",
    )


API_DATA = {  # a complete 住民票の写し application, sent with someone else's name and birth date
    **api_factories.JUMINHYO_DATA,
    "applicant_name": "偽名 次郎",
    "applicant_kana": "ギメイ ジロウ",
    "applicant_birth_date": "2000-01-01",
}


def test_the_api_takes_the_register_values_of_a_linked_resident(procedure, linked_client):
    response = _api_apply(linked_client, "juminhyo-copy", API_DATA)

    assert response.status_code == 201, response.content.decode()
    case = Case.objects.get(reference=response.json()["reference"])
    assert case.data["applicant_name"] == "緑川\u3000花子"
    assert case.data["applicant_kana"] == "ミドリカワ\u3000ハナコ"
    assert case.data["applicant_birth_date"] == "1985-04-01"
    assert case.data["applicant_address"] == REGISTRY_ADDRESS
    assert case.data["applicant_phone"] == "0312345678"  # not in the register: as sent
    assert response.json()["data"]["applicant_name"] == "緑川\u3000花子"


def test_the_api_keeps_what_an_unlinked_resident_sent(procedure, client, resident):
    client.force_login(resident)
    response = _api_apply(client, "juminhyo-copy", API_DATA)

    assert response.status_code == 201, response.content.decode()
    assert Case.objects.get().data["applicant_name"] == "偽名 次郎"


def test_the_api_lets_only_a_linked_resident_apply_for_a_verified_procedure(client, resident, hanako):
    sync_repository_procedures()
    client.force_login(resident)
    refused = _api_apply(client, "jido-teate", {})
    assert refused.status_code == 409
    assert refused.json()["code"] == "identity_verification_required"
    assert "紐付け" in refused.json()["message"]["ja"]

    factories.IdentityLinkFactory(user=resident, person=hanako)
    checked = _api_apply(client, "jido-teate", {})
    assert checked.status_code == 422  # past the identity check: now the form's own rules apply
    assert checked.json()["code"] == "validation_error"
    assert not Case.objects.exists()
