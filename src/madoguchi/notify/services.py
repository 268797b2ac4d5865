"""Notices to residents: a My Page inbox row, and an email in the resident's language."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from madoguchi.core.bulk import insert_new
from madoguchi.notify.models import Notice

logger = logging.getLogger(__name__)


def send_notice(
    *, recipient, kind: str, title_ja: str, title_en: str, body_ja: str, body_en: str, case=None
) -> Notice:
    notice = Notice.objects.create(
        recipient=recipient,
        case=case,
        kind=kind,
        title_ja=title_ja,
        title_en=title_en,
        body_ja=body_ja,
        body_en=body_en,
    )
    # After commit: a worker that picked the task up before the notice row is committed would not find it,
    # and the email would never be sent.
    transaction.on_commit(lambda: _queue_email(notice.pk))
    return notice


def send_notices(notices: Sequence[Notice]) -> list[Notice]:
    """Many new notices (unsaved `Notice` objects) written with one statement (`core.bulk.insert_new`); each
    email is queued after commit, as `send_notice` does. No signals are sent (none listen to notices)."""
    saved = insert_new(notices)
    ids = [notice.pk for notice in saved]
    if ids:
        transaction.on_commit(lambda: _queue_emails(ids))
    return saved


def _queue_emails(notice_ids: Sequence[int]) -> None:
    for notice_id in notice_ids:
        _queue_email(notice_id)


def _queue_email(notice_id: int) -> None:
    """Hand the email to the notifications queue. Whatever goes wrong (a broker that is down; without a broker,
    a mail server that is down while the task runs in-process) must not fail the request whose work is already
    committed: the notice is in the inbox and `email_unsent_notices` sends the email later."""
    from madoguchi.notify.tasks import email_notice

    try:
        email_notice.delay(notice_id)
    except Exception:
        logger.warning(
            "notice %s: email not sent now; the unsent-notice sweep retries it", notice_id, exc_info=True
        )


# Notices whose email is retried by the sweep: older than a sweep interval (the first try had its chance) and
# younger than this, so that a long mail outage does not end in a flood of stale emails.
UNSENT_EMAIL_MAX_AGE = timedelta(days=3)


def email_unsent_notices(*, older_than: timedelta, limit: int = 500) -> int:
    """Send the emails of notices still unsent after `older_than`; returns how many were sent."""
    now = timezone.now()
    ids = list(
        Notice.objects.filter(
            emailed_at__isnull=True,
            recipient__email__gt="",
            created_at__lt=now - older_than,
            created_at__gte=now - UNSENT_EMAIL_MAX_AGE,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for notice_id in ids:
        try:
            sent += email_notice_now(notice_id)
        except OSError:
            logger.warning("notice %s: mail server still unreachable; stopping this sweep", notice_id)
            break
    return sent


def email_notice_now(notice_id: int) -> bool:
    notice = Notice.objects.select_related("recipient").filter(pk=notice_id, emailed_at__isnull=True).first()
    if notice is None or not notice.recipient.email:
        return False
    lang = notice.recipient.preferred_language
    footer = (
        f"\n\n{settings.SITE_URL}/en/mypage/\nThis is an automatic message from {settings.MUNICIPALITY_NAME} (Madoguchi)."
        if lang == "en"
        else f"\n\nマイページ: {settings.SITE_URL}/mypage/\nこのメールは{settings.MUNICIPALITY_NAME}の窓口システムから自動で送信しています。"
    )
    send_mail(
        subject=f"[{settings.MUNICIPALITY_NAME}] {notice.title_for(lang)}",
        message=notice.body_for(lang) + footer,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[notice.recipient.email],
    )
    Notice.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
    return True


def mark_read(*, recipient, notice_id: int) -> None:
    Notice.objects.filter(recipient=recipient, pk=notice_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
