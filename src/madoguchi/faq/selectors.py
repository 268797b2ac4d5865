"""Every read of the FAQ app that a view, the API or the index needs: scoped by owner or department."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.core import audit
from madoguchi.faq.categories import category_table
from madoguchi.faq.engine import FaqEntry as EngineEntry
from madoguchi.faq.models import (
    ChatQuestion,
    FaqEntry,
    FaqVersion,
    Inquiry,
    InquiryStatus,
    Intent,
    Language,
)
from madoguchi.procedures.models import Procedure

# The portal's life-event guide (catalog filtered by life event), as an FAQ answer names it.
LIFE_EVENT_LABELS = {
    "moving": _("引っ越し"),
    "birth": _("出産"),
    "childcare": _("子育て"),
    "marriage": _("結婚・離婚"),
    "death": _("おくやみ（ご家族が亡くなったとき）"),
    "elderly": _("高齢者・介護"),
    "disaster": _("災害にあったとき"),
    "waste": _("ごみ・リサイクル"),
    "tax": _("税金"),
    "health": _("健康・医療・保険"),
    "certificates": _("証明書がほしい"),
}


# ---- versions ------------------------------------------------------------------------------------------------


def current_versions(entries: Iterable[FaqEntry] | QuerySet[FaqEntry]) -> dict[tuple[int, str], FaqVersion]:
    """The newest version of each (entry, language) of `entries`."""
    entry_ids = [e.pk for e in entries] if not isinstance(entries, QuerySet) else entries.values("pk")
    latest = (
        FaqVersion.objects.filter(entry_id__in=entry_ids)
        .values("entry_id", "lang")
        .annotate(latest=Max("id"))
        .values("latest")
    )
    return {(v.entry_id, v.lang): v for v in FaqVersion.objects.filter(id__in=latest)}


def engine_entries() -> list[EngineEntry]:
    """The active entries as the search engine takes them: ja and en, with the やさしい日本語 answer on ja."""
    entries = {e.pk: e for e in FaqEntry.objects.filter(is_active=True)}
    versions = current_versions(FaqEntry.objects.filter(is_active=True))
    result = []
    for (entry_pk, lang), version in sorted(
        versions.items(), key=lambda item: (entries[item[0][0]].faq_id, item[0][1])
    ):
        if lang == Language.JA_EASY:
            continue
        entry = entries[entry_pk]
        easy = versions.get((entry_pk, Language.JA_EASY)) if lang == Language.JA else None
        result.append(
            EngineEntry(
                id=entry.faq_id,
                category=entry.category
                if lang == Language.JA
                else (version.category_label or entry.category),
                question=version.question,
                answer=version.answer,
                procedure=version.procedure_name,
                keywords=tuple(version.keywords or ()),
                lang=lang,
                easy_answer=easy.answer if easy else "",
            )
        )
    return result


# ---- entries as residents see them ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryView:
    """One FAQ entry in the resident's language (falling back to Japanese), with its links."""

    faq_id: str
    category: str
    category_key: str
    question: str
    answer: str
    easy_answer: str
    lang: str  # language of question/answer: "ja" when no version in the wanted language exists
    procedure_slug: str  # "" unless a published procedure matches
    procedure_name: str
    life_event: str
    life_event_label: str
    department_name: str
    score: float | None = None


def _published_procedures(slugs: Iterable[str]) -> dict[str, Procedure]:
    slugs = {s for s in slugs if s}
    if not slugs:
        return {}
    procedures = Procedure.objects.filter(slug__in=slugs, is_active=True, current_version__isnull=False)
    return {p.slug: p for p in procedures}


def entry_views(
    faq_ids: Sequence[str], lang: str, *, scores: Sequence[float] | None = None, active_only: bool = True
) -> list[EntryView]:
    """Entries by FAQ id in the given order (unknown or inactive ids are left out)."""
    if not faq_ids:
        return []
    entries_qs = FaqEntry.objects.filter(faq_id__in=list(faq_ids)).select_related("department")
    if active_only:
        entries_qs = entries_qs.filter(is_active=True)
    entries = {e.faq_id: e for e in entries_qs}
    versions = current_versions(entries.values())
    procedures = _published_procedures(e.procedure_slug for e in entries.values())
    table = category_table()
    views = []
    for position, faq_id in enumerate(faq_ids):
        entry = entries.get(faq_id)
        if entry is None:
            continue
        wanted = "en" if lang == "en" else "ja"
        version = versions.get((entry.pk, wanted)) or versions.get((entry.pk, Language.JA))
        if version is None:
            continue
        easy = versions.get((entry.pk, Language.JA_EASY))
        category = table.get(entry.category)
        procedure = procedures.get(entry.procedure_slug)
        life_event = category.life_event if category else ""
        views.append(
            EntryView(
                faq_id=entry.faq_id,
                category=category.name_for(lang) if category else entry.category,
                category_key=entry.category,
                question=version.question,
                answer=version.answer,
                easy_answer=easy.answer if easy and version.lang == Language.JA else "",
                lang=version.lang,
                procedure_slug=procedure.slug if procedure else "",
                procedure_name=procedure.name_for(lang) if procedure else "",
                life_event=life_event,
                life_event_label=str(LIFE_EVENT_LABELS.get(life_event, "")),
                department_name=entry.department.name_for(lang),
                score=scores[position] if scores is not None and position < len(scores) else None,
            )
        )
    return views


