import pytest

from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.cases import selectors, services, workflow
from madoguchi.cases.models import CaseCount, Status
from madoguchi.procedures.tests import factories as procedure_factories

pytestmark = pytest.mark.django_db

VALID = {
    "applicant_name": "緑川 花子",
    "applicant_kana": "ミドリカワ ハナコ",
    "applicant_birth_date": "1958-04-12",
    "applicant_postal_code": "1000001",
    "applicant_address": "東京都千代田区千代田1番1号",
    "applicant_phone": "090-1234-5678",
    "scope": "self",
    "copies": "2",
    "purpose": "employment",
    "delivery_method": "counter",
    "agree": "on",
}


@pytest.fixture
def juminhyo():
    """住民票の写しの交付請求 of 市民課, with every procedure of the repository published."""
    return procedure_factories.juminhyo()


@pytest.fixture
def resident():
    return ResidentFactory(email="hanako@example.jp")


@pytest.fixture
def approver():
    return StaffFactory(email="approver@city.example.jp", department=DepartmentFactory(code="shimin"))


def counts(department_code: str) -> dict[str, int]:
    return {c.status: c.n for c in CaseCount.objects.filter(department__code=department_code) if c.n}


def test_submit_validates_stores_cleaned_data_and_sets_the_due_date(juminhyo, resident):
    case = services.create_and_submit_case(applicant=resident, procedure=juminhyo, raw=VALID)
    assert case.status == Status.SUBMITTED
    assert case.data["copies"] == 2
    assert case.data["applicant_postal_code"] == "1000001"
    assert case.applicant_name == "緑川 花子"
    assert case.due_date is not None and case.due_date > case.submitted_at.date()
    assert [h.action for h in case.history.all()] == ["submit"]


def test_invalid_data_writes_nothing(juminhyo, resident):
    with pytest.raises(services.CaseValidationError) as error:
        services.create_and_submit_case(applicant=resident, procedure=juminhyo, raw={**VALID, "copies": "99"})
    assert "copies" in error.value.errors
    assert not resident.cases.exists()


def test_status_counters_follow_every_change(juminhyo, resident, approver):
    first = services.create_and_submit_case(applicant=resident, procedure=juminhyo, raw=VALID)
    services.create_and_submit_case(applicant=resident, procedure=juminhyo, raw=VALID)
    assert counts("shimin") == {"submitted": 2}
    services.transition(case=first, action="assign", actor=approver)
    services.transition(case=first, action="approve", actor=approver)
    assert counts("shimin") == {"submitted": 1, "approved": 1}
    assert selectors.queue_counts(staff=approver)["approved"] == 1
    assert services.rebuild_case_counts() == 2
    assert counts("shimin") == {"submitted": 1, "approved": 1}


def test_a_resident_cannot_act_on_someone_elses_case(juminhyo, resident):
    case = services.create_and_submit_case(applicant=resident, procedure=juminhyo, raw=VALID)
    other = ResidentFactory(email="other@example.jp")
    with pytest.raises(workflow.TransitionNotAllowed) as error:
        services.transition(case=case, action="withdraw", actor=other)
    assert error.value.code == "forbidden_action"
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_a_draft_is_submitted_only_through_submit_case(juminhyo, resident):
    draft = services.start_draft(applicant=resident, procedure=juminhyo)
    with pytest.raises(workflow.TransitionNotAllowed):
        services.transition(case=draft, action="submit", actor=resident)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert counts("shimin") == {}


def test_a_file_field_counts_only_as_a_stored_attachment(juminhyo, resident):
    claimed = {"name": "id.png", "size": 10, "content_type": "image/png"}
    raw = {**VALID, "delivery_method": "mail", "id_document": claimed}
    with pytest.raises(services.CaseValidationError) as error:
        services.create_and_submit_case(applicant=resident, procedure=juminhyo, raw=raw)
    assert "id_document" in error.value.errors
