import pytest
from django.test import Client

from madoguchi.api.tests import factories


@pytest.fixture
def procedures(db, monkeypatch):
    """The repository's procedures, published with procedures.services.sync_procedures."""
    monkeypatch.setattr(
        "madoguchi.procedures.services.load_procedure_directory", factories.load_procedure_directory_once
    )
    factories.sync_repository_procedures()


@pytest.fixture
def resident(db):
    return factories.ResidentFactory()


@pytest.fixture
def resident_client(resident):
    client = Client()
    client.force_login(resident)
    return client


@pytest.fixture
def other_resident(db):
    return factories.ResidentFactory()


@pytest.fixture
def other_client(other_resident):
    client = Client()
    client.force_login(other_resident)
    return client


@pytest.fixture
def staff(db):
    """An approver of 市民課 (shimin, the department of juminhyo-copy) with an API token."""
    return factories.staff_with_token(department=factories.DepartmentFactory(code="shimin"))


@pytest.fixture
def case(procedures, resident):
    return factories.submitted_case(applicant=resident)
