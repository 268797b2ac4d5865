"""Loading the demo town into the registry, the demo departments and accounts, and the demo FAQ."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from madoguchi.accounts.models import Department, Role, User, UserKind
from madoguchi.core.models import OutboxEvent
from madoguchi.demo import town as demo
from madoguchi.demo.services import (
    DEMO_PASSWORD,
    DEMO_RESIDENT_EMAIL,
    DemoTownError,
    ensure_demo_resident,
    ensure_demo_staff,
    ensure_departments,
    import_demo_faq,
    load_demo_town,
)
from madoguchi.faq.models import FaqEntry, FaqVersion
from madoguchi.jp.postal import lookup_postal_code
from madoguchi.residents.models import Household, Person, PersonPeriod, RegistryImport
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

DEPARTMENTS = {"shimin", "kosodate", "hoken-nenkin", "kaigo", "fukushi", "zeimu", "kankyo"}


def test_demo_postal_codes_are_registered_for_autofill():
    for town in demo.towns():
        address = lookup_postal_code(town.postal_code)
        assert address is not None, town.postal_code
        assert (address.prefecture, address.city, address.town) == ("みどり県", "みどり市", town.town)
        assert address.town_kana == town.town_kana


def test_load_writes_what_the_generator_yields():
    report = load_demo_town(residents=300, seed=5)
    assert report.created and report.residents == 300
    expected = [p for h in demo.generate_town(residents=300, seed=5) for p in h.members]
    stored = {p.atena_number: p for p in Person.objects.select_related("household")}
    assert len(stored) == 300
    assert Household.objects.count() == report.households
    for person in expected:
        row = stored[person.atena_number]
        assert (row.name, row.name_kana, row.birth_date, row.sex, row.relationship) == (
            person.name,
            person.name_kana,
            person.birth_date,
            person.sex,
            person.relationship,
        )
        assert row.address.startswith(f"みどり県みどり市{person.town}{person.banchi}")
        assert row.support_measure == person.support_measure


def test_the_town_goes_through_the_registry_import_with_one_event():
    report = load_demo_town(residents=150, seed=2)
    [batch] = RegistryImport.objects.all()
    assert (batch.kind, batch.source_name, batch.created, batch.outcome) == (
        "full",
        "demo:residents=150,seed=2",
        150,
        "applied",
    )
    assert list(OutboxEvent.objects.values_list("topic", flat=True)) == ["resident.registry_loaded"]
    assert PersonPeriod.objects.filter(valid_to__isnull=True).count() == 150
    assert Household.objects.count() == report.households
    assert set(Person.objects.values_list("last_change_reason", flat=True)) == {"01", "03"}


def test_loading_the_same_town_again_writes_nothing(django_assert_max_num_queries):
    load_demo_town(residents=200, seed=1)
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    with django_assert_max_num_queries(5):
        report = load_demo_town(residents=200, seed=1)
    assert not report.created
    assert list(Person.objects.order_by("pk").values_list("pk", flat=True)) == ids


@pytest.mark.parametrize(("residents", "seed"), [(250, 1), (200, 2)])
def test_other_parameters_replace_the_demo_town(residents, seed):
    load_demo_town(residents=200, seed=1)
    report = load_demo_town(residents=residents, seed=seed)
    assert report.created and report.replaced == 200
    assert Person.objects.count() == residents
    first = next(demo.generate_town(residents=residents, seed=seed)).members[0]
    assert Person.objects.get(atena_number=first.atena_number).name == first.name
    assert not Household.objects.filter(members__isnull=True).exists()


def test_residents_outside_the_demo_range_are_left_alone():
    kept = PersonFactory(atena_number="9000000001")
    load_demo_town(residents=100, seed=1)
    load_demo_town(residents=120, seed=1)
    assert Person.objects.filter(pk=kept.pk).exists()
    assert Person.objects.count() == 121


def test_refuses_sizes_out_of_range():
    with pytest.raises(DemoTownError, match="between 1 and 500,000"):
        load_demo_town(residents=500_001)
    assert not Person.objects.exists()


def test_departments_are_the_seven_of_the_brief():
    departments = ensure_departments()
    assert set(departments) == DEPARTMENTS
    assert departments["kosodate"].name_ja == "子育て支援課"
    ensure_departments()
    assert Department.objects.count() == 7


def test_staff_accounts_per_department_and_role():
    logins = ensure_demo_staff()
    staff = {u.email: u for u in User.objects.filter(kind=UserKind.STAFF).select_related("department")}
    assert len(logins) == len(staff) == 7 * 3 + 1
    for code in DEPARTMENTS:
        roles = {u.role for u in staff.values() if u.department and u.department.code == code}
        assert roles == {Role.REVIEWER, Role.APPROVER, Role.DEPARTMENT_ADMIN}
    auditor = staff["auditor@city.midori.example.jp"]
    assert auditor.role == Role.AUDITOR and auditor.department is None
    reviewer = staff["shimin.reviewer@city.midori.example.jp"]
    assert reviewer.role == Role.REVIEWER and reviewer.department.code == "shimin"
    assert all(u.display_name for u in staff.values())
    assert {(login.department, login.role) for login in logins} >= {("zeimu", "approver"), ("", "auditor")}


def test_demo_password_works_and_is_restored():
    ensure_demo_staff()
    login = authenticate(username="kankyo.admin@city.midori.example.jp", password=DEMO_PASSWORD)
    assert login is not None and login.is_office_staff
    login.set_password("changed-in-the-meantime")
    login.role = Role.REVIEWER
    login.save()
    ensure_demo_staff()
    login.refresh_from_db()
    assert login.check_password(DEMO_PASSWORD)
    assert login.role == Role.DEPARTMENT_ADMIN


def test_demo_resident_is_verified():
    login = ensure_demo_resident()
    assert login.email == DEMO_RESIDENT_EMAIL
    user = authenticate(username=DEMO_RESIDENT_EMAIL, password=DEMO_PASSWORD)
    assert user is not None and user.is_resident
    assert user.email_verified_at is not None
    verified_at = user.email_verified_at
    ensure_demo_resident()
    user.refresh_from_db()
    assert user.email_verified_at == verified_at


@pytest.mark.django_db(transaction=True)
def test_a_town_that_cases_refer_to_is_not_replaced():
    from madoguchi.cases.tests.factories import CaseFactory

    load_demo_town(residents=60, seed=1)
    person = Person.objects.get(atena_number=demo.atena_number(1))
    CaseFactory(person=person)
    with pytest.raises(DemoTownError, match="nothing was changed"):
        load_demo_town(residents=80, seed=1)
    assert Person.objects.count() == 60
    assert Person.objects.get(atena_number=demo.atena_number(1)).name == person.name


def test_demo_faq_import_is_idempotent():
    first = import_demo_faq()
    assert str(first) == "日本語 150 件・英語 40 件（新しい版 190・変更なし 0）"
    second = import_demo_faq()
    assert str(second) == "日本語 150 件・英語 40 件（新しい版 0・変更なし 190）"
    assert FaqEntry.objects.count() == 150 and FaqVersion.objects.count() == 190
    assert Department.objects.count() == 7
