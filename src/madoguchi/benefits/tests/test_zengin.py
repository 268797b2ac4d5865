"""The 全銀 総合振込 writer, byte for byte; the reader; the return list; kana folding."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.benefits import zengin
from madoguchi.benefits.zengin import (
    DATA_FIELDS,
    END_FIELDS,
    HEADER_FIELDS,
    TRAILER_FIELDS,
    Remitter,
    Transfer,
    ZenginError,
    ZenginValidationError,
    build_transfer_file,
    fold_to_zengin,
)

REMITTER = Remitter(
    code="1234567890",
    name="ミドリシ",
    bank_code="0001",
    branch_code="001",
    account_type="1",
    account_number="1234567",
)


def transfer(n: int = 1, **changes) -> Transfer:
    values = dict(
        reference=f"B01-{n:08d}",
        payment_number=n,
        application_number=100 + n,
        bank_code="0005",
        branch_code="001",
        account_type="1",
        account_number="7654321",
        holder="ヤマダ　キョウコ",
        amount=30000 * n,
    )
    values.update(changes)
    return Transfer(**values)


def build(transfers, **kw):
    return build_transfer_file(REMITTER, transfers, transfer_date=dt.date(2026, 7, 10), **kw)


def test_every_layout_covers_120_bytes_without_gaps():
    for layout in (HEADER_FIELDS, DATA_FIELDS, TRAILER_FIELDS, END_FIELDS):
        offset = 0
        for _name, start, length in layout:
            assert start == offset
            offset += length
        assert offset == 120


def test_records_are_120_bytes_each_with_crlf_and_fields_at_their_offsets():
    built = build([transfer(1), transfer(2)])
    records = built.data.split(b"\r\n")
    assert records[-1] == b""
    records = records[:-1]
    assert [len(r) for r in records] == [120] * 5
    assert len(built.data) == 5 * 122
    header, first, second, trailer, end = records

    assert header[0:1] == b"1" and header[1:3] == b"21" and header[3:4] == b"0"
    assert header[4:14] == b"1234567890"
    assert header[14:54] == "ﾐﾄﾞﾘｼ".encode("cp932").ljust(40)
    assert header[54:58] == b"0710"
    assert header[58:62] == b"0001" and header[62:77] == "ﾐｽﾞﾎ".encode("cp932").ljust(15)
    assert header[77:80] == b"001" and header[80:95] == "ﾄｳｷﾖｳ".encode("cp932").ljust(15)
    assert header[95:96] == b"1" and header[96:103] == b"1234567" and header[103:] == b" " * 17

    assert first[0:1] == b"2" and first[1:5] == b"0005"
    assert first[5:20] == "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ".encode("cp932").ljust(15)
    assert first[20:23] == b"001" and first[23:38] == "ﾎﾝﾃﾝ".encode("cp932").ljust(15)
    # 手形交換所番号 is N(4), "未使用（0とする）" in the published layouts: zeros, not spaces
    assert first[38:42] == b"0000" and first[42:43] == b"1" and first[43:50] == b"7654321"
    assert first[50:80] == "ﾔﾏﾀﾞ ｷﾖｳｺ".encode("cp932").ljust(30)
    assert first[80:90] == b"0000030000" and first[90:91] == b"0"
    assert first[91:101] == b"0000000001" and first[101:111] == b"0000000101"
    assert first[111:112] == b"7" and first[112:] == b" " * 8
    assert second[80:90] == b"0000060000"

    assert trailer == b"8" + b"000002" + b"000000090000" + b" " * 101
    assert end == b"9" + b" " * 119
    assert (built.count, built.total) == (2, 90000)


def test_without_line_endings_the_file_is_a_fixed_length_stream_and_reads_back():
    built = build([transfer(1)], line_ending="")
    assert len(built.data) == 4 * 120 and b"\r" not in built.data
    parsed = zengin.read_transfer_file(built.data)
    assert parsed.records[0]["holder"].rstrip() == "ﾔﾏﾀﾞ ｷﾖｳｺ"
    assert parsed.trailer["count"] == "000001"


def test_the_reader_refuses_a_trailer_that_does_not_match():
    data = bytearray(build([transfer(1), transfer(2)]).data)
    trailer_start = 3 * 122
    data[trailer_start + 1 : trailer_start + 7] = b"000003"
    with pytest.raises(ZenginError, match="trailer"):
        zengin.read_transfer_file(bytes(data))


def test_a_bank_that_does_not_exist_names_the_application_and_nothing_is_built():
    with pytest.raises(ZenginValidationError) as caught:
        build([transfer(1), transfer(2, bank_code="0999"), transfer(3, branch_code="998", bank_code="0001")])
    problems = caught.value.problems
    assert [(p.reference, p.field) for p in problems] == [
        ("B01-00000002", "bank_code"),
        ("B01-00000003", "branch_code"),
    ]
    assert "B01-00000002" in caught.value.ja and "B01-00000002" in caught.value.en


def test_a_name_outside_the_character_set_is_refused_with_the_characters():
    with pytest.raises(ZenginValidationError) as caught:
        build([transfer(7, holder="山田タロウ＆")])
    (problem,) = caught.value.problems
    assert problem.reference == "B01-00000007" and problem.field == "holder"
    assert "山" in problem.ja and "&" in problem.ja


@pytest.mark.parametrize(
    ("amount", "account"), [(0, "1234567"), (10_000_000_000, "1234567"), (1000, "12345678"), (1000, "12a")]
)
def test_bad_amounts_and_account_numbers_are_refused(amount, account):
    with pytest.raises(ZenginValidationError):
        build([transfer(1, amount=amount, account_number=account)])


def test_the_file_is_written_only_when_valid(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(ZenginValidationError):
        zengin.write_transfer_file(target, build([transfer(1, holder="漢字")]))
    assert not target.exists()
    zengin.write_transfer_file(target, build([transfer(1)]))
    assert target.read_bytes() == build([transfer(1)]).data
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_return_file_round_trip():
    data = build([transfer(1), transfer(2), transfer(3)]).data
    returned = zengin.mark_results(data, {2: "1", 3: "4"})
    assert len(returned) == len(data)
    results = zengin.parse_return_file(returned)
    assert [(r.payment_number, r.application_number, r.amount, r.result_code) for r in results] == [
        (1, 101, 30000, "0"),
        (2, 102, 60000, "1"),
        (3, 103, 90000, "4"),
    ]
    assert [r.transferred for r in results] == [True, False, False]
    assert results[1].result_label == "該当口座なし"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ヤマダ　キョウコ", "ﾔﾏﾀﾞ ｷﾖｳｺ"),
        ("やまだ たろう", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("ｷｮｳｺ", "ｷﾖｳｺ"),
        ("ガッコウ", "ｶﾞﾂｺｳ"),
        ("パーク", "ﾊﾟ-ｸ"),
        ("センター", "ｾﾝﾀ-"),
        ("ｶ゛", "ｶﾞ"),
        ("ヴィ", "ｳﾞｲ"),
        ("ヲ", "ｵ"),
        ("ｶ)ミドリ", "ｶ)ﾐﾄﾞﾘ"),
        ("ｍｉｄｏｒｉ", "MIDORI"),
        ("スミス・ジョン", "ｽﾐｽ ｼﾞﾖﾝ"),
        ("ABC ｼﾖｳｼﾞ", "ABC ｼﾖｳｼﾞ"),
    ],
)
def test_kana_folding(given, expected):
    assert fold_to_zengin(given) == expected
    assert not zengin.invalid_characters(expected)


def test_folded_names_are_one_byte_per_character_in_cp932():
    name = fold_to_zengin("ァィゥェォッャュョヮヵヶ　ー")
    assert len(name.encode("cp932")) == len(name)
    assert not zengin.invalid_characters(name)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=sorted(zengin.ZENGIN_CHARACTERS), min_size=1, max_size=30))
def test_a_name_already_in_the_zengin_set_takes_the_fast_path_and_folds_to_itself(name):
    # fold_to_zengin returns such a name untouched without folding it again: the full fold must agree.
    assert fold_to_zengin(name) == zengin._fold(name)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ヴァイオレット", "ｳﾞｱｲｵﾚﾂﾄ"),  # ヴ is ｳﾞ, two bytes; small ァ and ッ folded
        ("ヰヱ", "ｲｴ"),  # the old kana have no half-width form
        ("（カ）ミドリ　センター", "(ｶ)ﾐﾄﾞﾘ ｾﾝﾀ-"),  # full-width parentheses, 長音 as -
        ("ｍｉｄｏｒｉ１２３", "MIDORI123"),  # lower-case and full-width letters and digits
        ("パ゚", "ﾊﾟﾟ"),  # kept, and then refused as a misplaced mark (below)
    ],
)
def test_edge_cases_of_the_character_set_fold_to_bytes_of_one_each(given, expected):
    folded = fold_to_zengin(given)
    assert folded == expected
    assert len(folded.encode("cp932")) == len(folded)


def test_the_holder_field_byte_for_byte_with_voiced_marks_counting_as_characters():
    built = build([transfer(1, holder="ヴィジュアル　ギャラリー")])
    data_record = built.data.split(b"\r\n")[1]
    assert data_record[50:80] == b"\xb3\xde\xb2\xbc\xde\xd5\xb1\xd9 \xb7\xde\xd4\xd7\xd8-" + b" " * 15


@pytest.mark.parametrize("holder", ["ﾜﾞﾀﾅﾍﾞ", "ﾞｱｲ", "ｱﾟｲ", "パ゚"])
def test_a_voiced_mark_after_a_character_that_cannot_take_it_is_refused(holder):
    with pytest.raises(ZenginValidationError) as caught:
        build([transfer(1, holder=holder)])
    (problem,) = caught.value.problems
    assert problem.field == "holder" and "濁点" in problem.ja and "voiced" in problem.en


def test_the_remitter_account_type_is_1_2_or_9_and_the_name_at_most_40():
    from dataclasses import replace

    with pytest.raises(ZenginValidationError) as caught:
        build_transfer_file(
            replace(REMITTER, account_type="4", name="ｱ" * 41),
            [transfer(1)],
            transfer_date=dt.date(2026, 7, 10),
        )
    assert sorted(p.field for p in caught.value.problems) == ["account_type", "remitter_name"]
    built = build_transfer_file(
        replace(REMITTER, account_type="9", name="ｱ" * 40), [transfer(1)], transfer_date=dt.date(2026, 7, 10)
    )
    assert built.data[95:96] == b"9" and built.data[14:54] == b"\xb1" * 40


def test_cutting_a_name_never_leaves_a_base_without_its_voiced_mark():
    assert zengin.cut_to("ｱ" * 14 + "ｼﾞ", 15) == "ｱ" * 14  # not ...ｼ, which reads differently
    assert zengin.cut_to("ｱ" * 13 + "ｼﾞ", 15) == "ｱ" * 13 + "ｼﾞ"
    assert zengin.cut_to("ｱ" * 13 + " ﾊﾟ", 15) == "ｱ" * 13  # no trailing space left either
    assert zengin.cut_to("ﾐﾄﾞﾘ", 15) == "ﾐﾄﾞﾘ"


def test_a_long_bank_name_is_cut_before_a_base_whose_mark_does_not_fit(monkeypatch):
    from types import SimpleNamespace

    zengin._bank_name.cache_clear()
    monkeypatch.setattr(
        zengin, "find_bank", lambda code: SimpleNamespace(kana="アアアアアアアアアアアアアアジ")
    )
    try:
        assert zengin._bank_name("0001") == "ｱ" * 14
    finally:
        zengin._bank_name.cache_clear()
