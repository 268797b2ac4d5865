"""Backup and restore of a whole site: the database, the uploaded files and the audit anchor file.

`madoguchi backup [-o DIR]` writes one directory:

    manifest.json      format, time, versions (Madoguchi, Django, database server, pg_dump), the migrations
                       applied, the row count of every table, and the size and SHA-256 of every file below
    database.dump      PostgreSQL: `pg_dump -Fc` (custom format, compressed)
    database.sqlite3   SQLite: a copy made with SQLite's online backup API (consistent while the site runs)
    uploads/           MADOGUCHI_VAR_DIR/uploads (MEDIA_ROOT), copied after the database
    audit-anchor       the file MADOGUCHI_AUDIT_ANCHOR_FILE names, when it is set and exists

On PostgreSQL the counts and the dump see the same snapshot: the counts are read in a REPEATABLE READ
transaction that exports its snapshot, and pg_dump runs with `--snapshot` while it is open. Uploads are copied
after the dump, so every file the dumped rows name is there (a file uploaded meanwhile is copied too, harmless).

`madoguchi restore DIR` checks every checksum first, refuses a database that already has tables (restore into a
fresh, empty database) and a backup made by a newer Madoguchi (migrations this code does not know), restores
the database (`pg_restore --no-owner --no-acl --single-transaction --exit-on-error`, or the SQLite copy), then
the uploads (never overwriting a different file) and the anchor file (never overwriting a newer one), compares
the row count of every table with the manifest and runs `audit verify`. docs/operations.md "Backup and restore".
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
UPLOADS = "uploads"
ANCHOR = "audit-anchor"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


# --------------------------------------------------------------------------------------------------------------
# Helpers


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _files_below(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def anchor_file() -> Path | None:
    """The audit anchor file (MADOGUCHI_AUDIT_ANCHOR_FILE), when the site has one configured."""
    value = getattr(settings, "AUDIT_ANCHOR_FILE", None) or os.environ.get("MADOGUCHI_AUDIT_ANCHOR_FILE")
    return Path(value) if value else None


def _vendor() -> str:
    return connection.vendor  # "postgresql" or "sqlite"


def _pg_environment() -> dict[str, str]:
    """libpq's variables for the configured database (so no password is on a command line)."""
    db = settings.DATABASES["default"]
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    if db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = db["OPTIONS"]["sslmode"]
    return env


def _pg_tool(name: str, pg_bin: str | None) -> str:
    tool = str(Path(pg_bin) / name) if pg_bin else shutil.which(name)
    if not tool or not Path(tool).exists():
        raise BackupError(
            f"{name} が見つかりません。PostgreSQL のクライアント（postgresql-client）を入れるか --pg-bin で場所を指定してください。 / "
            f"{name} was not found: install the PostgreSQL client tools or give their directory with --pg-bin."
        )
    return tool


def _run(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(
            f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()[-2000:]}"
        )
    return result.stdout


def table_counts(cursor) -> dict[str, int]:
    """Rows of every table of the database (Django's and any other), by name."""
    counts = {}
    for table in sorted(connection.introspection.table_names(cursor)):
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - a table name
        counts[table] = cursor.fetchone()[0]
    return counts


def applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _versions(extra: dict[str, str]) -> dict[str, str]:
    try:
        madoguchi = metadata.version("madoguchi")
    except metadata.PackageNotFoundError:
        madoguchi = "unknown"
    versions = {"madoguchi": madoguchi, "django": django.get_version(), "database": _vendor()}
    if _vendor() == "postgresql":
        server = connection.pg_version  # e.g. 150020
        versions["database_server"] = f"{server // 10000}.{server % 10000}"
    else:
        versions["database_server"] = sqlite3.sqlite_version
    return {**versions, **extra}


# --------------------------------------------------------------------------------------------------------------
# Backup


@dataclass(frozen=True)
class BackupResult:
    directory: Path
    manifest: dict[str, Any]


def default_directory() -> Path:
    stamp = timezone.localtime().strftime("%Y%m%dT%H%M%S")
    return Path(settings.VAR_DIR) / "backups" / f"madoguchi-{stamp}"


