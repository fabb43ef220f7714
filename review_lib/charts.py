"""Charts for a Practice Review report: diverging bars, judgement bars, case profiles.

The cross-council report adds a funnel plot, a council-by-question heat map, every
council's overall judgements, and change between cycles.

Every plot function takes its data first and its options as keywords, draws on ``ax`` (or on
a new figure sized to the data) and returns the Axes, so tests inspect patches and labels
rather than pixels. Colours come from the Government Analysis Function accessible palette.
Levels differ in lightness as well as hue, the two levels below Good are hatched, and
position (which side of zero) carries the Good / Requires Improvement split, so no chart
relies on colour alone and each prints legibly in greyscale. There is no red/green verdict.

Each chart has an ``alt_text_*`` companion that returns one or two plain sentences naming
what the chart shows and its key numbers, for the ``alt`` attribute of the report image.
"""

from __future__ import annotations

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
from matplotlib.colors import LinearSegmentedColormap, Normalize, to_hex
from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import offset_copy

from review_lib.funnel import funnel_x, limits_at
from review_lib.scale import GOOD_OR_BETTER, LEVEL_SCORES, LEVELS
from review_lib.summary import format_percent

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
        with matplotlib.rc_context(LITERAL_TEXT):
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


def _root_figure(artist: Figure | SubFigure | Axes) -> Figure:
    figure = artist.figure if isinstance(artist, Axes) else artist
    while isinstance(figure, SubFigure):
        figure = figure.figure
    return figure


def _new_axes(n_rows: int, width: float = _FIG_WIDTH, lines: int = 1) -> Axes:
    # Tick labels wrapped onto three or more lines need taller rows to stay apart.
    row = max(_ROW_HEIGHT, 0.16 * lines + 0.1)
    height = _FIG_OVERHEAD + row * max(n_rows, 1)
    _, ax = plt.subplots(figsize=(width, height), layout="constrained")
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


def _segment_text(ax: Axes, x: float, y: float, text: str, level: str) -> Text:
    colour = LEVEL_COLOURS[level]
    # A patch of plain colour behind the number keeps it readable over the hatching.
    bbox = (dict(facecolor=colour, edgecolor="none", boxstyle="square,pad=0.12")
            if LEVEL_HATCHES[level] else None)
    return ax.text(x, y, text, ha="center", va="center", fontsize=_SEGMENT_FONT,
                   color=text_colour_for(colour), bbox=bbox, gid=f"segment-label:{level}")


def _format_percent_label(value: float) -> str:
    return "<1%" if 0 < value < 0.5 else f"{value:.0f}%"


@dataclass
class _SegmentLabel:
    text: Text
    patch: Rectangle
    outermost: bool  # the last segment on its side of zero, so there is room beyond it
    sign: int
    end: float


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
                                                start[row] + sign * width))
            start = start + sign * widths
    ax.axvline(0, color=_AXIS_COLOUR, linewidth=1.3, zorder=3)
    ax.set_yticks(y, tick_labels)
    ax.set_ylim(len(values) - 0.5, -0.5)  # first row at the top
    # A little room beyond the outermost tick, for labels placed past a bar's end.
    ax.set_xlim(-limit * 1.04, limit * 1.04)
    ax.spines["bottom"].set_bounds(-limit, limit)
    return labels


def _fit_labels(ax: Axes, labels: list[_SegmentLabel]) -> None:
    """Keep segment labels that fit; move an outermost one past its bar's end, else drop it.

    Needs the final layout, so it runs last; resizing the figure afterwards does not refit.
    """
    if not labels:
        return
    figure = _root_figure(ax)
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    margin = 3 * figure.dpi / 72  # 3 points either side of the number
    axes_box = ax.get_window_extent(renderer)
    for label in labels:
        text_box = label.text.get_window_extent(renderer)
        segment = label.patch.get_window_extent(renderer)
        if text_box.width + 2 * margin <= segment.width and text_box.height <= segment.height:
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


# --------------------------------------------------------------------------- diverging bars


@literal_text
def diverging_bars(summary: pd.DataFrame, *,
                   labels: Sequence[str] | Mapping[object, str] | None = None,
                   sort: bool = False, ax: Axes | None = None, title: str | None = None,
                   xlabel: str = "Percentage of rated cases") -> Axes:
    """Diverging stacked bars of the four levels, split between Good and Requires Improvement.

    Good then Outstanding extend right of zero; Requires Improvement then Inadequate extend
    left. Each bar shows the percentage of that row's ratings at each level, printed on the
    segments wide enough to hold it, and each tick label carries the row's n.

    Parameters
    ----------
    summary : pandas.DataFrame
        A row per question (or group) with a count column per level (``Outstanding``,
        ``Good``, ``Requires Improvement``, ``Inadequate``), and optionally ``n``,
        ``share_good``, ``not_applicable`` and ``label``, as made by
        :func:`review_lib.summary.question_summary`. A
        :func:`review_lib.summary.level_counts` table is accepted too and drawn as a single
        bar (e.g. all of a review's ratings, or its overall judgements).
    labels : sequence of str or mapping, optional
        Row names to show instead of ``"<id> <label>"`` (or the index): one per row, or a
        mapping from index value to name. ``(n=...)`` is always appended.
    sort : bool, default False
        Order rows by share Good or better, highest at the top (ties keep input order).
        Otherwise rows keep the input (catalogue) order, first at the top.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure whose height grows with the number of rows.
    title : str, optional
        Axes title, drawn above the legend.
    xlabel : str, default "Percentage of rated cases"
        x-axis label.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. Its ``containers`` hold one bar container per level (Good,
        Outstanding, Requires Improvement, Inadequate), each labelled with the level; bars
        left of zero have negative widths. The legend always lists all four levels.

    Raises
    ------
    ValueError
        If a level column is missing, or ``labels`` has the wrong length.
    """
    frame = _as_level_frame(summary)
    names = _names(frame, labels)
    frame = frame.assign(_name=names)
    frame = _ordered(frame, sort)
    n = frame["n"].astype(int)
    percents = frame[list(LEVELS)].div(n.where(n > 0), axis=0) * 100
    not_applicable = frame["not_applicable"] if "not_applicable" in frame else pd.Series(
        0, index=frame.index)
    ticks = [_tick_label(name, int(count), int(na))
             for name, count, na in zip(frame["_name"], n, not_applicable, strict=True)]
    return _diverging_axes(percents, ticks, ax=ax, title=title, xlabel=xlabel,
                           empty=(n == 0).to_numpy())


def _diverging_axes(percents: pd.DataFrame, ticks: list[str], *, ax: Axes | None,
                    title: str | None, xlabel: str, empty: np.ndarray) -> Axes:
    if ax is None:
        ax = _new_axes(len(percents), lines=max((t.count("\n") + 1 for t in ticks), default=1))
    limit = _symmetric_limit(percents.fillna(0), step=20, floor=40)
    labels = _draw_diverging(ax, percents.fillna(0), ticks, fmt=_format_percent_label,
                             limit=limit)
    for row in np.flatnonzero(empty):
        ax.text(0, row, "  no applicable ratings", ha="left", va="center", fontsize=8.5,
                color=_AXIS_COLOUR, style="italic")
    _percent_axis(ax, limit, xlabel)
    _style(ax)
    _level_legend(ax)
    if title:
        ax.set_title(title, loc="left", pad=_TITLE_PAD, fontsize=11, fontweight="bold")
    _fit_labels(ax, labels)
    return ax


@literal_text
def auditor_bars(summary: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None,
                 sort: bool = False) -> Axes:
    """Diverging stacked bars of each auditor's ratings, as :func:`diverging_bars` draws them.

    One auditor rates each case, so a difference between auditors is entangled with the
    cases they happened to audit; say so beside the chart.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`review_lib.summary.auditor_summary`: a row per auditor with the four
        level counts, ``n`` and optionally ``cases``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure.
    title : str, optional
        Axes title.
    sort : bool, default False
        Order auditors by share Good or better, highest at the top.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; tick labels read e.g. ``"PSW A (5 cases, n=60)"``.
    """
    frame = _as_level_frame(summary)
    frame = _ordered(frame.assign(_name=[str(k) for k in frame.index]), sort)
    n = frame["n"].astype(int)
    percents = frame[list(LEVELS)].div(n.where(n > 0), axis=0) * 100
    cases = frame["cases"] if "cases" in frame else pd.Series(np.nan, index=frame.index)
    ticks = [_tick_label(name, int(count),
                         extra=_cases_phrase(c) if pd.notna(c) else "")
             for name, count, c in zip(frame["_name"], n, cases, strict=True)]
    return _diverging_axes(percents, ticks, ax=ax, title=title,
                           xlabel="Percentage of the auditor's ratings", empty=(n == 0).to_numpy())


