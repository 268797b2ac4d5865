"""Every write of the benefits room: imports, eligibility, applications, approvals, the 全銀 file, returns."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from os import PathLike

from django.db import IntegrityError, connection, transaction
from django.db.models import Case as DjCase
from django.db.models import IntegerField, Q, Sum, Value, When
from django.utils import timezone

from madoguchi.core import audit, events
from madoguchi.core.errors import MadoguchiError
from madoguchi.residents.models import Household, Person

from . import holds, zengin
from .imports import ImportFileError, Problem, parse_accounts_file, parse_tax_file
from .models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Channel,
    Confirmation,
    Eligibility,
    Payment,
    PaymentExport,
    PaymentStatus,
    Program,
    PublicAccount,
    TaxRecord,
)

OPEN_STATUSES = (
    ApplicationStatus.RECEIVED,
    ApplicationStatus.CONFLICT,
    ApplicationStatus.RETURNED_TO_RESIDENT,
    ApplicationStatus.APPROVED,
)
# What keeps a household from filing anything new: an open application, or a decline waiting for staff or in
# effect (a decline is never received, returned or approved: conflict or declined while it stands).
STANDING = Q(status__in=OPEN_STATUSES) | Q(status=ApplicationStatus.DECLINED)


class BenefitError(MadoguchiError):
    http_status = 409


class AlreadyApplied(BenefitError):
    """The household already has an open application (any channel): staff file no second one."""

    def __init__(self, numbers: list[str]) -> None:
        shown = "、".join(numbers)
        super().__init__(
            "already_applied",
            f"この世帯はすでに申請しています（受付番号 {shown}）。二重には申請できません。"
            "申請の内容を見比べ、口座の変更などは今の申請で扱ってください。",
            f"This household has already applied ({', '.join(numbers)}); it cannot apply twice. Compare the "
            "applications and handle a change of account on the existing one.",
        )
        self.numbers = numbers


class AlreadyDeclined(BenefitError):
    """The household has declined (or a decline of it waits for staff): nothing more is filed for it."""

    def __init__(self, numbers: list[str]) -> None:
        shown = "、".join(numbers)
        super().__init__(
            "already_declined",
            f"この世帯は給付金の受給を辞退しています（受付番号 {shown}）。受け取る場合は、市の担当課に連絡して辞退を"
            "撤回してください（撤回は担当課の決裁者が行います）。",
            f"This household has declined the benefit ({', '.join(numbers)}). To receive it after all, contact "
            "the city's benefits office to withdraw the decline (a decider there does it).",
        )
        self.numbers = numbers


class AppliedCannotDecline(BenefitError):
    """The household has an open application: a decline is not filed beside it (staff withdraw the application
    first, or a paper decline goes to the conflicts page)."""

    def __init__(self, numbers: list[str]) -> None:
        shown = "、".join(numbers)
        super().__init__(
            "applied_cannot_decline",
            f"この世帯はすでに申請しています（受付番号 {shown}）。申請があるうちは辞退を受け付けられません。辞退する"
            "場合は市の担当課に連絡してください（支払の手続きの前なら、申請を取り下げてから辞退できます）。",
            f"This household has already applied ({', '.join(numbers)}), so a decline cannot be filed while the "
            "application stands. To decline, contact the city's benefits office: before the payment is processed, "
            "the application can be withdrawn and the decline filed.",
        )
        self.numbers = numbers


# --- imports ---------------------------------------------------------------------------------------


def _persons_by_atena(rows) -> dict[str, int]:
    wanted = {row.atena_number for row in rows}
    found: dict[str, int] = {}
    numbers = list(wanted)
    for start in range(0, len(numbers), 5000):
        found.update(
            Person.objects.filter(atena_number__in=numbers[start : start + 5000]).values_list(
                "atena_number", "id"
            )
        )
    missing = [row for row in rows if row.atena_number not in found]
    if missing:
        raise ImportFileError(
            [
                Problem(
                    row.row,
                    "atena_number",
                    "この宛名番号の住民は住民記録にいません。",
                    "no person in the registry has this atena number.",
                )
                for row in missing
            ]
        )
    return found


@dataclass
class TaxImportReport:
    rows: int = 0
    created: int = 0
    corrected: int = 0
    unchanged: int = 0


@transaction.atomic
def import_tax_file(*, data: bytes) -> TaxImportReport:
    """Import a 課税 (or 課税異動) file whole. A changed record emits `tax.record_corrected` (automation)."""
    rows = parse_tax_file(data)
    person_ids = _persons_by_atena(rows)
    report = TaxImportReport(rows=len(rows))
    existing = {
        (r.person_id, r.fiscal_year): r
        for r in TaxRecord.objects.filter(person_id__in=set(person_ids.values())).only(
            "id", "person_id", "fiscal_year", "non_taxed", "income"
        )
    }
    new, changed, corrections = [], [], []
    now = timezone.now()
    for row in rows:
        person_id = person_ids[row.atena_number]
        old = existing.get((person_id, row.fiscal_year))
        if old is None:
            new.append(
                TaxRecord(
                    person_id=person_id,
                    fiscal_year=row.fiscal_year,
                    non_taxed=row.non_taxed,
                    income=row.income,
                    imported_at=now,
                )
            )
            continue
        diff = [name for name in ("non_taxed", "income") if getattr(old, name) != getattr(row, name)]
        if not diff:
            report.unchanged += 1
            continue
        old.non_taxed, old.income, old.imported_at = row.non_taxed, row.income, now
        changed.append(old)
        corrections.append((person_id, row.fiscal_year, diff))
    TaxRecord.objects.bulk_create(new, batch_size=5000)
    TaxRecord.objects.bulk_update(changed, ["non_taxed", "income", "imported_at"], batch_size=5000)
    report.created, report.corrected = len(new), len(changed)
    if corrections:
        households = dict(
            Person.objects.filter(id__in=[c[0] for c in corrections]).values_list("id", "household__number")
        )
        programs: dict[int, list[str]] = {}
        for slug, year in Program.objects.filter(
            tax_fiscal_year__in={c[1] for c in corrections}, eligibility_computed_at__isnull=False
        ).values_list("slug", "tax_fiscal_year"):
            programs.setdefault(year, []).append(slug)
        events.emit_many(
            (
                "tax.record_corrected",
                {
                    "person_id": person_id,
                    "household_number": households.get(person_id, ""),
                    "fiscal_year": year,
                    "changed": diff,
                    "programs": sorted(programs.get(year, [])),
                },
            )
            for person_id, year, diff in corrections
        )
    return report


@transaction.atomic
def import_accounts_file(*, data: bytes) -> int:
    """Import a 公金受取口座 file whole (replacing each listed person's account); the number of rows."""
    rows = parse_accounts_file(data)
    person_ids = _persons_by_atena(rows)
    PublicAccount.objects.filter(person_id__in=set(person_ids.values())).delete()
    now = timezone.now()
    PublicAccount.objects.bulk_create(
        [
            PublicAccount(
                person_id=person_ids[row.atena_number],
                bank_code=row.bank_code,
                branch_code=row.branch_code,
                account_type=row.account_type,
                account_number=row.account_number,
                holder_kana=row.holder_kana,
                imported_at=now,
            )
            for row in rows
        ],
        batch_size=5000,
    )
    return len(rows)


# --- eligibility and confirmations -----------------------------------------------------------------

_ELIGIBILITY_SQL = """
WITH members AS (
    SELECT pp.household_id, pp.person_id, p.birth_date
    FROM residents_personperiod pp JOIN residents_person p ON p.id = pp.person_id
    WHERE pp.valid_from <= %s AND (pp.valid_to IS NULL OR pp.valid_to > %s)
), households AS (
    SELECT m.household_id,
           COUNT(*) AS members,
           SUM(CASE WHEN %s OR m.birth_date >= %s THEN 1 ELSE 0 END) AS counted,
           SUM(CASE WHEN t.non_taxed THEN 1 ELSE 0 END) AS non_taxed
    FROM members m
    LEFT JOIN benefits_taxrecord t ON t.person_id = m.person_id AND t.fiscal_year = %s
    GROUP BY m.household_id
)
INSERT INTO benefits_eligibility (program_id, household_id, members, counted, amount, active, computed_at)
SELECT %s, household_id, members, counted, %s + counted * %s, TRUE, %s
FROM households
WHERE %s OR non_taxed = members
ON CONFLICT (program_id, household_id) DO UPDATE SET
    members = excluded.members, counted = excluded.counted, amount = excluded.amount, active = TRUE,
    computed_at = excluded.computed_at
"""

# A confirmation per new eligible household, pre-filled with the 公金受取口座 of its head on the base date (or,
# without one, of the member with the lowest 宛名番号 who has an account). Its reference (the letter's QR code) is
# 128 random bits from SQLite's randomblob (on PostgreSQL, below: gen_random_uuid, 122 random bits).
_CONFIRMATIONS_SQL = """
WITH accounts AS (
    SELECT pp.household_id, a.bank_code, a.branch_code, a.account_type, a.account_number, a.holder_kana,
           ROW_NUMBER() OVER (
               PARTITION BY pp.household_id
               ORDER BY CASE WHEN pp.relationship = '世帯主' THEN 0 ELSE 1 END, pp.person_id
           ) AS rank
    FROM residents_personperiod pp JOIN benefits_publicaccount a ON a.person_id = pp.person_id
    WHERE pp.valid_from <= %s AND (pp.valid_to IS NULL OR pp.valid_to > %s)
)
INSERT INTO benefits_confirmation
    (number, reference, eligibility_id, bank_code, branch_code, account_type, account_number, holder_kana,
     created_at)
SELECT 'C' || e.program_id || '-' || e.id, lower(hex(randomblob(16))), e.id, COALESCE(a.bank_code, ''),
       COALESCE(a.branch_code, ''),
       COALESCE(a.account_type, ''), COALESCE(a.account_number, ''), COALESCE(a.holder_kana, ''), %s
FROM benefits_eligibility e
LEFT JOIN accounts a ON a.household_id = e.household_id AND a.rank = 1
LEFT JOIN benefits_confirmation c ON c.eligibility_id = e.id
WHERE e.program_id = %s AND e.active AND c.id IS NULL
"""


# PostgreSQL: both in one statement. The eligibility rows come back from the INSERT (RETURNING), so the
# confirmations need no second scan of them (nor the planner's guess about rows it has no statistics for).
_ELIGIBILITY_AND_CONFIRMATIONS_SQL = """WITH members AS (
    SELECT pp.household_id, pp.person_id, p.birth_date
    FROM residents_personperiod pp JOIN residents_person p ON p.id = pp.person_id
    WHERE pp.valid_from <= %s AND (pp.valid_to IS NULL OR pp.valid_to > %s)
), households AS (
    SELECT m.household_id,
           COUNT(*) AS members,
           SUM(CASE WHEN %s OR m.birth_date >= %s THEN 1 ELSE 0 END) AS counted,
           SUM(CASE WHEN t.non_taxed THEN 1 ELSE 0 END) AS non_taxed
    FROM members m
    LEFT JOIN benefits_taxrecord t ON t.person_id = m.person_id AND t.fiscal_year = %s
    GROUP BY m.household_id
), written AS (
INSERT INTO benefits_eligibility (program_id, household_id, members, counted, amount, active, computed_at)
SELECT %s, household_id, members, counted, %s + counted * %s, TRUE, %s
FROM households
WHERE %s OR non_taxed = members
ON CONFLICT (program_id, household_id) DO UPDATE SET
    members = excluded.members, counted = excluded.counted, amount = excluded.amount, active = TRUE,
    computed_at = excluded.computed_at
RETURNING id, household_id
), accounts AS (
    SELECT DISTINCT ON (pp.household_id) pp.household_id, a.bank_code, a.branch_code, a.account_type,
           a.account_number, a.holder_kana
    FROM residents_personperiod pp JOIN benefits_publicaccount a ON a.person_id = pp.person_id
    WHERE pp.valid_from <= %s AND (pp.valid_to IS NULL OR pp.valid_to > %s)
    ORDER BY pp.household_id, CASE WHEN pp.relationship = '世帯主' THEN 0 ELSE 1 END, pp.person_id
)
INSERT INTO benefits_confirmation
    (number, reference, eligibility_id, bank_code, branch_code, account_type, account_number, holder_kana,
     created_at)
SELECT 'C' || %s || '-' || w.id, replace(gen_random_uuid()::text, '-', ''), w.id, COALESCE(a.bank_code, ''),
       COALESCE(a.branch_code, ''),
       COALESCE(a.account_type, ''), COALESCE(a.account_number, ''), COALESCE(a.holder_kana, ''), %s
FROM written w
LEFT JOIN accounts a ON a.household_id = w.household_id
WHERE NOT EXISTS (SELECT 1 FROM benefits_confirmation c WHERE c.eligibility_id = w.id)
"""


@dataclass
class EligibilityReport:
    eligible: int
    amount: int
    withdrawn: int
    confirmations_created: int


@transaction.atomic
def compute_eligibility(*, program: Program) -> EligibilityReport:
    """Eligible households on the base date, in two set-based statements (no per-household Python)."""
    now = timezone.now()
    base = program.base_date
    everyone = program.born_on_or_after is None
    no_tax = program.tax_fiscal_year is None
    confirmations = Confirmation.objects.filter(eligibility__program=program)
    before = confirmations.count()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Hash joins and the aggregate over every resident in memory rather than in batches on disk.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("UPDATE benefits_eligibility SET active = FALSE WHERE program_id = %s", [program.pk])
        params = [
            base,
            base,
            everyone,
            program.born_on_or_after or base,
            program.tax_fiscal_year or 0,
            program.pk,
            program.amount_per_household,
            program.amount_per_person,
            now,
            no_tax,
        ]
        if connection.vendor == "postgresql":
            cursor.execute(_ELIGIBILITY_AND_CONFIRMATIONS_SQL, [*params, base, base, program.pk, now])
        else:
            cursor.execute(_ELIGIBILITY_SQL, params)
            cursor.execute(_CONFIRMATIONS_SQL, [base, base, now, program.pk])
    program.eligibility_computed_at = now
    program.save(update_fields=["eligibility_computed_at"])
    active = Eligibility.objects.filter(program=program, active=True)
    return EligibilityReport(
        eligible=active.count(),
        amount=active.aggregate(total=Sum("amount"))["total"] or 0,
        withdrawn=Eligibility.objects.filter(program=program, active=False).count(),
        confirmations_created=confirmations.count() - before,
    )


# --- applications ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountInput:
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_kana: str


def account_problems(account: AccountInput) -> list[zengin.RecordProblem]:
    """What is wrong with an account for a 全銀 transfer (bank and branch through zengin-code); [] when fine."""
    transfer = zengin.Transfer(
        reference="-",
        payment_number=1,
        bank_code=account.bank_code,
        branch_code=account.branch_code,
        account_type=account.account_type,
        account_number=account.account_number,
        holder=account.holder_kana,
        amount=1,
    )
    return zengin._data(transfer)[0]


def _set_account(application: Application, account: AccountInput) -> None:
    application.bank_code = account.bank_code.strip().zfill(4)[:4]
    application.branch_code = account.branch_code.strip().zfill(3)[:3]
    application.account_type = account.account_type.strip()[:1]
    application.account_number = account.account_number.strip().zfill(7)[:7]
    application.holder_kana = zengin.cut_to(zengin.fold_to_zengin(account.holder_kana), 30)


def apply(
    *,
    program: Program,
    household: Household,
    channel: str,
    account: AccountInput | None = None,
    applicant=None,
    staff=None,
    refuse_if_open: bool = False,
    return_without_account: bool = False,
    refuse_if_declined: bool = False,
) -> Application:
    """File an application (online: the resident confirms the 確認書; counter; paper) for an eligible household.

    `account` None confirms the pre-filled account. Another open application of the household makes this one
    a conflict for staff, or, with `refuse_if_open` (staff entering it), raises AlreadyApplied and files
    nothing. A decline of the household (in effect or waiting for staff) makes it a conflict too, or, with
    `refuse_if_open` or `refuse_if_declined` (the resident online), raises AlreadyDeclined. A bank or branch
    that does not exist sends it back to the resident with a request.
    No account at all (none pre-filled, none given) is refused, or — `return_without_account`, a returned
    確認書 with the box ticked but no account anywhere — filed and sent back to the resident for one.
    """
    _check_channel(program, channel)
    with transaction.atomic():
        eligibility = _lock_eligibility(program, household)
        confirmation = getattr(eligibility, "confirmation", None)
        application = Application(
            number="",
            program=program,
            eligibility=eligibility,
            household=household,
            channel=channel,
            applicant=applicant,
            staff=staff,
        )
        missing = account is None and (confirmation is None or not confirmation.has_account)
        if missing and not return_without_account:
            raise BenefitError(
                "account_required",
                "振込先の口座を入力してください。",
                "Enter the bank account for the transfer.",
            )
        if missing:
            pass  # no account: filed, and sent back to the resident below
        elif account is None:
            for name in ("bank_code", "branch_code", "account_type", "account_number", "holder_kana"):
                setattr(application, name, getattr(confirmation, name))
        else:
            _set_account(application, account)
            application.account_corrected = confirmation is None or any(
                getattr(application, n) != getattr(confirmation, n)
                for n in ("bank_code", "branch_code", "account_type", "account_number", "holder_kana")
            )
        problems = [NO_ACCOUNT_PROBLEM] if missing else account_problems(_account_of(application))
        standing = _standing(program, household)
        declines = [number for number, kind in standing if kind == ApplicationKind.DECLINE]
        open_ones = [number for number, _kind in standing]
        if declines and (refuse_if_open or refuse_if_declined):
            raise AlreadyDeclined(declines)
        if open_ones and refuse_if_open:
            raise AlreadyApplied(open_ones)
        if declines:
            application.status = ApplicationStatus.CONFLICT
            application.note = (
                "この世帯の辞退の届出があります。辞退と申請のどちらを採るか、本人に確認してください。"
            )
        elif open_ones:
            application.status = ApplicationStatus.CONFLICT
            application.note = "同じ世帯の申請がすでにあります。"
        elif problems:
            application.status = ApplicationStatus.RETURNED_TO_RESIDENT
            application.note = problems[0].ja
        _save_numbered(application)
        if application.status == ApplicationStatus.RETURNED_TO_RESIDENT:
            _ask_resident_for_account(application, problems)
    return application


def _check_channel(program: Program, channel: str) -> None:
    if channel not in Channel.values or (program.channels and channel not in program.channels):
        raise BenefitError(
            "channel_closed",
            "この給付金はこの方法では申請できません。",
            "This benefit cannot be applied for this way.",
        )
    if channel == Channel.ONLINE and (problem := online_problem(program)) is not None:
        raise problem


def online_problem(program: Program, *, today: dt.date | None = None) -> BenefitError | None:
    """Why a resident cannot apply or decline online now (the deadline, 申請期限, has passed); None when they can.
    Counter and paper have their own checks (`staff_entry_problem`, the paper source's postmark rule); a
    correction of an application sent back to the resident is no new application and stays open."""
    today = today or timezone.localdate()
    if program.deadline is None or today <= program.deadline:
        return None
    deadline = program.deadline
    return BenefitError(
        "deadline_passed",
        f"申請期限（{deadline.year}年{deadline.month}月{deadline.day}日）を過ぎたため、オンラインでの申請や辞退は"
        "できなくなりました。事情がある場合は、市の担当課にお問い合わせください。",
        f"The application deadline ({deadline.isoformat()}) has passed, so this benefit can no longer be applied "
        "for or declined online. If you have a reason, contact the city's division in charge.",
    )


def _lock_eligibility(program: Program, household: Household) -> Eligibility:
    """The household's eligibility row, locked: every filing for a household (applying or declining, any
    channel) takes this lock first, so they are serialised and each sees what the one before filed."""
    eligibility = (
        Eligibility.objects.select_for_update(of=("self",))
        .filter(program=program, household=household, active=True)
        .select_related("confirmation")
        .first()
    )
    if eligibility is None:
        raise BenefitError(
            "not_eligible",
            "この世帯は支給対象として判定されていません。申請書方式での申請をご案内してください。",
            "This household was not found eligible. Guide the resident to the application-form route.",
        )
    return eligibility


def _standing(program: Program, household: Household) -> list[tuple[str, str]]:
    """(受付番号, kind) of the household's open applications and standing declines, oldest first."""
    return list(
        Application.objects.filter(STANDING, program=program, household=household)
        .order_by("pk")
        .values_list("number", "kind")
    )


def _save_numbered(application: Application) -> None:
    """Insert the application and give it its 受付番号 B<program>-<id>."""
    application.number = uuid.uuid4().hex[:20]  # unique until the id is known, just below
    application.save()
    application.number = f"B{application.program_id:02d}-{application.pk:08d}"
    application.save(update_fields=["number"])


# --- declining (辞退) -------------------------------------------------------------------------------

DECLINE_CONFLICT_NOTE = "同じ世帯の申請がすでにあります。辞退と申請のどちらを採るか、本人に確認してください。"
CONTRADICTORY_LETTER_NOTE = (
    "返送された確認書に、辞退の印と、確認の印または口座の記入の両方があります。本人に確認して、どちらかを採用"
    "してください。"
)


def decline(
    *,
    program: Program,
    household: Household,
    channel: str,
    applicant=None,
    staff=None,
    refuse_if_open: bool = False,
    conflict_note: str = "",
) -> Application:
    """The household declines the benefit (辞退): online on My Page, on the returned 確認書, or at the desk.

    A decline in effect is an application of kind `decline`, status `declined`, and a row of status `declined`
    (amount 0) in the payment table under `benefits_payment_once_per_household`: it takes the household's
    single slot, so the household is never both paid and declined, and it is never in a transfer file.
    Filing takes the household's eligibility lock, as applying does, so a decline and an application of the
    same moment are serialised: whichever comes second sees the first.

    - The household has declined already: AlreadyDeclined (nothing filed).
    - It has an open application: `refuse_if_open` (online, the desk) raises AppliedCannotDecline; otherwise
      (paper) the decline is filed as a conflict for staff.
    - `conflict_note`: filed as a conflict with that note whatever else (a letter that says two things).
    - The database refuses the slot (a live payment committed meanwhile): as an open application above.
    """
    _check_channel(program, channel)
    with transaction.atomic():
        eligibility = _lock_eligibility(program, household)
        standing = _standing(program, household)
        declines = [number for number, kind in standing if kind == ApplicationKind.DECLINE]
        if declines:
            raise AlreadyDeclined(declines)
        open_ones = [number for number, _kind in standing]
        if open_ones and refuse_if_open:
            raise AppliedCannotDecline(open_ones)
        now = timezone.now()
        application = Application(
            number="",
            kind=ApplicationKind.DECLINE,
            program=program,
            eligibility=eligibility,
            household=household,
            channel=channel,
            applicant=applicant,
            staff=staff,
            submitted_at=now,
        )
        if conflict_note or open_ones:
            application.status = ApplicationStatus.CONFLICT
            application.note = conflict_note or DECLINE_CONFLICT_NOTE
            _save_numbered(application)
            return application
        application.status = ApplicationStatus.DECLINED
        application.decided_at = now
        _save_numbered(application)
        if not _take_slot_for_decline(application, staff, now):
            if refuse_if_open:  # raising rolls the decline back: nothing is filed
                raise BenefitError(
                    "slot_taken",
                    "この世帯には支給決定または辞退がすでにあります。画面を読み込み直して、世帯の申請を確かめてください。",
                    "This household already has an approved payment or a decline. Reload the page and check "
                    "the household's applications.",
                )
            application.status = ApplicationStatus.CONFLICT
            application.decided_at = None
            application.note = DECLINE_CONFLICT_NOTE
            application.save(update_fields=["status", "decided_at", "note"])
    return application


def _take_slot_for_decline(application: Application, staff, now) -> bool:
    """The decline's row in the payment table (the household's one slot); False when the database refuses it
    (a live payment or another decline holds the slot)."""
    try:
        with transaction.atomic():
            Payment.objects.create(
                program_id=application.program_id,
                household_id=application.household_id,
                application=application,
                amount=0,
                status=PaymentStatus.DECLINED,
                approved_by=staff,
                approved_at=now,
            )
    except IntegrityError:
        return False
    return True


def decline_by_letter(
    *, program: Program, household: Household, staff, applies: bool, account: AccountInput | None
) -> Application:
    """A returned 確認書 with the 辞退 box ticked (the paper intake). Alone, a decline. With the 確認 box ticked or
    an account written as well, the letter says two things: both are filed for staff as a conflict, the
    decline and the application (`account` as written, else the pre-filled one), side by side on the conflicts
    page — never guessed. The decline is returned (its 受付番号 is what the form was filed as)."""
    with transaction.atomic():
        if not applies:
            return decline(program=program, household=household, channel=Channel.PAPER, staff=staff)
        declined = decline(
            program=program,
            household=household,
            channel=Channel.PAPER,
            staff=staff,
            conflict_note=CONTRADICTORY_LETTER_NOTE,
        )
        application = apply(
            program=program,
            household=household,
            channel=Channel.PAPER,
            account=account,
            staff=staff,
            return_without_account=True,
        )
        Application.objects.filter(pk=application.pk).update(note=CONTRADICTORY_LETTER_NOTE)
    return declined


def decline_by_staff(*, program: Program, household_id: int, channel: str, staff) -> Application:
    """A decline the resident hands in at the counter or by post, entered at the desk: nothing is filed when
    the program does not take that channel now, or when the household has an open application or a decline
    (AppliedCannotDecline, AlreadyDeclined: staff see the household's filings side by side)."""
    problem = staff_entry_problem(program, channel)
    if problem is not None:
        raise problem
    return decline(
        program=program,
        household=Household(pk=household_id),
        channel=channel,
        staff=staff,
        refuse_if_open=True,
    )


def withdraw_decline(
    *, application: Application, staff, note: str, client_ip: str | None = None
) -> Application:
    """A decider withdraws a decline (辞退の撤回: the household asked the city, or it was filed by mistake): its
    slot row is cancelled and the household can apply again. Audited. A decline waiting in a conflict is
    withdrawn the same way (it never took effect)."""
    from .access import may_decide

    if staff is None or not may_decide(staff):
        raise BenefitError(
            "deciders_only",
            "辞退の撤回は、給付金を担当する課の決裁者・課管理者が行います。",
            "Only a decider (approver or department administrator) of a benefits department withdraws a "
            "decline.",
        )
    note = " ".join((note or "").split())[:400]
    if not note:
        raise BenefitError(
            "reason_required",
            "辞退を撤回する理由を入力してください（例：本人から電話で撤回の申出）。理由は記録に残ります。",
            "Enter why the decline is withdrawn (e.g. the resident asked by phone). It is kept on record.",
        )
    with transaction.atomic():
        _lock_program(application.program_id)  # the same lock order as `reject` and `resolve_conflict`
        locked = Application.objects.select_for_update().get(pk=application.pk)
        _withdraw_decline(locked, staff, note, client_ip)
    return locked


def _withdraw_decline(locked: Application, staff, note: str, client_ip: str | None = None) -> None:
    """Withdraw the locked decline (the caller holds the program lock): its slot row cancelled, audited."""
    if not locked.is_decline or locked.status not in (ApplicationStatus.DECLINED, ApplicationStatus.CONFLICT):
        raise BenefitError(
            "not_declined",
            f"{locked.number} は撤回できる辞退ではありません（すでに撤回済みか、申請です）。画面を読み込み直して"
            "ください。",
            f"{locked.number} is not a decline that can be withdrawn (withdrawn already, or an application). "
            "Reload the page.",
        )
    now = timezone.now()
    Payment.objects.filter(application_id=locked.pk, status=PaymentStatus.DECLINED).update(
        status=PaymentStatus.CANCELLED, settled_at=now
    )
    locked.status = ApplicationStatus.DECLINE_WITHDRAWN
    locked.note = note
    locked.staff = staff
    locked.decided_at = now
    locked.save(update_fields=["status", "note", "staff", "decided_at"])
    audit.record_access(
        actor=staff,
        action="withdraw_decline",
        object_type="benefits.application",
        object_id=locked.pk,
        fields=["status", "household"],
        purpose="給付金の辞退の撤回",
        client_ip=client_ip,
    )


STAFF_CHANNELS = (Channel.COUNTER, Channel.PAPER)


def staff_entry_problem(
    program: Program, channel: str, *, today: dt.date | None = None
) -> BenefitError | None:
    """Why staff cannot take applications of `program` by `channel` now (counter or paper); None when they can."""
    today = today or timezone.localdate()
    if channel not in STAFF_CHANNELS or (program.channels and channel not in program.channels):
        label = {Channel.COUNTER: ("窓口", "at the counter"), Channel.PAPER: ("郵送", "on paper")}.get(
            channel, (channel, channel)
        )
        return BenefitError(
            "channel_closed",
            f"この給付金は{label[0]}での申請を受け付けていません。受け付けている方法（オンラインなど）を住民に案内してください。",
            f"This benefit does not take applications {label[1]}. Guide the resident to a way it accepts "
            "(online, for example).",
        )
    if program.eligibility_computed_at is None:
        return BenefitError(
            "eligibility_not_computed",
            "この給付金の対象世帯の判定がまだ行われていません。担当課の管理者に判定"
            "（madoguchi benefits eligibility）を依頼してから受け付けてください。",
            "The eligible households of this benefit have not been determined yet. Ask the division "
            "administrator to run it (madoguchi benefits eligibility) before taking applications.",
        )
    if program.deadline and today > program.deadline:
        deadline = program.deadline
        return BenefitError(
            "deadline_passed",
            f"申請期限（{deadline.year}年{deadline.month}月{deadline.day}日）を過ぎているため、この給付金の申請は"
            "受け付けられません。期限内の消印がある郵送の申請は、担当課の管理者に相談してください。",
            f"The application deadline ({deadline.isoformat()}) has passed, so this benefit takes no more "
            "applications. For a mailed application postmarked in time, ask the division administrator.",
        )
    return None


def apply_by_staff(
    *, program: Program, household_id: int, channel: str, account: AccountInput | None, staff
) -> Application:
    """A counter or paper application entered by staff on the resident's behalf.

    `account` None takes the account the 確認書 was pre-filled with (the 公金受取口座 the city holds). Nothing is
    filed when the program does not take it now (`staff_entry_problem`), when the account cannot be paid to
    (staff correct it with the resident instead of sending it back), or when the household already has an
    open application (AlreadyApplied: staff see them side by side; the eligibility lock in `apply` makes
    this hold for two clerks at once too).
    """
    problem = staff_entry_problem(program, channel)
    if problem is not None:
        raise problem
    if account is None:
        confirmation = (
            Confirmation.objects.filter(
                eligibility__program=program, eligibility__household_id=household_id, eligibility__active=True
            )
            .only("bank_code", "branch_code", "account_type", "account_number", "holder_kana")
            .first()
        )
        if confirmation is not None and confirmation.has_account:
            problems = account_problems(_account_of(confirmation))
            if problems:
                raise BenefitError(
                    "public_account_invalid",
                    f"市で把握している口座には振り込めません（{problems[0].ja}）。別の口座を入力してください。",
                    f"The account the city holds cannot be paid to ({problems[0].en}). Enter another account.",
                )
    else:
        problems = account_problems(account)
        if problems:
            raise BenefitError("invalid_account", problems[0].ja, problems[0].en)
    return apply(
        program=program,
        household=Household(pk=household_id),
        channel=channel,
        account=account,
        staff=staff,
        refuse_if_open=True,
    )


def head_first(field: str):
    """0 for the 世帯主, 1 for every other member: ordering by it puts the household head first."""
    return DjCase(When(**{field: "世帯主"}, then=Value(0)), default=Value(1), output_field=IntegerField())


NO_ACCOUNT_PROBLEM = zengin.RecordProblem(
    "-", "account", "振込先の口座の記入がありません。", "no bank account was given for the transfer."
)


def _account_of(application) -> AccountInput:
    return AccountInput(
        bank_code=application.bank_code,
        branch_code=application.branch_code,
        account_type=application.account_type,
        account_number=application.account_number,
        holder_kana=application.holder_kana,
    )


def account_of(record) -> AccountInput:
    """The account fields of an application or a 確認書 (anything with AccountFields) as an AccountInput."""
    return _account_of(record)


def _resident_account_of(application: Application):
    """Whom to ask: the applicant (online), else the resident account linked to a member of the household
    (the head first; a counter or paper application has no applicant). None: staff send a letter."""
    if application.applicant is not None:
        return application.applicant
    from madoguchi.accounts.models import IdentityLink

    link = (
        IdentityLink.objects.filter(
            person__household_id=application.household_id,
            person__is_active=True,
            revoked_at__isnull=True,
            user__is_active=True,
        )
        .annotate(head=head_first("person__relationship"))
        .select_related("user")
        .order_by("head", "person_id")
        .first()
    )
    return link.user if link is not None else None


def _ask_resident_for_account(application: Application, problems) -> None:
    """A notice on My Page (and email) asking for a correct account; without an account, staff send a letter."""
    recipient = _resident_account_of(application)
    if recipient is None:
        return
    from madoguchi.notify.services import send_notice

    program = application.program
    send_notice(
        recipient=recipient,
        kind="benefit_account",
        title_ja=f"{program.title_ja}：振込先口座をご確認ください",
        title_en=f"{program.title_en or program.title_ja}: please check your bank account",
        body_ja=(
            f"申請（受付番号 {application.number}）の振込先口座に誤りがあります：{'；'.join(p.ja for p in problems)}"
            "マイページの確認書から正しい口座を入力し直してください。"
        ),
        body_en=(
            f"The bank account of your application {application.number} is wrong: {'; '.join(p.en for p in problems)} "
            "Open the confirmation on My Page and enter the correct account."
        ),
    )


def correct_account(*, application: Application, account: AccountInput, staff=None) -> Application:
    """The resident (or staff, at the counter or from a letter) gives a new account for a returned
    application: it is received again."""
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status != ApplicationStatus.RETURNED_TO_RESIDENT:
            raise BenefitError(
                "not_returned",
                "この申請は口座の訂正を受け付けていません。画面を読み込み直して、申請の状態を確かめてください。",
                "This application does not take a corrected account. Reload the page and check its status.",
            )
        _set_account(locked, account)
        locked.account_corrected = True
        problems = account_problems(account)
        if problems:
            raise BenefitError("invalid_account", problems[0].ja, problems[0].en)
        locked.status = ApplicationStatus.RECEIVED
        locked.note = ""
        if staff is not None:
            locked.staff = staff
        locked.save()
    return locked


@dataclass
class ApprovalReport:
    approved: int = 0
    held: list[str] = field(default_factory=list)  # 受付番号
    returned: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def approve(*, application: Application, staff=None) -> Payment | None:
    """Decide to pay: a live Payment. The database refuses a second live payment for the household; such an
    application becomes a conflict for staff. None when it was not approved (held, returned, conflict)."""
    report = ApprovalReport()
    payments = _approve([application.pk], staff, report)
    return payments[0] if payments else None


def approve_received(*, program: Program, staff=None) -> ApprovalReport:
    """Approve every received application of the program (the office's button)."""
    report = ApprovalReport()
    ids = list(
        Application.objects.filter(
            program=program, status=ApplicationStatus.RECEIVED, kind=ApplicationKind.APPLICATION
        ).values_list("id", flat=True)
    )
    for start in range(0, len(ids), 1000):
        _approve(ids[start : start + 1000], staff, report)
    return report


def _approve(ids: list[int], staff, report: ApprovalReport) -> list[Payment]:
    made = []
    now = timezone.now()
    with transaction.atomic():
        applications = list(
            Application.objects.select_for_update(of=("self",))
            .filter(pk__in=ids, status=ApplicationStatus.RECEIVED, kind=ApplicationKind.APPLICATION)
            .select_related("eligibility")
            .order_by("pk")
        )
        members = {}
        for person_id, household_id in Person.objects.filter(
            household_id__in={a.household_id for a in applications}, is_active=True
        ).values_list("id", "household_id"):
            members.setdefault(household_id, []).append(person_id)
        held = holds.held_person_ids([p for ps in members.values() for p in ps])
        for application in applications:
            if held.intersection(members.get(application.household_id, [])):
                report.held.append(application.number)
                continue
            problems = account_problems(_account_of(application))
            if problems:
                application.status = ApplicationStatus.RETURNED_TO_RESIDENT
                application.note = problems[0].ja
                application.save(update_fields=["status", "note"])
                _ask_resident_for_account(application, problems)
                report.returned.append(application.number)
                continue
            try:
                with transaction.atomic():
                    payment = Payment.objects.create(
                        program_id=application.program_id,
                        household_id=application.household_id,
                        application=application,
                        amount=application.eligibility.amount,
                        approved_by=staff,
                        approved_at=now,
                    )
            except IntegrityError:
                application.status = ApplicationStatus.CONFLICT
                application.note = "この世帯にはすでに支給の決定（または辞退）があります。"
                application.save(update_fields=["status", "note"])
                report.conflicts.append(application.number)
                continue
            application.status = ApplicationStatus.APPROVED
            application.decided_at = now
            application.staff = staff or application.staff
            application.save(update_fields=["status", "decided_at", "staff"])
            report.approved += 1
            made.append(payment)
    return made


def _lock_program(program_id: int) -> None:
    """Take the program row's lock, the one `export_payments` holds while it writes a file.

    Whoever changes whether a payment goes into the file (rejecting, sending back) takes it first, so that an
    export and such a change never interleave: either the change commits first and the export does not see
    the payment, or the export commits first and the change sees the payment exported and refuses. FOR NO KEY
    UPDATE (not FOR UPDATE): the foreign-key checks of new applications and payments (FOR KEY SHARE) do not
    wait for it, so approving and applying go on during an export.
    """
    Program.objects.select_for_update(no_key=True).filter(pk=program_id).values_list("pk", flat=True).get()


def _withdraw_payment(locked: Application) -> None:
    """Cancel the application's live payment, unless it is already in a transfer file (or paid): then refuse.
    The caller holds the program lock (`_lock_program`), so no export runs meanwhile."""
    statuses = set(
        Payment.objects.select_for_update().filter(application_id=locked.pk).values_list("status", flat=True)
    )
    if statuses & {PaymentStatus.EXPORTED, PaymentStatus.PAID}:
        raise BenefitError(
            "already_paid",
            f"申請 {locked.number} の支払はすでに振込データに入っている（または振込済みの）ため、取り消せません。"
            "銀行から返却された場合は、返却の取り込み後に口座を訂正してください。",
            f"The payment of application {locked.number} is already in a transfer file (or paid), so it cannot "
            "be withdrawn. If the bank returns it, correct the account after the return list is imported.",
        )
    Payment.objects.filter(application_id=locked.pk, status=PaymentStatus.APPROVED).update(
        status=PaymentStatus.CANCELLED, settled_at=timezone.now()
    )


def reject(*, application: Application, staff, note: str) -> None:
    """Reject (or withdraw) an application; its live payment, if not yet in a transfer file, is cancelled.

    Safe against an export being written at the same moment: the program lock makes one of the two win whole
    (the payment is cancelled and not in the file, or it is in the file and the rejection is refused).
    """
    note = " ".join((note or "").split())[:400]
    if not note:
        raise BenefitError(
            "reason_required",
            "不支給・取下げの理由を入力してください。理由は申請の記録に残ります。",
            "Enter the reason for rejecting or withdrawing. It is kept with the application.",
        )
    with transaction.atomic():
        _lock_program(application.program_id)
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.is_decline:
            raise BenefitError(
                "is_decline",
                f"{locked.number} は辞退の届出です。不支給・取下げではなく「辞退の撤回」を使ってください。",
                f"{locked.number} is a decline, not an application: withdraw the decline instead.",
            )
        if locked.status == ApplicationStatus.REJECTED:
            raise BenefitError(
                "already_rejected",
                f"申請 {locked.number} はすでに不支給・取下げになっています。画面を読み込み直してください。",
                f"Application {locked.number} is already rejected or withdrawn. Reload the page.",
            )
        _withdraw_payment(locked)
        locked.status = ApplicationStatus.REJECTED
        locked.note = note
        locked.staff = staff
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "note", "staff", "decided_at"])


