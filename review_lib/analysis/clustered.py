"""Question ratings are clustered in case records: design effects, effective n, intervals.

The twelve ratings of one case record share that record and its auditor, so they are not
twelve independent pieces of evidence. A share of question ratings therefore carries its
design effect: the variance of the share allowing for clustering (the ratio-estimator, or
"sandwich", variance over cases) divided by the variance it would have if every rating
were independent. The effective n is the number of ratings divided by the design effect,
and the 95% interval is the Wilson interval at the effective n (the effective-sample-size
approach of Korn and Graubard 1998, applied to the Wilson interval). Plain Wilson intervals stay for
measures with one value per case: overall judgements, or one question in one review.

Near 0% or 100% the design effect cannot be estimated from a council's own ratings: with
the less common answer in only a few records, the cluster-robust variance is mostly noise
(one rating below Good in 240 gives a design effect of 1.00, where all Good gave 12).
The rule (issue 26): a council's own design effect is estimated only when the less common
answer is found in at least :data:`RECORDS_TO_ESTIMATE` records. Otherwise

- its own interval counts each record once (the design effect is the mean number of
  ratings per record), so it is never narrower than the interval its records alone would
  give; simulated coverage is then 93% to 98% at shares 0.90-0.98 with intraclass
  correlations 0.3-0.5 (it was 84% at 0.95);
- on the ratings funnel it is judged at the programme's design effect, the pooled
  within-council one (:func:`programme_design_effect`), never a larger one of its own,
  so that more ratings Good never flags it less
  (:func:`review_lib.analysis.comparison.council_design_effects`).

Shares pooled over a programme's councils (:func:`programme_proportion`) allow for the
records of one council going together as well as, for ratings, the ratings of one record.

Only numpy and pandas are imported here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from review_lib.analysis.summary import Z95, Proportion, format_percent
from review_lib.data.scale import GOOD_OR_BETTER

#: Columns that identify a case record in tidy ratings (case pseudonyms are per review).
CASE_KEY = ("council", "cycle", "case")

#: A share's own design effect is estimated only when its less common answer (ratings below
#: Good, or Good or better, whichever is rarer) is found in at least this many records;
#: chosen by simulation (tests/analysis/test_clustered_extremes.py): 3 records left the
#: coverage at 91-92% near shares of 0.90-0.92, 5 keeps it at 93% or more.
RECORDS_TO_ESTIMATE = 5


def wilson_at(share: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a share at any (effective, not necessarily whole) n.

    Parameters
    ----------
    share : float
        Observed proportion.
    n : float
        Effective sample size.
    z : float, default the 95% normal quantile
        Normal quantile.

    Returns
    -------
    tuple of float
        ``(low, high)`` in [0, 1]; NaNs when n is not positive.
    """
    if not n > 0 or math.isnan(share):
        return (math.nan, math.nan)
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class ClusteredProportion(Proportion):
    """A share of clustered ratings, with its design effect, effective n and interval.

    Attributes
    ----------
    successes, n : int
        Ratings Outstanding or Good, and all ratings.
    share, ci_low, ci_high : float
        The share and its 95% interval (Wilson at the effective n).
    clusters : int
        Case records the ratings come from.
    design_effect : float
        Variance allowing for clustering over the variance of independent ratings, at
        least 1.
    effective_n : float
        ``n / design_effect``: how many independent ratings the ratings are worth.
    estimated : bool
        False when the design effect could not be estimated (every rating alike, fewer
        than two records, or the less common answer in fewer records than asked for: see
        :data:`RECORDS_TO_ESTIMATE`); it is then taken as the mean number of ratings per
        record, as if each record counted once.
    """

    clusters: int = 0
    design_effect: float = 1.0
    effective_n: float = math.nan
    estimated: bool = True

    def describe(self) -> str:
        """E.g. ``"84% (95% CI 74% to 91%; 240 ratings in 20 cases, design effect 3.1)"``."""
        return (f"{format_percent(self.share)} (95% CI {format_percent(self.ci_low, 0)} to "
                f"{format_percent(self.ci_high, 0)}; {self.n} ratings in {self.clusters} "
                f"cases, design effect {self.design_effect:.1f})")


