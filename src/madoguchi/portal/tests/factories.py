"""Factories for the portal tests: residents, staff, departments, the repository's procedures, cases."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import factory
from django.conf import settings
from django.test import TestCase
from django.utils import timezone
from factory.django import DjangoModelFactory

from madoguchi.accounts.models import Department, Role, User, UserKind
from madoguchi.cases import services as case_services
from madoguchi.procedures import selectors as procedure_selectors
from madoguchi.procedures import services as procedure_services
from madoguchi.procedures.models import Procedure

PASSWORD = "midori-test-password-2024"

DEPARTMENTS = {
    "shimin": ("市民課", "Residents Division"),
    "kosodate": ("子育て支援課", "Child and Family Support Division"),
    "hoken-nenkin": ("保険年金課", "Health Insurance and Pension Division"),
    "kaigo": ("介護保険課", "Long-term Care Insurance Division"),
    "fukushi": ("福祉課", "Welfare Division"),
    "zeimu": ("税務課", "Taxation Division"),
    "kankyo": ("環境課", "Environment Division"),
}

# Valid answers to every step of procedures/juminhyo-copy.yaml (collection at the counter, so no upload).
JUMINHYO_STEPS = {
    "applicant": {
        "applicant_name": "緑 太郎",
        "applicant_kana": "ミドリ タロウ",
        "applicant_birth_date": "1985-04-01",
        "applicant_postal_code": "1000001",
        "applicant_address": "東京都千代田区千代田1-1",
        "applicant_phone": "0312345678",
    },
    "certificate": {"scope": "self", "copies": "1", "purpose": "license"},
    "delivery": {"delivery_method": "counter", "agree": "on"},
}
JUMINHYO_DATA = {key: value for step in JUMINHYO_STEPS.values() for key, value in step.items()}
PNG_BYTES = (  # a real 1×1 PNG: uploads must decode to be accepted (cases.rendering)
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff\xff\x7f\x00\t\xfb\x03\xfd*\x86\xe3\x8a\x00\x00\x00\x00IEND\xaeB`\x82"
)


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "shimin"
    name_ja = factory.LazyAttribute(lambda o: DEPARTMENTS.get(o.code, (o.code, o.code))[0])
    name_en = factory.LazyAttribute(lambda o: DEPARTMENTS.get(o.code, (o.code, o.code))[1])


class ResidentFactory(DjangoModelFactory):
    """A resident who has confirmed their email and can sign in with PASSWORD."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"resident{n}@example.jp")
    display_name = factory.Sequence(lambda n: f"住民{n}")
    kind = UserKind.RESIDENT
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(self, create, extracted, **kwargs):
        if create:
            self.save()


class StaffFactory(ResidentFactory):
    email = factory.Sequence(lambda n: f"staff{n}@city.midori.example.jp")
    kind = UserKind.STAFF
    department = factory.SubFactory(DepartmentFactory)
    role = Role.APPROVER


def create_departments() -> dict[str, Department]:
    return {code: DepartmentFactory(code=code) for code in DEPARTMENTS}


_parsed_directories: dict[Path, list] = {}
_load_procedure_directory = procedure_services.load_procedure_directory


def _parsed(directory: Path) -> list:
    """The files of `directory`, parsed once per test run (parsing all of them takes about half a second)."""
    if directory not in _parsed_directories:
        _parsed_directories[directory] = _load_procedure_directory(directory)
    return _parsed_directories[directory]


def sync_repository_procedures() -> None:
    """Publish the procedures of the repository's procedures/ directory, as `madoguchi procedures sync` does."""
    create_departments()
    # spec_of caches parsed specs by version id; ids come back after a test's rollback, so start clean.
    procedure_selectors._spec_cache.clear()
    directory = Path(settings.PROCEDURES_DIR)
    with mock.patch.object(procedure_services, "load_procedure_directory", _parsed):
        procedure_services.sync_procedures(directory=directory)


def juminhyo() -> Procedure:
    if not Procedure.objects.filter(slug="juminhyo-copy").exists():
        sync_repository_procedures()
    return Procedure.objects.get(slug="juminhyo-copy")


def submitted_case(applicant, procedure: Procedure | None = None):
    """A submitted application; its events run as after a real commit (so the notice exists)."""
    procedure = procedure or juminhyo()
    with TestCase.captureOnCommitCallbacks(execute=True):
        return case_services.create_and_submit_case(
            applicant=applicant, procedure=procedure, raw=dict(JUMINHYO_DATA)
        )


def transition(case, *, action: str, actor, note: str = ""):
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_services.transition(case=case, action=action, actor=actor, note=note)
    case.refresh_from_db()
    return case
