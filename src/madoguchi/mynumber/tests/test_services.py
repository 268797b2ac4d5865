"""The vault: numbers stored encrypted, revealed only with the permission and a purpose, always audited."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import Permission

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.core import crypto
from madoguchi.core.models import AuditEvent
from madoguchi.mynumber import selectors, services
from madoguchi.mynumber.models import PersonalNumber
from madoguchi.mynumber.tests.factories import grant_reveal, valid_my_number
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

NUMBER = valid_my_number()


def _store(person, actor, number=NUMBER):
    return services.store_my_number(person=person, number=number, actor=actor, purpose="児童手当の認定請求")


def _audit_rows():
    return list(AuditEvent.objects.order_by("id"))


def test_store_encrypts_and_keeps_no_digits(person, clerk):
    row = _store(person, clerk)

    assert row.key_id == "k2024"
    assert NUMBER not in row.ciphertext
    stored = " ".join(str(value) for value in PersonalNumber.objects.values_list().get())  # every column
    assert NUMBER not in stored


def test_store_accepts_full_width_and_hyphens(person, clerk):
    written = "－".join(["１２３４", "５６７８", "９０１８"])
    assert valid_my_number() == "123456789018"

    _store(person, clerk, number=written)

    assert services.reveal_my_number(person=person, actor=grant_reveal(clerk), purpose="確認") == NUMBER


def test_store_is_audited_without_the_number(person, clerk):
    _store(person, clerk)

    (event,) = _audit_rows()
    assert (event.action, event.object_type, event.person_id) == ("store", "personal_number", person.pk)
    assert event.fields == ["my_number"]
    assert event.purpose == "児童手当の認定請求"
    assert NUMBER not in str(event.__dict__)


def test_storing_again_replaces_the_number(person, officer):
    _store(person, officer)
    other = valid_my_number("98765432109")

    _store(person, officer, number=other)

    assert PersonalNumber.objects.count() == 1
    assert services.reveal_my_number(person=person, actor=officer, purpose="確認") == other


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("12345678901", "my_number_format"),
        ("1234567890123", "my_number_format"),
        ("12345678901a", "my_number_format"),
        ("", "my_number_format"),
        (NUMBER[:11] + str((int(NUMBER[11]) + 1) % 10), "my_number_check_digit"),
    ],
)
def test_invalid_numbers_are_refused_in_both_languages(person, clerk, number, code):
    with pytest.raises(services.MyNumberError) as excinfo:
        _store(person, clerk, number=number)

    error = excinfo.value
    assert error.code == code
    assert "個人番号" in error.message("ja")
    assert "My Number" in error.message("en")
    assert number not in (error.message("ja") + error.message("en")) or not number
    assert not PersonalNumber.objects.exists()
    assert not AuditEvent.objects.exists()


def test_store_needs_a_purpose(person, clerk):
    with pytest.raises(services.MyNumberError) as excinfo:
        services.store_my_number(person=person, number=NUMBER, actor=clerk, purpose="  ")

    assert excinfo.value.code == "purpose_required"
    assert not PersonalNumber.objects.exists()


def test_nothing_is_stored_while_the_switch_is_off(person, clerk, settings):
    settings.MY_NUMBER_ENABLED = False

    with pytest.raises(services.MyNumberNotPermitted) as excinfo:
        _store(person, clerk)

    assert excinfo.value.code == "my_number_disabled"
    assert not PersonalNumber.objects.exists()


def test_reveal_with_permission_and_purpose_is_audited(person, officer):
    _store(person, officer)

    number = services.reveal_my_number(
        person=person, actor=officer, purpose="国民健康保険の資格確認", client_ip="192.0.2.7"
    )

    assert number == NUMBER
    event = _audit_rows()[-1]
    assert (event.action, event.actor_id, event.person_id) == ("reveal", officer.pk, person.pk)
    assert event.fields == ["my_number"]
    assert event.purpose == "国民健康保険の資格確認"
    assert event.client_ip == "192.0.2.7"


def test_reveal_without_permission_is_refused_and_audited(person, clerk):
    _store(person, clerk)

    with pytest.raises(services.MyNumberNotPermitted) as excinfo:
        services.reveal_my_number(person=person, actor=clerk, purpose="興味本位")

    assert excinfo.value.code == "not_permitted"
    assert "監査ログ" in excinfo.value.message("ja")
    assert "audit log" in excinfo.value.message("en")
    event = _audit_rows()[-1]
    assert (event.action, event.actor_id, event.person_id) == ("refused", clerk.pk, person.pk)
    assert event.purpose == "興味本位"


@pytest.mark.parametrize("purpose", ["", "   ", "\u3000"])
def test_reveal_without_purpose_is_refused_and_audited(person, officer, purpose):
    _store(person, officer)

    with pytest.raises(services.MyNumberNotPermitted) as excinfo:
        services.reveal_my_number(person=person, actor=officer, purpose=purpose)

    assert excinfo.value.code == "purpose_required"
    event = _audit_rows()[-1]
    assert event.action == "refused"
    assert event.purpose == services.NO_PURPOSE


def test_residents_and_inactive_staff_are_refused(person, officer):
    _store(person, officer)
    resident = ResidentFactory()
    officer.is_active = False

    for actor in (resident, officer):
        with pytest.raises(services.MyNumberNotPermitted):
            services.reveal_my_number(person=person, actor=actor, purpose="確認")

    assert [e.action for e in _audit_rows()[-2:]] == ["refused", "refused"]


def test_reveal_is_refused_while_the_switch_is_off(person, officer, settings):
    _store(person, officer)
    settings.MY_NUMBER_ENABLED = False

    with pytest.raises(services.MyNumberNotPermitted) as excinfo:
        services.reveal_my_number(person=person, actor=officer, purpose="確認")

    assert excinfo.value.code == "my_number_disabled"
    assert _audit_rows()[-1].action == "refused"


def test_reveal_of_a_person_without_a_number_is_audited(person, officer):
    with pytest.raises(services.MyNumberError) as excinfo:
        services.reveal_my_number(person=person, actor=officer, purpose="確認")

    assert excinfo.value.code == "not_stored"
    event = _audit_rows()[-1]
    assert (event.action, event.fields) == ("reveal", [])


def test_ciphertext_moved_to_another_person_does_not_decrypt(person, officer, caplog):
    _store(person, officer)
    other = PersonFactory()
    _store(other, officer, number=valid_my_number("98765432109"))
    stolen = PersonalNumber.objects.get(person=person).ciphertext
    PersonalNumber.objects.filter(person=other).update(ciphertext=stolen)

    with caplog.at_level(logging.DEBUG), pytest.raises(services.MyNumberError) as excinfo:
        services.reveal_my_number(person=other, actor=officer, purpose="確認")

    assert excinfo.value.code == "unreadable"
    assert NUMBER not in caplog.text
    assert _audit_rows()[-1].fields == []


def test_masked_display_shows_no_digit(person, clerk):
    assert selectors.masked_my_number(person=person) == ""

    _store(person, clerk)

    assert selectors.masked_my_number(person=person) == "●●●● ●●●● ●●●●"
    assert not any(ch.isdigit() for ch in selectors.MASK)


def test_nothing_logs_the_number(person, officer, caplog):
    with caplog.at_level(logging.DEBUG):
        _store(person, officer)
        services.reveal_my_number(person=person, actor=officer, purpose="確認")
        with pytest.raises(services.MyNumberError):
            _store(person, officer, number=NUMBER[:11] + "X")

    assert NUMBER not in caplog.text
    assert NUMBER[:11] not in caplog.text


def test_str_of_a_row_shows_no_number(person, clerk):
    row = _store(person, clerk)

    assert NUMBER not in str(row) and NUMBER not in repr(row)
    assert crypto.key_id_of(row.ciphertext) in str(row)


def test_only_the_reveal_permission_exists():
    codenames = set(
        Permission.objects.filter(content_type__app_label="mynumber").values_list("codename", flat=True)
    )
    assert codenames == {"reveal_personalnumber"}
