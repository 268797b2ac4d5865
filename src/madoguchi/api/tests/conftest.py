import pytest
from django.test import Client

from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory
from madoguchi.api.tests import factories
from madoguchi.procedures.tests.factories import sync_repository_procedures


@pytest.fixture
def procedures(db):
    """The repository's procedures, published with procedures.services.sync_procedures."""
    sync_repository_procedures()


@pytest.fixture
def resident(db):
    return ResidentFactory()


@pytest.fixture
def resident_client(resident):
    client = Client()
    client.force_login(resident)
    return client


@pytest.fixture
def other_resident(db):
    return ResidentFactory()


@pytest.fixture
def other_client(other_resident):
    client = Client()
    client.force_login(other_resident)
    return client


@pytest.fixture
def staff(db):
    """An approver of 市民課 (shimin, the department of juminhyo-copy) with an API token."""
    return factories.staff_with_token(department=DepartmentFactory(code="shimin"))


@pytest.fixture
def case(procedures, resident):
    return factories.submitted_case(applicant=resident)
