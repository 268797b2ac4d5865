"""Every write of the automation room: publishing rules, firing them on events, carrying out their actions.

Firing happens inside the outbox delivery of the events (`subscribers`, a batch subscriber): the rule versions
that match are recorded (`Firing`, one `ActionRun` per planned action; one statement each per delivered batch)
in the delivery's transaction, and the actions run after it commits (`run_actions`: in bulk, a kind at a time,
with the guarantees of one step per action, `run_action`): a failure is recorded with its error, retried with
exponential backoff (`retry_due_actions`, Celery beat), and after MADOGUCHI_RULE_ACTION_MAX_ATTEMPTS waits on the
office's stuck page for `retry_action`. Nothing an action does fails the event or another action.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from madoguchi.accounts.models import Department, IdentityLink, User
from madoguchi.automation import webhooks
from madoguchi.automation.models import (
    ActionRun,
    ActionStatus,
    Firing,
    Flag,
    Letter,
    RuleVersion,
    Task,
    TaskStatus,
    Turned65,
)
from madoguchi.automation.rules import condition as cel
from madoguchi.automation.rules.spec import (
    Problem,
    Rule,
    RuleFileError,
    canonical_sha256,
    load_rule_file,
    plan_actions,
    rule_paths,
    run_examples,
)
from madoguchi.automation.rules.topics import complete_payload, topics_fed_by
from madoguchi.core import audit, events
from madoguchi.core.bulk import insert_new
from madoguchi.core.clock import add_business_days
from madoguchi.residents.models import Person

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = 30  # first retry after 30 s, then 60, 120, 240 …
OPEN_CASE_STATUSES = ("submitted", "in_review", "waiting_for_applicant")


# --------------------------------------------------------------------------------------------------------------
# Publishing


class RulePublishError(Exception):
    """The rule files cannot be published; `problems` says where and why. Nothing was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class PublishReport:
    published: list[str] = field(default_factory=list)  # "id vN"
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.published)} published, {len(self.unchanged)} unchanged"


def load_rules(paths: Sequence[str | Path]) -> list[tuple[Path, Rule]]:
    """Every rule file named (folders: their *.yaml), validated; raises RulePublishError with all problems."""
    files = rule_paths(paths)
    if not files:
        raise RulePublishError([Problem(", ".join(map(str, paths)) or ".", 0, "no *.yaml rule files here")])
    loaded, problems = [], []
    for path in files:
        try:
            loaded.append((path, load_rule_file(path)))
        except RuleFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RulePublishError(problems)
    return loaded


def _installation_problems(path: Path, rule: Rule) -> list[Problem]:
    """What this installation lacks for the rule: departments, procedures, webhook endpoints."""
    from madoguchi.procedures.models import Procedure

    problems = []
    lines = rule.source_lines.get("actions", 0)
    for action in rule.actions:
        line = action.line or lines
        if (
            action.kind == "create_task"
            and not Department.objects.filter(code=action.params["department"]).exists()
        ):
            problems.append(
                Problem(
                    str(path),
                    line,
                    f"department '{action.params['department']}' does not exist here; create it first",
                )
            )
        if (
            action.kind == "create_case"
            and not Procedure.objects.filter(slug=action.params["procedure"]).exists()
        ):
            problems.append(
                Problem(
                    str(path),
                    line,
                    f"procedure '{action.params['procedure']}' is not published; run `madoguchi procedures sync`",
                )
            )
        if action.kind == "webhook":
            try:
                known = webhooks.endpoints()
            except webhooks.WebhookError as exc:
                problems.append(Problem(str(path), line, str(exc)))
                continue
            if action.params["endpoint"] not in known:
                problems.append(
                    Problem(
                        str(path),
                        line,
                        f"webhook endpoint '{action.params['endpoint']}' is not in MADOGUCHI_RULE_WEBHOOKS; add it there",
                    )
                )
    return problems


