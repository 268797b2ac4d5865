"""The pages of HTTP errors (400, 403, CSRF failure, 404, 500) for residents and staff, in Japanese or English.

Django calls these (urls.handler400 … handler500, settings.CSRF_FAILURE_VIEW) when a view fails or nothing
matches; they must work with DEBUG off and when the database or the request's context is what failed. So
they read nothing from the database, run no context processor and use no template tag that queries: the
language and the look (resident or office) come from the path alone (`/en/…`, `…/office/…`), the texts are
here in both languages, and if even the template cannot be rendered a plain bilingual page is returned.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErrorText:
    title: tuple[str, str]  # (ja, en)
    body: tuple[str, str]
    resident_hint: tuple[str, str]
    staff_hint: tuple[str, str]


TEXTS: dict[str, ErrorText] = {
    "400": ErrorText(
        ("送信内容を受け付けられませんでした", "What was sent could not be accepted"),
        (
            "ページの読み込みか送信の途中で、内容が正しく届きませんでした。",
            "The page or what you sent did not arrive correctly.",
        ),
        (
            "前のページに戻り、ページを読み込み直してから、もう一度お試しください。",
            "Go back, reload the page and try again.",
        ),
        (
            "前の画面に戻り、読み込み直してからもう一度操作してください。続く場合は情報政策課に連絡してください。",
            "Go back, reload the page and try again. If it keeps happening, contact the IT department.",
        ),
    ),
    "403": ErrorText(
        ("このページを表示する権限がありません", "You do not have permission to see this page"),
        (
            "ログインしているアカウントでは、このページを開けません。",
            "The account you are signed in with cannot open this page.",
        ),
        (
            "ご自分のアカウントでログインしているか確認してください。職員の方は職員用の画面をお使いください。",
            "Check that you are signed in with your own account. Staff use the office pages.",
        ),
        (
            "必要な場合は、所属課の管理者または情報政策課に権限の付与を依頼してください。",
            "If you need it, ask your department's administrator or the IT department for the permission.",
        ),
    ),
    "csrf": ErrorText(
        ("画面の有効期限が切れたため、送信できませんでした", "The form expired, so it was not sent"),
        (
            "しばらく操作がなかったか、別の画面でログインやログアウトをしたため、この画面からは送信できなくなりました。"
            "入力した内容は送信されていません。",
            "The page was open for a long time, or you signed in or out in another window, so this page can no "
            "longer send. Nothing was sent.",
        ),
        (
            "前のページに戻って読み込み直し、もう一度入力して送信してください。ブラウザーのCookieを有効にしてください。",
            "Go back, reload the page, fill it in again and send it. Cookies must be allowed in your browser.",
        ),
        (
            "前の画面に戻って読み込み直し、もう一度操作してください。",
            "Go back, reload the page and do it again.",
        ),
    ),
    "404": ErrorText(
        ("ページが見つかりません", "Page not found"),
        (
            "お探しのページは、アドレスが間違っているか、移動または削除された可能性があります。",
            "The address may be wrong, or the page may have been moved or removed.",
        ),
        (
            "アドレスを確かめるか、トップページや「手続きをさがす」からお探しください。",
            "Check the address, or start again from the home page or “Find a procedure”.",
        ),
        (
            "アドレスを確かめるか、受付一覧からお探しください。",
            "Check the address, or start again from the case queue.",
        ),
    ),
    "500": ErrorText(
        ("システムでエラーが起きました", "Something went wrong on our side"),
        (
            "ご迷惑をおかけしています。処理の途中でエラーが起きたため、この操作は完了していません。",
            "Sorry: an error stopped what you were doing, so it was not completed.",
        ),
        (
            "しばらくしてから、もう一度お試しください。入力中の申請は下書きとしてマイページに残っています。"
            "解決しない場合は、市役所の担当課にお問い合わせください。",
            "Please try again in a few minutes. An application you were filling in is kept as a draft on "
            "My Page. If this keeps happening, contact the city office.",
        ),
        (
            "しばらくしてからもう一度操作してください。続く場合は、時刻と画面を添えて情報政策課に連絡してください。",
            "Try again in a few minutes. If it keeps happening, tell the IT department the time and the page.",
        ),
    ),
}
STATUS = {"400": 400, "403": 403, "csrf": 403, "404": 404, "500": 500}


def _page_context(request: HttpRequest | None, kind: str) -> dict:
    path = getattr(request, "path", "/") or "/"
    english = path == "/en" or path.startswith("/en/")
    prefix = "/en" if english else ""
    office = path.startswith(f"{prefix}/office/") or path == f"{prefix}/office"
    lang = 1 if english else 0
    text = TEXTS[kind]
    city = getattr(settings, "MUNICIPALITY_NAME_EN" if english else "MUNICIPALITY_NAME", "")
    return {
        "city": str(city or ""),
        "lang": "en" if english else "ja",
        "office": office,
        "status": STATUS[kind],
        "title": text.title[lang],
        "body": text.body[lang],
        "hint": (text.staff_hint if office else text.resident_hint)[lang],
        "home_url": f"{prefix}/office/" if office else f"{prefix}/",
        "catalog_url": f"{prefix}/procedures/",
        # the other language's start page: the failed address is never echoed into the page
        "other_lang_url": ("/office/" if office else "/")
        if english
        else ("/en/office/" if office else "/en/"),
        "privacy_url": f"{prefix}/privacy/",
        "accessibility_url": f"{prefix}/accessibility/",
    }


def _plain(context: dict) -> str:
    return (
        '<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>'
        '<body><main><h1>{title}</h1><p>{body}</p><p>{hint}</p><p><a href="{home_url}">{home_url}</a></p>'
        "</main></body></html>"
    ).format(**{k: v for k, v in context.items() if isinstance(v, str)})


def error_page(request: HttpRequest | None, kind: str) -> HttpResponse:
    context = _page_context(request, kind)
    try:
        html = render_to_string("core/error_page.html", context)  # no request: no context processors
    except Exception:  # the page of last resort must not fail in turn
        logger.exception("the %s error page could not be rendered", kind)
        html = _plain(context)
    return HttpResponse(html, status=context["status"], content_type="text/html; charset=utf-8")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, "400")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, "403")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, "404")


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, "500")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_page(request, "csrf")
