"""What the benchmarks share: a PostgreSQL database to run in, Django set up against it, a signed-in session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ensure_database(url: str) -> None:
    """Create the database `url` names on its server when it does not exist (trust auth, user postgres)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str, *, settings: str = "madoguchi.settings", **environ: str) -> None:
    """django.setup() on database `url`, with MADOGUCHI_* (or other) settings from `environ` first."""
    os.environ["DATABASE_URL"] = url
    os.environ.update(environ)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def session_for(user) -> str:
    """The key of a new session signed in as `user`, for a Cookie header."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key
