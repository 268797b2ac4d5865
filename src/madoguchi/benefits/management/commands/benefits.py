"""`madoguchi benefits …`: eligibility, imports, letters, the 全銀 payment file and the bank's return list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from madoguchi.benefits import selectors, services
from madoguchi.core.errors import MadoguchiError


class Command(BaseCommand):
    help = (
        "給付金 / benefit programs: eligibility PROGRAM, letters PROGRAM -o PDF [--layout a4|hagaki], import-tax FILE, "
        "import-accounts FILE, export-payments PROGRAM -o FILE, import-returns PROGRAM FILE, reconcile PROGRAM."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser(
            "eligibility", help="compute the eligible households on the base date (and 確認書)"
        )
        p.add_argument("program")
        p = sub.add_parser("letters", help="print every 確認書 not yet printed as one PDF")
        p.add_argument("program")
        p.add_argument("-o", "--output", required=True)
        p.add_argument("--all", action="store_true", help="also the confirmations printed before")
        p.add_argument("--limit", type=int, default=None)
        p.add_argument(
            "--layout",
            choices=["a4", "hagaki"],
            default="a4",
            help="a4: one A4 page for a window envelope (default); hagaki: a V-fold 圧着はがき, outside and inside",
        )
        p = sub.add_parser("import-tax", help="import a 課税 / 課税異動 CSV (rejected whole on any bad row)")
        p.add_argument("file")
        p = sub.add_parser(
            "import-accounts", help="import a 公金受取口座 CSV (rejected whole on any bad row)"
        )
        p.add_argument("file")
        p = sub.add_parser("export-payments", help="write the 全銀 総合振込 file of the approved payments")
        p.add_argument("program")
        p.add_argument("-o", "--output", required=True)
        p.add_argument("--transfer-date", type=dt.date.fromisoformat, default=None, help="取組日 YYYY-MM-DD")
        p.add_argument("--no-crlf", action="store_true", help="fixed-length records without line endings")
        p = sub.add_parser("import-returns", help="read the bank's returned transfer file (振込不能)")
        p.add_argument("program")
        p.add_argument("file")
        p = sub.add_parser(
            "reconcile", help="eligible = applied + declined + not applied; applied by state and channel"
        )
        p.add_argument("program")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, "do_" + action.replace("-", "_"))(**options)
        except MadoguchiError as exc:
            raise CommandError(exc.ja + "\n" + exc.en) from exc

    def _program(self, slug: str):
        program = selectors.program_by_slug(slug)
        if program is None:
            raise CommandError(f"給付金「{slug}」はありません。/ There is no benefit program {slug!r}.")
        return program

    def _read(self, name: str) -> bytes:
        try:
            return Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(f"{name} を読めません / cannot read {name}: {exc.strerror}") from exc

    def do_eligibility(self, program, **_):
        report = services.compute_eligibility(program=self._program(program))
        self.stdout.write(
            f"{report.eligible:,} eligible households, {report.amount:,} yen; {report.withdrawn:,} no longer "
            f"eligible; {report.confirmations_created:,} new confirmations."
        )

    def do_letters(self, program, output, all, limit, layout, **_):
        from madoguchi.benefits import printing

        result = printing.print_letters(
            program=self._program(program), path=output, reprint=all, limit=limit, layout=layout
        )
        self.stdout.write(
            f"{result.letters:,} letters ({result.layout}), {result.pages:,} pages in {output} "
            f"({result.seconds:.1f} s)."
        )

    def do_import_tax(self, file, **_):
        report = services.import_tax_file(data=self._read(file))
        self.stdout.write(
            f"{report.rows:,} rows: {report.created:,} new, {report.corrected:,} corrected, {report.unchanged:,} unchanged."
        )

    def do_import_accounts(self, file, **_):
        count = services.import_accounts_file(data=self._read(file))
        self.stdout.write(f"{count:,} accounts imported.")

    def do_export_payments(self, program, output, transfer_date, no_crlf, **_):
        result = services.export_payments(
            program=self._program(program),
            path=output,
            transfer_date=transfer_date,
            line_ending="" if no_crlf else "\r\n",
        )
        self.stdout.write(f"{result.count:,} transfers, {result.total:,} yen written to {output}.")

    def do_import_returns(self, program, file, **_):
        report = services.import_returns(program=self._program(program), data=self._read(file))
        self.stdout.write(
            f"{report.paid:,} paid, {len(report.returned):,} returned: {', '.join(report.returned[:20])}"
        )

    def do_reconcile(self, program, **_):
        r = selectors.reconciliation(self._program(program))
        self.stdout.write(
            f"eligible {r.eligible:,} = applied {r.applied:,} + declined {r.declined:,}"
            f" + not applied {r.not_applied:,}"
        )
        self.stdout.write("applied = " + " + ".join(f"{s} {n:,}" for s, n in r.by_state.items()))
        for channel, states in r.by_channel.items():
            self.stdout.write(
                f"  {channel}: "
                + ", ".join(f"{s} {n:,}" for s, n in states.items())
                + f"; declined {r.declined_by_channel[channel]:,}"
            )
        self.stdout.write("reconciles: " + ("yes" if r.holds() else "NO"))
