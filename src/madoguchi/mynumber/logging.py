"""Logging filter that keeps 個人番号 (My Number) out of log files (docs/architecture.md, "Personal data and security").

Code must never log a My Number in the first place; this filter is the safety net for the cases nobody
foresaw (an exception message quoting a form value, a debug line, a third-party library). It is attached to
the handlers in settings.LOGGING, so it sees every record that reaches a log file, whichever logger wrote it:

    "filters": {"mask_my_number": {"()": "madoguchi.mynumber.logging.MyNumberMaskingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_my_number"]}},

It masks every run of 12 digits (ASCII or full-width, optionally written 4-4-4 with hyphens or spaces) whose
check digit is valid, so other numbers (13-digit 法人番号, phone numbers, case ids) stay readable.
"""

from __future__ import annotations

import logging
import re
import traceback
import unicodedata

from madoguchi.jp.checkdigit import is_valid_my_number

MASK = "●●●●●●●●●●●●"

_DIGIT = "[0-9０-９]"
_SEPARATOR = "[-‐－ 　]?"  # hyphen, full-width hyphen and minus, space, full-width space
_CANDIDATE = re.compile(
    rf"(?<![0-9０-９])({_DIGIT}{{4}}{_SEPARATOR}{_DIGIT}{{4}}{_SEPARATOR}{_DIGIT}{{4}})(?![0-9０-９])"
)


def _mask_match(match: re.Match[str]) -> str:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", match.group(1)) if ch.isdigit())
    return MASK if is_valid_my_number(digits) else match.group(0)


def mask_my_numbers(text: str) -> str:
    """`text` with every valid My Number replaced by ●●●●●●●●●●●●."""
    if not text:
        return text
    return _CANDIDATE.sub(_mask_match, text)


class MyNumberMaskingFilter(logging.Filter):
    """Rewrites a record's message, exception text and stack so that no valid My Number remains."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        masked = mask_my_numbers(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = mask_my_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_my_numbers(record.stack_info)
        return True
