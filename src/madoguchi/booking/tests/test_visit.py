"""A procedure that needs a visit (`visit: {appointment_type: …}`) books a real slot, shown on the receipt,
My Page, the notice and the case in the office."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from madoguchi.accounts.tests.factories import ResidentFactory, StaffFactory
from madoguchi.booking.models import Booking
from madoguchi.booking.tests.conftest import at, next_open_day
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.notify.models import Notice
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.selectors import spec_of
from madoguchi.procedures.spec import ProcedureSpec
from madoguchi.procedures.tests.factories import sync_repository_procedures

pytestmark = pytest.mark.django_db


def test_the_spec_reads_and_checks_the_visit_key():
    sync_repository_procedures()
    spec = spec_of(Procedure.objects.get(slug="tennyu-reservation").current_version)
    assert spec.visit is not None and spec.visit.appointment_type == "tennyu"
    assert "visit_date" not in {f.id for f in spec.fields}  # no free date field any more
    data = spec.to_json()
    assert ProcedureSpec.from_json(data).visit == spec.visit
    data["visit"] = {"appointment_type": "Not A Slug!"}
    with pytest.raises(ValueError, match=r"visit\.appointment_type"):
        ProcedureSpec.from_json(data)


def test_receipt_books_the_visit_and_it_shows_everywhere(
    appointment_type, django_capture_on_commit_callbacks
):
    sync_repository_procedures()
    resident = ResidentFactory()
    procedure = Procedure.objects.get(slug="tennyu-reservation")
    case = CaseFactory(procedure=procedure, applicant=resident, reference="TEN-0001")
    client = Client()
    client.force_login(resident)
    receipt = client.get(reverse("portal:receipt", args=[case.reference])).content.decode()
    book_url = reverse("booking:choose", args=["tennyu"]) + "?case=TEN-0001"
    assert book_url in receipt
    day = next_open_day()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            book_url,
            {
                "slot": timezone.localtime(at(day, 9)).strftime("%Y-%m-%dT%H:%M"),
                "date": day.isoformat(),
                "case": "TEN-0001",
                "name": "緑　花子",
                "phone": "09012345678",
                "birth_date": "1990-05-03",
            },
        )
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.case == case and booking.user == resident
    receipt = client.get(reverse("portal:receipt", args=[case.reference])).content.decode()
    assert booking.reference in receipt and "09:00" in receipt
    assert booking.reference in client.get(reverse("portal:mypage")).content.decode()
    notice = Notice.objects.get(kind="booking.confirmed")
    assert notice.case == case and booking.reference in notice.body_ja
    staff = Client()
    staff.force_login(StaffFactory())
    case_page = staff.get(reverse("office:case_detail", args=[case.reference])).content.decode()
    assert booking.reference in case_page


def test_another_residents_case_is_not_linked(appointment_type):
    sync_repository_procedures()
    procedure = Procedure.objects.get(slug="tennyu-reservation")
    CaseFactory(procedure=procedure, reference="TEN-0002")
    client = Client()
    client.force_login(ResidentFactory())
    day = next_open_day()
    client.post(
        reverse("booking:choose", args=["tennyu"]) + "?case=TEN-0002",
        {
            "slot": timezone.localtime(at(day, 9)).strftime("%Y-%m-%dT%H:%M"),
            "case": "TEN-0002",
            "name": "緑　花子",
            "phone": "09012345678",
            "birth_date": "1990-05-03",
        },
    )
    assert Booking.objects.get().case is None
