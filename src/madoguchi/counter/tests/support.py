"""Answers that make the birth guide's three online forms valid, as the pages post them (raw values)."""

from __future__ import annotations

from django.conf import settings

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, StaffFactory, create_departments
from madoguchi.procedures.services import sync_procedures

BIRTH_FORMS = ("jido-teate", "kodomo-iryohi", "kokuho-kanyu")
BIRTH_ANSWERS = {"kokuho": "yes", "other_children": "no", "nursery": "no"}

SHARED = {
    "prefill:person.name": "緑川 花子",
    "prefill:person.name_kana": "ミドリカワ ハナコ",
    "prefill:person.postal_code": "100-0001",
    "prefill:person.address": "東京都千代田区千代田1番1号",
    "prefill:person.phone": "090-1234-5678",
}
FORMS = {
    "jido-teate": {
        "claimant_birth_date": "1985-04-01",
        "occupation": "employee",
        "pension": "employees",
        "has_spouse": "no",
        "child1_name": "緑川 さくら",
        "child1_kana": "ミドリカワ サクラ",
        "child1_birth_date": "2026-01-10",
        "child1_relationship": "child",
        "child1_living": "together",
        "payment_account": {
            "bank_code": "0001",
            "branch_code": "001",
            "account_type": "ordinary",
            "account_number": "1234567",
            "holder": "ミドリカワ ハナコ",
        },
        "agree": True,
    },
    "kodomo-iryohi": {
        "guardian_relationship": "mother",
        "child_name": "緑川 さくら",
        "child_kana": "ミドリカワ サクラ",
        "child_birth_date": "2026-01-10",
        "insurance_type": "kokuho",
        "insurer_number": "123456",
        "insured_symbol_number": "123・4567",
        "insured_person_name": "緑川 花子",
        "agree": True,
    },
    "kokuho-kanyu": {
        "reason": "birth",
        "eligibility_date": "2026-01-10",
        "insured_members": "緑川 さくら",
        "payment_method": "slip",
    },
}


def birth_values() -> dict:
    return {"shared": dict(SHARED), "forms": {slug: dict(values) for slug, values in FORMS.items()}}


def publish_procedures() -> None:
    create_departments()
    sync_procedures(directory=settings.PROCEDURES_DIR)


def counter_clerk(**kwargs):
    return StaffFactory(department=DepartmentFactory(code="shimin"), role=Role.REVIEWER, **kwargs)
