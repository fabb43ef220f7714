"""Dot plots against the programme average, for views where every council has the same n.

When every council examined the same number of records, a funnel plot puts every point in
one vertical column and its limits are the same for all: a dot plot of each council's share
with its 95% interval, the limits drawn as a band and lines across, reads better (see
docs/methods.md and the design note "Statistics that suit 20 cases"). Councils are
ordered alphabetically within their region, never by their share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from review_lib.analysis.funnel import funnel_x
from review_lib.analysis.summary import format_percent
from review_lib.report.charts.base import (
    _AXIS_COLOUR,
    _FIG_WIDTH,
    CHART_AXES,
    CONTEXT_COLOUR,
    FOCUS_COLOUR,
    PALETTE,
    _root_figure,
    literal_text,
)
from review_lib.report.charts.council import _join
from review_lib.report.charts.funnel import (
    _FUNNEL_EXTREME_COLOUR,
    FUNNEL_MARKERS,
    _funnel_measure,
    _funnel_target,
    _match_council,
    _side,
)

_ROW = 0.19  # inches per council row
_BAND_COLOUR = PALETTE[1] if len(PALETTE) > 1 else CONTEXT_COLOUR


def same_n(table: pd.DataFrame) -> bool:
    """Whether every council in a funnel table is compared at the same n.

    Parameters
    ----------
    table : pandas.DataFrame
        A funnel table (:func:`review_lib.analysis.funnel.funnel_table`).

    Returns
    -------
    bool
        True when the table has councils and one value of n (or effective n, for tables
        placed at the effective n) for all of them.
    """
    return len(table) > 0 and len(set(np.round(funnel_x(table), 6))) == 1


def dot_plot_order(councils, regions: Mapping[str, str] | None = None
                   ) -> list[tuple[str, str]]:
    """``(region, council)`` in reading order: regions, then councils, alphabetically.

    Parameters
    ----------
    councils : iterable of str
        The councils.
    regions : mapping of council to region, optional
        Councils without a region (or with no mapping) come under ``""``, last.

    Returns
    -------
    list of (str, str)
        Never ordered by any figure.
    """
    regions = regions or {}
    pairs = [(str(regions.get(c, "") or ""), str(c)) for c in councils]
    return sorted(pairs, key=lambda p: (p[0] == "", p[0].casefold(), p[1].casefold()))


def _intervals(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each council's Wilson 95% interval at the n it is compared at."""
    from review_lib.analysis.scopes import funnel_intervals

    return funnel_intervals(table)


