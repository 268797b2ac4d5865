"""`madoguchi backup [-o DIR]`: the database, the uploaded files and the audit anchor file, with a manifest."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from madoguchi.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the site into one new directory: the database (PostgreSQL: pg_dump -Fc; SQLite: a consistent "
        "copy), MADOGUCHI_VAR_DIR/uploads, the audit anchor file when there is one, and manifest.json (versions, "
        "row counts per table, SHA-256 of every file). Restore with `madoguchi restore DIR`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "-o",
            "--output",
            help="Directory to create (must be new or empty). Default: MADOGUCHI_VAR_DIR/backups/madoguchi-<time>.",
        )
        parser.add_argument("--pg-bin", help="Directory of pg_dump (default: the one on PATH).")

    def handle(self, *args, output: str | None, pg_bin: str | None, **options) -> None:
        try:
            result = backup(output, pg_bin=pg_bin)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        uploads = sum(1 for name in manifest["files"] if name.startswith("uploads/"))
        self.stdout.write(
            f"backup written to {result.directory}: {len(manifest['tables'])} tables, "
            f"{sum(manifest['tables'].values())} rows, {uploads} uploaded files, audit anchor: "
            f"{'yes' if manifest['audit_anchor'] else 'none'}"
        )
