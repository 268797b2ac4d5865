"""A returned 確認書 through the paper intake: the printed letter → a filled, scanned page → `intake scan` →
verification → the household's paper application (through `services.apply`), with the real OCR engine; and
what must not happen — a second payment from a rescan or after an online application, a letter of a closed
program or with a forged reference filed, an account that does not exist paid."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import secrets
import unicodedata

import pytest
from django.core.management import call_command

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import IdentityLinkFactory, ResidentFactory, StaffFactory
from madoguchi.benefits import letters, printing, services
from madoguchi.benefits.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Channel,
    Confirmation,
    Payment,
    PaymentStatus,
)
from madoguchi.benefits.paper import source
from madoguchi.core.models import AuditEvent
from madoguchi.intake import services as intake_services
from madoguchi.intake.models import FieldReading, PaperForm, ReadingStatus
from madoguchi.intake.tests.support import attach_scans
from madoguchi.notify.models import Notice
from madoguchi.residents.models import Person

from .scans import returned_letter
from .support import make_household, make_program

CONTRACT_KEYS = {"file", "page", "status", "procedure", "version", "case", "fields"}
NEW_ACCOUNT = {
    "confirm": True,
    "bank_code": "0001",
    "branch_code": "001",
    "account_type": "1",
    "account_number": "7654321",
    "holder_kana": "ミドリカワ ハナコ",
    "decline": False,  # the 辞退 box left empty
}


def scan(capsys, *paths):
    capsys.readouterr()
    call_command("intake", "scan", *[str(p) for p in paths], "--batch", "test", "--json")
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def same(value, truth) -> bool:
    """A value read compared with what was written: numbers as numbers (0001 is 1), kana by width."""
    if isinstance(truth, bool) or truth is None:
        return bool(value) == bool(truth)
    if isinstance(value, int):
        return value == int(truth)
    return unicodedata.normalize("NFKC", str(value)).split() == unicodedata.normalize("NFKC", truth).split()


def verify_all(form: PaperForm, truth: dict, clerk) -> None:
    """A person checks every unsure field against the paper (the truth): accepts or types it."""
    for reading in form.readings.filter(status=ReadingStatus.PENDING):
        right = truth.get(reading.field_id)
        if same(reading.proposed, right):
            intake_services.verify_reading(reading=reading, actor=clerk)
        else:
            intake_services.verify_reading(reading=reading, actor=clerk, raw=right or "")


@pytest.fixture
def clerk(db, clerk):
    """The benefits room's clerk (a reviewer of 福祉): the intake shows a returned 確認書 to the benefits staff."""
    return clerk


def _letters(tmp_path, program, layout="a4"):
    path = tmp_path / f"letters-{layout}.pdf"
    printing.print_letters(program=program, path=path, layout=layout, reprint=True)
    return path.read_bytes()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("layout", ["a4", "hagaki"])
def test_a_returned_letter_with_a_new_account_becomes_the_households_paper_application(
    layout, tmp_path, capsys, clerk
):
    program = make_program()
    household = make_household()
    services.compute_eligibility(program=program)
    scan_path = tmp_path / "scan.pdf"
    scan_path.write_bytes(
        returned_letter(_letters(tmp_path, program, layout), NEW_ACCOUNT, program=program, layout=layout)
    )

    (line,) = scan(capsys, scan_path)

    assert set(line) == CONTRACT_KEYS
    assert (line["status"], line["procedure"], line["version"]) == (
        "read", f"benefit:{program.slug}", letters.LAYOUT_VERSIONS[layout],
    )  # fmt: skip
    form = PaperForm.objects.get()
    assert form.case_number == Confirmation.objects.get().reference
    verify_all(form, NEW_ACCOUNT, clerk)
    form.refresh_from_db()
    assert form.status == PaperForm.Status.DONE
    application = Application.objects.get(household=household)
    assert (application.channel, application.status) == (Channel.PAPER, ApplicationStatus.RECEIVED)
    assert form.filed_as == application.number
    assert (application.bank_code, application.branch_code, application.account_type) == ("0001", "001", "1")
    assert (application.account_number, application.holder_kana) == ("7654321", "ﾐﾄﾞﾘｶﾜ ﾊﾅｺ")
    assert application.account_corrected
    # Every field the machine accepted by itself was read right.
    for reading in form.readings.filter(status=ReadingStatus.AUTO):
        assert same(reading.value, NEW_ACCOUNT[reading.field_id]), reading.field_id
    if line["case"] is not None:  # filed by the scan itself: the JSON names the application
        assert line["case"] == application.number


