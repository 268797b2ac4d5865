"""One case table for every channel, with an append-only history (Signalen-style)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.models import Department
from madoguchi.core.models import AppendOnlyModel
from madoguchi.procedures.models import Procedure, ProcedureVersion
from madoguchi.residents.models import Person


class Channel(models.TextChoices):
    ONLINE = "online", _("オンライン")
    COUNTER = "counter", _("窓口")
    PAPER = "paper", _("紙")
    NATIONAL_PORTAL = "national_portal", _("マイナポータル")
    API = "api", _("API連携")


class Status(models.TextChoices):
    DRAFT = "draft", _("下書き")
    SUBMITTED = "submitted", _("受付")
    IN_REVIEW = "in_review", _("審査中")
    WAITING_FOR_APPLICANT = "waiting_for_applicant", _("追加情報の依頼中")
    READY_FOR_DECISION = "ready_for_decision", _("決裁待ち")
    APPROVED = "approved", _("承認")
    REJECTED = "rejected", _("却下")
    COMPLETED = "completed", _("完了")
    WITHDRAWN = "withdrawn", _("取下げ")


class Case(models.Model):
    reference = models.CharField(max_length=20, unique=True)  # 受付番号, shown to the resident
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.ONLINE)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="cases")
    procedure_version = models.ForeignKey(ProcedureVersion, on_delete=models.PROTECT, related_name="cases")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="cases")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    applicant_name = models.CharField(max_length=100, blank=True)  # for the queue, from the validated data
    data = models.JSONField(default=dict)  # validated, normalised values keyed by field id (set on submit)
    draft_data = models.JSONField(default=dict, blank=True)  # what the applicant typed, while a draft
    current_step = models.CharField(max_length=60, blank=True)  # where a draft was left
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.DRAFT)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    # Who sent the case for decision (審査者) and who approved or rejected it (決裁者); history has every step.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["department", "status", "due_date", "id"], name="case_queue_idx"),
            models.Index(fields=["applicant", "-created_at"], name="case_applicant_idx"),
        ]
        constraints = [
            # One open draft per resident and procedure: "apply" resumes it (cases.services.open_draft), and
            # two parallel clicks cannot make two (a partial unique index, on PostgreSQL and SQLite alike).
            models.UniqueConstraint(
                fields=["applicant", "procedure"],
                condition=models.Q(status="draft"),
                name="case_one_draft_per_procedure",
            )
        ]

    def __str__(self) -> str:
        return self.reference


class CaseCount(models.Model):
    """Number of cases per department and status, kept in step by every status change (queue filter bar)."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=30, choices=Status.choices)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["department", "status"], name="case_count_unique")]

    def __str__(self) -> str:
        return f"{self.department_id}/{self.status}: {self.n}"


class CaseHistory(AppendOnlyModel):
    """A status change or other event on a case: a new row every time, never an update."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    note = models.TextField(blank=True)
    visible_to_applicant = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status} → {self.to_status}"


class Direction(models.TextChoices):
    TO_APPLICANT = "to_applicant", _("職員から")
    FROM_APPLICANT = "from_applicant", _("申請者から")


class CaseMessage(AppendOnlyModel):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=20, choices=Direction.choices)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.direction}"


class CaseNote(AppendOnlyModel):
    """Internal note of staff; never shown to the applicant."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note on {self.case_id}"


class RenderStatus(models.TextChoices):
    """Where the re-rendered copy of an upload (cases.rendering) stands."""

    PENDING = "pending", _("確認中（安全なコピーを作成中）")
    READY = "ready", _("変換済み")
    FAILED = "failed", _("変換できず")


class RenderFailure(models.TextChoices):
    """Why an upload could not be re-rendered: the codes of cases.rendering.RenderingError."""

    BROKEN = "broken", _("ファイルが壊れているか、読み取れない形式です。")
    ENCRYPTED = "encrypted", _("パスワードで保護されたPDFです。")
    TOO_MANY_PIXELS = "too_many_pixels", _("画像の画素数が上限を超えています。")
    TOO_MANY_PAGES = "too_many_pages", _("PDFのページ数が上限を超えています。")
    NO_PAGES = "no_pages", _("PDFにページがありません。")
    TOO_COMPLEX = "too_complex", _("描画の処理が多すぎるため、安全に変換できません。")
    MISSING = "missing", _("保管されているはずの元のファイルが見つかりません。")


class CaseAttachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    field_id = models.CharField(max_length=60, blank=True)  # the form field, or blank for a later document
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    file = models.FileField(upload_to="cases/%Y/%m/")  # the upload as sent: evidence, never served to staff
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    # The re-rendered copy: the only file staff can download.
    safe_file = models.FileField(upload_to="cases/safe/%Y/%m/", blank=True)
    safe_content_type = models.CharField(max_length=100, blank=True)
    safe_size = models.PositiveIntegerField(null=True, blank=True)
    page_count = models.PositiveSmallIntegerField(null=True, blank=True)
    render_status = models.CharField(
        max_length=10, choices=RenderStatus.choices, default=RenderStatus.PENDING
    )
    render_failure = models.CharField(max_length=30, choices=RenderFailure.choices, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    # The rendering process that has taken it on (None: nobody yet), and how many have tried.
    render_started_at = models.DateTimeField(null=True, blank=True)
    render_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(render_status=RenderStatus.READY) | ~models.Q(safe_file=""),
                name="case_attachment_ready_has_safe_file",
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class IdempotentRequest(models.Model):
    """An API call made with an `Idempotency-Key` header: a retry within 24 hours gets the same answer.

    Claimed (no `status_code` yet) before the work starts, in its own committed row, so that a parallel
    retry sees it; filled in by the same transaction that does the work (`cases.services.create_idempotently`),
    so a claim without an answer means that nothing was written. Rows older than the retention are reclaimed
    on use and purged (`cases.tasks.purge_idempotency_keys`).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=40)  # which call the key belongs to, e.g. "cases.create"
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)  # SHA-256 of the canonical JSON of the request body
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # None: the first call is running
    response = models.TextField(blank=True)  # the JSON answer as sent (text: jsonb would reorder its keys)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "endpoint", "key"], name="idempotent_request_unique")
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key} ({self.user_id})"
