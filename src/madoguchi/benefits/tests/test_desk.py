"""The staff's benefit desk: counter and paper applications entered for a resident, the receipt, rejecting and
sending back, who may, and every bad input answered with a message (never a 500, nothing half-written)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.benefits import services
from madoguchi.benefits.models import (
    Application,
    ApplicationStatus,
    Channel,
    Confirmation,
    Payment,
    PaymentStatus,
)
from madoguchi.core.models import AuditEvent
from madoguchi.residents.models import Person

from .support import make_household, make_program

pytestmark = pytest.mark.django_db

OTHER_ACCOUNT = {
    "source": "other",
    "bank_code": "０００１",  # full-width, as a clerk may type it
    "branch_code": "001",
    "account_type": "1",
    "account_number": "76-54321",
    "holder_kana": "みどりかわ　きょうこ",
}


@pytest.fixture(autouse=True)
def _japanese(settings):
    settings.LANGUAGE_CODE = "ja"


def _head(household) -> Person:
    return household.members.order_by("atena_number").first()


def _entry_url(program, person) -> str:
    return f"/office/benefits/{program.slug}/counter/{person.pk}/"


def _page(response) -> str:
    return response.content.decode()


def test_the_clerk_finds_the_household_by_atena_number_and_files_with_the_public_account(
    client, program, clerk
):
    household = make_household()
    make_household()
    services.compute_eligibility(program=program)
    head = _head(household)
    client.force_login(clerk)
    audited = AuditEvent.objects.count()

    response = client.post(f"/office/benefits/{program.slug}/desk/", {"atena_number": head.atena_number})
    assert response.status_code == 302 and response["Location"] == _entry_url(program, head)
    search = AuditEvent.objects.order_by("pk")[audited]
    assert (search.action, search.object_type, search.purpose) == (
        "search",
        "person_search",
        "benefit_eligibility",
    )

    page = _page(client.get(_entry_url(program, head)))
    assert "30,000 円" in page and "三菱ＵＦＪ" in page and "1234567" in page
    read = AuditEvent.objects.filter(action="read", person_id=head.pk)
    assert read.count() == 1 and read.get().purpose == "benefit_eligibility"

    review = _page(client.post(_entry_url(program, head), {"source": "public", "action": "review"}))
    assert "支給内容の確認" in review and 'data-figure="review-amount">30,000 円' in review
    assert not Application.objects.exists()

    response = client.post(_entry_url(program, head), {"source": "public", "action": "confirm"})
    application = Application.objects.get()
    assert response["Location"] == f"/office/benefits/{program.slug}/receipt/{application.number}/"
    assert (application.channel, application.status, application.staff, application.account_corrected) == (
        Channel.COUNTER,
        ApplicationStatus.RECEIVED,
        clerk,
        False,
    )
    assert (application.bank_code, application.account_number) == ("0005", "1234567")
    receipt = _page(client.get(response["Location"]))
    assert application.number in receipt and "****567" in receipt and "1234567" not in receipt
    assert AuditEvent.objects.filter(
        object_type="benefits.application", object_id=str(application.pk), purpose="給付金の受付控えの発行"
    ).exists()
    desk = _page(client.get(f"/office/benefits/{program.slug}/desk/"))
    assert application.number in desk  # today's entries


def test_another_account_is_checked_named_and_folded_to_zengin_kana(client, program, clerk):
    household = make_household(account=False)
    services.compute_eligibility(program=program)
    head = _head(household)
    client.force_login(clerk)
    page = _page(client.get(_entry_url(program, head)))
    assert 'value="public"' not in page and "公金受取口座）はありません" in page
    assert 'value="ﾐﾄﾞﾘｶﾜ ﾊﾅｺ"' in page  # the holder suggested from the registry's reading

    review = _page(client.post(_entry_url(program, head), {**OTHER_ACCOUNT, "action": "review"}))
    assert 'data-figure="review-bank">みずほ（0001）' in review
    assert 'data-figure="review-branch">東京営業部（001）' in review
    assert 'data-figure="review-holder">ﾐﾄﾞﾘｶﾜ ｷﾖｳｺ' in review
    assert 'data-figure="review-number">7654321' in review

    client.post(_entry_url(program, head), {**OTHER_ACCOUNT, "action": "confirm"})
    application = Application.objects.get()
    assert (application.bank_code, application.branch_code, application.account_number) == (
        "0001",
        "001",
        "7654321",
    )
    assert application.holder_kana == "ﾐﾄﾞﾘｶﾜ ｷﾖｳｺ" and application.account_corrected


def test_a_public_account_the_bank_no_longer_has_is_not_offered(client, program, clerk):
    household = make_household()
    services.compute_eligibility(program=program)
    Confirmation.objects.update(branch_code="998")  # the branch closed after the accounts were imported
    client.force_login(clerk)
    page = _page(client.get(_entry_url(program, _head(household))))
    assert "data-public-problem" in page and 'value="public"' not in page
    response = client.post(_entry_url(program, _head(household)), {"source": "public", "action": "confirm"})
    assert response.status_code == 400 and "金融機関コードを入力してください" in _page(response)
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message", "target"),
    [
        ({"bank_code": "0002"}, "金融機関コード「0002」の金融機関はありません", "id_bank_code"),
        ({"branch_code": "998"}, "支店コード「998」の支店はありません", "id_branch_code"),
        ({"account_number": "12345678"}, "口座番号は7桁以内の数字にしてください", "id_account_number"),
        ({"account_number": "abc"}, "口座番号は7桁以内の数字にしてください", "id_account_number"),
        ({"holder_kana": "緑川花子"}, "口座名義に全銀の文字セットにない文字があります", "id_holder_kana"),
        ({"holder_kana": ""}, "口座名義をカタカナで入力してください", "id_holder_kana"),
        ({"bank_code": ""}, "金融機関コードを入力してください", "id_bank_code"),
        ({"account_type": "7"}, "7", "id_account_type"),
    ],
)
def test_a_bad_account_is_refused_with_what_to_do_and_nothing_is_filed(
    client, program, clerk, changes, message, target
):
    household = make_household(account=False)
    services.compute_eligibility(program=program)
    client.force_login(clerk)
    for action in ("review", "confirm"):
        response = client.post(
            _entry_url(program, _head(household)), {**OTHER_ACCOUNT, **changes, "action": action}
        )
        page = _page(response)
        assert response.status_code == 400
        assert message in page and f'href="#{target}"' in page
    assert not Application.objects.exists()


def test_a_household_that_already_applied_online_is_shown_side_by_side_and_gets_no_second_application(
    client, program, clerk
):
    household = make_household()
    services.compute_eligibility(program=program)
    online = services.apply(program=program, household=household, channel=Channel.ONLINE)
    client.force_login(clerk)
    audited = AuditEvent.objects.filter(object_type="benefits.application").count()
    page = _page(client.get(_entry_url(program, _head(household))))
    assert online.number in page and 'data-mode="applied"' in page and "支給内容を確認する" not in page
    assert AuditEvent.objects.filter(object_type="benefits.application").count() == audited + 1

    response = client.post(_entry_url(program, _head(household)), {"source": "public", "action": "confirm"})
    assert response.status_code == 409 and "すでに申請があります" in _page(response)
    assert Application.objects.count() == 1


def test_an_application_filed_by_someone_else_between_review_and_confirm_is_shown_not_duplicated(
    client, program, clerk, monkeypatch
):
    household = make_household()
    services.compute_eligibility(program=program)
    real = services.apply_by_staff

    def meanwhile(**kwargs):  # a paper clerk files for the same household just before this one confirms
        services.apply(program=program, household=household, channel=Channel.PAPER)
        return real(**kwargs)

    monkeypatch.setattr(services, "apply_by_staff", meanwhile)
    client.force_login(clerk)
    response = client.post(_entry_url(program, _head(household)), {"source": "public", "action": "confirm"})
    page = _page(response)
    paper = Application.objects.get()
    assert response.status_code == 409
    assert "この世帯はすでに申請しています" in page and paper.number in page
    assert paper.channel == Channel.PAPER and paper.status == ApplicationStatus.RECEIVED


def test_a_database_refusal_at_the_same_moment_is_a_message_not_a_500(client, program, clerk, monkeypatch):
    household = make_household()
    services.compute_eligibility(program=program)

    def refused(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(services, "apply_by_staff", refused)
    client.force_login(clerk)
    response = client.post(_entry_url(program, _head(household)), {"source": "public", "action": "confirm"})
    assert response.status_code == 400
    assert "同じ世帯の申請が同時に登録されたため" in _page(response)
    assert not Application.objects.exists()


def test_a_household_that_is_not_eligible_is_told_why_and_what_to_do(client, program, clerk):
    taxed = make_household(non_taxed=False)
    unknown = make_household(non_taxed=None)
    newcomer = make_household(since=dt.date(2025, 7, 1))
    services.compute_eligibility(program=program)
    client.force_login(clerk)
    cases = (
        (taxed, "taxed", "課税対象"),
        (unknown, "tax_unknown", "申請書方式"),
        (newcomer, "not_registered", "住民登録がありませんでした"),
    )
    for household, reason, words in cases:
        page = _page(client.get(_entry_url(program, _head(household))))
        assert f'data-eligibility="{reason}"' in page and words in page
        assert "支給内容を確認する" not in page
        response = client.post(_entry_url(program, _head(household)), {**OTHER_ACCOUNT, "action": "confirm"})
        assert response.status_code == 400 and "支給対象ではない" in _page(response)
    assert not Application.objects.exists()


def test_a_finished_program_or_a_closed_channel_takes_nothing(client, clerk):
    finished = make_program(slug="owari", deadline=dt.date(2020, 1, 31))
    online_only = make_program(slug="online-only", channels=[Channel.ONLINE])
    household = make_household()
    services.compute_eligibility(program=finished)
    services.compute_eligibility(program=online_only)
    client.force_login(clerk)
    for program, words in (
        (finished, "申請期限（2020年1月31日）を過ぎている"),
        (online_only, "窓口での申請を受け付けていません"),
    ):
        page = _page(client.get(_entry_url(program, _head(household))))
        assert 'data-mode="closed"' in page and words in page
        response = client.post(
            _entry_url(program, _head(household)), {"source": "public", "action": "confirm"}
        )
        assert response.status_code == 400 and words in _page(response)
    assert not Application.objects.exists()


def test_a_mailed_confirmation_is_opened_by_its_number_or_qr_code_and_filed_on_paper(client, program, clerk):
    household = make_household()
    services.compute_eligibility(program=program)
    confirmation = Confirmation.objects.get()
    client.force_login(clerk)
    qr = f"MDG1|{confirmation.number}|benefit:{program.slug}|1|1/1"
    from madoguchi.benefits import letters

    letter = letters.Letter(  # what the printed letter's QR code says: the random reference only
        number=confirmation.number,
        program_slug=program.slug,
        program_title="",
        postal_code="",
        address="",
        name="",
        amount=0,
        members=1,
        deadline=None,
        reference=confirmation.reference,
    )
    printed = letters.letter_qr(letter)
    assert confirmation.number not in printed and confirmation.reference in printed
    for typed in (confirmation.number.lower(), qr, f" {confirmation.number} ", printed):
        response = client.get(f"/office/benefits/{program.slug}/desk/", {"reference": typed})
        assert response["Location"] == f"/office/benefits/{program.slug}/paper/{confirmation.number}/"
    for wrong in ("C999-1", f"MDG1|{confirmation.number}|benefit:other|1|1/1", "MDG1|broken"):
        response = client.get(f"/office/benefits/{program.slug}/desk/", {"reference": wrong})
        assert response.status_code == 400 and "確認書番号として見つかりません" in _page(response)
    assert client.get(f"/office/benefits/{program.slug}/paper/C999-1/").status_code == 404

    url = f"/office/benefits/{program.slug}/paper/{confirmation.number}/"
    page = _page(client.get(url))
    assert "郵送（紙）の申請" in page and confirmation.number in page
    assert AuditEvent.objects.filter(
        object_type="benefits.confirmation", object_id=str(confirmation.pk)
    ).exists()
    client.post(url, {"source": "public", "action": "confirm"})
    application = Application.objects.get()
    assert (application.channel, application.household_id, application.staff) == (
        Channel.PAPER,
        household.pk,
        clerk,
    )


def test_a_returned_application_gets_its_account_corrected_at_the_counter(client, program, clerk, decider):
    household = make_household()
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=household, channel=Channel.ONLINE)
    services.approve(application=application)
    client.force_login(decider)
    url = f"/office/benefits/{program.slug}/applications/{application.number}/decide/"
    client.post(url, {"decision": "return", "reason": "口座解約のため"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RETURNED_TO_RESIDENT
    assert Payment.objects.get().status == PaymentStatus.CANCELLED

    client.force_login(clerk)
    page = _page(client.get(_entry_url(program, _head(household))))
    assert f"口座の訂正（差し戻し中の申請 {application.number}）" in page
    client.post(_entry_url(program, _head(household)), {**OTHER_ACCOUNT, "action": "confirm"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RECEIVED and application.account_number == "7654321"
    assert Application.objects.count() == 1
    assert services.approve(application=application) is not None
    assert Payment.objects.filter(status=PaymentStatus.APPROVED).count() == 1


def test_an_account_is_corrected_after_the_deadline_too(client, program, clerk, decider):
    """The bank returns a payment after the deadline: the household still gets its account corrected."""
    household, other = make_household(), make_household()
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=household, channel=Channel.ONLINE)
    services.return_to_resident(application=application, staff=decider, note="口座解約")
    program.deadline = dt.date(2020, 1, 31)
    program.save(update_fields=["deadline"])
    client.force_login(clerk)
    page = _page(client.get(_entry_url(program, _head(household))))
    assert "口座の訂正（差し戻し中の申請" in page and 'data-mode="closed"' not in page
    client.post(_entry_url(program, _head(household)), {**OTHER_ACCOUNT, "action": "confirm"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RECEIVED and application.account_number == "7654321"
    page = _page(client.get(_entry_url(program, _head(other))))
    assert 'data-mode="closed"' in page  # a new application is not taken after the deadline


def test_a_decider_rejects_with_a_reason_and_a_payment_in_a_file_cannot_be_rejected(
    client, program, clerk, decider, tmp_path
):
    first, second = make_household(), make_household()
    services.compute_eligibility(program=program)
    a = services.apply(program=program, household=first, channel=Channel.COUNTER)
    b = services.apply(program=program, household=second, channel=Channel.COUNTER)
    services.approve(application=b)
    services.export_payments(program=program, path=tmp_path / "z.txt")

    client.force_login(clerk)
    url = f"/office/benefits/{program.slug}/applications/{a.number}/decide/"
    assert client.post(url, {"decision": "reject", "reason": "辞退"}).status_code == 403
    assert "不支給・取下げにする</button>" not in _page(
        client.get(f"/office/benefits/{program.slug}/applications/{a.number}/")
    )

    client.force_login(decider)
    response = client.post(url, {"decision": "reject", "reason": "  "})
    assert response.status_code == 400 and "理由を入力してください" in _page(response)
    assert client.post(url, {"decision": "explode", "reason": "x"}).status_code == 400
    response = client.post(url, {"decision": "reject", "reason": "受給辞退の申出"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.status, a.note, a.staff) == (ApplicationStatus.REJECTED, "受給辞退の申出", decider)
    response = client.post(url, {"decision": "reject", "reason": "もう一度"})
    assert response.status_code == 409 and "すでに不支給・取下げ" in _page(response)

    exported = f"/office/benefits/{program.slug}/applications/{b.number}/decide/"
    response = client.post(exported, {"decision": "reject", "reason": "誤り"})
    assert response.status_code == 409 and "すでに振込データに入っている" in _page(response)
    b.refresh_from_db()
    assert b.status == ApplicationStatus.APPROVED and Payment.objects.get().status == PaymentStatus.EXPORTED


def test_who_may_use_the_desk(client, program, settings):
    household = make_household()
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=household, channel=Channel.ONLINE)
    urls = [
        "/office/benefits/desk/",
        f"/office/benefits/{program.slug}/desk/",
        _entry_url(program, _head(household)),
        f"/office/benefits/{program.slug}/receipt/{application.number}/",
        f"/office/benefits/{program.slug}/applications/{application.number}/",
        f"/office/benefits/{program.slug}/conflicts/",
        "/office/benefits/desk/banks/?bank=0001",
    ]
    assert client.get(urls[1]).status_code == 302  # anonymous: to the office sign-in
    client.force_login(ResidentFactory())
    assert {client.get(url).status_code for url in urls} == {404}  # residents never reach office pages
    for outsider in (
        StaffFactory(department=DepartmentFactory(code="kankyo"), role=Role.APPROVER),
        StaffFactory(auditor=True),
        StaffFactory(department=DepartmentFactory(code="fukushi"), role=""),
    ):
        client.force_login(outsider)
        before = AuditEvent.objects.count()
        responses = [client.get(url) for url in urls]
        assert {r.status_code for r in responses} == {403}
        assert "給付金を担当する課の職員だけ" in _page(responses[0])
        assert AuditEvent.objects.count() == before  # nothing was looked at
        dashboard = client.get(f"/office/benefits/{program.slug}/")
        assert dashboard.status_code == 200 and "窓口・郵送の申請を受け付ける" not in _page(dashboard)
        assert "給付金の受付" not in _page(dashboard)  # no navigation entry either

    settings.BENEFITS_DEPARTMENTS = ["kyufu"]  # a benefits office of its own
    kyufu = StaffFactory(department=DepartmentFactory(code="kyufu"), role=Role.REVIEWER)
    client.force_login(kyufu)
    dashboard = _page(client.get(f"/office/benefits/{program.slug}/"))
    assert "窓口・郵送の申請を受け付ける" in dashboard and 'href="/office/benefits/desk/"' in dashboard
    response = client.post(urls[1], {"name": "緑川"})
    assert response.status_code == 200 and "世帯の申請を開く" in _page(response)


def test_bad_search_input_is_answered_with_what_to_do(client, program, clerk):
    make_household()
    services.compute_eligibility(program=program)
    client.force_login(clerk)
    url = f"/office/benefits/{program.slug}/desk/"
    response = client.post(url, {"birth_date": "1980-01-01"})
    assert response.status_code == 400 and "生年月日だけでは検索できません" in _page(response)
    response = client.post(url, {"name": "緑川", "birth_date": "昭和99年13月1日"})
    assert response.status_code == 400 and "生年月日を読み取れません" in _page(response)
    response = client.post(url, {"name_kana": "みどりかわ", "birth_date": "S55.1.1", "channel": "paper"})
    page = _page(response)
    assert response.status_code == 200 and "1 人が見つかりました" in page and "/paper/person/" in page
    assert client.post(url, {"name": "緑川", "channel": "nonsense"}).status_code == 200
    assert client.get(url, {"name": "緑川"}).status_code == 200  # a GET does not search (no names in URLs)
    assert client.get("/office/benefits/no-such/desk/").status_code == 404
    assert client.get(f"/office/benefits/{program.slug}/counter/999999/").status_code == 404
    assert client.get(f"/office/benefits/{program.slug}/receipt/B99-00000000/").status_code == 404


def test_the_desk_in_english(client, program, clerk):
    household = make_household()
    services.compute_eligibility(program=program)
    client.force_login(clerk)
    page = _page(client.get(f"/en/office/benefits/{program.slug}/desk/"))
    assert "Benefit desk" in page and "Test benefit" in page
    response = client.post(
        f"/en{_entry_url(program, _head(household))}",
        {**OTHER_ACCOUNT, "bank_code": "0002", "action": "review"},
    )
    assert "there is no bank with code" in _page(response)


def test_bank_lookup_names_codes_and_finds_them_by_name(client, clerk):
    client.force_login(clerk)
    assert client.get("/office/benefits/desk/banks/", {"bank": "0001", "branch": "001"}).json() == {
        "bank": "みずほ",
        "branch": "東京営業部",
    }
    assert client.get("/office/benefits/desk/banks/", {"bank": "0002"}).json() == {"bank": "", "branch": ""}
    found = client.get("/office/benefits/desk/banks/", {"q": "ゆうちょ"}).json()["results"]
    assert {"code": "9900", "name": "ゆうちょ"} in found
    branches = client.get(
        "/office/benefits/desk/banks/", {"kind": "branch", "bank": "0001", "q": "とうきょう"}
    ).json()
    assert branches["results"][0] == {"code": "001", "name": "東京営業部"}
