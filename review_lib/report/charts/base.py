"""Palette, text colours and shared drawing helpers for every chart."""

from __future__ import annotations

import contextlib
import functools
import math
import os
import textwrap
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure, SubFigure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import offset_copy

from review_lib.data.scale import GOOD_OR_BETTER, LEVELS

#: The Government Analysis Function accessible categorical palette, in its published order.
PALETTE: tuple[str, ...] = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")

#: Focus colours (highlight and context) from the same guidance.

FOCUS_COLOUR = "#12436D"
CONTEXT_COLOUR = "#BFBFBF"

#: Colour of each level. Dark blue and light turquoise above the split, light orange and
#: dark maroon below it: the outer levels are dark and the inner ones light, so the scale
#: also reads by lightness (and by side of zero) when printed in grey.
LEVEL_COLOURS: dict[str, str] = {
    "Outstanding": "#12436D",
    "Good": "#28A197",
    "Requires Improvement": "#F46A25",
    "Inadequate": "#801650",
}

#: Hatching of each level: the negative side is hatched, so colour is never the only cue.
LEVEL_HATCHES: dict[str, str] = {
    "Outstanding": "",
    "Good": "",
    "Requires Improvement": "///",
    "Inadequate": "xxx",
}

#: Levels drawn to the right of zero (nearest zero first) and to the left of it.
POSITIVE_LEVELS: tuple[str, ...] = ("Good", "Outstanding")
NEGATIVE_LEVELS: tuple[str, ...] = ("Requires Improvement", "Inadequate")

#: Left-to-right order of the scale, as the diverging bars lay it out.
LEVELS_WORST_FIRST: tuple[str, ...] = tuple(reversed(LEVELS))

_TEXT_DARK = "#0B0C0C"
_TEXT_LIGHT = "#FFFFFF"
_AXIS_COLOUR = "#3D3D3D"
_FIG_WIDTH = 8.0
_ROW_HEIGHT = 0.42
_FIG_OVERHEAD = 1.7
_LABEL_WIDTH = 38
_SEGMENT_FONT = 8.5
_TITLE_PAD = 30  # points: room for the legend between the title and the axes


# --------------------------------------------------------------------------- helpers


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a ``#RRGGBB`` colour."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


#: Text from the data (council names, question labels, auditor names) is drawn as written:
#: never as mathtext (``$...$``) or TeX.
LITERAL_TEXT = {"text.parse_math": False, "text.usetex": False}


@contextlib.contextmanager
def literal_params():
    """Draw text literally inside the block, and change no other setting of matplotlib's.

    :func:`matplotlib.rc_context` would restore *every* setting on leaving, including those
    set inside it by others: the first chart drawn in a Jupyter kernel imports pyplot and
    picks the inline backend there, and IPython then turns on interactive mode, which
    ``rc_context`` turned off again on leaving (so later plain ``plt.subplots()`` figures
    were never shown). Only :data:`LITERAL_TEXT`'s own settings are put back.

    Yields
    ------
    None
    """
    saved = {key: matplotlib.rcParams[key] for key in LITERAL_TEXT}
    matplotlib.rcParams.update(LITERAL_TEXT)
    try:
        yield
    finally:
        matplotlib.rcParams.update(saved)


def literal_text(chart):
    """Run a chart function so that every text it creates is drawn literally.

    Matplotlib reads ``$...$`` in any text as mathtext, so a council called ``$Ash$``, or a
    question label with two dollar signs, would be typeset (or fail to draw). Texts take
    their ``parse_math`` setting when they are made, so the function runs inside
    :data:`LITERAL_TEXT`; the figure is saved under it too (:func:`save_figure`,
    :func:`review_lib.report.png_data`), for the tick labels drawn then.

    Parameters
    ----------
    chart : callable
        A chart function returning Axes.

    Returns
    -------
    callable
        The same function, wrapped.
    """
    @functools.wraps(chart)
    def drawn_literally(*args, **kwargs):
        with literal_params():
            return chart(*args, **kwargs)

    return drawn_literally


