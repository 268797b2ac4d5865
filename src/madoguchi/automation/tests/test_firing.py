"""Rules fire on the events the registry import and the cases room emit: firings, actions, tasks, notices, flags."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from madoguchi.accounts.tests.factories import IdentityLinkFactory
from madoguchi.automation import selectors, services
from madoguchi.automation.models import ActionRun, ActionStatus, Firing, Flag, RuleVersion, Task
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core import events
from madoguchi.core.clock import add_business_days
from madoguchi.core.models import OutboxEvent
from madoguchi.notify.models import Notice
from madoguchi.residents.models import Person
from madoguchi.residents.services import import_registry_csv
from madoguchi.residents.tests.factories import registry_csv, registry_row

pytestmark = pytest.mark.django_db

HEAD = registry_row(
    宛名番号="9200000001", 世帯番号="9200000001", 氏名="緑川\u3000太郎", 生年月日="1985-06-01"
)
WIFE = registry_row(
    宛名番号="9200000002",
    世帯番号="9200000001",
    氏名="緑川\u3000花子",
    続柄="妻",
    生年月日="1987-02-01",
    性別="2",
)


def load(rows, kind="full"):
    report = import_registry_csv(source=io.BytesIO(registry_csv(rows)), kind=kind, source_name="t.csv")
    assert report.applied, [p.format("en") for p in report.problems]
    return report


def change(base: dict, reason: str, day: str, **items: str) -> dict:
    return {**base, **items, "異動事由": reason, "異動日": day, "届出日": day}


@pytest.fixture
def family(shipped_rules):
    load([HEAD, WIFE])
    wife = Person.objects.get(atena_number="9200000002")
    return IdentityLinkFactory(person=wife).user


def test_a_65_year_old_moving_in_gets_a_care_insurance_task(
    shipped_rules, django_capture_on_commit_callbacks
):
    newcomer = registry_row(
        宛名番号="9200000050",
        世帯番号="9200000050",
        生年月日="1950-03-03",
        住民となった日="2026-04-01",
        住所を定めた日="2026-04-01",
    )
    with django_capture_on_commit_callbacks(execute=True):
        load([change(newcomer, "01", "2026-04-01")], "difference")
    [firing] = Firing.objects.all()
    event = OutboxEvent.objects.get(topic="resident.moved_in")
    assert firing.event_id == event.pk and firing.rule_version.rule_id == "kaigo-shikaku-tennyu"
    assert firing.input["age"] == 76 and firing.input["atena_number"] == "9200000050"
    [run] = firing.actions.all()
    assert (run.kind, run.status, run.attempts) == ("create_task", ActionStatus.DONE, 1)
    task = Task.objects.get(pk=run.result["task_id"])
    assert task.department.code == "kaigo" and task.person.atena_number == "9200000050"
    assert task.due_date == add_business_days(timezone.localdate(), 14)
    assert "9200000050" in task.title_ja


def test_a_young_person_moving_in_fires_nothing(shipped_rules, django_capture_on_commit_callbacks):
    newcomer = registry_row(宛名番号="9200000051", 世帯番号="9200000051", 生年月日="1990-03-03")
    with django_capture_on_commit_callbacks(execute=True):
        load([change(newcomer, "01", "2026-04-01")], "difference")
    assert not Firing.objects.exists() and not Task.objects.exists()


def test_a_birth_sends_the_household_guidance_with_the_guide_link(family, django_capture_on_commit_callbacks):
    baby = registry_row(
        宛名番号="9200000003",
        世帯番号="9200000001",
        続柄="子",
        生年月日="2026-05-01",
        住民となった日="2026-05-01",
        住所を定めた日="2026-05-01",
    )
    with django_capture_on_commit_callbacks(execute=True):
        load([change(baby, "03", "2026-05-01")], "difference")
    [notice] = Notice.objects.filter(recipient=family)
    assert notice.title_ja.startswith("ご出産おめでとうございます")
    assert "2026-05-01" in notice.body_ja and "/guide/birth/" in notice.body_ja
    assert "/en/guide/birth/" in notice.body_en
    assert ActionRun.objects.get().result == {"notices": 1}


def test_a_death_holds_payments_and_sends_okuyami_guidance(family, django_capture_on_commit_callbacks):
    head = Person.objects.get(atena_number="9200000001")
    with django_capture_on_commit_callbacks(execute=True):
        load([change(HEAD, "33", "2026-06-01", 住民状態="3")], "difference")
    assert Notice.objects.get(recipient=family).title_ja.startswith("おくやみ申し上げます")
    flag = Flag.objects.get()
    assert (flag.flag, flag.person_id, flag.expires_at) == ("payment_hold", head.pk, None)
    wife = Person.objects.get(atena_number="9200000002")
    assert selectors.flagged_person_ids("payment_hold") == {head.pk}
    assert selectors.flagged_person_ids("payment_hold", [wife.pk]) == set()
    services.clear_flag(flag_id=flag.pk, staff=None)
    assert selectors.flagged_person_ids("payment_hold") == set()


def test_a_move_out_sends_a_notice_on_each_open_case(family, django_capture_on_commit_callbacks):
    wife = Person.objects.get(atena_number="9200000002")
    open_case = CaseFactory(applicant=family, person=wife)
    CaseFactory(applicant=family, person=wife, status="completed")
    with django_capture_on_commit_callbacks(execute=True):
        load([change(WIFE, "31", "2026-06-01", 住民状態="2")], "difference")
    [notice] = Notice.objects.all()
    assert notice.case == open_case and notice.recipient == family
    assert notice.title_ja == "転出に伴う申請のお取り扱いについて"


def test_a_tax_correction_makes_a_recalculation_task_per_program(
    shipped_rules, django_capture_on_commit_callbacks
):
    person = load([HEAD]) and Person.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        events.emit(
            "tax.record_corrected",
            {
                "person_id": person.pk,
                "household_number": "9200000001",
                "fiscal_year": 2026,
                "changed": ["hikazei"],
                "programs": ["midori-bukka-2026", "midori-kosodate-2026"],
            },
        )
    tasks = list(Task.objects.order_by("item"))
    assert [(t.department.code, t.item) for t in tasks] == [
        ("fukushi", "midori-bukka-2026"),
        ("fukushi", "midori-kosodate-2026"),
    ]
    assert tasks[0].due_date == add_business_days(timezone.localdate(), 5)


def test_an_event_fires_a_rule_version_once(shipped_rules):
    payload = {"person_id": 1, "birth_date": "1950-01-01", "moved_on": "2026-04-01", "is_active": True}
    first = services.fire_rules(topic="resident.moved_in", payload=payload, event_id=77)
    again = services.fire_rules(topic="resident.moved_in", payload=payload, event_id=77)
    assert len(first) == 1 and again == [] and Firing.objects.count() == 1


def test_rules_can_be_switched_off(shipped_rules, settings):
    settings.RULES_ENABLED = False
    payload = {"person_id": 1, "birth_date": "1950-01-01", "moved_on": "2026-04-01", "is_active": True}
    assert services.fire_rules(topic="resident.moved_in", payload=payload, event_id=1) == []


def test_case_approved_rules_fire_on_a_status_change_to_approved(departments, write_rule):
    path = write_rule(
        "approved-flag",
        """event: case.approved
