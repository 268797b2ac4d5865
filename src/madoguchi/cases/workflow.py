"""The one vocabulary of the case workflow: status groups, actions, who may take which, and their words.

- **Status groups** (`UNDECIDED`, `IN_PROGRESS`, `CLOSED`): which statuses a queue, a page or a rule means.
- **Actions** (`Action`) and the state machine as data (`TRANSITIONS`: which action moves which status where,
  and which kind of actor may take it).
- **Policy**: `can(actor, action, case)` answers whether this user may take this action on this case now
  (status, role, own case or own department); `require` is the raising variant the services use, and
  `actions_for` lists what a page or the API may offer. Views and the API ask these; they never rebuild the
  rules from roles and statuses themselves.
- **Words** per audience: what a status or an action is called for residents and for staff (Japanese
  msgids; English from the portal's and the office's catalogs), the status symbols, and the notice the
  applicant gets after an action.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from madoguchi.accounts.models import Role
from madoguchi.cases.models import Status
from madoguchi.core.errors import MadoguchiError

# ---------------------------------------------------------------------------------------------------------
# Status groups (tuples in the order of Status, so that pages list them the same way every time)

# Submitted and waiting for a decision: these may still be withdrawn or rejected, and are late past due.
UNDECIDED = (Status.SUBMITTED, Status.IN_REVIEW, Status.WAITING_FOR_APPLICANT, Status.READY_FOR_DECISION)
# Submitted and not closed yet: the office queue without a status filter, the resident's open cases on My
# Page, the applications a nursery round counts.
IN_PROGRESS = (*UNDECIDED, Status.APPROVED)
# Finished one way or another: `closed_at` is set when a case gets here.
CLOSED = (Status.REJECTED, Status.COMPLETED, Status.WITHDRAWN)
# Accepted (受理): approved, and possibly completed since. Only `approve` leads here (`complete` follows it),
# so the day of a case's approve history row is the day it was accepted. What the core-system hand-off
# exports (counter.handoff).
ACCEPTED = (Status.APPROVED, Status.COMPLETED)


# ---------------------------------------------------------------------------------------------------------
# Actors and actions

RESIDENT = "resident"  # the actor kind of a resident (staff are known by their role); also an audience
STAFF = "staff"  # the other audience of the words below
REVIEWERS = frozenset({Role.REVIEWER, Role.APPROVER, Role.DEPARTMENT_ADMIN})
APPROVERS = frozenset({Role.APPROVER, Role.DEPARTMENT_ADMIN})
# Who may hold a case (担当者): whoever may take one themselves. An auditor never works cases.
ASSIGNEE_ROLES = REVIEWERS


class Action(StrEnum):
    """Everything that can happen to a case; the value is what `CaseHistory.action` and the API store."""

    SUBMIT = "submit"
    ASSIGN = "assign"  # who holds the case (担当者); never changes its status
    START_REVIEW = "start_review"  # 審査を始める: submitted → in review
    REQUEST_INFORMATION = "request_information"
    PROVIDE_INFORMATION = "provide_information"  # the applicant answers a request for information
    SUBMIT_FOR_DECISION = "submit_for_decision"  # 決裁に回す: the reviewer's summary, to an approver
    RETURN_TO_REVIEW = "return_to_review"  # 差し戻す: the approver sends it back to review
    APPROVE = "approve"
    REJECT = "reject"
    COMPLETE = "complete"
    WITHDRAW = "withdraw"


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[str]
    target: str | None  # None: the status does not change (e.g. re-assigning)
    actors: frozenset[str]  # RESIDENT or staff roles
    label: object
    note_required: bool = False
    visible_to_applicant: bool = True


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            Action.SUBMIT, frozenset({Status.DRAFT}), Status.SUBMITTED, frozenset({RESIDENT}), _("申請する")
        ),
        Transition(
            Action.ASSIGN,
            frozenset(
                {
                    Status.SUBMITTED,
                    Status.IN_REVIEW,
                    Status.WAITING_FOR_APPLICANT,
                    Status.READY_FOR_DECISION,
                    Status.APPROVED,
                }
            ),
            None,  # handing a case over never changes its status (start_review does)
            REVIEWERS,
            _("担当する"),
            visible_to_applicant=False,
        ),
        Transition(
            Action.START_REVIEW,
            frozenset({Status.SUBMITTED}),
            Status.IN_REVIEW,
            REVIEWERS,
            _("審査開始"),
            visible_to_applicant=False,  # the applicant sees the status, not who took which step
        ),
        Transition(
            Action.REQUEST_INFORMATION,
            frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.READY_FOR_DECISION}),
            Status.WAITING_FOR_APPLICANT,
            REVIEWERS,
            _("追加情報を依頼"),
            note_required=True,
        ),
        Transition(
            Action.PROVIDE_INFORMATION,
            frozenset({Status.WAITING_FOR_APPLICANT}),
            Status.IN_REVIEW,
            frozenset({RESIDENT}),
            _("追加情報を提出"),
        ),
        Transition(
            Action.SUBMIT_FOR_DECISION,
            frozenset({Status.SUBMITTED, Status.IN_REVIEW}),
            Status.READY_FOR_DECISION,
            REVIEWERS,
            _("決裁を依頼"),
            note_required=True,  # the reviewer's summary (審査の所見) the approver decides on
            visible_to_applicant=False,
        ),
        Transition(
            Action.RETURN_TO_REVIEW,
            frozenset({Status.READY_FOR_DECISION}),
            Status.IN_REVIEW,
            APPROVERS,
            _("差し戻す"),
            note_required=True,
            visible_to_applicant=False,
        ),
        Transition(
            Action.APPROVE,
            frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.READY_FOR_DECISION}),
            Status.APPROVED,
            APPROVERS,
            _("承認"),
        ),
        Transition(
            Action.REJECT, frozenset(UNDECIDED), Status.REJECTED, APPROVERS, _("却下"), note_required=True
        ),
        Transition(Action.COMPLETE, frozenset({Status.APPROVED}), Status.COMPLETED, REVIEWERS, _("完了")),
        Transition(
            Action.WITHDRAW, frozenset(UNDECIDED), Status.WITHDRAWN, frozenset({RESIDENT}), _("取り下げる")
        ),
    )
}


class TransitionNotAllowed(MadoguchiError):
    """The action is not possible from this status, or not for this actor (the API answers 409)."""

    http_status = 409


def actor_kind(user) -> str:
    """RESIDENT for a resident, the role for staff: what `Transition.actors` lists."""
    if user.is_resident:
        return RESIDENT
    return user.role


def check(action: str, status: str, actor: str) -> Transition:
    """The transition of `action` from `status` for an actor of kind `actor`, or TransitionNotAllowed saying
    why. This is the table alone; `require` adds whose case it is."""
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


def require(actor, action: str, case) -> Transition:
    """The transition `actor` may take on `case` now, or TransitionNotAllowed saying why.

    Allowed when the table allows the action from the case's status for the actor's kind, and the case is
    the resident's own (a resident) or of the staff member's department (staff). `case` needs `status`,
    `applicant_id` and `department_id` only.
    """
    transition = check(action, case.status, actor_kind(actor))
    if actor.is_resident and case.applicant_id != actor.pk:
        raise TransitionNotAllowed(
            "forbidden_action",
            "この申請を操作する権限がありません。",
            "You cannot act on this application.",
        )
    if actor.is_office_staff and case.department_id != actor.department_id:
        raise TransitionNotAllowed(
            "forbidden_action",
            "他の課の申請は操作できません。",
            "You cannot act on another department's case.",
        )
    if transition.action in DECISIONS:
        require_decision_rule(actor, case)
    return transition


# Approve and reject are the decision (決裁) on a case.
DECISIONS = frozenset({Action.APPROVE, Action.REJECT})


def decision_by_another_staff() -> bool:
    """The setting MADOGUCHI_DECISION_BY_ANOTHER_STAFF (default on): review, then decision by someone else."""
    return bool(getattr(settings, "DECISION_BY_ANOTHER_STAFF", True))


def require_decision_rule(actor, case) -> None:
    """With the rule on, a decision needs a case sent for decision (決裁待ち) by someone other than `actor`.

    `case` needs `status` and `reviewed_by_id`. With the rule off, nothing more than the table is asked.
    """
    if not decision_by_another_staff():
        return
    if case.status != Status.READY_FOR_DECISION:
        raise TransitionNotAllowed(
            "review_required",
            "承認・却下の前に、審査担当者が所見を書いて「決裁に回す」必要があります。",
            "Before approval or rejection, a reviewer must send the case for decision with a summary.",
        )
    if getattr(case, "reviewed_by_id", None) == actor.pk:
        raise TransitionNotAllowed(
            "same_reviewer",
            "この申請を審査して決裁に回した職員は、承認・却下できません。別の決裁者に依頼してください。",
            "You reviewed this case and sent it for decision, so you cannot approve or reject it. "
            "Ask another approver.",
        )


# Who may file a case for a resident at the counter (書かない窓口): staff who work on cases, of any department
# (the counter is one-stop: the clerk files every procedure of the visit, the departments review them).
COUNTER_CLERKS = REVIEWERS


def require_counter_intake(actor) -> None:
    """Raise TransitionNotAllowed unless `actor` may file cases at the counter for a resident."""
    if not (
        getattr(actor, "is_active", False)
        and getattr(actor, "is_office_staff", False)
        and actor.role in COUNTER_CLERKS
        and actor.department_id is not None
    ):
        raise TransitionNotAllowed(
            "forbidden_action",
            "窓口で申請を受け付ける権限がありません。審査を担当する職員のアカウントでお手続きください。",
            "You may not file applications at the counter. Use a staff account that works on cases.",
        )


def can(actor, action: str, case) -> bool:
    """Whether `actor` may take `action` on `case` now (see `require`)."""
    try:
        require(actor, action, case)
    except TransitionNotAllowed:
        return False
    return True


def actions_for(actor, case) -> list[Transition]:
    """The transitions `actor` may take on `case` now, in the table's order: the buttons a page shows."""
    return [t for t in TRANSITIONS.values() if can(actor, t.action, case)]


