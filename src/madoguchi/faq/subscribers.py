"""Turns FAQ events into messages for residents: a reply to an inquiry → My Page notice + email."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from madoguchi.core.events import subscribe
from madoguchi.notify import services as notify_services

TITLE_JA = "お問い合わせへの回答があります"
TITLE_EN = "You have a reply to your question"
BODY_JA = (
    "お問い合わせ（受付番号 {ref}）に{department}から回答がありました。\n\n{reply}\n\n"
    "マイページの「お問い合わせ」でも確認できます（{url}）。"
)
BODY_EN = (
    "The {department} has replied to your question (reference {ref}).\n\n{reply}\n\n"
    "You can also read it on My Page under “Your questions” ({url})."
)
ANONYMOUS_BODY_JA = (
    "お問い合わせ（受付番号 {ref}）に{department}から回答がありました。\n\n{reply}\n\n"
    "このメールに返信はできません。続けてお問い合わせになる場合は、{site} の「職員に問い合わせる」から、"
    "受付番号を添えてお送りください。\nこのメールは{city}の窓口システムから自動で送信しています。"
)
ANONYMOUS_BODY_EN = (
    "The {department} has replied to your question (reference {ref}).\n\n{reply}\n\n"
    "Please do not reply to this email. To ask more, use “Ask a staff member” on {site} and quote the "
    "reference.\nThis is an automatic message from {city} (Madoguchi)."
)


def _inquiry_url(reference: str, lang: str) -> str:
    try:
        with translation.override(lang):
            path = reverse("faq:inquiry_detail", args=[reference])
    except NoReverseMatch:  # the FAQ URLs are not mounted (a deployment without the chat)
        return settings.SITE_URL.rstrip("/") + ("/en/mypage/" if lang == "en" else "/mypage/")
    return settings.SITE_URL.rstrip("/") + path


@subscribe("faq.inquiry_answered")
def tell_resident_about_reply(payload: dict) -> None:
    from madoguchi.faq.models import Inquiry, InquiryMessage

    inquiry = (
        Inquiry.objects.select_related("resident", "department").filter(pk=payload["inquiry_id"]).first()
    )
    message = InquiryMessage.objects.filter(pk=payload["message_id"]).first()
    if inquiry is None or message is None:
        return
    site = settings.SITE_URL.rstrip("/")
    values = {
        "ref": inquiry.reference,
        "reply": message.body,
        "site": site,
        "city": settings.MUNICIPALITY_NAME,
    }
    if inquiry.resident is not None:
        notify_services.send_notice(
            recipient=inquiry.resident,
            kind="faq.inquiry_answered",
            title_ja=TITLE_JA,
            title_en=TITLE_EN,
            body_ja=BODY_JA.format(
                department=inquiry.department.name_ja, url=_inquiry_url(inquiry.reference, "ja"), **values
            ),
            body_en=BODY_EN.format(
                department=inquiry.department.name_en,
                url=_inquiry_url(inquiry.reference, "en"),
                **values,
            ),
        )
    elif inquiry.email:
        english = inquiry.lang == "en"
        body = ANONYMOUS_BODY_EN if english else ANONYMOUS_BODY_JA
        department = inquiry.department.name_en if english else inquiry.department.name_ja
        subject = TITLE_EN if english else TITLE_JA
        send_mail(
            subject=f"[{settings.MUNICIPALITY_NAME}] {subject} ({inquiry.reference})",
            message=body.format(department=department, **values),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[inquiry.email],
        )
