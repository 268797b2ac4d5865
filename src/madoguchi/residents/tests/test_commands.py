"""`madoguchi demo` end to end, and `madoguchi serve` choosing its server."""

from __future__ import annotations

import importlib.util
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from madoguchi.accounts.models import User
from madoguchi.cases.models import Case, CaseAttachment
from madoguchi.core.management.commands import serve
from madoguchi.residents.models import Person

HAS_PROCEDURE_SYNC = importlib.util.find_spec("madoguchi.procedures.services") is not None


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
@pytest.mark.skipif(not HAS_PROCEDURE_SYNC, reason="procedures.services (sync_procedures) is not written yet")
def test_demo_end_to_end(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out, err = run("--residents", "200", "--cases", "10")
    assert Person.objects.count() == 200
    cases = Case.objects.all()
    assert cases.count() == 10, err
    assert len({c.status for c in cases}) >= 3
    assert len({c.department_id for c in cases}) >= 2
    assert len({c.channel for c in cases}) >= 2
    assert all(c.applicant.is_resident and c.applicant_name for c in cases)
    assert cases.filter(applicant__email="taro@example.jp").exists()
    for attachment in CaseAttachment.objects.all():
        assert attachment.content_type == "image/png" and attachment.size > 0
    assert "http://127.0.0.1:8000/" in out and "http://127.0.0.1:8000/office/" in out
    for email in (
        "shimin.reviewer@city.midori.example.jp",
        "auditor@city.midori.example.jp",
        "taro@example.jp",
    ):
        assert email in out
    assert "midori-demo-2026" in out

    out, err = run("--residents", "200", "--cases", "10")
    assert Case.objects.count() == 10
    assert Person.objects.count() == 200
    assert "登録済み" in out


@pytest.mark.django_db
def test_demo_without_cases_needs_no_procedures():
    out, _err = run("--residents", "50", "--cases", "0")
    assert Person.objects.count() == 50
    assert not Case.objects.exists()
    assert User.objects.filter(kind="staff").count() == 22
    assert "kosodate.approver@city.midori.example.jp" in out


@pytest.mark.django_db
def test_demo_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="MADOGUCHI_PRODUCTION"):
        run("--residents", "10", "--cases", "0")
    assert not User.objects.exists()


@pytest.mark.parametrize("residents", ["0", "500001", "many"])
def test_demo_refuses_bad_sizes(residents):
    with pytest.raises(CommandError, match="residents"):
        run("--residents", residents)


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
