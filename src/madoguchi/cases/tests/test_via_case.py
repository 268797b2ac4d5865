"""What the cases room tells the registry's access layer about the case a staff member opens a person through."""

from __future__ import annotations

import pytest

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.cases.models import Status
from madoguchi.cases.selectors import via_case_for_staff
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.procedures.tests.factories import ProcedureFactory
from madoguchi.residents import access
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kosodate():
    return DepartmentFactory(code="kosodate")


@pytest.fixture
def case(kosodate):
    return CaseFactory(
        procedure=ProcedureFactory(slug="jido-teate", department=kosodate), person=PersonFactory()
    )


def test_a_submitted_case_of_the_department_is_open_with_its_person(
    kosodate, case, django_assert_num_queries
):
    staff = StaffFactory(department=kosodate, role=Role.REVIEWER)
    with django_assert_num_queries(1):
        found = via_case_for_staff(staff=staff, reference=case.reference)
    assert found == access.ViaCase(reference=case.reference, person_id=case.person_id, open_to_staff=True)


def test_another_departments_case_is_closed_but_names_its_person_for_the_audit(case):
    staff = StaffFactory(department=DepartmentFactory(code="kankyo"), role=Role.REVIEWER)
    found = via_case_for_staff(staff=staff, reference=case.reference)
    assert (found.open_to_staff, found.person_id) == (False, case.person_id)


def test_a_draft_is_closed(kosodate, case):
    case.status = Status.DRAFT
    case.save(update_fields=["status"])
    found = via_case_for_staff(staff=StaffFactory(department=kosodate), reference=case.reference)
    assert found.open_to_staff is False


def test_staff_without_a_department_and_residents_see_no_case_open(case):
    for user in (StaffFactory(department=None, role=Role.AUDITOR), ResidentFactory()):
        assert via_case_for_staff(staff=user, reference=case.reference).open_to_staff is False


def test_an_unknown_reference_is_closed_and_names_nobody(kosodate):
    found = via_case_for_staff(staff=StaffFactory(department=kosodate), reference="NONE-0000")
    assert found == access.ViaCase(reference="NONE-0000", person_id=None, open_to_staff=False)
