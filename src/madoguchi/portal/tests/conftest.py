import pytest
from django.utils import translation

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.procedures.tests.factories import juminhyo


@pytest.fixture(autouse=True)
def _japanese():
    """A request to /en/… leaves English active in the test thread; reverse() would then build /en/ URLs."""
    translation.activate("ja")
    yield
    translation.activate("ja")


@pytest.fixture
def procedure(db):
    return juminhyo()


@pytest.fixture
def resident(db):
    return ResidentFactory()


@pytest.fixture
def resident_client(client, resident):
    client.force_login(resident)
    return client