@pytest.mark.django_db(transaction=True)
def test_a_rescan_or_an_earlier_online_application_becomes_a_conflict_never_a_second_payment(
    tmp_path, capsys, clerk
):
    program = make_program()
    household = make_household()
    online_first = make_household()
    services.compute_eligibility(program=program)
    services.apply(program=program, household=online_first, channel=Channel.ONLINE)
    pdf = _letters(tmp_path, program)
    ticked = {"confirm": True}
    first, again, rescan, other = (tmp_path / name for name in ("a.pdf", "b.pdf", "c.pdf", "d.pdf"))
    first.write_bytes(returned_letter(pdf, ticked, program=program, index=0, seed=1))
    again.write_bytes(first.read_bytes())  # the same file sent twice
    rescan.write_bytes(returned_letter(pdf, ticked, program=program, index=0, seed=2))  # scanned again
    other.write_bytes(returned_letter(pdf, ticked, program=program, index=1, seed=3))

    lines = scan(capsys, first, again, rescan, other)

    assert [line["status"] for line in lines] == ["read", "duplicate", "read", "read"]
    for form in PaperForm.objects.filter(status=PaperForm.Status.VERIFYING):
        verify_all(form, ticked, clerk)
    mine = Application.objects.filter(household=household).order_by("pk")
    assert [(a.channel, a.status) for a in mine] == [
        (Channel.PAPER, ApplicationStatus.RECEIVED),
        (Channel.PAPER, ApplicationStatus.CONFLICT),
    ]
    assert mine[0].bank_code == "0005" and not mine[0].account_corrected  # the pre-filled account
    theirs = Application.objects.filter(household=online_first).order_by("pk")
    assert [(a.channel, a.status) for a in theirs] == [
        (Channel.ONLINE, ApplicationStatus.RECEIVED),
        (Channel.PAPER, ApplicationStatus.CONFLICT),
    ]
    assert lines[1]["case"] == mine[0].number  # the duplicate answers with what the first became

    report = services.approve_received(program=program)

    assert report.approved == 2
    assert Payment.objects.filter(household=household).count() == 1
    assert Payment.objects.filter(household=online_first).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_letter_of_a_closed_program_or_with_an_unknown_reference_is_not_filed(tmp_path, capsys, clerk):
    closed = make_program(slug="closed-kyufu", deadline=dt.date(2025, 12, 31))
    household = make_household()
    services.compute_eligibility(program=closed)
    late = tmp_path / "late.pdf"
    late.write_bytes(returned_letter(_letters(tmp_path, closed), {"confirm": True}, program=closed))
    program = make_program()
    services.compute_eligibility(program=program)
    forged = letters.Letter(
        number="C9-9", program_slug=program.slug, program_title=program.title_ja, postal_code="",
        address="", name="", amount=1, members=1, deadline=None, reference=secrets.token_hex(16),
    )  # fmt: skip
    pdf, _pages = letters.render_letters([forged], city_name="みどり市")
    unknown = tmp_path / "unknown.pdf"
    unknown.write_bytes(returned_letter(pdf, {"confirm": True}, program=program))

    lines = scan(capsys, late, unknown)

    assert [(line["status"], line["case"]) for line in lines] == [("read", None), ("read", None)]
    forms = list(PaperForm.objects.order_by("pk"))
    assert [f.status for f in forms] == [PaperForm.Status.INVALID] * 2
    assert "申請期限" in forms[0].problem and "deadline" in forms[0].problem
    assert "参照番号" in forms[1].problem
    assert not Application.objects.exists()
    reading = forms[0].readings.first()
    with pytest.raises(intake_services.VerificationError, match="cannot be filed"):
        intake_services.verify_reading(reading=reading, actor=clerk)
    assert not Application.objects.filter(household=household).exists()


