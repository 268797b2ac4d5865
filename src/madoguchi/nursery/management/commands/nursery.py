"""`madoguchi nursery …`: a thin wrapper around the pure engine's command line (engine/cli.py)."""

import argparse

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "保育所等利用調整 / nursery admission allocation: allocate, verify, import, export-chilmai, score. "
        "Run `madoguchi nursery -- --help` for the engine's own help."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument(
            "args", nargs=argparse.REMAINDER, help="engine arguments, e.g. allocate IN.json -o OUT.json"
        )

    def handle(self, *args, **options):
        from madoguchi.nursery.engine.cli import main

        argv = list(args)
        if argv and argv[0] == "--":
            argv = argv[1:]
        status = main(argv)
        if status:
            raise SystemExit(status)
