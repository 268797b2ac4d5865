"""Office pages: set up a campaign, a wave and sessions, issue invitations from the registry, print the
letters (a PDF with a QR code per page, audited; no letter for a protected address), see the fill."""

from __future__ import annotations

import datetime as dt
import io

import pypdfium2
import pytest
import zxingcpp

from madoguchi.accounts.tests.factories import IdentityLinkFactory, StaffFactory
from madoguchi.core.models import AuditEvent
from madoguchi.notify.models import Notice
from madoguchi.residents.tests.factories import PersonFactory
from madoguchi.vaccination.models import Campaign, Invitation, Slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def test_residents_and_anonymous_visitors_get_no_office_page(client):
    assert client.get("/office/vaccination/").status_code == 302


def test_a_campaign_from_setup_to_letters(staff_client):
    response = staff_client.post(
        "/office/vaccination/",
        {
            "name": "高齢者接種",
            "vaccine": "新型コロナ",
            "doses": "2",
            "min_days": "21",
            "min_age": "65",
            "age_on": "2026-04-01",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    staff_client.post(
        f"/office/vaccination/{campaign.pk}/waves/",
        {"label": "75歳以上", "opens_at": "2026-05-10T09:00", "min_age": "75"},
    )
    staff_client.post(
        f"/office/vaccination/{campaign.pk}/waves/", {"label": "65〜74歳", "opens_at": "2026-05-17T09:00"}
    )
    staff_client.post(
        f"/office/vaccination/{campaign.pk}/sessions/",
        {
            "venue_name": "緑町体育館",
            "day": "2026-05-12",
            "start": "09:00",
            "end": "12:00",
            "minutes": "30",
            "capacity": "40",
        },
    )
    assert Slot.objects.filter(campaign=campaign).count() == 6
    refused = staff_client.post(
        f"/office/vaccination/{campaign.pk}/sessions/",
        {
            "venue_name": "x",
            "day": "2026-12-31",
            "start": "09:00",
            "end": "12:00",
            "minutes": "30",
            "capacity": "40",
        },
        follow=True,
    )
    assert "年末年始" in refused.content.decode()
    linked = PersonFactory(birth_date=dt.date(1945, 1, 2), name="緑川\u3000一郎")
    IdentityLinkFactory(person=linked)
    PersonFactory(birth_date=dt.date(1958, 6, 1))
    protected = PersonFactory(birth_date=dt.date(1950, 1, 1), support_measure=True, banchi="9番1号")
    PersonFactory(birth_date=dt.date(1990, 1, 1))  # too young
    staff_client.post(f"/office/vaccination/{campaign.pk}/invitations/")
    assert Invitation.objects.filter(campaign=campaign).count() == 3
    assert Notice.objects.filter(kind="vaccination_invitation").count() == 1
    letters = staff_client.post(f"/office/vaccination/{campaign.pk}/letters/")
    assert letters["Content-Type"] == "application/pdf"
    pdf = pypdfium2.PdfDocument(io.BytesIO(letters.content))
    assert len(pdf) == 2  # the protected person's letter is withheld
    page_text = pdf[0].get_textpage().get_text_bounded()
    assert "接種券番号" in page_text
    codes = [zxingcpp.read_barcodes(pdf[i].render(scale=2).to_pil())[0].text for i in range(2)]
    assert all(code.endswith(f"/vaccination/{campaign.pk}/") for code in codes)
    assert AuditEvent.objects.filter(action="print", purpose="接種券の送付").count() == 2
    assert Invitation.objects.get(person=protected).letter_printed_at is None
    detail = staff_client.get(f"/office/vaccination/{campaign.pk}/")
    html = detail.content.decode()
    assert "緑町体育館" in html and "75歳以上" in html
