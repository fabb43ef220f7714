"""Statistics that suit samples of 20 cases: funnel comparisons, change, tests.

- Funnel plots compare councils' shares with the programme average through control limits
  that widen as n shrinks, never a league table: :mod:`review_lib.analysis.funnel` (exact binomial
  limits by default, or the Fingertips method; FunnelPlotR's overdispersion adjustment),
  re-exported here.
- Question ratings are clustered in case records: :mod:`review_lib.analysis.clustered` gives their
  design effect, effective n and intervals; questions of one review are compared as paired
  data by :mod:`review_lib.analysis.paired`.
- Change between two cycles is a difference of two proportions with Newcombe's hybrid score
  interval (method 10 of Newcombe 1998), and, for the ordinal ratings, a rank test on the
  case records (each record's mean score), not on ratings that share a record.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from review_lib.analysis.funnel import (
    FLAGS,
    METHODS,
    Z95,
    Z998,
    Overdispersion,
    chance_outside,
    estimate_overdispersion,
    funnel_table,
)
from review_lib.analysis.summary import Proportion
from review_lib.data.scale import GOOD_OR_BETTER, LEVEL_SCORES

__all__ = [
    "FLAGS",
    "METHODS",
    "Z95",
    "Z998",
    "Change",
    "Overdispersion",
    "case_mann_whitney",
    "case_mean_scores",
    "chance_outside",
    "chi_square_allowed",
    "estimate_overdispersion",
    "funnel_table",
    "good_counts",
    "holm",
    "kruskal_permutation",
    "mann_whitney",
    "mann_whitney_p",
    "newcombe_difference",
    "question_tests",
    "rank_average",
    "scores",
]


def good_counts(frame: pd.DataFrame, column: str, by: str = "council") -> pd.DataFrame:
    """Successes (Outstanding or Good) and n per group, for :func:`funnel_table`.

    Parameters
    ----------
    frame : pandas.DataFrame
        Tidy ratings or judgements.
    column : str
        ``"rating"`` or ``"judgement"``.
    by : str, default "council"
        Grouping column.

    Returns
    -------
    pandas.DataFrame
        Indexed by group, columns ``successes`` and ``n``.
    """
    good = frame[column].isin(GOOD_OR_BETTER)
    grouped = good.groupby(frame[by].astype(str))
    return pd.DataFrame({"successes": grouped.sum().astype(int),
                         "n": grouped.size().astype(int)})


@dataclass(frozen=True)
class Change:
    """Change in a share between two cycles.

    Attributes
    ----------
    before, after : Proportion
        The two shares, each with its own interval.
    difference, ci_low, ci_high : float
        ``after - before`` and Newcombe's 95% interval for it.
    beyond_chance : bool
        True when the interval excludes zero.
    """

    before: Proportion
    after: Proportion
    difference: float
    ci_low: float
    ci_high: float

    @property
    def beyond_chance(self) -> bool:
        """Whether the 95% interval of the difference excludes zero."""
        return self.ci_low > 0 or self.ci_high < 0

    def as_dict(self) -> dict:
        """Plain dictionary (for JSON)."""
        return {"before": self.before.as_dict(), "after": self.after.as_dict(),
                "difference": self.difference, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "beyond_chance": self.beyond_chance}

    def as_row(self) -> dict:
        """The flat columns of a table of changes, one row per council or region.

        Returns
        -------
        dict
            ``before_count``, ``before_n``, ``before_share``, ``before_low``,
            ``before_high``, the same for ``after``, ``difference``, ``diff_low``,
            ``diff_high`` and ``beyond_chance``.
        """
        row = {}
        for when, share in (("before", self.before), ("after", self.after)):
            row |= {f"{when}_count": share.successes, f"{when}_n": share.n,
                    f"{when}_share": share.share, f"{when}_low": share.ci_low,
                    f"{when}_high": share.ci_high}
        return row | {"difference": self.difference, "diff_low": self.ci_low,
                      "diff_high": self.ci_high, "beyond_chance": self.beyond_chance}


def newcombe_difference(before: Proportion, after: Proportion) -> Change:
    """Difference of two independent proportions with Newcombe's hybrid score interval.

    Parameters
    ----------
    before, after : Proportion
        The earlier and later shares.

    Returns
    -------
    Change
        ``after - before`` with its 95% interval.

    Notes
    -----
    With the 95% limits (l1, u1) for p1 and (l2, u2) for p2, and d = p2 - p1:
    lower = d - sqrt((p2 - l2)^2 + (u1 - p1)^2), upper = d + sqrt((u2 - p2)^2 + (p1 - l1)^2)
    (Newcombe 1998, method 10). Each share's own interval is used: Wilson for one value per
    case, which gives statsmodels' ``confint_proportions_2indep(method="newcomb")`` to
    1e-12; Wilson at the effective n for clustered ratings
    (:class:`review_lib.analysis.clustered.ClusteredProportion`), which widens the interval of the
    difference by the clustering on each side.
    """
    p1, p2 = before.share, after.share
    l1, u1 = before.ci_low, before.ci_high
    l2, u2 = after.ci_low, after.ci_high
    d = p2 - p1
    lower = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    upper = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return Change(before, after, d, lower, upper)


def scores(values: pd.Series) -> np.ndarray:
    """Numeric scores of ratings: Inadequate 1, Requires Improvement 2, Good 3, Outstanding 4.

    Parameters
    ----------
    values : pandas.Series
        Ratings or judgements.

    Returns
    -------
    numpy.ndarray
        Scores, for rank-based tests.
    """
    return values.astype("object").map(LEVEL_SCORES).to_numpy(dtype=float)


def case_mean_scores(ratings: pd.DataFrame) -> np.ndarray:
    """Each case record's mean score over the questions it was rated on (1-4).

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings of one review (columns ``case`` and ``rating``).

    Returns
    -------
    numpy.ndarray
        One value per case record: the unit that is independent of the others.
    """
    if ratings.empty:
        return np.array([], dtype=float)
    values = scores(ratings["rating"])
    frame = pd.DataFrame({"case": ratings["case"].astype(str).to_numpy(), "score": values})
    return frame.groupby("case", sort=True)["score"].mean().to_numpy(dtype=float)


def case_mann_whitney(before: pd.DataFrame, after: pd.DataFrame) -> float:
    """Two-sided Mann-Whitney p-value comparing two reviews' case records, not ratings.

    The 240 ratings of a review are not 240 independent observations: the ratings of one
    record share it and its auditor. So each record is one observation, its mean score
    over its rated questions, and the test compares about 20 records with about 20.

    Parameters
    ----------
    before, after : pandas.DataFrame
        Tidy ratings of the two reviews.

    Returns
    -------
    float
        The p-value as ``scipy.stats.mannwhitneyu`` computes it (NaN when either review has
        no ratings or every record has the same mean score).
    """
    a, b = case_mean_scores(before), case_mean_scores(after)
    if len(a) == 0 or len(b) == 0 or len(np.unique(np.concatenate([a, b]))) < 2:
        return math.nan
    return mann_whitney_p(a, b)


def mann_whitney(before: pd.Series, after: pd.Series) -> float:
    """Two-sided Mann-Whitney U p-value comparing two sets of independent ordinal values.

    For question ratings of two reviews use :func:`case_mann_whitney`: ratings that share
    a case record are not independent.

    Parameters
    ----------
    before, after : pandas.Series
        Ratings of the two groups.

    Returns
    -------
    float
        The p-value (NaN when either group is empty or all values are tied).
    """
    a, b = scores(before), scores(after)
    if len(a) == 0 or len(b) == 0 or len(np.unique(np.concatenate([a, b]))) < 2:
        return math.nan
    return mann_whitney_p(a, b)


def rank_average(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of values, ties given their average rank (as ``scipy.stats.rankdata``).

    Parameters
    ----------
    values : numpy.ndarray
        One-dimensional data.

    Returns
    -------
    numpy.ndarray
        Float ranks.
    """
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    return (upper - (counts - 1) / 2.0)[inverse.ravel()]


