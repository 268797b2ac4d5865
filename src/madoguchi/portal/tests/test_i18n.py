import pytest
from django.urls import reverse
from django.utils import translation

from madoguchi.cases.models import Case
from madoguchi.portal.tests import factories

pytestmark = pytest.mark.django_db


def _en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def test_japanese_is_the_default(client, procedure):
    page = client.get("/").content.decode()
    assert '<html lang="ja">' in page
    assert "手続きをさがす" in page


@pytest.mark.parametrize(
    ("url", "texts"),
    [
        ("/en/", ["Find a procedure", "Sign up", "Skip to main content"]),
        (
            "/en/procedures/",
            ["Find a procedure", "Keyword", "Request for a copy of the certificate of residence"],
        ),
        (
            "/en/procedures/juminhyo-copy/",
            ["Who can apply", "What to bring", "300 yen per copy", "Apply online"],
        ),
        ("/en/login/", ["Sign in", "Password"]),
        ("/en/signup/", ["Create an account", "Email address"]),
    ],
)
def test_english_pages_render_english(client, procedure, url, texts):
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in page
    for text in texts:
        assert text in page
    assert "手続きをさがす" not in page
    assert "日本語" in page  # the switch back to Japanese


def test_language_switch_links_to_the_same_page(client, procedure):
    page = client.get("/procedures/juminhyo-copy/").content.decode()
    assert 'href="/en/procedures/juminhyo-copy/"' in page
    page = client.get("/en/procedures/juminhyo-copy/").content.decode()
    assert 'href="/procedures/juminhyo-copy/"' in page


def test_english_form_errors_and_steps(resident_client, procedure):
    client = resident_client
    client.post(_en("portal:apply", "juminhyo-copy"))
    case = Case.objects.get()
    url = _en("portal:apply_step", case.reference, "applicant")
    response = client.post(url, {**factories.JUMINHYO_STEPS["applicant"], "applicant_name": ""})
    page = response.content.decode()
    assert "Step 1 of 3" in page
    assert "Save as draft and continue later" in page
    assert "There is a problem" in page or "problem" in page
    assert "Full name" in page
    assert "入力" not in page


def test_english_sign_in_error(client):
    response = client.post(_en("portal:login"), {"email": "nobody@example.jp", "password": "x"})
    assert "The email address or password is not correct." in response.content.decode()
