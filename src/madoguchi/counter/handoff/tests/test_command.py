"""`madoguchi handoff formats|export|reexport`."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from madoguchi.core.models import AuditEvent
from madoguchi.counter.handoff.models import HandoffExport
from madoguchi.residents.models import Person
from madoguchi.residents.registry.csvfile import read_registry_csv

from .conftest import TENNYU_RAW, members, tenshutsu_raw

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("handoff", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_formats_lists_each_format_its_procedures_and_columns():
    out, _err = run("formats")
    assert "configuration: shipped" in out
    assert "juki-ido  住民異動届（転入・転居・転出）" in out
    assert "procedures: tennyu-reservation, tenkyo, tenshutsu" in out
    assert "columns: 受付番号, 連番, 届出種別, 異動事由コード" in out
    assert "also available: 届出人氏名カナ" in out
    assert "case-csv" in out and "+ one per form field" in out


def test_export_writes_the_file_in_cp932_and_records_it(make_case, tmp_path):
    case = make_case("tennyu-reservation", TENNYU_RAW)
    target = tmp_path / "ido.csv"
    out, err = run(
        "export",
        "juki-ido",
        "--since",
        "2026-04-08",
        "--until",
        "令和8年4月8日",
        "-o",
        str(target),
        "--encoding",
        "cp932",
    )
    export = HandoffExport.objects.get()
    assert f"{target} に 1 件の申請（2 行）を書き出しました。 書き出し #{export.pk}、Shift_JIS (CP932)" in out
    assert err == ""
    reading = read_registry_csv(io.BytesIO(target.read_bytes()))
    assert reading.encoding == "cp932"
    rows = [values for _n, values, _problem in reading.rows()]
    assert [row[:2] for row in rows] == [[case.reference, "1"], [case.reference, "2"]]
    assert (export.channel, export.actor_label.startswith("cli:"), export.encoding) == ("cli", True, "cp932")
    assert AuditEvent.objects.filter(object_type="handoff_export", object_id=str(export.pk)).count() == 1


def test_export_of_one_procedure_with_bom_and_a_purpose(make_case, tmp_path):
    make_case("tennyu-reservation", TENNYU_RAW)
    target = tmp_path / "cases.csv"
    run(
        "export", "case-csv", "--since", "2026-04-01", "--until", "2026-04-30",
        "--procedure", "tennyu-reservation", "-o", str(target), "--no-bom", "--purpose", "住民異動の確認",
    )  # fmt: skip
    assert target.read_bytes().startswith("受付番号".encode())  # the configured BOM left out
    assert AuditEvent.objects.latest("id").purpose == "住民異動の確認"


def test_an_unwritable_character_fails_with_the_case_named_and_no_file(make_case, family, tmp_path):
    head = family["head"]
    Person.objects.filter(pk=head.pk).update(name="𠮷川\u3000一郎")
    case = make_case(
        "tenshutsu", tenshutsu_raw([head]), household=members(Person.objects.get(pk=head.pk)), person=head
    )
    target = tmp_path / "ido.csv"
    with pytest.raises(CommandError) as caught:
        run("export", "juki-ido", "--since", "2026-04-08", "-o", str(target), "--encoding", "cp932")
    assert caught.value.returncode == 1
    assert f"受付番号 {case.reference} の「氏名」: 「𠮷」(U+20BB7)" in str(caught.value)
    assert f"case {case.reference}, column 氏名: '𠮷' (U+20BB7)" in str(caught.value)
    assert not target.exists() and not HandoffExport.objects.exists()


def test_notices_go_to_stderr(make_case, tmp_path):
    make_case("tennyu-reservation", {**TENNYU_RAW, "people_names": "青山　一郎"})
    _out, err = run("export", "juki-ido", "--since", "2026-04-08", "-o", str(tmp_path / "x.csv"))
    assert "「青山　一郎」の生年月日を読み取れませんでした。" in err
    assert "人数 2 人と氏名の行数 1 行が違います。" in err


def test_reexport(make_case, tmp_path):
    make_case("tennyu-reservation", TENNYU_RAW)
    first = tmp_path / "first.csv"
    run("export", "juki-ido", "--since", "2026-04-08", "-o", str(first))
    original = HandoffExport.objects.get()
    again = tmp_path / "again.csv"
    out, _err = run("reexport", str(original.pk), "-o", str(again))
    assert again.read_bytes() == first.read_bytes()
    assert "（うち 1 件は書き出し済み）" in out
    assert HandoffExport.objects.latest("id").reexport_of == original


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "juki_ido", "--since", "2026-04-08"], "Did you mean 'juki-ido'?"),
        (
            ["export", "juki-ido", "--since", "2026-04-08", "--department", "nowhere"],
            "no department 'nowhere'",
        ),
        (["export", "case-csv", "--since", "2026-04-08"], "は手続を1つ選んで書き出します"),
        (["reexport", "42"], "書き出しの記録 #42 はありません。"),
    ],
)
def test_mistakes(procedures, tmp_path, args, message):
    with pytest.raises(CommandError) as caught:
        run(*args, "-o", str(tmp_path / "x.csv"))
    assert message in str(caught.value)


def test_a_date_that_cannot_be_read(tmp_path):
    with pytest.raises(CommandError) as caught:
        run("export", "juki-ido", "--since", "2026-02-30", "-o", str(tmp_path / "x.csv"))
    assert "--since" in str(caught.value)