condition: event.action == "approve"
actions:
  - set_flag: {subject: case, flag: review_done, expires_in_days: 30}
examples:
  - name: approved
    event: {case_id: 1, action: approve, to: approved}
    expect: [set_flag]
""",
    )
    services.publish_rules(paths=[path])
    case = CaseFactory()
    payload = {
        "case_id": case.pk,
        "reference": case.reference,
        "action": "approve",
        "from": "in_review",
        "to": "approved",
    }
    [firing] = services.fire_rules(topic="case.status_changed", payload=payload, event_id=5)
    services.run_actions(firing.actions.values_list("pk", flat=True))
    flag = Flag.objects.get()
    assert flag.case == case and flag.expires_at > timezone.now()
    assert selectors.flagged_case_ids("review_done") == {case.pk}
    assert (
        services.fire_rules(topic="case.status_changed", payload={**payload, "to": "rejected"}, event_id=6)
        == []
    )


def test_a_letter_is_rendered_as_a_pdf_without_the_address_of_a_protected_person(departments, write_rule):
    from madoguchi.automation.models import Letter
    from madoguchi.residents.tests.factories import PersonFactory

    path = write_rule(
        "letter",
        """event: resident.turned_65
actions:
  - send_letter: {to: person, title: {ja: 介護保険のご案内, en: Care insurance}, body: {ja: 65歳になられました。, en: You are 65.}}
