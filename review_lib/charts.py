"""Charts for a Practice Review report: diverging bars, judgement bars, case profiles.

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

import math
import os
import textwrap
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import offset_copy

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
        with open(temporary, "xb") as stream:
            figure.savefig(stream, format="png", dpi=dpi, bbox_inches="tight",
                           facecolor="white", metadata={"Software": None})
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        plt.close(figure)
    return path
