"""Staff access to the registry (住民記録): scoped by department or by a stated purpose, always audited.

A staff member sees a person

- through a case of their own department (`via_case`, purpose 申請の審査; the cases room finds the case,
  `cases.selectors.via_case_for_staff`, since the registry sits below cases and does not look them up), or
- through a search with a purpose from `SEARCH_PURPOSES` that their department may state.

Every read writes one `core.audit.record_access` row naming the fields that were shown; every refusal
writes a "refused" row. A protected address (支援措置, DV protection) is replaced by
「支援措置対象のため表示できません」 — also the postal code, which would narrow it down, and the 世帯番号, which
leads to it — for the protected person and for everyone at that address: the members of their household and
anyone registered at the same dwelling (`residents.selectors.protected_addresses`). Only a staff member
holding `residents.view_protected_address` who states a reason sees it; that read is audited as "reveal",
and the same request without the permission is refused and audited.

Views get read-only `PersonView` / `PersonSummary` objects, never `Person` rows, so a template cannot reach
a field that was not audited.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from madoguchi.core import audit
from madoguchi.core.errors import MadoguchiError
from madoguchi.core.text import unsafe_character
from madoguchi.jp import kana
from madoguchi.jp.errors import is_english
from madoguchi.residents import selectors as resident_selectors
from madoguchi.residents.models import Person

PROTECTED_ADDRESS_PERMISSION = "residents.view_protected_address"
ADDRESS_WITHHELD = _("支援措置対象のため表示できません")
CASE_REVIEW = "case_review"
SEARCH_LIMIT = 50
REASON_MAX_LENGTH = 150
AUDIT_OBJECT_ID_MAX = 64  # core.models.AuditEvent column sizes
AUDIT_PURPOSE_MAX = 200

# The fields of a person a staff member reads, in the words of the audit log.
IDENTITY_FIELDS = (
    "atena_number",
    "name",
    "name_kana",
    "birth_date",
    "sex",
    "relationship",
    "household",
    "resident_since",
    "is_active",
)
ADDRESS_FIELDS = ("postal_code", "address")
# What a protected address withholds: the address, the postal code and the 世帯番号 that leads to it.
PROTECTED_FIELDS = ("postal_code", "address", "household")
SUMMARY_FIELDS = ("name", "name_kana", "birth_date")


@dataclass(frozen=True)
class ViaCase:
    """The case a staff member opens a person through, as the cases room found it
    (`cases.selectors.via_case_for_staff`): this module checks the answer, it does not look cases up."""

    reference: str
    person_id: (
        int | None
    )  # the applicant's registry person, whoever may see the case (None: no such case, unmatched)
    open_to_staff: bool  # a submitted case (not a draft) of the staff member's own department


@dataclass(frozen=True)
class Purpose:
    """A reason a staff member may look a person up without a case (利用目的). Data, not code."""

    code: str
    ja: str
    en: str
    departments: tuple[str, ...] = ()  # codes of the departments that may state it; empty: every one

    def label(self, lang: str) -> str:
        return self.en if is_english(lang) else self.ja


SEARCH_PURPOSES: tuple[Purpose, ...] = (
    Purpose("identity_check", "窓口での本人確認", "Identity check at the counter"),
    Purpose(
        "registry_inquiry",
        "住民異動届・証明書交付の審査",
        "Review of a moving notification or a certificate request",
        ("shimin",),
    ),
    Purpose("tax_investigation", "課税調査", "Tax assessment inquiry", ("zeimu",)),
    Purpose("welfare_support", "福祉の支援", "Welfare support", ("fukushi", "kaigo", "kosodate")),
    Purpose(
        "benefit_eligibility",  # BENEFIT_ELIGIBILITY; also the departments of settings.BENEFITS_DEPARTMENTS
        "給付・手当・保険の資格確認",
        "Eligibility check for a benefit, allowance or insurance",
        ("kosodate", "hoken-nenkin", "kaigo", "fukushi"),
    ),
)
_PURPOSES_BY_CODE = {p.code: p for p in SEARCH_PURPOSES}


BENEFIT_ELIGIBILITY = "benefit_eligibility"


def _departments_of(purpose: Purpose) -> tuple[str, ...]:
    """The departments that may state `purpose`: the benefit purpose also for the departments that run
    benefit programs (settings.BENEFITS_DEPARTMENTS), whatever their code."""
    if purpose.code == BENEFIT_ELIGIBILITY:
        return purpose.departments + tuple(getattr(settings, "BENEFITS_DEPARTMENTS", ()))
    return purpose.departments


def purposes_for(staff) -> list[Purpose]:
    """The search purposes `staff`'s department may state (none for staff without a department)."""
    code = getattr(getattr(staff, "department", None), "code", None)
    if code is None:
        return []
    return [p for p in SEARCH_PURPOSES if not p.departments or code in _departments_of(p)]


