"""Validation, pre-fill and display of form values, for every field type, in Japanese and English."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.jp.checkdigit import my_number_check_digit
from madoguchi.procedures import schema
from madoguchi.procedures.schema import (
    Message,
    UploadedFileInfo,
    display_rows,
    prefill_values,
    raw_from_post,
    validate,
)
from madoguchi.procedures.spec import load_procedure_file

from .conftest import REPO_PROCEDURES

TODAY = dt.date(2026, 11, 22)

ALL_TYPES = """\
id: all-types
name: {ja: 全種類, en: All types}
department: shimin
description: {ja: 説明, en: Description}
eligibility: {ja: どなたでも, en: Anyone}
bring: {ja: [], en: []}
fee: {ja: 無料, en: Free}
online: true
identity_level: verified
sla_business_days: 1
form:
  steps:
    - id: person
      title: {ja: 本人, en: Person}
      fields:
        - {id: name, type: text, label: {ja: 氏名, en: Name}, required: true, max_length: 10, prefill: person.name}
        - {id: my_number, type: my_number, label: {ja: 個人番号, en: My Number}}
        - id: code
          type: text
          label: {ja: 番号, en: Number}
          pattern: "^[0-9]{4}$"
          pattern_message: {ja: 4桁の数字で入力してください。, en: Enter 4 digits.}
        - {id: note, type: textarea, label: {ja: 備考, en: Notes}, max_length: 20}
        - {id: kana, type: kana, label: {ja: フリガナ, en: Kana}, prefill: person.name_kana}
        - {id: birth, type: date, label: {ja: 生年月日, en: Birth date}, max_date: today, prefill: person.birth_date}
        - {id: visit, type: date, label: {ja: 来庁日, en: Visit}, min_date: today, max_date: "2027-03-31"}
        - {id: postal, type: postal_code, label: {ja: 郵便番号, en: Postal code}, prefill: person.postal_code}
        - {id: address, type: address, label: {ja: 住所, en: Address}, autofill_from: postal, prefill: person.address}
        - {id: phone, type: phone, label: {ja: 電話番号, en: Phone}, prefill: person.phone}
        - {id: email, type: email, label: {ja: メール, en: Email}}
    - id: details
      title: {ja: 内容, en: Details}
      fields:
        - {id: copies, type: number, label: {ja: 通数, en: Copies}, min: 1, max: 10, unit: {ja: 通, en: copies}, default: 1}
        - {id: income, type: money, label: {ja: 所得, en: Income}, max: 100000000}
        - id: purpose
          type: select
          label: {ja: 目的, en: Purpose}
          required: true
          options:
            - {value: work, label: {ja: 勤務先, en: Work}}
            - {value: other, label: {ja: その他, en: Other}}
        - {id: purpose_other, type: text, label: {ja: 目的の内容, en: Purpose details}, required_if: {field: purpose, equals: other}}
        - id: delivery
          type: radio
          label: {ja: 受け取り, en: Delivery}
          options:
            - {value: counter, label: {ja: 窓口, en: Counter}}
            - {value: mail, label: {ja: 郵送, en: Post}}
        - id: items
          type: checkbox
          label: {ja: 記載事項, en: Items}
          multiple: true
          options:
            - {value: head, label: {ja: 世帯主, en: Head of household}}
            - {value: honseki, label: {ja: 本籍, en: Domicile}}
        - {id: agree, type: checkbox, label: {ja: 同意します, en: I agree}}
        - {id: members, type: household_member, label: {ja: 世帯員, en: Members}, multiple: true, required_if: {field: agree, equals: true}}
        - {id: account, type: bank_account, label: {ja: 口座, en: Account}, required_if: {field: delivery, in: [mail]}}
        - {id: photos, type: file, label: {ja: 写真, en: Photos}, multiple: true, max_files: 2, accept: [image/jpeg, image/png], max_bytes: 1000}
        - {id: document, type: file, label: {ja: 書類, en: Document}, required_if: {field: note, filled: true}, accept: [application/pdf]}