def _cases_phrase(cases: float) -> str:
    cases = int(cases)
    return f"{cases} case" if cases == 1 else f"{cases} cases"


# --------------------------------------------------------------------------- judgements


@literal_text
def judgement_bars(counts: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None,
                   ) -> Axes:
    """Bar chart of overall judgements: all four levels, each annotated "count (percent)".

    Parameters
    ----------
    counts : pandas.DataFrame
        From :func:`review_lib.summary.level_counts`: indexed by level with a ``count``
        column. Missing levels are drawn as zero.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on, with one bar per level, worst to best from left to right (the
        order of the diverging bars), zero-count levels included.
    """
    values = counts["count"].reindex(list(LEVELS_WORST_FIRST), fill_value=0).astype(int)
    total = int(values.sum())
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.0), layout="constrained")
    x = np.arange(len(values))
    bars = ax.bar(x, values.to_numpy(), width=0.62,
                  color=[LEVEL_COLOURS[level] for level in values.index],
                  edgecolor="white", linewidth=0.8, label="Overall judgement")
    for bar, level in zip(bars, values.index, strict=True):
        if LEVEL_HATCHES[level]:
            bar.set_hatch(LEVEL_HATCHES[level])
    top = max(int(values.max()), 1)
    for xi, (level, count) in zip(x, values.items(), strict=True):
        share = count / total if total else math.nan
        ax.annotate(f"{count} ({format_percent(share, 0)})", (xi, count),
                    xytext=(0, 4), textcoords="offset points", ha="center", va="bottom",
                    fontsize=10, color=_TEXT_DARK, gid=f"bar-label:{level}")
    ax.set_xticks(x, [textwrap.fill(level, 12) for level in values.index])
    ax.set_ylim(0, top * 1.18 + 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Number of cases")
    ax.set_xlabel(f"Overall judgement (n={total} cases)")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color=CONTEXT_COLOUR, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="x", length=0)
    if title:
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    return ax


# --------------------------------------------------------------------------- case profile


def _case_table(ratings: pd.DataFrame, judgements: pd.DataFrame) -> pd.DataFrame:
    """A row per case pseudonym: level counts, mean score and judgement, best first."""
    for frame, name in ((ratings, "ratings"), (judgements, "judgements")):
        keys = [k for k in ("council", "cycle") if k in frame]
        if keys and len(frame[keys].drop_duplicates()) > 1:
            raise ValueError(f"{name} hold more than one review; pass one review's frames")
    rating = ratings["rating"].astype("object")
    counts = (pd.crosstab(ratings["case"].astype(str), rating)
              .reindex(columns=list(LEVELS), fill_value=0).astype(int))
    counts.columns.name = None
    scores = rating.map(LEVEL_SCORES).astype(float)
    mean = scores.groupby(ratings["case"].astype(str)).mean()
    judged = judgements.assign(case=judgements["case"].astype(str)).set_index("case")
    table = counts.reindex(judged.index.union(counts.index), fill_value=0)
    table["n"] = table[list(LEVELS)].sum(axis=1)
    table["mean_score"] = mean.reindex(table.index)
    table["judgement"] = judged["judgement"].astype("object").reindex(table.index)
    table["judgement_score"] = table["judgement"].map(LEVEL_SCORES)
    table = table.rename_axis("case").reset_index()
    table = table.sort_values(["judgement_score", "mean_score", "case"],
                              ascending=[False, False, True], na_position="last",
                              kind="stable")
    return table.set_index("case")


