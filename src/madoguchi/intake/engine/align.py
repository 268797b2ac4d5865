"""Registering a scanned page to its layout (pure: no Django): find the corner marks (and the QR code), map
them onto where the layout puts them, and warp the page onto the layout's grid at `WORK_DPI`.

Every form page has four filled 5 mm squares 8 mm from the edges (procedures/forms/layout.py); printed matter
of another size (a benefit's 圧着はがき, 100 × 296 mm) says where its marks and QR zone are in its layout, and the
page is registered onto that page's grid (`PageGeometry.of`) once its QR code has named the layout. The QR code,
when found, says which way up the page is and where the marks should be (so an upside-down or 90°-turned scan
is read the right way up); without it the marks are looked for near the corners of the image and the rule
under the header band says whether the page is upside down. Four marks give a homography (shift, scale,
rotation, the slight keystone of a flatbed), three an affine map; with fewer the QR code's corners alone give
a similarity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import segno

from madoguchi.procedures.forms.layout import (
    CONTENT_LEFT,
    CONTENT_RIGHT,
    HEADER_BOTTOM,
    MARK_OFFSET,
    MARK_SIZE,
    MM,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    QR_SIZE,
)

from .qr import QrHit

WORK_DPI = 200  # the registered page: 1654 × 2339 pixels for A4
SCALE = WORK_DPI / 72  # pixels per point on the registered page
WORK_SIZE = (round(PAGE_WIDTH * SCALE), round(PAGE_HEIGHT * SCALE))  # (width, height)
QR_QUIET = 4  # modules of white around the code (render.py's quiet zone)

_half = MARK_SIZE / 2
MARK_CENTERS = np.array(
    [
        [MARK_OFFSET + _half, MARK_OFFSET + _half],
        [PAGE_WIDTH - MARK_OFFSET - _half, MARK_OFFSET + _half],
        [MARK_OFFSET + _half, PAGE_HEIGHT - MARK_OFFSET - _half],
        [PAGE_WIDTH - MARK_OFFSET - _half, PAGE_HEIGHT - MARK_OFFSET - _half],
    ],
    dtype=np.float64,
)  # in points: top left, top right, bottom left, bottom right
A4_QR_ZONE = (CONTENT_RIGHT - QR_SIZE, 15 * MM, QR_SIZE, QR_SIZE)


@dataclass(frozen=True)
class PageGeometry:
    """The page a scan is registered onto: its size (points), the centres of its four corner marks (top left,
    top right, bottom left, bottom right) and its QR zone (x, y, width, height)."""

    width: float = PAGE_WIDTH
    height: float = PAGE_HEIGHT
    marks: np.ndarray = field(default_factory=lambda: MARK_CENTERS.copy())
    qr_zone: tuple[float, float, float, float] = A4_QR_ZONE

    @property
    def work_size(self) -> tuple[int, int]:
        """(width, height) of the registered page in pixels at WORK_DPI."""
        return (round(self.width * SCALE), round(self.height * SCALE))

    @property
    def is_a4(self) -> bool:
        return (round(self.width, 1), round(self.height, 1)) == (round(PAGE_WIDTH, 1), round(PAGE_HEIGHT, 1))

    @classmethod
    def of(cls, layout, page: int = 1) -> PageGeometry:
        """The geometry of page `page` of a `FormLayout` (A4 procedure forms: the default)."""
        width, height = getattr(layout, "page_size", (PAGE_WIDTH, PAGE_HEIGHT))
        if not 1 <= page <= len(layout.pages):
            page = 1
        sheet = layout.pages[page - 1]
        if len(sheet.marks) != 4 or "qr" not in sheet.zones:
            return cls(width, height)
        marks = np.array([[m.x + m.width / 2, m.y + m.height / 2] for m in sheet.marks], dtype=np.float64)
        zone = sheet.zones["qr"]
        qr_zone = (zone.x, zone.y, zone.width, zone.height)
        geometry = cls(width, height, marks, qr_zone)
        if (
            geometry.is_a4
            and np.allclose(marks, MARK_CENTERS, atol=0.05)
            and np.allclose(qr_zone, A4_QR_ZONE, atol=0.05)
        ):
            return A4  # a procedure form: the standard page (its layout stores the same, rounded to 0.01 pt)
        return geometry


A4 = PageGeometry()


@dataclass(frozen=True)
class Registration:
    aligned: np.ndarray  # the page on the layout's grid: its work size, uint8, paper 255, ink 0
    matrix: np.ndarray  # 3 × 3: image pixels → registered pixels
    method: str  # "marks" (3 or 4 corner marks) or "qr" (the QR code alone)
    marks: int  # corner marks found
    rotated: int  # 0, 90, 180 or 270: how far the scan was turned (clockwise)
    dpi: float  # the scan's resolution, estimated from the marks (or the page size)
    residual: float  # marks: RMS distance (points) between where the map puts them and the layout's


def estimate_dpi(shape: tuple[int, ...], page_height: float = PAGE_HEIGHT) -> float:
    """The resolution of a full scan of a page `page_height` points tall (A4) from its size (either way up)."""
    height, width = shape[:2]
    return max(height, width) / (page_height / 72)


def is_blank(gray: np.ndarray) -> bool:
    """A page with (almost) no ink: an empty sheet or the back of one, scanner noise aside."""
    small = gray
    factor = 600 / max(gray.shape)
    if factor < 1:
        small = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    paper = float(np.percentile(small, 60))
    dark = small < paper - 70
    if dark.mean() < 0.0008:
        return True
    # Speckle is isolated pixels; a form has strokes and marks: count what survives an opening.
    opened = cv2.morphologyEx(dark.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    return opened.mean() < 0.0004


def qr_code_corners(payload_text: str, zone: tuple[float, float, float, float] | None = None) -> np.ndarray:
    """Where the code's own corners (inside its quiet zone) are on the layout, in points: TL, TR, BR, BL."""
    code = segno.make(payload_text, error="m", micro=False)
    modules = code.symbol_size(border=0)[0]
    if zone is None:
        zone = A4_QR_ZONE
    x, y, w, _h = zone
    module = w / (modules + 2 * QR_QUIET)
    x0, y0 = x + QR_QUIET * module, y + QR_QUIET * module
    side = modules * module
    return np.array([[x0, y0], [x0 + side, y0], [x0 + side, y0 + side], [x0, y0 + side]], dtype=np.float64)


