"""One look, one row: a verification page and the crops and page images it embeds write one audit row between
them (the images carry the page's look token); an image fetched without a token, with an expired or altered
one, or by another staff member writes its own row, and who may see an image is unchanged by any token."""

from __future__ import annotations

import html
import re
import time
from unittest import mock

import pytest
from django.core import signing
from django.urls import reverse

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.core import audit
from madoguchi.core.models import AuditEvent
from madoguchi.intake.models import PageStatus

from .support import attach_scans, form_with_readings, scanned_page

IMAGE_SRC = re.compile(r'<img[^>]* src="([^"]+)"')


def images_of(response) -> list[str]:
    """The URLs of the images a page embeds (crops and page images), as the browser would fetch them."""
    return [html.unescape(src) for src in IMAGE_SRC.findall(response.content.decode()) if ".png" in src]


def fetch_all(client, urls) -> None:
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "image/png"


def rows():
    return AuditEvent.objects.filter(object_type__in=["paper_form", "scan_page"])


@pytest.fixture
def scanned_form(published):
    form, _values = form_with_readings(pending={"copies": 7})
    attach_scans(form)
    return form


def test_the_whole_form_page_and_all_its_crops_write_one_row(scanned_form, clerk, client):
    client.force_login(clerk)
    before = rows().count()

    page = client.get(reverse("intake:form", args=[scanned_form.pk]))
    crops = images_of(page)
    fetch_all(client, crops)

    fields = sorted(scanned_form.readings.values_list("field_id", flat=True))
    assert len(crops) == len(fields) > 10  # every field's crop is on the page, each with a look token
    assert all(f"?{audit.LOOK_TOKEN_PARAMETER}=" in url for url in crops)
    assert rows().count() == before + 1
    (row,) = rows().order_by("-id")[:1]
    assert (row.actor_id, row.object_type, row.object_id) == (clerk.pk, "paper_form", str(scanned_form.pk))
    assert sorted(row.fields) == fields  # the page's row lists every field shown

    client.get(reverse("intake:form", args=[scanned_form.pk]))  # looking again is another look
    assert rows().count() == before + 2


def test_the_verification_page_and_its_crop_write_one_row(scanned_form, clerk, client):
    client.force_login(clerk)
    reading = scanned_form.readings.get(field_id="copies")
    before = rows().count()

    (crop,) = images_of(client.get(reverse("intake:verify", args=[reading.pk])))
    fetch_all(client, [crop, crop])  # the browser fetching it twice is still the same look

    assert rows().count() == before + 1
    assert rows().order_by("-id").first().fields == ["copies"]


def test_the_classification_page_and_its_page_image_write_one_row(published, clerk, client):
    unclassified = scanned_page(form_with_readings()[0].batch, status=PageStatus.UNCLASSIFIED)
    client.force_login(clerk)
    before = rows().count()

    (image,) = images_of(client.get(reverse("intake:classify", args=[unclassified.pk])))
    fetch_all(client, [image])

    assert rows().count() == before + 1
    row = rows().order_by("-id").first()
    assert (row.object_type, row.object_id, row.fields) == ("scan_page", str(unclassified.pk), ["image"])


def test_an_image_without_a_token_or_with_an_expired_or_altered_one_writes_its_own_row(
    scanned_form, clerk, client
):
    client.force_login(clerk)
    ten_minutes_ago = signing.b62_encode(int(time.time()) - 600)
    with mock.patch.object(signing.TimestampSigner, "timestamp", lambda self: ten_minutes_ago):
        stale = images_of(client.get(reverse("intake:form", args=[scanned_form.pk])))
    fresh = images_of(client.get(reverse("intake:form", args=[scanned_form.pk])))
    bare = [url.split("?")[0] for url in fresh[:2]]
    altered = [url[:-1] + ("A" if url[-1] != "A" else "B") for url in fresh[2:4]]
    swapped = [fresh[5].split("?")[0] + "?" + fresh[4].split("?")[1]]  # another field's token
    before = rows().count()

    fetch_all(client, stale[:3])  # the page was left open ten minutes: each crop is a look of its own
    assert rows().count() == before + 3
    fetch_all(client, bare + altered + swapped)
    assert rows().count() == before + 3 + 5
    newest = rows().order_by("-id")[:8]
    assert all(row.actor_id == clerk.pk and len(row.fields) == 1 for row in newest)


def test_another_staff_members_token_writes_a_row_and_grants_nothing(scanned_form, clerk, client):
    client.force_login(clerk)
    crops = images_of(client.get(reverse("intake:form", args=[scanned_form.pk])))
    colleague = StaffFactory(department=DepartmentFactory(code="zeimu"), role=Role.REVIEWER)
    before = rows().count()

    client.force_login(colleague)  # the clerk's URLs in another staff member's browser
    fetch_all(client, crops[:2])  # staff may see crops as before: the token neither adds nor removes access

    assert rows().count() == before + 2
    assert set(rows().order_by("-id")[:2].values_list("actor_id", flat=True)) == {colleague.pk}

    client.force_login(ResidentFactory())
    assert client.get(crops[0]).status_code == 404  # residents never reach the intake, token or not
    client.logout()
    assert client.get(crops[0]).status_code == 302  # to the sign-in page
    assert rows().count() == before + 2