"""

PDF = b"%PDF-1.7\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00"


@pytest.fixture
def spec(write_procedure):
    return load_procedure_file(write_procedure(ALL_TYPES, slug="all-types"))


def _condition_holding(f) -> dict:
    """Answers under which a conditional field is asked (it is neither checked nor kept otherwise)."""
    condition = f.required_if
    if condition is None:
        return {}
    if condition.operator == "filled":
        return {condition.field: "x"} if condition.value else {}
    wanted = condition.value[0] if condition.operator == "in" else condition.value
    return {condition.field: "on" if wanted is True else wanted}


def check(spec, field_id, value, **kwargs):
    """Validate one value of one field; return (cleaned value, messages)."""
    step = spec.step_of(field_id).id
    data = {**_condition_holding(spec.field(field_id)), field_id: value, **kwargs.pop("data", {})}
    result = validate(spec, data, step_id=step, today=TODAY, **kwargs)
    return result.cleaned.get(field_id), result.errors.get(field_id, [])


def assert_bilingual(messages: list[Message], *, code: str | None = None):
    assert messages, "expected a message"
    for message in messages:
        assert message.ja and message.en and message.ja != message.en
        assert message.text("ja") == message.ja and message.text("en") == message.en
        assert any("\u3040" <= ch <= "\u30ff" for ch in message.ja)  # written in Japanese
    if code is not None:
        assert code in [m.code for m in messages]


# --- text, textarea, kana -------------------------------------------------------------------------------------


def test_text_is_stripped_and_required(spec):
    assert check(spec, "name", "　緑　太郎 ") == ("緑　太郎", [])
    _, messages = check(spec, "name", "   ")
    assert_bilingual(messages, code="required")
    assert messages[0].ja == "必須項目です。入力してください。"
    assert messages[0].en == "This field is required. Please fill it in."


def test_text_max_length_says_the_limit_and_the_count(spec):
    _, messages = check(spec, "name", "あ" * 12)
    assert_bilingual(messages, code="too_long")
    assert "10文字以内" in messages[0].ja and "12文字" in messages[0].ja
    assert "at most 10 characters" in messages[0].en


def test_text_refuses_control_characters(spec):
    _, messages = check(spec, "name", "緑\x00太郎")
    assert_bilingual(messages, code="invalid_characters")


def test_pattern_normalises_full_width_digits_and_uses_the_procedure_message(spec):
    assert check(spec, "code", "１２３４") == ("1234", [])
    _, messages = check(spec, "code", "12a4")
    assert [(m.code, m.ja, m.en) for m in messages] == [
        ("pattern", "4桁の数字で入力してください。", "Enter 4 digits.")
    ]


def test_textarea_keeps_line_breaks(spec):
    assert check(spec, "note", "一行目\r\n二行目") == ("一行目\n二行目", [])
    _, messages = check(spec, "note", "あ" * 21)
    assert_bilingual(messages, code="too_long")


def test_kana_becomes_katakana(spec):
    assert check(spec, "kana", "みどり　たろう") == ("ミドリ\u3000タロウ", [])
    assert check(spec, "kana", "ﾐﾄﾞﾘ ﾀﾛｳ") == ("ミドリ\u3000タロウ", [])
    _, messages = check(spec, "kana", "緑太郎")
    assert_bilingual(messages, code="not_katakana")


# --- dates --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["昭和60年4月1日", "S60.4.1", "1985-04-01", "1985/4/1", "１９８５年４月１日"]
)
def test_date_in_wareki_or_seireki(spec, text):
    assert check(spec, "birth", text) == ("1985-04-01", [])


def test_date_that_cannot_be_read_or_does_not_exist(spec):
    _, messages = check(spec, "birth", "きのう")
    assert_bilingual(messages, code="not_a_date")
    _, messages = check(spec, "birth", "平成31年5月1日")
    assert_bilingual(messages)
    assert "令和元年5月1日" in messages[0].ja


def test_birth_date_cannot_be_in_the_future(spec):
    assert check(spec, "birth", TODAY.isoformat()) == (TODAY.isoformat(), [])
    _, messages = check(spec, "birth", "2026-11-23")
    assert_bilingual(messages, code="date_in_future")
    assert messages[0].ja == "未来の日付は入力できません。今日以前の日付を入力してください。"


def test_date_between_today_and_a_fixed_day(spec):
    _, messages = check(spec, "visit", "2026-11-21")
    assert_bilingual(messages, code="date_in_past")
    _, messages = check(spec, "visit", "2027-04-01")
    assert_bilingual(messages, code="date_too_late")
    assert "令和9年（2027年）3月31日以前" in messages[0].ja and "2027-03-31" in messages[0].en
    assert check(spec, "visit", "令和9年3月31日") == ("2027-03-31", [])


# --- postal code, address, phone, email ---------------------------------------------------------------------------


def test_postal_code_is_normalised_to_seven_digits(spec):
    assert check(spec, "postal", "〒100-0001") == ("1000001", [])
    assert check(spec, "postal", "１００－０００１") == ("1000001", [])


def test_postal_code_wrong_length_or_unknown(spec):
    _, messages = check(spec, "postal", "100-001")
    assert_bilingual(messages, code="invalid_postal_code")
    _, messages = check(spec, "postal", "999-9999")
    assert_bilingual(messages, code="postal_code_unknown")


def test_address(spec):
    assert check(spec, "address", " 東京都千代田区千代田1-1 ") == ("東京都千代田区千代田1-1", [])
    _, messages = check(spec, "address", "あ" * 201)
    assert_bilingual(messages, code="too_long")


def test_empty_address_is_filled_from_the_postal_code_without_javascript(write_procedure):
    fields = """\
    - {id: postal, type: postal_code, label: {ja: 郵便番号, en: Postal code}, required: true}
    - {id: address, type: address, label: {ja: 住所, en: Address}, required: true, autofill_from: postal}
    """
    spec = load_procedure_file(write_procedure(fields=fields))
    result = validate(spec, {"postal": "100-0001", "address": ""})
    assert result.suggestions == {"address": "東京都千代田区千代田"}
    assert_bilingual(result.errors["address"], code="address_autofilled")
    assert result.errors["address"][0].ja == (
        "郵便番号から「東京都千代田区千代田」を入力しました。番地・建物名などの続きを入力してください。"
    )
    result = validate(spec, {"postal": "999-9999", "address": ""})
    assert result.suggestions == {}
    assert [m.code for m in result.errors["address"]] == ["required"]


def test_phone(spec):
    assert check(spec, "phone", "０９０１２３４５６７８") == ("090-1234-5678", [])
    _, messages = check(spec, "phone", "12345")
    assert_bilingual(messages, code="invalid_phone_number")


def test_email(spec):
    assert check(spec, "email", "Midori@Example.JP") == ("Midori@example.jp", [])
    assert check(spec, "email", "ｍｉｄｏｒｉ＠example.jp") == ("midori@example.jp", [])
    for bad in ("midori", "midori@", "a b@example.jp", "midori@example"):
        _, messages = check(spec, "email", bad)
        assert_bilingual(messages, code="invalid_email")


# --- numbers and money --------------------------------------------------------------------------------------------


def test_number(spec):
    assert check(spec, "copies", "３") == (3, [])
    assert check(spec, "copies", 2) == (2, [])
    _, messages = check(spec, "copies", "2.5")
    assert_bilingual(messages, code="not_a_number")
    _, messages = check(spec, "copies", "11")
    assert_bilingual(messages, code="out_of_range")
    assert messages[0].ja == "1通から10通までの範囲で入力してください。"
    assert messages[0].en == "Please enter a number from 1 to 10 copies."
    _, messages = check(spec, "copies", "-1")
    assert_bilingual(messages, code="not_a_number")


def test_money(spec):
    assert check(spec, "income", "¥1,234,000") == (1234000, [])
    assert check(spec, "income", "１２０００円") == (12000, [])
    _, messages = check(spec, "income", "たくさん")
    assert_bilingual(messages, code="not_an_amount")
    _, messages = check(spec, "income", "100000001")
    assert_bilingual(messages, code="out_of_range")
    assert "100,000,000円以下" in messages[0].ja


# --- choices ------------------------------------------------------------------------------------------------------


def test_select_and_radio(spec):
    assert check(spec, "purpose", "work") == ("work", [])
    _, messages = check(spec, "purpose", "holiday")
    assert_bilingual(messages, code="invalid_choice")
    _, messages = check(spec, "purpose", "")
    assert messages[0].ja == "必須項目です。選択してください。"
    assert check(spec, "delivery", "mail") == ("mail", [])
    _, messages = check(spec, "delivery", "pigeon")
    assert_bilingual(messages, code="invalid_choice")


def test_checkbox_multiple_keeps_option_order_without_repeats(spec):
    assert check(spec, "items", ["honseki", "head", "honseki"]) == (["head", "honseki"], [])
    assert check(spec, "items", []) == ([], [])
    _, messages = check(spec, "items", ["head", "my_number"])
    assert_bilingual(messages, code="invalid_choice")


def test_single_checkbox(spec):
    assert check(spec, "agree", "on", data={"members": "緑　花子"}) == (True, [])
    assert check(spec, "agree", None) == (False, [])


def test_required_single_checkbox_asks_to_tick_it(write_procedure):
    spec = load_procedure_file(
        write_procedure(
            fields="- {id: agree, type: checkbox, label: {ja: 同意, en: Agree}, required: true}\n"
        )
    )
    result = validate(spec, {"agree": False})
    assert_bilingual(result.errors["agree"], code="required")
    assert "チェックを入れてください" in result.errors["agree"][0].ja


# --- household members --------------------------------------------------------------------------------------------

HOUSEHOLD = [
    {"id": "p1", "name": "緑　太郎", "relationship": "世帯主"},
    {"id": "p2", "name": "緑　花子", "relationship": "妻"},
]


def test_household_member_from_the_registry(spec):
    cleaned, messages = check(spec, "members", ["p2", "p1", "p2"], household=HOUSEHOLD)
    assert messages == []
    assert cleaned == [{"id": "p2", "name": "緑　花子"}, {"id": "p1", "name": "緑　太郎"}]
    _, messages = check(spec, "members", ["p9"], household=HOUSEHOLD)
    assert_bilingual(messages, code="not_a_household_member")


def test_household_member_typed_when_not_linked_to_the_registry(spec):
    cleaned, messages = check(spec, "members", "緑　太郎\n\n緑　花子\n")
    assert messages == []
    assert cleaned == [{"id": None, "name": "緑　太郎"}, {"id": None, "name": "緑　花子"}]


# --- bank account -------------------------------------------------------------------------------------------------


def bank(**parts):
    return {
        "bank_code": "0001",
        "branch_code": "001",
        "account_type": "ordinary",
        "account_number": "12345",
        "holder": "みどり　たろう",
        **parts,
    }


def test_bank_account_is_checked_against_zengin_code(spec):
    cleaned, messages = check(spec, "account", bank())
    assert messages == []
    assert cleaned == {
        "bank_code": "0001",
        "bank_name": "みずほ",
        "branch_code": "001",
        "branch_name": "東京営業部",
        "account_type": "ordinary",
        "account_number": "0012345",
        "holder": "ﾐﾄﾞﾘ ﾀﾛｳ",
    }


def test_bank_account_messages_name_the_part(spec):
    _, messages = check(spec, "account", bank(bank_code="9999"))
    assert [(m.code, m.part) for m in messages] == [("unknown_bank", "bank_code")]
    assert_bilingual(messages)
    _, messages = check(spec, "account", bank(branch_code="999"))
    assert [(m.code, m.part) for m in messages] == [("unknown_branch", "branch_code")]
    assert "みずほ" in messages[0].ja
    _, messages = check(spec, "account", bank(account_number="12345678", holder="緑太郎", account_type="x"))
    assert {(m.code, m.part) for m in messages} == {
        ("invalid_account_number", "account_number"),
        ("invalid_account_holder", "holder"),
        ("invalid_choice", "account_type"),
    }
    assert_bilingual(messages)


def test_half_filled_bank_account_asks_for_the_missing_parts(spec):
    _, messages = check(spec, "account", bank(branch_code="", holder=" "))
    assert {(m.code, m.part) for m in messages} == {("required", "branch_code"), ("required", "holder")}
    assert_bilingual(messages)


def test_bank_account_required_if_another_field_is_in_a_list(spec):
    result = validate(
        spec,
        {
            "delivery": "mail",
            "account": bank(bank_code="", branch_code="", account_type="", account_number="", holder=""),
        },
        step_id="details",
        today=TODAY,
    )
    assert_bilingual(result.errors["account"], code="required_if")
    assert (
        result.errors["account"][0].ja == "「受け取り」で「郵送」を選んだ場合は必須です。入力してください。"
    )


# --- 個人番号 (My Number) ------------------------------------------------------------------------------------------

MY_NUMBER = "123456789018"  # 11 digits and their check digit (jp.checkdigit)
WRONG_CHECK_DIGIT = "123456789017"
JIDO_TEATE = load_procedure_file(REPO_PROCEDURES / "jido-teate.yaml")  # asks for the claimant's 個人番号


def test_my_number_accepts_ascii_full_width_hyphens_and_spaces(spec):
    for typed in (
        MY_NUMBER,
        "1234-5678-9018",
        "1234 5678 9018",
        "１２３４－５６７８－９０１８",
        "１２３４\u3000５６７８\u3000９０１８",
    ):
        assert check(spec, "my_number", typed) == (MY_NUMBER, []), typed


@pytest.mark.parametrize(("typed", "count"), [("12345678901", 11), ("1234567890123", 13), ("１２３", 3)])
def test_my_number_of_the_wrong_length_says_how_many_digits(spec, typed, count):
    cleaned, messages = check(spec, "my_number", typed)
    assert cleaned is None
    assert_bilingual(messages, code="my_number_length")
    assert f"入力された数字は{count}桁" in messages[0].ja and f"you entered {count}" in messages[0].en
    assert all(typed not in text for m in messages for text in (m.ja, m.en))


def test_my_number_with_letters_is_refused(spec):
    cleaned, messages = check(spec, "my_number", "1234-5678-901X")
    assert cleaned is None
    assert_bilingual(messages, code="my_number_not_digits")
    assert check(spec, "my_number", "①23456789018")[1][0].code == "my_number_not_digits"  # not read as 1


def test_my_number_with_a_wrong_check_digit_never_repeats_the_number(spec):
    cleaned, messages = check(spec, "my_number", "1234-5678-9017")
    assert cleaned is None
    assert_bilingual(messages, code="my_number_check_digit")
    assert "検査用数字" in messages[0].ja and "check digit" in messages[0].en
    result = validate(spec, {"my_number": WRONG_CHECK_DIGIT}, step_id="person", today=TODAY)
    shown = json.dumps([m.to_json() for m in result.errors["my_number"]], ensure_ascii=False)
    assert "1234" not in shown and "9017" not in shown
    assert result.cleaned["my_number"] is None


@settings(max_examples=200, deadline=None)
@given(first11=st.text(alphabet="0123456789", min_size=11, max_size=11), wrong=st.integers(1, 9))
def test_my_number_check_digit_decides(first11, wrong):
    digit = my_number_check_digit(first11)
    spec = JIDO_TEATE
    valid = validate(spec, {"claimant_my_number": f"{first11}{digit}"}, step_id="claimant", today=TODAY)
    assert valid.cleaned["claimant_my_number"] == f"{first11}{digit}"
    assert "claimant_my_number" not in valid.errors
    invalid = validate(
        spec, {"claimant_my_number": f"{first11}{(digit + wrong) % 10}"}, step_id="claimant", today=TODAY
    )
    assert [m.code for m in invalid.errors["claimant_my_number"]] == ["my_number_check_digit"]


def test_my_number_is_displayed_only_masked(spec):
    for stored in (MY_NUMBER, "stored_in_vault"):
        for lang in ("ja", "en"):
            rows = {
                label: text
                for section in display_rows(spec, {"my_number": stored}, lang)
                for label, text in section.rows
            }
            assert (
                rows["個人番号" if lang == "ja" else "My Number"] == "●●●● ●●●● ●●●●" == schema.MY_NUMBER_MASK
            )
    rows = {label: text for section in display_rows(spec, {}, "ja") for label, text in section.rows}
    assert rows["個人番号"] == "（未入力）"


def test_my_number_input_is_never_filled_in(spec):
    field = spec.field("my_number")
    errors = validate(spec, {"my_number": WRONG_CHECK_DIGIT}, step_id="person", today=TODAY).errors[
        "my_number"
    ]
    for value, messages in ((None, None), (MY_NUMBER, None), (WRONG_CHECK_DIGIT, errors)):
        context = schema.field_context(field, value, messages, "ja", spec=spec, readonly=True)
        assert context["value"] == "" and not context["readonly"]
        assert (context["inputmode"], context["autocomplete"], context["input_type"]) == (
            "numeric",
            "off",
            "text",
        )
        assert MY_NUMBER not in json.dumps(context, ensure_ascii=False)
        assert WRONG_CHECK_DIGIT not in json.dumps(context, ensure_ascii=False)


def test_draft_form_leaves_out_the_fields_asked_on_submission(spec, write_procedure):
    assert [f.id for f in spec.submit_only_fields] == ["my_number"]
    draft = spec.draft_form()
    assert "my_number" not in {f.id for f in draft.fields}
    assert {f.id for f in draft.fields} == {f.id for f in spec.fields} - {"my_number"}
    assert draft.draft_form() is draft and spec.without_field_types(("no_such_type",)) is spec
    only = load_procedure_file(
        write_procedure(
            ALL_TYPES.replace(
                "        - {id: my_number, type: my_number, label: {ja: 個人番号, en: My Number}}\n", ""
            ).replace(
                "    - id: details\n",
                "    - id: number\n      title: {ja: 番号, en: Number}\n      fields:\n"
                "        - {id: my_number, type: my_number, label: {ja: 個人番号, en: My Number}}\n"
                "    - id: details\n",
            ),
            slug="all-types",
        )
    )
    assert [step.id for step in only.steps] == ["person", "number", "details"]
    assert [step.id for step in only.draft_form().steps] == [
        "person",
        "details",
    ]  # the empty step is left out


# --- files --------------------------------------------------------------------------------------------------------


def upload(head: bytes, *, name="photo.jpg", size=500, content_type="image/jpeg"):
    return UploadedFileInfo(name=name, size=size, content_type=content_type, head=head)


def test_file_type_is_checked_by_magic_bytes_not_by_the_name(spec):
    cleaned, messages = check(
        spec, "photos", None, files={"photos": [upload(JPEG), upload(PNG, name="b.png")]}
    )
    assert messages == []
    assert cleaned == [
        {"name": "photo.jpg", "size": 500, "content_type": "image/jpeg"},
        {"name": "b.png", "size": 500, "content_type": "image/png"},
    ]
    _, messages = check(spec, "photos", None, files={"photos": [upload(PDF, name="photo.jpg")]})
    assert_bilingual(messages, code="file_type")
    assert "JPEG・PNG" in messages[0].ja and "JPEG, PNG" in messages[0].en
    _, messages = check(spec, "document", None, files={"document": upload(b"MZ\x90\x00", name="a.pdf")})
    assert_bilingual(messages, code="file_type")
    assert "PDF" in messages[0].ja


def test_file_size_and_count_limits_are_named(spec):
    _, messages = check(spec, "photos", None, files={"photos": [upload(JPEG, size=1001)]})
    assert_bilingual(messages, code="file_too_large")
    assert "1000 B以下のJPEG・PNGファイル" in messages[0].ja
    assert "a JPEG, PNG file of at most 1000 B" in messages[0].en
    _, messages = check(spec, "photos", None, files={"photos": [upload(JPEG)] * 3})
    assert_bilingual(messages, code="too_many_files")
    assert "2個まで" in messages[0].ja
    _, messages = check(spec, "photos", None, files={"photos": [upload(JPEG, size=0)]})
    assert_bilingual(messages, code="file_empty")


def test_file_name_is_reduced_to_its_base_name(spec):
    cleaned, _ = check(
        spec, "document", None, files={"document": upload(PDF, name="C:\\Users\\me\\申請書.pdf")}
    )
    assert cleaned["name"] == "申請書.pdf"


def test_file_required_if_another_field_is_filled_and_kept_from_an_earlier_step(spec):
    result = validate(spec, {"note": "メモ"}, today=TODAY)
    assert_bilingual(result.errors["document"], code="required_if")
    assert result.errors["document"][0].ja.startswith("「備考」を入力した場合は必須です。")
    kept = {"name": "a.pdf", "size": 10, "content_type": "application/pdf"}
    result = validate(spec, {"note": "メモ", "document": kept}, step_id="details", today=TODAY)
    assert "document" not in result.errors and result.cleaned["document"] == kept


# --- required_if and steps ----------------------------------------------------------------------------------------


def test_required_if_equals(spec):
    result = validate(spec, {"purpose": "other"}, step_id="details", today=TODAY)
    assert (
        result.errors["purpose_other"][0].ja
        == "「目的」で「その他」を選んだ場合は必須です。入力してください。"
    )
    assert result.errors["purpose_other"][0].en == (
        'If "Purpose" is "Other", this field is required. Please fill it in.'
    )
    result = validate(spec, {"purpose": "work"}, step_id="details", today=TODAY)
    assert "purpose_other" not in result.errors


def test_required_if_on_a_single_checkbox(spec):
    # `members` (household_member) without a linked household is a text area: the message says to type
    result = validate(spec, {"purpose": "work", "agree": "on"}, step_id="details", today=TODAY)
    assert (
        result.errors["members"][0].ja
        == "「同意します」にチェックを入れた場合は必須です。氏名を1行に1人ずつ入力してください。"
    )
    household = [{"id": "p1", "name": "緑 一郎"}, {"id": "p2", "name": "緑 花子"}]
    result = validate(
        spec, {"purpose": "work", "agree": "on"}, step_id="details", household=household, today=TODAY
    )
    assert result.errors["members"][0].ja.endswith("1人以上選んでください。")
    assert result.errors["members"][0].en.endswith("Please choose at least one person.")


def test_every_field_type_words_its_required_message_for_how_it_is_answered():
    """A field that is typed never says "choose"; one that is chosen or ticked never says "enter"."""
    from types import SimpleNamespace

    from madoguchi.procedures.fields.registry import registry as field_types

    typed = {
        "text",
        "textarea",
        "email",
        "phone",
        "number",
        "money",
        "kana",
        "postal_code",
        "address",
        "date",
    }
    chosen = {"radio", "select"}
    seen = set()
    for kind in field_types:
        for multiple in (False, True):
            ja, en = kind.required_texts(SimpleNamespace(multiple=multiple, options=()), None)
            if kind.name in typed:
                assert "選" not in ja and "choose" not in en.lower(), (kind.name, ja, en)
                seen.add(kind.name)
            if kind.name in chosen:
                assert "入力" not in ja and "enter" not in en.lower(), (kind.name, ja, en)
    assert seen >= {"text", "textarea", "date"}


def test_step_validation_checks_only_that_step_but_reads_other_steps(spec):
    result = validate(spec, {"note": "メモ", "purpose": "work"}, step_id="details", today=TODAY)
    assert set(result.cleaned) == {f.id for f in spec.step("details").fields}
    assert "name" not in result.errors  # required, but in the other step
    assert "document" in result.errors  # required because `note` in the other step is filled


def test_full_validation_reports_every_step_and_nothing_is_half_done(spec):
    result = validate(spec, {"purpose": "other", "copies": "0"}, today=TODAY)
    assert not result.ok
    assert set(result.errors) == {"name", "purpose_other", "copies"}
    assert result.messages("en")["name"] == ["This field is required. Please fill it in."]


def test_cleaned_values_are_json_serialisable(spec):
    data = {
        "name": "緑 太郎",
        "kana": "みどり たろう",
        "birth": "昭和60年4月1日",
        "postal": "1000001",
        "address": "東京都千代田区千代田1-1",
        "phone": "03-1234-5678",
        "email": "a@example.jp",
        "copies": "2",
        "income": "12,000",
        "purpose": "work",
        "delivery": "mail",
        "items": ["head"],
        "agree": "on",
        "members": ["p1"],
        "account": bank(),
    }
    result = validate(spec, data, files={"photos": [upload(JPEG)]}, household=HOUSEHOLD, today=TODAY)
    assert result.ok, result.messages("ja")
    assert json.loads(json.dumps(result.cleaned)) == result.cleaned


def test_unknown_step_is_a_programming_error(spec):
    with pytest.raises(KeyError):
        validate(spec, {}, step_id="nope")


# --- HTML form data -----------------------------------------------------------------------------------------------


class FakePost(dict):
    def getlist(self, key):
        value = self.get(key, [])
        return value if isinstance(value, list) else [value]


def test_raw_from_post_reads_composite_and_list_inputs(spec):
    post = FakePost(
        {
            "name": "緑",
            "items": ["head", "honseki"],
            "agree": "on",
            "members": ["p1", ""],
            "account.bank_code": "0001",
            "account.branch_code": "001",
            "account.account_type": "ordinary",
            "account.account_number": "1234567",
            "account.holder": "ﾐﾄﾞﾘ",
            "photos": "ignored",
        }
    )
    raw = raw_from_post(spec.fields, post.getlist)
    assert raw["name"] == "緑" and raw["birth"] == ""
    assert raw["items"] == ["head", "honseki"]
    assert raw["agree"] is True and raw["members"] == ["p1"]
    assert raw["account"] == {
        "bank_code": "0001",
        "branch_code": "001",
        "account_type": "ordinary",
        "account_number": "1234567",
        "holder": "ﾐﾄﾞﾘ",
    }
    assert "photos" not in raw
    assert raw_from_post(spec.fields, FakePost().getlist)["agree"] is False


# --- pre-fill and display -----------------------------------------------------------------------------------------


def test_prefill_values_from_flat_or_nested_registry(spec):
    flat = {"person.name": "緑　太郎", "person.birth_date": dt.date(1985, 4, 1), "person.phone": ""}
    assert prefill_values(spec, flat) == {"name": "緑　太郎", "birth": "1985-04-01"}
    nested = {"person": {"name_kana": "ミドリ　タロウ", "postal_code": "1000001", "address": "千代田1-1"}}
    assert prefill_values(spec, nested) == {
        "kana": "ミドリ　タロウ",
        "postal": "1000001",
        "address": "千代田1-1",
    }
    assert schema.household_members({"household": {"members": HOUSEHOLD}}) == HOUSEHOLD


def test_display_rows_in_japanese_and_english(spec):
    cleaned = {
        "birth": "1985-04-01",
        "postal": "1000001",
        "copies": 2,
        "income": 1234000,
        "purpose": "other",
        "items": ["head", "honseki"],
        "agree": True,
        "members": [{"id": "p1", "name": "緑　太郎"}, {"id": None, "name": "緑　花子"}],
        "account": {
            "bank_code": "0001",
            "bank_name": "みずほ",
            "branch_code": "001",
            "branch_name": "東京営業部",
            "account_type": "ordinary",
            "account_number": "0012345",
            "holder": "ﾐﾄﾞﾘ ﾀﾛｳ",
        },
        "photos": [{"name": "a.jpg", "size": 2 * 1024 * 1024, "content_type": "image/jpeg"}],
    }
    ja = {label: text for section in display_rows(spec, cleaned, "ja") for label, text in section.rows}
    assert ja["生年月日"] == "昭和60年（1985年）4月1日"
    assert ja["郵便番号"] == "〒100-0001"
    assert ja["通数"] == "2通"
    assert ja["所得"] == "¥1,234,000"
    assert ja["目的"] == "その他"
    assert ja["記載事項"] == "世帯主、本籍"
    assert ja["同意します"] == "はい"
    assert ja["世帯員"] == "緑　太郎、緑　花子"
    assert ja["口座"] == "みずほ（0001） 東京営業部（001） 普通 0012345 ﾐﾄﾞﾘ ﾀﾛｳ"
    assert ja["写真"] == "a.jpg (2 MB)"
    assert ja["氏名"] == "（未入力）"
    en_sections = display_rows(spec, cleaned, "en")
    assert [s.title for s in en_sections] == ["Person", "Details"]
    en = {label: text for section in en_sections for label, text in section.rows}
    assert en["Birth date"] == "1985-04-01"
    assert en["Copies"] == "2 copies"
    assert en["Items"] == "Head of household, Domicile"
    assert en["Account"].startswith("みずほ (0001), 東京営業部 branch (001), Ordinary 0012345")
    assert en["Name"] == "(not entered)"


# --- every field of every shipped procedure survives arbitrary input ----------------------------------------------

SHIPPED_FIELDS = [
    (path.stem, f.id)
    for path in sorted(REPO_PROCEDURES.glob("*.yaml"))
    for f in load_procedure_file(path).fields
]
SHIPPED_SPECS = {path.stem: load_procedure_file(path) for path in sorted(REPO_PROCEDURES.glob("*.yaml"))}

junk = st.one_of(
    st.text(max_size=40),
    st.lists(st.text(max_size=10), max_size=3),
    st.dictionaries(st.sampled_from(schema.BANK_PARTS), st.text(max_size=10)),
    st.integers(),
    st.booleans(),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(target=st.sampled_from(SHIPPED_FIELDS), value=junk)
def test_validate_never_crashes_and_always_explains(target, value):
    slug, field_id = target
    spec = SHIPPED_SPECS[slug]
    result = validate(spec, {field_id: value}, step_id=spec.step_of(field_id).id, today=TODAY)
    for messages in result.errors.values():
        for message in messages:
            assert message.ja and message.en
    json.dumps(result.cleaned)


# --- conditional fields: asked only while their condition holds ------------------------------------------------


def test_a_conditional_field_is_not_asked_nor_kept_while_its_condition_does_not_hold(spec):
    from madoguchi.procedures.schema import field_shown

    purpose_other = spec.field("purpose_other")
    assert not field_shown(spec, purpose_other, {"purpose": "work"})
    assert field_shown(spec, purpose_other, {"purpose": "other"})
    # an answer typed before the choice changed is neither checked nor submitted
    result = validate(spec, {"purpose": "work", "purpose_other": "\u202e"}, step_id="details", today=TODAY)
    assert "purpose_other" not in result.errors
    assert result.cleaned["purpose_other"] in (None, "")
    result = validate(spec, {"purpose": "other", "purpose_other": "引っ越し"}, step_id="details", today=TODAY)
    assert result.cleaned["purpose_other"] == "引っ越し"
