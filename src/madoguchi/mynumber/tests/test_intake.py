"""個人番号 in a procedure's form: never in a draft or a case row, stored in the vault with the case, audited."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from madoguchi.accounts.tests.factories import IdentityLinkFactory, ResidentFactory
from madoguchi.cases import services as case_services
from madoguchi.cases.models import Case, Channel, Status
from madoguchi.core.models import AuditEvent
from madoguchi.mynumber import intake, services
from madoguchi.mynumber.models import PersonalNumber
from madoguchi.mynumber.tests.factories import jido_teate_raw, valid_my_number
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.selectors import spec_of
from madoguchi.procedures.tests.factories import sync_repository_procedures
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

NUMBER = valid_my_number()  # 123456789018
TYPED = "１２３４－５６７８－９０１８"  # the same number as a resident may type it
FIELD = "claimant_my_number"


@pytest.fixture
def jido_teate(db):
    sync_repository_procedures()
    return Procedure.objects.get(slug="jido-teate")


@pytest.fixture
def claimant(person):
    """A resident whose account is linked to `person` (photo ID checked at the counter)."""
    return IdentityLinkFactory(person=person).user


def _draft(procedure, applicant) -> Case:
    """A draft with every step saved (the 個人番号 posted too, as a careless client might)."""
    case = case_services.start_draft(applicant=applicant, procedure=procedure)
    for step in spec_of(procedure.current_version).draft_form().steps:
        result = case_services.save_draft_step(
            case=case, step_id=step.id, raw={**jido_teate_raw(step.id), FIELD: NUMBER}
        )
        assert result.ok, result.errors
    return case


def _stores() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="store").order_by("id"))


def _assert_nowhere_in_cases(number: str = NUMBER) -> None:
    for data, draft_data in Case.objects.values_list("data", "draft_data"):
        assert number not in json.dumps(data) and number not in json.dumps(draft_data)


def test_the_field_is_asked_only_while_the_switch_is_on(jido_teate, settings):
    version = jido_teate.current_version
    assert FIELD in {f.id for f in spec_of(version).fields}
    settings.MY_NUMBER_ENABLED = False
    assert FIELD not in {f.id for f in spec_of(version).fields}


def test_a_draft_never_keeps_the_number(jido_teate, claimant):
    case = case_services.start_draft(applicant=claimant, procedure=jido_teate)

    result = case_services.save_draft_step(
        case=case, step_id="claimant", raw={**jido_teate_raw("claimant"), FIELD: TYPED}
    )

    assert result.ok  # the number is asked on submission, not at its step: no "required" here
    assert FIELD not in result.cleaned
    case.refresh_from_db()
    assert FIELD not in case.draft_data
    assert case.draft_data["claimant_name"] == "緑川\u3000花子"
    _assert_nowhere_in_cases()
    assert not PersonalNumber.objects.exists() and not _stores()


def test_submit_stores_the_number_in_the_vault_and_keeps_a_marker(jido_teate, claimant, person, officer):
    case = _draft(jido_teate, claimant)

    with CaptureQueriesContext(connection) as queries:
        submitted = case_services.submit_case(case=case, actor=claimant, raw={FIELD: TYPED})

    assert submitted.status == Status.SUBMITTED
    case.refresh_from_db()
    assert case.data[FIELD] == intake.STORED_MARKER == "stored_in_vault"
    assert case.draft_data == {}
    _assert_nowhere_in_cases()
    assert not any(NUMBER in query["sql"] for query in queries.captured_queries)  # not even in an INSERT
    row = PersonalNumber.objects.get()
    assert row.person_id == person.pk and row.created_by_id == claimant.pk
    [store] = _stores()
    assert (store.person_id, store.actor_id, store.fields) == (person.pk, claimant.pk, ["my_number"])
    assert store.purpose == f"jido-teate {case.reference}"
    assert services.reveal_my_number(person=person, actor=officer, purpose="認定審査") == NUMBER


def test_create_and_submit_case_stores_the_number_too(jido_teate, claimant, person, officer):
    raw = {**jido_teate_raw(), FIELD: NUMBER}

    case = case_services.create_and_submit_case(
        applicant=claimant, procedure=jido_teate, raw=raw, channel=Channel.COUNTER
    )

    assert Case.objects.get().data[FIELD] == "stored_in_vault"
    _assert_nowhere_in_cases()
    [store] = _stores()
    assert (store.person_id, store.purpose) == (person.pk, f"jido-teate {case.reference}")
    assert services.reveal_my_number(person=person, actor=officer, purpose="認定審査") == NUMBER


def test_the_person_of_the_case_holds_the_number(jido_teate, officer):
    """A case linked to a registry person (as the counter will link them) needs no linked account."""
    unlinked = ResidentFactory()
    person = PersonFactory()
    case = _draft(jido_teate, unlinked)
    Case.objects.filter(pk=case.pk).update(person=person)

    case_services.submit_case(case=case, actor=unlinked, raw={FIELD: NUMBER})

    assert PersonalNumber.objects.get().person_id == person.pk
    assert services.reveal_my_number(person=person, actor=officer, purpose="認定審査") == NUMBER


def test_without_a_registry_person_nothing_is_stored_or_submitted(jido_teate):
    unlinked = ResidentFactory()
    draft = _draft(jido_teate, unlinked)

    with pytest.raises(services.MyNumberError) as submitted:
        case_services.submit_case(case=draft, actor=unlinked, raw={FIELD: NUMBER})
    with pytest.raises(services.MyNumberError) as created:
        case_services.create_and_submit_case(
            applicant=unlinked, procedure=jido_teate, raw={**jido_teate_raw(), FIELD: NUMBER}
        )

    for error in (submitted.value, created.value):
        assert error.code == "no_registry_person"
        assert "住民記録" in error.message("ja") and "resident register" in error.message("en")
        assert NUMBER not in error.message("ja") + error.message("en")
    assert list(Case.objects.values_list("status", flat=True)) == [Status.DRAFT]  # all or nothing
    assert not PersonalNumber.objects.exists() and not _stores()
    _assert_nowhere_in_cases()


@pytest.mark.parametrize("ended", [{"assurance_level": "low"}, {"revoked_at": timezone.now()}])
def test_a_revoked_or_weak_link_is_no_registry_person(jido_teate, person, ended):
    link = IdentityLinkFactory(person=person)
    type(link).objects.filter(pk=link.pk).update(**ended)

    with pytest.raises(services.MyNumberError, match="no_registry_person"):
        case_services.create_and_submit_case(
            applicant=link.user, procedure=jido_teate, raw={**jido_teate_raw(), FIELD: NUMBER}
        )
    assert not Case.objects.exists() and not PersonalNumber.objects.exists()


@pytest.mark.parametrize(
    ("typed", "code"),
    [("", "required"), ("1234 5678 901", "my_number_length"), ("123456789017", "my_number_check_digit")],
)
def test_a_missing_or_wrong_number_is_a_validation_error(jido_teate, claimant, typed, code):
    case = _draft(jido_teate, claimant)

    with pytest.raises(case_services.CaseValidationError) as info:
        case_services.submit_case(case=case, actor=claimant, raw={FIELD: typed})

    assert list(info.value.errors) == [FIELD]
    [message] = info.value.errors[FIELD]
    assert message.code == code
    if typed:
        assert typed not in message.ja + message.en and "5678" not in message.ja + message.en
    case.refresh_from_db()
    assert case.status == Status.DRAFT and FIELD not in case.draft_data
    assert not PersonalNumber.objects.exists() and not _stores()


def test_switched_off_the_field_is_not_asked_and_a_value_is_ignored(jido_teate, claimant, settings):
    settings.MY_NUMBER_ENABLED = False
    draft = _draft(jido_teate, claimant)  # no step asks for it, and nothing posted for it is kept

    case_services.submit_case(case=draft, actor=claimant, raw={FIELD: NUMBER})
    created = case_services.create_and_submit_case(
        applicant=claimant, procedure=jido_teate, raw={**jido_teate_raw(), FIELD: NUMBER}
    )

    for case in (Case.objects.get(pk=draft.pk), created):
        assert case.status == Status.SUBMITTED
        assert FIELD not in case.data
    _assert_nowhere_in_cases()
    assert not PersonalNumber.objects.exists() and not _stores()


def test_the_number_never_reaches_a_log(jido_teate, claimant, caplog):
    """Every SQL statement is logged at DEBUG while queries are captured; the masking filter is not involved."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")  # "django" stops at INFO by default
    case = _draft(jido_teate, claimant)
    with CaptureQueriesContext(connection):
        case_services.submit_case(case=case, actor=claimant, raw={FIELD: TYPED})
        with pytest.raises(case_services.CaseValidationError):
            case_services.create_and_submit_case(
                applicant=claimant, procedure=jido_teate, raw={**jido_teate_raw(), FIELD: "123456789017"}
            )

    assert "stored_in_vault" in caplog.text  # the case's UPDATE was logged with its parameters
    assert NUMBER not in caplog.text and TYPED not in caplog.text and "123456789017" not in caplog.text


def test_a_form_without_a_number_is_returned_as_it_is(jido_teate, django_assert_num_queries):
    spec = spec_of(jido_teate.current_version)
    cleaned = {"claimant_name": "緑川\u3000花子", FIELD: None}

    with django_assert_num_queries(0):
        kept = intake.move_my_numbers_to_vault(spec=spec, cleaned=cleaned, reference="ABCD-EFGH", actor=None)

    assert kept is cleaned


def test_a_refused_submission_carries_the_answers_but_never_the_number(jido_teate, claimant):
    """The review page shows the answers again from the refusal (it does not validate the form itself)."""
    case = _draft(jido_teate, claimant)

    with pytest.raises(case_services.CaseValidationError) as refused:
        case_services.submit_case(case=case, actor=claimant, raw={FIELD: "3141-5926-5358"})

    assert set(refused.value.errors) == {FIELD}
    assert FIELD not in refused.value.cleaned
    assert refused.value.cleaned["claimant_name"] == case.draft_data["claimant_name"]
