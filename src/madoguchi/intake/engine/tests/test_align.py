"""Registration: a printed page turned (±5°, upside down), scaled (150–400 dpi) and shifted is mapped back onto its
layout to within a pixel or two, from its corner marks and its QR code — and without the QR code too."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from madoguchi.intake.engine.align import SCALE, register
from madoguchi.intake.engine.qr import find_qr
from madoguchi.procedures.forms.layout import CONTENT_LEFT, CONTENT_RIGHT, MM, PAGE_HEIGHT

SOURCE = 200 / 72  # pixels per point of the rasterised page


def _transform(
    page: np.ndarray, *, angle=0.0, scale=1.0, shift=(0, 0), flip=False
) -> tuple[np.ndarray, np.ndarray]:
    """The page as a scanner would give it, and the 3 × 3 map from the clean page's pixels to the scan's."""
    h, w = page.shape
    out_w, out_h = int(w * scale * 1.1), int(h * scale * 1.06)  # the scanner's bed is larger than A4
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    matrix[:, 2] += ((out_w - w) / 2 + shift[0], (out_h - h) / 2 + shift[1])
    full = np.vstack([matrix, [0, 0, 1]])
    if flip:
        full = np.array([[-1, 0, out_w - 1], [0, -1, out_h - 1], [0, 0, 1]]) @ full
    scan = cv2.warpAffine(page, full[:2], (out_w, out_h), flags=cv2.INTER_AREA, borderValue=255)
    return scan, full


def _error(registration, truth: np.ndarray, points_pt: np.ndarray) -> float:
    """Largest distance (points) between where the registration puts layout points and where they are."""
    clean = np.hstack([points_pt * SOURCE, np.ones((len(points_pt), 1))])
    scanned = clean @ truth.T
    mapped = scanned @ registration.matrix.T
    mapped = mapped[:, :2] / mapped[:, 2:3] / SCALE
    return float(np.abs(mapped - points_pt).max())


PROBES = np.array(
    [[CONTENT_LEFT, 50 * MM], [CONTENT_RIGHT, 50 * MM], [CONTENT_LEFT, 250 * MM], [300.0, PAGE_HEIGHT / 2]]
)


@pytest.mark.parametrize(
    ("angle", "scale", "shift", "flip"),
    [
        (0.0, 1.0, (0, 0), False),
        (5.0, 1.0, (12, -20), False),
        (-5.0, 0.75, (0, 0), False),  # 150 dpi
        (2.0, 2.0, (30, 10), False),  # 400 dpi
        (1.5, 1.0, (0, 0), True),  # upside down
        (-4.0, 0.75, (-15, 8), True),
    ],
)
def test_registration_with_the_qr_code(tenkyo_page, angle, scale, shift, flip):
    page, _layout = tenkyo_page
    scan, truth = _transform(page, angle=angle, scale=scale, shift=shift, flip=flip)
    hit = find_qr(scan)
    assert hit is not None and hit.payload is not None and hit.payload.procedure == "tenkyo"
    registration = register(scan, hit)
    assert registration is not None and registration.method == "marks" and registration.marks == 4
    assert _error(registration, truth, PROBES) < 1.0  # points: a third of a millimetre
    assert registration.dpi == pytest.approx(200 * scale, rel=0.03)
    assert registration.rotated == (180 if flip else 0)


@pytest.mark.parametrize("flip", [False, True])
def test_registration_without_a_qr_code_uses_the_marks_and_the_header_rule(tenkyo_page, flip):
    page, layout = tenkyo_page
    page = page.copy()
    qr = layout.pages[0].zones["qr"]
    x0, y0 = int(qr.x * SOURCE), int(qr.y * SOURCE)
    page[y0 : y0 + int(qr.height * SOURCE), x0 : x0 + int(qr.width * SOURCE)] = 255  # a photocopy lost its QR
    scan, truth = _transform(page, angle=-3.0, scale=0.9, flip=flip)
    assert find_qr(scan) is None
    registration = register(scan, None)
    assert registration is not None
    assert _error(registration, truth, PROBES) < 1.0


def test_registration_with_the_qr_code_alone_when_marks_are_cut_off(tenkyo_page):
    page, _layout = tenkyo_page
    page = page.copy()
    page[:, :90] = 255  # the scanner cut the left edge: both left marks are gone …
    page[-90:, :] = 255  # … and the bottom
    scan, truth = _transform(page, angle=2.0)
    registration = register(scan, find_qr(scan))
    assert registration is not None and registration.method == "qr"
    assert _error(registration, truth, PROBES) < 3.0


def test_faint_noisy_jpeg_scan_still_registers(tenkyo_page):
    page, _layout = tenkyo_page
    scan, truth = _transform(page, angle=3.0, scale=1.5)
    faint = 255 - (255 - scan.astype(np.float32)) * 0.5 + np.random.default_rng(3).normal(0, 5, scan.shape)
    faint = cv2.GaussianBlur(np.clip(faint, 0, 255).astype(np.uint8), (0, 0), 1.0)
    _ok, data = cv2.imencode(".jpg", faint, [cv2.IMWRITE_JPEG_QUALITY, 60])
    scan = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    registration = register(scan, find_qr(scan))
    assert registration is not None and registration.marks == 4
    assert _error(registration, truth, PROBES) < 1.0