@literal_text
def dot_plot(table: pd.DataFrame, *, regions: Mapping[str, str] | None = None,
             highlight: str | None = None, ax: Axes | None = None, title: str | None = None,
             xlabel: str = "Share Good or better") -> Axes:
    """Each council's share with its 95% interval, against the programme's limits.

    For a funnel table in which every council has the same n. The programme average is a
    solid vertical line, the 95% limits a shaded band, the 99.8% limits dotted lines; a
    council's marker is a circle inside the 95% limits and a triangle pointing to its side
    outside them (darker outside the 99.8% limits), so shape, not colour alone, carries the
    position. Councils are grouped by region (a bold heading row each) and ordered
    alphabetically within it.

    Parameters
    ----------
    table : pandas.DataFrame
        A funnel table: per council ``n``, ``share``, ``flag``, the limits, and
        ``attrs["target"]``.
    regions : mapping of council to region, optional
        Groups the rows; without it the councils are in one alphabetical list.
    highlight : str, optional
        A council to pick out.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure sized to the number of rows.
    title : str, optional
        Axes title.
    xlabel : str, default "Share Good or better"
        x-axis label.

    Returns
    -------
    matplotlib.axes.Axes
        Shares are in percent. Each council's marker is a collection with ``gid``
        ``"dot-point:<council>"`` and its interval a line ``"dot-interval:<council>"``; the
        average is ``"dot-target"``, the 95% band ``"dot-limit:95"``, the 99.8% lines
        ``"dot-limit:99.8:<lower|upper>"``; region headings are texts with ``gid``
        ``"dot-region:<region>"``.
    """
    order = dot_plot_order(table.index, regions)
    grouped = any(region for region, _ in order)
    rows: list[tuple[str, str]] = []  # ("region", name) or ("council", name)
    current = None
    for region, council in order:
        if grouped and region != current:
            rows.append(("region", region or "No region given"))
            current = region
        rows.append(("council", council))
    if ax is None:
        height = max(2.6, 1.6 + _ROW * len(rows))
        _, ax = plt.subplots(figsize=(_FIG_WIDTH, height), layout="constrained",
                             subplot_kw=CHART_AXES)
    if table.empty:
        ax.text(0.5, 0.5, "No councils to show", transform=ax.transAxes, ha="center")
        return ax
    figure = _root_figure(ax)
    target = _funnel_target(table) * 100
    first = table.iloc[0]
    low95, high95 = float(first["lower95"]) * 100, float(first["upper95"]) * 100
    low998, high998 = float(first["lower998"]) * 100, float(first["upper998"]) * 100
    ci_low, ci_high = _intervals(table)
    position = {c: i for i, c in enumerate(table.index)}
    chosen = _match_council(table.index, highlight)
    y_of = {}
    for y, (kind, name) in enumerate(rows):
        if kind == "council":
            y_of[name] = y
        else:
            ax.annotate(name, xy=(0.0, y), xycoords=("axes fraction", "data"),
                        xytext=(-6, 0), textcoords="offset points", ha="right",
                        va="center", fontsize=8.5, fontweight="bold", color=_AXIS_COLOUR,
                        gid=f"dot-region:{name}", annotation_clip=False)
    ax.axvspan(max(low95, 0), min(high95, 100), color=_BAND_COLOUR, alpha=0.12, linewidth=0,
               label="95% limits", gid="dot-limit:95", zorder=0)
    for value, end in ((low998, "lower"), (high998, "upper")):
        if 0 <= value <= 100:
            ax.axvline(value, linestyle=":", color=_AXIS_COLOUR, linewidth=1.3,
                       label="99.8% limits" if end == "upper" or high998 > 100 else "_nolegend_",
                       gid=f"dot-limit:99.8:{end}", zorder=1)
    ax.axvline(target, color=_AXIS_COLOUR, linewidth=1.4, gid="dot-target", zorder=1,
               label=f"Programme average ({format_percent(target / 100, 0)})")
    for council, y in y_of.items():
        i = position[council]
        flag = str(table["flag"].iloc[i])
        focus = council == chosen
        colour = (FOCUS_COLOUR if focus else _FUNNEL_EXTREME_COLOUR if flag.endswith("998")
                  else CONTEXT_COLOUR)
        ax.plot([ci_low[i] * 100, ci_high[i] * 100], [y, y], color=_AXIS_COLOUR,
                linewidth=0.9, solid_capstyle="butt", gid=f"dot-interval:{council}", zorder=2)
        ax.scatter([float(table["share"].iloc[i]) * 100], [y],
                   marker=FUNNEL_MARKERS[_side(flag)], s=42 if focus else 30, color=colour,
                   edgecolors="white" if focus else _AXIS_COLOUR, linewidths=0.7, zorder=3,
                   gid=f"dot-point:{council}", label="_nolegend_", clip_on=False)
    ax.set_yticks(list(y_of.values()), list(y_of), fontsize=7.5)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    lows = [v for v in (low95, low998, float(np.nanmin(ci_low)) * 100) if v >= 0]
    highs = [v for v in (high95, high998, float(np.nanmax(ci_high)) * 100) if v <= 100]
    left = max(0.0, math.floor((min(lows, default=0) - 2) / 10) * 10)
    right = min(100.0, math.ceil((max(highs, default=100) + 2) / 10) * 10)
    ax.set_xlim(left - 1, right + 1)
    ax.set_xticks(np.arange(left, right + 0.001, 10))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.0f}%"))
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.tick_params(axis="x", labelbottom=True, bottom=True)
    ax.set_xlabel(xlabel)
    for side in ("right", "left"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color=CONTEXT_COLOUR, linewidth=0.5)
    ax.set_axisbelow(True)
    handles = list(ax.get_legend_handles_labels()[0])
    for side, label, colour in (("within", "Inside the 95% limits", CONTEXT_COLOUR),
                                ("above", "Above the 95% limits", CONTEXT_COLOUR),
                                ("below", "Below the 95% limits", CONTEXT_COLOUR)):
        handles.append(plt.Line2D([], [], linestyle="none", marker=FUNNEL_MARKERS[side],
                                  markersize=6, color=colour, markeredgecolor=_AXIS_COLOUR,
                                  label=label))
    if set(table["flag"].astype(str)) & {"above998", "below998"}:
        handles.append(plt.Line2D([], [], linestyle="none", marker="o", markersize=6,
                                  color=_FUNNEL_EXTREME_COLOUR, markeredgecolor=_AXIS_COLOUR,
                                  label="Darker: outside the 99.8% limits too"))
    handles.append(plt.Line2D([], [], color=_AXIS_COLOUR, linewidth=0.9,
                              label="95% interval of the council's share"))
    if chosen is not None:
        handles.append(plt.Line2D([], [], linestyle="none", marker="o", markersize=6,
                                  color=FOCUS_COLOUR, label=f"{chosen} (highlighted)"))
    figure.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False,
                  fontsize=8)
    if title:
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    return ax


