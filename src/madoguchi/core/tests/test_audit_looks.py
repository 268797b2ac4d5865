"""One look, one row across the requests of one page: a look token stands for the row the page wrote, only for
that very look (staff member, object, person, purpose, data items), only for a few minutes, and only when the
page's request really recorded it."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.core import signing
from django.test import RequestFactory

from madoguchi.core import audit
from madoguchi.core.models import AuditEvent

pytestmark = pytest.mark.django_db

LOOK = {
    "action": "view",
    "object_type": "paper_form",
    "object_id": 12,
    "person_id": 34,
    "purpose": "紙申請の読取確認",
}


class Staff:
    def __init__(self, pk: int) -> None:
        self.pk = pk
        self.email = f"staff{pk}@example.jp"


CLERK, COLLEAGUE = Staff(1), Staff(2)


def page_view(fields=("name", "address", "birth_date"), shown=("name",), actor=CLERK) -> str:
    """A page's request: records the look at `fields` and makes the token of an image showing `shown`."""
    with audit.one_look_per_request():
        audit.record_access(actor=actor, fields=fields, **LOOK)
        return audit.look_token(actor=actor, fields=shown, **LOOK)


def image_request(token: str, *, actor=CLERK, fields=("name",), **changes) -> AuditEvent | None:
    with audit.one_look_per_request():
        return audit.record_access(actor=actor, fields=fields, look_token=token, **{**LOOK, **changes})


def test_an_image_with_the_pages_token_writes_no_second_row():
    token = page_view()
    before = AuditEvent.objects.count()

    assert image_request(token) is None
    assert image_request(token, fields=()) is not None  # a token covers the items it names, exactly
    assert AuditEvent.objects.count() == before + 1


@pytest.mark.parametrize(
    "changed",
    [
        {"actor": COLLEAGUE},
        {"object_id": 13},
        {"person_id": 35},
        {"purpose": "別の目的"},
        {"action": "read"},
        {"fields": ("address",)},
        {"fields": ("name", "address")},
    ],
)
def test_a_token_of_another_look_changes_nothing(changed):
    token = page_view()
    before = AuditEvent.objects.count()

    assert image_request(token, **changed) is not None
    assert AuditEvent.objects.count() == before + 1


def test_an_expired_or_altered_token_changes_nothing():
    ten_minutes_ago = signing.b62_encode(int(time.time()) - audit.LOOK_TOKEN_MAX_AGE - 60)
    with mock.patch.object(signing.TimestampSigner, "timestamp", lambda self: ten_minutes_ago):
        expired = page_view()
    token = page_view()
    value, stamp, signature = token.split(":")
    before = AuditEvent.objects.count()

    for bad in (
        expired,
        f"{'0' * len(value)}:{stamp}:{signature}",
        f"{value}:{stamp}:{signature[::-1]}",
        "x",
    ):
        assert image_request(bad) is not None, bad
    assert AuditEvent.objects.count() == before + 4


def test_no_token_for_a_look_this_request_did_not_record():
    assert audit.look_token(actor=CLERK, fields=["name"], **LOOK) == ""  # outside a request
    with audit.one_look_per_request():
        assert audit.look_token(actor=CLERK, fields=["name"], **LOOK) == ""  # nothing recorded yet
        audit.record_access(actor=CLERK, fields=["name"], **LOOK)
        assert audit.look_token(actor=CLERK, fields=["name", "address"], **LOOK) == ""  # not all shown
        assert audit.look_token(actor=COLLEAGUE, fields=["name"], **LOOK) == ""
        assert audit.look_token(actor=CLERK, fields=["name"], **LOOK)


def test_the_token_travels_in_the_images_url():
    token = page_view()
    url = audit.url_with_look_token("/office/intake/readings/5/crop.png", token)

    assert url.startswith("/office/intake/readings/5/crop.png?look=")
    assert audit.look_token_of(RequestFactory().get(url)) == token  # as the image's request reads it back
    assert image_request(audit.look_token_of(RequestFactory().get(url))) is None
    assert audit.url_with_look_token("/x.png", "") == "/x.png"
    assert audit.look_token_of(RequestFactory().get("/x.png")) == ""
