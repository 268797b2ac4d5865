"""Reading the CSV and Excel sheets municipalities keep: rows of {header: text} with their line numbers."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from madoguchi.nursery.engine.model import InputError, Issue


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # 1-based line in the sheet, the header being line 1
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass(frozen=True, slots=True)
class Table:
    name: str  # file or sheet name, for messages
    headers: tuple[str, ...]
    rows: tuple[Row, ...]


def normalize_header(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


def _from_rows(name: str, raw: list[list[object]]) -> Table:
    if not raw:
        raise InputError(
            [Issue(name, "表が空です（見出し行がありません）", "the sheet is empty (no header row)")]
        )
    headers = tuple(normalize_header(h) for h in raw[0])
    seen: set[str] = set()
    duplicates = sorted({h for h in headers if h and (h in seen or seen.add(h))})
    if duplicates:
        raise InputError(
            [
                Issue(
                    name,
                    f"見出しが重複しています: {', '.join(duplicates)}",
                    f"duplicated headers: {', '.join(duplicates)}",
                )
            ]
        )
    rows = []
    for i, values in enumerate(raw[1:], start=2):
        cells = {h: _cell(v) for h, v in zip(headers, values, strict=False) if h}
        if any(cells.values()):
            rows.append(Row(i, cells))
    return Table(name, headers, tuple(rows))


def read_csv(path: str | Path) -> Table:
    """A CSV file in UTF-8 (with or without BOM) or Shift_JIS, as Excel saves it in Japan."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(
            [Issue(str(path), f"ファイルを読めません（{exc.strerror}）", f"cannot read ({exc.strerror})")]
        ) from exc
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(
            [Issue(str(path), "文字コードが UTF-8 でも Shift_JIS でもありません", "not UTF-8 or Shift_JIS")]
        )
    return _from_rows(Path(path).name, [list(r) for r in csv.reader(io.StringIO(text))])


def read_workbook(path: str | Path) -> dict[str, Table]:
    """Every sheet of an .xlsx workbook, by sheet name."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(filename=str(path), read_only=True, data_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(
            [Issue(str(path), f"Excel ファイルを読めません（{exc}）", f"cannot read the workbook ({exc})")]
        ) from exc
    try:
        return {
            normalize_header(ws.title): _from_rows(
                f"{Path(path).name}:{ws.title}", [list(r) for r in ws.iter_rows(values_only=True)]
            )
            for ws in book.worksheets
        }
    finally:
        book.close()


def read_table(path: str | Path) -> Table:
    """A CSV file, or the first sheet of an .xlsx workbook."""
    if str(path).lower().endswith((".xlsx", ".xlsm")):
        sheets = read_workbook(path)
        if not sheets:
            raise InputError([Issue(str(path), "シートがありません", "the workbook has no sheet")])
        return next(iter(sheets.values()))
    return read_csv(path)
