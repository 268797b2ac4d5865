"""全銀協 総合振込 (general transfer) files: write, read back, and read the bank's 振込不能 return list (pure).

A file is fixed-length 120-byte records in JIS8 (CP932 single-byte: ASCII + half-width katakana), コード区分 0:

    header  1  (once)          data-type "1", 種別コード 21, the remitter (委託者) and its account
    data    2  (per payment)   the payee's bank, branch, account, name (half-width kana), amount
    trailer 8  (once)          the number of data records and the sum of their amounts
    end     9  (once)

Field offsets (0-based byte offsets, length) are the ``*_FIELDS`` tables below; docs/benefits.md prints them.
Records are joined by CRLF (``line_ending="\\r\\n"``, what most banks' upload screens take) or by nothing
(``line_ending=""``, the strict fixed-length stream of the 全銀 transmission); the reader takes both.

Every payee is checked before a byte is written: the bank and branch must exist in the offline `zengin-code`
data, the account be 1–7 digits, the name fold into the 全銀 character set, the amount be 1–9,999,999,999 yen.
`build_transfer_file` raises `ZenginValidationError` listing every failing record by its `reference` (the
application's 受付番号); `write_transfer_file` writes the file only when the whole file is valid.

The return list (振込不能): banks hand back the transfer file with a one-digit 振込結果コード in the data
record's dummy area (byte offset ``RESULT_OFFSET`` = 113, right after 識別表示), "0" transferred and anything
else not transferred; `parse_return_file` reads it, matching payments by 顧客コード1 (our payment number).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jaconv

from madoguchi.core.errors import MadoguchiError
from madoguchi.jp.banks import find_bank, find_branch

RECORD_LENGTH = 120
ENCODING = "cp932"  # for these characters byte-identical to JIS8 (JIS X 0201): one byte each
TRANSFER_KIND = "21"  # 種別コード: 総合振込
CODE_SECTION = "0"  # コード区分: JIS
MAX_AMOUNT = 9_999_999_999  # 振込金額 is 10 digits
RESULT_OFFSET = 113  # 振込結果コード in a returned data record (first byte of the last dummy area)

# (name, offset, length) of each field; numbers are right-aligned zero-filled, text left-aligned space-filled.
HEADER_FIELDS = (
    ("data_type", 0, 1),  # データ区分 "1"
    ("kind", 1, 2),  # 種別コード "21"
    ("code_section", 3, 1),  # コード区分 "0"
    ("remitter_code", 4, 10),  # 委託者コード
    ("remitter_name", 14, 40),  # 委託者名
    ("transfer_date", 54, 4),  # 取組日 MMDD
    ("bank_code", 58, 4),  # 仕向金融機関番号
    ("bank_name", 62, 15),  # 仕向金融機関名
    ("branch_code", 77, 3),  # 仕向支店番号
    ("branch_name", 80, 15),  # 仕向支店名
    ("account_type", 95, 1),  # 預金種目（依頼人）
    ("account_number", 96, 7),  # 口座番号（依頼人）
    ("dummy", 103, 17),
)
DATA_FIELDS = (
    ("data_type", 0, 1),  # データ区分 "2"
    ("bank_code", 1, 4),  # 被仕向金融機関番号
    ("bank_name", 5, 15),  # 被仕向金融機関名
    ("branch_code", 20, 3),  # 被仕向支店番号
    ("branch_name", 23, 15),  # 被仕向支店名
    ("clearing_house", 38, 4),  # 手形交換所番号: unused, N(4) so "0000" (not spaces)
    ("account_type", 42, 1),  # 預金種目 1 普通 2 当座 4 貯蓄 9 その他
    ("account_number", 43, 7),  # 口座番号
    ("holder", 50, 30),  # 受取人名
    ("amount", 80, 10),  # 振込金額
    ("new_code", 90, 1),  # 新規コード 0 (1 first transfer, 2 changed)
    ("customer_code1", 91, 10),  # 顧客コード1: our payment number
    ("customer_code2", 101, 10),  # 顧客コード2: our application number (digits)
    ("transfer_mode", 111, 1),  # 振込指定区分 7 テレ振込
    ("identification", 112, 1),  # 識別表示 (blank)
    ("dummy", 113, 7),  # dummy; a return list carries 振込結果コード at RESULT_OFFSET
)
TRAILER_FIELDS = (
    ("data_type", 0, 1),  # データ区分 "8"
    ("count", 1, 6),  # 合計件数
    ("total", 7, 12),  # 合計金額
    ("dummy", 19, 101),
)
END_FIELDS = (("data_type", 0, 1), ("dummy", 1, 119))  # データ区分 "9"

ACCOUNT_TYPES = {"1": "普通", "2": "当座", "4": "貯蓄", "9": "その他"}
REMITTER_ACCOUNT_TYPES = {"1", "2", "9"}  # the header's 預金種目（依頼人）has no 4 貯蓄
RESULT_CODES = {
    "0": "振込済",
    "1": "該当口座なし",
    "2": "その他（名義相違など）",
    "3": "依頼人都合",
    "4": "口座解約済",
    "8": "取消",
    "9": "その他の不能",
}

# The 全銀 character set: digits, upper-case letters, half-width katakana (no small kana, no ｦ), ﾞ ﾟ, space
# and the symbols \ (printed ¥ in JIS8) , . ｢ ｣ ( ) - /.
ZENGIN_CHARACTERS = frozenset(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ ,.()-/\\\uff62\uff63"
    + "".join(chr(cp) for cp in range(0xFF71, 0xFFA0))  # ｱ … ﾝ ﾞ ﾟ
)
_SMALL_TO_LARGE = str.maketrans(
    {
        **dict(zip("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ", strict=True)),
        **dict(zip("ｧｨｩｪｫｯｬｭｮ", "ｱｲｳｴｵﾂﾔﾕﾖ", strict=True)),
        "ヲ": "オ",
        "ｦ": "ｵ",
        "ヰ": "イ",
        "ヱ": "エ",
        "ー": "-",
        "ｰ": "-",
        "・": " ",
        "･": " ",
        "「": "\uff62",
        "」": "\uff63",
        "¥": "\\",
        "￥": "\\",
        "\u3000": " ",
    }
)
_DASHES = re.compile(r"[‐‑‒–—―−─━〜～]")
_VOICED_MARKS = {"\u3099": "ﾞ", "\u309a": "ﾟ", "゛": "ﾞ", "゜": "ﾟ"}
# The half-width bases that take ﾞ (ｳ ｶ-ｺ ｻ-ｿ ﾀ-ﾄ ﾊ-ﾎ) and ﾟ (ﾊ-ﾎ); a mark after anything else is no 全銀 name.
_DAKUTEN_BASES = frozenset("ｳｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎ")
_HANDAKUTEN_BASES = frozenset("ﾊﾋﾌﾍﾎ")


class ZenginError(MadoguchiError, ValueError):
    """A transfer file that cannot be written or read."""


@dataclass(frozen=True)
class RecordProblem:
    reference: str  # 受付番号 of the application (or "header", or "record N" when reading)
    field: str
    ja: str
    en: str


class ZenginValidationError(ZenginError):
    """One or more records fail validation: nothing was written. `problems` names each application."""

    def __init__(self, problems: Sequence[RecordProblem]) -> None:
        self.problems = list(problems)
        shown = self.problems[:10]
        more = len(self.problems) - len(shown)
        ja = "振込データを作成できません。次の申請を確認してください：" + "；".join(
            f"{p.reference} {p.ja}" for p in shown
        )
        en = "The transfer file was not written. Check these applications: " + "; ".join(
            f"{p.reference} {p.en}" for p in shown
        )
        if more:
            ja += f"（ほか {more} 件）"
            en += f" (and {more} more)"
        super().__init__("zengin_invalid_records", ja, en)


# A text already in the 全銀 set with single inner spaces folds to itself (what the database holds: the services
# fold names when they store them); checking that is 50 times faster than folding again.
_FOLDED = re.compile(
    r"[0-9A-Z,.()\-/\\\uff62\uff63\uff71-\uff9f]+(?: [0-9A-Z,.()\-/\\\uff62\uff63\uff71-\uff9f]+)*"
)


def fold_to_zengin(text: str) -> str:
    """A name as a 全銀 record carries it: ヤマダ　キョウコ → ﾔﾏﾀﾞ ｷﾖｳｺ, センター → ｾﾝﾀ-, ｶﾌﾞｼｷｶﾞｲｼｬ kept.

    Hiragana and katakana of either width become half-width katakana; small kana become large (the 全銀 set has
    none); ー becomes -, ・ and full-width spaces a space, letters upper case, runs of spaces one. Characters
    outside the set (kanji, ｦ-less symbols like ＆) are kept, for `invalid_characters` to name.
    """
    if _FOLDED.fullmatch(text):
        return text
    return _fold(text)


@lru_cache(maxsize=65536)
def _fold(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text.replace("゛", "\u3099").replace("゜", "\u309a"))
    text = jaconv.hira2kata(text).upper()
    text = _DASHES.sub("-", text).translate(_SMALL_TO_LARGE)
    text = " ".join(text.split())
    out = []
    for ch in unicodedata.normalize("NFD", text):
        mark = _VOICED_MARKS.get(ch)
        if mark:
            out.append(mark)
        elif ch.isascii():
            out.append(ch)
        else:
            out.append(jaconv.z2h(ch, kana=True, ascii=True, digit=True).translate(_SMALL_TO_LARGE))
    return "".join(out)


def invalid_characters(text: str) -> list[str]:
    """The characters of `text` outside the 全銀 set, each once, in order."""
    if ZENGIN_CHARACTERS.issuperset(text):
        return []
    return list(dict.fromkeys(ch for ch in text if ch not in ZENGIN_CHARACTERS))


def misplaced_marks(text: str) -> bool:
    """Whether a ﾞ or ﾟ in a folded name follows no base that takes it (ﾜﾞ from ヷ, a name starting ﾞ)."""
    if "ﾞ" not in text and "ﾟ" not in text:
        return False
    previous = ""
    for ch in text:
        if (ch == "ﾞ" and previous not in _DAKUTEN_BASES) or (ch == "ﾟ" and previous not in _HANDAKUTEN_BASES):
            return True
        previous = ch
    return False


def cut_to(text: str, length: int) -> str:
    """`text` cut to `length` characters, never between a base and its ﾞ/ﾟ: the base goes too (ｼﾞ, not ｼ)."""
    if len(text) <= length:
        return text
    cut = text[:length]
    if text[length] in "ﾞﾟ":
        cut = cut[:-1]
    return cut.rstrip()


@dataclass(frozen=True)
class Remitter:
    """The payer (委託者): the city's account the bank debits, and its 委託者コード."""

    code: str  # 委託者コード, up to 10 digits (the bank assigns it)
    name: str  # 委託者名, kana
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str


