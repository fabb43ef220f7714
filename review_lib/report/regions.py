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

import numpy as np
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


def region_summary(cycle_programme: Programme, funnels: Funnels) -> pd.DataFrame:
    """One row per region: councils, records judged Good or better, councils outside.

    The share pools the region's case records; its 95% interval allows for the records
    of one council going together (a design effect over councils, Wilson at the effective
    n: :func:`review_lib.analysis.clustered.clustered_proportion`).

    Parameters
    ----------
    cycle_programme : Programme
        The reviews of one cycle.
    funnels : Funnels
        The cycle's funnel tables.

    Returns
    -------
    pandas.DataFrame
        Indexed by region (alphabetical; councils with no region under ``""``, last):
        ``councils``, ``successes``, ``n``, ``share``, ``ci_low``, ``ci_high``,
        ``design_effect``, ``above998`` and ``below998`` (lists of councils), ``outside95``
        (councils outside the 95% limits only, a count).
    """
    from review_lib.analysis.clustered import clustered_proportion

    regions = council_regions(cycle_programme)
    judgements = cycle_programme.judgements
    council = judgements["council"].astype(str).to_numpy()
    good = judgements["judgement"].isin(["Outstanding", "Good"]).to_numpy()
    region_of = np.array([regions.get(c, "") for c in council], dtype=object)
    flags = funnels.judgements["flag"].astype(str)
    rows = {}
    for region in sorted(set(region_of), key=lambda r: (r == "", r.casefold())):
        mask = region_of == region
        share = clustered_proportion(good[mask], council[mask])
        members = sorted(set(council[mask]), key=str.casefold)
        flagged = flags.reindex(members)
        rows[region] = {
            "councils": len(members), "successes": share.successes, "n": share.n,
            "share": share.share, "ci_low": share.ci_low, "ci_high": share.ci_high,
            "design_effect": share.design_effect,
            "above998": [c for c in members if flagged.get(c) == "above998"],
            "below998": [c for c in members if flagged.get(c) == "below998"],
            "outside95": int(flagged.isin(["above95", "below95"]).sum())}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "region"
    return frame


def region_table_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """The national report's table of regions, as display text.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`region_summary`.

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


def region_changes(changes: pd.DataFrame, programme: Programme, cycle: str,
                   regions: dict[str, str]) -> pd.DataFrame:
    """Change between cycles pooled by region, for the national view of many councils.

    Each region pools the case records of its councils reviewed in both cycles: their
    earlier reviews on one side, this cycle's on the other. Each side's interval allows for
    the records of one council going together (a design effect over councils, as in
    :func:`region_summary`), and the change's interval is Newcombe's over those two
    (:func:`review_lib.analysis.stats.newcombe_difference`).

    Parameters
    ----------
    changes : pandas.DataFrame
        Per council, from :func:`review_lib.report.cross.cycle_changes`.
    programme : Programme
        The whole programme (all cycles).
    cycle : str
        The later cycle.
    regions : dict of str to str
        Council to region.

    Returns
    -------
    pandas.DataFrame
        The columns of ``cycle_changes``, indexed by region (alphabetical; councils with no
        region under "No region given", last), plus ``councils``, how many were pooled.
    """
    from review_lib.analysis.clustered import clustered_proportion
    from review_lib.analysis.stats import newcombe_difference

    good_levels = ["Outstanding", "Good"]
    sides: dict[str, dict[str, list]] = {}
    for review in programme.in_cycle(cycle).reviews:
        if review.council not in changes.index:
            continue
        previous = programme.previous_review(review)
        side = sides.setdefault(regions.get(review.council, ""),
                                {"before": [], "after": [], "cycles": []})
        side["cycles"].append(previous.cycle)
        for when, one in (("before", previous), ("after", review)):
            good = one.judgements["judgement"].isin(good_levels).to_numpy()
            side[when].append((good, [one.council] * len(good)))
    rows = {}
    for region in sorted(sides, key=lambda r: (r == "", r.casefold())):
        side = sides[region]
        shares = {}
        for when in ("before", "after"):
            good = np.concatenate([g for g, _ in side[when]])
            council = np.concatenate([c for _, c in side[when]])
            shares[when] = clustered_proportion(good, council)
        earlier = sorted(set(side["cycles"]))
        rows[region or "No region given"] = {
            "before_cycle": earlier[0] if len(earlier) == 1 else "earlier",
            "after_cycle": cycle, "councils": len(side["before"]),
            **newcombe_difference(shares["before"], shares["after"]).as_row()}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "region"
    return frame

