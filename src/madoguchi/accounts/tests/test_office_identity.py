"""The counter's linking pages: who may use them, the audited person search, linking and ending links."""

import pytest
from django.urls import reverse

from madoguchi.accounts.models import IdentityLink
from madoguchi.accounts.tests import factories
from madoguchi.core.models import AuditEvent
from madoguchi.residents.models import Person
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, counter_staff):
    client.force_login(counter_staff)
    return client


def _account_url(user):
    return reverse("office:identity_account", args=[user.pk])


def _search(client, user, **params):
    query = {"purpose": "identity_linking", "name": "緑川　花子", "birth_date": "昭和60年4月1日", **params}
    return client.get(_account_url(user), query, REMOTE_ADDR="192.0.2.20")


@pytest.mark.parametrize(
    ("department", "role", "allowed"),
    [
        ("shimin", "reviewer", True),
        ("shimin", "approver", True),
        ("kosodate", "department_admin", True),
        ("kosodate", "reviewer", False),
        ("shimin", "auditor", False),
    ],
)
def test_who_may_open_the_pages(client, resident, department, role, allowed):
    staff = factories.StaffFactory(department=factories.DepartmentFactory(code=department), role=role)
    client.force_login(staff)
    for url in (reverse("office:identity_lookup"), _account_url(resident)):
        response = client.get(url)
        assert response.status_code == (200 if allowed else 403), url
        if not allowed:
            assert "市民課の窓口職員と課管理者だけ" in response.content.decode()


def test_residents_and_visitors_never_see_the_pages(client, resident):
    assert client.get(reverse("office:identity_lookup")).status_code == 302  # to the office sign-in
    client.force_login(resident)
    assert client.get(reverse("office:identity_lookup")).status_code == 404


def test_find_the_account_by_email(staff_client, resident):
    response = staff_client.get(reverse("office:identity_lookup"), {"email": resident.email.upper()})
    assert response.status_code == 302
    assert response.url == _account_url(resident)
    page = staff_client.get(
        reverse("office:identity_lookup"), {"email": "nobody@example.jp"}
    ).content.decode()
    assert "見つかりませんでした" in page
    response = staff_client.get(reverse("office:identity_lookup"), {"email": "not-an-email"})
    assert response.status_code == 400
    assert "形式が正しくありません" in response.content.decode()


def test_staff_accounts_are_not_resident_accounts(staff_client):
    other_staff = factories.StaffFactory(reviewer=True)
    assert staff_client.get(_account_url(other_staff)).status_code == 404


def test_the_search_needs_a_stated_purpose(staff_client, resident, hanako):
    response = _search(staff_client, resident, purpose="")
    assert response.status_code == 400
    page = response.content.decode()
    assert "目的を選んでください" in page
    assert "緑町" not in page
    assert not AuditEvent.objects.filter(object_type="person").exists()


def test_every_person_shown_is_audited_with_fields_and_purpose(staff_client, counter_staff, resident, hanako):
    PersonFactory(name="緑川\u3000花子", birth_date="1990-01-01")  # another birth date: not shown
    page = _search(staff_client, resident).content.decode()
    assert "みどり県みどり市緑町3番12号" in page
    rows = AuditEvent.objects.filter(object_type="person", action="read")
    assert [row.person_id for row in rows] == [hanako.pk]
    row = rows.get()
    assert row.actor_id == counter_staff.pk
    assert row.purpose == "identity_linking"
    assert set(row.fields) >= {"name", "name_kana", "birth_date", "address"}
    assert row.client_ip == "192.0.2.20"


def test_search_by_reading_in_hiragana(staff_client, resident, hanako):
    page = _search(staff_client, resident, name="みどりかわ はなこ", birth_date="1985-04-01").content.decode()
    assert "緑川\u3000花子" in page


def test_a_protected_address_is_never_shown_and_the_refusal_is_audited(staff_client, resident, hanako):
    Person.objects.filter(pk=hanako.pk).update(support_measure=True)
    page = _search(staff_client, resident).content.decode()
    assert "緑町3番12号" not in page
    assert "支援措置の対象のため表示しません" in page
    refused = AuditEvent.objects.get(action="refused", person_id=hanako.pk)
    assert sorted(refused.fields) == ["address", "household", "postal_code"]
    read = AuditEvent.objects.get(action="read", person_id=hanako.pk)
    assert "address" not in read.fields
    assert "household" not in read.fields

    confirm = staff_client.get(
        reverse("office:identity_confirm", args=[resident.pk, hanako.pk])
    ).content.decode()
    assert "緑町3番12号" not in confirm


def test_link_at_the_counter(staff_client, counter_staff, resident, hanako):
    url = reverse("office:identity_confirm", args=[resident.pk, hanako.pk])
    page = staff_client.get(url).content.decode()
    assert "緑川\u3000花子" in page

    response = staff_client.post(url, {"document_type": "drivers_license"})
    assert response.status_code == 400
    assert "チェックを入れてください" in response.content.decode()
    assert not IdentityLink.objects.exists()

    response = staff_client.post(url, {"document_type": "drivers_license", "confirmed": "on"})
    assert response.status_code == 302
    link = IdentityLink.objects.get()
    assert (link.user, link.person, link.verified_by) == (resident, hanako, counter_staff)
    assert (link.method, link.assurance_level, link.evidence) == ("counter", "high", "運転免許証")
    assert AuditEvent.objects.filter(action="link", person_id=hanako.pk, actor_id=counter_staff.pk).exists()

    page = staff_client.get(_account_url(resident)).content.decode()
    assert "紐付け済み" in page and "運転免許証" in page
    assert 'name="purpose"' not in page  # no search while a link is active


def test_a_person_linked_to_another_account_cannot_be_linked(staff_client, resident, hanako):
    factories.IdentityLinkFactory(person=hanako)
    page = _search(staff_client, resident).content.decode()
    assert "別のアカウントと紐付け済み" in page
    response = staff_client.post(
        reverse("office:identity_confirm", args=[resident.pk, hanako.pk]),
        {"document_type": "passport", "confirmed": "on"},
    )
    assert response.status_code == 400
    assert not IdentityLink.objects.filter(user=resident).exists()


def test_end_a_link(staff_client, counter_staff, resident, hanako):
    link = factories.IdentityLinkFactory(user=resident, person=hanako)
    url = reverse("office:identity_revoke", args=[link.pk])
    response = staff_client.post(url, {"reason": ""}, follow=True)
    assert "解除の理由を入力してください" in response.content.decode()
    link.refresh_from_db()
    assert link.is_active

    response = staff_client.post(url, {"reason": "本人の申し出"})
    assert response.url == _account_url(resident)
    link.refresh_from_db()
    assert (link.revoked_by, link.revoked_reason) == (counter_staff, "本人の申し出")
    page = staff_client.get(_account_url(resident)).content.decode()
    assert "本人の申し出" in page
    assert 'name="purpose"' in page


def test_english_pages(staff_client, resident, hanako):
    page = staff_client.get("/en" + _account_url(resident)).content.decode()
    assert "Search the resident register" in page
    assert "住民記録を検索する" not in page
