"""Auditor calibration: agreement between auditors, and each auditor's leniency.

``scores`` is always a DataFrame with one row per unit (a case record, or a case x question
item) and one column per rater (auditor), holding numeric ordinal codes (4 = Outstanding ...
1 = Inadequate here; any numeric codes work) or NaN for missing / not applicable. Build it
from a tidy frame with :func:`units_by_raters`; for per-question figures call the functions
on row subsets. Point estimates return NaN instead of raising when a coefficient is undefined
(no unit rated twice, a single category), so subsets and bootstrap replicates degrade
gracefully. No printing, no file I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import krippendorff
import numpy as np
import pandas as pd
from statsmodels.stats import inter_rater

Weights = Literal["identity", "linear", "quadratic"]
_NAN = float("nan")


@dataclass(frozen=True)
class BootstrapInterval:
    """Percentile bootstrap interval; ``n_failed`` NaN replicates were skipped."""

    low: float
    high: float
    confidence: float
    n_boot: int
    n_failed: int


@dataclass(frozen=True)
class KappaResult:
    """A kappa, the number of units it used and of raters (ratings per unit)."""

    estimate: float
    n_units: int
    n_raters: int
    weights: str


@dataclass(frozen=True)
class AgreementEstimate:
    """A statistic with its bootstrap interval, units rated twice or more, raters used."""

    statistic: str
    estimate: float
    low: float
    high: float
    n_units: int
    n_raters: int
    n_boot_failed: int


@dataclass(frozen=True, eq=False)
class AgreementSummary:
    """Result of :func:`agreement_summary`; ``pairwise`` has one row per rater pair."""

    alpha_ordinal: AgreementEstimate
    ac2_quadratic: AgreementEstimate
    ac2_linear: AgreementEstimate
    exact_agreement: AgreementEstimate
    adjacent_agreement: AgreementEstimate
    pairwise: pd.DataFrame


def _matrix(scores) -> np.ndarray:
    if isinstance(scores, np.ndarray):  # fast path, used by the bootstraps
        return scores.astype(float, copy=False).reshape(len(scores), -1)
    values = pd.DataFrame(scores).to_numpy(dtype=float, na_value=np.nan)
    return values.reshape(len(values), -1)


def _vector(values) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(float, copy=False).ravel()
    return pd.Series(values).to_numpy(dtype=float, na_value=np.nan)


def _categories(values: np.ndarray, categories: Sequence[float] | None) -> np.ndarray:
    observed = np.unique(values[~np.isnan(values)])
    if categories is None:
        return observed
    cats = np.unique(np.asarray(categories, dtype=float))
    outside = np.setdiff1d(observed, cats)
    if outside.size:
        raise ValueError(f"scores contain values not in categories: {outside.tolist()}")
    return cats


def _counts(values: np.ndarray, cats: np.ndarray) -> np.ndarray:
    """Units x categories: how many raters put unit i in category k."""
    return (values[:, :, None] == cats[None, None, :]).sum(axis=1).astype(float)


def _weight_matrix(cats: np.ndarray, weights: str) -> np.ndarray:
    if weights not in ("identity", "linear", "quadratic"):
        raise ValueError(f"weights must be identity, linear or quadratic, not {weights!r}")
    if weights == "identity" or cats.size < 2:
        return np.eye(cats.size)
    distance = np.abs(cats[:, None] - cats[None, :]) / (cats[-1] - cats[0])
    return 1 - distance if weights == "linear" else 1 - distance**2


def _n_pairable(values: np.ndarray) -> int:
    return int(((~np.isnan(values)).sum(axis=1) >= 2).sum())


def units_by_raters(
    tidy: pd.DataFrame,
    unit: str | Sequence[str] = "case",
    rater: str = "auditor",
    value: str = "score",
) -> pd.DataFrame:
    """Pivot a tidy frame (one row per rating) into units x raters.

    Parameters
    ----------
    tidy : pandas.DataFrame
        One row per rating.
    unit : str or sequence of str, default "case"
        Column(s) naming a unit, e.g. ``["case", "question"]`` for items.
    rater, value : str, default "auditor", "score"
        Columns naming the rater and holding the code (NaN for missing).

    Returns
    -------
    pandas.DataFrame
        Float frame, one row per unit, one column per rater, NaN where not rated.

    Raises
    ------
    ValueError
        If a rater rated a unit more than once; the message names one such unit and rater.
    """
    unit_cols = [unit] if isinstance(unit, str) else list(unit)
    absent = [c for c in [*unit_cols, rater, value] if c not in tidy.columns]
    if absent:
        raise KeyError(f"tidy frame has no column(s) {absent}")
    duplicated = tidy.duplicated([*unit_cols, rater], keep=False)
    if duplicated.any():
        first = tidy.loc[duplicated].iloc[0]
        key = tuple(first[c] for c in unit_cols) if len(unit_cols) > 1 else first[unit_cols[0]]
        raise ValueError(
            f"{int(duplicated.sum())} rows repeat a (unit, rater) pair, e.g. {unit} {key!r} "
            f"rated by {rater} {first[rater]!r} more than once; de-duplicate first"
        )
    index = unit_cols if len(unit_cols) > 1 else unit_cols[0]
    return tidy.pivot(index=index, columns=rater, values=value).astype(float)


def krippendorff_alpha(
    scores: pd.DataFrame, level: Literal["nominal", "ordinal", "interval"] = "ordinal"
) -> float:
    """Krippendorff's alpha, any number of raters, missing ratings allowed.

    Parameters
    ----------
    scores : pandas.DataFrame
        Units x raters.
    level : {"nominal", "ordinal", "interval"}, default "ordinal"
        Level of measurement (difference function).

    Returns
    -------
    float
        Alpha from the ``krippendorff`` package over the observed values; NaN if fewer than
        two distinct values or no unit rated twice.
    """
    if level not in ("nominal", "ordinal", "interval"):
        raise ValueError(f"level must be nominal, ordinal or interval, not {level!r}")
    values = _matrix(scores)
    domain = np.unique(values[~np.isnan(values)])
    if domain.size < 2 or _n_pairable(values) == 0:
        return _NAN
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = krippendorff.alpha(
            reliability_data=values.T, level_of_measurement=level, value_domain=domain
        )
    return float(alpha)


def _paired(a, b) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(a, pd.Series) and isinstance(b, pd.Series) and not a.index.equals(b.index):
        if not (a.index.is_unique and b.index.is_unique):
            raise ValueError("a and b have different, non-unique indexes: cannot pair units")
        a, b = a.align(b, join="inner")
    x, y = _vector(a), _vector(b)
    if x.shape != y.shape:
        raise ValueError(f"a and b differ in length ({x.size} and {y.size})")
    both = ~(np.isnan(x) | np.isnan(y))
    return x[both], y[both]


def cohen_kappa(
    a,
    b,
    weights: Literal["linear", "quadratic"] | None = None,
    categories: Sequence[float] | None = None,
) -> KappaResult:
    """Cohen's kappa, simple or weighted, for two raters over the units both rated.

    Parameters
    ----------
    a, b : array_like or pandas.Series
        The raters' codes; Series with different (unique) indexes are aligned on the index,
        anything else is paired by position.
    weights : {None, "linear", "quadratic"}, default None
        None: simple kappa; "linear": Cicchetti-Allison; "quadratic": Fleiss-Cohen, both on
        the numeric distance between codes.
    categories : sequence of float, optional
        Full scale, e.g. ``[1, 2, 3, 4]``: unused categories stay in the table and set the
        weights' range. Default: the codes either rater used.

    Returns
    -------
    KappaResult
        ``statsmodels.stats.inter_rater.cohens_kappa`` on the square table; NaN if no units
        or one category.
    """
    if weights not in (None, "linear", "quadratic"):
        raise ValueError(f"weights must be None, linear or quadratic, not {weights!r}")
    x, y = _paired(a, b)
    cats = _categories(np.concatenate([x, y]), categories)
    if x.size == 0 or cats.size < 2:
        return KappaResult(_NAN, int(x.size), 2, weights or "none")
    table = np.zeros((cats.size, cats.size))
    np.add.at(table, (np.searchsorted(cats, x), np.searchsorted(cats, y)), 1)
    # statsmodels: `weights` (1-D) are the category scores; wt names the weighting.
    options = {} if weights is None else {"weights": cats, "wt": weights}
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = inter_rater.cohens_kappa(table, return_results=False, **options)
    return KappaResult(float(kappa), int(x.size), 2, weights or "none")


def fleiss_kappa(scores: pd.DataFrame, categories: Sequence[float] | None = None) -> KappaResult:
    """Fleiss' (1971) kappa via statsmodels ``aggregate_raters`` and ``fleiss_kappa``.

    Parameters
    ----------
    scores : pandas.DataFrame
        Units x raters; every unit with a rating must have the same number of ratings (the
        raters may differ). Unrated units are dropped.
    categories : sequence of float, optional
        Full scale; default the codes observed.

    Returns
    -------
    KappaResult
        ``n_raters`` is the number of ratings per unit.

    Raises
    ------
    ValueError
        If units carry different numbers of ratings: use :func:`krippendorff_alpha` or
        :func:`gwet_ac` for incomplete designs.
    """
    values = _matrix(scores)
    rated = ~np.isnan(values)
    values, per_unit = values[rated.any(axis=1)], rated.sum(axis=1)[rated.any(axis=1)]
    if np.unique(per_unit).size > 1:
        raise ValueError("fleiss_kappa needs the same number of ratings on every unit")
    cats = _categories(values, categories)
    n_units, m = values.shape[0], int(per_unit[0]) if per_unit.size else 0
    if n_units == 0 or m < 2 or cats.size < 2:
        return KappaResult(_NAN, n_units, m, "identity")
    codes = np.searchsorted(cats, values[~np.isnan(values)]).reshape(n_units, m)
    table, _ = inter_rater.aggregate_raters(codes, n_cat=cats.size)
    return KappaResult(float(inter_rater.fleiss_kappa(table)), n_units, m, "identity")


def gwet_ac(
    scores: pd.DataFrame, weights: Weights = "identity", categories: Sequence[float] | None = None
) -> float:
    """Gwet's AC1 (identity weights) or AC2 (linear or quadratic weights).

    Follows irrCAC's ``gwet.ac1.raw``: unrated units are dropped; agreement ``pa`` averages
    over units rated at least twice; ``pi_k`` averages ``r_ik / r_i`` over all units, single
    ratings included; ``pe = sum(W) sum_k pi_k (1 - pi_k) / (q (q - 1))``.

    Parameters
    ----------
    scores : pandas.DataFrame
        Units x raters.
    weights : {"identity", "linear", "quadratic"}, default "identity"
        irrCAC's weights on the codes: ``1 - |k-l|/(max-min)``, ``1 - (k-l)^2/(max-min)^2``.
    categories : sequence of float, optional
        Full scale (q and the weights depend on it); default the codes observed, as irrCAC.
        With one category ``pe`` is 0, as in irrCAC.

    Returns
    -------
    float
        The coefficient; NaN if no unit is rated twice.
    """
    values = _matrix(scores)
    values = values[(~np.isnan(values)).any(axis=1)]
    cats = _categories(values, categories)
    w = _weight_matrix(cats, weights)
    counts = _counts(values, cats)
    r = counts.sum(axis=1)
    pairable = r >= 2
    if not pairable.any():
        return _NAN
    agree = (counts * (counts @ w.T - 1)).sum(axis=1)
    pa = np.mean(agree[pairable] / (r[pairable] * (r[pairable] - 1)))
    pi = (counts / r[:, None]).mean(axis=0)
    q = cats.size
    pe = w.sum() * np.sum(pi * (1 - pi)) / (q * (q - 1)) if q >= 2 else 0.0
    return _NAN if pe >= 1 else float((pa - pe) / (1 - pe))


def percent_agreement(
    scores: pd.DataFrame, adjacent: bool = False, average: Literal["pairs", "units"] = "pairs"
) -> float:
    """Share of pairs of raters, within units, agreeing exactly or within one scale point.

    Parameters
    ----------
    scores : pandas.DataFrame
        Units x raters.
    adjacent : bool, default False
        If True a pair agrees when its codes differ by at most 1.
    average : {"pairs", "units"}, default "pairs"
        "pairs" pools all rater pairs of all units (units with more raters weigh more);
        "units" averages each unit's share over units rated twice or more (irrCAC's
        ``pa.coeff.raw``).

    Returns
    -------
    float
        Share in [0, 1]; NaN if no unit is rated twice.
    """
    if average not in ("pairs", "units"):
        raise ValueError(f"average must be pairs or units, not {average!r}")
    values = _matrix(scores)
    cats = _categories(values, None)
    counts = _counts(values, cats)
    r = counts.sum(axis=1)
    close = np.abs(cats[:, None] - cats[None, :]) <= (1 if adjacent else 0) + 1e-9
    agreeing = (np.einsum("ik,kl,il->i", counts, close.astype(float), counts) - r) / 2
    pairs = r * (r - 1) / 2
    ok = pairs > 0
    if not ok.any():
        return _NAN
    if average == "pairs":
        return float(agreeing[ok].sum() / pairs[ok].sum())
    return float(np.mean(agreeing[ok] / pairs[ok]))


def bootstrap_interval(
    statistic: Callable[[pd.DataFrame], float],
    scores: pd.DataFrame,
    n_boot: int = 1000,
    seed: int | np.random.Generator | None = 0,
    confidence: float = 0.95,
) -> BootstrapInterval:
    """Percentile bootstrap interval, resampling units (rows) with replacement.

    Parameters
    ----------
    statistic : callable
        Frame -> float, e.g. ``lambda s: gwet_ac(s, "quadratic", [1, 2, 3, 4])``. Give
        category-dependent statistics fixed categories so replicates share one scale.
    scores : pandas.DataFrame or numpy.ndarray
        Units x raters; rows are resampled.
    n_boot : int, default 1000
        Number of replicates.
    seed : int, numpy.random.Generator or None, default 0
        Passed to ``numpy.random.default_rng``; a fixed seed gives a fixed interval.
    confidence : float, default 0.95
        Coverage.

    Returns
    -------
    BootstrapInterval
        Quantiles of the finite replicates; NaN replicates are skipped and counted.
    """
    if not 0 < confidence < 1 or n_boot < 1:
        raise ValueError("need 0 < confidence < 1 and n_boot >= 1")
    n = len(scores)
    if n == 0:
        return BootstrapInterval(_NAN, _NAN, confidence, n_boot, n_boot)
    rng = np.random.default_rng(seed)
    rows = scores.iloc if hasattr(scores, "iloc") else np.asarray(scores)
    reps = np.array([statistic(rows[rng.integers(0, n, n)]) for _ in range(n_boot)])
    finite = reps[np.isfinite(reps)]
    if finite.size == 0:
        return BootstrapInterval(_NAN, _NAN, confidence, n_boot, n_boot)
    tail = (1 - confidence) / 2
    low, high = np.quantile(finite, [tail, 1 - tail])
    return BootstrapInterval(float(low), float(high), confidence, n_boot, n_boot - finite.size)


def _split_consensus(scores: pd.DataFrame, consensus) -> tuple[pd.DataFrame, np.ndarray | None]:
    if consensus is None:
        return scores, None
    if not isinstance(consensus, pd.Series):
        if consensus not in scores.columns:
            raise KeyError(f"consensus column {consensus!r} is not in scores")
        return scores.drop(columns=[consensus]), _vector(scores[consensus])
    if not consensus.index.equals(scores.index):
        if not consensus.index.is_unique:
            raise ValueError("consensus has a non-unique index that differs from scores'")
        consensus = consensus.reindex(scores.index)
    raters = scores.drop(columns=[consensus.name]) if consensus.name in scores.columns else scores
    return raters, _vector(consensus)


def _estimate(name: str, statistic, values: np.ndarray, n_boot: int, seed) -> AgreementEstimate:
    ci = bootstrap_interval(statistic, values, n_boot=n_boot, seed=seed)
    n_raters = int((~np.isnan(values)).any(axis=0).sum())
    return AgreementEstimate(
        name, statistic(values), ci.low, ci.high, _n_pairable(values), n_raters, ci.n_failed
    )


def _pair_row(names: tuple, x, y, cats, n_boot: int, seed) -> dict:
    pair = np.column_stack([x, y])
    pair = pair[~np.isnan(pair).any(axis=1)]
    row = {"rater_a": names[0], "rater_b": names[1], "n_units": len(pair)}
    for w in ("linear", "quadratic"):

        def stat(s, w=w):
            return cohen_kappa(s[:, 0], s[:, 1], weights=w, categories=cats).estimate

        ci = bootstrap_interval(stat, pair, n_boot=n_boot, seed=seed)
        row |= {f"kappa_{w}": stat(pair), f"kappa_{w}_low": ci.low, f"kappa_{w}_high": ci.high}
    return row


def agreement_summary(
    scores: pd.DataFrame,
    consensus: pd.Series | Hashable | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    categories: Sequence[float] | None = None,
) -> AgreementSummary:
    """Headline agreement figures, each with a bootstrap 95% interval over units.

    Parameters
    ----------
    scores : pandas.DataFrame
        Units x raters.
    consensus : pandas.Series or column label, optional
        Agreed (moderated) score per unit: a Series indexed like ``scores``' rows, or a column
        of ``scores``. Never counted as a rater (nor is a column named like the Series); it
        only adds rater-vs-consensus rows to ``pairwise``.
    n_boot, seed : int, default 1000, 0
        Replicates and seed for every interval.
    categories : sequence of float, optional
        Full scale, ``[1, 2, 3, 4]`` here; recommended so weights and chance terms do not
        depend on which codes happen to occur. Default: codes observed among the raters
        (for kappa, consensus included), fixed across replicates.

    Returns
    -------
    AgreementSummary
        Ordinal alpha; Gwet's AC2 (quadratic, linear); pooled pairwise exact and adjacent
        agreement; ``pairwise``: each pair of raters sharing a unit, then each rater vs
        consensus, with ``n_units`` and linear / quadratic kappa with ``_low`` / ``_high``.
    """
    raters, cons = _split_consensus(scores, consensus)
    values = _matrix(raters)
    cats = _categories(values, categories)
    pair_cats = cats if cons is None else _categories(np.append(values, cons), categories)
    names = list(raters.columns)
    rows = [
        _pair_row((names[i], names[j]), values[:, i], values[:, j], pair_cats, n_boot, seed)
        for i, j in combinations(range(values.shape[1]), 2)
        if np.any(~np.isnan(values[:, i]) & ~np.isnan(values[:, j]))
    ]
    if cons is not None:
        label = consensus.name if isinstance(consensus, pd.Series) else consensus
        label = "consensus" if label is None else label
        rows += [
            _pair_row((name, label), values[:, i], cons, pair_cats, n_boot, seed)
            for i, name in enumerate(raters.columns)
        ]
    columns = ["rater_a", "rater_b", "n_units"] + [
        f"kappa_{w}{s}" for w in ("linear", "quadratic") for s in ("", "_low", "_high")
    ]
    specs = {
        "alpha_ordinal": ("krippendorff_alpha_ordinal", krippendorff_alpha),
        "ac2_quadratic": ("gwet_ac2_quadratic", lambda s: gwet_ac(s, "quadratic", cats)),
        "ac2_linear": ("gwet_ac2_linear", lambda s: gwet_ac(s, "linear", cats)),
        "exact_agreement": ("exact_agreement", percent_agreement),
        "adjacent_agreement": ("adjacent_agreement", lambda s: percent_agreement(s, True)),
    }
    estimates = {k: _estimate(*spec, values, n_boot, seed) for k, spec in specs.items()}
    return AgreementSummary(**estimates, pairwise=pd.DataFrame(rows, columns=columns))


def leniency(
    scores: pd.DataFrame,
    consensus: pd.Series | Hashable | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Each rater's mean difference from the consensus, or from the other raters.

    On each unit the difference is the rater's code minus the consensus, or with no consensus
    minus the mean of the other raters on that unit; units lacking either side are skipped.
    Each rater's mean difference is tested with a one-sample t-test over their units (two
    sided) and carries a t interval. Because an exercise looks at every one of its raters,
    the test and the interval are adjusted across them (Bonferroni): with k raters, each
    interval has confidence ``1 - (1 - confidence) / k`` and each p-value is multiplied by
    k, so that when no rater differs, the chance that any is named is at most
    ``1 - confidence``. A rater is named exactly when the adjusted interval excludes zero.

    The percentile bootstrap used before (issue 26) covered about 89% with 8 units and
    named at least one of five fair raters in about half of all exercises.

    Parameters
    ----------
    scores : pandas.DataFrame
        Units x raters.
    consensus : pandas.Series or column label, optional
        Agreed score per unit, as in :func:`agreement_summary`; never counted as a rater.
    confidence : float, default 0.95
        Family-wise confidence: of all the raters' intervals together.

    Returns
    -------
    pandas.DataFrame
        Indexed by rater: ``reference`` ("consensus" / "other raters"), ``mean_difference``
        in scale points (positive = more generous), ``low``, ``high`` (the adjusted t
        interval), ``n_units``, ``p_value`` (the t-test's, unadjusted), ``p_adjusted``
        (Bonferroni, at most 1), ``interval_confidence`` (each interval's own confidence)
        and ``direction``: "more generous" / "more severe" only when the adjusted interval
        excludes zero, else "no clear difference". A rater with fewer than two units gets
        NaN and is not counted among the k.

    Notes
    -----
    The t interval assumes the rater's differences are roughly normal over units; with a
    case's mean over twelve questions they are. For one judgement per case the differences
    take a few whole values, and the t-test then errs on the side of not naming (the
    simulation in ``tests/analysis/test_leniency_calibration.py`` checks both).
    """
    from scipy import stats as scipy_stats

    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    raters, cons = _split_consensus(scores, consensus)
    values = _matrix(raters)
    if cons is None:  # each rater against the mean of the others on the unit
        rated = ~np.isnan(values)
        total, count = np.nansum(values, axis=1), rated.sum(axis=1)
        others = count[:, None] - rated
        with np.errstate(invalid="ignore", divide="ignore"):
            ref = np.where(others > 0, (total[:, None] - np.nan_to_num(values))
                           / np.maximum(others, 1), np.nan)
    else:
        ref = cons[:, None]
    diff = values - ref
    usable = np.isfinite(diff)
    n = usable.sum(axis=0)
    k = max(1, int((n >= 2).sum()))
    alpha = (1 - confidence) / k
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.where(usable, diff, 0).sum(axis=0) / np.maximum(n, 1), np.nan)
        squares = np.where(usable, (diff - mean) ** 2, 0).sum(axis=0)
        se = np.sqrt(squares / np.maximum(n - 1, 1) / np.maximum(n, 1))
        df = np.maximum(n - 1, 1)
        half = scipy_stats.t.ppf(1 - alpha / 2, df) * se
        p_value = np.where(se > 0, 2 * scipy_stats.t.sf(np.abs(mean) / np.where(se > 0, se, 1),
                                                        df),
                           np.where(mean == 0, 1.0, 0.0))  # every unit differs alike
    enough = n >= 2
    low = np.where(enough, mean - half, np.nan)
    high = np.where(enough, mean + half, np.nan)
    p_value = np.where(enough, p_value, np.nan)
    adjusted = np.minimum(1.0, p_value * k)
    direction = np.where(low > 0, "more generous",
                         np.where(high < 0, "more severe", "no clear difference"))
    reference = "other raters" if cons is None else "consensus"
    rows = zip(raters.columns, [reference] * len(n), mean.astype(float), low, high,
               n.astype(int), p_value, adjusted, [1 - alpha] * len(n), direction, strict=True)
    columns = ["rater", "reference", "mean_difference", "low", "high", "n_units", "p_value",
               "p_adjusted", "interval_confidence", "direction"]
    return pd.DataFrame(rows, columns=columns).set_index("rater")


