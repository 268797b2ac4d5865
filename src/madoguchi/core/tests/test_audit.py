"""`madoguchi audit verify` finds edited, deleted, inserted and reordered audit rows in every chain, and
passes an untouched log; concurrent writers on PostgreSQL spread over the chains and leave them intact, and
a writer that remembers its head appends in one statement without ever chaining to a head that moved."""

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
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

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

appends_in_one_statement = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: SQLite always takes the locked path (test_sqlite_always_takes_the_locked_path)",
)


@pytest.fixture(autouse=True)
def _fresh_process():
    """Each test starts as a new process would: it has not created the chain heads, nor written a row."""
    audit._heads_ready.clear()
    audit._known_heads.forget()


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
    tried: list[list[int]] = []  # each writer's one-statement appends, whether they appended or not

    def write(n: int) -> None:
        barrier.wait(timeout=30)
        tried.append(mine := [])
        try:
            with _one_statement_appends(mine):
                _write_rows(writes, start=n * 1000)
        except BaseException as exc:
            errors.append(exc)
            raise

    threads = [_in_thread(write, n) for n in range(writers)]
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert sum(len(mine) for mine in tried) > 0  # remembered heads were used (or found moved)
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


def _one_statement_appends(rows: list[int]):
    """Record the rows each of this thread's one-statement appends inserted (1, or 0 if it fell back)."""

    def count(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql == audit._APPEND_IF_HEAD_UNCHANGED:
            rows.append(context["cursor"].rowcount)
        return result

    return connection.execute_wrapper(count)


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


# --------------------------------------------------------------------------------------------------------
# One statement per append while the writer's head is the one it remembers (PostgreSQL)


def _kinds(queries: CaptureQueriesContext) -> list[str]:
    """The captured round trips: `append` (the one-statement append), `lock` (a head locked), `insert`
    (the row inserted and the head moved), and the transaction's BEGIN and COMMIT as they are."""
    kinds = {"WITH moved AS (UPDATE": "append", "SELECT id, seq, hash": "lock", "WITH new_row AS": "insert"}
    return [
        next((kind for start, kind in kinds.items() if query["sql"].startswith(start)), query["sql"])
        for query in queries
    ]


def _stored(event: AuditEvent) -> tuple:
    row = AuditEvent.objects.get(pk=event.pk)
    return (row.chain, row.seq, row.prev_hash, row.hash)


@appends_in_one_statement
@pytest.mark.django_db(transaction=True)
def test_a_remembered_head_appends_in_one_statement_with_the_hash_of_the_locked_path():
    first = _write_rows(1)[0]  # nothing remembered yet: the locked path, which remembers the head

    with CaptureQueriesContext(connection) as queries:
        second = _write_rows(1, start=2)[0]

    assert _kinds(queries) == ["append"]
    assert not connection.in_atomic_block  # its own transaction, committed by the statement itself
    assert (second.chain, second.seq, second.prev_hash) == (first.chain, 2, first.hash)
    assert _stored(second) == (second.chain, 2, first.hash, second.hash)
    expected = audit._row_digest(
        first.hash, audit._canonical(audit._canonical_without_seq(audit._content_of(second)), 2)
    )
    assert second.hash == expected  # what the locked path computes, and what verify recomputes
    assert AuditChainHead.objects.get(id=first.chain).hash == second.hash
    assert audit._known_heads.heads[("default", first.chain)] == (2, second.hash)
    assert list(audit.verify_chain()) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL appends in one statement")
def test_sqlite_always_takes_the_locked_path(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _write_rows(1)

    with CaptureQueriesContext(connection) as queries:
        row = _write_rows(1, start=2)[0]

    assert row.seq == 2
    assert not any(query["sql"].startswith("WITH moved") for query in queries)
    assert [query["sql"].split()[0] for query in queries] == ["SELECT", "INSERT", "UPDATE"]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_stale_head_falls_back_to_the_locked_path_and_the_chain_stays_contiguous(settings):
    settings.AUDIT_CHAINS = 1  # no other chain to move on to: the fallback appends to the same one
    mine = _write_rows(1)[0]
    other = _in_thread(lambda: _write_rows(2, start=10))  # another process appends #2 and #3
    other.join(timeout=30)
    assert not other.is_alive()

    with CaptureQueriesContext(connection) as stale:
        fallen_back = _write_rows(1, start=20)[0]
    with CaptureQueriesContext(connection) as refreshed:
        next_row = _write_rows(1, start=21)[0]

    assert _kinds(stale) == ["append", "BEGIN", "lock", "insert", "COMMIT"]  # moved nothing, fell back
    assert "FOR UPDATE SKIP LOCKED" in stale[2]["sql"]
    assert _kinds(refreshed) == ["append"]
    assert [(row.chain, row.seq) for row in (mine, fallen_back, next_row)] == [(1, 1), (1, 4), (1, 5)]
    assert fallen_back.prev_hash == AuditEvent.objects.get(chain=1, seq=3).hash
    assert list(AuditEvent.objects.order_by("id").values_list("seq", flat=True)) == [1, 2, 3, 4, 5]
    assert AuditChainHead.objects.get(id=1).seq == 5
    assert list(audit.verify_chain()) == []


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_writers_that_prefer_the_same_chain_part_ways(settings, monkeypatch):
    """The writer that finds its remembered head moved by the other moves on to the next chain, so that
    from then on both append in one statement instead of taking turns at locking one head."""
    settings.AUDIT_CHAINS = 3
    monkeypatch.setattr(audit, "_writer_chain", lambda count: 1)
    writes = 6
    turns = [threading.Event() for _ in range(2 * writes + 1)]
    appended: dict[str, list[tuple[int, int, list[str]]]] = {"a": [], "b": []}

    def write(name: str, first_turn: int) -> None:
        for turn in range(first_turn, 2 * writes, 2):
            assert turns[turn].wait(timeout=30)
            with CaptureQueriesContext(connection) as queries:
                row = _write_rows(1, start=turn)[0]
            appended[name].append((row.chain, row.seq, _kinds(queries)))
            turns[turn + 1].set()

    audit._ensure_chain_heads("default", 3)  # a running system: the heads exist
    threads = [_in_thread(write, "a", 0), _in_thread(write, "b", 1)]
    turns[0].set()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    locked = ["BEGIN", "lock", "insert", "COMMIT"]
    assert appended["a"] == [
        (1, 1, locked),  # nothing remembered yet
        (2, 1, ["append", *locked]),  # b appended to chain 1 meanwhile: a moves on to chain 2
        *((2, seq, ["append"]) for seq in range(2, writes)),
    ]
    assert appended["b"] == [(1, 2, locked), *((1, seq, ["append"]) for seq in range(3, writes + 2))]
    assert list(audit.verify_chain()) == []


@appends_in_one_statement
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_append_moves_nothing_and_is_not_remembered():
    first = _write_rows(1)[0]
    key = ("default", first.chain)

    with pytest.raises(RuntimeError), transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            inside = _write_rows(1, start=2)[0]
        assert _kinds(queries) == ["append"]  # the one statement works inside a caller's transaction too
        assert inside.seq == 2
        assert key not in audit._known_heads.heads  # not trusted before the caller commits
        raise RuntimeError("the change failed after its audit row was written")

    assert key not in audit._known_heads.heads
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1]
    assert AuditChainHead.objects.filter(id=first.chain).values_list("seq", "hash").get() == (1, first.hash)
    after = _write_rows(1, start=3)[0]  # the locked path, chained to the committed head
    assert (after.chain, after.seq, after.prev_hash) == (first.chain, 2, first.hash)
    assert audit._known_heads.heads[key] == (2, after.hash)
    assert list(audit.verify_chain()) == []


@appends_in_one_statement
@pytest.mark.django_db(transaction=True)
def test_an_append_in_a_committed_transaction_is_remembered_after_the_commit():
    first = _write_rows(1)[0]
    key = ("default", first.chain)

    with transaction.atomic():
        inside = _write_rows(1, start=2)[0]
        assert key not in audit._known_heads.heads

    assert audit._known_heads.heads[key] == (2, inside.hash)
    with CaptureQueriesContext(connection) as queries:
        assert _write_rows(1, start=3)[0].prev_hash == inside.hash
    assert _kinds(queries) == ["append"]
    assert list(audit.verify_chain()) == []


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_remembered_head_held_by_a_callers_transaction_is_skipped_at_once(settings, monkeypatch):
    """A writer that remembers head 1 does not wait for another transaction that holds it: it moves on."""
    settings.AUDIT_CHAINS = 2
    monkeypatch.setattr(audit, "_writer_chain", lambda count: 1)
    warm, holding, release = threading.Event(), threading.Event(), threading.Event()
    written: dict[str, AuditEvent] = {}
    statements: list[str] = []  # the second append's

    def hold() -> None:
        with transaction.atomic():
            written["held"] = _write_rows(1, start=10)[0]  # head 1 moved to #2, not committed
            holding.set()
            release.wait(timeout=60)

    def write() -> None:
        written["first"] = _write_rows(1)[0]  # this writer now remembers head 1 at #1
        warm.set()
        assert holding.wait(timeout=30)
        with CaptureQueriesContext(connection) as queries:
            written["second"] = _write_rows(1, start=2)[0]
        statements.extend(_kinds(queries))

    writer = _in_thread(write)
    holder = None
    try:
        assert warm.wait(timeout=30)
        holder = _in_thread(hold)
        writer.join(timeout=30)
        assert not writer.is_alive(), "a writer waited for a remembered head that another transaction holds"
        assert holder.is_alive() and not release.is_set()
    finally:
        release.set()
        for thread in (writer, holder):
            if thread is not None:
                thread.join(timeout=30)

    assert statements == ["append", "BEGIN", "lock", "insert", "COMMIT"]
    assert [(written[name].chain, written[name].seq) for name in ("first", "held", "second")] == [
        (1, 1),
        (1, 2),
        (2, 1),
    ]
    assert dict(AuditChainHead.objects.values_list("id", "seq")) == {1: 2, 2: 1}
    assert list(audit.verify_chain()) == []


@appends_in_one_statement
@pytest.mark.django_db(transaction=True)
def test_a_lost_connection_forgets_the_head_and_the_next_append_reads_it_again():
    first = _write_rows(1)[0]
    key = ("default", first.chain)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    _in_thread(_terminate, backend).join(timeout=30)

    with pytest.raises(OperationalError):
        _write_rows(1, start=2)

    assert key not in audit._known_heads.heads
    connection.close()  # what Django does with an unusable connection at the end of the request
    after = _write_rows(1, start=3)[0]
    assert (after.chain, after.seq, after.prev_hash) == (first.chain, 2, first.hash)
    assert list(audit.verify_chain()) == []


def _terminate(backend: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
