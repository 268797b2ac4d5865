"""How the office names channels, message directions, roles and audit codes, in staff wording.

The words of statuses and workflow actions, for staff and residents, are in `cases.workflow` (the one
vocabulary); `status_label` and `history_label` here are its staff wording. The model choices carry the
Japanese names; their English comes from whichever app's catalog loads first, and the portal words them for
residents ("Waiting for your reply"). The office translates its own names under the message context
"office" so that staff always read staff wording.
"""

from __future__ import annotations

import re

from django.utils.translation import get_language, pgettext, pgettext_lazy

from madoguchi.accounts.models import Role
from madoguchi.cases import workflow
from madoguchi.cases.models import Channel, Direction
from madoguchi.residents import access

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


def role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def status_label(status: str) -> str:
    """A status in staff wording (`cases.workflow` holds the words of both audiences)."""
    return workflow.status_label(status, workflow.STAFF)


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))


def history_label(action: str) -> str:
    """An action as a line of the case history, in staff wording."""
    return workflow.history_label(action, workflow.STAFF)


# Audit log codes (core.audit.record_access) as people read them; unknown codes are shown as they are.
AUDIT_ACTION_LABELS = {
    "read": pgettext_lazy("office", "閲覧"),
    "view": pgettext_lazy("office", "閲覧"),  # the paper intake's and the benefits room's looks
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
    "print": pgettext_lazy("office", "印刷"),
    "retry": pgettext_lazy("office", "再実行"),
    "booking.today": pgettext_lazy("office", "本日の予約一覧の閲覧"),
    "booking.call": pgettext_lazy("office", "窓口への呼び出し"),
    "withdraw_decline": pgettext_lazy("office", "給付金の辞退の撤回"),
}
AUDIT_PURPOSE_LABELS = {
    "case_review": pgettext_lazy("office", "申請の審査"),
    "case_action": pgettext_lazy("office", "申請の処理"),
    "case_note": pgettext_lazy("office", "内部メモの記入"),
    "attachment_download": pgettext_lazy("office", "添付ファイルのダウンロード"),
    # rows written before a preview was the case page's look narrowed to one page (purpose case_review)
    "attachment_preview": pgettext_lazy("office", "添付ファイルの表示"),
    "audit": pgettext_lazy("office", "監査"),
    "identity_linking": pgettext_lazy("office", "本人確認・紐付け"),
    "registry_prefill": pgettext_lazy("office", "住民記録からの入力"),
    "key_rotation": pgettext_lazy("office", "暗号鍵の更新"),
    "account_security": pgettext_lazy("office", "職員アカウントの保護"),
    "case_transition": pgettext_lazy("office", "申請の状態の変更"),
    "counter_intake": pgettext_lazy("office", "書かない窓口での受付"),
    "counter_lookup": pgettext_lazy("office", "書かない窓口の読み取りコードの照会"),
    "faq_inquiry_reply": pgettext_lazy("office", "問い合わせへの回答"),
    "form_print": pgettext_lazy("office", "申請書の印刷"),
    "identity_check": pgettext_lazy("office", "窓口での本人確認"),
    "case_search": pgettext_lazy("office", "申請の検索"),
    "counter": pgettext_lazy("office", "窓口での応対"),
}
AUDIT_CHANNEL_LABELS = {
    "screen": pgettext_lazy("office", "職員の画面"),
    "cli": pgettext_lazy("office", "コマンド（運用者）"),
    "api": pgettext_lazy("office", "API"),
}
AUDIT_OBJECT_LABELS = {
    "audit_log": pgettext_lazy("office", "監査ログ"),
    "case": pgettext_lazy("office", "申請（受付番号）"),
    "counter_bundle": pgettext_lazy("office", "事前入力のデータ"),
    "counter_visit": pgettext_lazy("office", "窓口での受付"),
    "faq_inquiry": pgettext_lazy("office", "問い合わせ"),
    "handoff_export": pgettext_lazy("office", "連携ファイル"),
    "identity_link": pgettext_lazy("office", "本人確認の紐付け"),
    "identity_match": pgettext_lazy("office", "本人確認の照合"),
    "person": pgettext_lazy("office", "住民記録"),
    "person_search": pgettext_lazy("office", "住民検索"),
    "registry": pgettext_lazy("office", "住民記録"),
    "user": pgettext_lazy("office", "アカウント"),
    "mynumber": pgettext_lazy("office", "個人番号"),
    "paper_form": pgettext_lazy("office", "紙の申請書（読取）"),
    "scan_page": pgettext_lazy("office", "スキャンしたページ"),
    "personal_number": pgettext_lazy("office", "個人番号"),
    "case_queue": pgettext_lazy("office", "申請の一覧（検索）"),
    "automation.action": pgettext_lazy("office", "ルールの処理"),
    "automation.firing": pgettext_lazy("office", "ルールの実行記録"),
    "automation.task": pgettext_lazy("office", "担当課のタスク"),
    "benefits.application": pgettext_lazy("office", "給付金の申請"),
    "benefits.confirmation": pgettext_lazy("office", "給付金の確認書"),
    "benefits.letters": pgettext_lazy("office", "給付金の確認書の印刷"),
    "benefits.payment_export": pgettext_lazy("office", "給付金の振込データ"),
    "booking": pgettext_lazy("office", "来庁予約"),
    "window": pgettext_lazy("office", "予約の窓口"),
    "nursery.round": pgettext_lazy("office", "保育施設等の利用調整"),
    "vaccination.invitation": pgettext_lazy("office", "接種券"),
}
# A purpose is a code, sometimes followed by what the code does not say: "case_review (T000-0001)",
# "counter_lookup: expired", "identity_check: 本人の申出". The code is named; the rest is kept as written.
_CODED = re.compile(r"^([a-z][a-z0-9_]*)(\s*(?:\(|:).*)?$", re.DOTALL)


def audit_action_label(code: str) -> str:
    return str(AUDIT_ACTION_LABELS.get(code, code))


def audit_purpose_label(code: str) -> str:
    """A purpose as people read it (ja/en by the active language); free text stays as it was written."""
    match = _CODED.match(code or "")
    if not match:
        return code
    head, rest = match.group(1), match.group(2) or ""
    label = AUDIT_PURPOSE_LABELS.get(head)
    if label is None:
        named = access.purpose_label(head, get_language() or "ja")  # the registry search purposes
        if named == head:
            return code
        label = named
    return f"{label}{rest}"


# A data item of a row is a code of the room that wrote it (a form field's key, "image", "name"), shown as it is;
# the items below are named. "attachment:<id>:<page>": one page of an attachment shown as an image on the case
# page (`cases.selectors.attachment_page_item`).
_ATTACHMENT_PAGE = re.compile(r"^attachment:(\d+):(\d+)$")


def audit_field_label(code: str) -> str:
    """A data item as people read it (ja/en by the active language); other codes stay as they are."""
    match = _ATTACHMENT_PAGE.match(code or "")
    if match:
        return pgettext("office", "添付ファイル%(id)sの%(page)sページ目") % {
            "id": match.group(1),
            "page": match.group(2),
        }
    return code


def audit_channel_label(code: str) -> str:
    return str(AUDIT_CHANNEL_LABELS.get(code, code))


def audit_object_label(code: str) -> str:
    return str(AUDIT_OBJECT_LABELS.get(code, code))
