"""Fixed-window counters shared by every worker process and machine, kept in the database.

Each hit is one atomic statement (`INSERT … ON CONFLICT ("key") DO UPDATE … RETURNING`, PostgreSQL and
SQLite ≥ 3.35), so concurrent hits from any number of gunicorn workers each get their own count and never
lose one another's: with a limit of 10, exactly ten hits see a count of 10 or less. A window starts with
the first hit of a key and lasts `window_seconds`; the first hit after it has ended starts a new one.

A hit can be taken back (`undo`), only within the window it was counted in: callers count an attempt
*before* they check it (so that concurrent attempts cannot all slip under the limit) and take the count
back when the attempt turns out not to be a failure.

The counters are not in the cache on purpose: Django's database cache increments by a read and a write
(two concurrent increments can count one), and any cache may evict an entry when it is full, which an
attacker could force to forget a count.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from django.db import connections, router

from madoguchi.core.models import RateCounter

_TABLE = RateCounter._meta.db_table
# Fixed table and column names from the model (quoted: "key" and "count" are SQL words); values are parameters.
_HIT = (
    f'INSERT INTO {_TABLE} ("key", "count", window_ends_ms) VALUES (%(key)s, 1, %(ends)s) '  # noqa: S608
    'ON CONFLICT ("key") DO UPDATE SET '
    f'"count" = CASE WHEN {_TABLE}.window_ends_ms <= %(now)s THEN 1 ELSE {_TABLE}."count" + 1 END, '
    f"window_ends_ms = CASE WHEN {_TABLE}.window_ends_ms <= %(now)s THEN %(ends)s "
    f"ELSE {_TABLE}.window_ends_ms END "
    'RETURNING "count", window_ends_ms'
)
_UNDO = (
    f'UPDATE {_TABLE} SET "count" = "count" - 1 '  # noqa: S608 - model table
    'WHERE "key" = %s AND window_ends_ms = %s AND "count" > 0'
)
_PEEK = f'SELECT "count", window_ends_ms FROM {_TABLE} WHERE "key" = %s AND window_ends_ms > %s'  # noqa: S608
_CLEAR = f'DELETE FROM {_TABLE} WHERE "key" = %s'  # noqa: S608 - model table
_PURGE = f"DELETE FROM {_TABLE} WHERE window_ends_ms <= %s"  # noqa: S608 - model table
PURGE_EVERY = 200  # about one hit in this many also deletes the counters whose window has ended


@dataclass(frozen=True)
class Hit:
    """The count of `key` after a hit, and when its window ends (Unix time, milliseconds)."""

    key: str
    count: int
    window_ends_ms: int

    def seconds_left(self, now_ms: int | None = None) -> int:
        now_ms = _now_ms() if now_ms is None else now_ms
        return max(0, -(-(self.window_ends_ms - now_ms) // 1000))


def _now_ms() -> int:
    return int(time.time() * 1000)


def _connection():
    return connections[router.db_for_write(RateCounter)]


def hit(key: str, window_seconds: int) -> Hit:
    """Count one hit of `key` and return the count in its window, this hit included."""
    now = _now_ms()
    with _connection().cursor() as cursor:
        cursor.execute(_HIT, {"key": key, "ends": now + window_seconds * 1000, "now": now})
        count, ends = cursor.fetchone()
        if random.randrange(PURGE_EVERY) == 0:
            cursor.execute(_PURGE, [now])
    return Hit(key=key, count=int(count), window_ends_ms=int(ends))


def undo(counted: Hit) -> None:
    """Take back one hit, if the window it was counted in is still the key's window."""
    with _connection().cursor() as cursor:
        cursor.execute(_UNDO, [counted.key, counted.window_ends_ms])


def peek(key: str) -> Hit:
    """The count of `key` in its current window (0 when it has none), without counting."""
    now = _now_ms()
    with _connection().cursor() as cursor:
        cursor.execute(_PEEK, [key, now])
        row = cursor.fetchone()
    return Hit(key=key, count=int(row[0]), window_ends_ms=int(row[1])) if row else Hit(key, 0, now)


def clear(*keys: str) -> None:
    """Forget the counts of `keys` (a new window starts with their next hit)."""
    with _connection().cursor() as cursor:
        for key in keys:
            cursor.execute(_CLEAR, [key])
