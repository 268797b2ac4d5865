"""The one shape of an error a person can act on: a stable `code`, and what to do in Japanese and English.

Every expected failure of Madoguchi (a refused transition, a rejected upload, a bad 和暦 date, a refused
sign-in …) derives from `MadoguchiError`, so views, commands and the API read it the same way:
`exc.code` for programs, `exc.message(lang)` for people, `exc.field` when one input is at fault, and
`http_status` as a hint for the API (api/errors.py decides the answer).

Pure Python: the engines that import nothing from Django (`madoguchi.jp`, `cases.rendering`) raise these too.
"""

from __future__ import annotations

from typing import ClassVar


def is_english(lang: str) -> bool:
    """True for English language tags (``en``, ``en-GB``, ``en_US``); everything else is Japanese."""
    return lang.lower().replace("_", "-").split("-")[0] == "en"


class MadoguchiError(Exception):
    """An expected failure: `code` for programs, `ja` / `en` say what went wrong and what to do.

    `field` names the input at fault ("" for none). `http_status` is the status the API answers with when
    nothing more specific applies. `str()` of the error is `str_format` filled in with code, ja and en
    (English by default; a subclass may keep another form its logs rely on).
    """

    http_status: ClassVar[int | None] = None
    str_format: ClassVar[str] = "{en}"

    def __init__(self, code: str, ja: str, en: str, *, field: str = "") -> None:
        super().__init__(self.str_format.format(code=code, ja=ja, en=en))
        self.code = code
        self.ja = ja
        self.en = en
        self.field = field

    @property
    def message_ja(self) -> str:
        return self.ja

    @property
    def message_en(self) -> str:
        return self.en

    def message(self, lang: str = "ja") -> str:
        """The message in `lang`: English for any ``en`` tag (``en``, ``en-us``), Japanese otherwise."""
        return self.en if is_english(lang) else self.ja

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message_en={self.en!r})"
