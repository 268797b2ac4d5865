"""The office sign-in between the password and the second factor (MADOGUCHI_STAFF_MFA), held in the session.

The staff member is not signed in (`login()` is not called) until the code is accepted, so no staff page,
nor anything else that trusts the session, treats them as signed in before that. The state lasts
`MAX_AGE_SECONDS` and is dropped when the account is deactivated or its password changes meanwhile.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model, logout
from django.http import HttpRequest
from django.utils import timezone

from madoguchi.accounts.models import User

SESSION_KEY = "office_pending_sign_in"
MAX_AGE_SECONDS = 15 * 60  # long enough to install an authenticator app and scan the code


def begin(request: HttpRequest, *, user: User, next_url: str) -> None:
    """Remember that `user` gave the right password, in a new session (as `login()` would start one).

    Whoever was signed in in this browser before (a resident, or staff without the second factor) is
    signed out first, so that the session holds nothing but this pending sign-in.
    """
    if request.user.is_authenticated:
        logout(request)
    else:
        request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "user_id": user.pk,
        "since": int(timezone.now().timestamp()),
        "next": next_url,
        "auth_hash": user.get_session_auth_hash(),
        "backend": getattr(user, "backend", ""),
    }


def _state(request: HttpRequest) -> dict | None:
    state = request.session.get(SESSION_KEY)
    if not isinstance(state, dict):
        return None
    if timezone.now().timestamp() - state.get("since", 0) > MAX_AGE_SECONDS:
        clear(request)
        return None
    return state


def pending_user(request: HttpRequest) -> User | None:
    """The staff member who gave the right password in this session and still owes the second factor."""
    state = _state(request)
    if state is None:
        return None
    user = get_user_model().objects.filter(pk=state["user_id"], is_active=True).first()
    if user is None or not user.is_office_staff or user.get_session_auth_hash() != state["auth_hash"]:
        clear(request)
        return None
    return user


def next_url(request: HttpRequest) -> str:
    state = _state(request) or {}
    return state.get("next", "")


def backend(request: HttpRequest) -> str | None:
    state = _state(request) or {}
    return state.get("backend") or None


def clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