def may_take(actor, action: str) -> bool:
    """Whether the actor's role takes `action` on some cases (e.g. the queue's bulk approval)."""
    transition = TRANSITIONS.get(action)
    return transition is not None and actor_kind(actor) in transition.actors


# ---------------------------------------------------------------------------------------------------------
# Words. Residents read the model's names of the statuses (the portal's catalog words them for residents,
# e.g. "Waiting for your reply"); staff read their own, translated under the message context "office".


@dataclass(frozen=True)
class StatusWords:
    symbol: str  # a shape before the status text, so a status never relies on colour alone
    staff: object


STATUS_WORDS: dict[str, StatusWords] = {
    Status.DRAFT: StatusWords("✎", pgettext_lazy("office", "下書き")),
    Status.SUBMITTED: StatusWords("●", pgettext_lazy("office", "受付")),
    Status.IN_REVIEW: StatusWords("●", pgettext_lazy("office", "審査中")),
    Status.WAITING_FOR_APPLICANT: StatusWords("!", pgettext_lazy("office", "追加情報の依頼中")),
    Status.READY_FOR_DECISION: StatusWords("◆", pgettext_lazy("office", "決裁待ち")),
    Status.APPROVED: StatusWords("✓", pgettext_lazy("office", "承認")),
    Status.REJECTED: StatusWords("×", pgettext_lazy("office", "却下")),
    Status.COMPLETED: StatusWords("✓", pgettext_lazy("office", "完了")),
    Status.WITHDRAWN: StatusWords("−", pgettext_lazy("office", "取下げ")),
}
DEFAULT_SYMBOL = "●"