def cluster_variance(good: np.ndarray, cluster: np.ndarray, centre=None) -> tuple[float, int]:
    """Variance of a pooled share allowing for clustering (the cluster-robust variance).

    Parameters
    ----------
    good : numpy.ndarray of bool or 0/1
        One value per rating.
    cluster : numpy.ndarray
        The cluster (case record) of each rating.
    centre : float or numpy.ndarray, optional
        What each value is compared with: the pooled share by default, or one value per
        rating (e.g. its own council's share).

    Returns
    -------
    tuple of (float, int)
        ``(variance, clusters)`` with ``variance = k/(k-1) * sum_i (y_i - p m_i)^2 / N^2``,
        where cluster i has m_i ratings of which y_i are good, k clusters and N ratings.
        This is the variance statsmodels gives the mean of ``good`` from an OLS fit on a
        constant with ``cov_type="cluster"`` (its small-sample factor G/(G-1) included),
        to 1e-12.
    """
    good = np.asarray(good, dtype=float)
    codes, _ = pd.factorize(pd.Series(cluster), sort=False)
    k = int(codes.max()) + 1 if len(codes) else 0
    total = len(good)
    if k < 2 or total == 0:
        return (math.nan, k)
    centre = good.sum() / total if centre is None else centre
    residual = np.bincount(codes, weights=good - centre, minlength=k)
    return (float(k / (k - 1) * (residual ** 2).sum() / total ** 2), k)


def clustered_proportion(good, cluster, *, min_clusters: int = 1) -> ClusteredProportion:
    """The share of good ratings with its design effect, effective n and interval.

    Parameters
    ----------
    good : array-like of bool
        One value per rating: Outstanding or Good.
    cluster : array-like
        The case record of each rating (any hashable key per rating).
    min_clusters : int, default 1
        Estimate the design effect only when the less common answer is found in at least
        this many clusters; otherwise it is not estimated (see Returns). 1 estimates it
        whenever the ratings are not all alike; :func:`ratings_good_or_better` asks for
        :data:`RECORDS_TO_ESTIMATE`.

    Returns
    -------
    ClusteredProportion
        The design effect is at least 1: when ratings in a record agree less than chance
        would give, they are still not counted as more than independent. It is at most the
        mean number of ratings per record (every record's ratings alike: each record then
        counts once), which the small-sample factor k/(k-1) could otherwise pass. When it
        cannot be estimated (all ratings alike, one record, or the less common answer in
        fewer than ``min_clusters`` clusters), it is that maximum.
    """
    good = np.asarray(good, dtype=bool)
    cluster = np.asarray(cluster)
    n = len(good)
    successes = int(good.sum())
    if n == 0:
        return ClusteredProportion(0, 0, math.nan, math.nan, math.nan, 0, 1.0, 0.0, False)
    share = successes / n
    variance, clusters = cluster_variance(good, cluster)
    independent = share * (1 - share) / n
    most = n / max(clusters, 1)  # as if every record's ratings agreed: each counts once
    rarer = good if share < 0.5 else ~good
    holding = len(np.unique(cluster[rarer])) if rarer.any() else 0
    if (clusters >= 2 and independent > 0 and not math.isnan(variance)
            and holding >= min_clusters):
        design_effect, estimated = min(most, max(1.0, variance / independent)), True
    else:
        design_effect, estimated = max(1.0, n / max(clusters, 1)), False
    effective_n = n / design_effect
    low, high = wilson_at(share, effective_n)
    return ClusteredProportion(successes, n, share, low, high, clusters, design_effect,
                               effective_n, estimated)


def case_keys(frame: pd.DataFrame) -> np.ndarray:
    """One key per row naming its case record across reviews (council, cycle, case).

    Parameters
    ----------
    frame : pandas.DataFrame
        Tidy ratings with the :data:`CASE_KEY` columns (those present are used).

    Returns
    -------
    numpy.ndarray
        Integer codes, equal for rows of the same case record.
    """
    columns = [c for c in CASE_KEY if c in frame.columns]
    if not columns:
        raise KeyError("ratings need a 'case' column to be grouped by case record")
    codes = np.zeros(len(frame), dtype=np.int64)
    for column in columns:
        part, uniques = pd.factorize(frame[column].astype(str), sort=False)
        codes = codes * (len(uniques) + 1) + part
    return codes


