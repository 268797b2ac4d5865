"""The independent 全銀 checker (bench/benefits/zengin_check.py) against our writer and against broken files.

The checker was written from published 総合振込 layouts without reading the writer; here it reads a file made
through the real export path with awkward names and finds nothing, and finds each fault planted in a good file.
"""

from __future__ import annotations

import datetime as dt

import pytest
from bench.benefits import zengin_check

from madoguchi.benefits import services, zengin
from madoguchi.benefits.models import Channel, PublicAccount

from .support import make_household, make_program

TRICKY_NAMES = [
    "ヴァイオレット　ヰヱ",  # ヴ → ｳﾞ, small ァ ッ, old kana
    "（カ）ミドリ　センター",  # full-width parentheses, 長音
    "ｷｬｯｼｭ ﾀﾛｳ",  # half-width small kana
    "ｍｉｄｏｒｉ　１２３",  # lower-case full-width letters and digits
    "ぎゃらりー・ぱーく",  # hiragana, ・
    "ｱ" * 28 + "ｶﾞ",  # exactly 30 bytes, the last a voiced mark
    "ABC. D-E/F",  # the symbols of the set
]


def records(data: bytes) -> list[bytearray]:
    return [bytearray(r) for r in data.split(b"\r\n")[:-1]]


def join(parts: list[bytearray]) -> bytes:
    return b"".join(bytes(p) + b"\r\n" for p in parts)


@pytest.mark.django_db
def test_a_file_from_the_real_export_path_with_tricky_names_has_no_violation(tmp_path):
    program = make_program(remitter_name="ミドリシ　カイケイカンリシャ")
    households = [make_household() for _ in TRICKY_NAMES]
    for household, name in zip(households, TRICKY_NAMES, strict=True):
        PublicAccount.objects.filter(person__household=household).update(holder_kana=name)
    services.compute_eligibility(program=program)
    for household in households:
        services.apply(program=program, household=household, channel=Channel.PAPER)
    assert services.approve_received(program=program).approved == len(TRICKY_NAMES)

    target = tmp_path / "zengin.txt"
    result = services.export_payments(program=program, path=target, transfer_date=dt.date(2026, 7, 10))
    report = zengin_check.check(target.read_bytes())

    assert [str(v) for v in report.violations] == []
    assert (report.data_count, report.data_sum) == (result.count, result.total) == (7, result.total)
    assert report.kinds == {"header": 1, "data": 7, "trailer": 1, "end": 1}
    holders = {bytes(r[50:80]).decode("cp932").rstrip() for r in records(target.read_bytes())[1:-2]}
    assert "ｳﾞｱｲｵﾚﾂﾄ ｲｴ" in holders and "(ｶ)ﾐﾄﾞﾘ ｾﾝﾀ-" in holders and "ｱ" * 28 + "ｶﾞ" in holders


def good_file(**kw) -> bytes:
    remitter = zengin.Remitter("1234567890", "ﾐﾄﾞﾘｼ", "0001", "001", "1", "1234567")
    transfers = [
        zengin.Transfer(f"B-{n}", n, "0005", "001", "1", "7654321", "ﾔﾏﾀﾞ ｷﾖｳｺ", 30000 * n) for n in (1, 2)
    ]
    return zengin.build_transfer_file(remitter, transfers, transfer_date=dt.date(2026, 7, 10), **kw).data


def problems(data: bytes) -> set[tuple[int, str]]:
    return {(v.record, v.field) for v in zengin_check.check(data).errors}


def test_a_good_file_passes_with_and_without_line_breaks():
    assert problems(good_file()) == set()
    assert problems(good_file(line_ending="")) == set()
    assert zengin_check.check(good_file(line_ending="")).framing.startswith("no line breaks")


def test_a_record_of_the_wrong_length_is_found():
    parts = records(good_file())
    del parts[1][60]
    assert (2, "record") in problems(join(parts))
    stream = good_file(line_ending="")
    assert (0, "length") in problems(stream[:-1])


def test_a_trailer_whose_sum_or_count_is_wrong_is_found():
    parts = records(good_file())
    parts[3][7:19] = b"000000090001"
    assert problems(join(parts)) == {(4, "合計金額")}
    parts = records(good_file())
    parts[3][1:7] = b"000003"
    assert problems(join(parts)) == {(4, "合計件数")}


def test_a_wrong_kind_code_and_code_section_are_found():
    parts = records(good_file())
    parts[0][1:3] = b"11"  # 給与振込, not 総合振込
    parts[0][3:4] = b"1"  # EBCDIC
    assert problems(join(parts)) == {(1, "種別コード"), (1, "コード区分")}


@pytest.mark.parametrize(
    ("holder", "why"),
    [
        ("ｷｮｳｺ".encode("cp932"), "small kana"),
        ("ｾﾝﾀｰ".encode("cp932"), "ｰ"),
        (b"yamada", "lower-case"),
        ("ﾜﾞﾀﾅﾍﾞ".encode("cp932"), "ﾞ"),
        ("山田".encode("cp932"), "half-width"),
    ],
)
def test_characters_outside_the_zengin_set_are_found(holder, why):
    parts = records(good_file())
    parts[1][50:80] = holder.ljust(30)
    report = zengin_check.check(join(parts))
    assert {(v.record, v.field) for v in report.errors} == {(2, "受取人名")}
    assert why in report.errors[0].problem


def test_bad_values_unknown_banks_and_a_missing_end_record_are_found():
    parts = records(good_file())
    parts[1][38:42] = b"    "  # 手形交換所番号 N(4) in spaces
    parts[1][42:43] = b"3"  # 預金種目
    parts[2][1:5] = b"0999"  # no such bank
    parts[2][111:112] = b"5"  # 振込区分
    assert problems(join(parts)) == {
        (2, "手形交換所番号"),
        (2, "預金種目"),
        (3, "被仕向銀行番号"),
        (3, "振込区分"),
    }
    assert (0, "order") in problems(join(records(good_file())[:-1]))


def test_lone_line_feeds_and_an_eof_mark(tmp_path, capsys):
    lf = good_file().replace(b"\r\n", b"\n")
    assert (0, "framing") in problems(lf)
    with_eof = good_file(line_ending="") + b"\x1a"
    report = zengin_check.check(with_eof)
    assert not report.errors and [v.field for v in report.warnings] == ["EOF"]
    target = tmp_path / "z.txt"
    target.write_bytes(with_eof)
    assert zengin_check.main([str(target)]) == 0
    assert zengin_check.main([str(target), "--strict"]) == 1
    assert "data records: 2, sum of 振込金額: 90,000 円" in capsys.readouterr().out
