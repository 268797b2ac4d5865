"""`madoguchi forms render|layout`: blank forms, forms from a JSON file or a case, the layout JSON, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from io import StringIO

import pypdfium2
import pytest
from django.core.management import CommandError, call_command

from madoguchi.cases.management.commands.forms import Command
from madoguchi.core.models import AuditEvent
from madoguchi.procedures import selectors
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.tests.factories import sync_repository_procedures

from .factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced():
    sync_repository_procedures()
    selectors._layout_cache.clear()


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("forms", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failure(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert caught.value.returncode == 1
    return str(caught.value)


def pages(path) -> int:
    document = pypdfium2.PdfDocument(path)
    try:
        return len(document)
    finally:
        document.close()


def text_of(path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is missing: install Debian's poppler-utils (scripts/bootstrap.sh test)")
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout


def test_a_blank_form(synced, tmp_path):
    target = tmp_path / "blank.pdf"
    out, _ = run("render", "tenkyo", "-o", str(target))
    layout = selectors.form_layout(Procedure.objects.get(slug="tenkyo"))
    assert target.read_bytes().startswith(b"%PDF-") and pages(target) == layout.page_count
    assert f"{layout.page_count} page(s), blank form of tenkyo v1" in out
    assert "転居届" in text_of(target)


def test_a_form_from_a_json_file_of_values(synced, tmp_path):
    data = tmp_path / "values.json"
    data.write_text(
        json.dumps({"applicant_name": "髙橋 一郎", "applicant_phone": "090-1234-5678"}, ensure_ascii=False),
        encoding="utf-8",
    )
    target = tmp_path / "filled.pdf"
    out, _ = run("render", "kokuho-kanyu", "--data", str(data), "-o", str(target))
    assert "kokuho-kanyu v1 with 2 value(s)" in out
    text = text_of(target)
    assert text.count("髙橋 一郎") >= 1  # in its field, and as the 氏名 of the basic items
    assert "09012345678" in "".join(text.split())


def test_unknown_procedure_suggests_the_nearest(synced, tmp_path):
    message = failure("render", "jido-teat", "-o", str(tmp_path / "x.pdf"))
    assert "unknown procedure 'jido-teat'; did you mean 'jido-teate'?" in message


def test_invalid_json_says_where(synced, tmp_path):
    data = tmp_path / "broken.json"
    data.write_text('{"applicant_name": "緑川",\n  "reason": \n}', encoding="utf-8")
    message = failure("render", "kokuho-kanyu", "--data", str(data), "-o", str(tmp_path / "x.pdf"))
    assert f"{data}: line 3, column 1: invalid JSON" in message
    data.write_text("[1, 2]", encoding="utf-8")
    assert "one JSON object of field values" in failure(
        "render", "kokuho-kanyu", "--data", str(data), "-o", str(tmp_path / "x.pdf")
    )


def test_values_failing_validation_are_listed_per_field(synced, tmp_path):
    data = tmp_path / "bad.json"
    data.write_text(
        json.dumps({"reasn": "x", "eligibility_date": "2999-01-01", "estimated_income": "たくさん"}),
        encoding="utf-8",
    )
    target = tmp_path / "x.pdf"
    message = failure("render", "kokuho-kanyu", "--data", str(data), "-o", str(target))
    assert "3 problem(s) in the values for kokuho-kanyu" in message
    assert "reasn: not a field of kokuho-kanyu; did you mean 'reason'?" in message
    assert "eligibility_date (" in message and "未来の日付は入力できません" in message
    assert "estimated_income (" in message and "whole number" in message
    assert not target.exists()


def test_a_case_is_printed_with_its_version_and_the_print_is_audited(synced, tmp_path):
    procedure = Procedure.objects.get(slug="juminhyo-copy")
    case = CaseFactory(procedure=procedure, data={"applicant_name": "緑 花子"}, reference="PRNT-0001")
    target = tmp_path / "case.pdf"
    out, _ = run("render", "juminhyo-copy", "--case", "PRNT-0001", "-o", str(target))
    assert "case PRNT-0001 (juminhyo-copy v1)" in out
    assert "PRNT-0001" in text_of(target)
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.object_id, event.purpose, event.channel) == (
        "print",
        case.reference,
        "form_print",
        "cli",
    )
    assert event.actor_label.startswith("cli:") and "applicant_name" in event.fields


def test_a_case_of_another_procedure_or_no_case(synced, tmp_path):
    CaseFactory(procedure=Procedure.objects.get(slug="juminhyo-copy"), reference="PRNT-0002")
    message = failure("render", "tenkyo", "--case", "PRNT-0002", "-o", str(tmp_path / "x.pdf"))
    assert "is a case of 'juminhyo-copy', not 'tenkyo'" in message
    assert "no submitted case with the number 'NOPE'" in failure(
        "render", "tenkyo", "--case", "NOPE", "-o", str(tmp_path / "x.pdf")
    )


def test_a_missing_glyph_is_refused_unless_allowed(synced, tmp_path):
    data = tmp_path / "gaiji.json"
    data.write_text(json.dumps({"applicant_name": "𠮷田 花子"}, ensure_ascii=False), encoding="utf-8")
    target = tmp_path / "x.pdf"
    message = failure("render", "kokuho-kanyu", "--data", str(data), "-o", str(target))
    assert "𠮷" in message and "--allow-missing-glyphs" in message and not target.exists()
    _, err = run("render", "kokuho-kanyu", "--data", str(data), "-o", str(target), "--allow-missing-glyphs")
    assert target.exists() and "U+20BB7" in err


def test_the_layout_as_json(synced):
    out, _ = run("layout", "jido-teate", "--json")
    data = json.loads(out)
    version = Procedure.objects.get(slug="jido-teate").current_version
    assert data == selectors.form_layout(version).to_json()
    assert data["layout_version"] == 1 and data["procedure"] == "jido-teate"
    summary, _ = run("layout", "jido-teate")
    assert summary.startswith("jido-teate v1:") and "page 1: basics.name" in summary


def test_errors_exit_with_status_1_and_no_traceback(synced, tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        Command().run_from_argv(["madoguchi", "forms", "render", "nope", "-o", str(tmp_path / "x.pdf")])
    assert caught.value.code == 1
    err = capsys.readouterr().err
    assert "CommandError: unknown procedure 'nope'" in err and "Traceback" not in err
