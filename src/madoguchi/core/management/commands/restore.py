"""`madoguchi restore DIR`: a backup of `madoguchi backup` into an empty database, then `audit verify`."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from madoguchi.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `madoguchi backup` into the database DATABASE_URL names, which must be empty, "
        "and its files into MADOGUCHI_VAR_DIR/uploads (a different existing file is never overwritten). Checks "
        "every checksum first, compares the row count of every table with the backup's manifest afterwards, and "
        "runs `audit verify`; exits with status 1 when anything differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="A directory written by `madoguchi backup`.")
        parser.add_argument("--pg-bin", help="Directory of pg_restore (default: the one on PATH).")
        parser.add_argument("--no-verify", action="store_true", help="Do not run `audit verify` afterwards.")

    def handle(self, *args, directory: str, pg_bin: str | None, no_verify: bool, **options) -> None:
        try:
            result = restore(directory, pg_bin=pg_bin)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"restored {result.tables} tables ({result.rows} rows) and {result.files} uploaded files from {directory}"
        )
        self.stdout.write(result.anchor_note)
        if result.count_mismatches:
            for table, (expected, found) in sorted(result.count_mismatches.items()):
                self.stdout.write(f"  {table}: {found} rows, the backup had {expected}")
            raise CommandError(
                f"{len(result.count_mismatches)} 個のテーブルの行数がバックアップと違います。 / "
                f"{len(result.count_mismatches)} table(s) differ from the backup's row counts.",
                returncode=1,
            )
        self.stdout.write("row counts: every table as in the backup's manifest")
        if not no_verify:
            call_command("audit", "verify", stdout=self.stdout, stderr=self.stderr)
        self.stdout.write(
            "Next: `madoguchi migrate` (when this release is newer than the backup), then start the site."
        )
