import pytest

from madoguchi.accounts.tests.factories import (
    DepartmentFactory,
    IdentityLinkFactory,
    ResidentFactory,
    StaffFactory,
)
from madoguchi.cases import selectors, services, workflow
from madoguchi.cases.models import CaseCount, Status
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.tests import factories as procedure_factories


@pytest.fixture(autouse=True)
def _decision_in_one_step(settings):
    """These tests approve cases in review directly (MADOGUCHI_DECISION_BY_ANOTHER_STAFF off); review, then
    decision by another staff member (the default) is tested in office/tests/test_decision.py."""
    settings.DECISION_BY_ANOTHER_STAFF = False


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


# ---- may this user apply online (ensure_can_apply: the portal and the API ask it) --------------------------


def test_an_online_procedure_may_be_applied_for(juminhyo, resident):
    assert services.apply_refusal(resident, juminhyo) is None
    services.ensure_can_apply(resident, juminhyo)


def test_a_procedure_that_is_not_online_is_refused(juminhyo, resident):
    counter_only = Procedure.objects.get(slug="inkan-toroku")

    with pytest.raises(services.ApplyNotAllowed) as refused:
        services.ensure_can_apply(resident, counter_only)

    assert refused.value.code == services.PROCEDURE_NOT_ONLINE == "procedure_not_online"
    assert refused.value.http_status == 409
    assert refused.value.message("ja") == "この手続きはオンラインでは申請できません。窓口でお手続きください。"
    juminhyo.online = False  # switched off on the procedure's record, although its spec is online
    assert services.apply_refusal(resident, juminhyo).code == "procedure_not_online"


def test_a_procedure_that_asks_for_a_verified_identity_needs_a_link(juminhyo, resident):
    jido_teate = Procedure.objects.get(slug="jido-teate")

    refusal = services.apply_refusal(resident, jido_teate)
    assert refusal.code == services.IDENTITY_VERIFICATION_REQUIRED == "identity_verification_required"
    assert "identity check" in refusal.message("en")

    IdentityLinkFactory(user=resident)
    assert services.apply_refusal(resident, jido_teate) is None


# ---- the whole form is validated once, in the service ----------------------------------------------------


def test_check_draft_validates_every_step_and_writes_nothing(juminhyo, resident):
    draft = services.start_draft(applicant=resident, procedure=juminhyo)
    applicant_step = {key: value for key, value in VALID.items() if key.startswith("applicant_")}
    services.save_draft_step(case=draft, step_id="applicant", raw=applicant_step)

    result = services.check_draft(case=draft)
    assert set(result.errors) >= {"scope", "copies", "purpose"}
    assert result.cleaned["applicant_name"] == "緑川 花子"

    registry = {"applicant_name": "緑川 華子"}  # a linked account: the register's values are what counts
    assert services.check_draft(case=draft, registry_values=registry).cleaned["applicant_name"] == "緑川 華子"
    draft.refresh_from_db()
    assert draft.draft_data["applicant_name"] == "緑川 花子"


def test_a_refused_submission_says_why_and_carries_the_valid_values(juminhyo, resident):
    draft = services.start_draft(applicant=resident, procedure=juminhyo)

    with pytest.raises(services.CaseValidationError) as refused:
        services.submit_case(case=draft, actor=resident, raw={**VALID, "copies": "99"})

    assert list(refused.value.errors) == ["copies"]
    assert refused.value.cleaned["applicant_name"] == "緑川 花子"
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_only_the_applicant_submits_their_draft(juminhyo, resident):
    draft = services.start_draft(applicant=resident, procedure=juminhyo)
    other = ResidentFactory(email="other@example.jp")

    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        services.submit_case(case=draft, actor=other, raw=VALID)

    assert refused.value.code == "forbidden_action"
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
