"""One schema drives everything: read, validate, pre-fill and display the form of a procedure.

Pure Python, no Django. The portal, the counter and the office all go through these functions:

- `raw_from_post` turns HTML form data into raw values,
- `validate` checks them (the whole form or one step) and returns normalised, JSON-ready values and
  bilingual messages per field,
- `prefill_values` maps registry data (住民記録) onto the fields that ask for it,
- `field_context` / `step_context` build the view-model of `procedures/field.html`,
- `display_rows` lays the values out for review pages, the office case detail and PDFs.

A `my_number` (個人番号) value is validated here and never shown: `field_context` never puts a value into its
input, and `format_value` shows only MY_NUMBER_MASK. Where it goes after validation is the callers' business
(`cases.services` hands it to the My Number vault).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from madoguchi.jp import banks, kana, phone, postal, wareki
from madoguchi.jp.checkdigit import is_valid_my_number
from madoguchi.jp.errors import JpValueError

from .spec import Condition, Field, ProcedureSpec, Step

# --------------------------------------------------------------------------------------------------------------
# Messages and results


def _is_english(lang: str) -> bool:
    return lang.lower().replace("_", "-").split("-")[0] == "en"


@dataclass(frozen=True)
class Message:
    """One problem with a value: a stable `code` and what to do, in Japanese and English.

    `part` names the sub-input of a composite field (bank_account: bank_code, branch_code, account_type,
    account_number, holder) so the template can show the message next to it.
    """

    code: str
    ja: str
    en: str
    part: str | None = None

    def text(self, lang: str) -> str:
        return self.en if _is_english(lang) else self.ja

    def to_json(self) -> dict[str, str]:
        data = {"code": self.code, "ja": self.ja, "en": self.en}
        if self.part:
            data["part"] = self.part
        return data


@dataclass
class Result:
    """`cleaned`: normalised values (JSON-serialisable); `errors`: messages per field id. Save only when ok.

    `suggestions` holds values to show when the form is rendered again: an empty address whose postal
    code is known gets the prefecture, city and town filled in (the address autofill without JavaScript).
    """

    cleaned: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[Message]] = field(default_factory=dict)
    suggestions: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def messages(self, lang: str) -> dict[str, list[str]]:
        return {field_id: [m.text(lang) for m in messages] for field_id, messages in self.errors.items()}


class _Invalid(Exception):
    def __init__(self, *messages: Message) -> None:
        super().__init__(messages[0].code)
        self.messages = list(messages)


def _invalid(code: str, ja: str, en: str, part: str | None = None) -> _Invalid:
    return _Invalid(Message(code, ja, en, part))


def _from_jp_error(error: JpValueError, part: str | None = None) -> Message:
    return Message(error.code, error.message_ja, error.message_en, part)


# --------------------------------------------------------------------------------------------------------------
# Files


@dataclass(frozen=True)
class UploadedFileInfo:
    """What `validate` needs to know about an upload. `content_type` is the browser's claim, not trusted."""

    name: str
    size: int
    content_type: str = ""
    head: bytes = b""  # the first bytes of the file (at least 8)


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
FILE_TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def detect_file_type(head: bytes) -> str | None:
    """The MIME type from the magic bytes at the start of a file, or None when it is none we accept."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    return None


def file_info_from_upload(upload: Any) -> UploadedFileInfo:
    """Build UploadedFileInfo from a Django UploadedFile (or anything with name, size, content_type, read, seek)."""
    head = upload.read(16)
    upload.seek(0)
    return UploadedFileInfo(
        name=str(getattr(upload, "name", "") or ""),
        size=int(upload.size),
        content_type=str(getattr(upload, "content_type", "") or ""),
        head=bytes(head),
    )


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        value = size / (1024 * 1024)
        return f"{value:.1f}".rstrip("0").rstrip(".") + " MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} B"


def _types_text(types: Iterable[str], lang: str) -> str:
    names = [FILE_TYPE_NAMES.get(t, t) for t in types]
    return ", ".join(names) if _is_english(lang) else "・".join(names)


# --------------------------------------------------------------------------------------------------------------
# Reading HTML form data

BANK_PARTS = ("bank_code", "branch_code", "account_type", "account_number", "holder")
# 預金種目 as in Zengin files: 1 普通, 2 当座, 4 貯蓄.
ACCOUNT_TYPES: Mapping[str, tuple[str, str]] = {
    "ordinary": ("普通", "Ordinary"),
    "current": ("当座", "Current"),
    "savings": ("貯蓄", "Savings"),
}


def raw_from_post(fields: Iterable[Field], getlist: Callable[[str], list[str]]) -> dict[str, Any]:
    """Raw values of `fields` from POST data (`request.POST.getlist`). File fields are not read here.

    A bank_account posts `<id>.bank_code`, `<id>.branch_code`, `<id>.account_type`, `<id>.account_number`
    and `<id>.holder`; a list-valued field (checkboxes, household members) posts `<id>` several times; a
    single checkbox posts "on" when ticked; every other field posts one text `<id>`.
    """
    raw: dict[str, Any] = {}
    for f in fields:
        if f.type == "file":
            continue
        if f.type == "bank_account":
            raw[f.id] = {part: _first(getlist(f"{f.id}.{part}")) for part in BANK_PARTS}
        elif f.is_list:
            raw[f.id] = [value for value in getlist(f.id) if value != ""]
        elif f.type == "checkbox":
            raw[f.id] = _first(getlist(f.id)) not in ("", None)
        else:
            raw[f.id] = _first(getlist(f.id))
    return raw


def _first(values: Sequence[str]) -> str:
    return values[0] if values else ""


# --------------------------------------------------------------------------------------------------------------
# Validation

# Upper bounds when a procedure sets no max_length, so that no field can carry a novel.
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 4000, "kana": 100, "address": 200}
_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_TRUE_VALUES = (True, "on", "true", "1", "yes")
_FALSE_VALUES = (None, False, "", "off", "false", "0", "no")


def validate(
    spec: ProcedureSpec,
    data: Mapping[str, Any],
    *,
    step_id: str | None = None,
    files: Mapping[str, Any] | None = None,
    household: Sequence[Mapping[str, Any]] | None = None,
    today: dt.date | None = None,
) -> Result:
    """Check `data` against the form of `spec`: every field, or only the fields of step `step_id`.

    `data` holds raw values (`raw_from_post`, merged by the caller with earlier steps' values and with
    registry values for read-only fields); `required_if` may look at any field in it. `files` maps a
    file field id to an UploadedFileInfo (or a list of them); a file field without a new upload keeps
    the metadata the server put in `data` at an earlier step. `household` lists the resident's household
    members ({"id", "name"}, from the registry) that household_member fields choose from; without it, the
    field takes names typed one per line. `today` defaults to the local date.
    """
    fields = spec.step(step_id).fields if step_id is not None else spec.fields
    context = _Context(
        spec=spec, data=data, files=files or {}, household=household, today=today or dt.date.today()
    )
    result = Result()
    for f in fields:
        raw = context.raw(f)
        if _is_empty(f, raw):
            result.cleaned[f.id] = _empty_value(f)
            message = _required_message(f, context)
            suggestion = _address_from_postal_code(f, context)
            if suggestion:
                result.suggestions[f.id] = suggestion
                if message is not None:
                    message = Message(
                        "address_autofilled",
                        f"郵便番号から「{suggestion}」を入力しました。番地・建物名などの続きを入力してください。",
                        f'We filled in "{suggestion}" from the postal code. Please add the block number and building.',
                    )
            if message is not None:
                result.errors[f.id] = [message]
            continue
        try:
            result.cleaned[f.id] = _clean(f, raw, context)
        except _Invalid as exc:
            result.errors[f.id] = exc.messages
            result.cleaned[f.id] = _empty_value(f)
    return result


@dataclass
class _Context:
    spec: ProcedureSpec | None
    data: Mapping[str, Any]
    files: Mapping[str, Any]
    household: Sequence[Mapping[str, Any]] | None
    today: dt.date

    def raw(self, f: Field) -> Any:
        if f.type == "file" and self.files.get(f.id):
            return self.files[f.id]
        return self.data.get(f.id)


def _address_from_postal_code(f: Field, context: _Context) -> str:
    """The start of an address (都道府県・市区町村・町域) from the postal code field it is filled from."""
    if f.type != "address" or not f.autofill_from:
        return ""
    code = context.data.get(f.autofill_from)
    if not isinstance(code, str) or not code.strip():
        return ""
    try:
        address = postal.lookup_postal_code(postal.normalise_postal_code(code))
    except JpValueError:
        return ""
    if address is None:
        return ""
    return f"{address.prefecture}{address.city}{address.town}"


def _is_empty(f: Field, raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return raw.strip() == ""
    if isinstance(raw, list | tuple):
        return all(_is_empty_scalar(item) for item in raw)
    if isinstance(raw, Mapping):
        if f.type == "bank_account":
            return all(_is_empty_scalar(raw.get(part)) for part in BANK_PARTS)
        return not raw
    if f.type == "checkbox" and not f.multiple:
        return raw in _FALSE_VALUES
    return False


def _is_empty_scalar(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _empty_value(f: Field) -> Any:
    if f.is_list:
        return []
    if f.type == "checkbox":
        return False
    return None


def _required_message(f: Field, context: _Context) -> Message | None:
    if f.required:
        ja, en = _required_texts(f)
        return Message("required", ja, en)
    if (
        f.required_if is not None
        and context.spec is not None
        and condition_met(context.spec, f.required_if, context.data, files=context.files)
    ):
        ja, en = _required_texts(f)
        when_ja, when_en = condition_texts(context.spec, f.required_if)
        return Message(
            "required_if",
            f"{when_ja}は必須です。{ja.removeprefix('必須項目です。')}",
            f"{when_en}, {en[0].lower()}{en[1:]}",
        )
    return None


def _required_texts(f: Field) -> tuple[str, str]:
    if f.type in ("select", "radio"):
        return "必須項目です。選択してください。", "This field is required. Please choose an option."
    if f.type == "checkbox" and not f.multiple:
        return (
            "必須項目です。内容を確認して、チェックを入れてください。",
            "This box is required. Please read it and tick it.",
        )
    if f.type in ("checkbox", "household_member"):
        return (
            "必須項目です。1つ以上選択してください。",
            "This field is required. Please choose at least one.",
        )
    if f.type == "file":
        return "必須項目です。ファイルを添付してください。", "This field is required. Please attach a file."
    return "必須項目です。入力してください。", "This field is required. Please fill it in."


def condition_met(
    spec: ProcedureSpec,
    condition: Condition,
    data: Mapping[str, Any],
    *,
    files: Mapping[str, Any] | None = None,
) -> bool:
    """Whether a `required_if` condition holds for `data` (raw or cleaned values)."""
    try:
        target = spec.field(condition.field)
    except KeyError:
        return False
    raw = data.get(target.id)
    if target.type == "file" and files and files.get(target.id):
        raw = files[target.id]
    if condition.operator == "filled":
        return (not _is_empty(target, raw)) is condition.value
    values = _comparable(target, raw)
    wanted = condition.value if condition.operator == "in" else (condition.value,)
    return any(_same(value, want) for value in values for want in wanted)


def _comparable(f: Field, raw: Any) -> list[Any]:
    if f.type == "checkbox" and not f.multiple:
        return [raw in _TRUE_VALUES]
    if isinstance(raw, list | tuple):
        return [item.get("id") if isinstance(item, Mapping) else item for item in raw]
    if isinstance(raw, str):
        return [raw.strip()]
    return [raw]


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(value, bool):
        return value is wanted
    if isinstance(wanted, int) and isinstance(value, str):
        try:
            return _parse_int(value) == wanted
        except ValueError:
            return False
    return value == wanted


def condition_texts(spec: ProcedureSpec, condition: Condition) -> tuple[str, str]:
    """「使用目的」で「その他」を選んだ場合 / If "Purpose" is "Other": when a required_if applies, in words."""
    try:
        target = spec.field(condition.field)
    except KeyError:
        return "条件により", "In this case"
    label_ja, label_en = target.label.ja, target.label.en
    if condition.operator == "filled":
        if condition.value:
            return f"「{label_ja}」を入力した場合", f'If "{label_en}" is filled in'
        return f"「{label_ja}」が空欄の場合", f'If "{label_en}" is left empty'
    wanted = condition.value if condition.operator == "in" else (condition.value,)
    if target.type == "checkbox" and not target.multiple:
        if wanted == (True,):
            return f"「{label_ja}」にチェックを入れた場合", f'If "{label_en}" is ticked'
        return f"「{label_ja}」にチェックを入れていない場合", f'If "{label_en}" is not ticked'
    names_ja, names_en = [], []
    for value in wanted:
        option = target.option(str(value)) if isinstance(value, str) else None
        names_ja.append(f"「{option.label.ja}」" if option else f"「{value}」")
        names_en.append(f'"{option.label.en}"' if option else f'"{value}"')
    verb_ja = "を選んだ場合" if target.options else "の場合"
    return (
        f"「{label_ja}」で{'または'.join(names_ja)}{verb_ja}",
        f'If "{label_en}" is {" or ".join(names_en)}',
    )


def _clean(f: Field, raw: Any, context: _Context) -> Any:
    cleaner = _CLEANERS[f.type]
    return cleaner(f, raw, context)


def _as_text(raw: Any) -> str:
    if isinstance(raw, (bool, list | tuple | Mapping)):
        raise _invalid(
            "invalid",
            "入力の形式が正しくありません。入力し直してください。",
            "This value has the wrong form. Please enter it again.",
        )
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw)


def _check_characters(value: str, *, multiline: bool = False) -> None:
    allowed = "\n\t" if multiline else ""
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in allowed:
            raise _invalid(
                "invalid_characters",
                "使用できない文字が含まれています。その文字を削除してから入力し直してください。",
                "This contains characters that cannot be used. Please remove them and try again.",
            )


def _check_length(f: Field, value: str) -> None:
    limit = f.max_length or DEFAULT_MAX_LENGTH.get(f.type, 200)
    if len(value) > limit:
        raise _invalid(
            "too_long",
            f"{limit}文字以内で入力してください（現在{len(value)}文字です）。",
            f"Please use at most {limit} characters (you entered {len(value)}).",
        )


def _clean_text(f: Field, raw: Any, context: _Context) -> str:
    value = _as_text(raw)
    multiline = f.type == "textarea"
    value = value.replace("\r\n", "\n").replace("\r", "\n") if multiline else " ".join(value.splitlines())
    value = value.strip().strip("\u3000").strip()
    _check_characters(value, multiline=multiline)
    if f.pattern:
        value = unicodedata.normalize("NFKC", value)
        if not re.fullmatch(f.pattern, value):
            assert f.pattern_message is not None
            raise _invalid("pattern", f.pattern_message.ja, f.pattern_message.en)
    _check_length(f, value)
    return value


def _clean_kana(f: Field, raw: Any, context: _Context) -> str:
    value = _clean_text(f, raw, context)
    converted = kana.to_katakana(value)
    if not kana.is_katakana(converted):
        raise _invalid(
            "not_katakana",
            "フリガナはカタカナで入力してください（ひらがなで入力するとカタカナに変換します）。漢字や英字は使えません。",
            "Please write this in katakana (hiragana is converted for you). Kanji and Latin letters cannot be used.",
        )
    _check_length(f, converted)
    return converted


def _date_bound(value: str | None, today: dt.date) -> dt.date | None:
    if value is None:
        return None
    return today if value == "today" else dt.date.fromisoformat(value)


def _clean_date(f: Field, raw: Any, context: _Context) -> str:
    text = _as_text(raw)
    try:
        value = wareki.parse_date(text)
    except JpValueError as exc:
        raise _Invalid(_from_jp_error(exc)) from exc
    earliest = _date_bound(f.min_date, context.today)
    latest = _date_bound(f.max_date, context.today)
    if latest is not None and value > latest:
        if f.max_date == "today":
            raise _invalid(
                "date_in_future",
                "未来の日付は入力できません。今日以前の日付を入力してください。",
                "This date cannot be in the future. Please enter today's date or an earlier one.",
            )
        raise _invalid(
            "date_too_late",
            f"{wareki.format_date(latest, 'ja')}以前の日付を入力してください。",
            f"Please enter a date on or before {latest.isoformat()}.",
        )
    if earliest is not None and value < earliest:
        if f.min_date == "today":
            raise _invalid(
                "date_in_past",
                "過去の日付は入力できません。今日以降の日付を入力してください。",
                "This date cannot be in the past. Please enter today's date or a later one.",
            )
        raise _invalid(
            "date_too_early",
            f"{wareki.format_date(earliest, 'ja')}以降の日付を入力してください。",
            f"Please enter a date on or after {earliest.isoformat()}.",
        )
    return value.isoformat()


def _clean_postal_code(f: Field, raw: Any, context: _Context) -> str:
    try:
        code = postal.normalise_postal_code(_as_text(raw))
    except JpValueError as exc:
        raise _Invalid(_from_jp_error(exc)) from exc
    if postal.lookup_postal_code(code) is None:
        raise _invalid(
            "postal_code_unknown",
            "この郵便番号は見つかりませんでした。番号をもう一度確認して入力してください。",
            "We could not find this postal code. Please check the number and enter it again.",
        )
    return code


def _clean_phone(f: Field, raw: Any, context: _Context) -> str:
    try:
        return phone.normalise_phone(_as_text(raw))
    except JpValueError as exc:
        raise _Invalid(_from_jp_error(exc)) from exc


def _clean_email(f: Field, raw: Any, context: _Context) -> str:
    value = unicodedata.normalize("NFKC", _as_text(raw)).strip()
    if len(value) > 254 or not _EMAIL_RE.match(value):
        raise _invalid(
            "invalid_email",
            "メールアドレスの形式が正しくありません。「example@city.example.jp」のように半角で入力してください。",
            "This email address is not valid. Please enter it like example@city.example.jp.",
        )
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _parse_int(text: str, *, money: bool = False) -> int:
    value = unicodedata.normalize("NFKC", text).strip()
    if money:
        value = value.removeprefix("¥").removesuffix("円").strip()
    value = value.replace(",", "")
    if not value.isascii() or not value.isdigit() or len(value) > 15:
        raise ValueError(text)
    return int(value)


def _check_range(f: Field, number: int, unit_ja: str, unit_en: str) -> None:
    low, high = f.min, f.max
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            ja = f"{low:,}{unit_ja}から{high:,}{unit_ja}までの範囲で入力してください。"
            en = f"Please enter a number from {low:,} to {high:,}{unit_en}."
        elif low is not None:
            ja = f"{low:,}{unit_ja}以上で入力してください。"
            en = f"Please enter {low:,}{unit_en} or more."
        else:
            ja = f"{high:,}{unit_ja}以下で入力してください。"
            en = f"Please enter {high:,}{unit_en} or less."
        raise _invalid("out_of_range", ja, en)


def _clean_number(f: Field, raw: Any, context: _Context) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    else:
        try:
            number = _parse_int(_as_text(raw))
        except ValueError:
            raise _invalid(
                "not_a_number",
                "数字（0以上の整数）で入力してください（例：2）。",
                "Please enter a whole number (0 or more), e.g. 2.",
            ) from None
    unit_ja = f.unit.ja if f.unit else ""
    unit_en = f" {f.unit.en}" if f.unit else ""
    _check_range(f, number, unit_ja, unit_en)
    return number


def _clean_money(f: Field, raw: Any, context: _Context) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        amount = raw
    else:
        try:
            amount = _parse_int(_as_text(raw), money=True)
        except ValueError:
            raise _invalid(
                "not_an_amount",
                "金額は円単位の数字で入力してください（例：12000 または 12,000）。",
                "Please enter the amount in yen as a whole number, e.g. 12000 or 12,000.",
            ) from None
    _check_range(f, amount, "円", " yen")
    return amount


def _not_an_option() -> _Invalid:
    return _invalid(
        "invalid_choice",
        "選択肢の中から選んでください。",
        "Please choose one of the options shown.",
    )


def _clean_choice(f: Field, raw: Any, context: _Context) -> str:
    value = _as_text(raw).strip()
    if f.option(value) is None:
        raise _not_an_option()
    return value


def _clean_checkbox(f: Field, raw: Any, context: _Context) -> bool | list[str]:
    if not f.multiple:
        if raw in _TRUE_VALUES:
            return True
        if raw in _FALSE_VALUES:
            return False
        raise _not_an_option()
    values = _as_list(raw)
    if any(isinstance(v, list | tuple | Mapping | bool) for v in values):
        raise _not_an_option()
    chosen = {str(v) for v in values if not _is_empty_scalar(v)}
    known = [o.value for o in f.options]
    if not chosen.issubset(known):
        raise _not_an_option()
    return [value for value in known if value in chosen]  # the options' order, no repeats


def _clean_household_member(f: Field, raw: Any, context: _Context) -> Any:
    values = _as_list(raw)
    if context.household is not None:
        members = {str(m["id"]): m for m in context.household}
        chosen: list[dict[str, Any]] = []
        for value in values:
            if _is_empty_scalar(value):
                continue
            member_id = str(value.get("id") if isinstance(value, Mapping) else value).strip()
            if member_id not in members:
                raise _invalid(
                    "not_a_household_member",
                    "世帯の方の一覧から選んでください。",
                    "Please choose from the members of your household shown.",
                )
            if all(c["id"] != member_id for c in chosen):
                chosen.append({"id": member_id, "name": str(members[member_id]["name"])})
    else:
        # Not linked to the registry: the resident types the names, one per line.
        chosen = []
        for value in values:
            text = str(value.get("name", "")) if isinstance(value, Mapping) else _as_text(value)
            _check_characters(text, multiline=True)
            for line in text.splitlines():
                name = line.strip().strip("\u3000").strip()
                if not name:
                    continue
                if len(name) > 50:
                    raise _invalid(
                        "too_long",
                        "氏名は1行に1人ずつ、50文字以内で入力してください。",
                        "Please enter one name per line, at most 50 characters each.",
                    )
                chosen.append({"id": None, "name": name})
        if len(chosen) > 20:
            raise _invalid("too_many", "20人以内で入力してください。", "Please enter at most 20 people.")
    if not f.multiple and len(chosen) > 1:
        raise _invalid("choose_one", "1人だけ選んでください。", "Please choose only one person.")
    if not chosen:
        raise _invalid("required", *_required_texts(f))
    return chosen if f.multiple else chosen[0]


def _as_list(raw: Any) -> list[Any]:
    return list(raw) if isinstance(raw, list | tuple) else [raw]


def _clean_bank_account(f: Field, raw: Any, context: _Context) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise _invalid(
            "invalid", "口座情報を入力し直してください。", "Please enter the bank account details again."
        )
    parts = {part: _as_text(raw.get(part) or "").strip() for part in BANK_PARTS}
    messages: list[Message] = []
    missing = {
        "bank_code": ("金融機関コード", "bank code"),
        "branch_code": ("支店コード", "branch code"),
        "account_type": ("預金種目", "account type"),
        "account_number": ("口座番号", "account number"),
        "holder": ("口座名義（カナ）", "account holder name (katakana)"),
    }
    for part, (name_ja, name_en) in missing.items():
        if not parts[part]:
            messages.append(
                Message("required", f"{name_ja}を入力してください。", f"Please enter the {name_en}.", part)
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
            messages.append(_from_jp_error(exc, "account_number"))
    holder = ""
    if parts["holder"]:
        try:
            holder = banks.normalise_account_holder(parts["holder"])
        except JpValueError as exc:
            messages.append(_from_jp_error(exc, "holder"))
    if messages:
        raise _Invalid(*messages)
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


def _digits(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("-", "").replace(" ", "")


MY_NUMBER_MASK = "●●●● ●●●● ●●●●"  # the only way a 個人番号 is displayed (as mynumber.selectors.MASK)
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
# Separators people type between the groups of a 個人番号 (hyphens, dashes, the IME's ー, spaces). Not NFKC:
# it would also read ① or ² as digits.
_MY_NUMBER_SEPARATORS = frozenset("-‐‑‒–—―−－ー─━ｰ \u3000\t")


def _clean_my_number(f: Field, raw: Any, context: _Context) -> str:
    """12 ASCII digits with a valid check digit. No message repeats what was typed."""
    text = _as_text(raw).translate(_FULL_WIDTH_DIGITS)
    digits = "".join(ch for ch in text if ch not in _MY_NUMBER_SEPARATORS)
    if not (digits.isascii() and digits.isdigit()):
        raise _invalid(
            "my_number_not_digits",
            "個人番号は12桁の数字で入力してください。数字のほかに使えるのはハイフンと空白だけです。",
            "Please enter your My Number as 12 digits. Only hyphens and spaces may be used between them.",
        )
    if len(digits) != 12:
        raise _invalid(
            "my_number_length",
            f"個人番号は12桁です（入力された数字は{len(digits)}桁です）。マイナンバーカードの裏面などで番号を確認して、"
            "入力し直してください。",
            f"A My Number has 12 digits (you entered {len(digits)}). Please check the number, for example on the "
            "back of your My Number Card, and enter it again.",
        )
    if not is_valid_my_number(digits):
        raise _invalid(
            "my_number_check_digit",
            "個人番号の最後の1桁（検査用数字）が合いません。入力の誤りがないか、マイナンバーカードの裏面などで番号を"
            "確認して、入力し直してください。",
            "The last digit (the check digit) of this My Number does not match. Please check the number, for "
            "example on the back of your My Number Card, and enter it again.",
        )
    return digits


def _clean_file(f: Field, raw: Any, context: _Context) -> Any:
    items = _as_list(raw)
    limit = f.max_files if f.multiple else 1
    if limit is not None and len(items) > limit:
        raise _invalid(
            "too_many_files",
            f"添付できるファイルは{limit}個までです。{limit}個以内にしてください。",
            f"You can attach at most {limit} file{'s' if limit != 1 else ''}. Please remove some.",
        )
    max_bytes = f.max_bytes or 0
    types_ja, types_en = _types_text(f.accept, "ja"), _types_text(f.accept, "en")
    cleaned = []
    for item in items:
        if isinstance(item, UploadedFileInfo):
            detected = detect_file_type(item.head)
            name, size = item.name, item.size
        elif isinstance(item, Mapping) and {"name", "size", "content_type"} <= set(item):
            # Metadata the server kept from an earlier step (never from the POST body).
            detected, name, size = str(item["content_type"]), str(item["name"]), int(item["size"])
        else:
            raise _invalid("invalid", "ファイルを添付し直してください。", "Please attach the file again.")
        if detected is None or detected not in f.accept:
            raise _invalid(
                "file_type",
                f"「{name}」は添付できない形式です。{types_ja}のファイルを添付してください。",
                f'"{name}" is not a file type we accept. Please attach a {types_en} file.',
            )
        if size <= 0:
            raise _invalid(
                "file_empty",
                f"「{name}」は空のファイルです。",
                f'"{name}" is empty. Please attach the right file.',
            )
        if size > max_bytes:
            raise _invalid(
                "file_too_large",
                f"「{name}」は大きすぎます（{_size_text(size)}）。{_size_text(max_bytes)}以下の{types_ja}ファイルを添付してください。",
                f'"{name}" is too large ({_size_text(size)}). Please attach a {types_en} file of at most {_size_text(max_bytes)}.',
            )
        cleaned.append({"name": _safe_file_name(name), "size": size, "content_type": detected})
    return cleaned if f.multiple else cleaned[0]


def _safe_file_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:200] or "file"


_CLEANERS: Mapping[str, Callable[[Field, Any, _Context], Any]] = {
    "text": _clean_text,
    "textarea": _clean_text,
    "address": _clean_text,
    "kana": _clean_kana,
    "date": _clean_date,
    "postal_code": _clean_postal_code,
    "phone": _clean_phone,
    "email": _clean_email,
    "number": _clean_number,
    "money": _clean_money,
    "select": _clean_choice,
    "radio": _clean_choice,
    "checkbox": _clean_checkbox,
    "household_member": _clean_household_member,
    "bank_account": _clean_bank_account,
    "file": _clean_file,
    "my_number": _clean_my_number,
}


# --------------------------------------------------------------------------------------------------------------
# Pre-fill from the registry


def prefill_values(spec: ProcedureSpec, registry: Mapping[str, Any]) -> dict[str, Any]:
    """Values for the fields with a `prefill` key, from a plain dict the caller builds from the registry.

    `registry` may be flat ({"person.name": ...}) or nested ({"person": {"name": ...}}). Dates become ISO
    text. household_member fields take their choices from `household_members(registry)`, not from here.
    """
    values: dict[str, Any] = {}
    for f in spec.fields:
        if f.prefill is None or f.type == "household_member":
            continue
        value = _registry_value(registry, f.prefill)
        if value is None or value == "":
            continue
        if isinstance(value, dt.datetime):
            value = value.date()
        values[f.id] = value.isoformat() if isinstance(value, dt.date) else value
    return values


def household_members(registry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The household members ({"id", "name", ...}) in a registry dict, for `household=` arguments."""
    members = _registry_value(registry, "household.members") or []
    return [dict(m) for m in members]


