"""Portal test helpers: the answers a resident posts for 住民票の写し, and applications as the portal makes them.

The model factories are the canonical ones of each room (accounts, procedures, cases tests).
"""

from __future__ import annotations

from django.test import TestCase

from madoguchi.cases import services as case_services
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.tests.factories import juminhyo

# Valid answers to every step of procedures/juminhyo-copy.yaml (collection at the counter, so no upload).
JUMINHYO_STEPS = {
    "applicant": {
        "applicant_name": "緑 太郎",
        "applicant_kana": "ミドリ タロウ",
        "applicant_birth_date": "1985-04-01",
        "applicant_postal_code": "1000001",
        "applicant_address": "東京都千代田区千代田1-1",
        "applicant_phone": "0312345678",
    },
    "certificate": {"scope": "self", "copies": "1", "purpose": "license"},
    "delivery": {"delivery_method": "counter", "agree": "on"},
}
JUMINHYO_DATA = {key: value for step in JUMINHYO_STEPS.values() for key, value in step.items()}
PNG_BYTES = (  # a real 1×1 PNG: uploads must decode to be accepted (cases.rendering)
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff\xff\x7f\x00\t\xfb\x03\xfd*\x86\xe3\x8a\x00\x00\x00\x00IEND\xaeB`\x82"
)


def submitted_case(applicant, procedure: Procedure | None = None):
    """A submitted application; its events run as after a real commit (so the notice exists)."""
    procedure = procedure or juminhyo()
    with TestCase.captureOnCommitCallbacks(execute=True):
        return case_services.create_and_submit_case(
            applicant=applicant, procedure=procedure, raw=dict(JUMINHYO_DATA)
        )


def transition(case, *, action: str, actor, note: str = ""):
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_services.transition(case=case, action=action, actor=actor, note=note)
    case.refresh_from_db()
    return case
