"""Life-event guides (手続ナビ): parse, strictly validate and evaluate one YAML file per life event.

Pure Python, no Django (import-linter contract in pyproject.toml). `load_guide_file` reads `guides/<id>.yaml`,
checks every key and value and reports *all* problems of the file with their line numbers, so that
`madoguchi guides check` can refuse a bad file. `evaluate` turns a resident's answers into the ordered list of
procedures that apply, each with why, where, what to bring and the deadline (a date when the event date is
known). Conditions are data (`{question: x, equals: yes}`, `all:`, `any:`, `not:`), never code.

An unanswered question is *unknown*, not "no": a condition that depends on it is neither true nor false, and
the entry is listed as "may apply" with the questions that would decide it (three-valued logic). The format
is documented in docs/guide.md.

The reading itself is `core.yamlfile`'s, shared with the procedure files: YAML with line numbers, `Problem`,
and the generic checks of `StrictYamlBuilder`. This module has the guide format: its objects, `_Builder`,
which reads questions, entries and conditions, and the evaluation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from madoguchi.core.yamlfile import (
    SLUG_RE,
    Problem,
    StrictYamlBuilder,
    UnreadableFile,
    describe,
    did_you_mean,
    item_line,
    key_line,
    line_of,
    load_lined_yaml,
    read_text,
)
from madoguchi.procedures.spec import DEPARTMENTS, Localized

QUESTION_TYPES = ("yesno", "choice")
YES, NO = "yes", "no"
YESNO_OPTIONS = (
    (YES, Localized(ja="はい", en="Yes")),
    (NO, Localized(ja="いいえ", en="No")),
)
# The choice offered with every question for "no answer": the question stays unknown.
UNANSWERED_LABEL = Localized(ja="わからない・答えない", en="Not sure, or I prefer not to say")
# Names of the query parameters of the guide page besides the question ids.
RESERVED_QUESTION_IDS = ("date", "answered")
# Where a procedure is done: online (a procedure of procedures/ with online: true), at a window of one of the
# city's departments, or at another office (年金事務所, 税務署, 法務局, the board of education …).
WHERE_KINDS = ("online", "window", "office")

# Registry facts that may answer a yes/no question for a resident whose account is linked to the register
# (computed by `registry_answers` from birth dates only; "the day" is the event date, or today without one).
ANSWER_PREFILL_KEYS: Mapping[str, str] = {
    "household.children_under_18": "someone else in the household is a child until the 31 March after "
    "their 18th birthday (高校生年代まで), not counting anyone born on or after the day",
    "household.school_age_children": "someone in the household is of primary or lower-secondary school "
    "age (小学生・中学生) on the day",
    "household.members_65_or_over": "someone in the household has reached 65 on the day",
    "household.members_75_or_over": "someone in the household has reached 75 on the day",
    "person.under_60": "the resident has not reached 60 on the day",
}
# Registry facts that may give the event date.
EVENT_DATE_PREFILL_KEYS: Mapping[str, str] = {
    "person.reaches_65": "the day the resident reaches 65 (満65歳に達する日: the day before the 65th birthday)",
}

_OPTION_VALUE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

_TOP_KEYS_REQUIRED = ("id", "version", "source", "updated", "title", "summary", "questions", "entries")
_TOP_KEYS_OPTIONAL = ("order", "event_date")
_EVENT_DATE_KEYS = ("label", "help", "prefill")
_QUESTION_KEYS = ("id", "text", "help", "type", "options", "prefill")
_ENTRY_KEYS = (
    "id",
    "procedure",
    "title",
    "reason",
    "where",
    "bring",
    "deadline",
    "deadline_days",
    "deadline_months",
    "count_event_day",
    "when",
)
_WHERE_KEYS = ("department", "window", "office")
_CONDITION_KEYS = ("question", "equals", "in", "all", "any", "not")
_MAX_DEADLINE_DAYS = 3660
_MAX_DEADLINE_MONTHS = 120


# --------------------------------------------------------------------------------------------------------------
# The objects


@dataclass(frozen=True)
class Option:
    value: str
    label: Localized


@dataclass(frozen=True)
class Question:
    id: str
    text: Localized
    type: str  # "yesno" | "choice"
    options: tuple[Option, ...]  # for yesno: はい / いいえ
    help: Localized | None = None
    prefill: str | None = None  # a key of ANSWER_PREFILL_KEYS

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.options)

    def option(self, value: str) -> Option | None:
        return next((option for option in self.options if option.value == value), None)


@dataclass(frozen=True)
class Equals:
    """The question's answer is one of `values` (`equals: v` is `in: [v]`)."""

    question: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Equals | AllOf | AnyOf | Not


