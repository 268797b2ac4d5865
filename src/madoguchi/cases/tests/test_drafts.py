"""One open draft per resident and procedure: open_draft resumes it, the database refuses a second."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.cases import services
from madoguchi.cases.models import Case, CaseCount, Channel, Status
from madoguchi.procedures.tests.factories import juminhyo

pytestmark = pytest.mark.django_db


def test_open_draft_resumes_the_open_draft_and_opens_one_after_submission():
    resident, procedure = ResidentFactory(), juminhyo()

    first, created = services.open_draft(applicant=resident, procedure=procedure)
    again, created_again = services.open_draft(applicant=resident, procedure=procedure)

    assert created and not created_again
    assert again.pk == first.pk
    Case.objects.filter(pk=first.pk).update(status=Status.SUBMITTED)
    third, created_third = services.open_draft(applicant=resident, procedure=procedure)
    assert created_third and third.pk != first.pk
    other, _ = services.open_draft(applicant=ResidentFactory(), procedure=procedure)
    assert other.pk != third.pk


def test_the_database_refuses_a_second_draft_of_the_same_procedure():
    resident, procedure = ResidentFactory(), juminhyo()
    draft = services.start_draft(applicant=resident, procedure=procedure)

    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(
            reference="ZZZZ-ZZZZ",
            channel=Channel.ONLINE,
            procedure=procedure,
            procedure_version=draft.procedure_version,
            department_id=procedure.department_id,
            applicant=resident,
            status=Status.DRAFT,
        )


def test_a_lost_race_reads_the_winners_draft(monkeypatch):
    """What the loser of two parallel requests sees: no draft when it looked, a refused insert, then the
    winner's draft (on SQLite writers are serialised, so the race is staged here)."""
    resident, procedure = ResidentFactory(), juminhyo()
    winner = services.start_draft(applicant=resident, procedure=procedure)
    looks = iter([None])
    real = services._open_draft_of
    monkeypatch.setattr(services, "_open_draft_of", lambda a, p: next(looks, None) or real(a, p))

    case, created = services.open_draft(applicant=resident, procedure=procedure)

    assert (case.pk, created) == (winner.pk, False)
    assert Case.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_newest_draft_and_loses_nothing_typed():
    executor = MigrationExecutor(connection)
    executor.migrate([("cases", "0003_attachment_safe_copy")])
    apps = executor.loader.project_state([("cases", "0003_attachment_safe_copy")]).apps
    OldCase = apps.get_model("cases", "Case")
    resident, procedure = ResidentFactory(), juminhyo()
    common = {
        "channel": "online",
        "procedure_id": procedure.pk,
        "procedure_version_id": procedure.current_version_id,
        "department_id": procedure.department_id,
        "applicant_id": resident.pk,
        "status": "draft",
    }
    typed = OldCase.objects.create(reference="AAAA-AAAA", draft_data={"applicant_name": "緑 太郎"}, **common)
    empty = OldCase.objects.create(reference="BBBB-BBBB", **common)
    newest = OldCase.objects.create(reference="CCCC-CCCC", **common)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert Case.objects.get(pk=newest.pk).status == Status.DRAFT
    assert not Case.objects.filter(pk=empty.pk).exists()
    kept = Case.objects.get(pk=typed.pk)
    assert kept.status == Status.WITHDRAWN and kept.draft_data == {"applicant_name": "緑 太郎"}
    assert kept.history.get().note.startswith("同じ手続きの下書きが重複していたため")
    assert CaseCount.objects.get(department_id=procedure.department_id, status=Status.WITHDRAWN).n == 1
