"""64 clients, each a thread with its own database connection, race for the last seats of one slot."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from madoguchi.vaccination import services
from madoguchi.vaccination.models import Booking, Slot
from madoguchi.vaccination.tests.factories import InvitationFactory, SlotFactory, invitee_of

CLIENTS = 64


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers (every transaction takes the write lock when it "
    "begins), so the clients cannot race",
)
@pytest.mark.django_db(transaction=True)
def test_64_clients_race_for_the_last_seats_of_one_slot():
    slot = SlotFactory(capacity=160)
    Slot.objects.filter(pk=slot.pk).update(booked=150)  # ten seats left
    invitees = [invitee_of(InvitationFactory(campaign=slot.campaign)) for _ in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)
    answers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client(invitee: services.Invitee) -> None:
        try:
            start.wait(timeout=60)
            try:
                services.book(invitee=invitee, slot_id=slot.pk)
                answer = "booked"
            except services.VaccinationError as exc:
                answer = exc.code if exc.code != "slot_full" or "満席" in exc.ja else "bad message"
            with lock:
                answers.append(answer)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(invitee,)) for invitee in invitees]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert answers.count("booked") == 10
    assert answers.count("slot_full") == CLIENTS - 10
    slot.refresh_from_db()
    assert slot.booked == slot.capacity == 160
    assert Booking.objects.filter(slot=slot).count() == 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (see above)")
@pytest.mark.django_db(transaction=True)
def test_the_same_person_racing_with_itself_books_once():
    """A double click or a client retrying while its first request still runs: one booking, one seat."""
    slot = SlotFactory(capacity=5)
    invitation = InvitationFactory(campaign=slot.campaign)
    start = threading.Barrier(16)
    results = []
    errors: list[BaseException] = []

    def client() -> None:
        try:
            start.wait(timeout=60)
            results.append(services.book(invitee=invitee_of(invitation), slot_id=slot.pk).booking.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert len(set(results)) == 1 and len(results) == 16
    slot.refresh_from_db()
    assert slot.booked == 1 and Booking.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (see above)")
@pytest.mark.django_db(transaction=True)
def test_a_first_dose_is_one_statement_and_its_retry_and_a_full_slot_write_nothing(django_assert_num_queries):
    """The hot path: the seat and the booking in ONE autocommit statement (no BEGIN/COMMIT round trips); a retry
    with the same Idempotency-Key is answered with the booking; a full slot takes no seat and inserts no row."""
    slot = SlotFactory(capacity=1)
    first, second = (invitee_of(InvitationFactory(campaign=slot.campaign)) for _ in range(2))
    with django_assert_num_queries(1) as captured:
        made = services.book(invitee=first, slot_id=slot.pk, idempotency_key="k-1")
    assert captured.captured_queries[0]["sql"].startswith("WITH seat AS (UPDATE")
    assert made.created and made.booking.reference and made.booking.slot_id == slot.pk
    again = services.book(invitee=first, slot_id=slot.pk, idempotency_key="k-1")
    assert not again.created and again.booking.pk == made.booking.pk
    with pytest.raises(services.VaccinationError) as refused:
        services.book(invitee=second, slot_id=slot.pk, idempotency_key="k-2")
    assert refused.value.code == "slot_full"
    slot.refresh_from_db()
    assert slot.booked == 1 and Booking.objects.get().reference == made.booking.reference