@dataclass(frozen=True)
class Transfer:
    """One payment. `reference` names it in errors (受付番号); `payment_number` goes in 顧客コード1."""

    reference: str
    payment_number: int
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder: str
    amount: int
    application_number: int = 0  # 顧客コード2


@dataclass(frozen=True)
class TransferFile:
    data: bytes
    count: int
    total: int


@lru_cache(maxsize=4096)
def _bank_name(code: str) -> str | None:
    bank = find_bank(code)
    return None if bank is None else cut_to(fold_to_zengin(bank.kana), 15)


@lru_cache(maxsize=65536)
def _branch_name(bank_code: str, branch_code: str) -> str | None:
    branch = find_branch(bank_code, branch_code)
    return None if branch is None else cut_to(fold_to_zengin(branch.kana), 15)


def _digits(value: object, length: int) -> str | None:
    if type(value) is int:
        return f"{value:0{length}d}" if 0 <= value < 10**length else None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and 1 <= len(text) <= length):
        return None
    return text.zfill(length)


def _text(value: str, length: int) -> str:
    return value[:length].ljust(length)


@lru_cache(maxsize=65536)
def _place(bank_code: str, branch_code: str) -> tuple[str, str, str, str] | None:
    """(bank, bank name, branch, branch name) of an existing branch, looked up once per pair of codes."""
    bank = _digits(bank_code, 4)
    branch = _digits(branch_code, 3)
    bank_name = _bank_name(bank) if bank else None
    branch_name = _branch_name(bank, branch) if bank and branch and bank_name else None
    return None if branch_name is None else (bank, bank_name, branch, branch_name)  # type: ignore[return-value]


