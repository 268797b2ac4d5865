"""`madoguchi serve`: run the web server — Django's runserver in debug mode, gunicorn otherwise.

Static files need no `collectstatic`: WhiteNoise serves them from the apps' static directories
(WHITENOISE_USE_FINDERS), in both modes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


def unapplied_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Names of the migrations the database still needs, as app.name."""
    connection = connections[alias]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def default_workers() -> int:
    """CPU cores + 1 single-threaded workers. On the 2-core reference machine this accepted about twice the
    submissions per second of 4 workers × 2 threads (bench/platform; docs/operations.md "Sizing")."""
    return (os.cpu_count() or 1) + 1


class Command(BaseCommand):
    help = "Serve Madoguchi on http://HOST:PORT: runserver when MADOGUCHI_DEBUG is on, otherwise gunicorn."
    requires_system_checks = []  # runserver and gunicorn check for themselves

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default 8000).")
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help=f"gunicorn worker processes (default: CPU cores + 1, here {default_workers()}).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=1,
            help="Threads per gunicorn worker (default 1: the requests are CPU-bound, and threads of one "
            "process queue for Python's interpreter lock).",
        )

    def handle(self, *args, host: str, port: int, workers: int, threads: int, **options) -> None:
        if not 1 <= port <= 65535:
            raise CommandError(f"--port must be between 1 and 65535 (got {port}).")
        # The production checks (core.checks: keys, shared cache) and Django's own; errors stop here.
        self.check(include_deployment_checks=bool(settings.PRODUCTION))
        pending = unapplied_migrations()
        if pending:
            raise CommandError(
                f"The database needs {len(pending)} migration(s) ({', '.join(pending[:3])}"
                f"{', …' if len(pending) > 3 else ''}). Run `madoguchi migrate` first, then serve again."
            )
        # WhiteNoise serves from the finders; an empty STATIC_ROOT only spares every worker a warning.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        bind = f"{host}:{port}"
        url_host = f"[{host}]" if ":" in host else host
        if os.environ.get("RUN_MAIN") != "true":  # not again in runserver's auto-reloading child
            self.stdout.write(
                f"Madoguchi: http://{url_host}:{port}/  (職員: /office/)  Ctrl+C で停止します。"
            )
        if settings.DEBUG:
            call_command("runserver", bind)
            return
        connections.close_all()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "madoguchi.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--access-logfile",
            "-",
        ]
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, command)  # noqa: S606 - a fixed command line, no shell