def entry_view(faq_id: str, lang: str) -> EntryView:
    """One active entry for the public entry page; 404 when unknown or withdrawn."""
    views = entry_views([faq_id], lang)
    if not views:
        raise Http404("no such FAQ entry")
    return views[0]


# ---- entries for staff ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeEntryRow:
    entry: FaqEntry
    question: str
    languages: tuple[str, ...]


def office_entries(
    *, query: str = "", category: str = "", department_id: int | None = None, active: str = ""
) -> list[OfficeEntryRow]:
    """Entries for the office list with their current Japanese question; filtered in the database."""
    entries = FaqEntry.objects.select_related("department").order_by("faq_id")
    if category:
        entries = entries.filter(category=category)
    if department_id:
        entries = entries.filter(department_id=department_id)
    if active == "active":
        entries = entries.filter(is_active=True)
    elif active == "inactive":
        entries = entries.filter(is_active=False)
    entries = list(entries)
    versions = current_versions(entries)
    rows = []
    needle = query.strip().casefold()
    for entry in entries:
        langs = tuple(code for code, _label in Language.choices if (entry.pk, code) in versions)
        ja = versions.get((entry.pk, Language.JA))
        question = ja.question if ja else ""
        if needle:
            texts = [entry.faq_id, *(versions[(entry.pk, code)].question for code in langs)]
            texts += [versions[(entry.pk, code)].answer for code in langs]
            if not any(needle in text.casefold() for text in texts):
                continue
        rows.append(OfficeEntryRow(entry=entry, question=question, languages=langs))
    return rows


def entry_for_staff(faq_id: str) -> FaqEntry:
    entry = FaqEntry.objects.select_related("department").filter(faq_id=faq_id).first()
    if entry is None:
        raise Http404("no such FAQ entry")
    return entry


def entry_history(entry: FaqEntry) -> QuerySet[FaqVersion]:
    """Every version of an entry, newest first (the history shown in the office)."""
    return entry.versions.select_related("created_by").order_by("-id")


def current_version(entry: FaqEntry, lang: str) -> FaqVersion | None:
    return entry.versions.filter(lang=lang).order_by("-id").first()


# ---- inquiries ------------------------------------------------------------------------------------------------


def inquiries_of_resident(*, user) -> QuerySet[Inquiry]:
    return Inquiry.objects.filter(resident=user).select_related("department").order_by("-created_at", "-id")


def inquiry_of_resident(*, user, reference: str) -> Inquiry:
    """The resident's own inquiry; anyone else's is indistinguishable from a missing one (404)."""
    inquiry = Inquiry.objects.filter(resident=user, reference=reference).select_related("department").first()
    if inquiry is None:
        raise Http404("no such inquiry")
    return inquiry


def inquiry_queue(*, staff, status: str = "") -> QuerySet[Inquiry]:
    """The staff member's department's inquiries, oldest unanswered first."""
    inquiries = Inquiry.objects.filter(department_id=staff.department_id).select_related("resident")
    if status in InquiryStatus.values:
        inquiries = inquiries.filter(status=status)
    return inquiries.order_by("created_at", "id")


