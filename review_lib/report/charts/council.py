"""A council's charts: bars by question and auditor, judgements, case profiles, alt text."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import offset_copy

from review_lib.analysis.summary import case_table, format_percent
from review_lib.data.scale import GOOD_OR_BETTER, LEVELS
from review_lib.report.charts.base import (
    _AXIS_COLOUR,
    _TEXT_DARK,
    _TITLE_PAD,
    CHART_AXES,
    CONTEXT_COLOUR,
    LEVEL_COLOURS,
    LEVEL_HATCHES,
    LEVELS_WORST_FIRST,
    _as_level_frame,
    _draw_diverging,
    _fit_labels,
    _format_percent_label,
    _lay_out,
    _level_legend,
    _names,
    _new_axes,
    _ordered,
    _percent_axis,
    _short_names,
    _style,
    _symmetric_limit,
    _tick_label,
    level_handles,
    literal_text,
)

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
        :func:`review_lib.analysis.summary.question_summary`. A
        :func:`review_lib.analysis.summary.level_counts` table is accepted too and drawn as a single
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
                    title: str | None, xlabel: str, empty: np.ndarray,
                    unfitted: list | None = None, legend: str | None = "above") -> Axes:
    # ``unfitted``: collect the segment labels there rather than fit them now (a faceted
    # chart fits every panel's after one layout of the whole figure).
    own_figure = ax is None
    limit = _symmetric_limit(percents.fillna(0), step=20, floor=40)
    if own_figure:
        lines = max((t.count("\n") + 1 for t in ticks), default=1)
        ax = _new_axes(len(percents), lines=lines)
    labels = _draw_diverging(ax, percents.fillna(0), ticks, fmt=_format_percent_label,
                             limit=limit)
    for row in np.flatnonzero(empty):
        ax.text(0, row, "  no applicable ratings", ha="left", va="center", fontsize=8.5,
                color=_AXIS_COLOUR, style="italic")
    _percent_axis(ax, limit, xlabel)
    _style(ax)
    if legend == "above":
        _level_legend(ax)
    elif legend == "below":  # a title then sits just above the bars
        ax.legend(handles=level_handles(), loc="upper center", bbox_to_anchor=(0.5, -0.12),
                  ncols=4, frameon=False, fontsize=9, handlelength=1.6, handleheight=1.1,
                  columnspacing=1.4)
    if title:
        pad = _TITLE_PAD if legend == "above" else None
        ax.set_title(title, loc="left", pad=pad, fontsize=11, fontweight="bold")
    if unfitted is not None:
        unfitted.append((ax, labels))
        return ax
    _lay_out(ax.figure, keep=own_figure)
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
        From :func:`review_lib.analysis.summary.auditor_summary`: a row per auditor with the four
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
                   xlabel: str | None = None, ylabel: str = "Number of cases",
                   size: tuple[float, float] = (6.5, 4.0), ymax: int | None = None) -> Axes:
    """Bar chart of overall judgements: all four levels, each annotated "count (percent)".

    Parameters
    ----------
    counts : pandas.DataFrame
        From :func:`review_lib.analysis.summary.level_counts`: indexed by level with a ``count``
        column. Missing levels are drawn as zero.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure.
    title : str, optional
        Axes title.
    xlabel : str, optional
        By default "Overall judgement (n=20 cases)"; the same chart serves one question's
        ratings with, say, ``xlabel="Rating (n=20 case records)"``.
    ylabel : str, default "Number of cases"
        The y axis label.
    size : tuple of float, default (6.5, 4.0)
        Figure size in inches, for a new figure.
    ymax : int, optional
        The count the y axis is scaled to (by default the largest bar), so that charts of
        several questions, each scaled to its n, can be compared by eye.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on, with one bar per level, worst to best from left to right (the
        order of the diverging bars), zero-count levels included.
    """
    values = counts["count"].reindex(list(LEVELS_WORST_FIRST), fill_value=0).astype(int)
    total = int(values.sum())
    if ax is None:
        _, ax = plt.subplots(subplot_kw=CHART_AXES, figsize=size, layout="constrained")
    x = np.arange(len(values))
    bars = ax.bar(x, values.to_numpy(), width=0.62,
                  color=[LEVEL_COLOURS[level] for level in values.index],
                  edgecolor="white", linewidth=0.8, label="Overall judgement")
    for bar, level in zip(bars, values.index, strict=True):
        if LEVEL_HATCHES[level]:
            bar.set_hatch(LEVEL_HATCHES[level])
    top = max(int(values.max()) if ymax is None else int(ymax), 1)
    for xi, (level, count) in zip(x, values.items(), strict=True):
        share = count / total if total else math.nan
        ax.annotate(f"{count} ({format_percent(share, 0)})", (xi, count),
                    xytext=(0, 4), textcoords="offset points", ha="center", va="bottom",
                    fontsize=10, color=_TEXT_DARK, gid=f"bar-label:{level}")
    ax.set_xticks(x, [textwrap.fill(level, 12) for level in values.index])
    ax.set_ylim(0, top * 1.18 + 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel if xlabel is not None else f"Overall judgement (n={total} cases)")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color=CONTEXT_COLOUR, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="x", length=0)
    if title:
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    return ax


# --------------------------------------------------------------------------- question panels

#: A figure of question panels, in inches: its width (the text width of an A4 page, about),
#: the room for the level names left of the first column, the gap between columns, the
#: height of a panel's bars and the room above them for its heading (up to three lines).
#: Four rows of three (twelve questions) make a figure a little taller than wide, which the
#: reports' print style lets take most of an A4 page, so its 8-point labels print at 7.
_PANELS_WIDTH = 7.4
_PANELS_LEFT = 0.95
_PANELS_GAP = 0.3
_PANEL_BARS = 1.35
_PANEL_HEADING = 0.5
#: Characters of a panel's heading line before it wraps.
_PANEL_LABEL_WIDTH = 25


def _panel_heading(name: str, n: int) -> str:
    """A panel's heading: the question on a line or two, "(n=20)" kept whole at the end."""
    lines = textwrap.wrap(name.strip(), _PANEL_LABEL_WIDTH) or [""]
    detail = f"(n={n})"
    if len(lines[-1]) + len(detail) + 1 <= _PANEL_LABEL_WIDTH:
        lines[-1] = f"{lines[-1]} {detail}"
    else:
        lines.append(detail)
    return "\n".join(lines)


