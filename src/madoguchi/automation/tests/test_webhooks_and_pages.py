"""Webhooks (CloudEvents, HMAC, retries through the stuck page), the office pages and the CLI."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from madoguchi.accounts.tests.factories import StaffFactory
from madoguchi.automation import services, webhooks
from madoguchi.automation.models import ActionRun, ActionStatus, Task
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.models import AuditEvent

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-tests"


class Receiver(BaseHTTPRequestHandler):
    """A local endpoint: answers with the next status of `statuses` and keeps what it received."""

    statuses: list[int] = []
    received: list[tuple[dict, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        status = type(self).statuses.pop(0) if type(self).statuses else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint(settings):
    Receiver.statuses, Receiver.received = [], []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.RULE_WEBHOOKS = json.dumps(
        {"case-system": {"url": f"http://127.0.0.1:{server.server_port}/hook", "secret": SECRET}}
    )
    yield Receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook_rule(departments, endpoint, write_rule):
    path = write_rule(
        "case-webhook",
        """event: case.submitted
condition: event.channel == "paper"
actions:
  - webhook: {endpoint: case-system}
examples:
  - name: a paper case is sent
    event: {case_id: 1, channel: paper}
    expect:
      - webhook: {endpoint: case-system}
  - name: an online case is not
    event: {case_id: 2, channel: online}
    expect: []
