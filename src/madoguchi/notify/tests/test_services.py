"""notify.services: send_notice writes the My Page notice at once and queues its email only when the
transaction commits; email_notice_now sends it once, in the recipient's language; mark_read is scoped."""

from __future__ import annotations

from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.db import transaction

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.notify import services, tasks
from madoguchi.notify.models import Notice
from madoguchi.notify.tests.support import SITE_URL

pytestmark = pytest.mark.django_db

TEXTS = {
    "kind": "case.approve",
    "title_ja": "申請が承認されました",
    "title_en": "Your application has been approved",
    "body_ja": "受付番号 ABCD-2345 の申請が承認されました。",
    "body_en": "Your application ABCD-2345 has been approved.",
}


def notice_for(recipient, **fields) -> Notice:
    """A notice row as send_notice writes it, without queueing an email."""
    return Notice.objects.create(recipient=recipient, **{**TEXTS, **fields})


# ---- send_notice ------------------------------------------------------------------------------------------


def test_send_notice_writes_the_notice_at_once_and_emails_after_commit(django_capture_on_commit_callbacks):
    resident = ResidentFactory()
    case = CaseFactory(applicant=resident)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notice = services.send_notice(recipient=resident, case=case, **TEXTS)
        assert Notice.objects.filter(pk=notice.pk, recipient=resident, case=case).exists()
        assert mail.outbox == []  # nothing leaves before the transaction commits

    assert len(callbacks) == 1
    stored = Notice.objects.get(pk=notice.pk)
    assert (stored.kind, stored.title_ja, stored.title_en) == (
        TEXTS["kind"],
        TEXTS["title_ja"],
        TEXTS["title_en"],
    )
    assert (stored.body_ja, stored.body_en) == (TEXTS["body_ja"], TEXTS["body_en"])
    assert stored.read_at is None
    assert stored.emailed_at is not None
    assert [message.to for message in mail.outbox] == [[resident.email]]


def test_the_email_task_is_queued_with_the_notice_id_only_on_commit(
    django_capture_on_commit_callbacks, monkeypatch
):
    queued: list[int] = []
    monkeypatch.setattr(tasks.email_notice, "delay", queued.append)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notice = services.send_notice(recipient=ResidentFactory(), **TEXTS)
    assert queued == []  # a worker must not look for a row that is not committed yet

    for callback in callbacks:
        callback()
    assert queued == [notice.pk]


def test_a_rolled_back_notice_queues_no_email(django_capture_on_commit_callbacks):
    resident = ResidentFactory()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.send_notice(recipient=resident, **TEXTS)
        raise RuntimeError("the change that caused the notice failed")

    assert callbacks == []
    assert not Notice.objects.filter(recipient=resident).exists()
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_with_real_commits_the_email_leaves_when_the_outer_transaction_commits():
    resident = ResidentFactory()

    with transaction.atomic():
        with transaction.atomic():  # a savepoint: committing it is not committing the transaction
            notice = services.send_notice(recipient=resident, **TEXTS)
        assert mail.outbox == []
    assert len(mail.outbox) == 1
    notice.refresh_from_db()
    assert notice.emailed_at is not None


def test_send_notices_writes_them_all_at_once_and_emails_each_after_commit(
    django_capture_on_commit_callbacks, monkeypatch
):
    queued: list[int] = []
    monkeypatch.setattr(tasks.email_notice, "delay", queued.append)
    residents = [ResidentFactory(), ResidentFactory()]
    case = CaseFactory(applicant=residents[1])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notices = services.send_notices(
            [Notice(recipient=residents[0], **TEXTS), Notice(recipient=residents[1], case=case, **TEXTS)]
        )
    assert queued == []
    for callback in callbacks:
        callback()
    assert queued == [notice.pk for notice in notices]
    stored = Notice.objects.filter(pk__in=queued).order_by("pk")
    assert [(n.recipient, n.case, n.title_ja) for n in stored] == [
        (residents[0], None, TEXTS["title_ja"]),
        (residents[1], case, TEXTS["title_ja"]),
    ]
    assert all(n.created_at is not None and n.read_at is None for n in stored)
    assert services.send_notices([]) == []


