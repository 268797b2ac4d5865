"""The backup and restore drill, on the database the suite runs on (SQLite, then PostgreSQL in CI): a site with
cases, audit rows, uploaded files and an audit anchor file is backed up with `madoguchi backup`, restored into a
fresh database and an empty MADOGUCHI_VAR_DIR by `madoguchi restore` in another process, which compares every
table's row count with the manifest and runs `audit verify`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from madoguchi.accounts.tests.factories import ResidentFactory, StaffFactory
from madoguchi.cases import services as case_services
from madoguchi.core import audit_anchor, backup
from madoguchi.core.audit import record_access
from madoguchi.procedures import selectors as procedure_selectors
from madoguchi.procedures.tests.factories import sync_repository_procedures

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump and the restore see committed data only

JUMINHYO = {
    "applicant_name": "緑 太郎",
    "applicant_kana": "ミドリ タロウ",
    "applicant_birth_date": "1985-04-01",
    "applicant_postal_code": "1000001",
    "applicant_address": "東京都千代田区千代田1-1",
    "applicant_phone": "0312345678",
    "scope": "self",
    "copies": 1,
    "purpose": "license",
    "delivery_method": "counter",
    "agree": True,
}


def _postgres_url(name: str) -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


@pytest.fixture
def fresh_database(tmp_path):
    """DATABASE_URL of a new, empty database of the kind the tests run on."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    admin = _postgres_url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _postgres_url(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def site(settings, tmp_path):
    """Cases, audit rows, two uploaded files and an audit anchor file."""
    sync_repository_procedures()
    procedure = procedure_selectors.get_procedure("juminhyo-copy")
    staff = StaffFactory()
    for _ in range(3):
        case = case_services.create_and_submit_case(
            applicant=ResidentFactory(), procedure=procedure, raw=dict(JUMINHYO)
        )
        record_access(
            actor=staff, action="read", object_type="case", object_id=case.reference, purpose="case_review"
        )
    uploads = Path(settings.MEDIA_ROOT) / "cases" / "2026" / "12"
    uploads.mkdir(parents=True)
    (uploads / "a.pdf").write_bytes(b"%PDF-1.7 demo")
    (uploads / "b.png").write_bytes(b"\x89PNG demo")
    anchor = tmp_path / "anchor" / "audit-anchors.jsonl"
    anchor.parent.mkdir()
    settings.AUDIT_ANCHOR_FILE = str(anchor)
    audit_anchor.write_anchor(anchor)  # a real, signed anchor line of the chain heads just written
    assert anchor.read_text().strip()
    return anchor


def _madoguchi(*args: str, database_url: str, var_dir: Path, anchor: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MADOGUCHI_VAR_DIR": str(var_dir),
        "MADOGUCHI_AUDIT_ANCHOR_FILE": str(anchor),
        "MADOGUCHI_SECRET_KEY": settings.SECRET_KEY,
        "MADOGUCHI_AUDIT_KEY": settings.AUDIT_HMAC_KEY,
        "MADOGUCHI_AUDIT_CHAINS": str(settings.AUDIT_CHAINS),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "madoguchi", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _counts(database_url: str) -> dict[str, int]:
    tables = ("cases_case", "core_auditevent", "core_outboxevent", "accounts_user")
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # noqa: S608
    import psycopg

    with psycopg.connect(database_url) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # noqa: S608


def test_backup_restore_into_a_fresh_database_then_audit_verify(site, fresh_database, tmp_path):
    directory = tmp_path / "backup"
    call_command("backup", "-o", str(directory))

    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["versions"]["database"] == connection.vendor
    assert manifest["tables"]["cases_case"] == 3 and manifest["tables"]["core_auditevent"] == 3
    assert manifest["audit_anchor"] == "audit-anchor"
    assert {"uploads/cases/2026/12/a.pdf", "uploads/cases/2026/12/b.png"} <= set(manifest["files"])
    assert oct(directory.stat().st_mode & 0o777) == "0o700"

    restored_var, restored_anchor = tmp_path / "restored-var", tmp_path / "restored-anchor.json"
    result = _madoguchi(
        "restore", str(directory), database_url=fresh_database, var_dir=restored_var, anchor=restored_anchor
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "row counts: every table as in the backup's manifest" in result.stdout
    assert "audit log OK: 3 rows" in result.stdout
    assert _counts(fresh_database) == {t: manifest["tables"][t] for t in _counts(fresh_database)}
    assert (restored_var / "uploads" / "cases" / "2026" / "12" / "a.pdf").read_bytes() == b"%PDF-1.7 demo"
    assert restored_anchor.read_text() == site.read_text()

    # Never over a database that has tables.
    again = _madoguchi(
        "restore", str(directory), database_url=fresh_database, var_dir=restored_var, anchor=restored_anchor
    )
    assert again.returncode == 1 and "already has tables" in again.stderr


def test_a_damaged_backup_is_refused_before_anything_is_restored(site, tmp_path):
    directory = tmp_path / "backup"
    call_command("backup", "-o", str(directory))
    (directory / "uploads" / "cases" / "2026" / "12" / "a.pdf").write_bytes(b"%PDF-1.7 edited")

    with pytest.raises(backup.BackupError, match="checksum differs"):
        backup.check_files(directory, backup.read_manifest(directory))


def test_backup_refuses_a_directory_that_is_not_empty(db, tmp_path):
    (tmp_path / "old").write_text("x")
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.backup(tmp_path)
