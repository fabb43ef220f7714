"""Tidy-first Likert charts: one row per rating in, diverging stacked bars out.

:func:`likert` takes tidy ratings as they come from :class:`review_lib.data.records.Review` or
:class:`review_lib.data.records.Programme` (a row per rating), counts them itself, and draws
the same diverging bars as :func:`review_lib.report.charts.diverging_bars`, in seaborn's manner:
data first, options keyword-only, ``ax=None``, the Axes returned, or a seaborn
``FacetGrid`` when ``by`` splits the data into panels. Its legend sits below the bars, out
of the title's way, so ``ax.set_title(...)`` just works.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes

from review_lib.data.scale import LEVELS
from review_lib.report.charts.base import (
    _new_axes,
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


@literal_text
def _likert_axes(data: pd.DataFrame, *, y: str, hue: str, ax: Axes | None,
                 labels=None, legend: bool = True, xlabel: str = "Percentage of ratings"
                 ) -> Axes:
    counts = likert_counts(data, y=y, hue=hue)
    names = [str(labels.get(k, k)) if isinstance(labels, dict) else str(k)
             for k in counts.index]
    percents = counts[list(LEVELS)].div(counts["n"].where(counts["n"] > 0), axis=0) * 100
    ticks = [_tick_label(name, int(n), 0) for name, n in zip(names, counts["n"], strict=True)]
    if ax is None:
        ax = _new_axes(len(counts))
    ax = _diverging_axes(percents, ticks, ax=ax, title=None, xlabel=xlabel,
                         empty=(counts["n"] == 0).to_numpy())
    ax.get_legend().remove()
    if legend:
        ax.legend(handles=level_handles(), loc="upper center", bbox_to_anchor=(0.5, -0.12),
                  ncols=4, frameon=False, fontsize=9, handlelength=1.6, handleheight=1.1,
                  columnspacing=1.4)
    return ax


def likert(data: pd.DataFrame, *, y: str = "question", hue: str = "rating",
           by: str | None = None, ax: Axes | None = None, labels: dict | None = None,
           col_wrap: int | None = None, **facet_kws):
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
    **facet_kws
        Passed to ``seaborn.FacetGrid`` when faceting (``height``, ``aspect``, ...).

    Returns
    -------
    matplotlib.axes.Axes or seaborn.FacetGrid
        The Axes (its ``containers`` hold one bar container per level; left of zero is
        negative), or the grid of panels, one per value of ``by``, with the level legend
        below them.

    Examples
    --------
    >>> from review_lib.data.loading import load_programme
    >>> from review_lib.report.charts.likert_chart import likert
    >>> programme = load_programme()
    >>> q3 = programme.in_cycle("2022-24").ratings.query("question == 'Q3'")
    >>> ax = likert(q3, y="council")
    >>> _ = ax.set_title("Community assets (Q3) by council")
    """
    if by is None:
        return _likert_axes(data, y=y, hue=hue, ax=ax, labels=labels)
    import seaborn as sns

    values = data[by]
    order = (list(values.cat.categories) if isinstance(values.dtype, pd.CategoricalDtype)
             else sorted(values.unique(), key=lambda v: str(v).casefold()))
    order = [v for v in order if (values == v).any()]
    rows = data[y].nunique()
    facet_kws.setdefault("height", max(2.2, 0.32 * rows + 1.0))
    facet_kws.setdefault("aspect", 2.2)
    grid = sns.FacetGrid(data.assign(**{by: values.astype("object")}), col=by,
                         col_order=order, col_wrap=col_wrap, sharex=False, sharey=False,
                         **facet_kws)

    def panel(*_, data, **__):
        import matplotlib.pyplot as plt

        _likert_axes(data, y=y, hue=hue, ax=plt.gca(), labels=labels, legend=False)

    grid.map_dataframe(panel)
    # One scale for every panel, wide enough for the widest bar of any of them.
    percents = []
    for value in order:
        counts = likert_counts(data[values == value], y=y, hue=hue)
        percents.append(counts[list(LEVELS)].div(counts["n"].where(counts["n"] > 0),
                                                 axis=0) * 100)
    limit = _symmetric_limit(pd.concat(percents).fillna(0), step=20, floor=40)
    for axes in grid.axes.flat:
        axes.set_xlim(-limit, limit)
        _percent_axis(axes, limit, axes.get_xlabel())
    grid.set_titles("{col_name}")
    grid.figure.legend(handles=level_handles(), loc="lower center", ncols=4, frameon=False,
                       fontsize=9, bbox_to_anchor=(0.5, 0.0))
    grid.figure.subplots_adjust(bottom=0.18)
    return grid
