"""core.bulk.insert_new: many new rows with their ids, as bulk_create would write them (COPY on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from madoguchi.core.bulk import insert_new
from madoguchi.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_rows_come_back_saved_with_their_ids_and_the_values_bulk_create_would_write():
    payloads = [
        {"n": i, "text": 'quote " backslash \\ tab \t 改行\n', "list": [1, None, True]} for i in range(5)
    ]
    rows = insert_new(OutboxEvent(topic="test.bulk", payload=p) for p in payloads)
    assert len({row.pk for row in rows}) == 5 and all(row.pk for row in rows)
    assert all(not row._state.adding for row in rows)
    stored = {row.pk: row for row in OutboxEvent.objects.filter(pk__in=[r.pk for r in rows])}
    for row, payload in zip(rows, payloads, strict=True):
        assert stored[row.pk].payload == payload  # JSON round trip, escapes included
        assert stored[row.pk].created_at is not None  # auto_now_add, as bulk_create sets it
        assert stored[row.pk].dispatched_at is None and stored[row.pk].attempts == 0  # field defaults
    # Ids taken on PostgreSQL come from the table's own sequence: a later insert does not collide.
    later = OutboxEvent.objects.create(topic="test.bulk", payload={})
    assert later.pk not in stored


def test_related_rows_refer_to_rows_written_just_before():
    from madoguchi.accounts.tests.factories import create_departments
    from madoguchi.automation.models import ActionRun, Firing, RuleVersion

    create_departments()
    version = RuleVersion.objects.create(
        rule_id="r", version=1, sha256="x", spec={}, topic="t", title_ja="a", title_en="b"
    )
    firings = insert_new(
        Firing(rule_version=version, event_id=i, topic="t", input={"i": i}) for i in range(3)
    )
    runs = insert_new(
        ActionRun(firing=f, position=0, kind="set_flag", params={"i": f.input["i"]}) for f in firings
    )
    assert [run.firing_id for run in runs] == [f.pk for f in firings]
    assert sorted(ActionRun.objects.values_list("firing__input__i", "status")) == [
        (0, "pending"),
        (1, "pending"),
        (2, "pending"),
    ]


def test_nothing_is_written_for_no_rows_and_everything_rolls_back_with_the_transaction():
    assert insert_new([]) == []
    with pytest.raises(RuntimeError), transaction.atomic():
        insert_new([OutboxEvent(topic="test.rollback", payload={})])
        raise RuntimeError("rollback")
    assert not OutboxEvent.objects.filter(topic="test.rollback").exists()


def test_postgresql_takes_the_ids_then_writes_with_one_copy():
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite writes through bulk_create")
    with CaptureQueriesContext(connection) as queries:
        insert_new([OutboxEvent(topic="test.copy", payload={"n": i}) for i in range(50)])
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "COPY"]
    assert "generate_series(1, 50)" in queries.captured_queries[0]["sql"]
    assert OutboxEvent.objects.filter(topic="test.copy").count() == 50


def test_objects_with_their_ids_keep_them():
    rows = insert_new([OutboxEvent(pk=987654, topic="test.bulk", payload={"given": True})])
    assert rows[0].pk == 987654 and OutboxEvent.objects.get(pk=987654).payload == {"given": True}
