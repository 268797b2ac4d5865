"""The virtual waiting room (仮想待合室) in front of vaccination booking.

Arrivals are spaced at the admission rate by the generic cell rate algorithm: each arrival takes the next
place in line, whose admission time is `max(now, next_admit) - burst × interval`, and moves `next_admit`
on by one interval. That is the only write per arrival: one Redis script (MADOGUCHI_REDIS_URL) or, without
Redis, one atomic `INSERT … ON CONFLICT DO UPDATE … RETURNING` on the `WaitingLine` row. The place (its
number and admission time) goes back to the resident in a signed cookie, so the queue page that refreshes
itself reads and writes nothing on the server: it checks the signature and compares the clock. People are
admitted in the order they arrived, each with a signed admission token that is valid for a few minutes.

When arrivals stay below the rate nobody sees the queue page: the admission time is already past.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core import signing
from django.db import connections, router

from madoguchi.core.errors import MadoguchiError
from madoguchi.vaccination.models import WaitingLine

PLACE_SALT = "madoguchi.vaccination.place"
ADMISSION_SALT = "madoguchi.vaccination.admission"
PLACE_MAX_AGE = 6 * 3600  # a place in line is kept for six hours (a longer line is a different day)

_TABLE = WaitingLine._meta.db_table
_TAKE = (
    f'INSERT INTO {_TABLE} ("key", next_admit_us, issued) VALUES '  # noqa: S608 - the model's table
    "(%(key)s, %(now)s + %(interval)s, 1) "
    'ON CONFLICT ("key") DO UPDATE SET '
    f"next_admit_us = (CASE WHEN {_TABLE}.next_admit_us > %(now)s THEN {_TABLE}.next_admit_us "
    "ELSE %(now)s END) + %(interval)s, "
    f"issued = {_TABLE}.issued + 1 "
    "RETURNING next_admit_us, issued"
)
# The same in Redis, atomically: KEYS[1] the line's clock, KEYS[2] its counter; ARGV now, interval (µs).
_TAKE_LUA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt < now then nxt = now end
nxt = nxt + interval
redis.call('SET', KEYS[1], nxt, 'EX', 86400)
local issued = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], 86400)
return {nxt, issued}
"""


class AdmissionError(MadoguchiError):
    http_status = 403


class TooManyPlaces(MadoguchiError):
    http_status = 429


@dataclass(frozen=True)
class Place:
    """A place in the line: its number (order of arrival) and when it is admitted (Unix ms)."""

    campaign_id: int
    number: int
    admit_ms: int

    def wait_ms(self, now_ms: int | None = None) -> int:
        return max(0, self.admit_ms - (_now_ms() if now_ms is None else now_ms))

    def ahead(self, now_ms: int | None = None) -> int:
        """About how many people are admitted before this place (the wait times the rate)."""
        return math.ceil(self.wait_ms(now_ms) * rate() / 1000)


def _now_ms() -> int:
    return int(time.time() * 1000)


def rate() -> int:
    return max(1, int(settings.VACCINATION_ADMISSION_RATE))


def _interval_ms() -> float:
    return 1000 / rate()


@cache
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url)


def _take_next(key: str, now_ms: int, interval_ms: float) -> tuple[int, int]:
    """(the next admission time after this place, this place's number), atomically, in Redis or the database.
    The interval is counted in microseconds so that rates above 1,000 per second stay exact."""
    interval_us = round(interval_ms * 1000)
    now_us = now_ms * 1000
    if settings.REDIS_URL:
        script = _redis(settings.REDIS_URL).register_script(_TAKE_LUA)
        nxt, issued = script(
            keys=[f"madoguchi:wr:{key}:next", f"madoguchi:wr:{key}:issued"], args=[now_us, interval_us]
        )
        return int(nxt) // 1000, int(issued)
    with connections[router.db_for_write(WaitingLine)].cursor() as cursor:
        cursor.execute(_TAKE, {"key": key, "now": now_us, "interval": interval_us})
        nxt, issued = cursor.fetchone()
    return int(nxt) // 1000, int(issued)


