"""`juki-ido`: 住民異動届 — accepted 転入・転居・転出 cases as one row per moving person, for the core 住民記録 system.

Each procedure's form keeps the items in its own fields; `MOVE_FORMS` says where (field ids of
procedures/<slug>.yaml), and `test_handoff_juki_ido` checks every id against the shipped files. Only what the
forms collect is written: a column a procedure does not ask stays empty in its rows (docs/handoff.md has
the table). Persons chosen from the household (転居, 転出) are registry persons: their 宛名番号, フリガナ,
date of birth, sex and 続柄 come from the registry read-model. While a 支援措置 applies to anyone in a case,
no address of that case is written (the row says so in 備考), as in the registry export.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from madoguchi.core.errors import MadoguchiError
from madoguchi.jp import wareki
from madoguchi.residents.registry import codes

from ..base import CaseRecord, ColumnSpec, HandoffError, HandoffFormat, Notice, Row, format_date
from ..config import ColumnChoice, FormatOptions
from ..registry import register

TENNYU, TENKYO, TENSHUTSU = "転入", "転居", "転出"
SUBMITTED, ACCEPTED = "submitted", "accepted"  # which day is the 届出日
MEMBERS, LINES = "members", "lines"  # how a form lists the people who move


@dataclass(frozen=True)
class MoveForm:
    """Where one procedure's form keeps what a 住民異動届 needs: field ids of its YAML file (None: not asked).

    `reasons`: the 異動事由 (a name of residents/codes/change_reasons.yaml) by the value of `reason_field`,
    else `reason`. `people`: a household_member field (MEMBERS) or a text with one 「氏名　生年月日」 a line
    (LINES). `relationship`: when the registry's 続柄 still holds after the move: always (True), never
    (False), or while the field `[0]` has one of the values `[1]`.
    """

    kind: str
    reason: str
    moved_on: str
    notified_on: str
    people: str
    people_as: str
    reason_field: str | None = None
    reasons: Mapping[str, str] = field(default_factory=dict)
    count: str | None = None
    old_postal_code: str | None = None
    old_address: str | None = None
    new_postal_code: str | None = None
    new_address: str | None = None
    head: str | None = None
    remaining_head: str | None = None
    household: str | None = None
    relationship: bool | tuple[str, tuple[str, ...]] = False
    notifier_name: str | None = None
    notifier_kana: str | None = None
    notifier_relationship: str | None = None
    phone: str | None = None

    def field_ids(self) -> list[str]:
        """Every field this mapping reads."""
        ids = [
            self.moved_on,
            self.people,
            self.reason_field,
            self.count,
            self.old_postal_code,
            self.old_address,
            self.new_postal_code,
            self.new_address,
            self.head,
            self.remaining_head,
            self.household,
            self.notifier_name,
            self.notifier_kana,
            self.notifier_relationship,
            self.phone,
        ]
        if isinstance(self.relationship, tuple):
            ids.append(self.relationship[0])
        return [i for i in ids if i]

    def reason_names(self) -> list[str]:
        return [self.reason, *self.reasons.values()]


MOVE_FORMS: dict[str, MoveForm] = {
    "tennyu-reservation": MoveForm(
        kind=TENNYU,
        reason="国内転入",
        reason_field="moving_out_document",
        reasons={"abroad": "国外転入"},
        moved_on="move_in_date",
        notified_on=ACCEPTED,  # a reservation: the 届出 itself is made at the counter, when staff accept it
        people="people_names",
        people_as=LINES,
        count="people_count",
        old_postal_code="previous_postal_code",
        old_address="previous_address",
        new_postal_code="new_postal_code",
        new_address="new_address",
        head="head_of_household",
        household="household_type",
        relationship=False,
        notifier_name="applicant_name",
        notifier_kana="applicant_kana",
        notifier_relationship="visitor_relationship",
        phone="phone",
    ),
    "tenkyo": MoveForm(
        kind=TENKYO,
        reason="転居",
        moved_on="move_date",
        notified_on=SUBMITTED,
        people="movers",
        people_as=MEMBERS,
        old_postal_code="old_postal_code",
        old_address="old_address",
        new_postal_code="new_postal_code",
        new_address="new_address",
        head="new_head_of_household",
        household="household_change",
        relationship=("household_change", ("whole",)),
        notifier_name="notifier_name",
        notifier_relationship="notifier_relationship",
        phone="notifier_phone",
    ),
    "tenshutsu": MoveForm(
        kind=TENSHUTSU,
        reason="国内転出",
        reason_field="destination",
        reasons={"abroad": "国外転出"},
        moved_on="move_date",
        notified_on=SUBMITTED,
        people="movers",
        people_as=MEMBERS,
        old_postal_code="current_postal_code",
        old_address="current_address",
        new_postal_code="new_postal_code",
        new_address="new_address",
        head="new_head_of_household",
        remaining_head="remaining_head_of_household",
        household="household_after",
        relationship=True,
        notifier_name="notifier_name",
        notifier_relationship="notifier_relationship",
        phone="notifier_phone",
    ),
}

COLUMNS = (
    ColumnSpec("受付番号", "the case reference"),
    ColumnSpec("連番", "the person's number within the case: 1, 2 …"),
    ColumnSpec("届出種別", "転入, 転居 or 転出"),
    ColumnSpec(
        "異動事由コード",
        "the 異動事由 code of residents/codes/change_reasons.yaml: 01 国内転入, 02 国外転入 (moved from abroad), "
        "11 転居, 31 国内転出, 32 国外転出 (moving abroad)",
    ),
    ColumnSpec("異動事由", "the name of that code"),
    ColumnSpec(
        "異動日",
        "the day of the move the form gives (転入・転居: started living there; 転出: the day)",
        date=True,
    ),
    ColumnSpec(
        "届出日",
        "the day of the 届出: the day the case was submitted; for 転入（来庁予約） the day staff accepted it",
        date=True,
    ),
    ColumnSpec(
        "宛名番号", "the registry key of a person chosen from the household (転居, 転出); empty otherwise"
    ),
    ColumnSpec("氏名", "the person's name as the form gives it"),
    ColumnSpec("氏名カナ", "from the registry for a chosen household member (the forms do not ask it)"),
    ColumnSpec(
        "生年月日",
        "from the registry for a chosen household member (a 不詳 date as written); 転入: read from the "
        "person's line 「氏名　生年月日」, empty when it cannot be read (see 備考)",
        date=True,
    ),
    ColumnSpec("性別", "1 male, 2 female: from the registry for a chosen household member"),
    ColumnSpec(
        "続柄",
        "to the head of household, from the registry, while it still holds: 転出, and 転居 of the whole "
        "household; empty otherwise",
    ),
    ColumnSpec(
        "世帯主",
        "the head of household the form names (転入: of the household joined or formed; 転居: of the new "
        "household; 転出: at the new address)",
    ),
    ColumnSpec(
        "残る世帯の世帯主", "転出 only: the new head of the household left behind, when its head moves out"
    ),
    ColumnSpec("世帯区分", "the form's answer on the household, as its label"),
    ColumnSpec("旧住所郵便番号", "postal code of the address before the move (7 digits)"),
    ColumnSpec("旧住所", "the address before the move (転入: as written, or the country and city)"),
    ColumnSpec("郵便番号", "postal code of the new address (7 digits); empty for a move abroad"),
    ColumnSpec("新住所", "the new address (転出 abroad: the country and city)"),
    ColumnSpec("届出人氏名", "the person who made the 届出"),
    ColumnSpec("届出人氏名カナ", "転入 only: the visitor's name in katakana"),
    ColumnSpec("届出人区分", "the 届出人's relationship to the people who move, as its label"),
    ColumnSpec("連絡先電話番号", "the phone number the form gives"),
    ColumnSpec(
        "備考",
        "what the clerk must know about the row: address withheld (支援措置), a date of birth not read, a "
        "household member not found in the registry, a number of lines that differs from the count given",
    ),
)
_ADDRESS_COLUMNS = ("旧住所郵便番号", "旧住所", "郵便番号", "新住所")
_DATE_COLUMNS = frozenset(c.name for c in COLUMNS if c.date)
_LINE_SEPARATORS = re.compile(r"[\s\u3000、,，]+")


def reason_code(name: str) -> str:
    """The code of a 異動事由 name in the project's code list (residents/codes/change_reasons.yaml)."""
    code = codes.change_reasons().resolve(name)
    if code is None:
        raise LookupError(f"異動事由 {name!r} is not in change_reasons.yaml")
    return code