def return_to_resident(*, application: Application, staff, note: str) -> Application:
    """Send an application back for a new account (the resident says the account is closed, or staff found
    it wrong): its approved payment, if not yet in a transfer file, is cancelled; a correction
    (`correct_account`) makes it received again. Race-safe against an export like `reject`."""
    note = " ".join((note or "").split())[:400]
    if not note:
        raise BenefitError(
            "reason_required",
            "差し戻す理由を入力してください（例：口座解約のため）。理由は申請の記録に残ります。",
            "Enter why the application goes back (e.g. the account was closed). It is kept with the application.",
        )
    with transaction.atomic():
        _lock_program(application.program_id)
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status not in (ApplicationStatus.RECEIVED, ApplicationStatus.APPROVED):
            raise BenefitError(
                "cannot_return",
                f"申請 {locked.number} は「{locked.get_status_display()}」のため差し戻せません。"
                "画面を読み込み直して、申請の状態を確かめてください。",
                f"Application {locked.number} cannot be sent back in its current status. Reload the page and "
                "check its status.",
            )
        _withdraw_payment(locked)
        locked.status = ApplicationStatus.RETURNED_TO_RESIDENT
        locked.note = note
        locked.staff = staff
        locked.save(update_fields=["status", "note", "staff"])
    return locked


