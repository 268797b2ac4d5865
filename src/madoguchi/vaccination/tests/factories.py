"""The canonical factories of the vaccination room."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from madoguchi.residents.tests.factories import PersonFactory
from madoguchi.vaccination import services
from madoguchi.vaccination.models import Campaign, Invitation, Slot, Venue


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = "令和8年度 新型コロナワクチン集団接種"
    vaccine = "新型コロナワクチン"
    doses = 2
    min_days_between_doses = 21
    cohort_min_age = 65
    cohort_age_on = dt.date(2026, 4, 1)


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"みどり市民センター 第{n + 1}会場")
    address = "みどり市緑町1-1"


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    venue = factory.SubFactory(VenueFactory)
    campaign = factory.SelfAttribute("venue.campaign")
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=30))
    capacity = 10


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    campaign = factory.SubFactory(CampaignFactory)
    person = factory.SubFactory(PersonFactory, birth_date=dt.date(1950, 5, 1))
    code = factory.Sequence(lambda n: f"{1_000_000_000 + n:010d}")
    birth_date = factory.SelfAttribute("person.birth_date")


def invitee_of(invitation: Invitation) -> services.Invitee:
    return services.find_invitation(code=invitation.code, birth_date=invitation.birth_date)
