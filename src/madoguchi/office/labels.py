"""How the office names statuses, channels and workflow actions, in staff wording.

The model choices carry the Japanese names; their English comes from whichever app's catalog loads first,
and the portal words them for residents ("Waiting for your reply"). The office translates its own names
under the message context "office" so that staff always read staff wording.
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from madoguchi.accounts.models import Role
from madoguchi.cases import workflow
from madoguchi.cases.models import Channel, Direction, Status

STATUS_LABELS = {
    Status.DRAFT: pgettext_lazy("office", "下書き"),
    Status.SUBMITTED: pgettext_lazy("office", "受付"),
    Status.IN_REVIEW: pgettext_lazy("office", "審査中"),
    Status.WAITING_FOR_APPLICANT: pgettext_lazy("office", "追加情報の依頼中"),
    Status.APPROVED: pgettext_lazy("office", "承認"),
    Status.REJECTED: pgettext_lazy("office", "却下"),
    Status.COMPLETED: pgettext_lazy("office", "完了"),
    Status.WITHDRAWN: pgettext_lazy("office", "取下げ"),
}

# A shape before the status text, so a status never relies on colour alone.
STATUS_SYMBOLS = {
    Status.DRAFT: "✎",
    Status.SUBMITTED: "●",
    Status.IN_REVIEW: "●",
    Status.WAITING_FOR_APPLICANT: "!",
    Status.APPROVED: "✓",
    Status.REJECTED: "×",
    Status.COMPLETED: "✓",
    Status.WITHDRAWN: "−",
}

CHANNEL_LABELS = {
    Channel.ONLINE: pgettext_lazy("office", "オンライン"),
    Channel.COUNTER: pgettext_lazy("office", "窓口"),
    Channel.PAPER: pgettext_lazy("office", "紙"),
    Channel.NATIONAL_PORTAL: pgettext_lazy("office", "マイナポータル"),
    Channel.API: pgettext_lazy("office", "API連携"),
}

DIRECTION_LABELS = {
    Direction.TO_APPLICANT: pgettext_lazy("office", "職員から申請者へ"),
    Direction.FROM_APPLICANT: pgettext_lazy("office", "申請者から"),
}

# The button that takes an action (staff actions only; residents act in the portal).
ACTION_BUTTON_LABELS = {
    "assign": pgettext_lazy("office", "担当者を設定する"),
    "request_information": pgettext_lazy("office", "追加情報を依頼する"),
    "approve": pgettext_lazy("office", "承認する"),
    "reject": pgettext_lazy("office", "却下する"),
    "complete": pgettext_lazy("office", "完了にする"),
}

# The same action once it happened, as a line of the case history.
HISTORY_LABELS = {
    "submit": pgettext_lazy("office", "申請"),
    "assign": pgettext_lazy("office", "担当者の設定"),
    "request_information": pgettext_lazy("office", "追加情報の依頼"),
    "provide_information": pgettext_lazy("office", "追加情報の提出"),
    "approve": pgettext_lazy("office", "承認"),
    "reject": pgettext_lazy("office", "却下"),
    "complete": pgettext_lazy("office", "完了"),
    "withdraw": pgettext_lazy("office", "取下げ"),
}

# The text box of an action that needs one (workflow.Transition.note_required).
NOTE_LABELS = {
    "request_information": pgettext_lazy("office", "申請者へのメッセージ（必要な情報・書類と期限）"),
    "reject": pgettext_lazy("office", "却下の理由"),
}
NOTE_LABEL = pgettext_lazy("office", "理由またはメッセージ")


def role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))


def button_label(action: str) -> str:
    if action in ACTION_BUTTON_LABELS:
        return str(ACTION_BUTTON_LABELS[action])
    rule = workflow.TRANSITIONS.get(action)
    return str(rule.label) if rule else action


def history_label(action: str) -> str:
    return str(HISTORY_LABELS.get(action, action))


# Audit log codes (core.audit.record_access) as people read them; unknown codes are shown as they are.
AUDIT_ACTION_LABELS = {
    "read": pgettext_lazy("office", "閲覧"),
    "search": pgettext_lazy("office", "検索"),
    "reveal": pgettext_lazy("office", "個人番号などの表示"),
    "refused": pgettext_lazy("office", "拒否された閲覧"),
    "export": pgettext_lazy("office", "書き出し"),
    "link": pgettext_lazy("office", "本人確認・紐付け"),
    "unlink": pgettext_lazy("office", "紐付けの解除"),
    "match": pgettext_lazy("office", "本人確認（照合）"),
    "store": pgettext_lazy("office", "個人番号の登録"),
    "rotate": pgettext_lazy("office", "暗号鍵の更新"),
    "override": pgettext_lazy("office", "結果の手動変更"),
    "publish": pgettext_lazy("office", "結果の公表"),
    "mfa_reset": pgettext_lazy("office", "2段階認証のリセット"),
}
AUDIT_PURPOSE_LABELS = {
    "case_review": pgettext_lazy("office", "申請の審査"),
    "case_action": pgettext_lazy("office", "申請の処理"),
    "case_note": pgettext_lazy("office", "内部メモの記入"),
    "attachment_download": pgettext_lazy("office", "添付ファイルのダウンロード"),
    "audit": pgettext_lazy("office", "監査"),
    "identity_linking": pgettext_lazy("office", "本人確認・紐付け"),
    "registry_prefill": pgettext_lazy("office", "住民記録からの入力"),
    "key_rotation": pgettext_lazy("office", "暗号鍵の更新"),
    "account_security": pgettext_lazy("office", "職員アカウントの保護"),
}


def audit_action_label(code: str) -> str:
    return str(AUDIT_ACTION_LABELS.get(code, code))


def audit_purpose_label(code: str) -> str:
    return str(AUDIT_PURPOSE_LABELS.get(code, code))
