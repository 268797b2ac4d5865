import pytest
from django.utils import translation

from madoguchi.accounts.tests import factories
from madoguchi.residents.tests.factories import HouseholdFactory, PersonFactory


@pytest.fixture(autouse=True)
def _isolated():
    """Japanese by default (a request to /en/ leaves English active in the test thread)."""
    translation.activate("ja")
    yield
    translation.activate("ja")


@pytest.fixture
def resident(db):
    return factories.ResidentFactory()


@pytest.fixture
def counter_staff(db):
    return factories.StaffFactory(reviewer=True)


@pytest.fixture
def household(db):
    return HouseholdFactory()


@pytest.fixture
def hanako(household):
    """緑川　花子, head of a household of two in 緑町."""
    return PersonFactory(household=household)


@pytest.fixture
def taro(household):
    return PersonFactory(
        household=household,
        name="緑川\u3000太郎",
        name_kana="ミドリカワ\u3000タロウ",
        birth_date="2015-06-01",
        relationship="子",
    )
