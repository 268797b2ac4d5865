"""The column layout of registry files (全件・差分), shared by import, export and the demo town.

Headers are the item names of the 住民記録システム標準仕様書; docs/registry.md describes every column.
The same layout serves full files (全件: one row per person, the state now) and difference files (差分:
one row per 異動, the person's whole state after it, with its 異動事由 and 異動日).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

FULL = "full"  # 全件ファイル
DIFFERENCE = "difference"  # 差分ファイル
KINDS = (FULL, DIFFERENCE)


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    field: str  # name in RegistryRecord / Person
    required: bool  # must be in the header (its value may still be allowed empty)
    description: str  # for docs/registry.md


COLUMNS: tuple[Column, ...] = (
    Column("宛名番号", "atena_number", True, "key in the core system; ASCII digits, up to 20"),
    Column("世帯番号", "household_number", True, "ASCII digits, up to 20"),
    Column("氏名", "name", True, "up to 100 characters"),
    Column("氏名フリガナ", "name_kana", True, "full-width katakana; required for Japanese residents"),
    Column(
        "氏名フリガナ確認フラグ",
        "name_kana_confirmed",
        False,
        "1: the reading is confirmed, 0 or empty: not yet",
    ),
    Column("旧氏", "former_surname", False, "up to 50 characters"),
    Column("旧氏フリガナ", "former_surname_kana", False, "full-width katakana"),
    Column("生年月日", "birth_date", True, "date; for a 不詳 date its earliest day, or the 不詳 form itself"),
    Column(
        "生年月日不詳表記",
        "birth_date_text",
        False,
        "the 不詳 form (令和○年頃, 昭和40年月日不詳), else empty",
    ),
    Column("性別", "sex", True, "1 male, 2 female"),
    Column(
        "続柄", "relationship", True, "to the head of household, standard terms (codes/relationships.yaml)"
    ),
    Column("郵便番号", "postal_code", False, "7 digits, a hyphen is allowed"),
    Column("都道府県", "prefecture", True, "up to 10 characters"),
    Column("市区町村", "city", True, "up to 40 characters"),
    Column("町字", "town", True, "up to 80 characters; required for residents"),
    Column("番地", "banchi", True, "番地・号 as written, up to 80 characters"),
    Column("方書", "building", False, "building and room, up to 120 characters"),
    Column(
        "住所コード", "address_code", False, "13 digits: 地方公共団体コード (6, check digit) + 町字 code (7)"
    ),
    Column("住民となった日", "resident_since", True, "date; empty only for 住登外者"),
    Column("住所を定めた日", "address_since", False, "date"),
    Column("住民状態", "status", True, "code (codes/resident_statuses.yaml)"),
    Column("住民種別", "resident_type", True, "code (codes/resident_types.yaml)"),
    Column("氏名アルファベット", "name_alphabet", False, "foreign residents: name in the Latin alphabet"),
    Column("通称", "common_name", False, "foreign residents: registered alias (通称)"),
    Column("国籍・地域", "nationality", False, "foreign residents: required"),
    Column(
        "在留資格", "residence_status", False, "foreign residents: required (codes/residence_statuses.yaml)"
    ),
    Column(
        "在留期間の満了の日", "residence_expiry", False, "foreign residents: date, where the status has one"
    ),
    Column(
        "支援措置", "support_measure", True, "1: DV等支援措置 — the address is never shown; 0 or empty: no"
    ),
    Column("異動事由", "reason", False, "code (codes/change_reasons.yaml); required in difference files"),
    Column("異動日", "moved_on", False, "date of the 異動; required in difference files"),
    Column("届出日", "notified_on", False, "date the 届出 was made, empty for changes made ex officio"),
    Column("個人番号", "my_number", False, "optional: checked (12 digits, check digit) and never stored"),
)
EXPORT_COLUMNS: tuple[Column, ...] = tuple(c for c in COLUMNS if c.field != "my_number")
HEADERS: tuple[str, ...] = tuple(c.header for c in EXPORT_COLUMNS)
COLUMN_BY_FIELD: dict[str, Column] = {c.field: c for c in COLUMNS}

# The person's registry items, in this order in RegistryRecord.state and in history snapshots. 宛名番号 is
# the key, and 異動事由/異動日/届出日 describe the change, so neither is part of the state.
STATE_FIELDS: tuple[str, ...] = tuple(
    c.field
    for c in COLUMNS
    if c.field not in {"atena_number", "reason", "moved_on", "notified_on", "my_number"}
)
DATE_FIELDS = frozenset({"birth_date", "resident_since", "address_since", "residence_expiry"})
BOOLEAN_FIELDS = frozenset({"name_kana_confirmed", "support_measure"})
# Items whose change starts a new period of household or address (PersonPeriod).
PERIOD_FIELDS = frozenset(
    {"household_number", "relationship", "address_code", "prefecture", "city", "town", "banchi", "building"}
)
ADDRESS_FIELDS = ("postal_code", "prefecture", "city", "town", "banchi", "building", "address_code")


def header_key(text: str) -> str:
    """Headers compare after NFKC and without spaces: 「国籍･地域」 and 「 国籍・地域」 name the same column."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def address_key(prefecture: str, city: str, town: str, banchi: str, building: str) -> str:
    """One dwelling, for look-ups by address: NFKC, no spaces, 方書 after a "|"."""
    place = unicodedata.normalize("NFKC", f"{prefecture}{city}{town}{banchi}")
    room = unicodedata.normalize("NFKC", building)
    return "".join(place.split()) + "|" + "".join(room.split())
