"""Hostile probe of the sign-in's next= (office and portal): every way of writing another site is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from madoguchi.accounts.tests.factories import PASSWORD, ResidentFactory

pytestmark = pytest.mark.django_db

OFF_SITE = [
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https:evil.example",
    "https://testserver@evil.example/",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " //evil.example/",
    "\t//evil.example/",
    "http://evil.example\\@testserver/",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_office_sign_in_never_sends_staff_off_site(client, approver, target):
    response = client.post(
        reverse("office:login"), {"email": approver.email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302 and response.url == reverse("office:queue")


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_portal_sign_in_never_sends_residents_off_site(client, target):
    user = ResidentFactory()
    response = client.post(
        reverse("portal:login"), {"email": user.email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302 and response.url == reverse("portal:mypage")
