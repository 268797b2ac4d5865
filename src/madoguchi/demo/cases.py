"""Sample cases for the demo office queue: plausible answers to each procedure's form, from demo residents.

Every case goes through ``cases.services`` like a real one (validation, history, events), and is then moved
along the workflow by the demo staff so that the queue shows every status.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import struct
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from madoguchi.accounts.models import Role, User, UserKind
from madoguchi.cases import services as case_services
from madoguchi.cases.models import Case, Channel
from madoguchi.demo import town as demo
from madoguchi.demo.services import DEMO_RESIDENT_EMAIL
from madoguchi.procedures import schema
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.selectors import catalog, spec_of
from madoguchi.procedures.spec import Field, ProcedureSpec
from madoguchi.residents.models import Person

DEMO_APPLICANT_PREFIX = "demo-"  # demo-<宛名番号>@example.jp: residents who applied in the demo
DEMO_APPLICANT_DOMAIN = "@example.jp"
ATTEMPTS = 6  # different random answers tried before a procedure is declared unusable for the demo
DEMO_BANK = ("0001", "001")  # みずほ銀行 東京営業部: a real branch, so that bank-account fields validate

# Where each case ends up, by weight; the actions that take it there, and who takes them.
OUTCOMES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("submitted", 30, ()),
    ("in_review", 14, ("assign", "start_review")),
    ("waiting_for_applicant", 10, ("assign", "start_review", "request_information")),
    (
        "in_review_after_answer",
        5,
        ("assign", "start_review", "request_information", "provide_information"),
    ),
    ("ready_for_decision", 6, ("assign", "start_review", "submit_for_decision")),
    ("approved", 12, ("assign", "start_review", "submit_for_decision", "approve")),
    ("completed", 13, ("assign", "start_review", "submit_for_decision", "approve", "complete")),
    ("rejected", 5, ("assign", "start_review", "submit_for_decision", "reject")),
    ("withdrawn", 5, ("withdraw",)),
)
ACTOR_OF_ACTION = {
    "assign": Role.REVIEWER,
    "start_review": Role.REVIEWER,
    "request_information": Role.REVIEWER,
    "submit_for_decision": Role.REVIEWER,
    "complete": Role.REVIEWER,
    "approve": Role.APPROVER,
    "reject": Role.APPROVER,
    "provide_information": "applicant",
    "withdraw": "applicant",
}
NOTES = {
    "submit_for_decision": (
        "記載内容と添付書類を住民記録と照合し、要件を満たしていることを確認しました。承認をお願いします。",
        "本人確認書類・記載事項に不備はありません。手数料の納付も確認済みです。",
    ),
    "request_information": (
        "添付いただいた書類の文字が読み取れませんでした。お手数ですが、鮮明な写しをもう一度お送りください。",
        "記入内容について確認したい点があります。日中に連絡のつく電話番号をメッセージでお知らせください。",
    ),
    "provide_information": (
        "書類を撮り直して送りました。よろしくお願いします。",
        "電話番号は090-0000-1234です。",
    ),
    "reject": (
        "申請の要件を満たしていないため、却下します。詳しくは担当課までお問い合わせください。",
        "同じ内容の申請がすでに受理されているため、却下します。",
    ),
}
ONLINE_CHANNELS = (
    (Channel.ONLINE, 62),
    (Channel.COUNTER, 18),
    (Channel.PAPER, 12),
    (Channel.NATIONAL_PORTAL, 8),
)
OFFLINE_CHANNELS = ((Channel.COUNTER, 70), (Channel.PAPER, 30))
# Sample answers for required text fields, by a word in the field id.
TEXT_SAMPLES: tuple[tuple[str, str], ...] = (
    ("purpose", "勤務先への提出のため"),
    ("reason", "家族の転勤に伴う転居のため"),
    ("school", "みどり市立中央小学校"),
    ("nursery", "みどり市立若葉保育園"),
    ("employer", "株式会社みどり商事"),
    ("workplace", "株式会社みどり商事"),
    ("relationship", "本人"),
    ("item", "電子レンジ、こたつ"),
    ("note", "特にありません。"),
    ("remark", "特にありません。"),
    ("comment", "特にありません。"),
    ("detail", "特にありません。"),
)
_OTHER_PLACE = re.compile(r"(^|_)(previous|former|old|new|destination|forward|before|after|moving_to)(_|$)")


class DemoCaseError(Exception):
    """No usable procedure or no demo residents: the message says what to do."""


@dataclass
class DemoCasesReport:
    requested: int
    existing: int = 0
    created: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_department: Counter = field(default_factory=Counter)
    by_channel: Counter = field(default_factory=Counter)
    skipped: dict[str, str] = field(default_factory=dict)  # procedure slug → why no case could be made


def demo_cases():
    """Cases whose applicant is a demo account."""
    return Case.objects.filter(
        Q(applicant__email=DEMO_RESIDENT_EMAIL)
        | Q(
            applicant__email__startswith=DEMO_APPLICANT_PREFIX,
            applicant__email__endswith=DEMO_APPLICANT_DOMAIN,
        )
    )


# --- answers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Applicant:
    person: Person
    household: Sequence[Person]
    email: str
    child: Person | None = None  # for a form about a child (保育 etc.): a young child of the household


def _child_answer(f: Field, who: _Applicant) -> str | None:
    """The child's own facts for the child_* fields of a form about a child (never the parent's)."""
    child = who.child
    if child is None or not f.id.startswith("child"):
        return None
    if f.id.endswith("birth_date"):
        return child.birth_date.isoformat()
    if f.id.endswith("kana"):
        return child.name_kana
    if f.id.endswith("name"):
        return child.name
    return None


def is_about_a_child(spec: ProcedureSpec) -> bool:
    """A form that asks for a child's birth date (保育所等の利用申込み…): its applicant is a parent."""
    return any(f.id.startswith("child") and f.id.endswith("birth_date") for f in spec.fields)