def _check_account(
    reference: str, bank_code: str, branch_code: str, account_type: str, account_number: str
) -> tuple[list[RecordProblem], tuple[str, str, str, str, str, str] | None]:
    place = _place(bank_code, branch_code)
    if place is not None and account_type in ACCOUNT_TYPES:  # the common case, without building problems
        number = _digits(account_number, 7)
        if number is not None and number != "0000000":
            return [], (*place, account_type, number)
    problems: list[RecordProblem] = []
    bank = _digits(bank_code, 4)
    branch = _digits(branch_code, 3)
    bank_name = _bank_name(bank) if bank else None
    branch_name = _branch_name(bank, branch) if bank and branch and bank_name else None
    if bank_name is None:
        problems.append(
            RecordProblem(
                reference,
                "bank_code",
                f"金融機関コード「{bank_code}」の金融機関はありません。",
                f"there is no bank with code {bank_code!r}.",
            )
        )
    elif branch_name is None:
        problems.append(
            RecordProblem(
                reference,
                "branch_code",
                f"金融機関コード {bank} に支店コード「{branch_code}」の支店はありません。",
                f"bank {bank} has no branch {branch_code!r}.",
            )
        )
    if account_type not in ACCOUNT_TYPES:
        problems.append(
            RecordProblem(
                reference,
                "account_type",
                f"預金種目「{account_type}」は使えません（1 普通・2 当座・4 貯蓄・9 その他）。",
                f"account type {account_type!r} is not one of 1, 2, 4, 9.",
            )
        )
    number = _digits(account_number, 7)
    if number is None or number == "0000000":
        problems.append(
            RecordProblem(
                reference,
                "account_number",
                "口座番号は7桁以内の数字にしてください。",
                "the account number must be up to 7 digits.",
            )
        )
    if problems:
        return problems, None
    return [], (bank, bank_name, branch, branch_name, account_type, number)  # type: ignore[return-value]


