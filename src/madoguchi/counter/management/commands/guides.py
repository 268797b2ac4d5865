"""`madoguchi guides check`: validate the life-event guide files (guides/*.yaml) against the procedure files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from madoguchi.counter import guide as engine
from madoguchi.counter.selectors import guides_directory
from madoguchi.procedures.management.commands.procedures import default_directory as procedures_directory
from madoguchi.procedures.services import ProcedureSyncError, load_procedure_directory


class Command(BaseCommand):
    help = "Check the life-event guide files (guides/*.yaml)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{check}")
        check = actions.add_parser(
            "check",
            help="Validate every guide file, and that every procedure it names is a file of the procedures "
            "directory; write nothing.",
        )
        check.add_argument(
            "--directory",
            type=Path,
            default=None,
            help="Folder of guide files (default: settings.GUIDES_DIR, else guides/ next to the procedures).",
        )
        check.add_argument(
            "--procedures",
            type=Path,
            default=None,
            help="Folder of procedure files (default: settings.PROCEDURES_DIR).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["directory"] or guides_directory()
        procedures_dir = options["procedures"] or procedures_directory()
        try:
            specs = load_procedure_directory(procedures_dir)
        except ProcedureSyncError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"the procedure files in {procedures_dir} are not valid (madoguchi procedures check); "
                "the guides were not checked.",
                returncode=1,
            ) from exc
        known = {spec.id: engine.ProcedureRef.from_spec(spec) for _path, spec in specs}
        try:
            guides = engine.load_guide_directory(directory, procedures=known)
        except engine.GuideFileError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            files = len({p.path for p in exc.problems})
            raise CommandError(
                f"{len(exc.problems)} problem(s) in {files} file(s); the guides are not valid. "
                "Fix the lines above and run the command again.",
                returncode=1,
            ) from exc
        for guide in guides:
            self.stdout.write(
                f"  {guide.id:<15} version {guide.version:<6} {len(guide.questions):>2} questions "
                f"{len(guide.entries):>3} entries"
            )
        self.stdout.write(self.style.SUCCESS(f"{len(guides)} guide files are valid ({directory})."))
