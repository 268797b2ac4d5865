"""Linking accounts to the registry: by staff at the counter, by an identity provider; ending links."""

import pytest

from madoguchi.accounts import selectors, services
from madoguchi.accounts.models import AssuranceLevel, IdentityLink, LinkMethod
from madoguchi.accounts.tests import factories
from madoguchi.core.audit import verify_chain
from madoguchi.core.models import AuditEvent, OutboxEvent
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _counter_link(user, person, staff, **extra):
    return services.link_identity(
        user=user,
        person=person,
        method=LinkMethod.COUNTER,
        assurance_level=AssuranceLevel.HIGH,
        verified_by=staff,
        evidence="運転免許証",
        client_ip="192.0.2.10",
        **extra,
    )


def _claims(**overrides):
    return {
        "sub": "op-user-1",
        "name": "緑川 花子",
        "birthdate": "1985-04-01",
        "address": {"formatted": "みどり県みどり市緑町3-12"},
        **overrides,
    }


# ---- counter links ---------------------------------------------------------------------------------------------


def test_counter_link_is_stored_with_its_evidence_and_audited(resident, hanako, counter_staff):
    link = _counter_link(resident, hanako, counter_staff)

    link.refresh_from_db()
    assert (link.user, link.person, link.verified_by) == (resident, hanako, counter_staff)
    assert (link.method, link.assurance_level, link.evidence) == ("counter", "high", "運転免許証")
    assert link.is_active
    row = AuditEvent.objects.get(action="link")
    assert row.actor_id == counter_staff.pk
    assert (row.object_type, row.object_id, row.person_id) == ("identity_link", str(link.pk), hanako.pk)
    assert row.purpose == services.PURPOSE_IDENTITY_LINKING
    assert row.client_ip == "192.0.2.10"
    assert OutboxEvent.objects.filter(topic="identity.linked").count() == 1
    assert list(verify_chain()) == []


def test_linked_account_meets_the_verified_identity_level(resident, hanako, counter_staff):
    assert not selectors.meets_identity_level(resident, "verified")
    assert selectors.meets_identity_level(resident, "email")
    _counter_link(resident, hanako, counter_staff)
    assert selectors.meets_identity_level(resident, "verified")
    assert selectors.identity_status(resident).method == "counter"


def test_a_person_linked_to_another_active_account_is_refused(resident, hanako, counter_staff):
    _counter_link(factories.ResidentFactory(), hanako, counter_staff)
    with pytest.raises(services.IdentityError) as exc:
        _counter_link(resident, hanako, counter_staff)
    assert exc.value.code == "person_already_linked"
    assert "別のアカウント" in exc.value.message("ja")
    assert not IdentityLink.objects.filter(user=resident).exists()


def test_an_account_is_linked_to_one_person_at_a_time(resident, hanako, taro, counter_staff):
    _counter_link(resident, hanako, counter_staff)
    with pytest.raises(services.IdentityError) as exc:
        _counter_link(resident, taro, counter_staff)
    assert exc.value.code == "account_already_linked"


def test_database_allows_one_active_link_per_person(resident, hanako, counter_staff):
    from django.db import IntegrityError, transaction

    factories.IdentityLinkFactory(person=hanako)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.IdentityLinkFactory(person=hanako, user=resident)


@pytest.mark.parametrize(
    "evidence", ["運転免許証 第123456789012号", "マイナンバー 1234-5678-9012", "ｐａｓｓ１２３４"]
)
def test_document_numbers_are_never_stored(resident, hanako, counter_staff, evidence):
    with pytest.raises(services.IdentityError) as exc:
        services.link_identity(
            user=resident,
            person=hanako,
            method=LinkMethod.COUNTER,
            assurance_level=AssuranceLevel.HIGH,
            verified_by=counter_staff,
            evidence=evidence,
        )
    assert exc.value.code == "evidence_has_number"
    assert not IdentityLink.objects.exists()