def status_label(status: str, audience: str) -> str:
    """The name of a status for RESIDENT or STAFF in the active language; an unknown status as it is."""
    if status not in STATUS_WORDS:
        return status
    if audience == STAFF:
        return str(STATUS_WORDS[status].staff)
    return str(Status(status).label)


def status_symbol(status: str) -> str:
    words = STATUS_WORDS.get(status)
    return words.symbol if words else DEFAULT_SYMBOL


@dataclass(frozen=True)
class Notice:
    """What the applicant is told after an action (My Page notice and email); {ref} and {note} are filled in."""

    title_ja: str
    title_en: str
    body_ja: str
    body_en: str


@dataclass(frozen=True)
class ActionWords:
    staff_history: object  # the action once it happened, as a line of the case history (office)
    resident_history: object | None = None  # the same for the applicant's timeline (None: never shown there)
    staff_button: object | None = None  # the office button that takes it (staff actions only)
    staff_note: object | None = None  # the label of the action's text box, when it has its own
    notice: Notice | None = None  # what the applicant is told (None: nothing)


STAFF_NOTE_LABEL = pgettext_lazy("office", "理由またはメッセージ")

ACTION_WORDS: dict[str, ActionWords] = {
    Action.SUBMIT: ActionWords(
        staff_history=pgettext_lazy("office", "申請"),
        resident_history=_("申請を受け付けました"),
        notice=Notice(
            "申請を受け付けました",
            "Your application has been received",
            "受付番号 {ref} の申請を受け付けました。審査の状況はマイページで確認できます。",
            "We have received your application {ref}. You can follow its status on My Page.",
        ),
    ),
    Action.ASSIGN: ActionWords(
        staff_history=pgettext_lazy("office", "担当者の設定"),
        staff_button=pgettext_lazy("office", "担当者を設定する"),
    ),
    Action.START_REVIEW: ActionWords(
        staff_history=pgettext_lazy("office", "審査開始"),
        staff_button=pgettext_lazy("office", "審査を始める"),
    ),
    Action.SUBMIT_FOR_DECISION: ActionWords(
        staff_history=pgettext_lazy("office", "決裁に回す"),
        staff_button=pgettext_lazy("office", "決裁に回す"),
        staff_note=pgettext_lazy("office", "審査の所見（決裁者が読みます）"),
    ),
    Action.RETURN_TO_REVIEW: ActionWords(
        staff_history=pgettext_lazy("office", "差し戻し"),
        staff_button=pgettext_lazy("office", "審査に差し戻す"),
        staff_note=pgettext_lazy("office", "差し戻しの理由"),
    ),
    Action.REQUEST_INFORMATION: ActionWords(
        staff_history=pgettext_lazy("office", "追加情報の依頼"),
        resident_history=_("担当課から追加の情報・書類の依頼がありました"),
        staff_button=pgettext_lazy("office", "追加情報を依頼する"),
        staff_note=pgettext_lazy("office", "申請者へのメッセージ（必要な情報・書類と期限）"),
        notice=Notice(
            "追加の情報・書類をお願いします",
            "More information is needed",
            "受付番号 {ref} の申請について、担当課から依頼があります。マイページで内容を確認し、ご返信ください。\n\n{note}",
            "The department needs more from you for application {ref}. Please read the request on My Page and reply.\n\n{note}",
        ),
    ),
    Action.PROVIDE_INFORMATION: ActionWords(
        staff_history=pgettext_lazy("office", "追加情報の提出"),
        resident_history=_("追加の情報を提出しました"),
        notice=Notice(
            "追加の情報を受け付けました",
            "We have received your information",
            "受付番号 {ref} の申請について、追加の情報を受け付けました。審査を再開します。",
            "We have received your additional information for application {ref} and resumed the review.",
        ),
    ),
    Action.APPROVE: ActionWords(
        staff_history=pgettext_lazy("office", "承認"),
        resident_history=_("承認されました"),
        staff_button=pgettext_lazy("office", "承認する"),
        notice=Notice(
            "申請が承認されました",
            "Your application has been approved",
            "受付番号 {ref} の申請が承認されました。詳しくはマイページをご覧ください。",
            "Your application {ref} has been approved. See My Page for details.",
        ),
    ),
    Action.REJECT: ActionWords(
        staff_history=pgettext_lazy("office", "却下"),
        resident_history=_("却下されました"),
        staff_button=pgettext_lazy("office", "却下する"),
        staff_note=pgettext_lazy("office", "却下の理由"),
        notice=Notice(
            "申請が却下されました",
            "Your application was not approved",
            "受付番号 {ref} の申請は却下されました。理由：{note}\nご不明な点は担当課へお問い合わせください。",
            "Your application {ref} was not approved. Reason: {note}\nPlease contact the department if you have questions.",
        ),
    ),
    Action.COMPLETE: ActionWords(
        staff_history=pgettext_lazy("office", "完了"),
        resident_history=_("手続きが完了しました"),
        staff_button=pgettext_lazy("office", "完了にする"),
        notice=Notice(
            "手続きが完了しました",
            "Your procedure is complete",
            "受付番号 {ref} の手続きが完了しました。",
            "The procedure for application {ref} is complete.",
        ),
    ),
    Action.WITHDRAW: ActionWords(
        staff_history=pgettext_lazy("office", "取下げ"),
        resident_history=_("申請を取り下げました"),
        notice=Notice(
            "申請を取り下げました",
            "Your application has been withdrawn",
            "受付番号 {ref} の申請を取り下げました。",
            "Your application {ref} has been withdrawn.",
        ),
    ),
}


def history_label(action: str, audience: str) -> str:
    """A history row's action for RESIDENT (their timeline) or STAFF (the case page); unknown: as it is."""
    words = ACTION_WORDS.get(action)
    label = (words.resident_history if audience == RESIDENT else words.staff_history) if words else None
    return str(label) if label is not None else action


def button_label(action: str) -> str:
    """The office button that takes `action` (the transition's own name for an action without one)."""
    words = ACTION_WORDS.get(action)
    if words is not None and words.staff_button is not None:
        return str(words.staff_button)
    rule = TRANSITIONS.get(action)
    return str(rule.label) if rule else action


def note_label(action: str) -> str:
    """The label of the text box of a staff action (the reason or message it asks for)."""
    words = ACTION_WORDS.get(action)
    return str(words.staff_note if words is not None and words.staff_note is not None else STAFF_NOTE_LABEL)


def applicant_notice(action: str) -> Notice | None:
    """What the applicant is told after `action`, or None when nothing."""
    words = ACTION_WORDS.get(action)
    return words.notice if words is not None else None