def resolve_conflict(*, keep: Application, staff, client_ip: str | None = None) -> None:
    """Staff chose `keep` among a household's applications and declines: the other applications are rejected
    as duplicates, the other declines withdrawn (audited). A decline kept takes effect (its slot row; the
    database refuses it while a live payment stands, and then nothing changes)."""
    from .access import may_decide

    with transaction.atomic():
        _lock_program(keep.program_id)  # first, as in `reject`: the same lock order everywhere
        kept = Application.objects.select_for_update().get(pk=keep.pk)
        if not (kept.status in OPEN_STATUSES or kept.status == ApplicationStatus.DECLINED):
            raise BenefitError(
                "not_standing",
                f"{kept.number} はすでに不支給・取下げ（または辞退の撤回）になっているため、採用できません。画面を"
                "読み込み直して、世帯の申請を確かめてください。",
                f"{kept.number} has already been rejected or withdrawn, so it cannot be kept. Reload the page and "
                "check the household's applications.",
            )
        others = list(
            Application.objects.select_for_update(of=("self",))
            .filter(STANDING, program_id=keep.program_id, household_id=keep.household_id)
            .exclude(pk=keep.pk)
            .order_by("pk")
        )
        if any(o.status == ApplicationStatus.DECLINED for o in others) and not may_decide(staff):
            raise BenefitError(
                "deciders_only",
                "辞退の撤回は、給付金を担当する課の決裁者・課管理者が行います。",
                "Only a decider (approver or department administrator) of a benefits department withdraws a "
                "decline.",
            )
        for other in others:
            if other.is_decline:
                _withdraw_decline(other, staff, "重複（職員が他の申請を採用）", client_ip)
            else:
                reject(application=other, staff=staff, note="重複申請（職員が他の申請を採用）")
        if kept.status != ApplicationStatus.CONFLICT:
            return
        if kept.is_decline:
            now = timezone.now()
            if not _take_slot_for_decline(kept, staff, now):
                raise BenefitError(
                    "slot_taken",
                    f"この世帯には支給の決定がすでにあるため、辞退 {kept.number} は採用できません。振込データに入った"
                    "支払は取り消せません。銀行から返却された場合は、返却の取り込み後に採用してください。",
                    f"This household already has a live payment, so the decline {kept.number} cannot be kept. A "
                    "payment in a transfer file cannot be cancelled; if the bank returns it, keep the decline after "
                    "the return list is imported.",
                )
            kept.status = ApplicationStatus.DECLINED
            kept.decided_at = now
        else:
            kept.status = ApplicationStatus.RECEIVED
        kept.note = ""
        kept.staff = staff
        kept.save(update_fields=["status", "note", "staff", "decided_at"])


