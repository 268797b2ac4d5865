"""Which form is this page? Template matching of a registered page against known layouts, for pages whose QR
code is missing or unreadable (pure: no Django). Every layout page is drawn as a coarse picture of what it
prints (frames, rules, shaded headings, where labels are) and compared with the page's ink by correlation."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from madoguchi.procedures.forms.layout import FormLayout, PageLayout, Rect

from .align import SCALE

COARSE = 1 / 8  # of the registered page: 25 dpi
CONFIDENT = 0.55  # the best score at least this …
MARGIN = 0.06  # … and this far above the next procedure's


def _blur(image: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), 1.2)


def _draw(canvas: np.ndarray, rect: Rect, value: float, *, fill: bool, width: int = 1) -> None:
    s = SCALE * COARSE
    p0 = (int(rect.x * s), int(rect.y * s))
    p1 = (int(rect.right * s), int(rect.bottom * s))
    cv2.rectangle(canvas, p0, p1, value, -1 if fill else width)


_pictures: dict[int, tuple[FormLayout, dict[int, np.ndarray]]] = {}


def template_picture(layout: FormLayout, number: int) -> np.ndarray:
    """The coarse picture of a layout page (kept per layout object: layouts are read once per process)."""
    kept = _pictures.get(id(layout))
    if kept is None or kept[0] is not layout:
        if len(_pictures) > 512:
            _pictures.clear()
        kept = _pictures[id(layout)] = (layout, {})
    if number not in kept[1]:
        kept[1][number] = _template(layout, number)
    return kept[1][number]


def _template(layout: FormLayout, number: int) -> np.ndarray:
    from .align import WORK_SIZE

    shape = (int(WORK_SIZE[1] * COARSE), int(WORK_SIZE[0] * COARSE))
    canvas = np.zeros(shape, dtype=np.float32)
    page: PageLayout = layout.pages[number - 1]
    for shade in page.shades:
        _draw(canvas, shade, 0.1, fill=True)
    for item in page.texts:
        _draw(canvas, Rect(item.x, item.y + item.height * 0.2, min(item.width, len(item.text) * item.size),
                           item.height * 0.6), 0.25, fill=True)  # fmt: skip
    for rule in page.rules:
        _draw(canvas, rule, 1.0, fill=True)
    for box in layout.boxes_on(number):
        if box.kind in ("group", "none"):
            continue
        if box.kind == "text_area":
            _draw(canvas, box.rect, 0.8, fill=False)
        for rect in box.rects:
            _draw(canvas, rect, 0.8, fill=False)
    return _blur(canvas)


def page_picture(aligned: np.ndarray) -> np.ndarray:
    from .align import WORK_SIZE

    size = (int(WORK_SIZE[0] * COARSE), int(WORK_SIZE[1] * COARSE))  # the templates' size exactly
    small = cv2.resize(aligned, size, interpolation=cv2.INTER_AREA)
    return _blur(1.0 - small.astype(np.float32) / 255.0)


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    # The corner marks and the QR zone are the same on every form: leave the header band's right out.
    a = a - a.mean()
    b = b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator else 0.0


Template = FormLayout | tuple[FormLayout, int | None]


def match(aligned: np.ndarray, templates: Sequence[Template]) -> list[tuple[str, int | None, int, float]]:
    """(procedure, version, page, score) for every page of every template, best first."""
    picture = page_picture(aligned)
    scores = []
    for template in templates:
        layout, version = (template, None) if isinstance(template, FormLayout) else template
        for number in range(1, layout.page_count + 1):
            scores.append(
                (layout.procedure, version, number, round(_ncc(picture, template_picture(layout, number)), 4))
            )
    scores.sort(key=lambda item: -item[3])
    return scores


def confident(candidates: Sequence[tuple[str, int | None, int, float]]) -> bool:
    """Whether the best candidate is good enough to read the page as that form without asking."""
    if not candidates or candidates[0][3] < CONFIDENT:
        return False
    best = candidates[0]
    others = [c for c in candidates[1:] if (c[0], c[1]) != (best[0], best[1]) or c[2] != best[2]]
    return not others or best[3] - others[0][3] >= MARGIN


__all__ = ["CONFIDENT", "Template", "confident", "match", "page_picture", "template_picture"]
