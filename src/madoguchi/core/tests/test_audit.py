"""`madoguchi audit verify` finds edited, deleted and reordered audit rows, and passes an untouched log."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from madoguchi.core import audit
from madoguchi.core.models import AuditEvent

pytestmark = pytest.mark.django_db

TABLE = AuditEvent._meta.db_table


def _write_rows(count: int = 5) -> list[AuditEvent]:
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
        for n in range(1, count + 1)
    ]


def _raw(template: str, params: list) -> None:
    """Tamper with the table behind the ORM's back, as an attacker with database access would."""
    sql = template.format(table=connection.ops.quote_name(TABLE))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _verify() -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_untouched_log_passes():
    _write_rows(5)

    output, error = _verify()

    assert error is None
    assert output.strip() == "audit log OK: 5 rows"


def test_empty_log_passes():
    output, error = _verify()

    assert error is None
    assert "audit log OK: 0 rows" in output


def test_edited_row_is_detected():
    rows = _write_rows(5)
    _raw("UPDATE {table} SET purpose = %s WHERE id = %s", ["curiosity", rows[2].pk])

    output, error = _verify()

    assert error is not None and error.returncode == 1
    assert f"row #{rows[2].seq}: " in output
    assert "edited" in output
    assert f"row #{rows[0].seq}:" not in output


def test_edited_person_id_is_detected():
    rows = _write_rows(3)
    _raw("UPDATE {table} SET person_id = %s WHERE id = %s", [9999, rows[1].pk])

    output, error = _verify()

    assert error is not None and error.returncode == 1
    assert f"row #{rows[1].seq}: " in output


def test_deleted_row_in_the_middle_is_detected():
    rows = _write_rows(5)
    _raw("DELETE FROM {table} WHERE id = %s", [rows[2].pk])

    output, error = _verify()

    assert error is not None and error.returncode == 1
    assert f"row #{rows[2].seq}: " in output
    assert "missing" in output


def test_deleted_last_row_is_detected_through_the_chain_head():
    rows = _write_rows(4)
    _raw("DELETE FROM {table} WHERE id = %s", [rows[-1].pk])

    output, error = _verify()

    assert error is not None and error.returncode == 1
    assert "missing" in output


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


def test_every_problem_line_names_a_row():
    rows = _write_rows(5)
    _raw("UPDATE {table} SET actor_label = %s WHERE id = %s", ["someone-else@example.jp", rows[0].pk])
    _raw("DELETE FROM {table} WHERE id = %s", [rows[3].pk])

    output, error = _verify()

    assert error is not None
    lines = [line for line in output.splitlines() if line]
    assert len(lines) >= 2
    assert all(line.startswith("row #") and ": " in line for line in lines)
