"""支援措置 covers everyone at the protected address and the 世帯番号 (probe finding 2).

The probe: the address was hidden only on the flagged person's page; an unflagged member of the same
household showed it, and the flagged person's page showed the household number that leads there. Here a
registry file puts a protected mother, her child, a grandmother registered as another household in the same
flat, a tenant upstairs (another dwelling) and a neighbour; every staff way to a person is swept.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from madoguchi.accounts import selectors as account_selectors
from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import IdentityLinkFactory, ResidentFactory, StaffFactory
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.models import AuditEvent
from madoguchi.residents import selectors
from madoguchi.residents.exporter import export_registry_csv
from madoguchi.residents.models import Person
from madoguchi.residents.registry.layout import FULL
from madoguchi.residents.services import import_registry_csv
from madoguchi.residents.tests.factories import registry_csv, registry_row

pytestmark = pytest.mark.django_db

WITHHELD = "支援措置対象のため表示できません"
SINCE = {"住民となった日": "2015-04-01", "住所を定めた日": "2015-04-01", "異動日": "2015-04-01"}
FLAT = {"町字": "青葉町", "番地": "5番5号", "郵便番号": "0000031", "住所コード": ""}


def _row(atena: str, household: str, name: str, kana: str, **items: str) -> dict[str, str]:
    return registry_row(
        宛名番号=atena, 世帯番号=household, 氏名=name, 氏名フリガナ=kana, **{**SINCE, **FLAT, **items}
    )


ROWS = [
    _row("9200000001", "9300000001", "青山\u3000静香", "アオヤマ\u3000シズカ", 支援措置="1"),
    _row(
        "9200000002", "9300000001", "青山\u3000陽菜", "アオヤマ\u3000ヒナ", 続柄="子", 生年月日="2012-05-05"
    ),
    _row("9200000003", "9300000003", "赤井\u3000トメ", "アカイ\u3000トメ", 生年月日="1950-01-01"),
    _row("9200000004", "9300000004", "黄川田\u3000純", "キカワダ\u3000ジュン", 方書="2階", 性別="1"),
    _row("9200000005", "9300000005", "白石\u3000健", "シロイシ\u3000ケン", 番地="5番6号", 性別="1"),
]
MOTHER, CHILD, GRANDMOTHER, UPSTAIRS, NEIGHBOUR = ROWS
AT_THE_PROTECTED_ADDRESS = [MOTHER, CHILD, GRANDMOTHER]
NOT_PROTECTED = [UPSTAIRS, NEIGHBOUR]


@pytest.fixture
def town(db):
    report = import_registry_csv(source=io.BytesIO(registry_csv(ROWS)), kind=FULL, source_name="t.csv")
    assert report.applied, [p.format() for p in report.problems]
    return {p.atena_number: p for p in Person.objects.select_related("household")}


def _person(town, row) -> Person:
    return town[row["宛名番号"]]


@pytest.fixture
def staff(kankyo):
    return StaffFactory(department=kankyo, role=Role.REVIEWER)


@pytest.fixture
def authorised(staff):
    permission = Permission.objects.get(
        codename="view_protected_address", content_type__app_label="residents"
    )
    staff.user_permissions.add(permission)
    return get_user_model().objects.get(pk=staff.pk)


def _secrets(person: Person) -> list[str]:
    """What must not appear on a page about someone at the protected address."""
    return ["5番5号", "〒000-0031", "0000031", person.household.number]


def _page(client, person: Person, **post) -> tuple[int, str]:
    url = reverse("office:person_detail", args=[person.pk])
    if post:
        response = client.post(url, {"purpose": "identity_check", **post})
    else:
        response = client.get(url, {"purpose": "identity_check"})
    return response.status_code, response.content.decode()


@pytest.mark.parametrize("row", AT_THE_PROTECTED_ADDRESS, ids=["flagged", "household", "same-flat"])
def test_no_one_at_the_protected_address_shows_the_address_or_household_number(client, town, staff, row):
    person = _person(town, row)
    client.force_login(staff)

    status, body = _page(client, person)

    assert status == 200
    assert person.name in body and WITHHELD in body
    for secret in _secrets(person):
        assert secret not in body, secret
    read = AuditEvent.objects.filter(action="read", person_id=person.pk).get()
    assert not {"address", "postal_code", "household"} & set(read.fields)


@pytest.mark.parametrize("row", NOT_PROTECTED, ids=["upstairs", "neighbour"])
def test_other_dwellings_are_shown_as_before(client, town, staff, row):
    person = _person(town, row)
    client.force_login(staff)

    status, body = _page(client, person)

    assert status == 200 and WITHHELD not in body
    assert person.household.number in body and row["番地"] in body


def test_the_household_members_page_through_a_case_withholds_it_too(client, town, kosodate, procedure):
    child = _person(town, CHILD)
    case = CaseFactory(procedure=procedure, person=child)
    client.force_login(StaffFactory(department=kosodate, role=Role.REVIEWER))

    body = client.get(reverse("office:case_person", args=[case.reference])).content.decode()

    assert child.name in body and WITHHELD in body
    for secret in _secrets(child):
        assert secret not in body
    assert "支援措置の対象となる住所です" in body


def test_search_results_withhold_every_address_at_the_protected_flat(client, town, staff):
    client.force_login(staff)

    body = client.post(
        reverse("office:person_search"), {"purpose": "identity_check", "name_kana": "アオヤマ"}
    ).content.decode()
    other = client.post(
        reverse("office:person_search"), {"purpose": "identity_check", "name_kana": "アカイ"}
    ).content.decode()

    assert "青山\u3000陽菜" in body and "青山\u3000静香" in body and "赤井\u3000トメ" in other
    assert "5番5号" not in body and "5番5号" not in other
    assert body.count(WITHHELD) == 2 and other.count(WITHHELD) == 1


@pytest.mark.parametrize("row", AT_THE_PROTECTED_ADDRESS, ids=["flagged", "household", "same-flat"])
def test_a_reveal_without_the_permission_is_refused_and_audited(client, town, staff, row):
    person = _person(town, row)
    client.force_login(staff)

    status, body = _page(client, person, action="reveal_address", reason="郵送先の確認")

    assert status == 403
    for secret in _secrets(person):
        assert secret not in body
    refused = AuditEvent.objects.filter(action="refused", person_id=person.pk).get()
    assert set(refused.fields) == {"address", "postal_code", "household"}
    assert "郵送先の確認" in refused.purpose


def test_authorised_staff_see_it_once_with_a_reason_audited_as_a_reveal(client, town, authorised):
    child = _person(town, CHILD)
    client.force_login(authorised)

    status, plain = _page(client, child)
    assert status == 200 and "住所を表示する理由" in plain and child.household.number not in plain
    status, no_reason = _page(client, child, action="reveal_address", reason="  ")
    assert status == 400 and child.household.number not in no_reason
    status, revealed = _page(client, child, action="reveal_address", reason="児童手当の現況確認")

    assert status == 200
    assert "5番5号" in revealed and child.household.number in revealed
    reveal = AuditEvent.objects.get(action="reveal", person_id=child.pk)
    assert {"address", "postal_code", "household"} <= set(reveal.fields)
    assert reveal.purpose.endswith("児童手当の現況確認")


def test_the_counter_identity_check_hides_address_and_household_number(town, staff):
    found = account_selectors.persons_for_identity_check(
        staff=staff, name="青山陽菜", birth_date=dt.date(2012, 5, 5)
    )
    [child] = found
    assert child.address_hidden and child.address == "" and child.household_number == ""
    neighbour = account_selectors.person_for_identity_check(
        staff=staff, person_id=_person(town, NEIGHBOUR).pk
    )
    assert not neighbour.address_hidden and neighbour.household_number == NEIGHBOUR["世帯番号"]


def test_pre_fill_of_someone_in_the_same_flat_leaves_the_address_to_the_resident(town):
    resident = ResidentFactory()
    IdentityLinkFactory(user=resident, person=_person(town, GRANDMOTHER))

    values = account_selectors.registry_values_for(resident)

    assert "address" not in values["person"] and "postal_code" not in values["person"]
    assert values["withheld"] == ["person.postal_code", "person.address"]
    assert AuditEvent.objects.filter(action="refused", purpose="registry_prefill").exists()


def test_the_export_leaves_address_and_household_number_empty_at_the_protected_flat(town):
    out = io.BytesIO()
    report = export_registry_csv(target=out, actor="test", purpose="テスト")
    rows = {row["宛名番号"]: row for row in csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig")))}

    assert report.protected == 3
    for row in AT_THE_PROTECTED_ADDRESS:
        exported = rows[row["宛名番号"]]
        assert (exported["番地"], exported["郵便番号"], exported["世帯番号"]) == ("", "", "")
    for row in NOT_PROTECTED:
        assert rows[row["宛名番号"]]["世帯番号"] == row["世帯番号"]


def test_lists_by_address_leave_out_everyone_at_the_protected_flat(town):
    day = dt.date(2020, 1, 1)
    block = {"prefecture": "みどり県", "city": "みどり市", "town": "青葉町", "banchi": "5番5号"}

    assert selectors.residents_at_address_as_of(day, **block, building="") == []
    assert [r.atena_number for r in selectors.residents_at_address_as_of(day, **block)] == ["9200000004"]
    everyone = selectors.residents_at_address_as_of(day, **block, include_protected=True)
    assert len(everyone) == 4


def test_a_flagged_person_who_moved_away_protects_only_their_own_record(town):
    Person.objects.filter(atena_number=MOTHER["宛名番号"]).update(is_active=False, status="2")
    index = selectors.protected_addresses()

    assert index.covers(Person.objects.get(atena_number=MOTHER["宛名番号"]))
    assert not index.covers(Person.objects.get(atena_number=CHILD["宛名番号"]))
    assert not index.covers(Person.objects.get(atena_number=GRANDMOTHER["宛名番号"]))