@dataclass(frozen=True)
class Where:
    kind: str  # one of WHERE_KINDS
    department: str | None = None  # a DEPARTMENTS code (online and window)
    window: Localized | None = None  # e.g. 1番窓口 (window)
    office: Localized | None = None  # another office (office)


@dataclass(frozen=True)
class Entry:
    id: str
    reason: Localized
    procedure: str | None = None  # slug of a procedure in procedures/; its name and department are used
    title: Localized | None = None  # guide-only entries
    where: Where | None = None  # guide-only entries; for a procedure only a window may be given
    bring: tuple[Localized, ...] | None = None  # None: the procedure's list
    deadline: Localized | None = None  # None: the procedure's deadline text
    deadline_days: int | None = None
    deadline_months: int | None = None
    count_event_day: bool = False  # 戸籍法: the day of the event is day 1 (初日算入)
    when: Condition | None = None  # None: always applies
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class EventDate:
    label: Localized  # e.g. 生まれた日
    help: Localized | None = None
    prefill: str | None = None  # a key of EVENT_DATE_PREFILL_KEYS


@dataclass(frozen=True)
class Guide:
    id: str
    version: str
    source: str
    updated: dt.date
    title: Localized
    summary: Localized
    questions: tuple[Question, ...]
    entries: tuple[Entry, ...]
    order: int = 1000
    event_date: EventDate | None = None
    path: str = field(default="", compare=False)

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def entry(self, entry_id: str) -> Entry:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise KeyError(entry_id)

    @property
    def procedure_slugs(self) -> tuple[str, ...]:
        return tuple(e.procedure for e in self.entries if e.procedure)


@dataclass(frozen=True)
class ProcedureRef:
    """What a guide takes from a procedure of procedures/: its name, department, whether it is online."""

    slug: str
    name: Localized
    department: str
    online: bool
    bring: tuple[Localized, ...] = ()
    deadline: Localized | None = None

    @classmethod
    def from_spec(cls, spec: Any, *, online: bool | None = None) -> ProcedureRef:
        """From a `procedures.spec.ProcedureSpec`; `online` overrides the spec's (the catalog's switch)."""
        return cls(
            slug=spec.id,
            name=spec.name,
            department=spec.department,
            online=spec.online if online is None else online,
            bring=tuple(spec.bring),
            deadline=spec.deadline,
        )


@dataclass(frozen=True)
class Applicable:
    """One entry that applies to the answers (`certain`) or may apply (`undecided` names the open questions)."""

    entry: Entry
    certain: bool
    undecided: tuple[str, ...]
    title: Localized
    reason: Localized
    where: Where
    bring: tuple[Localized, ...]
    deadline: Localized | None
    deadline_date: dt.date | None
    procedure: str | None = None

    @property
    def id(self) -> str:
        return self.entry.id


# --------------------------------------------------------------------------------------------------------------
# Errors


class GuideFileError(Exception):
    """A guide file is malformed. `problems` lists every problem found, each with its line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --------------------------------------------------------------------------------------------------------------
# Loading


def load_guide_file(path: str | Path, *, procedures: Mapping[str, ProcedureRef] | None = None) -> Guide:
    """Read and validate one guide file; raise GuideFileError listing every problem with its line.

    With `procedures` (slug → ProcedureRef), every `procedure:` must name one of them.
    """
    path = Path(path)
    try:
        text = read_text(path)
    except UnreadableFile as exc:
        raise GuideFileError([exc.problem]) from exc
    return parse_guide_text(text, path=path, procedures=procedures)


def parse_guide_text(
    text: str, *, path: str | Path, procedures: Mapping[str, ProcedureRef] | None = None
) -> Guide:
    """Validate guide YAML given as text; `path` names the file in messages and gives the expected id."""
    path = Path(path)
    try:
        data, key_problems = load_lined_yaml(text, path=path)
    except UnreadableFile as exc:
        raise GuideFileError([exc.problem]) from exc

    builder = _Builder(path=str(path), expected_id=path.stem, procedures=procedures)
    builder.problems.extend(key_problems)
    guide = builder.build(data)
    if builder.problems or guide is None:
        problems = builder.problems or [Problem(str(path), 1, "the guide could not be read")]
        raise GuideFileError(sorted(problems, key=lambda p: p.line))
    return guide


def load_guide_directory(
    directory: str | Path, *, procedures: Mapping[str, ProcedureRef] | None = None
) -> list[Guide]:
    """Every `*.yaml` of `directory`, validated; ordered by `order`, then id. Raises GuideFileError with the
    problems of every file (and one when the directory does not exist or holds no guide)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise GuideFileError([Problem(str(directory), 0, "no such directory of guide files")])
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise GuideFileError([Problem(str(directory), 0, "the directory holds no guide file (*.yaml)")])
    guides: list[Guide] = []
    problems: list[Problem] = []
    for path in files:
        try:
            guides.append(load_guide_file(path, procedures=procedures))
        except GuideFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise GuideFileError(problems)
    return sorted(guides, key=lambda g: (g.order, g.id))


