"""The two files a benefit program imports, parsed and checked whole (pure: no Django).

公金受取口座 (the accounts the city already holds), CSV with a header row::

    atena_number,bank_code,branch_code,account_type,account_number,holder_kana

課税 (the 住民税 tax records, and later 課税異動 corrections), CSV with a header row::

    atena_number,fiscal_year,non_taxed,income

`atena_number` is the 宛名番号 (the core system's key; never a 個人番号). `non_taxed` is 1 when the person's
均等割 is 非課税, 0 otherwise; `income` the 合計所得金額 in yen (may be empty). Files are UTF-8 (a BOM is
allowed) or CP932. One malformed row rejects the whole file: `ImportFileError` names every problem's row
(the header is row 1) and column, in Japanese and English, and nothing is imported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from madoguchi.core.errors import MadoguchiError
from madoguchi.jp.banks import find_bank, find_branch

from .zengin import ACCOUNT_TYPES, fold_to_zengin, invalid_characters, misplaced_marks

ACCOUNT_COLUMNS = (
    "atena_number",
    "bank_code",
    "branch_code",
    "account_type",
    "account_number",
    "holder_kana",
)
TAX_COLUMNS = ("atena_number", "fiscal_year", "non_taxed", "income")
MAX_PROBLEMS_SHOWN = 20


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    ja: str
    en: str


class ImportFileError(MadoguchiError, ValueError):
    """The file was rejected whole; `problems` lists each (row, column, message)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = f"（ほか {len(problems) - len(shown)} 件）" if len(problems) > len(shown) else ""
        more_en = f" (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
        ja = "ファイルを取り込みませんでした。直して取り込み直してください：" + "；".join(
            f"{p.row}行目 {p.column}列：{p.ja}" for p in shown
        )
        en = "The file was not imported. Correct it and import it again: " + "; ".join(
            f"row {p.row}, column {p.column}: {p.en}" for p in shown
        )
        super().__init__("import_file_rejected", ja + more, en + more_en)


@dataclass(frozen=True)
class AccountRow:
    row: int
    atena_number: str
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_kana: str  # folded to the 全銀 half-width set


@dataclass(frozen=True)
class TaxRow:
    row: int
    atena_number: str
    fiscal_year: int
    non_taxed: bool
    income: int | None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp932")
        except UnicodeDecodeError:
            raise ImportFileError(
                [
                    Problem(
                        0,
                        "-",
                        "UTF-8 でも Shift_JIS（CP932）でも読めません。",
                        "the file is neither UTF-8 nor CP932.",
                    )
                ]
            ) from None


