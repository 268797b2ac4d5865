"""A 個人番号 typed into a procedure's form goes into the vault; the case keeps only STORED_MARKER.

`cases.services` calls `move_my_numbers_to_vault` inside the transaction that writes a submitted case, so
the number and its audit row `store` are written with the case or not at all. Whose number it is: the case's
registry person (`Case.person`), or else the person linked to the applicant's verified account (a procedure
with a my_number field needs `identity_level: verified`; `procedures.spec` refuses it otherwise).

Importing this module loads nothing of the vault: its models and services are imported only when a form
actually holds a number, so a form without a my_number field costs nothing here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from madoguchi.procedures.spec import ProcedureSpec

STORED_MARKER = "stored_in_vault"  # what Case.data keeps in place of the number


def move_my_numbers_to_vault(
    *, spec: ProcedureSpec, cleaned: dict[str, Any], reference: str, actor, case=None, applicant=None
) -> dict[str, Any]:
    """`cleaned` with each 個人番号 replaced by STORED_MARKER, after storing it for the case's person.

    `cleaned` is validated form data (`procedures.schema.validate`). The case is the draft being submitted
    (`case`), or for a case written in one call, its `applicant`. Raises `services.MyNumberError` (Japanese
    and English, never repeating the number) when no registry person can hold the number. Returns `cleaned`
    itself when there is nothing to store.
    """
    fields = [
        f
        for f in spec.fields
        if f.kind.holds_my_number and cleaned.get(f.id) not in (None, "", STORED_MARKER)
    ]
    if not fields:
        return cleaned
    from madoguchi.mynumber import services as vault

    person = _person_of(case=case, applicant=applicant)
    if person is None:
        raise vault.MyNumberError(
            "no_registry_person",
            "この申請は住民記録の本人と結び付いていないため、個人番号を受け付けられません。マイページの「本人確認」で"
            "アカウントを住民記録と紐付けてから申請するか、窓口でお手続きください。",
            "This application is not linked to a person in the resident register, so the My Number cannot be "
            "accepted. Link your account on My Page (identity check) and apply again, or apply at the counter.",
        )
    data = dict(cleaned)
    for f in fields:
        vault.store_my_number(
            person=person, number=str(data[f.id]), actor=actor, purpose=f"{spec.id} {reference}"
        )
        data[f.id] = STORED_MARKER
    return data


def _person_of(*, case, applicant):
    """The registry person of the case, or the person linked to the applicant's verified account, or None."""
    if case is not None and case.person_id is not None:
        return case.person
    if applicant is None and case is not None and case.applicant_id is not None:
        applicant = case.applicant
    if applicant is None:
        return None
    from madoguchi.accounts.selectors import ASSURANCE_FOR_IDENTITY_LEVEL, active_link_of

    link = active_link_of(applicant)
    if link is None or link.assurance_level not in ASSURANCE_FOR_IDENTITY_LEVEL["verified"]:
        return None
    return link.person
