"""続柄: the relationship to the head of household, checked against the standard's terms and chains."""

from __future__ import annotations

from .codes import relationship_terms
from .problems import Issue

_BRACKETS = str.maketrans({"(": "（", ")": "）"})


def normalise_relationship(text: str) -> str:
    """The stored form of a 続柄: half-width brackets become full-width (夫(未届) → 夫（未届）).

    Raises Issue when the text is not a standard term or a chain of them (子の妻, 妻の父, 子の子).
    """
    value = "".join(text.split()).translate(_BRACKETS)
    if not value:
        raise Issue("required")
    terms = relationship_terms()
    if value in terms.standalone:
        return value
    if value in terms.not_standard:
        raise Issue("relationship_not_standard", value=value, standard=terms.not_standard[value])
    parts = value.split("の")
    for part in parts:
        if part in terms.standalone:
            raise Issue("relationship_standalone_in_chain", value=value, term=part)
        if part not in terms.chainable:
            hint = terms.not_standard.get(part)
            if hint:
                raise Issue("relationship_not_standard", value=part, standard=hint)
            raise Issue("relationship_unknown", value=value)
    if len(parts) > terms.max_chain_terms:
        raise Issue("relationship_too_long", value=value, limit=terms.max_chain_terms)
    return value
