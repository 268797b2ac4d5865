"""Importing FAQ CSVs: validation (all or nothing), versions, idempotence, categories → departments, procedures."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from madoguchi.faq import selectors, services
from madoguchi.faq.engine import FaqImportError
from madoguchi.faq.models import FaqEntry, FaqRevision, FaqVersion
from madoguchi.faq.tests.factories import write_csv

pytestmark = pytest.mark.django_db

GOOD_ROWS = [
    "FAQ-001,住民票・証明書,住民票はどこでとれますか。,市民課で請求できます。,住民票の写しの交付請求,住民票|証明書",
    "FAQ-002,税金,市県民税はいつ払いますか。,6月・8月・10月・1月に納めます。,市県民税の納付,住民税",
]


def test_bad_csv_writes_nothing_and_lists_every_problem(departments, tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        [
            "FAQ-001,住民票・証明書,住民票はどこでとれますか。,市民課で請求できます。,,",
            "FAQ-002,住民票・証明書,,回答だけあります。,,",
            "FAQ-001,住民票・証明書,重複した番号です。,回答。,,",
            "FAQ-004,ペット,犬の登録は？,環境課で。,,",
        ],
    )
    with pytest.raises(FaqImportError) as caught:
        services.import_faq_csv(path=path, lang="ja")
    problems = {(p.row, p.column) for p in caught.value.problems}
    assert (3, "question") in problems  # empty question
    assert (4, "id") in problems  # duplicate id
    assert not FaqEntry.objects.exists() and not FaqVersion.objects.exists()


def test_unknown_category_is_a_problem_of_its_row(departments, tmp_path):
    path = write_csv(tmp_path / "pets.csv", [GOOD_ROWS[0], "FAQ-003,ペット,犬の登録は？,環境課で。,,"])
    with pytest.raises(FaqImportError) as caught:
        services.import_faq_csv(path=path, lang="ja")
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, "category")]
    assert "ペット" in caught.value.problems[0].reason
    assert not FaqEntry.objects.exists()


def test_english_rows_need_the_japanese_entry(departments, tmp_path):
    services.import_faq_csv(path=write_csv(tmp_path / "ja.csv", GOOD_ROWS[:1]), lang="ja")
    path = write_csv(
        tmp_path / "en.csv",
        [
            "FAQ-001,Residence certificates,Where do I get a juminhyo?,At the Citizens Division.,,juminhyo",
            "FAQ-099,Taxes,When do I pay?,In June.,,",
        ],
    )
    with pytest.raises(FaqImportError) as caught:
        services.import_faq_csv(path=path, lang="en")
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, "id")]
    assert not FaqVersion.objects.filter(lang="en").exists()


def test_import_maps_categories_to_departments_and_procedure_names_to_slugs(departments, tmp_path):
    report = services.import_faq_csv(path=write_csv(tmp_path / "ja.csv", GOOD_ROWS), lang="ja")
    assert (report.created, report.new_versions, report.unchanged) == (2, 2, 0)
    first, second = FaqEntry.objects.order_by("faq_id")
    assert (first.department.code, first.procedure_slug) == ("shimin", "juminhyo-copy")
    assert (second.department.code, second.procedure_slug) == ("zeimu", "")  # no such procedure file
    version = first.versions.get()
    assert version.keywords == ["住民票", "証明書"]
    assert version.source == "CSV ja.csv"


def test_importing_again_changes_nothing_and_a_changed_text_is_a_new_version(departments, tmp_path):
    path = write_csv(tmp_path / "ja.csv", GOOD_ROWS)
    services.import_faq_csv(path=path, lang="ja")
    token = FaqRevision.objects.get().token
    again = services.import_faq_csv(path=path, lang="ja")
    assert (again.created, again.new_versions, again.unchanged) == (0, 0, 2)
    assert FaqVersion.objects.count() == 2
    assert FaqRevision.objects.get().token == token  # nothing to rebuild

    changed = [GOOD_ROWS[0].replace("市民課で請求できます。", "市民課か支所で請求できます。"), GOOD_ROWS[1]]
    report = services.import_faq_csv(path=write_csv(tmp_path / "ja.csv", changed), lang="ja")
    assert (report.new_versions, report.unchanged) == (1, 1)
    entry = FaqEntry.objects.get(faq_id="FAQ-001")
    assert [v.answer for v in selectors.entry_history(entry)] == [
        "市民課か支所で請求できます。",
        "市民課で請求できます。",
    ]
    assert selectors.current_version(entry, "ja").answer == "市民課か支所で請求できます。"
    assert FaqRevision.objects.get().token != token


def test_easy_japanese_column_becomes_a_ja_easy_version(departments, tmp_path):
    path = write_csv(
        tmp_path / "easy.csv",
        [
            "FAQ-001,住民票・証明書,住民票はどこでとれますか。,市民課で請求できます。,,,しやくしょの 2ばん まどぐちで もらえます。"
        ],
        header="id,category,question,answer,procedure,keywords,easy_answer",
    )
    services.import_faq_csv(path=path, lang="ja")
    entry = FaqEntry.objects.get()
    assert selectors.current_version(entry, "ja-easy").answer == "しやくしょの 2ばん まどぐちで もらえます。"
    (engine_entry,) = selectors.engine_entries()
    assert engine_entry.easy_answer.startswith("しやくしょ")


def test_command_prints_every_problem_and_exits_with_an_error(departments, tmp_path):
    path = write_csv(tmp_path / "bad.csv", ["FAQ-001,住民票・証明書,,回答,,", "FAQ-002,ペット,質問,回答,,"])
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("faq", "import", path, "--lang", "ja", stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("row 2, column question: ")
    assert caught.value.returncode == 1
    assert not FaqEntry.objects.exists()


def test_command_reports_an_engine_problem_with_row_and_column(departments, tmp_path):
    path = write_csv(tmp_path / "nocol.csv", ["FAQ-001,質問,回答"], header="id,question,answer")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("faq", "import", path, "--lang", "ja", stderr=err)
    assert "row 1, column category: " in err.getvalue()


def test_command_imports_a_file(departments, tmp_path):
    out = io.StringIO()
    call_command("faq", "import", write_csv(tmp_path / "ja.csv", GOOD_ROWS), "--lang", "ja", stdout=out)
    assert "2 entries, 2 new" in out.getvalue()


def test_command_refuses_a_missing_file(departments, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("faq", "import", str(tmp_path / "missing.csv"), "--lang", "ja")
