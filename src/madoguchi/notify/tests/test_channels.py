"""The channel registry: email, SMS (console, file, HTTP provider; daily cap per number) and letter."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core import mail

from madoguchi.notify import channels
from madoguchi.notify.channels import OutgoingMessage
from madoguchi.notify.models import Delivery

pytestmark = pytest.mark.django_db


def test_the_registry_lists_every_channel():
    assert set(channels.registry.names()) == {"email", "sms", "letter"}
    with pytest.raises(LookupError, match="known: "):
        channels.registry.get("pigeon")


def test_email_goes_through_the_mail_backend_and_is_logged():
    result = channels.send("email", OutgoingMessage(to="hanako@example.jp", subject="件名", body="本文"))
    assert result.ok and len(mail.outbox) == 1 and mail.outbox[0].subject == "件名"
    assert Delivery.objects.get().status == "sent"


def test_a_keyed_message_is_sent_once():
    message = OutgoingMessage(to="hanako@example.jp", subject="s", body="b", key="booking:1:reminder:email")
    assert channels.send("email", message).status == "sent"
    assert channels.send("email", message).status == "skipped"
    assert len(mail.outbox) == 1


def test_sms_to_a_file_and_the_daily_cap_per_number(settings, tmp_path, caplog):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE = str(tmp_path / "sms.jsonl")
    settings.SMS_DAILY_CAP = 3
    results = [channels.send("sms", OutgoingMessage(to="090-1234-5678", body=f"#{n}")) for n in range(5)]
    assert [r.status for r in results] == ["sent", "sent", "sent", "refused", "refused"]
    assert results[3].detail == "notify.sms_daily_cap"
    assert "at most 3 text messages a day" in caplog.text
    lines = [json.loads(line) for line in Path(settings.SMS_FILE).read_text().splitlines()]
    assert [line["body"] for line in lines] == ["#0", "#1", "#2"]
    assert lines[0]["to"] == "09012345678"
    # Another number has its own count.
    assert channels.send("sms", OutgoingMessage(to="08011112222", body="x")).status == "sent"
    assert Delivery.objects.filter(channel="sms", status="refused").count() == 2


def test_sms_refuses_a_number_that_is_not_a_phone_number(settings):
    settings.SMS_BACKEND = "console"
    assert channels.send("sms", OutgoingMessage(to="12", body="x")).status == "refused"


class _Provider(BaseHTTPRequestHandler):
    received: list = []
    status = 202

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).received.append(
            {"auth": self.headers["Authorization"], "body": json.loads(self.rfile.read(length))}
        )
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def provider():
    _Provider.received = []
    _Provider.status = 202
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_sms_through_the_http_provider_adapter(settings, provider):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{provider.server_address[1]}/messages"
    settings.SMS_HTTP_TOKEN = "secret-token"
    settings.SMS_SENDER = "MIDORI"
    assert channels.send("sms", OutgoingMessage(to="090-1234-5678", body="明日のご予約")).status == "sent"
    assert _Provider.received == [
        {
            "auth": "Bearer secret-token",
            "body": {"to": "09012345678", "body": "明日のご予約", "sender": "MIDORI"},
        }
    ]


def test_a_provider_error_is_a_failed_delivery_that_does_not_count_against_the_cap(settings, provider):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{provider.server_address[1]}/messages"
    settings.SMS_DAILY_CAP = 1
    _Provider.status = 500
    assert channels.send("sms", OutgoingMessage(to="09012345678", body="x")).status == "failed"
    _Provider.status = 202
    assert channels.send("sms", OutgoingMessage(to="09012345678", body="x")).status == "sent"


def test_a_letter_is_queued_for_the_print_room():
    result = channels.send("letter", OutgoingMessage(to="000-0001 みどり市中央1-1 緑 花子 様", body="ご案内"))
    assert result.status == "queued"
    assert channels.send("letter", OutgoingMessage(to=" ", body="x")).status == "refused"
