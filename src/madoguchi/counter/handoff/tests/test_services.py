"""export_cases and reexport: which cases, who may, what is recorded and audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest

from madoguchi.accounts.tests.factories import DepartmentFactory, StaffFactory
from madoguchi.cases import workflow
from madoguchi.cases.models import Status
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.audit import verify_chain
from madoguchi.core.models import AuditEvent
from madoguchi.counter.handoff import selectors, services
from madoguchi.counter.handoff.base import HandoffEncodingError, HandoffError, UnknownFormatError
from madoguchi.counter.handoff.models import HandoffExport, HandoffExportCase
from madoguchi.residents.models import Person

from .conftest import ACCEPTED_ON, TENNYU_RAW, accept, members, tenkyo_raw, tenshutsu_raw

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def export(format_name="juki-ido", **kwargs):
    kwargs.setdefault("since", ACCEPTED_ON)
    kwargs.setdefault("until", ACCEPTED_ON)
    kwargs.setdefault("actor", "cli:operator")
    return services.export_cases(format_name, **kwargs)


def test_accepted_is_approved_or_completed_and_only_approve_leads_there():
    assert set(workflow.ACCEPTED) == {Status.APPROVED, Status.COMPLETED}
    into = {t.action for t in workflow.TRANSITIONS.values() if t.target in workflow.ACCEPTED}
    assert into == {workflow.Action.APPROVE, workflow.Action.COMPLETE}
    assert workflow.TRANSITIONS[workflow.Action.COMPLETE].sources == {Status.APPROVED}


def test_the_cases_accepted_in_the_period_both_days_included(make_case, family, procedures):
    head = family["head"]
    before = make_case("tennyu-reservation", TENNYU_RAW, accepted_on=ACCEPTED_ON - DAY)
    first = make_case("tennyu-reservation", TENNYU_RAW, accepted_on=ACCEPTED_ON)
    completed = make_case(
        "tenkyo", tenkyo_raw([head]), household=members(head), person=head, accepted_on=None
    )
    accept(completed, on=ACCEPTED_ON + DAY, hour=23, complete=True)
    make_case("tennyu-reservation", TENNYU_RAW, accepted_on=None)  # in review: not accepted
    after = make_case("tennyu-reservation", TENNYU_RAW, accepted_on=ACCEPTED_ON + 2 * DAY)
    accept(CaseFactory(procedure=procedures["juminhyo-copy"], status=Status.IN_REVIEW))  # not a move
    found = selectors.accepted_cases(
        since=ACCEPTED_ON, until=ACCEPTED_ON + DAY, procedures=["tennyu-reservation", "tenkyo"]
    )
    assert [a.case.reference for a in found] == [first.reference, completed.reference]
    outcome = export(since=ACCEPTED_ON - DAY, until=ACCEPTED_ON + 2 * DAY)
    assert [i.case.reference for i in outcome.export.items.select_related("case")] == [
        before.reference,
        first.reference,
        completed.reference,
        after.reference,
    ]


def test_an_export_is_recorded_with_its_cases_persons_and_hash(make_case, family):
    head, wife, child = family.values()
    moving_in = make_case("tennyu-reservation", TENNYU_RAW)
    moving_out = make_case(
        "tenshutsu", tenshutsu_raw([wife, child]), household=members(head, wife, child), person=head
    )
    stream = io.BytesIO()
    outcome = export(stream=stream, purpose="日次連携")
    record = outcome.export
    assert stream.getvalue() == outcome.content
    assert (record.sha256, record.size) == (hashlib.sha256(outcome.content).hexdigest(), len(outcome.content))
    assert (record.format, record.actor_label, record.channel, record.exported_by) == (
        "juki-ido",
        "cli:operator",
        "cli",
        None,
    )
    assert (record.since, record.until, record.procedures, record.department) == (
        ACCEPTED_ON,
        ACCEPTED_ON,
        [],
        None,
    )
    assert (record.case_count, record.row_count, record.previously_exported) == (2, 4, 0)
    assert record.person_ids == sorted([head.pk, wife.pk, child.pk])
    assert record.file_name == "juki-ido_20260408-20260408.csv"
    assert record.encoding == "utf-8" and record.headers[0] == "受付番号"
    assert list(HandoffExportCase.objects.filter(export=record).values_list("case_id", "position")) == [
        (moving_in.pk, 0),
        (moving_out.pk, 1),
    ]


def test_one_audit_row_lists_the_columns_cases_and_persons(make_case, family):
    head, wife, _child = family.values()
    moving_in = make_case("tennyu-reservation", TENNYU_RAW)
    moving_out = make_case("tenshutsu", tenshutsu_raw([wife]), household=members(head, wife), person=head)
    audited = AuditEvent.objects.count()
    outcome = export()
    assert AuditEvent.objects.count() == audited + 1
    row = AuditEvent.objects.latest("id")
    assert (row.action, row.object_type, row.object_id, row.channel, row.actor_label) == (
        "export",
        "handoff_export",
        str(outcome.export.pk),
        "cli",
        "cli:operator",
    )
    assert row.purpose == "中核システムへの連携（住民異動届（転入・転居・転出））"
    assert row.person_id is None  # two persons: they are listed in the fields
    assert {f"case:{moving_in.reference}", f"case:{moving_out.reference}"} <= set(row.fields)
    assert {f"person:{head.pk}", f"person:{wife.pk}", "氏名", "新住所", "宛名番号"} <= set(row.fields)
    assert list(verify_chain()) == []


def test_a_single_person_is_also_the_audit_rows_person(make_case, family):
    head = family["head"]
    make_case("tenshutsu", tenshutsu_raw([head]), household=members(head), person=head)
    export()
    assert AuditEvent.objects.latest("id").person_id == head.pk


def test_an_export_that_fails_records_nothing(make_case, family):
    head = family["head"]
    Person.objects.filter(pk=head.pk).update(name="𠮷川\u3000一郎")
    make_case(
        "tenshutsu", tenshutsu_raw([head]), household=members(Person.objects.get(pk=head.pk)), person=head
    )
    audited = AuditEvent.objects.count()
    stream = io.BytesIO()
    with pytest.raises(HandoffEncodingError):
        export(encoding="cp932", stream=stream)
    assert stream.getvalue() == b""
    assert not HandoffExport.objects.exists() and AuditEvent.objects.count() == audited


def test_exporting_again_counts_what_was_exported_before(make_case, family):
    make_case("tennyu-reservation", TENNYU_RAW)
    first = export().export
    later = make_case("tennyu-reservation", TENNYU_RAW, accepted_on=ACCEPTED_ON + DAY)
    second = export(until=ACCEPTED_ON + DAY).export
    assert (second.case_count, second.previously_exported) == (2, 1)
    assert first.previously_exported == 0
    assert list(HandoffExportCase.objects.filter(case=later).values_list("export_id", flat=True)) == [
        second.pk
    ]
    # Another format's export does not count.
    other = export("case-csv", procedures=["tennyu-reservation"]).export
    assert other.previously_exported == 0


def test_a_reexport_writes_the_same_cases_again_recorded_and_audited(make_case, family):
    first_case = make_case("tennyu-reservation", TENNYU_RAW)
    original = export(encoding="cp932")
    make_case("tennyu-reservation", TENNYU_RAW)  # accepted the same day, after the export
    audited = AuditEvent.objects.count()
    again = services.reexport(original.export.pk, actor="cli:operator")
    assert again.content == original.content  # the same cases, the same configuration, CP932 again
    record = again.export
    assert record.reexport_of == original.export and record.encoding == "cp932"
    assert (record.case_count, record.previously_exported) == (1, 1)
    assert list(record.items.values_list("case_id", flat=True)) == [first_case.pk]
    assert AuditEvent.objects.count() == audited + 1
    row = AuditEvent.objects.latest("id")
    assert row.object_id == str(record.pk)
    assert (
        row.purpose == f"中核システムへの連携（住民異動届（転入・転居・転出）・再出力 #{original.export.pk}）"
    )
    assert (
        services.reexport(original.export.pk, actor="cli:operator", encoding="utf-8").export.encoding
        == "utf-8"
    )
    with pytest.raises(HandoffError) as caught:
        services.reexport(99999, actor="cli:operator")
    assert caught.value.code == "export_not_found"


def test_staff_export_their_departments_cases_only(make_case, family, procedures):
    make_case("tennyu-reservation", TENNYU_RAW)  # 市民課
    reviewer = StaffFactory(reviewer=True)  # 市民課
    outcome = export(actor=reviewer, channel="screen", client_ip="192.0.2.1")
    record = outcome.export
    assert (record.exported_by, record.department.code, record.case_count) == (reviewer, "shimin", 1)
    assert AuditEvent.objects.latest("id").client_ip == "192.0.2.1"
    kosodate = StaffFactory(department=DepartmentFactory(code="kosodate"))
    assert export(actor=kosodate).export.case_count == 0
    with pytest.raises(services.HandoffNotAllowed):
        export(actor=kosodate, department=DepartmentFactory(code="shimin"))
    with pytest.raises(services.HandoffNotAllowed):
        services.reexport(record.pk, actor=StaffFactory(auditor=True))
    with pytest.raises(HandoffError) as caught:  # another department's export: as if there were none
        services.reexport(record.pk, actor=kosodate)
    assert caught.value.code == "export_not_found"
    # The command may narrow to a department.
    assert export(department=DepartmentFactory(code="kosodate")).export.case_count == 0


def test_who_may_export():
    assert selectors.may_export(StaffFactory(reviewer=True))
    assert selectors.may_export(StaffFactory())  # approver
    assert selectors.may_export(StaffFactory(department_admin=True))
    assert not selectors.may_export(StaffFactory(auditor=True))
    assert not selectors.may_export(StaffFactory(inactive=True))
    with pytest.raises(services.HandoffNotAllowed) as caught:
        export(actor=StaffFactory(auditor=True))
    assert "審査担当・決裁者・課管理者" in caught.value.ja


def test_mistakes_are_named(procedures):
    with pytest.raises(UnknownFormatError) as caught:
        export("juki_ido")
    assert "Did you mean 'juki-ido'?" in caught.value.en
    with pytest.raises(HandoffError) as caught:
        export(since=ACCEPTED_ON, until=ACCEPTED_ON - DAY)
    assert (caught.value.code, caught.value.field) == ("period_reversed", "until")
    with pytest.raises(HandoffError) as caught:
        export(since=ACCEPTED_ON - dt.timedelta(days=400))
    assert caught.value.code == "period_too_long"
    with pytest.raises(HandoffError) as caught:
        export(procedures=["tenshutu"])
    assert caught.value.code == "unknown_procedure" and "Did you mean 'tenshutsu'?" in caught.value.en
    with pytest.raises(HandoffError) as caught:
        export(procedures=["juminhyo-copy"])  # a procedure the format does not take
    assert caught.value.code == "unknown_procedure"
    with pytest.raises(HandoffError) as caught:
        export("case-csv")
    assert caught.value.code == "procedure_required"
    assert not HandoffExport.objects.exists()


def test_an_empty_period_makes_a_file_with_its_header(procedures):
    outcome = export()
    assert outcome.content.decode("utf-8").startswith("受付番号,連番,")
    assert outcome.content.count(b"\r\n") == 1
    assert (outcome.export.case_count, outcome.export.person_ids) == (0, [])


def test_exports_are_append_only(make_case):
    make_case("tennyu-reservation", TENNYU_RAW)
    record = export().export
    from madoguchi.core.models import AppendOnlyError

    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.items.first().delete()


def test_the_next_period_starts_after_the_last_export(procedures):
    today = dt.date(2026, 4, 20)
    assert selectors.next_since("juki-ido", department_id=None, today=today) == today
    export(since=ACCEPTED_ON, until=ACCEPTED_ON + DAY)
    assert selectors.next_since("juki-ido", department_id=None, today=today) == ACCEPTED_ON + 2 * DAY
    assert selectors.next_since("case-csv", department_id=None, today=today) == today