def inquiry_counts(*, staff) -> dict[str, int]:
    rows = (
        Inquiry.objects.filter(department_id=staff.department_id)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    counts = dict.fromkeys(InquiryStatus.values, 0)
    counts.update(dict(rows))
    return counts


def inquiry_for_staff(
    *, staff, reference: str, purpose: str = "faq_inquiry_reply", client_ip=None
) -> Inquiry:
    """An inquiry of the staff member's department, with the read written to the audit log."""
    inquiry = (
        Inquiry.objects.filter(reference=reference, department_id=staff.department_id)
        .select_related("resident", "department", "faq_entry")
        .first()
    )
    if inquiry is None:
        raise Http404("no such inquiry in this department")
    audit.record_access(
        actor=staff,
        action="read",
        object_type="faq_inquiry",
        object_id=inquiry.reference,
        fields=["question", "email", "messages"],
        purpose=purpose,
        channel="screen",
        client_ip=client_ip,
    )
    return inquiry


def inquiry_thread(inquiry: Inquiry) -> QuerySet:
    return inquiry.messages.select_related("sender").order_by("created_at", "id")


# ---- analytics ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountRow:
    label: str
    count: int
    share: float = 0.0  # of the largest count in the list, 0–100 (bar length)
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Analytics:
    since: dt.datetime
    total: int
    answered: int
    abstained: int
    status_questions: int
    human_requests: int
    helpful_yes: int
    helpful_no: int
    inquiries: int
    daily: list[CountRow]
    languages: list[CountRow]
    top_entries: list[CountRow]
    top_questions: list[CountRow]
    abstained_questions: list[CountRow]
    unsure: int = 0  # answered, but barely ahead of the next entry (services.UNSURE_FUSED_MARGIN)
    to_review: int = 0  # distinct question texts abstained, unsure or unhelpful, not yet reviewed by staff

    @property
    def searched(self) -> int:
        return self.answered + self.abstained

    @property
    def unsure_rate(self) -> float | None:
        return 100.0 * self.unsure / self.searched if self.searched else None

    @property
    def doubtful(self) -> int:
        """Searches that did not clearly help: abstained, unsure, or an answer marked unhelpful (counted once)."""
        return self.abstained + self.unsure_or_unhelpful

    unsure_or_unhelpful: int = 0

    @property
    def doubtful_rate(self) -> float | None:
        return 100.0 * self.doubtful / self.searched if self.searched else None

    @property
    def abstention_rate(self) -> float | None:
        searched = self.answered + self.abstained
        return 100.0 * self.abstained / searched if searched else None

    @property
    def helpful_rate(self) -> float | None:
        rated = self.helpful_yes + self.helpful_no
        return 100.0 * self.helpful_yes / rated if rated else None


def _with_shares(rows: list[tuple[str, int, dict]]) -> list[CountRow]:
    largest = max((count for _label, count, _extra in rows), default=0)
    return [
        CountRow(label=label, count=count, share=100.0 * count / largest if largest else 0.0, extra=extra)
        for label, count, extra in rows
    ]


def analytics(*, days: int, lang: str = "ja", limit: int = 15, now: dt.datetime | None = None) -> Analytics:
    """What residents asked in the last `days` days: volumes, abstentions, helpfulness, languages, top lists."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    asked = ChatQuestion.objects.filter(created_at__gte=since, created_at__lte=now)
    totals = asked.aggregate(
        total=Count("id"),
        answered=Count("id", filter=Q(intent=Intent.FAQ, abstained=False)),
        abstained=Count("id", filter=Q(intent=Intent.FAQ, abstained=True)),
        status_questions=Count("id", filter=Q(intent=Intent.STATUS)),
        human_requests=Count("id", filter=Q(intent=Intent.HUMAN)),
        helpful_yes=Count("id", filter=Q(helpful=True)),
        helpful_no=Count("id", filter=Q(helpful=False)),
    )
    # A separate query: an aggregate may not be named like a field another aggregate filters on.
    doubts = asked.filter(intent=Intent.FAQ, abstained=False).aggregate(
        unsure_n=Count("id", filter=Q(unsure=True)),
        doubtful_n=Count("id", filter=Q(unsure=True) | Q(helpful=False)),
    )
    totals.update(unsure=doubts["unsure_n"], unsure_or_unhelpful=doubts["doubtful_n"])
    to_review = _needs_review(asked).values("question").distinct().count()
    inquiries = Inquiry.objects.filter(created_at__gte=since, created_at__lte=now).count()

    per_day = {
        day: (n, abstained)
        for day, n, abstained in asked.annotate(
            day=TruncDate("created_at", tzinfo=timezone.get_current_timezone())
        )
        .values("day")
        .annotate(n=Count("id"), abstained=Count("id", filter=Q(abstained=True)))
        .values_list("day", "n", "abstained")
    }
    today = timezone.localtime(now).date()
    first = today - dt.timedelta(days=days - 1)
    days_shown = [first + dt.timedelta(days=i) for i in range(days)]
    daily = _with_shares(
        [
            (
                day.isoformat(),
                per_day.get(day, (0, 0))[0],
                {"abstained": per_day.get(day, (0, 0))[1], "day": day},
            )
            for day in days_shown
        ]
    )

    language_rows = (
        asked.values("lang")
        .annotate(
            n=Count("id"),
            abstained=Count("id", filter=Q(abstained=True)),
            yes=Count("id", filter=Q(helpful=True)),
            no=Count("id", filter=Q(helpful=False)),
        )
        .order_by("-n", "lang")
    )
    labels = dict(Language.choices)
    languages = _with_shares(
        [
            (str(labels.get(row["lang"], row["lang"])), row["n"], {**row, "code": row["lang"]})
            for row in language_rows
        ]
    )

    entry_rows = list(
        asked.exclude(top_id="")
        .values("top_id")
        .annotate(
            n=Count("id"), yes=Count("id", filter=Q(helpful=True)), no=Count("id", filter=Q(helpful=False))
        )
        .order_by("-n", "top_id")[:limit]
    )
    questions = {
        v.faq_id: v.question for v in entry_views([r["top_id"] for r in entry_rows], lang, active_only=False)
    }
    top_entries = _with_shares(
        [
            (
                r["top_id"],
                r["n"],
                {"question": questions.get(r["top_id"], ""), "yes": r["yes"], "no": r["no"]},
            )
            for r in entry_rows
        ]
    )
    question_rows = (
        asked.filter(intent=Intent.FAQ)
        .values("question")
        .annotate(n=Count("id"), last=Max("created_at"))
        .order_by("-n", "-last")[:limit]
    )
    top_questions = _with_shares([(r["question"], r["n"], {"last": r["last"]}) for r in question_rows])
    abstained_rows = (
        asked.filter(intent=Intent.FAQ, abstained=True)
        .values("question")
        .annotate(n=Count("id"), last=Max("created_at"))
        .order_by("-n", "-last")[:limit]
    )
    abstained_questions = _with_shares([(r["question"], r["n"], {"last": r["last"]}) for r in abstained_rows])
    return Analytics(
        since=since,
        inquiries=inquiries,
        to_review=to_review,
        daily=daily,
        languages=languages,
        top_entries=top_entries,
        top_questions=top_questions,
        abstained_questions=abstained_questions,
        **totals,
    )


# ---- questions that went badly, for staff to review --------------------------------------------------------------

REVIEW_DAYS = 90  # how far back the review list looks
REVIEW_KINDS = ("abstained", "unsure", "unhelpful")


def _needs_review(asked: QuerySet[ChatQuestion]) -> QuerySet[ChatQuestion]:
    return asked.filter(intent=Intent.FAQ, review="").filter(
        Q(abstained=True) | Q(unsure=True) | Q(helpful=False)
    )


@dataclass(frozen=True)
class ReviewGroup:
    """One question text residents asked (masked and normalised), with what went wrong each time."""

    question: str
    count: int
    abstained: int
    unsure: int
    unhelpful: int
    last: dt.datetime
    lang: str
    offered: list[EntryView]  # the entries the chat showed (first ones), in the staff member's language


def review_groups(
    *, kind: str = "", lang: str = "ja", limit: int = 50, now: dt.datetime | None = None
) -> list[ReviewGroup]:
    """Unreviewed questions that the chat did not answer, answered unsurely, or whose answer was marked
    unhelpful, in the last REVIEW_DAYS days: grouped by text, the most frequent first."""
    now = now or timezone.now()
    asked = _needs_review(ChatQuestion.objects.filter(created_at__gte=now - dt.timedelta(days=REVIEW_DAYS)))
    if kind == "abstained":
        asked = asked.filter(abstained=True)
    elif kind == "unsure":
        asked = asked.filter(unsure=True, abstained=False)
    elif kind == "unhelpful":
        asked = asked.filter(helpful=False)
    rows = list(
        asked.values("question")
        .annotate(
            n=Count("id"),
            abstained_n=Count("id", filter=Q(abstained=True)),
            unsure_n=Count("id", filter=Q(unsure=True, abstained=False)),
            unhelpful_n=Count("id", filter=Q(helpful=False)),
            last=Max("created_at"),
            last_id=Max("id"),
        )
        .order_by("-n", "-last")[:limit]
    )
    latest = {
        q.pk: q
        for q in ChatQuestion.objects.filter(pk__in=[r["last_id"] for r in rows]).only("lang", "top_ids")
    }
    wanted = {i for q in latest.values() for i in (q.top_ids or [])[:3]}
    views = {v.faq_id: v for v in entry_views(sorted(wanted), lang, active_only=False)}
    groups = []
    for r in rows:
        log = latest.get(r["last_id"])
        offered = [views[i] for i in ((log.top_ids or [])[:3] if log else []) if i in views]
        groups.append(
            ReviewGroup(
                question=r["question"],
                count=r["n"],
                abstained=r["abstained_n"],
                unsure=r["unsure_n"],
                unhelpful=r["unhelpful_n"],
                last=r["last"],
                lang=log.lang if log else "ja",
                offered=offered,
            )
        )
    return groups


def department_entries(*, staff, lang: str = "ja") -> list[EntryView]:
    """The active entries of the staff member's department (what they may add a phrasing to)."""
    if not staff.department_id:
        return []
    ids = FaqEntry.objects.filter(department_id=staff.department_id, is_active=True).values_list(
        "faq_id", flat=True
    )
    return entry_views(sorted(ids), lang)
