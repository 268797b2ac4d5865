"""Case detail: rendered from the schema, audited, department-scoped; attachments served as downloads."""

from __future__ import annotations

import io
import re

import pypdfium2
import pypdfium2.raw as pdfium_raw
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import StaffFactory
from madoguchi.cases import services
from madoguchi.cases.models import RenderStatus, Status
from madoguchi.cases.tests import sample_files
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.models import AuditEvent
from madoguchi.procedures.tests.factories import ProcedureFactory


@pytest.fixture(autouse=True)
def _decision_in_one_step(settings):
    """These tests approve cases in review directly (MADOGUCHI_DECISION_BY_ANOTHER_STAFF off); review, then
    decision by another staff member (the default) is tested in office/tests/test_decision.py."""
    settings.DECISION_BY_ANOTHER_STAFF = False


pytestmark = pytest.mark.django_db

PDF_BYTES = sample_files.active_pdf()  # JavaScript, an embedded file and a link: staff must get none of them


def _detail(reference: str) -> str:
    return reverse("office:case_detail", kwargs={"reference": reference})


def test_detail_renders_the_data_from_the_schema(approver_client, procedure):
    case = CaseFactory(procedure=procedure, applicant_name="緑 花子")

    response = approver_client.get(_detail(case.reference))

    body = response.content.decode()
    assert response.status_code == 200
    assert "申請者" in body  # the step title
    assert "<dt>氏名</dt><dd>緑 花子</dd>" in body
    assert "<dt>申請の理由</dt><dd>出生</dd>" in body  # option label, not the stored value
    assert "<dt>連絡事項</dt><dd>よろしくお願いします。</dd>" in body


def test_detail_in_english_uses_the_english_labels(approver_client, procedure):
    case = CaseFactory(procedure=procedure)

    body = approver_client.get("/en" + _detail(case.reference)).content.decode()

    assert "<dt>Reason</dt><dd>Birth</dd>" in body
    assert "Application details" in body


def test_detail_writes_exactly_one_audit_row(approver_client, approver, procedure):
    case = CaseFactory(procedure=procedure)

    approver_client.get(_detail(case.reference), REMOTE_ADDR="192.0.2.44")

    event = AuditEvent.objects.get()
    assert event.actor_id == approver.pk
    assert event.actor_label == approver.email
    assert event.action == "read"
    assert event.object_type == "case"
    assert event.object_id == case.reference
    assert event.fields == sorted(case.data)
    assert event.purpose == "case_review"
    assert event.channel == "screen"
    assert event.client_ip == "192.0.2.44"


def test_staff_of_another_department_gets_404_and_the_refusal_is_audited(client, procedure, kankyo):
    case = CaseFactory(procedure=procedure)
    kankyo_staff = StaffFactory(department=kankyo, role=Role.DEPARTMENT_ADMIN)
    client.force_login(kankyo_staff)

    response = client.get(_detail(case.reference))

    assert response.status_code == 404
    assert "緑 花子" not in response.content.decode()
    event = AuditEvent.objects.get()
    assert (event.actor_id, event.action, event.object_id) == (kankyo_staff.pk, "refused", case.reference)
    assert event.person_id == case.person_id
    assert list(event.fields) == []  # nothing was read


def test_an_unknown_reference_leaves_no_audit_row(approver_client, procedure):
    assert approver_client.get(_detail("ABCD-EFGH")).status_code == 404
    assert AuditEvent.objects.count() == 0


def test_drafts_are_not_visible_to_staff(approver_client, procedure):
    draft = CaseFactory(procedure=procedure, status=Status.DRAFT)

    assert approver_client.get(_detail(draft.reference)).status_code == 404


def test_unknown_reference_is_404(approver_client, procedure):
    assert approver_client.get(_detail("NOPE-NOPE")).status_code == 404


def test_detail_shows_timeline_messages_and_notes(approver_client, approver, procedure):
    case = CaseFactory(procedure=procedure)
    services.transition(case=case, action="assign", actor=approver)
    services.transition(
        case=case, action="request_information", actor=approver, note="源泉徴収票を添付してください。"
    )
    services.add_internal_note(case=case, author=approver, body="電話で確認済み。")

    body = approver_client.get(_detail(case.reference)).content.decode()

    assert "担当者の設定" in body
    assert "追加情報の依頼" in body
    assert "源泉徴収票を添付してください。" in body
    assert "電話で確認済み。" in body
    assert "職員のみ" in body  # the assignment is not shown to the applicant


