"""The demo's announcements: public ones on the portal, targeted ones only for the matching residents."""

from __future__ import annotations

import pytest

from madoguchi.announcements import selectors
from madoguchi.announcements.models import Announcement
from madoguchi.demo.announcements import create_demo_announcements
from madoguchi.demo.services import ensure_demo_staff, load_demo_town

pytestmark = pytest.mark.django_db


def test_demo_announcements_are_added_once():
    load_demo_town(residents=200, seed=3)
    ensure_demo_staff()
    assert create_demo_announcements() == 4
    assert selectors.public().count() == 2
    targeted = Announcement.objects.exclude(town="", age_band="", household_type="")
    assert targeted.count() == 2 and targeted.exclude(town="").get().town
    assert create_demo_announcements() == 0
