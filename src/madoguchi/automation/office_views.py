"""Office pages of the rules: the rules in force, the firings log, a department's tasks, the stuck actions.

Staff only (`staff_required`). The firings log and the tasks show registry ids (宛名番号, birth dates in the
events), so each page records one audit row per person it shows.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from madoguchi.accounts.decorators import staff_required
from madoguchi.automation import selectors, services
from madoguchi.automation.models import ActionStatus, TaskStatus
from madoguchi.automation.rules.topics import TOPICS
from madoguchi.core import audit
from madoguchi.core.i18n import lang_of

PAGE_SIZE = 50


def _audit_persons(request: HttpRequest, person_ids, *, object_type: str, purpose: str) -> None:
    for person_id in sorted({p for p in person_ids if p}):
        audit.record_access(
            actor=request.user,
            action="view",
            object_type=object_type,
            object_id=person_id,
            person_id=person_id,
            fields=("person_id", "atena_number", "household_number", "birth_date"),
            purpose=purpose,
            client_ip=audit.client_ip_of(request),
        )


@staff_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    versions = list(selectors.rule_versions())
    return render(
        request,
        "automation/rule_list.html",
        {
            "nav": "rules",
            "tab": "rules",
            "versions": versions,
            "lang": lang_of(request),
            "stuck_count": selectors.stuck_actions().count(),
        },
    )


@staff_required
@require_GET
def firing_list(request: HttpRequest) -> HttpResponse:
    rule_id = request.GET.get("rule", "")[:80]
    topic = request.GET.get("topic", "")
    topic = topic if topic in TOPICS else ""
    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in ("done", "failed", "error") else ""
    page = Paginator(selectors.firings(rule_id=rule_id, topic=topic, outcome=outcome), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    _audit_persons(
        request,
        (firing.input.get("person_id") for firing in page),
        object_type="automation.firing",
        purpose="ルールの実行記録の確認",
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "automation/firing_list.html",
        {
            "nav": "rules",
            "tab": "firings",
            "page": page,
            "filters": {"rule": rule_id, "topic": topic, "outcome": outcome},
            "topics": list(TOPICS),
            "rule_ids": sorted({v.rule_id for v in selectors.rule_versions()}),
            "query": query.urlencode(),
            "lang": lang_of(request),
        },
    )


@staff_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    department = request.user.department
    status = request.GET.get("status", "")
    status = status if status in TaskStatus.values else ""
    page = None
    if department is not None:
        page = Paginator(
            selectors.tasks_for_department(department_id=department.pk, status=status), PAGE_SIZE
        ).get_page(request.GET.get("page"))
        _audit_persons(
            request,
            (task.person_id for task in page),
            object_type="automation.task",
            purpose="担当課のタスクの確認",
        )
    return render(
        request,
        "automation/task_list.html",
        {
            "nav": "rules",
            "tab": "tasks",
            "department": department,
            "page": page,
            "status": status,
            "statuses": TaskStatus.choices,
            "lang": lang_of(request),
        },
    )


@staff_required
@require_POST
def task_action(request: HttpRequest, task_id: int) -> HttpResponse:
    action = request.POST.get("action")
    try:
        if action == "take":
            services.take_task(staff=request.user, task_id=task_id)
            messages.success(request, _("タスクを担当しました。"))
        elif action == "close":
            services.close_task(staff=request.user, task_id=task_id)
            messages.success(request, _("タスクを完了にしました。"))
        else:
            messages.error(request, _("操作が分かりません。画面を読み込み直してからもう一度お試しください。"))
    except services.TaskNotAllowed:
        messages.error(
            request,
            _(
                "このタスクは操作できません（他の課のタスクか、すでに完了しています）。一覧を読み込み直してください。"
            ),
        )
    return redirect("automation:tasks")


@staff_required
@require_GET
def stuck_list(request: HttpRequest) -> HttpResponse:
    actions = list(selectors.stuck_actions()[:200])
    return render(
        request,
        "automation/stuck_list.html",
        {
            "nav": "rules",
            "tab": "stuck",
            "actions": actions,
            "condition_errors": list(selectors.failed_conditions()[:50]),
            "lang": lang_of(request),
            "STUCK": ActionStatus.STUCK,
        },
    )


@staff_required
@require_POST
def stuck_retry(request: HttpRequest, action_id: int) -> HttpResponse:
    status = services.retry_action(action_id=action_id, staff=request.user)
    if status in (ActionStatus.DONE, ActionStatus.SKIPPED):
        messages.success(request, _("再実行しました。処理は完了しました。"))
    elif status:
        messages.error(
            request,
            _(
                "再実行しましたが、また失敗しました。エラーの内容を確認し、原因を取り除いてからもう一度お試しください。"
            ),
        )
    else:
        messages.error(
            request, _("この処理はすでに完了しているか、見つかりません。一覧を読み込み直してください。")
        )
    return redirect("automation:stuck")
