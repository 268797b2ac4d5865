"""`FieldType`: everything one type of form field does, in one place (the Open Forms plugin shape).

One procedure schema drives the web form, the printed form, the OCR field map and the API. Each field type
(`text`, `date`, `checkbox` …) is a subclass of `FieldType` registered in `registry.registry`; the generic
machinery (`spec.py` reads YAML, `schema.py` validates, formats and builds the template view-model) asks the
type of each field instead of comparing type names. A `Field` finds its type with `field.kind`.

A type answers, for a field of its type:

- spec parsing: the YAML keys it allows beyond the common ones (`keys`), the registry keys that may pre-fill
  it (`prefill_keys`), and its own checks (`parse`, `check_options`, `parse_prefill`, `parse_default`,
  `complete`, `check_autocomplete`, `check_form`);
- validation: `is_empty`, `empty_value`, `required_texts`, `clean` (raises `messages.Invalid`), `comparable`
  (for `required_if`), `suggest` (a value to offer when the field is empty);
- display: `format`;
- the web form: `raw_from_post`, `template_name`, `input_attributes`, `example`, `input_maxlength`,
  `autocomplete`, `unit_text`, `widget_context`;
- the API: `json_types`, `json_item_types`, `json_schema`;
- the demo: `demo_answer`;
- paper: `print_layout` (how the field is laid out on a printed A4 form) and `ocr_hints` / `normalise_ocr`
  (how to read it back from a scan).

Pure Python: nothing from Django (an import-linter contract keeps it so); `madoguchi.jp` does the Japanese.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from madoguchi.core.text import UnsafeTextError, check_text
from madoguchi.jp import kana
from madoguchi.jp.errors import is_english

from .messages import Invalid, Message, invalid
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field, Localized, Option, ProcedureSpec

# --------------------------------------------------------------------------------------------------------------
# Values shared by the types

TRUE_VALUES = (True, "on", "true", "1", "yes")
FALSE_VALUES = (None, False, "", "off", "false", "0", "no")

# The registry (住民記録) values a field may be pre-filled from (`prefill:`), in the order messages and the docs
# list them. accounts.selectors builds these values; each type says which of them it takes (`prefill_keys`).
REGISTER_KEYS = (
    "person.name",
    "person.name_kana",
    "person.birth_date",
    "person.postal_code",
    "person.address",
    "person.phone",
    "household.members",
)
# The autocomplete token a pre-filled field gets when the procedure sets none.
PREFILL_AUTOCOMPLETE: Mapping[str, str] = {"person.name": "name", "person.birth_date": "bday"}


def not_entered(lang: str) -> str:
    return "(not entered)" if is_english(lang) else "（未入力）"


def as_text(raw: Any) -> str:
    if isinstance(raw, (bool, list | tuple | Mapping)):
        raise invalid(
            "invalid",
            "入力の形式が正しくありません。入力し直してください。",
            "This value has the wrong form. Please enter it again.",
        )
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw)


def as_list(raw: Any) -> list[Any]:
    return list(raw) if isinstance(raw, list | tuple) else [raw]


def is_empty_scalar(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def check_characters(value: str, *, multiline: bool = False) -> None:
    """Refuse what free text may not hold (`core.text`: bidi controls, control characters, private use)."""
    try:
        check_text(value, multiline=multiline)
    except UnsafeTextError as exc:
        raise invalid(exc.code, exc.ja, exc.en) from None


def selected_values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [str(v.get("id")) if isinstance(v, Mapping) else str(v) for v in value]
    return [str(value)]


def first(values: Sequence[str]) -> str:
    return values[0] if values else ""


# --------------------------------------------------------------------------------------------------------------
# Paper: the print layout and the OCR hints

# How a field is laid out on a printed A4 form (a counter's 申請書, a mail-in form):
#   cells      one character per cell (フリガナ, short codes), `cells` per row, `rows` rows
#   digits     one digit per box, in `groups` separated by a printed hyphen (〒123-4567, 1234-5678-9012)
#   checkbox   one box to tick (a yes/no checkbox)
#   choices    a box to tick per option (`choices`: the option values, in the form's order)
#   text_area  ruled lines for free handwriting, `rows` lines across the width
#   date       the era to circle (`choices`: 令和, 平成 …) and year/month/day digit boxes (`groups` (2, 2, 2))
#   group      a composite field: one layout per part (`parts`), e.g. a bank account
#   none       not printed (an upload: the printed form lists it under 持ち物 instead)
BOX_KINDS = ("cells", "digits", "checkbox", "choices", "text_area", "date", "group", "none")

# Size hints in millimetres. A4 is 210 × 297 mm; with 15 mm margins a row holds 180 mm.
ROW_WIDTH_MM = 180.0
CELL_MM = (6.0, 8.0)  # a character cell: wide enough for one handwritten kanji
DIGIT_MM = (5.0, 7.0)  # a digit box
CHECKBOX_MM = 4.0
LINE_MM = 9.0  # the height of one ruled line of a text area
GROUP_GAP_MM = 3.0  # the printed hyphen between groups of digits
CELLS_PER_ROW = int(ROW_WIDTH_MM // CELL_MM[0])  # 30


@dataclass(frozen=True)
class PrintLayout:
    """How one field is printed on an A4 form. The counter's printing fills the boxes from a case's value,
    except when `blank` (a 個人番号 is never printed: the resident writes it on the paper)."""

    box: str
    cells: int = 0  # cells/digits/date: boxes per row (all rows of cells); choices: number of options
    rows: int = 1
    width_mm: float = 0.0
    height_mm: float = 0.0
    groups: tuple[int, ...] = ()  # digits and date: the boxes in groups, summing to `cells`
    choices: tuple[str, ...] = ()  # choices: option values; date: era names to circle
    unit: str = ""  # printed after the boxes (円, 通)
    parts: tuple[tuple[str, PrintLayout], ...] = ()  # group: (part name, its layout)
    blank: bool = False  # always printed empty, whatever the case holds
    align: str = "left"  # digits: "right" puts a shorter value into the rightmost boxes (amounts)

    def __post_init__(self) -> None:
        if self.box not in BOX_KINDS:
            raise ValueError(f"unknown box kind {self.box!r}; use one of {', '.join(BOX_KINDS)}")
        if self.align not in ("left", "right"):
            raise ValueError(f"unknown alignment {self.align!r}; use left or right")
        if self.groups and sum(self.groups) != self.cells:
            raise ValueError(f"groups {self.groups} do not add up to {self.cells} boxes")

    @classmethod
    def character_cells(cls, count: int, *, per_row: int = CELLS_PER_ROW) -> PrintLayout:
        per_row = max(1, min(count, per_row))
        rows = math.ceil(count / per_row)
        return cls(
            "cells", cells=per_row, rows=rows, width_mm=per_row * CELL_MM[0], height_mm=rows * CELL_MM[1]
        )

    @classmethod
    def digit_boxes(
        cls,
        count: int,
        *,
        groups: tuple[int, ...] = (),
        unit: str = "",
        blank: bool = False,
        align: str = "left",
    ) -> PrintLayout:
        gaps = max(len(groups) - 1, 0)
        return cls(
            "digits",
            cells=count,
            width_mm=count * DIGIT_MM[0] + gaps * GROUP_GAP_MM,
            height_mm=DIGIT_MM[1],
            groups=groups,
            unit=unit,
            blank=blank,
            align=align,
        )

    @classmethod
    def text_area(cls, rows: int) -> PrintLayout:
        return cls("text_area", rows=rows, width_mm=ROW_WIDTH_MM, height_mm=rows * LINE_MM)

    @classmethod
    def checkbox(cls) -> PrintLayout:
        return cls("checkbox", cells=1, width_mm=CHECKBOX_MM, height_mm=CHECKBOX_MM)

    @classmethod
    def choice_boxes(cls, values: Sequence[str]) -> PrintLayout:
        # One option per line: a box and the label, the labels in the form's language.
        return cls(
            "choices",
            cells=len(values),
            rows=len(values),
            width_mm=ROW_WIDTH_MM,
            height_mm=len(values) * LINE_MM,
            choices=tuple(values),
        )

    @classmethod
    def not_printed(cls) -> PrintLayout:
        return cls("none", rows=0)


# What the characters in a field's boxes can be, for the OCR engine's model and character whitelist.
CHARSETS = ("digits", "katakana", "kanji_kana", "latin", "any")
DIGITS = "0123456789"


@dataclass(frozen=True)
class OcrHints:
    """What to expect when reading a field from a scanned form."""

    charset: str = "any"
    whitelist: str = ""  # the only characters to accept ("" for the whole charset)
    min_length: int = 0
    max_length: int | None = None
    checkbox: bool = False  # read ticks in boxes (one per option), not characters
    multiline: bool = False

    def __post_init__(self) -> None:
        if self.charset not in CHARSETS:
            raise ValueError(f"unknown charset {self.charset!r}; use one of {', '.join(CHARSETS)}")


# --------------------------------------------------------------------------------------------------------------
# What the generic machinery hands to a type


class SpecBuilder(Protocol):
    """The part of `spec._Builder` a type uses to read its YAML keys (each reader reports its own problems)."""

    strict: bool
    autofills: list[tuple[str, int, str]]

    def problem(self, line: int, reason: str) -> None: ...
    def text(self, value: Any, line: int, where: str) -> str | None: ...
    def boolean(self, value: Any, line: int, where: str) -> bool | None: ...
    def integer(self, value: Any, line: int, where: str, *, minimum: int | None = None) -> int | None: ...
    def localized(self, value: Any, line: int, where: str) -> Localized | None: ...
    def choice(self, value: Any, line: int, where: str, choices: Sequence[str]) -> str | None: ...
    def identifier(self, value: Any, line: int, where: str) -> str | None: ...
    def pattern(self, value: Any, line: int, where: str) -> str | None: ...
    def options(self, value: Any, line: int, where: str) -> tuple[Option, ...]: ...
    def accept(self, value: Any, line: int, where: str) -> tuple[str, ...]: ...
    def date_bound(self, value: Any, line: int, where: str) -> str | None: ...


@dataclass(frozen=True)
class YamlField:
    """One field of a procedure file as the type sees it: its keys, `where` for messages, its lines."""

    data: Mapping[str, Any]
    where: str
    line: int
    key_line: Callable[[str], int]


@dataclass
class CleanContext:
    """What `clean` may look at besides the value: the form and its other values, uploads, the household."""

    spec: ProcedureSpec | None
    data: Mapping[str, Any]
    files: Mapping[str, Any]
    household: Sequence[Mapping[str, Any]] | None
    today: dt.date

    def raw(self, f: Field) -> Any:
        if f.kind.is_upload and self.files.get(f.id):
            return self.files[f.id]
        return self.data.get(f.id)


class DemoPlace(Protocol):
    postal_code: str
    prefecture: str
    city: str
    town: str


class DemoSource(Protocol):
    """What a demo answer may use: the demo applicant, the random source and the attempt (residents.demo_cases).

    Calls on `rng` must stay in the same order for the same seed to give the same demo data.
    """

    rng: random.Random
    today: dt.date
    variant: int  # 0: the first attempt keeps the form's defaults; later attempts choose other options
    name: str
    name_kana: str
    birth_date: dt.date
    postal_code: str
    address: str
    email: str
    household_names: Sequence[str]
    bank: tuple[str, str]  # (bank code, branch code) of a real branch

    def elsewhere(self, f: Field) -> bool:
        """Whether the field asks about another place than the applicant's (a previous or new address)."""
        ...

    def other_place(self) -> DemoPlace: ...

    def sample_text(self, f: Field) -> str | None:
        """A sample answer for a text field, chosen by a word in its id, or None."""
        ...