def test_counter_link_needs_the_staff_member(resident, hanako):
    with pytest.raises(services.IdentityError) as exc:
        services.link_identity(
            user=resident, person=hanako, method=LinkMethod.COUNTER, assurance_level=AssuranceLevel.HIGH
        )
    assert exc.value.code == "staff_required"


def test_a_method_cannot_claim_more_assurance_than_it_checked(resident, hanako):
    with pytest.raises(services.IdentityError) as exc:
        services.link_identity(
            user=resident, person=hanako, method=LinkMethod.IDP, assurance_level=AssuranceLevel.HIGH
        )
    assert exc.value.code == "bad_assurance"


def test_staff_accounts_and_former_residents_are_not_linked(hanako, counter_staff):
    with pytest.raises(services.IdentityError) as exc:
        _counter_link(factories.StaffFactory(reviewer=True), hanako, counter_staff)
    assert exc.value.code == "not_a_resident"
    moved_away = PersonFactory(is_active=False, name="転出\u3000者")
    with pytest.raises(services.IdentityError) as exc:
        _counter_link(factories.ResidentFactory(), moved_away, counter_staff)
    assert exc.value.code == "person_not_resident"


# ---- revocation --------------------------------------------------------------------------------------------


def test_revocation_keeps_the_row_and_allows_a_new_link(resident, hanako, counter_staff):
    link = _counter_link(resident, hanako, counter_staff)
    services.unlink_identity(
        link=link, by=counter_staff, reason="別人と紐付けていたため", client_ip="192.0.2.10"
    )

    link.refresh_from_db()
    assert link.revoked_at is not None
    assert link.revoked_by == counter_staff
    assert link.revoked_reason == "別人と紐付けていたため"
    assert not selectors.meets_identity_level(resident, "verified")
    assert selectors.registry_values_for(resident) == {}
    row = AuditEvent.objects.get(action="unlink")
    assert (row.actor_id, row.person_id) == (counter_staff.pk, hanako.pk)

    other = factories.ResidentFactory()
    second = _counter_link(other, hanako, counter_staff)
    assert second.pk != link.pk
    assert IdentityLink.objects.filter(person=hanako).count() == 2


def test_revocation_needs_a_reason_and_happens_once(resident, hanako, counter_staff):
    link = _counter_link(resident, hanako, counter_staff)
    with pytest.raises(services.IdentityError) as exc:
        services.unlink_identity(link=link, by=counter_staff, reason="  ")
    assert exc.value.code == "reason_required"
    services.unlink_identity(link=link, by=resident, reason="本人の申し出")
    with pytest.raises(services.IdentityError) as exc:
        services.unlink_identity(link=link, by=counter_staff, reason="もう一度")
    assert exc.value.code == "already_revoked"


def test_another_resident_or_other_staff_cannot_revoke(resident, hanako, counter_staff):
    link = _counter_link(resident, hanako, counter_staff)
    kosodate = factories.StaffFactory(department=factories.DepartmentFactory(code="kosodate"), reviewer=True)
    for intruder in (factories.ResidentFactory(), kosodate):
        with pytest.raises(services.IdentityError) as exc:
            services.unlink_identity(link=link, by=intruder, reason="いたずら")
        assert exc.value.code == "not_allowed"
    link.refresh_from_db()
    assert link.is_active


def test_who_may_link_identities(db):
    shimin = factories.DepartmentFactory(code="shimin")
    kosodate = factories.DepartmentFactory(code="kosodate")
    assert services.can_manage_identity_links(factories.StaffFactory(department=shimin, role="reviewer"))
    assert services.can_manage_identity_links(
        factories.StaffFactory(department=kosodate, role="department_admin")
    )
    assert not services.can_manage_identity_links(
        factories.StaffFactory(department=kosodate, role="reviewer")
    )
    assert not services.can_manage_identity_links(factories.StaffFactory(department=None, role="auditor"))
    assert not services.can_manage_identity_links(factories.StaffFactory(department=shimin, role="auditor"))
    assert not services.can_manage_identity_links(factories.ResidentFactory())
    assert not services.can_manage_identity_links(
        factories.StaffFactory(department=shimin, role="reviewer", is_active=False)
    )


