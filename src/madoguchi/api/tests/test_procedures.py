"""GET /api/v1/procedures and /api/v1/procedures/{slug}: public, the catalog and the form schema."""

import pytest

from madoguchi.api.tests.helpers import assert_error
from madoguchi.procedures.models import Procedure

pytestmark = pytest.mark.usefixtures("procedures")


def test_list_returns_every_active_procedure_with_its_department_and_version(client):
    response = client.get("/api/v1/procedures")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == Procedure.objects.filter(is_active=True).count() == len(body["items"])
    juminhyo = next(item for item in body["items"] if item["slug"] == "juminhyo-copy")
    assert juminhyo == {
        "slug": "juminhyo-copy",
        "name": {"ja": "住民票の写しの交付請求", "en": "Request for a copy of the certificate of residence"},
        "department": {"code": "shimin", "name": {"ja": "市民課", "en": "Residents Division"}},
        "life_events": ["certificates", "moving"],
        "online": True,
        "version": 1,
    }


def test_list_filters_by_department_and_life_event(client):
    shimin = client.get("/api/v1/procedures", {"department": "shimin"}).json()["items"]
    moving = client.get("/api/v1/procedures", {"life_event": "moving"}).json()["items"]

    assert shimin and {item["department"]["code"] for item in shimin} == {"shimin"}
    assert moving and all("moving" in item["life_events"] for item in moving)
    assert client.get("/api/v1/procedures", {"department": "no-such"}).json() == {"count": 0, "items": []}


def test_search_puts_name_matches_first(client):
    items = client.get("/api/v1/procedures", {"q": "住民票"}).json()["items"]

    assert items[0]["slug"] == "juminhyo-copy"


def test_procedures_that_cannot_be_applied_for_online_say_so(client):
    items = {item["slug"]: item for item in client.get("/api/v1/procedures").json()["items"]}

    assert items["inkan-toroku"]["online"] is False  # online: false in its file
    assert items["jido-teate"]["online"] is False  # identity_level: verified


def test_detail_includes_the_form_schema_of_the_current_version(client):
    response = client.get("/api/v1/procedures/juminhyo-copy")

    assert response.status_code == 200
    body = response.json()
    procedure = Procedure.objects.get(slug="juminhyo-copy")
    assert body["version"] == procedure.current_version.number == 1
    assert body["spec"] == procedure.current_version.spec
    steps = body["spec"]["form"]["steps"]
    assert [step["id"] for step in steps] == ["applicant", "certificate", "delivery"]
    name_field = steps[0]["fields"][0]
    assert name_field["id"] == "applicant_name"
    assert name_field["required"] is True
    assert name_field["label"] == {"ja": "氏名", "en": "Full name"}


@pytest.mark.parametrize("slug", ["no-such-procedure", "JUMINHYO", "x" * 500, "%E3%81%82"])
def test_unknown_procedure_is_a_json_404(client, slug):
    body = assert_error(client.get(f"/api/v1/procedures/{slug}"), 404, "procedure_not_found")

    assert "/api/v1/procedures" in body["message"]["en"]


def test_inactive_procedure_is_not_listed_nor_shown(client):
    Procedure.objects.filter(slug="juminhyo-copy").update(is_active=False)

    slugs = [item["slug"] for item in client.get("/api/v1/procedures").json()["items"]]
    assert "juminhyo-copy" not in slugs
    assert_error(client.get("/api/v1/procedures/juminhyo-copy"), 404, "procedure_not_found")


@pytest.mark.parametrize(
    ("params", "field"),
    [({"lang": "fr"}, "lang"), ({"q": "あ" * 101}, "q"), ({"department": "x" * 41}, "department")],
)
def test_bad_filters_are_a_422_naming_the_parameter(client, params, field):
    body = assert_error(client.get("/api/v1/procedures", params), 422, "validation_error")

    assert field in body["fields"]


def _field_types(spec: dict) -> set[str]:
    return {field["type"] for step in spec["form"]["steps"] for field in step["fields"]}


def test_the_form_schema_asks_for_a_my_number_only_while_it_is_switched_on(client, settings):
    stored = Procedure.objects.get(slug="jido-teate").current_version.spec
    assert "my_number" in _field_types(stored)

    settings.MY_NUMBER_ENABLED = False
    off = client.get("/api/v1/procedures/jido-teate").json()["spec"]
    settings.MY_NUMBER_ENABLED = True
    on = client.get("/api/v1/procedures/jido-teate").json()["spec"]

    assert "my_number" not in _field_types(off)
    assert [f["id"] for f in off["form"]["steps"][0]["fields"]] == [
        f["id"] for f in stored["form"]["steps"][0]["fields"] if f["type"] != "my_number"
    ]
    assert {key: value for key, value in off.items() if key != "form"} == {
        key: value for key, value in stored.items() if key != "form"
    }
    assert on == stored
