from django.core.management.base import BaseCommand

from madoguchi.core import events


class Command(BaseCommand):
    help = "Domain events: `events dispatch` delivers outbox events that are still pending (after a failure)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["dispatch"])
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args, action: str, limit: int, **options):
        delivered = events.dispatch_pending(limit=limit)
        self.stdout.write(f"delivered {delivered} pending event(s)")
