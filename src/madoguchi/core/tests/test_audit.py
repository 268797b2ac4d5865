"""`madoguchi audit verify` finds edited, deleted, inserted and reordered audit rows in every chain, and
passes an untouched log; concurrent writers on PostgreSQL spread over the chains and leave them intact."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import threading
from io import StringIO

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from madoguchi.core import audit
from madoguchi.core.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db

TABLE = AuditEvent._meta.db_table
HEADS = AuditChainHead._meta.db_table
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite has no row locks (no SKIP LOCKED) and serialises writers, so it "
    "keeps one chain and has no concurrency to test",
)


@pytest.fixture(autouse=True)
def _fresh_process():
    """Each test starts as a new process would: it has not created the chain heads yet."""
    audit._heads_ready.clear()


def _write_rows(count: int = 5, *, start: int = 1) -> list[AuditEvent]:
    return [
        audit.record_access(
            actor="clerk@example.jp",
            action="read",
            object_type="case",
            object_id=f"ABCD-{n:04d}",
            person_id=1000 + n,
            fields=["applicant_name", "applicant_address"],
            purpose="case_review",
            client_ip="192.0.2.10",
        )
        for n in range(start, start + count)
    ]


@pytest.fixture
def three_chains(monkeypatch):
    """A pool of three chains on either database; `write(chain, count)` appends to the chain it names."""
    monkeypatch.setattr(audit, "chain_count", lambda using=None: 3)
    preferred = {"chain": 1}
    monkeypatch.setattr(audit, "_writer_chain", lambda count: preferred["chain"])

    def write(chain: int, count: int) -> list[AuditEvent]:
        preferred["chain"] = chain
        return _write_rows(count, start=chain * 100)

    return write


def _raw(template: str, params: list, table: str = TABLE) -> None:
    """Tamper with the table behind the ORM's back, as an attacker with database access would."""
    sql = template.format(table=connection.ops.quote_name(table))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _verify() -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line]


# --------------------------------------------------------------------------------------------------------
# One writer (every database)


def test_untouched_log_passes():
    _write_rows(5)

    output, error = _verify()

    assert error is None
    heads = AuditChainHead.objects.count()
    assert output.strip() == f"audit log OK: 5 rows in {heads} chain{'' if heads == 1 else 's'}"


def test_empty_log_passes():
    output, error = _verify()

    assert error is None
    assert "audit log OK: 0 rows" in output


def test_one_writer_appends_to_one_chain_in_order():
    rows = _write_rows(4)

    assert len({row.chain for row in rows}) == 1
    assert [row.seq for row in rows] == [1, 2, 3, 4]
    assert [row.prev_hash for row in rows[1:]] == [row.hash for row in rows[:-1]]
    stored = AuditEvent.objects.get(pk=rows[2].pk)
    assert (stored.chain, stored.seq, stored.hash, stored.object_id) == (
        rows[2].chain,
        3,
        rows[2].hash,
        "ABCD-0003",
    )


def test_edited_row_is_detected():
    rows = _write_rows(5)
    _raw("UPDATE {table} SET purpose = %s WHERE id = %s", ["curiosity", rows[2].pk])

    output, error = _verify()

    assert error is not None and error.returncode == 1
    assert f"chain {rows[2].chain} row #{rows[2].seq}: edited" in output
    assert f"row #{rows[0].seq}:" not in output


def test_edited_person_id_is_detected():
    rows = _write_rows(3)
    _raw("UPDATE {table} SET person_id = %s WHERE id = %s", [9999, rows[1].pk])

    output, error = _verify()

    assert error is not None and error.returncode == 1
    assert f"chain {rows[1].chain} row #{rows[1].seq}: " in output


def test_deleted_row_in_the_middle_is_detected():
    rows = _write_rows(5)
    _raw("DELETE FROM {table} WHERE id = %s", [rows[2].pk])

    output, error = _verify()

    assert error is not None and error.returncode == 1
    assert f"chain {rows[2].chain} row #{rows[2].seq}: row #3 is missing (deleted)" in output


