"""Factories for the API tests: departments, residents, staff and their API tokens."""

from __future__ import annotations

from pathlib import Path

import factory
from django.conf import settings
from django.utils import timezone

from madoguchi.accounts.models import Department, Role, User, UserKind
from madoguchi.accounts.services import issue_api_token
from madoguchi.cases import services as case_services
from madoguchi.cases.models import Case
from madoguchi.procedures import selectors as procedure_selectors
from madoguchi.procedures import services as procedure_services
from madoguchi.procedures.services import sync_procedures

DEPARTMENTS = {
    "shimin": ("市民課", "Residents Division"),
    "kosodate": ("子育て支援課", "Child Support Division"),
    "hoken-nenkin": ("保険年金課", "Health Insurance and Pension Division"),
    "kaigo": ("介護保険課", "Long-term Care Insurance Division"),
    "fukushi": ("福祉課", "Welfare Division"),
    "zeimu": ("税務課", "Taxation Division"),
    "kankyo": ("環境課", "Environment Division"),
}


def create_departments() -> dict[str, Department]:
    return {
        code: Department.objects.get_or_create(code=code, defaults={"name_ja": ja, "name_en": en})[0]
        for code, (ja, en) in DEPARTMENTS.items()
    }


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "shimin"
    name_ja = factory.LazyAttribute(lambda o: DEPARTMENTS.get(o.code, (o.code, o.code))[0])
    name_en = factory.LazyAttribute(lambda o: DEPARTMENTS.get(o.code, (o.code, o.code))[1])


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"resident{n}@example.jp")
    display_name = factory.Sequence(lambda n: f"住民{n}")
    kind = UserKind.RESIDENT
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password("correct horse battery staple")


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@city.midori.example.jp")
    display_name = factory.Sequence(lambda n: f"職員{n}")
    kind = UserKind.STAFF
    department = factory.SubFactory(DepartmentFactory)
    role = Role.APPROVER
    password = factory.django.Password("correct horse battery staple")


class ApiTokenOwner:
    """A staff member together with the bearer token to send (the token is shown only once)."""

    def __init__(self, user: User, token: str) -> None:
        self.user = user
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def staff_with_token(**kwargs) -> ApiTokenOwner:
    user = StaffFactory(**kwargs)
    return ApiTokenOwner(user, issue_api_token(user=user, name="test").token)


def sync_repository_procedures() -> None:
    """Departments, then every procedure file of the repository (procedures/*.yaml)."""
    create_departments()
    sync_procedures(directory=settings.PROCEDURES_DIR)


_parsed: dict[tuple, list] = {}
_load_procedure_directory = procedure_services.load_procedure_directory


def load_procedure_directory_once(directory: Path) -> list:
    """Parsing the YAML files takes about a second; their parsed (immutable) specs are reused between tests.

    Keyed by the files' names, sizes and modification times, so an edited file is parsed again.
    """
    directory = Path(directory)
    key = (
        str(directory),
        *((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(directory.glob("*.yaml"))),
    )
    if key not in _parsed:
        _parsed[key] = _load_procedure_directory(directory)
    return _parsed[key]


# Valid answers to procedures/juminhyo-copy.yaml (collection at the counter, so no upload needed).
JUMINHYO_DATA = {
    "applicant_name": "緑 太郎",
    "applicant_kana": "ミドリ タロウ",
    "applicant_birth_date": "1985-04-01",
    "applicant_postal_code": "1000001",
    "applicant_address": "東京都千代田区千代田1-1",
    "applicant_phone": "0312345678",
    "scope": "self",
    "copies": 1,
    "purpose": "license",
    "delivery_method": "counter",
    "agree": True,
}


def submitted_case(*, applicant: User, slug: str = "juminhyo-copy", data: dict | None = None) -> Case:
    """A case submitted online by `applicant` through the same service the API uses."""
    procedure = procedure_selectors.get_procedure(slug)
    assert procedure is not None, f"procedure {slug} is not synced"
    return case_services.create_and_submit_case(
        applicant=applicant, procedure=procedure, raw=dict(data or JUMINHYO_DATA)
    )
