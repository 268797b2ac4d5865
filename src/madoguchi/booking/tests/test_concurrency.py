"""Many clients race for the last seats of one slot, and many kiosks for numbers, on PostgreSQL."""

import threading

import pytest
from django.db import connection, connections

from madoguchi.booking import services
from madoguchi.booking.errors import BookingError
from madoguchi.booking.models import Booking, Slot, Ticket
from madoguchi.booking.tests.conftest import GUEST, at, next_open_day

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers, so there is no race to test",
)


def _race(count: int, work) -> tuple[list, list]:
    barrier = threading.Barrier(count)
    results, failures = [], []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcome = work(n)
            with lock:
                results.append(outcome)
        except BookingError as exc:
            with lock:
                failures.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results, failures


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_64_clients_race_for_the_last_three_seats_of_one_slot(appointment_type):
    appointment_type.capacity = 5
    appointment_type.save()
    start = at(next_open_day(), 9)
    for n in range(2):  # two seats taken already: three left
        services.book(
            appointment_type=appointment_type, starts_at=start, **{**GUEST, "phone": f"0800000000{n}"}
        )

    def book(n: int):
        return services.book(
            appointment_type=appointment_type, starts_at=start, **{**GUEST, "phone": f"090{n:08d}"}
        ).pk

    booked, refused = _race(64, book)
    assert len(booked) == 3
    assert refused == ["booking.slot_full"] * 61
    slot = Slot.objects.get()
    assert (slot.booked, slot.capacity) == (5, 5)
    assert Booking.objects.filter(slot=slot, status="booked").count() == 5


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_same_person_racing_twice_gets_one_booking(appointment_type):
    appointment_type.capacity = 50
    appointment_type.save()
    day = next_open_day()

    def book(n: int):
        return services.book(appointment_type=appointment_type, starts_at=at(day, 9 + n % 4), **GUEST).pk

    booked, refused = _race(16, book)
    assert len(booked) == 1
    assert set(refused) == {"booking.duplicate"}
    assert sum(Slot.objects.values_list("booked", flat=True)) == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_kiosks_get_distinct_consecutive_numbers(window):
    numbers, _ = _race(32, lambda n: services.issue_ticket(window=window).number)
    assert sorted(numbers) == list(range(1, 33))
    assert Ticket.objects.count() == 32