def test_deleted_last_row_is_detected_through_the_chain_head():
    rows = _write_rows(4)
    _raw("DELETE FROM {table} WHERE id = %s", [rows[-1].pk])

    output, error = _verify()

    assert error is not None and error.returncode == 1
    assert f"chain {rows[-1].chain} row #4: row #4 is missing (deleted)" in output


def test_reordered_rows_are_detected():
    rows = _write_rows(5)
    first, second = rows[1].pk, rows[2].pk
    parking = max(r.pk for r in rows) + 1000
    _raw("UPDATE {table} SET id = %s WHERE id = %s", [parking, first])
    _raw("UPDATE {table} SET id = %s WHERE id = %s", [first, second])
    _raw("UPDATE {table} SET id = %s WHERE id = %s", [second, parking])

    output, error = _verify()

    assert error is not None and error.returncode == 1
    assert "out of order" in output or "does not follow" in output


def test_every_problem_line_names_a_chain_and_a_row():
    rows = _write_rows(5)
    _raw("UPDATE {table} SET actor_label = %s WHERE id = %s", ["someone-else@example.jp", rows[0].pk])
    _raw("DELETE FROM {table} WHERE id = %s", [rows[3].pk])

    output, error = _verify()

    assert error is not None
    assert "監査ログに" in str(error) and "restore it from a backup" in str(error)
    lines = _lines(output)
    assert len(lines) >= 2
    assert all(re.match(r"chain \d+ row #\d+: ", line) for line in lines)


def test_an_audit_row_rolls_back_with_the_change_it_describes():
    _write_rows(1)

    with pytest.raises(RuntimeError), transaction.atomic():
        _write_rows(1, start=2)
        raise RuntimeError("the change failed after its audit row was written")

    assert AuditEvent.objects.count() == 1
    assert _write_rows(1, start=3)[0].seq == 2
    assert _verify()[1] is None


def test_a_log_written_before_chains_still_verifies():
    """Rows from the single-chain log (chain 1 after the migration) keep their hashes."""
    key = settings.AUDIT_HMAC_KEY.encode()
    prev = audit.GENESIS
    for seq in (1, 2, 3):
        content = {
            "seq": seq,
            "created_at": dt.datetime(2025, 4, 1, 9, 0, seq, 123456, tzinfo=dt.UTC).isoformat(),
            "actor_id": None,
            "actor_label": "旧職員@example.jp",
            "action": "read",
            "object_type": "case",
            "object_id": f"OLD-{seq}",
            "person_id": 7,
            "fields": ["applicant_name"],
            "purpose": "case_review",
            "channel": "screen",
            "client_ip": None,
        }
        canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        digest = hmac.new(key, (prev + canonical).encode(), hashlib.sha256).hexdigest()
        AuditEvent.objects.create(
            chain=1,
            **{**content, "created_at": dt.datetime.fromisoformat(content["created_at"])},
            prev_hash=prev,
            hash=digest,
        )
        prev = digest
    AuditChainHead.objects.create(id=1, seq=3, hash=prev)

    _write_rows(2)
    output, error = _verify()

    assert error is None, output
    assert output.startswith("audit log OK: 5 rows")


def test_chain_count_is_checked(settings):
    settings.AUDIT_CHAINS = 0

    with pytest.raises(ImproperlyConfigured, match="MADOGUCHI_AUDIT_CHAINS は 1 から 256"):
        audit.chain_count()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps one chain whatever the setting")
def test_sqlite_keeps_one_chain(settings):
    settings.AUDIT_CHAINS = 8

    rows = _write_rows(3)

    assert audit.chain_count() == 1
    assert {row.chain for row in rows} == {1}
    assert list(AuditChainHead.objects.values_list("id", flat=True)) == [1]


# --------------------------------------------------------------------------------------------------------
# Several chains (forced, so that SQLite checks them too)


def test_rows_spread_over_several_chains_pass(three_chains):
    for chain, count in ((1, 2), (2, 3), (3, 1), (1, 2)):
        three_chains(chain, count)

    output, error = _verify()

    assert error is None, output
    assert output.strip() == "audit log OK: 8 rows in 3 chains"
    by_chain = {
        chain: list(AuditEvent.objects.filter(chain=chain).order_by("id").values_list("seq", flat=True))
        for chain in (1, 2, 3)
    }
    assert by_chain == {1: [1, 2, 3, 4], 2: [1, 2, 3], 3: [1]}
    assert dict(AuditChainHead.objects.values_list("id", "seq")) == {1: 4, 2: 3, 3: 1}


