"""Failure drills: online submissions while a web worker, the Celery worker and PostgreSQL die.

    .venv/bin/python -m bench.faults.run [--submissions 1500] [--clients 8] [--shared-postgres]
    make bench-faults

The project runs as in production and as bench/platform runs it: `madoguchi serve` (gunicorn with its default
workers), PostgreSQL, a Celery worker with beat on a Redis broker (db 12). A staff system takes every fifth
accepted case through assign and approve, so that status changes and their notices are drilled too. During the
burst of submissions (8 client threads over loopback; each request times out after 10 s and is retried once,
with the same Idempotency-Key header — which the API ignores at this commit, so a retry of a request whose
answer was lost files the case again, and the drill counts those duplicates):

1. at 20 % of the submissions, `kill -9` one gunicorn worker (the master starts another);
2. at 40 %, `kill -9` the whole Celery worker (its pool and beat) and start a new one 3 s later;
3. at 60 %, restart PostgreSQL in `immediate` mode (a crash: no checkpoint, WAL recovery at start).

PostgreSQL on this machine is shared (port 5432), so by default the drill makes a private cluster of its own with
the same binaries (initdb in a temporary directory, its own port) and restarts that one. `--shared-postgres`
uses a database of the shared server instead and, in place of a restart, terminates every backend of that
database (`pg_terminate_backend`), which is what the application sees of a restart but not a crash.

Afterwards, once every event is delivered and every email sent, it checks and prints: accepted submissions (2xx
with a reference) each exist exactly once (lost: must be 0; duplicates: cases filed twice by a retry); failures
with a clear error (the API's error body, by status and code) apart from connection resets and timeouts; every
outbox event delivered, exactly once (each case event has exactly the notices it should, no more); every
notice emailed, and how many emails each one produced. Exit status 1 when something was lost or delivered
twice.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import email
import glob
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import session_for

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PORT = 8131
PRIVATE_PG_PORT = 55431
SHARED_DB_URL = "postgres://postgres@127.0.0.1:5432/madoguchi_secops_faults"
REDIS = "redis://127.0.0.1:6379/12"
CSRF = "drillcsrftoken0123456789abcdefgh"  # 32 characters: Django accepts an unmasked secret
TIMEOUT = 10.0
MARKER = re.compile(r"D(\d+)$")
INITDB_OPTIONS = ("-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
CREATEDB = ("-U", "postgres", "madoguchi_drill")
WORKER_OPTIONS = ("-A", "madoguchi.core.celery_app", "worker", "--beat", "-Q", "default,events,notifications")
WORKER_OPTIONS += ("-c", "2", "--loglevel", "WARNING")


# --------------------------------------------------------------------------------------------------------------
# PostgreSQL: a private cluster that may be crashed, or a database of the shared server


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise SystemExit("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
    return Path(found[-1]).parent


class PrivateCluster:
    """initdb + pg_ctl in a temporary directory; run as the postgres user when we are root."""

    def __init__(self, directory: Path, port: int = PRIVATE_PG_PORT) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.port = port
        self.bin = _pg_bin()
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/madoguchi_drill"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_owner, str(self.bin / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def create(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.as_owner:
            shutil.chown(self.directory, "postgres", "postgres")
        subprocess.run(
            [*self.as_owner, str(self.bin / "initdb"), "-D", str(self.data), *INITDB_OPTIONS],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.start()
        subprocess.run(
            [*self.as_owner, str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), *CREATEDB],
            check=True,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c max_connections=60"
        self._pg_ctl("-l", str(self.directory / "server.log"), "-o", options, "-w", "start")

    def restart(self) -> str:
        self._pg_ctl("-m", "immediate", "-w", "stop")
        self.start()
        return "PostgreSQL restarted (pg_ctl stop -m immediate, then start: crash recovery from the WAL)"

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")


class SharedDatabase:
    """A database of the shared server; 'restart' terminates its backends, which others' work never notices."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _admin(self):
        import psycopg

        return psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True)

    def create(self) -> None:
        name = self.url.rsplit("/", 1)[1]
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')

    def restart(self) -> str:
        name = self.url.rsplit("/", 1)[1]
        with self._admin() as conn:
            killed = conn.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            ).fetchone()[0]
        return (
            f"terminated {killed} backends of {name} (pg_terminate_backend; the shared server kept running)"
        )

    def stop(self) -> None:
        pass  # the database is kept for inspection; the next run drops it