@literal_text
def case_profile(ratings: pd.DataFrame, judgements: pd.DataFrame, *, ax: Axes | None = None,
                 title: str | None = None) -> Axes:
    """How each case's overall judgement sits against its own question ratings.

    One row per case pseudonym: a diverging bar of how many of the case's questions were
    rated at each level (Good and Outstanding right of zero, Requires Improvement and
    Inadequate left), with the case's overall judgement written at the right-hand end.
    Rows are sorted by judgement (best at the top), then by mean rating.

    Parameters
    ----------
    ratings : pandas.DataFrame
        One review's tidy ratings (columns ``case`` and ``rating``).
    judgements : pandas.DataFrame
        The same review's overall judgements (columns ``case`` and ``judgement``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure whose height grows with the number of cases.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; y tick labels are the case pseudonyms (the ``case`` column only:
        raw case references are never read).

    Raises
    ------
    ValueError
        If the frames hold more than one review (pseudonyms repeat across reviews).
    """
    table = _case_table(ratings, judgements)
    if ax is None:
        ax = _new_axes(len(table))
    most = int(table["n"].max()) if len(table) else 0
    limit = float(max(most, 4))
    labels = _draw_diverging(ax, table[list(LEVELS)], list(table.index),
                             fmt=lambda v: f"{v:.0f}", limit=limit)
    step = 1 if limit <= 8 else 2 if limit <= 16 else 5
    ax.set_xticks(np.arange(-(limit // step) * step, limit + 0.001, step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{abs(x):.0f}"))
    ax.set_xlabel("Number of the case's questions at each level")
    _style(ax)
    _level_legend(ax)
    transform = ax.get_yaxis_transform()
    ax.text(1.02, -0.5, "Overall\njudgement", transform=transform, ha="left", va="bottom",
            fontsize=9, fontweight="bold", color=_TEXT_DARK)
    previous = None
    for row, judgement in enumerate(table["judgement"]):
        label = judgement if isinstance(judgement, str) else "not recorded"
        ax.text(1.02, row, label, transform=transform, ha="left", va="center", fontsize=9,
                color=_TEXT_DARK, gid="judgement-label")
        if previous is not None and judgement != previous:
            # A rule between judgement groups, so the grouping does not rest on the text.
            ax.axhline(row - 0.5, color=_AXIS_COLOUR, linewidth=0.8, linestyle=(0, (4, 3)))
        previous = judgement
    if title:
        ax.set_title(title, loc="left", pad=_TITLE_PAD, fontsize=11, fontweight="bold")
    _fit_labels(ax, labels)
    return ax


# --------------------------------------------------------------------------- alt text


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _named(names: list[str], limit: int = 3) -> str:
    if len(names) <= limit:
        return _join(names)
    return f"{_join(names[:limit - 1])} and {len(names) - limit + 1} others"


def _n_phrase(n: pd.Series, unit: str) -> str:
    low, high = int(n.min()), int(n.max())
    plural = unit if unit.endswith("s") else unit + "s"
    if low == high:
        return f"{low} {unit if low == 1 else plural} each"
    return f"{low} to {high} {plural} each"


def _range_sentence(shares: pd.Series, names: list[str], what: str) -> str:
    named = pd.Series(names, index=shares.index)
    valid = shares.dropna()
    if valid.empty:
        return f"No {what} has an applicable rating."
    low, high = valid.min(), valid.max()
    # Compare rounded percentages, so names match the numbers the sentence prints.
    rounded = (valid * 100).round()
    lows = list(named[rounded.index[rounded == rounded.min()]])
    highs = list(named[rounded.index[rounded == rounded.max()]])
    if rounded.min() == rounded.max():
        return f"Every {what} has {format_percent(high, 0)} rated Good or better."
    return (f"Share rated Good or better ranges from {format_percent(low, 0)} "
            f"({_named(lows)}) to {format_percent(high, 0)} ({_named(highs)}).")


def _single_row_sentence(row: pd.Series, what: str) -> str:
    n = int(row["n"])
    if n == 0:
        return f"Diverging bar chart of {what}: there are no applicable ratings."
    parts = [f"{format_percent(row[level] / n)} {level}" for level in LEVELS]
    good = sum(int(row[level]) for level in GOOD_OR_BETTER)
    return (f"Diverging bar chart of {what} (n={n}): {_join(parts)}, so "
            f"{format_percent(good / n)} were Good or better.")


def alt_text_diverging(summary: pd.DataFrame, *,
                       labels: Sequence[str] | Mapping[object, str] | None = None,
                       what: str | None = None, unit: str = "case") -> str:
    """Alt text for :func:`diverging_bars`: what is shown, n, and the range of shares.

    Parameters
    ----------
    summary : pandas.DataFrame
        The frame given to :func:`diverging_bars`.
    labels : sequence of str or mapping, optional
        The same ``labels`` given to the chart.
    what : str, optional
        What a row is, singular (default ``"question"``). For a single-row chart, what the
        bar shows (default the row's label, or ``"all ratings"``), e.g.
        ``"overall judgements"``.
    unit : str, default "case"
        What n counts, singular (``"case"``, ``"rating"``).

    Returns
    -------
    str
        E.g. "Diverging bar chart of 12 questions, 20 cases each. Share rated Good or
        better ranges from 60% (Management oversight) to 95% (Person's voice and
        Partnership)." For a single row, every level's percentage and the share Good or
        better.
    """
    frame = _as_level_frame(summary)
    if len(frame) == 1:
        if what is None:
            has_name = labels is not None or "label" in frame
            what = _short_names(frame, labels)[0] if has_name else "all ratings"
        return _single_row_sentence(frame.iloc[0], what)
    what = what or "question"
    names = _short_names(frame, labels)
    rows = f"{len(frame)} {what}s"
    first = f"Diverging bar chart of {rows}, {_n_phrase(frame['n'], unit)}."
    na = int(frame["not_applicable"].sum()) if "not_applicable" in frame else 0
    if na:
        first = first[:-1] + f" ({na} not applicable answers left out)."
    return f"{first} {_range_sentence(frame['share_good'], names, what)}"


def alt_text_auditors(summary: pd.DataFrame) -> str:
    """Alt text for :func:`auditor_bars`, with the caveat that auditors rate different cases.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`review_lib.summary.auditor_summary`.

    Returns
    -------
    str
        E.g. "Diverging bar chart of ratings by 4 auditors, 60 ratings each (5 cases each).
        Share rated Good or better ranges from 68% (PSW D) to 93% (PSW C); each auditor
        rated different cases, so this mixes auditor and case differences."
    """
    frame = _as_level_frame(summary)
    names = [str(k) for k in frame.index]
    first = (f"Diverging bar chart of ratings by {len(frame)} auditor"
             f"{'s' if len(frame) != 1 else ''}, {_n_phrase(frame['n'], 'rating')}")
    if "cases" in frame:
        first += f" ({_n_phrase(frame['cases'], 'case')})"
    second = _range_sentence(frame["share_good"], names, "auditor")
    if len(frame) > 1:
        second = (second[:-1] + "; each auditor rated different cases, so this mixes "
                  "auditor and case differences.")
    return f"{first}. {second}"


def alt_text_judgements(counts: pd.DataFrame) -> str:
    """Alt text for :func:`judgement_bars`: every level's count and percentage.

    Parameters
    ----------
    counts : pandas.DataFrame
        From :func:`review_lib.summary.level_counts`.

    Returns
    -------
    str
        E.g. "Bar chart of overall judgements for 20 cases: Outstanding 5 (25%), Good 13
        (65%), Requires Improvement 2 (10%) and Inadequate 0 (0%). 18 of 20 cases (90%)
        were judged Good or better."
    """
    values = counts["count"].reindex(list(LEVELS), fill_value=0).astype(int)
    total = int(values.sum())
    if total == 0:
        return "Bar chart of overall judgements: no case has a judgement."
    parts = [f"{level} {count} ({format_percent(count / total, 0)})"
             for level, count in values.items()]
    good = int(values[list(GOOD_OR_BETTER)].sum())
    cases = "case" if total == 1 else "cases"
    return (f"Bar chart of overall judgements for {total} {cases}: {_join(parts)}. "
            f"{good} of {total} {cases} ({format_percent(good / total, 0)}) were judged "
            "Good or better.")


def alt_text_case_profile(ratings: pd.DataFrame, judgements: pd.DataFrame) -> str:
    """Alt text for :func:`case_profile`: cases, and the ratings behind each judgement.

    Parameters
    ----------
    ratings, judgements : pandas.DataFrame
        The frames given to :func:`case_profile`.

    Returns
    -------
    str
        E.g. "Chart of 20 cases, each showing how many of its 12 questions were rated at
        each level, beside its overall judgement. Cases judged Outstanding (5) had 11 to 12
        questions rated Good or better; Good (13) 9 to 12; Requires Improvement (2) 6 to 7."
    """
    table = _case_table(ratings, judgements)
    table["good"] = table[list(GOOD_OR_BETTER)].sum(axis=1)
    cases = len(table)
    questions = _count_range(table["n"])
    first = (f"Chart of {cases} case{'s' if cases != 1 else ''}, each showing how many of "
             f"its {questions} questions were rated at each level, beside its overall "
             "judgement.")
    groups = []
    for level in LEVELS:
        group = table[table["judgement"] == level]
        if len(group):
            groups.append(f"{level} ({len(group)}) {_count_range(group['good'])}")
    if not groups:
        return first + " No case has an overall judgement."
    groups[0] = groups[0].replace(") ", ") had ", 1) + " questions rated Good or better"
    return f"{first} Cases judged {'; '.join(groups)}."


def _count_range(values: pd.Series) -> str:
    low, high = int(values.min()), int(values.max())
    return str(low) if low == high else f"{low} to {high}"


# --------------------------------------------------------------------------- cross-council

#: Marker of a council on a funnel plot by where it lies against the 95% limits: shape, not
#: colour alone, tells a council outside the limits.
FUNNEL_MARKERS: dict[str, str] = {"within": "o", "above": "^", "below": "v"}

#: Sequential colours of the heat map, light to dark blue (never red/green).
HEATMAP_COLOURS: tuple[str, str] = ("#DCE6F0", "#12436D")

#: Colours of the earlier and later review on a change plot (with different markers too).
CHANGE_COLOURS: dict[str, str] = {"before": "#28A197", "after": "#12436D"}
CHANGE_MARKERS: dict[str, str] = {"before": "s", "after": "o"}

_FUNNEL_SIZE = 46.0  # marker area, points squared
_FUNNEL_FOCUS_SIZE = 120.0
_FUNNEL_LABEL_FONT = 9.0
_FUNNEL_LABEL_ALL = 8  # label every council unless more than this many share one n
_ADJUSTED_COLOUR = "#28A197"
_FUNNEL_EXTREME_COLOUR = "#6F777B"  # darker fill: outside the 99.8% limits as well


def _side(flag: str) -> str:
    """``"above"``, ``"below"`` or ``"within"`` the 95% limits, from a funnel flag."""
    flag = str(flag)
    if flag.startswith("above"):
        return "above"
    if flag.startswith("below"):
        return "below"
    return "within"


def _funnel_target(table: pd.DataFrame) -> float:
    if "target" in table.attrs:
        return float(table.attrs["target"])
    return float(table["successes"].sum() / table["n"].sum())


def _funnel_n_range(n: np.ndarray) -> tuple[float, float]:
    """The n range the limit curves span: a little beyond the councils' n.

    When every council has (nearly) the same n, the range is widened by 20% either side so
    the curves still show how the limits narrow as n grows.
    """
    low, high = float(np.min(n)), float(np.max(n))
    if high - low < 0.2 * high:
        return max(1.0, 0.8 * low), 1.2 * high
    pad = 0.05 * (high - low)
    return max(1.0, low - pad), high + pad


def funnel_limits(table: pd.DataFrame, n: np.ndarray | float, level: str, *,
                  adjusted: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The funnel control limits of a table at any n, as :func:`funnel_plot` draws them.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`review_lib.funnel.funnel_table` (its ``attrs`` give the method, target,
        design effect and overdispersion estimate).
    n : float or array of float
        Denominators at which to evaluate the limits (records, or ratings).
    level : {"95", "998"}
        Which pair of limits.
    adjusted : bool, optional
        Widened for overdispersion (FunnelPlotR); by default as the table was made.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower, upper)`` as proportions, NaN where a limit lies beyond 0% or 100% (no
        share at that n can be outside it, so nothing is drawn there). A council is drawn
        outside a limit exactly when its flag says so.
    """
    lower, upper = limits_at(table, n, level, adjusted=adjusted)
    lower = np.where(np.asarray(lower) < 0, np.nan, lower)
    upper = np.where(np.asarray(upper) > 1, np.nan, upper)
    return lower, upper


def _n_clusters(n: pd.Series, span: float) -> list[list[object]]:
    """Councils whose n lie close together on the x axis (within 4% of its span)."""
    ordered = n.sort_values(kind="stable")
    clusters: list[list[object]] = []
    previous = None
    for council, value in ordered.items():
        if previous is None or value - previous > 0.04 * span:
            clusters.append([])
        clusters[-1].append(council)
        previous = value
    return clusters


def _match_council(index: pd.Index, highlight: str | None) -> object | None:
    if highlight is None or str(highlight) == "":
        return None
    for council in index:
        if str(council) == str(highlight):
            return council
    for council in index:
        if str(council).casefold() == str(highlight).casefold():
            return council
    return None


def funnel_labelled(table: pd.DataFrame, *, highlight: str | None = None) -> list[object]:
    """The councils :func:`funnel_plot` names beside their points.

    Every council is named unless more than eight sit at (nearly) the same n, where names
    would crowd: then only councils outside the 95% limits and the highlighted council are.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`review_lib.stats.funnel_table`.
    highlight : str, optional
        The highlighted council.

    Returns
    -------
    list
        Council index values, in the table's order.
    """
    if table.empty:
        return []
    x = pd.Series(funnel_x(table), index=table.index)
    low, high = _funnel_n_range(x.to_numpy())
    crowded = any(len(c) > _FUNNEL_LABEL_ALL for c in _n_clusters(x, high - low))
    if not crowded:
        return list(table.index)
    chosen = _match_council(table.index, highlight)
    return [council for council, flag in table["flag"].items()
            if _side(flag) != "within" or council == chosen]


def _dodge(points: np.ndarray, radii: np.ndarray, gap: float) -> np.ndarray:
    """Horizontal display offsets so markers that would overlap sit side by side.

    Points are placed in order; each takes the first of 0, +d, -d, +2d, -2d, ... pixels
    that keeps it clear of the points already placed.
    """
    offsets = np.zeros(len(points))
    placed: list[int] = []
    for i, (x, y) in enumerate(points):
        step = 2 * radii[i] + gap
        for k in range(2 * len(points) + 1):
            dx = step * ((k + 1) // 2) * (1 if k % 2 else -1) if k else 0.0
            clear = all(math.hypot(x + dx - points[j][0] - offsets[j], y - points[j][1])
                        >= radii[i] + radii[j] + gap * 0.5 for j in placed)
            if clear:
                offsets[i] = dx
                break
        placed.append(i)
    return offsets


@dataclass
class _FunnelPoint:
    council: object
    x: float  # display pixels, before dodging
    y: float
    radius: float
    dx: float = 0.0
    n: float = 0.0  # data x: the council's n (or effective n)

    @property
    def centre(self) -> float:
        return self.x + self.dx


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]
              ) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _box_distance(area: tuple[float, float, float, float], x: float, y: float) -> float:
    """Distance from a point to a box (0 inside it)."""
    nx, ny = min(max(x, area[0]), area[2]), min(max(y, area[1]), area[3])
    return math.hypot(nx - x, ny - y)


def _segment_hits(start: tuple[float, float], end: tuple[float, float], centre: tuple[float, float],
                  radius: float) -> bool:
    """Whether the segment ``start``-``end`` passes within ``radius`` of ``centre``."""
    (x0, y0), (x1, y1), (cx, cy) = start, end, centre
    dx, dy = x1 - x0, y1 - y0
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else min(1.0, max(0.0, ((cx - x0) * dx + (cy - y0) * dy) / length))
    return math.hypot(x0 + t * dx - cx, y0 + t * dy - cy) < radius


def _label_fits(area: tuple[float, float, float, float], leader: bool, own: _FunnelPoint,
                others: list[_FunnelPoint], taken: list[tuple[float, float, float, float]],
                bounds: tuple[float, float, float, float]) -> bool:
    """A free place for a name: inside the axes, clear of names and points, unambiguous.

    Without a leader line the name must be nearer its own point than any other; with one,
    the line must not cross another point.
    """
    inside = (area[0] >= bounds[0] and area[2] <= bounds[2] and area[1] >= bounds[1]
              and area[3] <= bounds[3])
    if not inside or any(_overlaps(area, other) for other in taken):
        return False
    if leader:
        # An annotation's line runs from the point towards the name's centre.
        centre = ((area[0] + area[2]) / 2, (area[1] + area[3]) / 2)
        return not any(_segment_hits((own.centre, own.y), centre, (p.centre, p.y),
                                     p.radius + 1) for p in others)
    mine = _box_distance(area, own.centre, own.y)
    return all(_box_distance(area, p.centre, p.y) - p.radius > mine - own.radius
               for p in others)


def _label_candidates(own: _FunnelPoint, width: float, height: float, gap: float
                      ) -> list[tuple[float, float, str, bool]]:
    """Places to try for a name, best first: ``(x, y, alignment, needs a leader line)``.

    Beside the point (right, then left) at its own height; then the same with growing
    vertical shifts of half a line; then further out, past one, two or four markers.
    """
    step = 2 * own.radius + gap
    candidates = []
    for extra in (0, 1, 2, 4):
        for k in range(0, 13):
            for dy in ((0.0,) if k == 0 else (k * height / 2, -k * height / 2)):
                for align in ("left", "right"):
                    sign = 1 if align == "left" else -1
                    x = own.centre + sign * (own.radius + gap + extra * step)
                    leader = extra > 0 or abs(dy) > 0.45 * height
                    candidates.append((x, own.y + dy, align, leader))
    return candidates


def _place_funnel_labels(ax: Axes, table: pd.DataFrame, points: dict[object, _FunnelPoint],
                         labelled: list[object], chosen: object | None) -> None:
    """Name councils beside their points so that no name covers another or any point.

    Names are placed one at a time, the highlighted council first, then councils outside
    the 99.8% and the 95% limits, then the rest; each takes the first free place among
    :func:`_label_candidates`, with a leader line when it had to move away from its point.
    """
    figure = _root_figure(ax)
    renderer = figure.canvas.get_renderer()
    px_per_pt = figure.dpi / 72
    gap = 3 * px_per_pt
    box = ax.get_window_extent(renderer)
    pad = 1.0 * px_per_pt
    taken = [(p.centre - p.radius - pad, p.y - p.radius - pad, p.centre + p.radius + pad,
              p.y + p.radius + pad) for p in points.values()]
    bounds = (box.x0, box.y0, box.x1, box.y1)
    rank = {"above998": 1, "below998": 1, "above95": 2, "below95": 2}
    order = sorted(labelled, key=lambda c: (c != chosen, rank.get(str(table.loc[c, "flag"]),
                                                                  3)))
    for council in order:
        own = points[council]
        probe = ax.text(0, 0, str(council), fontsize=_FUNNEL_LABEL_FONT,
                        fontweight="bold" if council == chosen else "normal")
        extent = probe.get_window_extent(renderer)
        probe.remove()
        width, height = extent.width, extent.height
        candidates = _label_candidates(own, width, height, gap)
        choice = candidates[0]
        others = [p for p in points.values() if p is not own]
        for x, y, align, leader in candidates:
            x0 = x if align == "left" else x - width
            area = (x0, y - height / 2, x0 + width, y + height / 2)
            if _label_fits(area, leader, own, others, taken, bounds):
                choice = (x, y, align, leader)
                break
        x, y, align, leader = choice
        x0 = x if align == "left" else x - width
        taken.append((x0 - pad, y - height / 2, x0 + width + pad, y + height / 2))
        _funnel_label(ax, table.loc[council], council, own, x, y, align, leader, chosen)


def _funnel_label(ax: Axes, row: pd.Series, council: object, own: _FunnelPoint, x: float,
                  y: float, align: str, leader: bool, chosen: object | None) -> None:
    figure = _root_figure(ax)
    px_per_pt = figure.dpi / 72
    dx_pt, dy_pt = (x - own.centre) / px_per_pt, (y - own.y) / px_per_pt
    anchor = offset_copy(ax.transData, fig=figure, x=own.dx / px_per_pt, units="points")
    arrow = (dict(arrowstyle="-", color="#6F777B", linewidth=0.6, shrinkA=1.5,
                  shrinkB=own.radius / px_per_pt + 1.5) if leader else None)
    focus = council == chosen
    ax.annotate(str(council), (float(own.n), float(row["share"]) * 100),
                xycoords=anchor, xytext=(dx_pt, dy_pt), textcoords="offset points",
                ha=align, va="center", fontsize=_FUNNEL_LABEL_FONT,
                fontweight="bold" if focus else "normal",
                color=FOCUS_COLOUR if focus else _TEXT_DARK, arrowprops=arrow,
                gid=f"funnel-label:{council}", zorder=5, annotation_clip=False,
                bbox=dict(facecolor="white", edgecolor="none", alpha=0.8,
                          boxstyle="square,pad=0.1"))


@literal_text
def funnel_plot(table: pd.DataFrame, *, highlight: str | None = None, ax: Axes | None = None,
                title: str | None = None, xlabel: str = "Number of case records",
                show_adjusted: bool = False) -> Axes:
    """Funnel plot: each council's share against its n, with control limits around the average.

    The programme average is a solid line; the 95% (dashed) and 99.8% (dotted) limits are
    drawn smoothly across the range of n, so a council's place is judged against what chance
    would give at its n, never ranked. Councils outside the 95% limits are drawn as
    triangles (pointing up above, down below), the others as circles; the highlighted
    council is larger and in the focus colour, the others grey. Councils are named beside
    their points (see :func:`funnel_labelled`); points at the same n and share are set side
    by side so none is hidden.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`review_lib.stats.funnel_table`: per council ``n``, ``share`` and
        ``flag``, with ``attrs["target"]``, and ``attrs["adjusted"]`` and
        ``attrs["overdispersion"]`` for limits widened for overdispersion.
    highlight : str, optional
        A council to pick out (case-insensitive).
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure.
    title : str, optional
        Axes title.
    xlabel : str, default "Number of case records"
        x-axis label.
    show_adjusted : bool, default False
        For a table with unadjusted limits, also draw the limits widened for overdispersion
        when there is overdispersion to allow for: the 95% ones as a shaded band, the
        99.8% ones as turquoise dash-dot lines.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. Shares and limits are in percent. Each council is one
        collection with ``gid`` ``"funnel-point:<council>"`` whose offsets are its
        ``(n, share %)``; the limit lines have ``gid`` ``"funnel-limit:<95|99.8>:<lower|
        upper>"``, the average ``"funnel-target"``; with ``show_adjusted``, the widened 95%
        band is ``"funnel-adjusted:95"`` and its 99.8% lines
        ``"funnel-adjusted:99.8:<lower|upper>"``. Names are annotations with ``gid``
        ``"funnel-label:<council>"``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(_FIG_WIDTH, 6.0), layout="constrained")
    if table.empty:
        ax.text(0.5, 0.5, "No councils to show", transform=ax.transAxes, ha="center")
        return ax
    figure = _root_figure(ax)
    target = _funnel_target(table)
    adjusted = bool(table.attrs.get("adjusted", False))
    chosen = _match_council(table.index, highlight)
    n = funnel_x(table)
    low, high = _funnel_n_range(n)
    grid = np.linspace(low, high, 241)

    ax.plot(grid, np.full_like(grid, target * 100), color=_AXIS_COLOUR, linewidth=1.4,
            label=f"Programme average ({format_percent(target, 0)})", gid="funnel-target",
            zorder=2)
    widened = " (widened for overdispersion)" if adjusted else ""
    curves = [np.asarray(funnel_limits(table, grid, "95")),
              np.asarray(funnel_limits(table, grid, "998"))]
    for (lower, upper), name, style in zip(curves, ("95", "99.8"), ("--", ":"), strict=True):
        ax.plot(grid, upper * 100, linestyle=style, color=_AXIS_COLOUR, linewidth=1.3,
                label=f"{name}% limits{widened}", gid=f"funnel-limit:{name}:upper", zorder=2)
        ax.plot(grid, lower * 100, linestyle=style, color=_AXIS_COLOUR, linewidth=1.3,
                label="_nolegend_", gid=f"funnel-limit:{name}:lower", zorder=2)
    estimate = table.attrs.get("overdispersion")
    if show_adjusted and not adjusted and estimate is not None and estimate.adjusts:
        # A shaded band and a dash-dot line: a different kind of mark from the plain limits,
        # so they stay apart in greyscale too.
        lower, upper = funnel_limits(table, grid, "95", adjusted=True)
        curves.append(np.asarray((lower, upper)))
        ax.fill_between(grid, lower * 100, upper * 100, color=_ADJUSTED_COLOUR, alpha=0.16,
                        linewidth=0, label="95% limits widened for overdispersion",
                        gid="funnel-adjusted:95", zorder=1)
        lower, upper = funnel_limits(table, grid, "998", adjusted=True)
        curves.append(np.asarray((lower, upper)))
        for end, values in (("upper", upper), ("lower", lower)):
            ax.plot(grid, values * 100, linestyle="-.", color=_ADJUSTED_COLOUR, linewidth=1.2,
                    label=("99.8% limits widened for overdispersion" if end == "upper"
                           else "_nolegend_"), gid=f"funnel-adjusted:99.8:{end}", zorder=2)

    shares = table["share"].to_numpy(dtype=float) * 100
    drawn_low = [float(np.nanmin(c[0])) for c in curves if np.isfinite(c[0]).any()]
    drawn_high = [float(np.nanmax(c[1])) for c in curves if np.isfinite(c[1]).any()]
    bottom = min([float(np.nanmin(shares)), *(v * 100 for v in drawn_low)])
    top = max([float(np.nanmax(shares)), *(v * 100 for v in drawn_high)])
    y_low = max(0.0, math.floor((bottom - 3) / 10) * 10)
    y_high = min(100.0, math.ceil((top + 2) / 10) * 10)
    ax.set_ylim(y_low, y_high + (3 if top >= y_high - 2 else 0))
    ax.set_xlim(low, high)
    ax.set_yticks(np.arange(y_low, y_high + 0.001, 10 if y_high - y_low > 30 else 5))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:.0f}%"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Share Good or better")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color=CONTEXT_COLOUR, linewidth=0.5)
    ax.set_axisbelow(True)

    # Legend: the lines, the marker shapes, and the highlighted council.
    handles = list(ax.get_legend_handles_labels()[0])
    flags = set(table["flag"].astype(str))
    shown = [("within", "Within the 95% limits", CONTEXT_COLOUR),
             ("above", "Above the 95% limits", CONTEXT_COLOUR),
             ("below", "Below the 95% limits", CONTEXT_COLOUR)]
    shown += [(side, f"{side.capitalize()} the 99.8% limits too", _FUNNEL_EXTREME_COLOUR)
              for side in ("above", "below") if f"{side}998" in flags]
    for side, label, colour in shown:
        handles.append(plt.Line2D([], [], linestyle="none", marker=FUNNEL_MARKERS[side],
                                  markersize=math.sqrt(_FUNNEL_SIZE), color=colour,
                                  markeredgecolor=_AXIS_COLOUR, label=label))
    if chosen is not None:
        side = _side(table.loc[chosen, "flag"])
        handles.append(plt.Line2D([], [], linestyle="none", marker=FUNNEL_MARKERS[side],
                                  markersize=math.sqrt(_FUNNEL_FOCUS_SIZE) * 0.85,
                                  color=FOCUS_COLOUR, markeredgecolor="white",
                                  label=f"{chosen} (highlighted)"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3,
              frameon=False, fontsize=8.5, handlelength=2.6, columnspacing=1.5)
    if title:
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")

    # Where the points land is known only once the layout is: draw, then dodge and label.
    figure.draw_without_rendering()
    px_per_pt = figure.dpi / 72
    display = ax.transData.transform(np.column_stack([n, shares]))
    sizes = np.array([_FUNNEL_FOCUS_SIZE if c == chosen else _FUNNEL_SIZE
                      for c in table.index])
    radii = np.sqrt(sizes) / 2 * px_per_pt
    offsets = _dodge(display, radii, 1.5 * px_per_pt)
    points = {c: _FunnelPoint(c, float(x), float(y), float(r), float(dx), float(value))
              for c, (x, y), r, dx, value in zip(table.index, display, radii, offsets, n,
                                                  strict=True)}
    order = [c for c in table.index if c != chosen] + ([chosen] if chosen is not None else [])
    for council in order:
        i = table.index.get_loc(council)
        focus = council == chosen
        ax.scatter([n[i]], [shares[i]], s=sizes[i],
                   marker=FUNNEL_MARKERS[_side(table["flag"].iloc[i])],
                   color=FOCUS_COLOUR if focus else (
                       _FUNNEL_EXTREME_COLOUR if str(table["flag"].iloc[i]).endswith("998")
                       else CONTEXT_COLOUR),
                   edgecolors="white" if focus else _AXIS_COLOUR,
                   linewidths=1.0 if focus else 0.7, zorder=4 if focus else 3,
                   transform=offset_copy(ax.transData, fig=figure,
                                         x=points[council].dx / px_per_pt, units="points"),
                   gid=f"funnel-point:{council}", label="_nolegend_", clip_on=False)
    _place_funnel_labels(ax, table, points, funnel_labelled(table, highlight=highlight),
                         chosen)
    return ax


def _funnel_measure(measure: str) -> tuple[str, str]:
    """What the shares are of, and what n counts, for a funnel's alt text."""
    text = measure.strip()
    if "judgement" in text.casefold():
        return "case records judged Good or better", "records"
    if "rating" in text.casefold():
        return f"{text} Good or better", "ratings"
    return f"{text} Good or better", text.split()[-1] if text else "records"


def alt_text_funnel(table: pd.DataFrame, *, highlight: str | None = None,
                    measure: str = "overall judgements") -> str:
    """Alt text for :func:`funnel_plot`: average, councils outside the limits, highlight.

    Parameters
    ----------
    table : pandas.DataFrame
        The table given to :func:`funnel_plot`.
    highlight : str, optional
        The highlighted council.
    measure : str, default "overall judgements"
        What the shares count: ``"overall judgements"`` or ``"question ratings"``.

    Returns
    -------
    str
        E.g. "Funnel plot of 14 councils' share of case records judged Good or better
        against number of records (20 each); programme average 82%. Outside the 95%
        limits: Kestrel Vale 100% (above), Pennant Cross 95% (above), Ravensfield 95%
        (above) and Northwold 30% (below). Of these, Kestrel Vale and Northwold are also
        outside the 99.8% limits. Dudley (90%), highlighted, is within the limits. Only the
        councils outside the 95% limits and Dudley are named on the chart." The last
        sentence appears only when the chart names some councils and not others (see
        :func:`funnel_labelled`).
    """
    what, unit = _funnel_measure(measure)
    count = len(table)
    if count == 0:
        return f"Funnel plot of the share of {what}: no councils to show."
    target = _funnel_target(table)
    councils = "council's" if count == 1 else "councils'"
    if table.attrs.get("axis") == "effective_n":
        against = (f"effective number of {unit}, allowing for the ratings of a record going "
                   f"together ({_count_range(table['effective_n'].round())} each)")
    else:
        against = f"number of {unit} ({_count_range(table['n'])} each)"
    parts = [f"Funnel plot of {count} {councils} share of {what} against {against}; "
             "programme average "
             f"{format_percent(target, 0)}."]
    if table.attrs.get("adjusted"):
        parts.append("The limits are widened for overdispersion.")
    sides = table["flag"].map(_side)
    outside = table.assign(_side=sides)[sides != "within"]
    outside = outside.sort_values(["_side", "share"], ascending=[True, False], kind="stable")
    if outside.empty:
        parts.append("Every council is within the 95% limits.")
    else:
        named = [f"{c} {format_percent(row.share, 0)} ({row._side})"
                 for c, row in outside.iterrows()]
        sentence = f"Outside the 95% limits: {_join(named)}."
        extreme = [str(c) for c, f in outside["flag"].items() if str(f).endswith("998")]
        if extreme and len(extreme) == len(outside):
            also = "both" if len(extreme) == 2 else "all" if len(extreme) > 2 else "also"
            sentence = sentence[:-1] + (f"; {also} also outside the 99.8% limits."
                                        if len(extreme) > 1 else
                                        ", also outside the 99.8% limits.")
        elif extreme:
            verb = "is" if len(extreme) == 1 else "are"
            sentence += f" Of these, {_join(extreme)} {verb} also outside the 99.8% limits."
        parts.append(sentence)
    chosen = _match_council(table.index, highlight)
    if chosen is not None:
        row = table.loc[chosen]
        flag = str(row["flag"])
        where = ("within the limits" if flag == "within" else
                 f"{_side(flag)} the {'99.8' if flag.endswith('998') else '95'}% "
                 "limits")
        parts.append(f"{chosen} ({format_percent(row['share'], 0)}), highlighted, is {where}.")
    labelled = funnel_labelled(table, highlight=highlight)
    if len(labelled) < count:
        who = ["the councils outside the 95% limits"] if not outside.empty else []
        if chosen is not None and (chosen not in outside.index):
            who.append(str(chosen))
        if who:
            parts.append(f"Only {_join(who)} {'is' if who == [str(chosen)] else 'are'} "
                         "named on the chart.")
        else:
            parts.append("No council is named on the chart.")
    return " ".join(parts)


# --------------------------------------------------------------------------- heat map


def heatmap_colormap() -> LinearSegmentedColormap:
    """The heat map's sequential colour map, light to dark blue.

    Returns
    -------
    matplotlib.colors.LinearSegmentedColormap
        From :data:`HEATMAP_COLOURS`; cells with no ratings are drawn white.
    """
    cmap = LinearSegmentedColormap.from_list("review_blues", list(HEATMAP_COLOURS))
    return cmap.with_extremes(bad="white")


def _modal_n(counts: np.ndarray) -> int | None:
    values = counts[np.isfinite(counts) & (counts > 0)].astype(int)
    if values.size == 0:
        return None
    found, frequency = np.unique(values, return_counts=True)
    return int(found[np.argmax(frequency)])  # ties: the smallest of the most frequent


def _heatmap_frames(shares: pd.DataFrame, counts: pd.DataFrame
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    shares = shares.astype(float)
    counts = counts.reindex(index=shares.index, columns=shares.columns).astype(float)
    # A cell with no ratings has no share, whatever the shares frame says.
    return shares.where(counts.fillna(0) > 0), counts


@literal_text
def heatmap(shares: pd.DataFrame, counts: pd.DataFrame, *, ax: Axes | None = None,
            title: str | None = None, highlight: str | None = None) -> Axes:
    """Heat map of the share Good or better, council by question, value and n in each cell.

    Darker blue is a higher share (a sequential light-to-dark blue scale, never red and
    green); each cell prints its percentage, in white or near-black to contrast with the
    cell, and its n (e.g. "n=19") where that differs from the usual n, which the x-axis
    label states. Cells with no ratings are white and marked with a dash.

    Parameters
    ----------
    shares : pandas.DataFrame
        Councils as rows, questions as columns, shares in [0, 1] (column names are shown
        as they are, e.g. ``"Q3 Community assets"``, wrapped).
    counts : pandas.DataFrame
        The n behind each share, same shape and labels.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure sized to the table.
    title : str, optional
        Axes title.
    highlight : str, optional
        A council whose row label is drawn in bold.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; one image (``ax.images[0]``) of the shares, and texts with
        ``gid`` ``"heatmap-value:<row>:<column>"`` (the percentage, e.g. ``"85%"``) and
        ``"heatmap-n:<row>:<column>"``.
    """
    shares, counts = _heatmap_frames(shares, counts)
    values = shares.to_numpy(dtype=float)
    n = counts.to_numpy(dtype=float)
    rows, columns = values.shape
    column_labels = [str(c) for c in shares.columns]
    longest = max((len(label) for label in column_labels), default=1)
    if ax is None:
        # Column labels are set at 45 degrees, so the columns stay narrow and the chart
        # keeps the width of the other charts.
        width = max(6.0, 1.7 + 0.52 * columns + 0.8)
        height = 1.1 + 0.055 * longest + 0.42 * max(rows, 1)
        _, ax = plt.subplots(figsize=(width, height), layout="constrained")
    figure = _root_figure(ax)
    finite = values[np.isfinite(values)]
    vmin = min(0.5, math.floor(finite.min() * 10) / 10) if finite.size else 0.0
    norm = Normalize(vmin=vmin, vmax=1.0)
    cmap = heatmap_colormap()
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto",
                      interpolation="nearest")
    modal = _modal_n(n)
    for i in range(rows):
        for j in range(columns):
            share, count = values[i, j], n[i, j]
            key = f"{shares.index[i]}:{shares.columns[j]}"
            if not np.isfinite(share):
                ax.text(j, i, "–", ha="center", va="center", fontsize=9, color=_AXIS_COLOUR,
                        gid=f"heatmap-value:{key}")
                continue
            colour = to_hex(cmap(norm(share)))
            ink = text_colour_for(colour)
            show_n = modal is not None and np.isfinite(count) and int(count) != modal
            ax.text(j, i - (0.13 if show_n else 0), format_percent(share, 0), ha="center",
                    va="center", fontsize=8.5, color=ink, gid=f"heatmap-value:{key}")
            if show_n:
                ax.text(j, i + 0.24, f"n={int(count)}", ha="center", va="center",
                        fontsize=6.5, color=ink, gid=f"heatmap-n:{key}")
    ax.set_xticks(np.arange(columns), column_labels, fontsize=8.5, rotation=45,
                  ha="left", rotation_mode="anchor")
    ax.set_yticks(np.arange(rows), [str(r) for r in shares.index], fontsize=9)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(-0.5, columns, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    chosen = _match_council(shares.index, highlight)
    if chosen is not None:
        label = ax.get_yticklabels()[shares.index.get_loc(chosen)]
        label.set_fontweight("bold")
    if modal is not None:
        unusual = " unless shown" if np.any(np.isfinite(n) & (n > 0) & (n != modal)) else ""
        ax.set_xlabel(f"Percentage rated Good or better; n = {modal} cases per cell{unusual}",
                      fontsize=9)
    bar = figure.colorbar(image, ax=ax, fraction=0.03, pad=0.02, aspect=30)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.0f}%"))
    bar.ax.tick_params(labelsize=8)
    bar.outline.set_visible(False)
    bar.set_label("Share Good or better", fontsize=8.5)
    if title:
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    return ax


def _cells(mask: pd.DataFrame, counts: pd.DataFrame, modal: int) -> tuple[int, str]:
    """The cells where ``mask`` holds, named by council: "Northwold on Q10 and Q11".

    Councils with most such cells come first, separated by semicolons; beyond three
    councils the rest are counted. n is given only where it differs from the usual n.
    """
    groups = []
    for row in mask.index:
        hits = [column for column in mask.columns if bool(mask.loc[row, column])]
        if not hits:
            continue
        if len(hits) > 2:
            groups.append((len(hits), f"{row} on {len(hits)} questions"))
            continue
        named = [f"{column} (n={int(counts.loc[row, column])})"
                 if int(counts.loc[row, column]) != modal else str(column) for column in hits]
        groups.append((len(hits), f"{row} on {_join(named)}"))
    groups.sort(key=lambda item: -item[0])
    total = sum(k for k, _ in groups)
    names = [name for _, name in groups]
    if len(names) > 3:
        rest = sum(k for k, _ in groups[2:])
        names = [*names[:2], f"{rest} cells of {len(names) - 2} other councils"]
    return total, "; ".join(names)


def alt_text_heatmap(shares: pd.DataFrame, counts: pd.DataFrame) -> str:
    """Alt text for :func:`heatmap`: the size of the table, n, and its lowest and highest cells.

    Parameters
    ----------
    shares, counts : pandas.DataFrame
        The frames given to :func:`heatmap`.

    Returns
    -------
    str
        E.g. "Heat map of the share rated Good or better for 14 councils by 12 questions,
        n = 20 cases per cell except 8 cells (17 to 19). Lowest 15%, in 2 cells: Northwold
        on Q10 Legislation and Q11 Management oversight. Highest 100%, in 18 cells: Kestrel
        Vale on 10 questions; Ravensfield on Q1 Person's voice and Q9 Partnership; 6 cells
        of 5 other councils."
    """
    shares, counts = _heatmap_frames(shares, counts)
    rows, columns = shares.shape
    first = (f"Heat map of the share rated Good or better for {rows} "
             f"council{'s' if rows != 1 else ''} by {columns} "
             f"question{'s' if columns != 1 else ''}")
    n = counts.to_numpy(dtype=float)
    modal = _modal_n(n)
    if modal is None:
        return first + ": no cell has any ratings."
    odd = counts[(counts > 0) & (counts != modal)].stack().dropna()
    first += f", n = {modal} cases per cell"
    if len(odd):
        first += (f" except {len(odd)} cell{'s' if len(odd) != 1 else ''} "
                  f"({_count_range(odd)})")
    empty = int((counts.fillna(0) <= 0).to_numpy().sum())
    if empty:
        first += f"; {empty} cell{'s have' if empty != 1 else ' has'} no ratings"
    rounded = (shares * 100).round()
    sentences = [first + "."]
    low, high = np.nanmin(rounded.to_numpy()), np.nanmax(rounded.to_numpy())
    for word, value in (("Lowest", low), ("Highest", high)):
        if word == "Highest" and high == low:
            break
        total, cells = _cells(rounded == value, counts, modal)
        where = f", in {total} cells" if total > 1 else ""
        sentences.append(f"{word} {value:.0f}%{where}: {cells}.")
    return " ".join(sentences)


# --------------------------------------------------------------------------- council bars


@literal_text
def council_judgement_bars(counts: pd.DataFrame, *, highlight: str | None = None,
                           ax: Axes | None = None, title: str | None = None,
                           sort: bool = False) -> Axes:
    """Every council's overall judgements as diverging stacked bars (percent of its cases).

    Drawn by :func:`diverging_bars`: Good and Outstanding right of zero, Requires
    Improvement and Inadequate left, percentages on the segments, each council's n in its
    label, all four levels in the legend. The highlighted council's label is bold.

    Parameters
    ----------
    counts : pandas.DataFrame
        Councils as rows, a count column per level (``Outstanding``, ``Good``,
        ``Requires Improvement``, ``Inadequate``).
    highlight : str, optional
        A council to pick out (case-insensitive).
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure whose height grows with the councils.
    title : str, optional
        Axes title.
    sort : bool, default False
        Order by share Good or better; by default the input order (e.g. alphabetical),
        because councils are compared with chance, not ranked.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; y tick labels read e.g. ``"Dudley (n=20)"``.
    """
    frame = _as_level_frame(counts[list(LEVELS)])
    frame = _ordered(frame, sort)
    ax = diverging_bars(frame[list(LEVELS)], ax=ax, title=title,
                        xlabel="Percentage of the council's case records")
    chosen = _match_council(frame.index, highlight)
    if chosen is not None:
        label = ax.get_yticklabels()[frame.index.get_loc(chosen)]
        label.set_fontweight("bold")
        label.set_color(FOCUS_COLOUR)
    return ax


def alt_text_council_judgements(counts: pd.DataFrame) -> str:
    """Alt text for :func:`council_judgement_bars`: councils, n, range and totals.

    Parameters
    ----------
    counts : pandas.DataFrame
        The frame given to :func:`council_judgement_bars`.

    Returns
    -------
    str
        E.g. "Diverging bar chart of overall judgements for 14 councils, 20 cases each.
        Share judged Good or better ranges from 30% (Northwold) to 100% (Kestrel Vale).
        Across all 280 cases: Outstanding 61 (22%), Good 168 (60%), Requires Improvement
        47 (17%) and Inadequate 4 (1%)."
    """
    frame = _as_level_frame(counts[list(LEVELS)])
    count = len(frame)
    first = (f"Diverging bar chart of overall judgements for {count} "
             f"council{'s' if count != 1 else ''}, {_n_phrase(frame['n'], 'case')}.")
    names = [str(k) for k in frame.index]
    second = _range_sentence(frame["share_good"], names, "council").replace(
        "rated Good", "judged Good")
    totals = frame[list(LEVELS)].sum()
    total = int(totals.sum())
    if total == 0:
        return f"{first} {second}"
    parts = [f"{level} {int(v)} ({format_percent(v / total, 0)})" for level, v in
             totals.items()]
    return f"{first} {second} Across all {total} cases: {_join(parts)}."


# --------------------------------------------------------------------------- change


def _cycles_text(values: pd.Series) -> str:
    found = list(dict.fromkeys(str(v) for v in values))
    return found[0] if len(found) == 1 else ""


@literal_text
def change_plot(changes: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None,
                xlabel: str = "Share Good or better") -> Axes:
    """Each council's share in its earlier and later review, with intervals and an arrow.

    One row per council: the earlier share (turquoise square) above the later one (dark blue
    circle), each with its 95% interval as a line, and an arrow from earlier to later. The
    shares and the change in points are printed at the right. A council whose change goes
    beyond what chance would give is marked ``*`` after its name, explained in the legend.

    Parameters
    ----------
    changes : pandas.DataFrame
        Indexed by council: ``before_share``, ``before_low``, ``before_high``,
        ``after_share``, ``after_low``, ``after_high`` (proportions), ``before_cycle``,
        ``after_cycle`` and ``beyond_chance`` (bool), e.g. from
        :func:`review_lib.cross_report.cycle_changes`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure whose height grows with the councils.
    title : str, optional
        Axes title.
    xlabel : str, default "Share Good or better"
        x-axis label.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; collections with ``gid`` ``"change-point:before"`` and
        ``"change-point:after"`` (offsets ``(share %, row)``), interval lines
        ``"change-interval:before"``/``"...:after"``, and tick labels ending in ``" *"`` for
        changes beyond chance.
    """
    frame = changes
    count = len(frame)
    if ax is None:
        _, ax = plt.subplots(figsize=(_FIG_WIDTH, 1.9 + 0.62 * max(count, 1)),
                             layout="constrained")
    if count == 0:
        ax.text(0.5, 0.5, "No council was reviewed in two cycles", transform=ax.transAxes,
                ha="center")
        return ax
    rows = np.arange(count, dtype=float)
    offset = 0.17
    before_cycle, after_cycle = (_cycles_text(frame["before_cycle"]),
                                 _cycles_text(frame["after_cycle"]))
    for when, shift, cycle, label in (
            ("before", -offset, before_cycle, "Earlier review"),
            ("after", offset, after_cycle, "Later review")):
        share = frame[f"{when}_share"].to_numpy(dtype=float) * 100
        y = rows + shift
        ax.hlines(y, frame[f"{when}_low"].to_numpy(dtype=float) * 100,
                  frame[f"{when}_high"].to_numpy(dtype=float) * 100,
                  color=CHANGE_COLOURS[when], linewidth=2.2 if when == "after" else 1.8,
                  gid=f"change-interval:{when}", label="_nolegend_", zorder=2)
        ax.scatter(share, y, marker=CHANGE_MARKERS[when], s=58 if when == "after" else 50,
                   color=CHANGE_COLOURS[when], edgecolors="white", linewidths=0.8, zorder=4,
                   label=f"{label} ({cycle}), with 95% interval" if cycle else
                   f"{label}, with 95% interval", gid=f"change-point:{when}")
    for row, (_, item) in zip(rows, frame.iterrows(), strict=True):
        ax.annotate("", xy=(item["after_share"] * 100, row + offset),
                    xytext=(item["before_share"] * 100, row - offset),
                    arrowprops=dict(arrowstyle="-|>", color=_AXIS_COLOUR, linewidth=0.9,
                                    shrinkA=4.5, shrinkB=4.5, mutation_scale=9),
                    zorder=3, gid="change-arrow")
    beyond = frame["beyond_chance"].astype(bool).to_numpy()
    ticks = []
    for council, item, mark in zip(frame.index, frame.itertuples(), beyond, strict=True):
        name = f"{council} *" if mark else str(council)
        if not (before_cycle and after_cycle):
            name += f"\n({item.before_cycle} to {item.after_cycle})"
        ticks.append(name)
    ax.set_yticks(rows, ticks)
    ax.set_ylim(count - 0.5, -0.5)
    low = min(float(frame["before_low"].min()), float(frame["after_low"].min()))
    x_low = min(50.0, math.floor(low * 10) * 10)
    ax.set_xlim(x_low - 1, 101)
    ax.set_xticks(np.arange(x_low, 100.001, 10))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.0f}%"))
    ax.set_xlabel(xlabel)
    _style(ax)
    transform = ax.get_yaxis_transform()
    shares = frame[["before_share", "after_share"]].to_numpy(dtype=float) * 100
    decimals = 0 if np.allclose(shares, np.round(shares), atol=1e-9) else 1
    ax.text(1.02, -0.5, "Change", transform=transform, ha="left", va="bottom", fontsize=9,
            fontweight="bold", color=_TEXT_DARK)
    for row, item in zip(rows, frame.itertuples(), strict=True):
        ax.text(1.02, row, _change_text(item.before_share, item.after_share, decimals),
                transform=transform, ha="left", va="center", fontsize=9, color=_TEXT_DARK,
                gid="change-label")
    handles, _ = ax.get_legend_handles_labels()
    note = ("* change beyond what chance would give" if beyond.any() else
            "* would mark a change beyond chance (none here)")
    handles.append(plt.Line2D([], [], linestyle="none", marker="none", label=note))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2,
              frameon=False, fontsize=8.5, handlelength=1.2, columnspacing=1.4,
              borderaxespad=0.4)
    if title:
        ax.set_title(title, loc="left", pad=_TITLE_PAD + 12, fontsize=11, fontweight="bold")
    return ax


