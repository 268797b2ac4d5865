"""Mass vaccination booking benchmark (issue 13): book every invited resident through real HTTP on PostgreSQL,
then overload the waiting room.

    .venv/bin/python -m bench.booking.run [--residents 160000] [--slots 1000] [--clients 64]

1. Seeds (once per size) a PostgreSQL database: `--residents` 65+ residents, each with an invitation (接種券),
   and `--slots` slots of capacity residents/slots spread over 10 venues. Every run starts with no bookings.
2. Serves the product's WSGI app as shipped (`madoguchi serve`: gunicorn, its default workers, DEBUG off),
   with Redis for the waiting room.
3. Booking phase: `--clients` concurrent clients (one asyncio process, raw HTTP/1.1, so that the load costs
   little CPU on the shared 2-core machine). Each client passes the waiting room once (enter → queue page →
   admission token) and then books residents one after the other with `POST /vaccination-api/<c>/book`
   (invitation code + birth date + slot, an Idempotency-Key), choosing a random slot it does not know to be
   full; a 満席 answer (409 slot_full) makes it choose another. Latency is measured per request.
4. Verification from the database: overbooked slots (booked > capacity, or more active bookings than
   capacity), duplicate bookings (a person with more than one active booking per dose), booked counts.
5. Waiting-room phase: the server restarted with an admission rate of `--admission-rate` per second, warmed up
   (a few unmeasured arrivals so that every worker has loaded its views; the line is then emptied), and
   arrivals at `--overload` times that rate for `--overload-seconds`: each arrival takes a place (GET enter)
   and then refreshes the queue page as its meta refresh says until admitted. The waiting page's p99 and the
   5xx count are measured; the rate at which admission starts queuing is the configured rate plus the burst.

The last line is `booked=… overbooked=… duplicates=… bookings_per_s=… p99_ms=… waiting_p99_ms=… server_errors=…`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench.common import ensure_database, setup_django

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/madoguchi_bench_booking"
PORT = 8131
REDIS = "redis://127.0.0.1:6379/13"
BIRTH = dt.date(1950, 5, 1)


def prepare(*, residents: int, slots: int) -> tuple[int, list[str], list[int], dict]:
    """The campaign id, the invitation codes, the slot ids and the seeding times; bookings reset."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from madoguchi.residents.models import Household, Person
    from madoguchi.vaccination.models import Booking, Campaign, Invitation, Slot, Venue

    call_command("migrate", verbosity=0)
    timings: dict[str, float] = {}
    capacity = residents // slots
    name = f"bench-{residents}-{slots}"
    campaign = Campaign.objects.filter(name=name).first()
    if campaign is None or campaign.invitations.count() != residents:
        started = time.perf_counter()
        if campaign is not None:
            Booking.objects.filter(campaign=campaign).delete()
            campaign.delete()
        campaign = Campaign.objects.create(
            name=name, vaccine="bench", doses=2, min_days_between_doses=21, cohort_age_on=dt.date(2026, 4, 1)
        )
        prefix = f"B{campaign.pk:03d}"
        households = Household.objects.bulk_create(
            [Household(number=f"{prefix}H{i:08d}") for i in range(residents)], batch_size=10000
        )
        people = Person.objects.bulk_create(
            [
                Person(
                    atena_number=f"{prefix}P{i:08d}",
                    household=households[i],
                    name="接種\u3000太郎",
                    birth_date=BIRTH,
                    sex="1",
                    relationship="世帯主",
                    prefecture="みどり県",
                    city="みどり市",
                )
                for i in range(residents)
            ],
            batch_size=10000,
        )
        codes = random.Random(campaign.pk).sample(range(10**9, 10**10), residents)
        Invitation.objects.bulk_create(
            [
                Invitation(campaign=campaign, person=p, code=str(c), birth_date=BIRTH)
                for p, c in zip(people, codes, strict=True)
            ],
            batch_size=10000,
        )
        venues = Venue.objects.bulk_create([Venue(campaign=campaign, name=f"会場{v + 1}") for v in range(10)])
        first = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=30)
        Slot.objects.bulk_create(
            [
                Slot(
                    campaign=campaign,
                    venue=venues[s % 10],
                    starts_at=first + dt.timedelta(minutes=30 * (s // 10)),
                    ends_at=first + dt.timedelta(minutes=30 * (s // 10) + 30),
                    capacity=capacity,
                )
                for s in range(slots)
            ]
        )
        timings["seeding (s)"] = time.perf_counter() - started
    Booking.objects.filter(campaign=campaign).delete()
    Slot.objects.filter(campaign=campaign).update(booked=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE vaccination_slot")
        cursor.execute("VACUUM ANALYZE vaccination_booking")
    codes = list(Invitation.objects.filter(campaign=campaign).values_list("code", flat=True))
    slot_ids = list(Slot.objects.filter(campaign=campaign).values_list("pk", flat=True))
    return campaign.pk, codes, slot_ids, timings


# --- a small HTTP/1.1 client on asyncio streams ------------------------------------------------------------


class Http:
    """One connection; reconnects when the server closes it (gunicorn's sync workers close after each answer)."""

    def __init__(self) -> None:
        self.reader = self.writer = None
        self.cookies: dict[str, str] = {}
        self.refresh = 0  # the queue page's Refresh header (seconds), 0 when it had none

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None):
        for attempt in range(3):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection("127.0.0.1", PORT)
                lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
                if self.cookies:
                    lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
                for k, v in (headers or {}).items():
                    lines.append(f"{k}: {v}")
                self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                head = await self.reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                close = False
                self.refresh = 0
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    name = name.lower()
                    if name == "content-length":
                        length = int(value)
                    elif name == "refresh":
                        self.refresh = int(value.split(";")[0])
                    elif name == "connection" and "close" in value.lower():
                        close = True
                    elif name == "set-cookie":
                        cookie = value.strip().split(";", 1)[0]
                        key, _, val = cookie.partition("=")
                        if "expires=Thu, 01 Jan 1970" in value or val in ("", '""'):
                            self.cookies.pop(key, None)
                        else:
                            self.cookies[key] = val
                payload = await self.reader.readexactly(length) if length else b""
                if close:
                    self.close()
                return status, payload
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def _admit(http: Http, campaign: int) -> tuple[str, list[float], int]:
    """Through the waiting room: enter, then the queue page until admitted. (token, queue latencies, 5xx)."""
    samples: list[float] = []
    errors = 0
    started = time.perf_counter()
    status, _ = await http.request("GET", f"/vaccination/{campaign}/enter/")
    samples.append((time.perf_counter() - started) * 1000)
    errors += status >= 500
    while "vx_admit" not in http.cookies:
        started = time.perf_counter()
        status, payload = await http.request("GET", f"/vaccination/{campaign}/queue/")
        samples.append((time.perf_counter() - started) * 1000)
        if status >= 500:
            errors += 1
        if status == 302 and "vx_admit" in http.cookies:
            return http.cookies["vx_admit"], samples, errors
        if status == 200:
            await asyncio.sleep(http.refresh or 2)
        elif status >= 400 and status != 429:
            raise SystemExit(f"queue answered {status}: {payload[:300]!r}")
        else:
            await asyncio.sleep(1)
    return http.cookies["vx_admit"], samples, errors


async def booking_phase(*, campaign: int, codes: list[str], slot_ids: list[int], clients: int) -> dict:
    todo = list(codes)
    random.Random(2).shuffle(todo)
    full: set[int] = set()
    latencies: list[float] = []
    outcome = {"booked": 0, "full_answers": 0, "server_errors": 0, "other": 0, "first_other": ""}
    rng = random.Random(3)

    async def client() -> None:
        http = Http()
        token, _samples, errors = await _admit(http, campaign)
        outcome["server_errors"] += errors
        headers = {"Content-Type": "application/json", "X-Admission-Token": token}
        while todo:
            code = todo.pop()
            key = uuid.uuid4().hex
            while True:
                free = [s for s in slot_ids if s not in full] if len(full) > len(slot_ids) - 50 else None
                slot = rng.choice(free) if free else rng.choice(slot_ids)
                if free is None and slot in full:
                    continue
                body = json.dumps({"code": code, "birth_date": BIRTH.isoformat(), "slot": slot}).encode()
                started = time.perf_counter()
                status, payload = await http.request(
                    "POST", f"/vaccination-api/{campaign}/book", body, {**headers, "Idempotency-Key": key}
                )
                latencies.append((time.perf_counter() - started) * 1000)
                if status in (200, 201):
                    outcome["booked"] += 1
                    break
                if status == 409 and b"slot_full" in payload:
                    outcome["full_answers"] += 1
                    full.add(slot)
                    if len(full) == len(slot_ids):
                        return
                    continue
                if status >= 500:
                    outcome["server_errors"] += 1
                    continue  # the same Idempotency-Key: a retry never books twice
                outcome["other"] += 1
                outcome["first_other"] = outcome["first_other"] or f"{status} {payload[:200]!r}"
                break
        http.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    outcome.update(elapsed=elapsed, latencies=latencies)
    return outcome


async def warm_up(*, campaign: int, arrivals: int) -> None:
    """Every worker imports its views, compiles the queue page's template and opens its Redis connection on its
    first requests (the product loads lazily); those first requests are start-up, not the waiting room's steady
    state, so they are made before the measured window, and the line they form is flushed afterwards."""

    async def one() -> None:
        http = Http()
        try:
            await http.request("GET", f"/vaccination/{campaign}/enter/")
            if "vx_place" in http.cookies:
                await http.request("GET", f"/vaccination/{campaign}/queue/")
        finally:
            http.close()

    for _ in range(arrivals // 8):
        await asyncio.gather(*(one() for _ in range(8)))


async def overload_phase(*, campaign: int, rate: float, seconds: float) -> dict:
    """Arrivals at `rate` per second for `seconds`; each refreshes the queue page until admitted."""
    samples: list[float] = []
    counts = {"server_errors": 0, "arrivals": 0, "admitted": 0, "queued": 0}
    tasks = []

    async def arrival() -> None:
        http = Http()
        try:
            started = time.perf_counter()
            status, _ = await http.request("GET", f"/vaccination/{campaign}/enter/")
            samples.append((time.perf_counter() - started) * 1000)
            counts["server_errors"] += status >= 500
            if "vx_admit" in http.cookies:
                counts["admitted"] += 1
                return
            first = True
            while True:
                started = time.perf_counter()
                status, _payload = await http.request("GET", f"/vaccination/{campaign}/queue/")
                samples.append((time.perf_counter() - started) * 1000)
                if status >= 500:
                    counts["server_errors"] += 1
                if status == 302:
                    counts["admitted"] += 1
                    return
                if first:
                    counts["queued"] += 1
                    first = False
                await asyncio.sleep(http.refresh or 2)
        finally:
            http.close()

    begin = time.perf_counter()
    end = begin + seconds
    n = 0
    while time.perf_counter() < end:
        due = begin + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(arrival()))
        counts["arrivals"] += 1
        n += 1
    measured_window = time.perf_counter() - begin
    # Let every place still in line refresh for a while, then stop: the line is not meant to drain.
    await asyncio.sleep(5)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    counts.update(samples=samples, arrival_rate=counts["arrivals"] / measured_window)
    return counts


def _p(samples: list[float], q: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def verify(campaign: int) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM vaccination_slot s WHERE s.campaign_id = %s AND (s.booked > s.capacity OR "
            "(SELECT count(*) FROM vaccination_booking b WHERE b.slot_id = s.id AND b.cancelled_at IS NULL) "
            "> s.capacity)",
            [campaign],
        )
        overbooked = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM (SELECT person_id, dose FROM vaccination_booking WHERE campaign_id = %s AND "
            "cancelled_at IS NULL GROUP BY person_id, dose HAVING count(*) > 1) d",
            [campaign],
        )
        duplicates = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM vaccination_booking WHERE campaign_id = %s AND cancelled_at IS NULL",
            [campaign],
        )
        booked = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM vaccination_slot s WHERE s.campaign_id = %s AND s.booked <> "
            "(SELECT count(*) FROM vaccination_booking b WHERE b.slot_id = s.id AND b.cancelled_at IS NULL)",
            [campaign],
        )
        mismatched = cursor.fetchone()[0]
    return {
        "booked": booked,
        "overbooked": overbooked,
        "duplicates": duplicates,
        "count_mismatch": mismatched,
    }


def _serve(env: dict, workers: int) -> subprocess.Popen:
    import http.client

    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "madoguchi"),
            "serve",
            "--port",
            str(PORT),
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(1500):  # five minutes: a loaded shared machine starts gunicorn slowly
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
            conn.request("GET", "/vaccination/0/")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=160_000)
    parser.add_argument("--slots", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument(
        "--admission-rate", type=int, default=5, help="waiting-room phase: admissions per second"
    )
    parser.add_argument(
        "--overload", type=float, default=10, help="waiting-room phase: arrivals ÷ admission rate"
    )
    parser.add_argument("--overload-seconds", type=float, default=20)
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn workers (default: madoguchi serve's)"
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()
    if args.residents % args.slots:
        raise SystemExit("--residents must be a multiple of --slots (every slot has the same capacity)")

    ensure_database(args.database_url)
    setup_django(args.database_url)
    campaign, codes, slot_ids, timings = prepare(residents=args.residents, slots=args.slots)
    from django.db import connections

    connections.close_all()
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    base_env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "MADOGUCHI_DEBUG": "false",
        "MADOGUCHI_REDIS_URL": REDIS,
        "MADOGUCHI_LOG_LEVEL": "WARNING",
        "MADOGUCHI_VACCINATION_TICKETS_PER_IP": "1000000",  # every client is 127.0.0.1
    }
    from madoguchi.core.management.commands.serve import default_workers

    workers = args.workers or default_workers()

    print(
        f"bench-booking: {args.residents} invited residents, {args.slots} slots of {args.residents // args.slots}, "
        f"{args.clients} clients, gunicorn {workers} sync workers, PostgreSQL, Redis; {os.cpu_count()} cores"
    )
    for name, value in timings.items():
        print(f"  {name}: {value:.1f}")

    # Phase 1: book everyone. The admission rate is set high here: this phase measures the admitted path.
    server = _serve({**base_env, "MADOGUCHI_VACCINATION_ADMISSION_RATE": "100000"}, workers)
    try:
        result = asyncio.run(
            booking_phase(campaign=campaign, codes=codes, slot_ids=slot_ids, clients=args.clients)
        )
    finally:
        _stop(server)
    checked = verify(campaign)
    latencies = result["latencies"]
    bookings_per_s = result["booked"] / result["elapsed"]
    print(
        f"booking: {result['booked']} confirmed in {result['elapsed']:.1f} s = {bookings_per_s:.0f}/s; "
        f"{len(latencies)} requests ({result['full_answers']} answered 満席, {result['other']} other refusals"
        f"{': ' + result['first_other'] if result['first_other'] else ''}); "
        f"p50 {_p(latencies, 50):.0f} ms, p99 {_p(latencies, 99):.0f} ms, max {max(latencies):.0f} ms"
    )
    print(
        f"database: {checked['booked']} active bookings, {checked['overbooked']} overbooked slots, "
        f"{checked['duplicates']} duplicate bookings, {checked['count_mismatch']} slots whose counter differs "
        "from their bookings"
    )

    # Phase 2: the waiting room at `overload` × its admission rate.
    redis.Redis.from_url(REDIS).flushdb()
    burst = 50  # MADOGUCHI_VACCINATION_ADMISSION_BURST's default
    server = _serve({**base_env, "MADOGUCHI_VACCINATION_ADMISSION_RATE": str(args.admission_rate)}, workers)
    try:
        arrivals = args.admission_rate * args.overload
        asyncio.run(warm_up(campaign=campaign, arrivals=burst + 8 * workers))
        redis.Redis.from_url(REDIS).flushdb()  # the measured line starts empty, as in phase 1
        wr = asyncio.run(overload_phase(campaign=campaign, rate=arrivals, seconds=args.overload_seconds))
    finally:
        _stop(server)
    samples = wr["samples"]
    print(
        f"waiting room: admission rate {args.admission_rate}/s (burst {burst}), arrivals {wr['arrival_rate']:.0f}/s "
        f"for {args.overload_seconds:.0f} s = {wr['arrival_rate'] / args.admission_rate:.1f}×; "
        f"{wr['arrivals']} arrivals, {wr['queued']} saw the queue page, {wr['admitted']} admitted; "
        f"{len(samples)} waiting-room requests (enter + queue page refreshes), p50 {_p(samples, 50):.0f} ms, "
        f"p99 {_p(samples, 99):.0f} ms, {wr['server_errors']} 5xx"
    )
    print(
        f"admission starts queuing above {args.admission_rate} arrivals/s (after the first {burst} of a rush): "
        "the configured MADOGUCHI_VACCINATION_ADMISSION_RATE"
    )
    server_errors = result["server_errors"] + wr["server_errors"]
    print(
        f"booked={checked['booked']} overbooked={checked['overbooked']} duplicates={checked['duplicates']} "
        f"bookings_per_s={bookings_per_s:.0f} p99_ms={_p(latencies, 99):.0f} "
        f"waiting_p99_ms={_p(samples, 99):.0f} server_errors={server_errors}"
    )


if __name__ == "__main__":
    main()