# --------------------------------------------------------------------------------------------------------------
# The load


@dataclass
class Outcome:
    number: int
    status: int | None = None  # the final answer's status; None: no answer (reset, timeout)
    reference: str = ""
    error_code: str = ""
    transport_error: str = ""
    attempts: int = 0
    first_try: str = ""  # what went wrong with the first attempt, when it was retried


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    staff_calls: collections.Counter = field(default_factory=collections.Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    accepted: list[str] = field(default_factory=list)


def _post(path: str, body: dict, headers: dict[str, str]) -> tuple[int, dict, float]:
    """(status, JSON body, seconds the server asked to wait before a retry)."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=TIMEOUT)
    try:
        conn.request("POST", path, body=json.dumps(body).encode(), headers=headers)
        response = conn.getresponse()
        payload = response.read()
    finally:
        conn.close()
    retry_after = float(response.headers.get("Retry-After") or 0)
    try:
        return response.status, json.loads(payload), retry_after
    except ValueError:
        return (
            response.status,
            {"code": "not_json", "raw": payload[:200].decode("utf-8", "replace")},
            retry_after,
        )


def _with_one_retry(path: str, body: dict, headers: dict[str, str], outcome: Outcome) -> dict:
    """One try and, after no answer or a 5xx, one more with the same Idempotency-Key (after the Retry-After the
    server asked for, at most 10 s; at once after no answer)."""
    headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    answer: dict = {}
    for attempt in range(2):
        outcome.attempts += 1
        try:
            outcome.status, answer, retry_after = _post(path, body, headers)
            outcome.transport_error = ""
        except (OSError, http.client.HTTPException) as exc:
            outcome.status, answer = None, {}
            outcome.transport_error = type(exc).__name__
            outcome.first_try = outcome.first_try or f"no answer ({outcome.transport_error})"
            continue
        if outcome.status < 500:
            break
        outcome.first_try = outcome.first_try or f"{outcome.status} {answer.get('code', '')}"
        if attempt == 0 and retry_after:
            time.sleep(min(retry_after, 10.0))
    return answer


def resident_client(cookie: str, numbers: list[int], payload: dict, tally: Tally, progress) -> None:
    headers = {
        "Cookie": cookie,
        "Content-Type": "application/json",
        "X-CSRFToken": CSRF,
        "Host": "127.0.0.1",
    }
    for number in numbers:
        data = {**payload, "applicant_address": f"{payload['applicant_address']} D{number}"}
        outcome = Outcome(number)
        answer = _with_one_retry(
            "/api/v1/me/cases", {"procedure": "juminhyo-copy", "data": data}, headers, outcome
        )
        if outcome.status is not None and 200 <= outcome.status < 300:
            outcome.reference = answer.get("reference", "")
        elif outcome.status is not None:
            outcome.error_code = str(answer.get("code", ""))
        with tally.lock:
            tally.outcomes.append(outcome)
            if outcome.reference:
                tally.accepted.append(outcome.reference)
        progress()


def staff_client(token: str, tally: Tally, stop: threading.Event) -> None:
    """Every fifth accepted case: assign, then approve (the approval is a notice to the resident)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Host": "127.0.0.1"}
    done = 0
    while not stop.is_set() or done < len(tally.accepted[::5]):
        with tally.lock:
            todo = tally.accepted[::5][done:]
        if not todo:
            time.sleep(0.2)
            continue
        for reference in todo:
            for action in ("assign", "approve"):
                outcome = Outcome(0)
                _with_one_retry(
                    f"/api/v1/office/cases/{reference}/transitions", {"action": action}, headers, outcome
                )
                key = outcome.status if outcome.status is not None else outcome.transport_error
                tally.staff_calls[(action, key)] += 1
            done += 1


# --------------------------------------------------------------------------------------------------------------
# The processes


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _start_worker(env: dict, workdir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "celery"), *WORKER_OPTIONS, "--schedule", str(workdir / "celerybeat-schedule")],
        env=env,
        cwd=workdir,
        start_new_session=True,
        stdout=open(workdir / "celery.log", "ab"),  # the process owns it
        stderr=subprocess.STDOUT,
    )


