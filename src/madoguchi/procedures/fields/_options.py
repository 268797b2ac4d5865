"""`OptionsBase`: a choice among the field's `options` (select, radio, checkbox with `multiple`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from madoguchi.jp.errors import is_english

from .base import (
    CleanContext,
    DemoSource,
    FieldType,
    OcrHints,
    PrintLayout,
    SpecBuilder,
    YamlField,
    as_text,
    selected_values,
)
from .messages import Invalid, Message, invalid

if TYPE_CHECKING:
    from ..spec import Field, ProcedureSpec

# Separators between the options an OCR engine reports as ticked.
_OCR_SEPARATORS = re.compile(r"[,、，\n;；/]+")


def not_an_option() -> Invalid:
    return invalid(
        "invalid_choice",
        "選択肢の中から選んでください。",
        "Please choose one of the options shown.",
    )


class OptionsBase(FieldType):
    has_options = True
    input_kind: ClassVar[str] = "checkbox"  # the input of each option in the choices template

    # -- spec

    def needs_options(self, kwargs: Mapping[str, Any]) -> bool:
        return True

    def check_options(self, b: SpecBuilder, y: YamlField, kwargs: Mapping[str, Any]) -> None:
        if "options" not in y.data and self.needs_options(kwargs):
            b.problem(y.line, f"{y.where}: type {self.name} needs options: [{{value, label}}, ...]")

    def parse_default(
        self, b: SpecBuilder, value: Any, line: int, where: str, kwargs: Mapping[str, Any]
    ) -> Any:
        values = [o.value for o in kwargs.get("options", ())]
        wanted = value if isinstance(value, list) and kwargs.get("multiple") else [value]
        for item in wanted:
            if item not in values:
                b.problem(line, f"{where}: default {item!r} is not one of the option values")
                return None
        return tuple(wanted) if kwargs.get("multiple") else value

    # -- validation and display

    def required_texts(self, f: Field, context: CleanContext | None = None) -> tuple[str, str]:
        return "必須項目です。選択してください。", "This field is required. Please choose an option."

    def clean(self, f: Field, raw: Any, context: CleanContext) -> Any:
        value = as_text(raw).strip()
        if f.option(value) is None:
            raise not_an_option()
        return value

    def format_non_empty(self, f: Field, value: Any, lang: str, separator: str) -> str:
        option = f.option(str(value))
        return option.label.get(lang) if option else str(value)

    # -- the web form

    def widget_context(
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
        if not f.options:
            return
        selected = set(selected_values(value))
        ctx["options"] = [
            {
                "value": o.value,
                "label": o.label.get(lang),
                "id": f"{ctx['input_id']}-{index}",
                "checked": o.value in selected,
            }
            for index, o in enumerate(f.options)
        ]
        ctx["input_kind"] = self.input_kind
        ctx["choose_text"] = "Please choose" if is_english(lang) else "選択してください"

    # -- the API

    def json_schema_extra(self, f: Field) -> dict[str, Any]:
        return {"enum": [o.value for o in f.options]}

    # -- the demo

    def demo_answer(self, f: Field, demo: DemoSource) -> Any:
        values = [o.value for o in f.options]
        if f.default is not None and demo.variant == 0:
            return f.default
        return demo.rng.choice(values)

    # -- paper: a box to tick per option

    def print_layout(self, f: Field) -> PrintLayout:
        return PrintLayout.choice_boxes([o.value for o in f.options])

    def ocr_hints(self, f: Field) -> OcrHints:
        return OcrHints("any", checkbox=True, max_length=len(f.options))

    def option_value(self, f: Field, text: str) -> str | None:
        """The value of the option `text` names: its value or its label (ja or en), widths and case aside."""
        wanted = unicodedata.normalize("NFKC", text).strip().casefold()
        for option in f.options:
            names = (option.value, option.label.ja, option.label.en)
            if any(unicodedata.normalize("NFKC", name).casefold() == wanted for name in names):
                return option.value
        return None

    def ocr_items(self, text: str) -> list[str]:
        return [item.strip() for item in _OCR_SEPARATORS.split(text) if item.strip()]

    def normalise_ocr(self, f: Field, text: str) -> Any:
        """The option ticked (its value or label as the reader reports it) → its value; else the text."""
        return self.option_value(f, text) or text.strip()