def mann_whitney_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided Mann-Whitney U p-value, as ``scipy.stats.mannwhitneyu`` computes it.

    With ties (always, for four-level ratings of more than a few cases) scipy uses the
    normal approximation with tie and continuity corrections; it is computed here so that
    notebooks need not import ``scipy.stats`` (about half a second per process). Without
    ties, scipy itself is called, since it may then use the exact distribution.

    Parameters
    ----------
    a, b : numpy.ndarray
        The two samples (numeric).

    Returns
    -------
    float
        The p-value.
    """
    n1, n2 = len(a), len(b)
    values = np.concatenate([a, b]).astype(float)
    _, counts = np.unique(values, return_counts=True)
    ties = bool((counts > 1).any())
    if not ties:
        from scipy import stats as sps

        return float(sps.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    n = n1 + n2
    ranks = rank_average(values)
    u1 = ranks[:n1].sum() - n1 * (n1 + 1) / 2.0
    u = max(u1, n1 * n2 - u1)
    tie_term = (counts ** 3 - counts).sum() / (n * (n - 1))
    sigma = math.sqrt(n1 * n2 / 12.0 * ((n + 1) - tie_term))
    if sigma == 0:
        return 1.0
    z = (u - n1 * n2 / 2.0 - 0.5) / sigma
    return float(min(1.0, 2 * (1 - NormalDist().cdf(z)) if z < 5 else
                     math.erfc(z / math.sqrt(2))))


def _kruskal_statistic(rank_sums: np.ndarray, sizes: np.ndarray, n: int, tie_factor: float
                       ) -> np.ndarray:
    h = 12.0 / (n * (n + 1)) * (rank_sums ** 2 / sizes).sum(axis=-1) - 3 * (n + 1)
    return h / tie_factor if tie_factor > 0 else np.full_like(h, np.nan)


def kruskal_permutation(groups: list[np.ndarray], permutations: int = 2000,
                        seed: int = 20240107) -> tuple[float, float, float]:
    """Kruskal-Wallis test of ordinal scores across groups, with a permutation p-value.

    Parameters
    ----------
    groups : list of numpy.ndarray
        Scores (1-4) of each group; empty groups are dropped.
    permutations : int, default 2000
        Random relabellings for the permutation p-value (seeded: results repeat).
    seed : int
        Random seed.

    Returns
    -------
    tuple of float
        ``(H, p_asymptotic, p_permutation)``; NaNs when fewer than two groups have data or
        every score is tied.

    Notes
    -----
    H is tie-corrected (``scipy.stats.kruskal`` gives the same H and asymptotic p-value,
    tested). The asymptotic p-value uses the chi-square approximation, which is rough with
    few observations per group and many ties (four levels); the permutation p-value makes
    no such assumption: ``(1 + #{H* >= H}) / (1 + permutations)``.
    """
    from scipy.special import gammaincc

    groups = [np.asarray(g, dtype=float) for g in groups if len(g)]
    if len(groups) < 2:
        return (math.nan, math.nan, math.nan)
    values = np.concatenate(groups)
    n = len(values)
    sizes = np.array([len(g) for g in groups], dtype=float)
    ranks = rank_average(values)
    _, counts = np.unique(values, return_counts=True)
    tie_factor = 1 - (counts ** 3 - counts).sum() / (n ** 3 - n)
    if tie_factor <= 0:
        return (math.nan, math.nan, math.nan)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
    observed = _kruskal_statistic(np.add.reduceat(ranks, starts), sizes, n, tie_factor)
    p_asymptotic = float(gammaincc((len(groups) - 1) / 2.0, observed / 2.0))  # chi2 sf
    sums = np.add.reduceat(ranks[_relabellings(permutations, n, seed)], starts, axis=1)
    simulated = _kruskal_statistic(sums, sizes, n, tie_factor)
    p_permutation = float((1 + np.sum(simulated >= observed - 1e-9)) / (1 + permutations))
    return (float(observed), p_asymptotic, p_permutation)


@functools.lru_cache(maxsize=16)
def _relabellings(permutations: int, n: int, seed: int) -> np.ndarray:
    """Random orderings of n items, one row per permutation (the same for the same n).

    Every question with the same number of ratings shares them, as a fresh generator with
    the same seed would give the same rows anyway; kept read-only, as int32. Each row is
    shuffled in place (Fisher-Yates), a third of the time of sorting random keys.
    """
    rng = np.random.default_rng(seed)
    identity = np.broadcast_to(np.arange(n, dtype=np.int32), (permutations, n))
    rows = rng.permuted(identity, axis=1)
    rows.flags.writeable = False
    return rows


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of p-values for multiple comparisons.

    Parameters
    ----------
    p_values : array-like
        Unadjusted p-values (NaNs kept as NaN).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, capped at 1.
    """
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    valid = ~np.isnan(p)
    order = np.argsort(p[valid])
    m = int(valid.sum())
    running = 0.0
    values = p[valid][order]
    result = np.empty(m)
    for i, value in enumerate(values):
        running = max(running, min(1.0, (m - i) * value))
        result[i] = running
    out = np.empty(m)
    out[order] = result
    adjusted[valid] = out
    return adjusted


def chi_square_allowed(table: np.ndarray) -> tuple[bool, str]:
    """Whether a chi-square test suits a contingency table (Cochran's rule).

    Parameters
    ----------
    table : numpy.ndarray
        Observed counts (groups x levels); all-zero rows and columns are ignored.

    Returns
    -------
    tuple of (bool, str)
        Whether every expected count is at least 1 and at most 20% are below 5, and a
        sentence saying why (not).
    """
    table = np.asarray(table, dtype=float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return False, "fewer than two groups or levels have any ratings"
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    small = float((expected < 5).mean())
    if expected.min() < 1 or small > 0.2:
        return False, (f"{small:.0%} of expected counts are below 5 (smallest "
                       f"{expected.min():.1f}), so the chi-square approximation is unsafe")
    return True, "every expected count is at least 1 and no more than 20% are below 5"


def question_tests(ratings: pd.DataFrame, catalogue, *, by: str = "council",
                   permutations: int = 2000) -> pd.DataFrame:
    """Per question, a test of whether ratings differ across councils more than chance.

    Ratings are ordinal and counts per council small (about 20), so the main test is the
    Kruskal-Wallis rank test with a permutation p-value. A chi-square test of the
    council-by-level table is added only where its expected counts allow (Cochran's rule).
    p-values are Holm-adjusted across the questions.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings of one cycle (columns ``question``, ``rating`` and ``by``).
    catalogue : Catalogue
        For labels and question order.
    by : str, default "council"
        Grouping column.
    permutations : int, default 2000
        Relabellings for the permutation p-value.

    Returns
    -------
    pandas.DataFrame
        One row per question: ``label``, ``groups``, ``n``, ``H``, ``p_asymptotic``,
        ``p_permutation``, ``p_holm`` (adjusted permutation p), ``chi2_used``, ``chi2_p``,
        ``chi2_note`` and ``beyond_chance`` (Holm-adjusted p below 0.05).
    """
    from review_lib.data.scale import LEVELS

    rows = []
    # Work on category codes: group index per rating, and score = code + 1 (the dtype runs
    # Inadequate ... Outstanding), so each question costs a few array operations.
    ratings = ratings[ratings["rating"].notna()]
    levels = pd.Categorical(ratings["rating"], categories=list(reversed(LEVELS)))
    codes = np.asarray(levels.codes)
    names, group_of = np.unique(ratings[by].astype(str).to_numpy(), return_inverse=True)
    questions = ratings["question"].astype(str).to_numpy()
    for question in catalogue:
        mask = questions == question.id
        group, score = group_of[mask], codes[mask] + 1.0
        grouped = [score[group == k] for k in range(len(names))]
        h, p_asym, p_perm = kruskal_permutation(grouped, permutations)
        table = np.zeros((len(names), len(LEVELS)))
        np.add.at(table, (group, codes[mask]), 1)
        n_rated = int(mask.sum())
        allowed, note = chi_square_allowed(table) if n_rated else (False, "no ratings")
        chi2_p = math.nan
        if allowed:
            from scipy import stats as sps  # only here: most tables fail Cochran's rule

            kept = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
            chi2_p = float(sps.chi2_contingency(kept)[1])
        rows.append({"question": question.id, "label": question.short_label,
                     "groups": sum(1 for g in grouped if len(g)), "n": n_rated, "H": h,
                     "p_asymptotic": p_asym, "p_permutation": p_perm, "chi2_used": allowed,
                     "chi2_p": chi2_p, "chi2_note": note})
    result = pd.DataFrame(rows).set_index("question")
    result["p_holm"] = holm(result["p_permutation"])
    result["beyond_chance"] = result["p_holm"] < 0.05
    return result
