"""Audit-write benchmark: what `core.audit.record_access` adds to a staff request, on PostgreSQL.

    .venv/bin/python -m bench.audit.run [--writes 4000] [--requests 600] [--writers 8] [--keep]

Creates the database `madoguchi_bench_audit` on 127.0.0.1:5432 (user postgres), migrates it, seeds one
department with cases, and measures with 1 and with N concurrent processes:

1. the audit write alone, in four variants:
   - `record_access` as shipped: lock the single chain head, insert, update the head, commit;
   - the same call in a transaction with `SET LOCAL synchronous_commit TO OFF` (the commit does not wait
     for the WAL flush; a database crash may lose the last fraction of a second of rows);
   - a prototype with one chain per writer process: the same steps and HMAC, but each process locks its
     own head row, so writers never queue behind each other;
   - a plain INSERT of the same row, no chain at all: the floor;
2. a case-detail request (`/office/cases/<ref>/`, the whole Django stack in-process: session, auth,
   selector, template) with each variant as its audit write and with the call replaced by a no-op (the
   baseline), interleaved in the same run. "added" = variant minus baseline at that percentile.

Every audit row is its own committed transaction, so the numbers follow the disk's fsync latency
(`pg_test_fsync`), the round trips made while the head lock is held, and the number of free cores.
The database is dropped at the end unless --keep is given.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import queue
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DB_NAME = "madoguchi_bench_audit"
SERVER = "postgres://postgres@127.0.0.1:5432"
CASES = 200
WRITE_KINDS = ("audit", "audit_async", "per_writer", "unchained")
REQUEST_MODES = ("baseline", "audited", "audited_async", "per_writer", "unchained")
NAMES = {
    "audit": "record_access as shipped",
    "audit_async": "record_access, async commit",
    "per_writer": "one chain per writer process (prototype)",
    "unchained": "same row, plain INSERT, no chain lock",
    "baseline": "no audit call (baseline)",
    "audited": "record_access as shipped",
    "audited_async": "record_access, async commit",
}


def _admin_execute(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{DB_NAME}"
    os.environ["MADOGUCHI_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ["MADOGUCHI_LOG_LEVEL"] = "ERROR"
    os.environ["MADOGUCHI_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _cursor():
    from django.db import connection

    return connection.cursor()


def _seed() -> tuple[int, list[str]]:
    """One 子育て支援課 reviewer and CASES submitted cases, each with a registry person."""
    from django.core.management import call_command

    from madoguchi.accounts.models import Role
    from madoguchi.office.tests.factories import CaseFactory, DepartmentFactory, StaffFactory, make_procedure
    from madoguchi.residents.tests.factories import PersonFactory

    call_command("migrate", verbosity=0)
    department = DepartmentFactory(code="kosodate")
    procedure = make_procedure(slug="jido-teate", department=department)
    staff = StaffFactory(department=department, role=Role.REVIEWER, email="bench.reviewer@example.jp")
    references = [CaseFactory(procedure=procedure, person=PersonFactory()).reference for _ in range(CASES)]
    with _cursor() as cursor:
        cursor.execute("CREATE TABLE bench_audit_unchained (LIKE core_auditevent INCLUDING ALL)")
        cursor.execute("CREATE SEQUENCE bench_audit_unchained_seq")
        cursor.execute(
            "CREATE TABLE bench_audit_per_writer (LIKE core_auditevent INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
        cursor.execute("ALTER TABLE bench_audit_per_writer ADD COLUMN writer integer NOT NULL")
        cursor.execute("CREATE UNIQUE INDEX ON bench_audit_per_writer (writer, seq)")
        cursor.execute(
            "CREATE TABLE bench_chain_head (writer integer PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL)"
        )
    return staff.pk, references


# --------------------------------------------------------------------------------------------------------
# The writes (run in forked processes; each opens its own database connection)


def _audit_write(staff, n: int) -> None:
    from madoguchi.core import audit

    audit.record_access(
        actor=staff,
        action="read",
        object_type="case",
        object_id=f"BNCH-{n % 10000:04d}",
        person_id=n % 5000 + 1,
        fields=["applicant_name", "reason", "comment"],
        purpose="case_review",
        channel="screen",
        client_ip="192.0.2.10",
    )


def _async_commit(write):
    """`write` in a transaction that does not wait for the WAL flush (SET LOCAL synchronous_commit)."""
    from django.db import transaction

    def wrapped(*args, **kwargs):
        with transaction.atomic():
            with _cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            return write(*args, **kwargs)

    return wrapped


def _per_writer_write(staff, n: int) -> None:
    """record_access's steps and hash, but each process chains onto its own head row (no shared lock)."""
    from django.db import transaction
    from django.utils import timezone

    from madoguchi.core.audit import _row_digest

    writer = os.getpid()
    with transaction.atomic(), _cursor() as cursor:
        cursor.execute("SELECT seq, hash FROM bench_chain_head WHERE writer = %s FOR UPDATE", [writer])
        head_seq, head_hash = cursor.fetchone()
        row = {
            "seq": head_seq + 1,
            "created_at": timezone.now().isoformat(),
            "actor_id": staff.pk,
            "actor_label": staff.email,
            "action": "read",
            "object_type": "case",
            "object_id": f"BNCH-{n % 10000:04d}",
            "person_id": n % 5000 + 1,
            "fields": ["applicant_name", "comment", "reason"],
            "purpose": "case_review",
            "channel": "screen",
            "client_ip": "192.0.2.10",
        }
        digest = _row_digest(head_hash, row)
        cursor.execute(
            "INSERT INTO bench_audit_per_writer (writer, seq, created_at, actor_id, actor_label, action,"
            " object_type, object_id, person_id, fields, purpose, channel, client_ip, prev_hash, hash)"
            " VALUES (%s, %s, %s, %s, %s, 'read', 'case', %s, %s, %s, 'case_review', 'screen', '192.0.2.10',"
            " %s, %s)",
            [
                writer,
                row["seq"],
                row["created_at"],
                staff.pk,
                staff.email,
                row["object_id"],
                row["person_id"],
                '["applicant_name", "comment", "reason"]',
                head_hash,
                digest,
            ],
        )
        cursor.execute(
            "UPDATE bench_chain_head SET seq = %s, hash = %s WHERE writer = %s", [row["seq"], digest, writer]
        )


