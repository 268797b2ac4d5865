"""SMS (ショートメッセージ) with a pluggable backend and a daily cap per phone number.

Backends (MADOGUCHI_SMS_BACKEND): `console` logs the message, `file` appends it as one JSON line to
MADOGUCHI_SMS_FILE, `http` POSTs JSON ``{"to", "body", "sender"}`` to MADOGUCHI_SMS_HTTP_URL with
``Authorization: Bearer MADOGUCHI_SMS_HTTP_TOKEN`` (the generic provider adapter). Each number gets at most
MADOGUCHI_SMS_DAILY_CAP messages a day, counted atomically across workers (`core.counters`).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from madoguchi.core import counters
from madoguchi.notify.channels.base import Channel, ChannelRefused, OutgoingMessage
from madoguchi.notify.channels.registry import registry

logger = logging.getLogger("madoguchi.notify.sms")


def normalize_number(number: str) -> str:
    """Digits only (and a leading + kept): "090-1234-5678" → "09012345678"."""
    number = number.strip()
    digits = "".join(ch for ch in number if ch.isdigit())
    return ("+" + digits) if number.startswith("+") else digits


def cap_key(number: str) -> str:
    return f"sms:{normalize_number(number)}:{timezone.localdate().isoformat()}"


def over_daily_cap(number: str) -> bool:
    """True when `number` has had its messages for today: the next one would be refused."""
    return counters.peek(cap_key(number)).count >= settings.SMS_DAILY_CAP


def _send_console(to: str, body: str) -> None:
    logger.info("SMS to %s: %s", to, body)


def _send_file(to: str, body: str) -> None:
    path = Path(settings.SMS_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"to": to, "body": body, "at": timezone.now().isoformat()}, ensure_ascii=False)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _send_http(to: str, body: str) -> None:
    if not settings.SMS_HTTP_URL:
        raise OSError("MADOGUCHI_SMS_HTTP_URL is not set")
    payload = json.dumps({"to": to, "body": body, "sender": settings.SMS_SENDER}).encode()
    request = urllib.request.Request(  # noqa: S310 - the operator's configured provider URL
        settings.SMS_HTTP_URL,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.SMS_HTTP_TIMEOUT) as response:  # noqa: S310
            if response.status >= 300:
                raise OSError(f"SMS provider answered {response.status}")
    except urllib.error.HTTPError as exc:
        raise OSError(f"SMS provider answered {exc.code}") from exc


BACKENDS = {"console": _send_console, "file": _send_file, "http": _send_http}


@registry.register
class SmsChannel(Channel):
    identifier = "sms"
    label_ja = "ショートメッセージ（SMS）"
    label_en = "Text message (SMS)"

    def send(self, message: OutgoingMessage) -> str:
        to = normalize_number(message.to)
        if len(to.lstrip("+")) < 10:
            raise ChannelRefused(
                "notify.no_phone", "携帯電話番号がありません。", "There is no mobile number."
            )
        counted = counters.hit(cap_key(to), 24 * 3600)
        if counted.count > settings.SMS_DAILY_CAP:
            counters.undo(counted)
            raise ChannelRefused(
                "notify.sms_daily_cap",
                f"この電話番号へのショートメッセージは1日{settings.SMS_DAILY_CAP}通までです。明日以降に届きます。",
                f"A phone number gets at most {settings.SMS_DAILY_CAP} text messages a day; this one was not sent.",
            )
        try:
            BACKENDS[settings.SMS_BACKEND](to, message.body)
        except OSError:
            counters.undo(counted)  # nothing reached the phone: it does not count against the cap
            raise
        return "sent"
