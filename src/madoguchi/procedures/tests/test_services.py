"""Publishing procedure files: versions, idempotence, immutability, all-or-nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from madoguchi.accounts.tests.factories import DepartmentFactory
from madoguchi.procedures.models import Procedure, ProcedureVersion
from madoguchi.procedures.selectors import catalog, get_procedure, spec_of
from madoguchi.procedures.services import ProcedureSyncError, sync_procedures
from madoguchi.procedures.spec import DEPARTMENTS, canonical_sha256, load_procedure_file

from .conftest import REPO_PROCEDURES, procedure_yaml

pytestmark = pytest.mark.django_db


@pytest.fixture
def departments():
    return [DepartmentFactory(code=code) for code in DEPARTMENTS]


@pytest.fixture
def folder(tmp_path, departments) -> Path:
    """A copy of the shipped procedure files."""
    target = tmp_path / "procedures"
    shutil.copytree(REPO_PROCEDURES, target)
    return target


def snapshot() -> list[tuple]:
    return list(
        ProcedureVersion.objects.order_by("pk").values_list(
            "pk", "procedure__slug", "number", "sha256", "spec", "published_at"
        )
    )


def test_first_sync_creates_one_version_per_file(folder):
    report = sync_procedures(directory=folder)
    slugs = sorted(p.stem for p in folder.glob("*.yaml"))
    assert sorted(report.created) == slugs
    assert report.changed == report.unchanged == report.deactivated == []
    assert Procedure.objects.count() == len(slugs) == ProcedureVersion.objects.count()
    procedure = Procedure.objects.get(slug="juminhyo-copy")
    version = procedure.current_version
    spec = load_procedure_file(folder / "juminhyo-copy.yaml")
    assert version.number == 1
    assert version.sha256 == canonical_sha256(spec)
    assert version.spec == spec.to_json()
    assert version.source_path == "procedures/juminhyo-copy.yaml"
    assert (procedure.name_ja, procedure.name_en) == (spec.name.ja, spec.name.en)
    assert procedure.department.code == "shimin"
    assert procedure.life_events == ["certificates", "moving"]
    assert procedure.online is True and procedure.is_active is True


def test_sync_is_idempotent(folder):
    sync_procedures(directory=folder)
    before = snapshot()
    report = sync_procedures(directory=folder)
    assert report.created == report.changed == []
    assert len(report.unchanged) == len(before)
    assert snapshot() == before


def test_comment_only_change_is_not_a_new_version(folder):
    sync_procedures(directory=folder)
    path = folder / "tenkyo.yaml"
    path.write_text("# reviewed by 市民課\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert sync_procedures(directory=folder).changed == []


def test_changed_file_becomes_a_new_version_and_the_old_one_is_untouched(folder):
    sync_procedures(directory=folder)
    old = ProcedureVersion.objects.get(procedure__slug="juminhyo-copy", number=1)
    old_row = (old.sha256, old.spec, old.published_at, old.source_path)
    path = folder / "juminhyo-copy.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("ja: 住民票の写しの交付請求", "ja: 住民票の写しの請求"), encoding="utf-8")

    report = sync_procedures(directory=folder)

    assert report.changed == ["juminhyo-copy"]
    procedure = Procedure.objects.get(slug="juminhyo-copy")
    assert procedure.current_version.number == 2
    assert procedure.name_ja == "住民票の写しの請求"
    old.refresh_from_db()
    assert (old.sha256, old.spec, old.published_at, old.source_path) == old_row
    assert spec_of(old).name.ja == "住民票の写しの交付請求"
    assert spec_of(procedure.current_version).name.ja == "住民票の写しの請求"

    # Going back to the first content points at version 1 again instead of copying it.
    path.write_text(text, encoding="utf-8")
    report = sync_procedures(directory=folder)
    procedure.refresh_from_db()
    assert report.changed == ["juminhyo-copy"]
    assert procedure.current_version_id == old.pk
    assert procedure.versions.count() == 2


def test_malformed_file_writes_nothing_and_names_file_and_line(folder):
    sync_procedures(directory=folder)
    before = snapshot()
    procedures_before = list(Procedure.objects.order_by("pk").values())
    (folder / "juminhyo-copy.yaml").write_text(
        (folder / "juminhyo-copy.yaml")
        .read_text(encoding="utf-8")
        .replace("ja: 住民票の写しの交付請求", "ja: 新しい名前"),
        encoding="utf-8",
    )
    bad = folder / "broken.yaml"
    bad.write_text(procedure_yaml(slug="broken").replace("type: text", "type: txt"), encoding="utf-8")

    with pytest.raises(ProcedureSyncError) as info:
        sync_procedures(directory=folder)

    [problem] = info.value.problems
    assert problem.path == str(bad)
    assert problem.line == bad.read_text(encoding="utf-8").splitlines().index("          type: txt") + 1
    assert "unknown value 'txt'" in problem.reason
    assert snapshot() == before
    assert list(Procedure.objects.order_by("pk").values()) == procedures_before


def test_failure_while_writing_rolls_everything_back(folder, monkeypatch):
    from madoguchi.procedures import services

    sync_procedures(directory=folder)
    before = snapshot()
    for slug in ("juminhyo-copy", "tenkyo"):
        path = folder / f"{slug}.yaml"
        path.write_text(
            path.read_text(encoding="utf-8").replace("sla_business_days: ", "sla_business_days: 1"),
            encoding="utf-8",
        )
    real = services._create_version
    calls = []

    def fail_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_create_version", fail_on_second)
    with pytest.raises(RuntimeError):
        sync_procedures(directory=folder)
    assert len(calls) == 2
    assert snapshot() == before
    assert Procedure.objects.get(slug="juminhyo-copy").current_version.number == 1


def test_missing_department_is_reported_before_anything_is_written(tmp_path):
    folder = tmp_path / "procedures"
    folder.mkdir()
    (folder / "test-procedure.yaml").write_text(procedure_yaml(), encoding="utf-8")
    with pytest.raises(ProcedureSyncError) as info:
        sync_procedures(directory=folder)
    [problem] = info.value.problems
    assert problem.line == 3
    assert "department 'shimin' does not exist" in problem.reason
    assert not Procedure.objects.exists()


def test_removed_file_deactivates_the_procedure_and_keeps_its_versions(folder):
    sync_procedures(directory=folder)
    (folder / "sodai-gomi.yaml").unlink()
    report = sync_procedures(directory=folder)
    assert report.deactivated == ["sodai-gomi"]
    procedure = Procedure.objects.get(slug="sodai-gomi")
    assert procedure.is_active is False
    assert procedure.versions.count() == 1
    assert get_procedure("sodai-gomi") is None
    shutil.copy(REPO_PROCEDURES / "sodai-gomi.yaml", folder / "sodai-gomi.yaml")
    report = sync_procedures(directory=folder)
    assert report.reactivated == ["sodai-gomi"]
    assert get_procedure("sodai-gomi").current_version.number == 1


def test_empty_or_missing_directory_is_refused(tmp_path, departments):
    with pytest.raises(ProcedureSyncError, match="no such directory"):
        sync_procedures(directory=tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProcedureSyncError, match=r"no \*\.yaml procedure files"):
        sync_procedures(directory=tmp_path / "empty")


def test_catalog_search_and_filters(folder):
    sync_procedures(directory=folder)
    assert [p.slug for p in catalog(query="住民票")] == ["juminhyo-copy"]
    assert [p.slug for p in catalog(query="ｼﾞｭｳﾐﾝ")] == []  # kana reading is not indexed; the name is kanji
    assert "sodai-gomi" in [p.slug for p in catalog(query="BULKY")]
    assert "juminhyo-copy" in [p.slug for p in catalog(query="certificate residence", lang="en")]
    assert {p.slug for p in catalog(department="kosodate")} == {
        "jido-teate",
        "kodomo-iryohi",
        "hoiku-moushikomi",
    }
    assert {p.slug for p in catalog(life_event="disaster")} == {"risai-shomei", "saigai-mimaikin"}
    assert {p.slug for p in catalog(query="証明書", department="zeimu")} == {"kazei-shomei", "risai-shomei"}
    # A word only in the description still finds the procedure, after those matched by name.
    by_description = [p.slug for p in catalog(query="マイナンバーカード")]
    assert "tenkyo" in by_description
    assert catalog(query="存在しない手続き") == []


def test_get_procedure_returns_the_current_version(folder):
    sync_procedures(directory=folder)
    procedure = get_procedure("jido-teate")
    assert procedure.department.code == "kosodate"
    assert spec_of(procedure.current_version).field("payment_account").type == "bank_account"
    assert get_procedure("no-such-procedure") is None