# ---- identity provider matching ----------------------------------------------------------------------------


def test_exact_single_match_links_with_substantial_assurance(resident, hanako, taro):
    outcome = services.link_by_identity_provider(
        user=resident,
        claims=_claims(name="緑川　花子", address="〒000-0021 みどり県 みどり市 緑町３番１２号"),
        provider="oidc",
        client_ip="198.51.100.7",
    )
    assert outcome.linked, outcome.code
    assert outcome.code == "linked"
    link = outcome.link
    assert (link.person, link.method, link.assurance_level) == (hanako, "idp", "substantial")
    assert (link.provider, link.subject, link.verified_by) == ("oidc", "op-user-1", None)
    match_row = AuditEvent.objects.get(action="match")
    assert (match_row.object_type, match_row.person_id) == ("person", hanako.pk)
    assert sorted(match_row.fields) == ["address", "birth_date", "name"]
    assert AuditEvent.objects.filter(action="link", person_id=hanako.pk).exists()


def test_family_and_given_names_are_joined_with_a_full_width_space(resident, hanako):
    claims = _claims(name=None, family_name="緑川", given_name="花子")
    del claims["name"]
    assert services.link_by_identity_provider(user=resident, claims=claims).linked


def test_address_without_the_building_still_matches(resident, household):
    person = PersonFactory(household=household, building="みどりハイツ101")
    assert services.link_by_identity_provider(user=resident, claims=_claims()).link.person == person


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        (_claims(name="緑川 華子"), "no_match"),
        (_claims(birthdate="1985-04-02"), "no_match"),
        (_claims(address="みどり県みどり市緑町3-13"), "no_match"),
        (_claims(address=""), "claims_missing"),
        (_claims(birthdate="0000-04-01"), "claims_missing"),
        (_claims(name=""), "claims_missing"),
    ],
)
def test_anything_but_an_exact_match_links_nobody(resident, hanako, claims, code):
    outcome = services.link_by_identity_provider(user=resident, claims=claims)
    assert not outcome.linked
    assert outcome.code == code
    assert outcome.message("ja") and outcome.message("en")
    assert not IdentityLink.objects.exists()
    row = AuditEvent.objects.get(action="match")
    assert (row.object_type, row.object_id, row.person_id) == ("identity_match", code, None)


def test_ambiguous_match_links_nobody(resident, hanako):
    PersonFactory()  # same name, birth date and address, in another household
    outcome = services.link_by_identity_provider(user=resident, claims=_claims())
    assert outcome.code == "ambiguous"
    assert "1件に絞り込めなかった" in outcome.message("ja")
    assert not IdentityLink.objects.exists()


def test_former_residents_and_unknown_birth_dates_do_not_match(resident, household):
    PersonFactory(household=household, is_active=False)
    assert services.link_by_identity_provider(user=resident, claims=_claims()).code == "no_match"


def test_a_person_linked_elsewhere_is_not_linked_again(resident, hanako, counter_staff):
    _counter_link(factories.ResidentFactory(), hanako, counter_staff)
    outcome = services.link_by_identity_provider(user=resident, claims=_claims())
    assert outcome.code == "person_already_linked"
    assert not IdentityLink.objects.filter(user=resident).exists()


def test_an_already_verified_account_keeps_its_link(resident, hanako, counter_staff):
    link = _counter_link(resident, hanako, counter_staff)
    outcome = services.link_by_identity_provider(user=resident, claims=_claims(name="別人 次郎"))
    assert outcome.code == "already_linked"
    assert outcome.link == link
