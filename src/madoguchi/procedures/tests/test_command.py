"""`madoguchi procedures sync|check`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from madoguchi.accounts.tests.factories import DepartmentFactory
from madoguchi.procedures.management.commands.procedures import default_directory
from madoguchi.procedures.models import Procedure, ProcedureVersion
from madoguchi.procedures.spec import DEPARTMENTS

from .conftest import REPO_PROCEDURES, procedure_yaml

REPO_ROOT = REPO_PROCEDURES.parent


@pytest.fixture
def folder(tmp_path) -> Path:
    target = tmp_path / "procedures"
    shutil.copytree(REPO_PROCEDURES, target)
    return target


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("procedures", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_sync_prints_a_summary(folder):
    for code in DEPARTMENTS:
        DepartmentFactory(code=code)
    count = len(list(folder.glob("*.yaml")))
    out, _ = run("sync", "--directory", str(folder))
    assert f"Procedures synced: {count} new, 0 changed, 0 unchanged, 0 reactivated, 0 deactivated." in out
    assert "  new         juminhyo-copy" in out
    out, _ = run("sync", "--directory", str(folder))
    assert f"0 new, 0 changed, {count} unchanged" in out
    assert Procedure.objects.count() == count


@pytest.mark.django_db
def test_sync_with_errors_prints_every_problem_and_exits_1(folder):
    (folder / "juminhyo-copy.yaml").write_text(
        procedure_yaml(slug="juminhyo-copy").replace("online: true", "online: maybe"), encoding="utf-8"
    )
    (folder / "tenkyo.yaml").write_text(
        procedure_yaml(slug="tenkyo").replace("shimin", "nowhere"), encoding="utf-8"
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as info:
        call_command("procedures", "sync", "--directory", str(folder), stdout=out, stderr=err)
    assert info.value.returncode == 1
    assert "2 problem(s) in 2 file(s); nothing was published" in str(info.value)
    lines = err.getvalue().splitlines()
    assert lines[0] == f"{folder / 'juminhyo-copy.yaml'}:9: online must be true or false, not text"
    assert lines[1].startswith(f"{folder / 'tenkyo.yaml'}:3: department: unknown value 'nowhere'")
    assert not ProcedureVersion.objects.exists()


def test_check_validates_without_a_database(folder):
    out, _ = run("check", "--directory", str(folder))
    assert f"{len(list(folder.glob('*.yaml')))} procedure files are valid" in out


def test_default_directory_is_the_repository_folder(settings):
    settings.PROCEDURES_DIR = REPO_PROCEDURES
    assert default_directory() == REPO_PROCEDURES
    del settings.PROCEDURES_DIR
    assert default_directory().resolve() == REPO_PROCEDURES.resolve()


def test_command_line_exit_status_and_stderr(tmp_path):
    folder = tmp_path / "procedures"
    folder.mkdir()
    (folder / "bad.yaml").write_text(
        procedure_yaml(slug="bad").replace("fee: {", "fees: {"), encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "procedures", "check", "--directory", str(folder)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert f"{folder / 'bad.yaml'}:7: procedure: unknown key 'fees'; did you mean 'fee'?" in result.stderr
    assert "2 problem(s) in 1 file(s); the files are not valid." in result.stderr