def publish_rules(*, paths: Sequence[str | Path], published_by: str = "cli") -> PublishReport:
    """Publish the rule files: all of them or, on any problem (validation, a failing example, something the
    installation lacks, a changed file whose version was not raised), none."""
    loaded = load_rules(paths)
    problems: list[Problem] = []
    for path, rule in loaded:
        for result in run_examples(rule):
            if not result.passed:
                problems.append(
                    Problem(
                        str(path),
                        rule.source_lines.get("examples", 0),
                        f"example '{result.name}' fails: {' / '.join(result.diff)}; fix the rule or the example",
                    )
                )
        problems.extend(_installation_problems(path, rule))
    report = PublishReport()
    with transaction.atomic():
        for path, rule in loaded:
            sha = canonical_sha256(rule)
            current = RuleVersion.objects.select_for_update().filter(rule_id=rule.id, is_current=True).first()
            same = RuleVersion.objects.filter(rule_id=rule.id, version=rule.version).first()
            if same is not None and same.sha256 == sha:
                if not same.is_current:
                    RuleVersion.objects.filter(rule_id=rule.id, is_current=True).update(is_current=False)
                    same.is_current = True
                    same.save(update_fields=["is_current"])
                    report.published.append(f"{rule.id} v{rule.version}")
                else:
                    report.unchanged.append(f"{rule.id} v{rule.version}")
                continue
            if same is not None:
                problems.append(
                    Problem(
                        str(path),
                        rule.source_lines.get("version", 0),
                        f"version {rule.version} of '{rule.id}' is already published with other content; "
                        "raise the version number",
                    )
                )
                continue
            if current is not None and current.version > rule.version:
                problems.append(
                    Problem(
                        str(path),
                        rule.source_lines.get("version", 0),
                        f"version {rule.version} is lower than the published version {current.version}; raise it",
                    )
                )
                continue
            if problems:
                continue
            if current is not None:
                current.is_current = False
                current.save(update_fields=["is_current"])
            RuleVersion.objects.create(
                rule_id=rule.id,
                version=rule.version,
                sha256=sha,
                spec=rule.to_json(),
                topic=rule.topic,
                title_ja=rule.title.ja,
                title_en=rule.title.en,
                source_path=str(path)[:300],
                examples_passed=len(rule.examples),
                is_current=True,
                published_by=published_by[:200],
            )
            report.published.append(f"{rule.id} v{rule.version}")
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise RulePublishError(problems)
    forget_rules()
    return report


def retire_rule(*, rule_id: str) -> bool:
    """Stop a rule from firing (its versions and firings stay); True when it was active."""
    changed = RuleVersion.objects.filter(rule_id=rule_id, is_current=True).update(is_current=False)
    forget_rules()
    return bool(changed)


# --------------------------------------------------------------------------------------------------------------
# The rules in force, per process

_RELOAD_SECONDS = 5.0
_lock = threading.Lock()
_cache: dict[str, Any] = {"loaded_at": -1e9, "by_topic": {}, "rules": {}}


def forget_rules() -> None:
    with _lock:
        _cache["loaded_at"] = -1e9


def _rules_in_force() -> dict[str, list[tuple[int, Rule]]]:
    """The current rule versions by topic: {topic: [(version id, rule)]}; re-read every few seconds.

    A published version never changes, so a re-read asks only which versions are current (id and hash) and
    reads the spec of a version it has not seen yet; each condition is compiled once per process
    (`condition.compiled`)."""
    now = time.monotonic()
    with _lock:
        if now - _cache["loaded_at"] > _RELOAD_SECONDS:
            known: dict[tuple[int, str], Rule] = _cache["rules"]
            current = list(
                RuleVersion.objects.filter(is_current=True).order_by("rule_id").values_list("id", "sha256")
            )
            missing = [key for key in current if key not in known]
            if missing:
                for version_id, sha, spec in RuleVersion.objects.filter(
                    pk__in=[version_id for version_id, _sha in missing]
                ).values_list("id", "sha256", "spec"):
                    known[(version_id, sha)] = Rule.from_json(spec)
            by_topic: dict[str, list[tuple[int, Rule]]] = {}
            for key in current:
                rule = known[key]
                by_topic.setdefault(rule.topic, []).append((key[0], rule))
            _cache["rules"] = {key: known[key] for key in current}
            _cache["by_topic"], _cache["loaded_at"] = by_topic, now
        return _cache["by_topic"]


def rules_for(topic: str) -> list[tuple[int, Rule]]:
    """The current rule versions listening to `topic`: (version id, rule); re-read every few seconds."""
    return _rules_in_force().get(topic, [])


# --------------------------------------------------------------------------------------------------------------
# Firing


@dataclass(frozen=True)
class _Match:
    version_id: int
    event_id: int | None
    topic: str
    input: dict
    error: str
    planned: list


def fire_rules(*, topic: str, payload: dict, event_id: int | None = None) -> list[Firing]:
    """Evaluate the rules of every topic this event feeds; record each match and schedule its actions.

    `event_id` defaults to the outbox event being delivered; a firing already recorded for the same event, rule
    version and topic is not recorded again."""
    if event_id is None:
        delivering = events.current_event()
        event_id = delivering.pk if delivering is not None else None
    return fire_rules_on_events([(event_id, topic, payload)])