# --------------------------------------------------------------------------- vectorised bootstrap


def resample_counts(n_units: int, n_boot: int, seed: int | np.random.Generator | None = 0
                    ) -> np.ndarray:
    """How often each unit is drawn in each bootstrap replicate.

    The draws are those of :func:`bootstrap_interval` with the same seed (``n_boot``
    successive ``rng.integers(0, n_units, n_units)``), so a statistic computed from these
    counts gives the same replicates as resampling the rows one replicate at a time.

    Parameters
    ----------
    n_units : int
        Units (rows, e.g. cases) to resample.
    n_boot : int
        Replicates.
    seed : int, numpy.random.Generator or None, default 0
        Passed to ``numpy.random.default_rng``.

    Returns
    -------
    numpy.ndarray
        ``n_boot x n_units`` counts; each row sums to ``n_units``.
    """
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, n_units, (n_boot, n_units))
    counts = np.zeros((n_boot, n_units))
    np.add.at(counts, (np.repeat(np.arange(n_boot), n_units), drawn.ravel()), 1)
    return counts


def percentile_interval(replicates: np.ndarray, confidence: float = 0.95) -> BootstrapInterval:
    """Percentile interval of bootstrap replicates, skipping and counting NaN ones.

    Parameters
    ----------
    replicates : numpy.ndarray
        One value per replicate.
    confidence : float, default 0.95
        Coverage.

    Returns
    -------
    BootstrapInterval
        Quantiles of the finite replicates (NaN when none is finite).
    """
    replicates = np.asarray(replicates, dtype=float)
    finite = replicates[np.isfinite(replicates)]
    n_boot = replicates.size
    if finite.size == 0:
        return BootstrapInterval(_NAN, _NAN, confidence, n_boot, n_boot)
    tail = (1 - confidence) / 2
    low, high = np.quantile(finite, [tail, 1 - tail])
    return BootstrapInterval(float(low), float(high), confidence, n_boot, n_boot - finite.size)


