"""A notification channel: what it sends (`OutgoingMessage`), how it answers (`SendResult`)."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from madoguchi.core.errors import MadoguchiError

logger = logging.getLogger("madoguchi.notify")


class ChannelRefused(MadoguchiError):
    """The channel will not send this message (a phone number over its daily cap, no address)."""

    http_status = 429


@dataclass(frozen=True)
class OutgoingMessage:
    to: str  # an email address, a phone number, a postal address
    body: str
    subject: str = ""
    # Sending twice with the same key sends once (a reminder's "booking:42:reminder"): the second is skipped.
    key: str = ""


@dataclass(frozen=True)
class SendResult:
    channel: str
    status: str  # sent | queued | refused | skipped | failed
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in {"sent", "queued"}


class Channel(ABC):
    """Subclass, set `identifier`, implement `send`, and decorate with `@registry.register`."""

    identifier: str = ""
    label_ja: str = ""
    label_en: str = ""

    @abstractmethod
    def send(self, message: OutgoingMessage) -> str:
        """Hand the message over; return "sent" or "queued". Raise ChannelRefused to refuse it, OSError when
        the provider cannot be reached."""

    def deliver(self, message: OutgoingMessage) -> SendResult:
        """`send`, recorded once in the delivery log; a message whose key was already delivered is skipped."""
        from madoguchi.notify.models import Delivery

        if message.key and Delivery.objects.filter(key=message.key, status__in=["sent", "queued"]).exists():
            return SendResult(self.identifier, "skipped", "already delivered")
        try:
            status = self.send(message)
            detail = ""
        except ChannelRefused as exc:
            logger.warning("notify %s refused: %s", self.identifier, exc.en)
            status, detail = "refused", exc.code
        except OSError as exc:
            logger.warning("notify %s failed: %s", self.identifier, exc)
            status, detail = "failed", type(exc).__name__
        try:
            with transaction.atomic():
                Delivery.objects.create(
                    channel=self.identifier,
                    to=message.to[:200],
                    subject=message.subject[:200],
                    body=message.body,
                    status=status,
                    detail=detail[:200],
                    key=message.key if status in {"sent", "queued"} and message.key else None,
                )
        except IntegrityError:  # the same key delivered concurrently by another worker
            return SendResult(self.identifier, "skipped", "already delivered")
        return SendResult(self.identifier, status, detail)
