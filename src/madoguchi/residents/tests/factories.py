"""Factories for the registry read-model: households and the persons living in them."""

from __future__ import annotations

import csv
import datetime as dt
import io

import factory

from madoguchi.residents.models import Household, Person, Sex
from madoguchi.residents.registry.layout import HEADERS


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    number = factory.Sequence(lambda n: f"{9_000_000_000 + n:010d}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    atena_number = factory.Sequence(lambda n: f"{9_000_000_000 + n:010d}")
    household = factory.SubFactory(HouseholdFactory)
    name = "緑川\u3000花子"
    name_kana = "ミドリカワ\u3000ハナコ"
    birth_date = dt.date(1985, 4, 1)
    sex = Sex.FEMALE
    relationship = "世帯主"
    postal_code = "0000021"
    prefecture = "みどり県"
    city = "みどり市"
    town = "緑町"
    banchi = "3番12号"
    building = ""
    resident_since = dt.date(2010, 4, 1)


# --- registry file rows ------------------------------------------------------------------------------

REGISTRY_DEFAULTS = {
    "宛名番号": "9100000001",
    "世帯番号": "9100000001",
    "氏名": "緑川\u3000花子",
    "氏名フリガナ": "ミドリカワ\u3000ハナコ",
    "氏名フリガナ確認フラグ": "1",
    "旧氏": "",
    "旧氏フリガナ": "",
    "生年月日": "1985-04-01",
    "生年月日不詳表記": "",
    "性別": "2",
    "続柄": "世帯主",
    "郵便番号": "0000021",
    "都道府県": "みどり県",
    "市区町村": "みどり市",
    "町字": "緑町",
    "番地": "3番12号",
    "方書": "",
    "住所コード": "9920110002000",
    "住民となった日": "2010-04-01",
    "住所を定めた日": "2010-04-01",
    "住民状態": "1",
    "住民種別": "1",
    "氏名アルファベット": "",
    "通称": "",
    "国籍・地域": "",
    "在留資格": "",
    "在留期間の満了の日": "",
    "支援措置": "0",
    "異動事由": "01",
    "異動日": "2010-04-01",
    "届出日": "2010-04-05",
}
FOREIGN_RESIDENT = {
    "氏名": "SMITH JOHN",
    "氏名フリガナ": "スミス\u3000ジョン",
    "氏名アルファベット": "SMITH JOHN",
    "住民種別": "2",
    "国籍・地域": "アメリカ合衆国",
    "在留資格": "技術・人文知識・国際業務",
    "在留期間の満了の日": "2028-03-31",
}


def registry_row(**items: str) -> dict[str, str]:
    """A valid row of the registry layout (a resident of 緑町 who moved in on 2010-04-01), with changes.

    Keyword arguments use the header names: ``registry_row(氏名="…", 住民状態="2")``.
    """
    row = dict(REGISTRY_DEFAULTS)
    row.update(items)
    return row


def registry_csv(rows, *, encoding: str = "utf-8", header=None) -> bytes:
    """The rows (dicts by header) as a CSV file in ``encoding``; ``header`` defaults to the full layout."""
    header = list(header or HEADERS)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return text.getvalue().encode(encoding)
