"""API test helpers: staff with a bearer token, and cases submitted through the service the API uses.

The model factories are the canonical ones of each room (accounts, procedures, cases tests).
"""

from __future__ import annotations

from madoguchi.accounts.models import User
from madoguchi.accounts.services import issue_api_token
from madoguchi.accounts.tests.factories import StaffFactory
from madoguchi.cases import services as case_services
from madoguchi.cases.models import Case
from madoguchi.procedures import selectors as procedure_selectors


class ApiTokenOwner:
    """A staff member together with the bearer token to send (the token is shown only once)."""

    def __init__(self, user: User, token: str) -> None:
        self.user = user
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def staff_with_token(**kwargs) -> ApiTokenOwner:
    user = StaffFactory(**kwargs)
    return ApiTokenOwner(user, issue_api_token(user=user, name="test").token)


# Valid answers to procedures/juminhyo-copy.yaml (collection at the counter, so no upload needed).
JUMINHYO_DATA = {
    "applicant_name": "緑 太郎",
    "applicant_kana": "ミドリ タロウ",
    "applicant_birth_date": "1985-04-01",
    "applicant_postal_code": "1000001",
    "applicant_address": "東京都千代田区千代田1-1",
    "applicant_phone": "0312345678",
    "scope": "self",
    "copies": 1,
    "purpose": "license",
    "delivery_method": "counter",
    "agree": True,
}


def submitted_case(*, applicant: User, slug: str = "juminhyo-copy", data: dict | None = None) -> Case:
    """A case submitted online by `applicant` through the same service the API uses."""
    procedure = procedure_selectors.get_procedure(slug)
    assert procedure is not None, f"procedure {slug} is not synced"
    return case_services.create_and_submit_case(
        applicant=applicant, procedure=procedure, raw=dict(data or JUMINHYO_DATA)
    )