def alt_text_dot_plot(table: pd.DataFrame, *, regions: Mapping[str, str] | None = None,
                      highlight: str | None = None,
                      measure: str = "overall judgements") -> str:
    """Alt text for :func:`dot_plot`: the limits, and the councils outside the 99.8% ones.

    Only the councils outside the 99.8% limits are named; the others are counted.

    Parameters
    ----------
    table : pandas.DataFrame
        The table given to :func:`dot_plot`.
    regions : mapping of council to region, optional
        As given to :func:`dot_plot`.
    highlight : str, optional
        The highlighted council.
    measure : str, default "overall judgements"
        ``"overall judgements"`` or ``"question ratings"``.

    Returns
    -------
    str
        E.g. "Dot plot of 150 councils' share of case records judged Good or better, each
        with 20 records and its 95% interval, grouped by region (9 regions) and
        alphabetical within each; programme average 70%, 95% limits 50% to 85%, 99.8%
        limits 40% to 95%. Outside the 99.8% limits: Council 007 100% (above). 6 more
        councils are outside the 95% limits only; the other 143 are inside them."
    """
    what, unit = _funnel_measure(measure)
    count = len(table)
    if count == 0:
        return f"Dot plot of the share of {what}: no councils to show."
    councils = "council's" if count == 1 else "councils'"
    n = funnel_x(table)[0]
    if table.attrs.get("axis") == "effective_n":
        each = f"each at an effective {round(float(n))} {unit}"
    else:
        each = f"each with {round(float(n))} {unit}"
    grouped = sorted({r for c, r in (regions or {}).items() if r and c in table.index})
    order = (f"grouped by region ({len(grouped)} region{'s' if len(grouped) != 1 else ''}) "
             "and alphabetical within each" if grouped else "in alphabetical order")
    first = table.iloc[0]

    def limits(which: str) -> str:
        low, high = float(first[f"lower{which}"]), float(first[f"upper{which}"])
        if low < 0 and high > 1:
            return "none at this n"
        if high > 1:
            return f"from {format_percent(low, 0)} (no upper)"
        if low < 0:
            return f"up to {format_percent(high, 0)} (no lower)"
        return f"{format_percent(low, 0)} to {format_percent(high, 0)}"

    parts = [f"Dot plot of {count} {councils} share of {what}, {each} and its 95% interval, "
             f"{order}; programme average {format_percent(_funnel_target(table), 0)}, 95% "
             f"limits {limits('95')}, 99.8% limits {limits('998')}."]
    flags = table["flag"].astype(str)
    extreme = [f"{c} {format_percent(table.loc[c, 'share'], 0)} ({_side(f)})"
               for c, f in sorted(flags.items(), key=lambda item: str(item[0]).casefold())
               if f.endswith("998")]
    near = int(flags.isin(["above95", "below95"]).sum())
    inside = int((flags == "within").sum())
    if extreme:
        parts.append(f"Outside the 99.8% limits: {_join(extreme)}.")
    else:
        parts.append("No council is outside the 99.8% limits.")
    more = "more " if extreme else ""
    if near:
        parts.append(f"{near} {more}council{'s are' if near != 1 else ' is'} outside the 95% "
                     f"limits only; the other {inside} {'are' if inside != 1 else 'is'} "
                     "inside them.")
    elif extreme:
        parts.append(f"The other {inside} {'are' if inside != 1 else 'is'} inside the 95% "
                     "limits.")
    else:
        parts.append("Every council is inside the 95% limits.")
    chosen = _match_council(table.index, highlight)
    if chosen is not None:
        parts.append(f"{chosen} ({format_percent(table.loc[chosen, 'share'], 0)}) is "
                     "highlighted.")
    return " ".join(parts)