def test_edited_row_in_chain_2_is_named_with_its_chain(three_chains):
    three_chains(1, 3)
    rows = three_chains(2, 3)
    three_chains(3, 3)
    _raw("UPDATE {table} SET object_id = %s WHERE id = %s", ["ZZZZ-0000", rows[1].pk])

    output, error = _verify()

    assert error is not None and error.returncode == 1
    assert _lines(output) == ["chain 2 row #2: edited (its content does not match its hash)"]


def test_deleted_tail_of_one_chain_is_detected(three_chains):
    three_chains(1, 3)
    three_chains(2, 3)
    rows = three_chains(3, 4)
    _raw("DELETE FROM {table} WHERE id IN (%s, %s)", [rows[2].pk, rows[3].pk])

    output, error = _verify()

    assert error is not None and error.returncode == 1
    assert _lines(output) == ["chain 3 row #3: rows #3–#4 are missing (deleted)"]


def test_every_row_of_a_chain_deleted_is_detected_through_its_head(three_chains):
    three_chains(1, 2)
    three_chains(2, 2)
    _raw("DELETE FROM {table} WHERE chain = %s", [2])

    output, error = _verify()

    assert error is not None
    assert _lines(output) == ["chain 2 row #1: rows #1–#2 are missing (deleted)"]


def test_deleted_head_is_detected(three_chains):
    three_chains(1, 2)
    three_chains(2, 3)
    _raw("DELETE FROM {table} WHERE id = %s", [2], table=HEADS)

    output, error = _verify()

    assert error is not None and error.returncode == 1
    assert _lines(output) == ["chain 2: its head is missing while rows up to #3 exist (deleted)"]


def test_a_whole_chain_deleted_with_its_head_is_detected(three_chains):
    three_chains(1, 2)
    three_chains(2, 2)
    _raw("DELETE FROM {table} WHERE chain = %s", [2])
    _raw("DELETE FROM {table} WHERE id = %s", [2], table=HEADS)

    output, error = _verify()

    assert error is not None
    assert _lines(output) == [
        "chain 2: its head is missing (the whole chain was deleted, or MADOGUCHI_AUDIT_CHAINS was raised "
        "and no audit row has been written since)"
    ]


def test_a_head_set_back_is_detected(three_chains):
    three_chains(1, 2)
    rows = three_chains(2, 3)
    _raw("UPDATE {table} SET seq = %s, hash = %s WHERE id = %s", [2, rows[1].hash, 2], table=HEADS)

    output, _ = _verify()

    assert _lines(output) == [
        "chain 2 row #3: row #3 is beyond the chain head (inserted, or the head edited)"
    ]


def test_a_row_moved_to_another_chain_is_detected(three_chains):
    three_chains(1, 3)
    rows = three_chains(2, 3)
    _raw("UPDATE {table} SET chain = %s, seq = %s WHERE id = %s", [1, 4, rows[2].pk])

    output, _ = _verify()

    lines = _lines(output)
    assert "chain 1 row #4: does not follow the previous row (chain broken)" in lines
    assert "chain 2 row #3: row #3 is missing (deleted)" in lines


def test_writers_leave_a_headless_chain_alone(three_chains, caplog):
    """A chain whose head was deleted is not restarted (that would hide the deletion); writers use others."""
    three_chains(2, 2)
    _raw("DELETE FROM {table} WHERE id = %s", [2], table=HEADS)
    audit._heads_ready.clear()  # a process started after the deletion

    rows = three_chains(2, 2)

    assert {row.chain for row in rows} == {3}
    assert not AuditChainHead.objects.filter(id=2).exists()
    assert "have rows but no head" in caplog.text
    assert _lines(_verify()[0]) == ["chain 2: its head is missing while rows up to #2 exist (deleted)"]


