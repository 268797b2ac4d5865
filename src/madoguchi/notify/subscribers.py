"""Turns case events into notices for the applicant."""

from __future__ import annotations

from madoguchi.core.events import subscribe
from madoguchi.notify import services

MESSAGES = {
    "submit": (
        "申請を受け付けました",
        "Your application has been received",
        "受付番号 {ref} の申請を受け付けました。審査の状況はマイページで確認できます。",
        "We have received your application {ref}. You can follow its status on My Page.",
    ),
    "request_information": (
        "追加の情報・書類をお願いします",
        "More information is needed",
        "受付番号 {ref} の申請について、担当課から依頼があります。マイページで内容を確認し、ご返信ください。\n\n{note}",
        "The department needs more from you for application {ref}. Please read the request on My Page and reply.\n\n{note}",
    ),
    "provide_information": (
        "追加の情報を受け付けました",
        "We have received your information",
        "受付番号 {ref} の申請について、追加の情報を受け付けました。審査を再開します。",
        "We have received your additional information for application {ref} and resumed the review.",
    ),
    "approve": (
        "申請が承認されました",
        "Your application has been approved",
        "受付番号 {ref} の申請が承認されました。詳しくはマイページをご覧ください。",
        "Your application {ref} has been approved. See My Page for details.",
    ),
    "reject": (
        "申請が却下されました",
        "Your application was not approved",
        "受付番号 {ref} の申請は却下されました。理由：{note}\nご不明な点は担当課へお問い合わせください。",
        "Your application {ref} was not approved. Reason: {note}\nPlease contact the department if you have questions.",
    ),
    "complete": (
        "手続きが完了しました",
        "Your procedure is complete",
        "受付番号 {ref} の手続きが完了しました。",
        "The procedure for application {ref} is complete.",
    ),
    "withdraw": (
        "申請を取り下げました",
        "Your application has been withdrawn",
        "受付番号 {ref} の申請を取り下げました。",
        "Your application {ref} has been withdrawn.",
    ),
}


@subscribe("case.submitted")
def notify_applicant_of_submission(payload: dict) -> None:
    notify_applicant_of_status_change({**payload, "action": "submit", "visible_to_applicant": True})


@subscribe("case.status_changed")
def notify_applicant_of_status_change(payload: dict) -> None:
    from madoguchi.accounts.models import User
    from madoguchi.cases.models import Case

    text = MESSAGES.get(payload["action"])
    if not payload.get("visible_to_applicant") or text is None or not payload.get("applicant_id"):
        return
    recipient = User.objects.filter(pk=payload["applicant_id"]).first()
    if recipient is None:
        return
    title_ja, title_en, body_ja, body_en = text
    values = {"ref": payload["reference"], "note": payload.get("note") or ""}
    services.send_notice(
        recipient=recipient,
        case=Case.objects.filter(pk=payload["case_id"]).first(),
        kind=f"case.{payload['action']}",
        title_ja=title_ja,
        title_en=title_en,
        body_ja=body_ja.format(**values).strip(),
        body_en=body_en.format(**values).strip(),
    )
