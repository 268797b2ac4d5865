"""Finding a form's QR code on a scanned page with zxing-cpp (pure: no Django).

The page is tried whole (downscaled), then its corners where the QR zone lies (top right, and bottom left for
a page scanned upside down) at several scales: a faint or small code in a large scan is found there.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

from madoguchi.procedures.forms.printable import QR_PREFIX, QrPayload, parse_qr_payload


@dataclass(frozen=True)
class QrHit:
    text: str
    payload: QrPayload | None  # None: a QR code, but not one of a Madoguchi form
    corners: np.ndarray  # 4 × 2 float: top left, top right, bottom right, bottom left of the code (image px)
    orientation: int  # the code's rotation in degrees as zxing reports it (0, 90, 180, -90 …)

    @property
    def center(self) -> tuple[float, float]:
        c = self.corners.mean(axis=0)
        return float(c[0]), float(c[1])


def _decode(gray: np.ndarray) -> list:
    try:
        return zxingcpp.read_barcodes(
            gray, formats=zxingcpp.BarcodeFormat.QRCode, try_rotate=True, try_downscale=True
        )
    except Exception:  # a decoder error is "no code here", never a crash
        return []


def _hit(result, scale: float, dx: float, dy: float) -> QrHit:
    p = result.position
    corners = np.array(
        [[pt.x, pt.y] for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)], dtype=np.float64
    )
    corners = corners / scale + np.array([dx, dy])
    try:
        payload = parse_qr_payload(result.text)
    except ValueError:
        payload = None
    return QrHit(result.text, payload, corners, int(result.orientation))


def find_qr(gray: np.ndarray) -> QrHit | None:
    """The form's QR code on the page (a Madoguchi one preferred), or None."""
    height, width = gray.shape[:2]
    found: list[QrHit] = []
    attempts: list[tuple[float, int, int, int, int]] = []
    full_scale = min(1.0, 1400 / max(height, width))
    attempts.append((full_scale, 0, 0, width, height))
    # The QR zone: top right (or bottom left upside down), 15–37 mm from the edges of a 210 × 297 mm page.
    cw, ch = int(width * 0.36), int(height * 0.22)
    for x0, y0 in ((width - cw, 0), (0, height - ch)):
        for scale in (1.0, 0.6, 1.6):
            attempts.append((scale, x0, y0, cw, ch))
    for scale, x0, y0, w, h in attempts:
        part = gray[y0 : y0 + h, x0 : x0 + w]
        if scale != 1.0:
            interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
            part = cv2.resize(part, None, fx=scale, fy=scale, interpolation=interpolation)
        for result in _decode(np.ascontiguousarray(part)):
            hit = _hit(result, scale, x0, y0)
            if hit.payload is not None:
                return hit
            found.append(hit)
    return found[0] if found else None


def is_form_code(text: str) -> bool:
    return text.startswith(QR_PREFIX + "|")


__all__ = ["QrHit", "find_qr", "is_form_code"]
