"""Hostile probes of the look tokens of the case page's previews: a token replayed for another case, another
attachment or another page, an oversized or garbage token, odd page numbers. A token must never grant access
nor save a row for a look it was not made for; malformed input is a 404, never a 500."""

from __future__ import annotations

import pytest

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import StaffFactory
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core import audit
from madoguchi.core.models import AuditEvent

from .test_case_detail import _detail
from .test_preview import _attach, _pdf, _png, _preview
from .test_preview_looks import bare, fetch_all, previews_of, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_cases(procedure):
    first, second = CaseFactory(procedure=procedure), CaseFactory(procedure=procedure)
    for case in (first, second):
        _attach(case, "gensen.pdf", _pdf(2), "application/pdf")
        _attach(case, "photo.png", _png(), "image/png")
    return first, second


def _token(url: str) -> str:
    return url.split("?", 1)[1]


def test_a_token_of_one_case_replayed_on_another_case_writes_that_cases_row(two_cases, approver_client):
    first, second = two_cases
    first_previews = previews_of(approver_client.get(_detail(first.reference)))
    before = rows(second).count()
    attachment = second.attachments.order_by("id").first()

    url = f"{_preview(second, attachment, 1)}?{_token(first_previews[0])}"
    fetch_all(approver_client, [url])

    assert rows(second).count() == before + 1
    assert rows(second).order_by("-id").first().fields == [f"attachment:{attachment.pk}:1"]


def test_an_attachment_of_another_case_under_this_cases_reference_is_not_found(two_cases, approver_client):
    first, second = two_cases
    previews = previews_of(approver_client.get(_detail(first.reference)))
    foreign = second.attachments.order_by("id").first()

    for url in (
        f"{_preview(first, foreign, 1)}?{_token(previews[0])}",
        _preview(first, foreign, 1),
    ):
        response = approver_client.get(url)
        assert response.status_code == 404
        assert not response["Content-Type"].startswith("image/")


def test_a_token_for_a_page_does_not_stand_for_the_case_page(two_cases, approver_client):
    first, _second = two_cases
    previews = previews_of(approver_client.get(_detail(first.reference)))
    before = rows(first).count()

    response = approver_client.get(f"{_detail(first.reference)}?{_token(previews[0])}")

    assert response.status_code == 200
    assert rows(first).count() == before + 1  # the case page is a look of its own, token or not


@pytest.mark.parametrize("page", [0, 3, 999999999, 2**63])
def test_pages_that_do_not_exist_are_not_found(two_cases, approver_client, page):
    first, _second = two_cases
    attachment = first.attachments.order_by("id").first()
    response = approver_client.get(_preview(first, attachment, 1).replace("/pages/1/", f"/pages/{page}/"))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "token",
    ["A" * 100_000, "%00", "%ff%fe", "x:y:z", "::::", "%E3%81%82:1:2", "look=a&look=b"],
)
def test_garbage_tokens_are_a_look_of_their_own_never_a_500(two_cases, approver_client, token):
    first, _second = two_cases
    previews = previews_of(approver_client.get(_detail(first.reference)))
    before = rows(first).count()

    response = approver_client.get(f"{bare(previews[0])}?{audit.LOOK_TOKEN_PARAMETER}={token}")

    if token == "%00":  # a NUL byte: refused before any view runs, nothing shown
        assert response.status_code == 400 and rows(first).count() == before
        return
    assert response.status_code == 200 and response["Content-Type"].startswith("image/")
    assert rows(first).count() == before + 1


@pytest.mark.parametrize("reference", ["%00", "x" * 5000, "..%2F..%2Fetc%2Fpasswd", "%ff"])
def test_malformed_references_are_not_found(approver_client, reference):
    for url in (
        f"/office/cases/{reference}/",
        f"/office/cases/{reference}/attachments/1/",
        f"/office/cases/{reference}/attachments/1/pages/1/",
    ):
        assert approver_client.get(url).status_code in (400, 404), url


def test_an_auditor_replaying_a_departments_token_gets_nothing(two_cases, approver_client, client):
    first, _second = two_cases
    previews = previews_of(approver_client.get(_detail(first.reference)))
    auditor = StaffFactory(role=Role.AUDITOR, department=None)
    before = AuditEvent.objects.count()

    client.force_login(auditor)
    response = client.get(previews[0])

    assert response.status_code == 404 and not response["Content-Type"].startswith("image/")
    assert AuditEvent.objects.filter(actor_id=auditor.pk, action="refused").count() == 1
    assert AuditEvent.objects.count() == before + 1
