"""`bank_account`: 金融機関コード, 支店コード, 預金種目, 口座番号 and 口座名義, checked with zengin-code.

Posted as `<id>.bank_code`, `<id>.branch_code`, `<id>.account_type`, `<id>.account_number`, `<id>.holder`;
stored with the bank's and branch's names, the account number zero-filled and the holder in Zengin kana.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from madoguchi.jp import banks
from madoguchi.jp.errors import JpValueError, is_english

from .base import (
    DIGITS,
    CleanContext,
    DemoSource,
    FieldType,
    OcrHints,
    PrintLayout,
    as_text,
    first,
    is_empty_scalar,
)
from .messages import Invalid, Message, from_jp_error, invalid
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field, ProcedureSpec

BANK_PARTS = ("bank_code", "branch_code", "account_type", "account_number", "holder")
# 預金種目 as in Zengin files: 1 普通, 2 当座, 4 貯蓄.
ACCOUNT_TYPES: Mapping[str, tuple[str, str]] = {
    "ordinary": ("普通", "Ordinary"),
    "current": ("当座", "Current"),
    "savings": ("貯蓄", "Savings"),
}
_BANK_LABELS: Mapping[str, tuple[str, str, str, str, int]] = {
    # part: (label ja, label en, hint ja, hint en, maxlength)
    "bank_code": ("金融機関コード（4桁）", "Bank code (4 digits)", "", "", 4),
    "branch_code": ("支店コード（3桁）", "Branch code (3 digits)", "", "", 3),
    "account_type": ("預金種目", "Account type", "", "", 0),
    "account_number": (
        "口座番号（7桁）",
        "Account number (7 digits)",
        "7桁未満の場合は、そのまま入力してください（先頭に0を補います）。",
        "If it has fewer than 7 digits, enter it as it is; we add leading zeros.",
        8,
    ),
    "holder": (
        "口座名義（カタカナ）",
        "Account holder (katakana)",
        "通帳に記載のとおり、カタカナで入力してください。",
        "As shown in your passbook, in katakana.",
        30,
    ),
}
_MISSING: Mapping[str, tuple[str, str]] = {
    "bank_code": ("金融機関コード", "bank code"),
    "branch_code": ("支店コード", "branch code"),
    "account_type": ("預金種目", "account type"),
    "account_number": ("口座番号", "account number"),
    "holder": ("口座名義（カナ）", "account holder name (katakana)"),
}


def _digits(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("-", "").replace(" ", "")


@registry.register
class BankAccountType(FieldType):
    name = "bank_account"
    keys = ()
    template = "bank_account"
    json_value_types = (dict,)

    def is_group(self, f: Field) -> bool:
        return True

    def is_empty(self, f: Field, raw: Any) -> bool:
        if isinstance(raw, Mapping):
            return all(is_empty_scalar(raw.get(part)) for part in BANK_PARTS)
        return super().is_empty(f, raw)

    def clean(self, f: Field, raw: Any, context: CleanContext) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            raise invalid(
                "invalid", "口座情報を入力し直してください。", "Please enter the bank account details again."
            )
        parts = {part: as_text(raw.get(part) or "").strip() for part in BANK_PARTS}
        messages: list[Message] = []
        for part, (name_ja, name_en) in _MISSING.items():
            if not parts[part]:
                messages.append(
                    Message(
                        "required", f"{name_ja}を入力してください。", f"Please enter the {name_en}.", part
                    )
                )
        bank_code = _digits(parts["bank_code"])
        branch_code = _digits(parts["branch_code"])
        bank = branch = None
        if parts["bank_code"]:
            if len(bank_code) != 4 or not bank_code.isdigit():
                messages.append(
                    Message(
                        "invalid_bank_code",
                        "金融機関コードは4桁の数字で入力してください。通帳やキャッシュカードで確認できます。",
                        "The bank code has 4 digits. You can find it in your passbook or on your cash card.",
                        "bank_code",
                    )
                )
            else:
                bank = banks.find_bank(bank_code)
                if bank is None:
                    messages.append(
                        Message(
                            "unknown_bank",
                            "この金融機関コードは見つかりませんでした。4桁のコードをもう一度確認してください。",
                            "We could not find a bank with this code. Please check the 4-digit code.",
                            "bank_code",
                        )
                    )
        if parts["branch_code"]:
            if len(branch_code) != 3 or not branch_code.isdigit():
                messages.append(
                    Message(
                        "invalid_branch_code",
                        "支店コード（店番）は3桁の数字で入力してください。",
                        "The branch code has 3 digits.",
                        "branch_code",
                    )
                )
            elif bank is not None:
                branch = banks.find_branch(bank_code, branch_code)
                if branch is None:
                    messages.append(
                        Message(
                            "unknown_branch",
                            f"{bank.name}にこの支店コードの支店は見つかりませんでした。3桁の支店コードを確認してください。",
                            f"{bank.name} has no branch with this code. Please check the 3-digit branch code.",
                            "branch_code",
                        )
                    )
        if parts["account_type"] and parts["account_type"] not in ACCOUNT_TYPES:
            messages.append(
                Message(
                    "invalid_choice",
                    "預金種目を選んでください。",
                    "Please choose the account type.",
                    "account_type",
                )
            )
        account_number = ""
        if parts["account_number"]:
            try:
                account_number = banks.normalise_account_number(
                    parts["account_number"]
                )  # zero-filled to 7 digits
            except JpValueError as exc:
                messages.append(from_jp_error(exc, "account_number"))
        holder = ""
        if parts["holder"]:
            try:
                holder = banks.normalise_account_holder(parts["holder"])
            except JpValueError as exc:
                messages.append(from_jp_error(exc, "holder"))
        if messages:
            raise Invalid(*messages)
        assert bank is not None and branch is not None
        return {
            "bank_code": bank_code,
            "bank_name": bank.name,
            "branch_code": branch_code,
            "branch_name": branch.name,
            "account_type": parts["account_type"],
            "account_number": account_number,
            "holder": holder,
        }

    def format_non_empty(self, f: Field, value: Any, lang: str, separator: str) -> str:
        type_ja, type_en = ACCOUNT_TYPES.get(
            value["account_type"], (value["account_type"], value["account_type"])
        )
        if is_english(lang):
            return (
                f"{value['bank_name']} ({value['bank_code']}), {value['branch_name']} branch ({value['branch_code']}), "
                f"{type_en} {value['account_number']}, {value['holder']}"
            )
        return (
            f"{value['bank_name']}（{value['bank_code']}） {value['branch_name']}（{value['branch_code']}） "
            f"{type_ja} {value['account_number']} {value['holder']}"
        )

    # -- the web form: one input per part

    def raw_from_post(self, f: Field, getlist: Callable[[str], list[str]]) -> Any:
        return {part: first(getlist(f"{f.id}.{part}")) for part in BANK_PARTS}

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
        ctx["parts"] = self.parts_context(f, value, errors, lang, ctx["input_id"])

    def parts_context(
        self, f: Field, value: Any, errors: Sequence[Message], lang: str, input_id: str
    ) -> list[dict[str, Any]]:
        en = is_english(lang)
        value = value if isinstance(value, Mapping) else {}
        parts = []
        for part in BANK_PARTS:
            label_ja, label_en, hint_ja, hint_en, maxlength = _BANK_LABELS[part]
            part_id = f"{input_id}-{part.replace('_', '-')}"
            part_errors = [m.text(lang) for m in errors if m.part == part]
            hint = hint_en if en else hint_ja
            described = [f"{part_id}-hint"] if hint else []
            if part_errors:
                described.append(f"{part_id}-error")
            item: dict[str, Any] = {
                "part": part,
                "name": f"{f.id}.{part}",
                "id": part_id,
                "label": label_en if en else label_ja,
                "hint": hint,
                "hint_id": f"{part_id}-hint",
                "value": str(value.get(part) or ""),
                "errors": part_errors,
                "error_id": f"{part_id}-error",
                "describedby": " ".join(described),
                "maxlength": maxlength,
                "inputmode": "numeric" if part in ("bank_code", "branch_code", "account_number") else "",
            }
            if part == "account_type":
                item["options"] = [
                    {"value": key, "label": names[1] if en else names[0], "selected": value.get(part) == key}
                    for key, names in ACCOUNT_TYPES.items()
                ]
                item["choose_text"] = "Please choose" if en else "選択してください"
            if part in ("bank_code", "branch_code") and value.get(f"{part.split('_')[0]}_name"):
                item["resolved_name"] = str(value[f"{part.split('_')[0]}_name"])
            parts.append(item)
        return parts

    # -- the API: an object of the five parts

    def json_schema_extra(self, f: Field) -> dict[str, Any]:
        part = {"type": ["string", "null"]}
        properties: dict[str, Any] = {name: dict(part) for name in BANK_PARTS}
        properties["account_type"] = {"type": ["string", "null"], "enum": [*ACCOUNT_TYPES, None]}
        return {"properties": properties, "additionalProperties": {"type": ["string", "null"]}}

    def demo_answer(self, f: Field, demo: DemoSource) -> Any:
        return {
            "bank_code": demo.bank[0],
            "branch_code": demo.bank[1],
            "account_type": "ordinary",
            "account_number": f"{demo.rng.randint(1, 9_999_999):07d}",
            "holder": demo.name_kana,
        }

    # -- paper: digit boxes for the codes and the number, a box per account type, cells for the holder

    def print_layout(self, f: Field) -> PrintLayout:
        parts = (
            ("bank_code", PrintLayout.digit_boxes(4)),
            ("branch_code", PrintLayout.digit_boxes(3)),
            ("account_type", PrintLayout.choice_boxes(list(ACCOUNT_TYPES))),
            ("account_number", PrintLayout.digit_boxes(7)),
            ("holder", PrintLayout.character_cells(30)),
        )
        return PrintLayout(
            "group",
            rows=sum(layout.rows for _, layout in parts),
            width_mm=max(layout.width_mm for _, layout in parts),
            height_mm=sum(layout.height_mm for _, layout in parts),
            parts=parts,
        )

    def print_part_label(self, f: Field, part: str) -> tuple[str, str]:
        labels = _BANK_LABELS.get(part)
        return (labels[0], labels[1]) if labels else (part, part)

    def print_choice_label(self, f: Field, value: str, *, part: str | None = None) -> tuple[str, str]:
        if part == "account_type" and value in ACCOUNT_TYPES:
            return ACCOUNT_TYPES[value]
        return super().print_choice_label(f, value, part=part)

    def ocr_hints(self, f: Field) -> OcrHints:
        return OcrHints("any")  # read part by part (see print_layout); the parts have their own boxes

    def ocr_part_hints(self, f: Field, part: str) -> OcrHints:
        if part == "account_type":
            return OcrHints("any", checkbox=True, max_length=1)
        if part == "holder":
            return OcrHints("katakana", min_length=1, max_length=_BANK_LABELS["holder"][4])
        length = {"bank_code": 4, "branch_code": 3, "account_number": 7}.get(part)
        return OcrHints("digits", whitelist=DIGITS, min_length=1, max_length=length)