class _Builder(StrictYamlBuilder):
    """Turns one loaded YAML document into a Guide, collecting every problem on the way.

    The generic checks (keys, mapping, text, boolean, integer, identifier, choice, localized, a list in both
    languages, options) are `StrictYamlBuilder`'s; a guide is always read strictly.
    """

    localized_type = Localized
    option_type = Option
    option_value_re = _OPTION_VALUE_RE
    option_value_rule = (
        "a short code of lower-case letters, digits, _ and - (quote words such as 'yes', 'no' and numbers)"
    )
    min_options = 2  # a choice between fewer is no question

    def __init__(self, *, path: str, expected_id: str, procedures: Mapping[str, ProcedureRef] | None) -> None:
        super().__init__(path=path, expected_id=expected_id)
        self.procedures = procedures
        # Ids of questions read so far, also of those with problems: a condition naming one of those is
        # not reported again as naming an unknown question.
        self.question_ids: set[str] = set()
        self.valid_questions: tuple[Question, ...] = ()

    def optional_localized(self, data: Mapping, key: str, where: str, line: int) -> Localized | None:
        if key not in data:
            return None
        return self.localized(data[key], key_line(data, key, line), f"{where} {key}")

    def bring(self, value: Any, line: int, where: str) -> tuple[Localized, ...] | None:
        return self.bilingual_list(
            value, line, key="bring", where=where, whole_lists=True, count_at_mapping=True
        )

    # -- the guide --------------------------------------------------------------------------------------------

    def build(self, data: Any) -> Guide | None:
        if not isinstance(data, dict):
            self.problem(line_of(data, 1), "the file must be a YAML mapping starting with 'id: ...'")
            return None
        self.check_keys(
            data, where="guide", allowed=_TOP_KEYS_REQUIRED + _TOP_KEYS_OPTIONAL, required=_TOP_KEYS_REQUIRED
        )

        def line(key: str) -> int:
            return key_line(data, key, 1)

        guide_id = self.file_id(data["id"], line("id")) if "id" in data else None
        version = self.version(data["version"], line("version")) if "version" in data else None
        source = self.text(data["source"], line("source"), "source") if "source" in data else None
        updated = self.date(data["updated"], line("updated"), "updated") if "updated" in data else None
        title = self.localized(data["title"], line("title"), "title") if "title" in data else None
        summary = self.localized(data["summary"], line("summary"), "summary") if "summary" in data else None
        order = (
            self.integer(data["order"], line("order"), "order", minimum=0, maximum=100_000)
            if "order" in data
            else 1000
        )
        event_date = self.event_date(data["event_date"], line("event_date")) if "event_date" in data else None
        questions = self.questions(data["questions"], line("questions")) if "questions" in data else None
        entries = (
            self.entries(
                data["entries"], line("entries"), questions or (), has_event_date="event_date" in data
            )
            if "entries" in data
            else None
        )
        if questions is not None and entries is not None:
            self.unused_questions(questions, entries, data["questions"], line("questions"))

        parts = (guide_id, version, source, updated, title, summary, order, questions, entries)
        if self.problems or any(part is None for part in parts):
            return None
        return Guide(
            id=guide_id,
            version=version,
            source=source,
            updated=updated,
            title=title,
            summary=summary,
            order=order,
            event_date=event_date,
            questions=questions,
            entries=entries,
            path=self.path,
        )

    def version(self, value: Any, line: int) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return str(value)
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.problem(
            line, f'version must be a number such as 1 or a text such as "2026.1", not {describe(value)}'
        )
        return None

    def date(self, value: Any, line: int, where: str) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(line, f"{where} must be a date such as 2026-04-01, not {value!r}")
        return None

    def event_date(self, value: Any, line: int) -> EventDate | None:
        data = self.mapping(value, line, "event_date")
        if data is None:
            return None
        line = line_of(data, line)
        self.check_keys(data, where="event_date", allowed=_EVENT_DATE_KEYS, required=("label",))
        label = self.optional_localized(data, "label", "event_date", line)
        help_text = self.optional_localized(data, "help", "event_date", line)
        prefill = None
        if "prefill" in data:
            prefill = self.choice(
                data["prefill"],
                key_line(data, "prefill", line),
                "event_date prefill",
                tuple(EVENT_DATE_PREFILL_KEYS),
            )
        if label is None:
            return None
        return EventDate(label=label, help=help_text, prefill=prefill)

    # -- questions --------------------------------------------------------------------------------------------

    def questions(self, value: Any, line: int) -> tuple[Question, ...] | None:
        if value is None:
            value = []
        if not isinstance(value, list):
            self.problem(line, f"questions must be a list of questions, not {describe(value)}")
            return None
        questions: list[Question] = []
        seen: dict[str, int] = {}
        ok = True
        for index, raw in enumerate(value):
            question_line = item_line(value, index, line)
            question = self.question(raw, question_line, index, seen)
            if question is None:
                ok = False
            else:
                questions.append(question)
        self.valid_questions = tuple(questions)
        return tuple(questions) if ok else None

    def question(self, value: Any, line: int, index: int, seen: dict[str, int]) -> Question | None:
        where = f"question {index + 1}"
        data = self.mapping(value, line, where)
        if data is None:
            return None
        line = line_of(data, line)
        before = len(self.problems)
        question_id = None
        if "id" in data:
            id_line = key_line(data, "id", line)
            question_id = self.identifier(data["id"], id_line, f"{where} id")
            if question_id is not None:
                where = f"question '{question_id}'"
                self.question_ids.add(question_id)
                if question_id in RESERVED_QUESTION_IDS:
                    self.problem(
                        id_line,
                        f"{where}: the id is reserved for the page ({', '.join(RESERVED_QUESTION_IDS)}); "
                        "choose another",
                    )
                elif question_id in seen:
                    self.problem(
                        id_line, f"{where}: duplicate question id (first on line {seen[question_id]})"
                    )
                else:
                    seen[question_id] = id_line
        self.check_keys(data, where=where, allowed=_QUESTION_KEYS, required=("id", "text", "type"))
        text = self.optional_localized(data, "text", where, line)
        help_text = self.optional_localized(data, "help", where, line)
        question_type = (
            self.choice(data["type"], key_line(data, "type", line), f"{where} type", QUESTION_TYPES)
            if "type" in data
            else None
        )
        options: tuple[Option, ...] = ()
        if question_type == "choice":
            if "options" in data:
                options = self.options(data["options"], key_line(data, "options", line), where)
            else:
                self.problem(line, f"{where}: type choice needs options: [{{value, label}}, ...]")
        elif question_type == "yesno":
            if "options" in data:
                self.problem(
                    key_line(data, "options", line),
                    f"{where}: a yesno question has the options yes and no; remove options or use type: choice",
                )
            options = tuple(Option(value, label) for value, label in YESNO_OPTIONS)
        prefill = None
        if "prefill" in data:
            prefill_line = key_line(data, "prefill", line)
            prefill = self.choice(
                data["prefill"], prefill_line, f"{where} prefill", tuple(ANSWER_PREFILL_KEYS)
            )
            if prefill is not None and question_type == "choice":
                self.problem(
                    prefill_line, f"{where}: prefill answers yes or no; only a yesno question may have it"
                )
        if len(self.problems) > before or None in (question_id, text, question_type):
            return None
        return Question(
            id=question_id, text=text, type=question_type, options=options, help=help_text, prefill=prefill
        )

    # -- entries ----------------------------------------------------------------------------------------------

    def entries(
        self, value: Any, line: int, questions: Sequence[Question], *, has_event_date: bool
    ) -> tuple[Entry, ...] | None:
        if not isinstance(value, list) or not value:
            self.problem(line, "entries must be a non-empty list of entries")
            return None
        by_id = {q.id: q for q in questions}
        entries: list[Entry] = []
        seen: dict[str, int] = {}
        ok = True
        for index, raw in enumerate(value):
            entry_line = item_line(value, index, line)
            entry = self.entry(raw, entry_line, index, seen, by_id, has_event_date)
            if entry is None:
                ok = False
            else:
                entries.append(entry)
        return tuple(entries) if ok else None

    def entry(
        self,
        value: Any,
        line: int,
        index: int,
        seen: dict[str, int],
        questions: Mapping[str, Question],
        has_event_date: bool,
    ) -> Entry | None:
        where = f"entry {index + 1}"
        data = self.mapping(value, line, where)
        if data is None:
            return None
        line = line_of(data, line)
        before = len(self.problems)

        def kline(key: str) -> int:
            return key_line(data, key, line)

        entry_id = None
        if "id" in data:
            entry_id = self.text(data["id"], kline("id"), f"{where} id")
            if entry_id is not None and not SLUG_RE.match(entry_id):
                self.problem(
                    kline("id"),
                    f"{where} id '{entry_id}' must be a slug: lower-case letters, digits and hyphens",
                )
                entry_id = None
            if entry_id is not None:
                where = f"entry '{entry_id}'"
                if entry_id in seen:
                    self.problem(kline("id"), f"{where}: duplicate entry id (first on line {seen[entry_id]})")
                else:
                    seen[entry_id] = kline("id")

        self.check_keys(data, where=where, allowed=_ENTRY_KEYS, required=("id", "reason"))
        procedure = None
        if "procedure" in data:
            procedure = self.procedure(data["procedure"], kline("procedure"), where)
            if "title" in data:
                self.problem(
                    kline("title"),
                    f"{where}: the title comes from the procedure '{data['procedure']}'; remove title",
                )
        elif "title" not in data:
            self.problem(line, f"{where}: give either procedure: <slug> or a title (and where)")
        title = self.optional_localized(data, "title", where, line) if "procedure" not in data else None
        reason = self.optional_localized(data, "reason", where, line)
        where_value = None
        if "where" in data:
            where_value = self.where(data["where"], kline("where"), where, for_procedure="procedure" in data)
        elif "procedure" not in data:
            self.problem(
                line, f"{where}: a guide-only entry needs where: {{department: ...}} or {{office: ...}}"
            )
        bring = self.bring(data["bring"], kline("bring"), where) if "bring" in data else None
        deadline = self.optional_localized(data, "deadline", where, line)
        deadline_days = deadline_months = None
        if "deadline_days" in data:
            deadline_days = self.integer(
                data["deadline_days"],
                kline("deadline_days"),
                f"{where} deadline_days",
                minimum=1,
                maximum=_MAX_DEADLINE_DAYS,
            )
        if "deadline_months" in data:
            deadline_months = self.integer(
                data["deadline_months"],
                kline("deadline_months"),
                f"{where} deadline_months",
                minimum=1,
                maximum=_MAX_DEADLINE_MONTHS,
            )
        if "deadline_days" in data and "deadline_months" in data:
            self.problem(
                kline("deadline_months"), f"{where}: give deadline_days or deadline_months, not both"
            )
        counted = "deadline_days" in data or "deadline_months" in data
        if counted and not has_event_date:
            self.problem(
                kline("deadline_days" if "deadline_days" in data else "deadline_months"),
                f"{where}: a deadline counted in days or months needs the guide's event_date (the day it counts from)",
            )
        if counted and "deadline" not in data and "procedure" not in data:
            self.problem(
                line, f"{where}: a counted deadline also needs deadline: {{ja, en}} saying it in words"
            )
        count_event_day = False
        if "count_event_day" in data:
            count_event_day = bool(
                self.boolean(data["count_event_day"], kline("count_event_day"), f"{where} count_event_day")
            )
            if not counted:
                self.problem(
                    kline("count_event_day"),
                    f"{where}: count_event_day needs deadline_days or deadline_months",
                )
        when = (
            self.condition(data["when"], kline("when"), f"{where} when", questions)
            if "when" in data
            else None
        )

        if len(self.problems) > before or entry_id is None or reason is None:
            return None
        return Entry(
            id=entry_id,
            reason=reason,
            procedure=procedure,
            title=title,
            where=where_value,
            bring=bring,
            deadline=deadline,
            deadline_days=deadline_days,
            deadline_months=deadline_months,
            count_event_day=count_event_day,
            when=when,
            line=line,
        )

    def procedure(self, value: Any, line: int, where: str) -> str | None:
        if not isinstance(value, str) or not SLUG_RE.match(value):
            self.problem(line, f"{where} procedure must be the slug of a procedure file, not {value!r}")
            return None
        if self.procedures is not None and value not in self.procedures:
            self.problem(
                line,
                f"{where}: unknown procedure '{value}'{did_you_mean(value, sorted(self.procedures))} "
                f"(the procedures are the files of procedures/)",
            )
            return None
        return value

    def where(self, value: Any, line: int, where: str, *, for_procedure: bool) -> Where | None:
        data = self.mapping(value, line, f"{where} where")
        if data is None:
            return None
        line = line_of(data, line)
        if for_procedure:
            # The procedure gives the department and says whether it is online; a window may be added.
            before = len(self.problems)
            for key in data:
                if key in ("department", "office"):
                    self.problem(
                        key_line(data, key, line),
                        f"{where}: where.{key} comes from the procedure; only where.window may be given",
                    )
                elif key != "window":
                    self.problem(
                        key_line(data, key, line),
                        f"{where} where: unknown key '{key}'{did_you_mean(str(key), _WHERE_KEYS)}",
                    )
            if "window" not in data and len(self.problems) == before:
                self.problem(line, f"{where}: where for a procedure takes window: {{ja, en}}")
            window = self.optional_localized(data, "window", f"{where} where", line)
            if len(self.problems) > before or window is None:
                return None
            return Where(kind="window", window=window)
        self.check_keys(data, where=f"{where} where", allowed=_WHERE_KEYS)
        window = self.optional_localized(data, "window", f"{where} where", line)
        has_department, has_office = "department" in data, "office" in data
        if has_department == has_office:
            self.problem(
                line, f"{where}: where needs either department (a city window) or office (another office)"
            )
            return None
        if has_office:
            if "window" in data:
                self.problem(
                    key_line(data, "window", line), f"{where}: where.window goes with department, not office"
                )
            office = self.optional_localized(data, "office", f"{where} where", line)
            return Where(kind="office", office=office) if office is not None else None
        department = self.choice(
            data["department"], key_line(data, "department", line), f"{where} where.department", DEPARTMENTS
        )
        if department is None:
            return None
        return Where(kind="window", department=department, window=window)

    # -- conditions -------------------------------------------------------------------------------------------

    def condition(
        self, value: Any, line: int, where: str, questions: Mapping[str, Question]
    ) -> Condition | None:
        data = self.mapping(
            value, line, f"{where} ({{question: ..., equals: ...}}, all: [...], any: [...] or not: ...)"
        )
        if data is None:
            return None
        line = line_of(data, line)
        before = len(self.problems)
        self.check_keys(data, where=where, allowed=_CONDITION_KEYS)
        if len(self.problems) > before:
            return None
        forms = [key for key in ("question", "all", "any", "not") if key in data]
        if len(forms) != 1:
            self.problem(
                line,
                f"{where}: a condition is one of {{question: ..., equals: ...}}, {{all: [...]}}, {{any: [...]}} "
                f"or {{not: ...}}; found {', '.join(forms) or 'none of them'}",
            )
            return None
        form = forms[0]
        if form in ("all", "any"):
            items = data[form]
            items_line = key_line(data, form, line)
            if "equals" in data or "in" in data:
                self.problem(items_line, f"{where}: equals/in go with question, not with {form}")
                return None
            if not isinstance(items, list) or not items:
                self.problem(items_line, f"{where}: {form} must be a non-empty list of conditions")
                return None
            built = [
                self.condition(item, item_line(items, i, items_line), f"{where} {form}[{i + 1}]", questions)
                for i, item in enumerate(items)
            ]
            if any(b is None for b in built):
                return None
            return AllOf(tuple(built)) if form == "all" else AnyOf(tuple(built))
        if form == "not":
            if "equals" in data or "in" in data:
                self.problem(
                    key_line(data, "not", line), f"{where}: equals/in go with question, not with not"
                )
                return None
            inner = self.condition(data["not"], key_line(data, "not", line), f"{where} not", questions)
            return Not(inner) if inner is not None else None
        return self.test(data, line, where, questions)

    def test(
        self, data: Mapping, line: int, where: str, questions: Mapping[str, Question]
    ) -> Condition | None:
        operators = [op for op in ("equals", "in") if op in data]
        if len(operators) != 1:
            self.problem(line, f"{where}: question needs exactly one of equals or in")
            return None
        question_line = key_line(data, "question", line)
        question_id = data["question"]
        if not isinstance(question_id, str):
            self.problem(
                question_line, f"{where}: question must be the id of a question, not {describe(question_id)}"
            )
            return None
        question = questions.get(question_id)
        if question is None and question_id in self.question_ids:
            return None  # the question has problems of its own, already reported
        if question is None:
            self.problem(
                question_line,
                f"{where}: unknown question '{question_id}'{did_you_mean(question_id, sorted(questions))}",
            )
            return None
        operator = operators[0]
        op_line = key_line(data, operator, line)
        raw = data[operator]
        if operator == "in":
            if not isinstance(raw, list) or not raw:
                self.problem(op_line, f"{where}: in must be a non-empty list of answers")
                return None
            values = [
                self.answer_value(v, item_line(raw, i, op_line), where, question) for i, v in enumerate(raw)
            ]
        else:
            values = [self.answer_value(raw, op_line, where, question)]
        if any(v is None for v in values):
            return None
        return Equals(question=question_id, values=tuple(values))

    def answer_value(self, value: Any, line: int, where: str, question: Question) -> str | None:
        if question.type == "yesno" and isinstance(value, bool):
            return YES if value else NO  # YAML reads an unquoted yes/no as true/false
        if isinstance(value, str) and value in question.values:
            return value
        shown = value if isinstance(value, str) else describe(value)
        hint = did_you_mean(shown, question.values) if isinstance(value, str) else ""
        self.problem(
            line,
            f"{where}: '{shown}' is not an answer of question '{question.id}'{hint} "
            f"(use one of {', '.join(question.values)}; quote values that YAML reads as true/false or numbers)",
        )
        return None

    def unused_questions(
        self, questions: Sequence[Question], entries: Sequence[Entry], raw: Any, line: int
    ) -> None:
        used = {q for entry in entries if entry.when is not None for q in condition_questions(entry.when)}
        for index, question in enumerate(questions):
            if question.id not in used:
                self.problem(
                    item_line(raw, index, line),
                    f"question '{question.id}' is not used by any entry's when; use it or remove it",
                )


