"""Every write of the FAQ app: importing and editing the knowledge base, answering chat questions (and
logging them, masked), inquiries to departments and their replies, and turning a reply into an FAQ entry.

Services take keyword-only arguments and run in one transaction. A raw question is never stored: the chat log
keeps `faq.engine.normalise_question` (My Number masked, HTML removed), inquiries keep the text with My
Numbers masked.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from madoguchi.accounts.models import Department
from madoguchi.cases import selectors as case_selectors
from madoguchi.cases.models import Status
from madoguchi.core.errors import MadoguchiError
from madoguchi.core.events import emit
from madoguchi.faq.categories import category_table, procedure_slug_for
from madoguchi.faq.engine import (
    MAX_QUESTION_CHARS,
    Answer,
    FaqImportError,
    FaqImportProblem,
    detect_language,
    load_faq_csv,
    mask_my_number,
    normalise_question,
)
from madoguchi.faq.engine import FaqEntry as EngineEntry
from madoguchi.faq.index_cache import current_index
from madoguchi.faq.intents import detect_intent
from madoguchi.faq.models import (
    ChatQuestion,
    FaqEntry,
    FaqRevision,
    FaqVersion,
    Inquiry,
    InquiryMessage,
    InquiryStatus,
    Intent,
    Language,
    MessageDirection,
    ReviewOutcome,
)
from madoguchi.faq.selectors import EntryView, current_versions, entry_views
from madoguchi.procedures.models import Procedure

# The みどり市 sample FAQ shipped with this room (its engine, tests and benchmarks use it too); the demo room
# imports it with `import_faq_csv` (madoguchi.demo.services.import_demo_faq).
DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
DEMO_FILES = (("midori_faq_ja.csv", "ja"), ("midori_faq_en.csv", "en"))
MAX_MESSAGE_CHARS = 4000
RELATED_SHOWN = 3  # other entries shown under a confident answer
CLOSEST_SHOWN = 2  # entries offered when the chat is unsure or does not answer
# An answer is "unsure" when the fused score of the entry shown first is less than this ahead of the second
# (engine feature `fused_margin`; only with a dense retriever). On the paraphrase dev set
# (bench/faq/devset_paraphrase.jsonl) this flags 13% of answers, of which 58% were wrong, against 6% wrong
# among the rest: the page then says it is unsure and offers the next closest entries and the inquiry form.
UNSURE_FUSED_MARGIN = 0.05
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TOKEN_SALT = "madoguchi.faq.question"  # noqa: S105 - a signing salt (namespace), not a secret
TOKEN_MAX_AGE = 7 * 24 * 3600
_CONTROL = re.compile(
    r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\u061c\ufeff]"
)
_FAQ_NUMBER = re.compile(r"^FAQ-(\d+)$")


class FaqError(MadoguchiError):
    """An expected failure a person can fix; says what went wrong and what to do, in Japanese and English."""


# ---- knowledge base: import ------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    lang: str
    source: str
    entries: int = 0
    created: int = 0  # new entries
    new_versions: int = 0  # new texts (new entries included)
    unchanged: int = 0

    def __str__(self) -> str:
        return (
            f"{self.source}: {self.entries} entries, {self.created} new, "
            f"{self.new_versions} new versions, {self.unchanged} unchanged"
        )


def touch_revision() -> None:
    """Tell every process that the knowledge base changed (index_cache rebuilds or reuses its index)."""
    FaqRevision.objects.update_or_create(
        pk=1, defaults={"token": uuid.uuid4().hex, "changed_at": timezone.now()}
    )


def _row_numbers(path: str | Path) -> dict[str, int]:
    """The CSV row of each id (row 1 is the header), as load_faq_csv numbers them."""
    text = Path(path).read_bytes().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    reader.fieldnames = [h.strip() for h in (reader.fieldnames or [])]
    return {(row.get("id") or "").strip(): offset + 2 for offset, row in enumerate(reader)}


def _version_fields(entry: EngineEntry) -> dict:
    return {
        "question": entry.question,
        "answer": entry.answer,
        "keywords": list(entry.keywords),
        "category_label": entry.category,
        "procedure_name": entry.procedure,
    }


def _differs(version: FaqVersion | None, fields: dict) -> bool:
    if version is None:
        return True
    return any(getattr(version, name) != value for name, value in fields.items())


def import_faq_csv(*, path: str | Path, lang: str, source: str = "") -> ImportReport:
    """Import one FAQ CSV of one language: all or nothing; a changed text becomes a new version.

    Raises FaqImportError listing every problem (the engine's checks, plus: unknown category, missing
    department, an English id without a Japanese entry). Unchanged rows write nothing.
    """
    entries = load_faq_csv(path, lang=lang)
    source = source or f"CSV {Path(path).name}"
    rows = _row_numbers(path)
    table = category_table()
    departments = {d.code: d for d in Department.objects.all()}
    existing = {e.faq_id: e for e in FaqEntry.objects.filter(faq_id__in=[e.id for e in entries])}
    problems: list[FaqImportProblem] = []
    for entry in entries:
        row = rows.get(entry.id, 0)
        if lang == "en":
            if entry.id not in existing:
                problems.append(
                    FaqImportProblem(
                        row,
                        "id",
                        f"日本語のFAQに {entry.id} がありません。先に日本語のファイルを取り込んでください "
                        "(no Japanese entry with this id; import the Japanese file first)",
                    )
                )
            continue
        category = table.get(entry.category)
        if category is None:
            problems.append(
                FaqImportProblem(
                    row,
                    "category",
                    f"「{entry.category}」は登録されていないカテゴリです。既存のカテゴリ名にするか、"
                    "faq/data/categories.yaml に担当課と一緒に追加してください (unknown category)",
                )
            )
        elif category.department_code not in departments:
            problems.append(
                FaqImportProblem(
                    row,
                    "category",
                    f"カテゴリ「{entry.category}」の担当課 {category.department_code} が登録されていません。"
                    "先に担当課を登録してください (department not found)",
                )
            )
    if problems:
        raise FaqImportError(problems)

    report = ImportReport(lang=lang, source=source, entries=len(entries))
    with transaction.atomic():
        db_entries = dict(existing)
        if lang == "ja":
            for entry in entries:
                category = table.get(entry.category)
                wanted = {
                    "category": entry.category,
                    "department": departments[category.department_code],
                    "procedure_slug": procedure_slug_for(entry.procedure),
                }
                db_entry = db_entries.get(entry.id)
                if db_entry is None:
                    db_entries[entry.id] = FaqEntry.objects.create(faq_id=entry.id, **wanted)
                    report.created += 1
                    continue
                changed = [name for name, value in wanted.items() if getattr(db_entry, name) != value]
                if changed:
                    for name in changed:
                        setattr(db_entry, name, wanted[name])
                    db_entry.save(update_fields=[*changed, "updated_at"])
        versions = current_versions(db_entries.values())
        new_versions = []
        for entry in entries:
            db_entry = db_entries[entry.id]
            texts = [(lang, _version_fields(entry))]
            if lang == "ja" and entry.easy_answer:
                texts.append((Language.JA_EASY, {**_version_fields(entry), "answer": entry.easy_answer}))
            written = False
            for version_lang, fields in texts:
                if _differs(versions.get((db_entry.pk, version_lang)), fields):
                    new_versions.append(
                        FaqVersion(entry=db_entry, lang=version_lang, source=source, **fields)
                    )
                    written = True
            if not written:
                report.unchanged += 1
        FaqVersion.objects.bulk_create(new_versions)
        report.new_versions = len(new_versions)
        if new_versions or report.created:
            touch_revision()
    return report


# ---- knowledge base: editing in the office ---------------------------------------------------------------------


def clean_text(text: str) -> str:
    """A message as it may be stored: My Numbers masked, control characters removed, line ends unified."""
    text = unicodedata.normalize("NFC", str(text or "")).replace("\r\n", "\n").replace("\r", "\n")
    return mask_my_number(_CONTROL.sub("", text)).strip()


def split_keywords(value: str | Iterable[str]) -> list[str]:
    parts = re.split(r"[|\n]", value) if isinstance(value, str) else list(value)
    seen: list[str] = []
    for part in (p.strip() for p in parts):
        if part and part not in seen:
            seen.append(part)
    return seen


def _require_department(staff, department_id: int | None) -> None:
    if not (staff is not None and staff.is_office_staff and staff.department_id == department_id):
        raise FaqError(
            "not_your_department",
            "このFAQ・問い合わせは他の課の担当です。担当課の職員に依頼してください。",
            "This FAQ entry or inquiry belongs to another department. Please ask that department's staff.",
        )


def _require_texts(question: str, answer: str) -> tuple[str, str]:
    question, answer = clean_text(question), clean_text(answer)
    if not question:
        raise FaqError(
            "empty_question", "質問を入力してください。", "Please enter the question.", field="question"
        )
    if not answer:
        raise FaqError("empty_answer", "回答を入力してください。", "Please enter the answer.", field="answer")
    return question, answer


def save_faq_version(
    *, entry: FaqEntry, staff, lang: str, question: str, answer: str, keywords: str | Sequence[str] = ()
) -> FaqVersion | None:
    """Save an edit as a new version of one language; None when nothing changed."""
    _require_department(staff, entry.department_id)
    if lang not in Language.values:
        raise FaqError("bad_language", "言語を選んでください。", "Please choose a language.", field="lang")
    question, answer = _require_texts(question, answer)
    with transaction.atomic():
        current = entry.versions.filter(lang=lang).order_by("-id").first()
        category = category_table().get(entry.category)
        fields = {
            "question": question,
            "answer": answer,
            "keywords": split_keywords(keywords),
            "category_label": current.category_label
            if current
            else (category.name_for(lang) if category else entry.category),
            "procedure_name": current.procedure_name if current else "",
        }
        if not _differs(current, fields):
            return None
        version = FaqVersion.objects.create(
            entry=entry, lang=lang, source="office", created_by=staff, **fields
        )
        touch_revision()
    return version


def _check_procedure_slug(slug: str) -> str:
    slug = (slug or "").strip()
    if slug and not Procedure.objects.filter(slug=slug).exists():
        raise FaqError(
            "unknown_procedure",
            "その手続きはありません。一覧から選んでください。",
            "There is no such procedure. Please choose one from the list.",
            field="procedure_slug",
        )
    return slug


def _category_of(staff, name: str):
    category = category_table().get(name)
    if category is None:
        raise FaqError(
            "unknown_category", "カテゴリを選んでください。", "Please choose a category.", field="category"
        )
    department = Department.objects.filter(code=category.department_code).first()
    if department is None or department.pk != staff.department_id:
        raise FaqError(
            "category_of_other_department",
            "このカテゴリは他の課の担当です。自分の課のカテゴリを選んでください。",
            "This category belongs to another department. Please choose one of your department's categories.",
            field="category",
        )
    return category, department


def update_entry_settings(
    *, entry: FaqEntry, staff, category: str, procedure_slug: str, is_active: bool
) -> bool:
    """Change an entry's category, procedure link or whether it is shown; True when something changed."""
    _require_department(staff, entry.department_id)
    _category, department = _category_of(staff, category)
    wanted = {
        "category": category,
        "department": department,
        "procedure_slug": _check_procedure_slug(procedure_slug),
        "is_active": bool(is_active),
    }
    changed = [name for name, value in wanted.items() if getattr(entry, name) != value]
    if not changed:
        return False
    with transaction.atomic():
        for name in changed:
            setattr(entry, name, wanted[name])
        entry.save(update_fields=[*changed, "updated_at"])
        touch_revision()
    return True