examples:
  - name: x
    event: {person_id: 1}
    expect: [send_letter]
""",
    )
    services.publish_rules(paths=[path])
    person = PersonFactory(support_measure=True)
    [firing] = services.fire_rules(topic="resident.turned_65", payload={"person_id": person.pk}, event_id=9)
    services.run_actions(firing.actions.values_list("pk", flat=True))
    letter = Letter.objects.get()
    assert bytes(letter.pdf).startswith(b"%PDF") and letter.person == person
    import pypdfium2

    text = pypdfium2.PdfDocument(bytes(letter.pdf))[0].get_textpage().get_text_bounded()
    assert "介護保険のご案内" in text and "支援措置" in text and person.banchi not in text


def test_publishing_refuses_a_changed_rule_without_a_new_version(departments, write_rule):
    body = """event: resident.born
actions:
  - set_flag: {subject: person, flag: newborn}
examples:
  - name: x
    event: {person_id: 1}
    expect: [set_flag]
"""
    path = write_rule("newborn", body)
    assert services.publish_rules(paths=[path]).published == ["newborn v1"]
    assert services.publish_rules(paths=[path]).unchanged == ["newborn v1"]
    path.write_text(path.read_text().replace("flag: newborn", "flag: baby"))
    with pytest.raises(services.RulePublishError) as caught:
        services.publish_rules(paths=[path])
    assert "already published with other content; raise the version number" in str(caught.value)
    path.write_text(path.read_text().replace("version: 1", "version: 2"))
    assert services.publish_rules(paths=[path]).published == ["newborn v2"]
    assert list(RuleVersion.objects.filter(rule_id="newborn").values_list("version", "is_current")) == [
        (2, True),
        (1, False),
    ]


def test_publishing_refuses_a_rule_whose_example_fails_and_writes_nothing(departments, write_rule):
    path = write_rule(
        "failing",
        """event: resident.born
actions:
  - set_flag: {subject: person, flag: newborn}
examples:
  - name: expects a task
    event: {person_id: 1}
    expect: [create_task]
""",
    )
    with pytest.raises(services.RulePublishError) as caught:
        services.publish_rules(paths=[path])
    assert "example 'expects a task' fails" in str(caught.value)
    assert not RuleVersion.objects.exists()


def test_publishing_refuses_an_unknown_department(db, write_rule):
    path = write_rule(
        "nodept",
        """event: resident.born
actions:
  - create_task: {department: nowhere, title: {ja: a, en: b}, sla_days: 1}
examples:
  - name: x
    event: {person_id: 1}
    expect: [create_task]