def _kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _setup_django(url: str, email_dir: Path, var_dir: Path) -> None:
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "bench.faults.settings",
            "MADOGUCHI_DRILL_EMAIL_DIR": str(email_dir),
            "MADOGUCHI_VAR_DIR": str(var_dir),
            "MADOGUCHI_DB_CONN_MAX_AGE": "0",  # this process (the checker) keeps nothing open across the faults
        }
    )
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def prepare(clients: int) -> tuple[list[str], str, dict]:
    from django.conf import settings
    from django.core.management import call_command

    from bench.platform.payloads import valid_payload
    from madoguchi.accounts.models import User
    from madoguchi.accounts.services import issue_api_token
    from madoguchi.demo import services as demo_services
    from madoguchi.procedures.models import Procedure
    from madoguchi.procedures.services import sync_procedures

    call_command("migrate", verbosity=0)
    demo_services.ensure_departments()
    demo_services.ensure_demo_staff()
    sync_procedures(directory=settings.PROCEDURES_DIR)
    cookies = []
    for i in range(clients):
        user, _ = User.objects.get_or_create(
            email=f"drill-resident{i}@example.jp", defaults={"kind": "resident", "display_name": f"訓練 {i}"}
        )
        cookies.append(f"sessionid={session_for(user)}; csrftoken={CSRF}")
    staff = User.objects.get(email="shimin.approver@city.midori.example.jp")
    token = issue_api_token(user=staff, name="failure drill").token
    return cookies, token, valid_payload(Procedure.objects.get(slug="juminhyo-copy"))


# --------------------------------------------------------------------------------------------------------------
# The checks


def _emails(email_dir: Path) -> collections.Counter:
    """(recipient, subject, reference) → how many emails were written."""
    separator = b"\n" + b"-" * 79 + b"\n"
    counts: collections.Counter = collections.Counter()
    for path in email_dir.glob("*.log"):
        for raw in path.read_bytes().split(separator):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw)
            subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
            body = message.get_payload(decode=True).decode("utf-8")
            reference = re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}", body)
            counts[(message["To"], subject, reference.group(0) if reference else "")] += 1
    return counts


