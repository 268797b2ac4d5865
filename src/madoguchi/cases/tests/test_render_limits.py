"""The drawing a PDF may ask for, and the limited process uploads are rendered in (probe finding 1).

Pure: `cases.rendering.measure_pdf` and `cases.sandbox.render_isolated`; no database.
"""

from __future__ import annotations

import os
import threading
import time
import zlib

import pytest

from madoguchi.cases import rendering, sandbox
from madoguchi.cases.tests import sample_files

HOSTILE_20_PAGES = sample_files.rectangles_pdf(pages=20, rectangles=300)
HOSTILE_ONE_PAGE = sample_files.rectangles_pdf(pages=1, rectangles=2000)
UNLIMITED_DRAWING = rendering.Limits(max_overdraw=1e9, max_page_operations=10**9)


def _annotation_pdf(rectangles: int) -> bytes:
    """A page with no content of its own and a stamp annotation whose appearance fills it `rectangles` times."""
    drawing = b"0.2 0.4 0.6 rg -100 -100 900 1100 re f\n" * rectangles
    return sample_files.build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Annots [5 0 R] >>",
            sample_files._stream(b""),
            b"<< /Type /Annot /Subtype /Stamp /Rect [0 0 595 842] /F 4 /AP << /N 6 0 R >> >>",
            sample_files._stream(
                zlib.compress(drawing),
                b"/Filter /FlateDecode /Type /XObject /Subtype /Form /BBox [0 0 595 842] ",
            ),
        ]
    )


def _table_pdf(rows: int = 60, columns: int = 8) -> bytes:
    """An ordinary dense form: a white page background, shaded header cells, ruled lines and a text per cell."""
    parts = [b"1 g 0 0 595 842 re f 0.9 g 40 780 515 20 re f 0 G 0.5 w"]
    for row in range(rows + 1):
        y = 780 - row * 12
        parts.append(b"40 %d m 555 %d l S" % (y, y))
    for column in range(columns + 1):
        x = 40 + column * 64
        parts.append(b"%d 60 m %d 800 l S" % (x, x))
    for row in range(rows):
        for column in range(columns):
            parts.append(
                b"BT /F1 7 Tf %d %d Td (cell %d-%d) Tj ET" % (44 + column * 64, 770 - row * 12, row, column)
            )
    return sample_files.build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
            b"/Contents 5 0 R >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            sample_files._stream(b"\n".join(parts)),
        ]
    )


# ---- measuring before drawing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        HOSTILE_20_PAGES,
        HOSTILE_ONE_PAGE,
        sample_files.rectangles_pdf(pages=1, rectangles=2000, nested=True),
        _annotation_pdf(2000),
    ],
    ids=["20-pages-x-300", "1-page-x-2000", "in-a-form-xobject", "in-an-annotation"],
)
def test_hostile_drawing_is_refused_before_anything_is_drawn_and_fast(data):
    started = time.perf_counter()
    with pytest.raises(rendering.RenderingError) as refused:
        rendering.measure_pdf(data)
    assert time.perf_counter() - started < 1.0
    assert refused.value.code == "too_complex"
    assert "撮影した画像" in refused.value.ja and "photo" in refused.value.en


def test_the_probes_files_are_as_small_as_reported():
    assert len(HOSTILE_20_PAGES) < 3_000 and len(HOSTILE_ONE_PAGE) < 1_000  # 2.7 KB and 714 bytes


def test_ordinary_documents_pass_with_room_to_spare():
    [table] = rendering.measure_pdf(_table_pdf())
    assert table.operations < 2_000 and table.overdraw < 3
    [text] = rendering.measure_pdf(sample_files.text_pdf())
    assert text.overdraw < 1
    assert len(rendering.measure_pdf(sample_files.text_pdf(pages=20))) == 20
    rendered = rendering.render_safe_copy(_table_pdf(), rendering.PDF)
    assert rendered.page_count == 1


def test_each_limit_is_a_setting_of_its_own():
    page = sample_files.rectangles_pdf(pages=1, rectangles=40)
    [cost] = rendering.measure_pdf(page)
    assert 35 < cost.overdraw < 45 and cost.operations == 40 * 6  # 40 objects of 5 segments each
    with pytest.raises(rendering.RenderingError, match="too_complex"):
        rendering.measure_pdf(page, rendering.Limits(max_overdraw=30))
    with pytest.raises(rendering.RenderingError, match="too_complex"):
        rendering.measure_pdf(page, rendering.Limits(max_page_operations=200))
    with pytest.raises(rendering.RenderingError, match="too_complex"):  # 2 A4 pages at 200 dpi: 7.7 MP
        rendering.measure_pdf(sample_files.text_pdf(pages=2), rendering.Limits(max_total_pixels=5_000_000))
    with pytest.raises(rendering.RenderingError, match="too_many_pages"):
        rendering.measure_pdf(sample_files.text_pdf(pages=3), rendering.Limits(max_pages=2))
    with pytest.raises(rendering.RenderingError) as pages:
        rendering.check_renderable(sample_files.text_pdf(pages=3), rendering.PDF, max_pages=2)
    assert "上限 2 ページ" in pages.value.ja