def split_person_line(line: str) -> tuple[str, str | None]:
    """「緑　花子　平成2年5月3日」 → (「緑　花子」, "1990-05-03"); the whole line and None when its last part is not
    a date (then nobody guesses). Parts are separated by spaces (also 全角) or commas."""
    parts = [p for p in _LINE_SEPARATORS.split(line.strip()) if p]
    if len(parts) >= 2:
        try:
            day = wareki.parse_date(parts[-1])
        except MadoguchiError:
            day = None
        if day is not None:
            names = parts[:-1]
            joiner = " " if all(n.isascii() for n in names) else "\u3000"
            return joiner.join(names), day.isoformat()
    return line.strip(), None


@dataclass
class _Mover:
    name: str
    person: Any = None  # residents.Person, for a member chosen from the household
    birth_date: str | None = None  # ISO, read from a line
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # (code, ja, en)


@register("juki-ido")
class JukiIdoFormat(HandoffFormat):
    label_ja = "住民異動届（転入・転居・転出）"
    label_en = "Moving notifications (moving in, within, out)"
    description_ja = "受理した転入・転居・転出の届出を、異動する方1人につき1行のCSVにします。住民記録システムに取り込みます。"
    description_en = (
        "Accepted moving-in, moving-within and moving-out notifications as a CSV with one row per person who "
        "moves, for the core resident registry system."
    )
    procedures = tuple(MOVE_FORMS)
    column_specs = COLUMNS
    file_stem = "juki-ido"

    def rows(
        self,
        records: Sequence[CaseRecord],
        options: FormatOptions,
        columns: Sequence[ColumnChoice],
        notices: list[Notice],
    ) -> Iterator[Row]:
        for record in records:
            form = MOVE_FORMS.get(record.case.procedure.slug)
            if form is None:
                raise HandoffError(
                    "procedure_not_taken",
                    f"受付番号 {record.reference} の手続は住民異動届の対象ではありません。",
                    f"Case {record.reference} is not of a procedure the moving notification takes.",
                )
            missing = [i for i in form.field_ids() if i not in {f.id for f in record.spec.fields}]
            if missing:
                raise HandoffError(
                    "form_changed",
                    f"受付番号 {record.reference} の申請様式（{record.case.procedure.slug} 第"
                    f"{record.case.procedure_version.number}版）に項目 {', '.join(missing)} がありません。"
                    "住民異動届の対応表（MOVE_FORMS）を様式に合わせてください。",
                    f"The form of case {record.reference} ({record.case.procedure.slug} version "
                    f"{record.case.procedure_version.number}) has no field {', '.join(missing)}; update the "
                    "moving notification's mapping (MOVE_FORMS) to the form.",
                )
            yield from self._case_rows(record, form, options, columns, notices)

    def _case_rows(
        self,
        record: CaseRecord,
        form: MoveForm,
        options: FormatOptions,
        columns: Sequence[ColumnChoice],
        notices: list[Notice],
    ) -> Iterator[Row]:
        data = record.data
        reason_name = form.reason
        if form.reason_field:
            reason_name = form.reasons.get(str(data.get(form.reason_field)), form.reason)
        movers = self._movers(record, form)
        common_notes: list[tuple[str, str, str]] = []
        if record.protected:
            common_notes.append(
                (
                    "address_withheld",
                    "支援措置対象者を含むため住所を記載していません。住民記録システムで直接入力してください。",
                    "A support measure (支援措置) applies: the addresses are left empty; enter them in the core "
                    "system directly.",
                )
            )
        count = data.get(form.count) if form.count else None
        if isinstance(count, int) and count != len(movers):
            common_notes.append(
                (
                    "count_differs",
                    f"人数 {count} 人と氏名の行数 {len(movers)} 行が違います。",
                    f"The number of people given ({count}) differs from the lines of names ({len(movers)}).",
                )
            )
        if not movers:
            common_notes.append(("no_person", "異動する方がいません。", "Nobody who moves is named."))
        for code, ja, en in [*common_notes, *(note for mover in movers for note in mover.notes)]:
            notices.append(
                Notice(
                    record.reference,
                    code,
                    f"受付番号 {record.reference}: {ja}",
                    f"Case {record.reference}: {en}",
                )
            )
        common = {
            "受付番号": record.reference,
            "届出種別": form.kind,
            "異動事由コード": reason_code(reason_name),
            "異動事由": reason_name,
            "異動日": data.get(form.moved_on),
            "届出日": record.accepted_on if form.notified_on == ACCEPTED else record.submitted_on,
            "世帯主": self._text(record, form.head),
            "残る世帯の世帯主": self._text(record, form.remaining_head),
            "世帯区分": self._text(record, form.household),
            "旧住所郵便番号": self._raw(record, form.old_postal_code),
            "旧住所": self._text(record, form.old_address),
            "郵便番号": self._raw(record, form.new_postal_code),
            "新住所": self._text(record, form.new_address),
            "届出人氏名": self._text(record, form.notifier_name),
            "届出人氏名カナ": self._text(record, form.notifier_kana),
            "届出人区分": self._text(record, form.notifier_relationship),
            "連絡先電話番号": self._text(record, form.phone),
        }
        if record.protected:
            common.update(dict.fromkeys(_ADDRESS_COLUMNS, ""))
        keeps_relationship = form.relationship is True or (
            isinstance(form.relationship, tuple) and data.get(form.relationship[0]) in form.relationship[1]
        )
        for number, mover in enumerate(movers, start=1):
            person = mover.person
            values: dict[str, Any] = {
                **common,
                "連番": str(number),
                "氏名": mover.name,
                "宛名番号": person.atena_number if person else "",
                "氏名カナ": person.name_kana if person else "",
                "生年月日": mover.birth_date,
                "性別": person.sex if person else "",
                "続柄": person.relationship if person and keeps_relationship else "",
                "備考": "".join(ja for _code, ja, _en in [*common_notes, *mover.notes]),
            }
            if person is not None:
                values["生年月日"] = person.birth_date_text or person.birth_date
            yield Row(
                record.reference,
                tuple(self._cell(values.get(c.name), c, options) for c in columns),
            )

    def _movers(self, record: CaseRecord, form: MoveForm) -> list[_Mover]:
        value = record.data.get(form.people)
        movers: list[_Mover] = []
        if form.people_as == LINES:
            for line in str(value or "").splitlines():
                if not line.strip():
                    continue
                name, birth_date = split_person_line(line)
                mover = _Mover(name=name, birth_date=birth_date)
                if birth_date is None:
                    mover.notes.append(
                        (
                            "birth_date_unread",
                            f"「{line.strip()}」の生年月日を読み取れませんでした。",
                            f"No date of birth could be read from the line {line.strip()!r}.",
                        )
                    )
                movers.append(mover)
            return movers
        members = value if isinstance(value, list) else [value] if value else []
        for member in members:
            if not isinstance(member, Mapping):
                movers.append(_Mover(name=str(member)))
                continue
            name = str(member.get("name", ""))
            member_id = member.get("id")
            person = record.persons.get(str(member_id)) if member_id not in (None, "") else None
            mover = _Mover(name=name, person=person)
            if member_id not in (None, "") and person is None:
                mover.notes.append(
                    (
                        "not_in_registry",
                        f"{name} さんが住民記録に見つかりません。",
                        f"{name} is not found in the registry.",
                    )
                )
            movers.append(mover)
        return movers

    @staticmethod
    def _raw(record: CaseRecord, field_id: str | None) -> str:
        """A field's value as stored (a postal code's 7 digits), "" when not asked or empty."""
        value = record.data.get(field_id) if field_id else None
        return "" if value in (None, "", [], {}) else str(value)

    @staticmethod
    def _text(record: CaseRecord, field_id: str | None) -> str:
        """A field's value as people read it (an option's label), "" when not asked or empty."""
        if not field_id:
            return ""
        value = record.data.get(field_id)
        if value in (None, "", [], {}):
            return ""
        f = record.spec.field(field_id)
        return f.kind.format(f, value, "ja")

    @staticmethod
    def _cell(value: Any, column: ColumnChoice, options: FormatOptions) -> str:
        if column.name in _DATE_COLUMNS:
            if isinstance(value, str) and value and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                return value  # a 不詳 date of birth, as the registry writes it
            return format_date(value, options.date_format_of(column))
        return "" if value is None else str(value)