YOUNG_CHILD_YEARS = 6  # 0–5歳児クラス: the children nursery forms are about


def _parents_of_young_children(*, rng: random.Random) -> list[tuple[Person, Person]]:
    """(parent, child) pairs of the demo town: a child aged 0–5 on the registry's reference date and an
    adult of the same household (the head or the spouse first), neither under 支援措置; shuffled reproducibly."""
    first, last = demo.atena_number(1), demo.atena_number(demo.MAX_RESIDENTS)
    youngest = demo.REFERENCE_DATE
    oldest = demo.REFERENCE_DATE.replace(year=demo.REFERENCE_DATE.year - YOUNG_CHILD_YEARS)
    adult_born_before = demo.REFERENCE_DATE.replace(year=demo.REFERENCE_DATE.year - 18)
    children = list(
        Person.objects.filter(
            atena_number__gte=first,
            atena_number__lte=last,
            is_active=True,
            support_measure=False,
            birth_date__gt=oldest,
            birth_date__lte=youngest,
        )
        .select_related("household")
        .order_by("atena_number")
    )
    adults: dict[int, list[Person]] = {}
    for adult in Person.objects.filter(
        household_id__in={c.household_id for c in children},
        is_active=True,
        support_measure=False,
        birth_date__lte=adult_born_before,
    ).order_by("atena_number"):
        adults.setdefault(adult.household_id, []).append(adult)
    pairs = []
    for child in children:
        parents = adults.get(child.household_id)
        if parents:
            pairs.append((parents[0], child))
    rng.shuffle(pairs)
    return pairs


def _other_town(person: Person, rng: random.Random) -> demo.Town:
    return rng.choice([town for town in demo.towns() if town.postal_code != person.postal_code])


@dataclass(frozen=True)
class _DemoSource:
    """The demo applicant as a field type's `demo_answer` sees it (procedures.fields.base.DemoSource)."""

    who: _Applicant
    rng: random.Random
    today: dt.date
    variant: int
    bank: tuple[str, str] = DEMO_BANK

    @property
    def name(self) -> str:
        return self.who.person.name

    @property
    def name_kana(self) -> str:
        return self.who.person.name_kana

    @property
    def birth_date(self) -> dt.date:
        return self.who.person.birth_date

    @property
    def postal_code(self) -> str:
        return self.who.person.postal_code

    @property
    def address(self) -> str:
        return self.who.person.address

    @property
    def email(self) -> str:
        return self.who.email

    @property
    def household_names(self) -> list[str]:
        return [member.name for member in self.who.household]

    def elsewhere(self, f: Field) -> bool:
        return bool(_OTHER_PLACE.search(f.id))

    def other_place(self) -> demo.Town:
        return _other_town(self.who.person, self.rng)

    def sample_text(self, f: Field) -> str | None:
        lowered = f.id.lower()
        return next((sample for word, sample in TEXT_SAMPLES if word in lowered), None)


def _field_answer(f: Field, who: _Applicant, rng: random.Random, today: dt.date, *, variant: int) -> Any:
    """A plausible raw answer (as a browser would post it), or None to leave the field empty: the field's
    type answers (`FieldType.demo_answer`); a file field gets the sample scan (see _demo_uploads)."""
    return f.kind.demo_answer(f, _DemoSource(who, rng, today, variant))


