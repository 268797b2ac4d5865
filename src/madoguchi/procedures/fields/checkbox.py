"""`checkbox`: one yes/no box (true/false), or with `multiple` a box per option (the chosen values, in order)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from madoguchi.jp.errors import is_english

from ._options import OptionsBase, not_an_option
from .base import (
    FALSE_VALUES,
    TRUE_VALUES,
    CleanContext,
    DemoSource,
    OcrHints,
    PrintLayout,
    SpecBuilder,
    YamlField,
    as_list,
    first,
    is_empty_scalar,
)
from .messages import Message
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field, ProcedureSpec

# What an OCR engine may report for an empty box; any other mark (✓, レ, ×, ■ …) is a tick.
_UNTICKED = frozenset({"", "0", "false", "off", "no", "□", "☐", "◻", "⬜"})


@registry.register
class CheckboxType(OptionsBase):
    name = "checkbox"
    keys = ("options", "multiple", "default")

    # -- spec

    def needs_options(self, kwargs: Mapping[str, Any]) -> bool:
        return bool(kwargs.get("multiple"))

    def check_options(self, b: SpecBuilder, y: YamlField, kwargs: Mapping[str, Any]) -> None:
        super().check_options(b, y, kwargs)
        if not kwargs.get("multiple") and kwargs.get("options"):
            b.problem(
                y.key_line("options"),
                f"{y.where}: a single checkbox (yes/no) has no options; add multiple: true for a list of choices",
            )

    def parse_default(
        self, b: SpecBuilder, value: Any, line: int, where: str, kwargs: Mapping[str, Any]
    ) -> Any:
        if kwargs.get("multiple"):
            return super().parse_default(b, value, line, where, kwargs)
        return b.boolean(value, line, f"{where} default")

    # -- shape

    def is_group(self, f: Field) -> bool:
        return f.multiple

    def is_list(self, f: Field) -> bool:
        return f.multiple

    def is_yes_no(self, f: Field) -> bool:
        return not f.multiple

    # -- validation and display

    def is_empty(self, f: Field, raw: Any) -> bool:
        if not f.multiple and raw is not None and not isinstance(raw, str | list | tuple | Mapping):
            return raw in FALSE_VALUES
        return super().is_empty(f, raw)

    def empty_value(self, f: Field) -> Any:
        return [] if f.multiple else False

    def required_texts(self, f: Field, context: CleanContext | None = None) -> tuple[str, str]:
        if not f.multiple:
            return (
                "必須項目です。内容を確認して、チェックを入れてください。",
                "This box is required. Please read it and tick it.",
            )
        return (
            "必須項目です。1つ以上選択してください。",
            "This field is required. Please choose at least one.",
        )

    def clean(self, f: Field, raw: Any, context: CleanContext) -> bool | list[str]:
        if not f.multiple:
            if raw in TRUE_VALUES:
                return True
            if raw in FALSE_VALUES:
                return False
            raise not_an_option()
        values = as_list(raw)
        if any(isinstance(v, list | tuple | Mapping | bool) for v in values):
            raise not_an_option()
        chosen = {str(v) for v in values if not is_empty_scalar(v)}
        known = [o.value for o in f.options]
        if not chosen.issubset(known):
            raise not_an_option()
        return [value for value in known if value in chosen]  # the options' order, no repeats

    def format(self, f: Field, value: Any, lang: str) -> str:
        if not f.multiple:
            if value is True:
                return "Yes" if is_english(lang) else "はい"
            return "No" if is_english(lang) else "いいえ"
        return super().format(f, value, lang)

    def format_non_empty(self, f: Field, value: Any, lang: str, separator: str) -> str:
        labels = [(f.option(v).label.get(lang) if f.option(v) else str(v)) for v in value]
        return separator.join(labels)

    # -- the web form

    def raw_from_post(self, f: Field, getlist: Callable[[str], list[str]]) -> Any:
        if f.multiple:
            return super().raw_from_post(f, getlist)
        return first(getlist(f.id)) not in ("", None)  # a ticked box posts "on"

    def template_name(self, f: Field) -> str:
        return "procedures/fields/choices.html" if f.multiple else "procedures/fields/checkbox.html"

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
        if f.options:
            super().widget_context(
                f,
                value,
                ctx,
                errors=errors,
                lang=lang,
                spec=spec,
                household=household,
                autofill_url=autofill_url,
                prefix=prefix,
                described=described,
            )
        else:
            ctx["checked"] = value in TRUE_VALUES

    # -- the API

    def json_types(self, f: Field) -> tuple[type, ...]:
        return (list, str) if f.multiple else (bool, str)

    def json_schema_extra(self, f: Field) -> dict[str, Any]:
        if not f.multiple:
            return {}
        return {"items": {"type": "string", "enum": [o.value for o in f.options]}}

    # -- the demo

    def demo_answer(self, f: Field, demo: DemoSource) -> Any:
        if not f.multiple:
            return "on"
        values = [o.value for o in f.options]
        if f.default and demo.variant == 0:
            return list(f.default)
        return demo.rng.sample(values, demo.rng.randint(1, len(values)))

    # -- paper

    def print_layout(self, f: Field) -> PrintLayout:
        return super().print_layout(f) if f.multiple else PrintLayout.checkbox()

    def ocr_hints(self, f: Field) -> OcrHints:
        return OcrHints("any", checkbox=True, max_length=len(f.options) if f.multiple else 1)

    def normalise_ocr(self, f: Field, text: str) -> Any:
        """A single box: whether it is ticked (true/false). Several: the options reported as ticked (values or
        labels, separated by commas, 、 or lines) → their values; an unknown one is kept for `clean` to refuse."""
        if not f.multiple:
            return text.strip().casefold() not in _UNTICKED
        return [self.option_value(f, item) or item for item in self.ocr_items(text)]
