"""Bar charts of one shared frame, drawn once and then redrawn bar by bar.

A leadership report has a small chart of every question: four bars of case records, each
labelled with its count and share, on the same axes, scale, ticks and axis labels as the
others (every question is scaled to the review's n). Drawing each from scratch costs about
65 ms, most of it laying out and rasterising text that is the same in every chart. At
national scale that is 1,800 charts a batch.

:func:`judgement_bars_png` draws the frame (axes, grid, ticks, axis labels) once per
figure size, scale and labels, keeps its pixels, and for each chart restores them and
draws only what differs: the bars, the spines above them, the count labels and the title,
in the order a full draw would. The picture is the same, pixel for pixel, as
:func:`review_lib.report.charts.judgement_bars` saved by
:func:`review_lib.report.html.png_data` (a test checks it). Anything that would move the
layout (a title too long for the frame, a count label outside the axes) is not redrawn
here: the caller then draws the chart in full.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg

from review_lib.analysis.summary import format_percent
from review_lib.report.charts.base import LEVELS_WORST_FIRST, literal_params
from review_lib.report.charts.png import encode_png

#: Frames kept per process: one list per scale and labels (a batch worker needs one per
#: review size for the questions, and one per largest bar for the overall judgements),
#: each holding a frame per title height seen.
_MAX_SCALES = 24
_FRAMES_PER_SCALE = 4
_frames: OrderedDict[tuple, list[_BarsFrame]] = OrderedDict()
#: Charts already drawn, by frame, title and counts: at national scale one question's
#: counts repeat from council to council (about a third of the charts). About 35 KB each.
_MAX_DRAWN = 1024
_drawn: OrderedDict[tuple, bytes] = OrderedDict()
#: How far (in pixels) a title's box may differ from the frame's before a full draw.
_TOLERANCE = 0.01


class _BarsFrame:
    """One drawn frame of :func:`judgement_bars`, and the artists redrawn on it."""

    def __init__(self, counts: pd.DataFrame, *, title: str, xlabel: str | None,
                 ylabel: str, size: tuple[float, float], ymax: int, dpi: int):
        import matplotlib.pyplot as plt

        from review_lib.report.charts.council import judgement_bars

        with literal_params():
            ax = judgement_bars(counts, title=title, xlabel=xlabel, ylabel=ylabel, size=size,
                                ymax=ymax)
        figure = ax.figure
        plt.close(figure)  # kept by this object only, never shown by pyplot
        figure.set_dpi(dpi)
        self.figure, self.ax = figure, ax
        self.canvas = FigureCanvasAgg(figure)
        self.bars = list(ax.patches)
        self.labels = [text for text in ax.texts
                       if str(text.get_gid() or "").startswith("bar-label:")]
        self.title = ax._left_title
        self.spines = [spine for spine in ax.spines.values() if spine.get_visible()]
        with literal_params():
            self.canvas.draw()  # the constrained layout, fixed from here on
            figure.set_layout_engine("none")
            renderer = self.canvas.get_renderer()
            self.title_box = self.title.get_window_extent(renderer)
            # Placed by each full draw of the axes; the background's draw (title hidden)
            # would move it.
            title_position = self.title.get_position()
            self.axes_box = ax.get_window_extent(renderer)
            self.title.set_visible(False)
            self.inner_box = ax.get_tightbbox(renderer)
            varying = [*self.bars, *self.labels, *self.spines]
            for artist in varying:
                artist.set_visible(False)
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(figure.bbox)
            for artist in [*varying, self.title]:
                artist.set_visible(True)
            self.title.set_position(title_position)
        # The order a full draw uses: by zorder, ties in the order of Axes.get_children.
        children = ax.get_children()
        redrawn = [*self.bars, *self.labels, *self.spines, self.title]
        self.order = sorted(redrawn, key=lambda a: (a.get_zorder(), children.index(a)))

    def render(self, values: pd.Series, title: str) -> bytes | None:
        """PNG bytes of the chart of ``values`` (counts, worst level first), or None."""
        total = int(values.sum())
        with literal_params():
            renderer = self.canvas.get_renderer()
            self.title.set_text(title)
            box = self.title.get_window_extent(renderer)
            # The layout sees the title only through the box of the axes and their texts.
            right = max(self.inner_box.x1, self.title_box.x1)
            if (abs(box.height - self.title_box.height) > _TOLERANCE
                    or abs(box.x0 - self.title_box.x0) > _TOLERANCE
                    or abs(max(self.inner_box.x1, box.x1) - right) > _TOLERANCE):
                return None  # this title would move the layout
            for index, (bar, label, count) in enumerate(zip(self.bars, self.labels, values,
                                                            strict=True)):
                bar.set_height(int(count))
                share = count / total if total else float("nan")
                label.set_text(f"{int(count)} ({format_percent(share, 0)})")
                label.xy = (index, int(count))
                extent = label.get_window_extent(renderer)
                if extent.y1 > self.axes_box.y1 or extent.y0 < self.axes_box.y0:
                    return None
            self.canvas.restore_region(self.background)
            for artist in self.order:
                artist.draw(renderer)
            pixels = np.asarray(self.canvas.buffer_rgba())
        return encode_png(pixels, int(self.figure.dpi))


def judgement_bars_png(counts: pd.DataFrame, *, title: str | None = None,
                       xlabel: str | None = None, ylabel: str = "Number of cases",
                       size: tuple[float, float] = (6.5, 4.0), ymax: int | None = None,
                       dpi: int = 150) -> bytes | None:
    """The PNG of :func:`~review_lib.report.charts.judgement_bars`, redrawn on a kept frame.

    Parameters
    ----------
    counts : pandas.DataFrame
        Indexed by level with a ``count`` column, as for ``judgement_bars``.
    title, xlabel, ylabel, size, ymax
        As for ``judgement_bars``. Only charts with a title share a frame. A chart
        without ``ymax`` is scaled to its largest bar, and without ``xlabel`` labelled
        with its total, as ``judgement_bars`` does: it shares the frame of the charts with
        that scale and label.
    dpi : int, default 150
        Resolution, as for :func:`review_lib.report.html.png_data`.

    Returns
    -------
    bytes or None
        The PNG, identical to a full draw; None when this chart cannot share a frame (no
        title, or a title or label that would move the layout), so the caller draws it in
        full.
    """
    if not title:
        return None
    values = counts["count"].reindex(list(LEVELS_WORST_FIRST), fill_value=0).astype(int)
    if ymax is None:  # judgement_bars' own scale: the largest bar (at least 1)
        ymax = max(int(values.max()), 1)
    if xlabel is None:  # and its own label
        xlabel = f"Overall judgement (n={int(values.sum())} cases)"
    if int(values.max()) > int(ymax):
        return None
    from review_lib.report.chart_cache import drawing_environment

    # Any change of style (rcParams) draws new frames.
    key = (xlabel, ylabel, tuple(size), int(ymax), dpi, drawing_environment())
    drawn = (key, title, tuple(int(v) for v in values))
    if drawn in _drawn:  # the same chart, for another council
        _drawn.move_to_end(drawn)
        return _drawn[drawn]
    png = _render(key, counts, values, title, xlabel, ylabel, size, int(ymax), dpi)
    if png is not None:
        _drawn[drawn] = png
        while len(_drawn) > _MAX_DRAWN:
            _drawn.popitem(last=False)
    return png


def _render(key: tuple, counts: pd.DataFrame, values: pd.Series, title: str,
            xlabel: str | None, ylabel: str, size: tuple[float, float], ymax: int,
            dpi: int) -> bytes | None:
    frames = _frames.setdefault(key, [])
    _frames.move_to_end(key)
    for frame in frames:
        png = frame.render(values, title)
        if png is not None:
            return png
    # A title of another height (or wider than the frame's) has a layout of its own.
    frame = _BarsFrame(counts, title=title, xlabel=xlabel, ylabel=ylabel, size=size,
                       ymax=ymax, dpi=dpi)
    frames.insert(0, frame)
    del frames[_FRAMES_PER_SCALE:]
    while len(_frames) > _MAX_SCALES:
        _frames.popitem(last=False)
    return frame.render(values, title)


def redrawn_png(chart, args: tuple, kwargs: dict) -> bytes | None:
    """The PNG of ``chart(*args, **kwargs)`` by a quicker way to the same pixels, if any.

    Parameters
    ----------
    chart : callable
        A chart function of :mod:`review_lib.report.charts`.
    args : tuple
        Its positional arguments.
    kwargs : dict
        Its keyword arguments.

    Returns
    -------
    bytes or None
        The PNG, or None when the chart has no quicker way or this one cannot take it (the
        caller then draws it in full).
    """
    from review_lib.report.charts.council import judgement_bars

    if chart is judgement_bars and len(args) == 1 and "ax" not in kwargs:
        return judgement_bars_png(*args, **kwargs)
    return None
