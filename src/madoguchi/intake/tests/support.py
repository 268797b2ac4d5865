"""A form as the engine would have left it (its readings in the database), without running the engine."""

from __future__ import annotations

import secrets

from django.core.files.base import ContentFile
from PIL import Image

from madoguchi.intake import services
from madoguchi.intake.models import FieldReading, Page, PageStatus, PaperForm, ReadingStatus, ScannedFile
from madoguchi.procedures.models import Procedure

from .scans import filled_values, png_bytes

A4_150_DPI = (1240, 1754)


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


def scanned_page(batch, *, index: int = 1, form: PaperForm | None = None, status=PageStatus.READ) -> Page:
    """A stored scan with one page image (blank paper), of `form` when given."""
    data = secrets.token_bytes(16)
    scanned = ScannedFile.objects.create(
        batch=batch,
        sha256=secrets.token_hex(32),
        original_name="scan.pdf",
        size=len(data),
        original=ContentFile(data, name="scan.pdf"),
    )
    image = png_bytes(Image.new("L", A4_150_DPI, 255))
    return Page.objects.create(
        scanned_file=scanned,
        index=index,
        image=ContentFile(image, name="page.png"),
        status=status,
        form=form,
        page_number=index if form is not None else None,
    )


def attach_scans(form: PaperForm) -> list[Page]:
    """Give a form the page images the engine keeps and each reading the crop of its box (as `read_form`
    leaves them): `form.page_count` pages, the readings spread over them, one box under another."""
    pages = [scanned_page(form.batch, index=n, form=form) for n in range(1, form.page_count + 1)]
    for reading in form.readings.order_by("position", "id"):
        reading.page = pages[reading.position % len(pages)]
        reading.crop = [40.0, 50.0 + 25.0 * (reading.position % 30), 200.0, 18.0]
        reading.save(update_fields=["page", "crop"])
    return pages