@pytest.mark.django_db(transaction=True)
def test_a_bank_that_does_not_exist_is_checked_by_a_person_then_sent_back_to_the_resident(
    tmp_path, capsys, clerk
):
    program = make_program()
    household = make_household()
    head = Person.objects.get(household=household)
    resident = ResidentFactory()
    IdentityLinkFactory(user=resident, person=head)
    services.compute_eligibility(program=program)
    written = {**NEW_ACCOUNT, "bank_code": "9899"}  # no bank has this code
    path = tmp_path / "scan.pdf"
    path.write_bytes(returned_letter(_letters(tmp_path, program), written, program=program))

    scan(capsys, path)

    form = PaperForm.objects.get()
    bank = form.readings.get(field_id="bank_code")
    assert bank.status == ReadingStatus.PENDING  # a person looks at it, even when read with confidence
    assert any("9899" in check["ja"] for check in bank.checks)
    assert not Application.objects.exists()
    verify_all(form, written, clerk)  # the paper says 9899: confirmed as written

    application = Application.objects.get(household=household)
    assert (application.channel, application.status) == (
        Channel.PAPER,
        ApplicationStatus.RETURNED_TO_RESIDENT,
    )
    assert application.bank_code == "9899"
    notice = Notice.objects.get(recipient=resident)
    assert application.number in notice.body_ja
    assert services.approve_received(program=program).approved == 0
    assert not Payment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_ticked_decline_box_is_read_looked_at_by_a_person_and_declines_the_benefit(tmp_path, capsys, clerk):
    program = make_program()
    household = make_household()
    services.compute_eligibility(program=program)
    declined = {"decline": True}
    path = tmp_path / "scan.pdf"
    path.write_bytes(returned_letter(_letters(tmp_path, program), declined, program=program, seed=4))

    (line,) = scan(capsys, path)

    assert (line["status"], line["version"], line["case"]) == ("read", letters.LAYOUT_VERSIONS["a4"], None)
    assert line["fields"]["decline"]["value"] is True and line["fields"]["decline"]["accepted"] is False
    form = PaperForm.objects.get()
    tick = form.readings.get(field_id="decline")
    assert (
        tick.proposed is True and tick.status == ReadingStatus.PENDING
    )  # a person always looks at a decline
    assert any("辞退の印" in check["ja"] for check in tick.checks)
    assert not Application.objects.exists()  # nothing is filed while it waits
    for field_id in ("confirm", *letters.ACCOUNT_FIELDS):  # the empty boxes read as empty
        assert not same(form.readings.get(field_id=field_id).value, True), field_id

    verify_all(form, declined, clerk)  # the paper has the tick

    form.refresh_from_db()
    decline = Application.objects.get(household=household)
    assert (decline.kind, decline.status, decline.channel, decline.staff) == (
        ApplicationKind.DECLINE, ApplicationStatus.DECLINED, Channel.PAPER, clerk,
    )  # fmt: skip
    assert form.status == PaperForm.Status.DONE and form.filed_as == decline.number
    assert list(Payment.objects.values_list("status", "amount")) == [(PaymentStatus.DECLINED, 0)]


@pytest.mark.django_db(transaction=True)
def test_a_letter_with_the_decline_box_and_an_account_goes_to_staff_as_a_conflict(tmp_path, capsys, clerk):
    program = make_program()
    household = make_household()
    services.compute_eligibility(program=program)
    both = {**NEW_ACCOUNT, "decline": True}
    path = tmp_path / "scan.pdf"
    path.write_bytes(
        returned_letter(_letters(tmp_path, program, "hagaki"), both, program=program, layout="hagaki", seed=5)
    )

    (line,) = scan(capsys, path)
    assert line["version"] == letters.LAYOUT_VERSIONS["hagaki"] and line["fields"]["decline"]["value"] is True
    verify_all(PaperForm.objects.get(), both, clerk)

    filed = list(Application.objects.filter(household=household).order_by("pk"))
    assert [(a.kind, a.status) for a in filed] == [
        (ApplicationKind.DECLINE, ApplicationStatus.CONFLICT),
        (ApplicationKind.APPLICATION, ApplicationStatus.CONFLICT),
    ]  # nothing guessed: staff see both side by side
    assert filed[1].account_number == "7654321"
    assert PaperForm.objects.get().filed_as == filed[0].number
    assert not Payment.objects.exists()
    assert services.approve_received(program=program).approved == 0


# --- without the engine: a form as the engine leaves it, then a person's decisions --------------------------