def text_colour_for(background: str) -> str:
    """Near-black or white, whichever contrasts more with a background colour.

    Parameters
    ----------
    background : str
        A ``#RRGGBB`` colour.

    Returns
    -------
    str
        ``"#0B0C0C"`` or ``"#FFFFFF"``.
    """
    if _contrast(background, _TEXT_DARK) >= _contrast(background, _TEXT_LIGHT):
        return _TEXT_DARK
    return _TEXT_LIGHT


def level_handles() -> list[Patch]:
    """Legend handles for all four levels, worst to best (the bars' left-to-right order).

    Returns
    -------
    list of matplotlib.patches.Patch
        One handle per level with its colour and hatching, labelled with the level name.
    """
    return [Patch(facecolor=LEVEL_COLOURS[level], edgecolor="white",
                  hatch=LEVEL_HATCHES[level], label=level)
            for level in LEVELS_WORST_FIRST]


def _level_legend(ax: Axes) -> None:
    """All four levels, always, in one row above the axes (never over the bars)."""
    ax.legend(handles=level_handles(), loc="lower center", bbox_to_anchor=(0.5, 1.0),
              ncols=4, frameon=False, fontsize=9, handlelength=1.6, handleheight=1.1,
              borderaxespad=0.4, columnspacing=1.4)
    ax.heading_pad = _TITLE_PAD  # a title set later stays above the legend (ChartAxes)


#: A chart's own heading: on the left, in bold, as the Analysis Function's charts have it.
HEADING_STYLE = {"fontsize": 11, "fontweight": "bold"}


class ChartAxes(Axes):
    """The Axes of a chart that made its own figure: a title set on it replaces the chart's.

    Charts put their heading on the left, some with their legend between it and the
    bars. Matplotlib's ``ax.set_title("...")`` puts a title in the centre, a few points
    above the bars, which printed it over the chart's heading and legend. Here a title
    given without ``loc`` takes the heading's place (left, bold, clear of the legend), and
    one given with ``loc`` keeps that clearance; everything else is matplotlib's own
    :meth:`~matplotlib.axes.Axes.set_title`.

    Attributes
    ----------
    heading_pad : float or None
        Points between the top of the Axes and the title (room for a legend drawn
        there); None for matplotlib's default.
    """

    heading_pad: float | None = None

    def set_title(self, label, fontdict=None, loc=None, pad=None, **kwargs):
        """Set a title: without ``loc``, the chart's heading (see the class docstring).

        Parameters
        ----------
        label : str
            The title.
        fontdict : dict, optional
            As for :meth:`matplotlib.axes.Axes.set_title`.
        loc : {"left", "center", "right"}, optional
            Where; the chart's heading place (left) by default.
        pad : float, optional
            Points above the Axes; the room the chart keeps for its legend by default.
        **kwargs
            Text properties, as for :meth:`matplotlib.axes.Axes.set_title`.

        Returns
        -------
        matplotlib.text.Text
            The title.
        """
        if loc is None:
            loc = "left"
            if fontdict is None:
                kwargs = {**HEADING_STYLE, **kwargs}
        if pad is None and self.heading_pad is not None:
            pad = self.heading_pad
        return super().set_title(label, fontdict, loc=loc, pad=pad, **kwargs)


#: ``plt.subplots(subplot_kw=CHART_AXES, ...)``: a chart's own figure has ChartAxes.
CHART_AXES = {"axes_class": ChartAxes}


def _root_figure(artist) -> Figure:
    """The figure a chart drew on: from a Figure, SubFigure, Axes or seaborn grid."""
    figure = artist if isinstance(artist, Figure | SubFigure) else artist.figure
    while isinstance(figure, SubFigure):
        figure = figure.figure
    return figure


def _new_axes(n_rows: int, width: float = _FIG_WIDTH, lines: int = 1) -> Axes:
    # Tick labels wrapped onto three or more lines need taller rows to stay apart.
    row = max(_ROW_HEIGHT, 0.16 * lines + 0.1)
    height = _FIG_OVERHEAD + row * max(n_rows, 1)
    _, ax = plt.subplots(figsize=(width, height), layout="constrained",
                         subplot_kw=CHART_AXES)
    return ax