def fire_rules_on_events(items: Iterable[tuple[int | None, str, dict]]) -> list[Firing]:
    """Evaluate the rules in force for many events (event id, topic, payload), in order, and record every match
    with one statement for the firings and one for their actions; the actions are queued with one message after
    commit. An event fires each rule version once: firings already recorded for these events (a second
    delivery, a manual re-run) are looked up in one query and left out, as is the same event given twice, and
    the unique constraint stands behind it. A condition that cannot be evaluated is recorded as a firing with
    its error (the stuck page)."""
    if not settings.RULES_ENABLED:
        return []
    in_force = _rules_in_force()
    if not in_force:
        return []
    matched: list[_Match] = []
    for event_id, topic, payload in items:
        for rule_topic in topics_fed_by(topic, payload):
            rules = in_force.get(rule_topic)
            if not rules:
                continue
            completed = complete_payload(rule_topic, payload)
            for version_id, rule in rules:
                error = ""
                try:
                    planned = plan_actions(rule, completed)
                except cel.ConditionError as exc:
                    planned, error = [], str(exc)
                if planned or error:
                    matched.append(_Match(version_id, event_id, rule_topic, completed, error, planned))
    if not matched:
        return []
    event_ids = {m.event_id for m in matched if m.event_id is not None}
    if event_ids:
        recorded = Firing.objects.filter(rule_version_id__in={m.version_id for m in matched})
        low, high = min(event_ids), max(event_ids)
        if high - low < 2 * len(event_ids):  # a batch's ids are dense: a range is cheaper than a long IN
            recorded = recorded.filter(event_id__range=(low, high))
        else:
            recorded = recorded.filter(event_id__in=event_ids)
        seen = set(recorded.values_list("rule_version_id", "event_id", "topic"))
        fresh = []
        for m in matched:
            key = (m.version_id, m.event_id, m.topic)
            if m.event_id is None or key not in seen:
                fresh.append(m)
                if m.event_id is not None:
                    seen.add(key)
        matched = fresh
        if not matched:
            return []
    # One COPY for the firings and one for their actions on PostgreSQL (ids taken first), one INSERT each on
    # SQLite (core.bulk.insert_new).
    firings = insert_new(
        Firing(rule_version_id=m.version_id, event_id=m.event_id, topic=m.topic, input=m.input, error=m.error)
        for m in matched
    )
    runs = [
        ActionRun(firing=firing, position=i, kind=p.kind, params=dict(p.params))
        for firing, m in zip(firings, matched, strict=True)
        for i, p in enumerate(m.planned)
    ]
    if runs:
        ids = [run.pk for run in insert_new(runs)]
        transaction.on_commit(lambda: _schedule(ids))
    return firings


def _schedule(action_ids: list[int]) -> None:
    """Hand the actions to the automation queue (in-process without a broker). A broker that is down leaves
    them pending: `retry_due_actions` picks them up."""
    from madoguchi.automation.tasks import run_actions

    try:
        run_actions.delay(action_ids)
    except Exception:
        logger.warning("rule actions %s not queued now; the retry sweep runs them", action_ids, exc_info=True)


FINISHED = (ActionStatus.DONE, ActionStatus.SKIPPED)
OUTCOME_FIELDS = ["status", "attempts", "last_error", "result", "next_attempt_at", "updated_at"]
BULK_CHUNK = 500  # actions claimed and carried out per transaction by `run_actions`

Outcome = tuple[str, dict] | Exception  # what an executor made of an action: (status, result), or its error


def _record(run: ActionRun, outcome: Outcome, now: dt.datetime) -> None:
    """Write one attempt's outcome on the run (the caller saves it): done or skipped with its result, or the
    error with the next attempt after an exponential backoff, or stuck after the last attempt."""
    run.attempts += 1
    run.updated_at = now
    if isinstance(outcome, Exception):
        logger.warning("rule action %s (%s) failed: %s", run.pk, run.kind, outcome)
        run.last_error = (str(outcome) or repr(outcome))[:2000]
        if run.attempts >= settings.RULE_ACTION_MAX_ATTEMPTS:
            run.status, run.next_attempt_at = ActionStatus.STUCK, None
            logger.error("rule action %s (%s) stopped after %s attempts", run.pk, run.kind, run.attempts)
        else:
            run.status = ActionStatus.FAILED
            run.next_attempt_at = now + dt.timedelta(seconds=BACKOFF_SECONDS * 2 ** (run.attempts - 1))
    else:
        run.status, run.result = outcome
        run.last_error, run.next_attempt_at = "", None