def _read_form(program, values: dict, *, pending=(), reference=None) -> PaperForm:
    """A 確認書's form with its readings (all read right and accepted, except `pending`), as `read_form` leaves
    it, without scanning."""
    batch = intake_services.start_batch(name="test", source="cli")
    reference = reference or Confirmation.objects.filter(eligibility__program=program).first().reference
    form = PaperForm.objects.create(
        batch=batch, source_key=letters.form_key(program.slug), source_version=letters.LAYOUT_VERSIONS["a4"],
        case_number=reference, page_count=1, status=PaperForm.Status.VERIFYING,
    )  # fmt: skip
    for position, field_id in enumerate((letters.CONFIRM, *letters.ACCOUNT_FIELDS, letters.DECLINE)):
        value = values.get(field_id)
        unsure = field_id in pending
        FieldReading.objects.create(
            form=form, field_id=field_id, position=position, proposed=value, value=value,
            engine_confidence=0.5 if unsure else 0.99, confidence=0.5 if unsure else 0.99,
            status=ReadingStatus.PENDING if unsure else ReadingStatus.AUTO,
        )  # fmt: skip
    return form


@pytest.mark.django_db
def test_a_letter_with_neither_tick_nor_account_goes_back_to_a_person(clerk):
    program = make_program()
    household = make_household()
    services.compute_eligibility(program=program)
    form = _read_form(program, {"confirm": False}, pending=("confirm",))
    confirm = form.readings.get(field_id="confirm")

    intake_services.verify_reading(reading=confirm, actor=clerk)  # "nothing ticked", as read

    confirm.refresh_from_db()
    assert confirm.status == ReadingStatus.PENDING and "確認の印" in confirm.error
    assert not Application.objects.exists()
    intake_services.verify_reading(reading=confirm, actor=clerk, raw="on")  # the paper has a faint tick
    form.refresh_from_db()
    application = Application.objects.get(household=household)
    assert form.filed_as == application.number and application.status == ApplicationStatus.RECEIVED


@pytest.mark.django_db
def test_an_unreadable_account_waits_for_a_person_and_a_partial_one_goes_back_to_the_resident(clerk):
    program = make_program()
    household = make_household(account=False)
    services.compute_eligibility(program=program)
    values = {"confirm": True, "bank_code": 5, "branch_code": None, "account_type": "1",
              "account_number": None, "holder_kana": ""}  # fmt: skip
    form = _read_form(program, values, pending=("branch_code", "account_number"))

    assert not Application.objects.exists()  # nothing is filed while a field waits
    branch = form.readings.get(field_id="branch_code")
    with pytest.raises(intake_services.VerificationError):
        intake_services.verify_reading(reading=branch, actor=clerk, raw="12345")  # too many digits
    assert not Application.objects.exists()
    intake_services.verify_reading(reading=branch, actor=clerk, raw="1")
    intake_services.verify_reading(
        reading=form.readings.get(field_id="account_number"), actor=clerk
    )  # illegible on paper too: left empty

    application = Application.objects.get(household=household)
    assert (application.channel, application.status) == (
        Channel.PAPER,
        ApplicationStatus.RETURNED_TO_RESIDENT,
    )


@pytest.mark.django_db
def test_a_ticked_letter_without_any_account_is_sent_back_to_the_resident(clerk):
    program = make_program()
    household = make_household(account=False)
    services.compute_eligibility(program=program)
    form = _read_form(program, {"confirm": True}, pending=("confirm",))

    intake_services.verify_reading(reading=form.readings.get(field_id="confirm"), actor=clerk)

    application = Application.objects.get(household=household)
    assert application.status == ApplicationStatus.RETURNED_TO_RESIDENT
    assert application.note == "振込先の口座の記入がありません。"


