"""The printed form on the Django side: the layout stored with each version, `form_layout`, `printable_form`."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps

from madoguchi.procedures import selectors, services
from madoguchi.procedures.forms.layout import FormLayout, layout_form
from madoguchi.procedures.forms.printable import Basics, PrintableForm
from madoguchi.procedures.forms.render import render_forms
from madoguchi.procedures.models import Procedure, ProcedureVersion
from madoguchi.procedures.spec import ProcedureSpec

from .factories import ProcedureFactory, sync_repository_procedures

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced():
    sync_repository_procedures()
    selectors._layout_cache.clear()


def test_publishing_a_version_stores_its_layout(synced):
    for procedure in Procedure.objects.select_related("current_version"):
        version = procedure.current_version
        spec = ProcedureSpec.from_json(version.spec)
        assert version.print_layout == layout_form(spec).to_json(), procedure.slug
        assert version.print_layout["layout_version"] == 1


def test_a_version_without_a_stored_layout_gets_one_on_first_use():
    procedure = ProcedureFactory(slug="tenkyo")
    version = procedure.current_version
    assert version.print_layout is None
    selectors._layout_cache.clear()
    layout = selectors.form_layout(procedure)
    assert isinstance(layout, FormLayout) and layout.procedure == "tenkyo"
    version.refresh_from_db()
    assert version.print_layout == layout.to_json()
    assert selectors.form_layout(version) is layout  # cached per version


def test_the_layout_leaves_out_my_number_while_my_number_is_off(synced, settings):
    version = Procedure.objects.get(slug="jido-teate").current_version
    settings.MY_NUMBER_ENABLED = False
    without = selectors.form_layout(version)
    assert not without.boxes_of("claimant_my_number")
    settings.MY_NUMBER_ENABLED = True
    with_number = selectors.form_layout(version)
    (box,) = with_number.boxes_of("claimant_my_number")
    assert box.blank and box.cells == 12
    assert with_number.to_json() == version.print_layout  # the stored one: every field of the version


def test_the_migration_fills_versions_published_before_it(synced):
    migration = importlib.import_module("madoguchi.procedures.migrations.0002_procedureversion_print_layout")
    ProcedureVersion.objects.update(print_layout=None)
    migration.fill_layouts(apps, None)
    for version in ProcedureVersion.objects.all():
        assert version.print_layout == layout_form(ProcedureSpec.from_json(version.spec)).to_json()


def test_printable_form_for_the_counter(synced):
    version = Procedure.objects.get(slug="kodomo-iryohi").current_version
    form = services.printable_form(
        procedure_version=version,
        values={"guardian_name": "緑川 太郎"},
        basics={"name": "緑川 太郎", "birth_date": "1986-04-12", "sex": "男", "address": "みどり市1-1"},
        case_number="ABCD-1234",
    )
    assert isinstance(form, PrintableForm)
    assert form.spec == selectors.spec_of(version) and form.layout == selectors.form_layout(version)
    assert form.version == version.number and form.case_number == "ABCD-1234"
    assert form.basics == Basics("緑川 太郎", "みどり市1-1", dt.date(1986, 4, 12), "1")
    assert form.printed_on is not None
    blank = services.printable_form(procedure_version=version, values=None, basics=None, case_number="")
    assert blank.values == {} and blank.case_number is None and blank.basics == Basics()
    pdf = render_forms([form, blank], city_name="みどり市")
    assert pdf.page_count == 2 * form.layout.page_count


def test_basic_items_of_a_person_withhold_a_protected_address():
    person = SimpleNamespace(
        name="緑川 花子",
        address="みどり市中央1-1",
        birth_date=dt.date(1990, 1, 2),
        sex="2",
        support_measure=False,
    )
    assert services.basics_of_person(person) == Basics(
        "緑川 花子", "みどり市中央1-1", dt.date(1990, 1, 2), "2"
    )
    person.support_measure = True
    assert services.basics_of_person(person).address == ""
    assert services.basics_of_person(None) == Basics()


def test_catalog_reads_do_not_load_the_layouts(synced):
    procedure = selectors.get_procedure("tenkyo")
    assert "print_layout" in procedure.current_version.get_deferred_fields()
    assert all("print_layout" in p.current_version.get_deferred_fields() for p in selectors.catalog())
