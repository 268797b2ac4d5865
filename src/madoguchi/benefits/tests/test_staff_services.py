"""Staff services: counter and paper applications (never a second open one), rejecting and sending back, and the
race between those and the 全銀 export (PostgreSQL: two connections, one waits on the other's lock)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from madoguchi.benefits import services, zengin
from madoguchi.benefits.models import (
    Application,
    ApplicationStatus,
    Channel,
    Payment,
    PaymentExport,
    PaymentStatus,
    Program,
    PublicAccount,
)

from .support import make_household

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite runs one writer at a time, so an export and a rejection cannot interleave",
)
ACCOUNT = services.AccountInput("0001", "001", "1", "7654321", "ミドリカワ　キョウコ")
WAIT = 30  # seconds a test waits for another connection before it fails (never an assertion on time)


def test_staff_file_counter_and_paper_applications_but_never_a_second_open_one(program, clerk):
    household = make_household()
    services.compute_eligibility(program=program)
    counter = services.apply_by_staff(
        program=program, household_id=household.pk, channel=Channel.COUNTER, account=None, staff=clerk
    )
    assert (counter.channel, counter.status, counter.bank_code, counter.staff) == (
        Channel.COUNTER,
        ApplicationStatus.RECEIVED,
        "0005",
        clerk,
    )
    with pytest.raises(services.AlreadyApplied) as refused:
        services.apply_by_staff(
            program=program, household_id=household.pk, channel=Channel.PAPER, account=ACCOUNT, staff=clerk
        )
    assert refused.value.numbers == [counter.number] and counter.number in refused.value.message("ja")
    assert Application.objects.count() == 1

    services.reject(
        application=counter, staff=clerk, note="取下げ"
    )  # rejected: the household may apply again
    paper = services.apply_by_staff(
        program=program, household_id=household.pk, channel=Channel.PAPER, account=ACCOUNT, staff=clerk
    )
    assert (paper.channel, paper.holder_kana, paper.account_corrected) == (Channel.PAPER, "ﾐﾄﾞﾘｶﾜ ｷﾖｳｺ", True)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"deadline": dt.date(2020, 1, 1)}, "deadline_passed"),
        ({"channels": [Channel.ONLINE, Channel.PAPER]}, "channel_closed"),
        ({"eligibility_computed_at": None}, "eligibility_not_computed"),
    ],
)
def test_a_program_that_does_not_take_staff_applications_now_files_nothing(program, clerk, changes, code):
    household = make_household()
    services.compute_eligibility(program=program)
    Program.objects.filter(pk=program.pk).update(**changes)
    program.refresh_from_db()
    with pytest.raises(services.BenefitError) as refused:
        services.apply_by_staff(
            program=program, household_id=household.pk, channel=Channel.COUNTER, account=None, staff=clerk
        )
    assert refused.value.code == code
    assert not Application.objects.exists()


def test_staff_cannot_file_an_account_the_transfer_file_could_not_carry(program, clerk):
    household = make_household()
    services.compute_eligibility(program=program)
    with pytest.raises(services.BenefitError) as refused:
        services.apply_by_staff(
            program=program,
            household_id=household.pk,
            channel=Channel.COUNTER,
            account=services.AccountInput("0002", "001", "1", "1234567", "ﾐﾄﾞﾘ"),
            staff=clerk,
        )
    assert refused.value.code == "invalid_account" and "0002" in refused.value.message("ja")
    # The 確認書 was pre-filled with an account whose branch has since closed: staff enter another one.
    PublicAccount.objects.update(branch_code="998")
    from madoguchi.benefits.models import Confirmation

    Confirmation.objects.update(branch_code="998")
    with pytest.raises(services.BenefitError) as refused:
        services.apply_by_staff(
            program=program, household_id=household.pk, channel=Channel.COUNTER, account=None, staff=clerk
        )
    assert refused.value.code == "public_account_invalid"
    assert not Application.objects.exists()


def test_an_ineligible_household_gets_no_staff_application(program, clerk):
    taxed = make_household(non_taxed=False)
    services.compute_eligibility(program=program)
    with pytest.raises(services.BenefitError) as refused:
        services.apply_by_staff(
            program=program, household_id=taxed.pk, channel=Channel.COUNTER, account=ACCOUNT, staff=clerk
        )
    assert refused.value.code == "not_eligible"


def test_sending_back_cancels_the_approved_payment_and_a_correction_pays_once(program, clerk, tmp_path):
    household = make_household()
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=household, channel=Channel.ONLINE)
    services.approve(application=application)
    with pytest.raises(services.BenefitError) as refused:
        services.return_to_resident(application=application, staff=clerk, note="")
    assert refused.value.code == "reason_required"
    services.return_to_resident(application=application, staff=clerk, note="口座解約")
    assert Payment.objects.get().status == PaymentStatus.CANCELLED
    with pytest.raises(services.BenefitError) as refused:
        services.return_to_resident(application=application, staff=clerk, note="口座解約")
    assert refused.value.code == "cannot_return"
    services.correct_account(application=application, account=ACCOUNT, staff=clerk)
    services.approve(application=Application.objects.get(pk=application.pk))
    result = services.export_payments(program=program, path=tmp_path / "z.txt")
    assert result.count == 1
    assert (
        zengin.read_transfer_file((tmp_path / "z.txt").read_bytes()).records[0]["account_number"] == "7654321"
    )
    with pytest.raises(services.BenefitError) as refused:
        services.return_to_resident(
            application=Application.objects.get(pk=application.pk), staff=clerk, note="再度"
        )
    assert refused.value.code == "already_paid"


# --- the race with the export (PostgreSQL) --------------------------------------------------------------


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _wait_until_waiting_on_a_lock(pid_of: dict, name: str, done: threading.Event) -> None:
    """Poll pg_stat_activity until the connection of thread `name` waits on a lock (it has reached the point
    where the other transaction holds what it needs). Fails after WAIT seconds or if the thread finished."""
    deadline = threading.Event()
    timer = threading.Timer(WAIT, deadline.set)
    timer.start()
    try:
        while not deadline.is_set():
            pid = pid_of.get(name)
            if pid is not None:
                with connections["default"].cursor() as cursor:
                    cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
                    row = cursor.fetchone()
                if row and row[0] == "Lock":
                    return
            if done.is_set():
                raise AssertionError(f"{name} finished without waiting for the other transaction")
            deadline.wait(0.02)
        raise AssertionError(f"{name} did not wait on a lock within {WAIT} s")
    finally:
        timer.cancel()


def _two_approved(program):
    households = [make_household(), make_household()]
    services.compute_eligibility(program=program)
    applications = [services.apply(program=program, household=h, channel=Channel.COUNTER) for h in households]
    for application in applications:
        services.approve(application=application)
    return applications


def _run(name: str, work, outcome: dict, pid_of: dict, done: threading.Event) -> threading.Thread:
    def target() -> None:
        try:
            pid_of[name] = _backend_pid()
            outcome[name] = work()
        except BaseException as exc:  # the test asserts on it
            outcome[name] = exc
        finally:
            done.set()
            connection.close()

    thread = threading.Thread(target=target, name=name)
    thread.start()
    return thread


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_rejection_while_the_export_is_written_waits_and_is_refused(program, clerk, tmp_path, monkeypatch):
    """The export has marked the payments and is writing the file when staff reject one of them: the rejection
    waits for the export to commit, then sees the payment in the file and refuses. Before the fix the rejection
    went through: the application was rejected while its payment was in the file."""
    first, _second = _two_approved(program)
    writing, release = threading.Event(), threading.Event()
    real_write = zengin.write_transfer_file

    def write_slowly(path, built):
        writing.set()
        assert release.wait(WAIT), "the test never released the export"
        return real_write(path, built)

    monkeypatch.setattr(zengin, "write_transfer_file", write_slowly)
    outcome: dict = {}
    pid_of: dict = {}
    export_done, reject_done = threading.Event(), threading.Event()
    path = tmp_path / "zengin.txt"
    exporting = _run(
        "export", lambda: services.export_payments(program=program, path=path), outcome, pid_of, export_done
    )
    try:
        assert writing.wait(WAIT), "the export did not reach the file"
        rejecting = _run(
            "reject",
            lambda: services.reject(application=first, staff=clerk, note="受給辞退"),
            outcome,
            pid_of,
            reject_done,
        )
        _wait_until_waiting_on_a_lock(pid_of, "reject", reject_done)
    finally:
        release.set()
        exporting.join(WAIT)
    rejecting.join(WAIT)

    assert outcome["export"].count == 2
    assert isinstance(outcome["reject"], services.BenefitError) and outcome["reject"].code == "already_paid"
    assert Application.objects.get(pk=first.pk).status == ApplicationStatus.APPROVED
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.EXPORTED}
    records = zengin.read_transfer_file(path.read_bytes()).records
    assert first.pk in {int(r["customer_code2"]) for r in records}


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_export_started_while_a_rejection_is_committing_waits_and_leaves_the_payment_out(
    program, clerk, tmp_path
):
    """Staff reject an approved application and, before that commits, an export starts: the export waits, then
    writes the file without the cancelled payment. Before the fix the export failed whole ("payments changed")."""
    first, second = _two_approved(program)
    rejected, release = threading.Event(), threading.Event()

    def reject_and_hold():
        from django.db import transaction

        with transaction.atomic():
            services.reject(application=first, staff=clerk, note="受給辞退")
            rejected.set()
            assert release.wait(WAIT), "the test never released the rejection"

    outcome: dict = {}
    pid_of: dict = {}
    export_done, reject_done = threading.Event(), threading.Event()
    path = tmp_path / "zengin.txt"
    rejecting = _run("reject", reject_and_hold, outcome, pid_of, reject_done)
    try:
        assert rejected.wait(WAIT), "the rejection did not happen"
        exporting = _run(
            "export",
            lambda: services.export_payments(program=program, path=path),
            outcome,
            pid_of,
            export_done,
        )
        _wait_until_waiting_on_a_lock(pid_of, "export", export_done)
    finally:
        release.set()
        rejecting.join(WAIT)
    exporting.join(WAIT)

    assert outcome["reject"] is None
    assert not isinstance(outcome["export"], BaseException), outcome["export"]
    assert outcome["export"].count == 1
    assert Application.objects.get(pk=first.pk).status == ApplicationStatus.REJECTED
    assert Payment.objects.get(application=first).status == PaymentStatus.CANCELLED
    exported = PaymentExport.objects.get()
    assert list(exported.payments.values_list("application_id", flat=True)) == [second.pk]
    records = zengin.read_transfer_file(path.read_bytes()).records
    assert [int(r["customer_code2"]) for r in records] == [second.pk]
