"""case-csv: any one procedure's accepted cases, a column per form field, values formatted by each field's type."""

from __future__ import annotations

import csv
import io

import pytest

from madoguchi.counter.handoff import selectors
from madoguchi.counter.handoff.base import HandoffError
from madoguchi.counter.handoff.config import ColumnChoice, FormatOptions
from madoguchi.counter.handoff.registry import register
from madoguchi.procedures import selectors as procedure_selectors
from madoguchi.procedures.models import Procedure, ProcedureVersion
from madoguchi.procedures.spec import ProcedureSpec, canonical_sha256
from madoguchi.residents.models import Person

from .conftest import ACCEPTED_ON, TENNYU_RAW, members, tenkyo_raw

pytestmark = pytest.mark.django_db

FORMAT = register.get("case-csv")


def records(procedures=None):
    accepted = selectors.accepted_cases(since=ACCEPTED_ON, until=ACCEPTED_ON, procedures=procedures)
    return selectors.case_records(accepted)


def table(options: FormatOptions | None = None, procedures=None) -> tuple[list[str], list[list[str]]]:
    result = FORMAT.write(records(procedures), None, options)
    text = result.content.decode((options or FORMAT.options()).codec)
    header, *body = list(csv.reader(io.StringIO(text, newline="")))
    return header, body


def test_a_column_per_field_with_values_as_people_read_them(make_case):
    case = make_case("tennyu-reservation", TENNYU_RAW)
    header, [row] = table()
    spec = procedure_selectors.spec_of(Procedure.objects.get(slug="tennyu-reservation").current_version)
    assert header == ["受付番号", "手続", "受付方法", "申請日", "承認日", *(f.label.ja for f in spec.fields)]
    values = dict(zip(header, row, strict=True))
    assert [values[k] for k in ("受付番号", "手続", "受付方法", "申請日", "承認日")] == [
        case.reference,
        "転入届（来庁予約）",
        "オンライン",
        "2026-04-06",
        "2026-04-08",
    ]
    assert values["新しい住所に住み始めた日（予定日）"] == "2026-04-01"  # dates: ISO by default
    assert values["前の住所の郵便番号"] == "〒060-0001"  # as the type shows it
    assert (
        values["前の住所地での手続き"] == "マイナンバーカードで転出届をした（マイナポータル・窓口）"
    )  # the label
    assert values["転入する人数"] == "2人"
    assert values["あわせて必要な手続き"] == ""  # nothing ticked
    assert values["転入する方との関係"] == "本人（転入する方のひとり）"  # an option shown by its label


def test_dates_in_wareki_and_the_other_case_columns(make_case):
    make_case("tennyu-reservation", TENNYU_RAW)
    options = FormatOptions(
        columns=(
            ColumnChoice("受付番号", "受付番号"),
            ColumnChoice("版", "版"),
            ColumnChoice("状態", "状態"),
            ColumnChoice("申請者", "申請者"),
            ColumnChoice("承認日", "承認日", "iso"),
        ),
        date_format="wareki",
    )
    header, [row] = table(options)
    values = dict(zip(header, row, strict=True))
    assert [values[k] for k in ("版", "状態", "申請者", "承認日")] == [
        "1",
        "承認",
        "青山　一郎",
        "2026-04-08",
    ]
    assert values["新しい住所に住み始めた日（予定日）"] == "令和8年4月1日"


def test_one_procedure_per_file(make_case, family):
    make_case("tennyu-reservation", TENNYU_RAW)
    make_case(
        "tenkyo", tenkyo_raw([family["head"]]), household=members(family["head"]), person=family["head"]
    )
    with pytest.raises(HandoffError) as caught:
        FORMAT.write(records())
    assert caught.value.code == "one_procedure"
    header, rows = table(procedures=["tenkyo"])
    assert len(rows) == 1 and "引っ越しをした方" in header
    assert rows[0][header.index("引っ越しをした方")] == "緑川\u3000一郎"  # the member's name


def test_addresses_of_a_protected_household_are_left_empty(make_case, family):
    head = family["head"]
    Person.objects.filter(pk=family["wife"].pk).update(support_measure=True)
    make_case("tenkyo", tenkyo_raw([head]), household=members(head), person=head)
    result = FORMAT.write(records())
    header, row = list(csv.reader(io.StringIO(result.content.decode("utf-8-sig"), newline="")))
    values = dict(zip(header, row, strict=True))
    assert [values[k] for k in ("前の住所の郵便番号", "前の住所", "新しい住所の郵便番号", "新しい住所")] == [
        "",
        "",
        "",
        "",
    ]
    assert values["届出人の氏名"] == "緑川　一郎"
    assert [n.code for n in result.notices] == ["address_withheld"]


def test_fields_of_an_earlier_version_follow_and_a_my_number_is_never_written(
    make_case, procedures, settings
):
    settings.MY_NUMBER_ENABLED = True
    old = make_case("tennyu-reservation", TENNYU_RAW)
    procedure = procedures["tennyu-reservation"]
    spec = ProcedureSpec.from_json(procedure.current_version.spec).to_json()
    spec["form"]["steps"][0]["fields"] = [
        f for f in spec["form"]["steps"][0]["fields"] if f["id"] != "household_type"
    ]  # version 2 no longer asks it...
    spec["form"]["steps"][-1]["fields"].append(
        {"id": "my_number", "type": "my_number", "label": {"ja": "個人番号", "en": "My Number"}}
    )  # ... and asks a 個人番号
    parsed = ProcedureSpec.from_json(spec)
    version = ProcedureVersion.objects.create(
        procedure=procedure, number=2, sha256=canonical_sha256(parsed), spec=parsed.to_json(), source_path="x"
    )
    Procedure.objects.filter(pk=procedure.pk).update(current_version=version)
    procedure.refresh_from_db()
    new = make_case("tennyu-reservation", {**TENNYU_RAW, "my_number": "123456789018"})
    assert new.data["my_number"] == "123456789018"  # as the vault would replace it; never in a file
    header, rows = table()
    assert "個人番号" not in header and all("123456789018" not in value for row in rows for value in row)
    assert header[-1] == "みどり市での世帯"  # only version 1 has it: after the current fields
    by_reference = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    assert by_reference[old.reference]["みどり市での世帯"] == "新しく世帯をつくる"
    assert by_reference[new.reference]["みどり市での世帯"] == ""