def next_faq_id() -> str:
    numbers = [
        int(m.group(1))
        for m in (_FAQ_NUMBER.match(i) for i in FaqEntry.objects.values_list("faq_id", flat=True))
        if m
    ]
    return f"FAQ-{max(numbers, default=0) + 1:03d}"


def create_faq_entry(
    *,
    staff,
    category: str,
    question: str,
    answer: str,
    keywords: str | Sequence[str] = (),
    procedure_slug: str = "",
    source: str = "office",
) -> FaqEntry:
    """A new entry (next FAQ-NNN) with its Japanese text, in a category of the staff member's department."""
    _category, department = _category_of(staff, category)
    question, answer = _require_texts(question, answer)
    slug = _check_procedure_slug(procedure_slug)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                entry = FaqEntry.objects.create(
                    faq_id=next_faq_id(), category=category, department=department, procedure_slug=slug
                )
                FaqVersion.objects.create(
                    entry=entry,
                    lang=Language.JA,
                    question=question,
                    answer=answer,
                    keywords=split_keywords(keywords),
                    category_label=category,
                    source=source,
                    created_by=staff,
                )
                touch_revision()
                return entry
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a new FAQ id")


# ---- the chat ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatResult:
    """What the chat answers to one message."""

    kind: str  # answer | abstain | empty | status | human
    question: str  # what the resident asked, My Number masked, for showing back (≤ 1,000 characters)
    lang: str  # ja | en: the language the answer is in
    easy_preferred: bool = False  # show the やさしい日本語 answer first when there is one
    shortened: bool = False  # the question was longer than the search reads
    question_id: int | None = None
    best: EntryView | None = None
    related: list[EntryView] = field(default_factory=list)
    cases: list = field(default_factory=list)  # status: the signed-in resident's own cases
    signed_in: bool = False
    suggested_category: str = ""
    engine: Answer | None = None
    unsure: bool = False  # answered, but the best entry was barely ahead of the next (UNSURE_FUSED_MARGIN)

    @property
    def abstain(self) -> bool:
        return self.best is None

    @property
    def token(self) -> str:
        return question_token(self.question_id) if self.question_id else ""

    def to_dict(self) -> dict:
        """The engine CLI's JSON shape: {"results": [{"id", "score"}], "abstain"}."""
        if self.engine is not None:
            return self.engine.to_dict()
        return {"results": [], "abstain": self.kind != Intent.STATUS}


