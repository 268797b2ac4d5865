"""The canonical factory of the cases models.

    CaseFactory()                               a submitted online case of the first procedure (or of a new
                                                ProcedureFactory one), due in 7 days, by a new resident
    CaseFactory(procedure=p, status=Status.IN_REVIEW, applicant=resident, reference="MINE-0001")

CaseFactory writes the row straight to the table, as if submitted: no history, outbox event or status
counter. Tests of what submitting does go through cases.services (see the api and portal tests' helpers).
"""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.cases.models import Case, Channel, Status
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.tests.factories import ProcedureFactory


class CaseFactory(DjangoModelFactory):
    """A case written straight to the table (as if submitted), for queue and detail tests."""

    class Meta:
        model = Case

    reference = factory.Sequence(lambda n: f"T{n // 10000 % 1000:03d}-{n % 10000:04d}")
    procedure = factory.LazyFunction(lambda: Procedure.objects.order_by("id").first() or ProcedureFactory())
    procedure_version = factory.LazyAttribute(lambda o: o.procedure.current_version)
    department = factory.LazyAttribute(lambda o: o.procedure.department)
    applicant = factory.SubFactory(ResidentFactory)
    applicant_name = "緑 花子"
    channel = Channel.ONLINE
    status = Status.SUBMITTED
    data = factory.LazyAttribute(
        lambda o: {"applicant_name": o.applicant_name, "reason": "birth", "comment": "よろしくお願いします。"}
    )
    submitted_at = factory.LazyFunction(timezone.now)
    status_changed_at = factory.LazyFunction(timezone.now)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
