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
widest matters. Tests check the pictures are the same, pixel for pixel, as when each is laid
out afresh.
"""

from __future__ import annotations

from collections import OrderedDict

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.text import Text
from matplotlib.transforms import Bbox

#: Layouts kept per process (a few per chart and review size), most recently used last.
_MAX_LAYOUTS = 256
_positions: OrderedDict[tuple, Bbox] = OrderedDict()


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


def lay_out(figure: Figure, ax: Axes, key: tuple | None) -> None:
    """Lay out a one-axes figure by its constrained layout engine, or as before for ``key``.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure, with a :class:`~matplotlib.layout_engine.ConstrainedLayoutEngine`.
    ax : matplotlib.axes.Axes
        Its only Axes.
    key : tuple or None
        What the layout depends on besides the figure's size and resolution, the engine's
        settings and the drawing style (rcParams), which are added here; None to lay out
        afresh and keep nothing.
    """
    engine = figure.get_layout_engine()
    if not isinstance(engine, ConstrainedLayoutEngine):
        raise TypeError("lay_out needs a figure with a constrained layout")
    if key is None or figure.axes != [ax]:
        engine.execute(figure)
        return
    from review_lib.report.chart_cache import drawing_environment

    settings = engine.get()
    full_key = (key, tuple(figure.get_size_inches()), float(figure.dpi),
                tuple(sorted((name, repr(value)) for name, value in settings.items())),
                drawing_environment())
    position = _positions.get(full_key)
    if position is None:
        engine.execute(figure)
        _positions[full_key] = ax.get_position(original=False).frozen()
        while len(_positions) > _MAX_LAYOUTS:
            _positions.popitem(last=False)
        return
    _positions.move_to_end(full_key)
    ax.set_position(position)  # as the engine places it: both positions
    ax.set_in_layout(True)  # set_position takes an Axes out of the layout; put it back


def forget_layouts() -> None:
    """Drop every kept layout (tests; a change of fonts on disk)."""
    _positions.clear()
