"""The 公金受取口座 and 課税 files: parsed whole or rejected whole with row and column (pure)."""

from __future__ import annotations

import pytest

from madoguchi.benefits.imports import ImportFileError, parse_accounts_file, parse_tax_file

TAX_HEADER = "atena_number,fiscal_year,non_taxed,income\n"
ACCOUNT_HEADER = "atena_number,bank_code,branch_code,account_type,account_number,holder_kana\n"


def problems(data: bytes, parse) -> list[tuple[int, str]]:
    with pytest.raises(ImportFileError) as caught:
        parse(data)
    return [(p.row, p.column) for p in caught.value.problems]


def test_a_good_tax_file_in_cp932():
    rows = parse_tax_file((TAX_HEADER + "A1,2025,1,\nA2,2025,0,3000000\n").encode("cp932"))
    assert [(r.row, r.atena_number, r.non_taxed, r.income) for r in rows] == [
        (2, "A1", True, None),
        (3, "A2", False, 3000000),
    ]


def test_every_bad_cell_of_a_tax_file_is_named_by_row_and_column():
    data = (TAX_HEADER + "A1,2025,1,\nA2,25,yes,-5\nA1,2025,0,\n").encode()
    assert problems(data, parse_tax_file) == [
        (3, "fiscal_year"),
        (3, "non_taxed"),
        (3, "income"),
        (4, "atena_number"),
    ]


def test_a_wrong_header_or_a_short_row_rejects_the_file():
    assert problems(b"person,year\nA1,2025\n", parse_tax_file) == [(1, "-")]
    assert problems((TAX_HEADER + "A1,2025,1\n").encode(), parse_tax_file) == [(2, "-")]


def test_the_message_is_bilingual_and_says_what_to_do():
    with pytest.raises(ImportFileError) as caught:
        parse_tax_file((TAX_HEADER + "A1,2025,2,\n").encode())
    assert caught.value.ja.startswith("ファイルを取り込みませんでした。直して取り込み直してください")
    assert "2行目 non_taxed列" in caught.value.ja
    assert "row 2, column non_taxed" in caught.value.en


def test_an_accounts_file_checks_banks_branches_and_folds_the_holder():
    rows = parse_accounts_file((ACCOUNT_HEADER + "A1,5,1,1,123,ヤマダ　キョウコ\n").encode())
    assert (rows[0].bank_code, rows[0].branch_code, rows[0].account_number, rows[0].holder_kana) == (
        "0005",
        "001",
        "0000123",
        "ﾔﾏﾀﾞ ｷﾖｳｺ",
    )
    bad = ACCOUNT_HEADER + "A1,0999,001,1,123,ヤマダ\nA2,0005,999,3,12345678,山田\n"
    assert problems(bad.encode(), parse_accounts_file) == [
        (2, "bank_code"),
        (3, "branch_code"),
        (3, "account_type"),
        (3, "account_number"),
        (3, "holder_kana"),
    ]


def test_an_accounts_file_refuses_a_holder_with_a_voiced_mark_no_kana_can_take():
    bad = ACCOUNT_HEADER + "A1,0005,001,1,123,ヷタナベ\n"  # ヷ folds to ﾜﾞ, which no bank writes
    assert problems(bad.encode(), parse_accounts_file) == [(2, "holder_kana")]