def _registry_value(registry: Mapping[str, Any], key: str) -> Any:
    if key in registry:
        return registry[key]
    node: Any = registry
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


# --------------------------------------------------------------------------------------------------------------
# Display


@dataclass(frozen=True)
class DisplaySection:
    """One step of a filled-in form for review pages, the office and PDFs: rows of (label, text)."""

    title: str
    rows: tuple[tuple[str, str], ...]
    step_id: str = ""


def display_rows(spec: ProcedureSpec, cleaned: Mapping[str, Any], lang: str) -> list[DisplaySection]:
    """The cleaned values of every step, formatted for people in `lang`."""
    sections = []
    for step in spec.steps:
        rows = tuple((f.label.get(lang), format_value(f, cleaned.get(f.id), lang)) for f in step.fields)
        sections.append(DisplaySection(title=step.title.get(lang), rows=rows, step_id=step.id))
    return sections


def format_value(f: Field, value: Any, lang: str) -> str:
    """One cleaned value as text: 和暦 dates, option labels, ¥ amounts, summarised bank accounts."""
    en = _is_english(lang)
    if f.type == "my_number":  # whatever is stored (the vault's marker, or digits before submission)
        return MY_NUMBER_MASK if value else ("(not entered)" if en else "（未入力）")
    if f.type == "checkbox" and not f.multiple:
        if value is True:
            return "Yes" if en else "はい"
        return "No" if en else "いいえ"
    if value is None or value == "" or value == [] or value == {}:
        return "(not entered)" if en else "（未入力）"
    separator = ", " if en else "、"
    try:
        return _format_non_empty(f, value, lang, separator)
    except (TypeError, ValueError, KeyError, AttributeError):
        return str(value)


