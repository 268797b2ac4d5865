"""The phone's pre-fill pages and the counter screen through the Django test client (no JavaScript)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from madoguchi.accounts.tests.factories import PASSWORD, ResidentFactory
from madoguchi.cases.models import Case, Channel
from madoguchi.core.models import AuditEvent
from madoguchi.counter import printing, services
from madoguchi.counter.models import Bundle, Visit
from madoguchi.counter.tests.support import FORMS, SHARED, counter_clerk, publish_procedures
from madoguchi.residents.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
GUIDE_QUERY = "kokuho=yes&other_children=no&nursery=no&date=2026-01-10&answered=1"


@pytest.fixture(autouse=True)
def _setup(db):
    cache.clear()
    publish_procedures()
    yield
    cache.clear()


def _post_value(data: dict, name: str, value) -> None:
    if isinstance(value, dict):
        for part, text in value.items():
            data[f"{name}.{part}"] = text
    elif value is True:
        data[name] = "on"
    else:
        data[name] = value


def _fill_phone(client) -> str:
    """Start from the guide result, fill every page, review, and return the done page's HTML."""
    result = client.get(f"/guide/birth/?{GUIDE_QUERY}")
    assert "まとめて入力する" in result.content.decode()
    start = client.get(f"/prefill/birth/?{GUIDE_QUERY}")
    names = re.findall(r'name="procedure" value="([a-z-]+)"', start.content.decode())
    assert names == ["jido-teate", "kodomo-iryohi", "kokuho-kanyu"]
    response = client.post(
        f"/prefill/birth/?{GUIDE_QUERY}", {"procedure": names, "kokuho": "yes", "other_children": "no"}
    )
    number = 1
    while response.status_code == 302 and "/pages/" in response["Location"]:
        page = client.get(response["Location"])
        html = page.content.decode()
        data = {}
        for name in dict.fromkeys(re.findall(r'name="([a-z0-9_]+)(?:\.[a-z_]+)?"', html)):
            if name.startswith("shared_"):
                label = re.search(rf'for="f-{name}"[^>]*>\s*([^<]+?)\s*<', html)
                key = {
                    "氏名": "prefill:person.name",
                    "氏名（フリガナ）": "prefill:person.name_kana",
                    "郵便番号": "prefill:person.postal_code",
                    "住所": "prefill:person.address",
                    "電話番号": "prefill:person.phone",
                }[label.group(1)]
                _post_value(data, name, SHARED[key])
            else:
                for values in FORMS.values():
                    if name in values and name != "agree":
                        _post_value(data, name, values[name])
                if name == "agree":
                    data[name] = "on"
        response = client.post(response["Location"], data)
        assert response.status_code == 302, page.content.decode()[:3000]
        number += 1
    assert response["Location"].endswith("/prefill/review/")
    review = client.get("/prefill/review/")
    assert review.status_code == 200 and "緑川 花子" in review.content.decode()
    assert "健康保険の資格がわかる書類の写し" in review.content.decode()  # documents to bring
    done = client.post("/prefill/review/")
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    return done.content.decode()


def test_phone_prefill_to_counter_case(client):
    html = _fill_phone(client)
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    code = re.search(r'id="short-code"[^>]*>([A-Z0-9-]{9})<', html).group(1)
    assert Bundle.objects.get().issued_at is not None

    staff = counter_clerk(password=PASSWORD)
    client.force_login(staff)
    desk = client.get(reverse("counter:desk"))
    assert desk.status_code == 200 and "data-counter-scan" in desk.content.decode()
    response = client.post(reverse("counter:desk"), {"code": code.lower()})
    visit = Visit.objects.get()
    assert response["Location"] == reverse("counter:visit", args=[visit.pk])
    person = PersonFactory(name="緑川　花子", birth_date="1985-04-01")
    page = client.get(response["Location"]).content.decode()
    assert f'value="{person.pk}"' in page  # suggested from the bundle's name and birth date
    client.post(reverse("counter:person", args=[visit.pk]), {"person": person.pk})
    client.post(reverse("counter:identity", args=[visit.pk]), {"document": "drivers_license", "note": ""})
    client.post(reverse("counter:confirm", args=[visit.pk]))
    assert Case.objects.filter(channel=Channel.COUNTER, person=person).count() == 3
    page = client.get(reverse("counter:visit", args=[visit.pk])).content.decode()
    assert "申請済み" in page and "まとめて印刷" in page


def test_desk_refuses_a_bad_code_with_a_message(client):
    client.force_login(counter_clerk())
    response = client.post(reverse("counter:desk"), {"code": "ZZZZ-ZZZZ"})
    assert response.status_code == 400
    assert "見つかりません" in response.content.decode()
    english = client.post("/en/office/counter/", {"code": "ZZZZ-ZZZZ"})
    assert "No bundle has this code" in english.content.decode()
    assert not Visit.objects.exists()
    assert AuditEvent.objects.filter(action="refused", object_type="counter_bundle").count() == 2


def test_counter_pages_are_for_staff_only(client):
    assert client.get(reverse("counter:desk")).status_code == 302
    client.force_login(ResidentFactory())
    assert client.get(reverse("counter:desk")).status_code == 404
    clerk, other = counter_clerk(), counter_clerk()
    visit = services.start_visit(staff=clerk, guide_id="birth", slugs=["kodomo-iryohi"])
    client.force_login(other)
    assert client.get(reverse("counter:visit", args=[visit.pk])).status_code == 404


