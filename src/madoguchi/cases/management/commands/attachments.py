"""`madoguchi attachments render`: make the safe copies nobody is making (after an upgrade, or from cron)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from madoguchi.cases import services
from madoguchi.cases.models import CaseAttachment, RenderStatus


class Command(BaseCommand):
    help = (
        "Uploads: `render` re-renders, in the limited rendering process, the attachments that still wait for "
        "their safe copy and that no worker has taken on (Celery beat does the same every minute)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        render = sub.add_parser("render", help="render the pending attachments now, one after the other")
        render.add_argument("--limit", type=int, default=1000, help="at most this many (default 1000)")

    def handle(self, *args, action: str, limit: int, **options):
        done = services.render_pending(limit=limit, in_background=False)
        counts = {
            status: CaseAttachment.objects.filter(render_status=status).count()
            for status in RenderStatus.values
        }
        self.stdout.write(
            f"{done} attachment(s) rendered; now {counts['ready']} ready, {counts['failed']} refused, "
            f"{counts['pending']} pending."
        )