def _format_non_empty(f: Field, value: Any, lang: str, separator: str) -> str:
    en = _is_english(lang)
    if f.type == "date":
        day = dt.date.fromisoformat(str(value))
        return day.isoformat() if en else wareki.format_date(day, "ja")
    if f.type in ("select", "radio"):
        option = f.option(str(value))
        return option.label.get(lang) if option else str(value)
    if f.type == "checkbox":
        labels = [(f.option(v).label.get(lang) if f.option(v) else str(v)) for v in value]
        return separator.join(labels)
    if f.type == "money":
        return f"¥{int(value):,}"
    if f.type == "number":
        unit = f.unit.get(lang) if f.unit else ""
        return f"{int(value):,} {unit}".strip() if en else f"{int(value):,}{unit}"
    if f.type == "postal_code":
        code = str(value)
        return f"〒{code[:3]}-{code[3:]}" if len(code) == 7 else code
    if f.type == "household_member":
        members = value if isinstance(value, list) else [value]
        return separator.join(str(m["name"]) if isinstance(m, Mapping) else str(m) for m in members)
    if f.type == "bank_account":
        type_ja, type_en = ACCOUNT_TYPES.get(
            value["account_type"], (value["account_type"], value["account_type"])
        )
        if en:
            return (
                f"{value['bank_name']} ({value['bank_code']}), {value['branch_name']} branch ({value['branch_code']}), "
                f"{type_en} {value['account_number']}, {value['holder']}"
            )
        return (
            f"{value['bank_name']}（{value['bank_code']}） {value['branch_name']}（{value['branch_code']}） "
            f"{type_ja} {value['account_number']} {value['holder']}"
        )
    if f.type == "file":
        items = value if isinstance(value, list) else [value]
        return separator.join(f"{item['name']} ({_size_text(int(item['size']))})" for item in items)
    return str(value)