@dataclass(frozen=True, eq=False)
class ClusterSums:
    """A statistic written as a function of sums over clusters (for a cluster bootstrap).

    Every agreement statistic here is a smooth function of totals over units (agreeing
    pairs, coincidences, category counts), and a bootstrap that resamples clusters (cases)
    only reweights each cluster's part of those totals. So one replicate is
    ``finish(weights @ parts)``, and all replicates are one matrix product.

    Attributes
    ----------
    parts : numpy.ndarray
        Clusters x p: each cluster's contribution to the p totals.
    finish : callable
        Totals (replicates x p) to the statistic (one value per replicate; NaN where it is
        undefined, as the unvectorised function returns).
    """

    parts: np.ndarray
    finish: Callable[[np.ndarray], np.ndarray]

    def estimate(self) -> float:
        """The statistic on the data as they are (every cluster once)."""
        return float(self.finish(self.parts.sum(axis=0)[None, :])[0])

    def replicates(self, counts: np.ndarray) -> np.ndarray:
        """The statistic in each replicate, given :func:`resample_counts`' counts."""
        return self.finish(counts @ self.parts)

    def __sub__(self, other: ClusterSums) -> ClusterSums:
        """The difference of two statistics of the same clusters."""
        split = self.parts.shape[1]
        return ClusterSums(np.hstack([self.parts, other.parts]),
                           lambda t: self.finish(t[:, :split]) - other.finish(t[:, split:]))