def _header(remitter: Remitter, transfer_date: dt.date) -> str:
    problems, account = _check_account(
        "header",
        remitter.bank_code,
        remitter.branch_code,
        remitter.account_type,
        remitter.account_number,
    )
    code = _digits(remitter.code, 10)
    name = fold_to_zengin(remitter.name)
    if code is None:
        problems.append(
            RecordProblem(
                "header",
                "remitter_code",
                "委託者コードは10桁以内の数字です。",
                "the remitter code must be up to 10 digits.",
            )
        )
    bad = invalid_characters(name)
    if bad or not name:
        problems.append(
            RecordProblem(
                "header",
                "remitter_name",
                f"委託者名に使えない文字があります（{'、'.join(bad)}）。",
                f"the remitter name has characters outside the Zengin set ({', '.join(bad)}).",
            )
        )
    elif misplaced_marks(name):
        problems.append(
            RecordProblem(
                "header",
                "remitter_name",
                "委託者名の濁点・半濁点（ﾞ ﾟ）が、それを付けられない文字の後にあります。",
                "a voiced mark (ﾞ or ﾟ) in the remitter name follows a character that cannot take it.",
            )
        )
    elif len(name) > 40:
        problems.append(
            RecordProblem(
                "header",
                "remitter_name",
                "委託者名が40文字（半角）を超えています。略称にしてください。",
                "the remitter name is longer than 40 half-width characters; use an abbreviation.",
            )
        )
    if remitter.account_type not in REMITTER_ACCOUNT_TYPES:
        problems.append(
            RecordProblem(
                "header",
                "account_type",
                f"委託者の預金種目「{remitter.account_type}」は使えません（1 普通・2 当座・9 その他）。",
                f"the remitter's account type {remitter.account_type!r} is not one of 1, 2, 9.",
            )
        )
    if problems:
        raise ZenginValidationError(problems)
    bank, bank_name, branch, branch_name, account_type, number = account  # type: ignore[misc]
    return (
        f"1{TRANSFER_KIND}{CODE_SECTION}{code}{_text(name, 40)}{transfer_date:%m%d}"
        f"{bank}{_text(bank_name, 15)}{branch}{_text(branch_name, 15)}{account_type}{number}{' ' * 17}"
    )