def count_arrival_of_ip(client_ip: str | None) -> None:
    """At most VACCINATION_TICKETS_PER_IP places per IP address in 10 minutes (one counter hit per arrival)."""
    if not client_ip:
        return
    if settings.REDIS_URL:  # the line is in Redis: so is this count (no database write per arrival)
        key = f"madoguchi:wr:ip:{client_ip}"
        pipe = _redis(settings.REDIS_URL).pipeline()
        pipe.incr(key)
        pipe.expire(key, 600, nx=True)
        pipe.ttl(key)
        count, _set, seconds_left = pipe.execute()
    else:
        from madoguchi.core import counters

        hit = counters.hit(f"vx-place:{client_ip}", 600)
        count, seconds_left = hit.count, hit.seconds_left()
    if count > settings.VACCINATION_TICKETS_PER_IP:
        minutes = max(1, math.ceil(max(seconds_left, 1) / 60))
        raise TooManyPlaces(
            "too_many_places",
            f"この接続元からの順番待ちが多すぎます。{minutes}分ほど待ってからもう一度お試しください。",
            f"Too many places in line from this network. Please try again in about {minutes} minutes.",
        )


def take_place(*, campaign_id: int, client_ip: str | None = None) -> Place:
    """A new place at the end of the line of `campaign_id`."""
    count_arrival_of_ip(client_ip)
    interval = _interval_ms()
    now = _now_ms()
    nxt, number = _take_next(f"c{campaign_id}", now, interval)
    burst_ms = settings.VACCINATION_ADMISSION_BURST * interval
    admit = round(nxt - interval - burst_ms)
    return Place(campaign_id=campaign_id, number=number, admit_ms=max(admit, 0))


def sign_place(place: Place) -> str:
    return signing.dumps([place.campaign_id, place.number, place.admit_ms], salt=PLACE_SALT, compress=False)


def read_place(value: str, campaign_id: int) -> Place | None:
    """The place of a signed cookie, or None (none, forged, too old, another campaign's)."""
    if not value:
        return None
    try:
        campaign, number, admit = signing.loads(value, salt=PLACE_SALT, max_age=PLACE_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if campaign != campaign_id:
        return None
    return Place(campaign_id=int(campaign), number=int(number), admit_ms=int(admit))


def admission_token(place: Place) -> str:
    """The signed, short-lived token of an admitted place (TimestampSigner: its age is in the signature)."""
    return signing.dumps([place.campaign_id, place.number], salt=ADMISSION_SALT, compress=False)


def check_admission(token: str, campaign_id: int) -> int:
    """The place number an admission token was given to; AdmissionError when it is missing, forged, expired
    or another campaign's."""
    if not token:
        raise AdmissionError(
            "admission_missing",
            "予約の前に順番待ちを通ってください。「予約へ進む」からもう一度お進みください。",
            "Please go through the waiting line first: start again from \u201cBook\u201d.",
        )
    max_age = settings.VACCINATION_ADMISSION_MINUTES * 60
    try:
        campaign, number = signing.loads(token, salt=ADMISSION_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise AdmissionError(
            "admission_expired",
            f"入場の有効時間（{settings.VACCINATION_ADMISSION_MINUTES}分）が過ぎました。お手数ですが、もう一度順番待ちに並んでください。",
            f"Your admission expired after {settings.VACCINATION_ADMISSION_MINUTES} minutes. Please line up again.",
        ) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise AdmissionError(
            "admission_invalid",
            "入場券が正しくありません（改ざんされたか、別のページのものです）。順番待ちからやり直してください。",
            "The admission token is not valid (altered or from another page). Please line up again.",
        ) from None
    if campaign != campaign_id:
        raise AdmissionError(
            "admission_invalid",
            "入場券が正しくありません（別の接種のものです）。順番待ちからやり直してください。",
            "The admission token is for another campaign. Please line up again.",
        )
    return int(number)
