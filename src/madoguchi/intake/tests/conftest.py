import pytest
from django.conf import settings

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, StaffFactory, create_departments
from madoguchi.procedures.services import sync_procedures


@pytest.fixture
def published(db):
    """Departments and every procedure of the repository, published (their layouts stored)."""
    create_departments()
    sync_procedures(directory=settings.PROCEDURES_DIR)


@pytest.fixture
def clerk(published):
    from madoguchi.accounts.models import Department

    department = Department.objects.filter(code="shimin").first() or DepartmentFactory(code="shimin")
    return StaffFactory(department=department, role=Role.REVIEWER)