""",
    )
    with pytest.raises(services.RulePublishError) as caught:
        services.publish_rules(paths=[path])
    assert caught.value.problems[0].line == 6
    assert "department 'nowhere' does not exist" in caught.value.problems[0].reason


def test_the_65th_birthday_job_emits_once_per_person(db):
    from madoguchi.residents.tests.factories import PersonFactory

    today = timezone.localdate()
    turning = PersonFactory(birth_date=today.replace(year=today.year - 65))
    PersonFactory(birth_date=today.replace(year=today.year - 64))
    PersonFactory(birth_date=today.replace(year=today.year - 65), is_active=False)
    assert services.announce_65th_birthdays(today=today) == 1
    assert services.announce_65th_birthdays(today=today) == 0
    [event] = OutboxEvent.objects.filter(topic="resident.turned_65")
    assert event.payload["person_id"] == turning.pk and event.payload["turned_65_on"] == today.isoformat()


def test_those_born_on_29_february_turn_65_on_1_march_of_a_common_year(db):
    import datetime as dt

    from madoguchi.residents.tests.factories import PersonFactory

    leap = PersonFactory(birth_date=dt.date(1960, 2, 29))
    assert services.announce_65th_birthdays(today=dt.date(2025, 2, 28)) == 0
    assert services.announce_65th_birthdays(today=dt.date(2025, 3, 1)) == 1
    assert OutboxEvent.objects.get().payload["person_id"] == leap.pk


def test_an_action_that_cannot_be_carried_out_fails_with_its_reason_and_is_retried_later(shipped_rules):
    payload = {"person_id": 999999, "fiscal_year": 2026, "programs": ["p"], "household_number": "1"}
    [firing] = services.fire_rules(topic="tax.record_corrected", payload=payload, event_id=3)
    [status] = services.run_actions(firing.actions.values_list("pk", flat=True))
    run = firing.actions.get()
    assert (status, run.attempts) == (ActionStatus.FAILED, 1)
    assert run.last_error == "person 999999 is not in the registry read-model"
    assert run.next_attempt_at > timezone.now()
    assert list(selectors.stuck_actions()) == [run]
    assert services.retry_due_actions() == 0  # its backoff is not over


def test_an_action_stops_after_the_last_attempt(shipped_rules, settings):
    settings.RULE_ACTION_MAX_ATTEMPTS = 2
    payload = {"person_id": 999999, "fiscal_year": 2026, "programs": ["p"], "household_number": "1"}
    [firing] = services.fire_rules(topic="tax.record_corrected", payload=payload, event_id=4)
    run = firing.actions.get()
    assert services.run_action(run.pk) == ActionStatus.FAILED
    ActionRun.objects.filter(pk=run.pk).update(next_attempt_at=timezone.now())
    assert services.retry_due_actions() == 0
    run.refresh_from_db()
    assert (run.status, run.attempts, run.next_attempt_at) == (ActionStatus.STUCK, 2, None)


def test_a_task_is_taken_and_closed_by_its_department_only(departments):
    from madoguchi.accounts.tests.factories import StaffFactory

    task = Task.objects.create(department=departments["fukushi"], title_ja="再計算", title_en="Recalculate")
    other = StaffFactory(department=departments["kaigo"])
    with pytest.raises(services.TaskNotAllowed):
        services.take_task(staff=other, task_id=task.pk)
    mine = StaffFactory(department=departments["fukushi"])
    assert services.take_task(staff=mine, task_id=task.pk).assignee == mine
    assert services.close_task(staff=mine, task_id=task.pk).status == "closed"
    with pytest.raises(services.TaskNotAllowed):
        services.close_task(staff=mine, task_id=task.pk)


def test_create_case_opens_a_draft_for_the_persons_account(departments, write_rule):
    from madoguchi.procedures.tests.factories import ProcedureFactory

    procedure = ProcedureFactory()
    path = write_rule(
        "draft",
        f"""event: resident.turned_65
actions:
  - create_case: {{procedure: {procedure.slug}}}
examples:
  - name: x
    event: {{person_id: 1}}
    expect: [create_case]
""",
    )
    services.publish_rules(paths=[path])
    link = IdentityLinkFactory()
    [firing] = services.fire_rules(
        topic="resident.turned_65", payload={"person_id": link.person_id}, event_id=1
    )
    [status] = services.run_actions(firing.actions.values_list("pk", flat=True))
    run = firing.actions.get()
    assert status == ActionStatus.DONE and run.result["created"] is True
    from madoguchi.cases.models import Case

    case = Case.objects.get(pk=run.result["case_id"])
    assert (case.applicant, case.procedure, case.status) == (link.user, procedure, "draft")
    [firing] = services.fire_rules(topic="resident.turned_65", payload={"person_id": 999}, event_id=2)
    [status] = services.run_actions(firing.actions.values_list("pk", flat=True))
    assert status == ActionStatus.SKIPPED


def test_retire_and_retry_from_the_command_line(shipped_rules, capsys):
    from django.core.management import call_command

    call_command("rules", "retire", "shibou-okuyami")
    assert not RuleVersion.objects.filter(rule_id="shibou-okuyami", is_current=True).exists()
    assert services.fire_rules(topic="resident.died", payload={"person_id": 1}, event_id=1) == []
    call_command("rules", "retry")
    assert "0 rule action(s) done on retry." in capsys.readouterr().out
