""" "Apply" is a POST that resumes the resident's open draft; a GET has no side effect (probe finding 3)."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from madoguchi.cases.models import Case, Status

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers (every transaction takes the write lock when it "
    "begins), so two requests cannot race; the constraint itself is tested on both",
)


def _apply_url(slug: str = "juminhyo-copy") -> str:
    return reverse("portal:apply", args=[slug])


def test_a_get_shows_the_procedure_page_with_the_button_and_makes_no_draft(resident_client, procedure):
    response = resident_client.get(_apply_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert "住民票の写しの交付請求" in page
    assert f'<form method="post" action="{_apply_url()}">' in page
    assert "csrfmiddlewaretoken" in page
    assert not Case.objects.exists()


def test_a_post_from_another_site_is_refused_by_csrf(resident, procedure):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)

    response = client.post(_apply_url(), HTTP_ORIGIN="https://evil.example")

    assert response.status_code == 403
    assert not Case.objects.exists()


def test_the_button_posts_with_its_token_and_a_second_post_resumes_the_same_draft(resident, procedure):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    page = client.get(reverse("portal:procedure", args=["juminhyo-copy"]))
    token = page.cookies["csrftoken"].value

    first = client.post(_apply_url(), {"csrfmiddlewaretoken": token})
    second = client.post(_apply_url(), {"csrfmiddlewaretoken": token}, follow=True)

    case = Case.objects.get()
    assert case.status == Status.DRAFT
    assert first.url == reverse("portal:apply_step", args=[case.reference, "applicant"])
    assert second.redirect_chain[-1][0] == first.url
    assert "保存してある下書きの続きから入力できます。" in second.content.decode()


def test_signing_in_from_the_button_comes_back_to_the_page_not_to_a_draft(client, resident, procedure):
    response = client.post(_apply_url())
    assert response.status_code == 302 and response.url.startswith(reverse("portal:login"))

    client.force_login(resident)
    back = client.get(parse_qs(urlsplit(response.url).query)["next"][0])
    assert back.status_code == 200  # the page with the button: the resident clicks it again
    assert not Case.objects.exists()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_parallel_posts_give_one_draft(resident, procedure):
    pairs, errors, statuses = 10, [], []

    def post(barrier: threading.Barrier) -> None:
        client = Client()
        client.force_login(resident)
        try:
            barrier.wait(timeout=30)
            statuses.append(client.post(_apply_url()).status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    for _pair in range(pairs):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=post, args=(barrier,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert Case.objects.filter(applicant=resident, status=Status.DRAFT).count() == 1
        Case.objects.filter(applicant=resident).delete()  # the next pair starts without a draft

    assert not errors
    assert statuses == [302] * (2 * pairs)
