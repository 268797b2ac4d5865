"""Declining on the pages: the resident on My Page (a confirmation step first), the clerk at the desk (a review
first, then the receipt), a decider withdrawing a decline, a conflict kept as a decline, the dashboard and CSV.
Every bad input or stale page is a message, never a 500."""

from __future__ import annotations

import pytest

from madoguchi.benefits import services
from madoguchi.benefits.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Channel,
    Payment,
    PaymentStatus,
)
from madoguchi.core.models import AuditEvent

from .support import confirmation_number, linked_resident, make_household

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _japanese(settings):
    settings.LANGUAGE_CODE = "ja"


def _page(response) -> str:
    return response.content.decode()


def test_the_resident_declines_after_a_page_that_says_what_it_means(client, program):
    household = make_household()
    services.compute_eligibility(program=program)
    resident = linked_resident(household)
    client.force_login(resident)
    number = confirmation_number(household)

    detail = _page(client.get(f"/benefits/{number}/"))
    assert f'href="/benefits/{number}/decline/"' in detail
    page = _page(client.get(f"/benefits/{number}/decline/"))
    assert "30,000 円）は支給されません" in page and "辞退を撤回できます" in page
    assert "辞退は世帯ごとです" in page and not Application.objects.exists()  # looking files nothing

    response = client.post(f"/benefits/{number}/decline/")

    assert response.status_code == 302 and response["Location"] == f"/benefits/{number}/"
    decline = Application.objects.get()
    assert (decline.kind, decline.status, decline.channel, decline.applicant) == (
        ApplicationKind.DECLINE,
        ApplicationStatus.DECLINED,
        Channel.ONLINE,
        resident,
    )
    detail = _page(client.get(f"/benefits/{number}/"))
    assert "受給を辞退しています" in detail and decline.number in detail
    assert "確認して申請する" not in detail and "/decline/" not in detail  # neither form is offered now
    # a stale page posted again: a message, nothing more filed
    again = client.post(f"/benefits/{number}/decline/")
    assert again.status_code == 409 and "すでに辞退しています" in _page(again)
    applying = client.post(f"/benefits/{number}/", {"choice": "confirm"})
    assert applying.status_code == 200 and Application.objects.count() == 1
    assert Payment.objects.get().status == PaymentStatus.DECLINED


def test_a_resident_who_applied_is_told_to_contact_the_city_to_decline(client, program):
    household = make_household()
    services.compute_eligibility(program=program)
    client.force_login(linked_resident(household))
    number = confirmation_number(household)
    assert client.post(f"/benefits/{number}/", {"choice": "confirm"}).status_code == 302
    application = Application.objects.get()

    detail = _page(client.get(f"/benefits/{number}/"))
    assert "/decline/" not in detail and "申請した後に辞退する場合は" in detail
    response = client.post(f"/benefits/{number}/decline/")

    assert response.status_code == 409
    assert "すでに申請しています" in _page(response) and application.number in _page(response)
    assert Application.objects.count() == 1


def test_a_decline_filed_elsewhere_meanwhile_is_a_message_on_the_resident_page(client, program, monkeypatch):
    household = make_household()
    services.compute_eligibility(program=program)
    client.force_login(linked_resident(household))
    number = confirmation_number(household)
    real = services.decline

    def another_member_declined_first(**kwargs):
        real(program=kwargs["program"], household=kwargs["household"], channel=Channel.COUNTER)
        return real(**kwargs)

    monkeypatch.setattr(services, "decline", another_member_declined_first)
    response = client.post(f"/benefits/{number}/decline/")

    assert response.status_code == 409 and "受給を辞退しています" in _page(response)
    assert Application.objects.count() == 1


