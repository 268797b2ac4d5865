"""Shared by the notify tests: the site address their emails name, and mail servers that fail."""

from __future__ import annotations

from smtplib import SMTPServerDisconnected

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

SITE_URL = "https://madoguchi.city.midori.example.jp"


class DownBackend(BaseEmailBackend):
    """Every send fails as a mail server that dropped the connection would (an OSError)."""

    attempts = 0

    def send_messages(self, email_messages):
        type(self).attempts += 1
        raise SMTPServerDisconnected("Connection unexpectedly closed")


class FlakyBackend(LocmemBackend):
    """Fails the first `failures` sends, then delivers to django.core.mail.outbox like the locmem backend."""

    failures = 0
    attempts = 0

    def send_messages(self, email_messages):
        type(self).attempts += 1
        if type(self).attempts <= type(self).failures:
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(email_messages)
