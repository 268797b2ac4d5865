"""The intake's own logic, without the OCR engine: receiving, cross-checks, verification, filing, audit, the
watched folder."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from madoguchi.cases.models import Case, Channel
from madoguchi.core.models import AuditEvent
from madoguchi.intake import crosschecks, selectors, services
from madoguchi.intake.models import FieldReading, PaperForm, ReadingStatus, ScannedFile
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.selectors import spec_of
from madoguchi.residents.selectors import NamedPerson

from .support import form_with_readings

THRESHOLD = 0.9


def readings(**values):
    return {key: crosschecks.Reading(key, value, 0.99) for key, value in values.items()}


@pytest.fixture
def spec(published):
    return spec_of(Procedure.objects.get(slug="inkan-certificate").current_version)


def test_a_postal_code_of_another_area_lowers_both_fields(spec):
    found = readings(registrant_postal_code="1000001", registrant_address="大阪府大阪市北区梅田1-1")
    crosschecks.run_checks(spec, found, threshold=THRESHOLD, persons_born_on=lambda day: [])
    assert found["registrant_address"].confidence < THRESHOLD
    assert found["registrant_postal_code"].confidence < THRESHOLD
    assert "郵便番号" in found["registrant_address"].checks[0]["ja"]


def test_agreement_is_noted_but_never_raises_a_confidence(spec):
    found = readings(registrant_postal_code="1000001", registrant_address="東京都千代田区千代田1番1号")
    found["registrant_address"].confidence = 0.42
    crosschecks.run_checks(spec, found, threshold=THRESHOLD, persons_born_on=lambda day: [])
    assert found["registrant_address"].confidence == 0.42
    assert found["registrant_address"].checks[0]["ok"] is True


def test_a_reading_that_does_not_fit_the_name_is_sent_to_a_person(spec):
    found = readings(registrant_name="山田 太郎", registrant_kana="ヤマモト タロウ")
    crosschecks.run_checks(spec, found, threshold=THRESHOLD, persons_born_on=lambda day: [])
    assert found["registrant_kana"].confidence < THRESHOLD
    assert found["registrant_name"].confidence < THRESHOLD


def test_the_registry_links_the_one_matching_person_and_doubts_a_misread_kanji(spec):
    born = dt.date(1986, 4, 12)
    registry = [NamedPerson(7, "髙橋 一郎", "タカハシ イチロウ", born)]
    exact = readings(registrant_name="髙橋 一郎", registrant_birth_date=born.isoformat())
    assert (
        crosschecks.run_checks(spec, exact, threshold=THRESHOLD, persons_born_on=lambda d: registry).person_id
        == 7
    )
    assert exact["registrant_name"].confidence == 0.99

    misread = readings(
        registrant_name="高橋 一郎",
        registrant_kana="タカハシ イチロウ",
        registrant_birth_date=born.isoformat(),
    )
    result = crosschecks.run_checks(spec, misread, threshold=THRESHOLD, persons_born_on=lambda d: registry)
    assert result.person_id is None
    assert misread["registrant_name"].confidence < THRESHOLD


def test_values_that_differ_from_the_counter_case_are_sent_to_a_person(spec):
    found = readings(copies=2, registrant_name="緑川 太郎")
    crosschecks.run_checks(
        spec,
        found,
        threshold=THRESHOLD,
        persons_born_on=lambda d: [],
        case_data={"copies": 1, "registrant_name": "緑川　太郎"},
    )
    assert found["copies"].confidence < THRESHOLD
    assert found["registrant_name"].confidence == 0.99  # the same name, only the space differs


def test_the_same_bytes_twice_are_a_duplicate(published):
    batch = services.start_batch(name="b", source="upload")
    first = services.receive_file(batch=batch, data=b"%PDF-1.4 scan", filename="a.pdf")
    again = services.receive_file(batch=batch, data=b"%PDF-1.4 scan", filename="other-name.pdf")
    assert not first.duplicate and again.duplicate and again.file == first.file
    assert ScannedFile.objects.count() == 1


def test_an_empty_file_is_refused_with_a_message(published):
    batch = services.start_batch(name="b", source="upload")
    with pytest.raises(services.IntakeError) as refused:
        services.receive_file(batch=batch, data=b"", filename="a.pdf")
    assert "空" in refused.value.ja and "empty" in refused.value.en


def test_a_correction_is_recorded_and_the_last_check_files_the_case(published, clerk):
    form, _values = form_with_readings(pending={"copies": 7, "registrant_name": "緑川 太郎"})
    name = form.readings.get(field_id="registrant_name")
    services.verify_reading(reading=name, actor=clerk)  # Enter: the proposal is right
    assert Case.objects.count() == 0  # one field still waits

    copies = form.readings.get(field_id="copies")
    services.verify_reading(reading=copies, actor=clerk, raw="1")

    name.refresh_from_db()
    copies.refresh_from_db()
    assert name.status == ReadingStatus.CONFIRMED and name.decided_by == clerk
    assert copies.status == ReadingStatus.CORRECTED and copies.value == 1 and copies.proposed == 7
    form.refresh_from_db()
    case = form.case
    assert form.status == PaperForm.Status.DONE and case.channel == Channel.PAPER
    assert case.data["copies"] == 1
    note = case.history.get().note
    assert "修正: copies" in note and clerk.email in note


def test_an_invalid_correction_is_refused_and_nothing_changes(published, clerk):
    form, _values = form_with_readings(pending={"copies": 7})
    copies = form.readings.get(field_id="copies")
    with pytest.raises(services.VerificationError) as refused:
        services.verify_reading(reading=copies, actor=clerk, raw="九十九")
    assert refused.value.ja and refused.value.en
    copies.refresh_from_db()
    assert copies.status == ReadingStatus.PENDING and Case.objects.count() == 0


def test_values_the_procedure_refuses_go_back_to_verification(published, clerk):
    form, _values = form_with_readings(pending={"copies": 1})
    FieldReading.objects.filter(form=form, field_id="registrant_name").update(value="", proposed="")
    services.verify_reading(reading=form.readings.get(field_id="copies"), actor=clerk)
    form.refresh_from_db()
    assert form.status == PaperForm.Status.VERIFYING and form.case is None
    name = form.readings.get(field_id="registrant_name")
    assert name.status == ReadingStatus.PENDING and name.error
    assert Case.objects.count() == 0


def test_looking_at_a_form_is_audited(published, clerk):
    form, _values = form_with_readings(pending={"copies": 7})
    before = AuditEvent.objects.count()
    assert selectors.form_for_staff(staff=clerk, form_id=form.pk) == form
    row = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert row.object_type == "paper_form" and row.actor_id == clerk.pk and "copies" in row.fields


def test_the_watched_folder_keeps_every_file_and_moves_it_away(published, tmp_path):
    (tmp_path / "scan1.pdf").write_bytes(b"%PDF-1.4 first")
    (tmp_path / "scan2.pdf").write_bytes(b"%PDF-1.4 first")  # the same scan saved twice
    (tmp_path / "young.pdf").write_bytes(b"%PDF-1.4 still being written")
    old = time.time() - 120
    os.utime(tmp_path / "scan1.pdf", (old, old))
    os.utime(tmp_path / "scan2.pdf", (old, old))

    taken = services.sweep_watch_dir(directory=str(tmp_path), min_age_seconds=60, process=False)

    assert [(t.name, t.duplicate) for t in taken] == [("scan1.pdf", False), ("scan2.pdf", True)]
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["scan1.pdf", "scan2.pdf"]
    assert (tmp_path / "young.pdf").exists()  # left for the next sweep
    stored = ScannedFile.objects.get()
    assert stored.batch.source == "folder"
    with stored.original.open("rb") as handle:
        assert handle.read() == b"%PDF-1.4 first"


def test_intake_tasks_run_on_the_ocr_queue(settings):
    from celery import current_app

    router = current_app.amqp.router
    for name in ("madoguchi.intake.tasks.process_file", "madoguchi.intake.tasks.sweep_watch_dir"):
        assert settings.CELERY_TASK_ROUTES["madoguchi.intake.*"] == {"queue": "ocr"}
        assert router.route({}, name)["queue"].name == "ocr"


def test_intake_watch_once_reads_and_moves_the_scanner_files(published, tmp_path, capsys):
    from django.core.management import call_command

    (tmp_path / "garbled.pdf").write_bytes(b"%PDF-1.7 torn in half")

    call_command("intake", "watch", "--once", "--directory", str(tmp_path), "--min-age", "0")

    assert "garbled.pdf: stored" in capsys.readouterr().out
    assert not (tmp_path / "garbled.pdf").exists() and (tmp_path / "done" / "garbled.pdf").exists()
    page = ScannedFile.objects.get().pages.get()
    assert page.status == "unreadable"  # read at once, with a status; the original kept in storage