def _change_text(before: float, after: float, decimals: int) -> str:
    """``"65% → 90% (+25 pts)"``, to one decimal when the shares are not whole percents."""
    points = round((after - before) * 100, decimals)
    if points == 0:
        change = "±0 pts"  # the shares are equal; "no change" would overstate what 20 show
    else:
        unit = "pt" if abs(points) == 1 else "pts"
        change = f"{points:+.{decimals}f} {unit}"
    return (f"{format_percent(before, decimals)} → {format_percent(after, decimals)} "
            f"({change})")


def alt_text_change(changes: pd.DataFrame) -> str:
    """Alt text for :func:`change_plot`: each council's two shares and which changes count.

    Parameters
    ----------
    changes : pandas.DataFrame
        The frame given to :func:`change_plot`.

    Returns
    -------
    str
        E.g. "Chart of the share Good or better for 5 councils in their earlier and later
        reviews, each with its 95% interval: Ashcombe 85% (2019) to 75% (2022-24); ...
        No change goes beyond what chance would give."
    """
    count = len(changes)
    if count == 0:
        return "Change chart: no council was reviewed in two cycles."
    parts = [f"{council} {format_percent(row.before_share, 0)} ({row.before_cycle}) to "
             f"{format_percent(row.after_share, 0)} ({row.after_cycle})"
             for council, row in zip(changes.index, changes.itertuples(), strict=True)]
    first = (f"Chart of the share Good or better for {count} "
             f"council{'s' if count != 1 else ''} in their earlier and later reviews, each "
             f"with its 95% interval: {'; '.join(parts)}.")
    beyond = [str(c) for c, b in changes["beyond_chance"].astype(bool).items() if b]
    if not beyond:
        return first + (" No change goes beyond what chance would give: there is no clear "
                         "evidence of a change for any council.")
    subject = "change" if len(beyond) == 1 else "changes"
    verb = "goes" if len(beyond) == 1 else "go"
    others = count - len(beyond)
    rest = (f"; for the other {others} there is no clear evidence of a change"
            if others else "")
    return (f"{first} The {subject} for {_join(beyond)} (marked *) {verb} beyond what "
            f"chance would give{rest}.")