def _as_level_frame(data: pd.DataFrame) -> pd.DataFrame:
    """Accept a summary frame (a row per group) or a ``level_counts`` frame (a row per level).

    A ``level_counts`` table (index the four levels, a ``count`` column) becomes a single
    row, so a whole review's ratings or judgements draw as one diverging bar.
    """
    if "count" in data.columns and set(data.index) <= set(LEVELS):
        counts = data["count"].reindex(list(LEVELS), fill_value=0).astype(int)
        row = pd.DataFrame([counts.to_numpy()], columns=list(LEVELS),
                           index=pd.Index(["All"], name=data.index.name))
        row["n"] = int(counts.sum())
        return _add_share(row)
    missing = [level for level in LEVELS if level not in data.columns]
    if missing:
        raise ValueError(f"the frame needs a column for each level; missing {missing}")
    frame = data.copy()
    frame[list(LEVELS)] = frame[list(LEVELS)].fillna(0).astype(int)
    if "n" not in frame:
        frame["n"] = frame[list(LEVELS)].sum(axis=1)
    return _add_share(frame)


def _add_share(frame: pd.DataFrame) -> pd.DataFrame:
    if "share_good" not in frame:
        good = frame[list(GOOD_OR_BETTER)].sum(axis=1)
        frame["share_good"] = good / frame["n"].where(frame["n"] > 0)
    return frame


def _names(frame: pd.DataFrame, labels: Sequence[str] | Mapping[object, str] | None
           ) -> list[str]:
    """What each row is called in ticks and alt text: ``"Q3 Community assets"`` or the index."""
    if labels is None:
        if "label" in frame:
            return [f"{key} {label}" if pd.notna(label) and str(label) != str(key) else str(key)
                    for key, label in zip(frame.index, frame["label"], strict=True)]
        return [str(key) for key in frame.index]
    if isinstance(labels, Mapping):
        return [str(labels.get(key, key)) for key in frame.index]
    labels = list(labels)
    if len(labels) != len(frame):
        raise ValueError(f"got {len(labels)} labels for {len(frame)} rows")
    return [str(label) for label in labels]


def _short_names(frame: pd.DataFrame, labels: Sequence[str] | Mapping[object, str] | None
                 ) -> list[str]:
    """Names for sentences: the short label alone where there is one ("Community assets")."""
    if labels is None and "label" in frame:
        return [str(label) if pd.notna(label) else str(key)
                for key, label in zip(frame.index, frame["label"], strict=True)]
    return _names(frame, labels)


def _tick_label(name: str, n: int, not_applicable: int = 0, extra: str = "") -> str:
    detail = f"n={n}" if not extra else f"{extra}, n={n}"
    if not_applicable:
        detail += f", {not_applicable} N/A"
    lines = textwrap.wrap(name.strip(), _LABEL_WIDTH) or [""]
    # "(n=...)" stays whole: on the last line of the name if it fits, else on its own.
    if len(lines[-1]) + len(detail) + 3 <= _LABEL_WIDTH:
        lines[-1] = f"{lines[-1]} ({detail})".strip()
    else:
        lines.append(f"({detail})")
    return "\n".join(lines)


