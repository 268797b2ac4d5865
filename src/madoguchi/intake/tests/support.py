"""A form as the engine would have left it (its readings in the database), without running the engine."""

from __future__ import annotations

from madoguchi.intake import services
from madoguchi.intake.models import FieldReading, PaperForm, ReadingStatus
from madoguchi.procedures.models import Procedure

from .scans import filled_values


def form_with_readings(
    slug: str = "inkan-certificate", *, pending: dict | None = None
) -> tuple[PaperForm, dict]:
    """A form of `slug` whose fields were all read right and accepted, except `pending` (field → proposed)."""
    procedure = Procedure.objects.select_related("current_version").get(slug=slug)
    values = filled_values(slug)
    batch = services.start_batch(name="test", source="cli")
    form = PaperForm.objects.create(
        batch=batch,
        procedure=procedure,
        version=procedure.current_version,
        page_count=2,
        status=PaperForm.Status.VERIFYING,
    )
    pending = pending or {}
    for position, (field_id, value) in enumerate(values.items()):
        unsure = field_id in pending
        FieldReading.objects.create(
            form=form,
            field_id=field_id,
            position=position,
            proposed=pending.get(field_id, value),
            value=pending.get(field_id, value),
            engine_confidence=0.5 if unsure else 0.99,
            confidence=0.5 if unsure else 0.99,
            status=ReadingStatus.PENDING if unsure else ReadingStatus.AUTO,
        )
    return form, values