# --------------------------------------------------------------------------------------------------------------
# Template view-model

POSTAL_CODE_API = "/api/v1/postal-codes/"

_INPUT_ATTRIBUTES: Mapping[str, tuple[str, str, str]] = {
    # type: (input type, inputmode, autocomplete)
    "text": ("text", "", ""),
    "kana": ("text", "", ""),
    "date": ("text", "", ""),
    "postal_code": ("text", "numeric", "postal-code"),
    "address": ("text", "", "street-address"),
    "phone": ("tel", "tel", "tel"),
    "email": ("email", "email", "email"),
    "number": ("text", "numeric", "off"),
    "money": ("text", "numeric", "off"),
    "my_number": ("text", "numeric", "off"),
}
_PREFILL_AUTOCOMPLETE = {"person.name": "name", "person.birth_date": "bday"}
_TEMPLATES = {
    "textarea": "textarea",
    "select": "select",
    "radio": "choices",
    "household_member": "household_member",
    "bank_account": "bank_account",
    "file": "file",
}
_EXAMPLES: Mapping[str, tuple[str, str]] = {
    "date": ("例：令和6年4月1日、R6.4.1、2024-04-01", "e.g. 2024-04-01, 令和6年4月1日 or R6.4.1"),
    "postal_code": ("例：1234567（ハイフンなしでも可）", "e.g. 123-4567"),
    "phone": ("例：0312345678 または 03-1234-5678", "e.g. 03-1234-5678"),
    "email": ("例：midori@example.jp", "e.g. midori@example.jp"),
    "money": ("円単位で入力（例：12000）", "In yen, e.g. 12000"),
    "my_number": (
        "12桁の数字（ハイフンや空白はあってもなくても構いません）",
        "12 digits (with or without hyphens and spaces)",
    ),
}