def _check_deferred_constraints() -> None:
    """Check now the foreign keys PostgreSQL would check at commit (Django makes them deferrable): a bad
    reference fails the savepoint that wrote it, not the whole transaction later."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _attempt(run: ActionRun, *, check: bool = False) -> Outcome:
    """One action by its executor in a savepoint: its outcome, or the error that undid what it wrote."""
    try:
        with transaction.atomic():
            outcome = EXECUTORS[run.kind](run)
            if check:
                _check_deferred_constraints()
            return outcome
    except Exception as exc:
        return exc


def run_action(action_id: int) -> str:
    """Carry out one action in its own transaction, its row locked; record the outcome. Returns the new status
    ("" when there is no such action). An action already done or skipped is not carried out again."""
    with transaction.atomic():
        run = (
            ActionRun.objects.select_for_update()
            .select_related("firing", "firing__rule_version")
            .filter(pk=action_id)
            .first()
        )
        if run is None or run.status in FINISHED:
            return run.status if run else ""
        now = timezone.now()
        _record(run, _attempt(run), now)
        run.save(update_fields=OUTCOME_FIELDS)
        return run.status


def run_actions(action_ids: Iterable[int], *, one_by_one: bool = False) -> list[str]:
    """Carry out actions; their new statuses, in the order given ("" for an id that is not there).

    In bulk (`_run_chunk`), BULK_CHUNK actions per transaction. `one_by_one=True` is `run_action` for each id,
    the path before the bulk one (kept as the benchmark's baseline)."""
    given = list(action_ids)
    if one_by_one:
        return [run_action(action_id) for action_id in given]
    ids = list(dict.fromkeys(given))
    statuses: dict[int, str] = {}
    for start in range(0, len(ids), BULK_CHUNK):
        statuses.update(_run_chunk(ids[start : start + BULK_CHUNK]))
    return [statuses[action_id] for action_id in given]


def _run_chunk(ids: list[int]) -> dict[int, str]:
    """Carry out a chunk of actions in one transaction, with the guarantees of `run_action`:

    - exactly once: the chunk's rows are claimed with one locking query that skips rows another worker holds
      now (`FOR UPDATE SKIP LOCKED` on PostgreSQL); those are left to `run_action`, which waits for them and
      finds them done. Actions already done or skipped are not carried out again.
    - the kinds with a bulk executor (tasks, flags, notices) are carried out a kind at a time in a savepoint:
      a few queries for all their firings' persons, departments and accounts, one INSERT for what they make.
    - failure isolation: an action that cannot be carried out (an unknown person, a department that does not
      exist) fails alone, with its error; a kind's batch that fails as a whole is rolled back to its savepoint
      and carried out again one action at a time, each in its own savepoint. A chunk that cannot be recorded
      at all is carried out again with `run_action`, one at a time.
    - every outcome recorded (status, attempts, result, error, next attempt with backoff), with one UPDATE
      statement run for all of them (`_save_outcomes`).
    - webhooks (a network call each, retried on its own), draft cases and letters go to `run_action`, one at a
      time, after the chunk commits.
    """
    statuses: dict[int, str] = {}
    try:
        with transaction.atomic():
            runs = _claim(ids)
            later = set(ids) - {run.pk for run in runs}  # held by another worker now, or not there
            by_kind: dict[str, list[ActionRun]] = {}
            for run in runs:
                if run.status in FINISHED:
                    statuses[run.pk] = run.status
                elif run.kind in BULK_EXECUTORS:
                    by_kind.setdefault(run.kind, []).append(run)
                else:
                    later.add(run.pk)
            now = timezone.now()
            attempted: list[ActionRun] = []
            for kind, group in by_kind.items():
                outcomes = _attempt_many(kind, group)
                for run in group:
                    _record(run, outcomes[run.pk], now)
                    statuses[run.pk] = run.status
                attempted += group
            _save_outcomes(attempted)
    except Exception:
        logger.warning(
            "rule actions %s…%s: the bulk step failed; carrying them out one at a time",
            ids[0],
            ids[-1],
            exc_info=True,
        )
        return {action_id: run_action(action_id) for action_id in ids}
    for action_id in ids:
        if action_id in later:
            statuses[action_id] = run_action(action_id)
    return statuses


def _save_outcomes(runs: list[ActionRun]) -> None:
    """UPDATE the outcome fields of many runs: one statement run for every row (`executemany`: pipelined by
    psycopg, in one call by sqlite3), each value prepared by its field as `save` does. (`bulk_update` builds a
    CASE expression per field and row in Python: 1.5 s for 500 runs.)"""
    if not runs:
        return
    quote = connection.ops.quote_name
    fields = [ActionRun._meta.get_field(name) for name in OUTCOME_FIELDS]
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - the model's table and columns
        quote(ActionRun._meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(ActionRun._meta.pk.column),
    )
    rows = [
        [f.get_db_prep_save(getattr(run, f.attname), connection) for f in fields] + [run.pk] for run in runs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _claim(ids: list[int]) -> list[ActionRun]:
    """Lock the actions no other worker holds now (one query; in the caller's transaction), with their
    firings and rule versions (not locked; the versions without their spec, which no executor reads)."""
    return list(
        ActionRun.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("firing", "firing__rule_version")
        .defer("firing__rule_version__spec")
        .filter(pk__in=ids)
        .order_by("pk")
    )


def _attempt_many(kind: str, runs: list[ActionRun]) -> dict[int, Outcome]:
    """The outcomes of many actions of one kind: their bulk executor in a savepoint; if it fails, each action
    again in its own savepoint."""
    try:
        with transaction.atomic():
            outcomes = BULK_EXECUTORS[kind](runs)
            _check_deferred_constraints()
            return outcomes
    except Exception as exc:
        logger.warning(
            "%s rule actions (%s): the batch failed (%s); one at a time", len(runs), kind, exc, exc_info=True
        )
    return {run.pk: _attempt(run, check=True) for run in runs}


def retry_due_actions(*, limit: int = 200) -> int:
    """Run the failed actions whose backoff is over, and pending ones older than a minute (lost messages)."""
    now = timezone.now()
    due = list(
        ActionRun.objects.filter(status=ActionStatus.FAILED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    due += list(
        ActionRun.objects.filter(
            status=ActionStatus.PENDING, firing__created_at__lt=now - dt.timedelta(minutes=1)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for status in run_actions(due) if status in FINISHED)


def retry_action(*, action_id: int, staff) -> str:
    """A staff member's retry from the stuck page: run it now, whatever its backoff. Returns the new status."""
    updated = ActionRun.objects.filter(
        pk=action_id, status__in=(ActionStatus.FAILED, ActionStatus.STUCK, ActionStatus.PENDING)
    ).update(status=ActionStatus.FAILED, next_attempt_at=None)
    if not updated:
        return ""
    audit.record_access(
        actor=staff,
        action="retry",
        object_type="automation.action",
        object_id=action_id,
        purpose="ルールの処理の再実行",
    )
    return run_action(action_id)


# --------------------------------------------------------------------------------------------------------------
# The actions


def _text(params: dict, key: str, lang: str) -> str:
    return (params.get(key) or {}).get(lang, "")


def _person(run: ActionRun) -> Person:
    person_id = run.firing.input.get("person_id")
    person = Person.objects.filter(pk=person_id).first() if person_id else None
    if person is None:
        raise LookupError(f"person {person_id} is not in the registry read-model")
    return person


def _create_task(run: ActionRun) -> tuple[str, dict]:
    params, data = run.params, run.firing.input
    department = Department.objects.filter(code=params["department"]).first()
    if department is None:
        raise LookupError(f"department '{params['department']}' does not exist; create it or fix the rule")
    subject = params.get("subject", "none")
    person = _person(run) if subject == "person" else None
    case_id = data.get("case_id") if subject == "case" else None
    task, _ = Task.objects.get_or_create(
        action_run=run,
        defaults={
            "department": department,
            "title_ja": _text(params, "title", "ja")[:300],
            "title_en": _text(params, "title", "en")[:300],
            "person": person,
            "case_id": case_id or None,
            "item": str(params.get("item") or "")[:120],
            "due_date": add_business_days(timezone.localdate(), int(params.get("sla_days") or 0)),
        },
    )
    return ActionStatus.DONE, {"task_id": task.pk}


def _linked_users(person_ids: Iterable[int]) -> list[User]:
    ids = IdentityLink.objects.filter(person_id__in=list(person_ids), revoked_at__isnull=True).values(
        "user_id"
    )
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def _guide_link(slug: str, lang: str) -> str:
    if not slug:
        return ""
    from madoguchi.counter.selectors import get_guide

    if get_guide(slug) is None:
        return ""
    base = settings.SITE_URL.rstrip("/")
    if lang == "en":
        return f"\n\nGuide: {base}/en/guide/{slug}/"
    return f"\n\n手続ナビ: {base}/guide/{slug}/"


def _send_notice(run: ActionRun) -> tuple[str, dict]:
    from madoguchi.cases.models import Case
    from madoguchi.notify.services import send_notice

    params, data = run.params, run.firing.input
    target = params["to"]
    deliveries: list[tuple[User, Any]] = []
    if target == "person":
        deliveries = [(u, None) for u in _linked_users([data.get("person_id")])]
    elif target == "household":
        members = Person.objects.filter(household__number=data.get("household_number"), is_active=True)
        deliveries = [(u, None) for u in _linked_users(members.values_list("pk", flat=True))]
    elif target == "applicant":
        deliveries = [
            (u, None) for u in User.objects.filter(pk=data.get("applicant_id") or 0, is_active=True)
        ]
    elif target == "open_cases":
        person_id = data.get("person_id")
        linked = IdentityLink.objects.filter(person_id=person_id, revoked_at__isnull=True).values("user_id")
        cases = (
            Case.objects.filter(status__in=OPEN_CASE_STATUSES, applicant__isnull=False)
            .filter(Q(person_id=person_id) | Q(applicant_id__in=linked))
            .select_related("applicant")
            .order_by("pk")
        )
        deliveries = [(case.applicant, case) for case in cases]
    if not deliveries:
        return ActionStatus.SKIPPED, {"notices": 0, "reason": f"no resident account to notify ({target})"}
    guide = params.get("guide", "")
    for user, case in deliveries:
        send_notice(
            recipient=user,
            case=case,
            kind=f"rule.{run.firing.rule_version.rule_id}",
            title_ja=_text(params, "title", "ja"),
            title_en=_text(params, "title", "en"),
            body_ja=_text(params, "body", "ja") + _guide_link(guide, "ja"),
            body_en=_text(params, "body", "en") + _guide_link(guide, "en"),
        )
    return ActionStatus.DONE, {"notices": len(deliveries)}


def _create_case(run: ActionRun) -> tuple[str, dict]:
    from madoguchi.cases.services import open_draft
    from madoguchi.procedures.models import Procedure

    procedure = (
        Procedure.objects.select_related("current_version")
        .filter(slug=run.params["procedure"], is_active=True)
        .first()
    )
    if procedure is None or procedure.current_version is None:
        raise LookupError(
            f"procedure '{run.params['procedure']}' is not published; run `madoguchi procedures sync`"
        )
    users = _linked_users([run.firing.input.get("person_id")])
    if not users:
        return ActionStatus.SKIPPED, {"reason": "the person has no linked resident account"}
    case, created = open_draft(applicant=users[0], procedure=procedure)
    return ActionStatus.DONE, {"case_id": case.pk, "reference": case.reference, "created": created}


def _send_letter(run: ActionRun) -> tuple[str, dict]:
    person = _person(run)
    title = _text(run.params, "title", "ja")
    from madoguchi.automation import letters  # ReportLab: imported when a letter is made

    pdf = letters.render_letter(
        name=person.name,
        postal_code=person.postal_code,
        address="" if person.support_measure else person.address,
        title=title,
        body=_text(run.params, "body", "ja"),
        day=timezone.localdate(),
        reference=f"R{run.pk:08d}",
    )
    letter, _ = Letter.objects.get_or_create(
        action_run=run, defaults={"person": person, "title": title[:300], "pdf": pdf}
    )
    return ActionStatus.DONE, {"letter_id": letter.pk}


def _set_flag(run: ActionRun) -> tuple[str, dict]:
    data, params = run.firing.input, run.params
    subject = params["subject"]
    days = params.get("expires_in_days")
    values: dict[str, Any] = {
        "flag": params["flag"],
        "expires_at": timezone.now() + dt.timedelta(days=int(days)) if days else None,
    }
    if subject == "person":
        values["person"] = _person(run)
    else:
        values["case_id"] = data.get("case_id")
    flag, _ = Flag.objects.get_or_create(action_run=run, defaults=values)
    return ActionStatus.DONE, {"flag_id": flag.pk}


def _webhook(run: ActionRun) -> tuple[str, dict]:
    name = run.params["endpoint"]
    endpoint = webhooks.endpoints().get(name)
    if endpoint is None:
        raise webhooks.WebhookError(
            f"webhook endpoint '{name}' is not in MADOGUCHI_RULE_WEBHOOKS; add it there"
        )
    version = run.firing.rule_version
    event = webhooks.cloud_event(
        event_id=f"madoguchi-rule-action-{run.pk}",
        source=f"{settings.SITE_URL.rstrip('/')}/rules/{version.rule_id}/v{version.version}",
        topic=run.firing.topic,
        time_iso=run.firing.created_at.isoformat(),
        data={"rule": version.rule_id, "version": version.version, "event": run.firing.input},
    )
    status = webhooks.post(endpoint, event)
    return ActionStatus.DONE, {"http_status": status}


EXECUTORS = {
    "create_task": _create_task,
    "create_case": _create_case,
    "send_notice": _send_notice,
    "send_letter": _send_letter,
    "set_flag": _set_flag,
    "webhook": _webhook,
}


# --------------------------------------------------------------------------------------------------------------
# The actions in bulk (`_run_chunk`): what the executors above do, for many actions of one kind at once, with a
# few queries and one INSERT. Each returns every action's outcome; an action that cannot be carried out gets
# the error its executor would raise and writes nothing. An action whose input the bulk look-ups would not read
# as its executor does (an id that is not a whole number, a missing field) is handed to its executor, in its
# own savepoint.


def _is_id(value: Any) -> bool:
    return type(value) is int


def _odd_person(run: ActionRun) -> bool:
    person_id = run.firing.input.get("person_id")
    return bool(person_id) and not _is_id(person_id)


def _persons_present(runs: Iterable[ActionRun]) -> set[int]:
    """Which of the runs' `person_id`s are in the registry read-model (one query)."""
    ids = {run.firing.input.get("person_id") for run in runs}
    ids = {person_id for person_id in ids if _is_id(person_id)}
    return set(Person.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()


def _person_id(run: ActionRun, present: set[int]) -> int:
    """`_person` for the bulk executors: the person's id, or the same LookupError."""
    person_id = run.firing.input.get("person_id")
    if not person_id or person_id not in present:
        raise LookupError(f"person {person_id} is not in the registry read-model")
    return person_id


def _create_tasks(runs: list[ActionRun]) -> dict[int, Outcome]:
    outcomes: dict[int, Outcome] = {}
    plain = []
    for run in runs:
        if run.params.get("subject", "none") == "person" and _odd_person(run):
            outcomes[run.pk] = _attempt(run)
        else:
            plain.append(run)
    codes = {run.params.get("department") for run in plain}
    departments = dict(Department.objects.filter(code__in=codes).values_list("code", "pk"))
    present = _persons_present(run for run in plain if run.params.get("subject", "none") == "person")
    made = dict(
        Task.objects.filter(action_run__in=[run.pk for run in plain]).values_list("action_run_id", "pk")
    )
    today, due_dates = timezone.localdate(), {}
    new = []
    for run in plain:
        params, data = run.params, run.firing.input
        try:
            department_id = departments.get(params["department"])
            if department_id is None:
                raise LookupError(
                    f"department '{params['department']}' does not exist; create it or fix the rule"
                )
            subject = params.get("subject", "none")
            person_id = _person_id(run, present) if subject == "person" else None
            case_id = data.get("case_id") if subject == "case" else None
            sla_days = int(params.get("sla_days") or 0)
            if sla_days not in due_dates:
                due_dates[sla_days] = add_business_days(today, sla_days)
            task = Task(
                action_run=run,
                department_id=department_id,
                title_ja=_text(params, "title", "ja")[:300],
                title_en=_text(params, "title", "en")[:300],
                person_id=person_id,
                case_id=case_id or None,
                item=str(params.get("item") or "")[:120],
                due_date=due_dates[sla_days],
            )
        except Exception as exc:
            outcomes[run.pk] = exc
            continue
        if run.pk in made:  # made by an earlier attempt: not made twice
            outcomes[run.pk] = (ActionStatus.DONE, {"task_id": made[run.pk]})
        else:
            new.append(task)
    for task in insert_new(new):
        outcomes[task.action_run_id] = (ActionStatus.DONE, {"task_id": task.pk})
    return outcomes


def _set_flags(runs: list[ActionRun]) -> dict[int, Outcome]:
    outcomes: dict[int, Outcome] = {}
    plain = []
    for run in runs:
        if run.params.get("subject") == "person" and _odd_person(run):
            outcomes[run.pk] = _attempt(run)
        else:
            plain.append(run)
    present = _persons_present(run for run in plain if run.params.get("subject") == "person")
    made = dict(
        Flag.objects.filter(action_run__in=[run.pk for run in plain]).values_list("action_run_id", "pk")
    )
    new = []
    for run in plain:
        data, params = run.firing.input, run.params
        try:
            subject = params["subject"]
            days = params.get("expires_in_days")
            flag = Flag(
                action_run=run,
                flag=params["flag"],
                expires_at=timezone.now() + dt.timedelta(days=int(days)) if days else None,
            )
            if subject == "person":
                flag.person_id = _person_id(run, present)
            else:
                flag.case_id = data.get("case_id")
        except Exception as exc:
            outcomes[run.pk] = exc
            continue
        if run.pk in made:
            outcomes[run.pk] = (ActionStatus.DONE, {"flag_id": made[run.pk]})
        else:
            new.append(flag)
    for flag in insert_new(new):
        outcomes[flag.action_run_id] = (ActionStatus.DONE, {"flag_id": flag.pk})
    return outcomes


# The field of the event each notice target reads, and its type.
_NOTICE_TARGETS = {
    "person": ("person_id", int),
    "household": ("household_number", str),
    "applicant": ("applicant_id", int),
    "open_cases": ("person_id", int),
}


def _send_notices(runs: list[ActionRun]) -> dict[int, Outcome]:
    from madoguchi.cases.models import Case
    from madoguchi.notify.models import Notice
    from madoguchi.notify.services import send_notices

    outcomes: dict[int, Outcome] = {}
    plain: list[tuple[ActionRun, str, Any]] = []
    for run in runs:
        target = run.params.get("to")
        field_name, kind = _NOTICE_TARGETS.get(target, ("", None))
        value = run.firing.input.get(field_name) if field_name else None
        if kind is None or type(value) is not kind or not value:
            outcomes[run.pk] = _attempt(run)  # an unknown target or no value: as the executor does
        else:
            plain.append((run, target, value))
    if not plain:
        return outcomes
    members: dict[str, list[int]] = {}
    households = {value for _run, target, value in plain if target == "household"}
    if households:
        for number, person_id in Person.objects.filter(
            household__number__in=households, is_active=True
        ).values_list("household__number", "pk"):
            members.setdefault(number, []).append(person_id)
    person_ids = {value for _run, target, value in plain if target in ("person", "open_cases")}
    person_ids.update(person_id for ids in members.values() for person_id in ids)
    links: dict[int, set[int]] = {}  # person → the accounts linked to it (active links)
    for person_id, user_id in IdentityLink.objects.filter(
        person_id__in=person_ids, revoked_at__isnull=True
    ).values_list("person_id", "user_id"):
        links.setdefault(person_id, set()).add(user_id)
    user_ids = {user_id for ids in links.values() for user_id in ids}
    user_ids.update(value for _run, target, value in plain if target == "applicant")
    active = set(User.objects.filter(pk__in=user_ids, is_active=True).values_list("pk", flat=True))
    leaving = {value for _run, target, value in plain if target == "open_cases"}
    by_person: dict[int, list] = {}
    by_applicant: dict[int, list] = {}
    if leaving:
        accounts = {user_id for person_id in leaving for user_id in links.get(person_id, ())}
        for case in Case.objects.filter(status__in=OPEN_CASE_STATUSES, applicant__isnull=False).filter(
            Q(person_id__in=leaving) | Q(applicant_id__in=accounts)
        ):
            by_person.setdefault(case.person_id, []).append(case)
            by_applicant.setdefault(case.applicant_id, []).append(case)
    guide_links: dict[tuple[str, str], str] = {}

    def guide_link(slug: str, lang: str) -> str:
        if (slug, lang) not in guide_links:
            guide_links[slug, lang] = _guide_link(slug, lang)
        return guide_links[slug, lang]

    notices = []
    for run, target, value in plain:
        deliveries: list[tuple[int, Any]]
        if target == "person":
            deliveries = [(user_id, None) for user_id in sorted(links.get(value, set()) & active)]
        elif target == "household":
            accounts = {
                user_id for person_id in members.get(value, ()) for user_id in links.get(person_id, ())
            }
            deliveries = [(user_id, None) for user_id in sorted(accounts & active)]
        elif target == "applicant":
            deliveries = [(value, None)] if value in active else []
        else:
            cases = {case.pk: case for case in by_person.get(value, ())}
            for user_id in links.get(value, ()):
                cases.update((case.pk, case) for case in by_applicant.get(user_id, ()))
            deliveries = [(cases[pk].applicant_id, cases[pk]) for pk in sorted(cases)]
        if not deliveries:
            outcomes[run.pk] = (
                ActionStatus.SKIPPED,
                {"notices": 0, "reason": f"no resident account to notify ({target})"},
            )
            continue
        params, guide = run.params, run.params.get("guide", "")
        for user_id, case in deliveries:
            notices.append(
                Notice(
                    recipient_id=user_id,
                    case=case,
                    kind=f"rule.{run.firing.rule_version.rule_id}",
                    title_ja=_text(params, "title", "ja"),
                    title_en=_text(params, "title", "en"),
                    body_ja=_text(params, "body", "ja") + guide_link(guide, "ja"),
                    body_en=_text(params, "body", "en") + guide_link(guide, "en"),
                )
            )
        outcomes[run.pk] = (ActionStatus.DONE, {"notices": len(deliveries)})
    send_notices(notices)
    return outcomes


BULK_EXECUTORS = {
    "create_task": _create_tasks,
    "send_notice": _send_notices,
    "set_flag": _set_flags,
}


# --------------------------------------------------------------------------------------------------------------
# Tasks and flags


class TaskNotAllowed(Exception):
    pass


def _task_for(staff, task_id: int) -> Task:
    task = Task.objects.select_for_update().filter(pk=task_id, department_id=staff.department_id).first()
    if task is None:
        raise TaskNotAllowed(task_id)
    return task


@transaction.atomic
def take_task(*, staff, task_id: int) -> Task:
    task = _task_for(staff, task_id)
    if task.status == TaskStatus.CLOSED:
        raise TaskNotAllowed(task_id)
    task.status, task.assignee, task.taken_at = TaskStatus.TAKEN, staff, timezone.now()
    task.save(update_fields=["status", "assignee", "taken_at"])
    return task


@transaction.atomic
def close_task(*, staff, task_id: int) -> Task:
    task = _task_for(staff, task_id)
    if task.status == TaskStatus.CLOSED:
        raise TaskNotAllowed(task_id)
    task.status, task.closed_at = TaskStatus.CLOSED, timezone.now()
    if task.assignee_id is None:
        task.assignee = staff
    task.save(update_fields=["status", "closed_at", "assignee"])
    return task


def clear_flag(*, flag_id: int, staff) -> bool:
    return bool(
        Flag.objects.filter(pk=flag_id, cleared_at__isnull=True).update(
            cleared_at=timezone.now(), cleared_by=staff
        )
    )


# --------------------------------------------------------------------------------------------------------------
# The daily 65th-birthday job


def _birthday_65(today: dt.date) -> list[dt.date]:
    """The birth dates whose 65th birthday is today; in a common year, those born on 29 February count on
    1 March. (介護保険's 資格取得日 is the day before; the rule that reacts decides what to do.)"""
    year = today.year - 65
    days = (
        []
        if (today.month, today.day) == (2, 29) and not calendar.isleap(year)
        else [today.replace(year=year)]
    )
    if (today.month, today.day) == (3, 1) and not calendar.isleap(today.year) and calendar.isleap(year):
        days.append(dt.date(year, 2, 29))
    return days


def announce_65th_birthdays(*, today: dt.date | None = None) -> int:
    """Emit resident.turned_65 for every active resident whose 65th birthday is today, once per person."""
    today = today or timezone.localdate()
    persons = (
        Person.objects.filter(is_active=True, birth_date__in=_birthday_65(today))
        .exclude(pk__in=Turned65.objects.values("person_id"))
        .select_related("household")
        .order_by("pk")
    )
    emitted = 0
    for person in persons.iterator(chunk_size=2000):
        with transaction.atomic():
            _, created = Turned65.objects.get_or_create(person=person, defaults={"birthday": today})
            if not created:
                continue
            events.emit(
                "resident.turned_65",
                {
                    "person_id": person.pk,
                    "atena_number": person.atena_number,
                    "household_number": person.household.number,
                    "birth_date": person.birth_date.isoformat(),
                    "turned_65_on": today.isoformat(),
                },
            )
            emitted += 1
    return emitted
