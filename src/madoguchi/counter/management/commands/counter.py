"""`madoguchi counter purge`: delete expired pre-fill bundles now (Celery beat does it every hour)."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "書かない窓口: `purge` deletes expired pre-fill bundles and the answers of visits never confirmed."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("purge", help="delete expired bundles and stale visit answers now")

    def handle(self, *args, **options):
        from madoguchi.counter import services  # here: `--help` need not load the counter's services

        report = services.purge_expired()
        self.stdout.write(
            f"{report.bundles} expired bundle(s) deleted, answers of {report.visit_answers} unconfirmed "
            "visit form(s) emptied."
        )
