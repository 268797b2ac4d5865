"""The field template: labels, hints and errors wired up for screen readers, in the UI's language."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string

from madoguchi.procedures.schema import (
    Message,
    UploadedFileInfo,
    field_context,
    prefill_values,
    step_context,
    validate,
)
from madoguchi.procedures.spec import load_procedure_file

from .conftest import REPO_PROCEDURES
from .test_schema import ALL_TYPES, HOUSEHOLD, TODAY


class Page(HTMLParser):
    """Collects elements with their attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag=None, **attrs):
        return [
            a
            for t, a in self.elements
            if (tag is None or t == tag) and all(a.get(k) == v for k, v in attrs.items())
        ]

    def one(self, tag=None, **attrs):
        [found] = self.all(tag, **attrs)
        return found

    @property
    def ids(self):
        return {a["id"] for _, a in self.elements if "id" in a}

    @property
    def plain(self):
        return " ".join(" ".join(self.text).split())


def render(field) -> Page:
    return Page(render_to_string("procedures/field.html", {"field": field}))


def assert_accessible(page: Page):
    """Every control has a label; every reference points at an element of the page."""
    for tag, attrs in page.elements:
        for reference in attrs.get("aria-describedby", "").split():
            assert reference in page.ids, f"aria-describedby {reference} missing"
        if tag == "label":
            assert attrs["for"] in page.ids
        if tag in ("input", "select", "textarea"):
            assert page.all("label", **{"for": attrs["id"]}), f"no label for {attrs['id']}"


@pytest.fixture
def spec(write_procedure):
    return load_procedure_file(write_procedure(ALL_TYPES, slug="all-types"))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_field_type_renders_accessibly_with_and_without_errors(spec, lang):
    result = validate(spec, {"purpose": "other", "note": "x", "account": {"bank_code": "9999"}}, today=TODAY)
    assert result.errors
    for f in spec.fields:
        for errors in (None, result.errors.get(f.id)):
            page = render(field_context(f, None, errors, lang, spec=spec, household=HOUSEHOLD))
            assert_accessible(page)


def test_text_input_with_error_in_japanese(spec):
    errors = validate(spec, {}, today=TODAY).errors["name"]
    page = render(field_context(spec.field("name"), "", errors, "ja", spec=spec))
    control = page.one("input", id="f-name")
    assert control["aria-invalid"] == "true"
    assert "required" in control
    assert control["aria-describedby"] == "f-name-error"
    assert control["autocomplete"] == "name"
    assert control["maxlength"] == "10"
    assert "必須" in page.plain
    assert "エラー： 必須項目です。入力してください。" in page.plain


def test_error_in_english_and_optional_marker(spec):
    errors = validate(spec, {"email": "nope"}, step_id="person", today=TODAY).errors["email"]
    page = render(field_context(spec.field("email"), "nope", errors, "en", spec=spec))
    control = page.one("input", id="f-email")
    assert control["type"] == "email" and control["inputmode"] == "email" and control["value"] == "nope"
    assert "f-email-error" in control["aria-describedby"].split()
    assert "Error: This email address is not valid." in page.plain
    assert "Optional" in page.plain


def test_input_modes_and_autocomplete(spec):
    attrs = {
        f.id: render(field_context(f, None, None, "ja", spec=spec)).all("input", id=f"f-{f.id}")
        for f in spec.fields
        if f.type in ("postal_code", "phone", "date", "number", "money")
    }
    assert (
        attrs["postal"][0]["inputmode"] == "numeric" and attrs["postal"][0]["autocomplete"] == "postal-code"
    )
    assert attrs["phone"][0]["type"] == "tel" and attrs["phone"][0]["autocomplete"] == "tel"
    assert attrs["birth"][0]["autocomplete"] == "bday"
    assert attrs["copies"][0]["inputmode"] == "numeric" and attrs["copies"][0]["value"] == "1"  # the default
    assert attrs["income"][0]["inputmode"] == "numeric"


def test_my_number_input_is_numeric_not_autocompleted_and_never_filled_in(spec):
    typed = "1234-5678-9017"  # a wrong check digit: the page comes back with an error, without the number
    errors = validate(spec, {"my_number": typed}, step_id="person", today=TODAY).errors["my_number"]
    html = render_to_string(
        "procedures/field.html",
        {"field": field_context(spec.field("my_number"), typed, errors, "ja", spec=spec)},
    )
    control = Page(html).one("input", id="f-my_number")
    assert (control["inputmode"], control["autocomplete"], control["value"]) == ("numeric", "off", "")
    assert control["aria-invalid"] == "true"
    assert "検査用数字" in Page(html).plain
    assert "5678" not in html and "9017" not in html


