import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from madoguchi.accounts.tests.factories import ResidentFactory, StaffFactory
from madoguchi.cases import services as case_services
from madoguchi.cases.models import Status
from madoguchi.notify.models import Notice
from madoguchi.portal.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(procedure):
    return StaffFactory(department=procedure.department)


def _request_information(case, staff, note="本人確認書類の写しを送ってください。"):
    return factories.transition(case, action="request_information", actor=staff, note=note)


def test_mypage_lists_only_the_residents_own_cases(resident_client, resident, procedure):
    mine = factories.submitted_case(resident)
    draft = case_services.start_draft(applicant=resident, procedure=procedure)
    theirs = factories.submitted_case(ResidentFactory())
    page = resident_client.get(reverse("portal:mypage")).content.decode()
    assert mine.reference in page
    assert draft.reference in page
    assert theirs.reference not in page
    assert 'class="badge badge--submitted"' in page
    assert "受付" in page
    assert 'class="badge badge--draft"' in page


@pytest.mark.parametrize(
    ("name", "method", "args"),
    [
        ("portal:case", "get", []),
        ("portal:case_reply", "post", []),
        ("portal:case_withdraw", "get", []),
        ("portal:case_withdraw", "post", []),
        ("portal:resume", "get", []),
        ("portal:apply_step", "get", ["applicant"]),
        ("portal:apply_step", "post", ["applicant"]),
        ("portal:review", "get", []),
        ("portal:review", "post", []),
        ("portal:receipt", "get", []),
    ],
)
@pytest.mark.parametrize("status", ["draft", "submitted"])
def test_another_residents_reference_is_404_everywhere(
    resident_client, procedure, name, method, args, status
):
    other = ResidentFactory()
    if status == "draft":
        case = case_services.start_draft(applicant=other, procedure=procedure)
    else:
        case = factories.submitted_case(other)
    url = reverse(name, args=[case.reference, *args])
    response = getattr(resident_client, method)(url)
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == status


def test_case_page_shows_status_timeline_and_staff_messages(resident_client, resident, staff):
    case = _request_information(factories.submitted_case(resident), staff)
    page = resident_client.get(reverse("portal:case", args=[case.reference])).content.decode()
    assert "badge--waiting-for-applicant" in page
    assert "追加情報の依頼中" in page
    assert "申請を受け付けました" in page  # timeline
    assert "担当課から追加の情報・書類の依頼がありました" in page
    assert "本人確認書類の写しを送ってください。" in page
    assert "担当課への返信" in page
    assert "緑 太郎" in page  # what was submitted


def test_reply_with_a_document_resumes_the_review(resident_client, resident, staff):
    case = _request_information(factories.submitted_case(resident), staff)
    url = reverse("portal:case_reply", args=[case.reference])

    empty = resident_client.post(url, {"body": ""})
    assert "入力してください。" in empty.content.decode()
    assert 'role="alert"' in empty.content.decode()

    bad_file = SimpleUploadedFile("note.txt", b"plain text", content_type="text/plain")
    response = resident_client.post(url, {"body": "送ります。", "document": bad_file})
    assert "この種類のファイルは受け付けられません" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.WAITING_FOR_APPLICANT
    assert not case.attachments.exists()

    png = SimpleUploadedFile("license.png", factories.PNG_BYTES, content_type="image/png")
    response = resident_client.post(url, {"body": "運転免許証の写しを送ります。", "document": png})
    assert response.url == reverse("portal:case", args=[case.reference])
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    assert case.attachments.get().original_name == "license.png"
    page = resident_client.get(response.url).content.decode()
    assert "運転免許証の写しを送ります。" in page
    assert "返信を送りました" in page
    assert "担当課への返信" not in page


def test_reply_is_refused_when_nothing_was_asked(resident_client, resident):
    case = factories.submitted_case(resident)
    response = resident_client.post(
        reverse("portal:case_reply", args=[case.reference]), {"body": "こんにちは"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_withdraw_asks_for_confirmation_first(resident_client, resident):
    case = factories.submitted_case(resident)
    url = reverse("portal:case_withdraw", args=[case.reference])
    page = resident_client.get(url).content.decode()
    assert "この申請を取り下げますか" in page
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED

    response = resident_client.post(url, {"reason": "不要になりました"})
    assert response.url == reverse("portal:case", args=[case.reference])
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN
    page = resident_client.get(response.url).content.decode()
    assert "申請を取り下げました" in page
    assert "この申請を取り下げる" not in page
    # Withdrawing twice is refused with a message, not an error page.
    response = resident_client.post(url, {})
    assert response.status_code == 302


def test_inbox_lists_notices_and_marks_them_read(resident_client, resident):
    case = factories.submitted_case(resident)
    other = factories.submitted_case(ResidentFactory())
    notice = Notice.objects.get(recipient=resident, case=case)
    page = resident_client.get(reverse("portal:inbox")).content.decode()
    assert "申請を受け付けました" in page
    assert "未読" in page
    assert other.reference not in page

    response = resident_client.post(reverse("portal:notice_read", args=[notice.pk]))
    assert response.url == reverse("portal:inbox")
    notice.refresh_from_db()
    assert notice.read_at is not None

    # Someone else's notice cannot be marked read.
    theirs = Notice.objects.get(case=other)
    resident_client.post(reverse("portal:notice_read", args=[theirs.pk]))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_unread_count_is_in_the_navigation(resident_client, resident):
    factories.submitted_case(resident)
    page = resident_client.get(reverse("portal:mypage")).content.decode()
    assert "未読 1 件" in page
