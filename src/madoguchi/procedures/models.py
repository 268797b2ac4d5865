"""Procedure catalog. A published ProcedureVersion is immutable; a changed YAML file becomes a new version."""

from __future__ import annotations

from django.db import models

from madoguchi.accounts.models import Department


class Procedure(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="procedures")
    current_version = models.ForeignKey(
        "ProcedureVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Denormalised from the current version for catalog search and filters.
    name_ja = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    life_events = models.JSONField(default=list)
    online = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["department__code", "slug"]

    def __str__(self) -> str:
        return self.name_ja

    def name_for(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ja


class ProcedureVersion(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    spec = models.JSONField()  # the validated procedure definition, including its form schema
    source_path = models.CharField(max_length=300)
    # The printed form's layout (procedures.forms.layout.FormLayout.to_json()): where every box is on the paper,
    # the field map the paper intake reads scans with. Computed when the version is published and kept as it
    # was, so that forms printed from this version are read with the layout they were printed with.
    print_layout = models.JSONField(null=True, blank=True, editable=False)
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="procedure_version_number_unique"),
            models.UniqueConstraint(fields=["procedure", "sha256"], name="procedure_version_content_unique"),
        ]
        ordering = ["procedure_id", "-number"]

    def __str__(self) -> str:
        return f"{self.procedure.slug} v{self.number}"
