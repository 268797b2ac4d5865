"""Audit-write benchmark: what `core.audit.record_access` adds to a staff request, on PostgreSQL.

    .venv/bin/python -m bench.audit.run [--writes 4000] [--requests 600] [--writers 8] [--chains N]
                                        [--database madoguchi_bench_audit] [--keep]

Creates the database (`--database`, default `madoguchi_bench_audit`) on 127.0.0.1:5432 (user postgres),
migrates it, seeds one department with cases, and measures with 1 and with N concurrent processes:

1. the audit write alone, in five variants (alternating in 4 blocks each):
   - `record_access` as shipped: while the writer remembers the head of its preferred chain (from its
     previous append), one autocommitted statement that moves that head if it is unchanged and inserts
     the row; otherwise the locked path below. "1 statement" is the share of writes that took one;
   - `record_access` made to forget its head before each write, so that it always takes the locked
     path: BEGIN, lock a free head of the chain pool (`MADOGUCHI_AUDIT_CHAINS`, or `--chains`) with
     SKIP LOCKED, insert the row and move the head in one statement, COMMIT (the write before heads were
     remembered);
   - `record_access` as shipped with a pool of one chain (every writer shares one head);
   - the previous release's write: the ORM's `select_for_update().get_or_create()` of a single head,
     `save()` of the row, `save()` of the head (replicated here; its rows go to chain 256 of the same log,
     outside the pool, so that they do not move the heads the shipped write remembers);
   - a plain INSERT of the same row in its own transaction, no chain at all: the floor;
2. a case-detail request (`/office/cases/<ref>/`, the whole Django stack in-process: session, auth,
   selector, template) with each variant as its audit write and with the call replaced by a no-op (the
   baseline), interleaved in the same run. "added" = variant minus baseline at that percentile.

Every ratio (÷ floor) divides by the floor measured in the same run with the same number of writers.
Every audit row is its own committed transaction, so the numbers follow the disk's fsync latency
(`pg_test_fsync`), the round trips made while a head is locked, and the number of free cores. At the end
`madoguchi audit verify` must pass: concurrent writers left every chain intact. The database is dropped
at the end unless --keep is given.
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
ROUNDS = 4  # the write variants alternate in this many blocks
WRITE_KINDS = ("shipped", "locked", "one_chain", "previous", "floor")
REQUEST_MODES = ("baseline", "shipped", "locked", "previous", "floor")
NAMES = {
    "shipped": "record_access as shipped (chain pool, remembered head)",
    "locked": "record_access, locked path only (head forgotten)",
    "one_chain": "record_access, pool of one chain",
    "previous": "previous release (one head, ORM)",
    "floor": "same row, plain INSERT, no chain (floor)",
    "baseline": "no audit call (baseline)",
}


def _admin_execute(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _setup_django(database: str, chains: int | None) -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{database}"
    os.environ["MADOGUCHI_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ["MADOGUCHI_LOG_LEVEL"] = "ERROR"
    os.environ["MADOGUCHI_DEBUG"] = "false"
    if chains is not None:
        os.environ["MADOGUCHI_AUDIT_CHAINS"] = str(chains)
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
    from madoguchi.accounts.tests.factories import DepartmentFactory, StaffFactory
    from madoguchi.cases.tests.factories import CaseFactory
    from madoguchi.procedures.tests.factories import ProcedureFactory
    from madoguchi.residents.tests.factories import PersonFactory

    call_command("migrate", verbosity=0)
    department = DepartmentFactory(code="kosodate")
    procedure = ProcedureFactory(slug="jido-teate", department=department)
    staff = StaffFactory(department=department, role=Role.REVIEWER, email="bench.reviewer@example.jp")
    references = [CaseFactory(procedure=procedure, person=PersonFactory()).reference for _ in range(CASES)]
    with _cursor() as cursor:
        cursor.execute("CREATE TABLE bench_audit_floor (LIKE core_auditevent INCLUDING ALL)")
        cursor.execute("CREATE SEQUENCE bench_audit_floor_seq")
    return staff.pk, references


# --------------------------------------------------------------------------------------------------------
# The writes (run in forked processes; each opens its own database connection)


def _row(staff, n: int) -> dict:
    return {
        "actor": staff,
        "action": "read",
        "object_type": "case",
        "object_id": f"BNCH-{n % 10000:04d}",
        "person_id": n % 5000 + 1,
        "fields": ["applicant_name", "reason", "comment"],
        "purpose": "case_review",
        "channel": "screen",
        "client_ip": "192.0.2.10",
    }


def _shipped_write(staff, n: int) -> None:
    from madoguchi.core import audit

    audit.record_access(**_row(staff, n))


def _forgetting(record_access):
    """`record_access` that forgets the remembered heads first, so that it always locks a head."""
    from madoguchi.core import audit

    def write(**kwargs):
        audit._known_heads.heads.clear()
        return record_access(**kwargs)

    return write


def _counting_one_statement_appends(counts: dict[str, int]):
    """Count the rows appended in one statement on this process's connection."""
    from django.db import connection

    from madoguchi.core import audit

    def count(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql == audit._APPEND_IF_HEAD_UNCHANGED:
            counts["appended"] += context["cursor"].rowcount
        return result

    return connection.execute_wrapper(count)


def _previous_write(
    *, actor, action, object_type, object_id, person_id=None, fields=(), purpose, channel, client_ip=None
) -> None:
    """The previous release's record_access: the ORM, one head, locked from its read to the commit."""
    from django.db import transaction
    from django.utils import timezone

    from madoguchi.core.audit import MAX_CHAINS, _canonical, _canonical_without_seq, _content_of, _row_digest
    from madoguchi.core.models import AuditChainHead, AuditEvent

    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=MAX_CHAINS)
        event = AuditEvent(
            chain=MAX_CHAINS,
            seq=head.seq + 1,
            created_at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_label=str(getattr(actor, "email", "") or actor or "system"),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            person_id=person_id,
            fields=sorted(fields),
            purpose=purpose,
            channel=channel,
            client_ip=client_ip,
            prev_hash=head.hash,
        )
        event.hash = _row_digest(head.hash, _canonical(_canonical_without_seq(_content_of(event)), event.seq))
        event.save()
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])


