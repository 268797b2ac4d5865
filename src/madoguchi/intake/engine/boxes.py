"""Reading the boxes of a registered page (pure: no Django): tick boxes by fill ratio, an era by its circle,
digit and character cells one by one with the printed frame subtracted first, ruled lines of free text split
into text lines. Coordinates are the layout's points; the page is the registered image at `align.SCALE`."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from madoguchi.procedures.forms.layout import Rect

from .align import SCALE

INK = 128  # a registered page is contrast-normalised: paper 255, ink 0
KATAKANA = "".join(chr(c) for c in range(0x30A1, 0x30F7)) + "ーﾞﾟ"  # the marks: a half-width ﾞ in its own cell
DIGITS = "0123456789"
TICK_THRESHOLD = 0.04
TICK_FULL = 0.085  # a printed ✓ covers about 0.10  # ink share inside a tick box (its frame excluded) above which it counts as ticked
CIRCLE_THRESHOLD = 0.05  # ink share in the bands above and below an era name: circled
CIRCLE_FULL = 0.12


def crop(page: np.ndarray, rect: Rect, grow: float = 0.0) -> np.ndarray:
    """The pixels of `rect` (grown by `grow` points on each side) on the registered page."""
    x0 = max(round((rect.x - grow) * SCALE), 0)
    y0 = max(round((rect.y - grow) * SCALE), 0)
    x1 = min(round((rect.right + grow) * SCALE), page.shape[1])
    y1 = min(round((rect.bottom + grow) * SCALE), page.shape[0])
    return page[y0:y1, x0:x1]


def remove_lines(
    image: np.ndarray, *, fraction: float = 0.6, keep: tuple[int, int, int, int] | None = None
) -> np.ndarray:
    """The crop with its long straight horizontal and vertical lines (a box's printed frame, a ruled line)
    painted white: what is left is what was written. `keep` (x0, y0, x1, y1): an inner area where nothing is
    removed (a cell's inside, where a written 一 or ー is as long as a frame line)."""
    if image.size == 0:
        return image
    ink = (image < 170).astype(np.uint8)
    h, w = ink.shape
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, max(5, int(w * fraction))), np.uint8))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(5, int(h * fraction)), 1), np.uint8))
    lines = cv2.dilate(horizontal | vertical, np.ones((3, 3), np.uint8))
    if keep is not None:
        x0, y0, x1, y1 = keep
        lines[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = 0
    out = image.copy()
    out[lines > 0] = 255
    return out


def despeckle(image: np.ndarray, least: int = 3) -> np.ndarray:
    """The crop with specks of ink smaller than `least` pixels (scanner dust, JPEG noise) painted white."""
    if image.size == 0:
        return image
    ink = (image < INK).astype(np.uint8)
    _count, labels, stats, _c = cv2.connectedComponentsWithStats(ink, connectivity=8)
    small = np.nonzero(stats[:, cv2.CC_STAT_AREA] < least)[0]
    small = small[small > 0]
    if not len(small):
        return image
    out = image.copy()
    out[np.isin(labels, small)] = 255
    return out


def ink_amount(image: np.ndarray) -> int:
    """Pixels of ink that belong to strokes (isolated speckle does not count)."""
    if image.size == 0:
        return 0
    ink = (image < INK).astype(np.uint8)
    return int(cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)).sum())


@dataclass(frozen=True)
class Mark:
    """A tick box or an era's circle: the ink share measured and whether it counts as marked."""

    fill: float
    marked: bool
    confidence: float


def _mark(fill: float, threshold: float, full: float) -> Mark:
    marked = fill >= threshold
    # 0.5 at the threshold, 1.0 once clearly away from it (empty below half of it, marked at `full`).
    distance = (fill - threshold) / (full - threshold) if marked else (threshold - fill) / (threshold * 0.5)
    return Mark(round(fill, 4), marked, round(min(1.0, 0.5 + 0.5 * max(distance, 0.0)), 4))


