"""Sign-in limits are shared by every worker process and exact: at most MADOGUCHI_LOGIN_RATE_LIMIT wrong
passwords are checked per account and per client IP in a window, however many workers check at once, and
signing in to one's own account never buys more guesses (docs/security.md, "Probe findings and fixes")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from madoguchi.accounts import ratelimit, services
from madoguchi.accounts.tests import factories
from madoguchi.core import counters

LIMIT = 10


def _try(email: str, password: str, ip: str) -> str:
    """'ok', or the error code of sign_in ('bad_credentials' means the password was checked)."""
    try:
        services.sign_in(email=email, password=password, ip=ip, staff=False)
    except services.AccountError as exc:
        return exc.code
    return "ok"


# ---- the counters -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_counter_counts_within_its_window_and_starts_again_after_it(monkeypatch):
    now = {"ms": 1_000_000}
    monkeypatch.setattr(counters, "_now_ms", lambda: now["ms"])
    assert [counters.hit("k", 60).count for _ in range(3)] == [1, 2, 3]
    assert counters.peek("k").count == 3
    now["ms"] += 60_000
    assert counters.peek("k").count == 0
    assert counters.hit("k", 60).count == 1


@pytest.mark.django_db
def test_undo_takes_back_a_hit_only_in_the_window_it_was_counted_in(monkeypatch):
    now = {"ms": 1_000_000}
    monkeypatch.setattr(counters, "_now_ms", lambda: now["ms"])
    counters.hit("k", 60)
    second = counters.hit("k", 60)
    counters.undo(second)
    assert counters.peek("k").count == 1
    now["ms"] += 61_000
    fresh = counters.hit("k", 60)
    counters.undo(second)  # counted in the window that ended: the new window keeps its count
    assert counters.peek("k").count == fresh.count == 1


# ---- sign-in in one process ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_exactly_the_limit_of_wrong_passwords_is_checked_and_then_the_right_one_is_refused():
    user = factories.ResidentFactory()
    results = [_try(user.email, f"wrong-{n}", "192.0.2.1") for n in range(20)]
    assert results.count("bad_credentials") == LIMIT
    assert results[LIMIT:] == ["rate_limited"] * 10
    assert _try(user.email, factories.PASSWORD, "192.0.2.99") == "rate_limited"


@pytest.mark.django_db
def test_signing_in_to_ones_own_account_does_not_reset_the_ip_counter():
    """Password spraying: one IP guesses one password for many accounts, signing in to its own in between."""
    own = factories.ResidentFactory()
    victims = [factories.ResidentFactory() for _ in range(27)]
    checked = 0
    for victim in victims:
        assert _try(own.email, factories.PASSWORD, "198.51.100.7") in {"ok", "rate_limited"}
        checked += _try(victim.email, "Summer2026!", "198.51.100.7") == "bad_credentials"
        checked += _try(victim.email, "Password123", "198.51.100.7") == "bad_credentials"
    assert checked == LIMIT


@pytest.mark.django_db
def test_a_success_clears_only_its_own_accounts_counter():
    attacked, other = factories.ResidentFactory(), factories.ResidentFactory()
    for n in range(LIMIT - 1):
        _try(attacked.email, f"wrong-{n}", f"203.0.113.{n}")
    assert _try(other.email, factories.PASSWORD, "203.0.113.50") == "ok"
    assert _try(attacked.email, "wrong-last", "203.0.113.51") == "bad_credentials"
    assert _try(attacked.email, "wrong-over", "203.0.113.52") == "rate_limited"


@pytest.mark.django_db
def test_the_right_password_clears_the_accounts_counter_but_not_the_ips():
    user = factories.ResidentFactory()
    for n in range(LIMIT - 1):
        _try(user.email, f"wrong-{n}", "192.0.2.5")
    assert _try(user.email, factories.PASSWORD, "192.0.2.5") == "ok"
    assert counters.peek(ratelimit._account_key(user.email, ratelimit.LOGIN)).count == 0
    assert counters.peek(f"{ratelimit.LOGIN}-fail:ip:192.0.2.5").count == LIMIT - 1


@pytest.mark.django_db
def test_a_refused_attempt_is_not_counted():
    user = factories.ResidentFactory()
    for n in range(LIMIT + 5):
        _try(user.email, f"wrong-{n}", "192.0.2.8")
    assert counters.peek(ratelimit._account_key(user.email, ratelimit.LOGIN)).count == LIMIT


# ---- several worker processes --------------------------------------------------------------------------------


def _run_workers(directory: Path, env: dict, plans: list[tuple[str, str]], tries: int) -> list[dict]:
    """Start one process per (email, ip) plan, let them all start guessing at once, collect their counts."""
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "madoguchi.accounts.tests.login_workers",
                "guess",
                str(directory),
                f"w{n}",
                email,
                ip,
                str(tries),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n, (email, ip) in enumerate(plans)
    ]
    deadline = time.monotonic() + 120
    while len(list(directory.glob("*.ready"))) < len(plans):
        assert time.monotonic() < deadline, "the worker processes did not start"
        assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        time.sleep(0.02)
    (directory / "go").touch()
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    for marker in [*directory.glob("*.ready"), directory / "go"]:
        marker.unlink()
    return results


def _worker_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MADOGUCHI_", "DATABASE_URL"))}
    env.update(extra, DJANGO_SETTINGS_MODULE="madoguchi.settings", PYTHONPATH=os.pathsep.join(sys.path))
    return env


def _check_three_workers(directory: Path, env: dict, emails: list[str]) -> None:
    # One account, each worker from its own IP: only the account's limit applies.
    results = _run_workers(directory, env, [(emails[0], f"192.0.2.{n}") for n in (1, 2, 3)], tries=20)
    assert sum(r["checked"] for r in results) == LIMIT, results
    assert sum(r["refused"] for r in results) == 3 * 20 - LIMIT
    # One IP, each worker sprays its own account: only the IP's limit applies.
    results = _run_workers(directory, env, [(email, "198.51.100.9") for email in emails[1:]], tries=20)
    assert sum(r["checked"] for r in results) == LIMIT, results


def test_three_worker_processes_check_exactly_the_limit_on_a_shared_sqlite_file(tmp_path):
    """Seven processes in all; each check hashes with the production PBKDF2, so checks overlap as they would
    under gunicorn."""
    env = _worker_env(MADOGUCHI_VAR_DIR=str(tmp_path))
    emails = ["target@example.jp", "a@example.jp", "b@example.jp", "c@example.jp"]
    subprocess.run(
        [sys.executable, "-m", "madoguchi.accounts.tests.login_workers", "setup", *emails],
        env=env,
        check=True,
        timeout=300,
    )
    _check_three_workers(tmp_path, env, emails)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="runs on the test database when it is PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_three_worker_processes_check_exactly_the_limit_on_postgresql(tmp_path):
    emails = ["target@example.jp", "a@example.jp", "b@example.jp", "c@example.jp"]
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = _worker_env(MADOGUCHI_VAR_DIR=str(tmp_path), DATABASE_URL=url)
    subprocess.run(  # the accounts with the production hasher (the tests' own is MD5)
        [sys.executable, "-m", "madoguchi.accounts.tests.login_workers", "setup", *emails],
        env=env,
        check=True,
        timeout=300,
    )
    _check_three_workers(tmp_path, env, emails)
