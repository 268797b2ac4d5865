import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_has_search_language_switch_and_life_events(client, procedure):
    page = client.get(reverse("portal:home")).content.decode()
    assert '<html lang="ja">' in page
    assert 'href="/en/"' in page
    assert 'class="skip-link" href="#main"' in page
    assert f'href="{reverse("portal:catalog")}?life_event=certificates"' in page


def test_catalog_lists_procedures_with_filters(client, procedure):
    response = client.get(reverse("portal:catalog"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "住民票の写しの交付請求" in page
    assert '<option value="shimin">市民課</option>' in page


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"q": "住民票"}, True),
        ({"q": "写し 交付"}, True),
        ({"q": "存在しない手続き"}, False),
        ({"life_event": "certificates"}, True),
        ({"department": "shimin"}, True),
        ({"department": "kosodate"}, False),
        ({"life_event": "birth"}, False),
    ],
)
def test_catalog_search_and_filter(client, procedure, params, found):
    page = client.get(reverse("portal:catalog"), params).content.decode()
    assert ("住民票の写しの交付請求" in page) is found


def test_no_result_says_what_to_try(client, procedure):
    page = client.get(reverse("portal:catalog"), {"q": "存在しない手続き"}).content.decode()
    assert "条件に合う手続きが見つかりませんでした" in page
    assert "0 件の手続きがあります" in page


def test_unknown_filter_values_are_ignored_not_errors(client, procedure):
    response = client.get(reverse("portal:catalog"), {"department": "nope", "life_event": "<script>"})
    assert response.status_code == 200
    assert "住民票の写しの交付請求" in response.content.decode()


def test_procedure_page_shows_what_a_resident_needs_to_know(client, procedure):
    response = client.get(reverse("portal:procedure", args=["juminhyo-copy"]))
    page = response.content.decode()
    assert response.status_code == 200
    for text in ("申請できる方", "必要なもの", "本人確認書類", "1通300円", "受付から 3 開庁日以内", "市民課"):
        assert text in page
    assert f'<form method="post" action="{reverse("portal:apply", args=["juminhyo-copy"])}">' in page


def test_unknown_procedure_is_404(client, procedure):
    assert client.get(reverse("portal:procedure", args=["no-such-thing"])).status_code == 404