def check(tally: Tally, email_dir: Path, submissions: int) -> dict:
    from django.conf import settings
    from django.db.models import Count

    from madoguchi.cases import workflow
    from madoguchi.cases.models import Case
    from madoguchi.core.models import OutboxEvent
    from madoguchi.notify.models import Notice

    cases_by_number: dict[int, list[str]] = collections.defaultdict(list)
    for reference, data in Case.objects.filter(applicant__email__startswith="drill-").values_list(
        "reference", "data"
    ):
        match = MARKER.search(unicodedata.normalize("NFKC", data.get("applicant_address", "")))
        cases_by_number[int(match.group(1)) if match else -1].append(reference)
    in_db = {ref for refs in cases_by_number.values() for ref in refs}

    accepted = [o for o in tally.outcomes if o.reference]
    lost = [o for o in accepted if o.reference not in in_db]
    duplicates = {n: refs for n, refs in cases_by_number.items() if len(refs) > 1}
    refused = collections.Counter(
        (o.status, o.error_code) for o in tally.outcomes if o.status is not None and not o.reference
    )
    unanswered = collections.Counter(o.transport_error for o in tally.outcomes if o.status is None)
    filed_unconfirmed = [
        o.number for o in tally.outcomes if not o.reference and cases_by_number.get(o.number)
    ]

    events = list(OutboxEvent.objects.values_list("id", "topic", "payload", "dispatched_at", "attempts"))
    undelivered = [e[0] for e in events if e[3] is None]
    expected_notices: collections.Counter = collections.Counter()
    for _id, topic, payload, _at, _attempts in events:
        if topic == "case.submitted":
            expected_notices[(payload["case_id"], "case.submit")] += 1
        elif (
            topic == "case.status_changed"
            and payload.get("visible_to_applicant")
            and workflow.applicant_notice(payload["action"])
        ):
            expected_notices[(payload["case_id"], f"case.{payload['action']}")] += 1
    actual_notices = collections.Counter(
        {
            (row["case_id"], row["kind"]): row["n"]
            for row in Notice.objects.values("case_id", "kind").annotate(n=Count("id"))
        }
    )
    notice_mismatches = {
        key: (expected_notices.get(key, 0), actual_notices.get(key, 0))
        for key in set(expected_notices) | set(actual_notices)
        if expected_notices.get(key, 0) != actual_notices.get(key, 0)
    }
    unsent = Notice.objects.filter(emailed_at__isnull=True).count()
    emails = _emails(email_dir)
    notices = list(Notice.objects.select_related("recipient", "case").order_by("id"))
    email_copies = collections.Counter()
    for notice in notices:
        subject = f"[{settings.MUNICIPALITY_NAME}] {notice.title_for(notice.recipient.preferred_language)}"
        email_copies[emails.get((notice.recipient.email, subject, notice.case.reference), 0)] += 1
    return {
        "submissions": submissions,
        "accepted": len(accepted),
        "accepted after a retry": sum(1 for o in accepted if o.attempts > 1),
        "first attempts that failed (retried once)": dict(
            collections.Counter(o.first_try for o in tally.outcomes if o.first_try)
        ),
        "refused with the API's error body": dict(refused),
        "no answer (connection reset / timeout), after the retry": dict(unanswered),
        "lost (accepted, not in the database)": len(lost),
        "duplicates (one submission filed twice)": sum(len(r) - 1 for r in duplicates.values()),
        "filed although the client saw no success": len(filed_unconfirmed),
        "cases in the database": len(in_db),
        "outbox events": len(events),
        "outbox events undelivered": len(undelivered),
        "outbox events delivered after more than one attempt": sum(1 for e in events if e[4] > 1),
        "notices": len(notices),
        "case events whose notices are not exactly one": len(notice_mismatches),
        "notices never emailed": unsent,
        "emails per notice (copies: notices)": dict(sorted(email_copies.items())),
        "staff calls (action, status: count)": {
            f"{a} {s}": n for (a, s), n in sorted(tally.staff_calls.items(), key=str)
        },
    }