def _floor_write(*, actor, object_id, person_id, **_ignored) -> None:
    """The same row, inserted and committed without any chain (no lock, no hash)."""
    from django.db import transaction
    from django.utils import timezone

    with transaction.atomic(), _cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_audit_floor (chain, seq, created_at, actor_id, actor_label, action, object_type,"
            " object_id, person_id, fields, purpose, channel, client_ip, prev_hash, hash)"
            " VALUES (1, nextval('bench_audit_floor_seq'), %s, %s, %s, 'read', 'case', %s, %s, %s,"
            " 'case_review', 'screen', '192.0.2.10', '', '')",
            [
                timezone.now(),
                actor.pk,
                actor.email,
                object_id,
                person_id,
                '["applicant_name", "comment", "reason"]',
            ],
        )


def _use_one_chain() -> None:
    from django.conf import settings

    settings.AUDIT_CHAINS = 1


def _write_worker(kind: str, staff_id: int, count: int, offset: int, barrier, results) -> None:
    from django.contrib.auth import get_user_model

    from madoguchi.core import audit

    staff = get_user_model().objects.get(pk=staff_id)
    if kind == "one_chain":
        _use_one_chain()
    forgetting = _forgetting(audit.record_access)
    write = {
        "shipped": _shipped_write,
        "locked": lambda staff, n: forgetting(**_row(staff, n)),
        "one_chain": _shipped_write,
        "previous": lambda staff, n: _previous_write(**_row(staff, n)),
        "floor": lambda staff, n: _floor_write(**_row(staff, n)),
    }[kind]
    for n in range(20):  # warm-up: connection, statement plans, chain heads
        write(staff, offset + n)
    barrier.wait()
    samples = []
    counts = {"appended": 0}
    begun = time.monotonic()  # one clock for every process: rows/s spans the block's measured writes
    with _counting_one_statement_appends(counts):
        for n in range(count):
            started = time.perf_counter()
            write(staff, offset + n)
            samples.append((time.perf_counter() - started) * 1000)
    results.put((samples, begun, time.monotonic(), counts["appended"]))


