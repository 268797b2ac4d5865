"""児童手当認定請求 with a 個人番号: asked on the review page only, never shown again, anywhere.

The number is typed once, on the page that submits the application; it is not a draft step's field, so no
draft, session or page ever holds it. Afterwards every page and API response shows at most ●●●● ●●●● ●●●●.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from madoguchi.accounts.tests.factories import IdentityLinkFactory
from madoguchi.api.tests.factories import staff_with_token
from madoguchi.cases.models import Case, Status
from madoguchi.core import crypto
from madoguchi.core.models import AuditEvent
from madoguchi.mynumber.tests.factories import JIDO_TEATE_STEPS
from madoguchi.procedures.tests.factories import sync_repository_procedures
from madoguchi.residents.tests.factories import HouseholdFactory, PersonFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "madoguchi.mynumber" not in django_settings.INSTALLED_APPS,
        reason="the My Number vault is not installed",
    ),
]

NUMBER = "123456789018"
TYPED = "１２３４－５６７８－９０１８"
WRONG = "3141-5926-5358"  # the check digit would be 2
MASK = "●●●● ●●●● ●●●●"
FIELD = "claimant_my_number"


@pytest.fixture(autouse=True)
def _vault(settings):
    settings.MY_NUMBER_ENABLED = True
    settings.FIELD_ENCRYPTION_KEYS = [crypto.generate_key_entry("k2026")]


@pytest.fixture
def hanako(db):
    return PersonFactory(household=HouseholdFactory())


@pytest.fixture
def client_of_hanako(client, hanako):
    sync_repository_procedures()
    client.force_login(IdentityLinkFactory(person=hanako).user)
    return client


def _url(case, step_id):
    return reverse("portal:apply_step", args=[case.reference, step_id])


def _fill_every_step(client) -> Case:
    """Start 児童手当 and answer every step, posting the number at its step too (it must not be kept)."""
    client.post(reverse("portal:apply", args=["jido-teate"]))
    case = Case.objects.get(status=Status.DRAFT)
    steps = list(JIDO_TEATE_STEPS)
    for index, step_id in enumerate(steps):
        page = client.get(_url(case, step_id)).content.decode()
        assert f"ステップ {index + 1} / {len(steps)}" in page
        assert f'name="{FIELD}"' not in page
        response = client.post(_url(case, step_id), {**JIDO_TEATE_STEPS[step_id], FIELD: NUMBER})
        assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == reverse("portal:review", args=[case.reference])
    case.refresh_from_db()
    assert FIELD not in case.draft_data
    return case


def test_the_number_is_asked_on_the_review_page_and_stored_in_the_vault(client_of_hanako, hanako):
    from madoguchi.mynumber.models import PersonalNumber

    client = client_of_hanako
    case = _fill_every_step(client)
    review = reverse("portal:review", args=[case.reference])

    page = client.get(review).content.decode()
    assert "個人番号（マイナンバー）の入力" in page
    assert 'id="f-claimant_my_number"' in page
    assert 'autocomplete="off"' in page and 'inputmode="numeric"' in page
    assert f'name="{FIELD}" value=""' in page
    assert "<dt>請求者の個人番号（マイナンバー）</dt>" not in page  # asked here, not listed as an answer
    assert NUMBER not in page

    # A wrong check digit: the page says so, next to the field, and does not show the number again.
    response = client.post(review, {FIELD: WRONG})
    page = response.content.decode()
    assert response.status_code == 200
    assert "検査用数字" in page and 'href="#f-claimant_my_number"' in page and 'aria-invalid="true"' in page
    assert WRONG not in page and "31415926" not in page and "5926-5358" not in page
    case.refresh_from_db()
    assert case.status == Status.DRAFT and not PersonalNumber.objects.exists()

    response = client.post(review, {FIELD: TYPED})
    assert response.url == reverse("portal:receipt", args=[case.reference])
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert case.data[FIELD] == "stored_in_vault" and case.draft_data == {}
    assert PersonalNumber.objects.get().person_id == hanako.pk
    store = AuditEvent.objects.get(action="store")
    assert (store.person_id, store.purpose) == (hanako.pk, f"jido-teate {case.reference}")

    # Shown masked on My Page, in the office and through both APIs; never as digits.
    my_page = client.get(reverse("portal:case", args=[case.reference])).content.decode()
    assert MASK in my_page and NUMBER not in my_page
    officer = staff_with_token(department=case.department)
    staff = Client()
    staff.force_login(officer.user)
    office = staff.get(reverse("office:case_detail", args=[case.reference])).content.decode()
    assert MASK in office and NUMBER not in office
    resident_api = client.get(f"/api/v1/me/cases/{case.reference}").json()
    assert resident_api["data"][FIELD] == "stored_in_vault"
    office_api = Client().get(f"/api/v1/office/cases/{case.reference}", headers=officer.headers).json()
    assert office_api["data"][FIELD] == "stored_in_vault"
    for body in (resident_api, office_api):
        assert NUMBER not in json.dumps(body)


def test_the_review_page_in_english(client_of_hanako):
    case = _fill_every_step(client_of_hanako)
    page = client_of_hanako.get(f"/en/applications/{case.reference}/review/").content.decode()
    assert "Your My Number" in page and "12 digits (with or without hyphens and spaces)" in page


def test_an_empty_number_is_asked_for_again_on_the_review_page(client_of_hanako):
    case = _fill_every_step(client_of_hanako)
    response = client_of_hanako.post(reverse("portal:review", args=[case.reference]), {FIELD: ""})
    assert response.status_code == 200
    assert "必須項目です。入力してください。" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.DRAFT


def test_switched_off_no_page_asks_for_the_number(client_of_hanako, settings):
    from madoguchi.mynumber.models import PersonalNumber

    settings.MY_NUMBER_ENABLED = False
    client = client_of_hanako
    case = _fill_every_step(client)
    review = reverse("portal:review", args=[case.reference])
    page = client.get(review).content.decode()
    assert FIELD not in page and "個人番号（マイナンバー）の入力" not in page

    response = client.post(review, {FIELD: NUMBER})  # posted anyway: ignored

    assert response.url == reverse("portal:receipt", args=[case.reference])
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and FIELD not in case.data
    assert NUMBER not in json.dumps(case.data) and not PersonalNumber.objects.exists()
    assert MASK not in client.get(reverse("portal:case", args=[case.reference])).content.decode()