def ratings_good_or_better(ratings: pd.DataFrame) -> ClusteredProportion:
    """Share of question ratings Outstanding or Good, allowing for clustering in cases.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings (``rating`` and the case-record columns), of one review or many.

    Returns
    -------
    ClusteredProportion
        E.g. ``ratings_good_or_better(review.ratings).describe()``. Where the less common
        answer is in fewer than :data:`RECORDS_TO_ESTIMATE` records, each record counts
        once (``estimated`` is False).
    """
    good = ratings["rating"].isin(GOOD_OR_BETTER).to_numpy()
    return clustered_proportion(good, case_keys(ratings), min_clusters=RECORDS_TO_ESTIMATE)


def programme_design_effect(ratings: pd.DataFrame) -> float:
    """The design effect of a cycle's question ratings, for its ratings funnel.

    Under no true difference between councils, every council's ratings are taken to be as
    clustered as the programme's. The design effect is estimated within councils (each
    rating's share is centred on its own council's share), so that real differences
    between councils are not counted as clustering.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings of one cycle.

    Returns
    -------
    float
        At least 1 and at most the mean number of ratings per record.
    """
    if ratings.empty:
        return 1.0
    good = ratings["rating"].isin(GOOD_OR_BETTER).to_numpy(dtype=float)
    council = pd.factorize(ratings["council"].astype(str))[0]
    council_share = (np.bincount(council, weights=good)
                     / np.bincount(council).astype(float))[council]
    variance, k = cluster_variance(good, case_keys(ratings), centre=council_share)
    total = len(good)
    independent = (council_share * (1 - council_share)).sum() / total ** 2
    if not independent > 0 or math.isnan(variance):
        return max(1.0, total / max(k, 1))
    return min(max(1.0, total / k), max(1.0, float(variance / independent)))


# --------------------------------------------------------------------------- programme shares


@dataclass(frozen=True)
class ProgrammeProportion(ClusteredProportion):
    """A share pooled over a programme's councils, allowing for each council's clustering.

    The records of one council share its practice, its choice of records and its review
    team, so they are not independent evidence about the programme; nor are the ratings of
    one record. The design effect is the larger of the one over councils and (for ratings)
    the one over records, and the interval is Wilson at the effective n.

    Attributes
    ----------
    successes, n, share, ci_low, ci_high
        As :class:`~review_lib.analysis.summary.Proportion`; the interval allows for the
        clustering.
    clusters : int
        Case records (for one value per record, ``n``), as in :class:`ClusteredProportion`.
    design_effect, effective_n, estimated
        As :class:`ClusteredProportion`, for the larger design effect (``estimated``: of
        the one that is larger).
    councils : int
        Councils.
    design_effect_councils : float
        Over councils (ratings of one council together).
    design_effect_records : float
        Over records (ratings of one record together; 1 for one value per record).
    """

    councils: int = 0
    design_effect_councils: float = math.nan
    design_effect_records: float = 1.0

    def describe(self) -> str:
        """E.g. ``"82% (95% CI 71% to 89%; 280 in 14 councils, design effect 3.8)"``."""
        return (f"{format_percent(self.share)} (95% CI {format_percent(self.ci_low, 0)} to "
                f"{format_percent(self.ci_high, 0)}; {self.n} in {self.councils} councils, "
                f"design effect {self.design_effect:.1f})")


