"""Who sees which announcement: public ones to everyone, targeted ones only to matching linked residents."""

from __future__ import annotations

import datetime as dt

import pytest

from madoguchi.accounts.tests.factories import IdentityLinkFactory, ResidentFactory
from madoguchi.announcements import selectors
from madoguchi.announcements.models import AgeBand, HouseholdType
from madoguchi.announcements.tests.factories import AnnouncementFactory
from madoguchi.residents.tests.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 7)


def titles(qs) -> set[str]:
    return set(qs.values_list("title_ja", flat=True))


def resident_living(**person):
    link = IdentityLinkFactory(person=PersonFactory(**person))
    return link.user, link.person


def announce(title: str, **kw):
    kw.setdefault("publish_on", TODAY - dt.timedelta(days=3))
    return AnnouncementFactory(title_ja=title, **kw)


def test_publish_date_and_expiry_decide_what_is_current():
    announce("今日から", publish_on=TODAY)
    announce("明日から", publish_on=TODAY + dt.timedelta(days=1))
    announce("今日まで", expires_on=TODAY)
    announce("昨日まで", publish_on=TODAY - dt.timedelta(days=9), expires_on=TODAY - dt.timedelta(days=1))
    assert titles(selectors.public(TODAY)) == {"今日から", "今日まで"}


def test_public_list_never_shows_targeted_ones():
    announce("全員")
    announce("緑町の方", town="緑町")
    user, _person = resident_living(town="緑町")
    assert titles(selectors.public(TODAY)) == {"全員"}
    assert titles(selectors.for_resident(user, TODAY)) == {"全員", "緑町の方"}


def test_area_targeting_matches_the_registry_town():
    announce("緑町", town="緑町")
    announce("桜町", town="桜町")
    user, _person = resident_living(town="桜町")
    assert titles(selectors.for_resident(user, TODAY)) == {"桜町"}


def test_resident_without_linked_person_sees_only_untargeted():
    announce("全員")
    announce("緑町", town="緑町")
    announce("高齢", age_band=AgeBand.ELDERLY)
    assert titles(selectors.for_resident(ResidentFactory(), TODAY)) == {"全員"}


def test_revoked_link_counts_as_no_person():
    announce("緑町", town="緑町")
    user, _person = resident_living(town="緑町")
    user.identity_links.update(revoked_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert titles(selectors.for_resident(user, TODAY)) == set()


@pytest.mark.parametrize(
    ("birth_date", "band"),
    [
        (dt.date(1951, 12, 7), AgeBand.ELDERLY),  # 75 today: birthday is today
        (dt.date(1951, 12, 8), AgeBand.SENIOR),  # 74 until tomorrow
        (dt.date(2020, 12, 7), AgeBand.SCHOOL),  # 6 today
        (dt.date(2020, 12, 8), AgeBand.PRESCHOOL),  # 5 until tomorrow
        (dt.date(1986, 12, 8), AgeBand.YOUNG_ADULT),  # 39 until tomorrow
        (dt.date(1986, 12, 7), AgeBand.ADULT),  # 40 today
    ],
)
def test_age_band_is_counted_on_today(birth_date, band):
    for code, _label in AgeBand.choices:
        announce(code, age_band=code)
    user, _person = resident_living(birth_date=birth_date)
    assert titles(selectors.for_resident(user, TODAY)) == {band}


def test_age_band_moves_with_the_day():
    announce("75歳以上", age_band=AgeBand.ELDERLY)
    user, _person = resident_living(birth_date=dt.date(1951, 12, 8))
    assert titles(selectors.for_resident(user, TODAY)) == set()
    assert titles(selectors.for_resident(user, TODAY + dt.timedelta(days=1))) == {"75歳以上"}


def test_household_types():
    announce("単身", household_type=HouseholdType.SINGLE)
    announce("子育て", household_type=HouseholdType.WITH_CHILDREN)
    announce("高齢のみ", household_type=HouseholdType.ELDERLY_ONLY)

    alone, _ = resident_living(birth_date=dt.date(1990, 1, 1))
    assert titles(selectors.for_resident(alone, TODAY)) == {"単身"}

    family = HouseholdFactory()
    parent, _ = resident_living(household=family, birth_date=dt.date(1990, 1, 1))
    PersonFactory(household=family, birth_date=dt.date(2015, 1, 1), relationship="子")
    assert titles(selectors.for_resident(parent, TODAY)) == {"子育て"}

    old = HouseholdFactory()
    elder, _ = resident_living(household=old, birth_date=dt.date(1950, 1, 1))
    PersonFactory(household=old, birth_date=dt.date(1955, 1, 1), relationship="妻")
    # a member who moved out does not count
    PersonFactory(household=old, birth_date=dt.date(1990, 1, 1), relationship="子", is_active=False)
    assert titles(selectors.for_resident(elder, TODAY)) == {"高齢のみ"}


def test_every_condition_set_must_hold():
    announce("緑町の高齢者", town="緑町", age_band=AgeBand.ELDERLY)
    young, _ = resident_living(town="緑町", birth_date=dt.date(1990, 1, 1))
    old_elsewhere, _ = resident_living(town="桜町", birth_date=dt.date(1940, 1, 1))
    old_here, _ = resident_living(town="緑町", birth_date=dt.date(1940, 1, 1))
    assert titles(selectors.for_resident(young, TODAY)) == set()
    assert titles(selectors.for_resident(old_elsewhere, TODAY)) == set()
    assert titles(selectors.for_resident(old_here, TODAY)) == {"緑町の高齢者"}


def test_expired_and_future_targeted_ones_are_not_shown():
    announce(
        "終了", town="緑町", publish_on=TODAY - dt.timedelta(days=5), expires_on=TODAY - dt.timedelta(days=1)
    )
    announce("これから", town="緑町", publish_on=TODAY + dt.timedelta(days=2))
    user, _ = resident_living(town="緑町")
    assert titles(selectors.for_resident(user, TODAY)) == set()


def test_targeting_is_one_query(django_assert_num_queries):
    announce("緑町", town="緑町", age_band=AgeBand.YOUNG_ADULT, household_type=HouseholdType.SINGLE)
    user, _ = resident_living(town="緑町", birth_date=dt.date(1990, 1, 1))
    with django_assert_num_queries(1):
        assert titles(selectors.for_resident(user, TODAY)) == {"緑町"}


def test_years_before_handles_29_february():
    assert selectors.years_before(dt.date(2024, 2, 29), 1) == dt.date(2023, 2, 28)