def purpose_label(code: str, lang: str) -> str:
    if code == CASE_REVIEW:
        return "Case review" if is_english(lang) else "申請の審査"
    purpose = _PURPOSES_BY_CODE.get(code)
    return purpose.label(lang) if purpose else code


# ----------------------------------------------------------------------------------------------------------
# Errors: each says what went wrong and what to do, in Japanese and English.


class AccessError(MadoguchiError):
    """A refused or impossible read of the registry; `message(lang)` says why and what to do."""

    str_format = "{code}"


class PersonAccessRefused(AccessError, Http404):
    """Not a person this staff member may see (or no such person): a 404, audited as "refused"."""


class PersonNotLinked(AccessError, Http404):
    """The case has no person of the registry (an applicant who was not matched)."""


class ProtectedAddressRefused(AccessError, PermissionDenied):
    """The address of a protected person was asked for without the permission or a reason: audited."""


class PurposeRequired(AccessError):
    """A search or look-up without a purpose this staff member may state: audited as "refused"."""


class SearchCriteriaError(AccessError):
    """A search without a name or reading: nothing was read, so nothing is audited."""


_NOT_FOUND = (
    "not_found",
    "この住民記録は表示できません。担当する申請から開くか、目的を選んで住民検索から開いてください。",
    "This resident record cannot be shown. Open it from a case of your division, or from the resident "
    "search with a purpose.",
)


# ----------------------------------------------------------------------------------------------------------
# Read-only views of a person


@dataclass(frozen=True)
class PersonView:
    """What a staff page may show of one person: the address already withheld where it must be."""

    id: int
    atena_number: str
    name: str
    name_kana: str
    birth_date: dt.date
    sex: str
    relationship: str
    household_number: str  # ADDRESS_WITHHELD at a protected address, until revealed
    postal_code: str
    address: str
    resident_since: dt.date | None  # none for a 住登外者
    is_active: bool
    support_measure: bool
    address_withheld: bool  # the address, postal code and 世帯番号 are withheld
    may_reveal_address: bool  # the staff member holds the permission (the page offers the reveal)
    purpose: str
    via_case: str
    # Why the address is protected: "self" (the person is under 支援措置), "household" (they live in the
    # household or at the dwelling of someone who is), "" (not protected).
    protection: str = ""

    @property
    def pk(self) -> int:
        """So that services keyed by person (the My Number vault) accept the view as the person."""
        return self.id


@dataclass(frozen=True)
class PersonSummary:
    """One search result: name, reading, birth date and the (possibly withheld) address."""

    id: int
    name: str
    name_kana: str
    birth_date: dt.date
    address: str
    is_active: bool
    address_withheld: bool


@dataclass(frozen=True)
class PersonQuery:
    name: str = ""
    name_kana: str = ""
    birth_date: dt.date | None = None
    atena_number: str = ""  # exact 宛名番号 (full-width digits, spaces and hyphens are ignored)


@dataclass(frozen=True)
class SearchResult:
    persons: list[PersonSummary]
    truncated: bool  # more than SEARCH_LIMIT matched: the staff member should narrow the search


def is_staff(user) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_office_staff", False))


def may_view_protected_address(staff) -> bool:
    return is_staff(staff) and staff.has_perm(PROTECTED_ADDRESS_PERMISSION)


def _formatted_postal_code(code: str) -> str:
    return f"〒{code[:3]}-{code[3:]}" if len(code) == 7 else code


