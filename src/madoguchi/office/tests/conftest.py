from __future__ import annotations

import pytest

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, StaffFactory
from madoguchi.procedures.tests.factories import ProcedureFactory


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.LANGUAGE_CODE = "ja"


@pytest.fixture
def kosodate(db):
    return DepartmentFactory(code="kosodate")


@pytest.fixture
def kankyo(db):
    return DepartmentFactory(code="kankyo")


@pytest.fixture
def procedure(kosodate):
    return ProcedureFactory(slug="jido-teate", department=kosodate)


@pytest.fixture
def approver(kosodate):
    return StaffFactory(department=kosodate, role=Role.APPROVER, display_name="決裁 一郎")


@pytest.fixture
def reviewer(kosodate):
    return StaffFactory(department=kosodate, role=Role.REVIEWER, display_name="審査 花子")


@pytest.fixture
def auditor(kosodate):
    return StaffFactory(department=None, role=Role.AUDITOR, display_name="監査 次郎")


@pytest.fixture
def approver_client(client, approver):
    client.force_login(approver)
    return client
