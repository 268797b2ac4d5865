"""A returned 確認書 read by the paper intake: the benefits room's form source (`intake.sources`).

The letter's QR code says ``MDG1|<reference>|benefit:<program>|<layout version>|1/1``. The intake reads the
return part with the layout and spec of `letters` (a tick, the account in digit boxes, ticks and katakana
cells), checks and verifies it as any form, and then calls `ConfirmationSource.file`, which files the
household's application through `services.apply(channel=paper)`: the same path as every channel, so a
household that already applied (online, at the counter, or by an earlier scan of the same letter) gets a
conflict for staff, never a second payment, and a bank or branch that does not exist sends the application
back to the resident. A QR reference no confirmation has, a program past its deadline, a program that does not
take paper, or a household no longer eligible make the form `invalid` with the reason, before anybody
verifies it. The 辞退 box ticked files the household's decline (`services.decline_by_letter`); ticked with the
確認 box or an account as well, the letter says two things and both go to staff as a conflict.

The intake names the person a letter is addressed to (`ConfirmationSource.person`: the household's head) in the
audit rows of every look at its form, so that the auditor's search by person finds them.

Registered by `BenefitsConfig.ready`, so `django.setup()` imports this module: it imports the letters (and through
them the procedure spec and its YAML reader) and the services only when a page is read, looked at or filed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from madoguchi.core.errors import is_english
from madoguchi.intake.sources import Refusal, Refused, ValuesRefused
from madoguchi.residents.models import Person

from .models import Channel, Confirmation, Program

PREFIX = "benefit:"  # letters.QR_PROCEDURE_PREFIX, kept here so that start-up does not import the letters


def _letters():
    from . import letters

    return letters


def _code(value: Any, digits: int) -> str:
    """A code as the 全銀 file has it (`0005`) from a number read in digit boxes (5); "" when empty."""
    if value is None or value == "":
        return ""
    text = str(value).strip()
    return text.zfill(digits) if text.isdigit() else text


def _program(key: str) -> Program | None:
    slug = _letters().program_slug_of(key)
    return Program.objects.filter(slug=slug).first() if slug else None


class ConfirmationSource:
    """The intake's form source for ``benefit:<program>`` (see the module's docstring)."""

    prefix = PREFIX

    # --- what to read the page with

    def _titles(self, key: str) -> tuple[str, str]:
        letters = _letters()
        program = _program(key)
        if program is None:
            slug = letters.program_slug_of(key) or key
            return slug, slug
        return program.title_ja, program.title_en

    def spec(self, key: str, version: int | None):
        letters = _letters()
        if letters.LAYOUT_OF_VERSION.get(version or 0) is None or letters.program_slug_of(key) is None:
            return None
        title_ja, title_en = self._titles(key)
        return letters.confirmation_spec(
            slug=letters.program_slug_of(key), title_ja=title_ja, title_en=title_en
        )

    def layout(self, key: str, version: int | None):
        letters = _letters()
        layout = letters.LAYOUT_OF_VERSION.get(version or 0)
        slug = letters.program_slug_of(key)
        if layout is None or slug is None:
            return None  # not a letter layout this code printed (version 1 had nothing to read back)
        title_ja, title_en = self._titles(key)
        return letters.letter_form_layout(
            layout, slug=slug, title_ja=title_ja, title_en=title_en, version=version
        )

    def title(self, key: str, lang: str) -> str:
        title_ja, title_en = self._titles(key)
        if is_english(lang):
            return f"{title_en or title_ja}: confirmation letter"
        return f"{title_ja} 支給要件確認書"

    # --- can it be filed at all?

    def _confirmation(self, key: str, reference: str) -> tuple[Program, Confirmation]:
        letters = _letters()
        program = _program(key)
        if program is None:
            slug = letters.program_slug_of(key) or key
            raise Refused(
                Refusal(
                    f"この確認書の給付金（{slug}）は登録されていません。",
                    f"The benefit program of this letter ({slug}) does not exist here.",
                )
            )
        confirmation = (
            Confirmation.objects.select_related("eligibility__household")
            .filter(reference=reference, eligibility__program=program)
            .first()
            if reference
            else None
        )
        if confirmation is None:
            raise Refused(
                Refusal(
                    "QRコードの参照番号に当たる確認書がありません（別の給付金の確認書か、偽造の可能性があります）。"
                    "世帯を確認して窓口・郵送の申請として受け付けてください。",
                    "No confirmation letter has the reference in this QR code (a letter of another program, or "
                    "forged). Identify the household and file it as a counter or paper application.",
                )
            )
        if program.channels and Channel.PAPER not in program.channels:
            raise Refused(
                Refusal(
                    "この給付金は郵送（紙）での申請を受け付けていません。",
                    "This benefit does not take applications on paper.",
                )
            )
        from madoguchi.jp import wareki

        today = timezone.localdate()
        if program.deadline is not None and today > program.deadline:
            raise Refused(
                Refusal(
                    f"この給付金の申請期限（{wareki.format_wareki(program.deadline)}）を過ぎています。"
                    "消印を確認し、期限内に発送されたものは職員が申請として受け付けてください。",
                    f"The application deadline of this benefit ({program.deadline.isoformat()}) has passed. "
                    "Check the postmark; staff file a letter sent in time as an application.",
                )
            )
        if not confirmation.eligibility.active:
            raise Refused(
                Refusal(
                    "この世帯は再判定で支給対象ではなくなりました。",
                    "This household is no longer eligible after the eligibility was computed again.",
                )
            )
        return program, confirmation

    def refusal(self, key: str, version: int | None, reference: str) -> Refusal | None:
        try:
            self._confirmation(key, reference)
        except Refused as exc:
            return exc.refusal
        return None

    # --- values a person should look at

    def crosscheck(self, key: str, values: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
        letters = _letters()
        notes: dict[str, tuple[str, str]] = {}
        parts = {name: values.get(name) for name in letters.ACCOUNT_FIELDS}
        written = [name for name, value in parts.items() if value not in (None, "", [], {})]
        if written and len(written) < len(parts):
            for name in letters.ACCOUNT_FIELDS:
                if name not in written:
                    notes[name] = (
                        "口座の一部だけが読み取れました。この欄に記入がないか確認してください。",
                        "Only part of the account was read: check whether this box is really empty.",
                    )
        from madoguchi.jp.banks import find_bank, find_branch  # the bank tables: not at start-up

        bank = _code(parts[letters.BANK_CODE], 4)
        branch = _code(parts[letters.BRANCH_CODE], 3)
        if bank and find_bank(bank) is None:
            notes[letters.BANK_CODE] = (
                f"金融機関コード {bank} は全銀協のコード表にありません。紙のとおりなら、そのまま確定してください"
                "（申請は本人に口座の確認を依頼します）。",
                f"No bank has the code {bank}. If the paper says so, accept it: the application goes back to "
                "the resident for a correct account.",
            )
        elif bank and branch and find_branch(bank, branch) is None:
            notes[letters.BRANCH_CODE] = (
                f"支店コード {branch} はこの金融機関にありません。紙のとおりなら、そのまま確定してください"
                "（申請は本人に口座の確認を依頼します）。",
                f"The bank has no branch {branch}. If the paper says so, accept it: the application goes back "
                "to the resident for a correct account.",
            )
        # 辞退: a person always looks (declining loses the household its benefit)
        if values.get(letters.DECLINE):
            notes[letters.DECLINE] = (
                "辞退の印が読み取れました。紙の印を確かめてください（辞退すると支給されません。確認の印や口座の記入も"
                "あれば、辞退と申請の両方を職員が確認する重複として受け付けます）。",
                "The decline box was read as ticked. Check the paper: a decline means no payment (with the "
                "confirmation tick or an account as well, both go to staff as a conflict).",
            )
        elif not written and not values.get(letters.CONFIRM):
            notes[letters.CONFIRM] = (
                "確認の印も口座の記入も読み取れませんでした。紙に印がないか確認してください。",
                "Neither the tick nor an account was read: check the paper for a tick.",
            )
        return notes

    # --- filing

    def file(
        self, *, key: str, version: int | None, reference: str, values: Mapping[str, Any], actor, note: str
    ) -> str:
        """The household's paper application (`services.apply`); its 受付番号."""
        letters = _letters()
        from . import services

        program, confirmation = self._confirmation(key, reference)
        parts = {name: values.get(name) for name in letters.ACCOUNT_FIELDS}
        written = any(value not in (None, "", [], {}) for value in parts.values())
        if not written and not values.get(letters.CONFIRM) and not values.get(letters.DECLINE):
            raise ValuesRefused(
                {
                    letters.CONFIRM: (
                        "確認の印がなく、口座の記入もありません。紙に印があれば「確認しました」を選んで確定してく"
                        "ださい。印がなければ本人に確認してください。",
                        "There is neither a tick nor an account. If the paper has a tick, tick it here; if "
                        "not, ask the resident.",
                    )
                }
            )
        account = None
        if written:
            account = services.AccountInput(
                bank_code=_code(parts[letters.BANK_CODE], 4),
                branch_code=_code(parts[letters.BRANCH_CODE], 3),
                account_type=str(parts[letters.ACCOUNT_TYPE] or "1"),  # 普通 unless ticked, as online
                account_number=_code(parts[letters.ACCOUNT_NUMBER], 7),
                holder_kana=str(parts[letters.HOLDER] or ""),
            )
        if values.get(letters.DECLINE):  # 辞退; with the tick or an account too, a conflict for staff
            try:
                return services.decline_by_letter(
                    program=program,
                    household=confirmation.eligibility.household,
                    staff=actor,
                    applies=written or bool(values.get(letters.CONFIRM)),
                    account=account,
                ).number
            except services.BenefitError as exc:
                raise Refused(Refusal(exc.ja, exc.en)) from exc
        try:
            application = services.apply(
                program=program,
                household=confirmation.eligibility.household,
                channel=Channel.PAPER,
                account=account,
                staff=actor,
                return_without_account=True,
            )
        except services.BenefitError as exc:
            raise Refused(Refusal(exc.ja, exc.en)) from exc
        return application.number

    # --- who may see it (a returned 確認書 shows the household's bank account)

    def may_verify(self, staff) -> bool:
        """The benefits staff only (`access.is_benefits_staff`), as at the desk: other staff, auditors included,
        are refused the letter's page, its fields and crops, and do not find it in the intake's queues."""
        from .access import is_benefits_staff

        return is_benefits_staff(staff)

    # --- whom it is about (the audit rows of the intake's looks)

    def person(self, key: str, reference: str) -> int | None:
        """The person the letter with this reference is addressed to, as the letter batch addresses it
        (`printing`): its household's head (世帯主), else its first member, those still registered first;
        None for a reference no confirmation of the program has."""
        slug = _letters().program_slug_of(key)
        if not slug or not reference:
            return None
        from .services import head_first

        household = Confirmation.objects.filter(reference=reference, eligibility__program__slug=slug).values(
            "eligibility__household_id"
        )
        return (
            Person.objects.filter(household_id__in=household)
            .annotate(head=head_first("relationship"))
            .order_by("-is_active", "head", "id")
            .values_list("pk", flat=True)
            .first()
        )


source = ConfirmationSource()