@pytest.mark.django_db
def test_a_paper_decline_beside_an_application_is_a_conflict_and_a_second_one_cannot_be_filed(clerk):
    program = make_program()
    applied, declined = make_household(), make_household()
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=applied, channel=Channel.ONLINE)
    first = services.decline(program=program, household=declined, channel=Channel.ONLINE)
    ticks = {"decline": True}
    references = dict(Confirmation.objects.values_list("eligibility__household_id", "reference"))

    beside = _read_form(program, ticks, pending=("decline",), reference=references[applied.pk])
    again = _read_form(program, ticks, pending=("decline",), reference=references[declined.pk])
    intake_services.verify_reading(reading=beside.readings.get(field_id="decline"), actor=clerk)
    intake_services.verify_reading(reading=again.readings.get(field_id="decline"), actor=clerk)

    beside.refresh_from_db()
    decline = Application.objects.get(household=applied, kind=ApplicationKind.DECLINE)
    assert decline.status == ApplicationStatus.CONFLICT and beside.filed_as == decline.number
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.RECEIVED
    again.refresh_from_db()
    assert again.status == PaperForm.Status.INVALID  # the household declined online already
    assert first.number in again.problem and "辞退" in again.problem
    assert Application.objects.filter(household=declined).count() == 1


@pytest.mark.django_db
def test_a_decline_box_read_empty_by_a_person_leaves_a_letter_with_nothing_to_file(clerk):
    program = make_program()
    make_household()
    services.compute_eligibility(program=program)
    form = _read_form(program, {"decline": True}, pending=("decline",))

    intake_services.verify_reading(reading=form.readings.get(field_id="decline"), actor=clerk, raw="")

    confirm = form.readings.get(field_id="confirm")
    assert confirm.status == ReadingStatus.PENDING and "確認の印" in confirm.error
    assert not Application.objects.exists()


@pytest.mark.django_db
def test_letters_printed_before_the_decline_box_are_read_with_every_box_where_it_was():
    program = make_program()
    key = letters.form_key(program.slug)
    for old, new in ((2, letters.LAYOUT_VERSIONS["a4"]), (3, letters.LAYOUT_VERSIONS["hagaki"])):
        before, now = source.layout(key, old), source.layout(key, new)
        assert "decline" not in {box.field_id for box in before.boxes}
        assert "decline" in {box.field_id for box in now.boxes}
        assert [b for b in now.boxes if b.field_id != "decline"] == list(before.boxes)
        assert before.pages[0].marks == now.pages[0].marks and before.page_size == now.page_size
    assert "decline" in {f.id for f in source.spec(key, 2).fields}  # no box: the engine reads nothing for it


@pytest.mark.django_db
def test_the_source_refuses_what_cannot_be_filed():
    program = make_program(channels=[Channel.ONLINE, Channel.COUNTER])
    make_household()
    services.compute_eligibility(program=program)
    reference = Confirmation.objects.get().reference
    key = letters.form_key(program.slug)

    assert "郵送" in source.refusal(key, 2, reference).ja  # the program takes no paper
    assert "参照番号" in source.refusal(key, 2, "0" * 32).ja
    assert "登録されていません" in source.refusal("benefit:nothing", 2, reference).ja
    assert source.layout(key, 1) is None  # the first A4 letter had nothing to read back
    assert source.layout(key, 2).page_size[0] == pytest.approx(595.28, abs=0.1)
    assert source.layout(key, 3).page_size == pytest.approx((283.46, 839.06), abs=0.1)


@pytest.mark.django_db
def test_the_intake_pages_show_a_letters_fields_and_why_one_cannot_be_filed(client, clerk):
    program = make_program()
    make_household()
    services.compute_eligibility(program=program)
    form = _read_form(program, {**NEW_ACCOUNT, "bank_code": 9899}, pending=("bank_code",))
    refused = _read_form(program, {"confirm": True}, reference="f" * 32)
    intake_services._refuse(refused, source.refusal(refused.source_key, 2, refused.case_number))
    client.force_login(clerk)

    home = client.get("/office/intake/").content.decode()
    assert "テスト給付金 支給要件確認書" in home
    assert f"/office/intake/forms/{refused.pk}/" in home  # listed under the forms that cannot be filed
    reading = form.readings.get(field_id="bank_code")
    verify = client.get(f"/office/intake/verify/{reading.pk}/").content.decode()
    assert "金融機関コード（4桁）" in verify and 'value="9899"' in verify
    page = client.get(f"/office/intake/forms/{refused.pk}/").content.decode()
    assert "参照番号" in page and "まとめて確定する" not in page
    english = client.get(f"/en/office/intake/forms/{refused.pk}/").content.decode()
    assert "Test benefit: confirmation letter" in english and "Cannot be filed" in english


