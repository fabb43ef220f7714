"""The charts' PNG writer, read back by Pillow and compared with the canvas pixel by pixel."""

from __future__ import annotations

import io
import zlib

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from review_lib.report.charts.png import encode_png, png_size


def _read(png: bytes) -> Image.Image:
    checked = Image.open(io.BytesIO(png))
    checked.verify()  # Pillow checks the chunks' CRCs and structure
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_an_opaque_image_is_written_as_rgb_with_the_same_pixels():
    rng = np.random.default_rng(7)
    rgba = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    image = _read(encode_png(rgba, 150))
    assert image.mode == "RGB"
    assert image.size == (53, 37)
    assert np.array_equal(np.asarray(image), rgba[..., :3])
    assert image.info["dpi"] == pytest.approx((150, 150), abs=0.05)  # whole pixels per metre


def test_an_image_with_transparency_keeps_its_alpha():
    rng = np.random.default_rng(8)
    rgba = rng.integers(0, 256, size=(20, 11, 4), dtype=np.uint8)
    rgba[0, 0, 3] = 254
    image = _read(encode_png(rgba, 96))
    assert image.mode == "RGBA"
    assert np.array_equal(np.asarray(image), rgba)
    assert image.info["dpi"] == pytest.approx((96, 96), abs=0.05)  # whole pixels per metre


def test_a_drawn_chart_reads_back_as_matplotlibs_own_png_of_it():
    figure = Figure(figsize=(3, 2), dpi=120)
    ax = figure.subplots()
    ax.bar(["Inadequate", "Good"], [3, 17], hatch="//", color="#12436D")
    ax.set_title("Twenty case records")
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    ours = _read(encode_png(canvas.buffer_rgba(), 120))
    buffer = io.BytesIO()
    with matplotlib.rc_context({"savefig.dpi": 120}):
        figure.savefig(buffer, format="png")  # matplotlib's writer (Pillow's encoder)
    theirs = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    assert np.array_equal(np.asarray(ours), theirs)


def test_the_file_is_one_idat_of_unfiltered_rows():
    rgba = np.full((4, 5, 4), 255, np.uint8)
    png = encode_png(rgba, 150)
    start = png.index(b"IDAT") + 4
    length = int.from_bytes(png[start - 8:start - 4], "big")
    rows = zlib.decompress(png[start:start + length])
    assert len(rows) == 4 * (1 + 5 * 3)
    assert rows[::16] == b"\x00" * 4  # filter type None before each row
    assert png.endswith(b"IEND\xaeB`\x82")


@pytest.mark.parametrize("bad", [np.zeros((0, 4, 4), np.uint8), np.zeros((3, 3, 3), np.uint8),
                                 np.zeros((3, 3, 4), np.float32)])
def test_anything_but_rgba_bytes_is_refused(bad):
    with pytest.raises(ValueError, match="RGBA"):
        encode_png(bad, 150)


def test_png_size_reads_the_header_as_pillow_does():
    rgba = np.zeros((37, 81, 4), dtype=np.uint8)
    data = encode_png(rgba, 150)
    assert png_size(data) == Image.open(io.BytesIO(data)).size == (81, 37)
    assert png_size(b"GIF89a" + bytes(30)) is None


def test_isal_deflates_when_installed_and_zlib_writes_the_same_pixels(monkeypatch):
    from review_lib.report.charts import png

    pytest.importorskip("isal")
    assert png._deflate is not zlib and png.LEVEL == 2  # the suite's dependencies install it
    figure = Figure(figsize=(4, 3), dpi=150)
    figure.subplots().barh(["Q1", "Q2", "Q3"], [12, 5, 17], color="#28A197")
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    with_isal = encode_png(rgba, 150)
    monkeypatch.setattr(png, "_deflate", zlib)
    monkeypatch.setattr(png, "LEVEL", 3)
    with_zlib = encode_png(rgba, 150)
    assert with_isal != with_zlib  # two deflaters, two streams
    for data in (with_isal, with_zlib):
        assert np.array_equal(np.asarray(_read(data)), rgba[..., :3])
