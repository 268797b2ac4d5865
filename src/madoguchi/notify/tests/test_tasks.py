"""notify.tasks.email_notice: the Celery task behind send_notice. It runs on the `notifications` queue and
retries an unreachable mail server (OSError) five times; whatever happens, the notice stays on My Page.

Eager tasks normally re-raise a retry (CELERY_TASK_EAGER_PROPAGATES); these tests switch that off so that
`apply()` runs the retries in-process as a worker would (without waiting for the backoff).
"""

from __future__ import annotations

import pytest
from django.core import mail

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.notify import tasks
from madoguchi.notify.models import Notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_retries(monkeypatch):
    monkeypatch.setitem(tasks.email_notice.app.conf, "task_eager_propagates", False)


@pytest.fixture
def notice():
    return Notice.objects.create(
        recipient=ResidentFactory(),
        kind="case.complete",
        title_ja="手続きが完了しました",
        title_en="Your procedure is complete",
        body_ja="受付番号 ABCD-2345 の手続きが完了しました。",
        body_en="The procedure for application ABCD-2345 is complete.",
    )


def test_the_task_emails_the_notice(notice):
    assert tasks.email_notice.delay(notice.pk).get() is True

    assert [message.subject for message in mail.outbox] == ["[みどり市] 手続きが完了しました"]
    notice.refresh_from_db()
    assert notice.emailed_at is not None


def test_the_task_goes_to_the_notifications_queue():
    route = tasks.email_notice.app.amqp.router.route({}, tasks.email_notice.name)
    assert route["queue"].name == "notifications"


def test_a_mail_server_that_is_briefly_down_is_retried(notice, flaky_mail, worker_retries):
    result = tasks.email_notice.apply(args=[notice.pk])

    assert result.successful() and result.result is True
    assert flaky_mail.attempts == 3  # two refusals, then delivered
    assert len(mail.outbox) == 1
    notice.refresh_from_db()
    assert notice.emailed_at is not None


def test_after_five_retries_the_task_gives_up_and_the_notice_stays_unsent(notice, mail_down, worker_retries):
    result = tasks.email_notice.apply(args=[notice.pk])

    assert result.failed()
    assert isinstance(result.result, OSError)
    assert mail_down.attempts == 6  # the first try and five retries
    notice.refresh_from_db()
    assert Notice.objects.filter(pk=notice.pk, read_at__isnull=True).exists()  # still in the inbox, unread
    assert notice.emailed_at is None
