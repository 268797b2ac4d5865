"""Failed-attempt limits per account and per client IP, shared by every worker process (core.counters).

One counter family per `scope`: "login" for passwords, "mfa" for the staff second factor (accounts.mfa),
"reset" for password-reset emails, "counter" for look-ups of pre-fill bundle codes at the counter
(counter.services, its own limit). The scopes are separate so that a correct password cannot reset the
count of wrong codes that follow it.

An attempt is counted *before* it is checked (`begin`), on the account's counter and on the IP's: both
counts are taken by one atomic statement each, so however many workers check passwords at the same time,
at most `MADOGUCHI_LOGIN_RATE_LIMIT` wrong guesses are checked per account and per IP in a window. An
attempt over either limit is refused without being checked, and its counts are taken back. When the
password turns out right, the account's own counter is cleared and the IP's count of this attempt taken
back (`Attempt.succeeded`): a success never clears the IP's counter, nor another account's, so signing in
to one's own account between guesses does not buy more guesses (password spraying).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.conf import settings

from madoguchi.core import counters

WINDOW_SECONDS = 15 * 60
LOGIN = "login"
MFA = "mfa"
COUNTER = "counter"


def _account_key(email: str, scope: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"{scope}-fail:acct:{digest}"


def _keys(email: str, ip: str | None, scope: str) -> list[str]:
    keys = [_account_key(email, scope)]
    if ip:
        keys.append(f"{scope}-fail:ip:{ip}")
    return keys


@dataclass
class Attempt:
    """One counted attempt. `allowed` False: over a limit, nothing was counted; wait `retry_after` seconds."""

    allowed: bool
    retry_after: int = 0
    _hits: list[counters.Hit] = field(default_factory=list)

    @property
    def retry_after_minutes(self) -> int:
        return max(1, -(-self.retry_after // 60))

    def failed(self) -> None:
        """The attempt was wrong: it stays counted."""
        self._hits = []

    def succeeded(self) -> None:
        """The attempt was right: clear the account's counter, take this attempt back from the IP's."""
        hits, self._hits = self._hits, []
        if hits:
            counters.clear(hits[0].key)
        for counted in hits[1:]:
            counters.undo(counted)

    def not_counted(self) -> None:
        """Neither right nor wrong (e.g. right, but refused for another reason): take it back everywhere."""
        hits, self._hits = self._hits, []
        for counted in hits:
            counters.undo(counted)


def begin(*, email: str, ip: str | None, scope: str = LOGIN, limit: int | None = None) -> Attempt:
    """Count an attempt on the account's and the IP's counters before checking it.

    Call `failed()`, `succeeded()` or `not_counted()` on the result once the attempt is checked. When either
    count is over the limit the attempt is refused (`allowed` False) and its counts are already taken back.
    """
    limit = settings.LOGIN_RATE_LIMIT if limit is None else limit
    hits = [counters.hit(key, WINDOW_SECONDS) for key in _keys(email, ip, scope)]
    over = [counted for counted in hits if counted.count > limit]
    if over:
        for counted in hits:
            counters.undo(counted)
        return Attempt(allowed=False, retry_after=max(counted.seconds_left() for counted in over))
    return Attempt(allowed=True, _hits=hits)


def is_locked(*, email: str, ip: str | None, scope: str = LOGIN, limit: int | None = None) -> bool:
    """Whether the next attempt would be refused (a read only; `begin` is what enforces the limit)."""
    limit = settings.LOGIN_RATE_LIMIT if limit is None else limit
    return any(counters.peek(key).count >= limit for key in _keys(email, ip, scope))


def register_failure(*, email: str, ip: str | None, scope: str = LOGIN) -> None:
    """Count a failure that was not counted by `begin` (e.g. in tests, or a failure found another way)."""
    for key in _keys(email, ip, scope):
        counters.hit(key, WINDOW_SECONDS)


def reset_account(*, email: str, scope: str = LOGIN) -> None:
    """Forget the account's failures (never the IP's): its owner proved who they are."""
    counters.clear(_account_key(email, scope))