def _data(transfer: Transfer) -> tuple[list[RecordProblem], str]:
    ref = transfer.reference
    problems, account = _check_account(
        ref, transfer.bank_code, transfer.branch_code, transfer.account_type, transfer.account_number
    )
    holder = fold_to_zengin(transfer.holder)
    bad = invalid_characters(holder)
    if not holder:
        problems.append(
            RecordProblem(ref, "holder", "口座名義がありません。", "the account holder is empty.")
        )
    elif bad:
        problems.append(
            RecordProblem(
                ref,
                "holder",
                f"口座名義に全銀の文字セットにない文字があります（{'、'.join(bad)}）。",
                f"the account holder has characters outside the Zengin set ({', '.join(bad)}).",
            )
        )
    elif misplaced_marks(holder):
        problems.append(
            RecordProblem(
                ref,
                "holder",
                "口座名義の濁点・半濁点（ﾞ ﾟ）が、それを付けられない文字の後にあります。",
                "a voiced mark (ﾞ or ﾟ) in the account holder follows a character that cannot take it.",
            )
        )
    elif len(holder) > 30:
        problems.append(
            RecordProblem(
                ref,
                "holder",
                "口座名義が30文字（半角）を超えています。",
                "the account holder is longer than 30 characters.",
            )
        )
    if not (isinstance(transfer.amount, int) and 0 < transfer.amount <= MAX_AMOUNT):
        problems.append(
            RecordProblem(
                ref, "amount", "振込金額は1円以上10桁以内です。", "the amount must be 1 to 10 digits of yen."
            )
        )
    payment = _digits(transfer.payment_number, 10)
    application = _digits(transfer.application_number, 10)
    if payment is None or application is None:
        problems.append(
            RecordProblem(
                ref,
                "customer_code",
                "顧客コードは10桁以内の数字です。",
                "customer codes must be up to 10 digits.",
            )
        )
    if problems:
        return problems, ""
    bank, bank_name, branch, branch_name, account_type, number = account  # type: ignore[misc]
    return [], (
        f"2{bank}{_text(bank_name, 15)}{branch}{_text(branch_name, 15)}0000{account_type}{number}"
        f"{_text(holder, 30)}{transfer.amount:010d}0{payment}{application}7{' ' * 8}"
    )


def build_transfer_file(
    remitter: Remitter, transfers: Iterable[Transfer], *, transfer_date: dt.date, line_ending: str = "\r\n"
) -> TransferFile:
    """The whole file as bytes, or `ZenginValidationError` naming every failing application (nothing built)."""
    if line_ending not in ("\r\n", ""):
        raise ValueError("line_ending is CRLF or nothing")
    records = [_header(remitter, transfer_date)]
    problems: list[RecordProblem] = []
    count = total = 0
    for transfer in transfers:
        found, record = _data(transfer)
        if found:
            problems.extend(found)
            continue
        records.append(record)
        count += 1
        total += transfer.amount
    if problems:
        raise ZenginValidationError(problems)
    if count > 999_999 or total > 999_999_999_999:
        raise ZenginError(
            "zengin_too_large",
            "1ファイルの件数（999,999件）または合計金額（12桁）の上限を超えています。分けて作成してください。",
            "The file exceeds 999,999 records or a 12-digit total. Split the payments into several files.",
        )
    records.append(f"8{count:06d}{total:012d}{' ' * 101}")
    records.append("9" + " " * 119)
    data = (line_ending.join(records) + line_ending).encode(ENCODING)
    if len(data) != len(records) * (RECORD_LENGTH + len(line_ending)):  # a character of two bytes slipped in
        raise ZenginError(
            "zengin_encoding",
            "全銀ファイルの符号化に失敗しました。",
            "The file could not be encoded in JIS8.",
        )
    return TransferFile(data=data, count=count, total=total)


