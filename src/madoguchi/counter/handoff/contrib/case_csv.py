"""`case-csv`: the accepted cases of any one procedure, one row per case, a column per field of its form.

The case columns come first (configured: 受付番号, 手続, 申請日 …), then one column per field of the
procedure's form, headed by the field's Japanese label, in the order of the form. A field that only an
earlier version of the form had follows the current ones. Values are written as people read them, by each
field's type (`procedures.fields`: option labels, ¥ amounts, names of household members …); dates follow the
configured `date_format`. A 個人番号 field is never written. While a 支援措置 applies to the applicant or to a
person the case names, its address and postal code fields are left empty.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from madoguchi.cases.models import Channel, Status

from ..base import CaseRecord, ColumnSpec, HandoffError, HandoffFormat, Notice, Row, format_date
from ..config import ColumnChoice, FormatOptions
from ..registry import register

FIELD_PREFIX = "field:"
ADDRESS_TYPES = ("address", "postal_code")  # left empty while a 支援措置 applies
DATE_TYPE = "date"

COLUMNS = (
    ColumnSpec("受付番号", "the case reference"),
    ColumnSpec("手続", "the procedure's Japanese name"),
    ColumnSpec("版", "the version of the form the case was filed under"),
    ColumnSpec("受付方法", "the channel: オンライン, 窓口, 紙, マイナポータル, API連携"),
    ColumnSpec("申請者", "the applicant's name as the queue shows it"),
    ColumnSpec("申請日", "the day the case was submitted", date=True),
    ColumnSpec("承認日", "the day staff accepted (approved) it", date=True),
    ColumnSpec("状態", "承認 or 完了"),
)


def _field_columns(records: Sequence[CaseRecord]) -> list[tuple[str, str]]:
    """(field id, label) of every field the cases' forms have, newest version's order first."""
    seen: dict[str, str] = {}
    for record in sorted(records, key=lambda r: -r.case.procedure_version.number):
        for f in record.spec.fields:
            if f.kind.holds_my_number or f.id in seen:
                continue
            seen[f.id] = f.label.ja
    return list(seen.items())


@register("case-csv")
class CaseCsvFormat(HandoffFormat):
    label_ja = "申請内容の一覧（手続ごと）"
    label_en = "Cases of one procedure"
    description_ja = "受理した申請を、手続ごとに1件1行のCSVにします。列は申請様式の項目です。"
    description_en = (
        "Accepted cases of one procedure as a CSV with one row per case and a column per form field."
    )
    procedures = None  # any procedure, one per file
    column_specs = COLUMNS
    file_stem = "cases"

    def columns(self, records: Sequence[CaseRecord], options: FormatOptions) -> list[ColumnChoice]:
        slugs = {r.case.procedure.slug for r in records}
        if len(slugs) > 1:
            raise HandoffError(
                "one_procedure",
                f"この形式は1つの手続の申請だけを書き出します（{', '.join(sorted(slugs))}）。手続を1つ選んでください。",
                f"This format writes the cases of one procedure ({', '.join(sorted(slugs))}); choose one.",
            )
        columns = list(options.columns)
        headers = {c.header for c in columns}
        for field_id, label in _field_columns(records):
            header = label if label not in headers else f"{label}（{field_id}）"
            headers.add(header)
            columns.append(ColumnChoice(name=f"{FIELD_PREFIX}{field_id}", header=header))
        return columns

    def rows(
        self,
        records: Sequence[CaseRecord],
        options: FormatOptions,
        columns: Sequence[ColumnChoice],
        notices: list[Notice],
    ) -> Iterator[Row]:
        for record in records:
            case = record.case
            withheld = False
            values: list[str] = []
            for column in columns:
                if column.name.startswith(FIELD_PREFIX):
                    value, blanked = self._field_value(record, column.name[len(FIELD_PREFIX) :], options)
                    withheld = withheld or blanked
                    values.append(value)
                    continue
                values.append(self._case_value(record, column, options))
            if withheld:
                notices.append(
                    Notice(
                        record.reference,
                        "address_withheld",
                        f"受付番号 {record.reference}: 支援措置対象者を含むため、住所・郵便番号を空欄にしました。",
                        f"Case {record.reference}: a support measure (支援措置) applies, so its address and "
                        "postal code fields are left empty.",
                    )
                )
            yield Row(case.reference, tuple(values))

    @staticmethod
    def _case_value(record: CaseRecord, column: ColumnChoice, options: FormatOptions) -> str:
        case = record.case
        date_format = options.date_format_of(column)
        match column.name:
            case "受付番号":
                return case.reference
            case "手続":
                return case.procedure.name_ja
            case "版":
                return str(case.procedure_version.number)
            case "受付方法":
                return str(Channel(case.channel).label) if case.channel in Channel.values else case.channel
            case "申請者":
                return case.applicant_name
            case "申請日":
                return format_date(record.submitted_on, date_format)
            case "承認日":
                return format_date(record.accepted_on, date_format)
            case "状態":
                return str(Status(case.status).label)
        return ""

    @staticmethod
    def _field_value(record: CaseRecord, field_id: str, options: FormatOptions) -> tuple[str, bool]:
        """The value as text, and whether it was left empty for a 支援措置."""
        f = next((f for f in record.spec.fields if f.id == field_id), None)
        value: Any = record.data.get(field_id)
        if f is None or value in (None, "", [], {}):
            return "", False
        if record.protected and f.type in ADDRESS_TYPES:
            return "", True
        if f.type == DATE_TYPE:
            return format_date(value, options.date_format), False
        return f.kind.format(f, value, "ja"), False