# ---- the email --------------------------------------------------------------------------------------------


def test_email_in_japanese_for_a_japanese_recipient():
    resident = ResidentFactory(email="hanako@example.jp")
    notice = notice_for(resident)

    assert services.email_notice_now(notice.pk) is True

    (message,) = mail.outbox
    assert message.to == ["hanako@example.jp"]
    assert message.from_email == "noreply@city.midori.example.jp"
    assert message.subject == "[みどり市] 申請が承認されました"
    assert message.body.startswith("受付番号 ABCD-2345 の申請が承認されました。\n\n")
    assert f"マイページ: {SITE_URL}/mypage/" in message.body
    assert "このメールはみどり市の窓口システムから自動で送信しています。" in message.body
    assert "approved" not in message.body


def test_email_in_english_for_a_recipient_who_reads_english():
    resident = ResidentFactory(english=True)
    notice = notice_for(resident)

    assert services.email_notice_now(notice.pk) is True

    (message,) = mail.outbox
    assert message.subject.startswith("[")
    assert message.subject.endswith("] Your application has been approved")
    assert message.body.startswith("Your application ABCD-2345 has been approved.\n\n")
    assert f"{SITE_URL}/en/mypage/" in message.body
    assert "This is an automatic message from" in message.body
    assert "承認" not in message.body and "マイページ" not in message.body


def test_a_notice_is_emailed_once():
    notice = notice_for(ResidentFactory())

    assert services.email_notice_now(notice.pk) is True
    first = Notice.objects.get(pk=notice.pk).emailed_at
    assert services.email_notice_now(notice.pk) is False  # e.g. a task delivered twice

    assert len(mail.outbox) == 1
    assert Notice.objects.get(pk=notice.pk).emailed_at == first


def test_no_email_for_an_account_without_address_but_the_notice_stays():
    notice = notice_for(ResidentFactory(email=""))

    assert services.email_notice_now(notice.pk) is False

    assert mail.outbox == []
    notice.refresh_from_db()
    assert notice.emailed_at is None


def test_no_email_for_a_notice_that_does_not_exist():
    assert services.email_notice_now(987654) is False
    assert mail.outbox == []


# ---- a mail server that fails -----------------------------------------------------------------------------


def test_a_failed_email_keeps_the_notice_unsent_and_it_can_be_sent_later(mail_down, settings):
    notice = notice_for(ResidentFactory())

    with pytest.raises(SMTPServerDisconnected):
        services.email_notice_now(notice.pk)

    notice.refresh_from_db()
    assert notice.emailed_at is None  # not marked sent: a retry will send it
    assert mail_down.attempts == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server is back
    assert services.email_notice_now(notice.pk) is True
    assert len(mail.outbox) == 1
    notice.refresh_from_db()
    assert notice.emailed_at is not None


# ---- mark_read --------------------------------------------------------------------------------------------


def test_mark_read_only_marks_the_recipients_own_notice_once():
    owner, other = ResidentFactory(), ResidentFactory()
    notice = notice_for(owner)

    services.mark_read(recipient=other, notice_id=notice.pk)
    notice.refresh_from_db()
    assert notice.read_at is None

    services.mark_read(recipient=owner, notice_id=notice.pk)
    notice.refresh_from_db()
    first_read = notice.read_at
    assert first_read is not None

    services.mark_read(recipient=owner, notice_id=notice.pk)  # reading it again keeps the first time
    notice.refresh_from_db()
    assert notice.read_at == first_read


def test_title_and_body_in_the_language_asked():
    notice = notice_for(ResidentFactory())

    assert (notice.title_for("ja"), notice.body_for("ja")) == (TEXTS["title_ja"], TEXTS["body_ja"])
    assert (notice.title_for("en"), notice.body_for("en")) == (TEXTS["title_en"], TEXTS["body_en"])
    assert str(notice) == TEXTS["title_ja"]
