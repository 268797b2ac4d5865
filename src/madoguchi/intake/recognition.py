"""The one adapter between the Django room and the pure engine (`intake.engine`): layouts from the database,
the shared page reader, and the engine's results as JSON for the Page rows and back.

Only this module and `services.py` call the engine, so a change of its interface is mended here.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from django.conf import settings

from madoguchi.intake import sources
from madoguchi.procedures.forms.layout import FormLayout, Rect
from madoguchi.procedures.forms.printable import QrPayload
from madoguchi.procedures.models import Procedure, ProcedureVersion
from madoguchi.procedures.selectors import form_layout, spec_of
from madoguchi.procedures.spec import ProcedureSpec

_reader_lock = threading.Lock()
_readers: dict[str, Any] = {}


def engine():
    """The engine package, imported lazily (numpy, OpenCV and the OCR models load only when a scan is read)."""
    from madoguchi.intake import engine as ocr_engine

    return ocr_engine


def accept_threshold() -> float:
    """MADOGUCHI_OCR_ACCEPT_CONFIDENCE, or the engine's default when it is not set."""
    configured = getattr(settings, "OCR_ACCEPT_CONFIDENCE", "")
    return float(configured) if str(configured).strip() else float(engine().ACCEPT_THRESHOLD)


def page_reader():
    """One PageReader per engine name and process (its models are loaded once)."""
    name = settings.OCR_ENGINE
    with _reader_lock:
        if name not in _readers:
            _readers[name] = engine().PageReader(engine=name)
        return _readers[name]


def load_pages(data: bytes, filename: str) -> Iterator[Any]:
    return engine().load_pages(
        data,
        filename,
        max_pages=settings.INTAKE_MAX_PAGES,
        max_pixels=settings.INTAKE_MAX_MEGAPIXELS * 1_000_000,
    )


def version_of(slug: str, number: int | None) -> ProcedureVersion | None:
    """The published version a QR names (its current version when the QR has none)."""
    if number is None:
        procedure = Procedure.objects.filter(slug=slug).select_related("current_version").first()
        return procedure.current_version if procedure else None
    return (
        ProcedureVersion.objects.filter(procedure__slug=slug, number=number)
        .select_related("procedure")
        .first()
    )


def layout_for(qr: QrPayload) -> FormLayout | None:
    """The layout a page's QR code names: a procedure version's stored layout, or a form source's."""
    source = sources.source_for(qr.procedure)
    if source is not None:
        return source.layout(qr.procedure, qr.version)
    version = version_of(qr.procedure, qr.version)
    return form_layout(version) if version is not None else None


def _from_source(form, part: str):
    """The spec or layout (`part`) of a form read for a source above the intake (a benefit's 確認書)."""
    source = sources.source_for(form.source_key)
    found = getattr(source, part)(form.source_key, form.source_version) if source else None
    if found is None:
        raise LookupError(f"no form source for {form.source_key} version {form.source_version}")
    return found


def spec_of_form(form) -> ProcedureSpec:
    """The spec a PaperForm is read and verified with: its procedure version's, or its source's."""
    return _from_source(form, "spec") if form.source_key else spec_of(form.version)


def layout_of_form(form) -> FormLayout:
    return _from_source(form, "layout") if form.source_key else form_layout(form.version)


def templates() -> list[tuple[FormLayout, int]]:
    """(layout, version number) of every active procedure's current version: what template matching compares
    a page without a QR code to."""
    procedures = Procedure.objects.filter(is_active=True, current_version__isnull=False).select_related(
        "current_version"
    )
    return [(form_layout(p.current_version), p.current_version.number) for p in procedures]


def read_page(image) -> Any:
    return page_reader().read(image, layout_for, templates())


def read_page_as(image, layout: FormLayout, *, version: int, page: int) -> Any:
    """Read a page a person classified as page `page` of `layout`: registered by its corner marks and read
    with that layout, whatever template matching thinks of it."""
    ocr = engine()
    from madoguchi.intake.engine import align
    from madoguchi.intake.engine import page as page_module

    reader = page_reader()
    gray = page_module._gray(image)
    registration = align.register(gray, None)
    if registration is None:
        return ocr.PageResult("unreadable", message="the corner marks were not found: rescan the page")
    result = ocr.PageResult(
        "read",
        procedure=layout.procedure,
        version=version,
        page=page,
        aligned=registration.aligned,
        dpi=registration.dpi,
        rotated=registration.rotated,
        method=registration.method,
        layout=layout,
        message="classified by staff",
    )
    result.fields = reader.read_boxes(registration, layout, page)
    return result


def read_form(pages: Sequence[Any], spec, layout: FormLayout) -> Any:
    return engine().read_form(pages, spec, layout)


def png_bytes(image) -> bytes:
    """A PIL image or a numpy page as PNG."""
    if not hasattr(image, "save"):
        from PIL import Image

        image = Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, Rect):
        return value.to_json()
    if is_dataclass(value) and not isinstance(value, type):
        return {key: _plain(item) for key, item in asdict(value).items()}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def field_reads_json(result: Any) -> dict[str, Any]:
    """The engine's reads of one page, as stored in Page.result (box key → raw, confidence, crop …)."""
    reads = {}
    for key, read in (getattr(result, "fields", None) or {}).items():
        reads[key] = {
            "field_id": read.field_id,
            "part": read.part,
            "raw": read.raw,
            "confidence": float(read.confidence),
            "crop": _plain(read.crop),
            "engine": read.engine,
            "alternatives": _plain(read.alternatives),
            "kind": read.kind,
            "empty": bool(read.empty),
            "agreed": read.agreed,
        }
    return reads


def page_result_from_json(page_number: int, data: dict[str, Any], qr: QrPayload | None, slug: str, number):
    """A PageResult rebuilt from a stored page, for reading a form whose pages came in separately."""
    ocr = engine()
    fields = {
        key: ocr.FieldRead(
            key=key,
            field_id=item["field_id"],
            part=item.get("part"),
            raw=item.get("raw", ""),
            confidence=float(item.get("confidence", 0.0)),
            crop=Rect.from_json(item["crop"]),
            engine=item.get("engine", ""),
            alternatives=[(a[0], float(a[1])) for a in item.get("alternatives", ())],
            kind=item.get("kind", ""),
            empty=bool(item.get("empty", False)),
            agreed=item.get("agreed"),
        )
        for key, item in data.items()
    }
    return ocr.PageResult(
        status="read",
        qr=qr,
        procedure=slug,
        version=number,
        page=page_number,
        case_number=qr.case_number if qr else None,
        fields=fields,
    )