@cache
def sample_scan_png(width: int = 320, height: int = 200) -> bytes:
    """A small grey PNG that looks like a scanned page: the demo's stand-in for every uploaded document."""
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # PNG filter type 0 for the row
        text_line = 28 <= y < height - 28 and (y // 12) % 2 == 0
        line_end = width - 24 - (y * 37 % 120)
        for x in range(width):
            if x < 5 or x >= width - 5 or y < 5 or y >= height - 5:
                row.append(110)
            elif text_line and 24 <= x < line_end:
                row.append(160)
            else:
                row.append(248)
        rows.append(bytes(row))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def _demo_uploads(f: Field) -> list[dict[str, Any]] | None:
    """Metadata of the sample scan for a file field (as schema.validate takes it), or None if not accepted."""
    if "image/png" not in f.accept:
        return None
    return [{"name": f"{f.id}.png", "size": len(sample_scan_png()), "content_type": "image/png"}]


@dataclass
class DemoAnswers:
    raw: dict[str, Any]  # as posted by a browser
    files: dict[str, list[dict[str, Any]]]  # file field id → metadata of the sample scans to attach
    errors: dict[str, list]  # empty when the answers validate


def demo_answers(spec: ProcedureSpec, who: _Applicant, rng: random.Random, *, today: dt.date) -> DemoAnswers:
    """Answers to the whole form that validate, or the last attempt and its errors.

    Fields that are required, pre-filled from the registry, or have a default get an answer; a field
    that turns out to be required by another answer (required_if) is filled on the next pass. The first
    attempt keeps the form's defaults; later attempts choose other options.
    """
    answers = DemoAnswers({}, {}, {})
    for variant in range(ATTEMPTS):
        answers = DemoAnswers({}, {}, {})
        wanted = [f for f in spec.fields if f.required or f.prefill or f.default is not None]
        for _pass in range(3):
            for f in wanted:
                if f.kind.is_upload:
                    uploads = _demo_uploads(f)
                    if uploads is not None:
                        answers.files[f.id] = uploads
                    continue
                value = _child_answer(f, who)
                if value is None:
                    value = _field_answer(f, who, rng, today, variant=variant)
                if value is not None:
                    answers.raw[f.id] = value
            answers.errors = schema.validate(spec, answers.raw, files=answers.files, today=today).errors
            wanted = [
                spec.field(fid)
                for fid in answers.errors
                if fid not in answers.raw and fid not in answers.files
            ]
            if not answers.errors or not wanted:
                break
        if not answers.errors:
            return answers
    return answers


def _describe(errors: Mapping[str, list]) -> str:
    return "; ".join(f"{fid}: {', '.join(m.code for m in messages)}" for fid, messages in errors.items())


# --- cases -----------------------------------------------------------------------------------------


def _applicant_user(person: Person) -> User:
    email = f"{DEMO_APPLICANT_PREFIX}{person.atena_number}{DEMO_APPLICANT_DOMAIN}"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=None,  # unusable: these residents exist to have applied, not to sign in
            display_name=person.name,
            kind=UserKind.RESIDENT,
            email_verified_at=timezone.now(),
        )
    return user


def _sample_persons(*, count: int, rng: random.Random) -> list[Person]:
    """Adults of the demo town without 支援措置, chosen at random but reproducibly."""
    adult_born_before = demo.REFERENCE_DATE.replace(year=demo.REFERENCE_DATE.year - 18)
    first, last = demo.atena_number(1), demo.atena_number(demo.MAX_RESIDENTS)
    ids = list(
        Person.objects.filter(
            atena_number__gte=first,
            atena_number__lte=last,
            support_measure=False,
            is_active=True,
            birth_date__lte=adult_born_before,
        )
        .order_by("atena_number")
        .values_list("pk", flat=True)
    )
    chosen = rng.sample(ids, min(count, len(ids)))
    by_id = Person.objects.select_related("household").in_bulk(chosen)
    return [by_id[pk] for pk in chosen]


def _staff_by_department() -> dict[tuple[int, str], User]:
    staff = User.objects.filter(kind=UserKind.STAFF, is_active=True, department__isnull=False).order_by(
        "email"
    )
    table: dict[tuple[int, str], User] = {}
    for user in staff:
        table.setdefault((user.department_id, user.role), user)
    return table


