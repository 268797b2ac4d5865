"""Failed-attempt counting per account and per client IP (cache-backed, 15-minute window).

One counter family per `scope`: "login" for passwords, "mfa" for the staff second factor (accounts.mfa),
"counter" for look-ups of pre-fill bundle codes at the counter (counter.services, its own limit).
The scopes are separate so that a correct password, which resets the "login" counters, cannot reset the
count of wrong codes that follow it.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 15 * 60
LOGIN = "login"
MFA = "mfa"
COUNTER = "counter"


def _keys(email: str, ip: str | None, scope: str) -> list[str]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    keys = [f"{scope}-fail:acct:{digest}"]
    if ip:
        keys.append(f"{scope}-fail:ip:{ip}")
    return keys


def is_locked(*, email: str, ip: str | None, scope: str = LOGIN, limit: int | None = None) -> bool:
    """Whether the account or the IP has `limit` failures in the window (default MADOGUCHI_LOGIN_RATE_LIMIT)."""
    limit = settings.LOGIN_RATE_LIMIT if limit is None else limit
    return any((cache.get(key) or 0) >= limit for key in _keys(email, ip, scope))


def register_failure(*, email: str, ip: str | None, scope: str = LOGIN) -> None:
    for key in _keys(email, ip, scope):
        if cache.add(key, 1, WINDOW_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, WINDOW_SECONDS)


def reset(*, email: str, ip: str | None, scope: str = LOGIN) -> None:
    cache.delete_many(_keys(email, ip, scope))
