"""An independent checker for 全銀協 総合振込 (general transfer, 種別コード 21) files.

    .venv/bin/python -m bench.benefits.zengin_check FILE [--strict] [--no-bank-codes] [--max N]

Written from public descriptions of the 全銀協制定レコード・フォーマット (see docs/benefits.md, "Payment
file"), not from our writer: it is the second pair of eyes before the bank's own checker. It prints every
violation as `record N (kind) field: problem [value]`, then a summary (records by kind, the number and sum of
the data records, how records are framed), and exits 1 when there is any error (with --strict, any warning
too), 0 otherwise.

Errors are what the format itself rules out: a record that is not 120 bytes, a bad データ区分 / 種別コード /
コード区分, a numeric field with anything but the digits 0-9, a value outside its list (預金種目, 新規コード,
振込区分, 識別表示), a trailer whose count or sum does not match its data records, a character outside the 全銀
character set (half-width katakana without the small kana, ｰ or ･, upper-case letters, digits, space and
( ) - . /), a voiced or semi-voiced mark that follows no base that takes it, an unknown bank or branch code
(checked with the zengin-code package). Warnings are what the standard allows but some banks refuse: the
characters ¥ ｢ ｣ , in names, an EOF mark (0x1A) after the last record, spaces in unused numeric fields.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

RECORD = 120

# Bytes of JIS X 0201 (as CP932 writes them) that the 全銀 character set allows in a C field.
_DIGITS = set(range(0x30, 0x3A))
_UPPER = set(range(0x41, 0x5B))
_KANA = {0xA6} | set(range(0xB1, 0xDE))  # ｦ and ｱ..ﾝ: no small kana (0xA7-0xAF), no ｰ (0xB0)
_MARKS = {0xDE, 0xDF}  # ﾞ ﾟ, each one byte of its own
_SYMBOLS = {0x20, 0x28, 0x29, 0x2D, 0x2E, 0x2F}  # space ( ) - . /
ALLOWED = _DIGITS | _UPPER | _KANA | _MARKS | _SYMBOLS
# In the 全銀 set, but refused by some banks' upload screens: ¥ (0x5C in JIS X 0201), ｢ ｣ and the comma.
BANK_DEPENDENT = {0x5C, 0xA2, 0xA3, 0x2C}

# The bases that take ﾞ (ｳ, ｶ..ｺ, ｻ..ｿ, ﾀ..ﾄ, ﾊ..ﾎ) and ﾟ (ﾊ..ﾎ).
_DAKUTEN_BASES = {0xB3} | set(range(0xB6, 0xC5)) | set(range(0xCA, 0xCF))
_HANDAKUTEN_BASES = set(range(0xCA, 0xCF))


@dataclass(frozen=True)
class Field:
    name: str
    start: int  # 1-based column, as the published tables count
    length: int
    kind: str  # "N" digits, right-aligned, zero-filled; "C" characters, left-aligned, space-filled
    allowed: tuple[str, ...] = ()
    required: bool = False  # a C field that must not be blank

    def value(self, record: bytes) -> bytes:
        return record[self.start - 1 : self.start - 1 + self.length]


HEADER = (
    Field("データ区分", 1, 1, "N", ("1",)),
    Field("種別コード", 2, 2, "N", ("21",)),
    Field("コード区分", 4, 1, "N", ("0",)),
    Field("振込依頼人コード", 5, 10, "N"),
    Field("振込依頼人名", 15, 40, "C", required=True),
    Field("振込指定日", 55, 4, "N"),
    Field("仕向銀行番号", 59, 4, "N"),
    Field("仕向銀行名", 63, 15, "C"),
    Field("仕向支店番号", 78, 3, "N"),
    Field("仕向支店名", 81, 15, "C"),
    Field("預金種目(依頼人)", 96, 1, "N", ("1", "2", "9")),
    Field("口座番号(依頼人)", 97, 7, "N"),
    Field("ダミー", 104, 17, "C"),
)
DATA = (
    Field("データ区分", 1, 1, "N", ("2",)),
    Field("被仕向銀行番号", 2, 4, "N"),
    Field("被仕向銀行名", 6, 15, "C"),
    Field("被仕向支店番号", 21, 3, "N"),
    Field("被仕向支店名", 24, 15, "C"),
    Field("手形交換所番号", 39, 4, "N"),
    Field("預金種目", 43, 1, "N", ("1", "2", "4", "9")),
    Field("口座番号", 44, 7, "N"),
    Field("受取人名", 51, 30, "C", required=True),
    Field("振込金額", 81, 10, "N"),
    Field("新規コード", 91, 1, "N", ("0", "1", "2")),
    # 92-111: 顧客コード1 N(10) + 顧客コード2 N(10), or EDI情報 C(20) when 識別表示 is "Y" (checked below).
    Field("振込区分", 112, 1, "C", ("7", "8", " ")),
    Field("識別表示", 113, 1, "C", ("Y", " ")),
    Field("ダミー", 114, 7, "C"),
)
CUSTOMER_CODES = (Field("顧客コード1", 92, 10, "N"), Field("顧客コード2", 102, 10, "N"))
EDI = Field("EDI情報", 92, 20, "C")
TRAILER = (
    Field("データ区分", 1, 1, "N", ("8",)),
    Field("合計件数", 2, 6, "N"),
    Field("合計金額", 8, 12, "N"),
    Field("ダミー", 20, 101, "C"),
)
END = (Field("データ区分", 1, 1, "N", ("9",)), Field("ダミー", 2, 119, "C"))
LAYOUTS = {"1": ("header", HEADER), "2": ("data", DATA), "8": ("trailer", TRAILER), "9": ("end", END)}


@dataclass
class Violation:
    record: int  # 1-based; 0 for the file as a whole
    kind: str
    field: str
    problem: str
    value: bytes = b""
    warning: bool = False

    def __str__(self) -> str:
        where = f"record {self.record} ({self.kind})" if self.record else "file"
        shown = f" [{_show(self.value)}]" if self.value else ""
        level = "warning" if self.warning else "error"
        return f"{level}: {where} {self.field}: {self.problem}{shown}"


@dataclass
class Report:
    violations: list[Violation] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)
    data_count: int = 0
    data_sum: int = 0
    framing: str = ""

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if not v.warning]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if v.warning]


def _show(value: bytes) -> str:
    """The bytes as CP932 text where they decode, with \\xNN for the rest; spaces shown as they are."""
    return value.decode("cp932", errors="backslashreplace")


def split_records(content: bytes, report: Report) -> list[bytes]:
    """The 120-byte records of `content`: either concatenated without breaks or each followed by CR LF."""
    body = content
    if body.endswith(b"\x1a"):
        body = body[:-1]
        report.violations.append(
            Violation(
                0,
                "file",
                "EOF",
                "trailing EOF mark 0x1A; most banks take plain 120-byte records",
                warning=True,
            )
        )
    if len(body) > RECORD and body[RECORD : RECORD + 2] == b"\r\n":
        report.framing = "CRLF after each record"
        lines = body.split(b"\r\n")
        if lines and lines[-1] == b"":
            lines.pop()
        else:
            report.violations.append(
                Violation(
                    0, "file", "framing", "the last record has no CR LF while the others have", warning=True
                )
            )
        for number, line in enumerate(lines, 1):
            if b"\n" in line or b"\r" in line:
                report.violations.append(
                    Violation(number, "?", "framing", "a lone CR or LF inside the record")
                )
        return lines
    report.framing = "no line breaks (120-byte records back to back)"
    if b"\r" in body or b"\n" in body:
        report.violations.append(
            Violation(0, "file", "framing", "CR or LF bytes, but not as CR LF after every record")
        )
    if len(body) % RECORD:
        report.violations.append(
            Violation(0, "file", "length", f"{len(body)} bytes is not a multiple of {RECORD}")
        )
    return [body[i : i + RECORD] for i in range(0, len(body), RECORD)]


def _check_chars(value: bytes, number: int, kind: str, name: str, report: Report) -> None:
    previous = None
    for index, byte in enumerate(value):
        if byte in BANK_DEPENDENT:
            report.violations.append(
                Violation(
                    number,
                    kind,
                    name,
                    f"byte 0x{byte:02X} at {index + 1} is refused by some banks",
                    value,
                    True,
                )
            )
        elif byte not in ALLOWED:
            what = (
                "small kana"
                if 0xA7 <= byte <= 0xAF
                else "ｰ (use -)"
                if byte == 0xB0
                else "not in the 全銀 set"
            )
            if byte >= 0x80 and not 0xA1 <= byte <= 0xDF:
                what = "not a half-width (JIS X 0201) character"
            elif 0x61 <= byte <= 0x7A:
                what = "lower-case letter"
            report.violations.append(
                Violation(number, kind, name, f"byte 0x{byte:02X} at {index + 1}: {what}", value)
            )
        elif byte == 0xDE and previous not in _DAKUTEN_BASES:
            report.violations.append(
                Violation(number, kind, name, f"ﾞ at {index + 1} follows no base that takes it", value)
            )
        elif byte == 0xDF and previous not in _HANDAKUTEN_BASES:
            report.violations.append(
                Violation(number, kind, name, f"ﾟ at {index + 1} follows no base that takes it", value)
            )
        previous = byte


def _check_field(spec: Field, record: bytes, number: int, kind: str, report: Report) -> None:
    value = spec.value(record)
    text = value.decode("latin-1")
    if spec.allowed:
        if text not in spec.allowed:
            allowed = " / ".join(repr(a) for a in spec.allowed)
            report.violations.append(Violation(number, kind, spec.name, f"must be {allowed}", value or b"?"))
        return
    if spec.kind == "N":
        if not value.isdigit() or len(value) != spec.length:
            if value.strip(b" ") == b"" and spec.name.startswith("顧客コード"):
                report.violations.append(
                    Violation(
                        number, kind, spec.name, "unused numeric field filled with spaces, not 0", value, True
                    )
                )
            else:
                report.violations.append(
                    Violation(number, kind, spec.name, "must be digits 0-9 only, zero-filled", value)
                )
        return
    if spec.name == "ダミー":
        if value.strip(b" "):
            report.violations.append(Violation(number, kind, spec.name, "must be spaces", value))
        return
    _check_chars(value, number, kind, spec.name, report)
    if value.strip(b" ") and value.startswith(b" "):
        report.violations.append(
            Violation(number, kind, spec.name, "must be left-aligned (leading space)", value)
        )
    if spec.required and not value.strip(b" "):
        report.violations.append(Violation(number, kind, spec.name, "must not be blank", value))


def _banks():
    try:
        from zengin_code import Bank
    except ImportError:  # pragma: no cover - the package is a dependency of the project
        return None
    return Bank.all


def _check_bank(
    record: bytes, number: int, kind: str, bank_at: Field, branch_at: Field, banks, report: Report
):
    bank_code = bank_at.value(record).decode("latin-1")
    branch_code = branch_at.value(record).decode("latin-1")
    if banks is None or not bank_code.isdigit() or not branch_code.isdigit():
        return
    bank = banks.get(bank_code)
    if bank is None:
        report.violations.append(
            Violation(number, kind, bank_at.name, "no such bank in zengin-code", bank_at.value(record))
        )
    elif branch_code not in bank.branches:
        report.violations.append(
            Violation(
                number,
                kind,
                branch_at.name,
                f"no such branch of bank {bank_code} in zengin-code",
                branch_at.value(record),
            )
        )


def check(content: bytes, *, bank_codes: bool = True) -> Report:
    report = Report()
    records = split_records(content, report)
    banks = _banks() if bank_codes else None
    state = "start"  # start -> header -> data* -> trailer -> (header ... | end) -> done
    group_count = group_sum = 0
    for number, record in enumerate(records, 1):
        prefix = record[:1].decode("latin-1")
        kind, layout = LAYOUTS.get(prefix, ("?", None))
        report.kinds[kind] += 1
        if len(record) != RECORD:
            report.violations.append(Violation(number, kind, "record", f"{len(record)} bytes, not {RECORD}"))
            continue
        if layout is None:
            report.violations.append(
                Violation(number, kind, "データ区分", "must be 1, 2, 8 or 9", record[:1])
            )
            continue
        expected = {
            "start": {"header"},
            "header": {"data", "trailer"},
            "data": {"data", "trailer"},
            "trailer": {"header", "end"},
            "end": set(),
        }[state]
        if kind not in expected:
            report.violations.append(
                Violation(
                    number,
                    kind,
                    "order",
                    f"a {kind} record here; expected {' or '.join(sorted(expected)) or 'nothing after the end record'}",
                )
            )
        for spec in layout:
            _check_field(spec, record, number, kind, report)
        if kind == "header":
            group_count = group_sum = 0
            _check_date(record, number, report)
            _check_bank(record, number, kind, HEADER[6], HEADER[8], banks, report)
            if HEADER[11].value(record).strip(b"0") == b"":
                report.violations.append(
                    Violation(number, kind, "口座番号(依頼人)", "all zeros", HEADER[11].value(record))
                )
        elif kind == "data":
            _check_data(record, number, banks, report)
            amount = DATA[9].value(record)
            if amount.isdigit():
                group_count += 1
                group_sum += int(amount)
                report.data_count += 1
                report.data_sum += int(amount)
        elif kind == "trailer":
            count, total = TRAILER[1].value(record), TRAILER[2].value(record)
            if count.isdigit() and int(count) != group_count:
                report.violations.append(
                    Violation(
                        number,
                        kind,
                        "合計件数",
                        f"says {int(count)}, the data records are {group_count}",
                        count,
                    )
                )
            if total.isdigit() and int(total) != group_sum:
                report.violations.append(
                    Violation(
                        number,
                        kind,
                        "合計金額",
                        f"says {int(total)}, the data records sum to {group_sum}",
                        total,
                    )
                )
        state = kind
    if state != "end":
        report.violations.append(
            Violation(0, "file", "order", "the file does not close with an end record (9)")
        )
    return report


def _check_date(record: bytes, number: int, report: Report) -> None:
    value = HEADER[5].value(record)
    if not value.isdigit():
        return
    month, day = int(value[:2]), int(value[2:])
    try:
        datetime.date(2028, month, day)  # a leap year, so that 0229 passes
    except ValueError:
        report.violations.append(Violation(number, "header", "振込指定日", "not a valid MMDD date", value))


def _check_data(record: bytes, number: int, banks, report: Report) -> None:
    _check_bank(record, number, "data", DATA[1], DATA[3], banks, report)
    if DATA[7].value(record).isdigit() and DATA[7].value(record).strip(b"0") == b"":
        report.violations.append(Violation(number, "data", "口座番号", "all zeros", DATA[7].value(record)))
    amount = DATA[9].value(record)
    if amount.isdigit() and int(amount) == 0:
        report.violations.append(Violation(number, "data", "振込金額", "zero", amount))
    if DATA[13].value(record) == b"Y":
        _check_chars(EDI.value(record), number, "data", EDI.name, report)
    else:
        for spec in CUSTOMER_CODES:
            _check_field(spec, record, number, "data", report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a 全銀協 総合振込 file, independently of our writer.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--strict", action="store_true", help="count warnings as errors")
    parser.add_argument("--no-bank-codes", action="store_true", help="do not look codes up in zengin-code")
    parser.add_argument(
        "--max", type=int, default=200, help="print at most this many violations (default 200)"
    )
    args = parser.parse_args(argv)
    report = check(args.file.read_bytes(), bank_codes=not args.no_bank_codes)
    for violation in report.violations[: args.max]:
        print(violation)
    if len(report.violations) > args.max:
        print(f"... and {len(report.violations) - args.max} more")
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(report.kinds.items()))
    print(f"records: {kinds}; framing: {report.framing}")
    print(f"data records: {report.data_count}, sum of 振込金額: {report.data_sum:,} 円")
    print(f"errors: {len(report.errors)}, warnings: {len(report.warnings)}")
    failed = report.errors or (args.strict and report.warnings)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
