from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from madoguchi.core import audit, audit_anchor
from madoguchi.core.models import AuditChainHead, AuditEvent


class Command(BaseCommand):
    help = (
        "Audit log tools. `audit verify` recomputes every hash chain and names each edited, deleted, "
        "inserted or reordered row as `chain C row #N`, and checks the log against the anchor file (chains "
        "cut back from their end, or deleted whole); it exits with status 1 when it finds any. `audit anchor` "
        "appends every chain head to the anchor file (run it on a schedule)."
    )

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,anchor}")
        verify = subcommands.add_parser(
            "verify", help="Check that no audit row was edited, deleted, inserted or reordered."
        )
        verify.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help="Rows read from the database at a time (default 5000).",
        )
        verify.add_argument(
            "--anchor-file",
            type=Path,
            default=None,
            help="Anchor file to check against (default MADOGUCHI_AUDIT_ANCHOR_FILE), e.g. the auditors' copy.",
        )
        anchor = subcommands.add_parser(
            "anchor", help="Append every chain head, signed, to the anchor file outside the database."
        )
        anchor.add_argument(
            "--anchor-file",
            type=Path,
            default=None,
            help="Anchor file to append to (default MADOGUCHI_AUDIT_ANCHOR_FILE).",
        )

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "verify":
            self.verify(batch_size=options["batch_size"], anchor_file=options["anchor_file"])
        elif subcommand == "anchor":
            self.anchor(anchor_file=options["anchor_file"])

    def verify(self, *, batch_size: int, anchor_file: Path | None) -> None:
        anchors = audit_anchor.read(anchor_file)
        problems = 0
        for line in anchors.problems:
            problems += 1
            self.stdout.write(line)
        for problem in audit.verify_chain(batch_size=batch_size, anchors=anchors.anchors):
            problems += 1
            self.stdout.write(str(problem))
        if problems:
            raise CommandError(
                f"監査ログに {problems} 件の問題があります。バックアップと、外部に保管したアンカーの写しから復元し、誰が変更したかを調査してください。 / "
                f"The audit log has {problems} problem(s): restore it from a backup and the off-site copy of the "
                "anchor file, and investigate who changed it.",
                returncode=1,
            )
        rows, chains = AuditEvent.objects.count(), AuditChainHead.objects.count()
        self.stdout.write(f"audit log OK: {rows} rows in {chains} chain{'' if chains == 1 else 's'}")
        if anchors.exists:
            self.stdout.write(
                f"anchors OK: {anchors.lines} line{'' if anchors.lines == 1 else 's'} in {anchors.path}, "
                f"the newest of {anchors.newest_at or '-'}"
            )
        else:
            self.stderr.write(
                f"No anchor file at {anchors.path}: chains cut back from their end, or deleted with their "
                "head, cannot be seen. Run `madoguchi audit anchor` on a schedule (docs/security.md)."
            )

    def anchor(self, *, anchor_file: Path | None) -> None:
        written = audit_anchor.write_anchor(anchor_file)
        self.stdout.write(
            f"anchored {written.chains} chain head{'' if written.chains == 1 else 's'} as line {written.line} "
            f"of {written.path}"
        )
        if written.went_back:
            for line in written.went_back:
                self.stdout.write(line)
            raise CommandError(
                "監査ログのチェーンが前回のアンカーより短くなっています。`madoguchi audit verify` で確認してください。 / "
                "An audit chain is shorter than at the previous anchor: run `madoguchi audit verify`.",
                returncode=1,
            )
