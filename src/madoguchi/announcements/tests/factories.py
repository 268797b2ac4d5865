"""The canonical factory of the announcements room."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from madoguchi.accounts.tests.factories import DepartmentFactory, StaffFactory
from madoguchi.announcements.models import Announcement


class AnnouncementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Announcement

    department = factory.SubFactory(DepartmentFactory)
    title_ja = factory.Sequence(lambda n: f"お知らせ{n}")
    title_en = factory.Sequence(lambda n: f"Announcement {n}")
    body_ja = "本文です。"
    body_en = "The text."
    publish_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1))
    expires_on = None
    created_by = factory.SubFactory(StaffFactory)
    updated_by = factory.SelfAttribute("created_by")