def field_context(
    f: Field,
    value: Any,
    errors: Sequence[Message] | None,
    lang: str,
    *,
    spec: ProcedureSpec | None = None,
    readonly: bool = False,
    household: Sequence[Mapping[str, Any]] | None = None,
    autofill_url: str = POSTAL_CODE_API,
    prefix: str = "f-",
) -> dict[str, Any]:
    """The view-model `procedures/field.html` renders for one field.

    `value` is what to show: a raw value from POST, a cleaned value from an earlier step, a registry value,
    or None for a fresh form (then the field's `default` is used). `readonly` shows the value as text
    marked 「住民記録より」 with no input (the server re-reads the registry instead); an empty value is shown
    as a normal input, since there is nothing to show. Pass `spec` so that
    conditional requirements can be worded and a postal code can find the address it fills.
    """
    en = _is_english(lang)
    errors = list(errors or [])
    input_id = f"{prefix}{f.id}"
    if f.type == "my_number":  # never pre-filled, never echoed back into the page (not even after an error)
        value, readonly = None, False
    readonly = readonly and not _is_empty(f, value)  # nothing in the register: let the resident type it
    if value is None and f.default is not None:
        value = list(f.default) if isinstance(f.default, tuple) else f.default
    ctx: dict[str, Any] = {
        "id": f.id,
        "name": f.id,
        "type": f.type,
        "lang": lang,
        "input_id": input_id,
        "label": f.label.get(lang),
        "help": f.help.get(lang) if f.help else "",
        "help_id": f"{input_id}-help",
        "example": _EXAMPLES[f.type][1 if en else 0] if f.type in _EXAMPLES else "",
        "example_id": f"{input_id}-example",
        "error_id": f"{input_id}-error",
        "errors": [m.text(lang) for m in errors if not m.part],
        "invalid": bool(errors),
        "required": f.required,
        "required_text": "Required" if en else "必須",
        "optional_text": "Optional" if en else "任意",
        "required_if_text": "",
        "readonly": readonly,
        "source_text": "From the resident register" if en else "住民記録より",
        "error_prefix": "Error: " if en else "エラー：",
        "is_group": f.is_group,
        "multiple": f.multiple,
        "template": f"procedures/fields/{_TEMPLATES.get(f.type, 'input')}.html",
    }
    if f.type == "checkbox":
        ctx["template"] = (
            "procedures/fields/choices.html" if f.multiple else "procedures/fields/checkbox.html"
        )
    if f.required_if is not None and spec is not None:
        when_ja, when_en = condition_texts(spec, f.required_if)
        ctx["required_if_text"] = f"{when_en}, this is required." if en else f"{when_ja}は必須"
    if readonly:
        ctx["template"] = "procedures/fields/readonly.html"
        ctx["display"] = _readonly_display(f, value, lang, household)
        return ctx

    described = [ctx["help_id"]] if ctx["help"] else []
    if ctx["example"]:
        described.append(ctx["example_id"])
    if ctx["errors"]:
        described.append(ctx["error_id"])
    ctx["describedby"] = " ".join(described)

    input_type, inputmode, autocomplete = _INPUT_ATTRIBUTES.get(f.type, ("text", "", ""))
    ctx["input_type"] = input_type
    ctx["inputmode"] = inputmode
    ctx["autocomplete"] = f.autocomplete or _PREFILL_AUTOCOMPLETE.get(f.prefill or "", "") or autocomplete
    ctx["maxlength"] = f.max_length or DEFAULT_MAX_LENGTH.get(f.type, "")
    if f.type in ("postal_code",):
        ctx["maxlength"] = 8
    if f.type == "my_number":
        ctx["autocomplete"] = "off"
        ctx["maxlength"] = 20  # 12 digits and the separators people type between the groups
    ctx["unit"] = f.unit.get(lang) if f.unit else ("円" if f.type == "money" and not en else "")
    ctx["value"] = _text_value(f, value)

    if f.type == "postal_code" and spec is not None:
        target = next((g for g in spec.fields if g.type == "address" and g.autofill_from == f.id), None)
        if target is not None:
            ctx["autofill_target"] = f"{prefix}{target.id}"
            ctx["autofill_url"] = autofill_url
            ctx["autofill_status_id"] = f"{input_id}-status"
            ctx["autofill_done_text"] = (
                "The address was filled in from the postal code. Please add the rest."
                if en
                else "郵便番号から住所を入力しました。続きの番地などを入力してください。"
            )
    if f.type in ("select", "radio", "checkbox") and f.options:
        selected = set(_selected_values(value))
        ctx["options"] = [
            {
                "value": o.value,
                "label": o.label.get(lang),
                "id": f"{input_id}-{index}",
                "checked": o.value in selected,
            }
            for index, o in enumerate(f.options)
        ]
        ctx["input_kind"] = "radio" if f.type == "radio" else "checkbox"
        ctx["choose_text"] = "Please choose" if en else "選択してください"
    elif f.type == "checkbox":
        ctx["checked"] = value in _TRUE_VALUES
    if f.type == "household_member":
        ctx.update(_household_context(f, value, lang, household, input_id))
    if f.type == "bank_account":
        ctx["parts"] = _bank_parts(f, value, errors, lang, input_id)
    if f.type == "file":
        ctx["accept"] = ",".join(f.accept)
        size = _size_text(f.max_bytes or 0)
        types = _types_text(f.accept, lang)
        count = f"up to {f.max_files} files, " if en and f.multiple and f.max_files else ""
        count_ja = f"{f.max_files}個まで、" if not en and f.multiple and f.max_files else ""
        ctx["constraints_text"] = (
            f"{types}; {count}at most {size} each" if en else f"{types}（{count_ja}1ファイル{size}まで）"
        )
        ctx["constraints_id"] = f"{input_id}-constraints"
        ctx["describedby"] = " ".join([ctx["constraints_id"], *described])
        ctx["current_files"] = _current_files(value)
        ctx["current_text"] = "Attached:" if en else "添付済み："
    return ctx


