"""Workers applying online and on paper for the same households at once, each approving at once (the bench and
the PostgreSQL test): the database's once-per-household index must leave exactly one live payment each."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count

from madoguchi.benefits import services
from madoguchi.benefits.models import LIVE_PAYMENT, Channel, Payment, Program
from madoguchi.residents.models import Household

ACCOUNT = services.AccountInput("0001", "001", "1", "1234567", "ﾐﾄﾞﾘ ﾀﾛｳ")


@dataclass
class RaceOutcome:
    applications: int = 0
    errors: list[BaseException] = field(default_factory=list)
    double_payments: int = 0


def race_applications(
    *, program_id: int, household_ids: list[int], workers: int, copies: int | None = None
) -> RaceOutcome:
    """`copies` workers (half online, half paper) apply for each household; all of them by default."""
    copies = min(copies or workers, workers)
    groups = max(1, workers // copies)
    outcome = RaceOutcome()
    barrier = threading.Barrier(workers)
    lock = threading.Lock()

    def work(index: int) -> None:
        channel = (Channel.ONLINE, Channel.PAPER)[index % 2]
        mine = [h for n, h in enumerate(household_ids) if n % groups == (index // 2) % groups]
        order = mine if index % 2 == 0 else list(reversed(mine))
        try:
            program = Program.objects.get(pk=program_id)
            barrier.wait(timeout=60)
            for household_id in order:
                household = Household(pk=household_id)
                application = services.apply(
                    program=program, household=household, channel=channel, account=ACCOUNT
                )
                _approve_even_if_in_conflict(application.pk)
                with lock:
                    outcome.applications += 1
        except BaseException as exc:
            with lock:
                outcome.errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.double_payments = (
        Payment.objects.filter(LIVE_PAYMENT, program_id=program_id)
        .values("household_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return outcome


def _approve_even_if_in_conflict(application_id: int) -> None:
    from madoguchi.benefits.models import Application

    Application.objects.filter(pk=application_id).update(status="received")
    services._approve([application_id], None, services.ApprovalReport())
