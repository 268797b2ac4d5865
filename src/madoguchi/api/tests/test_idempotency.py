"""POST /api/v1/me/cases with an Idempotency-Key: a retry returns the first answer, never a second case."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from madoguchi.api.tests import factories
from madoguchi.api.tests.helpers import assert_error
from madoguchi.cases import services
from madoguchi.cases.models import Case, IdempotentRequest

pytestmark = pytest.mark.usefixtures("procedures")

URL = "/api/v1/me/cases"
KEY = "5f0c6a8e-3c1d-4c53-9f3e-8f9b2b7d2a11"


def apply(client, data=None, key: str | None = KEY, **body):
    payload = {
        "procedure": "juminhyo-copy",
        "data": factories.JUMINHYO_DATA if data is None else data,
        **body,
    }
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, data=json.dumps(payload), content_type="application/json", **headers)


def test_a_retry_with_the_same_key_returns_the_same_answer_and_makes_no_second_case(resident_client):
    first = apply(resident_client)
    again = apply(resident_client)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Case.objects.count() == 1
    assert IdempotentRequest.objects.get().case.reference == first.json()["reference"]


def test_the_same_body_in_another_key_order_is_the_same_request(resident_client):
    apply(resident_client)
    reordered = dict(reversed(list(factories.JUMINHYO_DATA.items())))

    assert apply(resident_client, reordered).status_code == 201
    assert Case.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422_saying_what_to_do(resident_client):
    apply(resident_client)

    body = assert_error(
        apply(resident_client, {**factories.JUMINHYO_DATA, "copies": 2}), 422, "idempotency_key_reused"
    )

    assert "内容の異なる別の申請" in body["message"]["ja"]
    assert "use a new key" in body["message"]["en"]
    assert Case.objects.count() == 1


def test_without_a_key_two_calls_are_two_cases(resident_client):
    apply(resident_client, key=None)
    apply(resident_client, key=None)
    assert Case.objects.count() == 2
    assert not IdempotentRequest.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "鍵", "with space"])
def test_a_malformed_key_is_a_400(resident_client, key):
    assert_error(apply(resident_client, key=key), 400, "idempotency_key_invalid")
    assert not Case.objects.exists()


def test_a_failed_request_stores_nothing_and_the_key_can_be_used_for_the_fixed_request(resident_client):
    wrong = {**factories.JUMINHYO_DATA, "applicant_phone": "12"}
    assert_error(apply(resident_client, wrong), 422, "validation_error")
    assert not IdempotentRequest.objects.exists()

    assert apply(resident_client).status_code == 201
    assert Case.objects.count() == 1


def test_keys_are_per_account(resident_client, other_client):
    mine = apply(resident_client)
    theirs = apply(other_client)

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["reference"] != theirs.json()["reference"]
    assert Case.objects.count() == 2


def test_a_key_is_kept_for_24_hours(resident_client):
    apply(resident_client)
    IdempotentRequest.objects.update(created_at=timezone.now() - dt.timedelta(hours=23))
    assert apply(resident_client)["Idempotent-Replayed"] == "true"

    IdempotentRequest.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert services.purge_idempotency_keys() == 1
    fresh = apply(resident_client)
    assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh
    assert Case.objects.count() == 2


def test_a_retry_while_the_first_call_runs_is_a_409_and_an_abandoned_claim_is_taken_over(
    resident_client, resident
):
    claim = services.claim_idempotency_key(
        user=resident,
        endpoint="cases.create",
        key=KEY,
        body={"procedure": "juminhyo-copy", "data": factories.JUMINHYO_DATA},
    )
    assert not claim.replay
    body = assert_error(apply(resident_client), 409, "idempotency_key_in_progress")
    assert "数秒待ってから" in body["message"]["ja"]

    IdempotentRequest.objects.update(created_at=timezone.now() - dt.timedelta(minutes=6))
    assert apply(resident_client).status_code == 201  # the first call died without writing anything
    assert Case.objects.count() == 1


def test_the_header_is_documented_in_the_openapi_schema(client):
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"][URL]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and not header.get("required", False)
    assert "24 hours" in header["description"]
    assert "idempotency_key_reused" in operation["description"]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers (every transaction takes the write lock when it "
    "begins), so two requests cannot race",
)
@pytest.mark.django_db(transaction=True)
def test_parallel_identical_requests_make_one_case(resident):
    sync = threading.Barrier(4)
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def post() -> None:
        client = Client()
        client.force_login(resident)
        try:
            sync.wait(timeout=30)
            response = apply(client)
            answers.append(
                (response.status_code, response.json().get("reference") or response.json()["code"])
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert Case.objects.count() == 1
    reference = Case.objects.get().reference
    # The first answers 201; the others either replay it or, while it still runs, say so (409).
    assert {answer for answer in answers} <= {(201, reference), (409, "idempotency_key_in_progress")}
    assert (201, reference) in answers
