"""FAQ entries and the CSV format they are imported from."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, NamedTuple

REQUIRED_COLUMNS = ("id", "category", "question", "answer")
OPTIONAL_COLUMNS = ("procedure", "keywords", "easy_answer")
KEYWORD_SEPARATOR = "|"
ENTRY_LANGUAGES = ("ja", "en")
MAX_ID_LENGTH = 64


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ entry in one language; entries sharing an id are versions of one logical entry."""

    id: str
    category: str
    question: str
    answer: str
    procedure: str = ""
    keywords: tuple[str, ...] = ()
    lang: str = "ja"
    easy_answer: str = ""  # やさしい日本語 version of the answer, where one is provided


class FaqImportProblem(NamedTuple):
    """Where a CSV file is wrong: row 1 is the header, 0 means the whole file."""

    row: int
    column: str
    reason: str


class FaqImportError(ValueError):
    """The file cannot be imported; `problems` lists every (row, column, reason) found."""

    def __init__(self, problems: Iterable[FaqImportProblem | tuple[int, str, str]]):
        self.problems = [FaqImportProblem(*p) for p in problems]
        summary = "; ".join(f"row {p.row} {p.column}: {p.reason}" for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"FAQ CSV has {len(self.problems)} problem(s): {summary}{more}")


def _read_bytes(path_or_file: str | os.PathLike[str] | IO[str] | IO[bytes]) -> bytes | str:
    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, "rb") as handle:
            return handle.read()
    return path_or_file.read()


def _decode(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FaqImportError(
            [
                FaqImportProblem(
                    0,
                    "",
                    f"UTF-8 として読めません（{exc.start} バイト目）。UTF-8 で保存し直してください "
                    "(not valid UTF-8; save the file as UTF-8)",
                )
            ]
        ) from exc


def split_keywords(value: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in value.split(KEYWORD_SEPARATOR) if k.strip())


def load_faq_csv(path_or_file: str | os.PathLike[str] | IO[str] | IO[bytes], *, lang: str) -> list[FaqEntry]:
    """Read and validate one FAQ CSV file of one language; all-or-nothing.

    Required columns: id, category, question, answer. Optional: procedure, keywords
    (separated by |) and easy_answer (やさしい日本語). Raises FaqImportError listing every problem.
    """
    if lang not in ENTRY_LANGUAGES:
        raise FaqImportError(
            [
                FaqImportProblem(
                    0,
                    "lang",
                    f"未対応の言語です: {lang!r}。ja または en を指定してください "
                    f"(unsupported language; use one of {', '.join(ENTRY_LANGUAGES)})",
                )
            ]
        )
    text = _decode(_read_bytes(path_or_file))
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="__extra__")
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    problems: list[FaqImportProblem] = []
    if not header:
        raise FaqImportError([FaqImportProblem(0, "", "ファイルが空です (the file is empty)")])
    for column in REQUIRED_COLUMNS:
        if column not in header:
            problems.append(
                FaqImportProblem(
                    1, column, "必須の列がありません。見出し行に追加してください (missing column)"
                )
            )
    duplicates_in_header = {h for h in header if header.count(h) > 1}
    for column in sorted(duplicates_in_header):
        problems.append(FaqImportProblem(1, column, "同じ名前の列が複数あります (duplicate column)"))
    if problems:
        raise FaqImportError(problems)

    entries: list[FaqEntry] = []
    first_row_of_id: dict[str, int] = {}
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise FaqImportError(
            [FaqImportProblem(reader.line_num, "", f"CSV の形式が不正です (malformed CSV: {exc})")]
        ) from exc
    for offset, row in enumerate(rows):
        row_number = offset + 2
        if row.get("__extra__"):
            problems.append(
                FaqImportProblem(
                    row_number, "", "列の数が見出し行より多いです。引用符を確認してください (too many fields)"
                )
            )
            continue
        values = {k: (v or "").strip() for k, v in row.items() if k != "__extra__"}
        if not any(values.values()):
            continue  # blank line
        row_problems = []
        for column in ("id", "question", "answer"):
            if not values.get(column):
                row_problems.append(
                    FaqImportProblem(
                        row_number, column, f"{column} が空です。値を入力してください (empty {column})"
                    )
                )
        entry_id = values.get("id", "")
        if entry_id and (len(entry_id) > MAX_ID_LENGTH or any(ch.isspace() for ch in entry_id)):
            row_problems.append(
                FaqImportProblem(
                    row_number,
                    "id",
                    f"id は空白を含まない {MAX_ID_LENGTH} 文字以内にしてください (invalid id)",
                )
            )
        if entry_id in first_row_of_id:
            row_problems.append(
                FaqImportProblem(
                    row_number,
                    "id",
                    f"id {entry_id} が {first_row_of_id[entry_id]} 行目と重複しています (duplicate id)",
                )
            )
        elif entry_id:
            first_row_of_id[entry_id] = row_number
        if row_problems:
            problems.extend(row_problems)
            continue
        entries.append(
            FaqEntry(
                id=entry_id,
                category=values.get("category", ""),
                question=values["question"],
                answer=values["answer"],
                procedure=values.get("procedure", ""),
                keywords=split_keywords(values.get("keywords", "")),
                lang=lang,
                easy_answer=values.get("easy_answer", ""),
            )
        )
    if problems:
        raise FaqImportError(problems)
    return entries