def _percent_axis(ax: Axes, limit: float, xlabel: str) -> None:
    step = 25 if limit >= 100 else 20 if limit > 40 else 10
    ax.set_xticks(np.arange(-limit, limit + 0.001, step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{abs(x):.0f}%"))
    ax.set_xlabel(xlabel)


def _style(ax: Axes) -> None:
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(_AXIS_COLOUR)
    ax.tick_params(axis="y", length=0)
    ax.tick_params(axis="x", colors=_AXIS_COLOUR)
    ax.grid(axis="x", color=CONTEXT_COLOUR, linewidth=0.6)
    ax.set_axisbelow(True)


#: Room round a number on a hatched segment, in font sizes (as matplotlib's box pad).
_BACKING_PAD = 0.12


def _segment_text(ax: Axes, x: float, y: float, text: str, level: str) -> Text:
    colour = LEVEL_COLOURS[level]
    # On a hatched segment, _fit_labels puts a patch of plain colour behind the number.
    label = ax.text(x, y, text, ha="center", va="center", fontsize=_SEGMENT_FONT,
                    color=text_colour_for(colour), gid=f"segment-label:{level}")
    # Inside the axes once fitted (moved or dropped otherwise): the layout need not see it.
    label.set_in_layout(False)
    return label


def _format_percent_label(value: float) -> str:
    return "<1%" if 0 < value < 0.5 else f"{value:.0f}%"


@dataclass
class _SegmentLabel:
    text: Text
    patch: Rectangle
    outermost: bool  # the last segment on its side of zero, so there is room beyond it
    sign: int
    end: float
    level: str


def _draw_diverging(ax: Axes, values: pd.DataFrame, tick_labels: list[str], *,
                    fmt: Callable[[float], str], limit: float) -> list[_SegmentLabel]:
    """Draw one diverging stacked bar per row of ``values`` (level columns, any unit).

    Every non-empty segment gets a label; :func:`_fit_labels` later moves or drops the
    ones that do not fit, once the figure's layout is known.
    """
    y = np.arange(len(values))
    labels: list[_SegmentLabel] = []
    for side, sign in ((POSITIVE_LEVELS, 1), (NEGATIVE_LEVELS, -1)):
        start = np.zeros(len(values))
        side_values = np.nan_to_num(values[list(side)].to_numpy(dtype=float))
        outermost = [max((i for i, w in enumerate(row) if w > 0), default=-1)
                     for row in side_values]
        for index, level in enumerate(side):
            widths = side_values[:, index]
            bars = ax.barh(y, sign * widths, left=start, height=0.68,
                           color=LEVEL_COLOURS[level], edgecolor="white", linewidth=0.8,
                           hatch=LEVEL_HATCHES[level] or None, label=level)
            for row, (patch, width) in enumerate(zip(bars, widths, strict=True)):
                if width > 0:
                    middle = start[row] + sign * width / 2
                    text = _segment_text(ax, middle, row, fmt(width), level)
                    labels.append(_SegmentLabel(text, patch, outermost[row] == index, sign,
                                                start[row] + sign * width, level))
            start = start + sign * widths
    ax.axvline(0, color=_AXIS_COLOUR, linewidth=1.3, zorder=3)
    ax.set_yticks(y, tick_labels)
    ax.set_ylim(len(values) - 0.5, -0.5)  # first row at the top
    # A little room beyond the outermost tick, for labels placed past a bar's end.
    ax.set_xlim(-limit * 1.04, limit * 1.04)
    ax.spines["bottom"].set_bounds(-limit, limit)
    return labels


def _lay_out(figure: Figure | SubFigure, *, keep: bool) -> None:
    """Lay a figure out now, so that labels can be placed where its layout puts the axes.

    A chart that places labels by what fits (segment labels, a funnel's names) needs the
    final positions of its axes first. The figure's layout engine is run (or, without one,
    the figure is drawn without rendering). With ``keep``, for a figure the chart made
    itself, the layout is then kept (the engine switched off): the figure is saved, shown
    and drawn on the layout its labels were fitted to, and saving draws it once, not twice.
    A figure given by the caller (``ax=``) keeps its engine: the caller may add to it.

    Parameters
    ----------
    figure : matplotlib.figure.Figure or SubFigure
        The figure (a subfigure's root figure is laid out).
    keep : bool
        Keep this layout from now on.
    """
    figure = _root_figure(figure)
    engine = figure.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.execute(figure)  # the layout alone: measuring texts needs nothing drawn
    else:
        figure.draw_without_rendering()
    if keep and engine is not None:
        figure.set_layout_engine("none")


def _fit_labels(ax: Axes, labels: list[_SegmentLabel]) -> None:
    """Keep segment labels that fit; move an outermost one past its bar's end, else drop it.

    Runs on the figure's final layout (:func:`_lay_out` first): resizing the figure
    afterwards does not refit.
    """
    if not labels:
        return
    figure = _root_figure(ax)
    renderer = figure.canvas.get_renderer()
    margin = 3 * figure.dpi / 72  # 3 points either side of the number
    pad = _BACKING_PAD * _SEGMENT_FONT * figure.dpi / 72
    axes_box = ax.get_window_extent(renderer)
    backings: list[tuple[np.ndarray, str]] = []
    for label in labels:
        text_box = label.text.get_window_extent(renderer)
        segment = label.patch.get_window_extent(renderer)
        if text_box.width + 2 * margin <= segment.width and text_box.height <= segment.height:
            if LEVEL_HATCHES[label.level]:
                backings.append((text_box.padded(pad).get_points(),
                                 LEVEL_COLOURS[label.level]))
            continue
        if label.outermost:
            label.text.set_x(label.end)
            label.text.set_transform(offset_copy(ax.transData, fig=figure,
                                                 x=3 * label.sign, units="points"))
            label.text.set_horizontalalignment("left" if label.sign > 0 else "right")
            label.text.set_color(_TEXT_DARK)
            label.text.set_bbox(None)
            moved = label.text.get_window_extent(renderer)
            if moved.x0 >= axes_box.x0 and moved.x1 <= axes_box.x1:
                continue
        label.text.remove()
    if backings:
        # A patch of plain colour behind each number on a hatching keeps it readable: one
        # collection for them all (a box per text costs a fifth of a case profile's time).
        to_data = ax.transData.inverted()
        corners = [to_data.transform(points) for points, _ in backings]
        backing = PolyCollection(
            [[(x0, y0), (x1, y0), (x1, y1), (x0, y1)] for (x0, y0), (x1, y1) in corners],
            facecolors=[colour for _, colour in backings], edgecolors="none", zorder=2.5,
            gid="segment-label-backing")
        backing.set_in_layout(False)
        ax.add_collection(backing, autolim=False)


def _symmetric_limit(values: pd.DataFrame, step: float, floor: float) -> float:
    right = values[list(POSITIVE_LEVELS)].sum(axis=1).max()
    left = values[list(NEGATIVE_LEVELS)].sum(axis=1).max()
    biggest = np.nanmax([right, left, 0.0])
    return float(max(floor, math.ceil(biggest / step) * step))


def _ordered(frame: pd.DataFrame, sort: bool) -> pd.DataFrame:
    if not sort:
        return frame
    # Best share at the top; a stable sort keeps catalogue order between ties.
    return frame.sort_values("share_good", ascending=False, kind="stable", na_position="last")


# --------------------------------------------------------------------------- saving


def save_figure(fig_or_ax: Figure | SubFigure | Axes, path: str | os.PathLike, *,
                dpi: int = 150, close: bool = True) -> Path:
    """Write a figure to an image file atomically, creating folders (one call, any dpi).

    The image is written to a temporary file in the target folder and moved into place
    with :func:`os.replace`, so a reader never sees a half-written file. The format
    follows the file's suffix (``.png`` by default; ``.svg`` and ``.pdf`` too).

    Parameters
    ----------
    fig_or_ax : matplotlib.figure.Figure or matplotlib.axes.Axes
        The figure, or any Axes on it (what a chart returns, or a grid's ``.figure``).
    path : str or path-like
        Where to write the image; missing parent folders are created.
    dpi : int, default 150
        Resolution (300 for slides and print).
    close : bool, default True
        Close the figure afterwards (False to keep showing it in a notebook).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    figure = _root_figure(fig_or_ax)
    path = Path(path)
    kind = path.suffix[1:].lower() or "png"
    path.parent.mkdir(parents=True, exist_ok=True)
    # A hidden sibling, opened exclusively, so os.replace stays on one file system and the
    # file gets the usual permissions (mkstemp would make it private to its owner).
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temporary, "xb") as stream, literal_params():
            figure.savefig(stream, format=kind, dpi=dpi, bbox_inches="tight",
                           facecolor="white",
                           metadata={"Software": None} if kind == "png" else None)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        if close:
            plt.close(figure)
    return path
