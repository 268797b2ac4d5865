"""The demo's 保育 applications are about real young children of the applicant's household (not the parent)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from madoguchi.cases.models import Case
from madoguchi.demo import town as demo
from madoguchi.demo.cases import create_demo_cases, is_about_a_child
from madoguchi.demo.services import ensure_demo_staff, load_demo_town
from madoguchi.nursery.services import age_class_on
from madoguchi.procedures.selectors import spec_of
from madoguchi.procedures.services import sync_procedures
from madoguchi.residents.models import Person

pytestmark = pytest.mark.django_db


def test_demo_nursery_applications_name_a_child_aged_0_to_5_of_the_applicants_household():
    load_demo_town(residents=600, seed=3)
    ensure_demo_staff()
    sync_procedures(directory=settings.PROCEDURES_DIR)
    report = create_demo_cases(count=60, seed=3)
    assert "hoiku-moushikomi" not in report.skipped, report.skipped
    nursery = [
        case
        for case in Case.objects.select_related("procedure", "procedure_version", "applicant")
        if is_about_a_child(spec_of(case.procedure_version))
    ]
    assert nursery, "no demo application about a child was created"
    assert any(case.procedure.slug == "hoiku-moushikomi" for case in nursery)
    for case in nursery:
        prefix = "child1" if "child1_birth_date" in case.data else "child"
        born = dt.date.fromisoformat(case.data[f"{prefix}_birth_date"])
        assert 0 <= age_class_on(born, demo.REFERENCE_DATE) <= 5, (case.reference, born)
        child = Person.objects.get(name=case.data[f"{prefix}_name"], birth_date=born)
        parent_atena = case.applicant.email.removeprefix("demo-").split("@")[0]
        parent = Person.objects.get(atena_number=parent_atena)
        assert parent.household_id == child.household_id
        assert parent.birth_date.year <= demo.REFERENCE_DATE.year - 18  # the parent applies, not the child
