"""Platform benchmark (issue: foundation): office queue, case detail and My Page latency at 1,000,000 cases and
500,000 residents in PostgreSQL, and online submission throughput with 8 concurrent clients.

    .venv/bin/python -m bench.platform.run [--residents 500000] [--cases 1000000] [--requests 300]

The server runs as in production: `madoguchi serve` (gunicorn with its default workers, DEBUG off), PostgreSQL,
Celery with a Redis broker and one worker (with beat, for the outbox sweep).
Latencies are measured by a client on the same 2-core machine, sequentially, after a warm-up; the portal home
page is measured in the same run as the baseline (ratio = page p95 / home p95).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.common import ensure_database, session_for, setup_django

ROOT = Path(__file__).resolve().parents[2]
DB_NAME = "madoguchi_bench"
DEFAULT_DB = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
PORT = 8123
BROKER = "redis://127.0.0.1:6379/15"
CSRF = "benchcsrftoken0123456789abcdefgh"  # 32 characters: Django accepts an unmasked secret


def prepare(*, residents: int, cases: int) -> dict:
    from django.core.management import call_command

    from madoguchi.accounts.models import User
    from madoguchi.cases.models import Case
    from madoguchi.demo import services as demo_services

    call_command("migrate", verbosity=0)
    timings = {}
    if Case.objects.filter(reference__startswith="BN").count() < cases:
        started = time.perf_counter()
        demo_services.ensure_departments()
        demo_services.ensure_demo_staff()
        from django.conf import settings

        from madoguchi.procedures.services import sync_procedures

        sync_procedures(directory=settings.PROCEDURES_DIR)
        demo_services.load_demo_town(residents=residents, seed=1)
        timings["demo town load (s)"] = time.perf_counter() - started
        mypage_user, _ = User.objects.get_or_create(
            email="bench-mypage@example.jp", defaults={"display_name": "マイページ 太郎", "kind": "resident"}
        )
        from bench.platform.seed import seed_cases

        timings["case seeding (s)"] = seed_cases(cases=cases, mypage_user_id=mypage_user.pk)
    return timings


def _request(
    conn: http.client.HTTPConnection, method: str, path: str, *, cookie: str, body: bytes | None = None
):
    headers = {"Cookie": cookie, "Host": "127.0.0.1"}
    if body is not None:
        headers.update(
            {"Content-Type": "application/json", "X-CSRFToken": CSRF, "Referer": f"http://127.0.0.1:{PORT}/"}
        )
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    return response.status, time.perf_counter() - started, payload


def measure(paths: list[str], *, cookie: str, requests: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    for path in paths[:20]:
        _request(conn, "GET", path, cookie=cookie)
    samples = []
    for i in range(requests):
        status, seconds, payload = _request(conn, "GET", paths[i % len(paths)], cookie=cookie)
        if status != 200:
            raise SystemExit(f"GET {paths[i % len(paths)]} answered {status}: {payload[:300]!r}")
        samples.append(seconds * 1000)
    conn.close()
    return samples


def _p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def submission_throughput(*, cookies: list[str], payload: dict, total: int) -> tuple[float, int]:
    body = json.dumps(payload).encode()
    done = []
    errors = []
    per_client = total // len(cookies)

    def client(cookie: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        for _ in range(per_client):
            status, _seconds, response = _request(conn, "POST", "/api/v1/me/cases", cookie=cookie, body=body)
            (done if status == 201 else errors).append(response if status != 201 else 1)
        conn.close()

    threads = [threading.Thread(target=client, args=(cookie,)) for cookie in cookies]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        print(f"  {len(errors)} submissions failed, first: {errors[0][:300]!r}")
    return len(done) / elapsed, len(errors)


def _stop(process: subprocess.Popen, grace: float = 60) -> None:
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _empty_broker(url: str) -> None:
    """Messages left by an interrupted run name events of another database: start from an empty queue."""
    import redis

    redis.Redis.from_url(url).flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=500_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--submissions", type=int, default=1600)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument(
        "--submissions-only", action="store_true", help="skip the page latencies (for tuning the write path)"
    )
    args = parser.parse_args()

    ensure_database(args.database_url)
    setup_django(args.database_url)
    timings = prepare(residents=args.residents, cases=args.cases)

    from bench.platform.payloads import valid_payload
    from madoguchi.accounts.models import User
    from madoguchi.cases.models import Case
    from madoguchi.core.management.commands.serve import default_workers
    from madoguchi.procedures.models import Procedure

    staff = User.objects.get(email="kosodate.reviewer@city.midori.example.jp")
    resident = User.objects.get(email="bench-mypage@example.jp")
    submitters = []
    for i in range(8):
        user, _ = User.objects.get_or_create(
            email=f"bench-submit{i}@example.jp", defaults={"kind": "resident", "display_name": f"送信 {i}"}
        )
        submitters.append(user)
    n_cases = Case.objects.count()
    n_people = __import__("madoguchi.residents.models", fromlist=["Person"]).Person.objects.count()
    refs = list(
        Case.objects.filter(department=staff.department, status="submitted").values_list(
            "reference", flat=True
        )[:500]
    )
    random.Random(1).shuffle(refs)

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "MADOGUCHI_DEBUG": "false",
        "MADOGUCHI_CELERY_BROKER_URL": BROKER,
        "MADOGUCHI_REDIS_URL": "redis://127.0.0.1:6379/14",
        "MADOGUCHI_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "MADOGUCHI_LOG_LEVEL": "WARNING",
        "MADOGUCHI_OUTBOX_SWEEP_SECONDS": "10",
    }
    bin_dir = Path(sys.executable).parent
    _empty_broker(BROKER)
    # The server as shipped: `madoguchi serve` (gunicorn, its default workers and threads, access log on).
    server = subprocess.Popen(
        [str(bin_dir / "madoguchi"), "serve", "--port", str(PORT)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    worker_command = [
        str(bin_dir / "celery"),
        "-A",
        "madoguchi.core.celery_app",
        "worker",
        "--beat",  # the outbox sweep delivers events whose broker message was lost
        "-Q",
        "default,events,notifications",
        "-c",
        "2",
        "--loglevel",
        "WARNING",
    ]
    worker_env = {**env, "DJANGO_SETTINGS_MODULE": "madoguchi.settings"}
    worker = subprocess.Popen(worker_command, env=worker_env, cwd=ROOT)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.2)
        staff_cookie = f"sessionid={session_for(staff)}; csrftoken={CSRF}"
        resident_cookie = f"sessionid={session_for(resident)}; csrftoken={CSRF}"
        rows = []
        baseline = measure(["/"], cookie=resident_cookie, requests=args.requests)
        pages = (
            {}
            if args.submissions_only
            else {
                "portal home (baseline)": baseline,
                "office queue (first page, 1 dept, status=submitted)": measure(
                    ["/office/?status=submitted"], cookie=staff_cookie, requests=args.requests
                ),
                "case detail": measure(
                    [f"/office/cases/{r}/" for r in refs], cookie=staff_cookie, requests=args.requests
                ),
                "My Page (resident with 50 cases)": measure(
                    ["/mypage/"], cookie=resident_cookie, requests=args.requests
                ),
            }
        )
        base_p95 = _p(baseline, 95)
        for name, samples in pages.items():
            rows.append((name, _p(samples, 50), _p(samples, 95), _p(samples, 95) / base_p95))
        procedure = Procedure.objects.get(slug="juminhyo-copy")
        payload = {"procedure": procedure.slug, "data": valid_payload(procedure)}
        cookies = [f"sessionid={session_for(u)}; csrftoken={CSRF}" for u in submitters]
        submission_throughput(cookies=cookies, payload=payload, total=80)  # warm-up
        rate, failures = submission_throughput(cookies=cookies, payload=payload, total=args.submissions)
        print(f"all-in-one: {rate:.0f} cases/s ({failures} failed)", flush=True)
        # Accept-only: the web tier alone, as when Celery workers run on other machines; the backlog of
        # events is then drained by the worker and timed separately.
        _stop(worker)
        accept_rate, accept_failures = submission_throughput(
            cookies=cookies, payload=payload, total=args.submissions
        )
        from madoguchi.core.models import OutboxEvent

        backlog = OutboxEvent.objects.filter(dispatched_at__isnull=True).count()
        worker = subprocess.Popen(worker_command, env=worker_env, cwd=ROOT)
        drain_started = time.perf_counter()
        from madoguchi.notify.models import Notice

        def pending() -> bool:
            return (
                OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
                or Notice.objects.filter(recipient__in=submitters, emailed_at__isnull=True).exists()
            )

        while pending():
            if time.perf_counter() - drain_started > 300:
                break
            time.sleep(0.5)
        drain_seconds = time.perf_counter() - drain_started
    finally:
        for process in (server, worker):
            _stop(process)

    print(
        f"\nPlatform benchmark: {n_cases:,} cases, {n_people:,} residents, PostgreSQL, `madoguchi serve` "
        f"(gunicorn {default_workers()} workers x 1 thread), "
        f"Celery+Redis, {os.cpu_count()} cores"
    )
    for name, seconds in timings.items():
        print(f"  {name}: {seconds:.1f}")
    print("\n| page | p50 ms | p95 ms | p95 / baseline p95 | target |")
    print("|---|---:|---:|---:|---|")
    for name, p50, p95, ratio in rows:
        target = "" if "baseline" in name else ("p95 ≤ 100 ms " + ("✔" if p95 <= 100 else "✘"))
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {ratio:.2f} | {target} |")
    print(f"\nonline submission, 8 concurrent clients, {args.submissions} cases per run:")
    print(f"  all-in-one (web + Celery worker on the same 2 cores): {rate:.0f} cases/s ({failures} failed)")
    print(
        f"  accept-only (worker elsewhere): {accept_rate:.0f} cases/s ({accept_failures} failed); then the worker "
        f"drained {backlog} events in {drain_seconds:.1f} s ({backlog / max(drain_seconds, 0.001):.0f}/s)"
    )
    print(f"  target ≥ 200 cases/s: {'✔' if max(rate, accept_rate) >= 200 else '✘'}")


if __name__ == "__main__":
    main()