@pytest.mark.django_db
def test_the_looks_at_a_returned_letter_name_its_addressee_and_the_auditor_finds_them(client, clerk):
    program = make_program()
    household = make_household(births=(dt.date(2012, 5, 5), dt.date(1980, 1, 1)))
    child, head = Person.objects.filter(household=household).order_by("pk")
    Person.objects.filter(pk=child.pk).update(relationship="子")
    Person.objects.filter(pk=head.pk).update(relationship="世帯主")  # the head is not the first member
    services.compute_eligibility(program=program)
    form = _read_form(program, {**NEW_ACCOUNT, "bank_code": 9899}, pending=("bank_code",))
    attach_scans(form)
    reading = form.readings.get(field_id="bank_code")
    assert source.person(form.source_key, form.case_number) == head.pk
    assert source.person(form.source_key, "0" * 32) is None  # a reference no letter has
    assert source.person("benefit:nothing", form.case_number) is None
    client.force_login(clerk)
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    whole = client.get(f"/office/intake/forms/{form.pk}/").content.decode()
    crops = [html.unescape(src) for src in re.findall(r'src="([^"]+crop\.png[^"]*)"', whole)]
    for url in crops:
        assert client.get(url).status_code == 200
    client.get(f"/office/intake/verify/{reading.pk}/")
    client.get(
        f"/office/intake/readings/{reading.pk}/crop.png"
    )  # without the page's token: a look of its own

    looks = AuditEvent.objects.filter(pk__gt=before).order_by("pk")
    assert len(crops) == form.readings.count() == 7
    # The whole form with its seven crops (the 辞退 box too), the field page with its crop, the crop alone:
    # three looks, three rows, each naming the person the letter is addressed to.
    assert [(e.object_type, e.person_id, len(e.fields)) for e in looks] == [
        ("paper_form", head.pk, 7),
        ("paper_form", head.pk, 1),
        ("paper_form", head.pk, 1),
    ]
    client.force_login(StaffFactory(department=None, role=Role.AUDITOR))
    shown = f"紙の申請書（読取）：{form.pk}</td>"  # a row's object, as the auditor's table shows it
    assert client.get("/office/audit/", {"person_id": head.pk}).content.decode().count(shown) == 3
    assert client.get("/office/audit/", {"person_id": child.pk}).content.decode().count(shown) == 0


@pytest.mark.django_db
def test_a_returned_letter_is_for_the_benefits_staff_only_in_the_intake(client, clerk):
    """A returned 確認書 shows the household's bank account: staff outside the benefits departments (auditors
    included) neither find it in the intake's queues nor open its form, fields, crops or page images; each
    refusal is audited. The benefits clerk sees all of it."""
    program = make_program()
    make_household()
    services.compute_eligibility(program=program)
    form = _read_form(program, {**NEW_ACCOUNT, "bank_code": 9899}, pending=("bank_code",))
    attach_scans(form)
    reading = form.readings.get(field_id="bank_code")
    urls = [
        f"/office/intake/forms/{form.pk}/",
        f"/office/intake/verify/{reading.pk}/",
        f"/office/intake/readings/{reading.pk}/crop.png",
        f"/office/intake/pages/{reading.page_id}/image.png",
    ]
    outsider = StaffFactory(role=Role.APPROVER)  # of another department
    auditor = StaffFactory(department=None, role=Role.AUDITOR)
    for staff in (outsider, auditor):
        client.force_login(staff)
        assert f"/office/intake/forms/{form.pk}/" not in client.get("/office/intake/").content.decode()
        following = client.get("/office/intake/verify/")  # the next field to check: not this letter's
        assert f"/verify/{reading.pk}/" not in following.get("Location", "")
        before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for url in urls:
            response = client.get(url)
            assert response.status_code == 403, (url, response.status_code)
            assert b"9899" not in response.content
        refusals = AuditEvent.objects.filter(pk__gt=before)
        assert [(e.action, e.actor_id) for e in refusals] == [("refused", staff.pk)] * len(urls)

    client.force_login(clerk)
    assert f"/office/intake/forms/{form.pk}/" in client.get("/office/intake/").content.decode()
    assert client.get("/office/intake/verify/")["Location"].endswith(f"/verify/{reading.pk}/")
    for url in urls:
        assert client.get(url).status_code == 200, url
