import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api/v1/procedures/%00", "/api/v1/procedures?q=%00", "/procedures/?q=a%00b"]
)
def test_nul_characters_are_refused_with_a_clear_message(client, path):
    response = client.get(path)
    assert response.status_code == 400
    text = response.content.decode()
    assert "制御文字" in text and "control character" in text


def test_nul_in_form_data_is_refused_before_any_view_runs(client):
    response = client.post("/login/", {"email": "a\x00@example.jp", "password": "x"})
    assert response.status_code == 400


def test_ordinary_requests_pass(client):
    assert client.get("/procedures/?q=住民票").status_code == 200
