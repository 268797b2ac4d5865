"""Rules benchmark (issue 12): what evaluating the rules and carrying out their actions add to the import of a
5,000-change difference file.

    .venv/bin/python -m bench.rules.run [--residents 50000] [--changes 5000] [--rounds 3] [--profile DIR]
                                        [--old-in-process] [--sqlite]

On PostgreSQL (127.0.0.1:5432, user postgres; with --sqlite: SQLite files in a temporary folder, the zero-setup
default): loads a demo town as a full registry file into one database, copies that database (CREATE DATABASE
… TEMPLATE; SQLite's backup API) once per import and round, then imports the same difference
file (bench/residents' mix: 転居, 転出, 死亡, 世帯分離, 職権修正, 出生, 転入) into each copy, with events
delivered in-process (no broker: Celery eager, `core.events.dispatch_batch`) so the subscribers' work is inside
the timing:

- baseline: no rule published;
- rules, actions queued: the shipped rules (rules/*.yaml) published: every resident.moved_in, moved_out, born
  and died event is evaluated and each match recorded (a Firing and its ActionRuns) in the delivery of its
  batch. The actions go to the `automation` queue, as with a broker: the bench collects them there;
- rules, in-process: the zero-setup default (no broker): the actions are carried out in the import's own
  process after each delivered batch commits (`tasks.run_actions`, eager), in bulk (`services.run_actions`);
- with --old-in-process, also the same one action at a time (`run_actions(one_by_one=True)`, the path before
  bulk), in-process.

Each round imports each kind once, rotating which goes first; the medians are printed: wall time, this process's
CPU time and its PostgreSQL backend's (from /proc: a shared machine makes wall times noisy), the time each adds to
the baseline (targets: ≤ 1 s for the rules with the actions queued, ≤ 2 s in-process) and the ratio, the time
spent inside the rules' batch subscriber and inside carrying out the actions, the load average. Then, on the
queued actions of each round's rules import (its database copied first): carrying them out one at a time
(`run_action` each, as before) against in bulk, alternating which goes first, with a check that both left
the same outcomes; and the CEL evaluation alone of every event of the file (the pure engine, in memory).
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
BASE_DB = "madoguchi_bench_rules_base"  # the town after its full import; each import runs in a copy
PREFIX = "madoguchi_bench_rules"
KINDS = ("baseline", "rules", "inprocess", "inprocess_one_by_one")


class Databases:
    """The bench's databases by name: on the PostgreSQL server (copies: CREATE DATABASE … TEMPLATE), or SQLite
    files in a temporary folder (--sqlite; copies with SQLite's backup API)."""

    def __init__(self, sqlite_folder: Path | None) -> None:
        self.folder = sqlite_folder

    def path(self, name: str) -> str:
        return str(self.folder / f"{name}.sqlite3") if self.folder else name

    def url(self, name: str) -> str:
        return f"sqlite:///{self.path(name)}" if self.folder else f"{SERVER}/{name}"

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def create(self, name: str) -> None:
        if not self.folder:
            self._admin(f'CREATE DATABASE "{name}"')

    def copy(self, source: str, *names: str) -> None:
        if not self.folder:
            self._admin(*(f'CREATE DATABASE "{name}" TEMPLATE "{source}"' for name in names))
            return
        import sqlite3

        with sqlite3.connect(self.path(source)) as original:
            for name in names:
                with sqlite3.connect(self.path(name)) as target:
                    original.backup(target)
                target.close()
        original.close()

    def drop(self, *names: str) -> None:
        if not self.folder:
            self._admin(*(f'DROP DATABASE IF EXISTS "{name}"' for name in names))
            return
        for name in names:
            for suffix in ("", "-wal", "-shm"):
                Path(self.path(name) + suffix).unlink(missing_ok=True)

    def use(self, name: str) -> None:
        from django.conf import settings
        from django.db import connection

        connection.close()
        settings.DATABASES["default"]["NAME"] = self.path(name)
        connection.settings_dict["NAME"] = self.path(name)


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
    in_actions: float = 0.0  # wall time carrying out the actions (in-process imports)
    actions: int = 0  # and how many


def _outcomes() -> dict:
    """What carrying out the actions left: actions by kind, status and attempts; tasks, flags and notices made."""
    from django.db.models import Count

    from madoguchi.automation.models import ActionRun, Flag, Task
    from madoguchi.notify.models import Notice

    return {
        "actions": sorted(
            ActionRun.objects.values_list("kind", "status", "attempts").annotate(n=Count("id"))
        ),
        "made": (Task.objects.count(), Flag.objects.count(), Notice.objects.count()),
    }


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
        help="imports of each kind, rotating which goes first; medians are reported (default 3)",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="write cProfile stats there: the first round's imports (baseline.prof, rules.prof, "
        "inprocess.prof…) and its queued actions carried out (actions-one-by-one.prof, actions-bulk.prof)",
    )
    parser.add_argument(
        "--sqlite",
        action="store_true",
        help="SQLite files in a temporary folder (the zero-setup default) instead of PostgreSQL; no database "
        "CPU time is measured",
    )
    parser.add_argument(
        "--old-in-process",
        action="store_true",
        help="also import with the actions carried out in-process one at a time (the path before bulk)",
    )
    args = parser.parse_args()
    kinds = [k for k in KINDS if args.old_in_process or k != "inprocess_one_by_one"]

    def db(kind: str, i: int) -> str:
        return f"{PREFIX}_{kind}_{i}"

    copies = [{kind: db(kind, i) for kind in kinds} for i in range(args.rounds)]
    one_by_one_copies = [db("actions_one_by_one", i) for i in range(args.rounds)]

    sqlite_folder = tempfile.TemporaryDirectory(prefix="bench-rules-") if args.sqlite else None
    databases = Databases(Path(sqlite_folder.name) if sqlite_folder else None)
    _use_database = databases.use

    def drop_all() -> None:
        databases.drop(*(name for pair in copies for name in pair.values()), *one_by_one_copies)
        databases.drop(BASE_DB)

    drop_all()
    databases.create(BASE_DB)
    os.environ["DATABASE_URL"] = databases.url(BASE_DB)
    os.environ["MADOGUCHI_LOG_LEVEL"] = "ERROR"
    os.environ.pop(
        "MADOGUCHI_CELERY_BROKER_URL", None
    )  # in-process dispatch: subscribers (and, in-process, the actions) run inside the import
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench.residents.run import write_difference_file, write_full_file
    from madoguchi.automation import services
    from madoguchi.automation.models import ActionRun, ActionStatus, Firing
    from madoguchi.automation.rules import condition as cel
    from madoguchi.automation.rules.spec import plan_actions
    from madoguchi.automation.rules.topics import complete_payload, topics_fed_by
    from madoguchi.automation.services import publish_rules
    from madoguchi.core.models import OutboxEvent
    from madoguchi.demo.services import ensure_departments
    from madoguchi.residents.services import import_registry_csv

    assert settings.CELERY_TASK_ALWAYS_EAGER  # no broker: tasks run in this process

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
            databases.copy(BASE_DB, *pair.values())

        # The rules' own time: the batch subscriber the outbox calls with each delivered batch of events; and,
        # in-process, carrying out the actions (the eager Celery task calls services.run_actions).
        in_rules = [0.0, 0.0]
        in_actions = [0.0, 0]
        real_fire, real_run_actions = services.fire_rules_on_events, services.run_actions

        def timed_fire(items):
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return real_fire(items)
            finally:
                in_rules[0] += time.perf_counter() - started
                in_rules[1] += time.process_time() - cpu

        services.fire_rules_on_events = timed_fire

        def timed_difference(name: str, profile: bool) -> Run:
            pid = None
            if not args.sqlite:
                with connection.cursor() as cursor:  # connect first: the backend's CPU is measured from here
                    cursor.execute("SELECT pg_backend_pid()")
                    pid = cursor.fetchone()[0]
            db_before = _backend_cpu(pid) if pid else None
            in_rules[:] = [0.0, 0.0]
            in_actions[:] = [0.0, 0]
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
            run = Run(time.perf_counter() - started, time.process_time() - cpu, None, *in_rules, *in_actions)
            db_after = _backend_cpu(pid) if pid else None
            if db_before is not None and db_after is not None:
                run.db_cpu = db_after - db_before
            if profiler is not None:
                profiler.disable()
                Path(args.profile).mkdir(parents=True, exist_ok=True)
                profiler.dump_stats(str(Path(args.profile) / f"{name}.prof"))
            if not report.applied:
                raise SystemExit(f"the difference file was rejected: {report.problems.count} problems")
            return run

        def carry_out(name: str, ids: list[int], *, one_by_one: bool, profile: bool) -> float:
            profiler = None
            if profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            started = time.perf_counter()
            real_run_actions(ids, one_by_one=one_by_one)
            took = time.perf_counter() - started
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(str(Path(args.profile) / f"{name}.prof"))
            return took

        runs: dict[str, list[Run]] = {kind: [] for kind in kinds}
        acting: dict[str, list[float]] = {"one_by_one": [], "bulk": []}
        same_outcomes: list[bool] = []
        queued: list[int] = []
        published = None
        outcomes_in_process: dict = {}
        for i, names in enumerate(copies):
            for name in kinds[1:]:
                _use_database(names[name])
                published = publish_rules(paths=[settings.RULES_DIR], published_by="bench")
            connection.close()
            order = kinds[i % len(kinds) :] + kinds[: i % len(kinds)]
            profile = bool(args.profile) and i == 0
            for kind in order:
                _use_database(names[kind])
                if kind == "baseline":
                    runs[kind].append(timed_difference(kind, profile))
                    assert not Firing.objects.exists()
                elif kind == "rules":
                    queued.clear()
                    real_schedule = services._schedule
                    services._schedule = queued.extend  # the automation queue, as a broker would hold it
                    try:
                        runs[kind].append(timed_difference(kind, profile))
                    finally:
                        services._schedule = real_schedule
                else:  # in-process: the eager task carries the actions out after each batch commits

                    def timed_run_actions(ids, *, one_by_one=kind == "inprocess_one_by_one"):
                        started = time.perf_counter()
                        try:
                            return real_run_actions(ids, one_by_one=one_by_one)
                        finally:
                            in_actions[0] += time.perf_counter() - started
                            in_actions[1] += len(ids)

                    services.run_actions = timed_run_actions
                    try:
                        runs[kind].append(timed_difference(kind, profile))
                    finally:
                        services.run_actions = real_run_actions
                    pending = ActionRun.objects.filter(status=ActionStatus.PENDING).count()
                    assert pending == 0, f"{pending} actions left pending in-process"
                    outcomes_in_process[kind] = _outcomes()
            # The queued actions of this round's rules import, carried out one at a time in a copy of its
            # database and in bulk in the database itself; which goes first alternates.
            _use_database(names["rules"])
            connection.close()
            copy = one_by_one_copies[i]
            databases.copy(names["rules"], copy)
            ways = [("one_by_one", copy), ("bulk", names["rules"])]
            left = {}
            for way, name in ways if i % 2 == 0 else ways[::-1]:
                _use_database(name)
                acting[way].append(
                    carry_out(
                        f"actions-{way.replace('_', '-')}",
                        queued,
                        one_by_one=way == "one_by_one",
                        profile=profile,
                    )
                )
                left[way] = _outcomes()
            connection.close()
            databases.drop(copy)
            same_outcomes.append(
                left["one_by_one"] == left["bulk"]
                and all(o == left["bulk"] for o in outcomes_in_process.values())
            )
            _use_database(names["rules"])
        # The last rules database: what the rules recorded, CEL alone.
        firings = Firing.objects.count()
        queued_actions = len(queued)
        payloads = list(
            OutboxEvent.objects.filter(topic__startswith="resident.").values_list("topic", "payload")
        )
        # CEL alone over every event of the file (pure engine, in memory): as the import evaluates (each
        # condition remembered per values it reads; cleared first), and cel-python on every evaluation.
        services.forget_rules()  # the rules in force of this database (the last import may have had none)
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
        kinds_made = dict(
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

    baselines = runs["baseline"]
    base = median([r.wall for r in baselines])

    def added_text(kind: str, target: str) -> str:
        with_kind = runs[kind]
        wall = median([r.wall for r in with_kind])
        added = median([r.wall - b.wall for r, b in zip(with_kind, baselines, strict=True)])
        added_cpu = median([r.cpu - b.cpu for r, b in zip(with_kind, baselines, strict=True)])
        db_pairs = [
            (r.db_cpu, b.db_cpu)
            for r, b in zip(with_kind, baselines, strict=True)
            if r.db_cpu is not None and b.db_cpu is not None
        ]
        return f"{added:>+7.2f} s   target ≤ {target}   ratio {wall / base:.2f}×   CPU {added_cpu:+.2f} s" + (
            f" + PostgreSQL {median([a - b for a, b in db_pairs]):+.2f} s" if db_pairs else ""
        )

    labels = {
        "rules": "with the rules, actions queued",
        "inprocess": "with the rules, actions in-process",
        "inprocess_one_by_one": "  same, one action at a time (before)",
    }
    if sqlite_folder:
        sqlite_folder.cleanup()
    engine = "SQLite (files)" if args.sqlite else "PostgreSQL"
    print(f"\n{engine}, events dispatched in-process; rules published: {published.summary()}")
    print(
        f"{args.rounds} rounds (rotating which import goes first), medians; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"{'difference file import':<44} {'wall':>9}")
    print(f"{'  without rules (baseline)':<44} {base:>7.2f} s   {cpu_text(baselines)}")
    print(
        f"{'  ' + labels['rules']:<44} {median([r.wall for r in runs['rules']]):>7.2f} s   {cpu_text(runs['rules'])}"
    )
    print(f"{'    added by the rules':<44} {added_text('rules', '1 s')}")
    print(
        f"{'    inside the rules subscriber':<44} {median([r.in_rules for r in runs['rules']]):>7.2f} s   "
        f"CPU {median([r.in_rules_cpu for r in runs['rules']]):6.2f} s   (evaluation, the look-up of recorded "
        "firings, writing the firings and actions)"
    )
    for kind in kinds[2:]:
        with_kind = runs[kind]
        print(
            f"{'  ' + labels[kind]:<44} {median([r.wall for r in with_kind]):>7.2f} s   {cpu_text(with_kind)}"
        )
        print(f"{'    added in-process (no broker)':<44} {added_text(kind, '2 s')}")
        print(
            f"{'    of which carrying out the actions':<44} {median([r.in_actions for r in with_kind]):>7.2f} s   "
            f"{median([r.actions for r in with_kind]):,.0f} actions, "
            + ("one at a time" if kind.endswith("one_by_one") else "in bulk")
            + f"; the rules subscriber {median([r.in_rules for r in with_kind]):.2f} s"
        )
    print(
        f"  each round ({' / '.join(kinds)}, wall s): "
        + ", ".join(" / ".join(f"{runs[kind][i].wall:.2f}" for kind in kinds) for i in range(args.rounds))
    )
    print(
        f"{'  CEL alone (pure engine, in memory)':<44} {evaluation:>7.2f} s   {evaluated:,} rule evaluations of "
        f"{len(payloads):,} events; cel-python ran {distinct:,} times (once per distinct input of a condition)"
    )
    print(
        f"{'  cel-python on every evaluation':<44} {every:>7.2f} s   {with_condition:,} conditions evaluated "
        f"({every / max(with_condition, 1) * 1000:.2f} ms each; not remembered)"
    )
    one, bulk = median(acting["one_by_one"]), median(acting["bulk"])
    print(f"carrying out the {queued_actions:,} queued actions of the rules import (a worker's time)")
    print(
        f"{'  one at a time (run_action each, before)':<44} {one:>7.2f} s   each round: "
        + ", ".join(f"{t:.2f}" for t in acting["one_by_one"])
    )
    print(
        f"{'  in bulk (run_actions)':<44} {bulk:>7.2f} s   target ≤ 2 s   {one / bulk:.1f}× faster   each round: "
        + ", ".join(f"{t:.2f}" for t in acting["bulk"])
    )
    print(
        "  same outcomes one at a time, in bulk and in-process (actions by kind, status, attempts; tasks, "
        f"flags, notices made): {'yes' if all(same_outcomes) else 'NO'}"
    )
    print(f"firings: {firings:,}; actions by kind {kinds_made}; by outcome {actions}")


if __name__ == "__main__":
    main()
