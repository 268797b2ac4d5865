"""Reads of the vault that show no number: whether one is stored, and its mask."""

from __future__ import annotations

from madoguchi.mynumber.models import PersonalNumber

MASK = "●●●● ●●●● ●●●●"  # the only way a stored My Number is ever shown without a reveal


def has_my_number(*, person) -> bool:
    return PersonalNumber.objects.filter(person_id=person.pk).exists()


def masked_my_number(*, person) -> str:
    """ "●●●● ●●●● ●●●●" when a number is stored for `person`, "" otherwise. No digit is ever shown."""
    return MASK if has_my_number(person=person) else ""