def requested_language(lang: object) -> str | None:
    """ja, en or ja-easy from what a client sent; None (detect from the text) for anything else."""
    if not isinstance(lang, str):
        return None
    code = lang.strip().lower().replace("_", "-")
    if code in {"ja-easy", "easy", "ja-simple", "yasashii"}:
        return Language.JA_EASY
    code = code.split("-")[0]
    return code if code in {"ja", "en"} else None


def question_token(question_id: int) -> str:
    """A signed reference to a logged question: lets its asker rate it or turn it into an inquiry."""
    return signing.dumps(question_id, salt=TOKEN_SALT, compress=True)


def question_from_token(token: str) -> ChatQuestion | None:
    try:
        question_id = signing.loads(str(token or ""), salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(question_id, int):
        return None
    return ChatQuestion.objects.filter(pk=question_id).first()


def _shown_question(raw: str, stored: str) -> tuple[str, bool]:
    if len(raw) <= MAX_QUESTION_CHARS:
        return clean_text(raw), False
    return stored, True


def ask(
    *, question: object, lang: object = None, user=None, channel: str = "page", limit: int = 5
) -> ChatResult:
    """Answer one chat message and log it (masked). Never raises on bad input."""
    raw = question if isinstance(question, str) else ""
    stored = normalise_question(raw)  # masked before anything else happens to it
    requested = requested_language(lang)
    signed_in = bool(user is not None and user.is_authenticated)
    resident = user if signed_in and getattr(user, "is_resident", False) else None
    log_user = user if signed_in else None
    shown, shortened = _shown_question(raw, stored)
    base_lang = "ja" if requested == Language.JA_EASY else requested
    if not stored:
        return ChatResult(kind="empty", question="", lang=base_lang or "ja", signed_in=signed_in)
    intent = detect_intent(stored)
    if intent in (Intent.STATUS, Intent.HUMAN):
        answer_lang = base_lang or detect_language(stored)
        log = ChatQuestion.objects.create(
            question=stored,
            lang=Language.JA_EASY if requested == Language.JA_EASY else answer_lang,
            intent=intent,
            channel=channel,
            user=log_user,
        )
        cases = []
        if intent == Intent.STATUS and resident is not None:
            cases = list(case_selectors.cases_of_applicant(user=resident).exclude(status=Status.DRAFT)[:5])
        return ChatResult(
            kind=intent,
            question=shown,
            lang=answer_lang,
            easy_preferred=requested == Language.JA_EASY,
            shortened=shortened,
            question_id=log.pk,
            cases=cases,
            signed_in=signed_in,
        )

    answer = current_index().ask(raw, lang=base_lang or "auto", limit=limit)
    easy = requested == Language.JA_EASY or answer.prefer_easy_japanese
    views = entry_views([h.id for h in answer.results], answer.lang, scores=[h.score for h in answer.results])
    best = views[0] if views and not answer.abstain else None
    unsure = best is not None and is_unsure(answer)
    if best is None:
        related = views[:CLOSEST_SHOWN]
    elif unsure:
        related = views[1 : 1 + CLOSEST_SHOWN]
    else:
        related = views[1 : 1 + RELATED_SHOWN]
    log = ChatQuestion.objects.create(
        question=stored,
        lang=Language.JA_EASY if easy and answer.lang == "ja" else answer.lang,
        intent=Intent.FAQ,
        abstained=best is None,
        unsure=unsure,
        reason=answer.reason,
        top_id=best.faq_id if best else "",
        top_ids=[h.id for h in answer.results],
        top_score=answer.results[0].score if answer.results else None,
        channel=channel,
        user=log_user,
    )
    return ChatResult(
        kind="answer" if best else "abstain",
        question=shown,
        lang=answer.lang,
        easy_preferred=easy,
        shortened=shortened,
        question_id=log.pk,
        best=best,
        related=related,
        signed_in=signed_in,
        suggested_category=views[0].category_key if views else "",
        engine=answer,
        unsure=unsure,
    )


def is_unsure(answer: Answer) -> bool:
    """The best entry is barely ahead of the second in the fused ranking (only known with a dense retriever)."""
    features = answer.features
    if not features.get("has_dense"):
        return False
    return float(features.get("fused_margin", 1.0)) < UNSURE_FUSED_MARGIN


def record_feedback(*, question: ChatQuestion, helpful: bool) -> None:
    """ "Was this helpful?" — the latest answer counts."""
    ChatQuestion.objects.filter(pk=question.pk).update(helpful=bool(helpful))


# ---- reviewing questions that went badly ---------------------------------------------------------------------


def _mark_reviewed(*, question: str, staff, outcome: str, faq_id: str = "") -> int:
    """Mark every unreviewed log row with this (masked, normalised) text; returns how many."""
    return ChatQuestion.objects.filter(question=question, review="").update(
        review=outcome, review_entry=faq_id, reviewed_by=staff, reviewed_at=timezone.now()
    )


def _reviewed_text(question: str) -> str:
    text = clean_text(question)
    if not text or not ChatQuestion.objects.filter(question=text).exists():
        raise FaqError(
            "unknown_question",
            "この質問は記録にありません。一覧を開き直してください。",
            "This question is not in the log. Please reopen the list.",
        )
    return text


def add_phrasing(*, staff, faq_id: str, question: str, lang: str = Language.JA) -> FaqVersion | None:
    """Add a resident's question as an alternative phrasing (keyword) of an entry: a new version of its text
    in `lang`, and the question's log rows are marked as reviewed. None when the entry already had it."""
    text = _reviewed_text(question)
    entry = FaqEntry.objects.filter(faq_id=faq_id).first()
    if entry is None:
        raise FaqError(
            "unknown_entry",
            "そのFAQはありません。一覧から選んでください。",
            "There is no such FAQ entry. Please choose one from the list.",
            field="faq_id",
        )
    _require_department(staff, entry.department_id)
    with transaction.atomic():
        current = entry.versions.filter(lang=lang).order_by("-id").first()
        if current is None:
            raise FaqError(
                "no_text_in_language",
                "このFAQにはその言語の文がありません。先に本文を作成してください。",
                "This entry has no text in that language yet. Please write it first.",
                field="lang",
            )
        phrasing = text.replace("|", "／")  # the keyword separator of the CSV format
        keywords = [*current.keywords, phrasing]
        version = save_faq_version(
            entry=entry,
            staff=staff,
            lang=lang,
            question=current.question,
            answer=current.answer,
            keywords=keywords,
        )
        _mark_reviewed(question=text, staff=staff, outcome=ReviewOutcome.PHRASING, faq_id=entry.faq_id)
    return version


def create_entry_from_question(
    *,
    staff,
    review_question: str,
    category: str,
    question: str,
    answer: str,
    keywords: str | Sequence[str] = (),
    procedure_slug: str = "",
) -> FaqEntry:
    """A new entry answering a question residents asked, in one step: the resident's words become an
    alternative phrasing when the entry's question is worded differently, and the question's log rows are
    marked as reviewed."""
    text = _reviewed_text(review_question)
    words = split_keywords(keywords)
    if clean_text(question) != text:
        words = split_keywords([*words, text.replace("|", "／")])
    with transaction.atomic():
        entry = create_faq_entry(
            staff=staff,
            category=category,
            question=question,
            answer=answer,
            keywords=words,
            procedure_slug=procedure_slug,
            source="office review",
        )
        _mark_reviewed(question=text, staff=staff, outcome=ReviewOutcome.ENTRY, faq_id=entry.faq_id)
    return entry


def dismiss_question(*, staff, question: str) -> int:
    """Nothing to do about this question (off topic, a test, already covered): it leaves the review list."""
    return _mark_reviewed(question=_reviewed_text(question), staff=staff, outcome=ReviewOutcome.DISMISSED)


# ---- inquiries --------------------------------------------------------------------------------------------------


def _new_reference() -> str:
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"Q-{raw[:4]}-{raw[4:]}"


def _message_text(body: str) -> str:
    text = clean_text(body)
    if not text:
        raise FaqError(
            "empty_message", "内容を入力してください。", "Please write your message.", field="body"
        )
    if len(text) > MAX_MESSAGE_CHARS:
        raise FaqError(
            "message_too_long",
            f"{MAX_MESSAGE_CHARS:,}文字以内で入力してください（いまは{len(text):,}文字です）。",
            f"Please keep it to {MAX_MESSAGE_CHARS:,} characters (it is {len(text):,} now).",
            field="body",
        )
    return text


def suggested_category(question: ChatQuestion | None) -> str:
    """The category of the best entry the chat found for a logged question, or ""."""
    if question is None or not question.top_ids:
        return ""
    entry = FaqEntry.objects.filter(faq_id=question.top_ids[0]).values_list("category", flat=True).first()
    return entry or ""


def open_inquiry(
    *,
    question: str,
    category: str = "",
    resident=None,
    email: str = "",
    lang: str = "ja",
    chat_question: ChatQuestion | None = None,
) -> Inquiry:
    """A question for staff: a ticket for the department owning the category (市民課 when unknown)."""
    text = _message_text(question)
    if resident is None and not email:
        raise FaqError(
            "email_required",
            "回答をお送りするメールアドレスを入力してください。ログインするとマイページで回答を確認できます。",
            "Please enter the email address for our reply, or sign in to read the reply on My Page.",
            field="email",
        )
    table = category_table()
    category = category if table.get(category) else ""
    department = Department.objects.filter(code=table.department_code_for(category)).first()
    if department is None:
        raise FaqError(
            "no_department",
            "問い合わせ先の担当課が見つかりません。市役所にお電話でお問い合わせください。",
            "We could not find the department for this question. Please call the city office.",
        )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Inquiry.objects.create(
                    reference=_new_reference(),
                    resident=resident,
                    email="" if resident is not None else email.strip(),
                    lang="en" if lang == "en" else "ja",
                    department=department,
                    category=category,
                    question=text,
                    chat_question=chat_question,
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate an inquiry reference")


def post_resident_message(*, inquiry: Inquiry, resident, body: str) -> InquiryMessage:
    """The resident writes again (a follow-up): the inquiry is open for the department again."""
    if resident is None or inquiry.resident_id != resident.pk:
        raise FaqError("not_yours", "この問い合わせは見つかりません。", "We could not find this inquiry.")
    text = _message_text(body)
    with transaction.atomic():
        message = InquiryMessage.objects.create(
            inquiry=inquiry, direction=MessageDirection.FROM_RESIDENT, sender=resident, body=text
        )
        Inquiry.objects.filter(pk=inquiry.pk).update(
            status=InquiryStatus.OPEN, status_changed_at=timezone.now()
        )
    inquiry.refresh_from_db(fields=["status", "status_changed_at"])
    return message


def reply_to_inquiry(*, inquiry: Inquiry, staff, body: str) -> InquiryMessage:
    """Staff answer: the resident gets a My Page notice and an email (or an email only, when anonymous)."""
    _require_department(staff, inquiry.department_id)
    text = _message_text(body)
    with transaction.atomic():
        locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        message = InquiryMessage.objects.create(
            inquiry=locked, direction=MessageDirection.TO_RESIDENT, sender=staff, body=text
        )
        locked.status, locked.status_changed_at = InquiryStatus.ANSWERED, timezone.now()
        locked.save(update_fields=["status", "status_changed_at"])
        emit("faq.inquiry_answered", {"inquiry_id": locked.pk, "message_id": message.pk})
    inquiry.status, inquiry.status_changed_at = locked.status, locked.status_changed_at
    return message


def close_inquiry(*, inquiry: Inquiry, staff) -> None:
    _require_department(staff, inquiry.department_id)
    Inquiry.objects.filter(pk=inquiry.pk).update(
        status=InquiryStatus.CLOSED, status_changed_at=timezone.now()
    )
    inquiry.refresh_from_db(fields=["status", "status_changed_at"])


def promote_reply_to_faq(
    *,
    inquiry: Inquiry,
    staff,
    question: str,
    answer: str,
    category: str,
    keywords: str | Sequence[str] = (),
    procedure_slug: str = "",
) -> FaqEntry:
    """「FAQにする」: a new FAQ entry from an inquiry and its reply, linked back to the inquiry."""
    _require_department(staff, inquiry.department_id)
    with transaction.atomic():
        entry = create_faq_entry(
            staff=staff,
            category=category,
            question=question,
            answer=answer,
            keywords=keywords,
            procedure_slug=procedure_slug,
            source=f"inquiry {inquiry.reference}",
        )
        Inquiry.objects.filter(pk=inquiry.pk).update(faq_entry=entry)
    inquiry.faq_entry = entry
    return entry