def _add_writer_head() -> None:
    with _cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_chain_head (writer, seq, hash) VALUES (%s, 0, %s)", [os.getpid(), "0" * 64]
        )


def _unchained_write(staff, n: int) -> None:
    """The same row, inserted and committed without the chain head lock (no hash chain)."""
    from django.db import transaction
    from django.utils import timezone

    with transaction.atomic(), _cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_audit_unchained (seq, created_at, actor_id, actor_label, action, object_type,"
            " object_id, person_id, fields, purpose, channel, client_ip, prev_hash, hash)"
            " VALUES (nextval('bench_audit_unchained_seq'), %s, %s, %s, 'read', 'case', %s, %s, %s,"
            " 'case_review', 'screen', '192.0.2.10', '', '')",
            [
                timezone.now(),
                staff.pk,
                staff.email,
                f"BNCH-{n % 10000:04d}",
                n % 5000 + 1,
                '["applicant_name", "comment", "reason"]',
            ],
        )


def _write_worker(kind: str, staff_id: int, count: int, offset: int, barrier, results) -> None:
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.get(pk=staff_id)
    write = {
        "audit": _audit_write,
        "audit_async": _async_commit(_audit_write),
        "per_writer": _per_writer_write,
        "unchained": _unchained_write,
    }[kind]
    if kind == "per_writer":
        _add_writer_head()
    for n in range(20):  # warm-up: connection, statement plans
        write(staff, offset + n)
    barrier.wait()
    samples = []
    for n in range(count):
        started = time.perf_counter()
        write(staff, offset + n)
        samples.append((time.perf_counter() - started) * 1000)
    results.put(samples)


