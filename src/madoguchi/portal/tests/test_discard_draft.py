"""A resident can discard a draft: a confirmation page, then a plain POST (no JavaScript needed)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.cases import services as case_services
from madoguchi.cases.models import Case, CaseAttachment, Status
from madoguchi.cases.tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_mypage_offers_to_discard_a_draft_and_asks_first(resident_client, resident, procedure):
    draft = case_services.start_draft(applicant=resident, procedure=procedure)
    url = reverse("portal:discard_draft", args=[draft.reference])
    assert url in resident_client.get(reverse("portal:mypage")).content.decode()
    page = resident_client.get(url).content.decode()
    assert "この下書きを削除しますか" in page
    assert draft.reference in page
    assert Case.objects.filter(pk=draft.pk).exists()  # a GET deletes nothing


def test_discarding_deletes_the_draft_and_its_uploads(
    resident_client, resident, procedure, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    draft = case_services.start_draft(applicant=resident, procedure=procedure)
    stored = tmp_path / "cases" / "draft-upload.png"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"\x89PNG fake")
    CaseAttachment.objects.create(
        case=draft,
        field_id="photo",
        uploaded_by=resident,
        file="cases/draft-upload.png",
        original_name="photo.png",
        content_type="image/png",
        size=9,
        sha256="0" * 64,
    )
    with pytest.MonkeyPatch.context():
        response = resident_client.post(reverse("portal:discard_draft", args=[draft.reference]))
    assert response.status_code == 302 and response.url == reverse("portal:mypage")
    assert not Case.objects.filter(pk=draft.pk).exists()
    assert not CaseAttachment.objects.filter(case_id=draft.pk).exists()
    assert "下書きを削除しました" in resident_client.get(response.url).content.decode()


def test_after_commit_the_files_are_gone(
    resident, procedure, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    draft = case_services.start_draft(applicant=resident, procedure=procedure)
    stored = tmp_path / "cases" / "a.png"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"x")
    CaseAttachment.objects.create(
        case=draft,
        field_id="p",
        file="cases/a.png",
        original_name="a.png",
        content_type="image/png",
        size=1,
        sha256="0" * 64,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert case_services.discard_draft(applicant=resident, reference=draft.reference)
    assert not stored.exists()


def test_a_submitted_case_or_another_residents_draft_is_never_discarded(resident_client, resident, procedure):
    submitted = CaseFactory(procedure=procedure, applicant=resident, status=Status.SUBMITTED)
    response = resident_client.post(reverse("portal:discard_draft", args=[submitted.reference]))
    assert response.status_code == 302 and response.url == reverse("portal:case", args=[submitted.reference])
    assert Case.objects.filter(pk=submitted.pk).exists()

    other = case_services.start_draft(applicant=ResidentFactory(), procedure=procedure)
    response = resident_client.post(reverse("portal:discard_draft", args=[other.reference]))
    assert response.status_code == 404
    assert Case.objects.filter(pk=other.pk).exists()
