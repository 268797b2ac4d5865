"""`madoguchi mynumber`: key management of the My Number vault."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from madoguchi.core import crypto
from madoguchi.mynumber import services


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "My Number vault tools. `mynumber rotate-keys` re-encrypts every stored number with the newest key "
        "of MADOGUCHI_FIELD_KEYS; `mynumber status` counts rows per key; `mynumber generate-key` prints a new "
        "key entry. No command ever prints a My Number."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{rotate-keys,status,generate-key}"
        )
        rotate = subcommands.add_parser(
            "rotate-keys",
            help="Re-encrypt every row that is not on the newest key (idempotent; safe to run again).",
        )
        rotate.add_argument(
            "--batch-size",
            type=_positive,
            default=500,
            help="Rows re-encrypted per transaction (default 500).",
        )
        subcommands.add_parser("status", help="Rows per key id, and the key new numbers are encrypted with.")
        generate = subcommands.add_parser(
            "generate-key",
            help="Print a new 'keyid:base64key' entry to put first in MADOGUCHI_FIELD_KEYS.",
        )
        generate.add_argument(
            "--key-id",
            default="",
            help="Id of the new key: 1–32 letters, digits, '_' or '-' (default k<YYYYMMDD>).",
        )

    def handle(self, *args, subcommand: str, **options) -> None:
        if subcommand == "rotate-keys":
            self.rotate(batch_size=options["batch_size"])
        elif subcommand == "status":
            self.status()
        else:
            self.generate(key_id=options["key_id"] or f"k{timezone.localdate():%Y%m%d}")

    def rotate(self, *, batch_size: int) -> None:
        report = services.rotate_keys(batch_size=batch_size)
        self.stdout.write(
            f"newest key: {report.newest_key}; re-encrypted {report.rotated} row(s), "
            f"{report.already_current} already on the newest key, {len(report.failed)} failed"
        )
        self.write_counts(report.by_key)
        if report.failed:
            shown = ", ".join(str(pk) for pk in report.failed[:20])
            more = ", …" if len(report.failed) > 20 else ""
            raise CommandError(
                f"{len(report.failed)} row(s) could not be decrypted (person ids {shown}{more}). Their key is "
                "missing from MADOGUCHI_FIELD_KEYS or the row was changed: restore the key or the row from a "
                "backup, then run `mynumber rotate-keys` again. Do not remove old keys until this passes.",
                returncode=1,
            )

    def status(self) -> None:
        ring = crypto.key_ring()
        self.stdout.write(f"newest key: {ring.newest_id}; keys in the ring: {', '.join(ring.key_ids)}")
        if ring.is_development:
            self.stdout.write(self.style.WARNING("MADOGUCHI_FIELD_KEYS is not set: development key in use."))
        counts = services.rows_by_key()
        self.write_counts(counts)
        missing = sorted(set(counts) - set(ring.key_ids))
        if missing:
            raise CommandError(
                f"rows are encrypted with key(s) no longer in MADOGUCHI_FIELD_KEYS: {', '.join(missing)}. "
                "Put those keys back (after the newest one) and run `mynumber rotate-keys`.",
                returncode=1,
            )

    def write_counts(self, counts: dict[str, int]) -> None:
        if not counts:
            self.stdout.write("no My Numbers are stored")
        for key_id, n in counts.items():
            self.stdout.write(f"  {key_id}: {n} row(s)")

    def generate(self, *, key_id: str) -> None:
        try:
            entry = crypto.generate_key_entry(key_id)
        except ValueError as exc:
            raise CommandError(f"--key-id: {exc}.") from exc
        self.stdout.write(entry)
        self.stderr.write(
            "Put this entry FIRST in MADOGUCHI_FIELD_KEYS (keep the old keys after it), keep a copy in your "
            "key escrow, restart, then run `madoguchi mynumber rotate-keys`."
        )
