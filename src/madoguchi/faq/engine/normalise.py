"""Question clean-up shared by indexing and querying: HTML, width, My Number, length, language."""

from __future__ import annotations

import html
import re
import unicodedata

MAX_QUESTION_CHARS = 1000
MAX_RAW_CHARS = 50_000  # beyond this, only the head and the tail of a message are looked at
MY_NUMBER_MASK = "［個人番号］"

_DIGIT = "[0-9０-９]"
_SEPARATOR = "[ \u3000\\-‐‑‒–—―－ー]"
# Twelve digits with at most one separator between two digits, not glued to further digits.
_MY_NUMBER_RE = re.compile(
    rf"(?<![0-9０-９])(?<![0-9０-９]{_SEPARATOR})({_DIGIT}(?:{_SEPARATOR}?{_DIGIT}){{11}})(?!{_SEPARATOR}?[0-9０-９])"
)
_MY_NUMBER_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_MASK_NFKC = unicodedata.normalize("NFKC", MY_NUMBER_MASK)

_SCRIPT_STYLE_RE = re.compile(r"<(script|style)\b[^>]*>.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"<[^<>]{0,500}>")
_CONTROL_RE = re.compile(
    r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\u061c\ufeff]"
)
_SPACE_RE = re.compile(r"[ \t\r\f\v\u3000]+")
_NEWLINES_RE = re.compile(r"\s*\n\s*")
_SENTENCE_RE = re.compile(r"[^。！？!?\n]*(?:[。！？!?\n]+|$)")
_JAPANESE_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f々〆ヵヶ]")
_KANA_KANJI_RE = re.compile(r"[\u3040-\u309f\u30a0-\u30ff\u4e00-\u9fff]")
_HIRAGANA_RE = re.compile(r"[\u3040-\u309f]")
_KANJI_RE = re.compile(r"[\u4e00-\u9fff]")

# Words that mark the sentence carrying the question in a long message (kept small and generic).
QUESTION_MARKERS = (
    "?",
    "？",
    "か。",
    "ますか",
    "ですか",
    "でしょうか",
    "ですかね",
    "教えて",
    "ください",
    "下さい",
    "たい",
    "ほしい",
    "欲しい",
    "どう",
    "どこ",
    "いつ",
    "いくら",
    "何を",
    "なにを",
    "何が",
    "ある？",
    "の？",
    "かな",
    "知りたい",
    "いいの",
    "いいですか",
    "よいですか",
    "大丈夫",
)

SUPPORTED_LANGUAGES = ("ja", "en")


def my_number_check_digit(first_eleven: str) -> int:
    """Check digit of a 個人番号 from its first 11 digits (weights 6,5,4,3,2,7,6,5,4,3,2)."""
    total = sum(int(d) * w for d, w in zip(first_eleven, _MY_NUMBER_WEIGHTS, strict=True))
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid_my_number(digits: str) -> bool:
    """True for a 12-digit string (ASCII or full-width) whose last digit is a valid 個人番号 check digit."""
    plain = unicodedata.normalize("NFKC", digits)
    if len(plain) != 12 or not plain.isascii() or not plain.isdigit():
        return False
    return my_number_check_digit(plain[:11]) == int(plain[11])


def mask_my_number(text: str) -> str:
    """Replace every 12-digit run with a valid 個人番号 check digit by ［個人番号］.

    Spaces or hyphens between the digits and full-width digits are recognised; any other
    12-digit number (wrong check digit, or part of a longer number) is left as it is.
    """
    if not text:
        return text

    def _replace(match: re.Match[str]) -> str:
        digits = re.sub(r"[^0-9０-９]", "", match.group(1))
        return MY_NUMBER_MASK if is_valid_my_number(digits) else match.group(0)

    return _MY_NUMBER_RE.sub(_replace, text)


def strip_markup(text: str) -> str:
    """Remove HTML tags and script/style content and resolve entities; the text is never rendered."""
    text = html.unescape(text)
    text = _SCRIPT_STYLE_RE.sub(" ", text)
    return _TAG_RE.sub(" ", text)