def test_no_head_at_all_refuses_to_write(three_chains):
    three_chains(1, 1)
    three_chains(2, 1)
    three_chains(3, 1)
    _raw("DELETE FROM {table}", [], table=HEADS)

    with pytest.raises(audit.AuditLogUnavailable, match="監査ログに書き込めません"):
        three_chains(1, 1)


# --------------------------------------------------------------------------------------------------------
# Concurrent writers (PostgreSQL)


def _in_thread(target, *args) -> threading.Thread:
    """Run `target` in a thread with its own database connection, closed at the end."""

    def run():
        try:
            target(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_leave_every_chain_contiguous(settings):
    settings.AUDIT_CHAINS = 3  # fewer chains than writers: some must wait for a head
    writers, writes = 8, 25
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        barrier.wait(timeout=30)
        try:
            _write_rows(writes, start=n * 1000)
        except BaseException as exc:
            errors.append(exc)
            raise

    threads = [_in_thread(write, n) for n in range(writers)]
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert list(audit.verify_chain()) == []
    assert AuditEvent.objects.count() == writers * writes
    heads = dict(AuditChainHead.objects.values_list("id", "seq"))
    assert set(heads) == {1, 2, 3}
    used = 0
    for chain, head_seq in heads.items():
        seqs = list(AuditEvent.objects.filter(chain=chain).order_by("id").values_list("seq", flat=True))
        assert seqs == list(range(1, head_seq + 1))
        used += bool(seqs)
    assert used >= 2


def _until_a_writer_waits_for_a_lock(writer: threading.Thread) -> None:
    for _ in range(3000):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        assert writer.is_alive(), "the writer finished although every head was held"
        writer.join(timeout=0.01)
    pytest.fail("the writer neither finished nor waited for a lock within 30 s")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_held_head_is_skipped_and_a_writer_waits_only_when_every_head_is_held(settings, monkeypatch):
    settings.AUDIT_CHAINS = 2
    preference: dict[int, int] = {}
    monkeypatch.setattr(audit, "_writer_chain", lambda count: preference.get(threading.get_ident(), 1))
    release = threading.Event()
    written: dict[str, AuditEvent] = {}

    def hold(chain: int, holding: threading.Event) -> None:
        """Append to `chain` and keep its head locked until released (a long outer transaction)."""
        preference[threading.get_ident()] = chain
        with transaction.atomic():
            _write_rows(1)
            holding.set()
            release.wait(timeout=60)

    def write(name: str) -> None:
        written[name] = _write_rows(1)[0]

    _write_rows(1)  # a running system: the heads exist (chain 1 is at #1)
    threads = []
    try:
        for chain in (1, 2):
            holding = threading.Event()
            threads.append(_in_thread(hold, chain, holding))
            assert holding.wait(timeout=30)
            if chain == 1:  # chain 1 held, chain 2 free: a writer preferring chain 1 takes chain 2 at once
                skipper = _in_thread(write, "skipper")
                skipper.join(timeout=30)
                assert not skipper.is_alive(), "a writer waited for a head that another transaction holds"
        waiter = _in_thread(write, "waiter")  # both held: it waits for its own head, chain 1
        threads.append(waiter)
        _until_a_writer_waits_for_a_lock(waiter)
        assert "waiter" not in written
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=30)

    assert (written["skipper"].chain, written["skipper"].seq) == (2, 1)
    assert (written["waiter"].chain, written["waiter"].seq) == (1, 3)
    assert dict(AuditChainHead.objects.values_list("id", "seq")) == {1: 3, 2: 2}
    assert list(audit.verify_chain()) == []


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_read_is_committed_before_record_access_returns():
    """Outside a transaction the row is durable before the data it describes can be shown."""
    event = _write_rows(1)[0]
    seen = {}

    def look() -> None:
        seen["row"] = AuditEvent.objects.filter(pk=event.pk).exists()

    _in_thread(look).join(timeout=30)

    assert seen == {"row": True}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps one chain, so it has one head")
def test_postgresql_creates_every_head_of_the_pool(settings):
    settings.AUDIT_CHAINS = 5

    _write_rows(1)

    assert list(AuditChainHead.objects.order_by("id").values_list("id", flat=True)) == [1, 2, 3, 4, 5]
