"""Resident A can never reach resident B's data by any URL or API id (no IDOR).

The URL patterns are enumerated from the resolver (django.urls.get_resolver): every portal page, every
/api/v1/me/ endpoint and every office page, in Japanese and English, is requested with B's identifiers
(case references, notice id, registry person id, account id, identity link id …) while signed in as A,
with GET and POST. None may answer with B's data, and nothing of B's may change. A URL parameter this test
does not know fails the test, so a new URL cannot slip through unchecked.
"""

from __future__ import annotations

import itertools
import re

import pytest
from django.test import TestCase
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from madoguchi.accounts import selectors
from madoguchi.accounts.models import IdentityLink
from madoguchi.accounts.tests import factories
from madoguchi.accounts.tokens import uidb64_of
from madoguchi.cases import services as case_services
from madoguchi.cases.models import Case, CaseAttachment, CaseHistory, CaseMessage, Status
from madoguchi.core.models import AuditEvent
from madoguchi.notify.models import Notice
from madoguchi.portal.tests import factories as portal_factories
from madoguchi.procedures.tests.factories import juminhyo
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

B_NAME = "乙川\u3000秘子"
B_KANA = "オツカワ\u3000ヒコ"
B_BANCHI = "9番9号"
B_PHONE = "0399998888"
B_DRAFT_PHONE = "0399997777"
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _routes():
    """(route, namespace, name) of every URL pattern, nested resolvers included."""

    def walk(patterns, prefix, namespaces):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                spaces = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), spaces)
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), ":".join(namespaces), pattern.name

    return list(walk(get_resolver().url_patterns, "", ()))


def _in_scope(route: str, namespace: str) -> bool:
    """Resident-facing pages, the resident API, and the office (which a resident must never get into)."""
    if namespace in ("portal", "office"):
        return True
    return namespace == "api" and route.startswith("api/v1/me/")


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    procedure = juminhyo()
    a, b = factories.ResidentFactory(display_name="甲"), factories.ResidentFactory(display_name="乙")
    person_a = PersonFactory()
    person_b = PersonFactory(name=B_NAME, name_kana=B_KANA, banchi=B_BANCHI, birth_date="1970-07-07")
    factories.IdentityLinkFactory(user=a, person=person_a)
    link_b = factories.IdentityLinkFactory(user=b, person=person_b)

    with TestCase.captureOnCommitCallbacks(execute=True):
        submitted = case_services.create_and_submit_case(
            applicant=b,
            procedure=procedure,
            raw={**portal_factories.JUMINHYO_DATA, "applicant_name": B_NAME, "applicant_phone": B_PHONE},
        )
    reviewer = factories.StaffFactory(reviewer=True)
    case_services.transition(case=submitted, action="assign", actor=reviewer)
    case_services.transition(case=submitted, action="start_review", actor=reviewer)
    draft = case_services.start_draft(applicant=b, procedure=procedure)
    case_services.save_draft_step(case=draft, step_id="applicant", raw={"applicant_phone": B_DRAFT_PHONE})
    notice = Notice.objects.filter(recipient=b).first()
    assert notice is not None, "B's submission should have produced a notice"
    own = case_services.start_draft(applicant=a, procedure=procedure)
    return {
        "a": a,
        "b": b,
        "person_b": person_b,
        "link_b": link_b,
        "submitted": submitted,
        "draft": draft,
        "notice": notice,
        "own": own,
    }


def _values(world) -> dict[str, list[str]]:
    """B's identifiers for every URL parameter (and harmless values for the public ones)."""
    b_cases = [world["submitted"].reference, world["draft"].reference]
    return {
        "reference": b_cases,
        "step_id": ["applicant", "certificate", "delivery"],
        "notice_id": [str(world["notice"].pk)],
        "attachment_id": ["1"],
        "page": ["1"],
        "person_id": [str(world["person_b"].pk)],
        "user_id": [str(world["b"].pk)],
        "link_id": [str(world["link_b"].pk)],
        "provider": ["oidc"],
        "slug": ["juminhyo-copy"],
        "token": [str(world["b"].pk)],
        "uidb64": [uidb64_of(world["b"])],  # emailed links: confirmation, password reset
    }


OWNED = {"reference", "notice_id", "attachment_id", "person_id", "user_id", "link_id"}


def _urls(world):
    values = _values(world)
    urls = []
    for route, namespace, name in _routes():
        if not _in_scope(route, namespace):
            continue
        params = [m.group("name") for m in PARAMETER.finditer(route)]
        unknown = [p for p in params if p not in values]
        assert not unknown, (
            f"{namespace}:{name} has parameters {unknown}: add B's values for them to this test"
        )
        for combination in itertools.product(*(values[p] for p in params)):
            chosen = dict(zip(params, combination, strict=True))
            path = PARAMETER.sub(lambda m, chosen=chosen: chosen[m.group("name")], route)
            owned = bool(OWNED & set(params))
            prefixes = ["/"] if namespace == "api" else ["/", "/en/"]
            urls.extend((prefix + path, owned, f"{namespace}:{name}") for prefix in prefixes)
    return urls