def _clustered(values: np.ndarray) -> np.ndarray:
    """Clusters x units x raters, from units x raters (each unit its own cluster) or 3-D."""
    values = np.asarray(values, dtype=float)
    return values[:, None, :] if values.ndim == 2 else values


def _divide(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan)


def gwet_sums(values: np.ndarray, weights: Weights, categories: Sequence[float]) -> ClusterSums:
    """:func:`gwet_ac` as sums over clusters.

    Parameters
    ----------
    values : numpy.ndarray
        Clusters x units x raters (or units x raters, each unit a cluster).
    weights : {"identity", "linear", "quadratic"}
        As :func:`gwet_ac`.
    categories : sequence of float
        The full scale (fixed, so that every replicate shares it).

    Returns
    -------
    ClusterSums
        Its estimate equals ``gwet_ac`` of all units; its replicates equal ``gwet_ac`` of
        the resampled clusters' units.
    """
    values = _clustered(values)
    cats = _categories(values, categories)
    w = _weight_matrix(cats, weights)
    q = cats.size
    counts = (values[..., None] == cats).sum(axis=2).astype(float)  # clusters x units x q
    r = counts.sum(axis=2)
    pairable, kept = r >= 2, r >= 1
    agree = (counts * (counts @ w.T - 1)).sum(axis=2)
    ratio = np.where(pairable, agree / np.where(pairable, r * (r - 1), 1), 0.0)
    shares = np.where(kept[..., None], counts / np.where(kept, r, 1)[..., None], 0.0)
    parts = np.column_stack([ratio.sum(axis=1), pairable.sum(axis=1), kept.sum(axis=1),
                             shares.sum(axis=1)])
    total_w = w.sum()

    def finish(t: np.ndarray) -> np.ndarray:
        pa = _divide(t[:, 0], t[:, 1])
        pi = t[:, 3:] / np.where(t[:, 2] > 0, t[:, 2], 1)[:, None]
        pe = total_w * (pi * (1 - pi)).sum(axis=1) / (q * (q - 1)) if q >= 2 else 0 * pa
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(pe >= 1, np.nan, (pa - pe) / (1 - pe))

    return ClusterSums(parts, finish)


