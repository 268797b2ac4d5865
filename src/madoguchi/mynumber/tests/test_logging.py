"""The logging filter masks valid My Numbers in every part of a log record, and nothing else."""

from __future__ import annotations

import io
import logging

import pytest

from madoguchi.jp.checkdigit import my_number_check_digit
from madoguchi.mynumber.logging import MASK, MyNumberMaskingFilter, mask_my_numbers

VALID = "123456789018"
assert my_number_check_digit(VALID[:11]) == int(VALID[11])
INVALID = VALID[:11] + "9"  # wrong check digit


@pytest.fixture
def log():
    """A logger whose handler carries the filter, as settings.LOGGING attaches it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MyNumberMaskingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("madoguchi.tests.masking")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


@pytest.mark.parametrize(
    "written",
    [
        VALID,
        "1234-5678-9018",
        "1234 5678 9018",
        "１２３４５６７８９０１８",  # full-width digits
        "１２３４－５６７８－９０１８",
        "1234　5678　9018",  # full-width spaces
    ],
)
def test_valid_my_numbers_are_masked_however_written(written):
    assert mask_my_numbers(f"番号={written} です") == f"番号={MASK} です"


@pytest.mark.parametrize(
    "text",
    [
        INVALID,  # 12 digits, wrong check digit
        "1" + VALID,  # 13 digits (e.g. a 法人番号)
        VALID + "0",
        "03-1234-5678",  # a phone number
        "case ABCD-1234 for person 42",
        "",
    ],
)
def test_other_numbers_are_left_alone(text):
    assert mask_my_numbers(text) == text


def test_message_arguments_are_masked(log):
    logger, stream = log

    logger.info("stored number %s for person %d", VALID, 42)

    assert stream.getvalue() == f"INFO stored number {MASK} for person 42\n"


def test_message_text_is_masked(log):
    logger, stream = log

    logger.warning(f"raw form value: {{'my_number': '{VALID}'}}")

    assert VALID not in stream.getvalue()
    assert MASK in stream.getvalue()


def test_exception_text_is_masked(log):
    logger, stream = log

    try:
        raise ValueError(f"bad value {VALID}")
    except ValueError:
        logger.exception("could not save")

    output = stream.getvalue()
    assert VALID not in output
    assert f"ValueError: bad value {MASK}" in output
    assert "Traceback" in output


def test_stack_info_is_masked(log):
    logger, stream = log

    logger.error("failed", stack_info=True, extra={"n": "123456789018"})  # the stack quotes this line

    output = stream.getvalue()
    assert "Stack (most recent call last)" in output
    assert "123456789018" not in output
    assert MASK in output


def test_records_without_a_number_pass_unchanged(log):
    logger, stream = log

    logger.info("person %s opened case %s", 42, "ABCD-1234")

    assert stream.getvalue() == "INFO person 42 opened case ABCD-1234\n"


def test_a_broken_format_string_still_reaches_the_handler():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d items", ("many",), None)

    assert MyNumberMaskingFilter().filter(record) is True


def test_filter_can_be_configured_by_dictconfig():
    """The line the lead adds to settings.LOGGING resolves."""
    import logging.config

    stream = io.StringIO()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"mask_my_number": {"()": "madoguchi.mynumber.logging.MyNumberMaskingFilter"}},
            "handlers": {
                "probe": {"class": "logging.StreamHandler", "stream": stream, "filters": ["mask_my_number"]}
            },
            "loggers": {"madoguchi.tests.dictconfig": {"handlers": ["probe"], "propagate": False}},
        }
    )
    logging.getLogger("madoguchi.tests.dictconfig").warning("number %s", VALID)

    assert stream.getvalue() == f"number {MASK}\n"