# --- the 全銀 file and the return list -------------------------------------------------------------


def remitter_of(program: Program) -> zengin.Remitter:
    return zengin.Remitter(
        code=program.remitter_code,
        name=program.remitter_name,
        bank_code=program.remitter_bank_code,
        branch_code=program.remitter_branch_code,
        account_type=program.remitter_account_type,
        account_number=program.remitter_account_number,
    )


PARALLEL_EXPORT_FROM = 1000  # payments; below that a thread costs more than it saves


@dataclass
class ExportResult:
    export: PaymentExport
    count: int
    total: int


def export_payments(
    *,
    program: Program,
    path: str | PathLike[str],
    transfer_date: dt.date | None = None,
    user=None,
    line_ending: str = "\r\n",
) -> ExportResult:
    """Write the 全銀 総合振込 file of every approved payment and mark them exported — all or nothing.

    The payments are read once (only the columns the file needs). On PostgreSQL the file is built in a
    thread while the database marks the same payments exported (one UPDATE over their ids): the two take about
    as long each, and the machine has more than one core. Both finish before anything is committed or written;
    a record that fails validation or a payment cancelled meanwhile raises inside the transaction, so nothing
    is marked and no file is written.
    """
    transfer_date = transfer_date or timezone.localdate()
    with transaction.atomic():
        # One export of a program at a time (the program row is the lock; `reject` and `return_to_resident`
        # take it too, so a payment is never both withdrawn and in the file). The payments are not locked one
        # by one (that is a write per row): the UPDATE marks exactly the rows read, or the export fails.
        _lock_program(program.pk)
        rows = list(
            Payment.objects.filter(program=program, status=PaymentStatus.APPROVED)
            .order_by("pk")
            .values_list(
                "pk",
                "amount",
                "application_id",
                "application__number",
                "application__bank_code",
                "application__branch_code",
                "application__account_type",
                "application__account_number",
                "application__holder_kana",
            )
        )
        if not rows:
            raise BenefitError(
                "nothing_to_export",
                "振込データにする支給決定がありません。",
                "There are no approved payments to export.",
            )
        remitter = remitter_of(program)

        def build() -> zengin.TransferFile:
            return zengin.build_transfer_file(
                remitter,
                (
                    zengin.Transfer(
                        reference=number,
                        payment_number=pk,
                        application_number=app_id,
                        bank_code=bank,
                        branch_code=branch,
                        account_type=kind,
                        account_number=account,
                        holder=holder,
                        amount=amount,
                    )
                    for pk, amount, app_id, number, bank, branch, kind, account, holder in rows
                ),
                transfer_date=transfer_date,
                line_ending=line_ending,
            )

        export = PaymentExport.objects.create(
            program=program, transfer_date=transfer_date, count=0, total=0, sha256="", created_by=user
        )
        ids = [row[0] for row in rows]
        if connection.vendor == "postgresql" and len(rows) >= PARALLEL_EXPORT_FROM:
            with ThreadPoolExecutor(max_workers=1) as pool:
                building = pool.submit(build)  # pure Python, no database: the thread needs no connection
                marked = _mark_exported(ids, export.pk)
                built = building.result()  # raises ZenginValidationError: the transaction rolls back
        else:
            built = build()
            marked = _mark_exported(ids, export.pk)
        if marked != len(rows):  # a payment cancelled meanwhile: nothing is written, nothing marked
            raise BenefitError(
                "payments_changed",
                "振込データの作成中に支給決定が変わりました。もう一度作成してください。",
                "Payments were approved or cancelled while the file was being made. Export again.",
            )
        export.count, export.total = built.count, built.total
        export.sha256 = hashlib.sha256(built.data).hexdigest()
        export.save(update_fields=["count", "total", "sha256"])
        zengin.write_transfer_file(path, built)  # last: an error above leaves neither file nor change
    return ExportResult(export=export, count=built.count, total=built.total)


