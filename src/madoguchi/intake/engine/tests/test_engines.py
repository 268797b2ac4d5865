"""The OCR engines: plugins by name, rapidocr with the model files of its wheel and nothing downloaded."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from madoguchi.intake.engine import PageReader, available_engines, register_engine
from madoguchi.intake.engine.engines import get_engine
from madoguchi.intake.engine.engines.base import Crop, Recognition
from madoguchi.intake.engine.engines.rapid import RapidOcrEngine, model_dir


def test_built_in_engines_are_registered():
    assert {"rapidocr", "tesseract"} <= set(available_engines())
    with pytest.raises(KeyError, match="unknown OCR engine"):
        get_engine("nope")


def test_rapidocr_uses_the_wheels_model_and_never_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    engine = RapidOcrEngine()  # a fresh instance: its model is loaded now, offline
    assert Path(engine.path).parent == model_dir() and engine.path.name == "PP-OCRv6_rec_small.onnx"
    assert len(engine.characters) > 10_000  # the multilingual dictionary travels inside the model
    image = np.full((48, 48), 255, dtype=np.uint8)
    image[10:38, 22:26] = 0  # a "1"
    [result] = engine.recognise([Crop(image, allowed="0123456789", single=True)])
    assert result.text == "1"


def test_a_municipality_can_plug_in_its_own_engine():
    calls = []

    class Upper:
        name = "upper"

        def recognise(self, crops):
            calls.append(len(crops))
            return [Recognition("7" if c.allowed else "テスト", 0.5) for c in crops]

    register_engine("upper-test")(lambda **options: Upper())
    reader = PageReader(engine="upper-test", second=None)
    assert reader.engine.name == "upper"


def test_tesseract_reads_a_digit():
    engine = get_engine("tesseract")
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (60, 80), 255)
    font = ImageFont.truetype("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf", 48)
    ImageDraw.Draw(image).text((30, 40), "4", font=font, fill=0, anchor="mm")
    [result] = engine.recognise([Crop(np.asarray(image), allowed="0123456789", single=True)])
    assert result.text == "4"
