"""Hostile probe of the auditor's CSV: text that a spreadsheet would run as a formula (an actor's email that
starts with `=`, `+`, `-` or `@`, a reason) reaches the auditor's Excel as text."""

from __future__ import annotations

import csv
import io

import pytest

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.core import audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client


@pytest.mark.parametrize(
    "email",
    ["=cmd|'/Ccalc'!A0@example.jp", "+1+cmd|'/Ccalc'!A0@example.jp", "-2+3@example.jp", "\t=1+1@example.jp"],
)
def test_formula_like_cells_are_exported_as_text(auditor_client, email):
    resident = ResidentFactory(email=email)
    audit.record_access(
        actor=resident,
        action="refused",
        object_type="person",
        object_id='=HYPERLINK("http://evil.example/","x")',
        person_id=5,
        fields=["address"],
        purpose="registry_prefill",
    )

    response = auditor_client.get("/office/audit/", {"person_id": "5", "format": "csv"})

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][2] == f"'{email}"  # the actor
    assert rows[1][6] == '\'=HYPERLINK("http://evil.example/","x")'  # the object id
    assert rows[1][7] == "5" and rows[1][4] == "refused"  # other cells as they were
    assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for row in rows for cell in row)
