"""`madoguchi mynumber rotate-keys`: every row moves to the newest key, in batches, and a rerun does nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from madoguchi.core.models import AuditEvent
from madoguchi.mynumber import services
from madoguchi.mynumber.models import PersonalNumber
from madoguchi.mynumber.tests.conftest import KEY_2024, KEY_2025
from madoguchi.mynumber.tests.factories import valid_my_number
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command("mynumber", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def stored(officer):
    people = []
    for n in range(7):
        person = PersonFactory()
        number = valid_my_number(f"{n + 1:011d}")
        services.store_my_number(person=person, number=number, actor=officer, purpose="テスト")
        people.append((person, number))
    return people


def test_rotation_re_encrypts_every_row_in_batches(settings, stored, officer):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_2025, KEY_2024]
    before = dict(PersonalNumber.objects.values_list("pk", "ciphertext"))

    output = _run("rotate-keys", "--batch-size", "3")

    assert "re-encrypted 7 row(s), 0 already on the newest key, 0 failed" in output
    assert "k2025: 7 row(s)" in output
    after = dict(PersonalNumber.objects.values_list("pk", "ciphertext"))
    assert all(after[pk] != before[pk] and after[pk].startswith("k2025:") for pk in before)
    settings.FIELD_ENCRYPTION_KEYS = [KEY_2025]  # the old key can now be removed
    for person, number in stored:
        assert services.reveal_my_number(person=person, actor=officer, purpose="確認") == number


def test_rotation_is_idempotent(settings, stored):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_2025, KEY_2024]
    _run("rotate-keys")
    ciphertexts = dict(PersonalNumber.objects.values_list("pk", "ciphertext"))
    audit_rows = AuditEvent.objects.count()

    output = _run("rotate-keys")

    assert "re-encrypted 0 row(s), 7 already on the newest key, 0 failed" in output
    assert dict(PersonalNumber.objects.values_list("pk", "ciphertext")) == ciphertexts
    assert AuditEvent.objects.count() == audit_rows  # nothing done, nothing to audit


def test_rotation_writes_one_audit_row(settings, stored):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_2025, KEY_2024]
    before = AuditEvent.objects.count()

    _run("rotate-keys", "--batch-size", "2")

    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.channel, event.purpose) == ("rotate", "cli", "key_rotation")


def test_rows_that_cannot_be_decrypted_are_reported_and_kept(settings, stored):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_2025, KEY_2024]
    broken_person, _ = stored[2]
    PersonalNumber.objects.filter(person=broken_person).update(
        ciphertext=PersonalNumber.objects.get(person=stored[3][0]).ciphertext
    )

    with pytest.raises(CommandError) as excinfo:
        _run("rotate-keys")

    assert excinfo.value.returncode == 1
    assert str(broken_person.pk) in str(excinfo.value)
    assert PersonalNumber.objects.filter(key_id="k2025").count() == 6
    assert PersonalNumber.objects.get(person=broken_person).key_id == "k2024"


def test_status_counts_rows_per_key_and_names_missing_keys(settings, stored):
    output = _run("status")
    assert "newest key: k2024" in output and "k2024: 7 row(s)" in output

    settings.FIELD_ENCRYPTION_KEYS = [KEY_2025]
    with pytest.raises(CommandError, match="k2024"):
        _run("status")


def test_no_command_prints_a_number(settings, stored):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_2025, KEY_2024]
    output = _run("rotate-keys") + _run("status")

    assert not any(number in output for _, number in stored)


def test_generate_key_prints_a_usable_entry(settings, stored):
    entry = _run("generate-key", "--key-id", "k2026").strip()

    assert entry.startswith("k2026:")
    settings.FIELD_ENCRYPTION_KEYS = [entry, KEY_2024]
    assert "re-encrypted 7 row(s)" in _run("rotate-keys")


def test_generate_key_refuses_a_bad_id():
    with pytest.raises(CommandError, match="key-id"):
        _run("generate-key", "--key-id", "bad id")