def test_the_decline_pages_in_english_and_another_households_is_not_found(client, program):
    mine, other = make_household(), make_household()
    services.compute_eligibility(program=program)
    client.force_login(linked_resident(mine))

    assert client.get(f"/benefits/{confirmation_number(other)}/decline/").status_code == 404
    assert client.post(f"/benefits/{confirmation_number(other)}/decline/").status_code == 404
    page = _page(client.get(f"/en/benefits/{confirmation_number(mine)}/decline/"))
    assert "will not be paid" in page and "Decline the benefit" in page
    client.post(f"/en/benefits/{confirmation_number(mine)}/decline/")
    assert "You have declined" in _page(client.get(f"/en/benefits/{confirmation_number(mine)}/"))


def test_the_clerk_enters_a_decline_after_a_review_and_prints_the_receipt(client, program, clerk):
    household = make_household()
    services.compute_eligibility(program=program)
    head = household.members.order_by("atena_number").first()
    url = f"/office/benefits/{program.slug}/counter/{head.pk}/"
    client.force_login(clerk)

    assert "辞退の内容を確認する" in _page(client.get(url))
    review = _page(client.post(url, {"action": "decline_review"}))
    assert "この給付金（30,000 円）を支給しません" in review and 'value="decline"' in review
    assert not Application.objects.exists()
    response = client.post(url, {"action": "decline"})

    decline = Application.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/receipt/{decline.number}/")
    assert (decline.kind, decline.status, decline.channel, decline.staff) == (
        ApplicationKind.DECLINE,
        ApplicationStatus.DECLINED,
        Channel.COUNTER,
        clerk,
    )
    receipt = _page(client.get(response["Location"]))
    assert "受給の辞退を受け付けました" in receipt and "振込先" not in receipt
    page = _page(client.get(url))
    assert 'data-mode="declined"' in page and "辞退の内容を確認する" not in page
    # the same page posted again (another clerk, a double click): a message, nothing more filed
    again = client.post(url, {"action": "decline"})
    assert again.status_code == 409 and "辞退しています" in _page(again)
    applying = client.post(url, {"source": "public", "action": "confirm"})
    assert applying.status_code == 409 and Application.objects.count() == 1


def test_the_desk_takes_no_decline_beside_an_open_application(client, program, clerk):
    household = make_household()
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=household, channel=Channel.ONLINE)
    head = household.members.order_by("atena_number").first()
    client.force_login(clerk)
    url = f"/office/benefits/{program.slug}/counter/{head.pk}/"

    assert "辞退の内容を確認する" not in _page(client.get(url))
    response = client.post(url, {"action": "decline"})

    assert response.status_code == 409 and "すでに申請があります" in _page(response)
    assert list(Application.objects.all()) == [application]


def test_only_a_decider_withdraws_a_decline_on_its_page_and_it_is_audited(client, program, clerk, decider):
    household = make_household()
    services.compute_eligibility(program=program)
    decline = services.decline(program=program, household=household, channel=Channel.ONLINE)
    page_url = f"/office/benefits/{program.slug}/applications/{decline.number}/"
    decide_url = f"{page_url}decide/"

    client.force_login(clerk)
    assert "辞退を撤回する</button>" not in _page(client.get(page_url))
    assert client.post(decide_url, {"decision": "withdraw_decline", "reason": "撤回"}).status_code == 403
    client.force_login(decider)
    page = _page(client.get(page_url))
    assert "辞退を撤回する</button>" in page and "不支給・取下げにする</button>" not in page
    response = client.post(decide_url, {"decision": "withdraw_decline", "reason": " "})
    assert response.status_code == 400 and "理由を入力してください" in _page(response)
    refused = client.post(decide_url, {"decision": "reject", "reason": "取下げ"})
    assert refused.status_code == 409 and "辞退の撤回" in _page(refused)
    assert Payment.objects.get().status == PaymentStatus.DECLINED

    response = client.post(decide_url, {"decision": "withdraw_decline", "reason": "本人から電話で申出"})

    assert response.status_code == 302
    decline.refresh_from_db()
    assert (decline.status, decline.note, decline.staff) == (
        ApplicationStatus.DECLINE_WITHDRAWN,
        "本人から電話で申出",
        decider,
    )
    assert AuditEvent.objects.filter(action="withdraw_decline", object_id=str(decline.pk)).count() == 1
    assert Payment.objects.get().status == PaymentStatus.CANCELLED
    again = client.post(decide_url, {"decision": "withdraw_decline", "reason": "もう一度"})
    assert again.status_code == 409 and "撤回できる辞退ではありません" in _page(again)


