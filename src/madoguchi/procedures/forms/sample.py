"""Plausible values for every field of a procedure, for previews, tests and the benchmark (pure: no Django).

Each field's type answers (`FieldType.demo_answer`), as for `madoguchi demo`, but for every field (not only
the required ones), from a fixed applicant; the answers are cleaned with `schema.validate` and those that do
not validate are left out, so the values are exactly what a case would store.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import schema
from ..spec import Field, ProcedureSpec
from .render import Basics

SAMPLE_TODAY = dt.date(2025, 6, 2)
SAMPLE_BASICS = Basics(
    name="緑川 太郎",
    address="東京都千代田区千代田1番1号 みどりハイツ101号室",
    birth_date=dt.date(1986, 4, 12),
    sex="1",
)
_TEXTS = (
    ("purpose", "勤務先への提出のため"),
    ("reason", "家族の転勤に伴う転居のため"),
    ("school", "みどり市立中央小学校"),
    ("nursery", "みどり市立若葉保育園"),
    ("employer", "株式会社みどり商事"),
    ("workplace", "株式会社みどり商事"),
)


@dataclass(frozen=True)
class _Place:
    postal_code: str = "1000001"
    prefecture: str = "東京都"
    city: str = "千代田区"
    town: str = "千代田"


@dataclass
class SampleSource:
    """A fixed applicant as a field type's `demo_answer` sees it (procedures.fields.base.DemoSource)."""

    rng: random.Random = field(default_factory=lambda: random.Random(7))
    today: dt.date = SAMPLE_TODAY
    variant: int = 0
    name: str = "緑川 太郎"
    name_kana: str = "ミドリカワ　タロウ"
    birth_date: dt.date = dt.date(1986, 4, 12)
    postal_code: str = "1000001"
    address: str = "東京都千代田区千代田1番1号"
    email: str = "taro@example.jp"
    household_names: tuple[str, ...] = ("緑川 太郎", "緑川 花子", "緑川 一郎")
    bank: tuple[str, str] = ("0001", "001")

    def elsewhere(self, f: Field) -> bool:
        return False

    def other_place(self) -> _Place:
        return _Place()

    def sample_text(self, f: Field) -> str | None:
        return next((text for word, text in _TEXTS if word in f.id), None)


def sample_values(spec: ProcedureSpec, *, seed: int = 7, today: dt.date = SAMPLE_TODAY) -> dict[str, Any]:
    """Cleaned values for as many fields of `spec` as a plausible answer validates for (uploads left out)."""
    source = SampleSource(rng=random.Random(seed), today=today)
    raw: dict[str, Any] = {}
    for f in spec.fields:
        if f.kind.is_upload or f.kind.holds_my_number:
            continue
        answer = f.kind.demo_answer(f, source)
        if answer is None and f.kind.is_text:
            answer = source.sample_text(f) or "記入例"
        if answer is not None:
            raw[f.id] = answer
    result = schema.validate(spec, raw, today=today)
    return {
        key: value
        for key, value in result.cleaned.items()
        if key not in result.errors and not _empty(value) and key in raw
    }


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, Mapping) and not value)
