"""The clerk's queue search: 受付番号, name in kanji or kana (hiragana, katakana, half-width, with or without the
space), phone with or without hyphens; closed cases are found too; other departments' cases never; audited."""

from __future__ import annotations

import re

import pytest

from madoguchi.cases import selectors
from madoguchi.cases.models import Status
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.models import AuditEvent
from madoguchi.procedures.tests.factories import ProcedureFactory

pytestmark = pytest.mark.django_db

QUEUE = "/office/"


@pytest.fixture
def cases(procedure, kankyo):
    hanako = CaseFactory(
        procedure=procedure,
        reference="AB2C-DE3F",
        applicant_name="緑 花子",
        data={"applicant_kana": "ミドリ\u3000ハナコ", "applicant_phone": "09012345678"},
    )
    taro = CaseFactory(
        procedure=procedure,
        reference="GH4J-KL5M",
        applicant_name="山田 太郎",
        status=Status.COMPLETED,
        data={"applicant_kana": "ヤマダ\u3000タロウ", "phone": "0312345678"},
    )
    foreign = CaseFactory(
        procedure=ProcedureFactory(slug="gomi", department=kankyo),
        reference="NP6Q-RS7T",
        applicant_name="緑 花子",
        data={"applicant_kana": "ミドリ\u3000ハナコ", "applicant_phone": "09012345678"},
    )
    return hanako, taro, foreign


def _found(client, q: str) -> set[str]:
    body = client.get(QUEUE, {"q": q}).content.decode()
    return set(re.findall(r"[A-Z0-9]{4}-[A-Z0-9]{4}", body))


@pytest.mark.parametrize(
    "q",
    [
        "AB2C-DE3F",
        "ab2cde3f",
        "ＡＢ２Ｃ－ＤＥ３Ｆ",
        "緑 花子",
        "緑花子",
        "花子",
        "みどり はなこ",
        "ミドリハナコ",
        "ﾐﾄﾞﾘ ﾊﾅｺ",
        "090-1234-5678",
        "09012345678",
        "０９０－１２３４",
    ],
)
def test_search_finds_the_case_in_every_form(approver_client, cases, q):
    hanako, taro, foreign = cases
    found = _found(approver_client, q)
    assert hanako.reference in found
    assert taro.reference not in found and foreign.reference not in found


@pytest.mark.parametrize("q", ["GH4J-KL5M", "山田", "やまだたろう", "03-1234-5678"])
def test_search_finds_closed_cases_too(approver_client, cases, q):
    _, taro, _ = cases
    assert taro.reference in _found(approver_client, q)


def test_nothing_found_says_so(approver_client, cases):
    body = approver_client.get(QUEUE, {"q": "存在しない名前"}).content.decode()
    assert "条件に合う申請はありません" in body


def test_a_search_is_audited_by_kind_not_text(approver_client, approver, cases):
    approver_client.get(QUEUE, {"q": "緑 花子"})

    event = AuditEvent.objects.get(action="search", object_type="case_queue")
    assert event.actor_id == approver.pk and event.purpose == "case_search"
    assert event.fields == ["name"]
    assert "花子" not in str(event.__dict__)


@pytest.mark.parametrize(
    "q,kind",
    [("AB2C-DE3F", "reference"), ("090-1234-5678", "phone"), ("みどり", "name"), ("1234", "phone")],
)
def test_search_kind(q, kind):
    assert selectors.search_kind(q) == kind