def test_action_buttons_follow_the_state_machine(client, procedure, approver, reviewer):
    submitted = CaseFactory(procedure=procedure, status=Status.SUBMITTED)
    completed = CaseFactory(procedure=procedure, status=Status.COMPLETED)

    client.force_login(approver)
    approver_body = client.get(_detail(submitted.reference)).content.decode()
    completed_body = client.get(_detail(completed.reference)).content.decode()
    client.force_login(reviewer)
    reviewer_body = client.get(_detail(submitted.reference)).content.decode()

    def offered(body: str) -> set[str]:
        return set(re.findall(r'name="action" value="([a-z_]+)"', body))

    assert offered(approver_body) == {
        "assign",
        "start_review",
        "request_information",
        "submit_for_decision",
        "approve",
        "reject",
    }
    assert offered(reviewer_body) == {"assign", "start_review", "request_information", "submit_for_decision"}
    assert offered(completed_body) == set()
    assert "あなたが行える操作はありません" in completed_body


def test_attachment_is_downloaded_as_an_attachment(approver_client, procedure, resident_case_with_file):
    case, attachment = resident_case_with_file

    response = approver_client.get(
        reverse("office:attachment", kwargs={"reference": case.reference, "attachment_id": attachment.pk})
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "gensen.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert AuditEvent.objects.filter(purpose="attachment_download", object_id=case.reference).count() == 1
    # Not the upload as sent: the re-rendered copy, made after the upload and stored.
    assert body != PDF_BYTES
    assert sample_files.ACTIVE_SCRIPT not in body and sample_files.ACTIVE_URI not in body
    attachment.refresh_from_db()
    assert attachment.render_status == RenderStatus.READY
    with attachment.safe_file.open("rb") as handle:
        assert handle.read() == body
    document = pypdfium2.PdfDocument(body)
    assert document.count_attachments() == 0
    assert [obj.type for obj in document[0].get_objects()] == [pdfium_raw.FPDF_PAGEOBJ_IMAGE]


def test_an_image_is_downloaded_without_its_exif(approver_client, procedure):
    case = CaseFactory(procedure=procedure)
    attachment = services.attach_file(
        case=case,
        uploaded=SimpleUploadedFile("IMG_0001.JPG", sample_files.photo_with_gps(), content_type="image/jpeg"),
        by=case.applicant,
    )
    services.render_attachment(attachment=attachment)

    response = approver_client.get(
        reverse("office:attachment", kwargs={"reference": case.reference, "attachment_id": attachment.pk})
    )

    assert response["Content-Type"] == "image/jpeg"
    assert 'filename="IMG_0001.jpg"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert len(Image.open(io.BytesIO(body)).getexif()) == 0
    assert b"ExamplePhone" not in body


def test_an_attachment_that_cannot_be_rendered_shows_a_message_and_no_download(approver_client, procedure):
    case = CaseFactory(procedure=procedure)
    attachment = services.attach_file(
        case=case,
        uploaded=SimpleUploadedFile("cut.jpg", sample_files.truncated_jpeg(), content_type="image/jpeg"),
        by=case.applicant,
    )
    url = reverse("office:attachment", kwargs={"reference": case.reference, "attachment_id": attachment.pk})
    services.render_attachment(attachment=attachment)  # after the upload, in the background: it fails

    response = approver_client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{_detail(case.reference)}#attachment-{attachment.pk}"
    attachment.refresh_from_db()
    assert attachment.render_status == RenderStatus.FAILED
    page = approver_client.get(response["Location"]).content.decode()
    assert "この添付ファイルは安全な形式に変換できなかったため表示できません。" in page
    assert "追加情報を依頼する" in page
    assert "理由：ファイルが壊れているか、読み取れない形式です。" in page
    assert "cut.jpg" in page
    assert url not in page  # no download link
    again = approver_client.get(url)
    assert again.status_code == 302
    assert not getattr(again, "streaming", False)


def test_the_failure_message_is_in_english_for_the_english_ui(approver_client, procedure):
    case = CaseFactory(procedure=procedure)
    attachment = services.attach_file(
        case=case,
        uploaded=SimpleUploadedFile("cut.jpg", sample_files.truncated_jpeg(), content_type="image/jpeg"),
        by=case.applicant,
    )
    services.render_attachment(attachment=attachment)

    page = approver_client.get("/en" + _detail(case.reference)).content.decode()

    assert "could not be converted to a safe format" in page
    assert "Reason: The file is damaged or cannot be read." in page


def test_attachment_of_another_case_is_not_reachable_through_an_own_case(
    approver_client, procedure, kankyo, resident_case_with_file
):
    _, attachment = resident_case_with_file
    other_case = CaseFactory(procedure=procedure)

    response = approver_client.get(
        reverse(
            "office:attachment", kwargs={"reference": other_case.reference, "attachment_id": attachment.pk}
        )
    )

    assert response.status_code == 404


def test_attachment_of_another_department_is_404(client, kankyo, resident_case_with_file):
    case, attachment = resident_case_with_file
    client.force_login(StaffFactory(department=kankyo))

    response = client.get(
        reverse("office:attachment", kwargs={"reference": case.reference, "attachment_id": attachment.pk})
    )

    assert response.status_code == 404


def test_detail_lists_the_attachment(approver_client, resident_case_with_file):
    case, attachment = resident_case_with_file

    body = approver_client.get(_detail(case.reference)).content.decode()

    assert "gensen.pdf" in body
    assert f"/attachments/{attachment.pk}/" in body


@pytest.fixture
def resident_case_with_file(procedure):
    case = CaseFactory(procedure=procedure)
    attachment = services.attach_file(
        case=case,
        uploaded=SimpleUploadedFile("gensen.pdf", PDF_BYTES, content_type="application/pdf"),
        by=case.applicant,
    )
    return case, services.render_attachment(attachment=attachment)  # what the background does after commit


def test_cases_of_another_procedure_in_the_same_department_are_visible(approver_client, kosodate):
    other = ProcedureFactory(slug="hoiku", department=kosodate, name_ja="保育所の入所申込み")
    case = CaseFactory(procedure=other)

    assert approver_client.get(_detail(case.reference)).status_code == 200


def test_a_download_never_renders_a_pending_attachment_it_says_it_is_being_checked(
    approver_client, procedure, monkeypatch
):
    case = CaseFactory(procedure=procedure)
    attachment = services.attach_file(  # no commit in this test: the rendering has not happened yet
        case=case,
        uploaded=SimpleUploadedFile("gensen.pdf", PDF_BYTES, content_type="application/pdf"),
        by=case.applicant,
    )
    url = reverse("office:attachment", kwargs={"reference": case.reference, "attachment_id": attachment.pk})

    def no_rendering(*args, **kwargs):
        raise AssertionError("a web request rendered an upload")

    monkeypatch.setattr("madoguchi.cases.sandbox.render_isolated", no_rendering)
    monkeypatch.setattr("madoguchi.cases.rendering.render_safe_copy", no_rendering)
    response = approver_client.get(url, follow=True)
    page = response.content.decode()

    assert response.redirect_chain == [(f"{_detail(case.reference)}#attachment-{attachment.pk}", 302)]
    assert "この添付ファイルは確認中です（安全なコピーを作成中）。" in page
    assert "確認中（安全なコピーを作成中）" in page
    assert url not in page  # no download link until the copy exists
    attachment.refresh_from_db()
    assert attachment.render_status == RenderStatus.PENDING and not attachment.safe_file


def test_a_safe_copy_missing_from_storage_is_reported_not_rendered_again(
    approver_client, resident_case_with_file
):
    case, attachment = resident_case_with_file
    attachment.safe_file.storage.delete(attachment.safe_file.name)
    url = reverse("office:attachment", kwargs={"reference": case.reference, "attachment_id": attachment.pk})

    response = approver_client.get(url, follow=True)

    assert response.status_code == 200
    assert "安全なコピーが保管場所に見つかりません" in response.content.decode()
    assert not attachment.safe_file.storage.exists(attachment.safe_file.name)


def test_a_file_refused_as_too_complex_says_so_to_staff_and_to_the_resident(
    client, approver_client, procedure
):
    case = CaseFactory(procedure=procedure)
    attachment = services.attach_file(
        case=case,
        uploaded=SimpleUploadedFile(
            "scan.pdf", sample_files.rectangles_pdf(pages=20, rectangles=300), content_type="application/pdf"
        ),
        by=case.applicant,
    )

    assert services.render_attachment(attachment=attachment).render_failure == "too_complex"
    staff_page = approver_client.get(_detail(case.reference)).content.decode()
    assert "この添付ファイルは安全な形式に変換できなかったため表示できません。" in staff_page
    assert "描画の処理が多すぎるため、安全に変換できません。" in staff_page
    client.force_login(case.applicant)
    resident_page = client.get(reverse("portal:case", args=[case.reference])).content.decode()
    assert "このファイルは、担当課で安全に確認できる形に変換できませんでした。" in resident_page
    assert "描画の処理が多すぎる" in resident_page and "撮影した画像" in resident_page
    english = client.get("/en" + reverse("portal:case", args=[case.reference])).content.decode()
    assert "could not be converted into a form the department can check safely" in english
    assert "(Reason: It asks for too much drawing to be converted safely.)" in english