def _request_worker(staff_id: int, references: list[str], count: int, seed: int, barrier, results) -> None:
    """Case-detail requests, rotating through the modes so that they share the same conditions."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from madoguchi.core import audit

    real = audit.record_access
    counter = iter(range(10**9))
    writers = {
        "baseline": lambda **kwargs: None,
        "audited": real,
        "audited_async": _async_commit(real),
        "per_writer": lambda **kwargs: _per_writer_write(kwargs["actor"], next(counter)),
        "unchained": lambda **kwargs: _unchained_write(kwargs["actor"], next(counter)),
    }
    _add_writer_head()
    mode = {"current": "audited"}
    inside: dict[str, list[float]] = {name: [] for name in REQUEST_MODES}
    measuring = {"on": False}

    def switchable(**kwargs):
        started = time.perf_counter()
        result = writers[mode["current"]](**kwargs)
        if measuring["on"]:
            inside[mode["current"]].append((time.perf_counter() - started) * 1000)
        return result

    audit.record_access = switchable
    client = Client()
    client.force_login(get_user_model().objects.get(pk=staff_id))
    urls = [f"/office/cases/{reference}/" for reference in references]

    def get(i: int) -> float:
        started = time.perf_counter()
        response = client.get(urls[(i * 7 + seed) % len(urls)])
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"case detail answered {response.status_code}")
        return elapsed

    for i in range(30):  # warm-up: templates, connection, sessions
        mode["current"] = REQUEST_MODES[i % len(REQUEST_MODES)]
        get(i)
    barrier.wait()
    measuring["on"] = True
    samples: dict[str, list[float]] = {name: [] for name in REQUEST_MODES}
    for i in range(count):
        shift = (i + seed) % len(REQUEST_MODES)
        for name in REQUEST_MODES[shift:] + REQUEST_MODES[:shift]:
            mode["current"] = name
            samples[name].append(get(i))
    results.put({**samples, **{f"{name}:inside": values for name, values in inside.items()}})


def _run_processes(target, processes: int, make_args) -> list:
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(processes)
    results = ctx.Queue()
    workers = [ctx.Process(target=target, args=(*make_args(i), barrier, results)) for i in range(processes)]
    for worker in workers:
        worker.start()
    collected = []
    while len(collected) < len(workers):
        try:
            collected.append(results.get(timeout=5))
        except queue.Empty:
            if any(worker.exitcode for worker in workers):
                for worker in workers:
                    worker.kill()
                raise SystemExit("a benchmark worker failed; its traceback is above") from None
    for worker in workers:
        worker.join()
    return collected


# --------------------------------------------------------------------------------------------------------


def _p(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def measure_writes(kind: str, *, staff_id: int, total: int, writers: int) -> tuple[list[float], float]:
    per_writer = total // writers
    started = time.perf_counter()
    parts = _run_processes(_write_worker, writers, lambda i: (kind, staff_id, per_writer, i * 1_000_000))
    elapsed = time.perf_counter() - started
    samples = [s for part in parts for s in part]
    return samples, len(samples) / elapsed


def measure_requests(
    *, staff_id: int, references: list[str], total: int, clients: int
) -> dict[str, list[float]]:
    per_client = total // clients
    parts = _run_processes(_request_worker, clients, lambda i: (staff_id, references, per_client, i))
    keys = [*REQUEST_MODES, *(f"{mode}:inside" for mode in REQUEST_MODES[1:])]
    return {key: [s for part in parts for s in part[key]] for key in keys}


def print_report(*, pg_version: str, synchronous_commit: str, write_rows, request_rows, args) -> None:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\nAudit write benchmark — {pg_version}, synchronous_commit={synchronous_commit}, "
        f"{os.cpu_count()} cores (load average before: {args.load_before}; after: {load}), "
        f"Python {platform.python_version()}"
    )
    print(f"\n1. The audit write alone (ms per call; {args.writes} writes per row)\n")
    print("| writers | variant | p50 | p95 | p99 | rows/s |")
    print("|---:|---|---:|---:|---:|---:|")
    for writers, kind, samples, rate in write_rows:
        print(
            f"| {writers} | {NAMES[kind]} | {_p(samples, 50):.2f} | {_p(samples, 95):.2f} | "
            f"{_p(samples, 99):.2f} | {rate:,.0f} |"
        )
    requests = len(request_rows[0][1]["baseline"])
    print(f"\n2. Case-detail request (ms; variants interleaved in the same run, {requests} requests each)\n")
    print(
        "`request`: the whole request; `added`: request percentile minus the baseline's (noisy: different "
        "requests); `write in request`: the audit call itself, timed inside the request (the direct measure; "
        "the ≤ 2 ms column judges its p95).\n"
    )
    print(
        "| clients | variant | request p50 | p95 | added p50 | added p95 | write in request p50 | p95 | ≤ 2 ms |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for clients, samples in request_rows:
        base = samples["baseline"]
        print(f"| {clients} | {NAMES['baseline']} | {_p(base, 50):.2f} | {_p(base, 95):.2f} | | | | | |")
        for name in REQUEST_MODES[1:]:
            inside = samples[f"{name}:inside"]
            verdict = "✔" if _p(inside, 95) <= 2 else "✘"
            print(
                f"| {clients} | {NAMES[name]} | {_p(samples[name], 50):.2f} | {_p(samples[name], 95):.2f} | "
                f"{_p(samples[name], 50) - _p(base, 50):+.2f} | {_p(samples[name], 95) - _p(base, 95):+.2f} | "
                f"{_p(inside, 50):.2f} | {_p(inside, 95):.2f} | {verdict} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writes", type=int, default=4000, help="audit writes per row (default 4000)")
    parser.add_argument("--requests", type=int, default=600, help="requests per variant (default 600)")
    parser.add_argument("--writers", type=int, default=8, help="concurrent processes (default 8)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    args.load_before = ", ".join(f"{value:.1f}" for value in os.getloadavg())

    _admin_execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    _admin_execute(f'CREATE DATABASE "{DB_NAME}"')
    try:
        _setup_django()
        staff_id, references = _seed()
        with _cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            synchronous_commit = cursor.fetchone()[0]
            cursor.execute("SELECT version()")
            pg_version = cursor.fetchone()[0].split(" on ")[0]
        write_rows = [
            (writers, kind, *measure_writes(kind, staff_id=staff_id, total=args.writes, writers=writers))
            for writers in (1, args.writers)
            for kind in WRITE_KINDS
        ]
        request_rows = [
            (
                clients,
                measure_requests(
                    staff_id=staff_id, references=references, total=args.requests, clients=clients
                ),
            )
            for clients in (1, args.writers)
        ]
        from django.core.management import call_command

        call_command("audit", "verify")  # concurrent writers (both commit modes) left an intact chain
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _admin_execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    print_report(
        pg_version=pg_version,
        synchronous_commit=synchronous_commit,
        write_rows=write_rows,
        request_rows=request_rows,
        args=args,
    )


if __name__ == "__main__":
    main()
