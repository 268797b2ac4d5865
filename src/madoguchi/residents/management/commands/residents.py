"""`madoguchi residents import|export`: registry files (全件・差分) in, full files out (docs/registry.md)."""

from __future__ import annotations

import csv
import datetime as dt
import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from madoguchi.residents.exporter import ENCODINGS, RegistryExportError, export_registry_csv
from madoguchi.residents.importer import ImportReport, RegistryImportError
from madoguchi.residents.registry.layout import DIFFERENCE, KINDS
from madoguchi.residents.registry.problems import Issue
from madoguchi.residents.registry.validate import parse_registry_date
from madoguchi.residents.services import import_registry_csv

DEFAULT_PURPOSE = "住民記録の書き出し（他システムへの連携）"


def _date(text: str) -> dt.date:
    try:
        return parse_registry_date(text, required=True)
    except Issue as issue:
        raise ValueError(text) from issue


class Command(BaseCommand):
    help = "Import a registry file (full or difference) into the read-model, or export it as a full file."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{import,export}")
        load = actions.add_parser("import", help="Check a registry CSV and apply it, all or nothing.")
        load.add_argument("file", type=Path, help="The CSV file (UTF-8 with or without BOM, or CP932).")
        load.add_argument(
            "--kind",
            choices=KINDS,
            default=DIFFERENCE,
            help="full: one row per person (全件); difference: one row per 異動 (差分, the default).",
        )
        load.add_argument(
            "--encoding", choices=("auto", "utf-8", "cp932"), default="auto", help="Default: detect it."
        )
        load.add_argument(
            "--reference-date",
            type=_date,
            default=None,
            help="基準日 of a full file: the 異動日 of changes whose row has none (default: today).",
        )
        load.add_argument(
            "--report", type=Path, help="Write every problem to this CSV instead of the screen."
        )
        load.add_argument("--dry-run", action="store_true", help="Check and count, then change nothing.")
        load.add_argument("--lang", choices=("ja", "en"), default="ja", help="Language of the messages.")
        dump = actions.add_parser("export", help="Write the registry as a full file in the same layout.")
        dump.add_argument("file", type=Path, help="The CSV file to write.")
        dump.add_argument("--as-of", type=_date, default=None, help="The registry as it stood on this day.")
        dump.add_argument("--encoding", choices=ENCODINGS, default="utf-8")
        dump.add_argument("--purpose", default=DEFAULT_PURPOSE, help="Why: written to the audit log.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self.export(options)
        else:
            self.load(options)

    def load(self, options: dict[str, Any]) -> None:
        english = options["lang"] == "en"
        try:
            report = import_registry_csv(
                source=options["file"],
                kind=options["kind"],
                encoding=None if options["encoding"] == "auto" else options["encoding"],
                reference_date=options["reference_date"],
                dry_run=options["dry_run"],
            )
        except RegistryImportError as exc:
            raise CommandError(str(exc)) from exc
        if report.problems.count:
            self.write_problems(report, options["report"], options["lang"])
            if english:
                message = f"{report.problems.count:,} problem(s) in {options['file']}; nothing was imported."
            else:
                message = f"{options['file']} に {report.problems.count:,} 件の問題があります。何も取り込んでいません。"
            raise CommandError(message, returncode=1)
        self.stdout.write(self.summary(report, english))

    def write_problems(self, report: ImportReport, path: Path | None, lang: str) -> None:
        if path is None:
            for item in report.problems:
                self.stderr.write(item.format(lang))
            return
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(["行", "列", "コード", "内容", "message"])
            for item in report.problems:
                writer.writerow([item.row, item.column, item.code, item.message_ja, item.message_en])
        self.stderr.write(f"{report.problems.count:,} → {path}")

    def summary(self, report: ImportReport, english: bool) -> str:
        if english:
            verb = "would change" if report.dry_run else "imported"
            text = (
                f"{report.source_name} ({report.kind}, {report.rows:,} rows) {verb}: {report.created:,} new, "
                f"{report.updated:,} updated, {report.unchanged:,} unchanged; {report.changes:,} changes, "
                f"{report.events:,} events, {report.seconds:.1f} s."
            )
            if report.missing:
                text += f" {report.missing:,} residents in the registry are not in this full file (left as they are)."
        else:
            verb = "（試行: 何も変更していません）" if report.dry_run else ""
            text = (
                f"{report.source_name}（{'全件' if report.kind == 'full' else '差分'}、{report.rows:,} 行）{verb}: "
                f"新規 {report.created:,} 人、更新 {report.updated:,} 人、変更なし {report.unchanged:,} 行、"
                f"異動 {report.changes:,} 件、イベント {report.events:,} 件、{report.seconds:.1f} 秒。"
            )
            if report.missing:
                text += f" このファイルにない住民が {report.missing:,} 人います（変更していません）。"
        if report.ignored_columns:
            text += f"\n読まなかった列 / columns not read: {', '.join(report.ignored_columns)}"
        return text

    def export(self, options: dict[str, Any]) -> None:
        try:
            report = export_registry_csv(
                target=options["file"],
                actor=f"cli:{getpass.getuser()}",
                purpose=options["purpose"],
                as_of=options["as_of"],
                encoding=options["encoding"],
            )
        except RegistryExportError as exc:
            raise CommandError(str(exc)) from exc
        for row, column, character in report.unencodable:
            self.stderr.write(
                f"行 {row}・{column}: 「{character}」は {report.encoding} で書けないため〓にしました。"
            )
        when = f"{report.as_of.isoformat()} 時点" if report.as_of else "現在"
        self.stdout.write(
            f"{options['file']} に {when} の住民記録 {report.rows:,} 行を書き出しました"
            f"（支援措置の対象となる住所の {report.protected:,} 人は、住所と世帯番号を空欄にしました）。"
        )
