"""Handing a case to a colleague from the case page, and the queue's 担当者 filter."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import ResidentFactory, StaffFactory
from madoguchi.cases.models import CaseHistory, Status
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.models import OutboxEvent

pytestmark = pytest.mark.django_db

QUEUE = reverse("office:queue")


def _detail(case, prefix: str = "") -> str:
    return prefix + reverse("office:case_detail", kwargs={"reference": case.reference})


def _assign(client, case, assignee, prefix: str = ""):
    url = prefix + reverse("office:case_action", kwargs={"reference": case.reference})
    return client.post(url, {"action": "assign", "note": "", "assignee": assignee}, follow=True)


def _options(body: str) -> list[tuple[str, str, bool]]:
    """(value, label, selected) of the assign form's select."""
    select = re.search(r'<select id="action-assign-assignee".*?</select>', body, re.S)
    assert select, "no assignee select on the page"
    return [
        (value, label, bool(selected))
        for value, selected, label in re.findall(
            r'<option value="(\d+)"( selected)?>([^<]*)</option>', select.group(0)
        )
    ]


def _snapshot(case) -> tuple:
    case.refresh_from_db()
    return (
        case.status,
        case.assignee_id,
        case.status_changed_at,
        CaseHistory.objects.filter(case=case).count(),
        OutboxEvent.objects.count(),
    )


@pytest.fixture
def colleague(kosodate):
    return StaffFactory(department=kosodate, role=Role.REVIEWER, display_name="青木 さくら")


@pytest.fixture
def outsider(kankyo):
    return StaffFactory(department=kankyo, role=Role.REVIEWER, display_name="環境 太郎")


def test_the_assign_form_offers_the_departments_staff_with_me_first_and_chosen(
    approver_client, approver, colleague, reviewer, outsider, kosodate, procedure
):
    StaffFactory(department=kosodate, role=Role.REVIEWER, display_name="退職 済", is_active=False)
    StaffFactory(department=kosodate, role=Role.AUDITOR, display_name="監査 係")
    ResidentFactory(display_name="住民 一人")
    case = CaseFactory(procedure=procedure)

    body = approver_client.get(_detail(case)).content.decode()

    assert '<label class="form-label" for="action-assign-assignee">担当者</label>' in body
    assert 'aria-describedby="action-assign-assignee-help"' in body
    assert _options(body) == [
        (str(approver.pk), "決裁 一郎（決裁者・自分）", True),
        (str(reviewer.pk), "審査 花子（審査担当）", False),
        (str(colleague.pk), "青木 さくら（審査担当）", False),
    ]
    assert ">担当者を設定する</button>" in body


def test_the_assign_form_in_english(approver_client, approver, colleague, procedure):
    case = CaseFactory(procedure=procedure)

    body = approver_client.get(_detail(case, prefix="/en")).content.decode()

    assert [label for _, label, _ in _options(body)] == [
        "決裁 一郎 (Approver, you)",
        "青木 さくら (Reviewer)",
    ]
    assert 'for="action-assign-assignee">Assignee</label>' in body


def test_a_reviewer_also_chooses(client, reviewer, colleague, procedure):
    case = CaseFactory(procedure=procedure)
    client.force_login(reviewer)

    options = _options(client.get(_detail(case)).content.decode())

    assert options[0] == (str(reviewer.pk), "審査 花子（審査担当・自分）", True)


def test_posting_a_colleague_assigns_them(approver_client, approver, colleague, procedure):
    case = CaseFactory(procedure=procedure)

    response = _assign(approver_client, case, colleague.pk)

    case.refresh_from_db()
    assert case.status == Status.SUBMITTED  # assigning keeps the status
    assert case.assignee == colleague
    history = CaseHistory.objects.get(case=case)
    assert history.actor == approver
    assert history.note == "担当: 青木 さくら"
    body = response.content.decode()
    assert "「担当者の設定」を行いました。" in body
    assert "担当: 青木 さくら" in body  # the timeline


def test_a_case_in_review_is_handed_on(approver_client, approver, colleague, procedure):
    case = CaseFactory(procedure=procedure, status=Status.IN_REVIEW, assignee=approver)

    body = _assign(approver_client, case, colleague.pk).content.decode()

    case.refresh_from_db()
    assert (case.status, case.assignee) == (Status.IN_REVIEW, colleague)
    assert _options(body)[0][0] == str(approver.pk)  # the form still starts with the signed-in user


