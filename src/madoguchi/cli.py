"""`madoguchi` console command: manage.py with the project's settings (`madoguchi serve`, `madoguchi demo`, ...)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["madoguchi", *argv])
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