def _request_worker(staff_id: int, references: list[str], count: int, seed: int, barrier, results) -> None:
    """Case-detail requests, rotating through the modes so that they share the same conditions."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from madoguchi.core import audit

    writers = {
        "baseline": lambda **kwargs: None,
        "shipped": audit.record_access,
        "locked": _forgetting(audit.record_access),
        "previous": _previous_write,
        "floor": _floor_write,
    }
    mode = {"current": "shipped"}
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
    counts = {"appended": 0}  # only the shipped mode tries one statement
    with _counting_one_statement_appends(counts):
        for i in range(count):
            shift = (i + seed) % len(REQUEST_MODES)
            for name in REQUEST_MODES[shift:] + REQUEST_MODES[:shift]:
                mode["current"] = name
                samples[name].append(get(i))
    results.put(
        {
            **samples,
            **{f"{name}:inside": values for name, values in inside.items()},
            "shipped:one_statement": counts["appended"],
        }
    )


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


def measure_writes(*, staff_id: int, total: int, writers: int) -> list[tuple[str, list[float], float, int]]:
    """Each variant's samples, rows/s and one-statement appends, measured in ROUNDS alternating blocks so
    that a change of the machine's load during the run weighs on every variant alike."""
    per_writer = total // writers // ROUNDS
    samples: dict[str, list[float]] = {kind: [] for kind in WRITE_KINDS}
    elapsed = dict.fromkeys(WRITE_KINDS, 0.0)
    one_statement = dict.fromkeys(WRITE_KINDS, 0)
    for block in range(ROUNDS):
        for kind in WRITE_KINDS:
            offset = block * 100_000
            parts = _run_processes(
                _write_worker,
                writers,
                lambda i, kind=kind, offset=offset: (kind, staff_id, per_writer, offset + i * 1_000_000),
            )
            elapsed[kind] += max(end for _, _, end, _ in parts) - min(begun for _, begun, _, _ in parts)
            samples[kind].extend(s for part, _, _, _ in parts for s in part)
            one_statement[kind] += sum(appended for _, _, _, appended in parts)
    return [
        (kind, samples[kind], len(samples[kind]) / elapsed[kind], one_statement[kind]) for kind in WRITE_KINDS
    ]


def measure_requests(
    *, staff_id: int, references: list[str], total: int, clients: int
) -> dict[str, list[float]]:
    per_client = total // clients
    parts = _run_processes(_request_worker, clients, lambda i: (staff_id, references, per_client, i))
    keys = [*REQUEST_MODES, *(f"{mode}:inside" for mode in REQUEST_MODES[1:])]
    collected = {key: [s for part in parts for s in part[key]] for key in keys}
    collected["shipped:one_statement"] = sum(part["shipped:one_statement"] for part in parts)
    return collected


def _ratio(value: float, floor: float) -> str:
    return f"{value / floor:.2f}×" if floor > 0 else "—"


def _share(one_statement: int, writes: int, kind: str) -> str:
    return f"{one_statement / writes:.0%}" if kind in ("shipped", "one_chain") else ""


