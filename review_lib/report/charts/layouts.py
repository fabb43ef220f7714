"""Layouts worked out once and used again by charts that would work out the same one.

A chart laid out by matplotlib's constrained layout spends much of its time measuring every
text around its axes (about 40 ms for the case profile of a 20-case review, a sixth of the
chart). At national scale the same layout is worked out again and again: every council's
case profile has the same 20 case pseudonyms down its side, the same scale and legend, and
one of a few sets of overall judgements beside it.

A chart that knows what its layout depends on passes that as a key to :func:`lay_out`: the
first figure with the key is laid out by its engine, and the axes' position is kept; the
next figure with the same key (and the same figure size, resolution, layout settings and
drawing style) is given that position without measuring anything. A key must hold all that
moves the layout: the text of every label outside the axes, in any order where only their
widest matters.

The same key says what looks the same from chart to chart: the chart names those parts (the
axes' background, the x axis with its grid, the spines, the legend). A report's chart
(:func:`review_lib.report.html.chart_html`) is then drawn by :func:`png_on_kept_background`:
those parts are drawn once per key and kept as pixels, and each chart draws the rest over
them, in the order a full draw takes. No unchanging part drawn after a changing one may
cover it: the x axis and grid lie beneath the bars, the legend and the spines beside them.

Tests check the pictures are the same, pixel for pixel, as full draws of charts laid out
afresh.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.text import Text
from matplotlib.transforms import Bbox

#: Layouts kept per process (a few per chart and review size), most recently used last.
_MAX_LAYOUTS = 256
_positions: OrderedDict[tuple, Bbox] = OrderedDict()
#: Pixels of the unchanging parts, per layout and resolution: up to 7 MB each.
_MAX_BACKGROUNDS = 12
_backgrounds: OrderedDict[tuple, object] = OrderedDict()
#: The attribute of a figure laid out by key that holds the key, its Axes, its unchanging
#: parts and whether the layout was kept from before (on the figure, not in a table here,
#: so that it goes with the figure).
_ATTRIBUTE = "_practice_review_layout"


def text_box(text: Text) -> tuple[float, float, float, float]:
    """A text's box in display pixels, relative to its anchor point.

    Parameters
    ----------
    text : matplotlib.text.Text
        A text on a figure.

    Returns
    -------
    tuple of float
        ``(x0, y0, x1, y1)`` less the anchor's display position: what the text adds around
        the point it is placed at, wherever that is (its string, font and alignment).
    """
    figure = text.get_figure(root=True)
    box = text.get_window_extent(figure.canvas.get_renderer())
    x, y = text.get_transform().transform(text.get_unitless_position())
    return (box.x0 - x, box.y0 - y, box.x1 - x, box.y1 - y)


def lay_out(figure: Figure, ax: Axes, key: tuple | None,
            unchanging: Sequence[Artist] = ()) -> None:
    """Lay out a figure so that its labels can be fitted, and mark it as laid out.

    A one-axes figure with a constrained layout is laid out by its engine, or given the
    layout kept for ``key``; any other is drawn without rendering. Either way it joins
    :data:`~review_lib.report.charts.base.LAID_OUT`, so it is saved on this layout.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure.
    ax : matplotlib.axes.Axes
        The Axes the chart drew on.
    key : tuple or None
        What the layout depends on besides the figure's size and resolution, the engine's
        settings and the drawing style (rcParams), which are added here; None to lay out
        afresh and keep nothing.
    unchanging : sequence of matplotlib.artist.Artist, optional
        The parts of the chart (children of ``ax``) drawn the same in every chart with this
        key, which :func:`png_on_kept_background` draws once; none by default.
    """
    from review_lib.report.charts.base import LAID_OUT

    LAID_OUT.add(figure)
    engine = figure.get_layout_engine()
    if not isinstance(engine, ConstrainedLayoutEngine):
        figure.draw_without_rendering()
        return
    if key is None or figure.axes != [ax]:
        engine.execute(figure)  # the layout alone: measuring needs nothing drawn
        return
    from review_lib.report.chart_cache import drawing_environment

    settings = engine.get()
    full_key = (key, tuple(figure.get_size_inches()), float(figure.dpi),
                tuple(sorted((name, repr(value)) for name, value in settings.items())),
                drawing_environment())
    position = _positions.get(full_key)
    if unchanging:
        setattr(figure, _ATTRIBUTE, (full_key, ax, tuple(unchanging), position is not None))
    if position is None:
        engine.execute(figure)
        _positions[full_key] = ax.get_position(original=False).frozen()
        while len(_positions) > _MAX_LAYOUTS:
            _positions.popitem(last=False)
        return
    _positions.move_to_end(full_key)
    ax.set_position(position)  # as the engine places it: both positions
    ax.set_in_layout(True)  # set_position takes an Axes out of the layout; put it back


def png_on_kept_background(figure: Figure, dpi: int = 150) -> bytes | None:
    """The PNG of a chart just drawn, with its unchanging parts from a kept background.

    For a figure laid out by :func:`lay_out` with its unchanging parts named, and not
    changed since: the PNG :func:`review_lib.report.html.png_data` would write, pixel for
    pixel. The first chart of a layout draws the unchanging parts alone and keeps the
    pixels; each chart then draws everything else over them.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure, as its chart function returned it.
    dpi : int, default 150
        Resolution.

    Returns
    -------
    bytes or None
        The PNG; None for a figure laid out without named unchanging parts, or the first
        of its layout (the caller then draws it in full: a background is kept only for a
        layout that has come round again), or one that ``png_data`` would not draw in one
        pass (``savefig`` settings that change its pixels).
    """
    from review_lib.report.charts.base import literal_params
    from review_lib.report.charts.png import agg_canvas, encode_png, one_pass_allowed

    entry = figure.__dict__.pop(_ATTRIBUTE, None)
    if entry is None or not entry[3]:  # not laid out by key, or the first of its layout
        return None
    full_key, ax, unchanging, _ = entry
    changing = [artist for artist in ax.get_children()
                if artist is not ax.patch and artist not in unchanging
                and artist.get_visible()]
    with literal_params():
        if not one_pass_allowed(figure):
            return None
        with agg_canvas(figure, dpi) as canvas:
            size = (dpi, canvas.get_width_height())
            background = _backgrounds.get((full_key, size))
            if background is None:
                with _hidden(changing):
                    canvas.draw()
                background = canvas.copy_from_bbox(figure.bbox)
                _backgrounds[(full_key, size)] = background
                while len(_backgrounds) > _MAX_BACKGROUNDS:
                    _backgrounds.popitem(last=False)
            _backgrounds.move_to_end((full_key, size))
            canvas.restore_region(background)
            with _hidden([figure.patch, ax.patch, *unchanging]):
                figure.draw(canvas.get_renderer())  # the rest, in a full draw's order
            return encode_png(canvas.buffer_rgba(), dpi)


class _hidden:
    """Artists made invisible for a while (those visible at the start)."""

    def __init__(self, artists):
        self.artists = [artist for artist in artists if artist.get_visible()]

    def __enter__(self):
        for artist in self.artists:
            artist.set_visible(False)

    def __exit__(self, *exc):
        for artist in self.artists:
            artist.set_visible(True)


def forget_layouts() -> None:
    """Drop every kept layout, background and figure (tests; a change of fonts on disk)."""
    _positions.clear()
    _backgrounds.clear()
    _kept_figures.clear()


# --------------------------------------------------------------------------- kept figures

#: Figures kept to draw the next chart of the same frame on, per frame: the first few only,
#: and never replaced, so that none is dropped (a dropped figure is cyclic garbage, which a
#: batch worker may have frozen with its caches, and would never be freed).
_MAX_KEPT_FIGURES = 8
_kept_figures: dict[tuple, KeptFigure] = {}
_reusing = False


class KeptFigure:
    """A chart's figure with its frame drawn, kept to draw the next chart of the frame on.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The chart's Axes, alone on its figure.
    frame : sequence of matplotlib.artist.Artist, optional
        The children of ``ax`` that belong to the frame and stay (a heading over a column
        of labels, say); every other child is the chart's data, removed before the next.

    Notes
    -----
    The next chart sets its own tick labels and title on the frame, and lays the figure out
    with :func:`lay_out`: with the layout kept for its key, or afresh when it has none, so
    a longer label or title moves the axes as it would on a new figure.
    """

    def __init__(self, ax: Axes, frame: Sequence[Artist] = ()):
        self.ax = ax
        self.frame = tuple(frame)

    def clear(self) -> Axes:
        """Remove every child but the frame's, as before the chart's data was drawn."""
        ax = self.ax
        for container in list(ax.containers):
            container.remove()
        for artist in [*ax.patches, *ax.texts, *ax.lines, *ax.collections, *ax.images]:
            if not any(artist is kept for kept in self.frame):
                artist.remove()
        # Back where a new figure puts its Axes: a layout worked out afresh starts from
        # there (its second pass measures texts placed relative to the Axes).
        ax.set_position(ax.get_subplotspec().get_position(ax.figure))
        ax.set_in_layout(True)  # set_position takes an Axes out of the layout
        return ax


class reused_figures:
    """While open, charts that can draw on a figure kept from an earlier chart do so.

    Only :func:`review_lib.report.html.chart_html` opens it, around drawing a chart that it
    renders and closes at once: a chart called by anyone else always gets a figure of its
    own.
    """

    def __enter__(self):
        global _reusing
        self._previous, _reusing = _reusing, True
        return self

    def __exit__(self, *exc):
        global _reusing
        _reusing = self._previous


def _full(key: tuple) -> tuple:
    from review_lib.report.chart_cache import drawing_environment

    return (key, drawing_environment())  # any change of style builds new frames


def take_kept_figure(key: tuple) -> KeptFigure | None:
    """The figure kept for ``key``, cleared of its last chart's data, if there is one.

    Parameters
    ----------
    key : tuple
        Everything the chart's frame depends on (the number of rows, the scale, the x
        label), without the drawing style, which is added here. Tick labels and the title
        are not in it: each chart sets its own.

    Returns
    -------
    KeptFigure or None
        None outside :class:`reused_figures`, or when none is kept for the key. It is the
        caller's until given back with :func:`keep_figure`.
    """
    if not _reusing:
        return None
    kept = _kept_figures.pop(_full(key), None)
    if kept is not None:
        kept.clear()
    return kept


def keep_figure(key: tuple, kept: KeptFigure) -> None:
    """Keep (or give back) a chart's figure for the next chart with the same frame.

    Kept only inside :class:`reused_figures`, while fewer than :data:`_MAX_KEPT_FIGURES`
    are kept and none is kept for the key: a kept figure is never dropped.

    Parameters
    ----------
    key : tuple
        As for :func:`take_kept_figure`.
    kept : KeptFigure
        The figure and its frame.
    """
    full_key = _full(key)
    if (_reusing and full_key not in _kept_figures
            and len(_kept_figures) < _MAX_KEPT_FIGURES):
        _kept_figures[full_key] = kept
