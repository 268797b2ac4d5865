"""Fixtures the benefits tests share: a program, and staff of the department that runs benefits."""

import pytest

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, StaffFactory

from .support import make_program


@pytest.fixture
def program():
    return make_program()


@pytest.fixture
def clerk():
    """A reviewer of 福祉 (MADOGUCHI_BENEFITS_DEPARTMENTS' default): works the desk, does not decide."""
    return StaffFactory(department=DepartmentFactory(code="fukushi"), role=Role.REVIEWER)


@pytest.fixture
def decider():
    """An approver of 福祉: also approves, exports, rejects and sends back."""
    return StaffFactory(department=DepartmentFactory(code="fukushi"), role=Role.APPROVER)
