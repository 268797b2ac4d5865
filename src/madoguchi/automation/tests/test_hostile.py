"""Hostile probes of the rules' webhooks and office pages: an endpoint that redirects the signed call elsewhere
(an internal address, the cloud metadata service), a retry or task action by GET or without the CSRF token,
malformed ids. Tests that pass when the product is safe."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import Client

from madoguchi.automation import webhooks
from madoguchi.automation.models import ActionRun


class _Server:
    def __init__(self, answer):
        hits: list[tuple[str, str, dict]] = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                hits.append((self.command, self.path, dict(self.headers)))
                status, headers = answer(self)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.hits = hits
        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


EVENT = webhooks.cloud_event(
    event_id="e1", source="/madoguchi", topic="case.submitted", time_iso="2026-01-01T00:00:00Z", data={"x": 1}
)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirecting_endpoint_is_a_failure_and_is_not_followed(status):
    """The endpoint's answer must not send the signed call (or a GET with its signature) to another address,
    such as 169.254.169.254 or an internal service: a redirect is a failed call, retried as any other."""
    with _Server(lambda handler: (200, {})) as internal:
        with _Server(lambda handler: (status, {"Location": f"{internal.url}/latest/meta-data/"})) as endpoint:
            with pytest.raises(webhooks.WebhookError, match="redirect"):
                webhooks.post(webhooks.Endpoint("crm", f"{endpoint.url}/hook", "s3cret"), EVENT)
            assert [(method, path) for method, path, _headers in endpoint.hits] == [("POST", "/hook")]
        assert internal.hits == []


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:6379/_x", " http://x"]
)
def test_other_schemes_are_refused(url):
    with pytest.raises(webhooks.WebhookError):
        webhooks.post(webhooks.Endpoint("crm", url, "s3cret"), EVENT)


@pytest.mark.django_db
def test_retry_and_task_actions_need_post_and_the_csrf_token(django_user_model):
    from madoguchi.accounts.tests.factories import StaffFactory

    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffFactory())
    for url in ("/office/rules/stuck/1/retry/", "/office/rules/tasks/1/"):
        assert client.get(url).status_code == 405, url
        assert client.post(url, {"action": "take"}).status_code == 403, url
    assert not ActionRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["stuck/abc/retry/", "stuck/99999999999999999999/retry/", "tasks/-1/"])
def test_malformed_ids_are_not_found(client, path):
    from madoguchi.accounts.tests.factories import StaffFactory

    client.force_login(StaffFactory())
    assert client.post(f"/office/rules/{path}", {"action": "take"}).status_code in (302, 404)
