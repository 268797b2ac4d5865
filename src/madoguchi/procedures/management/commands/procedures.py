"""`madoguchi procedures sync|check`: publish or check the procedure files (procedures/*.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from madoguchi.procedures.services import ProcedureSyncError, load_procedure_directory, sync_procedures


def default_directory() -> Path:
    configured = getattr(settings, "PROCEDURES_DIR", None)
    if configured:
        return Path(configured)
    return Path(settings.BASE_DIR).parent.parent / "procedures"


class Command(BaseCommand):
    help = "Publish (sync) or check the procedure files in procedures/*.yaml."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{sync,check}")
        for name, help_text in (
            ("sync", "Validate every file and publish new or changed procedures as new versions."),
            ("check", "Validate every file without writing anything."),
        ):
            sub = actions.add_parser(name, help=help_text)
            sub.add_argument(
                "--directory",
                type=Path,
                default=None,
                help="Folder of procedure files (default: settings.PROCEDURES_DIR, else <repo>/procedures).",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["directory"] or default_directory()
        try:
            if options["action"] == "check":
                loaded = load_procedure_directory(directory)
                self.stdout.write(
                    self.style.SUCCESS(f"{len(loaded)} procedure files are valid ({directory}).")
                )
                return
            report = sync_procedures(directory=directory)
        except ProcedureSyncError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            files = len({p.path for p in exc.problems})
            outcome = "nothing was published" if options["action"] == "sync" else "the files are not valid"
            raise CommandError(
                f"{len(exc.problems)} problem(s) in {files} file(s); {outcome}. "
                "Fix the lines above and run the command again.",
                returncode=1,
            ) from exc
        for label, slugs in (
            ("new", report.created),
            ("changed", report.changed),
            ("reactivated", report.reactivated),
            ("deactivated", report.deactivated),
        ):
            for slug in slugs:
                self.stdout.write(f"  {label:<11} {slug}")
        self.stdout.write(self.style.SUCCESS(f"Procedures synced: {report.summary()}."))
