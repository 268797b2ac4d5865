"""What was handed off: one `HandoffExport` per file made, and the cases it held (append-only).

The file itself is not kept (it is personal data at rest); its SHA-256 and size are, so a file found later
can be matched to its export, and the cases can be exported again (a re-export, recorded and audited the
same way).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from madoguchi.accounts.models import Department
from madoguchi.cases.models import Case
from madoguchi.core.models import AppendOnlyModel


class HandoffExport(AppendOnlyModel):
    """One hand-off file: which format, who, when, which cases, and the file's hash."""

    format = models.CharField(max_length=40)  # the registry name, e.g. juki-ido
    created_at = models.DateTimeField(default=timezone.now)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)  # the staff member's email, or cli:<user>
    channel = models.CharField(max_length=20)  # screen or cli
    # Whose cases: the staff member's department; None for the command run for every department.
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    since = models.DateField()  # accepted on or after
    until = models.DateField()  # accepted on or before
    procedures = models.JSONField(default=list)  # slugs asked for; [] every procedure the format takes
    reexport_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reexports"
    )
    encoding = models.CharField(max_length=20)  # utf-8, utf-8-sig (with BOM) or cp932
    line_ending = models.CharField(max_length=4)  # crlf or lf
    headers = models.JSONField(default=list)  # the header row as written
    case_count = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    # Cases of this file that an earlier export of the same format already held.
    previously_exported = models.PositiveIntegerField(default=0)
    person_ids = models.JSONField(default=list)  # registry persons whose data the file holds (audited)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)  # bytes
    file_name = models.CharField(max_length=200)
    purpose = models.CharField(max_length=200)
    cases = models.ManyToManyField(Case, through="HandoffExportCase", related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["department", "-created_at"], name="handoff_export_dept_idx"),
            models.Index(fields=["sha256"], name="handoff_export_sha_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.format} #{self.pk} ({self.since}–{self.until}, {self.case_count} cases)"


class HandoffExportCase(AppendOnlyModel):
    """A case held by an export, in the file's order: "was this case handed off, and when" is one query."""

    export = models.ForeignKey(HandoffExport, on_delete=models.PROTECT, related_name="items")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["export", "case"], name="handoff_export_case_unique"),
        ]
        indexes = [models.Index(fields=["case", "export"], name="handoff_case_export_idx")]
        ordering = ["export", "position"]

    def __str__(self) -> str:
        return f"{self.export_id}: {self.case_id}"
