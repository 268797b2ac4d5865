"""The contract of a hand-off format: accepted cases in, a CSV file for a core system out.

A format is a `HandoffFormat` subclass registered under a name (`registry.register`). It says which
procedures it takes, which columns it can write (its `column_specs`: the names the configuration file
chooses from), and turns prepared cases (`CaseRecord`, built by `selectors.case_records`) into rows. The
writing itself is shared: `write` checks that every character can be written in the chosen encoding — a
character that cannot is an error naming the case, the column and the character, never a replacement —
and then writes the CSV with the registry's writer (`residents.registry.csvfile.write_registry_csv`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar

from madoguchi.core.errors import MadoguchiError
from madoguchi.jp import wareki
from madoguchi.residents.registry.csvfile import write_registry_csv

from .config import Catalogue, ColumnChoice, FormatOptions

if TYPE_CHECKING:
    from madoguchi.cases.models import Case
    from madoguchi.procedures.spec import ProcedureSpec
    from madoguchi.residents.models import Person

MAX_LISTED = 20  # problems named in an error message; the rest are counted


class HandoffError(MadoguchiError):
    """An export that cannot be made; nothing was written and nothing recorded."""

    http_status = 400


class UnknownFormatError(HandoffError):
    http_status = 404


class HandoffEncodingError(HandoffError):
    """Characters that the chosen encoding cannot write: `problems` names each (case, column, character)."""

    def __init__(self, problems: Sequence[Unencodable], encoding: str) -> None:
        self.problems = list(problems)
        self.encoding = encoding
        shown = self.problems[:MAX_LISTED]
        more = len(self.problems) - len(shown)
        lines_ja = "\n".join(p.text_ja() for p in shown) + (f"\nほか {more} 件" if more else "")
        lines_en = "\n".join(p.text_en() for p in shown) + (f"\nand {more} more" if more else "")
        name = encoding_label(encoding)
        super().__init__(
            "unencodable",
            f"{name} で書けない文字があるため、ファイルを作っていません（置き換えはしません）。\n{lines_ja}\n"
            "UTF-8 で書き出すか、中核システムでの外字の扱いを確認して申請の文字を直してから、もう一度書き出してください。",
            f"Some characters cannot be written in {name}, so no file was made (nothing is replaced).\n"
            f"{lines_en}\nExport in UTF-8, or correct the characters in the case after checking how the core "
            "system handles them, and export again.",
        )


def encoding_label(codec: str) -> str:
    return {"cp932": "Shift_JIS (CP932)", "utf-8-sig": "UTF-8 (BOM)", "utf-8": "UTF-8"}.get(codec, codec)


def _code_point(character: str) -> str:
    return f"U+{ord(character):04X}"


@dataclass(frozen=True)
class Unencodable:
    """A character the encoding cannot write, or would read back as another (CP932 writes 〜 U+301C as the
    byte pair that reads ～ U+FF5E): `becomes` is that other character."""

    reference: str  # 受付番号; "" for the header row
    column: str  # the header
    character: str
    becomes: str = ""

    @property
    def code_point(self) -> str:
        return _code_point(self.character)

    def text_ja(self) -> str:
        where = f"受付番号 {self.reference}" if self.reference else "見出し行"
        change = (
            f" は「{self.becomes}」({_code_point(self.becomes)}) に変わってしまいます" if self.becomes else ""
        )
        return f"{where} の「{self.column}」: 「{self.character}」({self.code_point}){change}"

    def text_en(self) -> str:
        where = f"case {self.reference}" if self.reference else "the header row"
        change = f" would become {self.becomes!r} ({_code_point(self.becomes)})" if self.becomes else ""
        return f"{where}, column {self.column}: {self.character!r} ({self.code_point}){change}"


@dataclass(frozen=True)
class ColumnSpec:
    """A column a format can write: its name (what the configuration file lists; the default header), what
    it holds (for `madoguchi handoff formats` and docs/handoff.md), and whether it is a date."""

    name: str
    description: str
    date: bool = False


@dataclass(frozen=True)
class Notice:
    """Something the person who enters the file must know about one case (a withheld address …)."""

    reference: str
    code: str
    ja: str
    en: str

    def message(self, lang: str) -> str:
        return self.en if lang == "en" else self.ja


@dataclass(frozen=True)
class Row:
    reference: str  # the case it comes from: named in encoding errors
    values: tuple[str, ...]


@dataclass(frozen=True)
class CaseRecord:
    """One accepted case as the formats read it (built by `selectors.case_records`).

    `persons`: the registry persons the case names (household members chosen in its form), by the id its
    data holds. `protected`: a 支援措置 applies to the applicant or to one of those persons, so no address
    of the case may be written.
    """

    case: Case
    spec: ProcedureSpec
    accepted_on: dt.date
    submitted_on: dt.date
    persons: Mapping[str, Person] = field(default_factory=dict)
    protected: bool = False

    @property
    def reference(self) -> str:
        return self.case.reference

    @property
    def data(self) -> Mapping[str, Any]:
        return self.case.data or {}


@dataclass
class WriteResult:
    rows: int = 0
    size: int = 0
    sha256: str = ""
    headers: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    content: bytes = b""


def format_date(value: dt.date | str | None, date_format: str) -> str:
    """A date for a file: ISO (2026-04-01) or 和暦 (令和8年4月1日); "" for none."""
    if value in (None, ""):
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if date_format == "wareki":
        try:
            return wareki.format_wareki(day)
        except MadoguchiError:  # before 明治: no era
            return day.isoformat()
    return day.isoformat()


class HandoffFormat(ABC):
    """A file for a core system, made of accepted cases. Subclasses set the class attributes and `rows`."""

    name: ClassVar[str] = ""  # set by the registry
    label_ja: ClassVar[str] = ""
    label_en: ClassVar[str] = ""
    description_ja: ClassVar[str] = ""
    description_en: ClassVar[str] = ""
    # The procedures (slugs) whose cases it takes; None: any procedure, one per file (`one_procedure`).
    procedures: ClassVar[tuple[str, ...] | None] = None
    column_specs: ClassVar[tuple[ColumnSpec, ...]] = ()
    file_stem: ClassVar[str] = "handoff"

    def __repr__(self) -> str:
        return f"<hand-off format {self.name}>"

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_ja

    def description(self, lang: str) -> str:
        return self.description_en if lang == "en" else self.description_ja

    @property
    def one_procedure(self) -> bool:
        """Whether a file holds the cases of one procedure only (its columns depend on the procedure)."""
        return self.procedures is None

    def takes(self, procedure_slug: str) -> bool:
        return self.procedures is None or procedure_slug in self.procedures

    def catalogue(self) -> Catalogue:
        """What the configuration file may choose for this format."""
        return Catalogue(
            columns=tuple(c.name for c in self.column_specs),
            dates=frozenset(c.name for c in self.column_specs if c.date),
        )

    def options(self) -> FormatOptions:
        """This format's section of the configuration (`MADOGUCHI_HANDOFF_CONFIG`, else the shipped file)."""
        from .conf import options_for

        return options_for(self.name)

    def columns(self, records: Sequence[CaseRecord], options: FormatOptions) -> list[ColumnChoice]:
        """The columns of the file, in order. By default the configured ones."""
        return list(options.columns)

    @abstractmethod
    def rows(
        self,
        records: Sequence[CaseRecord],
        options: FormatOptions,
        columns: Sequence[ColumnChoice],
        notices: list[Notice],
    ) -> Iterator[Row]:
        """The rows of the file, their values in the order of `columns`; append to `notices` what staff must
        know about a case."""

    def write(
        self,
        records: Sequence[CaseRecord],
        stream: BinaryIO | None = None,
        options: FormatOptions | None = None,
    ) -> WriteResult:
        """Make the file and write it to `stream` (when given); the bytes are in `result.content` too.

        Every value is checked first: HandoffEncodingError names every character the encoding cannot write,
        and then nothing is written.
        """
        options = options or self.options()
        columns = self.columns(records, options)
        headers = [c.header for c in columns]
        notices: list[Notice] = []
        rows = list(self.rows(records, options, columns, notices))
        problems = _unencodable(headers, rows, options.codec)
        if problems:
            raise HandoffEncodingError(problems, options.codec)
        buffer = io.BytesIO()
        lost = write_registry_csv(
            buffer, headers, (row.values for row in rows), options.codec, line_ending=options.newline
        )
        if lost:  # checked above; a replacement must never reach a file
            raise HandoffEncodingError(
                [Unencodable("", column, ch) for _row, column, ch in lost], options.codec
            )
        content = buffer.getvalue()
        if stream is not None:
            stream.write(content)
        return WriteResult(
            rows=len(rows),
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            headers=headers,
            notices=notices,
            content=content,
        )


def _round_trips(text: str, codec: str) -> bool:
    try:
        return text.encode(codec).decode(codec) == text
    except UnicodeError:
        return False


def _unencodable(headers: Sequence[str], rows: Iterable[Row], codec: str) -> list[Unencodable]:
    """Every character (once per cell) that `codec` cannot write, or writes as bytes that read back as another
    character: a file must say exactly what the case says."""
    problems: list[Unencodable] = []
    lines = [Row("", tuple(headers)), *rows]
    for row in lines:
        for header, value in zip(headers, row.values, strict=True):
            if _round_trips(value, codec):
                continue
            for character in dict.fromkeys(value):
                try:
                    back = character.encode(codec).decode(codec)
                except UnicodeError:
                    problems.append(Unencodable(row.reference, header, character))
                    continue
                if back != character:
                    problems.append(Unencodable(row.reference, header, character, becomes=back))
    return problems
