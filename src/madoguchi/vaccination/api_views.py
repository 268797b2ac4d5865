"""The lean booking endpoint: one JSON POST per booking, for the booking page's clients and the benchmark.

`POST /vaccination-api/<campaign>/book` with the admission token in `X-Admission-Token` (from the queue page),
an optional `Idempotency-Key`, and `{"code": "0123456789", "birth_date": "1950-05-01", "slot": 12, "dose": 1}`.
201 with the booking; 200 with the same booking when the request is a retry; 403 without a valid admission,
404 for a wrong 接種券番号 or birth date, 409 for 満席 and the other refusals, 400 for a malformed body.
Every refusal is `{"code": …, "message": {"ja": …, "en": …}}`. No session or CSRF cookie is involved: the
credentials travel in the request itself, so the view is exempt from CSRF.
"""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from madoguchi.core import counters
from madoguchi.core.audit import client_ip_of
from madoguchi.core.errors import MadoguchiError
from madoguchi.vaccination import services, waiting_room


def _refusal(exc: MadoguchiError, status: int) -> JsonResponse:
    return JsonResponse({"code": exc.code, "message": {"ja": exc.ja, "en": exc.en}}, status=status)


def _bad_request() -> JsonResponse:
    return _refusal(
        MadoguchiError(
            "invalid_body",
            "送信内容の形式が正しくありません（code, birth_date, slot が必要です）。",
            "The request body is malformed (code, birth_date and slot are required).",
        ),
        400,
    )


@csrf_exempt
@require_POST
def book(request: HttpRequest, campaign: int) -> JsonResponse:
    try:
        waiting_room.check_admission(request.headers.get("X-Admission-Token", ""), campaign)
    except waiting_room.AdmissionError as exc:
        return _refusal(exc, 403)
    try:
        body = json.loads(request.body)
        code = str(body["code"])[:40]
        birth = dt.date.fromisoformat(str(body["birth_date"])[:10])
        slot_id = int(body["slot"])
        dose = int(body.get("dose", 1))
    except (ValueError, KeyError, TypeError):
        return _bad_request()
    ip = client_ip_of(request) or "-"
    try:
        invitee = services.find_invitation(code=code, birth_date=birth)
    except services.InvitationNotFound:
        if counters.hit(f"vx-lookup:{ip}", 15 * 60).count > settings.VACCINATION_LOOKUP_LIMIT:
            exc = services.VaccinationError(
                "too_many_lookups",
                "入力の誤りが続いたため、しばらく受け付けません。15分ほど待ってからもう一度お試しください。",
                "Too many wrong entries. Please wait about 15 minutes and try again.",
            )
            return _refusal(exc, 429)
        return _refusal(exc, 404)
    if invitee.campaign_id != campaign:
        return _refusal(
            services.VaccinationError(
                "other_campaign",
                "この接種券は別の接種のものです。",
                "This invitation is for another campaign.",
            ),
            409,
        )
    try:
        result = services.book(
            invitee=invitee,
            slot_id=slot_id,
            dose=dose,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
    except services.VaccinationError as exc:
        return _refusal(exc, 409)
    booking = result.booking
    return JsonResponse(
        {
            "reference": booking.reference,
            "slot": booking.slot_id,
            "dose": booking.dose,
            "created": result.created,
            "booked_at": timezone.localtime(booking.created_at).isoformat(),
        },
        status=201 if result.created else 200,
    )