def test_a_conflict_is_kept_as_a_decline_on_the_conflicts_page(client, program, decider):
    household = make_household()
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=household, channel=Channel.ONLINE)
    decline = services.decline(program=program, household=household, channel=Channel.PAPER)
    client.force_login(decider)

    page = _page(client.get(f"/office/benefits/{program.slug}/conflicts/"))
    assert decline.number in page and application.number in page
    assert 'data-kind="decline"' in page and f"{decline.number} を採用（辞退）" in page
    response = client.post(
        f"/office/benefits/{program.slug}/conflicts/", {"keep": decline.number}, follow=True
    )

    assert "辞退として確定" in _page(response)
    assert Application.objects.get(pk=decline.pk).status == ApplicationStatus.DECLINED
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.REJECTED
    assert Payment.objects.get().status == PaymentStatus.DECLINED


def test_the_dashboard_and_the_csv_count_declines_on_their_own(client, program, decider):
    households = [make_household() for _ in range(4)]
    services.compute_eligibility(program=program)
    services.apply(program=program, household=households[0], channel=Channel.ONLINE)
    services.decline(program=program, household=households[1], channel=Channel.ONLINE)
    services.decline(program=program, household=households[2], channel=Channel.PAPER)
    client.force_login(decider)

    page = _page(client.get(f"/office/benefits/{program.slug}/"))

    assert 'data-figure="applied">1<' in page and 'data-figure="declined">2<' in page
    assert "対象 4 = 申請 1 + 辞退 2 + 未申請 1" in page and "が成り立っています" in page
    assert "<title>辞退: 2</title>" in page  # the overview chart has a 辞退 column
    csv_text = client.get(f"/office/benefits/{program.slug}/figures.csv").content.decode("utf-8-sig")
    lines = csv_text.splitlines()
    assert lines[0].endswith(",declined_online,declined_counter,declined_paper")
    assert lines[1].endswith(",1,0,1")  # today: one online, one paper decline
    assert "online,0,1,0,0,1" in lines and "paper,0,0,0,0,1" in lines
    assert lines[-1] == "eligible,4,applied,1,not_applied,1,declined,2"


def test_after_the_deadline_the_resident_can_neither_apply_nor_decline_online_and_is_told_why(
    client, program
):
    import datetime as dt

    from django.utils import timezone

    household = make_household()
    services.compute_eligibility(program=program)
    program.deadline = timezone.localdate() - dt.timedelta(days=1)
    program.save(update_fields=["deadline"])
    client.force_login(linked_resident(household))
    number = confirmation_number(household)

    detail = _page(client.get(f"/benefits/{number}/"))
    assert "申請期限" in detail and "オンラインでの申請や辞退はできなくなりました" in detail
    assert "確認して申請する" not in detail and f"/benefits/{number}/decline/" not in detail
    applied = client.post(f"/benefits/{number}/", {"choice": "keep"})
    declined = client.post(f"/benefits/{number}/decline/")
    assert applied.status_code == 200 and declined.status_code == 409
    assert "オンラインでの申請や辞退はできなくなりました" in _page(declined)
    assert not Application.objects.exists()
    with pytest.raises(services.BenefitError) as refused:
        services.apply(program=program, household=household, channel=Channel.ONLINE)
    assert refused.value.code == "deadline_passed"
    assert "deadline" in refused.value.message("en")

    program.deadline = timezone.localdate()  # the last day itself is still open
    program.save(update_fields=["deadline"])
    assert services.online_problem(program) is None
    assert f"/benefits/{number}/decline/" in _page(client.get(f"/benefits/{number}/"))
