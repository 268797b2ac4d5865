"""Factories for the FAQ tests: departments, residents, staff, a published procedure, cases, small FAQ CSVs."""

from __future__ import annotations

import factory
from django.utils import timezone

from madoguchi.accounts.models import Department, Role, User, UserKind
from madoguchi.cases.models import Case, Channel, Status
from madoguchi.procedures.models import Procedure, ProcedureVersion

PASSWORD = "midori-faq-test-password"
DEPARTMENTS = {
    "shimin": ("市民課", "Residents Division"),
    "kosodate": ("子育て支援課", "Child and Family Support Division"),
    "hoken-nenkin": ("保険年金課", "Health Insurance and Pension Division"),
    "kaigo": ("介護保険課", "Long-term Care Insurance Division"),
    "fukushi": ("福祉課", "Welfare Division"),
    "zeimu": ("税務課", "Taxation Division"),
    "kankyo": ("環境課", "Environment Division"),
}
CSV_HEADER = "id,category,question,answer,procedure,keywords"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "shimin"
    name_ja = factory.LazyAttribute(lambda o: DEPARTMENTS.get(o.code, (o.code, o.code))[0])
    name_en = factory.LazyAttribute(lambda o: DEPARTMENTS.get(o.code, (o.code, o.code))[1])


def create_departments() -> dict[str, Department]:
    return {code: DepartmentFactory(code=code) for code in DEPARTMENTS}


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"faq-resident{n}@example.jp")
    display_name = factory.Sequence(lambda n: f"住民{n}")
    kind = UserKind.RESIDENT
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(self, create, extracted, **kwargs):
        if create:
            self.save()


class StaffFactory(ResidentFactory):
    email = factory.Sequence(lambda n: f"faq-staff{n}@city.midori.example.jp")
    display_name = factory.Sequence(lambda n: f"職員{n}")
    kind = UserKind.STAFF
    department = factory.SubFactory(DepartmentFactory)
    role = Role.REVIEWER


def make_procedure(*, slug: str = "juminhyo-copy", department_code: str = "shimin") -> Procedure:
    """A published procedure (its spec is not read by the FAQ)."""
    procedure = Procedure.objects.create(
        slug=slug,
        department=DepartmentFactory(code=department_code),
        name_ja="住民票の写しの交付請求",
        name_en="Request for a copy of the certificate of residence",
        life_events=["certificates"],
    )
    version = ProcedureVersion.objects.create(
        procedure=procedure, number=1, sha256="0" * 64, spec={}, source_path=f"procedures/{slug}.yaml"
    )
    procedure.current_version = version
    procedure.save(update_fields=["current_version"])
    return procedure


def make_case(*, applicant, procedure: Procedure, reference: str, status: str = Status.IN_REVIEW) -> Case:
    return Case.objects.create(
        reference=reference,
        channel=Channel.ONLINE,
        procedure=procedure,
        procedure_version=procedure.current_version,
        department=procedure.department,
        applicant=applicant,
        applicant_name="緑 花子",
        status=status,
        submitted_at=timezone.now(),
    )


def write_csv(path, rows: list[str], header: str = CSV_HEADER) -> str:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)
