"""The case state machine as data: which action moves which status where, and who may take it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.models import Role
from madoguchi.cases.models import Status

RESIDENT = "resident"
REVIEWERS = frozenset({Role.REVIEWER, Role.APPROVER, Role.DEPARTMENT_ADMIN})
APPROVERS = frozenset({Role.APPROVER, Role.DEPARTMENT_ADMIN})
# Who may hold a case (担当者): whoever may take one themselves. An auditor never works cases.
ASSIGNEE_ROLES = REVIEWERS


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the status does not change (e.g. re-assigning)
    actors: frozenset[str]  # "resident" or staff roles
    label: object
    note_required: bool = False
    visible_to_applicant: bool = True


OPEN = frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.WAITING_FOR_APPLICANT})

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "submit", frozenset({Status.DRAFT}), Status.SUBMITTED, frozenset({RESIDENT}), _("申請する")
        ),
        Transition(
            "assign",
            frozenset({Status.SUBMITTED, Status.IN_REVIEW}),
            Status.IN_REVIEW,
            REVIEWERS,
            _("担当する"),
            visible_to_applicant=False,
        ),
        Transition(
            "request_information",
            frozenset({Status.SUBMITTED, Status.IN_REVIEW}),
            Status.WAITING_FOR_APPLICANT,
            REVIEWERS,
            _("追加情報を依頼"),
            note_required=True,
        ),
        Transition(
            "provide_information",
            frozenset({Status.WAITING_FOR_APPLICANT}),
            Status.IN_REVIEW,
            frozenset({RESIDENT}),
            _("追加情報を提出"),
        ),
        Transition(
            "approve", frozenset({Status.SUBMITTED, Status.IN_REVIEW}), Status.APPROVED, APPROVERS, _("承認")
        ),
        Transition("reject", OPEN, Status.REJECTED, APPROVERS, _("却下"), note_required=True),
        Transition("complete", frozenset({Status.APPROVED}), Status.COMPLETED, REVIEWERS, _("完了")),
        Transition("withdraw", OPEN, Status.WITHDRAWN, frozenset({RESIDENT}), _("取り下げる")),
    )
}

CLOSED = frozenset({Status.REJECTED, Status.COMPLETED, Status.WITHDRAWN})


class TransitionNotAllowed(Exception):
    """The action is not possible from this status, or not for this actor."""

    def __init__(self, code: str, message_ja: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_ja = message_ja
        self.message_en = message_en

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_ja


def actor_kind(user) -> str:
    if user.is_resident:
        return RESIDENT
    return user.role


def check(action: str, status: str, actor: str) -> Transition:
    """Return the transition, or raise TransitionNotAllowed saying why."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionNotAllowed(
            "unknown_action", f"「{action}」という操作はありません。", f"Unknown action '{action}'."
        )
    if status not in transition.sources:
        label = Status(status).label if status in Status.values else status
        raise TransitionNotAllowed(
            "invalid_transition",
            f"この申請は現在「{label}」のため、この操作はできません。画面を更新して状態を確認してください。",
            f"This case is now '{status}', so this action is not possible. Reload the page to see its status.",
        )
    if actor not in transition.actors:
        raise TransitionNotAllowed(
            "forbidden_action",
            "この操作を行う権限がありません。担当課の管理者に確認してください。",
            "You do not have permission for this action. Ask your department administrator.",
        )
    return transition


def allowed_actions(status: str, actor: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources and actor in t.actors]
