"""FAQ knowledge base (versioned per language), the chat question log, and inquiries to departments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.models import Department
from madoguchi.core.models import AppendOnlyModel


class Language(models.TextChoices):
    JA = "ja", _("日本語")
    EN = "en", _("英語")
    JA_EASY = "ja-easy", _("やさしい日本語")


class FaqEntry(models.Model):  # よくある質問（1件）: its texts are FaqVersion rows, one history per language
    faq_id = models.CharField(max_length=64, unique=True)  # FAQ-001, stable across files and languages
    category = models.CharField(max_length=100)  # Japanese category name (faq/data/categories.yaml)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="faq_entries")
    procedure_slug = models.SlugField(max_length=80, blank=True)  # portal procedure page, when one matches
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["faq_id"]
        indexes = [models.Index(fields=["department", "faq_id"], name="faq_entry_department_idx")]

    def __str__(self) -> str:
        return self.faq_id


class FaqVersion(AppendOnlyModel):
    """One text of an entry in one language; the newest row per (entry, lang) is the current one."""

    entry = models.ForeignKey(FaqEntry, on_delete=models.PROTECT, related_name="versions")
    lang = models.CharField(max_length=8, choices=Language.choices)
    question = models.TextField()
    answer = models.TextField()
    keywords = models.JSONField(default=list, blank=True)
    category_label = models.CharField(
        max_length=100, blank=True
    )  # the category as the CSV of this language names it
    procedure_name = models.CharField(
        max_length=200, blank=True
    )  # the procedure as the CSV of this language names it
    source = models.CharField(max_length=200, blank=True)  # "CSV midori_faq_ja.csv", "office", "inquiry Q-…"
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry_id", "lang", "-id"]
        indexes = [models.Index(fields=["entry", "lang", "-id"], name="faq_version_current_idx")]

    def __str__(self) -> str:
        return f"{self.entry_id}/{self.lang}#{self.pk}"


class FaqRevision(models.Model):
    """One row whose token changes with every write to the knowledge base: tells each process to rebuild its index."""

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.token


class Intent(models.TextChoices):
    FAQ = "faq", _("FAQ検索")
    STATUS = "status", _("申請の状況")
    HUMAN = "human", _("職員への問い合わせ希望")


class ReviewOutcome(models.TextChoices):
    PHRASING = "phrasing", _("言い換えとして追加")
    ENTRY = "entry", _("新しいFAQを作成")
    DISMISSED = "dismissed", _("対応不要")


class ChatQuestion(models.Model):
    """A question asked in the chat, for analytics. Only the masked, normalised text is ever stored."""

    question = models.TextField()  # faq.engine.normalise_question: My Number masked, no HTML, ≤ 1,000 chars
    lang = models.CharField(max_length=8, choices=Language.choices)  # language answered in
    intent = models.CharField(max_length=10, choices=Intent.choices, default=Intent.FAQ)
    abstained = models.BooleanField(default=False)
    reason = models.CharField(max_length=40, blank=True)
    top_id = models.CharField(max_length=64, blank=True, db_index=True)  # best entry shown, "" when abstained
    top_ids = models.JSONField(default=list, blank=True)
    top_score = models.FloatField(null=True, blank=True)
    helpful = models.BooleanField(null=True, blank=True)  # "was this helpful?": yes / no / not answered
    unsure = models.BooleanField(
        default=False
    )  # answered, but the best entry was barely ahead (services.UNSURE_*)
    # Staff's review of a question that went badly (abstained, unsure or unhelpful): what they did about it.
    review = models.CharField(max_length=12, choices=ReviewOutcome.choices, blank=True)
    review_entry = models.CharField(
        max_length=64, blank=True
    )  # the entry that got the phrasing / was created
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, default="page")  # page, widget, api
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["review", "created_at"], name="faq_question_review_idx")]

    def __str__(self) -> str:
        return self.question[:40]


class InquiryStatus(models.TextChoices):
    OPEN = "open", _("未回答")
    ANSWERED = "answered", _("回答済み")
    CLOSED = "closed", _("完了")


class Inquiry(models.Model):  # 問い合わせ: a question for a department, from the chat or the inquiry form
    reference = models.CharField(max_length=20, unique=True)  # Q-XXXX-XXXX, shown to the resident
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="faq_inquiries",
    )
    email = models.EmailField(blank=True)  # where the reply goes when the resident is not signed in
    lang = models.CharField(max_length=8, default="ja")  # language of the reply notice
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="faq_inquiries")
    category = models.CharField(max_length=100, blank=True)
    question = models.TextField()  # My Number masked before it is stored
    chat_question = models.ForeignKey(
        ChatQuestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="inquiries"
    )
    status = models.CharField(max_length=10, choices=InquiryStatus.choices, default=InquiryStatus.OPEN)
    faq_entry = models.ForeignKey(  # the FAQ entry a reply was turned into ("FAQにする")
        FaqEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="inquiries"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status", "created_at"], name="faq_inquiry_queue_idx"),
            models.Index(fields=["resident", "-created_at"], name="faq_inquiry_resident_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class MessageDirection(models.TextChoices):
    FROM_RESIDENT = "from_resident", _("住民から")
    TO_RESIDENT = "to_resident", _("職員から")


class InquiryMessage(AppendOnlyModel):
    """One message of an inquiry's thread; never edited or deleted."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=20, choices=MessageDirection.choices)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()  # My Number masked
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.inquiry_id}: {self.body[:30]}"
