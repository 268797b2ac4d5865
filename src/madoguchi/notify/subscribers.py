"""Turns case events into notices for the applicant (their words: `cases.workflow.applicant_notice`)."""

from __future__ import annotations

from madoguchi.cases import workflow
from madoguchi.core.events import subscribe
from madoguchi.notify import services


@subscribe("case.submitted")
def notify_applicant_of_submission(payload: dict) -> None:
    notify_applicant_of_status_change({**payload, "action": "submit", "visible_to_applicant": True})


@subscribe("case.status_changed")
def notify_applicant_of_status_change(payload: dict) -> None:
    from madoguchi.accounts.models import User
    from madoguchi.cases.models import Case

    notice = workflow.applicant_notice(payload["action"])
    if not payload.get("visible_to_applicant") or notice is None or not payload.get("applicant_id"):
        return
    recipient = User.objects.filter(pk=payload["applicant_id"]).first()
    if recipient is None:
        return
    values = {"ref": payload["reference"], "note": payload.get("note") or ""}
    services.send_notice(
        recipient=recipient,
        case=Case.objects.filter(pk=payload["case_id"]).first(),
        kind=f"case.{payload['action']}",
        title_ja=notice.title_ja,
        title_en=notice.title_en,
        body_ja=notice.body_ja.format(**values).strip(),
        body_en=notice.body_en.format(**values).strip(),
    )
