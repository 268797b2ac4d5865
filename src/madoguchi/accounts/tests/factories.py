"""The canonical factories of the accounts models: departments, users (residents and staff), identity links.

Every room's tests build these models with these factories (tests may import other rooms' test factories).
Defaults are what most tests need; other shapes are explicit arguments or traits:

    ResidentFactory()                           a resident with a confirmed email, signing in with PASSWORD
    ResidentFactory(unverified=True)            … who has not opened the confirmation link yet
    ResidentFactory(english=True)               … who reads notices and emails in English
    StaffFactory()                              an approver (決裁者) of 市民課
    StaffFactory(reviewer=True)                 a reviewer (審査担当); also department_admin=True
    StaffFactory(auditor=True)                  an auditor: no department
    StaffFactory(inactive=True)                 a deactivated account
    StaffFactory(department=DepartmentFactory(code="kosodate"), role=Role.REVIEWER)
"""

from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from madoguchi.accounts.models import (
    AssuranceLevel,
    Department,
    IdentityLink,
    LinkMethod,
    Role,
    User,
    UserKind,
)
from madoguchi.residents.tests.factories import PersonFactory

PASSWORD = "midori-test-password-2024"  # the password of every account the factories make

# The seven departments of みどり市 (as in the demo data), by code: (name_ja, name_en).
DEPARTMENTS = {
    "shimin": ("市民課", "Residents Division"),
    "kosodate": ("子育て支援課", "Child and Family Support Division"),
    "hoken-nenkin": ("保険年金課", "Health Insurance and Pension Division"),
    "kaigo": ("介護保険課", "Long-term Care Insurance Division"),
    "fukushi": ("福祉課", "Welfare Division"),
    "zeimu": ("税務課", "Taxation Division"),
    "kankyo": ("環境課", "Environment Division"),
}


class DepartmentFactory(DjangoModelFactory):
    """市民課 unless told otherwise; one row per code (get or create), named as in DEPARTMENTS."""

    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "shimin"
    name_ja = factory.LazyAttribute(lambda o: DEPARTMENTS.get(o.code, (o.code, o.code))[0])
    name_en = factory.LazyAttribute(lambda o: DEPARTMENTS.get(o.code, (o.code, o.code))[1])


def create_departments() -> dict[str, Department]:
    """Every department of DEPARTMENTS, by code."""
    return {code: DepartmentFactory(code=code) for code in DEPARTMENTS}


class ResidentFactory(DjangoModelFactory):
    """A resident who has confirmed their email and can sign in with PASSWORD."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        unverified = factory.Trait(email_verified_at=None)
        english = factory.Trait(preferred_language="en")

    email = factory.Sequence(lambda n: f"resident{n}@example.jp")
    display_name = factory.Sequence(lambda n: f"住民{n}")
    kind = UserKind.RESIDENT
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password(PASSWORD)  # a password given as an argument is hashed too


class StaffFactory(ResidentFactory):
    """An approver (決裁者) of 市民課 unless told otherwise; signs in to the office with PASSWORD."""

    class Params:
        reviewer = factory.Trait(role=Role.REVIEWER)
        department_admin = factory.Trait(role=Role.DEPARTMENT_ADMIN)
        auditor = factory.Trait(role=Role.AUDITOR, department=None)
        inactive = factory.Trait(is_active=False)

    email = factory.Sequence(lambda n: f"staff{n}@city.midori.example.jp")
    display_name = factory.Sequence(lambda n: f"職員{n}")
    kind = UserKind.STAFF
    email_verified_at = None
    department = factory.SubFactory(DepartmentFactory)
    role = Role.APPROVER


class IdentityLinkFactory(DjangoModelFactory):
    """A counter link: staff of 市民課 checked a photo ID."""

    class Meta:
        model = IdentityLink

    user = factory.SubFactory(ResidentFactory)
    person = factory.SubFactory(PersonFactory)
    method = LinkMethod.COUNTER
    assurance_level = AssuranceLevel.HIGH
    verified_by = factory.SubFactory(StaffFactory, reviewer=True)
    evidence = "運転免許証"
