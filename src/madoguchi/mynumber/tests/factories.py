"""Test helpers of the vault: numbers with a valid check digit, and the reveal permission."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from madoguchi.jp.checkdigit import my_number_check_digit


def valid_my_number(first11: str = "12345678901") -> str:
    return first11 + str(my_number_check_digit(first11))


def grant_reveal(user):
    """`user` with mynumber.reveal_personalnumber, freshly loaded (has_perm caches permissions)."""
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="mynumber", codename="reveal_personalnumber")
    )
    return get_user_model().objects.get(pk=user.pk)


# Valid answers to every step of procedures/jido-teate.yaml except the 個人番号, as the portal posts them.
JIDO_TEATE_STEPS = {
    "claimant": {
        "claimant_name": "緑川\u3000花子",
        "claimant_kana": "ミドリカワ\u3000ハナコ",
        "claimant_birth_date": "1985-04-01",
        "claimant_postal_code": "1000001",
        "claimant_address": "東京都千代田区千代田1-1",
        "claimant_phone": "0312345678",
        "occupation": "employee",
        "pension": "employees",
        "has_spouse": "no",
    },
    "children": {
        "child1_name": "緑川\u3000太郎",
        "child1_kana": "ミドリカワ\u3000タロウ",
        "child1_birth_date": "2015-06-01",
        "child1_relationship": "child",
        "child1_living": "together",
        "older_children_count": "0",
    },
    "account": {
        "payment_account.bank_code": "0001",
        "payment_account.branch_code": "001",
        "payment_account.account_type": "ordinary",
        "payment_account.account_number": "1234567",
        "payment_account.holder": "ミドリカワ ハナコ",
    },
    "confirm": {"agree": "on"},
}


def jido_teate_raw(step_id: str | None = None) -> dict:
    """The raw values of one step (or of the whole form) as services take them: a bank account as a dict."""
    raw: dict = {}
    for step, answers in JIDO_TEATE_STEPS.items():
        if step_id not in (None, step):
            continue
        for key, value in answers.items():
            field_id, _, part = key.partition(".")
            if part:
                raw.setdefault(field_id, {})[part] = value
            else:
                raw[field_id] = value
    return raw