# --------------------------------------------------------------------------------------------------------------
# The base class


class FieldType(ABC):
    """One field type. Subclasses set the class attributes and override what differs; `registry.register`
    makes one instance of each. Instances are stateless: every method takes the `Field`."""

    name: ClassVar[str]
    # -- spec: YAML keys beyond the common ones, the registry values that may fill the field
    keys: ClassVar[tuple[str, ...]] = ()
    prefill_keys: ClassVar[tuple[str, ...]] = ()
    # -- traits the generic machinery asks about
    is_text: ClassVar[bool] = False  # free text (max_length, default maximum length)
    has_options: ClassVar[bool] = False  # choices from `options`
    is_upload: ClassVar[bool] = False  # a file: uploaded, never posted as a value nor sent through the API
    submit_only: ClassVar[bool] = False  # asked on the page that submits the form, never kept in a draft
    holds_my_number: ClassVar[bool] = (
        False  # a 個人番号: the vault keeps it, MADOGUCHI_MY_NUMBER_ENABLED asks it
    )
    household_choices: ClassVar[bool] = False  # chooses among the household members of the registry
    address_source: ClassVar[bool] = False  # an address field may be filled from it (autofill_from)
    shows_value: ClassVar[bool] = True  # False: the form never puts a value into the input (a 個人番号)
    default_max_length: ClassVar[int | None] = None
    # -- the web form
    template: ClassVar[str] = "input"  # procedures/fields/<template>.html
    input_attributes: ClassVar[tuple[str, str, str]] = ("text", "", "")  # input type, inputmode, autocomplete
    example: ClassVar[tuple[str, str] | None] = None  # (ja, en) shown under the input
    # -- the API: the JSON types a value may have in `data`
    json_value_types: ClassVar[tuple[type, ...]] = (str,)

    def __repr__(self) -> str:
        return f"<field type {self.name}>"

    # ---- spec parsing ----------------------------------------------------------------------------------------

    def check_autocomplete(self, b: SpecBuilder, value: str | None, line: int, where: str) -> None:  # noqa: B027 (hooks do nothing by default)
        """Checks of the common `autocomplete` key that depend on the type."""

    def parse(self, b: SpecBuilder, y: YamlField) -> dict[str, Any]:
        """Read the keys beyond the common ones into `Field` arguments, reporting problems through `b`.

        In strict mode `y.data` holds only the keys this type allows (the others were reported); a stored spec
        is read leniently. The keys are read in one fixed order so that problems on one line keep their order.
        """
        data, where, kline = y.data, y.where, y.key_line
        kwargs: dict[str, Any] = {}
        if "max_length" in data:
            kwargs["max_length"] = b.integer(
                data["max_length"], kline("max_length"), f"{where} max_length", minimum=1
            )
        for key in ("min", "max"):
            if key in data:
                kwargs[key] = b.integer(data[key], kline(key), f"{where} {key}", minimum=0)
        if kwargs.get("min") is not None and kwargs.get("max") is not None and kwargs["min"] > kwargs["max"]:
            b.problem(kline("max"), f"{where}: max ({kwargs['max']}) is smaller than min ({kwargs['min']})")
        if "unit" in data:
            kwargs["unit"] = b.localized(data["unit"], kline("unit"), f"{where} unit")
        if "pattern" in data:
            kwargs["pattern"] = b.pattern(data["pattern"], kline("pattern"), where)
            if "pattern_message" not in data:
                b.problem(
                    kline("pattern"),
                    f"{where}: a pattern needs pattern_message: {{ja, en}} telling the resident what to enter",
                )
        if "pattern_message" in data:
            kwargs["pattern_message"] = b.localized(
                data["pattern_message"], kline("pattern_message"), f"{where} pattern_message"
            )
            if "pattern" not in data:
                b.problem(kline("pattern_message"), f"{where}: pattern_message without a pattern; remove it")
        if "multiple" in data:
            kwargs["multiple"] = bool(b.boolean(data["multiple"], kline("multiple"), f"{where} multiple"))
        if "options" in data:
            kwargs["options"] = b.options(data["options"], kline("options"), where)
        self.check_options(b, y, kwargs)
        if "prefill" in data:
            kwargs["prefill"] = self.parse_prefill(b, data["prefill"], kline("prefill"), where)
        if "accept" in data:
            kwargs["accept"] = b.accept(data["accept"], kline("accept"), where)
        if "max_bytes" in data:
            kwargs["max_bytes"] = b.integer(
                data["max_bytes"], kline("max_bytes"), f"{where} max_bytes", minimum=1
            )
        if "max_files" in data:
            kwargs["max_files"] = b.integer(
                data["max_files"], kline("max_files"), f"{where} max_files", minimum=1
            )
            if not kwargs.get("multiple"):
                b.problem(kline("max_files"), f"{where}: max_files needs multiple: true")
        if "autofill_from" in data:
            kwargs["autofill_from"] = b.identifier(
                data["autofill_from"], kline("autofill_from"), f"{where} autofill_from"
            )
            if kwargs["autofill_from"] is not None:
                b.autofills.append((where, kline("autofill_from"), kwargs["autofill_from"]))
        for key in ("min_date", "max_date"):
            if key in data:
                kwargs[key] = b.date_bound(data[key], kline(key), f"{where} {key}")
        if (
            kwargs.get("min_date") not in (None, "today")
            and kwargs.get("max_date") not in (None, "today")
            and kwargs["min_date"] > kwargs["max_date"]
        ):
            b.problem(kline("max_date"), f"{where}: max_date is before min_date")
        if "default" in data:
            kwargs["default"] = self.parse_default(b, data["default"], kline("default"), where, kwargs)
        self.complete(kwargs)
        return kwargs

    def check_options(self, b: SpecBuilder, y: YamlField, kwargs: Mapping[str, Any]) -> None:  # noqa: B027
        """Checks of `options` (present or not) once `multiple` and `options` are read."""

    def parse_prefill(self, b: SpecBuilder, value: Any, line: int, where: str) -> str | None:
        keys = registry.prefill_keys()
        key = b.choice(value, line, f"{where} prefill", tuple(keys))
        if key is None or not b.strict:
            return key
        if key in keys and self.name not in keys[key]:
            b.problem(
                line,
                f"{where}: prefill {key} cannot fill a {self.name} field (only {', '.join(keys[key])})",
            )
        return key

    def parse_default(
        self, b: SpecBuilder, value: Any, line: int, where: str, kwargs: Mapping[str, Any]
    ) -> Any:
        """The `default` of a fresh form, checked against the other keys (read before it)."""
        return b.text(value, line, f"{where} default")

    def complete(self, kwargs: dict[str, Any]) -> None:  # noqa: B027
        """Fill in the defaults of keys the file left out."""

    def check_form(  # noqa: B027
        self,
        b: SpecBuilder,
        fields: Sequence[tuple[str, int]],
        identity_level: str | None,
        identity_line: int,
    ) -> None:
        """Checks of the whole procedure for the fields of this type ((where, line of `type`) each)."""

    # ---- the shape of the value ------------------------------------------------------------------------------

    def is_group(self, f: Field) -> bool:
        """Rendered as a fieldset with a legend rather than one labelled input."""
        return False

    def is_list(self, f: Field) -> bool:
        """Its value is a list."""
        return False

    def is_yes_no(self, f: Field) -> bool:
        """A single box that is ticked or not: its value is true or false."""
        return False

    def is_reading_of(self, f: Field, other: Field) -> bool:
        """Whether `f` is the フリガナ of `other` when it follows it in a step."""
        return False

    # ---- validation ------------------------------------------------------------------------------------------

    def is_empty(self, f: Field, raw: Any) -> bool:
        if raw is None:
            return True
        if isinstance(raw, str):
            return raw.strip() == ""
        if isinstance(raw, list | tuple):
            return all(is_empty_scalar(item) for item in raw)
        if isinstance(raw, Mapping):
            return not raw
        return False

    def empty_value(self, f: Field) -> Any:
        return [] if self.is_list(f) else None

    def required_texts(self, f: Field, context: CleanContext | None = None) -> tuple[str, str]:
        """The message (ja, en) for a required field left empty, worded for how the field is answered
        (typed, chosen, ticked, uploaded); `context` tells a type that is answered in more than one way
        which one the resident has."""
        return "必須項目です。入力してください。", "This field is required. Please fill it in."

    @abstractmethod
    def clean(self, f: Field, raw: Any, context: CleanContext) -> Any:
        """The normalised, JSON-ready value of a non-empty raw value; raises `messages.Invalid`."""

    def comparable(self, f: Field, raw: Any) -> list[Any]:
        """The values a `required_if` condition on this field compares (raw or cleaned)."""
        if self.is_yes_no(f):
            return [raw in TRUE_VALUES]
        if isinstance(raw, list | tuple):
            return [item.get("id") if isinstance(item, Mapping) else item for item in raw]
        if isinstance(raw, str):
            return [raw.strip()]
        return [raw]

    def suggest(self, f: Field, context: CleanContext) -> str:
        """A value to offer when the field is left empty ("" for none)."""
        return ""

    # ---- display ---------------------------------------------------------------------------------------------

    def format(self, f: Field, value: Any, lang: str) -> str:
        """One cleaned value as text for people (review pages, the office, PDFs)."""
        if value is None or value == "" or value == [] or value == {}:
            return not_entered(lang)
        separator = ", " if is_english(lang) else "、"
        try:
            return self.format_non_empty(f, value, lang, separator)
        except (TypeError, ValueError, KeyError, AttributeError):
            return str(value)

    def format_non_empty(self, f: Field, value: Any, lang: str, separator: str) -> str:
        return str(value)

    # ---- the web form ----------------------------------------------------------------------------------------

    def raw_from_post(self, f: Field, getlist: Callable[[str], list[str]]) -> Any:
        """The raw value from POST data (`request.POST.getlist`)."""
        if self.is_list(f):
            return [value for value in getlist(f.id) if value != ""]
        return first(getlist(f.id))

    def template_name(self, f: Field) -> str:
        return f"procedures/fields/{self.template}.html"

    def autocomplete(self, f: Field) -> str:
        return f.autocomplete or PREFILL_AUTOCOMPLETE.get(f.prefill or "", "") or self.input_attributes[2]

    def input_maxlength(self, f: Field) -> int | str:
        return f.max_length or self.default_max_length or ""

    def unit_text(self, f: Field, lang: str) -> str:
        return f.unit.get(lang) if f.unit else ""

    def widget_context(  # noqa: B027
        self,
        f: Field,
        value: Any,
        ctx: dict[str, Any],
        *,
        errors: Sequence[Message],
        lang: str,
        spec: ProcedureSpec | None,
        household: Sequence[Mapping[str, Any]] | None,
        autofill_url: str,
        prefix: str,
        described: list[str],
    ) -> None:
        """Add what this type's template needs to `ctx` (the generic part is filled in by schema.field_context)."""

    # ---- the API ---------------------------------------------------------------------------------------------

    def json_types(self, f: Field) -> tuple[type, ...]:
        """The JSON types (as Python types) a value of this field may have in the API's `data`."""
        return self.json_value_types

    def json_item_types(self, f: Field) -> tuple[type, ...]:
        """The JSON types of the items when the value is a list."""
        return (str,)

    def json_schema(self, f: Field) -> dict[str, Any]:
        """The JSON Schema of this field's value in the API's `data` (what `cases.api` accepts)."""
        schema: dict[str, Any] = {"title": f.label.en, "x-field-type": self.name}
        schema["type"] = _json_type_names(self.json_types(f))
        if list in self.json_types(f):
            schema["items"] = {"type": _json_type_names(self.json_item_types(f))}
        schema.update(self.json_schema_extra(f))
        return schema

    def json_schema_extra(self, f: Field) -> dict[str, Any]:
        """Type-specific JSON Schema keywords (maxLength, enum, minimum …)."""
        return {}

    # ---- the demo --------------------------------------------------------------------------------------------

    def demo_answer(self, f: Field, demo: DemoSource) -> Any:
        """A plausible raw answer (as a browser would post it) for the demo, or None to leave it empty."""
        return None

    # ---- paper -----------------------------------------------------------------------------------------------

    def print_layout(self, f: Field) -> PrintLayout:
        """How the field is laid out on a printed A4 form. By default one ruled line for handwriting."""
        return PrintLayout.text_area(1)

    def print_choice_label(self, f: Field, value: str, *, part: str | None = None) -> tuple[str, str]:
        """The words (ja, en) printed next to the box of the choice `value` (of the group part `part`). By
        default the option's label; a date's era names are printed as they are."""
        option = f.option(value) if part is None else None
        return (option.label.ja, option.label.en) if option is not None else (value, value)

    def print_part_label(self, f: Field, part: str) -> tuple[str, str]:
        """The words (ja, en) printed above one part of a group layout (a bank account's 支店コード)."""
        return part, part

    def ocr_hints(self, f: Field) -> OcrHints:
        """What to expect when reading the field from a scan. By default any characters, any length."""
        return OcrHints("any", max_length=f.max_length or self.default_max_length)

    def ocr_part_hints(self, f: Field, part: str) -> OcrHints:
        """What to expect in one part of a group layout (see `print_layout`); by default anything."""
        return OcrHints("any")

    def normalise_ocr(self, f: Field, text: str) -> Any:
        """Text read from paper as a raw value `clean` takes. By default: widths normalised (ＡＢ１ → AB1,
        ｶﾅ → カナ) and runs of spaces and line breaks made one space."""
        return " ".join(kana.normalise_width(text).split())


