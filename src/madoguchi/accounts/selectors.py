"""Reads about accounts and their link to the registry: verification status, pre-fill values, counter search.

Staff reads of registry persons are audited here (core.audit.record_access); residents only ever read
the person their own account is linked to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from madoguchi.accounts import matching
from madoguchi.accounts.models import AssuranceLevel, IdentityLink, User, UserKind
from madoguchi.accounts.services import PURPOSE_IDENTITY_LINKING
from madoguchi.core import audit
from madoguchi.residents import selectors as resident_selectors
from madoguchi.residents.models import Person

# A procedure's `identity_level` → the assurance levels of a link that satisfy it (docs/identity.md).
# "none" and "email" need no link; "verified" needs an active link of either level.
ASSURANCE_FOR_IDENTITY_LEVEL: dict[str, frozenset[str]] = {
    "verified": frozenset({AssuranceLevel.HIGH, AssuranceLevel.SUBSTANTIAL}),
}
# Audit purpose of the refusal to pre-fill a protected address (支援措置).
PURPOSE_REGISTRY_PREFILL = "registry_prefill"
# Registry keys never pre-filled while a 支援措置 applies to the person or anyone in their household.
PROTECTED_KEYS = ("person.postal_code", "person.address")
PROTECTED_FIELDS = ("postal_code", "address")
PERSON_SEARCH_LIMIT = 20


def active_link_of(user) -> IdentityLink | None:
    """The account's current link to the registry, or None (anonymous, staff, unverified, revoked)."""
    if not getattr(user, "is_authenticated", False) or not user.is_resident:
        return None
    links = IdentityLink.objects.filter(user=user, revoked_at__isnull=True, person__is_active=True)
    # Most accounts have no link: a narrow query answers them (about a third of the cost of the full one,
    # which every form page and API submission of an unlinked resident would otherwise pay).
    link_id = links.values_list("id", flat=True).first()
    if link_id is None:
        return None
    return links.select_related("person", "person__household").filter(pk=link_id).first()


def meets_identity_level(user, identity_level: str) -> bool:
    """Whether the account may apply for a procedure that asks for `identity_level`."""
    wanted = ASSURANCE_FOR_IDENTITY_LEVEL.get(identity_level)
    if wanted is None:
        return True
    link = active_link_of(user)
    return link is not None and link.assurance_level in wanted


def _household_members(person: Person) -> list[Person]:
    return list(Person.objects.filter(household_id=person.household_id, is_active=True).order_by("pk"))


def registry_values_for(
    user, *, wanted: Iterable[str] | None = None, client_ip: str | None = None
) -> dict[str, Any]:
    """What the registry says about the linked resident, shaped for `procedures.schema.prefill_values`.

    {"person": {name, name_kana, birth_date, postal_code, address}, "household": {"members": [{id, name,
    relationship}]}}; {} when the account is not linked. While a 支援措置 (DV protection) applies to the
    person or to anyone in their household, the postal code and address are left out, their keys listed
    under "withheld", and the refusal is written to the audit log: the resident types the address.
    `wanted` names the registry keys the caller's form pre-fills (a procedure's `prefill` keys); a refusal
    is only recorded when the form asked for the address (None: assume it did).
    """
    link = active_link_of(user)
    if link is None:
        return {}
    person = link.person
    members = _household_members(person)
    values: dict[str, Any] = {
        "person": {
            "name": person.name,
            "name_kana": person.name_kana,
            # A 不詳 birth date is stored as its earliest possible day: not a value to pre-fill.
            "birth_date": None if getattr(person, "birth_date_text", "") else person.birth_date,
            "postal_code": person.postal_code,
            "address": person.address,
        },
        "household": {
            "members": [
                {"id": str(member.pk), "name": member.name, "relationship": member.relationship}
                for member in members
            ]
        },
    }
    # 支援措置 covers the whole household and everyone at the same dwelling (residents.selectors).
    protected = next((p for p in [person, *members] if p.support_measure), None)
    if protected is None and resident_selectors.protected_addresses().covers(person):
        protected = person  # another household at the same dwelling is protected
    if protected is not None:
        for key in PROTECTED_FIELDS:
            values["person"].pop(key)
        values["withheld"] = list(PROTECTED_KEYS)
    if protected is not None and (wanted is None or set(wanted) & set(PROTECTED_KEYS)):
        audit.record_access(
            actor=user,
            action="refused",
            object_type="person",
            object_id=protected.pk,
            person_id=protected.pk,
            fields=PROTECTED_FIELDS,
            purpose=PURPOSE_REGISTRY_PREFILL,
            client_ip=client_ip,
        )
    return values


@dataclass(frozen=True)
class IdentityStatus:
    """What My Page says about verification."""

    verified: bool
    method: str = ""
    assurance_level: str = ""
    linked_at: dt.datetime | None = None


def identity_status(user) -> IdentityStatus:
    link = active_link_of(user)
    if link is None:
        return IdentityStatus(verified=False)
    return IdentityStatus(
        verified=True, method=link.method, assurance_level=link.assurance_level, linked_at=link.created_at
    )


