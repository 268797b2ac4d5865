"""Staff password reset (職員のパスワード再設定): the portal's flow (portal.password_views) with the office's pages.

A reset sets the password only: the authenticator app and backup codes stay, and the next sign-in still asks
for a code (accounts.passwords). Staff without an authenticator while MADOGUCHI_STAFF_MFA is on get an email
saying whom to ask instead of a link.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from madoguchi.office.views import _render
from madoguchi.portal.password_views import PasswordResetFlow


def _office_page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return _render(request, template, context, status=status)


staff_flow = PasswordResetFlow(namespace="office", staff=True, templates="office", render=_office_page)