def _record(
    *,
    staff,
    action: str,
    object_type: str = "person",
    object_id: str | int,
    person_id: int | None,
    fields: Iterable[str],
    purpose: str,
    channel: str,
    client_ip: str | None,
) -> None:
    audit.record_access(
        actor=staff,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:AUDIT_OBJECT_ID_MAX],  # a reference from a URL may be anything
        person_id=person_id,
        fields=fields,
        purpose=(purpose or "(目的の記入なし)")[:AUDIT_PURPOSE_MAX],
        channel=channel,
        client_ip=client_ip,
    )


def _stated(text: str, limit: int) -> str:
    """A purpose or reason as the audit log keeps it: one line, without invisible or reordering characters."""
    kept = "".join(ch for ch in (text or "") if unsafe_character(ch, multiline=True) is None)
    return " ".join(kept.split())[:limit]


def person_for_staff(
    *,
    staff,
    person_id: int | None,
    purpose: str,
    via_case: ViaCase | None = None,
    client_ip: str | None = None,
    channel: str = "screen",
    reveal_address: bool = False,
    reason: str = "",
) -> PersonView:
    """One person, if `staff` may see them: through a case of their department, or for a search purpose.

    With `via_case` (from `cases.selectors.via_case_for_staff`), `person_id` may be None (the person of that
    case). `reveal_address` asks for the address of a person under 支援措置: allowed only with
    `residents.view_protected_address` and a stated `reason`. Raises PersonAccessRefused (404), ProtectedAddressRefused (403) or PersonNotLinked (404);
    every outcome but PersonNotLinked writes an audit row.
    """
    purpose = _stated(purpose, 60)
    reference = via_case.reference if via_case else None

    def refuse() -> PersonAccessRefused:
        target = person_id
        if target is None and via_case:  # for the auditor: whose record was asked for (never shown)
            target = via_case.person_id
        _record(
            staff=staff,
            action="refused",
            object_id=str(person_id) if person_id is not None else f"case:{reference}",
            person_id=target,
            fields=(),
            purpose=purpose if not via_case else f"{purpose} ({reference})",
            channel=channel,
            client_ip=client_ip,
        )
        return PersonAccessRefused(*_NOT_FOUND)

    if not is_staff(staff) or not purpose:
        raise refuse()
    if via_case:
        if not via_case.open_to_staff or (person_id is not None and via_case.person_id != person_id):
            raise refuse()
        if via_case.person_id is None:
            raise PersonNotLinked(
                "not_linked",
                "この申請の申請者は住民記録と照合されていません。住民検索で本人を確認してください。",
                "The applicant of this case has not been matched with the resident register. Use the "
                "resident search to identify them.",
            )
        person_id = via_case.person_id
    elif purpose not in {p.code for p in purposes_for(staff)}:
        raise refuse()

    person = Person.objects.select_related("household").filter(pk=person_id).first()
    if person is None:
        raise refuse()

    authorised = may_view_protected_address(staff)
    protection = resident_selectors.protected_addresses().reason(person)
    show_address = not protection
    action = "read"
    audit_purpose = purpose if not via_case else f"{purpose} ({reference})"
    if protection and reveal_address:
        stated_reason = _stated(reason, REASON_MAX_LENGTH)
        if not authorised or not stated_reason:
            _record(
                staff=staff,
                action="refused",
                object_id=person.pk,
                person_id=person.pk,
                fields=PROTECTED_FIELDS,
                purpose=f"{audit_purpose}: {stated_reason}" if stated_reason else audit_purpose,
                channel=channel,
                client_ip=client_ip,
            )
            if not authorised:
                raise ProtectedAddressRefused(
                    "protected_address",
                    "支援措置の対象となる住所（対象者と同じ世帯・住所の方を含む）と世帯番号は、特に権限を与えられた"
                    "職員しか表示できません。この操作は監査ログに記録されました。",
                    "A protected address (支援措置; also of the people in the same household or at the same "
                    "address) and its household number can only be shown to specially authorised staff. This "
                    "attempt was recorded in the audit log.",
                )
            raise ProtectedAddressRefused(
                "reason_required",
                "住所を表示する理由を記入してください。記入した理由は監査ログに記録されます。",
                "Please state why you need the address. Your statement is recorded in the audit log.",
            )
        show_address, action = True, "reveal"
        audit_purpose = f"{audit_purpose}: {stated_reason}"

    _record(
        staff=staff,
        action=action,
        object_id=person.pk,
        person_id=person.pk,
        fields=(IDENTITY_FIELDS + ADDRESS_FIELDS)
        if show_address
        else tuple(f for f in IDENTITY_FIELDS if f not in PROTECTED_FIELDS),
        purpose=audit_purpose,
        channel=channel,
        client_ip=client_ip,
    )
    return PersonView(
        id=person.pk,
        atena_number=person.atena_number,
        name=person.name,
        name_kana=person.name_kana,
        birth_date=person.birth_date,
        sex=str(person.get_sex_display()),
        relationship=person.relationship,
        household_number=person.household.number if show_address else str(ADDRESS_WITHHELD),
        postal_code=_formatted_postal_code(person.postal_code) if show_address else "",
        address=person.address if show_address else str(ADDRESS_WITHHELD),
        resident_since=person.resident_since,
        is_active=person.is_active,
        support_measure=person.support_measure,
        address_withheld=not show_address,
        may_reveal_address=bool(protection) and authorised,
        purpose=purpose,
        via_case=reference or "",
        protection=protection,
    )


