"""Cross-checks of a form's readings that need the database (the registry, postal codes, the case).

Each check may only lower a field's confidence, never raise it above the engine's: agreement is noted (so
the verifier sees why a value is trusted) but changes nothing; a disagreement caps the field below the
acceptance threshold, so a person looks at it. The checks:

- 郵便番号 ↔ 住所: the address written must lie in the prefecture and city of the postal code (`jp.postal`);
- 氏名 ↔ フリガナ: the reading the dictionary proposes for the name (`jp.kana.suggest_reading`) must be the
  reading written, when the dictionary has one (a name's reading is its owner's: only a hint);
- 氏名 + 生年月日 ↔ 住民記録: a person born that day whose name or reading matches (`residents.selectors`,
  the look audited by the caller); the one person that matches both is linked to the case;
- when the QR carries a 受付番号, the values the case already holds (pre-filled at the counter).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from madoguchi.jp import kana
from madoguchi.jp.postal import PostalCodeError, lookup_postal_code
from madoguchi.procedures.spec import ProcedureSpec
from madoguchi.residents.selectors import NamedPerson

BASIC_NAME = "basics.name"
BASIC_BIRTH_DATE = "basics.birth_date"
BASIC_ADDRESS = "basics.address"


@dataclass
class Reading:
    """One field as the checks see it: the normalised value and its confidence (lowered in place)."""

    field_id: str
    value: Any
    confidence: float
    checks: list[dict[str, Any]] = field(default_factory=list)

    def note(self, check: str, ok: bool, ja: str, en: str, *, cap: float | None = None) -> None:
        self.checks.append({"check": check, "ok": ok, "ja": ja, "en": en})
        if cap is not None:
            self.confidence = min(self.confidence, cap)


@dataclass(frozen=True)
class CheckResult:
    person_id: int | None  # the one registry person whose name and birth date match
    looked_up_registry: bool


def _text(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).replace(" ", "").replace("\u3000", "")


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def _present(reading: Reading | None) -> bool:
    return reading is not None and reading.value not in (None, "", [], {})


def _pairs_by_prefill(spec: ProcedureSpec, key: str) -> list[str]:
    return [f.id for f in spec.fields if f.prefill == key]


def name_kana_pairs(spec: ProcedureSpec) -> list[tuple[str, str]]:
    """(name field, reading field) pairs: by pre-fill keys, then by ids (child1_name / child1_kana)."""
    pairs: list[tuple[str, str]] = []
    names = _pairs_by_prefill(spec, "person.name")
    readings = _pairs_by_prefill(spec, "person.name_kana")
    if names and readings:
        pairs.append((names[0], readings[0]))
    ids = {f.id: f for f in spec.fields}
    for f in spec.fields:
        if f.type == "kana" and f.id.endswith("_kana"):
            name_id = f.id[: -len("_kana")] + "_name"
            if name_id in ids and (name_id, f.id) not in pairs:
                pairs.append((name_id, f.id))
    return pairs


def check_postal_address(spec: ProcedureSpec, readings: Mapping[str, Reading], cap: float) -> None:
    for f in spec.fields:
        if f.type != "address" or not f.autofill_from:
            continue
        address, postal = readings.get(f.id), readings.get(f.autofill_from)
        if not (_present(address) and _present(postal)):
            continue
        try:
            place = lookup_postal_code(str(postal.value))
        except PostalCodeError:
            place = None
        if place is None:
            postal.note(
                "postal_address",
                False,
                "この郵便番号は見つかりません。",
                "This postal code is unknown.",
                cap=cap,
            )
            continue
        expected = _text(place.prefecture + place.city)
        written = _text(address.value)
        if written.startswith(expected) or (place.city and written.startswith(_text(place.city))):
            address.note(
                "postal_address", True, "郵便番号と住所が一致します。", "Postal code and address agree."
            )
        else:
            ja = f"郵便番号の地域（{place.prefecture}{place.city}）と住所が一致しません。"
            en = f"The address is not in the area of the postal code ({place.prefecture}{place.city})."
            address.note("postal_address", False, ja, en, cap=cap)
            postal.note("postal_address", False, ja, en, cap=cap)


def check_name_kana(spec: ProcedureSpec, readings: Mapping[str, Reading], cap: float) -> None:
    for name_id, kana_id in name_kana_pairs(spec):
        name, reading = readings.get(name_id), readings.get(kana_id)
        if not (_present(name) and _present(reading)):
            continue
        suggested = kana.suggest_reading(str(name.value))
        if not suggested:
            continue  # the dictionary does not know the name: no evidence either way
        if _text(suggested) == _text(kana.to_katakana(str(reading.value))):
            reading.note("name_kana", True, "氏名とフリガナが一致します。", "Name and reading agree.")
        else:
            ja = f"氏名の読み（{suggested}）とフリガナが異なります。どちらかの読み違いかもしれません。"
            en = f"The usual reading of the name ({suggested}) differs from the reading written."
            reading.note("name_kana", False, ja, en, cap=cap)
            name.note("name_kana", False, ja, en, cap=cap)


def check_registry(
    spec: ProcedureSpec,
    readings: Mapping[str, Reading],
    cap: float,
    persons_born_on: Callable[[dt.date], Sequence[NamedPerson]],
) -> CheckResult:
    """Name + birth date ↔ the registry; returns the one matching person (None when none or several)."""
    name_ids = [BASIC_NAME, *_pairs_by_prefill(spec, "person.name")]
    birth_ids = [BASIC_BIRTH_DATE, *_pairs_by_prefill(spec, "person.birth_date")]
    kana_ids = _pairs_by_prefill(spec, "person.name_kana")
    name = next((readings[i] for i in name_ids if _present(readings.get(i))), None)
    birth = next((readings[i] for i in birth_ids if _present(readings.get(i))), None)
    reading = next((readings[i] for i in kana_ids if _present(readings.get(i))), None)
    day = _date(birth.value) if birth else None
    if name is None or day is None:
        return CheckResult(None, False)
    born = persons_born_on(day)
    written = _text(name.value)
    exact = [p for p in born if _text(p.name) == written]
    if len(exact) == 1:
        name.note("registry", True, "住民記録の氏名・生年月日と一致します。", "Matches the registry.")
        return CheckResult(exact[0].person_id, True)
    if not exact and reading is not None:
        same_reading = [p for p in born if _text(p.name_kana) == _text(kana.to_katakana(str(reading.value)))]
        if same_reading:
            ja = "同じ生年月日・フリガナの方が住民記録では別の漢字です（例：髙/高）。氏名を確認してください。"
            en = "The registry has this birth date and reading with other characters. Check the name."
            name.note("registry", False, ja, en, cap=cap)
    return CheckResult(None, True)


def check_case_values(readings: Mapping[str, Reading], case_data: Mapping[str, Any], cap: float) -> None:
    """The form was printed for a case: every value read must be the one the case already holds."""
    for field_id, reading in readings.items():
        if field_id not in case_data or not _present(reading):
            continue
        if _text(_plain(case_data[field_id])) == _text(_plain(reading.value)):
            reading.note(
                "case", True, "窓口で入力した内容と一致します。", "Matches what was entered at the counter."
            )
        else:
            reading.note(
                "case",
                False,
                "窓口で入力した内容と異なります。申請者が書き直した可能性があります。",
                "Differs from what was entered at the counter; the applicant may have changed it.",
                cap=cap,
            )


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(sorted(str(v) for v in value))
    if isinstance(value, dict):
        return ",".join(f"{k}={value[k]}" for k in sorted(value))
    return str(value)


def run_checks(
    spec: ProcedureSpec,
    readings: Mapping[str, Reading],
    *,
    threshold: float,
    persons_born_on: Callable[[dt.date], Sequence[NamedPerson]],
    case_data: Mapping[str, Any] | None = None,
) -> CheckResult:
    """Every check, in place on `readings`; a disagreement caps a field just below `threshold`."""
    cap = max(0.0, threshold - 0.01)
    check_postal_address(spec, readings, cap)
    check_name_kana(spec, readings, cap)
    result = check_registry(spec, readings, cap, persons_born_on)
    if case_data:
        check_case_values(readings, case_data, cap)
    return result
