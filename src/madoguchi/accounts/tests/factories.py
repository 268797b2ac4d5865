"""Factories for the accounts tests: residents, staff, departments, registry persons and identity links."""

from __future__ import annotations

import datetime as dt

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
from madoguchi.residents.tests.factories import HouseholdFactory, PersonFactory

PASSWORD = "midori-test-password-2024"

__all__ = [
    "DepartmentFactory",
    "HouseholdFactory",
    "IdentityLinkFactory",
    "PersonFactory",
    "ResidentFactory",
    "StaffFactory",
]


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "shimin"
    name_ja = factory.LazyAttribute(
        lambda o: {"shimin": "市民課", "kosodate": "子育て支援課"}.get(o.code, o.code)
    )
    name_en = factory.LazyAttribute(
        lambda o: {"shimin": "Residents Division", "kosodate": "Child Support Division"}.get(o.code, o.code)
    )


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
    """Counter staff of 市民課 unless told otherwise."""

    email = factory.Sequence(lambda n: f"staff{n}@city.midori.example.jp")
    display_name = factory.Sequence(lambda n: f"職員{n}")
    kind = UserKind.STAFF
    email_verified_at = None
    department = factory.SubFactory(DepartmentFactory)
    role = Role.REVIEWER


class IdentityLinkFactory(DjangoModelFactory):
    """A counter link: staff checked a photo ID."""

    class Meta:
        model = IdentityLink

    user = factory.SubFactory(ResidentFactory)
    person = factory.SubFactory(PersonFactory)
    method = LinkMethod.COUNTER
    assurance_level = AssuranceLevel.HIGH
    verified_by = factory.SubFactory(StaffFactory)
    evidence = "運転免許証"


def person(**fields):
    """A registry person of みどり市 (the demo postal code 000-0021 is known to the postal lookup)."""
    defaults = {
        "name": "緑川\u3000花子",
        "name_kana": "ミドリカワ\u3000ハナコ",
        "birth_date": dt.date(1985, 4, 1),
    }
    return PersonFactory(**{**defaults, **fields})
