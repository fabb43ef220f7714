"""Tidy-first Likert charts: one row per rating in, diverging stacked bars out.

:func:`likert` takes tidy ratings as they come from :class:`review_lib.data.records.Review` or
:class:`review_lib.data.records.Programme` (a row per rating), counts them itself, and draws
the same diverging bars as :func:`review_lib.report.charts.diverging_bars`, in seaborn's manner:
data first, options keyword-only, ``ax=None``, the Axes returned, or a seaborn
``FacetGrid`` when ``by`` splits the data into panels. Its legend sits below the bars, out
of the title's way, so ``ax.set_title(...)`` just works.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from review_lib.data.scale import LEVELS
from review_lib.report.charts.base import (
    HEADING_STYLE,
    _percent_axis,
    _symmetric_limit,
    _tick_label,
    level_handles,
    literal_text,
)
from review_lib.report.charts.council import _diverging_axes


def likert_counts(data: pd.DataFrame, *, y: str = "question", hue: str = "rating"
                  ) -> pd.DataFrame:
    """Counts of each level per value of ``y``, all four levels kept, in ``y``'s order.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy ratings: a row per rating.
    y : str, default "question"
        The column whose values become the bars.
    hue : str, default "rating"
        The column holding the levels.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``y``: a column per level (``LEVELS`` order) and ``n``.
    """
    levels = data[hue].astype("object")
    keys = data[y]
    order = (list(keys.cat.categories) if isinstance(keys.dtype, pd.CategoricalDtype)
             else list(dict.fromkeys(keys)))
    present = [k for k in order if (keys == k).any()]
    table = pd.crosstab(keys.astype("object"), levels).reindex(index=present,
                                                               columns=list(LEVELS),
                                                               fill_value=0)
    table = table.fillna(0).astype(int)
    table.index.name, table.columns.name = y, None
    table["n"] = table[list(LEVELS)].sum(axis=1)
    return table


#: The most a faceted chart takes by default, in inches: about a laptop screen.
FACET_MAX_WIDTH = 16.0
FACET_MAX_HEIGHT = 12.0


@literal_text
def _likert_axes(data: pd.DataFrame, *, y: str, hue: str, ax: Axes | None,
                 labels=None, legend: bool = True, xlabel: str = "Percentage of ratings",
                 title: str | None = None, unfitted: list | None = None) -> Axes:
    counts = likert_counts(data, y=y, hue=hue)
    names = [str(labels.get(k, k)) if isinstance(labels, dict) else str(k)
             for k in counts.index]
    percents = counts[list(LEVELS)].div(counts["n"].where(counts["n"] > 0), axis=0) * 100
    ticks = [_tick_label(name, int(n), 0) for name, n in zip(names, counts["n"], strict=True)]
    return _diverging_axes(percents, ticks, ax=ax, title=title, xlabel=xlabel,
                           empty=(counts["n"] == 0).to_numpy(), unfitted=unfitted,
                           legend="below" if legend else None)


def likert(data: pd.DataFrame, *, y: str = "question", hue: str = "rating",
           by: str | None = None, ax: Axes | None = None, labels: dict | None = None,
           col_wrap: int | None = None, title: str | None = None, **facet_kws):
    """Diverging stacked bars of the four levels from tidy ratings.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy ratings, a row per rating (e.g. ``programme.ratings``); not-applicable answers
        are not ratings and are left out by the loader already.
    y : str, default "question"
        Column whose values become the bars (e.g. ``"council"`` for one question across
        councils, after filtering ``data`` to that question).
    hue : str, default "rating"
        Column holding the four levels.
    by : str, optional
        Split into one panel per value of this column (``"council"``, ``"auditor"``,
        ``"cycle"``): returns a seaborn ``FacetGrid``.
    ax : matplotlib.axes.Axes, optional
        Where to draw (without ``by``); a new figure by default.
    labels : dict, optional
        Display names for the values of ``y`` (e.g. question id to short label).
    col_wrap : int, optional
        Panels per row when faceting.
    title : str, optional
        The chart's title (on the left, in bold); with ``by``, the figure's title above
        every panel. ``ax.set_title(...)`` afterwards does the same.
    **facet_kws
        Passed to ``seaborn.FacetGrid`` when faceting (``height``, ``aspect``, ...). By
        default the panels share about a screen (at most 16 x 12 inches in all).

    Returns
    -------
    matplotlib.axes.Axes or seaborn.FacetGrid
        The Axes (its ``containers`` hold one bar container per level; left of zero is
        negative), or the grid of panels, one per value of ``by``, with the level legend
        below them.

    Raises
    ------
    ValueError
        If ``data`` holds no ratings (a filter that matched nothing, such as a misspelt
        council name).

    Examples
    --------
    >>> from review_lib.data.loading import load_programme
    >>> from review_lib.report.charts.likert_chart import likert
    >>> programme = load_programme()
    >>> q3 = programme.in_cycle("2022-24").ratings.query("question == 'Q3'")
    >>> ax = likert(q3, y="council", title="Community assets (Q3) by council")
    """
    if data.empty:
        raise ValueError("there are no ratings to draw: if the data were filtered (by "
                         "council, question or cycle), the filter matched no rows")
    if by is None:
        return _likert_axes(data, y=y, hue=hue, ax=ax, labels=labels, title=title)
    return _likert_facets(data, y=y, hue=hue, by=by, labels=labels, col_wrap=col_wrap,
                          title=title, facet_kws=facet_kws)


@literal_text
def _likert_facets(data: pd.DataFrame, *, y: str, hue: str, by: str, labels, col_wrap,
                   title: str | None, facet_kws: dict):
    import math

    import seaborn as sns

    from review_lib.report.charts.base import _fit_labels

    values = data[by]
    order = (list(values.cat.categories) if isinstance(values.dtype, pd.CategoricalDtype)
             else sorted(values.unique(), key=lambda v: str(v).casefold()))
    order = [v for v in order if (values == v).any()]
    rows = data[y].nunique()
    columns = min(col_wrap or len(order), len(order))
    panel_rows = math.ceil(len(order) / columns)
    # A panel's natural height, shrunk so that the grid fits about a screen, but never so
    # small that a bar is thinner than its label.
    height = min(0.24 * rows + 1.0, (FACET_MAX_HEIGHT - 0.6) / panel_rows)
    height = max(height, 0.17 * rows + 0.9)
    width = min(FACET_MAX_WIDTH / columns, 6.0)
    facet_kws.setdefault("height", height)
    facet_kws.setdefault("aspect", width / facet_kws["height"])
    grid = sns.FacetGrid(data.assign(**{by: values.astype("object")}), col=by,
                         col_order=order, col_wrap=col_wrap, sharex=False, sharey=False,
                         **facet_kws)
    unfitted: list = []
    for value, axes in zip(order, grid.axes.flat, strict=False):
        _likert_axes(data[values == value], y=y, hue=hue, ax=axes, labels=labels,
                     legend=False, unfitted=unfitted)
    # One scale for every panel, wide enough for the widest bar of any of them.
    percents = []
    for value in order:
        counts = likert_counts(data[values == value], y=y, hue=hue)
        percents.append(counts[list(LEVELS)].div(counts["n"].where(counts["n"] > 0),
                                                 axis=0) * 100)
    limit = _symmetric_limit(pd.concat(percents).fillna(0), step=20, floor=40)
    for axes in grid.axes.flat:
        axes.set_xlim(-limit, limit)
        _percent_axis(axes, limit, "")
        if width < 5:  # a narrow panel: fewer ticks, so that they do not run together
            axes.set_xticks(np.arange(-limit, limit + 0.001, 50 if limit >= 100 else 20))
    grid.set_titles("{col_name}")
    grid.set_xlabels("Percentage of ratings")  # the bottom panels only, clear of titles
    figure = grid.figure
    legend_room = 0.55 / figure.get_size_inches()[1]
    figure.legend(handles=level_handles(), loc="lower center", ncols=4, frameon=False,
                  fontsize=9, bbox_to_anchor=(0.5, 0.0))
    if title:
        figure.suptitle(title, x=0.01, ha="left", **HEADING_STYLE)
    top = 1 - (0.45 / figure.get_size_inches()[1] if title else 0)
    figure.tight_layout(rect=(0, legend_room, 1, top))
    # Every panel's labels fitted after one layout of the whole figure, not one each.
    figure.draw_without_rendering()
    for axes, labels_drawn in unfitted:
        _fit_labels(axes, labels_drawn)
    return grid