def read_tick(page: np.ndarray, rect: Rect) -> Mark:
    """A tick box: the share of ink inside its printed frame, the frame's lines removed first (a blurred or
    slightly misregistered frame must not count as a tick)."""
    grow = 1.5
    around = despeckle(crop(page, rect, grow=grow))
    if around.size == 0:
        return Mark(0.0, False, 0.0)
    cleaned = remove_lines(around, fraction=0.7)
    inset = round((grow + 1.4) * SCALE)
    inner = cleaned[inset : cleaned.shape[0] - inset, inset : cleaned.shape[1] - inset]
    if inner.size == 0:
        return Mark(0.0, False, 0.0)
    fill = float((inner < INK).mean())
    return _mark(fill, TICK_THRESHOLD, TICK_FULL)


def read_circle(page: np.ndarray, rect: Rect) -> Mark:
    """An era name circled: ink in the bands just above and below where the name is printed (the circle
    passes there; its sides would reach into the neighbouring names' bands)."""
    x0, x1 = rect.x + rect.width * 0.2, rect.right - rect.width * 0.2
    above = crop(page, Rect(x0, rect.y - 2.6, x1 - x0, 2.2))
    below = crop(page, Rect(x0, rect.bottom + 0.4, x1 - x0, 2.2))
    if above.size == 0 or below.size == 0:
        return Mark(0.0, False, 0.0)
    # A circle crosses both bands: the weaker of the two counts.
    fill = min(float((above < INK).mean()), float((below < INK).mean()))
    return _mark(fill, CIRCLE_THRESHOLD, CIRCLE_FULL)


