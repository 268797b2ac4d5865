"""The waiting room: places in arrival order, admission at the rate, signed tokens (forged, expired), and the
pages around it through Django's test client."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import signing
from django.utils import timezone

from madoguchi.vaccination import waiting_room
from madoguchi.vaccination.models import Booking
from madoguchi.vaccination.tests.factories import InvitationFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def slow_room(settings):
    settings.REDIS_URL = ""
    settings.VACCINATION_ADMISSION_RATE = 2  # one place every 500 ms
    settings.VACCINATION_ADMISSION_BURST = 1


def test_places_are_admitted_in_arrival_order_at_the_rate(slow_room):
    places = [waiting_room.take_place(campaign_id=1) for _ in range(6)]
    assert [p.number for p in places] == [1, 2, 3, 4, 5, 6]
    admits = [p.admit_ms for p in places]
    assert admits == sorted(admits)
    assert places[0].wait_ms() == 0 and places[1].wait_ms() == 0  # the burst: no queue page
    assert 400 <= admits[3] - admits[2] <= 600  # then one every 500 ms
    assert places[5].ahead() >= 3
    other = waiting_room.take_place(campaign_id=2)  # each campaign has its own line
    assert other.number == 1 and other.wait_ms() == 0


def test_a_place_and_an_admission_survive_only_when_signed(slow_room):
    place = waiting_room.take_place(campaign_id=1)
    signed = waiting_room.sign_place(place)
    assert waiting_room.read_place(signed, 1) == place
    assert waiting_room.read_place(signed, 2) is None
    assert waiting_room.read_place(signed[:-2] + "xx", 1) is None
    token = waiting_room.admission_token(place)
    assert waiting_room.check_admission(token, 1) == place.number
    forged = signing.dumps([1, 99], salt=waiting_room.ADMISSION_SALT, key="not-the-secret-key")
    for bad, code in [
        ("", "admission_missing"),
        (forged, "admission_invalid"),
        (token + "x", "admission_invalid"),
    ]:
        with pytest.raises(waiting_room.AdmissionError) as exc:
            waiting_room.check_admission(bad, 1)
        assert exc.value.code == code and exc.value.ja and exc.value.en
    with pytest.raises(waiting_room.AdmissionError) as exc:
        waiting_room.check_admission(token, 2)
    assert exc.value.code == "admission_invalid"


def test_an_expired_admission_is_refused(slow_room, settings, monkeypatch):
    token = waiting_room.admission_token(waiting_room.Place(1, 1, 0))
    later = time.time() + settings.VACCINATION_ADMISSION_MINUTES * 60 + 5
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    with pytest.raises(waiting_room.AdmissionError) as exc:
        waiting_room.check_admission(token, 1)
    assert exc.value.code == "admission_expired" and "15分" in exc.value.ja


def test_too_many_places_from_one_address_are_refused(slow_room, settings):
    settings.VACCINATION_TICKETS_PER_IP = 2
    waiting_room.take_place(campaign_id=1, client_ip="198.51.100.7")
    waiting_room.take_place(campaign_id=1, client_ip="198.51.100.7")
    with pytest.raises(waiting_room.TooManyPlaces):
        waiting_room.take_place(campaign_id=1, client_ip="198.51.100.7")
    waiting_room.take_place(campaign_id=1, client_ip="198.51.100.8")


def test_the_queue_page_refreshes_itself_then_admits_and_the_resident_books(
    slow_room, client, settings, django_assert_num_queries
):
    slot = SlotFactory(starts_at=timezone.now() + dt.timedelta(days=3))
    campaign = slot.campaign
    invitation = InvitationFactory(campaign=campaign)
    # Six people ahead at one a second: the resident waits about six seconds, time enough for the checks below
    # on a busy test machine (at 500 ms a place, three ahead were admitted before the first look).
    settings.VACCINATION_ADMISSION_RATE = 1
    for _ in range(6):  # people ahead
        waiting_room.take_place(campaign_id=campaign.pk)
    response = client.get(f"/vaccination/{campaign.pk}/enter/")
    assert response.status_code == 302 and response["Location"].endswith("/queue/")
    with django_assert_num_queries(0):  # the queue page reads no table
        page = client.get(f"/vaccination/{campaign.pk}/queue/")
    assert page.status_code == 200
    html = page.content.decode()
    assert int(page["Refresh"]) >= 2 and "順番待ち" in html
    paused = client.get(f"/vaccination/{campaign.pk}/queue/?auto=0")
    assert "Refresh" not in paused and "自動更新を止めています" in paused.content.decode()
    assert client.get(f"/vaccination/{campaign.pk}/book/").status_code == 403  # not admitted yet
    deadline = time.time() + 30
    while (page := client.get(f"/vaccination/{campaign.pk}/queue/")).status_code == 200:
        assert time.time() < deadline
        time.sleep(0.2)
    assert page["Location"].endswith("/book/")
    response = client.post(
        f"/vaccination/{campaign.pk}/book/", {"code": invitation.code, "birth_date": "昭和25年5月1日"}
    )
    assert response.status_code == 302
    slots_page = client.get(response["Location"])
    assert f'value="{slot.pk}"' in slots_page.content.decode()
    confirm = client.get(f"/vaccination/{campaign.pk}/book/confirm/", {"slot": slot.pk, "dose": 1})
    key = confirm.context["key"]
    for _ in range(2):  # a double click books once
        done = client.post(
            f"/vaccination/{campaign.pk}/book/confirm/", {"slot": slot.pk, "dose": 1, "key": key}
        )
        assert done.status_code == 302
    assert Booking.objects.count() == 1
    mine = client.get(f"/vaccination/{campaign.pk}/mine/")
    assert Booking.objects.get().reference in mine.content.decode()
    english = client.get(f"/en/vaccination/{campaign.pk}/book/")
    assert english.status_code == 200


def test_a_forged_admission_cookie_books_nothing(client):
    slot = SlotFactory()
    client.cookies["vx_admit"] = "forged:token"
    response = client.get(f"/en/vaccination/{slot.campaign_id}/book/")
    assert response.status_code == 403
    assert "not valid" in response.content.decode()


def test_the_json_endpoint_books_once_and_explains_refusals(client, slow_room):
    slot = SlotFactory(capacity=1)
    campaign_id = slot.campaign_id
    token = waiting_room.admission_token(waiting_room.Place(campaign_id, 1, 0))
    url = f"/vaccination-api/{campaign_id}/book"

    def post(invitation, **headers):
        body = {"code": invitation.code, "birth_date": invitation.birth_date.isoformat(), "slot": slot.pk}
        return client.post(url, body, content_type="application/json", **headers)

    first, second = InvitationFactory(campaign=slot.campaign), InvitationFactory(campaign=slot.campaign)
    assert post(first).status_code == 403
    made = post(first, HTTP_X_ADMISSION_TOKEN=token, HTTP_IDEMPOTENCY_KEY="r1")
    assert made.status_code == 201
    again = post(first, HTTP_X_ADMISSION_TOKEN=token, HTTP_IDEMPOTENCY_KEY="r1")
    assert again.status_code == 200 and again.json()["reference"] == made.json()["reference"]
    full = post(second, HTTP_X_ADMISSION_TOKEN=token)
    assert full.status_code == 409 and full.json()["code"] == "slot_full"
    assert "満席" in full.json()["message"]["ja"]
    assert (
        client.post(url, "{", content_type="application/json", HTTP_X_ADMISSION_TOKEN=token).status_code
        == 400
    )


def test_a_resident_with_every_dose_booked_is_sent_to_my_booking_to_change(client):
    from madoguchi.vaccination import services
    from madoguchi.vaccination.tests.factories import invitee_of

    first = SlotFactory(starts_at=timezone.now() + dt.timedelta(days=2))
    second = SlotFactory(venue=first.venue, starts_at=timezone.now() + dt.timedelta(days=30))
    invitation = InvitationFactory(campaign=first.campaign)
    services.book(invitee=invitee_of(invitation), slot_id=first.pk)
    client.cookies["vx_admit"] = waiting_room.admission_token(waiting_room.Place(first.campaign_id, 1, 0))
    url = f"/vaccination/{first.campaign_id}/book/"
    to_second = client.post(url, {"code": invitation.code, "birth_date": "1950-05-01"})
    assert to_second["Location"].endswith("?dose=2")
    services.book(invitee=invitee_of(invitation), slot_id=second.pk, dose=2)
    to_mine = client.post(url, {"code": invitation.code, "birth_date": "1950-05-01"})
    assert to_mine["Location"].endswith("/mine/")
    mine = client.get(to_mine["Location"])
    reference = Booking.objects.get(dose=2).reference
    assert f"change={reference}" in mine.content.decode()
    third = SlotFactory(venue=first.venue, starts_at=timezone.now() + dt.timedelta(days=31))
    moved = client.post(
        f"/vaccination/{first.campaign_id}/book/confirm/", {"slot": third.pk, "dose": 2, "change": reference}
    )
    assert moved.status_code == 302
    assert Booking.objects.get(dose=2).slot_id == third.pk
    cancelled = client.post(f"/vaccination/{first.campaign_id}/mine/cancel/", {"reference": reference})
    assert cancelled.status_code == 302
    assert Booking.objects.get(dose=2).cancelled_at is not None