def write_transfer_file(path: str | os.PathLike[str], transfer_file: TransferFile) -> None:
    """Write a built file atomically (a temporary file renamed into place): never a half-written file."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".zengin-", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(transfer_file.data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedFile:
    header: dict[str, str]
    records: list[dict[str, str]] = field(default_factory=list)
    trailer: dict[str, str] = field(default_factory=dict)


def split_records(data: bytes) -> list[bytes]:
    """The 120-byte records of a file, with CRLF (or LF) line endings or none."""
    if b"\n" in data:
        lines = [line.rstrip(b"\r") for line in data.split(b"\n")]
        if lines and lines[-1] == b"":
            lines.pop()
    else:
        if len(data) % RECORD_LENGTH:
            raise _read_error(
                0,
                f"ファイルの長さが{RECORD_LENGTH}バイトの倍数ではありません。",
                "the file length is not a multiple of 120 bytes.",
            )
        lines = [data[i : i + RECORD_LENGTH] for i in range(0, len(data), RECORD_LENGTH)]
    for number, line in enumerate(lines, start=1):
        if len(line) != RECORD_LENGTH:
            raise _read_error(
                number,
                f"レコード長が{len(line)}バイトです（{RECORD_LENGTH}バイトのはず）。",
                f"the record is {len(line)} bytes, not 120.",
            )
    return lines


def _read_error(record: int, ja: str, en: str) -> ZenginError:
    return ZenginError(
        "zengin_unreadable", f"全銀ファイルの{record}件目：{ja}", f"Zengin file record {record}: {en}"
    )


def _fields(record: bytes, layout: tuple[tuple[str, int, int], ...]) -> dict[str, str]:
    return {name: record[offset : offset + length].decode(ENCODING) for name, offset, length in layout}


def read_transfer_file(data: bytes) -> ParsedFile:
    """Read a 総合振込 file back and check its structure: 1, 2…, 8, 9; counts and sum; numeric fields."""
    lines = split_records(data)
    if len(lines) < 3:
        raise _read_error(
            len(lines),
            "ヘッダー・トレーラー・エンドのレコードがそろっていません。",
            "header, trailer and end records are missing.",
        )
    kinds = [line[:1] for line in lines]
    if kinds[0] != b"1" or kinds[-2] != b"8" or kinds[-1] != b"9" or set(kinds[1:-2]) - {b"2"}:
        bad = next((i for i, k in enumerate(kinds, 1) if k not in b"1289"), len(lines))
        raise _read_error(
            bad, "データ区分の並びが 1, 2…, 8, 9 ではありません。", "the record types are not 1, 2..., 8, 9."
        )
    header = _fields(lines[0], HEADER_FIELDS)
    if header["kind"] != TRANSFER_KIND:
        raise _read_error(
            1, f"種別コードが{header['kind']}です（総合振込は21）。", f"kind code {header['kind']} is not 21."
        )
    records = []
    total = 0
    for number, line in enumerate(lines[1:-2], start=2):
        record = _fields(line, DATA_FIELDS)
        if not record["amount"].isdigit():
            raise _read_error(number, "振込金額が数字ではありません。", "the amount is not a number.")
        total += int(record["amount"])
        records.append(record)
    trailer = _fields(lines[-2], TRAILER_FIELDS)
    if not (trailer["count"].isdigit() and trailer["total"].isdigit()):
        raise _read_error(
            len(lines) - 1,
            "合計件数・合計金額が数字ではありません。",
            "the trailer count or total is not a number.",
        )
    if int(trailer["count"]) != len(records) or int(trailer["total"]) != total:
        raise _read_error(
            len(lines) - 1,
            f"トレーラーの件数・金額（{int(trailer['count'])}件・{int(trailer['total'])}円）がデータ（{len(records)}件・{total}円）と合いません。",
            f"the trailer ({int(trailer['count'])} records, {int(trailer['total'])} yen) does not match the data ({len(records)}, {total}).",
        )
    return ParsedFile(header=header, records=records, trailer=trailer)


@dataclass(frozen=True)
class ReturnedTransfer:
    payment_number: int
    application_number: int
    amount: int
    result_code: str

    @property
    def transferred(self) -> bool:
        return self.result_code == "0"

    @property
    def result_label(self) -> str:
        return RESULT_CODES.get(self.result_code, RESULT_CODES["9"])


def parse_return_file(data: bytes) -> list[ReturnedTransfer]:
    """The data records of the bank's returned file with their 振込結果コード (offset RESULT_OFFSET)."""
    parsed = read_transfer_file(data)
    result = []
    for number, record in enumerate(parsed.records, start=2):
        line_code = record["dummy"][RESULT_OFFSET - 113]
        if not (record["customer_code1"].isdigit() and line_code.isdigit()):
            raise _read_error(
                number,
                "顧客コード1または振込結果コードが数字ではありません。",
                "customer code 1 or the result code is not a number.",
            )
        result.append(
            ReturnedTransfer(
                payment_number=int(record["customer_code1"]),
                application_number=int(record["customer_code2"]) if record["customer_code2"].isdigit() else 0,
                amount=int(record["amount"]),
                result_code=line_code,
            )
        )
    return result


def mark_results(data: bytes, results: dict[int, str], *, default: str = "0") -> bytes:
    """The bank's side (for tests and the demo): the file with a 振込結果コード set per payment number."""
    lines = split_records(data)
    ending = b"\r\n" if b"\n" in data else b""
    out = []
    for line in lines:
        if line[:1] == b"2":
            payment = int(line[91:101])
            code = results.get(payment, default).encode("ascii")
            line = line[:RESULT_OFFSET] + code + line[RESULT_OFFSET + 1 :]
        out.append(line)
    return ending.join(out) + ending
