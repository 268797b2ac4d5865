"""Notices to residents: a My Page inbox row, and an email in the resident's language."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

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
    from madoguchi.notify.tasks import email_notice

    # After commit: a worker that picked the task up before the notice row is committed would not find it,
    # and the email would never be sent.
    transaction.on_commit(lambda: email_notice.delay(notice.pk))
    return notice


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