def _is_question_sentence(sentence: str) -> bool:
    return any(marker in sentence for marker in QUESTION_MARKERS)


def split_sentences(text: str) -> list[str]:
    """Split on Japanese and Latin sentence ends and line breaks, keeping the end marks."""
    return [s.strip() for s in _SENTENCE_RE.findall(text) if s.strip()]


def _keep_informative(text: str, max_chars: int) -> str:
    """Shorten a long message to max_chars, preferring question sentences and the end of the text."""
    sentences = split_sentences(text)
    ranked = sorted(
        range(len(sentences)),
        key=lambda i: (_is_question_sentence(sentences[i]), i),
        reverse=True,
    )
    chosen: list[int] = []
    budget = max_chars
    for i in ranked:
        length = len(sentences[i]) + 1
        if length <= budget:
            chosen.append(i)
            budget -= length
        if budget <= 0:
            break
    if not chosen:
        # One enormous sentence: its end is the likeliest place for the question.
        return text[-max_chars:]
    return " ".join(sentences[i] for i in sorted(chosen))


def normalise_question(text: str | None, *, max_chars: int = MAX_QUESTION_CHARS) -> str:
    """Clean a resident's question for matching and storage.

    Masks My Numbers, strips HTML, applies NFKC (full/half width), lower-cases Latin letters,
    removes control characters, collapses whitespace and caps the length, keeping the
    sentences most likely to carry the question when a long story is cut.
    """
    if not text:
        return ""
    text = str(text)
    if len(text) > MAX_RAW_CHARS:
        text = text[: MAX_RAW_CHARS // 5] + "\n" + text[-(MAX_RAW_CHARS - MAX_RAW_CHARS // 5) :]
    text = mask_my_number(text)
    text = strip_markup(text)
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL_RE.sub("", text)
    text = text.lower()
    text = _SPACE_RE.sub(" ", text)
    text = _NEWLINES_RE.sub("\n", text).strip()
    text = mask_my_number(text.replace(_MASK_NFKC, MY_NUMBER_MASK))
    if len(text) > max_chars:
        text = _keep_informative(text, max_chars)
    return text.replace("\n", " ").strip()


def contains_japanese(text: str) -> bool:
    return bool(_JAPANESE_RE.search(text))


def detect_language(text: str) -> str:
    """'ja' when Japanese script is present, otherwise 'en'."""
    return "ja" if contains_japanese(text) else "en"


def resolve_language(lang: str | None, text: str) -> str:
    """The requested language when supported, else the language detected from the text."""
    code = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in SUPPORTED_LANGUAGES else detect_language(text)


def looks_like_easy_japanese(text: str) -> bool:
    """Heuristic for やさしい日本語: mostly hiragana, few kanji, words separated by spaces."""
    letters = _KANA_KANJI_RE.findall(text)
    if len(letters) < 6:
        return False
    hiragana = len(_HIRAGANA_RE.findall(text))
    kanji = len(_KANJI_RE.findall(text))
    spaced = text.count(" ") >= 1
    return hiragana / len(letters) >= 0.7 and kanji / len(letters) <= 0.1 and spaced


STRIP_REQUESTS = True  # off only to measure the change
# A polite request ending shared by many FAQ questions ("…を教えてください。"): it says what the
# resident wants done (tell me), not what about, and makes every "…を教えてください" entry look alike.
_REQUEST_ENDING = re.compile(
    r"(?:について|を|の)?(?:教えて(?:ください|下さい|ほしい(?:です)?|欲しい(?:です)?|くれますか|いただけますか)?"
    r"|知りたい(?:です)?)[。．.？?！!\s]*$"
)


def strip_request(text: str) -> str:
    """The text without a trailing request phrase (教えてください, 知りたいです); unchanged if nothing is left."""
    if not STRIP_REQUESTS:
        return text
    stripped = _REQUEST_ENDING.sub("", text).strip()
    return stripped if len(stripped) >= 2 else text