def _mark_candidates(gray: np.ndarray, dpi: float) -> tuple[np.ndarray, float]:
    """Centres (image pixels) of the filled squares the size of a corner mark, and the expected side."""
    factor = min(1.0, 100 / dpi)
    small = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else gray
    _t, ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, _labels, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    side = MARK_SIZE / 72 * dpi * factor
    keep = []
    for i in range(1, count):
        _x, _y, w, h, area = stats[i]
        if not (0.6 * side <= w <= 1.6 * side and 0.6 * side <= h <= 1.6 * side):
            continue
        if not (0.4 * side * side <= area <= 1.8 * side * side):
            continue
        if area / float(w * h) < 0.68:
            continue
        keep.append(centroids[i] / factor)
    return np.array(keep, dtype=np.float64).reshape(-1, 2), side / factor


def _refine(gray: np.ndarray, center: np.ndarray, side: float) -> np.ndarray:
    """The centroid of the mark at full resolution."""
    r = int(side)
    x0, y0 = max(int(center[0]) - r, 0), max(int(center[1]) - r, 0)
    window = gray[y0 : int(center[1]) + r, x0 : int(center[0]) + r]
    if window.size == 0:
        return center
    _t, ink = cv2.threshold(window, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, _labels, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count < 2:
        return center
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return centroids[best] + np.array([x0, y0])


def _similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray | None:
    matrix, _inliers = cv2.estimateAffinePartial2D(src.astype(np.float32), dst.astype(np.float32))
    if matrix is None:
        return None
    return np.vstack([matrix, [0, 0, 1]])


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.hstack([points, np.ones((len(points), 1))]) @ matrix.T
    return pts[:, :2] / pts[:, 2:3]


def _rule_score(aligned: np.ndarray, y_pt: float) -> float:
    """How much of the header rule's width is dark around `y_pt` on the registered page."""
    y = round(y_pt * SCALE)
    x0, x1 = int(CONTENT_LEFT * SCALE) + 10, int(CONTENT_RIGHT * SCALE) - 10
    band = aligned[max(y - 6, 0) : y + 7, x0:x1]
    if band.size == 0:
        return 0.0
    return float((band.min(axis=0) < 110).mean())


INK_PERCENTILE = 0.3  # of an A4 page's pixels: the darkest, where the black point is taken


def normalise_contrast(aligned: np.ndarray, ink_percentile: float = INK_PERCENTILE) -> np.ndarray:
    """Paper to white and ink to black (a faint or grey scan made crisp), from the page's own levels.

    The black point is the `ink_percentile` darkest pixel. The solid black of every page (the corner marks, the
    QR code) is the same size on any page, so on a smaller page it is a larger share of the pixels: the
    percentile grows with it (`register` scales it by the page's area), or the black point would move into the
    darkest noise and leave faint handwriting grey."""
    paper = float(np.percentile(aligned, 75))
    sample = aligned[::4, ::4]
    ink = float(np.percentile(sample, ink_percentile))
    if paper - ink < 25:
        return aligned
    lut = np.clip((np.arange(256, dtype=np.float32) - ink) * 255.0 / (paper - ink), 0, 255).astype(np.uint8)
    return cv2.LUT(aligned, lut)


def register(gray: np.ndarray, qr: QrHit | None, geometry: PageGeometry = A4) -> Registration | None:
    """The page registered to the layout's grid (`geometry`: A4 unless the QR code named a layout of another
    size), or None when neither enough marks nor a QR code are found."""
    centres = geometry.marks
    work_size = geometry.work_size
    dpi = estimate_dpi(gray.shape, geometry.height)
    candidates, side = _mark_candidates(gray, dpi)
    coarse = None
    if qr is not None and qr.payload is not None:
        coarse = _similarity(qr.corners, qr_code_corners(qr.text, geometry.qr_zone))  # image px → points
    if coarse is not None:
        predicted = _apply(np.linalg.inv(coarse), centres)
        scale = float(np.sqrt(abs(np.linalg.det(coarse[:2, :2]))))  # points per pixel
        dpi = 72 / scale if scale > 0 else dpi
        radius = 12 * MM / scale
    else:
        predicted = centres * (dpi / 72)
        radius = 30 * MM * dpi / 72
    src, dst = [], []
    used: set[int] = set()
    for index, point in enumerate(predicted):
        if not len(candidates):
            break
        distance = np.linalg.norm(candidates - point, axis=1)
        best = int(np.argmin(distance))
        if distance[best] <= radius and best not in used:
            used.add(best)
            src.append(_refine(gray, candidates[best], side))
            dst.append(centres[index])
    src_a, dst_a = np.array(src, dtype=np.float64), np.array(dst, dtype=np.float64)
    if len(src) == 4:
        matrix, _mask = cv2.findHomography(src_a, dst_a * SCALE, 0)
        method = "marks"
    elif len(src) == 3:
        affine = cv2.getAffineTransform(src_a.astype(np.float32), (dst_a * SCALE).astype(np.float32))
        matrix, method = np.vstack([affine, [0, 0, 1]]), "marks"
    elif coarse is not None:
        # The QR code's corners, with any mark that was found (a longer lever for the angle).
        code = qr_code_corners(qr.text, geometry.qr_zone)
        src_q = np.vstack([qr.corners, src_a]) if len(src) else qr.corners
        dst_q = np.vstack([code, dst_a]) if len(src) else code
        refined = _similarity(src_q, dst_q) if len(src) else coarse
        matrix, method = np.diag([SCALE, SCALE, 1.0]) @ (refined if refined is not None else coarse), "qr"
    else:
        return None
    if matrix is None or not np.all(np.isfinite(matrix)):
        return None
    residual = 0.0
    if method == "marks":
        residual = float(np.sqrt(np.mean(np.sum((_apply(matrix, src_a) / SCALE - dst_a) ** 2, axis=1))))
        if residual > 3 * MM:
            return None
        linear = matrix[:2, :2] / matrix[2, 2]
        dpi = 72 * SCALE / float(np.sqrt(abs(np.linalg.det(linear)))) if np.linalg.det(linear) else dpi
    aligned = cv2.warpPerspective(
        gray, matrix, work_size, flags=cv2.INTER_AREA if dpi > WORK_DPI * 1.2 else cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=255,
    )  # fmt: skip
    share = (PAGE_WIDTH * PAGE_HEIGHT) / (geometry.width * geometry.height)  # 1 for A4
    aligned = normalise_contrast(aligned, min(5.0, INK_PERCENTILE * share))
    # No QR: the marks are symmetric; the rule under the header band says which way up the page is.
    upside_down = coarse is None and (
        _rule_score(aligned, geometry.height - HEADER_BOTTOM - 0.4)
        > _rule_score(aligned, HEADER_BOTTOM + 0.4) + 0.2
    )
    if upside_down:
        flip = np.array([[-1, 0, work_size[0] - 1], [0, -1, work_size[1] - 1], [0, 0, 1]], dtype=np.float64)
        matrix = flip @ matrix
        aligned = cv2.rotate(aligned, cv2.ROTATE_180)
    angle = float(np.degrees(np.arctan2(matrix[1, 0], matrix[0, 0])))
    rotated = round(-angle / 90.0) % 4 * 90
    return Registration(aligned, matrix, method, len(src), rotated, round(dpi, 1), round(residual, 3))


def to_pixels(x: float, y: float) -> tuple[int, int]:
    return round(x * SCALE), round(y * SCALE)


__all__ = [
    "A4",
    "SCALE",
    "WORK_DPI",
    "WORK_SIZE",
    "PageGeometry",
    "Registration",
    "estimate_dpi",
    "is_blank",
    "register",
]
