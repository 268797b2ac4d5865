"""notify.subscribers: case events become notices (and emails) for the applicant, in Japanese and English.

The first half calls the subscribers with event payloads; the second goes through cases.services and the
outbox, as a real submission and the office's actions do.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import TestCase

from madoguchi.accounts.tests.factories import ResidentFactory, StaffFactory
from madoguchi.cases import services as case_services
from madoguchi.cases.models import Case, Channel
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core import events
from madoguchi.core.models import OutboxEvent
from madoguchi.notify import services, subscribers, tasks
from madoguchi.notify.models import Notice
from madoguchi.procedures.tests.factories import ProcedureFactory


@pytest.fixture(autouse=True)
def _decision_in_one_step(settings):
    """These tests approve cases in review directly (MADOGUCHI_DECISION_BY_ANOTHER_STAFF off); review, then
    decision by another staff member (the default) is tested in office/tests/test_decision.py."""
    settings.DECISION_BY_ANOTHER_STAFF = False


pytestmark = pytest.mark.django_db

# What the applicant reads for each workflow action: (title_ja, title_en, body_ja, body_en) with {ref}.
EXPECTED = {
    "submit": (
        "申請を受け付けました",
        "Your application has been received",
        "受付番号 {ref} の申請を受け付けました。審査の状況はマイページで確認できます。",
        "We have received your application {ref}. You can follow its status on My Page.",
    ),
    "provide_information": (
        "追加の情報を受け付けました",
        "We have received your information",
        "受付番号 {ref} の申請について、追加の情報を受け付けました。審査を再開します。",
        "We have received your additional information for application {ref} and resumed the review.",
    ),
    "approve": (
        "申請が承認されました",
        "Your application has been approved",
        "受付番号 {ref} の申請が承認されました。詳しくはマイページをご覧ください。",
        "Your application {ref} has been approved. See My Page for details.",
    ),
    "complete": (
        "手続きが完了しました",
        "Your procedure is complete",
        "受付番号 {ref} の手続きが完了しました。",
        "The procedure for application {ref} is complete.",
    ),
    "withdraw": (
        "申請を取り下げました",
        "Your application has been withdrawn",
        "受付番号 {ref} の申請を取り下げました。",
        "Your application {ref} has been withdrawn.",
    ),
}
NOTE = "住民票の写しを1通、添付してください。"


def status_changed(case: Case, action: str, **changes) -> dict:
    """The payload of `case.status_changed` as cases.services emits it."""
    return {
        "case_id": case.pk,
        "reference": case.reference,
        "action": action,
        "from": "submitted",
        "to": "in_review",
        "visible_to_applicant": True,
        "note": "",
        "applicant_id": case.applicant_id,
        **changes,
    }


# ---- the subscribers, called with payloads ----------------------------------------------------------------


@pytest.mark.parametrize("action", sorted(set(EXPECTED) - {"submit"}))
def test_each_visible_status_change_gives_the_applicant_its_notice(
    action, django_capture_on_commit_callbacks
):
    case = CaseFactory(reference="ABCD-2345")

    with django_capture_on_commit_callbacks(execute=True):
        subscribers.notify_applicant_of_status_change(status_changed(case, action))

    notice = Notice.objects.get()
    title_ja, title_en, body_ja, body_en = EXPECTED[action]
    assert (notice.recipient, notice.case, notice.kind) == (case.applicant, case, f"case.{action}")
    assert (notice.title_ja, notice.title_en) == (title_ja, title_en)
    assert notice.body_ja == body_ja.format(ref="ABCD-2345")
    assert notice.body_en == body_en.format(ref="ABCD-2345")
    assert [message.subject for message in mail.outbox] == [f"[みどり市] {title_ja}"]


def test_a_submission_is_acknowledged(django_capture_on_commit_callbacks):
    case = CaseFactory(reference="ABCD-2345")
    payload = {
        "case_id": case.pk,
        "reference": case.reference,
        "procedure": case.procedure.slug,
        "department": case.department_id,
        "channel": Channel.ONLINE,
        "applicant_id": case.applicant_id,
    }

    with django_capture_on_commit_callbacks(execute=True):
        subscribers.notify_applicant_of_submission(payload)

    notice = Notice.objects.get()
    assert (notice.recipient, notice.case, notice.kind) == (case.applicant, case, "case.submit")
    assert (notice.title_ja, notice.title_en) == EXPECTED["submit"][:2]
    assert notice.body_ja == EXPECTED["submit"][2].format(ref="ABCD-2345")
    assert notice.body_en == EXPECTED["submit"][3].format(ref="ABCD-2345")


def test_a_request_for_information_carries_the_departments_message():
    case = CaseFactory(reference="ABCD-2345")

    subscribers.notify_applicant_of_status_change(status_changed(case, "request_information", note=NOTE))

    notice = Notice.objects.get()
    assert (notice.title_ja, notice.title_en) == (
        "追加の情報・書類をお願いします",
        "More information is needed",
    )
    assert notice.body_ja == (
        "受付番号 ABCD-2345 の申請について、担当課から依頼があります。マイページで内容を確認し、ご返信ください。"
        f"\n\n{NOTE}"
    )
    assert notice.body_en == (
        "The department needs more from you for application ABCD-2345. Please read the request on My Page and "
        f"reply.\n\n{NOTE}"
    )


def test_a_rejection_gives_the_reason():
    case = CaseFactory(reference="ABCD-2345")

    subscribers.notify_applicant_of_status_change(
        status_changed(case, "reject", note="要件を満たしていません。")
    )

    notice = Notice.objects.get()
    assert (notice.title_ja, notice.title_en) == ("申請が却下されました", "Your application was not approved")
    assert notice.body_ja == (
        "受付番号 ABCD-2345 の申請は却下されました。理由：要件を満たしていません。\n"
        "ご不明な点は担当課へお問い合わせください。"
    )
    assert notice.body_en == (
        "Your application ABCD-2345 was not approved. Reason: 要件を満たしていません。\n"
        "Please contact the department if you have questions."
    )


def test_without_a_note_no_blank_lines_are_left_at_the_end():
    case = CaseFactory(reference="ABCD-2345")

    subscribers.notify_applicant_of_status_change(status_changed(case, "request_information", note=None))

    notice = Notice.objects.get()
    assert notice.body_ja.endswith("ご返信ください。")
    assert notice.body_en.endswith("and reply.")


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"action": "assign", "visible_to_applicant": False}, id="staff-only action"),
        pytest.param({"action": "approve", "visible_to_applicant": False}, id="hidden from the applicant"),
        pytest.param({"action": "note_added"}, id="action without a message"),
        pytest.param({"applicant_id": None}, id="paper case without an account"),
        pytest.param({"applicant_id": 987654}, id="account that no longer exists"),
    ],
)
def test_no_notice_for_what_the_applicant_should_not_hear_of(changes, django_capture_on_commit_callbacks):
    case = CaseFactory()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        subscribers.notify_applicant_of_status_change(
            status_changed(case, **{"action": "approve", **changes})
        )

    assert not Notice.objects.exists()
    assert callbacks == [] and mail.outbox == []


# ---- through cases.services and the outbox ----------------------------------------------------------------


@pytest.fixture
def procedure():
    return ProcedureFactory()


@pytest.fixture
def staff(procedure):
    return StaffFactory(department=procedure.department)


def submit(applicant, procedure) -> Case:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return case_services.create_and_submit_case(
            applicant=applicant, procedure=procedure, raw={"applicant_name": "緑 花子", "reason": "birth"}
        )


def act(case: Case, action: str, actor, note: str = "") -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_services.transition(case=case, action=action, actor=actor, note=note)


def kinds(recipient) -> list[str]:
    return list(Notice.objects.filter(recipient=recipient).order_by("id").values_list("kind", flat=True))


def test_a_case_from_submission_to_completion_notifies_every_visible_step(procedure, staff):
    resident = ResidentFactory()

    case = submit(resident, procedure)
    act(case, "assign", staff)  # staff only: no notice
    act(case, "request_information", staff, note=NOTE)
    act(case, "provide_information", resident, note="添付しました。")
    act(case, "approve", staff)
    act(case, "complete", staff)

    assert kinds(resident) == [
        "case.submit",
        "case.request_information",
        "case.provide_information",
        "case.approve",
        "case.complete",
    ]
    assert set(Notice.objects.values_list("case", flat=True)) == {case.pk}
    assert not Notice.objects.exclude(recipient=resident).exists()  # staff get no notices
    request = Notice.objects.get(kind="case.request_information")
    assert NOTE in request.body_ja and NOTE in request.body_en
    assert all(case.reference in n.body_ja and case.reference in n.body_en for n in Notice.objects.all())
    assert [message.subject for message in mail.outbox] == [
        "[みどり市] 申請を受け付けました",
        "[みどり市] 追加の情報・書類をお願いします",
        "[みどり市] 追加の情報を受け付けました",
        "[みどり市] 申請が承認されました",
        "[みどり市] 手続きが完了しました",
    ]
    assert {tuple(message.to) for message in mail.outbox} == {(resident.email,)}
    assert Notice.objects.filter(emailed_at__isnull=True).count() == 0


def test_rejection_and_withdrawal_reach_the_applicant(procedure, staff):
    rejected_applicant, withdrawing_applicant = ResidentFactory(), ResidentFactory()
    rejected = submit(rejected_applicant, procedure)
    withdrawn = submit(withdrawing_applicant, procedure)

    act(rejected, "reject", staff, note="対象の期間を過ぎています。")
    act(withdrawn, "withdraw", withdrawing_applicant)

    assert kinds(rejected_applicant) == ["case.submit", "case.reject"]
    assert "理由：対象の期間を過ぎています。" in Notice.objects.get(kind="case.reject").body_ja
    assert kinds(withdrawing_applicant) == ["case.submit", "case.withdraw"]
    assert Notice.objects.get(kind="case.withdraw").title_ja == "申請を取り下げました"


def test_an_english_reader_gets_the_email_in_english(procedure, staff):
    resident = ResidentFactory(english=True)

    case = submit(resident, procedure)
    act(case, "approve", staff)

    assert [message.subject.split("] ", 1)[1] for message in mail.outbox] == [
        "Your application has been received",
        "Your application has been approved",
    ]
    assert mail.outbox[1].body.startswith(f"Your application {case.reference} has been approved.")
    # The notice keeps both languages: My Page shows the one the resident browses in.
    assert Notice.objects.get(kind="case.approve").title_ja == "申請が承認されました"


def test_each_event_gives_one_notice_even_if_the_outbox_is_swept_again(procedure):
    resident = ResidentFactory()

    submit(resident, procedure)
    assert events.dispatch_pending() == 0  # already delivered: the sweep finds nothing to do

    assert kinds(resident) == ["case.submit"]
    assert len(mail.outbox) == 1


def test_a_notice_that_could_not_be_written_is_written_when_the_event_is_retried(procedure, monkeypatch):
    resident = ResidentFactory()
    real_send_notice = services.send_notice

    def database_hiccup(**kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(services, "send_notice", database_hiccup)
    case = submit(resident, procedure)
    event = OutboxEvent.objects.get(topic="case.submitted", payload__case_id=case.pk)
    assert event.dispatched_at is None and event.attempts == 1
    assert kinds(resident) == []

    monkeypatch.setattr(services, "send_notice", real_send_notice)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert events.dispatch_pending() == 1

    assert kinds(resident) == ["case.submit"]
    assert len(mail.outbox) == 1


# ---- a mail server that is down ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_mail_outage_loses_neither_the_case_nor_its_notice(mail_down):
    procedure, resident = ProcedureFactory(), ResidentFactory()

    case_services.create_and_submit_case(
        applicant=resident, procedure=procedure, raw={"applicant_name": "緑 花子", "reason": "birth"}
    )

    case = Case.objects.get(applicant=resident)
    notice = Notice.objects.get(recipient=resident)
    assert (notice.case, notice.kind) == (case, "case.submit")
    assert notice.emailed_at is None  # not marked sent, so it can be sent again
    assert mail_down.attempts == 1
    assert OutboxEvent.objects.get(topic="case.submitted").dispatched_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_mail_outage_does_not_fail_a_submission_that_was_saved(mail_down):
    procedure, resident = ProcedureFactory(), ResidentFactory()

    case = case_services.create_and_submit_case(
        applicant=resident, procedure=procedure, raw={"applicant_name": "緑 花子", "reason": "birth"}
    )

    assert Case.objects.filter(pk=case.pk).exists()
    assert Notice.objects.filter(recipient=resident, case=case).exists()


@pytest.mark.django_db(transaction=True)
def test_the_unsent_notice_sweep_sends_the_email_once_the_mail_server_is_back(mail_down, settings):
    procedure, resident = ProcedureFactory(), ResidentFactory()
    case_services.create_and_submit_case(
        applicant=resident, procedure=procedure, raw={"applicant_name": "緑 花子", "reason": "birth"}
    )
    notice = Notice.objects.get(recipient=resident)
    assert notice.emailed_at is None

    # Still down: the sweep tries, stops at the first failure, and keeps the notice unsent.
    assert services.email_unsent_notices(older_than=dt.timedelta(0)) == 0
    assert mail_down.attempts == 2

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert (
        services.email_unsent_notices(older_than=dt.timedelta(minutes=5)) == 0
    )  # too young: first try's turn
    assert services.email_unsent_notices(older_than=dt.timedelta(0)) == 1
    assert services.email_unsent_notices(older_than=dt.timedelta(0)) == 0  # sent once only
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [resident.email]
    notice.refresh_from_db()
    assert notice.emailed_at is not None


@pytest.mark.django_db
def test_the_unsent_notice_sweep_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["unsent-notice-emails"]
    assert entry["task"] == tasks.email_unsent_notices.name