# --------------------------------------------------------------------------------------------------------------
# Answers


@dataclass(frozen=True)
class AnswerCheck:
    """Answers read from the page: `answers` (question id → value) and `errors` (question id → message)."""

    answers: dict[str, str]
    errors: dict[str, Localized]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_answers(guide: Guide, raw: Mapping[str, Any]) -> AnswerCheck:
    """Keep the answers that are option values; "" or a missing one is unanswered; anything else is an error
    naming the question and its choices. Keys that are not questions are ignored."""
    answers: dict[str, str] = {}
    errors: dict[str, Localized] = {}
    for question in guide.questions:
        value = raw.get(question.id)
        if value is None or value == "":
            continue
        if isinstance(value, str) and value in question.values:
            answers[question.id] = value
            continue
        choices_ja = "」「".join(o.label.ja for o in (*question.options, Option("", UNANSWERED_LABEL)))
        choices_en = '", "'.join(o.label.en for o in question.options)
        errors[question.id] = Localized(
            ja=f"この質問の回答は「{choices_ja}」から選んでください。",
            en=f'Choose one of "{choices_en}" or "{UNANSWERED_LABEL.en}" for this question.',
        )
    return AnswerCheck(answers=answers, errors=errors)


def condition_questions(condition: Condition) -> tuple[str, ...]:
    """The ids of the questions a condition looks at, in order, each once."""
    found: list[str] = []

    def walk(cond: Condition) -> None:
        if isinstance(cond, Equals):
            if cond.question not in found:
                found.append(cond.question)
        elif isinstance(cond, AllOf | AnyOf):
            for item in cond.items:
                walk(item)
        else:
            walk(cond.item)

    walk(condition)
    return tuple(found)