_JSON_TYPE_NAMES: Mapping[type, str] = {
    str: "string",
    int: "integer",
    bool: "boolean",
    dict: "object",
    list: "array",
    type(None): "null",
}


def _json_type_names(types: Sequence[type]) -> str | list[str]:
    names = [_JSON_TYPE_NAMES[t] for t in types]
    return names[0] if len(names) == 1 else names


__all__ = [
    "BOX_KINDS",
    "CHARSETS",
    "CleanContext",
    "DemoSource",
    "FieldType",
    "Invalid",
    "Message",
    "OcrHints",
    "PrintLayout",
    "SpecBuilder",
    "YamlField",
]


class UnknownType(FieldType):
    """Stands in, while a file is read, for a type name that is missing (`name` None) or not registered (a stored
    spec read leniently): every key any type allows is read, with no type's own checks."""

    def __init__(self, name: str | None) -> None:
        self.name = name or ""  # type: ignore[misc]
        self._named = name is not None

    @property
    def keys(self) -> tuple[str, ...]:  # type: ignore[override]
        return registry.all_keys()

    def parse_prefill(self, b: SpecBuilder, value: Any, line: int, where: str) -> str | None:
        return b.choice(value, line, f"{where} prefill", tuple(registry.prefill_keys()))

    def parse_default(
        self, b: SpecBuilder, value: Any, line: int, where: str, kwargs: Mapping[str, Any]
    ) -> Any:
        if not self._named:
            return None  # the missing type was reported; its default means nothing yet
        return super().parse_default(b, value, line, where, kwargs)

    def clean(self, f: Field, raw: Any, context: CleanContext) -> Any:
        return registry.get(self.name).clean(f, raw, context)
