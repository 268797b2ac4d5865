"""The contract of an identity provider plugin."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation

from madoguchi.core.errors import MadoguchiError


class IdentityProviderError(MadoguchiError):
    """The login at the provider did not give usable claims; `message(lang)` says what to do."""

    str_format = "{code}: {en}"


class IdentityProvider(ABC):
    """A way for a signed-in resident to prove who they are: leave for the provider, come back with claims.

    `complete_login` returns the provider's claims about the person, at least:
    `sub` (the provider's id of the user), `name` (or `family_name` + `given_name`), `birthdate`
    (YYYY-MM-DD) and `address` (one line, or an OIDC address object). `accounts.services.
    link_by_identity_provider` compares them with the registry; the provider itself links nothing.
    """

    identifier: str = ""  # set by the registry
    label_ja: str = ""
    label_en: str = ""

    def is_enabled(self) -> bool:
        """Whether the municipality configured this provider; disabled providers are not offered."""
        return True

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_ja

    def callback_url(self) -> str:
        """The absolute URL the provider sends the resident back to (registered with the provider)."""
        with translation.override(settings.LANGUAGE_CODE):  # no /en/ prefix: one URL to register
            path = reverse("portal:identity_callback", kwargs={"provider": self.identifier})
        return settings.SITE_URL.rstrip("/") + path

    @abstractmethod
    def start_login(self, request: HttpRequest) -> HttpResponse:
        """Remember what the callback must check (in the session) and redirect to the provider."""

    @abstractmethod
    def complete_login(self, request: HttpRequest) -> dict[str, Any]:
        """Check the provider's answer on the callback request; return the claims or raise IdentityProviderError."""
