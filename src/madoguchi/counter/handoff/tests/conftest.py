"""Accepted cases of the repository's procedures, with data cleaned by the real forms (procedures.schema)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone, translation

from madoguchi.cases.models import CaseHistory, Channel, Status
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.procedures import schema
from madoguchi.procedures import selectors as procedure_selectors
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.tests.factories import sync_repository_procedures
from madoguchi.residents.models import Household, Person, Sex
from madoguchi.residents.tests.factories import HouseholdFactory, PersonFactory

TODAY = dt.date(2026, 4, 10)
ACCEPTED_ON = dt.date(2026, 4, 8)
SUBMITTED_ON = dt.date(2026, 4, 6)


@pytest.fixture(autouse=True)
def _japanese():
    translation.activate("ja")
    yield
    translation.activate("ja")


@pytest.fixture
def procedures(db) -> dict[str, Procedure]:
    sync_repository_procedures()
    return {p.slug: p for p in Procedure.objects.all()}


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def clean(slug: str, raw: dict[str, Any], *, household: list[dict] | None = None) -> dict[str, Any]:
    """The data a case of the procedure keeps for this raw input (validated by the real form)."""
    procedure = Procedure.objects.get(slug=slug)
    spec = procedure_selectors.spec_of(procedure.current_version)
    result = schema.validate(spec, raw, household=household, today=TODAY)
    assert result.ok, result.errors
    return result.cleaned


def accept(case, *, on: dt.date = ACCEPTED_ON, hour: int = 10, actor=None, complete: bool = False):
    """Mark the case approved on `on` (its approve history row), and completed afterwards if asked."""
    status = Status.COMPLETED if complete else Status.APPROVED
    history = CaseHistory.objects.create(
        case=case, action="approve", from_status=Status.IN_REVIEW, to_status=Status.APPROVED, actor=actor
    )
    CaseHistory.objects.filter(pk=history.pk).update(created_at=at(on, hour))
    type(case).objects.filter(pk=case.pk).update(status=status)
    case.status = status
    return case


@pytest.fixture
def make_case(procedures) -> Callable[..., Any]:
    counter = iter(range(1, 10_000))

    def make(
        slug: str,
        raw: dict[str, Any],
        *,
        household: list[dict] | None = None,
        person: Person | None = None,
        accepted_on: dt.date | None = ACCEPTED_ON,
        submitted_on: dt.date = SUBMITTED_ON,
        channel: str = Channel.ONLINE,
        reference: str | None = None,
    ):
        procedure = procedures[slug]
        case = CaseFactory(
            procedure=procedure,
            reference=reference or f"R08-{next(counter):05d}",
            data=clean(slug, raw, household=household),
            person=person,
            channel=channel,
            status=Status.IN_REVIEW,
            submitted_at=at(submitted_on, 9),
            applicant_name=str(raw.get("notifier_name") or raw.get("applicant_name") or ""),
        )
        if accepted_on is not None:
            accept(case, on=accepted_on)
        return case

    return make


@pytest.fixture
def family(db) -> dict[str, Person]:
    """A registered household of three: 世帯主 (the applicant), 妻, 子."""
    household: Household = HouseholdFactory(number="8100000001")
    head = PersonFactory(
        atena_number="8100000011",
        household=household,
        name="緑川\u3000一郎",
        name_kana="ミドリカワ\u3000イチロウ",
        birth_date=dt.date(1980, 5, 3),
        sex=Sex.MALE,
        relationship="世帯主",
    )
    wife = PersonFactory(
        atena_number="8100000012",
        household=household,
        name="緑川\u3000花子",
        name_kana="ミドリカワ\u3000ハナコ",
        birth_date=dt.date(1982, 7, 1),
        sex=Sex.FEMALE,
        relationship="妻",
    )
    child = PersonFactory(
        atena_number="8100000013",
        household=household,
        name="緑川\u3000太郎",
        name_kana="ミドリカワ\u3000タロウ",
        birth_date=dt.date(2015, 1, 20),
        birth_date_text="",
        sex=Sex.MALE,
        relationship="子",
    )
    return {"head": head, "wife": wife, "child": child}


def members(*persons: Person) -> list[dict]:
    """The household as a form offers it (accounts.selectors.registry_values_for)."""
    return [{"id": str(p.pk), "name": p.name, "relationship": p.relationship} for p in persons]


TENNYU_RAW = {
    "move_in_date": "2026-04-01",
    "new_postal_code": "1000001",
    "new_address": "東京都千代田区千代田1番1号 みどりハイツ101",
    "previous_postal_code": "0600001",
    "previous_address": "北海道札幌市中央区北一条西2丁目",
    "moving_out_document": "my_number_card",
    "household_type": "new",
    "head_of_household": "青山　一郎",
    "people_count": "2",
    "people_names": "青山　一郎　昭和55年5月3日\n青山　花子　1982-07-01",
    "applicant_name": "青山　一郎",
    "applicant_kana": "あおやま　いちろう",
    "visitor_relationship": "self",
    "phone": "090-1234-5678",
    "email": "aoyama@example.jp",
}


def tenkyo_raw(movers: list[Person], *, household_change: str = "whole", head: str = "") -> dict:
    return {
        "move_date": "2026-04-01",
        "old_postal_code": "1000001",
        "old_address": "東京都千代田区千代田1番1号",
        "new_postal_code": "1000002",
        "new_address": "東京都千代田区皇居外苑2番3号",
        "movers": [str(p.pk) for p in movers],
        "household_change": household_change,
        "new_head_of_household": head,
        "notifier_name": "緑川　一郎",
        "notifier_relationship": "self",
        "notifier_phone": "0312345678",
    }


def tenshutsu_raw(movers: list[Person], *, destination: str = "domestic", **changes) -> dict:
    raw = {
        "move_date": "2026-04-20",
        "destination": destination,
        "current_postal_code": "1000001",
        "current_address": "東京都千代田区千代田1番1号",
        "new_postal_code": "0600001" if destination == "domestic" else "",
        "new_address": "北海道札幌市中央区北一条西2丁目"
        if destination == "domestic"
        else "Canada, Vancouver",
        "movers": [str(p.pk) for p in movers],
        "household_after": "whole",
        "new_head_of_household": "緑川　一郎",
        "notifier_name": "緑川　一郎",
        "notifier_relationship": "self",
        "notifier_phone": "090-1111-2222",
    }
    raw.update(changes)
    return raw
