"""`madoguchi intake scan FILES… [--batch NAME] [--json]` and `madoguchi intake watch [--once]`."""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from madoguchi.intake import selectors, services
from madoguchi.intake.models import Source


class Command(BaseCommand):
    help = (
        "Paper intake (AI-OCR): `scan FILES…` reads scanned PDF/TIFF/PNG/JPEG files into cases; `watch` takes "
        "the scanner's files from MADOGUCHI_INTAKE_WATCH_DIR."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        scan = sub.add_parser(
            "scan", help="read scanned files now (originals kept; the same file twice: duplicate)"
        )
        scan.add_argument("files", nargs="+", help="PDF, TIFF, PNG or JPEG files")
        scan.add_argument("--batch", default="", help="name of the batch (default: the date and time)")
        scan.add_argument(
            "--json", action="store_true", help="one JSON object per page and line (docs/intake.md)"
        )
        watch = sub.add_parser("watch", help="read every new file of the watched folder, then move it away")
        watch.add_argument("--directory", default="", help="default: MADOGUCHI_INTAKE_WATCH_DIR")
        watch.add_argument("--once", action="store_true", help="look once and stop")
        watch.add_argument(
            "--min-age",
            type=float,
            default=None,
            help="seconds since a file was last written (default: MADOGUCHI_INTAKE_WATCH_SECONDS)",
        )

    def handle(self, *args, **options):
        if options["action"] == "scan":
            return self.scan(options)
        return self.watch(options)

    def scan(self, options):
        paths = [Path(name) for name in options["files"]]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}")
        batch = services.start_batch(name=options["batch"], source=Source.CLI)
        as_json = options["json"]
        for path in paths:
            received = services.receive_file(batch=batch, data=path.read_bytes(), filename=path.name)
            if received.duplicate:
                reports = [selectors.duplicate_report(received.file, file_name=str(path))]
            else:
                services.process_file(scanned_file=received.file)
                reports = selectors.file_reports(received.file, file_name=str(path))
            for report in reports:
                if as_json:
                    self.stdout.write(json.dumps(report, ensure_ascii=False))
                else:
                    self.stdout.write(self._line(report))

    @staticmethod
    def _line(report: dict) -> str:
        where = f"{report['file']} p.{report['page']}" if report["page"] else report["file"]
        what = f"{report['procedure']} v{report['version']}" if report["procedure"] else ""
        unsure = sum(1 for item in report["fields"].values() if not item["accepted"])
        fields = f"{len(report['fields'])} fields, {unsure} to verify" if report["fields"] else ""
        case = f"case {report['case']}" if report["case"] else ""
        return "  ".join(part for part in (where, report["status"], what, fields, case) if part)

    def watch(self, options):
        directory = options["directory"] or settings.INTAKE_WATCH_DIR
        if not directory:
            raise CommandError("no folder: set MADOGUCHI_INTAKE_WATCH_DIR or pass --directory")
        if not Path(directory).is_dir():
            raise CommandError(f"not a folder: {directory}")
        min_age = settings.INTAKE_WATCH_SECONDS if options["min_age"] is None else options["min_age"]
        while True:
            for item in services.sweep_watch_dir(directory=directory, min_age_seconds=min_age):
                state = "duplicate" if item.duplicate else ("stored" if item.scanned_file_id else "failed")
                self.stdout.write(f"{item.name}: {state} → {item.moved_to}")
            if options["once"]:
                return
            time.sleep(max(1.0, float(settings.INTAKE_WATCH_SECONDS)))
