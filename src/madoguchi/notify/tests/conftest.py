import pytest
from django.utils import translation

from madoguchi.notify.tests.support import SITE_URL, DownBackend, FlakyBackend


@pytest.fixture(autouse=True)
def _site(settings):
    """Known values for the parts of an email that come from settings; Japanese active, as in a request."""
    settings.SITE_URL = SITE_URL
    settings.MUNICIPALITY_NAME = "みどり市"
    settings.DEFAULT_FROM_EMAIL = "noreply@city.midori.example.jp"
    translation.activate("ja")
    yield
    translation.activate("ja")


@pytest.fixture
def mail_down(settings, monkeypatch):
    """The mail server refuses every message (an SMTP error, which is an OSError)."""
    monkeypatch.setattr(DownBackend, "attempts", 0)
    settings.EMAIL_BACKEND = "madoguchi.notify.tests.support.DownBackend"
    return DownBackend


@pytest.fixture
def flaky_mail(settings, monkeypatch):
    """The mail server refuses the first two messages, then delivers to django.core.mail.outbox."""
    monkeypatch.setattr(FlakyBackend, "attempts", 0)
    monkeypatch.setattr(FlakyBackend, "failures", 2)
    settings.EMAIL_BACKEND = "madoguchi.notify.tests.support.FlakyBackend"
    return FlakyBackend
