"""Registry benchmark (issue: resident data hub): a full import of 500,000 residents, a difference file of
5,000 changes, re-imports of both (idempotency), and the as-of household look-up, on PostgreSQL.

    .venv/bin/python -m bench.residents.run [--residents 500000] [--changes 5000] [--lookups 1000]

Drops and creates the database madoguchi_bench_residents on 127.0.0.1:5432 (user postgres), migrates it,
writes both files with the demo generator (not timed), and imports them with `services.import_registry_csv`
as `madoguchi residents import` does. Domain events go to a Redis broker (db 13, emptied at the end) as in
production, so the timings include writing the outbox and queueing, not the subscribers' work; without
Redis they are dispatched in-process and the table says so.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DB_NAME = "madoguchi_bench_residents"
SERVER = "postgres://postgres@127.0.0.1:5432"
BROKER = "redis://127.0.0.1:6379/13"
FIRST_CHANGE_DAY = dt.date(2026, 4, 6)  # the demo registry's 基準日 is 2026-04-01


def _fresh_database() -> str:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return f"{SERVER}/{DB_NAME}"


def _broker_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(BROKER, socket_timeout=1).ping())
    except Exception:
        return False


def _setup_django(url: str, broker: bool) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["MADOGUCHI_LOG_LEVEL"] = "WARNING"
    if broker:
        os.environ["MADOGUCHI_CELERY_BROKER_URL"] = BROKER
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def write_full_file(path: Path, residents: int) -> int:
    from madoguchi.demo import town as demo

    households = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(demo.REGISTRY_HEADER)
        for household in demo.generate_town(residents=residents, seed=1):
            households += 1
            writer.writerows(demo.registry_rows([household]))
    return households


def write_difference_file(full: Path, path: Path, *, changes: int, residents: int, households: int) -> dict:
    """5,000 異動 of distinct persons: 転居, 転出, 死亡, 世帯分離, 職権修正, and new 出生 and 転入."""
    from madoguchi.residents.registry.layout import HEADERS

    rng = random.Random(7)
    col = {header: i for i, header in enumerate(HEADERS)}
    mix = {"11": 0.30, "31": 0.20, "33": 0.10, "21": 0.10, "41": 0.10, "03": 0.10, "01": 0.10}
    plan = [code for code, share in mix.items() for _ in range(round(changes * share))][:changes]
    rng.shuffle(plan)
    existing_kinds = [code for code in plan if code not in ("03", "01")]
    picks = set(rng.sample(range(residents), len(existing_kinds)))
    selected = []
    with full.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for index, row in enumerate(reader):
            if index in picks:
                selected.append(row)
    rng.shuffle(selected)
    heads = [row for row in selected if row[col["続柄"]] == "世帯主"]
    rows, counts = [], {}
    next_atena, next_household = residents + 1, households + 1
    for n, code in enumerate(plan):
        day = FIRST_CHANGE_DAY + dt.timedelta(days=n * 30 // changes)
        if code in ("03", "01"):
            parent = heads[n % len(heads)] if code == "03" else None
            row = list(parent if parent else rng.choice(selected))
            row[col["宛名番号"]] = f"{next_atena:010d}"
            next_atena += 1
            if code == "03":
                row[col["氏名"]] = row[col["氏名"]].split("\u3000")[0] + "\u3000はると"
                row[col["氏名フリガナ"]] = row[col["氏名フリガナ"]].split("\u3000")[0] + "\u3000ハルト"
                row[col["生年月日"]] = day.isoformat()
                row[col["続柄"]] = "子"
            else:
                row[col["世帯番号"]] = f"{next_household:010d}"
                next_household += 1
                row[col["続柄"]] = "世帯主"
                row[col["番地"]] = f"{900 + n % 90}番{n % 30 + 1}号"
                row[col["方書"]] = ""
            row[col["住民となった日"]] = row[col["住所を定めた日"]] = day.isoformat()
            row[col["支援措置"]] = "0"
        else:
            row = list(selected.pop())
            if code == "11":
                row[col["番地"]] = f"{800 + n % 90}番{n % 30 + 1}号"
                row[col["方書"]] = ""
                row[col["住所を定めた日"]] = day.isoformat()
            elif code == "31":
                row[col["住民状態"]] = "2"
            elif code == "33":
                row[col["住民状態"]] = "3"
            elif code == "21":
                row[col["世帯番号"]] = f"{next_household:010d}"
                next_household += 1
                row[col["続柄"]] = "世帯主"
            else:
                row[col["旧氏"]] = "旧姓"
        row[col["異動事由"]] = code
        row[col["異動日"]] = row[col["届出日"]] = day.isoformat()
        rows.append(row)
        counts[code] = counts.get(code, 0) + 1
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return counts


def lookups(households: int, count: int) -> list[float]:
    from madoguchi.residents.selectors import household_members_as_of

    rng = random.Random(11)
    start = dt.date(1990, 1, 1).toordinal()
    end = dt.date(2026, 6, 30).toordinal()
    for _ in range(50):  # warm-up
        household_members_as_of(
            f"{rng.randint(1, households):010d}", dt.date.fromordinal(rng.randint(start, end))
        )
    samples, found = [], 0
    for _ in range(count):
        number = f"{rng.randint(1, households):010d}"
        day = dt.date.fromordinal(rng.randint(start, end))
        started = time.perf_counter()
        members = household_members_as_of(number, day)
        samples.append((time.perf_counter() - started) * 1000)
        found += bool(members)
    print(f"  {found} of {count} look-ups found a household on their date")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=500_000)
    parser.add_argument("--changes", type=int, default=5_000)
    parser.add_argument("--lookups", type=int, default=1_000)
    args = parser.parse_args()

    broker = _broker_available()
    url = _fresh_database()
    _setup_django(url, broker)
    from django.core.management import call_command
    from django.db import connection

    from madoguchi.core.models import OutboxEvent
    from madoguchi.residents.models import Person, PersonPeriod, ResidentChange
    from madoguchi.residents.services import import_registry_csv

    call_command("migrate", verbosity=0)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        full, difference = Path(folder) / "full.csv", Path(folder) / "difference.csv"
        started = time.perf_counter()
        households = write_full_file(full, args.residents)
        print(
            f"full file: {args.residents:,} residents, {households:,} households, "
            f"{full.stat().st_size / 1e6:.0f} MB, written in {time.perf_counter() - started:.1f} s (not timed)"
        )
        mix = write_difference_file(
            full, difference, changes=args.changes, residents=args.residents, households=households
        )
        print(f"difference file: {sum(mix.values()):,} changes by 異動事由 {mix}")

        def timed_import(path: Path, kind: str):
            started = time.perf_counter()
            report = import_registry_csv(source=path, kind=kind, reference_date=dt.date(2026, 4, 1))
            seconds = time.perf_counter() - started
            if not report.applied:
                for problem in list(report.problems)[:20]:
                    print("  ", problem.format("en"))
                raise SystemExit(f"{path.name} was rejected with {report.problems.count} problems")
            return report, seconds

        report, seconds = timed_import(full, "full")
        rows.append((f"full import, {args.residents:,} residents", seconds, "≤ 60 s", report))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        report, seconds = timed_import(difference, "difference")
        rows.append((f"difference file, {args.changes:,} changes", seconds, "≤ 5 s", report))
        report, seconds = timed_import(difference, "difference")
        rows.append(("same difference file again", seconds, "changes nothing", report))
        report, seconds = timed_import(full, "full")
        rows.append(("same full file again (after the differences)", seconds, "", report))

    samples = lookups(households, args.lookups)
    p50 = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=100, method="inclusive")[94]
    print()
    print(
        f"PostgreSQL {connection.pg_version // 10000}, events: {'Redis broker (queued)' if broker else 'in-process dispatch'}"
    )
    print(
        f"{'step':<48} {'time':>9}  {'target':<16} {'new':>8} {'updated':>8} {'unchanged':>9} {'changes':>8} {'events':>7}"
    )
    for name, seconds, target, r in rows:
        print(
            f"{name:<48} {seconds:>7.2f} s  {target:<16} {r.created:>8,} {r.updated:>8,} {r.unchanged:>9,} {r.changes:>8,} {r.events:>7,}"
        )
    print(
        f"{'as-of household look-up, p50 / p95':<48} {p50:>5.2f} / {p95:.2f} ms  target p95 ≤ 10 ms ({len(samples):,} look-ups)"
    )
    print("\nwhere the time went (s):")
    for name, _seconds, _target, r in rows:
        parts = ", ".join(
            f"{key} {value:.2f}" for key, value in sorted(r.timings.items(), key=lambda kv: -kv[1])
        )
        print(f"  {name}: {parts}")
    print(
        f"\nrows: {Person.objects.count():,} persons, {ResidentChange.objects.count():,} changes, "
        f"{PersonPeriod.objects.count():,} periods, {OutboxEvent.objects.count():,} outbox events"
    )
    if broker:
        import redis

        redis.Redis.from_url(BROKER).flushdb()


if __name__ == "__main__":
    main()
