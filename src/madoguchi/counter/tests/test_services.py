"""Counter services: codes and hashes, encryption at rest, expiry, single use, rate limit and audit of failed
look-ups, purge; confirm files one case per form atomically."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from madoguchi.cases import services as case_services
from madoguchi.cases.models import Case, CaseHistory, Channel, Status
from madoguchi.core.models import AuditEvent, OutboxEvent
from madoguchi.counter import services
from madoguchi.counter.models import Bundle, IdentityDocument, Visit, VisitForm
from madoguchi.counter.tests.support import (
    BIRTH_ANSWERS,
    BIRTH_FORMS,
    birth_values,
    counter_clerk,
    publish_procedures,
)
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def published(db):
    publish_procedures()


def issued_bundle():
    bundle, token = services.start_bundle(
        guide_id="birth", answers=BIRTH_ANSWERS, event_date=dt.date(2026, 1, 10), slugs=BIRTH_FORMS
    )
    services.save_bundle_values(bundle=bundle, values=birth_values())
    return bundle, token, services.issue_bundle(bundle=bundle)


def test_short_code_alphabet_and_format():
    assert set(services.SHORT_CODE_ALPHABET).isdisjoint(set("01OIL"))
    codes = {services.new_short_code() for _ in range(200)}
    assert all(len(c) == 8 and set(c) <= set(services.SHORT_CODE_ALPHABET) for c in codes)
    assert len(codes) > 190
    assert services.format_short_code("ABCDEFGH") == "ABCD-EFGH"
    assert services.read_code(" abcd-efgh ") == ("short", "ABCDEFGH")
    assert services.read_code("ＡＢＣＤ　ＥＦＧＨ") == ("short", "ABCDEFGH")
    assert services.read_code("ABCD-EFG0") is None  # 0 is not in the alphabet
    reference = services.new_reference()
    assert len(reference) >= 22 and services.read_code(reference) == ("reference", reference)
    assert services.read_code("") is None and services.read_code("x" * 200) is None


def test_a_bundle_stores_only_hashes_and_encrypted_answers(published):
    bundle, token, issued = issued_bundle()
    assert len(issued.reference) == 32  # 192 bits
    bundle.refresh_from_db()
    assert bundle.reference_hash == services.code_hash("reference", issued.reference)
    assert bundle.short_code_hash == services.code_hash("short", issued.short_code)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Bundle._meta.db_table}")  # noqa: S608 - model table
        row = " ".join(str(value) for value in cursor.fetchone())
    for plain in (issued.reference, issued.short_code, token, "緑川", "090-1234-5678", "1234567", "千代田"):
        assert plain not in row
    assert services.bundle_payload(bundle)["values"]["shared"]["prefill:person.name"] == "緑川 花子"
    assert (bundle.expires_at - bundle.issued_at) == dt.timedelta(days=14)


def test_issuing_again_invalidates_the_first_codes(published, settings):
    settings.BUNDLE_DAYS = 3
    bundle, _token, first = issued_bundle()
    second = services.issue_bundle(bundle=bundle)
    assert first.reference != second.reference
    assert Bundle.objects.get().expires_at - timezone.now() < dt.timedelta(days=3, minutes=1)
    staff = counter_clerk()
    with pytest.raises(services.BundleNotFound):
        services.claim_bundle(code=first.short_code, staff=staff)
    assert services.claim_bundle(code=second.short_code, staff=staff).forms.count() == 3


def test_an_incomplete_bundle_is_not_issued(published):
    bundle, _token = services.start_bundle(guide_id="birth", answers={}, event_date=None, slugs=BIRTH_FORMS)
    with pytest.raises(services.BundleIncomplete):
        services.issue_bundle(bundle=bundle)
    assert Bundle.objects.get().issued_at is None


def test_a_code_works_once_and_the_bundle_is_deleted(published):
    _bundle, _token, issued = issued_bundle()
    staff = counter_clerk()
    visit = services.claim_bundle(code=issued.reference, staff=staff, client_ip="10.0.0.5")
    assert not Bundle.objects.exists()
    assert visit.from_bundle and visit.arrived_at and visit.clerk == staff
    assert [f.procedure.slug for f in visit.forms.order_by("order")] == list(BIRTH_FORMS)
    assert (
        services.form_values(visit.forms.get(procedure__slug="kokuho-kanyu"))["applicant_name"] == "緑川 花子"
    )
    assert services.visit_context(visit)["answers"] == BIRTH_ANSWERS
    with pytest.raises(services.BundleNotFound):
        services.claim_bundle(code=issued.short_code, staff=staff)
    assert AuditEvent.objects.filter(object_type="counter_visit", action="read").count() == 1
    # The visit's answers are encrypted too.
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "values" FROM {VisitForm._meta.db_table}')  # noqa: S608 - model table
        assert all("緑川" not in row[0] for row in cursor.fetchall())


def test_an_expired_code_creates_nothing_and_is_deleted(published):
    bundle, _token, issued = issued_bundle()
    Bundle.objects.filter(pk=bundle.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(services.BundleExpired) as caught:
        services.claim_bundle(code=issued.short_code, staff=counter_clerk())
    assert "有効期限" in caught.value.ja and "expired" in caught.value.en
    assert not Bundle.objects.exists() and not Visit.objects.exists()
    assert AuditEvent.objects.get(action="refused").purpose == "counter_lookup: expired"


def test_a_forged_code_creates_nothing_and_is_audited(published):
    staff = counter_clerk()
    for code in ("ABCD-EFGH", "not a code", services.new_reference()):
        with pytest.raises(services.BundleNotFound):
            services.claim_bundle(code=code, staff=staff, client_ip="10.0.0.9")
    assert not Visit.objects.exists() and not Case.objects.exists()
    refused = AuditEvent.objects.filter(action="refused", object_type="counter_bundle")
    assert refused.count() == 3 and {e.client_ip for e in refused} == {"10.0.0.9"}
    assert {e.actor_id for e in refused} == {staff.pk}


def test_guessing_is_rate_limited_per_staff_member_and_per_ip(published, settings):
    settings.COUNTER_LOOKUP_LIMIT = 3
    _bundle, _token, issued = issued_bundle()
    guesser = counter_clerk()
    for _ in range(3):
        with pytest.raises(services.BundleNotFound):
            services.claim_bundle(code="ABCD-EFGH", staff=guesser, client_ip="10.0.0.1")
    with pytest.raises(services.LookupLocked):  # even the right code, once locked
        services.claim_bundle(code=issued.short_code, staff=guesser, client_ip="10.0.0.2")
    with pytest.raises(services.LookupLocked):  # another clerk at the same IP
        services.claim_bundle(code=issued.short_code, staff=counter_clerk(), client_ip="10.0.0.1")
    assert AuditEvent.objects.filter(purpose="counter_lookup: rate_limited").count() == 2
    assert services.claim_bundle(code=issued.short_code, staff=counter_clerk(), client_ip="10.0.0.3")


def test_purge_deletes_expired_bundles_and_stale_visit_answers(published):
    _bundle, _token, _issued = issued_bundle()
    _draft, _draft_token = services.start_bundle(
        guide_id="birth", answers={}, event_date=None, slugs=BIRTH_FORMS
    )
    staff = counter_clerk()
    visit = services.start_visit(staff=staff, guide_id="birth", slugs=["kodomo-iryohi"])
    Visit.objects.filter(pk=visit.pk).update(arrived_at=timezone.now() - dt.timedelta(hours=25))
    assert services.purge_expired() == services.PurgeReport(bundles=0, visit_answers=1)
    later = timezone.now() + dt.timedelta(days=15)
    assert services.purge_expired(now=later) == services.PurgeReport(bundles=2, visit_answers=0)
    assert not Bundle.objects.exists() and VisitForm.objects.get().values == ""


def test_purge_command_and_task(published, capsys):
    from django.core.management import call_command

    from madoguchi.counter.tasks import purge_expired

    call_command("counter", "purge")
    assert "expired bundle(s) deleted" in capsys.readouterr().out
    assert purge_expired.delay().get() == {"bundles": 0, "visit_answers": 0}


def _ready_visit(person=None):
    _bundle, _token, issued = issued_bundle()
    staff = counter_clerk()
    visit = services.claim_bundle(code=issued.short_code, staff=staff)
    if person is not None:
        services.select_person(visit=visit, staff=staff, person_id=person.pk)
    services.record_identity_check(visit=visit, staff=staff, document=IdentityDocument.MY_NUMBER_CARD)
    return visit, staff


def test_confirm_files_one_counter_case_per_form_in_one_go(published):
    person = PersonFactory()
    visit, staff = _ready_visit(person)
    outbox_before = OutboxEvent.objects.count()
    cases = services.confirm_visit(visit=visit, staff=staff)
    assert len(cases) == 3
    for case in Case.objects.all():
        assert case.channel == Channel.COUNTER and case.status == Status.SUBMITTED
        assert case.applicant is None and case.person == person and case.applicant_name == "緑川 花子"
        assert CaseHistory.objects.get(case=case).actor == staff
    assert {c.department.code for c in cases} == {"kosodate", "hoken-nenkin"}
    assert OutboxEvent.objects.count() - outbox_before == 3
    visit.refresh_from_db()
    assert visit.confirmed_at is not None and list(visit.cases) == cases
    assert all(f.values == "" for f in visit.forms.all())  # the cases hold the answers now
    assert AuditEvent.objects.filter(person_id=person.pk, purpose="identity_check", action="read").exists()


def test_confirm_is_all_or_nothing(published, monkeypatch):
    visit, staff = _ready_visit()
    real = case_services.create_counter_case
    calls = []

    def fail_on_the_third(**kwargs):
        calls.append(kwargs["procedure"].slug)
        if len(calls) == 3:
            raise case_services.CaseValidationError({"x": []})
        return real(**kwargs)

    monkeypatch.setattr(case_services, "create_counter_case", fail_on_the_third)
    with pytest.raises(services.ConfirmRefused):
        services.confirm_visit(visit=visit, staff=staff)
    assert not Case.objects.exists()
    visit.refresh_from_db()
    assert visit.confirmed_at is None and all(f.values for f in visit.forms.all())


def test_confirm_refuses_invalid_forms_and_needs_the_identity_check(published):
    _bundle, _token, issued = issued_bundle()
    staff = counter_clerk()
    visit = services.claim_bundle(code=issued.short_code, staff=staff)
    with pytest.raises(services.VisitNotReady) as caught:
        services.confirm_visit(visit=visit, staff=staff)
    assert caught.value.code == "identity_not_checked"
    services.record_identity_check(visit=visit, staff=staff, document="passport")
    form = visit.forms.get(procedure__slug="kodomo-iryohi")
    result = services.save_form(form=form, raw={"insurer_number": "12"}, staff=staff)
    assert list(result.errors) == ["insurer_number"]
    with pytest.raises(services.ConfirmRefused) as refused:
        services.confirm_visit(visit=visit, staff=staff)
    assert list(refused.value.errors) == ["kodomo-iryohi"]
    assert not Case.objects.exists()


def test_identity_check_other_needs_a_note():
    with pytest.raises(services.VisitNotReady):
        services.record_identity_check(visit=Visit(), staff=counter_clerk(), document="other", note=" ")


def test_an_auditor_cannot_work_the_counter(published):
    from madoguchi.accounts.tests.factories import StaffFactory
    from madoguchi.cases.workflow import TransitionNotAllowed

    with pytest.raises(TransitionNotAllowed):
        services.claim_bundle(code="ABCD-EFGH", staff=StaffFactory(auditor=True))


def test_follow_on_procedures_are_added_prefilled(published):
    visit, staff = _ready_visit()
    form = services.add_form(visit=visit, slug="hoiku-moushikomi", staff=staff)
    values = services.form_values(form)
    assert (
        form.follow_on and values["guardian1_name"] == "緑川 花子" and values["child_name"] == "緑川 さくら"
    )
    assert services.add_form(visit=visit, slug="hoiku-moushikomi", staff=staff).pk == form.pk


def test_a_retired_version_is_shown_and_revalidated_against_the_current_one(published, tmp_path, settings):
    import shutil

    from madoguchi.procedures.services import sync_procedures

    _bundle, _token, issued = issued_bundle()
    directory = tmp_path / "procedures"
    shutil.copytree(settings.PROCEDURES_DIR, directory)
    path = directory / "kodomo-iryohi.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("id: insured_person_name", "id: insured_person_full_name"),
        encoding="utf-8",
    )
    sync_procedures(directory=directory)
    staff = counter_clerk()
    visit = services.claim_bundle(code=issued.short_code, staff=staff)
    form = visit.forms.get(procedure__slug="kodomo-iryohi")
    assert form.from_version is not None and form.version_id == form.procedure.current_version_id
    result = services.save_form(form=form, raw={}, staff=staff)
    assert list(result.errors) == ["insured_person_full_name"]


def test_create_counter_case_validates_once_and_writes_nothing_when_invalid(published):
    from madoguchi.procedures.models import Procedure

    procedure = Procedure.objects.select_related("current_version").get(slug="sodai-gomi")
    with pytest.raises(case_services.CaseValidationError):
        case_services.create_counter_case(procedure=procedure, raw={}, person=None, staff=counter_clerk())
    assert not Case.objects.exists() and not CaseHistory.objects.exists()


def test_the_short_code_on_the_page_matches_the_format(published):
    _bundle, _token, issued = issued_bundle()
    assert re.fullmatch(
        r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}",
        issued.short_code_display,
    )


def test_person_and_identity_check_are_fixed_once_filed(published):
    person = PersonFactory()
    visit, staff = _ready_visit(person)
    services.confirm_visit(visit=visit, staff=staff)
    with pytest.raises(services.VisitNotReady):
        services.select_person(visit=visit, staff=staff, person_id=PersonFactory().pk)
    with pytest.raises(services.VisitNotReady):
        services.record_identity_check(visit=visit, staff=staff, document="passport")
    visit.refresh_from_db()
    assert visit.person == person and visit.identity_document == IdentityDocument.MY_NUMBER_CARD