# --------------------------------------------------------------------------- saving


def save_figure(fig_or_ax: Figure | SubFigure | Axes, path: str | os.PathLike, *,
                dpi: int = 150) -> Path:
    """Write a figure to PNG atomically, creating folders, then close the figure.

    The image is written to a temporary file in the target folder and moved into place
    with :func:`os.replace`, so a reader never sees a half-written file.

    Parameters
    ----------
    fig_or_ax : matplotlib.figure.Figure or matplotlib.axes.Axes
        The figure, or any Axes on it.
    path : str or path-like
        Where to write the PNG; missing parent folders are created.
    dpi : int, default 150
        Resolution.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    figure = _root_figure(fig_or_ax)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A hidden sibling, opened exclusively, so os.replace stays on one file system and the
    # file gets the usual permissions (mkstemp would make it private to its owner).
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temporary, "xb") as stream, matplotlib.rc_context(LITERAL_TEXT):
            figure.savefig(stream, format="png", dpi=dpi, bbox_inches="tight",
                           facecolor="white", metadata={"Software": None})
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        plt.close(figure)
    return path


# Tidy-first Likert charts live in their own module; they are part of this one's interface.
from review_lib.likert import likert as likert  # noqa: E402
from review_lib.likert import likert_counts as likert_counts  # noqa: E402
