"""Exports in the import layout: a round trip changes nothing, as-of exports replay the history."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from madoguchi.residents.exporter import RegistryExportError, export_registry_csv
from madoguchi.residents.registry.layout import DIFFERENCE, FULL
from madoguchi.residents.services import import_registry_csv
from madoguchi.residents.tests.factories import registry_csv, registry_row

pytestmark = pytest.mark.django_db


def export(**options) -> tuple[bytes, object]:
    out = io.BytesIO()
    report = export_registry_csv(target=out, actor="test", purpose="テスト", **options)
    return out.getvalue(), report


def load(data: bytes, kind=FULL):
    return import_registry_csv(source=io.BytesIO(data), kind=kind, source_name="t.csv")


def test_an_export_imported_again_changes_nothing(load_demo_town):
    load_demo_town(residents=300, seed=4)
    data, report = export(include_protected_addresses=True)
    assert report.rows == 300
    again = load(data)
    assert again.applied and (again.unchanged, again.changes) == (300, 0)


def test_an_export_as_of_a_day_is_the_registry_of_that_day():
    head = registry_row(住民となった日="2000-01-01", 住所を定めた日="2000-01-01", 異動日="2000-01-01")
    load(registry_csv([head]))
    move = {
        **head,
        "番地": "1番1号",
        "住所を定めた日": "2020-04-01",
        "異動事由": "11",
        "異動日": "2020-04-01",
        "届出日": "2020-04-03",
    }
    newcomer = {
        **registry_row(
            宛名番号="9100000009",
            世帯番号="9100000009",
            住民となった日="2021-01-01",
            住所を定めた日="2021-01-01",
        ),
        "異動事由": "01",
        "異動日": "2021-01-01",
    }
    assert load(registry_csv([move, newcomer]), DIFFERENCE).applied
    before, report = export(as_of=dt.date(2020, 3, 31))
    assert report.rows == 1
    text = before.decode()
    assert "3番12号" in text and "1番1号" not in text and "9100000009" not in text
    # 異動事由/異動日/届出日: the last 異動 in the history on or before that day; the full file's own last
    # 異動 (01 in 2000) was replaced by the 転居 and is not in the history, so they are empty.
    assert text.endswith(",0,,,\r\n")

    after, _ = export(as_of=dt.date(2021, 1, 1))
    assert "1番1号" in after.decode() and "9100000009" in after.decode()


def test_unknown_encodings_are_refused():
    with pytest.raises(RegistryExportError, match="encoding"):
        export(encoding="euc-jp")
