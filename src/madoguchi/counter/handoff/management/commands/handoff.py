"""`madoguchi handoff formats|export|reexport`: core-system hand-off files of accepted cases (docs/handoff.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import io
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from madoguchi.accounts.models import Department
from madoguchi.core.errors import MadoguchiError
from madoguchi.counter.handoff.base import encoding_label
from madoguchi.counter.handoff.conf import all_options, config_path
from madoguchi.counter.handoff.config import ENCODINGS, ConfigError
from madoguchi.counter.handoff.registry import register
from madoguchi.counter.handoff.services import ExportOutcome, export_cases, reexport
from madoguchi.residents.registry.problems import Issue
from madoguchi.residents.registry.validate import parse_registry_date


def _date(text: str) -> dt.date:
    try:
        return parse_registry_date(text, required=True)
    except Issue as issue:
        raise ValueError(text) from issue


class Command(BaseCommand):
    help = "Core-system hand-off: list the formats, or export accepted cases as a format's CSV file."
    # `formats` reports a broken configuration itself, with every problem; the check would stop it first.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{formats,export,reexport}")
        actions.add_parser("formats", help="List the formats, their procedures and configured columns.")
        export = actions.add_parser("export", help="Write the cases accepted in a period as a format's file.")
        export.add_argument("format", help="The format's name (see `madoguchi handoff formats`).")
        export.add_argument("--since", type=_date, required=True, help="Accepted on or after this day.")
        export.add_argument(
            "--until", type=_date, default=None, help="Accepted on or before this day (default: today)."
        )
        export.add_argument(
            "--procedure",
            action="append",
            default=None,
            metavar="SLUG",
            help="Only this procedure's cases (repeat for several); a format of one procedure needs one.",
        )
        export.add_argument("--department", default=None, help="Only this department's cases (its code).")
        self._file_options(export)
        export.add_argument("--purpose", default="", help="Why: written to the audit log.")
        again = actions.add_parser("reexport", help="Write an earlier export's cases again (audited).")
        again.add_argument("export_id", type=int, help="The number of the earlier export.")
        self._file_options(again)

    @staticmethod
    def _file_options(parser: CommandParser) -> None:
        parser.add_argument("-o", "--output", type=Path, required=True, help="The CSV file to write.")
        parser.add_argument(
            "--encoding", choices=ENCODINGS, default=None, help="Default: the format's configured one."
        )
        parser.add_argument(
            "--bom",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="UTF-8 with (or without) a byte order mark, for Excel. Default: the configured one.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "formats":
            self.formats()
            return
        actor = f"cli:{getpass.getuser()}"
        output: Path = options["output"]
        if output.exists() and output.is_dir():
            raise CommandError(f"{output} is a folder; name a file.")
        buffer = io.BytesIO()
        try:
            if options["action"] == "reexport":
                outcome = reexport(
                    options["export_id"],
                    actor=actor,
                    stream=buffer,
                    encoding=options["encoding"],
                    bom=options["bom"],
                    channel="cli",
                )
            else:
                outcome = export_cases(
                    options["format"],
                    since=options["since"],
                    until=options["until"] or timezone.localdate(),
                    procedures=options["procedure"],
                    stream=buffer,
                    actor=actor,
                    department=self._department(options["department"]),
                    encoding=options["encoding"],
                    bom=options["bom"],
                    purpose=options["purpose"],
                    channel="cli",
                )
        except MadoguchiError as exc:
            raise CommandError(exc.message("ja") + "\n" + exc.message("en"), returncode=1) from exc
        try:
            output.write_bytes(buffer.getvalue())
        except OSError as exc:
            raise CommandError(
                f"{output}: {exc.strerror or exc} (export #{outcome.export.pk} is recorded; "
                f"write it with `madoguchi handoff reexport {outcome.export.pk} -o FILE`)"
            ) from exc
        self.report(outcome, output)

    @staticmethod
    def _department(code: str | None) -> Department | None:
        if not code:
            return None
        department = Department.objects.filter(code=code).first()
        if department is None:
            known = ", ".join(Department.objects.values_list("code", flat=True))
            raise CommandError(f"no department {code!r}; departments: {known}")
        return department

    def report(self, outcome: ExportOutcome, output: Path) -> None:
        export = outcome.export
        for notice in outcome.result.notices:
            self.stderr.write(f"{notice.ja} / {notice.en}")
        again = (
            f"（うち {export.previously_exported} 件は書き出し済み）" if export.previously_exported else ""
        )
        self.stdout.write(
            f"{output} に {export.case_count} 件の申請（{export.row_count} 行）を書き出しました{again}。"
            f" 書き出し #{export.pk}、{encoding_label(export.encoding)}、SHA-256 {export.sha256}"
        )

    def formats(self) -> None:
        try:
            configured = all_options()
        except ConfigError as exc:
            for problem in exc.problems:
                self.stderr.write(f"{exc.path}: {problem}")
            raise CommandError(
                f"{len(exc.problems)} problem(s) in the hand-off configuration; fix the lines above.",
                returncode=1,
            ) from exc
        path = config_path()
        self.stdout.write(
            f"configuration: {path if path else 'shipped (src/madoguchi/counter/handoff/handoff.yaml)'}"
        )
        for fmt in register:
            options = configured[fmt.name]
            takes = ", ".join(fmt.procedures) if fmt.procedures else "any one procedure per file"
            bom = " with BOM" if options.bom else ""
            self.stdout.write(
                f"\n{fmt.name}  {fmt.label_ja} / {fmt.label_en}\n"
                f"  procedures: {takes}\n"
                f"  file: {options.encoding}{bom}, {options.line_ending.upper()}, dates {options.date_format}\n"
                f"  columns: {', '.join(c.header for c in options.columns)}"
                + (" + one per form field" if fmt.one_procedure else "")
            )
            unused = [c.name for c in fmt.column_specs if c.name not in {o.name for o in options.columns}]
            if unused:
                self.stdout.write(f"  also available: {', '.join(unused)}")
