"""The charts' PNG files: matplotlib's own, their size read from the header."""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from PIL import Image

from review_lib.report.charts.png import png_size
from review_lib.report.html import png_data


def test_png_size_reads_the_header_as_pillow_does():
    figure = Figure(figsize=(2, 1))
    figure.add_subplot().plot([0, 1], [1, 0])
    data = png_data(figure, dpi=100)  # no layout: cropped to what is drawn
    width, height = Image.open(io.BytesIO(data)).size
    assert png_size(data) == (width, height)
    assert png_size(b"GIF89a" + bytes(30)) is None


def test_a_png_names_no_software_and_keeps_its_resolution():
    figure = Figure(figsize=(2, 1), layout="constrained")
    figure.add_subplot().bar([0, 1], [2, 3])
    data = png_data(figure, dpi=150)
    image = Image.open(io.BytesIO(data))
    assert image.size == (300, 150)  # a figure with a layout is saved whole, not cropped
    assert "Software" not in image.info
    assert round(image.info["dpi"][0]) == 150
