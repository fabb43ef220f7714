"""Statistics that suit samples of 20 cases: funnel limits, change between cycles, tests.

- Funnel plots compare councils' shares against the programme average with control limits
  that widen as n shrinks, instead of a league table (Spiegelhalter 2005; the Fingertips
  funnel method for proportions, which uses Wilson score limits).
- Change between two cycles is a difference of two proportions with Newcombe's hybrid score
  interval (method 10 of Newcombe 1998), and a rank-based test of the ordinal ratings.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from review_lib.scale import GOOD_OR_BETTER, LEVEL_SCORES
from review_lib.summary import Proportion, wilson_interval

#: Two-sided z for the 95% and 99.8% limits (Fingertips uses 1.96 and 3.09).
Z95 = NormalDist().inv_cdf(0.975)
Z998 = NormalDist().inv_cdf(0.999)

FLAGS = ("within", "above95", "below95", "above998", "below998")


def wilson_limits(target: float, n: int | np.ndarray, z: float) -> tuple:
    """Funnel control limits around a target proportion: Wilson score limits at ``target``.

    Parameters
    ----------
    target : float
        The programme average proportion (0-1).
    n : int or array of int
        Denominators.
    z : float
        Normal quantile: 1.96 for 95% limits, 3.09 for 99.8% limits.

    Returns
    -------
    tuple of (lower, upper)
        Floats or arrays, in [0, 1].

    Notes
    -----
    As in the Fingertips method for proportions:
    ``(2np + z^2 +- z sqrt(z^2 + 4np(1-p))) / (2(n + z^2))``, which is the Wilson score
    interval evaluated at the target. Worked example: p = 0.8, n = 20, z = 1.96 gives
    np = 16, sqrt(3.8416 + 12.8) = 4.0795, so lower = (32 + 3.8416 - 7.9958) / 47.6832
    = 0.5840 and upper = (32 + 3.8416 + 7.9958) / 47.6832 = 0.9193.
    """
    n = np.asarray(n, dtype=float)
    np_ = n * target
    root = z * np.sqrt(z * z + 4 * np_ * (1 - target))
    denominator = 2 * (n + z * z)
    lower = (2 * np_ + z * z - root) / denominator
    upper = (2 * np_ + z * z + root) / denominator
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


@dataclass(frozen=True)
class Overdispersion:
    """Overdispersion estimate for a funnel plot (Spiegelhalter 2005, additive model).

    Attributes
    ----------
    phi : float
        Mean of the (winsorised) squared z-scores. When councils differ only by chance it is
        about 1 without winsorising, and about 0.68 with the default 10% winsorising (the
        pulled-in tails shrink it); values well above 1 mean more spread than chance.
    tau2 : float
        Between-council variance added to each council's binomial variance (0 when
        ``phi`` does not exceed the chance level).
    winsorised : float
        Proportion of z-scores pulled in at each end before estimating ``phi``.
    """

    phi: float
    tau2: float
    winsorised: float


def estimate_overdispersion(successes, n, target: float, winsorise: float = 0.1
                            ) -> Overdispersion:
    """Estimate between-council variance beyond chance (random-effects, additive).

    Parameters
    ----------
    successes, n : array-like
        Counts and denominators per council.
    target : float
        Programme average proportion.
    winsorise : float, default 0.1
        Share of z-scores winsorised at each tail (10% as in Spiegelhalter 2005).

    Returns
    -------
    Overdispersion
        ``phi`` and ``tau2``.
    """
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    if not 0 < target < 1:
        # Every council at 0% or 100%: no spread to estimate, and no division by zero.
        return Overdispersion(0.0, 0.0, winsorise)
    variance = target * (1 - target) / n
    z = (successes / n - target) / np.sqrt(variance)
    k = len(z)
    if k >= 3 and winsorise > 0:
        low, high = np.quantile(z, [winsorise, 1 - winsorise])
        z = np.clip(z, low, high)
    phi = float(np.mean(z ** 2)) if k else math.nan
    weights = 1 / variance
    denominator = weights.sum() - (weights ** 2).sum() / weights.sum() if k else 0
    tau2 = 0.0
    if k > 1 and phi * k > k - 1 and denominator > 0:
        tau2 = max(0.0, (k * phi - (k - 1)) / denominator)
    return Overdispersion(phi, tau2, winsorise)


@dataclass(frozen=True)
class FunnelPoint:
    """One council's place on a funnel plot."""

    council: str
    successes: int
    n: int
    share: float
    lower95: float
    upper95: float
    lower998: float
    upper998: float
    flag: str

    def as_dict(self) -> dict:
        """Plain dictionary (for JSON)."""
        return asdict(self)