def test_form_xobjects_nested_too_deep_are_refused():
    depth = rendering.MAX_FORM_DEPTH + 2
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /X 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        sample_files._stream(b"/X Do"),
    ]
    for level in range(depth):
        number = 5 + level
        inner = b"/Resources << /XObject << /X %d 0 R >> >> " % (number + 1) if level < depth - 1 else b""
        content = b"/X Do" if level < depth - 1 else b"0 0 10 10 re f"
        objects.append(
            sample_files._stream(content, b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] " + inner)
        )
    with pytest.raises(rendering.RenderingError, match="too_complex"):
        rendering.measure_pdf(sample_files.build_pdf(objects))


# ---- the limited process -------------------------------------------------------------------------------------


def test_the_sandbox_returns_the_same_safe_copy_as_rendering_in_process():
    data = sample_files.text_pdf(pages=2)
    ended: list[sandbox.Outcome] = []

    isolated = sandbox.render_isolated(data, rendering.PDF, outcome=ended)

    assert isolated.page_count == 2 and isolated.content_type == rendering.PDF
    assert isolated.data.startswith(b"%PDF-1.4")
    assert [e.returncode for e in ended] == [0]
    photo = sandbox.render_isolated(sample_files.photo_with_gps(), rendering.JPEG)
    assert photo.content_type == rendering.JPEG and b"Exif" not in photo.data


def test_a_refusal_in_the_sandbox_keeps_its_code_and_messages():
    with pytest.raises(rendering.RenderingError) as refused:
        sandbox.render_isolated(HOSTILE_20_PAGES, rendering.PDF)
    assert refused.value.code == "too_complex"
    with pytest.raises(rendering.RenderingError) as broken:
        sandbox.render_isolated(sample_files.truncated_jpeg(), rendering.JPEG)
    assert broken.value.code == "broken" and "撮り直して" in broken.value.ja


def test_the_cpu_limit_stops_a_rendering_and_refuses_the_file():
    ended: list[sandbox.Outcome] = []
    with pytest.raises(rendering.RenderingError) as refused:
        sandbox.render_isolated(
            HOSTILE_ONE_PAGE,
            rendering.PDF,
            limits=UNLIMITED_DRAWING,  # past the measuring: only the process's limits are left
            sandbox=sandbox.SandboxLimits(cpu_seconds=1, wall_seconds=30),
            outcome=ended,
        )
    assert refused.value.code == "too_complex"
    [end] = ended
    assert end.returncode < 0 and end.seconds < 10  # killed by SIGXCPU after about a second of CPU


def test_the_memory_limit_refuses_a_file_that_needs_more():
    """An A0 page is drawn at 4,096 pixels on its longer side: about 200 MB with its copies."""
    a0 = sample_files.build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 2384 3370] /Contents 4 0 R >>",
            sample_files._stream(b"0 0 1 rg 0 0 2384 3370 re f"),
        ]
    )
    ended: list[sandbox.Outcome] = []
    with pytest.raises(rendering.RenderingError, match="too_complex"):
        sandbox.render_isolated(
            a0, rendering.PDF, sandbox=sandbox.SandboxLimits(memory_bytes=120 * 1024 * 1024), outcome=ended
        )
    assert "MemoryError" in ended[0].stderr
    assert sandbox.render_isolated(a0, rendering.PDF).page_count == 1  # within the default limit


def test_the_wall_clock_limit_kills_the_process_and_asks_to_try_again_later():
    ended: list[sandbox.Outcome] = []
    started = time.monotonic()
    with pytest.raises(sandbox.SandboxUnavailable, match="longer than 1 s"):
        sandbox.render_isolated(
            HOSTILE_ONE_PAGE,
            rendering.PDF,
            limits=UNLIMITED_DRAWING,
            sandbox=sandbox.SandboxLimits(cpu_seconds=60, wall_seconds=1),
            outcome=ended,
        )
    assert time.monotonic() - started < 5
    assert ended[0].returncode == -9  # SIGKILL to its process group


def test_the_worker_gets_no_secrets_from_the_callers_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://user:secret@db/madoguchi")
    monkeypatch.setenv("MADOGUCHI_SECRET_KEY", "do-not-leak")
    environment = sandbox._worker_environment()
    assert "DATABASE_URL" not in environment and "MADOGUCHI_SECRET_KEY" not in environment
    assert environment["LANG"]


def test_slots_let_one_rendering_run_at_a_time_on_the_machine(tmp_path):
    limits = sandbox.SandboxLimits(concurrency=1, slot_dir=str(tmp_path), slot_wait_seconds=0.5)
    inside = threading.Event()
    leave = threading.Event()

    def hold() -> None:
        with sandbox._slot(limits):
            inside.set()
            leave.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(5)
    with pytest.raises(sandbox.SandboxUnavailable, match="no rendering slot"), sandbox._slot(limits):
        pass
    leave.set()
    holder.join(5)
    with sandbox._slot(limits):  # free again
        assert os.path.exists(tmp_path / "slot-0.lock")


def test_a_process_that_never_started_is_not_blamed_on_the_file(monkeypatch):
    monkeypatch.setattr(
        sandbox, "WORKER_COMMAND", "import sys; sys.stderr.write('no pdfium here'); sys.exit(3)"
    )
    with pytest.raises(sandbox.SandboxUnavailable, match=r"did not start .*no pdfium here"):
        sandbox.render_isolated(sample_files.text_pdf(), rendering.PDF)
