"""Feeds domain events to the rules: every topic a rule can listen to (rules.topics) is subscribed here.

case.approved has no event of its own: it is a case.status_changed to `approved` (topics.topics_fed_by).
"""

from __future__ import annotations

from madoguchi.automation.rules.topics import TOPICS
from madoguchi.core.events import subscribe


def _subscriber(topic: str):
    def fire(payload: dict) -> None:
        # Imported when an event comes: the services bring CEL, PyYAML and ReportLab, which a command's start
        # (django.setup) should not pay for (core/tests/test_startup.py).
        from madoguchi.automation import services

        services.fire_rules(topic=topic, payload=payload)

    fire.__name__ = f"fire_rules_on_{topic.replace('.', '_')}"
    return fire


for _topic in sorted({t.source or t.name for t in TOPICS.values()}):
    subscribe(_topic)(_subscriber(_topic))
