"""How API callers prove who they are.

Residents use the portal's session cookie, with Django's CSRF check on every unsafe method (the browser
sends the cookie by itself, so the CSRF token is what proves the request came from our pages). Staff
systems send a personal API token: `Authorization: Bearer mdg_...` (accounts.services.issue_api_token).
A token never works on resident endpoints, nor a resident session on staff endpoints.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from madoguchi.accounts.services import user_for_api_token
from madoguchi.api.errors import ApiError

TOKEN_PREFIX = "mdg_"  # noqa: S105 - the prefix of every token, not a secret
TOKEN_MAX_LENGTH = 200


class ResidentSession(SessionAuth):
    """A signed-in resident of the portal (session cookie + CSRF token for unsafe methods)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated:
            return None
        if not user.is_resident:
            raise ApiError(
                403,
                "residents_only",
                "この API は住民のアカウント専用です。職員の方は API トークンで職員用 API をお使いください。",
                "This API is for resident accounts only. Staff: use the office API with an API token.",
            )
        return user


class StaffToken(HttpBearer):
    """A staff member's API token: `Authorization: Bearer mdg_...`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token.startswith(TOKEN_PREFIX) or len(token) > TOKEN_MAX_LENGTH:
            return None
        user = user_for_api_token(token)
        if user is None:
            return None
        if user.department_id is None:
            raise ApiError(
                403,
                "no_department",
                "このアカウントは担当課に所属していないため、職員用 API を使えません。管理者に所属課の設定を依頼してください。",
                "This account belongs to no department, so it cannot use the office API. Ask an administrator "
                "to set your department.",
            )
        return user


resident_session = ResidentSession(csrf=True)
staff_token = StaffToken()