def evaluate_condition(condition: Condition, answers: Mapping[str, str]) -> bool | None:
    """True, False, or None when it depends on an unanswered question (Kleene's three-valued logic)."""
    if isinstance(condition, Equals):
        answer = answers.get(condition.question)
        return None if answer is None else answer in condition.values
    if isinstance(condition, Not):
        inner = evaluate_condition(condition.item, answers)
        return None if inner is None else not inner
    results = [evaluate_condition(item, answers) for item in condition.items]
    if isinstance(condition, AllOf):
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


# --------------------------------------------------------------------------------------------------------------
# Deadlines


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the last day of the month when that month is shorter (1/31 + 1 → 2/28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(f"no such month: {year}-{month}")  # pragma: no cover


def deadline_date(entry: Entry, event_date: dt.date | None) -> dt.date | None:
    """The last day to do it: `deadline_days` / `deadline_months` after the event date.

    The day of the event is not counted (民法 第140条: 初日不算入), so 14 days after 1 April is 15 April;
    with `count_event_day` it is day 1 (戸籍法 第43条: 出生届 within 14 days of a birth on 1 April is 14 April).
    None without an event date or a counted deadline, or when the date would be out of range.
    """
    if event_date is None or (entry.deadline_days is None and entry.deadline_months is None):
        return None
    try:
        if entry.deadline_days is not None:
            end = event_date + dt.timedelta(days=entry.deadline_days)
        else:
            end = add_months(event_date, entry.deadline_months)
        return end - dt.timedelta(days=1) if entry.count_event_day else end
    except (OverflowError, ValueError):
        return None


# --------------------------------------------------------------------------------------------------------------
# Evaluation


def evaluate(
    guide: Guide,
    answers: Mapping[str, str],
    *,
    procedures: Mapping[str, ProcedureRef],
    event_date: dt.date | None = None,
) -> list[Applicable]:
    """The entries that apply (certain) or may apply (undecided), in the order of the file.

    An entry whose condition is false is left out, and so is an entry naming a procedure that is not in
    `procedures` (not published, or switched off).
    """
    applicable: list[Applicable] = []
    for entry in guide.entries:
        outcome = True if entry.when is None else evaluate_condition(entry.when, answers)
        if outcome is False:
            continue
        undecided = (
            () if outcome else tuple(q for q in condition_questions(entry.when) if q not in answers)  # type: ignore[arg-type]
        )
        resolved = _resolve(entry, procedures)
        if resolved is None:
            continue
        title, where, bring, deadline = resolved
        applicable.append(
            Applicable(
                entry=entry,
                certain=bool(outcome),
                undecided=undecided,
                title=title,
                reason=entry.reason,
                where=where,
                bring=bring,
                deadline=deadline,
                deadline_date=deadline_date(entry, event_date),
                procedure=entry.procedure,
            )
        )
    return applicable


def _resolve(
    entry: Entry, procedures: Mapping[str, ProcedureRef]
) -> tuple[Localized, Where, tuple[Localized, ...], Localized | None] | None:
    if entry.procedure is None:
        assert entry.title is not None and entry.where is not None
        return entry.title, entry.where, entry.bring or (), entry.deadline
    ref = procedures.get(entry.procedure)
    if ref is None:
        return None
    window = entry.where.window if entry.where is not None else None
    where = (
        Where(kind="online", department=ref.department, window=window)
        if ref.online
        else Where(kind="window", department=ref.department, window=window)
    )
    bring = entry.bring if entry.bring is not None else ref.bring
    return ref.name, where, bring, entry.deadline or ref.deadline


# --------------------------------------------------------------------------------------------------------------
# Answers from the register (住民記録), from birth dates only


@dataclass(frozen=True)
class HouseholdMember:
    birth_date: dt.date
    is_self: bool = False


def reaches_age(birth_date: dt.date, years: int) -> dt.date:
    """The day a person reaches `years` of age: the day before the birthday (年齢計算ニ関スル法律).

    Someone born on 29 February has their birthday on 1 March in other years, so they reach it on 28 February.
    """
    try:
        birthday = birth_date.replace(year=birth_date.year + years)
    except ValueError:  # 29 February in a year without one
        birthday = dt.date(birth_date.year + years, 3, 1)
    return birthday - dt.timedelta(days=1)


def has_reached(birth_date: dt.date, years: int, day: dt.date) -> bool:
    return day >= reaches_age(birth_date, years)


def is_child_for_allowance(birth_date: dt.date, day: dt.date) -> bool:
    """Born before `day` and not past the first 31 March on or after reaching 18 (児童手当: 高校生年代まで)."""
    if birth_date >= day:
        return False
    reached = reaches_age(birth_date, 18)
    end_year = reached.year if (reached.month, reached.day) <= (3, 31) else reached.year + 1
    return day <= dt.date(end_year, 3, 31)


def school_entry_date(birth_date: dt.date) -> dt.date:
    """The first 1 April after the child reaches 6 (学校教育法 第17条): born 1 April 2019 → 1 April 2025,
    born 2 April 2019 → 1 April 2026."""
    reached = reaches_age(birth_date, 6)
    year = reached.year if (reached.month, reached.day) < (4, 1) else reached.year + 1
    return dt.date(year, 4, 1)


def is_school_age(birth_date: dt.date, day: dt.date) -> bool:
    """In one of the nine years of 小学校 and 中学校 on `day`."""
    entry = school_entry_date(birth_date)
    return entry <= day < dt.date(entry.year + 9, 4, 1)


def registry_answers(
    guide: Guide,
    *,
    birth_date: dt.date | None,
    household: Sequence[HouseholdMember],
    today: dt.date,
    event_date: dt.date | None = None,
) -> tuple[dict[str, str], dt.date | None]:
    """Answers (question id → yes/no) and an event date the register gives for this guide's `prefill` keys.

    `birth_date` is the resident's own (None when the register holds a 不詳 date); `household` the members of
    their household, the resident marked `is_self`. The facts are counted on the event date when one is given
    (or is itself pre-filled), otherwise on `today`.
    """
    prefilled_date = None
    if guide.event_date is not None and guide.event_date.prefill == "person.reaches_65" and birth_date:
        try:
            prefilled_date = reaches_age(birth_date, 65)
        except (OverflowError, ValueError):
            prefilled_date = None
    day = event_date or prefilled_date or today
    facts: dict[str, bool | None] = {
        "household.children_under_18": any(
            is_child_for_allowance(m.birth_date, day) for m in household if not m.is_self
        ),
        "household.school_age_children": any(is_school_age(m.birth_date, day) for m in household),
        "household.members_65_or_over": any(has_reached(m.birth_date, 65, day) for m in household),
        "household.members_75_or_over": any(has_reached(m.birth_date, 75, day) for m in household),
        "person.under_60": None if birth_date is None else not has_reached(birth_date, 60, day),
    }
    if not household:
        for key in list(facts):
            if key.startswith("household."):
                facts[key] = None
    answers = {
        q.id: (YES if facts[q.prefill] else NO)
        for q in guide.questions
        if q.prefill is not None and facts.get(q.prefill) is not None
    }
    return answers, prefilled_date