""",
    )
    services.publish_rules(paths=[path])
    return path


def fire_paper_case():
    case = CaseFactory(channel="paper")
    payload = {"case_id": case.pk, "reference": case.reference, "procedure": "x", "channel": "paper"}
    [firing] = services.fire_rules(topic="case.submitted", payload=payload, event_id=case.pk)
    return firing.actions.get()


def test_a_webhook_posts_a_signed_cloudevent(webhook_rule, endpoint):
    run = fire_paper_case()
    assert services.run_action(run.pk) == ActionStatus.DONE
    [(headers, body)] = endpoint.received
    assert headers["Content-Type"] == "application/cloudevents+json"
    assert webhooks.verify_signature(SECRET, body, headers["Madoguchi-Signature"])
    assert not webhooks.verify_signature("another secret", body, headers["Madoguchi-Signature"])
    assert not webhooks.verify_signature(SECRET, body + b" ", headers["Madoguchi-Signature"])
    event = json.loads(body)
    assert event["specversion"] == "1.0" and event["type"] == "jp.madoguchi.case.submitted"
    assert event["id"] == f"madoguchi-rule-action-{run.pk}"
    assert event["source"].endswith("/rules/case-webhook/v1")
    assert event["data"]["rule"] == "case-webhook" and event["data"]["event"]["channel"] == "paper"


def test_an_old_signature_is_refused():
    header = webhooks.sign(SECRET, b"{}", 1_000)
    assert webhooks.verify_signature(SECRET, b"{}", header, now=1_100)
    assert not webhooks.verify_signature(SECRET, b"{}", header, now=2_000)


def test_a_failing_webhook_shows_on_the_stuck_page_and_one_click_retries_it(webhook_rule, endpoint, client):
    endpoint.statuses = [503]
    run = fire_paper_case()
    assert services.run_action(run.pk) == ActionStatus.FAILED
    run.refresh_from_db()
    assert run.last_error == "webhook 'case-system' answered HTTP 503" and run.next_attempt_at

    staff = StaffFactory()
    client.force_login(staff)
    page = client.get(reverse("automation:stuck"))
    assert page.status_code == 200
    assert "webhook &#x27;case-system&#x27; answered HTTP 503" in page.content.decode()
    retry_url = reverse("automation:stuck_retry", args=[run.pk])
    assert retry_url in page.content.decode()

    response = client.post(retry_url, follow=True)
    assert "再実行しました。処理は完了しました。" in response.content.decode()
    run.refresh_from_db()
    assert (run.status, run.attempts, run.last_error) == (ActionStatus.DONE, 2, "")
    assert len(endpoint.received) == 2
    assert AuditEvent.objects.filter(
        action="retry", object_type="automation.action", actor_id=staff.pk
    ).exists()


def test_webhooks_among_many_actions_are_called_one_at_a_time_and_retried_alone(webhook_rule, endpoint):
    endpoint.statuses = [200, 503, 200]
    ids = [fire_paper_case().pk for _ in range(3)]
    assert services.run_actions(ids) == [ActionStatus.DONE, ActionStatus.FAILED, ActionStatus.DONE]
    failed = ActionRun.objects.get(pk=ids[1])
    assert (failed.attempts, failed.last_error) == (1, "webhook 'case-system' answered HTTP 503")
    assert failed.next_attempt_at > failed.updated_at
    # The same actions delivered again (or the retry sweep): only the failed call is made again.
    assert services.run_actions(ids) == [ActionStatus.DONE] * 3
    sent = [json.loads(body)["id"] for _headers, body in endpoint.received]
    assert sent == [f"madoguchi-rule-action-{pk}" for pk in [*ids, ids[1]]]
    assert ActionRun.objects.get(pk=ids[1]).attempts == 2


def test_an_unreachable_endpoint_is_a_recorded_failure(webhook_rule, settings):
    settings.RULE_WEBHOOKS = json.dumps({"case-system": {"url": "http://127.0.0.1:9/hook", "secret": "x"}})
    run = fire_paper_case()
    assert services.run_action(run.pk) == ActionStatus.FAILED
    run.refresh_from_db()
    assert run.last_error.startswith("webhook 'case-system' could not be reached")


def test_the_office_pages_render_for_staff_and_audit_the_persons_shown(shipped_rules, client, departments):
    from madoguchi.residents.tests.factories import PersonFactory

    person = PersonFactory()
    [firing] = services.fire_rules(
        topic="resident.moved_in",
        payload={
            "person_id": person.pk,
            "birth_date": "1950-01-01",
            "moved_on": "2026-04-01",
            "is_active": True,
        },
        event_id=1,
    )
    services.run_actions(firing.actions.values_list("pk", flat=True))
    staff = StaffFactory(department=departments["kaigo"])
    client.force_login(staff)
    rules = client.get(reverse("automation:rules")).content.decode()
    assert "kaigo-shikaku-tennyu" in rules and "65歳以上の転入" in rules
    firings = client.get(
        reverse("automation:firings") + "?rule=kaigo-shikaku-tennyu&outcome=done"
    ).content.decode()
    assert "resident.moved_in" in firings and "create_task" in firings
    assert AuditEvent.objects.filter(object_type="automation.firing", person_id=person.pk).exists()
    tasks = client.get(reverse("automation:tasks")).content.decode()
    assert "介護保険 資格取得" in tasks and person.atena_number in tasks
    assert AuditEvent.objects.filter(object_type="automation.task", person_id=person.pk).exists()
    english = client.get("/en" + reverse("automation:rules"))
    assert english.status_code == 200

    task = Task.objects.get()
    client.post(reverse("automation:task_action", args=[task.pk]), {"action": "take"})
    task.refresh_from_db()
    assert task.assignee == staff and task.status == "taken"
    client.post(reverse("automation:task_action", args=[task.pk]), {"action": "close"})
    task.refresh_from_db()
    assert task.status == "closed"
    assert client.get(reverse("automation:stuck")).status_code == 200


def test_the_office_pages_are_for_staff_only(client, db):
    from madoguchi.accounts.tests.factories import ResidentFactory

    assert client.get(reverse("automation:stuck")).status_code == 302
    client.force_login(ResidentFactory())
    assert client.get(reverse("automation:stuck")).status_code == 404
    assert client.post(reverse("automation:stuck_retry", args=[1])).status_code == 404


def test_rules_cli_test_publish_and_list(departments, write_rule, capsys):
    from madoguchi.automation.tests.conftest import RULES_DIR

    call_command("rules", "test", str(RULES_DIR))
    out = capsys.readouterr().out
    assert "ok   kaigo-shikaku-tennyu: a 70-year-old moves in" in out and "9 example(s) passed" in out

    bad = write_rule(
        "bad",
        """event: resident.born
actions:
  - set_flag: {subject: person, flag: newborn}
examples:
  - name: wrong expectation
    event: {person_id: 1}
    expect: [create_task]
""",
    )
    with pytest.raises(CommandError) as caught:
        call_command("rules", "test", str(bad))
    assert caught.value.returncode == 1
    out = capsys.readouterr().out
    assert "FAIL bad: wrong expectation" in out
    assert '- expected {"create_task": {}}' in out and '+ planned  {"set_flag"' in out

    with pytest.raises(CommandError):
        call_command("rules", "publish", str(bad))
    call_command("rules", "publish", str(RULES_DIR))
    call_command("rules", "list")
    out = capsys.readouterr().out
    assert "Rules: 5 published, 0 unchanged." in out
    assert "kaigo-shikaku-tennyu" in out and "resident.moved_in" in out
