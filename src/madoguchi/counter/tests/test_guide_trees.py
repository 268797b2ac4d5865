"""The shipped guide files (guides/*.yaml): each is valid against the repository's procedures, and for each a
few answer combinations give exactly the expected entries, with deadlines counted from the event date."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from madoguchi.counter import guide as engine
from madoguchi.demo import town as demo_town
from madoguchi.procedures.spec import DEPARTMENTS

from .conftest import GUIDES_DIR

EVENT = dt.date(2026, 4, 1)  # a Wednesday
SHIPPED = (
    "birth",
    "moving-in",
    "moving-out",
    "moving-within",
    "marriage",
    "divorce",
    "death",
    "turning-65",
    "school-entry",
    "leaving-job",
)


@pytest.fixture(scope="module")
def guides(known_procedures) -> dict[str, engine.Guide]:
    return {g.id: g for g in engine.load_guide_directory(GUIDES_DIR, procedures=known_procedures)}


def evaluate(
    guide: engine.Guide, procedures, answers: dict[str, str], event_date=EVENT
) -> list[engine.Applicable]:
    """Every yes/no question not named is answered "no"; choice questions must be named."""
    full = {q.id: "no" for q in guide.questions if q.type == "yesno"}
    full.update(answers)
    assert set(full) == {q.id for q in guide.questions}, "answer every question in these tests"
    result = engine.evaluate(guide, full, procedures=procedures, event_date=event_date)
    assert all(a.certain for a in result)
    return result


def ids(result) -> list[str]:
    return [a.id for a in result]


def deadlines(result) -> dict[str, dt.date]:
    return {a.id: a.deadline_date for a in result if a.deadline_date}


def test_the_shipped_guides(guides):
    assert list(guides) == list(SHIPPED)  # in their `order`
    for guide in guides.values():
        assert guide.version and guide.source and guide.updated <= dt.date.today()
        assert guide.event_date is not None
        assert Path(guide.path).name == f"{guide.id}.yaml"
    assert len(guides["death"].entries) >= 30


def test_departments_are_those_of_the_demo_town(guides):
    """The codes are procedures.spec.DEPARTMENTS, and the demo town names each of them."""
    path = Path(demo_town.__file__).parent / "data" / "departments.csv"
    with path.open(encoding="utf-8") as handle:
        names = {row["code"]: row["name_ja"] for row in csv.DictReader(handle)}
    assert sorted(names) == sorted(DEPARTMENTS)
    assert names["shimin"] == "市民課" and names["hoken-nenkin"] == "保険年金課"
    used = {e.where.department for g in guides.values() for e in g.entries if e.where and e.where.department}
    assert used <= set(DEPARTMENTS)
    assert used == {"shimin", "kosodate", "hoken-nenkin", "kaigo", "fukushi", "zeimu", "kankyo"}


def test_procedures_named_by_the_guides_exist(guides, known_procedures):
    named = {slug for g in guides.values() for slug in g.procedure_slugs}
    assert named <= set(known_procedures)
    assert {"jido-teate", "kodomo-iryohi", "kokuho-kanyu", "tenkyo", "tennyu-reservation"} <= named


def test_no_answers_lists_everything_that_may_apply(guides, known_procedures):
    guide = guides["birth"]
    result = engine.evaluate(guide, {}, procedures=known_procedures)
    assert [a.id for a in result if a.certain] == ["shussei-todoke", "kodomo-iryohi", "akachan-homon"]
    assert {a.id: a.undecided for a in result if not a.certain}["jido-teate"] == ("other_children",)
    assert len(result) == len(guide.entries)


# ---- one test per tree ---------------------------------------------------------------------------------------


def test_birth(guides, known_procedures):
    guide = guides["birth"]
    result = evaluate(guide, known_procedures, {})
    assert ids(result) == ["shussei-todoke", "jido-teate", "kodomo-iryohi", "kenpo-fuyo", "akachan-homon"]
    assert deadlines(result) == {
        "shussei-todoke": dt.date(2026, 4, 14),  # 14 days counting the day of birth (戸籍法)
        "jido-teate": dt.date(2026, 4, 16),  # 15 days after the day of birth
        "kodomo-iryohi": dt.date(2026, 5, 1),  # one month
    }
    all_yes = {q.id: "yes" for q in guide.questions}
    result = evaluate(guide, known_procedures, all_yes)
    assert ids(result) == [
        "shussei-todoke",
        "jido-teate-gaku",
        "kodomo-iryohi",
        "kokuho-kanyu",
        "shussan-ikuji",
        "jido-fuyo",
        "hitorioya-iryo",
        "akachan-homon",
        "satogaeri",
        "hoiku-moushikomi",
        "zairyu-shikaku",
    ]
    assert deadlines(result)["zairyu-shikaku"] == dt.date(2026, 5, 1)
    assert deadlines(result)["shussan-ikuji"] == dt.date(2028, 4, 1)
    online = {a.id for a in result if a.where.kind == "online"}
    assert online == {"kodomo-iryohi", "kokuho-kanyu", "hoiku-moushikomi"}
    assert ids(evaluate(guide, known_procedures, {"kokuho": "yes", "other_children": "yes"})) == [
        "shussei-todoke",
        "jido-teate-gaku",
        "kodomo-iryohi",
        "kokuho-kanyu",
        "shussan-ikuji",
        "akachan-homon",
    ]


def test_moving_in(guides, known_procedures):
    guide = guides["moving-in"]
    result = evaluate(guide, known_procedures, {})
    assert ids(result) == ["tennyu-reservation", "tennyu-todoke", "suido-kaishi", "menkyo-jusho"]
    assert deadlines(result) == {
        "tennyu-reservation": dt.date(2026, 4, 15),
        "tennyu-todoke": dt.date(2026, 4, 15),
    }
    result = evaluate(
        guide, known_procedures, {"children": "yes", "school": "yes", "dog": "yes", "seal": "yes"}
    )
    assert ids(result) == [
        "tennyu-reservation",
        "tennyu-todoke",
        "jido-teate",
        "kodomo-iryohi",
        "tennyugaku",
        "inkan-toroku",
        "inu-tennyu",
        "suido-kaishi",
        "menkyo-jusho",
    ]
    assert deadlines(result)["jido-teate"] == dt.date(2026, 4, 16)
    assert deadlines(result)["inu-tennyu"] == dt.date(2026, 5, 1)
    seal = next(a for a in result if a.id == "inkan-toroku")
    assert (seal.where.kind, seal.where.department, seal.where.window.ja) == (
        "window",
        "shimin",
        "2番窓口（証明書・印鑑登録）",
    )
    result = evaluate(guide, known_procedures, {q.id: "yes" for q in guide.questions})
    assert len(result) == 15


def test_moving_out(guides, known_procedures):
    guide = guides["moving-out"]
    assert ids(evaluate(guide, known_procedures, {})) == ["tenshutsu-todoke", "suido-chushi"]
    result = evaluate(guide, known_procedures, {"online_moveout": "yes", "kokuho": "yes", "bulky": "yes"})
    assert ids(result) == ["tenshutsu-online", "kokuho-soshitsu", "sodai-gomi", "suido-chushi"]
    assert deadlines(result) == {
        "tenshutsu-online": dt.date(2026, 4, 15),
        "kokuho-soshitsu": dt.date(2026, 4, 15),
    }
    result = evaluate(guide, known_procedures, {"elderly_65": "yes", "elderly_75": "yes", "children": "yes"})
    assert ids(result) == [
        "tenshutsu-todoke",
        "koki-tenshutsu",
        "kaigo-tenshutsu",
        "jido-teate-shometsu",
        "kodomo-iryo-henkan",
        "suido-chushi",
    ]


def test_moving_within(guides, known_procedures):
    guide = guides["moving-within"]
    result = evaluate(guide, known_procedures, {})
    assert ids(result) == ["tenkyo", "suido", "menkyo-jusho"]
    tenkyo = result[0]
    assert (tenkyo.where.kind, tenkyo.where.department) == ("window", "shimin")  # a counter procedure
    assert tenkyo.title == known_procedures["tenkyo"].name
    result = evaluate(guide, known_procedures, {"card": "yes", "car": "yes", "school_change": "yes"})
    assert ids(result) == [
        "tenkyo",
        "mynumber-jusho",
        "tenko-shinai",
        "suido",
        "jidosha-jusho",
        "menkyo-jusho",
    ]
    assert deadlines(result) == {
        "tenkyo": dt.date(2026, 4, 15),
        "mynumber-jusho": dt.date(2026, 4, 15),
        "jidosha-jusho": dt.date(2026, 4, 16),
    }


def test_marriage(guides, known_procedures):
    guide = guides["marriage"]
    assert ids(evaluate(guide, known_procedures, {"move": "none", "insurance": "unchanged"})) == [
        "konin-todoke"
    ]
    result = evaluate(
        guide,
        known_procedures,
        {"name_change": "yes", "card": "yes", "seal": "yes", "move": "within", "insurance": "dependent"},
    )
    assert ids(result) == [
        "konin-todoke",
        "tenkyo",
        "mynumber-shimei",
        "inkan-toroku",
        "kokuho-soshitsu",
        "nenkin-3go",
        "menkyo-passport",
    ]
    assert deadlines(result) == {"mynumber-shimei": dt.date(2026, 4, 15)}
    # The card is only updated when there is one.
    result = evaluate(guide, known_procedures, {"name_change": "yes", "move": "into", "insurance": "kokuho"})
    assert ids(result) == ["konin-todoke", "tennyu-reservation", "kokuho-kanyu", "menkyo-passport"]
    result = evaluate(
        guide,
        known_procedures,
        {"move": "out", "insurance": "unchanged", "single_parent_allowance": "yes", "foreign": "yes"},
    )
    assert ids(result) == ["konin-todoke", "tenshutsu-todoke", "jido-fuyo-soshitsu", "zairyu"]


def test_divorce(guides, known_procedures):
    guide = guides["divorce"]
    assert ids(evaluate(guide, known_procedures, {"surname": "unchanged", "move": "none"})) == [
        "rikon-todoke"
    ]
    result = evaluate(
        guide,
        known_procedures,
        {
            "court": "yes",
            "surname": "keep",
            "move": "out",
            "children": "yes",
            "allowance_change": "yes",
            "child_surname": "yes",
            "insurance": "yes",
        },
    )
    assert ids(result) == [
        "rikon-todoke-saiban",
        "koshi-zokusho",
        "tenshutsu-todoke",
        "kokuho-kanyu",
        "nenkin-1go",
        "jido-fuyo",
        "hitorioya-iryo",
        "jido-teate",
        "ko-no-uji",
        "nyuseki-todoke",
        "hitorioya-sodan",
    ]
    assert deadlines(result) == {
        "rikon-todoke-saiban": dt.date(2026, 4, 10),  # 10 days counting the day the decision became final
        "koshi-zokusho": dt.date(2026, 7, 1),  # 3 months
    }
    result = evaluate(
        guide, known_procedures, {"surname": "former", "card": "yes", "seal": "no", "move": "within"}
    )
    assert ids(result) == ["rikon-todoke", "tenkyo", "mynumber-shimei", "menkyo-passport"]
    # Without children, neither the allowance nor the children's surname matter.
    result = evaluate(
        guide,
        known_procedures,
        {"surname": "unchanged", "move": "none", "allowance_change": "yes", "child_surname": "yes"},
    )
    assert ids(result) == ["rikon-todoke"]


def test_death(guides, known_procedures):
    guide = guides["death"]
    result = evaluate(guide, known_procedures, {"insurance": "kokuho", "vehicle": "none"})
    assert ids(result) == [
        "shibo-todoke",
        "kaso-kyoka",
        "kokuho-soshitsu",
        "kokuho-sosaihi",
        "kogaku-ryoyohi",
        "menkyo-passport",
    ]
    assert deadlines(result) == {
        "shibo-todoke": dt.date(2026, 4, 7),  # 7 days counting the day
        "kokuho-soshitsu": dt.date(2026, 4, 15),
    }
    everything = {q.id: "yes" for q in guide.questions if q.type == "yesno"}
    result = evaluate(guide, known_procedures, {**everything, "insurance": "koki", "vehicle": "several"})
    assert ids(result) == [
        "shibo-todoke",
        "kaso-kyoka",
        "setainushi-henko",
        "koki-soshitsu",
        "koki-sosaihi",
        "kogaku-ryoyohi",
        "kaigo-soshitsu",
        "nenkin-shibo",
        "mishikyu-nenkin",
        "izoku-nenkin",
        "shibo-ichijikin",
        "jido-teate",
        "jido-fuyo",
        "hitorioya-iryo",
        "inkan-haishi",
        "mynumber-henno",
        "shogai-techo",
        "shiminzei-sozokunin",
        "kotei-shisan",
        "keijidosha",
        "gentsuki",
        "futsusha",
        "suido-meigi",
        "jun-kakutei",
        "sozoku-toki",
        "sozoku-zei",
        "sozoku-hoki",
        "menkyo-passport",
    ]
    assert deadlines(result) == {
        "shibo-todoke": dt.date(2026, 4, 7),
        "setainushi-henko": dt.date(2026, 4, 15),
        "koki-soshitsu": dt.date(2026, 4, 15),
        "kaigo-soshitsu": dt.date(2026, 4, 15),
        "nenkin-shibo": dt.date(2026, 4, 11),
        "izoku-nenkin": dt.date(2031, 4, 1),
        "shibo-ichijikin": dt.date(2028, 4, 1),
        "jun-kakutei": dt.date(2026, 8, 1),  # 4 months
        "sozoku-toki": dt.date(2029, 4, 1),  # 3 years
        "sozoku-zei": dt.date(2027, 2, 1),  # 10 months
        "sozoku-hoki": dt.date(2026, 7, 1),  # 3 months
    }
    result = evaluate(
        guide,
        known_procedures,
        {"insurance": "employee", "survivors": "yes", "vehicle": "kei", "head": "yes"},
    )
    assert ids(result) == [
        "shibo-todoke",
        "kaso-kyoka",
        "kenpo-soshitsu",
        "kokuho-kanyu",
        "izoku-nenkin",
        "keijidosha",
        "menkyo-passport",
    ]  # the head of a household of one: no 世帯主変更届


def test_turning_65(guides, known_procedures):
    guide = guides["turning-65"]
    assert guide.event_date.prefill == "person.reaches_65"
    result = evaluate(guide, known_procedures, {"pension": "start"})
    assert ids(result) == ["kaigo-hihokenshasho", "kaigo-hokenryo", "nenkin-seikyu"]
    assert deadlines(result) == {}
    result = evaluate(
        guide,
        known_procedures,
        {"kokuho": "yes", "pension": "defer", "care": "yes", "disability": "yes", "job_seeking": "yes"},
    )
    assert ids(result) == [
        "kaigo-hihokenshasho",
        "kaigo-hokenryo",
        "kokuho-kaigo",
        "nenkin-kurisage",
        "yokaigo-nintei",
        "hokatsu",
        "shogai-ikou",
        "hello-work",
    ]
    assert ids(evaluate(guide, known_procedures, {"pension": "receiving"}))[-1] == "nenkin-65"


def test_school_entry(guides, known_procedures):
    guide = guides["school-entry"]
    result = evaluate(guide, known_procedures, {"school": "primary", "school_type": "city"})
    assert ids(result) == ["shugaku-kenshin", "nyugaku-tsuchi"]
    yes = {"change": "yes", "support": "yes", "financial": "yes", "afterschool": "yes"}
    result = evaluate(guide, known_procedures, {"school": "primary", "school_type": "city", **yes})
    assert ids(result) == [
        "shugaku-kenshin",
        "nyugaku-tsuchi",
        "shitei-henko",
        "shugaku-sodan",
        "shugaku-enjo",
        "gakudo",
    ]
    # A private lower-secondary school: no city letter, no city assistance, no after-school club.
    result = evaluate(guide, known_procedures, {"school": "lower_secondary", "school_type": "other", **yes})
    assert ids(result) == ["shiritsu-todoke", "shugaku-sodan"]


def test_leaving_job(guides, known_procedures):
    guide = guides["leaving-job"]
    result = evaluate(guide, known_procedures, {"insurance": "kokuho", "under_60": "yes"})
    assert ids(result) == ["kokuho-kanyu", "nenkin-1go"]
    assert deadlines(result) == {"kokuho-kanyu": dt.date(2026, 4, 15), "nenkin-1go": dt.date(2026, 4, 15)}
    result = evaluate(
        guide,
        known_procedures,
        {
            "insurance": "voluntary",
            "under_60": "yes",
            "spouse": "yes",
            "resident_tax": "yes",
            "job_seeking": "yes",
            "hard_to_pay": "yes",
            "year_end": "yes",
        },
    )
    assert ids(result) == [
        "nin-i-keizoku",
        "nenkin-1go",
        "nenkin-1go-haigusha",
        "shiminzei-futsu",
        "hello-work",
        "nenkin-menjo",
        "kakutei-shinkoku",
    ]
    assert deadlines(result) == {
        "nin-i-keizoku": dt.date(2026, 4, 21),  # 20 days after the last day
        "nenkin-1go": dt.date(2026, 4, 15),
        "nenkin-1go-haigusha": dt.date(2026, 4, 15),
        "hello-work": dt.date(2027, 4, 1),
    }
    assert ids(evaluate(guide, known_procedures, {"insurance": "new_job", "resident_tax": "yes"})) == []
    result = evaluate(
        guide, known_procedures, {"insurance": "kokuho", "involuntary": "yes", "job_seeking": "yes"}
    )
    assert ids(result) == ["kokuho-kanyu", "hello-work", "kokuho-keigen"]
