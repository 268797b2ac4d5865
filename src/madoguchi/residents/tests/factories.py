"""Factories for the registry read-model: households and the persons living in them."""

from __future__ import annotations

import datetime as dt

import factory

from madoguchi.residents.models import Household, Person, Sex


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    number = factory.Sequence(lambda n: f"{9_000_000_000 + n:010d}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    atena_number = factory.Sequence(lambda n: f"{9_000_000_000 + n:010d}")
    household = factory.SubFactory(HouseholdFactory)
    name = "緑川\u3000花子"
    name_kana = "ミドリカワ\u3000ハナコ"
    birth_date = dt.date(1985, 4, 1)
    sex = Sex.FEMALE
    relationship = "世帯主"
    postal_code = "0000021"
    prefecture = "みどり県"
    city = "みどり市"
    town = "緑町"
    banchi = "3番12号"
    building = ""
    resident_since = dt.date(2010, 4, 1)
