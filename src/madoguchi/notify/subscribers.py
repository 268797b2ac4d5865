"""Turns case events into notices for the applicant (their words: `cases.workflow.applicant_notice`)."""

from __future__ import annotations

from madoguchi.core.events import subscribe
from madoguchi.notify import services


@subscribe("case.submitted")
def notify_applicant_of_submission(payload: dict) -> None:
    notify_applicant_of_status_change({**payload, "action": "submit", "visible_to_applicant": True})


@subscribe("case.status_changed")
def notify_applicant_of_status_change(payload: dict) -> None:
    from madoguchi.accounts.models import User
    from madoguchi.cases import workflow
    from madoguchi.cases.models import Case

    notice = workflow.applicant_notice(payload["action"])
    if not payload.get("visible_to_applicant") or notice is None or not payload.get("applicant_id"):
        return
    recipient = User.objects.filter(pk=payload["applicant_id"]).first()
    if recipient is None:
        return
    values = {"ref": payload["reference"], "note": payload.get("note") or ""}
    case = Case.objects.select_related("procedure_version").filter(pk=payload["case_id"]).first()
    status = payload.get("to") or ("submitted" if payload["action"] == "submit" else "")
    services.send_notice(
        recipient=recipient,
        case=case,
        kind=f"case.{payload['action']}",
        title_ja=notice.title_ja,
        title_en=notice.title_en,
        body_ja=notice.body_ja.format(**values).strip() + next_step_text(case, status, "ja"),
        body_en=notice.body_en.format(**values).strip() + next_step_text(case, status, "en"),
    )


NEXT_STEP_WORDS = {
    "ja": {
        "title": "このあとの手続き",
        "what": "次にすること",
        "bring": "持ち物",
        "fee": "手数料",
        "collect": "受け取りの場所・時間",
        "takes": "かかる時間",
    },
    "en": {
        "title": "What happens next",
        "what": "Next",
        "bring": "Bring",
        "fee": "Fee",
        "collect": "Where and when",
        "takes": "How long",
    },
}


def next_step_text(case, status: str, lang: str) -> str:
    """What happens after `status` (the procedure's `next_steps`) as plain text for the notice and the email,
    starting with a blank line; "" when the procedure does not say."""
    if case is None or not status:
        return ""
    from madoguchi.procedures.selectors import spec_of

    step = spec_of(case.procedure_version).next_step(status)
    if step is None:
        return ""
    words = NEXT_STEP_WORDS[lang]
    colon = "：" if lang == "ja" else ": "
    lines = [f"\n\n■ {words['title']}"]
    lines += [f"{words[key]}{colon}{text}" for key, text in step.lines(lang)]
    return "\n".join(lines)
