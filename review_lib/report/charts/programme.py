"""Programme charts: the heat map, council judgement bars and change between cycles."""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, Normalize, to_hex
from matplotlib.ticker import FuncFormatter

from review_lib.analysis.summary import format_percent
from review_lib.data.scale import LEVELS
from review_lib.report.charts.base import (
    _AXIS_COLOUR,
    _FIG_WIDTH,
    _TEXT_DARK,
    _TITLE_PAD,
    CHART_AXES,
    FOCUS_COLOUR,
    _as_level_frame,
    _ordered,
    _root_figure,
    _style,
    literal_text,
    text_colour_for,
)
from review_lib.report.charts.council import (
    _count_range,
    _join,
    _n_phrase,
    _range_sentence,
    diverging_bars,
)
from review_lib.report.charts.funnel import (
    CHANGE_COLOURS,
    CHANGE_MARKERS,
    HEATMAP_COLOURS,
    _match_council,
)

# --------------------------------------------------------------------------- heat map


#: The heat map's cell figures, in points: printed at an A4 page's width (report.css), the
#: share prints at about 7.7 points and an n below it at about 6.9.
_HEATMAP_VALUE_FONT = 9.5
_HEATMAP_N_FONT = 8.5


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
        _, ax = plt.subplots(subplot_kw=CHART_AXES, figsize=(width, height), layout="constrained")
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
                    va="center", fontsize=_HEATMAP_VALUE_FONT, color=ink,
                    gid=f"heatmap-value:{key}")
            if show_n:
                ax.text(j, i + 0.24, f"n={int(count)}", ha="center", va="center",
                        fontsize=_HEATMAP_N_FONT, color=ink, gid=f"heatmap-n:{key}")
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


def alt_text_heatmap(shares: pd.DataFrame, counts: pd.DataFrame, unit: str = "council"
                     ) -> str:
    """Alt text for :func:`heatmap`: the size of the table, n, and its lowest and highest cells.

    Parameters
    ----------
    shares, counts : pandas.DataFrame
        The frames given to :func:`heatmap`.
    unit : str, default "council"
        What a row is ("region" for a national view by region).

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
             f"{unit}{'s' if rows != 1 else ''} by {columns} "
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


def alt_text_council_judgements(counts: pd.DataFrame, unit: str = "council") -> str:
    """Alt text for :func:`council_judgement_bars`: councils, n, range and totals.

    Parameters
    ----------
    counts : pandas.DataFrame
        The frame given to :func:`council_judgement_bars`.
    unit : str, default "council"
        What a bar is ("region" for a national view by region).

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
             f"{unit}{'s' if count != 1 else ''}, {_n_phrase(frame['n'], 'case')}.")
    names = [str(k) for k in frame.index]
    second = _range_sentence(frame["share_good"], names, unit).replace(
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
        :attr:`review_lib.analysis.scopes.CycleChanges.table`.
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
                             layout="constrained", subplot_kw=CHART_AXES)
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
        # A long name ("Yorkshire and the Humber") on two lines, so that the axes, and the
        # title and legend that start at their left edge, keep to the figure.
        name = textwrap.fill(str(council), 18, break_long_words=False)
        name = f"{name} *" if mark else name
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
    ax.heading_pad = _TITLE_PAD + 12  # a title set later stays above the legend
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


def alt_text_change(changes: pd.DataFrame, *, unit: str = "council") -> str:
    """Alt text for :func:`change_plot`: each council's two shares and which changes count.

    Parameters
    ----------
    changes : pandas.DataFrame
        The frame given to :func:`change_plot`.
    unit : str, default "council"
        What a row is: ``"council"``, or ``"region"`` for the national view by region.

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
    whose = ("the councils of each region, pooled, in their earlier and later reviews"
             if unit == "region" else "their earlier and later reviews")
    first = (f"Chart of the share Good or better for {count} "
             f"{unit}{'s' if count != 1 else ''} in {whose}, each "
             f"with its 95% interval: {'; '.join(parts)}.")
    beyond = [str(c) for c, b in changes["beyond_chance"].astype(bool).items() if b]
    if not beyond:
        return first + (" No change goes beyond what chance would give: there is no clear "
                        f"evidence of a change for any {unit}.")
    subject = "change" if len(beyond) == 1 else "changes"
    verb = "goes" if len(beyond) == 1 else "go"
    others = count - len(beyond)
    rest = (f"; for the other {others} there is no clear evidence of a change"
            if others else "")
    return (f"{first} The {subject} for {_join(beyond)} (marked *) {verb} beyond what "
            f"chance would give{rest}.")


