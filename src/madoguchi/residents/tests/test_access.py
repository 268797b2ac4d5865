"""Staff access to the registry: by a case of one's own department or a stated purpose, always audited.

The test the issue asks for: staff of 環境課 cannot open the person behind a 子育て支援課 case (a 404 and an
audited refusal). Also: a search needs a purpose, and the address of a person under 支援措置 is never
shown without the permission (every attempt audited).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.http import Http404

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.cases.models import Status
from madoguchi.cases.selectors import via_case_for_staff
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.models import AuditEvent
from madoguchi.procedures.tests.factories import ProcedureFactory
from madoguchi.residents import access
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def grant_protected_address(user):
    """`user` with residents.view_protected_address, freshly loaded (has_perm caches permissions)."""
    app_label, codename = access.PROTECTED_ADDRESS_PERMISSION.split(".")
    user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return get_user_model().objects.get(pk=user.pk)


def test_the_protected_address_permission_is_declared_on_person():
    """Created by migrate like any model permission, so it can be granted in the admin or to a group."""
    app_label, codename = access.PROTECTED_ADDRESS_PERMISSION.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    assert permission.content_type.model == "person"
    assert permission.name == "支援措置対象者の住所を表示できる（理由の記入が必要・監査対象）"


@pytest.fixture
def kosodate():
    return DepartmentFactory(code="kosodate")


@pytest.fixture
def kankyo():
    return DepartmentFactory(code="kankyo")


@pytest.fixture
def kosodate_staff(kosodate):
    return StaffFactory(department=kosodate, role=Role.REVIEWER)


@pytest.fixture
def kankyo_staff(kankyo):
    return StaffFactory(department=kankyo, role=Role.REVIEWER)


@pytest.fixture
def person():
    return PersonFactory(
        name="緑川\u3000花子", name_kana="ミドリカワ\u3000ハナコ", birth_date=dt.date(1985, 4, 1)
    )


@pytest.fixture
def protected():
    return PersonFactory(
        name="青山\u3000静香",
        name_kana="アオヤマ\u3000シズカ",
        birth_date=dt.date(1990, 7, 7),
        postal_code="0000031",
        town="青葉町",
        banchi="1番2号",
        support_measure=True,
    )


@pytest.fixture
def case(kosodate, person):
    ProcedureFactory(slug="jido-teate", department=kosodate)
    return CaseFactory(person=person)


def _last() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()


# ----------------------------------------------------------------------------------------------------------
# Through a case


def test_staff_open_the_person_of_a_case_of_their_department(kosodate_staff, case, person):
    view = access.person_for_staff(
        staff=kosodate_staff,
        person_id=None,
        purpose="case_review",
        via_case=via_case_for_staff(staff=kosodate_staff, reference=case.reference),
        client_ip="192.0.2.5",
    )

    assert (view.id, view.name, view.address) == (person.pk, person.name, person.address)
    assert view.postal_code == "〒000-0021"
    event = _last()
    assert (event.action, event.actor_id, event.person_id) == ("read", kosodate_staff.pk, person.pk)
    assert "address" in event.fields and "name" in event.fields
    assert event.purpose == f"case_review ({case.reference})"
    assert event.client_ip == "192.0.2.5"


def test_kankyo_staff_cannot_open_the_person_behind_a_kosodate_case(kankyo_staff, case, person):
    """環境課 staff asking for the applicant of a 子育て支援課 case: 404, and the refusal is audited."""
    with pytest.raises(Http404) as excinfo:
        access.person_for_staff(
            staff=kankyo_staff,
            person_id=None,
            purpose="case_review",
            via_case=via_case_for_staff(staff=kankyo_staff, reference=case.reference),
        )

    assert isinstance(excinfo.value, access.PersonAccessRefused)
    assert "表示できません" in excinfo.value.message("ja")
    event = _last()
    assert (event.action, event.actor_id) == ("refused", kankyo_staff.pk)
    assert event.person_id == person.pk  # the auditor sees whose record was asked for
    assert event.fields == []
    assert AuditEvent.objects.filter(action="read").count() == 0


def test_kankyo_staff_cannot_name_the_person_either(kankyo_staff, case, person):
    with pytest.raises(access.PersonAccessRefused):
        access.person_for_staff(
            staff=kankyo_staff,
            person_id=person.pk,
            purpose="case_review",
            via_case=via_case_for_staff(staff=kankyo_staff, reference=case.reference),
        )

    assert (_last().action, _last().person_id) == ("refused", person.pk)


def test_a_case_does_not_open_another_person(kosodate_staff, case):
    stranger = PersonFactory()

    with pytest.raises(access.PersonAccessRefused):
        access.person_for_staff(
            staff=kosodate_staff,
            person_id=stranger.pk,
            purpose="case_review",
            via_case=via_case_for_staff(staff=kosodate_staff, reference=case.reference),
        )

    assert (_last().action, _last().person_id) == ("refused", stranger.pk)


def test_an_overlong_reference_is_refused_within_the_audit_columns(kosodate_staff):
    with pytest.raises(access.PersonAccessRefused):
        access.person_for_staff(
            staff=kosodate_staff,
            person_id=None,
            purpose="case_review",
            via_case=via_case_for_staff(staff=kosodate_staff, reference="X" * 500),
        )

    event = _last()
    assert event.action == "refused"
    assert len(event.object_id) <= 64 and len(event.purpose) <= 200


def test_a_long_reason_fits_the_audit_row(kankyo_staff, protected):
    authorised = grant_protected_address(kankyo_staff)

    access.person_for_staff(
        staff=authorised,
        person_id=protected.pk,
        purpose="identity_check",
        reveal_address=True,
        reason="理" * 400,
    )

    assert _last().action == "reveal" and len(_last().purpose) <= 200


def test_a_draft_does_not_open_its_person(kosodate_staff, case):
    case.status = Status.DRAFT
    case.save(update_fields=["status"])

    with pytest.raises(access.PersonAccessRefused):
        access.person_for_staff(
            staff=kosodate_staff,
            person_id=None,
            purpose="case_review",
            via_case=via_case_for_staff(staff=kosodate_staff, reference=case.reference),
        )


def test_a_case_without_a_person_says_so_without_reading_anything(kosodate_staff, kosodate):
    ProcedureFactory(slug="jido-teate", department=kosodate)
    unmatched = CaseFactory(person=None)

    with pytest.raises(access.PersonNotLinked) as excinfo:
        access.person_for_staff(
            staff=kosodate_staff,
            person_id=None,
            purpose="case_review",
            via_case=via_case_for_staff(staff=kosodate_staff, reference=unmatched.reference),
        )

    assert "住民検索" in excinfo.value.message("ja")
    assert not AuditEvent.objects.exists()


def test_residents_and_inactive_staff_are_refused(case, kosodate_staff):
    kosodate_staff.is_active = False
    for user in (ResidentFactory(), kosodate_staff):
        with pytest.raises(access.PersonAccessRefused):
            access.person_for_staff(
                staff=user,
                person_id=None,
                purpose="case_review",
                via_case=via_case_for_staff(staff=user, reference=case.reference),
            )

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["refused", "refused"]


# ----------------------------------------------------------------------------------------------------------
# With a purpose (from a search)


def test_a_search_purpose_of_the_department_opens_a_person(kankyo_staff, person):
    view = access.person_for_staff(staff=kankyo_staff, person_id=person.pk, purpose="identity_check")

    assert view.name == person.name
    assert (_last().action, _last().purpose) == ("read", "identity_check")


@pytest.mark.parametrize("purpose", ["", "curiosity", "tax_investigation", "case_review"])
def test_a_purpose_the_department_may_not_state_is_refused(kankyo_staff, person, purpose):
    with pytest.raises(access.PersonAccessRefused):
        access.person_for_staff(staff=kankyo_staff, person_id=person.pk, purpose=purpose)

    assert (_last().action, _last().person_id) == ("refused", person.pk)


def test_an_unknown_person_is_refused_and_audited(kankyo_staff):
    with pytest.raises(access.PersonAccessRefused):
        access.person_for_staff(staff=kankyo_staff, person_id=987654, purpose="identity_check")

    assert (_last().action, _last().person_id) == ("refused", 987654)


def test_purposes_depend_on_the_department(kankyo, kosodate):
    codes = {
        code: [p.code for p in access.purposes_for(StaffFactory(department=DepartmentFactory(code=code)))]
        for code in ("kankyo", "zeimu", "kosodate", "shimin")
    }

    assert codes["kankyo"] == ["identity_check"]
    assert "tax_investigation" in codes["zeimu"] and "welfare_support" not in codes["zeimu"]
    assert "welfare_support" in codes["kosodate"] and "tax_investigation" not in codes["kosodate"]
    assert "registry_inquiry" in codes["shimin"]
    assert access.purposes_for(StaffFactory(department=None, role=Role.AUDITOR)) == []


def test_the_view_is_read_only(kankyo_staff, person):
    view = access.person_for_staff(staff=kankyo_staff, person_id=person.pk, purpose="identity_check")

    with pytest.raises(dataclasses.FrozenInstanceError):
        view.address = "somewhere"  # type: ignore[misc]


# ----------------------------------------------------------------------------------------------------------
# 支援措置: the protected address


def test_protected_address_is_withheld_and_not_audited_as_read(kankyo_staff, protected):
    view = access.person_for_staff(staff=kankyo_staff, person_id=protected.pk, purpose="identity_check")

    assert view.address == "支援措置対象のため表示できません"
    assert view.postal_code == ""
    assert view.address_withheld and not view.may_reveal_address
    assert "青葉町" not in str(dataclasses.asdict(view))
    assert "0000031" not in str(dataclasses.asdict(view))
    event = _last()
    assert event.action == "read"
    assert "address" not in event.fields and "postal_code" not in event.fields


def test_protected_address_stays_withheld_for_authorised_staff_until_asked(kankyo_staff, protected):
    authorised = grant_protected_address(kankyo_staff)

    view = access.person_for_staff(staff=authorised, person_id=protected.pk, purpose="identity_check")

    assert view.address_withheld and view.may_reveal_address
    assert "青葉町" not in view.address


def test_asking_for_a_protected_address_without_permission_is_refused_and_audited(kankyo_staff, protected):
    with pytest.raises(PermissionDenied) as excinfo:
        access.person_for_staff(
            staff=kankyo_staff,
            person_id=protected.pk,
            purpose="identity_check",
            reveal_address=True,
            reason="住所の確認",
        )

    assert isinstance(excinfo.value, access.ProtectedAddressRefused)
    assert excinfo.value.code == "protected_address"
    assert "監査ログ" in excinfo.value.message("ja") and "audit log" in excinfo.value.message("en")
    event = _last()
    assert (event.action, event.person_id) == ("refused", protected.pk)
    assert set(event.fields) == {"address", "postal_code", "household"}
    assert event.purpose == "identity_check: 住所の確認"


def test_authorised_staff_must_state_a_reason(kankyo_staff, protected):
    authorised = grant_protected_address(kankyo_staff)

    with pytest.raises(access.ProtectedAddressRefused) as excinfo:
        access.person_for_staff(
            staff=authorised,
            person_id=protected.pk,
            purpose="identity_check",
            reveal_address=True,
            reason=" ",
        )

    assert excinfo.value.code == "reason_required"
    assert _last().action == "refused"


def test_authorised_staff_with_a_reason_see_the_address_audited_as_reveal(kankyo_staff, protected):
    authorised = grant_protected_address(kankyo_staff)

    view = access.person_for_staff(
        staff=authorised,
        person_id=protected.pk,
        purpose="identity_check",
        reveal_address=True,
        reason="裁判所からの照会への回答",
    )

    assert view.address == protected.address and view.postal_code == "〒000-0031"
    assert not view.address_withheld
    event = _last()
    assert (event.action, event.person_id) == ("reveal", protected.pk)
    assert "address" in event.fields
    assert event.purpose == "identity_check: 裁判所からの照会への回答"


def test_asking_for_an_unprotected_address_is_a_plain_read(kankyo_staff, person):
    view = access.person_for_staff(
        staff=kankyo_staff, person_id=person.pk, purpose="identity_check", reveal_address=True
    )

    assert view.address == person.address
    assert _last().action == "read"


# ----------------------------------------------------------------------------------------------------------
# Search


def _search(staff, purpose="identity_check", **query):
    return access.search_persons_for_staff(staff=staff, query=access.PersonQuery(**query), purpose=purpose)


@pytest.mark.parametrize("purpose", ["", "   ", "curiosity", "welfare_support"])
def test_search_needs_a_purpose_the_department_may_state(kankyo_staff, person, purpose):
    with pytest.raises(access.PurposeRequired) as excinfo:
        _search(kankyo_staff, purpose=purpose, name="緑川")

    assert "目的" in excinfo.value.message("ja") and "purpose" in excinfo.value.message("en")
    event = _last()
    assert (event.action, event.object_type) == ("refused", "person_search")


def test_search_needs_a_name_or_reading(kankyo_staff, person):
    with pytest.raises(access.SearchCriteriaError):
        _search(kankyo_staff, birth_date=person.birth_date)

    assert not AuditEvent.objects.exists()


def test_search_by_name_words_and_by_reading_in_hiragana(kankyo_staff, person):
    PersonFactory(name="緑川\u3000太郎", name_kana="ミドリカワ\u3000タロウ", birth_date=dt.date(1980, 1, 1))

    by_name = _search(kankyo_staff, name="緑川 花子")
    by_reading = _search(kankyo_staff, name_kana="みどりかわ　はなこ")
    by_family = _search(kankyo_staff, name_kana="ﾐﾄﾞﾘｶﾜ")

    assert [p.id for p in by_name.persons] == [person.pk]
    assert [p.id for p in by_reading.persons] == [person.pk]
    assert len(by_family.persons) == 2


def test_search_by_atena_number_is_exact_and_takes_full_width_digits(kankyo_staff, person):
    other = PersonFactory(atena_number=person.atena_number + "1")
    typed = person.atena_number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))

    assert [p.id for p in _search(kankyo_staff, atena_number=f" {typed} ").persons] == [person.pk]
    assert [p.id for p in _search(kankyo_staff, atena_number=other.atena_number).persons] == [other.pk]
    assert _search(kankyo_staff, atena_number=person.atena_number[:-1]).persons == []
    assert _last().action == "search"


def test_the_benefit_purpose_extends_to_the_departments_running_benefits(settings, person):
    kyufu = StaffFactory(department=DepartmentFactory(code="kyufu"), role=Role.REVIEWER)
    settings.BENEFITS_DEPARTMENTS = []
    with pytest.raises(access.PurposeRequired):
        _search(kyufu, purpose="benefit_eligibility", name="緑川")
    settings.BENEFITS_DEPARTMENTS = ["kyufu"]
    assert "benefit_eligibility" in [p.code for p in access.purposes_for(kyufu)]
    assert [p.id for p in _search(kyufu, purpose="benefit_eligibility", name="緑川").persons] == [person.pk]


def test_birth_date_narrows_the_search(kankyo_staff, person):
    PersonFactory(name="緑川\u3000花子", name_kana="ミドリカワ\u3000ハナコ", birth_date=dt.date(2001, 1, 1))

    result = _search(kankyo_staff, name="緑川", birth_date=dt.date(1985, 4, 1))

    assert [p.id for p in result.persons] == [person.pk]


def test_a_search_is_one_audit_row_with_the_result_count(kankyo_staff, person):
    PersonFactory(name="緑川\u3000太郎", name_kana="ミドリカワ\u3000タロウ")

    _search(kankyo_staff, name="緑川")

    assert AuditEvent.objects.count() == 1
    event = _last()
    assert (event.action, event.object_type, event.object_id) == ("search", "person_search", "results=2")
    assert event.purpose == "identity_check"
    assert event.person_id is None
    assert set(event.fields) == {"name", "name_kana", "birth_date", "address"}


def test_a_search_with_one_result_names_the_person(kankyo_staff, person):
    _search(kankyo_staff, name="花子")

    assert _last().person_id == person.pk


def test_search_results_withhold_protected_addresses_for_everyone(kankyo_staff, protected):
    authorised = grant_protected_address(kankyo_staff)

    (summary,) = _search(authorised, name="青山").persons

    assert summary.address == "支援措置対象のため表示できません"
    assert summary.address_withheld
    assert "address" not in _last().fields


def test_search_is_capped(kankyo_staff):
    for n in range(3):
        PersonFactory(name=f"緑川\u3000{n}", name_kana="ミドリカワ\u3000テスト")

    result = access.search_persons_for_staff(
        staff=kankyo_staff, query=access.PersonQuery(name="緑川"), purpose="identity_check", limit=2
    )

    assert len(result.persons) == 2 and result.truncated
    assert _last().object_id == "results=2+"
