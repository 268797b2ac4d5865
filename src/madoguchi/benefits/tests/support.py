"""Households with registry periods on the base date, and a program over them."""

from __future__ import annotations

import datetime as dt
import itertools

from madoguchi.benefits.models import Channel, Program, PublicAccount, TaxRecord
from madoguchi.residents.models import Household, Person, PersonPeriod

BASE = dt.date(2025, 6, 1)
_numbers = itertools.count(1)


def make_program(**changes) -> Program:
    values = dict(
        slug="test-kyufu",
        title_ja="テスト給付金",
        title_en="Test benefit",
        base_date=BASE,
        tax_fiscal_year=2025,
        amount_per_household=30_000,
        amount_per_person=20_000,
        born_on_or_after=dt.date(2006, 6, 2),
        channels=list(Channel.values),
        remitter_code="1234567890",
        remitter_name="ﾐﾄﾞﾘｼ",
        remitter_bank_code="0001",
        remitter_branch_code="001",
        remitter_account_type="1",
        remitter_account_number="1234567",
    )
    values.update(changes)
    return Program.objects.create(**values)


def make_household(
    births=(dt.date(1980, 1, 1),), *, non_taxed=True, since=dt.date(2010, 4, 1), until=None, account=True
) -> Household:
    n = next(_numbers)
    household = Household.objects.create(number=f"8{n:09d}")
    for i, birth in enumerate(births):
        person = Person.objects.create(
            atena_number=f"7{n:06d}{i:03d}",
            household=household,
            name="緑川　花子",
            name_kana="ミドリカワ　ハナコ",
            birth_date=birth,
            sex="2",
            relationship="世帯主" if i == 0 else "子",
            prefecture="みどり県",
            city="みどり市",
        )
        PersonPeriod.objects.create(
            person=person,
            household=household,
            relationship=person.relationship,
            address_key="k",
            valid_from=since,
            valid_to=until,
        )
        if non_taxed is not None:
            TaxRecord.objects.create(person=person, fiscal_year=2025, non_taxed=non_taxed)
        if account and i == 0:
            PublicAccount.objects.create(
                person=person,
                bank_code="0005",
                branch_code="001",
                account_type="1",
                account_number="1234567",
                holder_kana="ﾐﾄﾞﾘｶﾜ ﾊﾅｺ",
            )
    return household


def linked_resident(household):
    """A resident account linked to the household's first member (at the counter, high assurance): the
    resident who sees the household's 確認書 on My Page."""
    from madoguchi.accounts.models import IdentityLink, LinkMethod
    from madoguchi.accounts.tests.factories import ResidentFactory, StaffFactory

    resident = ResidentFactory()
    IdentityLink.objects.create(
        user=resident,
        person=household.members.first(),
        method=LinkMethod.COUNTER,
        assurance_level="high",
        verified_by=StaffFactory(),
        evidence="運転免許証",
    )
    return resident


def confirmation_number(household) -> str:
    """The number of the household's 確認書 (the My Page address /benefits/<number>/)."""
    from madoguchi.benefits.models import Confirmation

    return Confirmation.objects.get(eligibility__household=household).number
