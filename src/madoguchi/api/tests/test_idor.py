"""Nobody sees or touches a case that is not theirs, whatever the URL or id: always the same 404."""

import pytest

from madoguchi.accounts.tests.factories import DepartmentFactory
from madoguchi.api.tests import factories
from madoguchi.api.tests.helpers import assert_error, post_json
from madoguchi.cases import services
from madoguchi.cases.models import Case, CaseHistory, Status
from madoguchi.core.models import AuditEvent
from madoguchi.procedures import selectors as procedure_selectors

pytestmark = pytest.mark.usefixtures("procedures")


def test_another_residents_case_is_a_404_on_every_resident_endpoint(case, other_client):
    history = CaseHistory.objects.filter(case=case).count()

    for response in (
        other_client.get(f"/api/v1/me/cases/{case.reference}"),
        other_client.get(f"/api/v1/me/cases/{case.reference.lower()}"),
        other_client.generic("POST", f"/api/v1/me/cases/{case.reference}/withdraw"),
        post_json(other_client, f"/api/v1/me/cases/{case.reference}/withdraw", {"note": "x"}),
    ):
        assert_error(response, 404, "not_found")

    assert other_client.get("/api/v1/me/cases").json() == {"count": 0, "limit": 20, "offset": 0, "items": []}
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert CaseHistory.objects.filter(case=case).count() == history


def test_another_residents_case_looks_exactly_like_a_missing_one(case, other_client):
    theirs = other_client.get(f"/api/v1/me/cases/{case.reference}")
    missing = other_client.get("/api/v1/me/cases/ZZZZ-ZZZZ")

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


@pytest.mark.parametrize("reference", ["1", "../1", "%2e%2e", "ABCD-EFGH-IJKL", "x" * 3000])
def test_ids_and_odd_references_are_404s(resident_client, case, reference):
    assert_error(resident_client.get(f"/api/v1/me/cases/{reference}"), 404)
    assert_error(resident_client.get(f"/api/v1/me/cases/{case.pk}"), 404)


def test_staff_of_another_department_gets_404_and_only_refusals_are_audited(client, case):
    other = factories.staff_with_token(department=DepartmentFactory(code="kosodate"))

    assert_error(
        client.get(f"/api/v1/office/cases/{case.reference}", headers=other.headers), 404, "not_found"
    )
    response = post_json(
        client,
        f"/api/v1/office/cases/{case.reference}/transitions",
        {"action": "approve"},
        headers=other.headers,
    )
    assert_error(response, 404, "not_found")
    references = [
        c["reference"] for c in client.get("/api/v1/office/queue", headers=other.headers).json()["items"]
    ]
    assert case.reference not in references
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    rows = AuditEvent.objects.filter(object_id=case.reference)
    assert rows.exists()
    assert {(row.actor_id, row.action) for row in rows} == {(other.user.pk, "refused")}


def test_drafts_are_invisible_to_staff(client, resident, staff):
    draft = services.start_draft(
        applicant=resident, procedure=procedure_selectors.get_procedure("juminhyo-copy")
    )

    assert_error(client.get(f"/api/v1/office/cases/{draft.reference}", headers=staff.headers), 404)
    assert client.get("/api/v1/office/queue", headers=staff.headers).json()["count"] == 0


def test_resident_session_does_not_open_office_endpoints(resident_client, case):
    assert_error(resident_client.get("/api/v1/office/queue"), 401, "authentication_required")
    assert_error(
        resident_client.get(f"/api/v1/office/cases/{case.reference}"), 401, "authentication_required"
    )
    response = post_json(
        resident_client, f"/api/v1/office/cases/{case.reference}/transitions", {"action": "approve"}
    )
    assert_error(response, 401, "authentication_required")
    assert Case.objects.get(pk=case.pk).status == Status.SUBMITTED