def _rows(data: bytes, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    header = [cell.strip() for cell in next(reader, [])]
    if tuple(header) != columns:
        raise ImportFileError(
            [
                Problem(
                    1,
                    "-",
                    f"見出し行は「{','.join(columns)}」にしてください（いまは「{','.join(header)}」）。",
                    f"the header row must be {','.join(columns)!r} (it is {','.join(header)!r}).",
                )
            ]
        )
    rows = []
    problems = []
    for number, cells in enumerate(reader, start=2):
        if not cells or cells == [""]:
            continue
        if len(cells) != len(columns):
            problems.append(
                Problem(
                    number,
                    "-",
                    f"列の数が{len(cells)}です（{len(columns)}列のはず）。",
                    f"the row has {len(cells)} columns, not {len(columns)}.",
                )
            )
            continue
        rows.append((number, {name: cell.strip() for name, cell in zip(columns, cells, strict=True)}))
    if problems:
        raise ImportFileError(problems)
    return rows


def _atena(number: int, value: str, problems: list[Problem]) -> str:
    if not value or len(value) > 20 or not value.isascii() or not value.isalnum():
        problems.append(
            Problem(
                number,
                "atena_number",
                "宛名番号は20文字以内の英数字です。",
                "the atena number must be up to 20 letters or digits.",
            )
        )
    return value


def parse_accounts_file(data: bytes) -> list[AccountRow]:
    """The rows of a 公金受取口座 file, every bank and branch checked with zengin-code; or ImportFileError."""
    problems: list[Problem] = []
    result = []
    seen: dict[str, int] = {}
    for number, row in _rows(data, ACCOUNT_COLUMNS):
        atena = _atena(number, row["atena_number"], problems)
        if atena in seen:
            problems.append(
                Problem(
                    number,
                    "atena_number",
                    f"{seen[atena]}行目と同じ宛名番号です。",
                    f"the same atena number as row {seen[atena]}.",
                )
            )
        seen.setdefault(atena, number)
        bank = find_bank(row["bank_code"])
        if bank is None:
            problems.append(
                Problem(
                    number,
                    "bank_code",
                    "この金融機関コードの金融機関はありません。",
                    "no bank has this code.",
                )
            )
        elif find_branch(bank.code, row["branch_code"]) is None:
            problems.append(
                Problem(
                    number,
                    "branch_code",
                    "この金融機関にこの支店コードの支店はありません。",
                    "the bank has no branch with this code.",
                )
            )
        if row["account_type"] not in ACCOUNT_TYPES:
            problems.append(
                Problem(
                    number,
                    "account_type",
                    "預金種目は 1 普通・2 当座・4 貯蓄・9 その他 のどれかです。",
                    "the account type must be 1, 2, 4 or 9.",
                )
            )
        account = row["account_number"]
        if not (account.isascii() and account.isdigit() and 1 <= len(account) <= 7) or set(account) == {"0"}:
            problems.append(
                Problem(
                    number,
                    "account_number",
                    "口座番号は7桁以内の数字です。",
                    "the account number must be up to 7 digits.",
                )
            )
        holder = fold_to_zengin(row["holder_kana"])
        bad = invalid_characters(holder)
        if not holder or bad or len(holder) > 30 or misplaced_marks(holder):
            problems.append(
                Problem(
                    number,
                    "holder_kana",
                    f"口座名義はカナ30文字（半角）以内で、全銀で使える文字にしてください（濁点・半濁点は付けられる文字の後に。使えない文字：{'、'.join(bad) or 'なし'}）。",
                    f"the holder must be up to 30 half-width kana in the Zengin set, voiced marks only after kana that take them (not allowed: {', '.join(bad) or 'none'}).",
                )
            )
        if not problems:
            result.append(
                AccountRow(
                    row=number,
                    atena_number=atena,
                    bank_code=bank.code,  # type: ignore[union-attr]
                    branch_code=row["branch_code"].zfill(3),
                    account_type=row["account_type"],
                    account_number=account.zfill(7),
                    holder_kana=holder,
                )
            )
    if problems:
        raise ImportFileError(problems)
    return result


def parse_tax_file(data: bytes) -> list[TaxRow]:
    """The rows of a 課税 file (one per person and fiscal year); or ImportFileError."""
    problems: list[Problem] = []
    result = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in _rows(data, TAX_COLUMNS):
        before = len(problems)
        atena = _atena(number, row["atena_number"], problems)
        year = row["fiscal_year"]
        if not (year.isascii() and year.isdigit() and len(year) == 4 and 2000 <= int(year) <= 2100):
            problems.append(
                Problem(
                    number,
                    "fiscal_year",
                    "年度は西暦4桁です（例：2025）。",
                    "the fiscal year must be four digits (e.g. 2025).",
                )
            )
        if (atena, year) in seen:
            problems.append(
                Problem(
                    number,
                    "atena_number",
                    f"{seen[(atena, year)]}行目と同じ人・年度です。",
                    f"the same person and year as row {seen[(atena, year)]}.",
                )
            )
        seen.setdefault((atena, year), number)
        if row["non_taxed"] not in ("0", "1"):
            problems.append(
                Problem(
                    number,
                    "non_taxed",
                    "非課税は 1（非課税）か 0（課税）です。",
                    "non_taxed must be 1 (non-taxed) or 0 (taxed).",
                )
            )
        income = row["income"]
        if income and not (income.isascii() and income.isdigit() and len(income) <= 12):
            problems.append(
                Problem(
                    number,
                    "income",
                    "所得は円単位の数字（空欄可）です。",
                    "income must be a number of yen, or empty.",
                )
            )
        if len(problems) == before:
            result.append(
                TaxRow(
                    row=number,
                    atena_number=atena,
                    fiscal_year=int(year),
                    non_taxed=row["non_taxed"] == "1",
                    income=int(income) if income else None,
                )
            )
    if problems:
        raise ImportFileError(problems)
    return result