def test_without_a_prefill_the_clerk_answers_the_guide_and_fills_the_forms(client):
    staff = counter_clerk()
    client.force_login(staff)
    page = client.get(f"/office/counter/start/birth/?{GUIDE_QUERY}").content.decode()
    assert 'value="jido-teate" checked' in page and 'value="kokuho-kanyu" checked' in page
    response = client.post(
        "/office/counter/start/birth/",
        {"kokuho": "yes", "other_children": "no", "nursery": "no", "procedure": ["kodomo-iryohi"]},
    )
    visit = Visit.objects.get()
    assert not visit.from_bundle
    form = visit.forms.get()
    url = reverse("counter:form", args=[visit.pk, form.pk])
    invalid = client.post(url, {"guardian_name": ""})
    assert invalid.status_code == 200 and 'role="alert"' in invalid.content.decode()
    data = {
        "guardian_name": "緑川 花子",
        "guardian_kana": "ミドリカワ ハナコ",
        "guardian_postal_code": "100-0001",
        "guardian_address": "東京都千代田区千代田1番1号",
        "guardian_phone": "090-1234-5678",
    }
    data.update({k: ("on" if v is True else v) for k, v in FORMS["kodomo-iryohi"].items()})
    assert client.post(url, data).status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "入力済み" in page and "国民健康保険の加入届" in page  # the guide's follow-on, one click away
    client.post(reverse("counter:add_form", args=[visit.pk]), {"procedure": "kokuho-kanyu"})
    assert visit.forms.count() == 2


def test_printing_failure_keeps_the_cases_and_offers_a_retry(client, monkeypatch):
    staff = counter_clerk()
    client.force_login(staff)
    visit = services.start_visit(staff=staff, guide_id="birth")
    services.add_form(visit=visit, slug="kodomo-iryohi", staff=staff, follow_on=False)
    form = visit.forms.get()
    services.save_form(
        form=form,
        staff=staff,
        raw={
            "guardian_name": "緑川 花子",
            "guardian_kana": "ミドリカワ ハナコ",
            "guardian_postal_code": "100-0001",
            "guardian_address": "東京都千代田区千代田1番1号",
            "guardian_phone": "090-1234-5678",
            **FORMS["kodomo-iryohi"],
        },
    )
    services.record_identity_check(visit=visit, staff=staff, document="passport")
    services.confirm_visit(visit=visit, staff=staff)

    def broken(forms, *, basics):
        raise printing.PrintFailed(
            "print_failed", "帳票を作成できませんでした。", "The forms could not be produced."
        )

    monkeypatch.setattr(printing, "render_pdf", broken)
    response = client.post(reverse("counter:print", args=[visit.pk]), follow=True)
    assert (
        "帳票を作成できませんでした" in response.content.decode()
        and "まとめて印刷" in response.content.decode()
    )
    assert Case.objects.count() == 1
    visit.refresh_from_db()
    assert visit.printed_at is None

    monkeypatch.undo()
    response = client.post(reverse("counter:print", args=[visit.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    qr_text = "|".join(["MDG1", Case.objects.get().reference])
    assert qr_text.encode() not in response.content  # the QR is an image, not text: decoded in the e2e test
    visit.refresh_from_db()
    assert visit.printed_at is not None
    client.post(reverse("counter:mark", args=[visit.pk, "signed"]))
    client.post(reverse("counter:mark", args=[visit.pk, "done"]))
    visit.refresh_from_db()
    assert visit.signed_at and visit.done_at
    assert AuditEvent.objects.filter(action="print", object_type="counter_visit").count() == 1


def test_a_name_outside_the_printing_font_is_flagged_never_replaced(monkeypatch):
    """𠮷 (U+20BB7) is not in IPAex: the clerk is told which character, and nothing is printed without it."""
    from madoguchi.procedures.forms import render
    from madoguchi.procedures.forms.render import MissingGlyphs

    def missing(*args, **kwargs):
        raise MissingGlyphs(["𠮷"], "applicant_name")

    monkeypatch.setattr(render, "render_forms", missing)  # printing imports it when it prints
    monkeypatch.setattr(printing, "printable_form", lambda **kwargs: kwargs)
    with pytest.raises(printing.PrintFailed) as caught:
        printing.render_pdf([printing.FormToPrint(None, {}, "ABCD-EFGH")], basics={})
    assert caught.value.code == "print_missing_glyphs"
    assert "𠮷" in caught.value.message("ja") and "U+20BB7" in caught.value.message("en")


def test_a_protected_address_is_never_shown(client):
    staff = counter_clerk()
    client.force_login(staff)
    person = PersonFactory(name="緑川　花子", support_measure=True)
    visit = services.start_visit(staff=staff, guide_id="birth")
    page = client.get(reverse("counter:visit", args=[visit.pk]) + "?name=緑川").content.decode()
    assert "緑町" not in page and "支援措置対象のため表示できません" in page
    client.post(reverse("counter:person", args=[visit.pk]), {"person": person.pk})
    page = client.get(reverse("counter:visit", args=[visit.pk])).content.decode()
    assert "緑町" not in page and "支援措置対象のため表示できません" in page


def test_the_phone_pages_start_again_when_the_bundle_is_gone(client):
    response = client.get("/prefill/pages/1/")
    assert response.status_code == 302 and response["Location"] == reverse("guide:index")