def _mark_exported(ids: list[int], export_id: int) -> int:
    """Mark the payments `ids` that are still approved exported; the number marked."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE benefits_payment p SET status = %s, export_id = %s FROM unnest(%s::bigint[]) AS t(id) "
                "WHERE p.id = t.id AND p.status = %s",
                [PaymentStatus.EXPORTED, export_id, ids, PaymentStatus.APPROVED],
            )
            return cursor.rowcount
    marked = 0
    for start in range(0, len(ids), 500):
        marked += Payment.objects.filter(
            pk__in=ids[start : start + 500], status=PaymentStatus.APPROVED
        ).update(status=PaymentStatus.EXPORTED, export_id=export_id)
    return marked


@dataclass
class ReturnReport:
    paid: int = 0
    returned: list[str] = field(default_factory=list)  # 受付番号


@transaction.atomic
def import_returns(*, program: Program, data: bytes) -> ReturnReport:
    """Read the bank's returned file: "0" → paid; anything else → returned, and the application goes back to
    the resident for a correct account (a later approval may pay the household again: the old payment is no
    longer live)."""
    results = zengin.parse_return_file(data)
    payments = {
        p.pk: p
        for p in Payment.objects.select_for_update(of=("self",))
        .filter(program=program, pk__in=[r.payment_number for r in results])
        .select_related("application")
    }
    unknown = [r.payment_number for r in results if r.payment_number not in payments]
    if unknown:
        raise BenefitError(
            "unknown_payments",
            f"この給付金の支払にない顧客コード1があります（{', '.join(map(str, unknown[:10]))}）。ファイルを確認してください。",
            f"Customer code 1 values not among this program's payments: {', '.join(map(str, unknown[:10]))}. Check the file.",
        )
    report = ReturnReport()
    now = timezone.now()
    for result in results:
        payment = payments[result.payment_number]
        if payment.status not in (PaymentStatus.EXPORTED, PaymentStatus.PAID):
            continue
        payment.result_code = result.result_code
        payment.settled_at = now
        if result.transferred:
            payment.status = PaymentStatus.PAID
            report.paid += 1
        else:
            payment.status = PaymentStatus.RETURNED
            application = payment.application
            application.status = ApplicationStatus.RETURNED_TO_RESIDENT
            application.note = f"振込不能（{result.result_label}）。正しい口座をご確認ください。"
            application.save(update_fields=["status", "note"])
            problem = zengin.RecordProblem(
                application.number,
                "account",
                application.note,
                f"the bank could not transfer ({result.result_code}).",
            )
            _ask_resident_for_account(application, [problem])
            report.returned.append(application.number)
        payment.save(update_fields=["status", "result_code", "settled_at"])
    return report


def mark_confirmations_printed(*, confirmation_ids: list[int]) -> None:
    now = timezone.now()
    for start in range(0, len(confirmation_ids), 10000):
        Confirmation.objects.filter(pk__in=confirmation_ids[start : start + 10000]).update(printed_at=now)
