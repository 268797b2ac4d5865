"""Email through Django's mail backend (EMAIL_BACKEND)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail

from madoguchi.notify.channels.base import Channel, ChannelRefused, OutgoingMessage
from madoguchi.notify.channels.registry import registry


@registry.register
class EmailChannel(Channel):
    identifier = "email"
    label_ja = "メール"
    label_en = "Email"

    def send(self, message: OutgoingMessage) -> str:
        if not message.to:
            raise ChannelRefused(
                "notify.no_email", "メールアドレスがありません。", "There is no email address."
            )
        send_mail(
            subject=message.subject,
            message=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[message.to],
        )
        return "sent"
