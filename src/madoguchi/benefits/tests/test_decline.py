"""Declining (辞退): the decline takes the household's one slot under the payment constraint, is never exported,
is counted on its own in the reconciliation, and only a decider withdraws it (audited)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from madoguchi.benefits import selectors, services, zengin
from madoguchi.benefits.models import (
    LIVE_PAYMENT,
    Application,
    ApplicationKind,
    ApplicationStatus,
    Channel,
    Payment,
    PaymentStatus,
)
from madoguchi.core.models import AuditEvent

from .support import make_household

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers, so a decline and an application cannot race",
)


def _slot(household) -> list[tuple[str, int]]:
    """The household's live rows under the once-per-household index: (status, amount)."""
    return list(Payment.objects.filter(LIVE_PAYMENT, household=household).values_list("status", "amount"))


def test_a_decline_takes_the_households_slot_and_nothing_else_is_filed_beside_it(program, clerk):
    household = make_household()
    services.compute_eligibility(program=program)

    decline = services.decline(program=program, household=household, channel=Channel.ONLINE)

    assert (decline.kind, decline.status, decline.channel) == (
        ApplicationKind.DECLINE,
        ApplicationStatus.DECLINED,
        Channel.ONLINE,
    )
    assert decline.number.startswith(f"B{program.pk:02d}-") and decline.decided_at is not None
    assert _slot(household) == [(PaymentStatus.DECLINED, 0)]
    # online and at the desk: refused with what to do; nothing filed
    with pytest.raises(services.AlreadyDeclined) as online:
        services.apply(program=program, household=household, channel=Channel.ONLINE, refuse_if_declined=True)
    assert decline.number in online.value.ja and "撤回" in online.value.ja and "withdraw" in online.value.en
    with pytest.raises(services.AlreadyDeclined):
        services.apply_by_staff(
            program=program, household_id=household.pk, channel=Channel.COUNTER, account=None, staff=clerk
        )
    with pytest.raises(services.AlreadyDeclined):
        services.decline(program=program, household=household, channel=Channel.PAPER)
    assert Application.objects.filter(household=household).count() == 1
    # a paper application (a letter mailed meanwhile) goes to staff as a conflict, never to a payment
    paper = services.apply(program=program, household=household, channel=Channel.PAPER)
    assert paper.status == ApplicationStatus.CONFLICT and "辞退" in paper.note
    assert services.approve_received(program=program).approved == 0
    assert _slot(household) == [(PaymentStatus.DECLINED, 0)]


def test_the_database_keeps_a_decline_and_a_payment_of_one_household_apart(program):
    household = make_household()
    services.compute_eligibility(program=program)
    decline = services.decline(program=program, household=household, channel=Channel.COUNTER)
    application = services.apply(program=program, household=household, channel=Channel.PAPER)

    # whatever the application code does, the index refuses a live payment beside the decline …
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(program=program, household=household, application=application, amount=50_000)
    # … and an approval that gets that far becomes a conflict, not a payment
    Application.objects.filter(pk=application.pk).update(status=ApplicationStatus.RECEIVED)
    assert services.approve(application=Application.objects.get(pk=application.pk)) is None
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.CONFLICT
    # the other way round: a live payment refuses the decline's row
    Payment.objects.filter(application=decline).update(status=PaymentStatus.CANCELLED)
    Payment.objects.create(program=program, household=household, application=application, amount=50_000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            program=program,
            household=household,
            application=decline,
            amount=0,
            status=PaymentStatus.DECLINED,
        )


def test_a_decline_after_an_application_is_refused_online_and_a_conflict_on_paper(program, clerk):
    household = make_household()
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=household, channel=Channel.ONLINE)

    with pytest.raises(services.AppliedCannotDecline) as caught:
        services.decline(program=program, household=household, channel=Channel.ONLINE, refuse_if_open=True)
    assert application.number in caught.value.ja and "市の担当課" in caught.value.ja
    with pytest.raises(services.AppliedCannotDecline):
        services.decline_by_staff(
            program=program, household_id=household.pk, channel=Channel.COUNTER, staff=clerk
        )
    paper = services.decline(program=program, household=household, channel=Channel.PAPER)

    assert (paper.kind, paper.status) == (ApplicationKind.DECLINE, ApplicationStatus.CONFLICT)
    assert not _slot(household)  # a decline waiting for staff holds nothing
    groups = selectors.conflicts(program)
    assert [[a.number for a in group] for group in groups] == [[application.number, paper.number]]


