"""The booking service's two PostgreSQL paths side by side, in one process, interleaved (so that both see the
same machine load): a first dose as ONE statement (the conditional seat UPDATE feeding the INSERT, autocommit)
and as the explicit transaction (BEGIN, UPDATE, INSERT, COMMIT) that dose 2 and SQLite use.

    .venv/bin/python -m bench.booking.paths [--bookings 3000] [--database-url postgres://…/madoguchi_bench_paths]

Seeds (once) its own database with the booking bench's seeding, resets its bookings, then books `--bookings`
invitations alternately on each path and prints the median, mean and p90 of `services.book` per path.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

from bench.booking import run as bench
from bench.common import ensure_database, setup_django

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/madoguchi_bench_paths"


class _NotPostgres:
    vendor = "other"  # services.book then takes the explicit transaction


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bookings", type=int, default=3000)
    parser.add_argument("--database-url", default=DEFAULT_DB)
    args = parser.parse_args()
    residents = max(1000, -(-args.bookings // 1000) * 1000)
    ensure_database(args.database_url)
    setup_django(args.database_url)
    _campaign, codes, slot_ids, _timings = bench.prepare(residents=residents, slots=100)
    from madoguchi.vaccination import services

    real = services.connection
    one: list[float] = []
    transaction: list[float] = []
    try:
        for i, code in enumerate(codes[: args.bookings]):
            invitee = services.find_invitation(code=code, birth_date=bench.BIRTH)
            single = i % 2 == 0
            services.connection = real if single else _NotPostgres()
            started = time.perf_counter()
            result = services.book(
                invitee=invitee, slot_id=slot_ids[i % len(slot_ids)], idempotency_key=uuid.uuid4().hex
            )
            (one if single else transaction).append((time.perf_counter() - started) * 1000)
            assert result.created
    finally:
        services.connection = real
    for name, samples in (("one statement", one), ("BEGIN/UPDATE/INSERT/COMMIT", transaction)):
        samples.sort()
        print(
            f"{name}: {len(samples)} bookings, median {statistics.median(samples):.2f} ms, "
            f"mean {statistics.mean(samples):.2f} ms, p90 {samples[int(0.9 * len(samples))]:.2f} ms"
        )


if __name__ == "__main__":
    main()
