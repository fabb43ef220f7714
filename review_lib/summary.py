"""Counts, shares and intervals: the section-4 tables of a Practice Review report and more.

Every count table keeps all four levels, zeros included. Every share carries its Wilson 95%
interval and the n behind it, because a share of 20 cases is never exact.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd
from scipy.stats import norm

from review_lib.scale import GOOD_OR_BETTER, LEVELS

Z95 = float(norm.ppf(0.975))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    r"""Wilson score interval for a binomial proportion.

    Parameters
    ----------
    successes : int
        Number of "successes" (e.g. cases rated Good or better).
    n : int
        Number of trials (e.g. cases rated).
    confidence : float, default 0.95
        Two-sided coverage.

    Returns
    -------
    tuple of float
        ``(low, high)`` as proportions in [0, 1]; ``(nan, nan)`` when ``n`` is 0.

    Notes
    -----
    With :math:`\hat p = x/n` and :math:`z` the normal quantile,

    .. math:: \frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    Unlike the normal ("Wald") interval it stays inside [0, 1] and is not zero-width at
    0% or 100%, which matters for samples of 20 (Newcombe 1998; Brown, Cai & DasGupta 2001).
    """
    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n ({n}), got {successes}")
    z = Z95 if confidence == 0.95 else float(norm.ppf(0.5 + confidence / 2))
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Proportion:
    """A share with its Wilson 95% interval and the counts behind it.

    Attributes
    ----------
    successes, n : int
        Count and denominator.
    share, ci_low, ci_high : float
        Proportions in [0, 1].
    """

    successes: int
    n: int
    share: float
    ci_low: float
    ci_high: float

    @classmethod
    def of(cls, successes: int, n: int) -> Proportion:
        """Build from a count and its denominator.

        Parameters
        ----------
        successes, n : int
            Count and denominator.

        Returns
        -------
        Proportion
            With its Wilson 95% interval.
        """
        low, high = wilson_interval(int(successes), int(n))
        share = successes / n if n else math.nan
        return cls(int(successes), int(n), share, low, high)

    def as_dict(self) -> dict[str, float | int]:
        """Plain dictionary (for JSON)."""
        return asdict(self)

    def describe(self) -> str:
        """E.g. ``"90% (95% CI 70% to 97%, n = 20)"``."""
        return (f"{format_percent(self.share)} (95% CI {format_percent(self.ci_low, 0)} to "
                f"{format_percent(self.ci_high, 0)}, n = {self.n})")


def format_percent(share: float, decimals: int | None = None) -> str:
    """Format a proportion as a percentage: whole numbers bare, others to one decimal.

    Parameters
    ----------
    share : float
        Proportion in [0, 1].
    decimals : int, optional
        Fixed number of decimals; by default 0 for whole percentages, else 1.

    Returns
    -------
    str
        E.g. ``"90%"``, ``"24.6%"``, ``"n/a"`` for NaN.
    """
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "n/a"
    value = share * 100
    if decimals is None:
        decimals = 0 if abs(value - round(value)) < 1e-9 else 1
    return f"{value:.{decimals}f}%"


def level_counts(values: pd.Series) -> pd.DataFrame:
    """Count and percentage per level, all four levels kept, best first.

    Parameters
    ----------
    values : pandas.Series
        Ratings or judgements (categorical or strings of the four levels).

    Returns
    -------
    pandas.DataFrame
        Indexed by level (Outstanding ... Inadequate) with columns ``count`` and
        ``percent`` (0-100, unrounded), plus the total in ``attrs["n"]``.
    """
    counts = pd.Series(values).astype("object").value_counts().reindex(list(LEVELS),
                                                                        fill_value=0)
    n = int(counts.sum())
    table = pd.DataFrame({"count": counts.astype(int),
                          "percent": counts / n * 100 if n else counts * math.nan})
    table.index.name = "level"
    table.attrs["n"] = n
    return table


def _level_matrix(frame: pd.DataFrame, by: str, column: str) -> pd.DataFrame:
    """Counts of each level for each value of ``by``, all four levels as columns."""
    grouped = (frame.groupby([by, column], observed=False).size()
               .unstack(column, fill_value=0))
    grouped = grouped.reindex(columns=list(LEVELS), fill_value=0).astype(int)
    grouped.columns.name = None
    return grouped


def _with_shares(counts: pd.DataFrame) -> pd.DataFrame:
    table = counts.copy()
    table["n"] = counts[list(LEVELS)].sum(axis=1)
    good = counts[list(GOOD_OR_BETTER)].sum(axis=1)
    intervals = [wilson_interval(int(g), int(n)) for g, n in zip(good, table["n"], strict=True)]
    table["good_or_better"] = good
    table["share_good"] = good / table["n"].where(table["n"] > 0)
    table["ci_low"] = [low for low, _ in intervals]
    table["ci_high"] = [high for _, high in intervals]
    table["share_ri_or_worse"] = 1 - table["share_good"]
    return table


def question_summary(ratings: pd.DataFrame, not_applicable: pd.DataFrame | None = None,
                     catalogue=None) -> pd.DataFrame:
    """Per-question counts of each level, n, N/A count and share Good or better with CI.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings (columns ``question`` and ``rating``), e.g. ``review.ratings``.
    not_applicable : pandas.DataFrame, optional
        Not-applicable answers (column ``question``), counted in ``not_applicable``.
    catalogue : Catalogue, optional
        Adds a ``label`` column of short labels.

    Returns
    -------
    pandas.DataFrame
        One row per question in catalogue order: the four level counts, ``n``,
        ``good_or_better``, ``share_good``, ``ci_low``, ``ci_high``, ``share_ri_or_worse``,
        ``not_applicable`` and (with a catalogue) ``label``.
    """
    table = _with_shares(_level_matrix(ratings, "question", "rating"))
    if not_applicable is not None:
        na = not_applicable.groupby("question", observed=False).size()
        table["not_applicable"] = na.reindex(table.index, fill_value=0).astype(int)
    else:
        table["not_applicable"] = 0
    if catalogue is not None:
        table["label"] = [catalogue[q].short_label for q in table.index]
    table.index.name = "question"
    return table


def auditor_summary(ratings: pd.DataFrame, judgements: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """Per-auditor counts of each level over all their ratings, with share Good or better.

    One auditor rates each case, so differences between auditors are entangled with
    differences between the cases they happened to audit.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings with ``auditor`` and ``rating`` columns.
    judgements : pandas.DataFrame, optional
        Overall judgements; adds ``cases`` (number of cases each auditor rated).

    Returns
    -------
    pandas.DataFrame
        One row per auditor.
    """
    frame = ratings.copy()
    frame["auditor"] = frame["auditor"].astype(str)
    table = _with_shares(_level_matrix(frame, "auditor", "rating"))
    if judgements is not None:
        cases = judgements.assign(auditor=judgements["auditor"].astype(str)).groupby(
            "auditor").size()
        table["cases"] = cases.reindex(table.index, fill_value=0).astype(int)
    table.index.name = "auditor"
    return table


def review_summary(ratings: pd.DataFrame, judgements: pd.DataFrame) -> pd.DataFrame:
    """One row per review (council and cycle): counts, n and share Good or better.

    Parameters
    ----------
    ratings, judgements : pandas.DataFrame
        Tidy frames of a programme.

    Returns
    -------
    pandas.DataFrame
        Indexed by (council, cycle), with level counts of all ratings, ``n``,
        ``share_good`` and its interval, and ``cases`` and ``cases_good`` from judgements.
    """
    r = ratings.assign(review=list(zip(ratings["council"].astype(str),
                                       ratings["cycle"].astype(str), strict=True)))
    table = _with_shares(_level_matrix(r, "review", "rating"))
    j = judgements.assign(review=list(zip(judgements["council"].astype(str),
                                          judgements["cycle"].astype(str), strict=True)))
    jcounts = _with_shares(_level_matrix(j, "review", "judgement"))
    table["cases"] = jcounts["n"].reindex(table.index, fill_value=0)
    table["cases_good"] = jcounts["good_or_better"].reindex(table.index, fill_value=0)
    table.index = pd.MultiIndex.from_tuples(table.index, names=["council", "cycle"])
    return table


def good_or_better(values: pd.Series) -> Proportion:
    """Share of values rated Outstanding or Good, with its Wilson 95% interval.

    Parameters
    ----------
    values : pandas.Series
        Ratings or judgements.

    Returns
    -------
    Proportion
        Count, n, share and interval.
    """
    counts = level_counts(values)["count"]
    return Proportion.of(int(counts[list(GOOD_OR_BETTER)].sum()), int(counts.sum()))


def count_table_text(table: pd.DataFrame, title: str) -> str:
    """Render a level-count table as the report prints it: ``Outstanding  59 (24.6%)``.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`level_counts`.
    title : str
        A line printed above the rows.

    Returns
    -------
    str
        Plain text, one level per line, then the total.
    """
    width = max(len(level) for level in LEVELS)
    lines = [title]
    for level, row in table.iterrows():
        percent = format_percent(row["percent"] / 100, 1) if table.attrs.get("n") else "n/a"
        lines.append(f"  {level:<{width}}  {int(row['count']):>4} ({percent})")
    lines.append(f"  {'Total':<{width}}  {int(table['count'].sum()):>4}")
    return "\n".join(lines)


def headline_sentence(judgements: pd.Series) -> str:
    """The sentence a report prints about overall judgements.

    Parameters
    ----------
    judgements : pandas.Series
        The review's overall judgements.

    Returns
    -------
    str
        E.g. "18 of 20 case records (90%) were rated Outstanding or Good, and 2 (10%)
        Requires Improvement."

    Examples
    --------
    >>> import pandas as pd
    >>> headline_sentence(pd.Series(["Good"] * 18 + ["Requires Improvement"] * 2))
    '18 of 20 case records (90%) were rated Outstanding or Good, and 2 (10%) Requires Improvement.'
    """
    table = level_counts(judgements)
    n = table.attrs["n"]
    if n == 0:
        return "No case records were rated."
    good = int(table.loc[list(GOOD_OR_BETTER), "count"].sum())
    records = "case record" if n == 1 else "case records"
    verb = "was" if n == 1 else "were"
    sentence = (f"{good} of {n} {records} ({format_percent(good / n, 0)}) {verb} rated "
                "Outstanding or Good")
    others = [(level, int(table.loc[level, "count"])) for level in LEVELS[2:]
              if table.loc[level, "count"] > 0]
    if len(others) == 1:
        level, count = others[0]
        sentence += f", and {count} ({format_percent(count / n, 0)}) {level}"
    elif others:
        parts = [f"{count} ({format_percent(count / n, 0)}) {level}" for level, count in others]
        sentence += f"; {parts[0]} and {parts[1]}"
    return sentence + "."
