"""`postal_code`: 〒100-0001, １００－０００１ … stored as 7 digits that must exist in the postal data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from madoguchi.jp import kana, postal
from madoguchi.jp.errors import JpValueError, is_english

from .base import DIGITS, CleanContext, DemoSource, FieldType, OcrHints, PrintLayout, as_text
from .messages import Invalid, Message, from_jp_error, invalid
from .registry import registry

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ..spec import Field, ProcedureSpec


@registry.register
class PostalCodeType(FieldType):
    name = "postal_code"
    keys = ("prefill",)
    prefill_keys = ("person.postal_code",)
    address_source = True
    input_attributes = ("text", "numeric", "postal-code")
    example = ("例：1234567（ハイフンなしでも可）", "e.g. 123-4567")

    def clean(self, f: Field, raw: Any, context: CleanContext) -> str:
        try:
            code = postal.normalise_postal_code(as_text(raw))
        except JpValueError as exc:
            raise Invalid(from_jp_error(exc)) from exc
        if postal.lookup_postal_code(code) is None:
            raise invalid(
                "postal_code_unknown",
                "この郵便番号は見つかりませんでした。番号をもう一度確認して入力してください。",
                "We could not find this postal code. Please check the number and enter it again.",
            )
        return code

    def format_non_empty(self, f: Field, value: Any, lang: str, separator: str) -> str:
        code = str(value)
        return f"〒{code[:3]}-{code[3:]}" if len(code) == 7 else code

    def input_maxlength(self, f: Field) -> int:
        return 8

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
        """The address field this postal code fills, for form.js."""
        from .address import AddressType  # registered after this type

        if spec is None:
            return
        target = next(
            (g for g in spec.fields if isinstance(g.kind, AddressType) and g.autofill_from == f.id), None
        )
        if target is None:
            return
        ctx["autofill_target"] = f"{prefix}{target.id}"
        ctx["autofill_url"] = autofill_url
        ctx["autofill_status_id"] = f"{ctx['input_id']}-status"
        ctx["autofill_done_text"] = (
            "The address was filled in from the postal code. Please add the rest."
            if is_english(lang)
            else "郵便番号から住所を入力しました。続きの番地などを入力してください。"
        )

    def json_schema_extra(self, f: Field) -> dict[str, Any]:
        return {"examples": ["1000001", "100-0001"]}

    def demo_answer(self, f: Field, demo: DemoSource) -> Any:
        return demo.other_place().postal_code if demo.elsewhere(f) else demo.postal_code

    def print_layout(self, f: Field) -> PrintLayout:
        """〒□□□-□□□□."""
        return PrintLayout.digit_boxes(7, groups=(3, 4))

    def ocr_hints(self, f: Field) -> OcrHints:
        return OcrHints("digits", whitelist=DIGITS, min_length=7, max_length=7)

    def normalise_ocr(self, f: Field, text: str) -> str:
        """〒１００－０００１, 100 0001 → 1000001 (jp.postal.normalise_postal_code); else the text, for `clean`."""
        try:
            return postal.normalise_postal_code(text)
        except JpValueError:
            return "".join(kana.normalise_width(text).split())
