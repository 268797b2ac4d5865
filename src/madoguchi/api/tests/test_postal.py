"""GET /api/v1/postal-codes/{code}: the portal's address autofill."""

import pytest

from madoguchi.api.tests.helpers import assert_error

pytestmark = pytest.mark.django_db  # the look-up throttle is kept in the cache, the database cache by default


@pytest.mark.parametrize("code", ["1000001", "100-0001", "１００－０００１", "〒100-0001"])
def test_known_code_gives_the_address(client, code):
    response = client.get(f"/api/v1/postal-codes/{code}")

    assert response.status_code == 200
    assert response.json() == {
        "postal_code": "1000001",
        "prefecture": "東京都",
        "city": "千代田区",
        "town": "千代田",
    }


def test_unknown_code_is_a_json_404(client):
    assert_error(client.get("/api/v1/postal-codes/0000000"), 404, "postal_code_not_found")


@pytest.mark.parametrize("code", ["12345", "abcdefg", "1" * 5000, "100-00011"])
def test_malformed_code_is_a_422_with_the_validators_messages(client, code):
    body = assert_error(client.get(f"/api/v1/postal-codes/{code}"), 422, "invalid_postal_code")

    assert body["message"]["ja"] == "郵便番号は7桁の数字で入力してください（例：123-4567）。"


def test_needs_no_sign_in_and_sets_no_cookie(client):
    response = client.get("/api/v1/postal-codes/1000001")

    assert response.status_code == 200
    assert not response.cookies


def test_too_many_lookups_from_one_address_are_refused_with_429(client):
    statuses = [client.get("/api/v1/postal-codes/1000001").status_code for _ in range(121)]

    assert statuses[:120] == [200] * 120
    assert_error(client.get("/api/v1/postal-codes/1000001"), 429, "rate_limited")