def programme_proportion(good, council, record=None) -> ProgrammeProportion:
    """A programme-level share with an interval allowing for clustering by council.

    Parameters
    ----------
    good : array-like of bool
        One value per record (overall judgements) or per rating.
    council : array-like
        The council of each value.
    record : array-like, optional
        For ratings, the case record of each (keys unique across councils, e.g.
        :func:`case_keys`).

    Returns
    -------
    ProgrammeProportion
        Design effect: the larger of the one over councils (:func:`clustered_proportion`
        with councils as clusters) and, with ``record``, the one over records (as
        :func:`ratings_good_or_better`). Where the one over councils cannot be estimated
        because every value is alike, each council counts once; with a single council
        there is no clustering by council to allow for, and only records count.

    Notes
    -----
    The variance over councils is the cluster-robust (sandwich) variance of the mean,
    with the small-sample factor G/(G-1): what statsmodels gives the constant of an OLS
    fit with ``cov_type="cluster"`` and the councils as groups. With the sample's 229 of
    280 records in 14 councils the interval is 71% to 89% (Wilson at n 280 says 77% to
    86%); a binomial GEE with an independence working correlation and
    robust errors, on the logit scale, gives 72% to 89%. With fewer than about ten
    councils the design effect over councils is itself imprecise.
    """
    good = np.asarray(good, dtype=bool)
    council = np.asarray(council)
    by_council = clustered_proportion(good, council)
    if by_council.clusters < 2:  # one council: its records are the whole programme
        by_council = replace(by_council, design_effect=1.0, effective_n=float(len(good)))
    by_record = (clustered_proportion(good, np.asarray(record), min_clusters=RECORDS_TO_ESTIMATE)
                 if record is not None else None)
    records = by_record.clusters if by_record is not None else len(good)
    effect_records = by_record.design_effect if by_record is not None else 1.0
    design_effect = max(by_council.design_effect, effect_records)
    estimated = (by_council.estimated if by_council.design_effect >= effect_records
                 else by_record.estimated)
    n = len(good)
    effective_n = n / design_effect if n else 0.0
    low, high = wilson_at(by_council.share, effective_n) if n else (math.nan, math.nan)
    return ProgrammeProportion(by_council.successes, n, by_council.share, low, high,
                               records, design_effect, effective_n, estimated,
                               by_council.clusters, by_council.design_effect, effect_records)


def programme_judgements_good_or_better(judgements: pd.DataFrame) -> ProgrammeProportion:
    """Share of a programme's records judged Outstanding or Good, clustered by council.

    Parameters
    ----------
    judgements : pandas.DataFrame
        Tidy overall judgements (``council``, ``judgement``) of several councils.

    Returns
    -------
    ProgrammeProportion
        See :func:`programme_proportion`.
    """
    good = judgements["judgement"].isin(GOOD_OR_BETTER).to_numpy()
    return programme_proportion(good, judgements["council"].astype(str).to_numpy())


def programme_ratings_good_or_better(ratings: pd.DataFrame) -> ProgrammeProportion:
    """Share of a programme's question ratings Outstanding or Good, clustered by council.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings (``council``, ``rating`` and the case-record columns).

    Returns
    -------
    ProgrammeProportion
        The design effect is the larger of the one over councils and the one over records.
    """
    good = ratings["rating"].isin(GOOD_OR_BETTER).to_numpy()
    return programme_proportion(good, ratings["council"].astype(str).to_numpy(),
                                case_keys(ratings))


def programme_question_intervals(ratings: pd.DataFrame) -> pd.DataFrame:
    """Each question's programme-wide share Good or better, with a council-clustered interval.

    A question has one rating per record, so its ratings are clustered only by council.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings (``council``, ``question``, ``rating``) of several councils.

    Returns
    -------
    pandas.DataFrame
        Indexed by question (in order of appearance): ``successes``, ``n``, ``share``,
        ``ci_low``, ``ci_high``, ``design_effect`` and ``effective_n``.
    """
    good = ratings["rating"].isin(GOOD_OR_BETTER).to_numpy()
    council = ratings["council"].astype(str).to_numpy()
    question = ratings["question"].astype(str).to_numpy()
    rows = {}
    for q in pd.unique(question):
        mask = question == q
        share = programme_proportion(good[mask], council[mask])
        rows[q] = {"successes": share.successes, "n": share.n, "share": share.share,
                   "ci_low": share.ci_low, "ci_high": share.ci_high,
                   "design_effect": share.design_effect, "effective_n": share.effective_n}
    frame = pd.DataFrame.from_dict(rows, orient="index",
                                   columns=["successes", "n", "share", "ci_low", "ci_high",
                                            "design_effect", "effective_n"])
    frame.index.name = "question"
    return frame