def agreement_sums(values: np.ndarray, adjacent: bool = False) -> ClusterSums:
    """:func:`percent_agreement` (``average="pairs"``) as sums over clusters.

    Parameters
    ----------
    values : numpy.ndarray
        Clusters x units x raters (or units x raters).
    adjacent : bool, default False
        Agreement within one scale point.

    Returns
    -------
    ClusterSums
        Agreeing pairs over pairs.
    """
    values = _clustered(values)
    cats = _categories(values, None)
    counts = (values[..., None] == cats).sum(axis=2).astype(float)
    r = counts.sum(axis=2)
    close = (np.abs(cats[:, None] - cats[None, :]) <= (1 if adjacent else 0) + 1e-9)
    agreeing = (np.einsum("cik,kl,cil->ci", counts, close.astype(float), counts) - r) / 2
    pairs = r * (r - 1) / 2
    parts = np.column_stack([agreeing.sum(axis=1), pairs.sum(axis=1)])
    return ClusterSums(parts, lambda t: _divide(t[:, 0], t[:, 1]))


def alpha_sums(values: np.ndarray, categories: Sequence[float]) -> ClusterSums:
    """Krippendorff's ordinal alpha (:func:`krippendorff_alpha`) as sums over clusters.

    The coincidence matrix is a sum over units, so each cluster contributes its units'
    coincidences; the ordinal distances are then computed from each replicate's own
    marginal counts, as the ``krippendorff`` package computes them. Categories a replicate
    does not use add nothing to any distance, so one fixed scale serves every replicate.

    Parameters
    ----------
    values : numpy.ndarray
        Clusters x units x raters (or units x raters).
    categories : sequence of float
        The full scale.

    Returns
    -------
    ClusterSums
        NaN where fewer than two values are pairable.
    """
    values = _clustered(values)
    cats = _categories(values, categories)
    q = cats.size
    counts = (values[..., None] == cats).sum(axis=2).astype(float)  # clusters x units x q
    m = counts.sum(axis=2)
    outer = counts[..., :, None] * counts[..., None, :] - counts[..., None] * np.eye(q)
    outer = outer / np.maximum(m - 1, 1)[..., None, None]
    parts = outer.sum(axis=1).reshape(len(values), q * q)
    upper = np.triu(np.ones((q, q)))  # upper[g, k] = 1 when g <= k

    def finish(t: np.ndarray) -> np.ndarray:
        o = t.reshape(-1, q, q)
        n_v = o.sum(axis=1)
        n = n_v.sum(axis=1)
        # Sum of n_g for g between c and k inclusive, minus half the two ends, squared.
        cumulative = n_v @ upper  # cumulative[b, k] = sum_{g <= k} n_g
        lower = cumulative - n_v  # sum_{g < c} n_g
        between = np.abs(cumulative[:, None, :] - lower[:, :, None])
        between = np.where(np.arange(q)[:, None] <= np.arange(q)[None, :], between,
                           np.swapaxes(between, 1, 2))
        delta = (between - (n_v[:, :, None] + n_v[:, None, :]) / 2) ** 2
        expected = (n_v[:, :, None] * n_v[:, None, :] - n_v[:, :, None] * np.eye(q))
        with np.errstate(divide="ignore", invalid="ignore"):
            d_o = (o * delta).sum(axis=(1, 2))
            d_e = (expected * delta).sum(axis=(1, 2)) / (n - 1)
            return np.where(d_e > 0, 1 - d_o / d_e, np.nan)

    return ClusterSums(parts, finish)