def backup(directory: Path | None = None, *, pg_bin: str | None = None) -> BackupResult:
    directory = Path(directory) if directory else default_directory()
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(
            f"{directory} は空ではありません。新しいディレクトリを指定してください。 / {directory} is not empty: "
            "give a new directory."
        )
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)  # personal data: readable by the site's own account only
    extra: dict[str, str] = {}
    connection.ensure_connection()
    if _vendor() == "postgresql":
        pg_dump = _pg_tool("pg_dump", pg_bin)
        extra["pg_dump"] = _run([pg_dump, "--version"], os.environ.copy()).strip()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = table_counts(cursor)
            migrations = applied_migrations()
            _run(
                [pg_dump, "-Fc", f"--snapshot={snapshot}", "-f", str(directory / PG_DUMP_FILE)],
                _pg_environment(),
            )
        database_file = PG_DUMP_FILE
    elif _vendor() == "sqlite":
        target = sqlite3.connect(directory / SQLITE_FILE)
        try:
            connection.connection.backup(target)  # the live connection: also an in-memory database
        finally:
            target.close()
        copy = sqlite3.connect(directory / SQLITE_FILE)
        try:
            cursor = copy.cursor()
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            names = sorted(row[0] for row in cursor.fetchall())
            counts = {name: copy.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}  # noqa: S608
            rows = copy.execute("SELECT app, name FROM django_migrations ORDER BY app, name").fetchall()
        finally:
            copy.close()
        migrations = {}
        for app, name in rows:
            migrations.setdefault(app, []).append(name)
        database_file = SQLITE_FILE
    else:
        raise BackupError(f"unsupported database: {_vendor()}")

    files = {database_file: _file_entry(directory / database_file)}
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir():
        for path in _files_below(media):
            relative = path.relative_to(media)
            target = directory / UPLOADS / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            files[f"{UPLOADS}/{relative.as_posix()}"] = _file_entry(target)
    anchor = anchor_file()
    if anchor is not None and anchor.is_file():
        shutil.copy2(anchor, directory / ANCHOR)
        files[ANCHOR] = _file_entry(directory / ANCHOR)

    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(timespec="seconds"),
        "versions": _versions(extra),
        "database_file": database_file,
        "migrations": migrations,
        "tables": counts,
        "files": files,
        "audit_anchor": ANCHOR if ANCHOR in files else None,
    }
    (directory / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return BackupResult(directory, manifest)


def _file_entry(path: Path) -> dict[str, Any]:
    return {"bytes": path.stat().st_size, "sha256": sha256_of(path)}


# --------------------------------------------------------------------------------------------------------------
# Restore


@dataclass(frozen=True)
class RestoreResult:
    tables: int
    rows: int
    count_mismatches: dict[str, tuple[int, int]]  # table → (in the manifest, after the restore)
    files: int
    anchor_note: str


def read_manifest(directory: Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"{path} がありません。 / {path} is missing: this is not a Madoguchi backup directory."
        )
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r} (this Madoguchi reads {FORMAT})")
    return manifest


def check_files(directory: Path, manifest: dict[str, Any]) -> None:
    """Every file of the manifest is there, with its size and checksum."""
    problems = []
    for name, entry in manifest["files"].items():
        path = Path(directory) / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif path.stat().st_size != entry["bytes"] or sha256_of(path) != entry["sha256"]:
            problems.append(f"{name}: checksum differs")
    if problems:
        raise BackupError(
            "バックアップが壊れています（チェックサム不一致）。 / The backup is damaged: "
            + "; ".join(problems[:20])
        )


def _check_migrations(manifest: dict[str, Any]) -> None:
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    ]
    if unknown:
        raise BackupError(
            "このバックアップは新しい版の Madoguchi で作られています。その版を入れてから復元してください。 / "
            f"The backup was made by a newer Madoguchi (unknown migrations: {', '.join(unknown[:5])}): install "
            "that release first."
        )


def _database_is_empty() -> bool:
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def restore(directory: Path, *, pg_bin: str | None = None) -> RestoreResult:
    directory = Path(directory)
    manifest = read_manifest(directory)
    check_files(directory, manifest)
    _check_migrations(manifest)
    vendor = manifest["versions"]["database"]
    if vendor != _vendor():
        raise BackupError(f"the backup is of a {vendor} database, DATABASE_URL names a {_vendor()} one")
    if not _database_is_empty():
        raise BackupError(
            "復元先のデータベースにすでにテーブルがあります。空のデータベースを作り、DATABASE_URL で指定してください。 / "
            "The target database already has tables: create an empty database and point DATABASE_URL at it."
        )
    if vendor == "postgresql":
        connection.close()  # pg_restore works on its own connection
        command = [_pg_tool("pg_restore", pg_bin), "--no-owner", "--no-acl", "--single-transaction"]
        command += [
            "--exit-on-error",
            "-d",
            settings.DATABASES["default"]["NAME"],
            str(directory / PG_DUMP_FILE),
        ]
        _run(command, _pg_environment())
    else:
        connection.ensure_connection()
        source = sqlite3.connect(directory / SQLITE_FILE)
        try:
            source.backup(connection.connection)
        finally:
            source.close()

    with connection.cursor() as cursor:
        counts = table_counts(cursor)
    mismatches = {
        table: (expected, counts.get(table, -1))
        for table, expected in manifest["tables"].items()
        if counts.get(table, -1) != expected
    }
    files = _restore_uploads(directory, manifest)
    return RestoreResult(
        tables=len(counts),
        rows=sum(counts.values()),
        count_mismatches=mismatches,
        files=files,
        anchor_note=_restore_anchor(directory, manifest),
    )


def _restore_uploads(directory: Path, manifest: dict[str, Any]) -> int:
    media = Path(settings.MEDIA_ROOT)
    copied = 0
    for name, entry in manifest["files"].items():
        if not name.startswith(f"{UPLOADS}/"):
            continue
        target = media / name.removeprefix(f"{UPLOADS}/")
        if target.exists():
            if sha256_of(target) != entry["sha256"]:
                raise BackupError(
                    f"{target} はバックアップと内容が違います。上書きしません。 / {target} exists with other content: "
                    "not overwritten. Restore into an empty MADOGUCHI_VAR_DIR/uploads."
                )
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(directory / name, target)
        copied += 1
    return copied


def _restore_anchor(directory: Path, manifest: dict[str, Any]) -> str:
    if not manifest.get("audit_anchor"):
        return "no audit anchor file in the backup"
    source = directory / manifest["audit_anchor"]
    target = anchor_file()
    if target is None:
        return f"the backup has an audit anchor file ({source}); set MADOGUCHI_AUDIT_ANCHOR_FILE and copy it there"
    if target.exists():
        if sha256_of(target) == sha256_of(source):
            return f"audit anchor {target}: already the same"
        kept = target.with_name(f"{target.name}.from-backup")
        shutil.copy2(source, kept)
        return (
            f"audit anchor {target} exists and differs (it may be newer than the backup): left as it is; the "
            f"backup's copy is {kept}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    return f"audit anchor restored to {target}"
