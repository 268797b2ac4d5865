"""Staff pages of the registry (住民記録) and the auditor's "unusually many look-ups".

- the applicant's record from a case of one's own department; 環境課 staff get a 404 for a 子育て支援課 case,
  and the refusal is audited,
- the resident search needs a purpose, and withholds protected addresses,
- the 支援措置 address and the My Number appear only after a permitted, reasoned POST (audited either way),
- the audit page flags (staff, day) counts above the threshold or mean + 3σ, with links to the rows.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from madoguchi.accounts.models import Role
from madoguchi.accounts.services import issue_api_token
from madoguchi.accounts.tests.factories import ResidentFactory, StaffFactory
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core import audit
from madoguchi.core.models import AuditEvent
from madoguchi.jp.checkdigit import my_number_check_digit
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
SEARCH = reverse("office:person_search")
AUDIT = reverse("office:audit")
WITHHELD = "支援措置対象のため表示できません"
NUMBER = "12345678901" + str(my_number_check_digit("12345678901"))
vault_installed = pytest.mark.skipif(
    "madoguchi.mynumber" not in django_settings.INSTALLED_APPS,
    reason="madoguchi.mynumber is not in INSTALLED_APPS yet",
)


def _grant(user, codename: str, app_label: str):
    permission = Permission.objects.get(codename=codename, content_type__app_label=app_label)
    user.user_permissions.add(permission)
    return get_user_model().objects.get(pk=user.pk)


def _last() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()


@pytest.fixture
def person():
    return PersonFactory(name="緑川\u3000花子", name_kana="ミドリカワ\u3000ハナコ", postal_code="0000021")


@pytest.fixture
def protected():
    return PersonFactory(
        name="青山\u3000静香",
        name_kana="アオヤマ\u3000シズカ",
        postal_code="0000031",
        town="青葉町",
        support_measure=True,
    )


@pytest.fixture
def case(procedure, person):
    return CaseFactory(procedure=procedure, person=person)


@pytest.fixture
def kankyo_staff(kankyo):
    return StaffFactory(department=kankyo, role=Role.REVIEWER)


def _client_for(client, user):
    client.force_login(user)
    return client


# ----------------------------------------------------------------------------------------------------------
# From a case


def test_case_detail_links_to_the_applicants_record(approver_client, case):
    response = approver_client.get(reverse("office:case_detail", args=[case.reference]))

    assert "申請者の住民記録を見る" in response.content.decode()
    assert reverse("office:case_person", args=[case.reference]) in response.content.decode()


def test_case_without_a_person_has_no_link(approver_client, procedure):
    unmatched = CaseFactory(procedure=procedure, person=None)

    response = approver_client.get(reverse("office:case_detail", args=[unmatched.reference]))

    assert "申請者の住民記録を見る" not in response.content.decode()


def test_staff_of_the_department_open_the_applicants_record(approver_client, approver, case, person):
    response = approver_client.get(reverse("office:case_person", args=[case.reference]))

    body = response.content.decode()
    assert response.status_code == 200
    assert person.name in body and person.address in body and "〒000-0021" in body
    assert "監査ログに記録されました" in body
    assert (_last().action, _last().actor_id, _last().person_id) == ("read", approver.pk, person.pk)
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]


def test_kankyo_staff_cannot_open_the_person_behind_a_kosodate_case(client, kankyo_staff, case, person):
    """The test the issue asks for: 404, and the attempt is in the audit log."""
    response = _client_for(client, kankyo_staff).get(reverse("office:case_person", args=[case.reference]))

    assert response.status_code == 404
    assert person.name not in response.content.decode()
    event = _last()
    assert (event.action, event.actor_id, event.person_id) == ("refused", kankyo_staff.pk, person.pk)
    assert event.client_ip == "127.0.0.1"


def test_kankyo_staff_cannot_open_it_by_person_id_either(client, kankyo_staff, case, person):
    client = _client_for(client, kankyo_staff)

    for purpose in ("case_review", "welfare_support", ""):
        response = client.get(reverse("office:person_detail", args=[person.pk]), {"purpose": purpose})
        assert response.status_code == 404

    assert AuditEvent.objects.filter(action="refused", person_id=person.pk).count() == 3


def test_residents_get_a_404(client, case):
    response = _client_for(client, ResidentFactory()).get(
        reverse("office:case_person", args=[case.reference])
    )

    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, case):
    response = client.get(reverse("office:case_person", args=[case.reference]))

    assert response.status_code == 302 and reverse("office:login") in response["Location"]


# ----------------------------------------------------------------------------------------------------------
# Search


def test_search_page_offers_only_the_departments_purposes(client, kankyo_staff):
    body = _client_for(client, kankyo_staff).get(SEARCH).content.decode()

    assert "窓口での本人確認" in body
    assert "課税調査" not in body and "福祉の支援" not in body


def test_search_without_a_purpose_is_refused(client, kankyo_staff, person):
    response = _client_for(client, kankyo_staff).post(SEARCH, {"name": "緑川"})

    assert response.status_code == 400
    body = response.content.decode()
    assert "検索の目的を選んでください" in body
    assert person.address not in body
    assert not AuditEvent.objects.filter(action="search").exists()


def test_search_with_a_purpose_lists_people_with_links_that_carry_it(client, kankyo_staff, person, protected):
    response = _client_for(client, kankyo_staff).post(
        SEARCH, {"purpose": "identity_check", "name_kana": "ミドリカワ"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert person.name in body and person.address in body
    assert f"{reverse('office:person_detail', args=[person.pk])}?purpose=identity_check" in body
    assert (_last().action, _last().object_id) == ("search", "results=1")


def test_search_results_withhold_a_protected_address(client, kankyo_staff, protected):
    body = (
        _client_for(client, kankyo_staff)
        .post(SEARCH, {"purpose": "identity_check", "name": "青山"})
        .content.decode()
    )

    assert protected.name in body
    assert WITHHELD in body
    assert "青葉町" not in body


def test_search_by_birth_date_alone_is_refused(client, kankyo_staff, person):
    response = _client_for(client, kankyo_staff).post(
        SEARCH, {"purpose": "identity_check", "birth_date": "1985-04-01"}
    )

    assert response.status_code == 400
    assert "氏名またはフリガナを入力してください" in response.content.decode()


def test_search_reads_wareki_birth_dates_and_explains_bad_ones(client, kankyo_staff, person):
    client = _client_for(client, kankyo_staff)

    found = client.post(SEARCH, {"purpose": "identity_check", "name": "緑川", "birth_date": "昭和60年4月1日"})
    bad = client.post(SEARCH, {"purpose": "identity_check", "name": "緑川", "birth_date": "4月32日"})

    assert person.address in found.content.decode()
    assert bad.status_code == 400
    assert "error-summary" in bad.content.decode()


def test_person_page_from_a_search_is_audited_with_the_purpose(client, kankyo_staff, person):
    response = _client_for(client, kankyo_staff).get(
        reverse("office:person_detail", args=[person.pk]), {"purpose": "identity_check"}
    )

    assert response.status_code == 200
    assert "窓口での本人確認" in response.content.decode()
    assert (_last().action, _last().purpose, _last().person_id) == ("read", "identity_check", person.pk)


# ----------------------------------------------------------------------------------------------------------
# 支援措置


def _protected_page(client, user, protected, data=None):
    url = reverse("office:person_detail", args=[protected.pk])
    client = _client_for(client, user)
    if data is None:
        return client.get(url, {"purpose": "identity_check"})
    return client.post(url, {"purpose": "identity_check", **data})


def test_protected_address_is_never_on_the_page_without_permission(client, kankyo_staff, protected):
    body = _protected_page(client, kankyo_staff, protected).content.decode()

    assert WITHHELD in body
    assert "青葉町" not in body and "000-0031" not in body
    assert "住所を表示する理由" not in body  # no reveal form offered
    assert "address" not in _last().fields


def test_posting_a_reveal_without_permission_is_refused_and_audited(client, kankyo_staff, protected):
    response = _protected_page(
        client, kankyo_staff, protected, {"action": "reveal_address", "reason": "念のため"}
    )

    assert response.status_code == 403
    assert "青葉町" not in response.content.decode()
    assert "監査ログに記録されました" in response.content.decode()
    event = _last()
    assert (event.action, event.person_id) == ("refused", protected.pk)
    assert "address" in event.fields


def test_authorised_staff_reveal_with_a_reason(client, kankyo_staff, protected):
    authorised = _grant(kankyo_staff, "view_protected_address", "residents")

    page = _protected_page(client, authorised, protected)
    assert "住所を表示する理由" in page.content.decode()
    assert "青葉町" not in page.content.decode()

    revealed = _protected_page(
        client, authorised, protected, {"action": "reveal_address", "reason": "裁判所の照会"}
    )

    assert revealed.status_code == 200
    assert "青葉町" in revealed.content.decode()
    assert (_last().action, _last().purpose) == ("reveal", "identity_check: 裁判所の照会")


def test_authorised_staff_without_a_reason_are_asked_for_one(client, kankyo_staff, protected):
    authorised = _grant(kankyo_staff, "view_protected_address", "residents")

    response = _protected_page(client, authorised, protected, {"action": "reveal_address", "reason": ""})

    assert response.status_code == 400
    assert "理由を記入してください" in response.content.decode()
    assert "青葉町" not in response.content.decode()
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["refused", "read"]


# ----------------------------------------------------------------------------------------------------------
# 個人番号 on the person page


@pytest.fixture
def stored_number(settings, person, approver):
    from madoguchi.mynumber import services as vault

    settings.MY_NUMBER_ENABLED = True
    vault.store_my_number(person=person, number=NUMBER, actor=approver, purpose="テスト")
    return NUMBER


@vault_installed
def test_my_number_is_masked_on_the_page(approver_client, case, stored_number):
    body = approver_client.get(reverse("office:case_person", args=[case.reference])).content.decode()

    assert "●●●● ●●●● ●●●●" in body
    assert stored_number not in body and stored_number[-4:] not in body
    assert "個人番号を表示する目的" not in body  # no permission: no reveal form


@vault_installed
def test_my_number_reveal_without_permission_is_refused_and_audited(approver_client, case, stored_number):
    response = approver_client.post(
        reverse("office:case_person", args=[case.reference]), {"action": "reveal_my_number", "reason": "確認"}
    )

    assert response.status_code == 403
    assert stored_number not in response.content.decode()
    assert (_last().action, _last().object_type) == ("refused", "personal_number")


@vault_installed
def test_my_number_reveal_with_permission_and_purpose(client, approver, case, stored_number):
    officer = _grant(approver, "reveal_personalnumber", "mynumber")
    client = _client_for(client, officer)
    url = reverse("office:case_person", args=[case.reference])

    assert "個人番号を表示する目的" in client.get(url).content.decode()
    without = client.post(url, {"action": "reveal_my_number", "reason": ""})
    revealed = client.post(url, {"action": "reveal_my_number", "reason": "児童手当の審査"})

    assert without.status_code == 400 and stored_number not in without.content.decode()
    assert revealed.status_code == 200
    assert f"{stored_number[:4]} {stored_number[4:8]} {stored_number[8:]}" in revealed.content.decode()
    event = _last()
    assert (event.action, event.object_type, event.fields) == ("reveal", "personal_number", ["my_number"])
    assert event.purpose == "申請の審査: 児童手当の審査"
    assert "no-store" in revealed["Cache-Control"]


@vault_installed
def test_switch_off_hides_the_my_number_row(settings, approver_client, case, stored_number):
    settings.MY_NUMBER_ENABLED = False

    body = approver_client.get(reverse("office:case_person", args=[case.reference])).content.decode()

    assert "個人番号" not in body


@vault_installed
def test_my_number_is_not_in_the_staff_api(client, approver, case, stored_number):
    case.reference = "KX7P-M2QR"  # the API only accepts real reference letters
    case.save(update_fields=["reference"])
    token = issue_api_token(user=approver, name="test").token

    response = client.get(
        f"/api/v1/office/cases/{case.reference}", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200
    assert stored_number not in response.content.decode()
    assert stored_number[:4] + " " not in response.content.decode()


# ----------------------------------------------------------------------------------------------------------
# Auditor: unusually many look-ups


def _rows(actor, day: dt.date, count: int, hour: int = 10) -> None:
    at = dt.datetime.combine(day, dt.time(hour), tzinfo=TOKYO)
    with mock.patch("django.utils.timezone.now", return_value=at):
        for n in range(count):
            audit.record_access(
                actor=actor,
                action="read",
                object_type="case",
                object_id=f"ABCD-{n:04d}",
                person_id=n + 1,
                purpose="case_review",
            )


@pytest.fixture
def auditor_client(client, auditor):
    return _client_for(client, auditor)


def _flags(response) -> list[tuple[str, str, str]]:
    return [
        (flag["staff"], flag["day"].isoformat(), flag["count"]) for flag in response.context["lookup_flags"]
    ]


def test_a_day_above_the_threshold_is_flagged_with_a_link_to_its_rows(
    settings, auditor_client, approver, reviewer
):
    settings.AUDIT_DAILY_LOOKUP_THRESHOLD = 10
    day = dt.date(2025, 6, 10)
    _rows(approver, day, 11)
    _rows(reviewer, day, 10)

    response = auditor_client.get(AUDIT, {"date_from": "2025-06-01", "date_to": "2025-06-30"})

    assert _flags(response) == [(approver.email, "2025-06-10", 11)]
    body = response.content.decode()
    assert "閲覧件数が通常より多い日" in body
    assert (
        f"staff={approver.email.replace('@', '%40')}&amp;date_from=2025-06-10&amp;date_to=2025-06-10" in body
    )
    assert "10件超" in body


def test_a_day_far_above_the_staff_members_usual_is_flagged(settings, auditor_client, approver, reviewer):
    settings.AUDIT_DAILY_LOOKUP_THRESHOLD = 100
    start = dt.date(2025, 6, 1)
    for offset in range(10):
        _rows(approver, start + dt.timedelta(days=offset), 4 + offset % 2)  # 4 or 5 a day
        _rows(reviewer, start + dt.timedelta(days=offset), 4 + offset % 2)
    _rows(approver, dt.date(2025, 6, 12), 9)  # mean 4.5, σ 0.5 (taken as 1): limit 7.5
    _rows(reviewer, dt.date(2025, 6, 12), 7)

    response = auditor_client.get(AUDIT, {"date_from": "2025-06-01", "date_to": "2025-06-30"})

    assert _flags(response) == [(approver.email, "2025-06-12", 9)]
    flag = response.context["lookup_flags"][0]
    assert flag["over_usual"] and not flag["over_threshold"] and flag["mean"] == 4.5
    assert "3σ超" in response.content.decode()


def test_without_enough_history_only_the_threshold_counts(settings, auditor_client, approver):
    settings.AUDIT_DAILY_LOOKUP_THRESHOLD = 100
    _rows(approver, dt.date(2025, 6, 1), 1)
    _rows(approver, dt.date(2025, 6, 2), 50)

    response = auditor_client.get(AUDIT, {"date_from": "2025-06-01", "date_to": "2025-06-30"})

    assert _flags(response) == []
    assert "件数が通常より多い日はありません" in response.content.decode()


def test_flags_follow_the_staff_filter_and_night_rows_count_on_their_local_day(
    settings, auditor_client, approver, reviewer
):
    settings.AUDIT_DAILY_LOOKUP_THRESHOLD = 3
    _rows(approver, dt.date(2025, 6, 10), 4, hour=23)  # 23:00 JST is still 6/10 locally (14:00 UTC)
    _rows(reviewer, dt.date(2025, 6, 10), 4)

    response = auditor_client.get(
        AUDIT, {"staff": approver.email, "date_from": "2025-06-10", "date_to": "2025-06-10"}
    )

    assert _flags(response) == [(approver.email, "2025-06-10", 4)]


def test_flag_search_uses_one_grouped_query(
    settings, auditor_client, approver, reviewer, django_assert_max_num_queries
):
    settings.AUDIT_DAILY_LOOKUP_THRESHOLD = 1
    for offset in range(5):
        _rows(approver, dt.date(2025, 6, 1) + dt.timedelta(days=offset), 2)
        _rows(reviewer, dt.date(2025, 6, 1) + dt.timedelta(days=offset), 2)

    with django_assert_max_num_queries(12):
        response = auditor_client.get(AUDIT, {"date_from": "2025-06-01", "date_to": "2025-06-30"})

    assert len(_flags(response)) == 10


def test_english_pages_render(client, kankyo_staff, person):
    client = _client_for(client, kankyo_staff)

    search = client.post("/en/office/persons/", {"purpose": "identity_check", "name": "緑川"})
    page = client.get(f"/en/office/persons/{person.pk}/", {"purpose": "identity_check"})

    assert search.status_code == 200 and page.status_code == 200
    assert 'lang="en"' in page.content.decode()