def test_staff_keep_the_decline_or_the_application_of_a_conflict(program, decider):
    kept_decline, kept_application = make_household(), make_household()
    services.compute_eligibility(program=program)
    first = services.apply(program=program, household=kept_decline, channel=Channel.ONLINE)
    services.approve(application=first)  # approved, not yet in a file
    declined = services.decline(program=program, household=kept_decline, channel=Channel.PAPER)
    applied = services.decline(program=program, household=kept_application, channel=Channel.ONLINE)
    letter = services.apply(program=program, household=kept_application, channel=Channel.PAPER)

    services.resolve_conflict(keep=declined, staff=decider)
    services.resolve_conflict(keep=letter, staff=decider)

    # the decline kept: the approved payment is cancelled, the decline holds the slot
    assert Application.objects.get(pk=first.pk).status == ApplicationStatus.REJECTED
    assert Application.objects.get(pk=declined.pk).status == ApplicationStatus.DECLINED
    assert _slot(kept_decline) == [(PaymentStatus.DECLINED, 0)]
    # the application kept: the decline is withdrawn (audited), the application can be paid
    assert Application.objects.get(pk=applied.pk).status == ApplicationStatus.DECLINE_WITHDRAWN
    assert AuditEvent.objects.filter(
        action="withdraw_decline", object_id=str(applied.pk), actor_id=decider.pk
    ).exists()
    assert Application.objects.get(pk=letter.pk).status == ApplicationStatus.RECEIVED
    assert services.approve_received(program=program).approved == 1
    assert _slot(kept_application) == [(PaymentStatus.APPROVED, 30_000)]


def test_a_filing_already_rejected_or_withdrawn_cannot_be_kept_and_nothing_changes(program, decider):
    household = make_household()
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=household, channel=Channel.ONLINE)
    decline = services.decline(program=program, household=household, channel=Channel.PAPER)
    services.withdraw_decline(application=decline, staff=decider, note="誤り")

    with pytest.raises(services.BenefitError) as caught:  # a stale conflicts page
        services.resolve_conflict(keep=Application.objects.get(pk=decline.pk), staff=decider)

    assert caught.value.code == "not_standing" and decline.number in caught.value.ja
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.RECEIVED


def test_a_decline_cannot_be_kept_over_a_payment_already_in_a_file(program, decider, tmp_path):
    household = make_household()
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=household, channel=Channel.COUNTER)
    services.approve(application=application)
    services.export_payments(program=program, path=tmp_path / "z.txt")
    decline = services.decline(program=program, household=household, channel=Channel.PAPER)
    assert decline.status == ApplicationStatus.CONFLICT

    with pytest.raises(services.BenefitError) as caught:
        services.resolve_conflict(keep=decline, staff=decider)

    assert caught.value.code == "already_paid" and "振込データ" in caught.value.ja
    assert Application.objects.get(pk=decline.pk).status == ApplicationStatus.CONFLICT  # nothing changed
    assert _slot(household) == [(PaymentStatus.EXPORTED, 30_000)]


