import datetime as dt

import pytest
from django.utils import timezone

from madoguchi.accounts.models import Department
from madoguchi.booking import calendar
from madoguchi.booking.models import AppointmentType, Window


@pytest.fixture(autouse=True)
def _sms_to_a_file(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE = str(tmp_path / "sms.jsonl")
    settings.SITE_URL = "https://city.example.jp"


@pytest.fixture
def window(db):
    department, _ = Department.objects.get_or_create(
        code="shimin", defaults={"name_ja": "市民課", "name_en": "Residents Division"}
    )
    return Window.objects.create(
        code="shimin",
        department=department,
        name_ja="市民課窓口",
        name_en="Residents counter",
        ticket_prefix="A",
    )


@pytest.fixture
def appointment_type(window):
    return AppointmentType.objects.create(
        code="tennyu",
        window=window,
        name_ja="転入・転出の届出",
        name_en="Moving in or out",
        slot_minutes=30,
        capacity=2,
    )


def next_open_day(after: int = 2) -> dt.date:
    """An open weekday at least `after` days from today (past 年末年始 and holidays)."""
    return calendar.Calendar().open_days(timezone.localdate() + dt.timedelta(days=after), 30)[0]


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


GUEST = {"name": "緑　花子", "phone": "090-1234-5678", "birth_date": dt.date(1946, 5, 3), "channel": "guest"}
