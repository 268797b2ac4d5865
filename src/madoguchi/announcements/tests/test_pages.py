"""The pages: residents' list, detail, home and My Page; the office's list, create and edit with their rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from madoguchi.accounts.tests.factories import (
    DepartmentFactory,
    IdentityLinkFactory,
    ResidentFactory,
    StaffFactory,
)
from madoguchi.announcements.models import Announcement, HouseholdType
from madoguchi.announcements.tests.factories import AnnouncementFactory
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides) -> dict:
    today = timezone.localdate()
    data = {
        "title_ja": "粗大ごみの収集日が変わります",
        "body_ja": "1月から第2水曜日です。",
        "title_en": "Bulky waste collection day changes",
        "body_en": "From January, the second Wednesday.",
        "publish_on": today.isoformat(),
        "expires_on": (today + dt.timedelta(days=30)).isoformat(),
        "town": "",
        "age_band": "",
        "household_type": "",
    }
    data.update(overrides)
    return data


# ---- residents -------------------------------------------------------------------------------------------


def test_public_list_detail_and_home_show_only_public_current_ones(client):
    public = AnnouncementFactory(title_ja="図書館の休館日")
    targeted = AnnouncementFactory(title_ja="緑町の方へ", town="緑町")
    AnnouncementFactory(title_ja="来月から", publish_on=timezone.localdate() + dt.timedelta(days=3))
    page = client.get(reverse("announcements:index")).content.decode()
    assert "図書館の休館日" in page and "緑町の方へ" not in page and "来月から" not in page
    assert "図書館の休館日" in client.get(reverse("portal:home")).content.decode()
    assert client.get(reverse("announcements:detail", args=[public.pk])).status_code == 200
    assert client.get(reverse("announcements:detail", args=[targeted.pk])).status_code == 404
    assert client.get("/announcements/999999/").status_code == 404


def test_english_page_shows_english_text(client):
    AnnouncementFactory(title_ja="図書館の休館日", title_en="Library closed")
    page = client.get("/en/announcements/").content.decode()
    assert "Library closed" in page and "図書館の休館日" not in page
    assert "Announcements from the city" in page


def test_mypage_and_inbox_show_what_matches_the_linked_person(client):
    AnnouncementFactory(title_ja="全員へ")
    mine = AnnouncementFactory(title_ja="単身の方へ", household_type=HouseholdType.SINGLE)
    AnnouncementFactory(title_ja="桜町の方へ", town="桜町")
    link = IdentityLinkFactory(person=PersonFactory(town="緑町"))
    client.force_login(link.user)
    for url in (reverse("portal:mypage"), reverse("portal:inbox")):
        page = client.get(url).content.decode()
        assert "全員へ" in page and "単身の方へ" in page and "桜町の方へ" not in page
    assert client.get(reverse("announcements:detail", args=[mine.pk])).status_code == 200


def test_unlinked_resident_sees_public_only(client):
    AnnouncementFactory(title_ja="全員へ")
    AnnouncementFactory(title_ja="単身の方へ", household_type=HouseholdType.SINGLE)
    client.force_login(ResidentFactory())
    page = client.get(reverse("portal:mypage")).content.decode()
    assert "全員へ" in page and "単身の方へ" not in page


# ---- office ----------------------------------------------------------------------------------------------


def test_staff_creates_an_announcement_for_their_department(client):
    staff = StaffFactory(reviewer=True)
    PersonFactory(town="緑町")
    client.force_login(staff)
    assert client.get(reverse("announcements_office:new")).status_code == 200
    response = client.post(reverse("announcements_office:new"), form_data(town="緑町"))
    assert response.status_code == 302
    saved = Announcement.objects.get()
    assert saved.department == staff.department and saved.town == "緑町" and saved.created_by == staff
    assert "粗大ごみ" in client.get(reverse("announcements_office:list")).content.decode()


def test_expiry_before_publish_date_is_refused_in_both_languages(client):
    client.force_login(StaffFactory())
    today = timezone.localdate()
    bad = form_data(expires_on=(today - dt.timedelta(days=1)).isoformat())
    response = client.post(reverse("announcements_office:new"), bad)
    assert response.status_code == 400
    assert "掲載終了日が掲載開始日より前です" in response.content.decode()
    response = client.post("/en/office/announcements/new/", bad)
    assert "The end date is before the start date" in response.content.decode()
    assert not Announcement.objects.exists()


def test_empty_texts_are_refused_in_both_languages(client):
    client.force_login(StaffFactory())
    blank = form_data(title_ja="  ", body_en="")
    page = client.post(reverse("announcements_office:new"), blank).content.decode()
    assert "題名（日本語）を入力してください。" in page and "本文（英語）を入力してください。" in page
    page = client.post("/en/office/announcements/new/", blank).content.decode()
    assert "Enter the title in Japanese." in page and "Enter the text in English." in page
    assert not Announcement.objects.exists()


def test_unknown_area_is_refused(client):
    client.force_login(StaffFactory())
    response = client.post(reverse("announcements_office:new"), form_data(town="どこにもない町"))
    assert response.status_code == 400
    assert "対象の地区は一覧から選んでください。" in response.content.decode()
    response = client.post("/en/office/announcements/new/", form_data(age_band="99-"))
    assert "Choose the age band from the list." in response.content.decode()
    assert not Announcement.objects.exists()


def test_staff_of_the_owning_department_edit_others_do_not(client):
    owner = DepartmentFactory(code="kankyo")
    announcement = AnnouncementFactory(department=owner, title_ja="旧題")
    client.force_login(StaffFactory(department=owner, department_admin=True))
    response = client.post(
        reverse("announcements_office:edit", args=[announcement.pk]), form_data(title_ja="新題")
    )
    assert response.status_code == 302
    announcement.refresh_from_db()
    assert announcement.title_ja == "新題"

    client.force_login(StaffFactory(department=DepartmentFactory(code="zeimu")))
    url = reverse("announcements_office:edit", args=[announcement.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, form_data(title_ja="乗っ取り")).status_code == 404
    announcement.refresh_from_db()
    assert announcement.title_ja == "新題"
    assert "新題" not in client.get(reverse("announcements_office:list")).content.decode()


def test_auditor_and_residents_cannot_write(client):
    client.force_login(StaffFactory(auditor=True))
    assert client.get(reverse("announcements_office:new")).status_code == 404
    assert client.post(reverse("announcements_office:new"), form_data()).status_code == 404
    client.force_login(ResidentFactory())
    assert client.get(reverse("announcements_office:list")).status_code == 404
    assert not Announcement.objects.exists()


def test_anonymous_office_visit_goes_to_sign_in(client):
    response = client.get(reverse("announcements_office:list"))
    assert response.status_code == 302 and "/office/" in response["Location"]
