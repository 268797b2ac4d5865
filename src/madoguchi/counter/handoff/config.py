"""The hand-off configuration file: which columns each format writes, in which order, and how.

Pure Python (no Django; an import-linter contract keeps it so). The shipped defaults are `handoff.yaml` next
to this module; `MADOGUCHI_HANDOFF_CONFIG` names a file read instead, whose sections replace the shipped
ones format by format (a format it does not name keeps the shipped section). The file is validated
strictly: every problem is reported at once, each with where it is (`formats.juki-ido.columns[3]`), and an
unknown name comes with the nearest known one.

```yaml
format: madoguchi-handoff/1
formats:
  juki-ido:
    encoding: cp932          # utf-8 (default) or cp932
    bom: false               # utf-8 only: write a byte order mark (for Excel)
    line_ending: crlf        # crlf (default) or lf
    date_format: iso         # iso (2026-04-01, default) or wareki (令和8年4月1日)
    columns:
      - 受付番号
      - {column: 生年月日, format: wareki}
      - {column: 氏名, header: 氏名（漢字）}
```
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jaconv

FORMAT_TAG = "madoguchi-handoff/1"
DEFAULT_PATH = Path(__file__).resolve().parent / "handoff.yaml"
ENCODINGS = ("utf-8", "cp932")
LINE_ENDINGS = {"crlf": "\r\n", "lf": "\n"}
DATE_FORMATS = ("iso", "wareki")
_SECTION_KEYS = ("encoding", "bom", "line_ending", "date_format", "columns")
_COLUMN_KEYS = ("column", "header", "format")


@dataclass(frozen=True)
class ColumnChoice:
    """One column of a file as configured: the format's column `name`, the `header` written for it, and the
    date format of a date column (None: the section's `date_format`)."""

    name: str
    header: str
    date_format: str | None = None


@dataclass(frozen=True)
class FormatOptions:
    """A format's section of the configuration."""

    columns: tuple[ColumnChoice, ...]
    encoding: str = "utf-8"
    bom: bool = False
    line_ending: str = "crlf"
    date_format: str = "iso"

    @property
    def codec(self) -> str:
        """The Python codec that writes the file: utf-8-sig writes the BOM."""
        return "utf-8-sig" if self.encoding == "utf-8" and self.bom else self.encoding

    @property
    def newline(self) -> str:
        return LINE_ENDINGS[self.line_ending]

    def date_format_of(self, column: ColumnChoice) -> str:
        return column.date_format or self.date_format

    def with_encoding(self, encoding: str | None, bom: bool | None = None) -> FormatOptions:
        """The same options written in another encoding (the command's --encoding, the office form)."""
        encoding = encoding or self.encoding
        if encoding not in ENCODINGS:
            raise ConfigError([f"encoding: unknown value {encoding!r}; use one of {', '.join(ENCODINGS)}"])
        if bom is None:
            bom = self.bom if encoding == self.encoding else False
        return FormatOptions(
            columns=self.columns,
            encoding=encoding,
            bom=bool(bom) and encoding == "utf-8",
            line_ending=self.line_ending,
            date_format=self.date_format,
        )


@dataclass(frozen=True)
class Catalogue:
    """What a format lets the file choose: its column names, and which of them are dates."""

    columns: tuple[str, ...]
    dates: frozenset[str] = frozenset()


class ConfigError(Exception):
    """The configuration file is not valid: `problems` lists every problem, one line each."""

    def __init__(self, problems: Sequence[str], path: str | Path | None = None) -> None:
        self.problems = list(problems)
        self.path = str(path) if path is not None else ""
        where = f"{self.path}: " if self.path else ""
        super().__init__("\n".join(f"{where}{problem}" for problem in self.problems))


def _fold(text: str) -> str:
    """NFKC, no spaces, katakana, case-folded: 「氏名かな」 and 「氏名 カナ」 are near 「氏名カナ」, CRLF is crlf."""
    return jaconv.hira2kata("".join(unicodedata.normalize("NFKC", text).split())).casefold()


def nearest(name: str, known: Sequence[str]) -> str | None:
    """The known name `name` was probably meant to be (after width, space and kana folding), or None."""
    folded = {_fold(k): k for k in known}
    if _fold(name) in folded:
        return folded[_fold(name)]
    hits = difflib.get_close_matches(_fold(name), list(folded), n=1, cutoff=0.5)
    return folded[hits[0]] if hits else None


def did_you_mean(name: str, known: Sequence[str]) -> str:
    """「; did you mean 'X'?」 for the nearest of `known`, or ""."""
    hit = nearest(name, known)
    return f"; did you mean '{hit}'?" if hit else ""


def _describe(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


class _Reader:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, where: str, reason: str) -> None:
        self.problems.append(f"{where}: {reason}")

    def keys(self, data: Mapping, allowed: Sequence[str], where: str) -> None:
        for key in data:
            if key not in allowed:
                self.problem(
                    where,
                    f"unknown key {key!r}{did_you_mean(str(key), allowed)} (allowed: {', '.join(allowed)})",
                )

    def choice(self, data: Mapping, key: str, choices: Sequence[str], where: str, default: str) -> str:
        if key not in data:
            return default
        value = data[key]
        if value not in choices:
            self.problem(
                f"{where}.{key}",
                f"unknown value {value!r}; use one of {', '.join(choices)}{did_you_mean(str(value), choices)}",
            )
            return default
        return value

    def columns(self, value: Any, catalogue: Catalogue, where: str) -> tuple[ColumnChoice, ...]:
        if not isinstance(value, list) or not value:
            self.problem(where, f"expected a non-empty list of column names, got {_describe(value)}")
            return ()
        chosen: list[ColumnChoice] = []
        names: set[str] = set()
        headers: set[str] = set()
        for index, item in enumerate(value):
            at = f"{where}[{index}]"
            header = None
            date_format = None
            if isinstance(item, Mapping):
                self.keys(item, _COLUMN_KEYS, at)
                name = item.get("column")
                if "header" in item:
                    header = item["header"]
                    if not isinstance(header, str) or not header.strip():
                        self.problem(f"{at}.header", f"expected a non-empty text, got {_describe(header)}")
                        header = None
                if "format" in item:
                    date_format = self.choice(item, "format", DATE_FORMATS, at, "iso")
            else:
                name = item
            if not isinstance(name, str) or not name:
                self.problem(at, f"expected a column name, got {_describe(name)}")
                continue
            if name not in catalogue.columns:
                self.problem(
                    at,
                    f"unknown column '{name}'{did_you_mean(name, catalogue.columns)} "
                    f"(columns: {', '.join(catalogue.columns)})",
                )
                continue
            if date_format is not None and name not in catalogue.dates:
                self.problem(f"{at}.format", f"'{name}' is not a date column; only dates take a format")
                date_format = None
            if name in names:
                self.problem(at, f"column '{name}' is listed twice")
                continue
            header = (header or name).strip()
            if header in headers:
                self.problem(at, f"header '{header}' is used twice")
                continue
            names.add(name)
            headers.add(header)
            chosen.append(ColumnChoice(name=name, header=header, date_format=date_format))
        return tuple(chosen)

    def section(self, data: Any, catalogue: Catalogue, where: str) -> FormatOptions | None:
        if not isinstance(data, Mapping):
            self.problem(where, f"expected a mapping of options, got {_describe(data)}")
            return None
        before = len(self.problems)
        self.keys(data, _SECTION_KEYS, where)
        encoding = self.choice(data, "encoding", ENCODINGS, where, "utf-8")
        bom = data.get("bom", False)
        if not isinstance(bom, bool):
            self.problem(f"{where}.bom", f"expected true or false, got {_describe(bom)}")
            bom = False
        if bom and encoding != "utf-8":
            self.problem(
                f"{where}.bom", "a byte order mark is written in UTF-8 only; remove bom or use utf-8"
            )
        line_ending = self.choice(data, "line_ending", tuple(LINE_ENDINGS), where, "crlf")
        date_format = self.choice(data, "date_format", DATE_FORMATS, where, "iso")
        if "columns" not in data:
            self.problem(where, "columns: missing; list the columns in the order the file has them")
            columns: tuple[ColumnChoice, ...] = ()
        else:
            columns = self.columns(data["columns"], catalogue, f"{where}.columns")
        if len(self.problems) > before:
            return None
        return FormatOptions(
            columns=columns, encoding=encoding, bom=bom, line_ending=line_ending, date_format=date_format
        )


def parse_config(
    text: str, *, catalogues: Mapping[str, Catalogue], path: str | Path | None = None
) -> dict[str, FormatOptions]:
    """The sections of a configuration text, by format name; ConfigError lists every problem.

    `catalogues` names the registered formats and their columns: a section for another name is a problem.
    Only the sections the text has are returned.
    """
    reader = _Reader()
    import yaml  # here: PyYAML costs ~50 ms at every start of a command, and most never read this file

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([f"not valid YAML: {exc}"], path) from exc
    if not isinstance(data, Mapping):
        raise ConfigError([f"expected a mapping with format: {FORMAT_TAG}, got {_describe(data)}"], path)
    reader.keys(data, ("format", "formats"), "(top)")
    if data.get("format") != FORMAT_TAG:
        reader.problem("format", f"expected {FORMAT_TAG}, got {_describe(data.get('format'))}")
    sections = data.get("formats")
    result: dict[str, FormatOptions] = {}
    if not isinstance(sections, Mapping) or not sections:
        reader.problem("formats", f"expected a mapping of format names to options, got {_describe(sections)}")
    else:
        known = tuple(catalogues)
        for name, section in sections.items():
            if name not in catalogues:
                reader.problem(
                    f"formats.{name}",
                    f"unknown format{did_you_mean(str(name), known)} (formats: {', '.join(known)})",
                )
                continue
            options = reader.section(section, catalogues[name], f"formats.{name}")
            if options is not None:
                result[name] = options
    if reader.problems:
        raise ConfigError(reader.problems, path)
    return result


def load_config(
    catalogues: Mapping[str, Catalogue], path: str | Path | None = None
) -> dict[str, FormatOptions]:
    """Every format's options: the shipped file, with the sections of `path` (when given) in their place.

    The shipped file must give a section for every format; ConfigError names the file with the problems.
    """
    shipped = parse_config(DEFAULT_PATH.read_text(encoding="utf-8"), catalogues=catalogues, path=DEFAULT_PATH)
    missing = [name for name in catalogues if name not in shipped]
    if missing:
        raise ConfigError([f"formats: no section for {', '.join(missing)}"], DEFAULT_PATH)
    if path is None or Path(path) == DEFAULT_PATH:
        return shipped
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"cannot be read: {exc.strerror or exc}"], path) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(["is not UTF-8 text"], path) from exc
    return {**shipped, **parse_config(text, catalogues=catalogues, path=path)}
