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


@dataclass
class DeclineRaceOutcome:
    filings: int = 0
    refusals: int = 0  # told why (AlreadyDeclined, AppliedCannotDecline): the loser of an online race
    errors: list[BaseException] = field(default_factory=list)
    double_slots: int = 0  # households with more than one live row under the index
    both_won: int = 0  # households with a decline in effect and an application received or approved
    live_slots: int = 0
    winners: int = 0  # households with a decline in effect or an application received or approved


def race_declines(
    *, program_id: int, household_ids: list[int], workers: int, forced: bool
) -> DeclineRaceOutcome:
    """Half the workers decline, half apply, for the same households at the same moment.

    `forced` False: online, as residents do it (a decline refused beside an application, an application beside
    a decline): one filing per household wins, the others are told why. `forced` True: on paper (the loser
    becomes a conflict), and then every filing is pushed at the household's slot whatever its status — each
    decline's row is inserted, each application approved — so only the database's index decides."""
    from madoguchi.benefits.models import Application, ApplicationKind, ApplicationStatus

    outcome = DeclineRaceOutcome()
    barrier = threading.Barrier(workers)
    lock = threading.Lock()

    def work(index: int) -> None:
        declining = index % 2 == 0
        # A decliner and an applier start at each end of the list at the same moment, so that for some
        # households the decline comes first and for others the application.
        order = household_ids if index % 4 in (0, 3) else list(reversed(household_ids))
        channel = Channel.PAPER if forced else Channel.ONLINE
        try:
            program = Program.objects.get(pk=program_id)
            barrier.wait(timeout=60)
            for household_id in order:
                household = Household(pk=household_id)
                try:
                    if declining:
                        filed = services.decline(
                            program=program, household=household, channel=channel, refuse_if_open=not forced
                        )
                    else:
                        filed = services.apply(
                            program=program,
                            household=household,
                            channel=channel,
                            account=ACCOUNT,
                            refuse_if_declined=not forced,
                        )
                except (services.AlreadyDeclined, services.AppliedCannotDecline):
                    with lock:
                        outcome.refusals += 1
                    continue
                if forced and declining:
                    services._take_slot_for_decline(filed, None, filed.submitted_at)
                elif forced:
                    _approve_even_if_in_conflict(filed.pk)
                with lock:
                    outcome.filings += 1
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
    live = Payment.objects.filter(LIVE_PAYMENT, program_id=program_id)
    outcome.live_slots = live.count()
    outcome.double_slots = live.values("household_id").annotate(n=Count("id")).filter(n__gt=1).count()
    declined = set(
        Application.objects.filter(
            program_id=program_id, kind=ApplicationKind.DECLINE, status=ApplicationStatus.DECLINED
        ).values_list("household_id", flat=True)
    )
    applied = set(
        Application.objects.filter(
            program_id=program_id,
            kind=ApplicationKind.APPLICATION,
            status__in=[ApplicationStatus.RECEIVED, ApplicationStatus.APPROVED],
        ).values_list("household_id", flat=True)
    )
    outcome.both_won = len(declined & applied)
    outcome.winners = len(declined | applied)
    return outcome
