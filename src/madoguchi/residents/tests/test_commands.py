"""`madoguchi serve` choosing its server."""

from __future__ import annotations

import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from madoguchi.core.management.commands import serve


@pytest.mark.django_db
def test_serve_uses_gunicorn_without_debug(settings, monkeypatch, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "static"
    calls = []
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: calls.append((path, argv)))
    call_command("serve", "--host", "127.0.0.1", "--port", "8123", stdout=StringIO())
    [(path, argv)] = calls
    assert path == sys.executable
    assert argv[1:4] == ["-m", "gunicorn", "madoguchi.wsgi:application"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    assert argv[argv.index("--workers") + 1] == str(serve.default_workers())
    assert argv[argv.index("--threads") + 1] == "1"


@pytest.mark.django_db
def test_serve_uses_runserver_in_debug(settings, monkeypatch, tmp_path):
    settings.DEBUG = True
    settings.STATIC_ROOT = tmp_path / "static"
    calls = []
    monkeypatch.setattr(serve, "call_command", lambda *args, **kwargs: calls.append(args))
    out = StringIO()
    call_command("serve", "--port", "8124", stdout=out)
    assert calls == [("runserver", "127.0.0.1:8124")]
    assert "http://127.0.0.1:8124/" in out.getvalue()


@pytest.mark.django_db
def test_serve_stops_when_migrations_are_missing(monkeypatch):
    monkeypatch.setattr(serve, "unapplied_migrations", lambda: ["cases.0009_new"])
    monkeypatch.setattr(serve.os, "execv", lambda *a: pytest.fail("must not start the server"))
    with pytest.raises(CommandError, match="madoguchi migrate"):
        call_command("serve", stdout=StringIO())


@pytest.mark.django_db
def test_the_test_database_has_no_unapplied_migrations():
    assert serve.unapplied_migrations() == []
