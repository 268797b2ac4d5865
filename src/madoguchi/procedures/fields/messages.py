"""Bilingual messages about one value, and the exception a field type's `clean` raises with them."""

from __future__ import annotations

from dataclasses import dataclass

from madoguchi.jp.errors import JpValueError, is_english


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
        return self.en if is_english(lang) else self.ja

    def to_json(self) -> dict[str, str]:
        data = {"code": self.code, "ja": self.ja, "en": self.en}
        if self.part:
            data["part"] = self.part
        return data


class Invalid(Exception):
    """Raised by `FieldType.clean`: the value is refused, for the reasons in `messages`."""

    def __init__(self, *messages: Message) -> None:
        super().__init__(messages[0].code)
        self.messages = list(messages)


def invalid(code: str, ja: str, en: str, part: str | None = None) -> Invalid:
    return Invalid(Message(code, ja, en, part))


def from_jp_error(error: JpValueError, part: str | None = None) -> Message:
    return Message(error.code, error.message_ja, error.message_en, part)
