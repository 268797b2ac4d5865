"""The stuck page in Chromium: a rule's webhook failed (the endpoint answered 503); a staff member signs in, finds
it on /office/rules/stuck/ (axe: no serious or critical violation), reaches its 再実行 button with Tab only and
presses Enter: the action is carried out (the endpoint now answers 200) and the page says so."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from madoguchi.accounts.tests.factories import PASSWORD, StaffFactory
from madoguchi.automation import services
from madoguchi.automation.models import ActionRun, ActionStatus
from madoguchi.cases.tests.factories import CaseFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MAX_TABS = 80


class Endpoint(BaseHTTPRequestHandler):
    statuses = [503]
    calls = 0

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls += 1
        self.send_response(type(self).statuses.pop(0) if type(self).statuses else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def failed_webhook(settings, tmp_path):
    Endpoint.statuses, Endpoint.calls = [503], 0
    server = HTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.RULE_WEBHOOKS = json.dumps(
        {"case-system": {"url": f"http://127.0.0.1:{server.server_port}/", "secret": "e2e"}}
    )
    rule = tmp_path / "paper-webhook.yaml"
    rule.write_text(
        """id: paper-webhook
version: 1
title: {ja: 紙の申請を連携, en: Paper cases to the case system}
event: case.submitted
actions:
  - webhook: {endpoint: case-system}
examples:
  - name: any case
    event: {case_id: 1}
    expect: [webhook]
""",
        encoding="utf-8",
    )
    services.publish_rules(paths=[rule])
    case = CaseFactory(channel="paper")
    # No transaction around: the firing commits at once and its action runs (in-process) and fails.
    [firing] = services.fire_rules(topic="case.submitted", payload={"case_id": case.pk}, event_id=case.pk)
    run = firing.actions.get()
    assert (run.status, run.attempts) == (ActionStatus.FAILED, 1)
    yield run
    server.shutdown()
    server.server_close()


def test_a_stuck_webhook_is_retried_from_the_keyboard(live_server, failed_webhook, new_page, axe_check):
    staff = StaffFactory(password=PASSWORD)
    page = new_page(1280, 900)
    page.goto(f"{live_server.url}/office/login/")
    page.get_by_label("メールアドレス", exact=True).focus()
    page.keyboard.type(staff.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"{live_server.url}/office/rules/stuck/")
    assert "answered HTTP 503" in page.content()
    axe_check(page)

    label = f"処理 #{failed_webhook.pk} を再実行"
    for _ in range(MAX_TABS):
        if (
            page.evaluate("() => document.activeElement && document.activeElement.getAttribute('aria-label')")
            == label
        ):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError("the retry button was not reached with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "再実行しました。処理は完了しました。" in page.content()
    assert "失敗した処理はありません。" in page.content()
    axe_check(page)
    run = ActionRun.objects.get(pk=failed_webhook.pk)
    assert (run.status, run.attempts) == (ActionStatus.DONE, 2) and Endpoint.calls == 2