@pytest.mark.parametrize("who", ["outsider", "resident", "inactive", "auditor", "unknown", "not a number"])
def test_posting_someone_who_cannot_hold_the_case_shows_the_error_and_changes_nothing(
    approver_client, approver, outsider, kosodate, procedure, who
):
    assignee = {
        "outsider": lambda: outsider.pk,
        "resident": lambda: ResidentFactory().pk,
        "inactive": lambda: StaffFactory(department=kosodate, role=Role.REVIEWER, is_active=False).pk,
        "auditor": lambda: StaffFactory(department=kosodate, role=Role.AUDITOR).pk,
        "unknown": lambda: 999_999,
        "not a number": lambda: "abc",
    }[who]()
    case = CaseFactory(procedure=procedure)
    before = _snapshot(case)

    response = _assign(approver_client, case, assignee)

    assert response.status_code == 400
    assert _snapshot(case) == before
    body = response.content.decode()
    error = re.search(r'<p class="field-error" id="action-assign-assignee-error">([^<]+)</p>', body)
    assert error and "選び直してください" in error.group(1)
    assert 'aria-invalid="true"' in body
    assert 'aria-describedby="action-assign-assignee-help action-assign-assignee-error"' in body
    assert 'class="error-summary" role="alert"' in body
    assert '<a href="#action-assign-assignee">' in body
    assert "<title>エラー: " in body
    assert _options(body)[0] == (str(approver.pk), "決裁 一郎（決裁者・自分）", True)


def test_the_error_is_in_english_under_en(approver_client, outsider, procedure):
    case = CaseFactory(procedure=procedure)

    response = _assign(approver_client, case, outsider.pk, prefix="/en")

    assert response.status_code == 400
    error = re.search(
        r'<p class="field-error" id="action-assign-assignee-error">([^<]+)</p>', response.content.decode()
    )
    assert error and "Choose" in error.group(1) and "担当" not in error.group(1)


def test_a_colleague_deactivated_after_the_form_was_checked_is_refused_by_the_service(
    approver_client, colleague, procedure, monkeypatch
):
    """The form checks the choice; the service checks it again inside its transaction."""
    from madoguchi.office import views

    case = CaseFactory(procedure=procedure)
    choose = views._assignable_staff

    def choose_then_deactivate(staff):
        colleagues = choose(staff)
        type(colleague).objects.filter(pk=colleague.pk).update(is_active=False)
        return colleagues

    monkeypatch.setattr(views, "_assignable_staff", choose_then_deactivate)
    before = _snapshot(case)

    response = _assign(approver_client, case, colleague.pk)

    assert response.status_code == 400
    assert _snapshot(case) == before
    assert "無効になったアカウントは選べません" in response.content.decode()


# ---- the queue's 担当者 filter ------------------------------------------------------------------------------


def _references(response) -> list[str]:
    return re.findall(r'class="office-reference" href="[^"]+">([^<]+)</a>', response.content.decode())


def test_queue_filters_by_assignee(approver_client, approver, colleague, procedure):
    theirs = CaseFactory(procedure=procedure, status=Status.IN_REVIEW, assignee=colleague)
    mine = CaseFactory(procedure=procedure, status=Status.IN_REVIEW, assignee=approver)
    nobodys = CaseFactory(procedure=procedure)

    assert _references(approver_client.get(QUEUE, {"assignee": colleague.pk})) == [theirs.reference]
    assert _references(approver_client.get(QUEUE, {"assignee": approver.pk})) == [mine.reference]
    assert _references(approver_client.get(QUEUE, {"assignee": "none"})) == [nobodys.reference]
    assert len(_references(approver_client.get(QUEUE, {"assignee": "garbage"}))) == 3


def test_queue_assignee_filter_is_labelled_and_kept_in_the_links(approver_client, colleague, procedure):
    CaseFactory(procedure=procedure, status=Status.IN_REVIEW, assignee=colleague)

    body = approver_client.get(QUEUE, {"assignee": colleague.pk}).content.decode()

    assert '<label class="form-label" for="id_assignee">担当者</label>' in body
    assert f'<option value="{colleague.pk}" selected>青木 さくら（審査担当）</option>' in body
    assert '<option value="none">未割当</option>' in body
    assert f"assignee={colleague.pk}&amp;status=in_review" in body  # the status bar keeps the filter


def test_queue_offers_no_one_from_another_department(approver_client, outsider, procedure):
    body = approver_client.get(QUEUE).content.decode()

    assert "環境 太郎" not in body