# --------------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--submissions", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--shared-postgres", action="store_true", help="a database of the server on 5432")
    parser.add_argument("--settle-timeout", type=float, default=300, help="seconds to wait for delivery")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, emails)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="madoguchi-drill-"))
    workdir.chmod(0o755)  # the private cluster runs as the postgres user
    email_dir, var_dir = workdir / "emails", workdir / "var"
    email_dir.mkdir()
    database = SharedDatabase(SHARED_DB_URL) if args.shared_postgres else PrivateCluster(workdir / "pg")
    database.create()
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    server = worker = None
    log: list[str] = []
    started = time.perf_counter()

    def note(text: str) -> None:
        line = f"{time.perf_counter() - started:7.1f} s  {text}"
        log.append(line)
        print(line, flush=True)

    try:
        _setup_django(database.url, email_dir, var_dir)
        cookies, token, payload = prepare(args.clients)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
            "MADOGUCHI_DEBUG": "false",
            "MADOGUCHI_CELERY_BROKER_URL": REDIS,
            "MADOGUCHI_REDIS_URL": REDIS,
            "MADOGUCHI_LOG_LEVEL": "WARNING",
            "MADOGUCHI_OUTBOX_SWEEP_SECONDS": "5",
        }
        env.pop("MADOGUCHI_DB_CONN_MAX_AGE")  # the server and the worker keep the shipped default
        server = subprocess.Popen(
            [str(BIN / "madoguchi"), "serve", "--port", str(PORT)],
            env=env,
            cwd=workdir,
            start_new_session=True,
            stdout=open(workdir / "serve.log", "ab"),  # noqa: SIM115 - the process owns it
            stderr=subprocess.STDOUT,
        )
        worker = _start_worker(env, workdir)
        for _ in range(300):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
                probe.request("GET", "/api/openapi.json")
                probe.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        note(f"server up: gunicorn master {server.pid}, workers {_children(server.pid)}; celery {worker.pid}")

        tally = Tally()
        done = [0]
        faults = {
            int(args.submissions * 0.2): "web",
            int(args.submissions * 0.4): "celery",
            int(args.submissions * 0.6): "postgres",
        }
        fired: set[str] = set()
        fault_lock = threading.Lock()

        def fire(kind: str) -> None:
            nonlocal worker
            if kind == "web":
                victims = _children(server.pid)
                os.kill(victims[0], signal.SIGKILL)
                note(f"kill -9 gunicorn worker {victims[0]} (of {victims})")
            elif kind == "celery":
                _kill_group(worker)
                note(f"kill -9 Celery worker {worker.pid} with its pool and beat")
                time.sleep(3)
                worker = _start_worker(env, workdir)
                note(f"new Celery worker {worker.pid}")
            else:
                note("restarting PostgreSQL …")
                note(database.restart())

        def progress() -> None:
            with fault_lock:
                done[0] += 1
                kind = faults.get(done[0])
                if kind and kind not in fired:
                    fired.add(kind)
                    threading.Thread(target=fire, args=(kind,)).start()

        numbers = list(range(args.submissions))
        stop_staff = threading.Event()
        staff_thread = threading.Thread(target=staff_client, args=(token, tally, stop_staff))
        threads = [
            threading.Thread(
                target=resident_client, args=(cookie, numbers[i :: len(cookies)], payload, tally, progress)
            )
            for i, cookie in enumerate(cookies)
        ]
        note(f"burst: {args.submissions} submissions from {len(threads)} clients, a staff system alongside")
        burst_started = time.perf_counter()
        staff_thread.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        burst = time.perf_counter() - burst_started
        stop_staff.set()
        staff_thread.join()
        note(
            f"burst over in {burst:.1f} s ({len(tally.outcomes) / burst:.0f} submissions/s); waiting for delivery"
        )

        from django.db import connections

        from madoguchi.core.models import OutboxEvent
        from madoguchi.notify.models import Notice

        connections.close_all()  # opened before PostgreSQL restarted
        settle_started = time.perf_counter()
        while time.perf_counter() - settle_started < args.settle_timeout:
            try:
                pending = OutboxEvent.objects.filter(dispatched_at__isnull=True).count()
                unsent = Notice.objects.filter(emailed_at__isnull=True).count()
            except Exception as exc:  # the checker itself may meet the restarted server
                note(f"checker: {exc!r}")
                connections.close_all()
                pending = unsent = -1
            if pending == 0 and unsent == 0:
                break
            time.sleep(1)
        note(f"settled after {time.perf_counter() - settle_started:.1f} s")
        report = check(tally, email_dir, args.submissions)
    finally:
        for process in (server, worker):
            if process is not None:
                _kill_group(process, signal.SIGTERM)
        database.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print(
        "\nFailure drill:",
        "shared PostgreSQL (backends terminated)"
        if args.shared_postgres
        else "private PostgreSQL cluster (crash restart)",
    )
    for line in log:
        print("  " + line)
    print()
    for key, value in report.items():
        print(f"  {key}: {value}")
    if args.keep:
        print(f"\nlogs and emails kept in {workdir}")
    bad = (
        report["lost (accepted, not in the database)"]
        or report["outbox events undelivered"]
        or report["case events whose notices are not exactly one"]
        or report["notices never emailed"]
    )
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
