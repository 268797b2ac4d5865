"""Paper intake: batches of scanned files, their pages, the forms read from them and every field reading.

The original bytes of every file are stored before anything is read (`ScannedFile.original`), and every page
keeps its own image (`Page.image`), so nothing is lost whatever the engine makes of it. A file's SHA-256 is
unique: the same scan uploaded twice is answered "duplicate" and points to the first.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.cases.models import Case
from madoguchi.intake import sources
from madoguchi.procedures.models import Procedure, ProcedureVersion


class Source(models.TextChoices):
    UPLOAD = "upload", _("画面からアップロード")
    CLI = "cli", _("コマンド")
    FOLDER = "folder", _("監視フォルダ")


class Batch(models.Model):
    """Files scanned and sent together (one upload, one `intake scan`, one watched-folder sweep)."""

    name = models.CharField(max_length=100)
    source = models.CharField(max_length=10, choices=Source.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class FileStatus(models.TextChoices):
    RECEIVED = "received", _("受付済み（未処理）")
    PROCESSED = "processed", _("処理済み")
    FAILED = "failed", _("処理できず")


class ScannedFile(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="files")
    sha256 = models.CharField(max_length=64, unique=True)  # the same bytes twice: "duplicate"
    original_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    original = models.FileField(upload_to="intake/originals/%Y/%m/")  # the bytes as received, kept
    status = models.CharField(max_length=10, choices=FileStatus.choices, default=FileStatus.RECEIVED)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.original_name


class PageStatus(models.TextChoices):
    """Where a page stands; every status but READ and CLASSIFIED says why it was not read."""

    READ = "read", _("読み取り済み")
    CLASSIFIED = "classified", _("職員が様式を指定して読み取り済み")
    UNCLASSIFIED = "unknown_form", _("様式を判別できません（分類待ち）")
    BLANK = "blank", _("白紙のページです")
    UNREADABLE = "unreadable", _("読み取れないページです")
    ENCRYPTED = "encrypted", _("パスワードで保護されたPDFです")
    TOO_LARGE = "too_large", _("画素数またはページ数が上限を超えています")
    FAILED = "failed", _("処理中にエラーが起きました")


# What a staff member should do about each status that is not a read (shown beside the status).
PAGE_ADVICE = {
    PageStatus.UNCLASSIFIED: _("分類の一覧で様式とページを選んでください。"),
    PageStatus.BLANK: _("対応は不要です。裏面などの白紙は保存だけされます。"),
    PageStatus.UNREADABLE: _("紙をもう一度スキャンしてください（300 dpi、まっすぐ）。"),
    PageStatus.ENCRYPTED: _("パスワードを外したPDFをもう一度取り込んでください。"),
    PageStatus.TOO_LARGE: _("解像度を300 dpi以下に、またはPDFを分けてもう一度取り込んでください。"),
    PageStatus.FAILED: _(
        "もう一度取り込むか、システム担当へ連絡してください。元のファイルは保存されています。"
    ),
}


class PaperForm(models.Model):
    """One filled form: the pages of the same procedure version (and 受付番号 when printed at the counter), or
    of a form source's printed matter (`source_key`, e.g. a benefit's 確認書; `intake.sources`)."""

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", _("ページ不足")
        VERIFYING = "verifying", _("確認待ち")
        DONE = "done", _("受付済み")
        INVALID = "invalid", _("取り込めません（理由を確認してください）")

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="forms")
    # A procedure's form: its procedure and version. A form source's: both empty, `source_key` and
    # `source_version` as its QR code named them.
    procedure = models.ForeignKey(
        Procedure, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.ForeignKey(
        ProcedureVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_key = models.CharField(max_length=100, blank=True)
    source_version = models.PositiveIntegerField(null=True, blank=True)
    case_number = models.CharField(
        max_length=40, blank=True
    )  # the 受付番号 (or a source's reference) of the QR
    filed_as = models.CharField(max_length=40, blank=True)  # a source's 受付番号 of what the form became
    page_count = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.INCOMPLETE)
    problem = models.TextField(blank=True)  # why the form could not become a case (validation), in Japanese
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "id"], name="intake_form_queue_idx")]

    def __str__(self) -> str:
        return f"form {self.pk} ({self.source_key or self.procedure_id})"

    @property
    def form_name(self) -> str:
        """The procedure slug, or the source key, as the QR code named it (`procedure` in the JSON contract)."""
        return self.source_key or (self.procedure.slug if self.procedure_id else "")

    @property
    def form_version(self) -> int | None:
        return self.source_version if self.source_key else (self.version.number if self.version_id else None)

    def title(self, lang: str) -> str:
        if self.source_key:
            source = sources.source_for(self.source_key)
            return source.title(self.source_key, lang) if source else self.source_key
        return self.procedure.name_for(lang) if self.procedure_id else ""

    @property
    def title_ja(self) -> str:
        return self.title("ja")

    @property
    def title_en(self) -> str:
        return self.title("en")

    @property
    def reference(self) -> str:
        """The 受付番号 of what the form became (a case, or what its source filed it as), or ""."""
        return self.case.reference if self.case_id else self.filed_as


class Page(models.Model):
    scanned_file = models.ForeignKey(ScannedFile, on_delete=models.PROTECT, related_name="pages")
    index = models.PositiveIntegerField()  # 1-based, in the file
    image = models.FileField(upload_to="intake/pages/%Y/%m/", blank=True)  # PNG of the page as scanned
    aligned = models.FileField(upload_to="intake/aligned/%Y/%m/", blank=True)  # registered to its layout
    status = models.CharField(max_length=15, choices=PageStatus.choices)
    message = models.CharField(max_length=300, blank=True)  # the engine's own words, for operators
    qr = models.CharField(max_length=200, blank=True)
    procedure = models.ForeignKey(
        Procedure, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.ForeignKey(
        ProcedureVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    page_number = models.PositiveSmallIntegerField(null=True, blank=True)  # the page of the form
    case_number = models.CharField(max_length=40, blank=True)
    candidates = models.JSONField(
        default=list, blank=True
    )  # template matching: [[slug, version, page, score]]
    result = models.JSONField(default=dict, blank=True)  # the engine's reads per box (raw, confidence, crop)
    form = models.ForeignKey(PaperForm, null=True, blank=True, on_delete=models.PROTECT, related_name="pages")
    classified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scanned_file_id", "index"]
        constraints = [models.UniqueConstraint(fields=["scanned_file", "index"], name="intake_page_unique")]
        indexes = [models.Index(fields=["status", "id"], name="intake_page_status_idx")]

    def __str__(self) -> str:
        return f"{self.scanned_file_id} p.{self.index}"


class ReadingStatus(models.TextChoices):
    AUTO = "auto", _("自動で確定")
    PENDING = "pending", _("確認待ち")
    CONFIRMED = "confirmed", _("職員が確認")
    CORRECTED = "corrected", _("職員が修正")


class FieldReading(models.Model):
    """The reading of one field of a form: the engine's proposal, its confidence, and who decided."""

    form = models.ForeignKey(PaperForm, on_delete=models.CASCADE, related_name="readings")
    field_id = models.CharField(max_length=80)  # a procedure field id, or basics.name etc.
    position = models.PositiveSmallIntegerField(default=0)  # the order of the form
    page = models.ForeignKey(Page, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    crop = models.JSONField(default=list, blank=True)  # [x, y, width, height] in layout points, on `page`
    raw = models.TextField(blank=True)  # what the engine read, before normalising
    proposed = models.JSONField(null=True, blank=True)  # the engine's normalised value
    engine_confidence = models.FloatField(default=0.0)
    confidence = models.FloatField(default=0.0)  # after the cross-checks; never above engine_confidence
    checks = models.JSONField(default=list, blank=True)  # [{"check", "ok", "ja", "en"}]
    error = models.CharField(max_length=300, blank=True)  # the field's own validation, Japanese
    error_en = models.CharField(max_length=300, blank=True)  # the same in English
    value = models.JSONField(null=True, blank=True)  # what the case stores
    status = models.CharField(max_length=10, choices=ReadingStatus.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["form_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["form", "field_id"], name="intake_reading_unique")]

    def __str__(self) -> str:
        return f"{self.form_id}:{self.field_id}"

    @property
    def accepted(self) -> bool:
        """Whether it went in without a person."""
        return self.status == ReadingStatus.AUTO
