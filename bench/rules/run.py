"""Rules benchmark (issue 12): what evaluating the rules adds to the import of a 5,000-change difference file.

    .venv/bin/python -m bench.rules.run [--residents 50000] [--changes 5000]

On PostgreSQL (127.0.0.1:5432, user postgres): loads a demo town as a full registry file into one database,
copies that database (CREATE DATABASE … TEMPLATE), then imports the same difference file (bench/residents'
mix: 転居, 転出, 死亡, 世帯分離, 職権修正, 出生, 転入) into each copy, with events dispatched in-process so the
subscribers' work is inside the timing:

- baseline: no rule published;
- rules: the shipped rules (rules/*.yaml) published: every resident.moved_in, moved_out, born and died event
  is evaluated and each match recorded (a Firing and its ActionRuns) in the event's dispatch. The actions
  themselves go to the `automation` queue, as with a broker: the bench collects them there and carries them
  out afterwards, timed apart (a worker's time, not the import's).

Prints both import times, the difference (target ≤ 1 s) and the ratio; the CEL evaluation alone of every
event of the file (the pure engine, in memory); and the time to carry out the queued actions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVER = "postgres://postgres@127.0.0.1:5432"
BASE_DB, RULES_DB = "madoguchi_bench_rules_base", "madoguchi_bench_rules_on"


def _admin(*statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _use_database(name: str) -> None:
    from django.conf import settings
    from django.db import connection

    connection.close()
    settings.DATABASES["default"]["NAME"] = name
    connection.settings_dict["NAME"] = name


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=50_000)
    parser.add_argument("--changes", type=int, default=5_000)
    args = parser.parse_args()

    _admin(
        f'DROP DATABASE IF EXISTS "{RULES_DB}"',
        f'DROP DATABASE IF EXISTS "{BASE_DB}"',
        f'CREATE DATABASE "{BASE_DB}"',
    )
    os.environ["DATABASE_URL"] = f"{SERVER}/{BASE_DB}"
    os.environ["MADOGUCHI_LOG_LEVEL"] = "ERROR"
    os.environ.pop(
        "MADOGUCHI_CELERY_BROKER_URL", None
    )  # in-process dispatch: subscribers run inside the import
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench.residents.run import write_difference_file, write_full_file
    from madoguchi.automation import services
    from madoguchi.automation.models import ActionRun, Firing
    from madoguchi.automation.rules.spec import plan_actions
    from madoguchi.automation.rules.topics import complete_payload, topics_fed_by
    from madoguchi.automation.services import publish_rules
    from madoguchi.core.models import OutboxEvent
    from madoguchi.demo.services import ensure_departments
    from madoguchi.residents.services import import_registry_csv

    call_command("migrate", verbosity=0)
    ensure_departments()
    with tempfile.TemporaryDirectory() as folder:
        full, difference = Path(folder) / "full.csv", Path(folder) / "difference.csv"
        households = write_full_file(full, args.residents)
        mix = write_difference_file(
            full, difference, changes=args.changes, residents=args.residents, households=households
        )
        print(
            f"town: {args.residents:,} residents, {households:,} households; difference file: {sum(mix.values()):,} changes {mix}"
        )
        started = time.perf_counter()
        report = import_registry_csv(source=full, kind="full", reference_date=dt.date(2026, 4, 1))
        assert report.applied
        print(f"full import (not compared): {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        connection.close()
        _admin(f'CREATE DATABASE "{RULES_DB}" TEMPLATE "{BASE_DB}"')

        def timed_difference() -> float:
            started = time.perf_counter()
            report = import_registry_csv(
                source=difference, kind="difference", reference_date=dt.date(2026, 4, 1)
            )
            seconds = time.perf_counter() - started
            if not report.applied:
                raise SystemExit(f"the difference file was rejected: {report.problems.count} problems")
            return seconds

        _use_database(BASE_DB)
        baseline = timed_difference()
        assert not Firing.objects.exists()

        _use_database(RULES_DB)
        published = publish_rules(paths=[settings.RULES_DIR], published_by="bench")
        queued: list[int] = []
        real_schedule = services._schedule
        services._schedule = queued.extend  # the automation queue, as a broker would hold it
        try:
            with_rules = timed_difference()
        finally:
            services._schedule = real_schedule
        started = time.perf_counter()
        services.run_actions(queued)
        acting = time.perf_counter() - started
        payloads = list(
            OutboxEvent.objects.filter(topic__startswith="resident.").values_list("topic", "payload")
        )
        started = time.perf_counter()
        evaluated = 0
        for topic, payload in payloads:
            for rule_topic in topics_fed_by(topic, payload):
                completed = complete_payload(rule_topic, payload)
                for _version, rule in services.rules_for(rule_topic):
                    plan_actions(rule, completed)
                    evaluated += 1
        evaluation = time.perf_counter() - started
        firings = Firing.objects.count()
        actions = dict(
            ActionRun.objects.values_list("status")
            .annotate(n=django.db.models.Count("id"))
            .values_list("status", "n")
        )
        kinds = dict(
            ActionRun.objects.values_list("kind")
            .annotate(n=django.db.models.Count("id"))
            .values_list("kind", "n")
        )

    connection.close()
    _admin(f'DROP DATABASE IF EXISTS "{RULES_DB}"', f'DROP DATABASE IF EXISTS "{BASE_DB}"')
    added = with_rules - baseline
    print(f"\nPostgreSQL, events dispatched in-process; rules published: {published.summary()}")
    print(f"{'difference file import':<40} {'time':>9}")
    print(f"{'  without rules (baseline)':<40} {baseline:>7.2f} s")
    print(f"{'  with the shipped rules':<40} {with_rules:>7.2f} s")
    print(f"{'  added by the rules':<40} {added:>7.2f} s   target ≤ 1 s   ratio {with_rules / baseline:.2f}×")
    print(
        f"{'  CEL evaluation alone (pure engine)':<40} {evaluation:>7.2f} s   {evaluated:,} evaluations of {len(payloads):,} events"
    )
    print(
        f"{'  carrying out the queued actions':<40} {acting:>7.2f} s   (automation queue, after the import)"
    )
    print(f"firings: {firings:,}; actions by kind {kinds}; by outcome {actions}")


if __name__ == "__main__":
    main()
