"""Worker processes for the rate-limit test (test_rate_limits.py): each is a separate Python process with
its own database connection, like a gunicorn worker, and tries passwords through `services.sign_in`.

    python -m madoguchi.accounts.tests.login_workers setup EMAIL...    # tables (SQLite file) and accounts
    python -m madoguchi.accounts.tests.login_workers guess DIR NAME EMAIL IP TRIES

`guess` writes DIR/NAME.ready, waits for DIR/go, tries TRIES wrong passwords, and prints
{"checked": n, "refused": m}: how many were checked (wrong password) and how many refused unchecked.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

PASSWORD = "right-password-2026"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    import django

    django.setup()


def setup(emails: list[str]) -> None:
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from madoguchi.accounts.models import Department, User, UserKind
    from madoguchi.core.models import RateCounter

    if connection.vendor == "sqlite":  # a fresh file: only the tables sign-in needs
        with connection.schema_editor() as editor:
            for model in (ContentType, Permission, Group, Department, User):
                editor.create_model(model)
            editor.create_model(RateCounter)
    for email in emails:
        User.objects.create_user(email=email, password=PASSWORD, kind=UserKind.RESIDENT)


def guess(directory: Path, name: str, email: str, ip: str, tries: int) -> dict[str, int]:
    from madoguchi.accounts import services
    from madoguchi.accounts.models import User

    User.objects.exists()  # connect before the start
    (directory / f"{name}.ready").touch()
    deadline = time.monotonic() + 120
    while not (directory / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.005)
    result = {"checked": 0, "refused": 0}
    for n in range(tries):
        try:
            services.sign_in(email=email, password=f"wrong-{name}-{n}", ip=ip, staff=False)
        except services.AccountError as exc:
            result["checked" if exc.code == "bad_credentials" else "refused"] += 1
    return result


def main(argv: list[str]) -> None:
    _setup_django()
    if argv[0] == "setup":
        setup(argv[1:])
    elif argv[0] == "guess":
        directory, name, email, ip, tries = argv[1:6]
        print(json.dumps(guess(Path(directory), name, email, ip, int(tries))))


if __name__ == "__main__":
    main(sys.argv[1:])
