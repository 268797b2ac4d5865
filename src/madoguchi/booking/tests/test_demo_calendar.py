"""The demo town's booking windows and types, and the procedure that books one of them."""

import pytest

from madoguchi.booking.models import AppointmentType
from madoguchi.demo.services import ensure_demo_booking
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.selectors import spec_of
from madoguchi.procedures.tests.factories import sync_repository_procedures

pytestmark = pytest.mark.django_db


def test_the_demo_creates_its_types_once_and_every_visit_key_names_one():
    assert ensure_demo_booking() == 4
    assert ensure_demo_booking() == 0
    sync_repository_procedures()
    codes = set(AppointmentType.objects.values_list("code", flat=True))
    visits = {
        spec.visit.appointment_type
        for spec in (spec_of(p.current_version) for p in Procedure.objects.all())
        if spec.visit is not None
    }
    assert visits and visits <= codes