def create_demo_cases(*, count: int, seed: int = 1) -> DemoCasesReport:
    """Top the demo cases up to ``count``, spread over procedures, channels and statuses.

    The demo resident taro@example.jp applies for every tenth case, so My Page has something to show;
    the others are applied for by demo residents (demo-<宛名番号>@example.jp, who cannot sign in).
    A procedure whose form cannot be answered without an upload or other input is skipped and reported.
    """
    report = DemoCasesReport(requested=count, existing=demo_cases().count())
    needed = count - report.existing
    if needed <= 0:
        return report
    rng = random.Random(seed * 7919 + report.existing)
    today = timezone.localdate()
    procedures = sorted(catalog(), key=lambda procedure: procedure.slug)
    if not procedures:
        raise DemoCaseError("No procedures are published yet: run `madoguchi procedures sync` first.")
    persons = _sample_persons(count=needed + len(procedures), rng=rng)
    if not persons:
        raise DemoCaseError("The demo town has no adult residents yet: load it first (`madoguchi demo`).")
    taro = User.objects.filter(email=DEMO_RESIDENT_EMAIL).first()
    staff = _staff_by_department()

    young = _parents_of_young_children(rng=random.Random(seed))
    usable: list[tuple[Procedure, ProcedureSpec]] = []
    probe = persons[-1]
    for procedure in procedures:
        spec = spec_of(procedure.current_version)
        about_a_child = is_about_a_child(spec)
        if about_a_child and not young:
            report.skipped[procedure.slug] = "the demo town has no household with a child aged 0–5"
            continue
        parent, child = young[0] if about_a_child else (probe, None)
        who = _Applicant(
            parent, list(parent.household.members.order_by("atena_number")), "probe@example.jp", child
        )
        errors = demo_answers(spec, who, random.Random(seed), today=today).errors
        if errors:
            report.skipped[procedure.slug] = f"the sample answers do not validate ({_describe(errors)})"
        else:
            usable.append((procedure, spec))
    if not usable:
        return report
    rng.shuffle(usable)

    outcome_names = [name for name, _, _ in OUTCOMES]
    outcome_weights = [weight for _, weight, _ in OUTCOMES]
    actions_of = {name: actions for name, _, actions in OUTCOMES}
    for index in range(needed):
        procedure, spec = usable[index % len(usable)]
        person, child = persons[index % len(persons)], None
        if is_about_a_child(spec):  # a parent applies, about a child of the household aged 0–5
            person, child = young[index % len(young)]
        applicant = (
            taro
            if taro is not None and child is None and (report.existing + index) % 10 == 0
            else _applicant_user(person)
        )
        who = _Applicant(
            person, list(person.household.members.order_by("atena_number")), applicant.email, child
        )
        answers = demo_answers(spec, who, rng, today=today)
        if answers.errors:
            report.skipped.setdefault(
                procedure.slug, f"some answers did not validate ({_describe(answers.errors)})"
            )
            continue
        channels = ONLINE_CHANNELS if spec.online else OFFLINE_CHANNELS
        channel = rng.choices([c for c, _ in channels], weights=[w for _, w in channels])[0]
        case = _submit(procedure, spec, answers, applicant=applicant, channel=channel)
        channel = case.channel
        outcome = rng.choices(outcome_names, weights=outcome_weights)[0]
        status = _move_along(case, actions_of[outcome], applicant=applicant, staff=staff, rng=rng)
        report.created += 1
        report.by_status[status] += 1
        report.by_department[procedure.department.code] += 1
        report.by_channel[channel] += 1
    return report


def _submit(
    procedure: Procedure, spec: ProcedureSpec, answers: DemoAnswers, *, applicant: User, channel: str
) -> Case:
    """Submit like the channel would; a form with uploads goes through an online draft with attachments."""
    if not answers.files:
        return case_services.create_and_submit_case(
            applicant=applicant, procedure=procedure, raw=answers.raw, channel=channel
        )
    with transaction.atomic():
        case = case_services.start_draft(applicant=applicant, procedure=procedure)
        for field_id, uploads in answers.files.items():
            for upload in uploads:
                scan = SimpleUploadedFile(
                    upload["name"], sample_scan_png(), content_type=upload["content_type"]
                )
                case_services.attach_file(
                    case=case,
                    uploaded=scan,
                    by=applicant,
                    field_id=field_id,
                    max_bytes=spec.field(field_id).max_bytes,
                )
        return case_services.submit_case(case=case, actor=applicant, raw=answers.raw)


def _move_along(
    case: Case, actions: Sequence[str], *, applicant: User, staff: Mapping, rng: random.Random
) -> str:
    """Apply the actions in order as the department's demo staff (or the applicant); stop at the first gap."""
    for action in actions:
        role = ACTOR_OF_ACTION[action]
        actor = applicant if role == "applicant" else staff.get((case.department_id, role))
        if actor is None:
            break
        note = rng.choice(NOTES[action]) if action in NOTES else ""
        case = case_services.transition(case=case, action=action, actor=actor, note=note).case
    return case.status
