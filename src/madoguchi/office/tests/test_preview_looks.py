"""One look, one row: the case page and the attachment previews it embeds write one audit row between them (each
preview's URL, and the link that opens it in full, carries the page's look token for that page); a preview fetched
without a token, with an expired or altered one, or with another staff member's writes its own row; another
department's staff get a 404 and a refusal, token or not."""

from __future__ import annotations

import html
import re
import time
from unittest import mock

import pytest
from django.core import signing
from django.urls import reverse

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import ResidentFactory, StaffFactory
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core import audit
from madoguchi.core.models import AuditEvent

from .test_case_detail import _detail
from .test_preview import _attach, _pdf, _png, _preview

pytestmark = pytest.mark.django_db

PREVIEW = re.compile(r'<a href="([^"]+)"><img class="office-preview__image" src="([^"]+)"')


def previews_of(response) -> list[str]:
    """The preview images' URLs on a case page, as the browser fetches them (each also the link around it)."""
    assert response.status_code == 200
    pairs = [(html.unescape(a), html.unescape(img)) for a, img in PREVIEW.findall(response.content.decode())]
    assert all(a == img for a, img in pairs)  # opening an image in full is the same look at the same page
    return [img for _a, img in pairs]


def fetch_all(client, urls) -> None:
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("image/")


def bare(url: str) -> str:
    return url.split("?")[0]


def rows(case):
    return AuditEvent.objects.filter(object_type="case", object_id=case.reference)


@pytest.fixture
def case(procedure):
    case = CaseFactory(procedure=procedure)
    _attach(case, "gensen.pdf", _pdf(3), "application/pdf")
    _attach(case, "photo.png", _png(), "image/png")
    _attach(case, "pending.pdf", _pdf(1), "application/pdf", render=False)  # no preview yet
    return case


def test_the_case_page_and_all_its_previews_write_one_row(case, approver, approver_client):
    before = rows(case).count()

    previews = previews_of(approver_client.get(_detail(case.reference)))
    fetch_all(approver_client, previews)
    fetch_all(approver_client, previews[:1])  # the full-size link: the same look at the same page

    gensen, photo, _pending = case.attachments.order_by("created_at", "id")
    items = [*(f"attachment:{gensen.pk}:{n}" for n in (1, 2, 3)), f"attachment:{photo.pk}:1"]
    assert [bare(url) for url in previews] == [
        *(_preview(case, gensen, n) for n in (1, 2, 3)),
        _preview(case, photo, 1),
    ]
    assert all(f"?{audit.LOOK_TOKEN_PARAMETER}=" in url for url in previews)
    assert len(set(previews)) == 4  # a token per page: each names its own item
    assert rows(case).count() == before + 1
    row = rows(case).order_by("-id").first()
    assert (row.actor_id, row.action, row.purpose, row.person_id) == (
        approver.pk,
        "read",
        "case_review",
        case.person_id,
    )
    assert sorted(row.fields) == sorted([*case.data, *items])  # the page's row lists every page shown

    approver_client.get(_detail(case.reference))  # looking again is another look
    assert rows(case).count() == before + 2


def test_a_preview_without_a_token_or_with_an_altered_one_writes_its_own_row(case, approver_client):
    previews = previews_of(approver_client.get(_detail(case.reference)))
    before = rows(case).count()

    fetch_all(approver_client, [bare(previews[0])])
    fetch_all(approver_client, [previews[1][:-1] + ("A" if previews[1][-1] != "A" else "B")])
    fetch_all(approver_client, [bare(previews[2]) + "?" + previews[3].split("?")[1]])  # another page's token

    assert rows(case).count() == before + 3
    gensen = case.attachments.get(original_name="gensen.pdf")
    newest = list(rows(case).order_by("id"))[-3:]
    assert [row.fields for row in newest] == [[f"attachment:{gensen.pk}:{n}"] for n in (1, 2, 3)]
    assert {row.purpose for row in newest} == {"case_review"}


def test_a_preview_with_an_expired_token_writes_its_own_row(case, approver_client):
    ten_minutes_ago = signing.b62_encode(int(time.time()) - audit.LOOK_TOKEN_MAX_AGE - 300)
    with mock.patch.object(signing.TimestampSigner, "timestamp", lambda self: ten_minutes_ago):
        stale = previews_of(approver_client.get(_detail(case.reference)))
    before = rows(case).count()

    fetch_all(approver_client, stale)  # the page was left open ten minutes: each preview is a look of its own

    assert rows(case).count() == before + 4
    assert all(len(row.fields) == 1 for row in rows(case).order_by("-id")[:4])


def test_another_staff_members_token_writes_a_row_and_grants_nothing(case, reviewer, approver_client, client):
    previews = previews_of(approver_client.get(_detail(case.reference)))
    before = rows(case).count()

    client.force_login(reviewer)  # a colleague of the same department, with the approver's URLs
    fetch_all(client, previews[:2])

    assert rows(case).count() == before + 2
    assert set(rows(case).order_by("-id")[:2].values_list("actor_id", flat=True)) == {reviewer.pk}


def test_another_departments_staff_get_404_and_a_refusal_token_or_not(case, approver_client, client, kankyo):
    previews = previews_of(approver_client.get(_detail(case.reference)))
    outsider = StaffFactory(department=kankyo, role=Role.DEPARTMENT_ADMIN)
    before = AuditEvent.objects.count()

    client.force_login(outsider)
    for url in (previews[0], bare(previews[0])):
        response = client.get(url)
        assert response.status_code == 404
        assert not response["Content-Type"].startswith("image/")

    refusals = AuditEvent.objects.order_by("id")[before:]
    assert [(row.actor_id, row.action, row.object_id, row.fields) for row in refusals] == [
        (outsider.pk, "refused", case.reference, []),
        (outsider.pk, "refused", case.reference, []),
    ]
    client.force_login(ResidentFactory())
    assert client.get(previews[0]).status_code == 404  # residents never reach the office, token or not
    assert AuditEvent.objects.count() == before + 2


def test_the_page_shown_again_after_a_refused_choice_gives_no_tokens(case, approver_client, kankyo):
    """The case page re-rendered by an action (a refused assignee) recorded the look of that action, not the
    case page's: its previews carry no token and each is a look of its own."""
    outsider = StaffFactory(department=kankyo, role=Role.REVIEWER)
    url = reverse("office:case_action", kwargs={"reference": case.reference})

    response = approver_client.post(url, {"action": "assign", "note": "", "assignee": outsider.pk})

    assert response.status_code == 400
    previews = [img for _a, img in PREVIEW.findall(response.content.decode())]
    assert len(previews) == 4 and all("?" not in url for url in previews)
