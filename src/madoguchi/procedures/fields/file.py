"""`file`: an upload (PDF, JPEG, PNG by their first bytes), with `accept`, `max_bytes`, `multiple`, `max_files`.

`clean` takes an `UploadedFileInfo` (a new upload) or the metadata the server kept from an earlier step, and
returns `{"name", "size", "content_type"}` (a list with `multiple`); the cases app stores the file itself.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from madoguchi.jp.errors import is_english

from .base import CleanContext, FieldType, OcrHints, PrintLayout, as_list
from .messages import Message, invalid
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field, ProcedureSpec

# Upload types recognised by their magic bytes.
FILE_TYPES = ("application/pdf", "image/jpeg", "image/png")
FILE_TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


@dataclass(frozen=True)
class UploadedFileInfo:
    """What `validate` needs to know about an upload. `content_type` is the browser's claim, not trusted."""

    name: str
    size: int
    content_type: str = ""
    head: bytes = b""  # the first bytes of the file (at least 8)


def detect_file_type(head: bytes) -> str | None:
    """The MIME type from the magic bytes at the start of a file, or None when it is none we accept."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    return None


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        value = size / (1024 * 1024)
        return f"{value:.1f}".rstrip("0").rstrip(".") + " MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} B"


def types_text(types: Iterable[str], lang: str) -> str:
    names = [FILE_TYPE_NAMES.get(t, t) for t in types]
    return ", ".join(names) if is_english(lang) else "・".join(names)


def safe_file_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:200] or "file"


def current_files(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list | tuple) else [value]
    return [
        {"name": str(item["name"]), "size": size_text(int(item["size"]))}
        for item in items
        if isinstance(item, Mapping) and "name" in item and "size" in item
    ]


@registry.register
class FileType(FieldType):
    name = "file"
    keys = ("accept", "max_bytes", "multiple", "max_files")
    is_upload = True
    template = "file"

    def complete(self, kwargs: dict[str, Any]) -> None:
        kwargs.setdefault("accept", FILE_TYPES)
        kwargs.setdefault("max_bytes", DEFAULT_MAX_BYTES)

    def is_list(self, f: Field) -> bool:
        return f.multiple

    def required_texts(self, f: Field, context: CleanContext | None = None) -> tuple[str, str]:
        return "必須項目です。ファイルを添付してください。", "This field is required. Please attach a file."

    def clean(self, f: Field, raw: Any, context: CleanContext) -> Any:
        items = as_list(raw)
        limit = f.max_files if f.multiple else 1
        if limit is not None and len(items) > limit:
            raise invalid(
                "too_many_files",
                f"添付できるファイルは{limit}個までです。{limit}個以内にしてください。",
                f"You can attach at most {limit} file{'s' if limit != 1 else ''}. Please remove some.",
            )
        max_bytes = f.max_bytes or 0
        types_ja, types_en = types_text(f.accept, "ja"), types_text(f.accept, "en")
        cleaned = []
        for item in items:
            if isinstance(item, UploadedFileInfo):
                detected = detect_file_type(item.head)
                name, size = item.name, item.size
            elif isinstance(item, Mapping) and {"name", "size", "content_type"} <= set(item):
                # Metadata the server kept from an earlier step (never from the POST body).
                detected, name, size = str(item["content_type"]), str(item["name"]), int(item["size"])
            else:
                raise invalid("invalid", "ファイルを添付し直してください。", "Please attach the file again.")
            if detected is None or detected not in f.accept:
                raise invalid(
                    "file_type",
                    f"「{name}」は添付できない形式です。{types_ja}のファイルを添付してください。",
                    f'"{name}" is not a file type we accept. Please attach a {types_en} file.',
                )
            if size <= 0:
                raise invalid(
                    "file_empty",
                    f"「{name}」は空のファイルです。",
                    f'"{name}" is empty. Please attach the right file.',
                )
            if size > max_bytes:
                raise invalid(
                    "file_too_large",
                    f"「{name}」は大きすぎます（{size_text(size)}）。{size_text(max_bytes)}以下の{types_ja}ファイルを添付してください。",
                    f'"{name}" is too large ({size_text(size)}). Please attach a {types_en} file of at most {size_text(max_bytes)}.',
                )
            cleaned.append({"name": safe_file_name(name), "size": size, "content_type": detected})
        return cleaned if f.multiple else cleaned[0]

    def format_non_empty(self, f: Field, value: Any, lang: str, separator: str) -> str:
        items = value if isinstance(value, list) else [value]
        return separator.join(f"{item['name']} ({size_text(int(item['size']))})" for item in items)

    def widget_context(
        self,
        f: Field,
        value: Any,
        ctx: dict[str, Any],
        *,
        errors: Sequence[Message],
        lang: str,
        spec: ProcedureSpec | None,
        household: Sequence[Mapping[str, Any]] | None,
        autofill_url: str,
        prefix: str,
        described: list[str],
    ) -> None:
        en = is_english(lang)
        ctx["accept"] = ",".join(f.accept)
        size = size_text(f.max_bytes or 0)
        types = types_text(f.accept, lang)
        count = f"up to {f.max_files} files, " if en and f.multiple and f.max_files else ""
        count_ja = f"{f.max_files}個まで、" if not en and f.multiple and f.max_files else ""
        ctx["constraints_text"] = (
            f"{types}; {count}at most {size} each" if en else f"{types}（{count_ja}1ファイル{size}まで）"
        )
        ctx["constraints_id"] = f"{ctx['input_id']}-constraints"
        ctx["describedby"] = " ".join([ctx["constraints_id"], *described])
        ctx["current_files"] = current_files(value)
        ctx["current_text"] = "Attached:" if en else "添付済み："

    # -- the API takes no files (cases.api refuses a value for this field): only null

    def json_types(self, f: Field) -> tuple[type, ...]:
        return (type(None),)

    def json_schema_extra(self, f: Field) -> dict[str, Any]:
        return {"description": "Files cannot be sent through the API; apply on the portal to attach one."}

    # -- paper: nothing to write; the printed form lists the document under what to bring

    def print_layout(self, f: Field) -> PrintLayout:
        return PrintLayout.not_printed()

    def ocr_hints(self, f: Field) -> OcrHints:
        return OcrHints("any", max_length=0)
