"""Feeds domain events to the rules: every topic a rule can listen to (rules.topics) is subscribed here.

One batch subscriber (`core.events.subscribe_batch`) for all of them: a registry import's thousands of events are
evaluated and their firings written with one INSERT per delivered batch. case.approved has no event of its own:
it is a case.status_changed to `approved` (topics.topics_fed_by).
"""

from __future__ import annotations

from madoguchi.automation.rules.topics import TOPICS
from madoguchi.core.events import subscribe_batch

SOURCE_TOPICS = tuple(sorted({t.source or t.name for t in TOPICS.values()}))


@subscribe_batch(*SOURCE_TOPICS)
def fire_rules_on_events(events: list) -> None:
    # Imported when events come: the services bring CEL, PyYAML and ReportLab, which a command's start
    # (django.setup) should not pay for (core/tests/test_startup.py).
    from madoguchi.automation import services

    services.fire_rules_on_events((event.pk, event.topic, event.payload) for event in events)
