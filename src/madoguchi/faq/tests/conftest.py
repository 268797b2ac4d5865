"""FAQ test fixtures. The search index is cached per process by content, so the demo FAQ is indexed once per
test session although every test imports it into its own (rolled-back) database."""

from __future__ import annotations

import pytest
from django.utils import translation

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import ResidentFactory, StaffFactory, create_departments
from madoguchi.faq import services


@pytest.fixture(autouse=True)
def _faq_urls_and_language(settings):
    settings.ROOT_URLCONF = "madoguchi.faq.tests.urls"
    settings.LANGUAGE_CODE = "ja"
    translation.activate("ja")
    yield
    translation.activate("ja")


@pytest.fixture
def departments(db):
    return create_departments()


@pytest.fixture
def demo_faq(departments):
    """The みどり市 demo FAQ (150 Japanese, 40 English entries) in the test database: the files the demo room
    imports (faq/demo_data), imported with this room's own service."""
    return [
        services.import_faq_csv(path=services.DEMO_DATA / name, lang=lang)
        for name, lang in services.DEMO_FILES
    ]


@pytest.fixture
def resident(db):
    return ResidentFactory()


@pytest.fixture
def resident_client(client, resident):
    client.force_login(resident)
    return client


@pytest.fixture
def staff_of(departments):
    """A reviewer (審査担当) of the department `code`, unless `role` says otherwise."""

    def make(code: str, **kwargs):
        kwargs.setdefault("role", Role.REVIEWER)
        return StaffFactory(department=departments[code], **kwargs)

    return make
