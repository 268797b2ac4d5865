"""The office's letter batch: print the program's 確認書 not printed yet as one PDF, A4 or 圧着はがき (the same
service as `madoguchi benefits letters`). Kept apart from `office_views` (the program pages)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from madoguchi.core import audit
from madoguchi.core.audit import client_ip_of
from madoguchi.core.errors import MadoguchiError
from madoguchi.core.i18n import lang_of

from . import letters, selectors
from .access import benefits_staff_required, may_decide
from .printing import print_letters

MAX_LETTERS = 5000  # a download is made in the request; the whole batch is the CLI's job


def _layouts() -> list[tuple[str, str, str]]:
    return [
        (letters.A4, pgettext("benefit letter layout", "A4（窓あき封筒用）"),
         pgettext("benefit letter layout", "1世帯1ページ。宛名が封筒の窓から見えます。")),
        (letters.HAGAKI, pgettext("benefit letter layout", "圧着はがき（V折り 100×296 mm）"),
         pgettext("benefit letter layout", "1世帯2ページ（外面・内面）。金額と口座は内面だけに印刷します。")),
    ]  # fmt: skip


@benefits_staff_required
@require_http_methods(["GET", "POST"])
def print_batch(request: HttpRequest, slug: str) -> HttpResponse:
    program = selectors.program_by_slug(slug)
    if program is None:
        raise Http404("no such program")
    may_print = may_decide(request.user)  # the letters carry names, addresses, amounts and accounts
    figures = selectors.dashboard_figures(program)
    chosen = request.POST.get("layout", letters.A4) if request.method == "POST" else letters.A4
    error = ""
    if request.method == "POST":
        if not may_print:
            raise Http404("approvers only")
        try:
            count = int(request.POST.get("count") or MAX_LETTERS)
        except ValueError:
            count = 0
        if chosen not in letters.LAYOUTS:
            error = pgettext("benefit letters", "様式を選んでください。")
        elif not 1 <= count <= MAX_LETTERS:
            error = pgettext("benefit letters", "印刷する件数は1から%(max)s までの数で入力してください。") % {
                "max": f"{MAX_LETTERS:,}"
            }
        else:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "letters.pdf"
                try:
                    batch = print_letters(
                        program=program, path=path, reprint=request.POST.get("reprint") == "on", limit=count,
                        layout=chosen,
                    )  # fmt: skip
                except MadoguchiError as exc:
                    messages.error(request, exc.message(lang_of(request)))
                    return redirect("benefits:letters", slug=slug)
                data = path.read_bytes()
            audit.record_access(
                actor=request.user,
                action="export",
                object_type="benefits.letters",
                object_id=program.pk,
                fields=["name", "address", "amount", "bank_account", "holder_kana"],
                purpose=f"給付金の確認書の印刷（{batch.letters}件・{chosen}）",
                client_ip=client_ip_of(request),
            )
            response = HttpResponse(data, content_type="application/pdf")
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            response["Content-Disposition"] = (
                f'attachment; filename="{program.slug}-letters-{chosen}-{stamp}.pdf"'
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "benefits/office_letters.html",
        {
            "nav": "benefits",
            "program": program,
            "figures": figures,
            "left": figures["confirmations"] - figures["confirmations_printed"],
            "layouts": _layouts(),
            "chosen": chosen,
            "may_print": may_print,
            "max_letters": MAX_LETTERS,
            "error": error,
        },
    )
