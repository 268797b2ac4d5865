"""Reads of the automation room: rules in force, firings, stuck actions, tasks, flags."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from madoguchi.automation.models import ActionRun, ActionStatus, Firing, Flag, RuleVersion, Task, TaskStatus


def _active_flags(flag: str) -> QuerySet[Flag]:
    now = timezone.now()
    return Flag.objects.filter(flag=flag, cleared_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def flagged_person_ids(flag: str, person_ids: Iterable[int] | None = None) -> set[int]:
    """Persons with an active `flag` (not cleared, not expired), among `person_ids` when given.

    The benefits room asks `flagged_person_ids("payment_hold", ids)` to hold payments of those persons.
    """
    flags = _active_flags(flag).filter(person__isnull=False)
    if person_ids is not None:
        flags = flags.filter(person_id__in=list(person_ids))
    return set(flags.values_list("person_id", flat=True))


def flagged_case_ids(flag: str, case_ids: Iterable[int] | None = None) -> set[int]:
    flags = _active_flags(flag).filter(case__isnull=False)
    if case_ids is not None:
        flags = flags.filter(case_id__in=list(case_ids))
    return set(flags.values_list("case_id", flat=True))


def rule_versions() -> QuerySet[RuleVersion]:
    """Every published version, newest first per rule, with how often each fired."""
    return RuleVersion.objects.annotate(firing_count=Count("firings")).order_by("rule_id", "-version")


def firings(*, rule_id: str = "", topic: str = "", outcome: str = "") -> QuerySet[Firing]:
    """The firings log, newest first; `outcome`: failed (an action failed or stopped), error (the condition)."""
    qs = Firing.objects.select_related("rule_version").prefetch_related("actions").order_by("-id")
    if rule_id:
        qs = qs.filter(rule_version__rule_id=rule_id)
    if topic:
        qs = qs.filter(topic=topic)
    if outcome == "failed":
        qs = qs.filter(actions__status__in=(ActionStatus.FAILED, ActionStatus.STUCK)).distinct()
    elif outcome == "error":
        qs = qs.exclude(error="")
    elif outcome == "done":
        qs = qs.filter(error="").exclude(
            actions__status__in=(ActionStatus.FAILED, ActionStatus.STUCK, ActionStatus.PENDING)
        )
    return qs


def stuck_actions() -> QuerySet[ActionRun]:
    """Actions whose last attempt failed (waiting for a retry, or stopped), oldest first."""
    return (
        ActionRun.objects.filter(status__in=(ActionStatus.FAILED, ActionStatus.STUCK))
        .select_related("firing", "firing__rule_version")
        .order_by("updated_at", "pk")
    )


def failed_conditions() -> QuerySet[Firing]:
    return Firing.objects.exclude(error="").select_related("rule_version").order_by("-id")


def tasks_for_department(*, department_id: int, status: str = "") -> QuerySet[Task]:
    qs = Task.objects.filter(department_id=department_id).select_related("assignee", "person", "case")
    qs = qs.filter(status=status) if status in TaskStatus.values else qs.exclude(status=TaskStatus.CLOSED)
    return qs.order_by("due_date", "pk")
