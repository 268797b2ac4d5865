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