# ---- the counter (staff) -------------------------------------------------------------------------------------


def resident_account_by_email(*, email: str) -> User | None:
    """The resident account with exactly this email address (staff look it up to link it)."""
    email = email.strip().lower()
    if not email:
        return None
    return User.objects.filter(email=email, kind=UserKind.RESIDENT).first()


def resident_account_by_id(*, user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, kind=UserKind.RESIDENT).first()


def link_by_id(*, link_id: int) -> IdentityLink | None:
    return IdentityLink.objects.filter(pk=link_id).first()


def person_to_link(*, person_id: int) -> Person:
    """The person a counter link is about to be made to (already shown to the staff member and audited)."""
    return Person.objects.get(pk=person_id)


@dataclass(frozen=True)
class LinkForCounter:
    """One link of an account as the counter screen lists it (the person by name only)."""

    link: IdentityLink
    person_name: str


def links_of_account(*, staff: User, user: User, client_ip: str | None = None) -> list[LinkForCounter]:
    """Every link of the account, current first; the linked person's name shown is an audited read."""
    links = list(
        IdentityLink.objects.filter(user=user)
        .select_related("person", "verified_by", "revoked_by")
        .order_by("revoked_at", "-created_at")
    )
    for person_id in sorted({link.person_id for link in links}):
        audit.record_access(
            actor=staff,
            action="read",
            object_type="person",
            object_id=person_id,
            person_id=person_id,
            fields=("name",),
            purpose=PURPOSE_IDENTITY_LINKING,
            client_ip=client_ip,
        )
    return [LinkForCounter(link=link, person_name=link.person.name) for link in links]


@dataclass(frozen=True)
class PersonForCounter:
    """A registry person as the counter screen shows it. `address` and `household_number` are "" when a
    支援措置 hides them (the person's own, or their household's or dwelling's)."""

    id: int
    name: str
    name_kana: str
    birth_date: str  # ISO date, or the 不詳 text (令和○年頃) as the register has it
    sex: str
    household_number: str
    address: str
    address_hidden: bool
    linked: bool


PERSON_FIELDS_SHOWN = ("name", "name_kana", "birth_date", "sex", "address", "household")


def persons_for_identity_check(
    *, staff: User, name: str = "", birth_date: dt.date, client_ip: str | None = None
) -> list[PersonForCounter]:
    """Active persons born on `birth_date` whose name or フリガナ equals `name` (spaces and width ignored).

    Each person shown is one audit row (purpose identity_linking). A protected person's address is never
    shown here: that is a separate 'refused' row.
    """
    wanted_name = matching.normalise_name(name)
    wanted_kana = matching.normalise_kana(name)
    found = []
    candidates = Person.objects.filter(is_active=True, birth_date=birth_date).select_related("household")
    for person in candidates.order_by("name_kana", "pk"):
        same_name = wanted_name and wanted_name == matching.normalise_name(person.name)
        same_kana = wanted_kana and wanted_kana == matching.normalise_kana(person.name_kana)
        if same_name or same_kana:
            found.append(person)
        if len(found) >= PERSON_SEARCH_LIMIT:
            break
    linked = set(
        IdentityLink.objects.filter(person__in=found, revoked_at__isnull=True).values_list(
            "person_id", flat=True
        )
    )
    return [_person_for_counter(staff, person, person.pk in linked, client_ip) for person in found]


def person_for_identity_check(
    *, staff: User, person_id: int, client_ip: str | None = None
) -> PersonForCounter | None:
    """One active person, read (and audited) for the confirmation step of linking."""
    person = Person.objects.filter(pk=person_id, is_active=True).select_related("household").first()
    if person is None:
        return None
    linked = IdentityLink.objects.filter(person=person, revoked_at__isnull=True).exists()
    return _person_for_counter(staff, person, linked, client_ip)


def _person_for_counter(staff: User, person: Person, linked: bool, client_ip: str | None) -> PersonForCounter:
    # A protected address (the person's own, or their household's or dwelling's: residents.selectors) hides
    # the address and the 世帯番号 that leads to it.
    protected = resident_selectors.protected_addresses().covers(person)
    shown = [field for field in PERSON_FIELDS_SHOWN if not (protected and field in ("address", "household"))]
    audit.record_access(
        actor=staff,
        action="read",
        object_type="person",
        object_id=person.pk,
        person_id=person.pk,
        fields=shown,
        purpose=PURPOSE_IDENTITY_LINKING,
        client_ip=client_ip,
    )
    if protected:
        audit.record_access(
            actor=staff,
            action="refused",
            object_type="person",
            object_id=person.pk,
            person_id=person.pk,
            fields=(*PROTECTED_FIELDS, "household"),
            purpose=PURPOSE_IDENTITY_LINKING,
            client_ip=client_ip,
        )
    return PersonForCounter(
        id=person.pk,
        name=person.name,
        name_kana=person.name_kana,
        birth_date=getattr(person, "birth_date_text", "") or person.birth_date.isoformat(),
        sex=person.get_sex_display(),
        household_number="" if protected else person.household.number,
        address="" if protected else person.address,
        address_hidden=protected,
        linked=linked,
    )
