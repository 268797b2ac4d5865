"""Factories for the office tests: departments, staff and residents, a small procedure, and cases."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from madoguchi.accounts.models import Department, Role, User, UserKind
from madoguchi.cases.models import Case, Channel, Status
from madoguchi.procedures.models import Procedure, ProcedureVersion
from madoguchi.procedures.spec import canonical_sha256, parse_procedure_text

PASSWORD = "correct-horse-battery-staple"

DEPARTMENT_NAMES = {
    "shimin": ("市民課", "Residents Division"),
    "kosodate": ("子育て支援課", "Child Support Division"),
    "hoken-nenkin": ("保険年金課", "Insurance and Pension Division"),
    "kaigo": ("介護保険課", "Long-term Care Insurance Division"),
    "fukushi": ("福祉課", "Welfare Division"),
    "zeimu": ("税務課", "Taxation Division"),
    "kankyo": ("環境課", "Environment Division"),
}


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "kosodate"
    name_ja = factory.LazyAttribute(lambda o: DEPARTMENT_NAMES.get(o.code, (o.code, o.code))[0])
    name_en = factory.LazyAttribute(lambda o: DEPARTMENT_NAMES.get(o.code, (o.code, o.code))[1])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.jp")
    display_name = factory.Sequence(lambda n: f"利用者{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class StaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"staff{n}@city.midori.example.jp")
    display_name = factory.Sequence(lambda n: f"職員{n}")
    kind = UserKind.STAFF
    department = factory.SubFactory(DepartmentFactory)
    role = Role.APPROVER


class ResidentFactory(UserFactory):
    email = factory.Sequence(lambda n: f"resident{n}@example.jp")
    display_name = factory.Sequence(lambda n: f"住民{n}")
    kind = UserKind.RESIDENT
    email_verified_at = factory.LazyFunction(timezone.now)


PROCEDURE_YAML = """\
id: {slug}
name: {{ja: {name_ja}, en: {name_en}}}
department: {department}
description: {{ja: テスト用の手続きです。, en: A procedure for tests.}}
eligibility: {{ja: どなたでも, en: Anyone}}
bring:
  ja: [本人確認書類]
  en: [Photo identification]
fee: {{ja: 無料, en: Free}}
online: true
identity_level: email
sla_business_days: 5
form:
  steps:
    - id: applicant
      title: {{ja: 申請者, en: Applicant}}
      fields:
        - id: applicant_name
          type: text
          label: {{ja: 氏名, en: Full name}}
          required: true
          max_length: 50
        - id: reason
          type: select
          label: {{ja: 申請の理由, en: Reason}}
          required: true
          options:
            - {{value: birth, label: {{ja: 出生, en: Birth}}}}
            - {{value: moving_in, label: {{ja: 転入, en: Moving in}}}}
        - id: comment
          type: textarea
          label: {{ja: 連絡事項, en: Comments}}
          max_length: 400
"""


def make_procedure(
    *,
    slug: str = "jido-teate",
    department: Department | None = None,
    name_ja: str = "児童手当の認定請求",
    name_en: str = "Child allowance claim",
) -> Procedure:
    """A published procedure with one version, built from a small YAML spec (no files needed)."""
    department = department or DepartmentFactory(code="kosodate")
    spec_text = PROCEDURE_YAML.format(slug=slug, department=department.code, name_ja=name_ja, name_en=name_en)
    spec = parse_procedure_text(spec_text, path=f"{slug}.yaml")
    procedure = Procedure.objects.create(
        slug=slug, department=department, name_ja=name_ja, name_en=name_en, life_events=[], online=True
    )
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=1,
        sha256=canonical_sha256(spec),
        spec=spec.to_json(),
        source_path=f"procedures/{slug}.yaml",
    )
    procedure.current_version = version
    procedure.save(update_fields=["current_version"])
    return procedure


class CaseFactory(factory.django.DjangoModelFactory):
    """A case written straight to the table (as if submitted), for queue and detail tests."""

    class Meta:
        model = Case

    reference = factory.Sequence(lambda n: f"T{n // 10000 % 1000:03d}-{n % 10000:04d}")
    procedure = factory.LazyFunction(lambda: Procedure.objects.order_by("id").first() or make_procedure())
    procedure_version = factory.LazyAttribute(lambda o: o.procedure.current_version)
    department = factory.LazyAttribute(lambda o: o.procedure.department)
    applicant = factory.SubFactory(ResidentFactory)
    applicant_name = "緑 花子"
    channel = Channel.ONLINE
    status = Status.SUBMITTED
    data = factory.LazyAttribute(
        lambda o: {"applicant_name": o.applicant_name, "reason": "birth", "comment": "よろしくお願いします。"}
    )
    submitted_at = factory.LazyFunction(timezone.now)
    status_changed_at = factory.LazyFunction(timezone.now)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
