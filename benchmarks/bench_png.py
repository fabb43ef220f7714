"""Time the ways of writing a report chart's PNG: matplotlib's savefig against hand-written ones.

For four charts of a sample leadership report (the case profile, the chart of every
question, the figure of question panels and the funnel position), drawn once each, prints
the median of ``--repeats`` timings of:

- ``png_data``: :func:`review_lib.report.html.png_data` as it is: matplotlib's ``savefig``
  (Pillow's writer, its quickest compression), with a chart's kept layout saved as a
  figure without a layout engine, so that ``savefig`` draws it once;
- ``savefig, two passes``: plain ``savefig``, which draws a figure with any layout engine
  twice (first to lay it out, without rendering);
- ``savefig, compress_level=1``: the same, with Pillow's quickest compression (``png_data``
  but drawing twice);
- ``one Agg draw + own writer``: the hand-written path the suite used to have: one draw on
  an Agg canvas, then unfiltered rows deflated in one go (``isal`` where installed, as
  ``report/charts/png.py`` did), with PNG size.

Each chart is drawn afresh before every timing (the chart function is not timed).

Usage: ``.venv/bin/python benchmarks/bench_png.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import struct
import time
import zlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from review_lib.report import charts
from review_lib.report.charts.base import _root_figure, literal_params
from review_lib.report.context import open_review
from review_lib.report.html import png_data

try:
    from isal import isal_zlib as deflate
except ImportError:
    deflate = zlib


def own_png(figure, dpi: int = 150) -> bytes:
    """The hand-written path: one draw on an Agg canvas, rows unfiltered, one IDAT."""
    figure.set_dpi(dpi)
    canvas = FigureCanvasAgg(figure)
    with literal_params():
        canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())
    height, width = pixels.shape[:2]
    rows = np.zeros((height, 1 + width * 3), np.uint8)
    body = rows[:, 1:].reshape(height, width, 3)
    for channel in range(3):
        body[..., channel] = pixels[..., channel]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind))))

    return b"".join([b"\x89PNG\r\n\x1a\n",
                     chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
                     chunk(b"IDAT", deflate.compress(rows, 2 if deflate is not zlib else 3)),
                     chunk(b"IEND", b"")])


def plain_savefig(figure, dpi: int = 150) -> bytes:
    buffer = io.BytesIO()
    with literal_params():
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None},
                       bbox_inches=None if figure.get_layout_engine() else "tight")
    return buffer.getvalue()


def quick_savefig(figure, dpi: int = 150) -> bytes:
    buffer = io.BytesIO()
    with literal_params():
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None},
                       pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


WAYS = {"png_data (one pass, level 1)": png_data, "savefig, two passes": plain_savefig,
        "savefig, compress_level=1": quick_savefig,
        "one Agg draw + own writer": own_png}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    context = open_review("Dudley", "2022-24")
    results = context.results
    position = results.position
    drawn = {
        "case profile (20 cases)": lambda: charts.case_profile(results.case_records,
                                                               title="Cases"),
        "every question (12 bars)": lambda: charts.diverging_bars(results.questions,
                                                                  title="Questions"),
        "question panels (12)": lambda: charts.question_panels(results.questions),
    }
    if position is not None:
        drawn["funnel position"] = lambda: charts.funnel_plot(position.funnels.judgements,
                                                             highlight="Dudley", title="Funnel")
    print(f"{'chart':<26}" + "".join(f"{way:>31}" for way in WAYS) + "   PNG sizes (KB)")
    totals = dict.fromkeys(WAYS, 0.0)
    for name, draw in drawn.items():
        medians, sizes = [], []
        for write in WAYS.values():
            times = []
            for _ in range(args.repeats):
                figure = _root_figure(draw())
                start = time.perf_counter()
                data = write(figure)
                times.append(time.perf_counter() - start)
                plt.close(figure)
            medians.append(statistics.median(times))
            sizes.append(len(data) / 1024)
        for way, value in zip(WAYS, medians, strict=True):
            totals[way] += value
        print(f"{name:<26}" + "".join(f"{m * 1000:>28.1f} ms" for m in medians)
              + "   " + ", ".join(f"{s:.0f}" for s in sizes))
    print(f"{'total':<26}" + "".join(f"{t * 1000:>28.1f} ms" for t in totals.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
