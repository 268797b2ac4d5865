"""The box readers on synthetic images: tick boxes by fill ratio (frame excluded), circled eras, digit and kana
cells with their printed frame subtracted, and the whole page's boxes of a printed form."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from madoguchi.intake.engine import boxes as bx
from madoguchi.intake.engine.align import SCALE, WORK_SIZE
from madoguchi.intake.engine.engines import get_engine
from madoguchi.intake.engine.engines.base import Crop
from madoguchi.intake.engine.page import compose_marks, fix_lookalikes
from madoguchi.procedures.forms.layout import Rect

from .conftest import printed, rasterise

MINCHO = "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf"
BOX = Rect(100, 100, 11.34, 11.34)  # a 4 mm tick box
DIGIT = Rect(200, 100, 14.17, 19.84)  # a 5 × 7 mm digit box


def _page() -> np.ndarray:
    return np.full((WORK_SIZE[1], WORK_SIZE[0]), 255, dtype=np.uint8)


def _frame(page: np.ndarray, rect: Rect, width: int = 2, offset: tuple[int, int] = (0, 0)) -> None:
    dx, dy = offset
    p0 = (round(rect.x * SCALE) + dx, round(rect.y * SCALE) + dy)
    p1 = (round(rect.right * SCALE) + dx, round(rect.bottom * SCALE) + dy)
    cv2.rectangle(page, p0, p1, 0, width)


def _text(page: np.ndarray, rect: Rect, text: str, size_pt: float = 11.5) -> np.ndarray:
    image = Image.fromarray(page)
    font = ImageFont.truetype(MINCHO, round(size_pt * SCALE))
    centre = ((rect.x + rect.width / 2) * SCALE, (rect.y + rect.height / 2) * SCALE)
    ImageDraw.Draw(image).text(centre, text, font=font, fill=0, anchor="mm")
    return np.asarray(image).copy()


@pytest.mark.parametrize("offset", [(0, 0), (2, -2), (-2, 1)])  # a slightly misregistered frame
def test_tick_box_empty_and_ticked(offset):
    page = _page()
    _frame(page, BOX, offset=offset)
    empty = bx.read_tick(page, BOX)
    assert not empty.marked and empty.confidence > 0.9
    x, y = BOX.x * SCALE, BOX.y * SCALE
    s = BOX.width * SCALE
    tick = np.array(
        [[x + 0.2 * s, y + 0.5 * s], [x + 0.45 * s, y + 0.85 * s], [x + 0.9 * s, y + 0.1 * s]], np.int32
    )
    cv2.polylines(page, [tick], False, 0, 3)
    ticked = bx.read_tick(page, BOX)
    assert ticked.marked and ticked.confidence > 0.9


def test_a_faint_dot_is_not_a_tick_but_a_filled_box_is():
    page = _page()
    _frame(page, BOX)
    cv2.circle(page, (round((BOX.x + 5) * SCALE), round((BOX.y + 5) * SCALE)), 1, 0, -1)
    assert not bx.read_tick(page, BOX).marked
    inner = BOX.grown(-2.5)
    cv2.rectangle(
        page,
        (round(inner.x * SCALE), round(inner.y * SCALE)),
        (round(inner.right * SCALE), round(inner.bottom * SCALE)),
        0,
        -1,
    )
    assert bx.read_tick(page, BOX).marked


def test_circled_era_is_found_and_neighbours_are_not():
    page = _page()
    eras = [Rect(100 + i * 25.5, 300, 22.7, 14.2) for i in range(3)]
    for rect, name in zip(eras, ("昭和", "平成", "令和"), strict=True):
        page = _text(page, rect, name, 8)
    r = eras[1]
    cv2.ellipse(
        page, (round((r.x + r.width / 2) * SCALE), round((r.y + r.height / 2) * SCALE)),
        (round((r.width / 2 + 1) * SCALE), round((r.height / 2 + 1) * SCALE)), 0, 0, 360, 0, 2,
    )  # fmt: skip
    marks = [bx.read_circle(page, rect) for rect in eras]
    assert [m.marked for m in marks] == [False, True, False]


def test_digit_cell_frame_is_subtracted_before_recognition():
    engine = get_engine("rapidocr")
    page = _page()
    _frame(page, DIGIT)
    image, amount = bx.cell_image(page, DIGIT)
    assert bx.cell_is_empty(image, amount)[0]  # the frame alone is an empty box
    assert image.min() == 255  # and none of it is left in the crop
    for digit in "0123456789":
        page = _page()
        _frame(page, DIGIT)
        page = _text(page, DIGIT, digit)
        image, amount = bx.cell_image(page, DIGIT)
        assert not bx.cell_is_empty(image, amount)[0]
        [result] = engine.recognise([Crop(image, allowed=bx.DIGITS, single=True)])
        assert result.text == digit and result.score > 0.8, (digit, result)


def test_whitelist_folds_look_alikes():
    engine = get_engine("rapidocr")
    cells = []
    for ch in "カタロ":  # printed katakana that the model also knows as the kanji 力, 夕, 口
        page = _page()
        page = _text(page, DIGIT, ch, 12)
        cells.append(bx.cell_image(page, DIGIT)[0])
    [line] = engine.recognise([Crop(bx.join_cells(cells), allowed=bx.KATAKANA)])
    assert line.text == "カタロ" and min(line.char_scores) > 0.5


def test_kana_marks_and_look_alikes_in_text():
    assert compose_marks("ト゛ウ ハ゜ン") == "ドウ パン"
    assert compose_marks("トﾞ") == "ド"  # a half-width mark read in a cell of its own
    assert fix_lookalikes("記号・番号（デモ入カ）") == "記号・番号（デモ入力）"
    assert fix_lookalikes("中央ー丁目") == "中央一丁目"
    assert fix_lookalikes("ヒ口シ") == "ヒロシ"
    assert fix_lookalikes("セーター") == "セーター"


def test_a_printed_form_is_read_box_by_box(reader):
    values = {
        "move_date": "2026-03-19",
        "new_postal_code": "1000001",
        "old_postal_code": "0001234",
    }
    _spec, layout, pdf = printed("tenkyo", values)
    page = rasterise(pdf)[0]
    result = reader.read(page, lambda payload: layout)
    assert result.status == "read" and result.procedure == "tenkyo" and result.case_number == "R8-000001"
    assert result.fields["basics.sex"].raw == "1"
    assert result.fields["basics.birth_date"].raw == "昭和61年04月12日"
    assert result.fields["basics.address"].raw == "みどり県みどり市中央町一丁目2番3号"
    digits = [r for r in result.fields.values() if r.kind == "digits" and not r.empty]
    assert digits and all(r.raw.isdigit() for r in digits)
    assert result.fields["new_postal_code"].raw == "1000001"
    assert result.fields["old_postal_code"].raw == "0001234"
    assert result.fields["move_date"].raw == "令和08年03月19日"
    assert result.aligned is not None and result.crop(result.fields["basics.name"].crop).size > 0
