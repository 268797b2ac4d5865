"""フリガナ suggestions for residents who type their name: the JSON endpoint, the script, and the no-JS path."""

import json

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from madoguchi.cases.models import Case
from madoguchi.portal import views as portal_views
from madoguchi.portal.tests import factories as portal_factories
from madoguchi.procedures.tests.factories import juminhyo

pytestmark = pytest.mark.django_db


def test_reading_of_a_name(client):
    response = client.get(reverse("portal:furigana"), {"name": "山田 太郎"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Cache-Control"] == "no-store"
    assert json.loads(response.content) == {"reading": "ヤマダ\u3000タロウ"}


@pytest.mark.parametrize("name", ["", "   ", "ｘｙｚ", "山田3"])
def test_no_reading_when_unsure(client, name):
    assert json.loads(client.get(reverse("portal:furigana"), {"name": name}).content) == {"reading": ""}


def test_a_long_name_is_refused_with_a_message(client):
    response = client.get(reverse("portal:furigana"), {"name": "山" * 51})
    assert response.status_code == 400
    body = json.loads(response.content)
    assert body["code"] == "too_long"
    assert "50文字以内" in body["message"]["ja"]


def test_rate_limited_per_session(client, resident, monkeypatch):
    monkeypatch.setattr(portal_views, "FURIGANA_LIMITS", {"session": 2, "ip": 100})
    client.force_login(resident)
    url = reverse("portal:furigana")
    assert [client.get(url, {"name": "山田"}).status_code for _ in range(3)] == [200, 200, 429]
    body = json.loads(client.get(url, {"name": "山田"}).content)
    assert body["code"] == "rate_limited" and body["reading"] == ""


def test_rate_limited_per_ip_without_a_session(client, monkeypatch):
    monkeypatch.setattr(portal_views, "FURIGANA_LIMITS", {"session": 100, "ip": 1})
    url = reverse("portal:furigana")
    assert client.get(url, {"name": "山田"}, REMOTE_ADDR="203.0.113.9").status_code == 200
    assert client.get(url, {"name": "山田"}, REMOTE_ADDR="203.0.113.9").status_code == 429
    assert client.get(url, {"name": "山田"}, REMOTE_ADDR="203.0.113.10").status_code == 200


def test_only_get(client):
    assert client.post(reverse("portal:furigana"), {"name": "山田"}).status_code == 405


@pytest.fixture
def applying(client, resident):
    juminhyo()
    client.force_login(resident)
    client.post(reverse("portal:apply", args=["juminhyo-copy"]))
    return client, Case.objects.get()


def test_the_step_of_an_unverified_resident_loads_the_script(applying):
    client, case = applying
    page = client.get(reverse("portal:apply_step", args=[case.reference, "applicant"])).content.decode()
    assert 'data-furigana-pairs="f-applicant_name:f-applicant_kana"' in page
    assert f'data-furigana-url="{reverse("portal:furigana")}"' in page
    assert "/static/js/furigana.js" in page
    assert 'name="applicant_kana"' in page  # the resident can always edit it
    assert "<script>" not in page  # no inline scripts (CSP script-src 'self')
    assert finders.find("js/furigana.js")


def test_without_javascript_an_empty_reading_gets_a_suggestion_to_check(applying):
    client, case = applying
    data = {
        **portal_factories.JUMINHYO_STEPS["applicant"],
        "applicant_name": "山田 太郎",
        "applicant_kana": "",
    }
    response = client.post(reverse("portal:apply_step", args=[case.reference, "applicant"]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="ヤマダ\u3000タロウ"' in page
    assert "氏名から読みの候補を入力しました" in page
    case.refresh_from_db()
    assert case.draft_data["applicant_kana"] == ""  # nothing is stored until the resident sends it

    data["applicant_kana"] = "ヤマダ\u3000タロウ"
    response = client.post(reverse("portal:apply_step", args=[case.reference, "applicant"]), data)
    assert response.status_code == 302


def test_a_typed_reading_is_never_replaced(applying):
    client, case = applying
    data = {
        **portal_factories.JUMINHYO_STEPS["applicant"],
        "applicant_name": "山田 太郎",
        "applicant_kana": "ヤマダ タロ",
    }
    client.post(reverse("portal:apply_step", args=[case.reference, "applicant"]), data)
    case.refresh_from_db()
    assert case.draft_data["applicant_kana"] == "ヤマダ タロ"