def kappa_sums(pairs: np.ndarray, weights: Literal["linear", "quadratic"],
               categories: Sequence[float]) -> ClusterSums:
    """Weighted Cohen's kappa (:func:`cohen_kappa`) as sums over clusters.

    Parameters
    ----------
    pairs : numpy.ndarray
        Clusters x units x 2 (the two raters' codes), NaN where not rated.
    weights : {"linear", "quadratic"}
        As :func:`cohen_kappa`.
    categories : sequence of float
        The full scale.

    Returns
    -------
    ClusterSums
        ``1 - sum(W O) / sum(W E)`` over the clusters' pooled square table, with W the
        disagreement weights statsmodels builds from the category scores; NaN with no
        pair.
    """
    pairs = _clustered(pairs)
    cats = _categories(pairs, categories)
    q = cats.size
    both = ~np.isnan(pairs).any(axis=2)
    x = (pairs[..., 0][..., None] == cats) & both[..., None]
    y = (pairs[..., 1][..., None] == cats) & both[..., None]
    parts = np.einsum("cuk,cul->ckl", x.astype(float), y.astype(float)).reshape(-1, q * q)
    span = cats[-1] - cats[0] if q > 1 else 1.0
    distance = np.abs(cats[:, None] - cats[None, :]) / span
    w = distance if weights == "linear" else distance ** 2

    def finish(t: np.ndarray) -> np.ndarray:
        table = t.reshape(-1, q, q)
        total = table.sum(axis=(1, 2))
        rows, cols = table.sum(axis=2), table.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = rows[:, :, None] * cols[:, None, :] / total[:, None, None] ** 2
            value = 1 - (w * table).sum(axis=(1, 2)) / total / (w * expected).sum(axis=(1, 2))
        return np.where((total > 0) & (q > 1), value, np.nan)

    return ClusterSums(parts, finish)


def cluster_bootstrap(sums: ClusterSums, counts: np.ndarray,
                      confidence: float = 0.95) -> BootstrapInterval:
    """Percentile interval of a statistic over resampled clusters, all replicates at once.

    Parameters
    ----------
    sums : ClusterSums
        The statistic (:func:`gwet_sums`, :func:`alpha_sums`, ...).
    counts : numpy.ndarray
        :func:`resample_counts` for the clusters.
    confidence : float, default 0.95
        Coverage.

    Returns
    -------
    BootstrapInterval
        Equal to :func:`bootstrap_interval` of the same statistic with the same seed and
        replicates (to rounding: the totals are added in another order).
    """
    return percentile_interval(sums.replicates(counts), confidence)
