"""The demo town みどり市: a deterministic generator of households and residents.

The demo plays the municipality's core 住民記録 system (docs/architecture.md, principle 4): it yields the households and
persons that the registry read-model would receive from it. Pure Python, no Django, so it is fast to
test and to benchmark; ``demo.services.load_demo_town`` writes what it yields.

Everything is fictional: みどり県 and みどり市 do not exist, the 町字 have postal codes in the 000-xxxx
range that Japan Post never assigns, and names are random combinations of common surnames and given
names (data/*.csv). The same ``seed`` and ``residents`` always give the same people, because ages
are counted against the fixed ``REFERENCE_DATE`` rather than today.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate
from pathlib import Path

from madoguchi.residents.registry.layout import HEADERS

DATA_DIR = Path(__file__).resolve().parent / "data"
REFERENCE_DATE = dt.date(2026, 4, 1)  # 基準日 of the demo registry
PREFECTURE = "みどり県"
CITY = "みどり市"
MAX_RESIDENTS = 500_000
DEFAULT_RESIDENTS = 5_000
SUPPORT_MEASURE_SHARE = 0.001  # 支援措置: about 0.1 % of residents
MALE, FEMALE = "1", "2"  # 住民記録の性別コード, as residents.models.Sex
SPACE = "\u3000"  # the full-width space between surname and given name, in kanji and in kana

# Given-name generations (data/given_names.csv column "era") by year of birth.
ERAS: tuple[tuple[str, int], ...] = (("prewar", 1949), ("showa", 1979), ("heisei", 2004), ("reiwa", 9999))

# Household compositions and their share of households, tuned so that about 30 % of residents are 65 or
# older and about 11 % are under 15, as in an ageing Japanese city (2020 census: 28.6 % and 11.9 %).
HOUSEHOLD_TYPES: tuple[tuple[str, int], ...] = (
    ("single_elderly", 17),  # 高齢単身
    ("single_adult", 18),  # 単身
    ("elderly_couple", 14),  # 高齢夫婦
    ("couple", 12),  # 夫婦のみ
    ("couple_with_children", 20),  # 夫婦と子
    ("single_parent", 7),  # ひとり親と子
    ("elderly_with_adult_child", 5),  # 高齢の親と未婚の子
    ("three_generations", 5),  # 三世代
    ("other", 2),  # 兄弟姉妹、同居人
)
# How much more often each kind lives in a flat than the town's share says.
APARTMENT_FACTOR = {
    "single_elderly": 0.6,
    "single_adult": 1.7,
    "elderly_couple": 0.4,
    "couple": 1.3,
    "couple_with_children": 0.9,
    "single_parent": 1.5,
    "elderly_with_adult_child": 0.4,
    "three_generations": 0.1,
    "other": 1.2,
}
RURAL_TYPES = frozenset({"elderly_couple", "elderly_with_adult_child", "three_generations", "single_elderly"})


@dataclass(frozen=True, slots=True)
class Town:  # 町字 of みどり市
    postal_code: str
    prefecture: str
    city: str
    town: str
    prefecture_kana: str
    city_kana: str
    town_kana: str
    local_government_code: str
    addressing: str  # "jukyo" (住居表示: 3番12号) or "chiban" (地番: 1234番地)
    weight: int
    apartment_share: float
    town_id: str  # 町字コード, 7 digits (大字・町 4 + 丁目 3, as the アドレス・ベース・レジストリ 町字ID)

    @property
    def address_code(self) -> str:
        """住所コード of the registry layout: 地方公共団体コード + 町字コード."""
        return self.local_government_code + self.town_id


@dataclass(frozen=True, slots=True)
class GivenName:
    name: str
    reading: str


@dataclass(frozen=True, slots=True)
class BuildingType:
    name: str
    kind: str  # apartment, mansion or public (公営住宅)
    floors: int
    rooms_per_floor: int


@dataclass(frozen=True, slots=True)
class DemoPerson:
    atena_number: str  # 宛名番号, 10 digits
    name: str  # 氏名, surname and given name separated by a full-width space
    name_kana: str  # 氏名フリガナ, katakana, same separator
    birth_date: dt.date
    sex: str  # "1" male, "2" female
    relationship: str  # 続柄 to the head of household
    postal_code: str
    prefecture: str
    city: str
    town: str
    banchi: str
    building: str  # 方書
    address_code: str  # 住所コード
    resident_since: dt.date  # 住民となった日 (and 住所を定めた日: nobody in the demo moved within the city)
    support_measure: bool  # 支援措置


@dataclass(frozen=True, slots=True)
class DemoHousehold:  # 世帯
    number: str  # 世帯番号, 10 digits
    members: tuple[DemoPerson, ...]


def atena_number(index: int) -> str:
    """宛名番号 of the index-th demo resident (1-based): 10 digits, zero-padded."""
    return f"{index:010d}"


def household_number(index: int) -> str:
    """世帯番号 of the index-th demo household (1-based): 10 digits, zero-padded."""
    return f"{index:010d}"


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Age in completed years on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# --- data files ------------------------------------------------------------------------------------


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def towns() -> tuple[Town, ...]:
    """The 町字 of みどり市 with their fictional postal codes (data/postal_codes.csv)."""
    return tuple(
        Town(
            postal_code=row["postal_code"],
            prefecture=row["prefecture"],
            city=row["city"],
            town=row["town"],
            prefecture_kana=row["prefecture_kana"],
            city_kana=row["city_kana"],
            town_kana=row["town_kana"],
            local_government_code=row["local_government_code"],
            addressing=row["addressing"],
            weight=int(row["weight"]),
            apartment_share=float(row["apartment_share"]),
            town_id=row["town_id"],
        )
        for row in _rows("postal_codes.csv")
    )


def postal_addresses() -> dict[str, dict[str, str]]:
    """Postal code → address fields, as ``madoguchi.jp.postal.register_local_postal_codes`` takes them."""
    return {
        town.postal_code: {
            "prefecture": town.prefecture,
            "city": town.city,
            "town": town.town,
            "prefecture_kana": town.prefecture_kana,
            "city_kana": town.city_kana,
            "town_kana": town.town_kana,
            "local_government_code": town.local_government_code,
        }
        for town in towns()
    }


@cache
def surnames() -> tuple[tuple[str, str], ...]:
    """(surname, reading), most common first."""
    return tuple((row["surname"], row["reading"]) for row in _rows("surnames.csv"))


@cache
def given_names() -> dict[tuple[str, str], tuple[GivenName, ...]]:
    """(sex, era) → given names of people of that sex born in that era."""
    table: dict[tuple[str, str], list[GivenName]] = {}
    for row in _rows("given_names.csv"):
        sex = MALE if row["sex"] == "M" else FEMALE
        table.setdefault((sex, row["era"]), []).append(GivenName(row["given_name"], row["reading"]))
    return {key: tuple(names) for key, names in table.items()}


@cache
def building_types() -> tuple[BuildingType, ...]:
    return tuple(
        BuildingType(row["building"], row["kind"], int(row["floors"]), int(row["rooms_per_floor"]))
        for row in _rows("buildings.csv")
    )


def era_of(year: int) -> str:
    for era, last_year in ERAS:
        if year <= last_year:
            return era
    return ERAS[-1][0]


# --- the generator ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Member:
    """A member before names and dates are fixed: relationship, sex and age."""

    relationship: str
    sex: str
    age: int
    surname: tuple[str, str] | None = None  # None: the household's surname


@dataclass(slots=True)
class _Building:
    label: str  # name incl. 号棟 where it has several
    banchi: str
    free_rooms: list[str]


@dataclass(slots=True)
class _TownAddresses:
    """Hands out each 番地 once per town and fills flats room by room, so that no two households share one."""

    town: Town
    free_lots: list[str] = field(default_factory=list)
    next_block: int = 1  # 住居表示: next 番 to open; 地番: next 番地 number
    buildings: list[_Building] = field(default_factory=list)
    building_count: dict[str, int] = field(default_factory=dict)


class _TownGenerator:
    def __init__(self, *, seed: int, reference_date: dt.date) -> None:
        self.rng = random.Random(seed)
        self.reference_date = reference_date
        self.towns = towns()
        self.town_weights = list(accumulate(town.weight for town in self.towns))
        self.rural_weights = list(
            accumulate(t.weight * (2 if t.addressing == "chiban" else 1) for t in self.towns)
        )
        self.addresses = [_TownAddresses(town) for town in self.towns]
        self.surnames = surnames()
        # Zipf-like weights: the list is ordered by frequency, so 佐藤 is far more common than 大竹.
        self.surname_weights = list(accumulate(1 / (rank + 10) for rank in range(len(self.surnames))))
        self.given_names = given_names()
        self.building_types = building_types()
        self.type_names = [name for name, _ in HOUSEHOLD_TYPES]
        self.type_weights = list(accumulate(weight for _, weight in HOUSEHOLD_TYPES))
        self.persons = 0
        self.flagged = 0

    # -- numbers --

    def tri(self, low: float, high: float, mode: float) -> int:
        return int(self.rng.triangular(low, high, mode))

    def gauss(self, mu: float, sigma: float, low: float, high: float) -> int:
        return round(min(max(self.rng.gauss(mu, sigma), low), high))

    # -- compositions --

    def compose(self, kind: str) -> list[_Member]:
        return getattr(self, f"_compose_{kind}")()

    def _couple(self, head_age: int, *, min_age: int = 18) -> list[_Member]:
        spouse_age = max(min_age, head_age - self.gauss(2, 3, -6, 12))
        if self.rng.random() < 0.88:
            return [_Member("世帯主", MALE, head_age), _Member("妻", FEMALE, spouse_age)]
        return [_Member("世帯主", FEMALE, spouse_age), _Member("夫", MALE, head_age)]

    def _children(self, mother_age: int, *, oldest_max: int, relationship: str = "子") -> list[_Member]:
        count = self.rng.choices((1, 2, 3, 4), weights=(45, 40, 13, 2))[0]
        first_birth_age = self.gauss(30, 4, 20, 42)
        age = min(mother_age - first_birth_age, oldest_max)
        children = []
        for _ in range(count):
            if age < 0:
                break
            children.append(_Member(relationship, self.rng.choice((MALE, FEMALE)), age))
            age -= self.rng.randint(1, 5)
        return children

    def _compose_single_elderly(self) -> list[_Member]:
        sex = FEMALE if self.rng.random() < 0.68 else MALE
        return [_Member("世帯主", sex, self.tri(65, 100, 75))]

    def _compose_single_adult(self) -> list[_Member]:
        sex = MALE if self.rng.random() < 0.55 else FEMALE
        return [_Member("世帯主", sex, self.tri(18, 66, 26))]

    def _compose_elderly_couple(self) -> list[_Member]:
        return self._couple(self.tri(65, 95, 72), min_age=60)

    def _compose_couple(self) -> list[_Member]:
        return self._couple(self.tri(22, 76, 62), min_age=20)

    def _compose_couple_with_children(self) -> list[_Member]:
        oldest = self.tri(0, 32, 18)
        mother_age = oldest + self.gauss(30, 4, 20, 42)
        father_age = mother_age + self.gauss(2, 3, -5, 12)
        members = self._couple(father_age)
        members[0 if members[0].sex == FEMALE else 1].age = mother_age
        return members + self._children(mother_age, oldest_max=oldest)

    def _compose_single_parent(self) -> list[_Member]:
        oldest = self.tri(0, 25, 9)
        parent_age = oldest + self.gauss(29, 5, 18, 44)
        sex = FEMALE if self.rng.random() < 0.86 else MALE
        return [_Member("世帯主", sex, parent_age), *self._children(parent_age, oldest_max=oldest)]

    def _compose_elderly_with_adult_child(self) -> list[_Member]:
        parent_age = self.tri(68, 99, 82)
        if self.rng.random() < 0.4:
            members = self._couple(parent_age, min_age=62)
        else:
            members = [_Member("世帯主", FEMALE if self.rng.random() < 0.7 else MALE, parent_age)]
        child_age = max(30, parent_age - self.gauss(30, 4, 20, 42))
        return [*members, _Member("子", MALE if self.rng.random() < 0.6 else FEMALE, child_age)]

    def _compose_three_generations(self) -> list[_Member]:
        grandparent_age = self.tri(64, 97, 76)
        middle_age = max(25, grandparent_age - self.gauss(30, 4, 20, 42))
        if self.rng.random() < 0.5:  # the grandparent is the head: 世帯主, 妻, 子, 子の妻, 子の子 (孫)
            members = (
                self._couple(grandparent_age, min_age=55)
                if self.rng.random() < 0.7
                else [_Member("世帯主", FEMALE, grandparent_age)]
            )
            if self.rng.random() < 0.88:
                child, in_law = _Member("子", MALE, middle_age), _Member("子の妻", FEMALE, middle_age - 2)
            else:
                child, in_law = _Member("子", FEMALE, middle_age), _Member("子の夫", MALE, middle_age + 2)
            mother = in_law if in_law.sex == FEMALE else child
            return [
                *members,
                child,
                in_law,
                *self._children(mother.age, oldest_max=20, relationship="子の子"),
            ]
        members = self._couple(middle_age, min_age=25)  # the middle generation is the head: 父, 母, 子
        if self.rng.random() < 0.55:
            members.append(_Member("母", FEMALE, grandparent_age))
        else:
            members += [
                _Member("父", MALE, grandparent_age),
                _Member("母", FEMALE, max(60, grandparent_age - 3)),
            ]
        mother_age = next(m.age for m in members[:2] if m.sex == FEMALE)
        return members + self._children(mother_age, oldest_max=20)

    def _compose_other(self) -> list[_Member]:
        head_age = self.tri(20, 90, 55)
        head = _Member("世帯主", self.rng.choice((MALE, FEMALE)), head_age)
        if self.rng.random() < 0.6:  # siblings
            sex = self.rng.choice((MALE, FEMALE))
            age = max(18, head_age + self.rng.choice((-1, 1)) * self.rng.randint(1, 8))
            older = age > head_age
            relationship = {
                (MALE, True): "兄",
                (MALE, False): "弟",
                (FEMALE, True): "姉",
                (FEMALE, False): "妹",
            }
            return [head, _Member(relationship[sex, older], sex, age)]
        other = _Member(
            "同居人", self.rng.choice((MALE, FEMALE)), max(18, head_age + self.rng.randint(-10, 10))
        )
        other.surname = self.pick_surname()
        return [head, other]

    # -- people --

    def pick_surname(self) -> tuple[str, str]:
        return self.rng.choices(self.surnames, cum_weights=self.surname_weights)[0]

    def birth_date(self, age: int) -> dt.date:
        days = int((age + self.rng.random()) * 365.2425)
        birth = self.reference_date - dt.timedelta(days=days)
        return birth if birth < self.reference_date else self.reference_date - dt.timedelta(days=1)

    def given_name(self, sex: str, birth_year: int, taken: set[str]) -> GivenName:
        era = era_of(birth_year + self.rng.randint(-4, 4))  # names drift across the era boundaries
        names = self.given_names[sex, era]
        for _ in range(10):
            name = self.rng.choice(names)
            if name.name not in taken:
                return name
        return name

    def move_in_date(self, head_birth: dt.date) -> dt.date:
        if self.rng.random() < 0.3:  # born in みどり市
            return head_birth
        start = max(head_birth + dt.timedelta(days=int(18 * 365.2425)), dt.date(1960, 1, 1))
        if start >= self.reference_date:
            return head_birth
        span = (self.reference_date - start).days
        return start + dt.timedelta(days=int(span * self.rng.random() ** 0.8))

    # -- addresses --

    def pick_town(self, kind: str) -> _TownAddresses:
        weights = self.rural_weights if kind in RURAL_TYPES else self.town_weights
        return self.rng.choices(self.addresses, cum_weights=weights)[0]

    def lot(self, place: _TownAddresses) -> str:
        """A free 番地 of the town."""
        if not place.free_lots:
            if place.town.addressing == "jukyo":
                blocks = range(place.next_block, place.next_block + 5)
                place.free_lots = [f"{ban}番{go}号" for ban in blocks for go in range(1, 31)]
                place.next_block += 5
            else:
                numbers = range(place.next_block, place.next_block + 200)
                place.free_lots = [f"{n}番地" if n % 3 else f"{n}番地{n % 7 + 1}" for n in numbers]
                place.next_block += 200
            self.rng.shuffle(place.free_lots)
        return place.free_lots.pop()

    def flat(self, place: _TownAddresses) -> tuple[str, str]:
        """(番地, 方書) of a free flat in the town, opening a new building when the open ones are full."""
        open_buildings = [b for b in place.buildings if b.free_rooms]
        if len(open_buildings) < 3:
            open_buildings.append(self.new_building(place))
        building = self.rng.choice(open_buildings)
        room = building.free_rooms.pop()
        return building.banchi, f"{building.label}{room}号室"

    def new_building(self, place: _TownAddresses) -> _Building:
        kind = self.rng.choice(self.building_types)
        count = place.building_count.get(kind.name, 0) + 1
        place.building_count[kind.name] = count
        if kind.kind == "public":
            label = f"{kind.name}{count}号棟"
        else:
            label = kind.name if count == 1 else f"第{count}{kind.name}"
        rooms = [
            f"{floor}{room:02d}"
            for floor in range(1, kind.floors + 1)
            for room in range(1, kind.rooms_per_floor + 1)
        ]
        self.rng.shuffle(rooms)
        building = _Building(label=label, banchi=self.lot(place), free_rooms=rooms)
        place.buildings.append(building)
        return building

    # -- households --

    def support_measure(self, kind: str, members: Sequence[_Member]) -> bool:
        """支援措置 for about 0.1 % of residents, mostly single parents and women living alone."""
        if kind not in {"single_parent", "single_adult"} or (
            kind == "single_adult" and members[0].sex == MALE
        ):
            return False
        due = (self.persons + len(members)) * SUPPORT_MEASURE_SHARE - self.flagged
        return due > 0 and self.rng.random() < 0.2

    def household(self, number: int, first_atena: int, limit: int) -> DemoHousehold:
        kind = self.rng.choices(self.type_names, cum_weights=self.type_weights)[0]
        members = self.compose(kind)[:limit]
        surname = self.pick_surname()
        place = self.pick_town(kind)
        town = place.town
        if self.rng.random() < min(0.95, town.apartment_share * APARTMENT_FACTOR[kind]):
            banchi, building = self.flat(place)
        else:
            banchi, building = self.lot(place), ""
        protected = self.support_measure(kind, members)
        births = [self.birth_date(member.age) for member in members]
        moved_in = self.move_in_date(births[0])
        taken: set[str] = set()
        persons = []
        for offset, (member, birth) in enumerate(zip(members, births, strict=True)):
            family_name, family_reading = member.surname or surname
            given = self.given_name(member.sex, birth.year, taken)
            taken.add(given.name)
            persons.append(
                DemoPerson(
                    atena_number=atena_number(first_atena + offset),
                    name=f"{family_name}{SPACE}{given.name}",
                    name_kana=f"{family_reading}{SPACE}{given.reading}",
                    birth_date=birth,
                    sex=member.sex,
                    relationship=member.relationship,
                    postal_code=town.postal_code,
                    prefecture=town.prefecture,
                    city=town.city,
                    town=town.town,
                    banchi=banchi,
                    building=building,
                    address_code=town.address_code,
                    resident_since=max(moved_in, birth),
                    support_measure=protected,
                )
            )
        self.persons += len(persons)
        self.flagged += len(persons) if protected else 0
        return DemoHousehold(number=household_number(number), members=tuple(persons))


def generate_town(
    *, residents: int = DEFAULT_RESIDENTS, seed: int = 1, reference_date: dt.date = REFERENCE_DATE
) -> Iterator[DemoHousehold]:
    """Yield the households of みどり市 until exactly ``residents`` persons have been yielded.

    宛名番号 run from 0000000001 to ``residents`` and 世帯番号 from 0000000001, in the order yielded.
    """
    if not 1 <= residents <= MAX_RESIDENTS:
        raise ValueError(f"residents must be between 1 and {MAX_RESIDENTS:,}, not {residents:,}")
    generator = _TownGenerator(seed=seed, reference_date=reference_date)
    number = 0
    while generator.persons < residents:
        number += 1
        yield generator.household(number, generator.persons + 1, residents - generator.persons)


# --- the town as a registry file ---------------------------------------------------------------------

REGISTRY_HEADER = HEADERS  # the layout of docs/registry.md
_BIRTH, _MOVE_IN = "03", "01"  # 異動事由 出生, 国内転入 (residents/codes/change_reasons.yaml)


def registry_rows(households: Iterable[DemoHousehold]) -> Iterator[list[str]]:
    """The households as rows of a full registry file (REGISTRY_HEADER), as the core system would send them.

    Each row carries the person's first 異動: 出生 for those born in みどり市, 国内転入 for the others, with a
    届出日 up to 13 days later (derived from the 宛名番号, so the same town always gives the same file).
    """
    for household in households:
        for p in household.members:
            moved_on = p.resident_since.isoformat()
            reason = _BIRTH if p.resident_since == p.birth_date else _MOVE_IN
            notified = min(p.resident_since + dt.timedelta(days=int(p.atena_number) % 14), REFERENCE_DATE)
            yield [
                p.atena_number,
                household.number,
                p.name,
                p.name_kana,
                "1",  # 氏名フリガナ確認フラグ
                "",  # 旧氏
                "",  # 旧氏フリガナ
                p.birth_date.isoformat(),
                "",  # 生年月日不詳表記
                p.sex,
                p.relationship,
                p.postal_code,
                p.prefecture,
                p.city,
                p.town,
                p.banchi,
                p.building,
                p.address_code,
                moved_on,  # 住民となった日
                moved_on,  # 住所を定めた日
                "1",  # 住民状態: 住民
                "1",  # 住民種別: 日本人住民
                "",  # 氏名アルファベット
                "",  # 通称
                "",  # 国籍・地域
                "",  # 在留資格
                "",  # 在留期間の満了の日
                "1" if p.support_measure else "0",
                reason,
                moved_on,
                notified.isoformat(),
            ]
