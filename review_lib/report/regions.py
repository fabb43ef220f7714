"""Regions in the cross-council reports: regional views, the national summary, long lists.

Where the data name each council's region (``Review.region``), a cross-council report is
rendered for each region as well as for the whole programme. A region's councils are its
rows of the whole programme's funnel tables: each is compared with the average of every
council in the cycle, at the same limits, so a council's position reads the same in its
region's report, in the national one and in its own findings. The national report then
summarises the regions.

A report on more than :data:`LONG_LIST` councils is a long list: its text names only the
councils outside the 99.8% limits and counts the rest, and the tables list every council.
"""

from __future__ import annotations

import pandas as pd

from review_lib.analysis.comparison import Funnels
from review_lib.analysis.summary import format_percent
from review_lib.data.records import Programme

#: More councils than this in one view make a long list (see the module's note). The
#: 14-council sample, and most regions, stay below it and read as before.
LONG_LIST = 20


def region_slug(region: str) -> str:
    """The folder name of a region's reports (``"Yorkshire and the Humber"`` -> ...).

    Parameters
    ----------
    region : str
        The region.

    Returns
    -------
    str
        E.g. ``"yorkshire-and-the-humber"``.
    """
    from review_lib.files import slug

    return slug(region)


def council_regions(programme: Programme) -> dict[str, str]:
    """Council to region, for the councils whose data name one.

    Parameters
    ----------
    programme : Programme
        Usually the reviews of one cycle.

    Returns
    -------
    dict of str to str
        Empty when no review names a region.
    """
    return {r.council: r.region for r in programme.reviews if r.region}


def _rows(table: pd.DataFrame, councils: list[str]) -> pd.DataFrame:
    subset = table.loc[[c for c in table.index if c in set(councils)]].copy()
    subset.attrs = dict(table.attrs)
    return subset


def subset_funnels(funnels: Funnels, councils) -> Funnels:
    """The rows of some councils in a cycle's funnel tables, with the tables' attributes.

    Parameters
    ----------
    funnels : Funnels
        The whole programme's tables.
    councils : iterable of str
        The councils to keep (e.g. one region's).

    Returns
    -------
    Funnels
        The same limits, target and method: the councils are still compared with the whole
        programme's average.
    """
    councils = list(councils)
    return Funnels(_rows(funnels.judgements, councils), _rows(funnels.ratings, councils),
                   _rows(funnels.ratings_adjusted, councils), funnels.method)


def region_table_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """The national report's table of regions, as display text.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`review_lib.analysis.scopes.region_summary`.

    Returns
    -------
    pandas.DataFrame
        Indexed by region: councils, records judged Good or better with the interval, the
        councils outside the 99.8% limits (named) and the number outside the 95% limits only.
    """
    def outside(row) -> str:
        parts = []
        if row["above998"]:
            parts.append("above: " + ", ".join(row["above998"]))
        if row["below998"]:
            parts.append("below: " + ", ".join(row["below998"]))
        return "; ".join(parts) or "none"

    frame = pd.DataFrame({
        "Councils": summary["councils"].astype(int).astype(str),
        "Case records judged Good or better": [
            f"{int(s):,} of {int(n):,} ({format_percent(v, 1)})" for s, n, v in
            zip(summary["successes"], summary["n"], summary["share"], strict=True)],
        "95% interval": [f"{format_percent(lo, 0)} to {format_percent(hi, 0)}" for lo, hi in
                         zip(summary["ci_low"], summary["ci_high"], strict=True)],
        "Outside the 99.8% limits": [outside(row) for _, row in summary.iterrows()],
        "Outside the 95% limits only": summary["outside95"].astype(int).astype(str),
    }, index=pd.Index([r or "No region given" for r in summary.index], name="Region"))
    return frame