def test_only_a_decider_withdraws_a_decline_with_a_reason_and_the_household_can_apply_again(
    program, clerk, decider
):
    household = make_household()
    services.compute_eligibility(program=program)
    decline = services.decline(program=program, household=household, channel=Channel.ONLINE)

    with pytest.raises(services.BenefitError) as refused:
        services.withdraw_decline(application=decline, staff=clerk, note="本人から撤回の申出")
    assert refused.value.code == "deciders_only"
    with pytest.raises(services.BenefitError) as no_reason:
        services.withdraw_decline(application=decline, staff=decider, note="  ")
    assert no_reason.value.code == "reason_required"
    with pytest.raises(services.BenefitError) as not_a_rejection:
        services.reject(application=decline, staff=decider, note="取下げ")
    assert not_a_rejection.value.code == "is_decline"
    assert _slot(household) == [(PaymentStatus.DECLINED, 0)]
    assert not AuditEvent.objects.filter(action="withdraw_decline").exists()

    services.withdraw_decline(
        application=decline, staff=decider, note="本人から電話で撤回の申出", client_ip="192.0.2.7"
    )

    decline.refresh_from_db()
    assert (decline.status, decline.note, decline.staff_id) == (
        ApplicationStatus.DECLINE_WITHDRAWN,
        "本人から電話で撤回の申出",
        decider.pk,
    )
    event = AuditEvent.objects.get(action="withdraw_decline")
    assert (event.object_type, event.object_id, event.actor_id, event.client_ip) == (
        "benefits.application",
        str(decline.pk),
        decider.pk,
        "192.0.2.7",
    )
    assert not _slot(household)
    assert Payment.objects.get(application=decline).status == PaymentStatus.CANCELLED
    with pytest.raises(services.BenefitError) as again:
        services.withdraw_decline(application=decline, staff=decider, note="二度目")
    assert again.value.code == "not_declined"
    application = services.apply(
        program=program, household=household, channel=Channel.ONLINE, refuse_if_declined=True
    )
    assert application.status == ApplicationStatus.RECEIVED
    assert services.approve_received(program=program).approved == 1


def test_the_transfer_file_never_carries_a_decline(program, tmp_path):
    paid = [make_household() for _ in range(2)]
    declining = [make_household() for _ in range(2)]
    services.compute_eligibility(program=program)
    apps = [services.apply(program=program, household=h, channel=Channel.ONLINE) for h in paid]
    declines = [
        services.decline(program=program, household=h, channel=c)
        for h, c in zip(declining, (Channel.ONLINE, Channel.PAPER), strict=True)
    ]
    assert services.approve_received(program=program).approved == 2

    result = services.export_payments(program=program, path=tmp_path / "z.txt")

    parsed = zengin.read_transfer_file((tmp_path / "z.txt").read_bytes())
    assert result.count == len(parsed.records) == 2
    assert {r["customer_code2"] for r in parsed.records} == {f"{a.pk:010d}" for a in apps}
    assert int(parsed.trailer["total"]) == 60_000
    assert list(
        Payment.objects.filter(application__in=declines).values_list("status", "export_id").distinct()
    ) == [(PaymentStatus.DECLINED, None)]
    # nothing left to export: the declines are no approved payments
    with pytest.raises(services.BenefitError) as nothing:
        services.export_payments(program=program, path=tmp_path / "again.txt")
    assert nothing.value.code == "nothing_to_export"


def test_reconciliation_counts_declines_on_their_own_per_channel_and_per_day(program, decider):
    households = [make_household() for _ in range(9)]
    services.compute_eligibility(program=program)
    h = iter(households)
    services.apply(program=program, household=next(h), channel=Channel.ONLINE)  # applied, pending
    approved = services.apply(program=program, household=next(h), channel=Channel.COUNTER)
    services.approve(application=approved)  # applied, pending (approved)
    services.decline(program=program, household=next(h), channel=Channel.ONLINE)  # declined online
    services.decline(program=program, household=next(h), channel=Channel.PAPER)  # declined on paper
    services.decline(program=program, household=next(h), channel=Channel.COUNTER)  # declined at the counter
    withdrawn = services.decline(program=program, household=next(h), channel=Channel.ONLINE)
    services.withdraw_decline(application=withdrawn, staff=decider, note="撤回")  # not applied again
    both = next(h)  # applied on paper, then a paper decline: a conflict, counted as its application
    services.apply(program=program, household=both, channel=Channel.PAPER)
    services.decline(program=program, household=both, channel=Channel.PAPER)
    later = next(h)  # declined, withdrew, applied online
    first = services.decline(program=program, household=later, channel=Channel.COUNTER)
    services.withdraw_decline(application=first, staff=decider, note="撤回")
    services.apply(program=program, household=later, channel=Channel.ONLINE)
    # the ninth never answers

    r = selectors.reconciliation(program)

    assert (r.eligible, r.applied, r.declined, r.not_applied) == (9, 4, 3, 2)
    assert r.declined_by_channel == {"online": 1, "counter": 1, "paper": 1}
    assert r.by_state == {"paid": 0, "pending": 4, "rejected": 0, "returned": 0}
    assert r.by_channel["online"]["pending"] == 2 and r.by_channel["paper"]["pending"] == 1
    assert r.amount_declined == 90_000 and r.declined_slots == 3
    assert r.holds()
    figures = selectors.dashboard_figures(program)
    assert figures["approved"] == 1 and figures["to_export"] == 1  # a decline is no approval
    (today,) = selectors.per_day(program)
    assert today.declined == {"online": 2, "counter": 2, "paper": 2}  # every decline received that day
    assert today.applied == {"online": 2, "counter": 1, "paper": 1}
    assert today.approved == 1

    out = io.StringIO()
    call_command("benefits", "reconcile", program.slug, stdout=out)
    assert "eligible 9 = applied 4 + declined 3 + not applied 2" in out.getvalue()
    assert "paper: paid 0, pending 1, rejected 0, returned 0; declined 1" in out.getvalue()
    assert out.getvalue().rstrip().endswith("reconciles: yes")

    # a decline row without its decline (a broken state) does not reconcile
    Payment.objects.filter(status=PaymentStatus.DECLINED).first().delete()
    assert not selectors.reconciliation(program).holds()


