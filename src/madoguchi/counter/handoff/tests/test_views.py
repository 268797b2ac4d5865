"""The office page: formats with a download form each, the department's exports, a re-export."""

from __future__ import annotations

import pytest

from madoguchi.accounts.tests.factories import PASSWORD, DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.core.models import AuditEvent
from madoguchi.counter.handoff.models import HandoffExport
from madoguchi.residents.models import Person

from .conftest import TENNYU_RAW, members, tenshutsu_raw

pytestmark = pytest.mark.django_db
URL = "/office/handoff/"


@pytest.fixture
def reviewer(client, procedures):
    staff = StaffFactory(reviewer=True)
    client.force_login(staff)
    return staff


def post(client, **fields):
    data = {"format": "juki-ido", "juki-ido-since": "2026-04-08", "juki-ido-until": "2026-04-08"}
    data.update(fields)
    return client.post(f"{URL}export/", data)


def test_the_page_lists_the_formats_with_a_form_each(client, reviewer):
    html = client.get(URL).content.decode()
    assert "<h1>中核システムへの連携ファイル</h1>" in html
    assert "住民異動届（転入・転居・転出）" in html and "申請内容の一覧（手続ごと）" in html
    assert 'name="juki-ido-since"' in html and 'name="case-csv-procedure"' in html
    assert 'name="juki-ido-procedure"' not in html  # the moving notification takes all three
    assert '<option value="tenshutsu">転出届</option>' in html  # 市民課's procedures
    assert '<option value="jido-teate">' not in html  # another department's
    assert 'aria-current="page">連携ファイル</a>' in html  # the menu entry
    assert "まだ書き出していません。" in html


def test_downloading_a_file_records_and_audits_it(client, reviewer, make_case):
    case = make_case("tennyu-reservation", TENNYU_RAW)
    response = post(client, **{"juki-ido-encoding": "cp932"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=shift_jis"
    assert response["Content-Disposition"] == 'attachment; filename="juki-ido_20260408-20260408.csv"'
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    body = response.content.decode("cp932")
    assert body.startswith("受付番号,連番,") and case.reference in body
    export = HandoffExport.objects.get()
    assert (export.exported_by, export.department.code, export.channel, export.encoding) == (
        reviewer,
        "shimin",
        "screen",
        "cp932",
    )
    row = AuditEvent.objects.get(object_type="handoff_export")
    assert (row.actor_id, row.channel, row.client_ip) == (reviewer.pk, "screen", "127.0.0.1")
    assert f"case:{case.reference}" in row.fields
    # The page lists it, with a button to write it again.
    html = client.get(URL).content.decode()
    assert f"#{export.pk}" in html and f'action="/office/handoff/{export.pk}/reexport/"' in html
    assert "2026-04-08〜2026-04-08" in html


def test_utf8_with_a_byte_order_mark(client, reviewer, make_case):
    make_case("tennyu-reservation", TENNYU_RAW)
    response = post(client, **{"juki-ido-encoding": "utf-8-bom"})
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_a_reexport_downloads_the_same_file_again(client, reviewer, make_case):
    make_case("tennyu-reservation", TENNYU_RAW)
    first = post(client)
    original = HandoffExport.objects.get()
    again = client.post(f"{URL}{original.pk}/reexport/")
    assert again.status_code == 200 and again.content == first.content
    assert HandoffExport.objects.latest("id").reexport_of == original
    assert AuditEvent.objects.filter(object_type="handoff_export").count() == 2
    other = StaffFactory(department=DepartmentFactory(code="kosodate"))
    client.force_login(other)
    assert client.post(f"{URL}{original.pk}/reexport/").status_code == 404


def test_mistakes_come_back_on_the_page(client, reviewer, make_case, family):
    response = post(client, **{"juki-ido-since": "2026-04-09"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "「まで」の日付は「から」の日付と同じか、それより後にしてください。" in html
    assert 'href="#id_juki-ido-until"' in html
    response = client.post(
        f"{URL}export/",
        {"format": "case-csv", "case-csv-since": "2026-04-08", "case-csv-until": "2026-04-08"},
    )
    assert response.status_code == 400
    assert "書き出す手続を選んでください。" in response.content.decode()
    assert post(client, format="nothing").status_code == 400
    head = family["head"]
    Person.objects.filter(pk=head.pk).update(name="𠮷川\u3000一郎")
    case = make_case(
        "tenshutsu", tenshutsu_raw([head]), household=members(Person.objects.get(pk=head.pk)), person=head
    )
    response = post(client, **{"juki-ido-encoding": "cp932"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "ファイルを作れませんでした" in html
    assert f"受付番号 {case.reference} の「氏名」: 「𠮷」(U+20BB7)" in html
    assert not HandoffExport.objects.exists()


def test_who_sees_the_page(client, procedures):
    assert client.get(URL).status_code == 302  # to the sign-in
    client.force_login(ResidentFactory())
    assert client.get(URL).status_code == 404
    auditor = StaffFactory(auditor=True)
    client.force_login(auditor)
    response = client.get(URL)
    assert response.status_code == 403
    assert "審査担当・決裁者・課管理者" in response.content.decode()
    assert post(client).status_code == 403
    assert "連携ファイル</a>" not in client.get("/office/").content.decode()  # no menu entry


def test_the_english_page(client, reviewer):
    html = client.get(f"/en{URL}").content.decode()
    assert "Core-system hand-off files" in html
    assert "Moving notifications (moving in, within, out)" in html
    assert ">Hand-off files</a>" in html


def test_sign_in_then_the_page(client, procedures):
    staff = StaffFactory(reviewer=True)
    assert client.login(email=staff.email, password=PASSWORD)
    assert client.get(URL).status_code == 200