def _text_value(f: Field, value: Any) -> str:
    if value is None or isinstance(value, list | tuple | Mapping | bool):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _selected_values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [str(v.get("id")) if isinstance(v, Mapping) else str(v) for v in value]
    return [str(value)]


def _household_context(
    f: Field, value: Any, lang: str, household: Sequence[Mapping[str, Any]] | None, input_id: str
) -> dict[str, Any]:
    en = _is_english(lang)
    if household is None:
        names = []
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, Mapping):
                names.append(str(item.get("name", "")))
            elif item:
                names.append(str(item))
        return {
            "members": None,
            "value": "\n".join(names),
            "names_hint": "Enter one name per line." if en else "1行に1人ずつ氏名を入力してください。",
        }
    selected = set(_selected_values(value))
    return {
        "members": [
            {
                "value": str(m["id"]),
                "label": str(m["name"])
                + (f"（{m['relationship']}）" if m.get("relationship") and not en else ""),
                "id": f"{input_id}-{index}",
                "checked": str(m["id"]) in selected,
            }
            for index, m in enumerate(household)
        ],
        "input_kind": "checkbox" if f.multiple else "radio",
        "no_members_text": "No household members are registered." if en else "世帯員の情報がありません。",
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


def _bank_parts(
    f: Field, value: Any, errors: Sequence[Message], lang: str, input_id: str
) -> list[dict[str, Any]]:
    en = _is_english(lang)
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


def _current_files(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list | tuple) else [value]
    return [
        {"name": str(item["name"]), "size": _size_text(int(item["size"]))}
        for item in items
        if isinstance(item, Mapping) and "name" in item and "size" in item
    ]


def _readonly_display(f: Field, value: Any, lang: str, household: Sequence[Mapping[str, Any]] | None) -> str:
    try:
        cleaned = (
            _clean(f, value, _Context(None, {}, {}, household, dt.date.today()))
            if not _is_empty(f, value)
            else _empty_value(f)
        )
    except _Invalid:
        return _text_value(f, value) or format_value(f, None, lang)
    return format_value(f, cleaned, lang)


def step_context(
    spec: ProcedureSpec,
    step_id: str,
    values: Mapping[str, Any],
    errors: Mapping[str, Sequence[Message]],
    lang: str,
    *,
    readonly: Iterable[str] = (),
    household: Sequence[Mapping[str, Any]] | None = None,
    autofill_url: str = POSTAL_CODE_API,
) -> dict[str, Any]:
    """The view-model of one step: its title, description and the `field_context` of each field."""
    step: Step = spec.step(step_id)
    readonly = set(readonly)
    return {
        "id": step.id,
        "title": step.title.get(lang),
        "description": step.description.get(lang) if step.description else "",
        "has_files": any(f.type == "file" for f in step.fields),
        "fields": [
            field_context(
                f,
                values.get(f.id),
                errors.get(f.id),
                lang,
                spec=spec,
                readonly=f.id in readonly,
                household=household,
                autofill_url=autofill_url,
            )
            for f in step.fields
        ],
    }