def cell_image(page: np.ndarray, rect: Rect) -> tuple[np.ndarray, int]:
    """A digit or character cell with its frame removed, and how much was written in it."""
    grown = despeckle(crop(page, rect, grow=1.5))
    g = round(1.5 * SCALE)
    m = round(1.3 * SCALE)
    k = g + round(2.2 * SCALE)
    cleaned = remove_lines(
        grown, fraction=0.55, keep=(k, k, grown.shape[1] - k, grown.shape[0] - k)
    )  # the frame (0.6 pt) plus a pixel or two of misregistration
    inner = cleaned[g + m // 2 : cleaned.shape[0] - g - m // 2, g + m // 2 : cleaned.shape[1] - g - m // 2]
    return inner, ink_amount(inner[m // 2 : inner.shape[0] - m // 2, m // 2 : inner.shape[1] - m // 2])


def cell_is_empty(image: np.ndarray, amount: int, *, small_marks: bool = False) -> tuple[bool, float]:
    """Whether a cleaned cell holds nothing, and how sure that is. `small_marks`: the cell may hold a period
    or a hyphen (an e-mail address), a few pixels of ink."""
    area = max(image.size, 1)
    threshold = max(6, int(area * 0.0035))  # a half-width ﾞ is about 0.004
    if small_marks:
        threshold = 4
    if amount < threshold:
        return True, round(1.0 - 0.5 * amount / threshold, 4)
    return False, round(min(1.0, 0.5 + 0.5 * (amount - threshold) / threshold), 4)


def _ink_box(image: np.ndarray) -> tuple[int, int, int, int] | None:
    ink = image < INK
    rows = np.nonzero(ink.any(axis=1))[0]
    cols = np.nonzero(ink.any(axis=0))[0]
    if not len(rows):
        return None
    return int(cols.min()), int(rows.min()), int(cols.max() + 1), int(rows.max() + 1)


def ink_size(image: np.ndarray) -> int:
    """The larger side of the written ink's bounding box (a small kana is about 2/3 of a large one)."""
    box = _ink_box(image)
    return max(box[2] - box[0], box[3] - box[1]) if box else 0


def voicing_mark(image: np.ndarray) -> str:
    """ "ﾞ" or "ﾟ" when a cell holds only a small mark in its upper half (a half-width voicing mark written in a
    cell of its own), else ""."""
    box = _ink_box(image)
    if box is None:
        return ""
    x0, y0, x1, y1 = box
    h = image.shape[0]
    if max(x1 - x0, y1 - y0) > 0.42 * h or y1 > 0.62 * h:
        return ""
    ink = np.pad((image[y0:y1, x0:x1] < INK).astype(np.uint8), 1)
    _contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    has_hole = hierarchy is not None and bool((hierarchy[0][:, 3] >= 0).any())
    return "ﾟ" if has_hole else "ﾞ"  # a small ring is the semi-voiced mark; strokes (or a blurred blob) ﾞ


def ink_extent(image: np.ndarray) -> tuple[int, int]:
    """Where the written ink starts from the top and how tall it is (pixels)."""
    box = _ink_box(image)
    return (box[1], box[3] - box[1]) if box else (0, 0)


def widen_narrow(image: np.ndarray) -> np.ndarray:
    """A half-width kana (ﾐﾄﾞﾘ: narrow and tall) stretched to the shape of the full-width one."""
    box = _ink_box(image)
    if box is None:
        return image
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if h < image.shape[0] * 0.4 or w >= 0.62 * h:
        return image
    glyph = cv2.resize(image[y0:y1, x0:x1], (int(h * 0.9), h), interpolation=cv2.INTER_LINEAR)
    out = np.full((image.shape[0], max(image.shape[1], glyph.shape[1] + 4)), 255, dtype=np.uint8)
    left = (out.shape[1] - glyph.shape[1]) // 2
    out[y0:y1, left : left + glyph.shape[1]] = glyph
    return out


def join_cells(images: list[np.ndarray]) -> np.ndarray:
    """Written cells side by side as one line of text (each on the same height, a little white between)."""
    height = max(img.shape[0] for img in images)
    # Half a cell of white between cells: the model then sees a blank between two equal digits (00).
    gap = np.full((height, max(4, height // 2)), 255, dtype=np.uint8)
    parts = []
    for img in images:
        pad = height - img.shape[0]
        parts.append(np.pad(img, ((pad // 2, pad - pad // 2), (0, 0)), constant_values=255))
        parts.append(gap)
    return np.hstack(parts[:-1])


def text_lines(page: np.ndarray, rect: Rect) -> list[tuple[np.ndarray, float]]:
    """The text lines written on one ruled line (a row of a text area), each as a crop trimmed to its ink,
    with how far right its ink reaches (0–1 of the row's width: a line ending at the edge was wrapped)."""
    row = crop(page, Rect(rect.x + 0.8, rect.y + 0.6, rect.width - 1.6, rect.height - 1.2))
    if row.size == 0:
        return []
    h, w = row.shape
    band = round(1.6 * SCALE)  # the frame and the ruled lines lie at the row's edges
    cleaned = despeckle(remove_lines(row, fraction=0.5, keep=(band, band, w - band, h - band)))
    raw_ink = (cleaned < INK).astype(np.uint8)
    ink = cv2.morphologyEx(raw_ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    profile = ink.sum(axis=1)
    rows = np.nonzero(profile > max(1, ink.shape[1] * 0.002))[0]
    if not len(rows):
        return []
    # Split where a run of empty rows separates two bands of ink.
    bands, start, previous = [], rows[0], rows[0]
    for y in rows[1:]:
        if y - previous > max(2, int(0.8 * SCALE)):
            bands.append((start, previous + 1))
            start = y
        previous = y
    bands.append((start, previous + 1))
    lines = []
    for y0, y1 in bands:
        if y1 - y0 < max(4, int(2.0 * SCALE)):
            continue  # a scratch or a fragment of a line, not text
        solid = np.nonzero(ink[y0:y1].sum(axis=0))[0]
        if not len(solid):
            continue
        # Thin strokes (、。）) that the opening lost count for the extent, up to half a line beyond the rest.
        reach = (y1 - y0) // 2 + 2
        lo, hi = max(solid.min() - reach, 0), min(solid.max() + 1 + reach, raw_ink.shape[1])
        thin = np.nonzero(raw_ink[y0:y1, lo:hi].sum(axis=0))[0] + lo
        x0, x1 = min(solid.min(), thin.min()), max(solid.max(), thin.max()) + 1
        pad = 3
        part = cleaned[max(y0 - pad, 0) : y1 + pad, max(x0 - pad, 0) : x1 + pad]
        lines.append((part, x1 / ink.shape[1]))
    return lines


__all__ = [
    "DIGITS",
    "KATAKANA",
    "Mark",
    "cell_image",
    "cell_is_empty",
    "crop",
    "read_circle",
    "read_tick",
    "remove_lines",
    "text_lines",
]