def _flag(share: float, lower95, upper95, lower998, upper998) -> str:
    if share > upper998:
        return "above998"
    if share < lower998:
        return "below998"
    if share > upper95:
        return "above95"
    if share < lower95:
        return "below95"
    return "within"


def funnel_table(counts: pd.DataFrame, *, overdispersion: bool = False,
                 target: float | None = None) -> pd.DataFrame:
    """Funnel-plot limits and flags for each council.

    Parameters
    ----------
    counts : pandas.DataFrame
        Indexed by council, with columns ``successes`` and ``n``.
    overdispersion : bool, default False
        Widen the limits by the between-council variance (additive random-effects model,
        as FunnelPlotR offers), when councils differ more than chance would give.
    target : float, optional
        The centre line; the pooled programme proportion by default.

    Returns
    -------
    pandas.DataFrame
        Per council: ``successes``, ``n``, ``share``, ``lower95``, ``upper95``,
        ``lower998``, ``upper998`` and ``flag`` (one of :data:`FLAGS`). The target is in
        ``attrs["target"]`` and the overdispersion estimate in ``attrs["overdispersion"]``.
    """
    table = counts[["successes", "n"]].astype(int).copy()
    if target is None:
        target = table["successes"].sum() / table["n"].sum()
    table["share"] = table["successes"] / table["n"]
    estimate = estimate_overdispersion(table["successes"], table["n"], target)
    for label, z in (("95", Z95), ("998", Z998)):
        if overdispersion and estimate.tau2 > 0:
            spread = z * np.sqrt(target * (1 - target) / table["n"] + estimate.tau2)
            lower = np.clip(target - spread, 0, 1)
            upper = np.clip(target + spread, 0, 1)
        else:
            lower, upper = wilson_limits(target, table["n"].to_numpy(), z)
        table[f"lower{label}"] = lower
        table[f"upper{label}"] = upper
    table["flag"] = [
        _flag(row.share, row.lower95, row.upper95, row.lower998, row.upper998)
        for row in table.itertuples()]
    table.attrs["target"] = float(target)
    table.attrs["overdispersion"] = estimate
    table.attrs["adjusted"] = bool(overdispersion and estimate.tau2 > 0)
    return table


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
    With Wilson limits (l1, u1) for p1 and (l2, u2) for p2, and d = p2 - p1:
    lower = d - sqrt((p2 - l2)^2 + (u1 - p1)^2), upper = d + sqrt((u2 - p2)^2 + (p1 - l1)^2)
    (Newcombe 1998, method 10).
    """
    p1, p2 = before.share, after.share
    l1, u1 = wilson_interval(before.successes, before.n)
    l2, u2 = wilson_interval(after.successes, after.n)
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


def mann_whitney(before: pd.Series, after: pd.Series) -> float:
    """Two-sided Mann-Whitney U p-value comparing two sets of ordinal ratings.

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
    H is tie-corrected. The asymptotic p-value uses the chi-square approximation, which is
    rough with few observations per group and many ties (four levels); the permutation
    p-value makes no such assumption: ``(1 + #{H* >= H}) / (1 + permutations)``.
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
    the same seed would give the same rows anyway; kept read-only, as int32.
    """
    rng = np.random.default_rng(seed)
    rows = np.argsort(rng.random((permutations, n)), axis=1).astype(np.int32)
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
    from review_lib.scale import LEVELS

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
