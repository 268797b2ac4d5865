from __future__ import annotations

import pytest
from django.conf import settings

from madoguchi.accounts.tests.factories import DepartmentFactory, StaffFactory
from madoguchi.core import crypto
from madoguchi.mynumber.tests.factories import grant_reveal
from madoguchi.residents.tests.factories import PersonFactory

# Until "madoguchi.mynumber" is in INSTALLED_APPS the vault's models cannot load, so its tests are not
# collected (run them with a settings module that adds the app).
if "madoguchi.mynumber" not in settings.INSTALLED_APPS:
    collect_ignore_glob = ["test_*.py"]

KEY_2024 = crypto.generate_key_entry("k2024")
KEY_2025 = crypto.generate_key_entry("k2025")


@pytest.fixture(autouse=True)
def _vault_on(settings):
    settings.MY_NUMBER_ENABLED = True
    settings.FIELD_ENCRYPTION_KEYS = [KEY_2024]
    settings.PRODUCTION = False


@pytest.fixture
def person(db):
    return PersonFactory()


@pytest.fixture
def clerk(db):
    """Staff without the reveal permission."""
    return StaffFactory(department=DepartmentFactory(code="shimin"))


@pytest.fixture
def officer(db):
    """Staff holding mynumber.reveal_personalnumber."""
    return grant_reveal(StaffFactory(department=DepartmentFactory(code="shimin")))
