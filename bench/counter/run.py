"""Counter visit benchmark (issue: 書かない窓口): a three-form visit from the QR read to the printable PDF.

    .venv/bin/python -m bench.counter.run [--visits 20] [--database-url URL]

A resident's phone pre-fill for 出生 (jido-teate, kodomo-iryohi, kokuho-kanyu) is issued beforehand (not
timed: that is the phone's part). Timed, as the server does it at the counter, through the real services and
database: read the code (`claim_bundle`), pick the person (`select_person`, audited), record the identity
check, confirm (three counter cases, history rows and outbox events in one transaction) and print every form
of the visit in one PDF (`print_visit`: spec, stored layout, ReportLab). Target: ≤ 1 s server time per visit.
The default database is a fresh SQLite file; `--database-url` takes a PostgreSQL database (it is migrated).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET_SECONDS = 1.0


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--visits", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="madoguchi-bench-counter-"))
    os.environ.setdefault("MADOGUCHI_VAR_DIR", str(workdir))
    _setup(args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}")

    from madoguchi.accounts.models import Role
    from madoguchi.accounts.tests.factories import DepartmentFactory, StaffFactory
    from madoguchi.counter import services
    from madoguchi.counter.models import IdentityDocument
    from madoguchi.counter.tests.support import BIRTH_ANSWERS, BIRTH_FORMS, birth_values, publish_procedures
    from madoguchi.residents.tests.factories import PersonFactory

    publish_procedures()
    clerk = StaffFactory(department=DepartmentFactory(code="shimin"), role=Role.REVIEWER)
    basics = {
        "name": "緑川 花子",
        "address": "みどり市中央一丁目1番1号",
        "birth_date": dt.date(1985, 4, 1),
        "sex": "2",
    }

    def issue() -> str:
        bundle, _token = services.start_bundle(
            guide_id="birth", answers=BIRTH_ANSWERS, event_date=dt.date(2026, 1, 10), slugs=BIRTH_FORMS
        )
        services.save_bundle_values(bundle=bundle, values=birth_values())
        return services.issue_bundle(bundle=bundle).short_code

    def one_visit(code: str, person_id: int) -> tuple[float, int]:
        started = time.perf_counter()
        visit = services.claim_bundle(code=code, staff=clerk, client_ip="127.0.0.1")
        services.select_person(visit=visit, staff=clerk, person_id=person_id)
        services.record_identity_check(visit=visit, staff=clerk, document=IdentityDocument.MY_NUMBER_CARD)
        cases = services.confirm_visit(visit=visit, staff=clerk)
        pdf = services.print_visit(visit=visit, staff=clerk, basics=basics, client_ip="127.0.0.1")
        elapsed = time.perf_counter() - started
        assert len(cases) == 3 and pdf.startswith(b"%PDF")
        return elapsed, len(pdf)

    first, size = one_visit(issue(), PersonFactory().pk)  # fonts and specs loaded once per process
    times = [one_visit(issue(), PersonFactory().pk)[0] for _ in range(args.visits)]
    times.sort()
    p50 = statistics.median(times)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    engine = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    print(
        f"Counter visit benchmark: {platform.node()}, {os.cpu_count()} cores, {engine}, load {os.getloadavg()[0]:.1f}"
    )
    print("| measure | seconds | target |")
    print("|---|---:|---|")
    print(
        f"| first visit of the process (3 cases, {size // 1024} KiB PDF) | {first:.3f} | ≤ {TARGET_SECONDS:.0f} s |"
    )
    print(f"| visit p50 of {len(times)} | {p50:.3f} | ≤ {TARGET_SECONDS:.0f} s |")
    print(f"| visit p95 / max | {p95:.3f} / {times[-1]:.3f} | ≤ {TARGET_SECONDS:.0f} s |")
    print(f"ratio p95 / target: {p95 / TARGET_SECONDS:.2f} ({'✔' if p95 <= TARGET_SECONDS else '✘'})")


if __name__ == "__main__":
    main()
