"""The guide file parser: every problem of a file is reported, each with its line; conditions are data."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from madoguchi.counter import guide as engine
from madoguchi.procedures.spec import Localized

VALID = textwrap.dedent(
    """\
    id: sample
    version: 3
    source: 戸籍法 第49条
    updated: 2026-04-01
    title: {ja: テスト, en: Test}
    summary: {ja: テストの案内, en: A test guide}
    event_date:
      label: {ja: 生まれた日, en: Date of birth}
    questions:
      - id: kokuho
        type: yesno
        text: {ja: 国保ですか, en: National Health Insurance}
      - id: move
        type: choice
        text: {ja: 引っ越し, en: Moving}
        options:
          - {value: within, label: {ja: 市内, en: Within}}
          - {value: out, label: {ja: 市外, en: Out}}
    entries:
      - id: todoke
        title: {ja: 届出, en: Notification}
        reason: {ja: 必要です, en: Needed}
        where: {department: shimin, window: {ja: 1番窓口, en: Window 1}}
        bring: {ja: [本人確認書類], en: [Identification]}
        deadline_days: 14
        count_event_day: true
        deadline: {ja: 14日以内, en: Within 14 days}
      - id: kokuho-kanyu
        procedure: kokuho-kanyu
        reason: {ja: 国保に入ります, en: Join}
        when: {question: kokuho, equals: yes}
      - id: nenkin
        title: {ja: 年金, en: Pension}
        reason: {ja: 年金事務所で, en: At the pension office}
        where: {office: {ja: 年金事務所, en: Pension office}}
        when:
          any:
            - {question: move, equals: out}
            - all:
                - {question: kokuho, equals: "no"}
                - not: {question: move, in: [within]}
    """
)


def parse(text: str, procedures=None) -> engine.Guide:
    return engine.parse_guide_text(text, path="guides/sample.yaml", procedures=procedures)


def problems(text: str, procedures=None) -> list[str]:
    with pytest.raises(engine.GuideFileError) as caught:
        parse(text, procedures)
    return [str(p) for p in caught.value.problems]


def test_a_valid_file(known_procedures):
    guide = parse(VALID, known_procedures)
    assert (guide.id, guide.version, guide.source, guide.updated) == (
        "sample",
        "3",
        "戸籍法 第49条",
        dt.date(2026, 4, 1),
    )
    assert [q.id for q in guide.questions] == ["kokuho", "move"]
    assert guide.question("kokuho").values == ("yes", "no")
    todoke = guide.entry("todoke")
    assert todoke.where == engine.Where(
        kind="window", department="shimin", window=Localized("1番窓口", "Window 1")
    )
    assert (todoke.deadline_days, todoke.count_event_day) == (14, True)
    # An unquoted YAML yes is read as true: for a yes/no question it means "yes".
    assert guide.entry("kokuho-kanyu").when == engine.Equals("kokuho", ("yes",))
    assert guide.entry("nenkin").when == engine.AnyOf(
        (
            engine.Equals("move", ("out",)),
            engine.AllOf((engine.Equals("kokuho", ("no",)), engine.Not(engine.Equals("move", ("within",))))),
        )
    )


def test_unknown_keys_with_did_you_mean():
    text = VALID.replace("    reason: {ja: 必要です", "    reasn: {ja: 必要です").replace(
        "summary:", "sumary:"
    )
    found = problems(text)
    assert "guides/sample.yaml:6: guide: unknown key 'sumary'; did you mean 'summary'?" in found
    assert "guides/sample.yaml:1: guide: missing required key 'summary'" in found
    assert "guides/sample.yaml:22: entry 'todoke': unknown key 'reasn'; did you mean 'reason'?" in found
    assert "guides/sample.yaml:20: entry 'todoke': missing required key 'reason'" in found


def test_unknown_question_in_a_condition_with_did_you_mean():
    found = problems(
        VALID.replace("when: {question: kokuho, equals: yes}", "when: {question: kokuhoo, equals: yes}")
    )
    assert found == [
        "guides/sample.yaml:31: entry 'kokuho-kanyu' when: unknown question 'kokuhoo'; did you mean 'kokuho'?"
    ]


def test_unknown_option_value():
    found = problems(VALID.replace("{question: move, equals: out}", "{question: move, equals: outside}"))
    assert len(found) == 1
    assert found[0].startswith(
        "guides/sample.yaml:38: entry 'nenkin' when any[1]: 'outside' is not an answer of question 'move'"
    )
    assert "did you mean 'out'?" in found[0]


def test_a_yes_no_question_refuses_other_answers():
    found = problems(VALID.replace('{question: kokuho, equals: "no"}', "{question: kokuho, equals: maybe}"))
    assert "'maybe' is not an answer of question 'kokuho'" in found[0]
    assert "use one of yes, no" in found[0]


def test_unknown_procedure_slug_when_the_slugs_are_known(known_procedures):
    text = VALID.replace("procedure: kokuho-kanyu", "procedure: kokuho-kanyuu")
    found = problems(text, known_procedures)
    assert found == [
        "guides/sample.yaml:29: entry 'kokuho-kanyu': unknown procedure 'kokuho-kanyuu'; did you mean 'kokuho-kanyu'? "
        "(the procedures are the files of procedures/)"
    ]
    assert parse(text).entry("kokuho-kanyu").procedure == "kokuho-kanyuu"  # without the list: not checked


def test_duplicate_ids_keys_and_options():
    text = VALID.replace("  - id: nenkin\n", "  - id: todoke\n").replace("  - id: move\n", "  - id: kokuho\n")
    text = text.replace(
        "{value: out, label: {ja: 市外, en: Out}}", "{value: within, label: {ja: 市外, en: Out}}"
    )
    text = text.replace("version: 3\n", "version: 3\nversion: 4\n")
    found = problems(text)
    assert "guides/sample.yaml:3: duplicate key 'version' (first on line 2); keep only one" in found
    assert "guides/sample.yaml:14: question 'kokuho': duplicate question id (first on line 11)" in found
    assert "guides/sample.yaml:19: question 'kokuho': option value 'within' repeats line 18" in found
    assert "guides/sample.yaml:33: entry 'todoke': duplicate entry id (first on line 21)" in found


def test_departments_are_checked_with_did_you_mean():
    found = problems(VALID.replace("department: shimin", "department: shimn"))
    assert found == [
        "guides/sample.yaml:23: entry 'todoke' where.department: unknown value 'shimn'; did you mean 'shimin'? "
        "use one of shimin, kosodate, hoken-nenkin, kaigo, fukushi, zeimu, kankyo"
    ]


def test_entry_shape_problems():
    text = VALID.replace("    title: {ja: 届出, en: Notification}\n", "")
    text = text.replace(
        "    reason: {ja: 国保に入ります, en: Join}\n",
        "    reason: {ja: 国保に入ります, en: Join}\n    title: {ja: x, en: y}\n    where: {department: kosodate}\n",
    )
    text = text.replace(
        "    where: {office: {ja: 年金事務所, en: Pension office}}\n",
        "    where: {office: {ja: 年金事務所, en: Pension office}, department: zeimu}\n",
    )
    found = problems(text)
    assert (
        "guides/sample.yaml:20: entry 'todoke': give either procedure: <slug> or a title (and where)" in found
    )
    assert (
        "guides/sample.yaml:30: entry 'kokuho-kanyu': the title comes from the procedure 'kokuho-kanyu'; remove title"
        in found
    )
    assert (
        "guides/sample.yaml:31: entry 'kokuho-kanyu': where.department comes from the procedure; only where.window may be given"
        in found
    )
    assert any("where needs either department (a city window) or office (another office)" in p for p in found)


def test_deadline_problems():
    text = VALID.replace("    deadline_days: 14\n", "    deadline_days: 0\n    deadline_months: 2\n")
    text = text.replace("event_date:\n  label: {ja: 生まれた日, en: Date of birth}\n", "")
    found = problems(text)
    assert any("deadline_days must be between 1 and 3660, not 0" in p for p in found)
    assert any("give deadline_days or deadline_months, not both" in p for p in found)
    assert any("needs the guide's event_date (the day it counts from)" in p for p in found)


def test_condition_forms_are_data_only():
    found = problems(VALID.replace("when: {question: kokuho, equals: yes}", "when: \"kokuho == 'yes'\""))
    assert found == [
        "guides/sample.yaml:31: entry 'kokuho-kanyu' when ({question: ..., equals: ...}, all: [...], any: [...] or "
        "not: ...) must be a mapping (key: value lines), not text"
    ]
    found = problems(
        VALID.replace(
            "when: {question: kokuho, equals: yes}", "when: {question: kokuho, equals: yes, all: []}"
        )
    )
    assert "found question, all" in found[0]
    found = problems(VALID.replace("when: {question: kokuho, equals: yes}", "when: {question: kokuho}"))
    assert found == [
        "guides/sample.yaml:31: entry 'kokuho-kanyu' when: question needs exactly one of equals or in"
    ]


def test_questions_must_be_used_and_ids_not_reserved():
    text = VALID.replace("  - id: move\n", "  - id: date\n")
    found = problems(text)
    assert (
        "guides/sample.yaml:13: question 'date': the id is reserved for the page (date, answered); choose another"
        in found
    )
    text = VALID.replace(
        "entries:\n", "  - id: unused\n    type: yesno\n    text: {ja: 使わない, en: Unused}\nentries:\n"
    )
    assert problems(text) == [
        "guides/sample.yaml:19: question 'unused' is not used by any entry's when; use it or remove it"
    ]


def test_id_must_match_the_file_and_header_values():
    text = (
        VALID.replace("id: sample", "id: other")
        .replace("updated: 2026-04-01", "updated: soon")
        .replace("version: 3", "version: true")
    )
    found = problems(text)
    assert (
        "guides/sample.yaml:1: id 'other' must equal the file name without .yaml ('sample'); rename one"
        in found
    )
    assert (
        'guides/sample.yaml:2: version must be a number such as 1 or a text such as "2026.1", not true/false'
        in found
    )
    assert "guides/sample.yaml:4: updated must be a date such as 2026-04-01, not 'soon'" in found


def test_english_with_a_comma_in_a_flow_mapping_is_caught():
    found = problems(VALID.replace("en: A test guide}", "en: A test, guide}"))
    assert found == ["guides/sample.yaml:6: summary: unknown key 'guide'; allowed keys: ja, en"]


def test_yaml_syntax_error_has_a_line():
    found = problems(VALID.replace("title: {ja: テスト, en: Test}", "title: {ja: テスト, en: Test"))
    assert len(found) == 1 and found[0].startswith("guides/sample.yaml:") and "YAML syntax error" in found[0]


def test_load_directory_reports_every_file(tmp_path):
    (tmp_path / "sample.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("id: broken\n", encoding="utf-8")
    with pytest.raises(engine.GuideFileError) as caught:
        engine.load_guide_directory(tmp_path)
    assert {p.path for p in caught.value.problems} == {str(tmp_path / "broken.yaml")}
    (tmp_path / "broken.yaml").unlink()
    assert [g.id for g in engine.load_guide_directory(tmp_path)] == ["sample"]
    with pytest.raises(engine.GuideFileError, match="no such directory"):
        engine.load_guide_directory(tmp_path / "missing")


# ---- evaluation ----------------------------------------------------------------------------------------------


def test_three_valued_conditions():
    cond = engine.AllOf((engine.Equals("a", ("yes",)), engine.Not(engine.Equals("b", ("x", "y")))))
    assert engine.evaluate_condition(cond, {"a": "yes", "b": "z"}) is True
    assert engine.evaluate_condition(cond, {"a": "no"}) is False  # false whatever b is
    assert engine.evaluate_condition(cond, {"a": "yes"}) is None
    either = engine.AnyOf((engine.Equals("a", ("yes",)), engine.Equals("b", ("x",))))
    assert engine.evaluate_condition(either, {"b": "x"}) is True
    assert engine.evaluate_condition(either, {"a": "no"}) is None
    assert engine.evaluate_condition(either, {"a": "no", "b": "y"}) is False


def test_evaluate_resolves_procedures_and_marks_undecided_entries(known_procedures):
    guide = parse(VALID, known_procedures)
    result = engine.evaluate(guide, {}, procedures=known_procedures, event_date=dt.date(2026, 4, 1))
    assert [(a.id, a.certain, a.undecided) for a in result] == [
        ("todoke", True, ()),
        ("kokuho-kanyu", False, ("kokuho",)),
        ("nenkin", False, ("move", "kokuho")),
    ]
    todoke, kokuho = result[0], result[1]
    assert todoke.deadline_date == dt.date(2026, 4, 14)  # counting the day of the event
    assert kokuho.title == known_procedures["kokuho-kanyu"].name
    assert kokuho.where == engine.Where(kind="online", department="hoken-nenkin")
    assert kokuho.bring == known_procedures["kokuho-kanyu"].bring  # the procedure's list
    answered = engine.evaluate(guide, {"kokuho": "no", "move": "within"}, procedures=known_procedures)
    assert [a.id for a in answered] == ["todoke"]
    # A procedure that is not published is left out.
    assert [a.id for a in engine.evaluate(guide, {"kokuho": "yes"}, procedures={})] == ["todoke", "nenkin"]


def test_check_answers():
    guide = parse(VALID)
    checked = engine.check_answers(guide, {"kokuho": "yes", "move": "elsewhere", "date": "x", "other": "y"})
    assert checked.answers == {"kokuho": "yes"}
    assert set(checked.errors) == {"move"}
    assert (
        checked.errors["move"].ja
        == "この質問の回答は「市内」「市外」「わからない・答えない」から選んでください。"
    )
    assert (
        checked.errors["move"].en
        == 'Choose one of "Within", "Out" or "Not sure, or I prefer not to say" for this question.'
    )
    assert engine.check_answers(guide, {"kokuho": "", "move": None}).answers == {}


@pytest.mark.parametrize(
    ("days", "months", "count_event_day", "event", "expected"),
    [
        (14, None, False, dt.date(2026, 4, 1), dt.date(2026, 4, 15)),  # 民法: the first day is not counted
        (14, None, True, dt.date(2026, 4, 1), dt.date(2026, 4, 14)),  # 戸籍法: it is
        (7, None, True, dt.date(2026, 12, 28), dt.date(2027, 1, 3)),
        (None, 1, False, dt.date(2026, 1, 31), dt.date(2026, 2, 28)),  # the month is shorter
        (None, 3, False, dt.date(2024, 11, 30), dt.date(2025, 2, 28)),
        (None, 36, False, dt.date(2024, 2, 29), dt.date(2027, 2, 28)),
        (None, 4, True, dt.date(2026, 4, 10), dt.date(2026, 8, 9)),
    ],
)
def test_deadline_dates(days, months, count_event_day, event, expected):
    entry = engine.Entry(
        id="x",
        reason=Localized("a", "b"),
        deadline_days=days,
        deadline_months=months,
        count_event_day=count_event_day,
    )
    assert engine.deadline_date(entry, event) == expected
    assert engine.deadline_date(entry, None) is None


def test_a_deadline_beyond_the_calendar_is_none():
    entry = engine.Entry(id="x", reason=Localized("a", "b"), deadline_days=14)
    assert engine.deadline_date(entry, dt.date(9999, 12, 30)) is None


# ---- answers from the register -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "years", "reached"),
    [
        (dt.date(1961, 4, 2), 65, dt.date(2026, 4, 1)),
        (dt.date(1961, 4, 1), 65, dt.date(2026, 3, 31)),
        (dt.date(1960, 2, 29), 65, dt.date(2025, 2, 28)),  # no 29 February in 2025: birthday 1 March
        (dt.date(1964, 2, 29), 60, dt.date(2024, 2, 28)),
    ],
)
def test_reaches_age(birth, years, reached):
    assert engine.reaches_age(birth, years) == reached


@pytest.mark.parametrize(
    ("birth", "day", "child"),
    [
        (dt.date(2008, 4, 2), dt.date(2026, 3, 31), True),  # reaches 18 on 2026-04-01: until 2027-03-31
        (dt.date(2008, 4, 2), dt.date(2027, 3, 31), True),
        (dt.date(2008, 4, 2), dt.date(2027, 4, 1), False),
        (dt.date(2008, 4, 1), dt.date(2026, 3, 31), True),  # reaches 18 on 2026-03-31: until that day
        (dt.date(2008, 4, 1), dt.date(2026, 4, 1), False),
        (
            dt.date(2026, 4, 1),
            dt.date(2026, 4, 1),
            False,
        ),  # born on the day: the newborn, not "another" child
    ],
)
def test_child_for_the_allowance(birth, day, child):
    assert engine.is_child_for_allowance(birth, day) is child


@pytest.mark.parametrize(
    ("birth", "entry"),
    [
        (dt.date(2019, 4, 1), dt.date(2025, 4, 1)),  # 早生まれ: reaches 6 on 31 March
        (dt.date(2019, 4, 2), dt.date(2026, 4, 1)),
        (dt.date(2020, 1, 15), dt.date(2026, 4, 1)),
    ],
)
def test_school_entry_date(birth, entry):
    assert engine.school_entry_date(birth) == entry
    assert engine.is_school_age(birth, entry)
    assert not engine.is_school_age(birth, entry - dt.timedelta(days=1))
    assert engine.is_school_age(birth, dt.date(entry.year + 9, 3, 31))
    assert not engine.is_school_age(birth, dt.date(entry.year + 9, 4, 1))


def _guide_with(prefills: dict[str, str], event_prefill: str | None = None) -> engine.Guide:
    questions = tuple(
        engine.Question(id=qid, text=Localized("q", "q"), type="yesno", options=(), prefill=key)
        for qid, key in prefills.items()
    )
    event_date = engine.EventDate(label=Localized("d", "d"), prefill=event_prefill)
    return engine.Guide(
        id="g",
        version="1",
        source="s",
        updated=dt.date(2026, 1, 1),
        title=Localized("t", "t"),
        summary=Localized("s", "s"),
        questions=questions,
        entries=(),
        event_date=event_date,
    )


def test_registry_answers():
    guide = _guide_with(
        {
            "children": "household.children_under_18",
            "school": "household.school_age_children",
            "elderly": "household.members_65_or_over",
            "old": "household.members_75_or_over",
            "young": "person.under_60",
        }
    )
    household = [
        engine.HouseholdMember(dt.date(1990, 5, 1), is_self=True),
        engine.HouseholdMember(dt.date(2018, 6, 1)),
        engine.HouseholdMember(dt.date(1950, 1, 1)),
    ]
    answers, event_date = engine.registry_answers(
        guide, birth_date=dt.date(1990, 5, 1), household=household, today=dt.date(2026, 4, 1)
    )
    assert answers == {"children": "yes", "school": "yes", "elderly": "yes", "old": "yes", "young": "yes"}
    assert event_date is None
    alone = [engine.HouseholdMember(dt.date(1965, 5, 1), is_self=True)]
    answers, _ = engine.registry_answers(
        guide, birth_date=dt.date(1965, 5, 1), household=alone, today=dt.date(2026, 4, 1)
    )
    assert answers == {"children": "no", "school": "no", "elderly": "no", "old": "no", "young": "no"}
    # Nothing is known without the household or a birth date (a 不詳 date is not used).
    assert engine.registry_answers(guide, birth_date=None, household=[], today=dt.date(2026, 4, 1)) == (
        {},
        None,
    )


def test_registry_answers_counts_on_the_event_date_and_gives_the_day_of_65():
    guide = _guide_with({"children": "household.children_under_18"}, event_prefill="person.reaches_65")
    household = [engine.HouseholdMember(dt.date(2008, 4, 2))]
    answers, event_date = engine.registry_answers(
        guide, birth_date=dt.date(1961, 7, 10), household=household, today=dt.date(2026, 4, 1)
    )
    assert event_date == dt.date(2026, 7, 9)
    assert answers == {"children": "yes"}  # on 2026-07-09 the child is 18 but still in 高校生年代
    answers, _ = engine.registry_answers(
        guide, birth_date=dt.date(1962, 7, 10), household=household, today=dt.date(2026, 4, 1)
    )
    assert answers == {"children": "no"}  # counted on 2027-07-09
