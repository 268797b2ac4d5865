from django.core.management.base import BaseCommand, CommandError

from madoguchi.core import audit
from madoguchi.core.models import AuditChainHead, AuditEvent


class Command(BaseCommand):
    help = (
        "Audit log tools. `audit verify` recomputes every hash chain and names each edited, deleted, "
        "inserted or reordered row as `chain C row #N`; it exits with status 1 when it finds any."
    )

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify}")
        verify = subcommands.add_parser(
            "verify", help="Check that no audit row was edited, deleted, inserted or reordered."
        )
        verify.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help="Rows read from the database at a time (default 5000).",
        )

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "verify":
            self.verify(batch_size=options["batch_size"])

    def verify(self, *, batch_size: int) -> None:
        problems = 0
        for problem in audit.verify_chain(batch_size=batch_size):
            problems += 1
            self.stdout.write(str(problem))
        if problems:
            raise CommandError(
                f"監査ログに {problems} 件の問題があります。バックアップから復元し、誰が変更したかを調査してください。 / "
                f"The audit log has {problems} problem(s): restore it from a backup and investigate who changed it.",
                returncode=1,
            )
        rows, chains = AuditEvent.objects.count(), AuditChainHead.objects.count()
        self.stdout.write(f"audit log OK: {rows} rows in {chains} chain{'' if chains == 1 else 's'}")
