"""Benefits benchmark on PostgreSQL: eligibility, letters, the 全銀 file, and racing applications.

    .venv/bin/python -m bench.benefits.run [--households 230000] [--persons 500000] [--letters 5000]
                                           [--layouts a4,hagaki]
                                           [--payments 200000] [--race-households 2000] [--workers 16]
                                           [--database madoguchi_bench_benefits] [--keep]
    make bench-benefits ARGS="--race-households 10000"

Creates the database on 127.0.0.1:5432 (user postgres), migrates it and seeds, with set-based SQL, a registry of
`--persons` residents in `--households` households (periods from 2010; one household in 50 moved in after the
base date), a 2025 tax record per person (nine households in ten 非課税) and a 公金受取口座 for four heads in
five. Then it measures, each against its target in the issue:

1. `services.compute_eligibility` (the eligible households and their 確認書, two SQL statements) ≤ 30 s;
2. `printing.print_letters` on `--letters` confirmations in each of `--layouts` (A4: a page per household;
   圧着はがき: two, outside and inside; QR and return part; chunks merged into one PDF): households per second
   ≥ 50 (for A4 the same as pages per second), and the ratio between the layouts;
3. `--workers` threads applying online (even workers) and on paper (odd ones) for the same `--race-households`
   households (`--copies` workers for each household, pairs of online and paper in opposite orders), each approving its application at once even when it is a conflict, so that only the database's
   partial unique index stands between them and a double payment: double payments must be 0;
4. `services.export_payments` of `--payments` approved payments (applications and payments for the other
   eligible households are inserted with SQL first) ≤ 10 s, and the pure writer alone on the same transfers;
   the file is read back with `zengin.read_transfer_file`.

The database is dropped at the end unless --keep is given.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVER = "postgres://postgres@127.0.0.1:5432"


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _setup(database: str) -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{database}"
    os.environ["MADOGUCHI_LOG_LEVEL"] = "ERROR"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _insert_select(model, overrides: dict[str, str], source: str) -> None:
    """INSERT INTO model's table (every concrete column) SELECT the overrides or each field's empty value."""
    from django.db import connection

    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.name in overrides:
            values.append(overrides[field.name])
        elif field.null:
            values.append("NULL")
        elif field.has_default() and isinstance(field.get_default(), bool):
            values.append("TRUE" if field.get_default() else "FALSE")
        elif field.has_default() and field.get_default() not in ("", None) and not callable(field.default):
            values.append(repr(str(field.get_default())).replace('"', "'"))
        else:
            values.append("''")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} {source}"
        )


def seed(households: int, persons: int) -> None:
    from django.db import connection

    from madoguchi.benefits.models import PublicAccount, TaxRecord
    from madoguchi.residents.models import Household, Person, PersonPeriod

    per = persons / households
    _insert_select(Household, {"number": "'H' || g"}, f"FROM generate_series(1, {households}) g")
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id) FROM residents_household")
        first = cursor.fetchone()[0]
    hh = f"({first} + floor((g - 1) / {per})::int)"
    _insert_select(
        Person,
        {
            "atena_number": "'A' || g",
            "household": hh,
            "name": "'緑川　花子'",
            "name_kana": "'ミドリカワ　ハナコ'",
            "birth_date": "DATE '1950-01-01' + (g::bigint * 7919 % 25000)::int",
            "sex": "'2'",
            "relationship": f"CASE WHEN g = 1 OR {hh} <> ({first} + floor((g - 2) / {per})::int) THEN '世帯主' ELSE '子' END",
            "postal_code": "'0000021'",
            "prefecture": "'みどり県'",
            "city": "'みどり市'",
            "town": "'緑町'",
            "banchi": "g || '番'",
            "is_active": "TRUE",
            "status": "'1'",
            "resident_type": "'1'",
        },
        f"FROM generate_series(1, {persons}) g",
    )
    _insert_select(
        PersonPeriod,
        {
            "person": "p.id",
            "household": "p.household_id",
            "relationship": "p.relationship",
            "address_key": "'k'",
            "valid_from": "CASE WHEN p.household_id % 50 = 0 THEN DATE '2025-09-01' ELSE DATE '2010-04-01' END",
        },
        "FROM residents_person p",
    )
    _insert_select(
        TaxRecord,
        {
            "person": "p.id",
            "fiscal_year": "2025",
            "non_taxed": "p.household_id % 10 <> 0",
            "income": "0",
            "imported_at": "now()",
        },
        "FROM residents_person p",
    )
    _insert_select(
        PublicAccount,
        {
            "person": "p.id",
            "bank_code": "'0005'",
            "branch_code": "'001'",
            "account_type": "'1'",
            "account_number": "lpad((1000000 + p.id % 8999999)::text, 7, '0')",
            "holder_kana": "'ﾐﾄﾞﾘｶﾜ ﾊﾅｺ'",
            "imported_at": "now()",
        },
        "FROM residents_person p WHERE p.relationship = '世帯主' AND p.household_id % 5 <> 0",
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def bulk_payments(program, count: int) -> int:
    """Applications and approved payments for eligible households without one, with SQL (the setup of step 4).

    A household whose 確認書 holds no account (no 公金受取口座, one in five) applies with one it wrote in."""
    from django.db import connection

    from madoguchi.benefits.models import Application, Payment

    source = f"""FROM (SELECT e.* FROM benefits_eligibility e
        JOIN benefits_confirmation c ON c.eligibility_id = e.id
        WHERE e.program_id = {program.pk}
          AND NOT EXISTS (SELECT 1 FROM benefits_application a WHERE a.eligibility_id = e.id)
        ORDER BY e.id LIMIT {count}) e JOIN benefits_confirmation c ON c.eligibility_id = e.id"""
    _insert_select(
        Application,
        {
            "number": "'BULK-' || e.id",
            "program": "e.program_id",
            "eligibility": "e.id",
            "household": "e.household_id",
            "channel": "'paper'",
            "status": "'approved'",
            "bank_code": "COALESCE(NULLIF(c.bank_code, ''), '0005')",
            "branch_code": "COALESCE(NULLIF(c.branch_code, ''), '001')",
            "account_type": "COALESCE(NULLIF(c.account_type, ''), '1')",
            "account_number": "COALESCE(NULLIF(c.account_number, ''), lpad((1000000 + e.id % 8999999)::text, 7, '0'))",
            "holder_kana": "COALESCE(NULLIF(c.holder_kana, ''), 'ﾐﾄﾞﾘｶﾜ ﾀﾛｳ')",
            "account_corrected": "c.bank_code = ''",
            "submitted_at": "now()",
        },
        source,
    )
    _insert_select(
        Payment,
        {
            "program": "a.program_id",
            "household": "a.household_id",
            "application": "a.id",
            "amount": "e.amount",
            "status": "'approved'",
            "approved_at": "now()",
        },
        "FROM benefits_application a JOIN benefits_eligibility e ON e.id = a.eligibility_id WHERE a.number LIKE 'BULK-%%'",
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Payment.objects.filter(program=program, status="approved").count()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=230_000)
    parser.add_argument("--persons", type=int, default=500_000)
    parser.add_argument("--letters", type=int, default=5_000, help="households per letter layout")
    parser.add_argument("--layouts", default="a4,hagaki", help="letter layouts of step 2, in order")
    parser.add_argument("--tmp", default="", help="directory for the letter PDFs (default: the system's)")
    parser.add_argument("--payments", type=int, default=200_000)
    parser.add_argument("--race-households", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument(
        "--copies", type=int, default=4, help="workers applying for each household (half online)"
    )
    parser.add_argument("--database", default="madoguchi_bench_benefits")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--steps", default="1,2,3,4", help="the steps to run, e.g. 1,4")
    parser.add_argument("--zengin-out", default="", help="also keep the 全銀 file of step 4 at this path")
    args = parser.parse_args(argv)
    steps = {int(step) for step in args.steps.split(",")}

    _admin(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{args.database}"')
    failures = []
    try:
        _setup(args.database)
        from django.db import connection

        from madoguchi.benefits import printing, services, zengin
        from madoguchi.benefits.models import Eligibility, Payment
        from madoguchi.benefits.tests.concurrency import race_applications
        from madoguchi.benefits.tests.support import make_program

        load = os.getloadavg()[0]
        print(
            f"load average {load:.1f} on {os.cpu_count()} cores at the start (wall-clock figures follow the load)"
        )
        started = time.perf_counter()
        seed(args.households, args.persons)
        print(
            f"seeded {args.persons:,} persons in {args.households:,} households in {time.perf_counter() - started:.1f} s"
        )
        program = make_program(slug="bench-kyufu")

        started = time.perf_counter()
        report = services.compute_eligibility(program=program)
        seconds = time.perf_counter() - started
        ok = seconds <= 30
        failures += [] if ok else ["eligibility"]
        print(
            f"1. eligibility: {report.eligible:,} eligible households, {report.confirmations_created:,} 確認書, "
            f"{report.amount:,} yen in {seconds:.1f} s (target ≤ 30 s: {'ok' if ok else 'MISSED'})"
        )

        if 2 in steps:
            rates = {}
            for layout in args.layouts.split(","):
                with tempfile.TemporaryDirectory(dir=args.tmp or None) as tmp:
                    load = os.getloadavg()[0]
                    batch = printing.print_letters(
                        program=program, path=Path(tmp) / "letters.pdf", limit=args.letters, layout=layout,
                        reprint=True,
                    )  # fmt: skip
                    size = (Path(tmp) / "letters.pdf").stat().st_size
                rate = batch.letters / batch.seconds
                rates[layout] = rate
                ok = rate >= 50
                failures += [] if ok else [f"letters {layout}"]
                print(
                    f"2. letters ({layout}): {batch.letters:,} households, {batch.pages:,} pages, "
                    f"{size / 1e6:.0f} MB in {batch.seconds:.1f} s = {rate:.0f} households/s, "
                    f"{batch.pages / batch.seconds:.0f} pages/s, {size / batch.pages / 1024:.1f} KiB a page "
                    f"(load {load:.1f} → {os.getloadavg()[0]:.1f}; target ≥ 50 households/s: {'ok' if ok else 'MISSED'})"
                )
            if len(rates) > 1:
                first, *others = list(rates)
                for other in others:
                    print(f"   {other} / {first}: ×{rates[other] / rates[first]:.2f} households per second")

        if 3 in steps:
            race_ids = list(
                Eligibility.objects.filter(program=program, active=True)
                .order_by("id")
                .values_list("household_id", flat=True)[: args.race_households]
            )
            connection.close()
            started = time.perf_counter()
            outcome = race_applications(
                program_id=program.pk, household_ids=race_ids, workers=args.workers, copies=args.copies
            )
            seconds = time.perf_counter() - started
            live = (
                Payment.objects.filter(program=program).exclude(status__in=["returned", "cancelled"]).count()
            )
            ok = outcome.double_payments == 0 and not outcome.errors and live == len(race_ids)
            failures += [] if ok else ["race"]
            print(
                f"3. race: {args.workers} workers ({args.copies} per household), {outcome.applications:,} applications for the same {len(race_ids):,} "
                f"households in {seconds:.1f} s ({outcome.applications / seconds:.0f}/s): {live:,} live payments, "
                f"{outcome.double_payments} double payments, {len(outcome.errors)} errors ({'ok' if ok else 'FAILED'})"
            )
            for error in outcome.errors[:3]:
                print(f"   error: {error!r}")

        live = live if 3 in steps else 0
        if 4 in steps:
            approved = bulk_payments(program, max(0, args.payments - live))
            Payment.objects.filter(program=program, status="approved").count()
            with tempfile.TemporaryDirectory() as tmp:
                target = Path(tmp) / "zengin.txt"
                started = time.perf_counter()
                result = services.export_payments(program=program, path=target)
                seconds = time.perf_counter() - started
                data = target.read_bytes()
                started = time.perf_counter()
                parsed = zengin.read_transfer_file(data)
                read_seconds = time.perf_counter() - started
            if args.zengin_out:
                Path(args.zengin_out).write_bytes(data)
            from bench.benefits import zengin_check

            started = time.perf_counter()
            checked = zengin_check.check(data)
            check_seconds = time.perf_counter() - started
            for violation in checked.violations[:5]:
                print(f"   checker: {violation}")
            transfers = [
                zengin.Transfer(
                    reference=str(i),
                    payment_number=i,
                    bank_code="0005",
                    branch_code="001",
                    account_type="1",
                    account_number=f"{1000000 + i % 8999999:07d}",
                    holder=f"ﾐﾄﾞﾘｶﾜ ﾊﾅｺ{i % 100}",
                    amount=30000,
                )
                for i in range(1, result.count + 1)
            ]
            started = time.perf_counter()
            zengin.build_transfer_file(
                services.remitter_of(program), transfers, transfer_date=program.base_date
            )
            pure = time.perf_counter() - started
            ok = (
                seconds <= 10
                and len(parsed.records) == result.count == approved
                and not checked.errors
                and checked.data_count == result.count
                and checked.data_sum == result.total
            )
            failures += [] if ok else ["zengin"]
            print(
                f"4. zengin: export_payments of {result.count:,} payments ({result.total:,} yen, {len(data) / 1e6:.1f} MB) "
                f"in {seconds:.1f} s (target ≤ 10 s: {'ok' if ok else 'MISSED'}); the pure writer alone {pure:.1f} s; "
                f"read back in {read_seconds:.1f} s; the independent checker: {len(checked.errors)} errors, "
                f"{len(checked.warnings)} warnings, {checked.data_count:,} records, {checked.data_sum:,} yen "
                f"in {check_seconds:.1f} s"
            )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _admin(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print("all targets met" if not failures else f"missed: {', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
