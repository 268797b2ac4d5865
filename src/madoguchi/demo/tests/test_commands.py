"""`madoguchi demo` end to end."""

from __future__ import annotations

import importlib.util
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from madoguchi.accounts.models import User
from madoguchi.cases.models import Case, CaseAttachment
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
    from madoguchi.automation.models import RuleVersion

    assert RuleVersion.objects.filter(is_current=True).count() == 5 and "ルール: 5 published" in out

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
