"""Geometry of the office's server-rendered SVG bar charts (no JavaScript, no chart library).

Pure: numbers in, numbers out. Each chart on a page sits beside a table of the same figures, which is what
a screen reader reads (the SVG has role="img" and a label that says so). Templates:
`core/_column_chart.html` draws `column_chart`, `office/_hbars.html` draws `row_chart`.
"""

from __future__ import annotations

from collections.abc import Sequence

COLUMN_HEIGHT = 120  # px of the tallest column
COLUMN_WIDTH = 16  # px per column, 2 of them the gap
ROW_MAX = 240  # SVG units of the longest row bar
ROW_HEIGHT = 28  # SVG units per row, 8 of them the gap


def column_chart(pairs: Sequence[tuple[str, int]], *, height: int = COLUMN_HEIGHT, width: int = COLUMN_WIDTH):
    """Vertical columns for (label, value) pairs, left to right; the tallest is `height` high."""
    top = max((value for _label, value in pairs), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(pairs):
        bar_height = round(height * value / top)
        bars.append(
            {
                "label": label,
                "value": value,
                "x": index * width,
                "y": height - bar_height,
                "height": bar_height,
            }
        )
    return {"bars": bars, "width": max(len(pairs), 1) * width, "height": height, "bar": width - 2}


def row_chart(rows: Sequence[tuple[str, float | None]], *, longest: int = ROW_MAX, row: int = ROW_HEIGHT):
    """Horizontal bars for (label, value) rows, top to bottom; a missing value draws no bar."""
    top = max((value or 0 for _label, value in rows), default=0) or 1
    bars = [
        {
            "label": label,
            "value": value,
            "y": index * row + 4,
            "width": round(longest * (value or 0) / top, 1) if value else 0,
        }
        for index, (label, value) in enumerate(rows)
    ]
    return {"bars": bars, "width": longest, "height": max(len(rows), 1) * row, "bar": row - 8}