def print_report(
    *, pg_version: str, synchronous_commit: str, chains: int, write_rows, request_rows, args
) -> None:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\nAudit write benchmark — {pg_version}, synchronous_commit={synchronous_commit}, "
        f"chain pool {chains}, {os.cpu_count()} cores (load average before: {args.load_before}; after: "
        f"{load}), Python {platform.python_version()}"
    )
    print(f"\n1. The audit write alone (ms per call; {args.writes} writes per row; ÷ floor: same writers)\n")
    print("| writers | variant | p50 | p95 | p99 | rows/s | p50 ÷ floor | p95 ÷ floor | 1 statement |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    floors = {writers: samples for writers, kind, samples, _, _ in write_rows if kind == "floor"}
    for writers, kind, samples, rate, one_statement in write_rows:
        floor = floors[writers]
        print(
            f"| {writers} | {NAMES[kind]} | {_p(samples, 50):.2f} | {_p(samples, 95):.2f} | "
            f"{_p(samples, 99):.2f} | {rate:,.0f} | {_ratio(_p(samples, 50), _p(floor, 50))} | "
            f"{_ratio(_p(samples, 95), _p(floor, 95))} | {_share(one_statement, len(samples), kind)} |"
        )
    requests = len(request_rows[0][1]["baseline"])
    print(f"\n2. Case-detail request (ms; variants interleaved in the same run, {requests} requests each)\n")
    print(
        "`request`: the whole request; `added`: request percentile minus the baseline's (noisy: different "
        "requests); `write in request`: the audit call itself, timed inside the request (the direct measure; "
        "÷ floor divides it by the floor's write in the same requests; the ≤ 2 ms column judges its p95).\n"
    )
    print(
        "| clients | variant | request p50 | p95 | added p50 | added p95 | write in request p50 | p95 "
        "| p50 ÷ floor | p95 ÷ floor | ≤ 2 ms | 1 statement |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for clients, samples in request_rows:
        base, floor = samples["baseline"], samples["floor:inside"]
        print(
            f"| {clients} | {NAMES['baseline']} | {_p(base, 50):.2f} | {_p(base, 95):.2f} | | | | | | | | |"
        )
        for name in REQUEST_MODES[1:]:
            inside = samples[f"{name}:inside"]
            verdict = "✔" if _p(inside, 95) <= 2 else "✘"
            print(
                f"| {clients} | {NAMES[name]} | {_p(samples[name], 50):.2f} | {_p(samples[name], 95):.2f} | "
                f"{_p(samples[name], 50) - _p(base, 50):+.2f} | {_p(samples[name], 95) - _p(base, 95):+.2f} | "
                f"{_p(inside, 50):.2f} | {_p(inside, 95):.2f} | {_ratio(_p(inside, 50), _p(floor, 50))} | "
                f"{_ratio(_p(inside, 95), _p(floor, 95))} | {verdict} | "
                f"{_share(samples['shipped:one_statement'], len(inside), name)} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writes", type=int, default=4000, help="audit writes per row (default 4000)")
    parser.add_argument("--requests", type=int, default=600, help="requests per variant (default 600)")
    parser.add_argument("--writers", type=int, default=8, help="concurrent processes (default 8)")
    parser.add_argument(
        "--chains", type=int, default=None, help="chain pool size (default: MADOGUCHI_AUDIT_CHAINS, or 8)"
    )
    parser.add_argument(
        "--database", default=DB_NAME, help=f"database to create and drop on the server (default {DB_NAME})"
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    args.load_before = ", ".join(f"{value:.1f}" for value in os.getloadavg())

    _admin_execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    _admin_execute(f'CREATE DATABASE "{args.database}"')
    try:
        _setup_django(args.database, args.chains)
        from django.conf import settings

        staff_id, references = _seed()
        with _cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            synchronous_commit = cursor.fetchone()[0]
            cursor.execute("SELECT version()")
            pg_version = cursor.fetchone()[0].split(" on ")[0]
        write_rows = [
            (writers, *row)
            for writers in (1, args.writers)
            for row in measure_writes(staff_id=staff_id, total=args.writes, writers=writers)
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

        call_command("audit", "verify")  # concurrent writers of every variant left intact chains
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _admin_execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    print_report(
        pg_version=pg_version,
        synchronous_commit=synchronous_commit,
        chains=settings.AUDIT_CHAINS,
        write_rows=write_rows,
        request_rows=request_rows,
        args=args,
    )


if __name__ == "__main__":
    main()
