"""Published rule versions, their firings and each action's recorded step, the tasks and flags rules make.

A published `RuleVersion` is immutable (its canonical JSON and hash); a changed file with a higher `version`
becomes a new row and the current one. A `Firing` is one rule version matching one outbox event; each of its
actions is an `ActionRun`, carried out on its own, retried with backoff, and visible while it fails.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.models import Department


class RuleVersion(models.Model):
    rule_id = models.SlugField(max_length=80)
    version = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    spec = models.JSONField()  # Rule.to_json(): the validated rule, examples included
    topic = models.CharField(max_length=60)
    title_ja = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    source_path = models.CharField(max_length=300, blank=True)
    examples_passed = models.PositiveIntegerField(default=0)
    is_current = models.BooleanField(default=True)  # the version that fires; at most one per rule
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.CharField(max_length=200, blank=True)  # a staff e-mail or "cli"

    class Meta:
        ordering = ["rule_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["rule_id", "version"], name="automation_rule_version_unique"),
            models.UniqueConstraint(
                fields=["rule_id"], condition=models.Q(is_current=True), name="automation_rule_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.version}"

    def title_for(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_ja


class Firing(models.Model):
    """One rule version matching one event: the input it saw, and its actions (ActionRun)."""

    rule_version = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="firings")
    event_id = models.BigIntegerField(null=True, blank=True)  # core.OutboxEvent id (None: a manual run)
    topic = models.CharField(max_length=60)
    input = models.JSONField()  # the completed payload the condition saw (ids and codes, no names)
    error = models.TextField(blank=True)  # the condition could not be evaluated
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_version", "event_id", "topic"], name="automation_firing_once"
            )
        ]
        indexes = [models.Index(fields=["topic", "-id"], name="automation_firing_topic")]

    def __str__(self) -> str:
        return f"{self.rule_version} on {self.topic} #{self.event_id}"


class ActionStatus(models.TextChoices):
    PENDING = "pending", _("実行待ち")
    DONE = "done", _("完了")
    SKIPPED = "skipped", _("対象なし")
    FAILED = "failed", _("失敗（再試行待ち）")
    STUCK = "stuck", _("停止（要対応）")


class ActionRun(models.Model):
    """One action of a firing, carried out in its own step: attempts, the last error, what it made."""

    firing = models.ForeignKey(Firing, on_delete=models.CASCADE, related_name="actions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=30)
    params = models.JSONField()  # PlannedAction.params: texts filled in
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)  # e.g. {"task_id": 3}, {"notices": 2}
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["firing_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["firing", "position"], name="automation_action_position_unique")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="automation_action_due")]

    def __str__(self) -> str:
        return f"{self.kind} of firing {self.firing_id} ({self.status})"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("未着手")
    TAKEN = "taken", _("対応中")
    CLOSED = "closed", _("完了")


class Task(models.Model):  # 業務タスク: work a rule hands to a department
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="automation_tasks")
    title_ja = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300)
    person = models.ForeignKey(
        "residents.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="automation_tasks"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="automation_tasks"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action_run = models.ForeignKey(
        ActionRun, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    item = models.CharField(max_length=120, blank=True)  # the for_each item (e.g. a program slug)
    created_at = models.DateTimeField(default=timezone.now)
    taken_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["department", "status", "due_date"], name="automation_task_queue")]
        constraints = [
            models.UniqueConstraint(fields=["action_run"], name="automation_task_once_per_action"),
        ]

    def __str__(self) -> str:
        return self.title_ja

    def title_for(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_ja


class Flag(models.Model):
    """A flag on a person or a case (e.g. payment_hold), active until cleared or expired."""

    flag = models.CharField(max_length=60)
    person = models.ForeignKey(
        "residents.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="automation_flags"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="automation_flags"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    action_run = models.ForeignKey(
        ActionRun, null=True, blank=True, on_delete=models.PROTECT, related_name="flags"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["flag", "person"], name="automation_flag_person"),
            models.Index(fields=["flag", "case"], name="automation_flag_case"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False, case__isnull=True)
                | models.Q(person__isnull=True, case__isnull=False),
                name="automation_flag_one_subject",
            ),
            models.UniqueConstraint(fields=["action_run"], name="automation_flag_once_per_action"),
        ]

    def __str__(self) -> str:
        return f"{self.flag} on {'person ' + str(self.person_id) if self.person_id else 'case ' + str(self.case_id)}"


class Letter(models.Model):
    """A printable letter (PDF) a rule queued for printing and mailing."""

    action_run = models.OneToOneField(ActionRun, on_delete=models.PROTECT, related_name="letter")
    person = models.ForeignKey(
        "residents.Person", on_delete=models.PROTECT, related_name="automation_letters"
    )
    title = models.CharField(max_length=300)
    pdf = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    printed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title


class Turned65(models.Model):
    """A person whose 65th birthday the daily job announced (resident.turned_65 once per person)."""

    person = models.OneToOneField("residents.Person", on_delete=models.PROTECT, related_name="+")
    birthday = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.person_id} turned 65 on {self.birthday}"
