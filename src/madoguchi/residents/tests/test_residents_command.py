"""`madoguchi residents import|export`: what an operator sees."""

from __future__ import annotations

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from madoguchi.core.models import AuditEvent
from madoguchi.residents.models import Person
from madoguchi.residents.registry.layout import HEADERS
from madoguchi.residents.tests.factories import registry_csv, registry_row

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("residents", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def full_file(tmp_path):
    path = tmp_path / "zenken.csv"
    rows = [
        registry_row(),
        registry_row(宛名番号="9100000002", 世帯番号="9100000002", 支援措置="1", 方書="秘匿荘101号室"),
    ]
    path.write_bytes(registry_csv(rows, encoding="cp932"))
    return path


def test_import_reports_what_it_did_and_again_that_nothing_changed(full_file):
    out, _ = run("import", str(full_file), "--kind", "full")
    assert "zenken.csv（全件、2 行）: 新規 2 人" in out
    assert Person.objects.count() == 2
    out, _ = run("import", str(full_file), "--kind", "full", "--lang", "en")
    assert "0 new, 0 updated, 2 unchanged; 0 changes, 0 events" in out


def test_a_bad_file_exits_with_every_problem_and_changes_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        registry_csv([registry_row(性別="9"), registry_row(宛名番号="9100000002", 生年月日="2001-02-29")])
    )
    with pytest.raises(CommandError, match="2 件の問題") as caught:
        run("import", str(path), "--kind", "full")
    assert caught.value.returncode == 1
    assert not Person.objects.exists()
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("residents", "import", str(path), "--kind", "full", "--lang", "en", stderr=err)
    assert "row 2, 性別: 「性別」 must be 1 (male) or 2 (female)." in err.getvalue()
    assert "row 3, 生年月日:" in err.getvalue()


def test_problems_can_go_to_a_report_file(tmp_path):
    path, report = tmp_path / "bad.csv", tmp_path / "problems.csv"
    path.write_bytes(registry_csv([registry_row(続柄="孫")]))
    with pytest.raises(CommandError):
        run("import", str(path), "--kind", "full", "--report", str(report))
    with report.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["行", "列", "コード", "内容", "message"]
    assert rows[1][:3] == ["2", "続柄", "relationship_not_standard"] and "子の子" in rows[1][3]


def test_a_difference_file_is_the_default_kind(tmp_path):
    path = tmp_path / "state.csv"
    path.write_bytes(registry_csv([registry_row(異動事由="", 異動日="", 届出日="")]))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("residents", "import", str(path), stderr=err)
    assert "行 2・異動事由: 差分ファイルの各行には「異動事由」が必要です。" in err.getvalue()
    out, _ = run("import", str(path), "--kind", "full", "--dry-run")
    assert "（試行: 何も変更していません）: 新規 1 人" in out
    assert not Person.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run("import", str(tmp_path / "nope.csv"))


def test_export_writes_the_layout_hides_protected_addresses_and_is_audited(full_file, tmp_path):
    run("import", str(full_file), "--kind", "full")
    target = tmp_path / "out.csv"
    out, _ = run("export", str(target), "--encoding", "cp932", "--purpose", "国保システムへの連携")
    assert "2 行を書き出しました（支援措置の対象となる住所の 1 人は、住所と世帯番号を空欄にしました）" in out
    with target.open(encoding="cp932", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(HEADERS)
    assert rows[0]["番地"] == "3番12号" and rows[0]["異動事由"] == "01"
    assert (rows[1]["町字"], rows[1]["番地"], rows[1]["方書"], rows[1]["郵便番号"]) == ("", "", "", "")
    audit = AuditEvent.objects.get(action="export")
    assert (audit.object_type, audit.object_id, audit.purpose, audit.channel) == (
        "registry",
        "current",
        "国保システムへの連携",
        "cli",
    )
    assert audit.actor_label.startswith("cli:")


def test_export_as_of_a_day_before_anyone_was_known(full_file, tmp_path):
    run("import", str(full_file), "--kind", "full")
    target = tmp_path / "old.csv"
    out, _ = run("export", str(target), "--as-of", "平成元年1月8日")
    assert "1989-01-08 時点 の住民記録 0 行" in out
    assert target.read_text(encoding="utf-8").splitlines() == [",".join(HEADERS)]
