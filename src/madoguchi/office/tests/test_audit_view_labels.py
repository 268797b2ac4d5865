"""The auditor's view: codes in words (ja/en), one row per look, landing on the audit page, CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from madoguchi.core import audit
from madoguchi.core.middleware import AuditLookMiddleware
from madoguchi.core.models import AuditEvent
from madoguchi.office import labels

pytestmark = pytest.mark.django_db

AUDIT = reverse("office:audit")


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client


@pytest.mark.parametrize(
    ("code", "ja", "en"),
    [
        ("identity_check", "窓口での本人確認", "Identity check at the counter"),
        ("form_print", "申請書の印刷", "Printing an application form"),
        ("case_review (T000-0001)", "申請の審査 (T000-0001)", "Case review (T000-0001)"),
        (
            "counter_lookup: expired",
            "書かない窓口の読み取りコードの照会: expired",
            "Look-up of a counter code: expired",
        ),
        ("tax_investigation", "課税調査", "Tax assessment inquiry"),
        ("attachment_preview", "添付ファイルの表示", "Attachment preview"),  # rows of before one per look
        ("市民からの申出による確認", "市民からの申出による確認", "市民からの申出による確認"),
    ],
)
def test_purposes_are_named_in_the_page_language(code, ja, en):
    with translation.override("ja"):
        assert labels.audit_purpose_label(code) == ja
    with translation.override("en"):
        assert labels.audit_purpose_label(code) == en


@pytest.mark.parametrize(
    ("code", "ja", "en"),
    [
        ("attachment:12:3", "添付ファイル12の3ページ目", "Attachment 12, page 3"),
        ("applicant_name", "applicant_name", "applicant_name"),  # a form field's key stays as it is
        ("attachment:12", "attachment:12", "attachment:12"),
    ],
)
def test_data_items_are_named_in_the_page_language(code, ja, en):
    with translation.override("ja"):
        assert labels.audit_field_label(code) == ja
    with translation.override("en"):
        assert labels.audit_field_label(code) == en


def test_the_audit_page_names_the_attachment_pages_a_case_page_showed(auditor_client, approver):
    audit.record_access(
        actor=approver,
        action="read",
        object_type="case",
        object_id="T000-0001",
        person_id=5,
        fields=["applicant_name", "attachment:7:1", "attachment:7:2"],
        purpose="case_review",
    )
    page = auditor_client.get(AUDIT).content.decode()
    assert "applicant_name, 添付ファイル7の1ページ目, 添付ファイル7の2ページ目" in page
    assert "attachment:7:1" not in page
    english = auditor_client.get("/en" + AUDIT).content.decode()
    assert "Attachment 7, page 1, Attachment 7, page 2" in english


def test_every_code_the_code_base_writes_has_a_label():
    for code in (
        "read",
        "search",
        "refused",
        "export",
        "print",
        "reveal",
        "store",
        "link",
        "match",
        "publish",
        "view",
    ):
        assert labels.audit_action_label(code) != code
    for code in ("screen", "cli", "api"):
        assert labels.audit_channel_label(code) != code
    for code in (
        "case",
        "person",
        "counter_visit",
        "counter_bundle",
        "audit_log",
        "user",
        "handoff_export",
        "paper_form",
        "scan_page",
    ):
        assert labels.audit_object_label(code) != code
    with translation.override("en"):
        assert labels.audit_channel_label("screen") == "Staff screen"
        assert labels.audit_action_label("print") == "Print"


def test_the_same_look_twice_in_one_page_view_writes_one_row(approver):
    def page(request):
        for _ in range(3):  # e.g. the header, the forms and the printed basics each read the person
            audit.record_access(
                actor=approver,
                action="read",
                object_type="person",
                object_id=7,
                person_id=7,
                fields=["name", "address"],
                purpose="identity_check",
            )
        audit.record_access(  # showing a data item more: written again, with the items it showed
            actor=approver,
            action="read",
            object_type="person",
            object_id=7,
            person_id=7,
            fields=["name", "address", "birth_date"],
            purpose="identity_check",
        )
        audit.record_access(  # another person: its own row
            actor=approver,
            action="read",
            object_type="person",
            object_id=8,
            person_id=8,
            fields=["name"],
            purpose="identity_check",
        )
        from django.http import HttpResponse

        return HttpResponse("ok")

    AuditLookMiddleware(page)(RequestFactory().get("/office/counter/visit/1/"))
    rows = list(AuditEvent.objects.order_by("seq").values_list("person_id", "fields"))
    assert rows == [(7, ["address", "name"]), (7, ["address", "birth_date", "name"]), (8, ["name"])]
    # a second page view is a second look
    AuditLookMiddleware(page)(RequestFactory().get("/office/counter/visit/1/"))
    assert AuditEvent.objects.count() == 6


def test_the_office_case_page_writes_one_row(approver_client, procedure):
    from madoguchi.cases.tests.factories import CaseFactory

    case = CaseFactory(procedure=procedure)
    approver_client.get(reverse("office:case_detail", kwargs={"reference": case.reference}))
    assert AuditEvent.objects.filter(object_id=case.reference).count() == 1


def test_the_auditor_lands_on_the_audit_page(auditor_client):
    response = auditor_client.get(reverse("office:queue"))
    assert response.status_code == 302 and response.url == AUDIT


def test_the_audit_page_shows_words_not_codes(auditor_client, approver):
    audit.record_access(
        actor=approver,
        action="print",
        object_type="case",
        object_id="T000-0001",
        person_id=5,
        fields=["name"],
        purpose="form_print",
        channel="cli",
    )
    page = auditor_client.get(AUDIT).content.decode()
    assert "申請書の印刷" in page and "印刷" in page and "コマンド（運用者）" in page
    assert ">form_print<" not in page and ">cli<" not in page


def test_csv_export_of_a_search_is_itself_audited(auditor_client, auditor, approver, reviewer):
    audit.record_access(
        actor=approver,
        action="read",
        object_type="case",
        object_id="T000-0001",
        person_id=5,
        fields=["name"],
        purpose="case_review",
    )
    audit.record_access(
        actor=reviewer,
        action="read",
        object_type="case",
        object_id="T000-0002",
        person_id=6,
        fields=["name"],
        purpose="identity_check",
    )
    response = auditor_client.get(AUDIT, {"person_id": "5", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["番号", "日時", "職員"]
    assert len(rows) == 2 and rows[1][2] == approver.email and rows[1][9] == "申請の審査"
    exported = AuditEvent.objects.get(action="export", object_type="audit_log")
    assert exported.actor_id == auditor.pk and exported.person_id == 5 and exported.object_id == "csv:1"


def test_csv_export_in_english(auditor_client, approver):
    audit.record_access(
        actor=approver,
        action="read",
        object_type="case",
        object_id="T000-0001",
        person_id=5,
        fields=["name"],
        purpose="identity_check",
    )
    response = auditor_client.get("/en" + AUDIT, {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "No."
    assert "Identity check at the counter" in rows[1]