def test_postal_code_points_at_the_address_it_fills(spec):
    page = render(field_context(spec.field("postal"), "", None, "ja", spec=spec))
    control = page.one("input", id="f-postal")
    assert control["data-autofill-target"] == "f-address"
    assert control["data-autofill-url"] == "/api/v1/postal-codes/"
    assert page.one("p", id=control["data-autofill-status"])["aria-live"] == "polite"
    assert "<script" not in render_to_string(
        "procedures/field.html", {"field": field_context(spec.field("postal"), "", None, "ja", spec=spec)}
    )


def test_radio_and_checkbox_groups_use_fieldset_and_legend(spec):
    page = render(field_context(spec.field("items"), ["honseki"], None, "ja", spec=spec))
    assert page.all("fieldset") and page.all("legend")
    boxes = page.all("input", type="checkbox", name="items")
    assert [b["value"] for b in boxes] == ["head", "honseki"]
    assert ["checked" in b for b in boxes] == [False, True]
    page = render(field_context(spec.field("delivery"), "mail", None, "en", spec=spec))
    assert [("checked" in r) for r in page.all("input", type="radio")] == [False, True]


def test_required_if_is_explained_next_to_the_label(spec):
    page = render(field_context(spec.field("purpose_other"), None, None, "ja", spec=spec))
    assert "「目的」で「その他」を選んだ場合は必須" in page.plain
    assert "required" not in page.one("input", id="f-purpose_other")


def test_household_members_as_checkboxes_or_as_names(spec):
    page = render(
        field_context(
            spec.field("members"), [{"id": "p2", "name": "緑　花子"}], None, "ja", household=HOUSEHOLD
        )
    )
    boxes = page.all("input", type="checkbox")
    assert [(b["value"], "checked" in b) for b in boxes] == [("p1", False), ("p2", True)]
    assert "緑 太郎（世帯主）" in page.plain  # .plain folds the ideographic space
    page = render(field_context(spec.field("members"), "緑　花子", None, "en"))
    assert page.all("textarea", id="f-members")
    assert "Enter one name per line." in page.plain


def test_bank_account_parts_show_their_own_errors(spec):
    errors = validate(
        spec,
        {
            "delivery": "mail",  # the account is asked when the delivery is by mail
            "account": {
                "bank_code": "9999",
                "branch_code": "001",
                "account_type": "ordinary",
                "account_number": "1",
                "holder": "ﾐﾄﾞﾘ",
            },
        },
        step_id="details",
        today=TODAY,
    ).errors["account"]
    page = render(field_context(spec.field("account"), {"bank_code": "9999"}, errors, "ja", spec=spec))
    assert_accessible(page)
    bank = page.one("input", name="account.bank_code")
    assert bank["aria-invalid"] == "true" and bank["value"] == "9999"
    assert "f-account-bank-code-error" in bank["aria-describedby"]
    assert "この金融機関コードは見つかりませんでした" in page.plain
    assert "aria-invalid" not in page.one("input", name="account.branch_code")
    assert [o["value"] for o in page.all("option")] == ["", "ordinary", "current", "savings"]


def test_file_input_names_types_and_size(spec):
    kept = [{"name": "a.jpg", "size": 500, "content_type": "image/jpeg"}]
    page = render(field_context(spec.field("photos"), kept, None, "ja", spec=spec))
    control = page.one("input", type="file")
    assert control["accept"] == "image/jpeg,image/png" and "multiple" in control
    assert "JPEG・PNG（2個まで、1ファイル1000 Bまで）" in page.plain
    assert "添付済み： a.jpg (500 B)" in page.plain


def test_readonly_prefilled_field_shows_the_register_value_without_an_input(spec):
    values = prefill_values(spec, {"person.birth_date": "1985-04-01", "person.name": "緑　太郎"})
    page = render(field_context(spec.field("birth"), values["birth"], None, "ja", readonly=True))
    assert not page.all("input")
    assert "昭和60年（1985年）4月1日" in page.plain and "住民記録より" in page.plain
    page = render(field_context(spec.field("name"), values["name"], None, "en", readonly=True))
    assert "From the resident register" in page.plain
    # Nothing in the register: the resident types it.
    page = render(field_context(spec.field("phone"), None, None, "ja", readonly=True))
    assert page.all("input", id="f-phone") and "住民記録より" not in page.plain


def test_step_context_of_every_shipped_procedure_renders(tmp_path):
    for path in sorted(REPO_PROCEDURES.glob("*.yaml")):
        spec = load_procedure_file(path)
        for step in spec.steps:
            for lang in ("ja", "en"):
                context = step_context(spec, step.id, {}, {}, lang, readonly={"applicant_name"})
                for field in context["fields"]:
                    assert_accessible(render(field))
                assert context["has_files"] == any(f.type == "file" for f in step.fields)


def test_messages_of_the_view_model_follow_the_language(spec):
    message = Message("x", "日本語のメッセージ", "English message")
    assert field_context(spec.field("name"), "", [message], "en")["errors"] == ["English message"]
    assert field_context(spec.field("name"), "", [message], "ja")["errors"] == ["日本語のメッセージ"]
    assert UploadedFileInfo(name="a", size=1).head == b""