@literal_text
def question_panels(summary: pd.DataFrame, *,
                    labels: Sequence[str] | Mapping[object, str] | None = None,
                    ncols: int = 3, ax: Axes | None = None, title: str | None = None
                    ) -> Axes:
    """One small bar chart per question, all in one figure: the count at each level.

    Each panel is headed by the question's number and short label and its n, and has a
    bar for each level, best at the top (the order of the count tables), in the level's
    colour and hatching, labelled with its count and percentage. Every panel has the same
    scale (the largest n), so a bar of 10 is as long in each; the levels are named beside
    the first panel of each row.

    The panels are drawn on one Axes, laid out by the inch (matplotlib makes an Axes in
    about the time it draws a dozen bars, so twelve Axes cost more than the chart).

    Parameters
    ----------
    summary : pandas.DataFrame
        A row per question with a count column per level and optionally ``n`` and
        ``label``, as :func:`review_lib.analysis.summary.question_summary` makes it (and
        :attr:`ReviewResults.questions <review_lib.analysis.results.ReviewResults>` holds).
    labels : sequence of str or mapping, optional
        Panel headings instead of ``"<id> <label>"``: one per row, or a mapping from index
        value to heading. ``(n=...)`` is always appended.
    ncols : int, default 3
        Panels per row (three fit the width of a printed A4 page).
    ax : matplotlib.axes.Axes, optional
        Where to draw (its axis lines and ticks are turned off); by default a new figure
        whose height grows with the number of rows.
    title : str, optional
        A heading over all the panels (the figure's ``suptitle`` in a figure of its own,
        else the Axes' title).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. Its ``containers`` hold one bar container per level (best
        first), with a bar per question in the rows' order; each text has a ``gid``:
        ``"panel-heading:<row>"`` for a panel's heading (``"<heading> (n=...)"``),
        ``"panel-count:<row>:<level>"`` for a count and ``"panel-level:<level>"`` for a
        level's name, where ``<row>`` is the row's index value.

    Raises
    ------
    ValueError
        If a level column is missing, ``labels`` has the wrong length or ``ncols`` is
        less than 1.
    """
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    frame = _as_level_frame(summary)
    names = _names(frame, labels)
    count = max(len(frame), 1)
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    # Everything below is placed in inches from the top left, the Axes' data units.
    top = 0.3 if title and ax is None else 0.1
    height = top + nrows * (_PANEL_HEADING + _PANEL_BARS) + 0.1
    if ax is None:
        # A layout of its own (the placeholder says so): saved as laid out, not cropped.
        figure = plt.figure(figsize=(_PANELS_WIDTH, height),
                            layout=PlaceHolderLayoutEngine(adjust_compatible=True,
                                                           colorbar_gridspec=True))
        ax = figure.add_axes((0, 0, 1, 1))
        if title:
            figure.suptitle(title, x=0.01, y=1 - 0.1 / height, ha="left", va="top",
                            fontsize=11, fontweight="bold")
    elif title:
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.set_axis_off()
    ax.set_xlim(0, _PANELS_WIDTH)
    ax.set_ylim(height, 0)
    width = (_PANELS_WIDTH - _PANELS_LEFT - 0.15 - (ncols - 1) * _PANELS_GAP) / ncols
    position = np.arange(len(frame))
    left = _PANELS_LEFT + (position % ncols) * (width + _PANELS_GAP)
    bars_top = top + (position // ncols) * (_PANEL_HEADING + _PANEL_BARS) + _PANEL_HEADING
    row_height = _PANEL_BARS / len(LEVELS)
    n = frame["n"].astype(int).to_numpy()
    # One scale for every panel, with room for "20 (100%)" beyond the longest bar.
    per_count = width / (max(int(n.max()) if len(n) else 0, 1) * 1.6)
    above = offset_copy(ax.transData, fig=ax.figure, y=6, units="points")
    beside = offset_copy(ax.transData, fig=ax.figure, x=3, units="points")
    before = offset_copy(ax.transData, fig=ax.figure, x=-3.5, units="points")
    for index, level in enumerate(LEVELS):
        values = frame[level].astype(int).to_numpy()
        middle = bars_top + (index + 0.5) * row_height
        ax.barh(middle, values * per_count, left=left, height=0.72 * row_height,
                color=LEVEL_COLOURS[level], edgecolor="white", linewidth=0.8,
                hatch=LEVEL_HATCHES[level] or None, label=level)
        for key, x, y, value, total in zip(frame.index, left, middle, values, n,
                                           strict=True):
            if total:
                ax.text(x + value * per_count, y, f"{value} ({format_percent(value / total, 0)})",
                        transform=beside, ha="left", va="center", fontsize=8,
                        color=_TEXT_DARK, gid=f"panel-count:{key}:{level}")
        for x, y in zip(left[left == _PANELS_LEFT], middle[left == _PANELS_LEFT],
                        strict=True):
            ax.text(x, y, textwrap.fill(level, 12), transform=before, ha="right",
                    va="center", fontsize=8, color=_TEXT_DARK, gid=f"panel-level:{level}")
    ax.vlines(left, bars_top, bars_top + _PANEL_BARS, color=_AXIS_COLOUR, linewidth=0.8)
    for key, name, x, y, total in zip(frame.index, names, left, bars_top, n, strict=True):
        ax.text(x, y, _panel_heading(name, int(total)), transform=above, ha="left",
                va="bottom", fontsize=9, fontweight="bold", color=_TEXT_DARK,
                gid=f"panel-heading:{key}")
        if not total:
            ax.text(x + width / 2, y + _PANEL_BARS / 2, "not rated in this review",
                    ha="center", va="center", fontsize=8, style="italic",
                    color=_AXIS_COLOUR)
    return ax


def alt_text_question_panels(summary: pd.DataFrame, *,
                             labels: Sequence[str] | Mapping[object, str] | None = None
                             ) -> str:
    """Alt text for :func:`question_panels`: every question's count at each level.

    Parameters
    ----------
    summary : pandas.DataFrame
        The frame given to :func:`question_panels`.
    labels : sequence of str or mapping, optional
        The same ``labels`` given to the chart.

    Returns
    -------
    str
        E.g. "12 bar charts, one for each question, of how many case records were rated
        at each level. Q1 Person's voice, 20 records: Outstanding 8, Good 11, Requires
        Improvement 1 and Inadequate 0. Q2 Strengths, ..."
    """
    frame = _as_level_frame(summary)
    names = _names(frame, labels)
    count = len(frame)
    charts = "1 bar chart" if count == 1 else f"{count} bar charts, one for each question,"
    parts = [f"{charts} of how many case records were rated at each level."]
    for name, (_, row) in zip(names, frame.iterrows(), strict=True):
        n = int(row["n"])
        if not n:
            parts.append(f"{name}: not rated in this review.")
            continue
        counts = _join([f"{level} {int(row[level])}" for level in LEVELS])
        parts.append(f"{name}, {n} record{'s' if n != 1 else ''}: {counts}.")
    return " ".join(parts)


# --------------------------------------------------------------------------- case profile


def _case_table(ratings: pd.DataFrame, judgements: pd.DataFrame | None) -> pd.DataFrame:
    """The case table of :func:`review_lib.analysis.summary.case_table` (or as given)."""
    if judgements is None:
        return ratings.copy()
    return case_table(ratings, judgements)


@literal_text
def case_profile(ratings: pd.DataFrame, judgements: pd.DataFrame | None = None, *,
                 ax: Axes | None = None, title: str | None = None) -> Axes:
    """How each case's overall judgement sits against its own question ratings.

    One row per case pseudonym: a diverging bar of how many of the case's questions were
    rated at each level (Good and Outstanding right of zero, Requires Improvement and
    Inadequate left), with the case's overall judgement written at the right-hand end.
    Rows are sorted by judgement (best at the top), then by mean rating.

    Parameters
    ----------
    ratings : pandas.DataFrame
        One review's tidy ratings (columns ``case`` and ``rating``), or its case table
        (:func:`review_lib.analysis.summary.case_table`, as
        :attr:`ReviewResults.case_records <review_lib.analysis.results.ReviewResults>` holds
        it) with ``judgements`` left out.
    judgements : pandas.DataFrame, optional
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
    own_figure = ax is None
    most = int(table["n"].max()) if len(table) else 0
    limit = float(max(most, 4))
    if own_figure:
        ax = _new_axes(len(table))
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
    _lay_out(ax.figure, keep=own_figure)
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
        From :func:`review_lib.analysis.summary.auditor_summary`.

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
        From :func:`review_lib.analysis.summary.level_counts`.

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


def alt_text_question_levels(counts: pd.DataFrame, label: str) -> str:
    """Alt text for one question's ratings drawn by :func:`judgement_bars`.

    Parameters
    ----------
    counts : pandas.DataFrame
        The question's count per level (:func:`review_lib.analysis.summary.level_table`).
    label : str
        The question, e.g. "Q11 Management oversight".

    Returns
    -------
    str
        E.g. "Bar chart of the ratings of Q11 Management oversight, 20 case records:
        Outstanding 1 (5%), Good 11 (55%), Requires Improvement 7 (35%) and Inadequate 1
        (5%). 12 of 20 (60%) were Good or better."
    """
    values = counts["count"].reindex(list(LEVELS), fill_value=0).astype(int)
    total = int(values.sum())
    if total == 0:
        return f"Bar chart of the ratings of {label}: no case record was rated on it."
    parts = [f"{level} {count} ({format_percent(count / total, 0)})"
             for level, count in values.items()]
    good = int(values[list(GOOD_OR_BETTER)].sum())
    records = "case record" if total == 1 else "case records"
    return (f"Bar chart of the ratings of {label}, {total} {records}: {_join(parts)}. "
            f"{good} of {total} ({format_percent(good / total, 0)}) were Good or better.")


def alt_text_case_profile(ratings: pd.DataFrame, judgements: pd.DataFrame | None = None
                          ) -> str:
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


