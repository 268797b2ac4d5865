"""Reading and writing registry CSV files: encodings, bad bytes, streaming in flat memory (pure)."""

from __future__ import annotations

import codecs
import io
import tracemalloc

import pytest

from madoguchi.residents.registry.csvfile import detect_encoding, read_registry_csv, write_registry_csv
from madoguchi.residents.registry.layout import FULL, HEADERS
from madoguchi.residents.registry.validate import RowValidator, check_header
from madoguchi.residents.tests.factories import registry_csv, registry_row


def rows_of(data: bytes, encoding=None):
    reading = read_registry_csv(io.BytesIO(data), encoding)
    return reading, list(reading.rows())


@pytest.mark.parametrize(
    ("encoding", "prefix", "detected"),
    [("utf-8", b"", "utf-8"), ("utf-8", codecs.BOM_UTF8, "utf-8-sig"), ("cp932", b"", "cp932")],
)
def test_utf8_with_or_without_bom_and_cp932_are_read(encoding, prefix, detected):
    data = prefix + registry_csv([registry_row(), registry_row(宛名番号="9100000002")], encoding=encoding)
    reading, rows = rows_of(data)
    assert reading.encoding == detected
    assert reading.header == list(HEADERS)
    assert [(number, values[2]) for number, values, _ in rows] == [
        (2, "緑川\u3000花子"),
        (3, "緑川\u3000花子"),
    ]
    assert reading.size == len(data) and len(reading.sha256) == 64


def test_undetectable_and_utf16_files_are_refused_as_a_whole():
    reading, rows = rows_of(b"\xff\xfe" + "宛名番号".encode("utf-16-le"))
    assert [p.code for p in reading.problems] == ["encoding_utf16"] and rows == []
    reading, rows = rows_of(b"\x81\x00\xff\xfe\x80\x81" * 10)
    assert [(p.row, p.code) for p in reading.problems] == [(0, "encoding_unknown")] and rows == []
    assert detect_encoding("住民".encode("euc-jp")) in (None, "cp932")


def test_a_bad_byte_after_the_head_is_a_problem_of_its_row_and_reading_goes_on():
    good = registry_csv([registry_row()] * 3000)
    bad_line = (
        registry_csv([registry_row(氏名="山田")], header=HEADERS)
        .split(b"\r\n")[1]
        .replace("山田".encode(), "山田".encode("cp932"))
    )
    data = good + bad_line + b"\r\n" + registry_csv([registry_row()]).split(b"\r\n", 1)[1]
    assert len(good) > 64 * 1024  # the head is clean UTF-8, so UTF-8 is chosen
    reading, rows = rows_of(data)
    assert reading.encoding == "utf-8"
    problems = [(number, p.code) for number, values, p in rows if p is not None]
    assert problems == [(3002, "bad_encoding")]
    assert rows[-1][0] == 3003 and rows[-1][1] is not None


def test_blank_lines_count_as_rows_but_are_not_read():
    data = registry_csv([registry_row()]) + b"\r\n" + registry_csv([registry_row()]).split(b"\r\n", 1)[1]
    _, rows = rows_of(data)
    assert [number for number, _, _ in rows] == [2, 4]


def test_an_empty_file_has_no_header():
    reading, rows = rows_of(b"")
    assert [p.code for p in reading.problems] == ["empty_file"] and rows == []


def test_writing_cp932_replaces_what_it_cannot_hold_and_says_where():
    out = io.BytesIO()
    lost = write_registry_csv(out, ["氏名", "方書"], [["髙橋\u3000𠮷子", ""], ["佐藤", "メゾン"]], "cp932")
    assert lost == [(2, "氏名", "𠮷")]
    assert out.getvalue().decode("cp932") == "氏名,方書\r\n髙橋\u3000〓子,\r\n佐藤,メゾン\r\n"
    out = io.BytesIO()
    assert write_registry_csv(out, ["氏名"], [["𠮷"]], "utf-8") == []


def test_a_large_file_is_read_and_checked_in_flat_memory(tmp_path):
    path = tmp_path / "big.csv"
    row = registry_row()
    line = registry_csv([row]).split(b"\r\n", 1)[1]
    with path.open("wb") as handle:
        handle.write(registry_csv([]))
        for i in range(30_000):
            handle.write(
                line.replace(b"9100000001,9100000001", f"{9_100_000_000 + i},{9_100_000_000 + i}".encode(), 1)
            )
    assert path.stat().st_size > 6_000_000
    header = check_header(HEADERS)
    validator = RowValidator(header.positions, FULL, len(HEADERS))
    tracemalloc.start()
    checked = 0
    with path.open("rb") as handle:
        for number, values, _problem in read_registry_csv(handle).rows():
            record, _problems = validator.validate(number, values)
            checked += record is not None
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert checked == 30_000
    assert peak < 3_000_000  # a 6.5 MB file: the reader keeps a 1 MB buffer and the row it is on