def _b_state(world) -> dict:
    b_cases = Case.objects.filter(applicant=world["b"]).order_by("pk")
    return {
        "cases": list(b_cases.values_list("reference", "status", "data", "draft_data", "current_step")),
        "history": CaseHistory.objects.filter(case__applicant=world["b"]).count(),
        "messages": CaseMessage.objects.filter(case__applicant=world["b"]).count(),
        "attachments": CaseAttachment.objects.filter(case__applicant=world["b"]).count(),
        "notices": list(Notice.objects.filter(recipient=world["b"]).values_list("pk", "read_at")),
        "links": list(IdentityLink.objects.filter(user=world["b"]).values_list("pk", "revoked_at")),
        "audit_reads_of_b_by_a": AuditEvent.objects.filter(
            actor_id=world["a"].pk, person_id=world["person_b"].pk
        ).count(),
    }


def _secrets(world) -> list[str]:
    return [
        B_NAME,
        B_KANA,
        B_BANCHI,
        B_PHONE,
        B_DRAFT_PHONE,
        world["b"].email,
        world["submitted"].reference,
        world["draft"].reference,
    ]


POST_DATA = {
    "body": "いたずら",
    "reason": "いたずら",
    "action": "next",
    "note": "いたずら",
    "members": ["1", "2", "3"],
    "applicant_name": "いたずら",
    "confirmed": "on",
    "document_type": "passport",
}


def test_every_url_refuses_resident_b_data_to_resident_a(client, world):
    urls = _urls(world)
    assert any(name == "portal:case" for _, _, name in urls)
    assert any(url.startswith("/api/v1/me/cases/") for url, _, _ in urls)
    assert any(name == "office:identity_revoke" for _, _, name in urls)
    client.force_login(world["a"])
    before = _b_state(world)
    secrets = _secrets(world)
    checked = 0
    for url, owned, name in urls:
        for method in ("get", "post"):
            client.force_login(world["a"])  # the logout URLs are in the list too
            if method == "get":
                response = client.get(url)
            elif url.startswith("/api/"):
                response = client.post(url, {"note": "いたずら"}, content_type="application/json")
            else:
                response = client.post(url, POST_DATA)
            body = response.content.decode(errors="replace")
            location = response.get("Location", "")
            leaked = [s for s in secrets if s in body or s in location]
            assert not leaked, f"{method.upper()} {url} ({name}) shows B's data: {leaked}"
            if owned:
                assert response.status_code in (302, 403, 404, 405), (
                    f"{method.upper()} {url} ({name}) answered {response.status_code} for B's identifier"
                )
            assert response.status_code < 500, f"{method.upper()} {url} ({name}) failed"
            checked += 1
    assert _b_state(world) == before
    assert checked > 100


def test_api_ids_of_b_are_not_found(client, world):
    client.force_login(world["a"])
    for reference in (world["submitted"].reference, world["draft"].reference, str(world["submitted"].pk)):
        response = client.get(f"/api/v1/me/cases/{reference}")
        assert response.status_code == 404
        assert response.json()["code"]
        withdraw = client.post(
            f"/api/v1/me/cases/{reference}/withdraw", {"note": "いたずら"}, content_type="application/json"
        )
        assert withdraw.status_code == 404
    listing = client.get("/api/v1/me/cases").json()
    assert {item["reference"] for item in listing["items"]} == {world["own"].reference}
    world["submitted"].refresh_from_db()
    assert world["submitted"].status == Status.IN_REVIEW


def test_a_cannot_prefill_or_choose_b_registry_data(client, world):
    """A's own form shows A's register only; B's person id posted as a household member is refused."""
    client.force_login(world["a"])
    own = world["own"]
    page = client.get(reverse("portal:apply_step", args=[own.reference, "applicant"])).content.decode()
    assert "緑川\u3000花子" in page
    assert B_NAME not in page and B_BANCHI not in page

    response = client.post(
        reverse("portal:apply_step", args=[own.reference, "certificate"]),
        {
            "scope": "some_members",
            "members": [str(world["person_b"].pk)],
            "copies": "1",
            "purpose": "license",
        },
    )
    assert response.status_code == 200
    assert B_NAME not in response.content.decode()
    own.refresh_from_db()
    assert B_NAME not in str(own.draft_data)
    assert selectors.registry_values_for(world["a"])["person"]["name"] != B_NAME


def test_a_cannot_use_b_identity_link(client, world):
    client.force_login(world["a"])
    assert (
        client.post(reverse("office:identity_revoke", args=[world["link_b"].pk]), {"reason": "x"}).status_code
        == 404
    )
    world["link_b"].refresh_from_db()
    assert world["link_b"].is_active
    page = client.get(reverse("portal:mypage")).content.decode()
    assert B_NAME not in page and world["b"].email not in page