def _tokens(text: str) -> list[str]:
    return unicodedata.normalize("NFKC", text or "").split()


def search_persons_for_staff(
    *,
    staff,
    query: PersonQuery,
    purpose: str,
    client_ip: str | None = None,
    channel: str = "screen",
    limit: int = SEARCH_LIMIT,
) -> SearchResult:
    """Persons matching a name and/or reading (every word must appear), or a 宛名番号 (exactly), and an
    optional birth date.

    Needs a purpose `staff`'s department may state; without one the search is refused and audited. A
    search is one audit row ("search", object "person_search", object id "results=N") naming the fields
    shown. Addresses of protected persons are withheld in the results for everyone.
    """
    purpose = _stated(purpose, 60)
    if not is_staff(staff) or purpose not in {p.code for p in purposes_for(staff)}:
        _record(
            staff=staff,
            action="refused",
            object_type="person_search",
            object_id="search",
            person_id=None,
            fields=(),
            purpose=purpose,
            channel=channel,
            client_ip=client_ip,
        )
        raise PurposeRequired(
            "purpose_required",
            "住民を検索する目的を、一覧から選んでください。あなたの課で選べる目的だけが表示されます。",
            "Please choose the purpose of the search from the list. Only purposes your division may use are shown.",
        )
    names = _tokens(query.name)
    readings = [kana.to_katakana(token) for token in _tokens(query.name_kana)]
    atena_number = "".join(_tokens(query.atena_number)).replace("-", "")
    if not names and not readings and not atena_number:
        raise SearchCriteriaError(
            "criteria_required",
            "氏名またはフリガナを入力してください（生年月日だけでは検索できません）。",
            "Please enter a name or its reading (a birth date alone is not enough to search).",
        )
    persons = Person.objects.all()
    if atena_number:
        persons = persons.filter(atena_number=atena_number)
    for token in names:
        persons = persons.filter(name__contains=token)
    for token in readings:
        persons = persons.filter(name_kana__contains=token)
    if query.birth_date is not None:
        persons = persons.filter(birth_date=query.birth_date)
    rows = list(
        persons.order_by("name_kana", "birth_date", "id").only(
            "id",
            "name",
            "name_kana",
            "birth_date",
            "is_active",
            "support_measure",
            "household",
            "prefecture",
            "city",
            "town",
            "banchi",
            "building",
        )[: limit + 1]
    )
    truncated = len(rows) > limit
    rows = rows[:limit]
    protected = resident_selectors.protected_addresses()
    results = [
        PersonSummary(
            id=person.pk,
            name=person.name,
            name_kana=person.name_kana,
            birth_date=person.birth_date,
            address=str(ADDRESS_WITHHELD) if protected.covers(person) else person.address,
            is_active=person.is_active,
            address_withheld=protected.covers(person),
        )
        for person in rows
    ]
    shows_address = any(not r.address_withheld for r in results)
    _record(
        staff=staff,
        action="search",
        object_type="person_search",
        object_id=f"results={len(results)}{'+' if truncated else ''}",
        person_id=results[0].id if len(results) == 1 else None,
        fields=SUMMARY_FIELDS + (("address",) if shows_address else ()),
        purpose=purpose,
        channel=channel,
        client_ip=client_ip,
    )
    return SearchResult(persons=results, truncated=truncated)
