"""Rules benchmark (issue 12): what evaluating the rules adds to the import of a 5,000-change difference file.

    .venv/bin/python -m bench.rules.run [--residents 50000] [--changes 5000] [--rounds 3] [--profile DIR]

On PostgreSQL (127.0.0.1:5432, user postgres): loads a demo town as a full registry file into one database,
copies that database (CREATE DATABASE … TEMPLATE) twice per round, then imports the same difference file
(bench/residents' mix: 転居, 転出, 死亡, 世帯分離, 職権修正, 出生, 転入) into each copy, with events delivered
in-process (no broker: Celery eager, `core.events.dispatch_batch`) so the subscribers' work is inside the timing:

- baseline: no rule published;
- rules: the shipped rules (rules/*.yaml) published: every resident.moved_in, moved_out, born and died event
  is evaluated and each match recorded (a Firing and its ActionRuns) in the delivery of its batch. The actions
  themselves go to the `automation` queue, as with a broker: the bench collects them there and carries them
  out afterwards, timed apart (a worker's time, not the import's).

Each round imports both, the first round the baseline first, the next the rules first, and so on; the medians
are printed: wall time, this process's CPU time and its PostgreSQL backend's (from /proc: a shared machine
makes wall times noisy), the added time (target ≤ 1 s) and the ratio, the time spent inside the rules' batch
subscriber, the load average; then the CEL evaluation alone of every event of the file (the pure engine, in
memory) and the time to carry out the queued actions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
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


def _backend_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a local PostgreSQL backend, from /proc; None when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    wall: float
    cpu: float  # this process
    db_cpu: float | None  # its PostgreSQL backend
    in_rules: float = 0.0  # wall time inside the rules' batch subscriber
    in_rules_cpu: float = 0.0  # and this process's CPU time there


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=50_000)
    parser.add_argument("--changes", type=int, default=5_000)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="imports of each kind, alternating which goes first; medians are reported (default 3)",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="write cProfile stats there: the first round's imports (baseline.prof, rules.prof) and the queued "
        "actions (actions.prof)",
    )
    args = parser.parse_args()
    copies = [(f"{BASE_DB}_{i}", f"{RULES_DB}_{i}") for i in range(args.rounds)]

    def drop_all() -> None:
        _admin(*(f'DROP DATABASE IF EXISTS "{name}"' for pair in copies for name in pair))
        _admin(f'DROP DATABASE IF EXISTS "{RULES_DB}"', f'DROP DATABASE IF EXISTS "{BASE_DB}"')

    drop_all()
    _admin(f'CREATE DATABASE "{BASE_DB}"')
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
    from madoguchi.automation.rules import condition as cel
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
        for pair in copies:
            _admin(*(f'CREATE DATABASE "{name}" TEMPLATE "{BASE_DB}"' for name in pair))

        # The rules' own time: the batch subscriber the outbox calls with each delivered batch of events.
        in_rules = [0.0, 0.0]
        real_fire = services.fire_rules_on_events

        def timed_fire(items):
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return real_fire(items)
            finally:
                in_rules[0] += time.perf_counter() - started
                in_rules[1] += time.process_time() - cpu

        services.fire_rules_on_events = timed_fire

        def timed_difference(name: str, profile: bool) -> Run:
            with connection.cursor() as cursor:  # connect first: the backend's CPU is measured from here
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            db_before = _backend_cpu(pid)
            in_rules[:] = [0.0, 0.0]
            services.forget_rules()  # the rules in force are those of this database
            cel.cache_clear()  # no answers remembered from an earlier round: as a fresh worker
            profiler = None
            if profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            started, cpu = time.perf_counter(), time.process_time()
            report = import_registry_csv(
                source=difference, kind="difference", reference_date=dt.date(2026, 4, 1)
            )
            run = Run(time.perf_counter() - started, time.process_time() - cpu, None, *in_rules)
            db_after = _backend_cpu(pid)
            if db_before is not None and db_after is not None:
                run.db_cpu = db_after - db_before
            if profiler is not None:
                profiler.disable()
                Path(args.profile).mkdir(parents=True, exist_ok=True)
                profiler.dump_stats(str(Path(args.profile) / f"{name}.prof"))
            if not report.applied:
                raise SystemExit(f"the difference file was rejected: {report.problems.count} problems")
            return run

        baselines: list[Run] = []
        with_rules: list[Run] = []
        queued: list[int] = []
        published = None
        for i, (base_db, rules_db) in enumerate(copies):
            _use_database(rules_db)
            published = publish_rules(paths=[settings.RULES_DIR], published_by="bench")
            connection.close()
            order = ["baseline", "rules"] if i % 2 == 0 else ["rules", "baseline"]
            for name in order:
                if name == "baseline":
                    _use_database(base_db)
                    baselines.append(timed_difference(name, bool(args.profile) and i == 0))
                    assert not Firing.objects.exists()
                    continue
                _use_database(rules_db)
                queued.clear()
                real_schedule = services._schedule
                services._schedule = queued.extend  # the automation queue, as a broker would hold it
                try:
                    with_rules.append(timed_difference(name, bool(args.profile) and i == 0))
                finally:
                    services._schedule = real_schedule
        # The last rules database: what the rules recorded, the queued actions carried out, CEL alone.
        firings = Firing.objects.count()
        queued_actions = len(queued)
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        services.run_actions(queued)
        acting = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(Path(args.profile) / "actions.prof"))
        payloads = list(
            OutboxEvent.objects.filter(topic__startswith="resident.").values_list("topic", "payload")
        )
        # CEL alone over every event of the file (pure engine, in memory): as the import evaluates (each
        # condition remembered per values it reads; cleared first), and cel-python on every evaluation.
        cel.cache_clear()
        started = time.perf_counter()
        evaluated = 0
        for topic, payload in payloads:
            for rule_topic in topics_fed_by(topic, payload):
                completed = complete_payload(rule_topic, payload)
                for _version, rule in services.rules_for(rule_topic):
                    plan_actions(rule, completed)
                    evaluated += 1
        evaluation = time.perf_counter() - started
        distinct = cel.evaluations()
        started = time.perf_counter()
        with_condition = 0
        for topic, payload in payloads:
            for rule_topic in topics_fed_by(topic, payload):
                completed = complete_payload(rule_topic, payload)
                for _version, rule in services.rules_for(rule_topic):
                    if rule.condition:
                        cel.evaluate_uncached(rule.condition, completed)
                        with_condition += 1
        every = time.perf_counter() - started
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
    drop_all()
    load = os.getloadavg()

    def median(values):
        return statistics.median(values) if values else float("nan")

    def cpu_text(runs: list[Run]) -> str:
        cpu = median([r.cpu for r in runs])
        db = [r.db_cpu for r in runs if r.db_cpu is not None]
        return f"CPU {cpu:6.2f} s" + (f" + PostgreSQL {median(db):5.2f} s" if db else "")

    base, rules = median([r.wall for r in baselines]), median([r.wall for r in with_rules])
    added = median([r.wall - b.wall for r, b in zip(with_rules, baselines, strict=True)])
    added_cpu = median([r.cpu - b.cpu for r, b in zip(with_rules, baselines, strict=True)])
    db_pairs = [
        (r.db_cpu, b.db_cpu)
        for r, b in zip(with_rules, baselines, strict=True)
        if r.db_cpu is not None and b.db_cpu is not None
    ]
    print(f"\nPostgreSQL, events dispatched in-process; rules published: {published.summary()}")
    print(
        f"{args.rounds} rounds (alternating which import goes first), medians; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"{'difference file import':<40} {'wall':>9}")
    print(f"{'  without rules (baseline)':<40} {base:>7.2f} s   {cpu_text(baselines)}")
    print(f"{'  with the shipped rules':<40} {rules:>7.2f} s   {cpu_text(with_rules)}")
    print(
        f"{'  added by the rules':<40} {added:>7.2f} s   target ≤ 1 s   ratio {rules / base:.2f}×   "
        f"CPU {added_cpu:+.2f} s"
        + (f" + PostgreSQL {median([a - b for a, b in db_pairs]):+.2f} s" if db_pairs else "")
    )
    print(
        f"{'  inside the rules subscriber':<40} {median([r.in_rules for r in with_rules]):>7.2f} s   "
        f"CPU {median([r.in_rules_cpu for r in with_rules]):6.2f} s   (evaluation, the look-up of recorded "
        "firings, writing the firings and actions)"
    )
    print(
        "  each round (baseline / rules, wall s): "
        + ", ".join(f"{b.wall:.2f} / {r.wall:.2f}" for b, r in zip(baselines, with_rules, strict=True))
    )
    print(
        f"{'  CEL alone (pure engine, in memory)':<40} {evaluation:>7.2f} s   {evaluated:,} rule evaluations of "
        f"{len(payloads):,} events; cel-python ran {distinct:,} times (once per distinct input of a condition)"
    )
    print(
        f"{'  cel-python on every evaluation':<40} {every:>7.2f} s   {with_condition:,} conditions evaluated "
        f"({every / max(with_condition, 1) * 1000:.2f} ms each; not remembered)"
    )
    print(
        f"{'  carrying out the queued actions':<40} {acting:>7.2f} s   {queued_actions:,} actions (automation queue, after the import)"
    )
    print(f"firings: {firings:,}; actions by kind {kinds}; by outcome {actions}")


if __name__ == "__main__":
    main()