def test_a_letter_that_both_declines_and_gives_an_account_is_a_conflict_of_both(program):
    household = make_household()
    services.compute_eligibility(program=program)
    account = services.AccountInput("0001", "001", "1", "7654321", "ﾐﾄﾞﾘｶﾜ ﾊﾅｺ")

    decline = services.decline_by_letter(
        program=program, household=household, staff=None, applies=True, account=account
    )

    filed = list(Application.objects.filter(household=household).order_by("pk"))
    assert [(a.kind, a.status, a.channel) for a in filed] == [
        (ApplicationKind.DECLINE, ApplicationStatus.CONFLICT, Channel.PAPER),
        (ApplicationKind.APPLICATION, ApplicationStatus.CONFLICT, Channel.PAPER),
    ]
    assert filed[0].pk == decline.pk
    assert all("辞退の印" in a.note for a in filed) and filed[1].account_number == "7654321"
    assert not _slot(household)
    assert selectors.reconciliation(program).holds()


def test_a_program_that_does_not_take_the_channel_or_an_ineligible_household_files_no_decline(program):
    eligible = make_household()
    taxed = make_household(non_taxed=False)
    services.compute_eligibility(program=program)
    program.channels = [Channel.ONLINE]
    program.save(update_fields=["channels"])

    with pytest.raises(services.BenefitError) as closed:
        services.decline(program=program, household=eligible, channel=Channel.PAPER)
    with pytest.raises(services.BenefitError) as not_eligible:
        services.decline(program=program, household=taxed, channel=Channel.ONLINE)

    assert (closed.value.code, not_eligible.value.code) == ("channel_closed", "not_eligible")
    assert not Application.objects.exists()


def test_the_desk_takes_no_decline_after_the_deadline(program, clerk):
    household = make_household()
    services.compute_eligibility(program=program)
    program.deadline = dt.date(2025, 12, 31)
    program.save(update_fields=["deadline"])

    with pytest.raises(services.BenefitError) as caught:
        services.decline_by_staff(
            program=program, household_id=household.pk, channel=Channel.COUNTER, staff=clerk
        )

    assert caught.value.code == "deadline_passed"
    assert not Application.objects.exists()


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("forced", [False, True], ids=["as-filed", "forced-through"])
def test_a_decline_and_an_application_racing_for_one_household_never_both_win(program, forced):
    from .concurrency import race_declines

    households = [make_household() for _ in range(30)]
    services.compute_eligibility(program=program)

    outcome = race_declines(
        program_id=program.pk, household_ids=[h.pk for h in households], workers=8, forced=forced
    )

    assert not outcome.errors
    assert outcome.double_slots == 0 and outcome.both_won == 0
    if forced:  # every filing was pushed at the slot: exactly one took it per household
        assert outcome.live_slots == 30
    else:  # online: one filing won per household, the others were told why
        assert outcome.refusals > 0 and outcome.live_slots <= 30
        assert outcome.winners == 30
