"""Funnel-plot control limits for proportions, by two methods, with overdispersion.

A funnel plot compares each council's share with a target (the programme average) and
draws control limits that narrow as n grows (Spiegelhalter 2005, "Funnel plots for
comparing institutional performance", Statistics in Medicine 24:1185-1202). Two methods:

- ``"exact"`` (the default): exact binomial. A council is above the 95% (99.8%) limit when
  its one-sided p-value against the target, P(X >= x) for X ~ Binomial(n, target), is below
  0.025 (0.001); below it likewise with P(X <= x). The limit drawn at each n is the share
  at which the continuous form of that tail probability (the regularised incomplete beta
  function, which equals the binomial tail at whole counts) reaches 0.025 or 0.001. So a
  point lies outside a drawn limit exactly when it is flagged, at 0 of n and n of n too,
  and by construction no council is flagged more often than the nominal rate when nothing
  but chance is at work.
- ``"fingertips"``: the public-health Fingertips method for proportions exactly as the R
  package PHEindicatormethods implements it (``sigma_adjustment`` in ``R/Funnels.R``: the
  share whose own Wilson interval just reaches the target), clipped to 0-100%. Those
  limits are ``target +- z sqrt(target (1 - target) / n)``: the score test, whose
  one-sided p-values (:func:`score_tails`) the table prints beside its flags. It is not
  held to its nominal rates: around 82%, against a known target, it puts a council of 20
  records outside the 99.8% limits 0.5% of the time, and one of 60 outside the 95% limits
  6.3% of the time (:func:`chance_outside`; docs/methods.md tabulates more).

Flags always come from the p-values of the method drawn (:func:`method_tails`), so a flag
and the p-values printed beside it never disagree (issue 26: the Fingertips option had
printed exact p-values beside its own flags).

How many councils chance alone would flag allows for the target being pooled from the
councils themselves, as the reports pool it (:func:`pooled_chances`): a council's own
count moves the target toward it, so flags are rarer than against a known target (at
about 82% with 14 councils of 20 records, 2.1% outside the 95% limits rather than 3.7%,
and 0.02% outside the 99.8% limits).

Overdispersion follows FunnelPlotR (``R/od_adjustment.R`` and ``R/calculate_limits.R``,
data type "PR"): z-scores on the arcsine square-root scale, winsorised at 10% each end,
phi their mean square, tau^2 by the DerSimonian-Laird-style moment formula, and no
adjustment when phi <= 1. FunnelPlotR's widened limits are
``sin^2(asin(sqrt(target)) +- z sqrt(1/(4n) + tau^2))`` (:func:`overdispersed_limits`);
the reports apply the same widening, the ratio ``sqrt(1 + 4n tau^2)`` on the arcsine
scale, to the chosen method's own limits (:func:`widen_limits`), so that widening never
narrows them.

Ratings clustered in cases enter with a design effect: every formula then uses the
effective n (n / design effect) and the effective count (share x effective n), which the
continuous binomial tail and the arcsine scale accept as they are.

Imports only numpy, pandas and ``scipy.special`` (not ``scipy.stats``, which costs about
half a second a process).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy.special import betainc

from review_lib.analysis.methods import FUNNEL_METHODS
from review_lib.analysis.summary import Z95

#: Funnel methods, the default first.
METHODS = FUNNEL_METHODS

#: One-sided tail probability of each pair of limits: 95% and 99.8% two-sided.
ALPHA = {"95": 0.025, "998": 0.001}

#: Two-sided normal quantiles for the 95% and 99.8% limits (1.959964 and 3.090232).
Z998 = NormalDist().inv_cdf(0.999)
Z = {"95": Z95, "998": Z998}

#: The flags a council can carry, from the most to the least extreme.
FLAGS = ("within", "above95", "below95", "above998", "below998")

_BISECTIONS = 64


def binomial_tails(successes, n, target: float) -> tuple[np.ndarray, np.ndarray]:
    """One-sided binomial p-values against a target: ``P(X >= x)`` and ``P(X <= x)``.

    Parameters
    ----------
    successes : array-like of float
        Counts x. Need not be whole: for clustered ratings, the effective count.
    n : array-like of float
        Denominators (effective n for clustered ratings).
    target : float
        The proportion under no difference.

    Returns
    -------
    tuple of numpy.ndarray
        ``(p_above, p_below)`` with X ~ Binomial(n, target). At whole x and n these are the
        binomial tails exactly (``scipy.stats.binom.sf(x - 1, n, target)`` and
        ``binom.cdf(x, n, target)`` agree to 1e-12); between, the regularised incomplete
        beta function continues them smoothly: ``P(X >= x) = I_target(x, n - x + 1)``.
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        above = np.where(x <= 0, 1.0, betainc(np.maximum(x, 1e-300), n - x + 1, target))
        below = np.where(x >= n, 1.0,
                         betainc(np.maximum(n - x, 1e-300), x + 1, 1.0 - target))
    return above, below


def exact_limits(target: float, n, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial funnel limits: the shares at which a one-sided p-value reaches alpha.

    Parameters
    ----------
    target : float
        The centre line, in (0, 1).
    n : float or array-like of float
        Denominators (any positive value: effective n need not be whole).
    alpha : float
        One-sided tail probability: 0.025 for the 95% limits, 0.001 for the 99.8% limits.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower, upper)`` as proportions. A share x/n is above the upper limit exactly when
        ``P(X >= x) < alpha``, and below the lower limit exactly when ``P(X <= x) < alpha``.
        Where no count can be flagged (n of n is not unlikely enough, or 0 of n), the limit
        lies beyond 100% (up to (n + 1)/n) or below 0% (down to -1/n): nothing can be
        outside it, and charts leave it undrawn.

    Notes
    -----
    Found by bisection on the continuous tails of :func:`binomial_tails`, which are
    monotone in x: ``I_t(x, n - x + 1)`` falls from 1 to 0 as x runs from 0 to n + 1, and
    ``I_{1-t}(n - x, x + 1)`` rises from 0 to 1 as x runs from -1 to n.
    """
    n = np.asarray(n, dtype=float)
    scalar = n.ndim == 0
    n = np.atleast_1d(n)
    if target <= 0 or target >= 1:
        flat = np.full_like(n, float(target))
        return (float(flat[0]), float(flat[0])) if scalar else (flat, flat)
    key = (float(target), float(alpha), n.shape, n.tobytes())
    if key not in _EXACT_LIMITS:
        _EXACT_LIMITS[key] = _bisect_limits(float(target), n, float(alpha))
        while len(_EXACT_LIMITS) > 64:
            del _EXACT_LIMITS[next(iter(_EXACT_LIMITS))]
    lower, upper = (values.copy() for values in _EXACT_LIMITS[key])
    if scalar:
        return float(lower[0]), float(upper[0])
    return lower, upper


#: Limits already found, by target, alpha and n: every council's funnel of a cycle draws
#: the same curves, each a few hundred bisections.
_EXACT_LIMITS: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _bisect_limits(target: float, n: np.ndarray, alpha: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The bisections of :func:`exact_limits`, for ``target`` strictly inside (0, 1)."""
    # Upper: the x in (0, n + 1) where P(X >= x) = alpha.
    low, high = np.zeros_like(n), n + 1.0
    for _ in range(_BISECTIONS):
        mid = (low + high) / 2
        too_likely = betainc(np.maximum(mid, 1e-300), n - mid + 1, target) >= alpha
        low, high = np.where(too_likely, mid, low), np.where(too_likely, high, mid)
    upper = (low + high) / 2 / n
    # Lower: the x in (-1, n) where P(X <= x) = alpha.
    low, high = np.full_like(n, -1.0), n.copy()
    for _ in range(_BISECTIONS):
        mid = (low + high) / 2
        too_likely = betainc(n - mid, np.maximum(mid + 1, 1e-300), 1.0 - target) >= alpha
        low, high = np.where(too_likely, low, mid), np.where(too_likely, mid, high)
    lower = (low + high) / 2 / n
    return lower, upper


def fingertips_limits(target: float, n, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Funnel limits by the Fingertips method, as PHEindicatormethods computes them.

    Parameters
    ----------
    target : float
        The average proportion (0-1).
    n : float or array-like of float
        Denominators.
    z : float
        ``qnorm(p)``: :data:`Z95` (p = 0.975) or :data:`Z998` (p = 0.999).

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower, upper)`` as proportions, clipped to [0, 1] as ``phe_funnels`` clips them.

    Notes
    -----
    PHEindicatormethods' ``sigma_adjustment(p, population, average_proportion, side)``:
    with ``a = t(n/z^2 + 1)``, ``d = 1/z^2 + 1/n`` and
    ``r = sqrt((8a)^2 - 64 d t (n (t (n/z^2 + 2) - 1) + z^2 (t - 1)))``, the limits are
    ``(a -+ r/8) / d / n``: the shares whose own Wilson score interval has the target at
    its end. Reproduces the package's published test outputs
    (``testdata_funnel_prop_outputs.csv``) to 4 decimal places of a percentage.
    """
    n = np.asarray(n, dtype=float)
    t, z2 = float(target), z * z
    first = t * (n / z2 + 1)
    with np.errstate(invalid="ignore"):
        root = np.sqrt((-8 * t * (n / z2 + 1)) ** 2
                       - 64 * (1 / z2 + 1 / n) * t * (n * (t * (n / z2 + 2) - 1)
                                                       + z2 * (t - 1)))
    last = 1 / z2 + 1 / n
    lower = np.clip((first - root / 8) / last / n, 0, 1)
    upper = np.clip((first + root / 8) / last / n, 0, 1)
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


@dataclass(frozen=True)
class Overdispersion:
    """Overdispersion of councils' shares beyond chance, as FunnelPlotR estimates it.

    Attributes
    ----------
    phi : float
        Mean square of the winsorised z-scores on the arcsine square-root scale. About 1
        (a little less, after winsorising) when councils differ only by chance.
    tau2 : float
        Between-council variance on the arcsine scale added to each council's
        ``1/(4n)`` (0 when ``k phi < k - 1``).
    winsorised : float
        Share of z-scores pulled in at each end before estimating ``phi``.
    """

    phi: float
    tau2: float
    winsorised: float

    @property
    def adjusts(self) -> bool:
        """Whether limits are widened: phi above 1 and some between-council variance."""
        return self.phi > 1 and self.tau2 > 0


def arcsine_z_scores(successes, n, target: float) -> np.ndarray:
    """Unadjusted z-scores on the arcsine square-root scale (FunnelPlotR, type "PR").

    Parameters
    ----------
    successes, n : array-like of float
        Counts and denominators (effective ones for clustered ratings).
    target : float
        The centre line.

    Returns
    -------
    numpy.ndarray
        ``(asin(sqrt(x/n)) - asin(sqrt(target))) * 2 sqrt(n)``.
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    return (np.arcsin(np.sqrt(x / n)) - math.asin(math.sqrt(target))) * 2 * np.sqrt(n)


def estimate_overdispersion(successes, n, target: float, winsorise: float = 0.1
                            ) -> Overdispersion:
    """Estimate phi and tau^2 as FunnelPlotR does for proportions.

    Parameters
    ----------
    successes, n : array-like
        Counts and denominators per council (effective ones for clustered ratings).
    target : float
        Programme average proportion.
    winsorise : float, default 0.1
        Share of z-scores winsorised at each end (FunnelPlotR's ``Winsorise_by``).

    Returns
    -------
    Overdispersion
        ``phi`` and ``tau2``.

    Notes
    -----
    FunnelPlotR's ``winsorisation`` clips the z-scores to their ``winsorise`` and
    ``1 - winsorise`` quantiles (R's default type 7, numpy's default ``linear``);
    ``phi_func`` is the mean of their squares; ``tau_func`` gives
    ``tau^2 = max(0, (k phi - (k - 1)) / (sum w - sum w^2 / sum w))`` with ``w = 1/s^2 = 4n``,
    or 0 when ``k phi < k - 1``.
    """
    n = np.asarray(n, dtype=float)
    k = len(n)
    if k == 0 or not 0 < target < 1:
        return Overdispersion(0.0, 0.0, winsorise)
    z = arcsine_z_scores(successes, n, target)
    if winsorise > 0:
        low, high = np.quantile(z, [winsorise, 1 - winsorise])
        z = np.clip(z, low, high)
    phi = float(np.mean(z ** 2))
    weights = 4 * n
    denominator = weights.sum() - (weights ** 2).sum() / weights.sum()
    tau2 = 0.0
    if k * phi >= k - 1 and denominator > 0:
        tau2 = max(0.0, (k * phi - (k - 1)) / denominator)
    return Overdispersion(phi, float(tau2), winsorise)


def overdispersed_limits(target: float, n, z: float, tau2: float
                         ) -> tuple[np.ndarray, np.ndarray]:
    """FunnelPlotR's limits for proportions, widened by tau^2 on the arcsine scale.

    Parameters
    ----------
    target : float
        The centre line.
    n : float or array-like of float
        Denominators (effective n for clustered ratings).
    z : float
        :data:`Z95` or :data:`Z998`.
    tau2 : float
        Between-council variance on the arcsine scale (0 for FunnelPlotR's unadjusted
        approximate limits).

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower, upper)``: ``sin^2(asin(sqrt(target)) -+ z sqrt(1/(4n) + tau^2))``. The
        angle is held within [0, pi/2] first, so a limit past 0% or 100% stops there
        instead of folding back (FunnelPlotR squares the sine as it is).
    """
    n = np.asarray(n, dtype=float)
    centre = math.asin(math.sqrt(target))
    spread = z * np.sqrt(1 / (4 * n) + tau2)
    lower = np.sin(np.clip(centre - spread, 0, math.pi / 2)) ** 2
    upper = np.sin(np.clip(centre + spread, 0, math.pi / 2)) ** 2
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


def limits_at(table: pd.DataFrame, n, level: str, *, adjusted: bool | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """The limits of a funnel table at any n, as the table's method gives them.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`funnel_table` (its ``attrs`` give the method, target, design effect
        and overdispersion).
    n : float or array-like
        Positions on the table's x axis (:func:`funnel_x`): denominators as counted
        (records, or ratings with one design effect for all), or effective n where each
        council has its own design effect.
    level : {"95", "998"}
        Which pair of limits.
    adjusted : bool, optional
        Widened for overdispersion (:func:`widen_limits`); by default as the table was
        made.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower, upper)`` as proportions.
    """
    target = float(table.attrs["target"])
    effective = np.asarray(n, dtype=float)
    if table.attrs.get("axis", "n") == "n":
        effective = effective / float(table.attrs.get("design_effect") or 1.0)
    if adjusted is None:
        adjusted = bool(table.attrs.get("adjusted", False))
    if table.attrs.get("method", "exact") == "fingertips":
        lower, upper = fingertips_limits(target, effective, Z[level])
    else:
        lower, upper = exact_limits(target, effective, ALPHA[level])
    if adjusted:
        tau2 = float(getattr(table.attrs.get("overdispersion"), "tau2", 0.0) or 0.0)
        lower, upper = widen_limits(target, effective, lower, upper, tau2)
    return lower, upper


def widen_limits(target: float, n, lower, upper, tau2: float) -> tuple[np.ndarray, np.ndarray]:
    """Widen a method's limits for overdispersion by FunnelPlotR's variance ratio.

    On the arcsine square-root scale FunnelPlotR's limits are ``theta +- z s`` without
    overdispersion and ``theta +- z sqrt(s^2 + tau^2)`` with it (``s^2 = 1/(4n)``): the
    adjustment multiplies each limit's distance from the target by
    ``sqrt(1 + 4 n tau^2)``. That factor is applied here to the chosen method's own limits,
    so that the widened limits are never narrower than the plain ones (FunnelPlotR's
    normal-approximation limits can be, next to exact ones) and equal them when
    ``tau^2 = 0``. A limit no share can reach (beyond 0-1) stays out of reach.

    Parameters
    ----------
    target : float
        The centre line.
    n : array-like of float
        Effective denominators.
    lower, upper : array-like of float
        The method's limits at those n.
    tau2 : float
        Between-council variance on the arcsine scale (:func:`estimate_overdispersion`).

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower, upper)``.
    """
    n = np.asarray(n, dtype=float)
    factor = np.sqrt(1 + 4 * n * tau2)
    theta = math.asin(math.sqrt(target))

    def widen(limit):
        limit = np.asarray(limit, dtype=float)
        inside = (limit >= 0) & (limit <= 1)
        angle = np.arcsin(np.sqrt(np.clip(limit, 0, 1)))
        moved = np.sin(np.clip(theta + (angle - theta) * factor, 0, math.pi / 2)) ** 2
        return np.where(inside, moved, limit)

    lower, upper = widen(lower), widen(upper)
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


def score_tails(successes, n, target: float) -> tuple[np.ndarray, np.ndarray]:
    """One-sided p-values of the score test, the test behind the Fingertips limits.

    A share is outside Fingertips' limits at z exactly when its own Wilson score interval
    at z leaves out the target, that is when ``|x/n - target| / sqrt(target (1 - target)
    / n)`` exceeds z: the Fingertips limits are ``target +- z sqrt(target (1 - target) /
    n)``, clipped to 0-1 (:func:`fingertips_limits` agrees to 1e-12).

    Parameters
    ----------
    successes, n : array-like of float
        Counts (effective ones for clustered ratings) and denominators.
    target : float
        The centre line.

    Returns
    -------
    tuple of numpy.ndarray
        ``(p_above, p_below)``: ``1 - Phi(z)`` and ``Phi(z)`` with
        ``z = (x/n - target) / sqrt(target (1 - target) / n)``; 1 where the target is 0 or
        1 (nothing can be flagged).
    """
    from scipy.special import ndtr

    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    if not 0 < target < 1:
        ones = np.ones(np.broadcast(x, n).shape)
        return ones, ones.copy()
    z = (x / n - target) / np.sqrt(target * (1 - target) / n)
    return ndtr(-z), ndtr(z)


def deflated_share(share, n, target: float, tau2: float) -> np.ndarray:
    """The share pulled toward the target by FunnelPlotR's overdispersion factor.

    :func:`widen_limits` moves each limit's angle from the target by the factor
    ``f = sqrt(1 + 4 n tau^2)``; a share is outside a widened limit exactly when the share
    whose angle from the target is ``1/f`` of its own is outside the plain limit. That
    share's p-value is the widened model's p-value, so flags and p-values agree.

    Parameters
    ----------
    share : array-like of float
        Shares.
    n : array-like of float
        Effective denominators.
    target : float
        The centre line.
    tau2 : float
        Between-council variance on the arcsine scale.

    Returns
    -------
    numpy.ndarray
        ``sin^2(theta + (asin(sqrt(share)) - theta) / f)``.
    """
    share = np.asarray(share, dtype=float)
    factor = np.sqrt(1 + 4 * np.asarray(n, dtype=float) * tau2)
    theta = math.asin(math.sqrt(min(max(target, 0.0), 1.0)))
    angle = np.arcsin(np.sqrt(np.clip(share, 0, 1)))
    return np.sin(np.clip(theta + (angle - theta) / factor, 0, math.pi / 2)) ** 2


def method_tails(successes, n, target: float, method: str = "exact", tau2: float = 0.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """One-sided p-values by the funnel's own method, so that they match its flags.

    Parameters
    ----------
    successes, n : array-like of float
        Counts (effective ones for clustered ratings) and denominators.
    target : float
        The centre line.
    method : {"exact", "fingertips"}, default "exact"
        :func:`binomial_tails` or :func:`score_tails`.
    tau2 : float, default 0
        For limits widened for overdispersion: the p-values of the widened model
        (:func:`deflated_share`).

    Returns
    -------
    tuple of numpy.ndarray
        ``(p_above, p_below)``. A council is above (below) the 95% or 99.8% limits drawn
        by that method exactly when ``p_above`` (``p_below``) is below 0.025 or 0.001.
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    if tau2 > 0:
        with np.errstate(invalid="ignore", divide="ignore"):
            x = deflated_share(x / n, n, target, tau2) * n
    if method == "fingertips":
        return score_tails(x, n, target)
    return binomial_tails(x, n, target)


def _exact_flags(p_above: np.ndarray, p_below: np.ndarray) -> list[str]:
    """Flags from the one-sided p-values of the table's method, the 99.8% ones first."""
    flags = []
    for above, below in zip(p_above, p_below, strict=True):
        if below < ALPHA["998"]:
            flags.append("below998")
        elif below < ALPHA["95"]:
            flags.append("below95")
        elif above < ALPHA["998"]:
            flags.append("above998")
        elif above < ALPHA["95"]:
            flags.append("above95")
        else:
            flags.append("within")
    return flags


def funnel_x(table: pd.DataFrame) -> np.ndarray:
    """Each council's position on the funnel's x axis.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`funnel_table`.

    Returns
    -------
    numpy.ndarray
        ``n`` (records, or ratings under one design effect), or ``effective_n`` when each
        council has its own design effect (``attrs["axis"] == "effective_n"``).
    """
    column = "effective_n" if table.attrs.get("axis") == "effective_n" else "n"
    return table[column].to_numpy(dtype=float)


def funnel_table(counts: pd.DataFrame, *, method: str = "exact", overdispersion: bool = False,
                 target: float | None = None, design_effect=1.0,
                 chances: bool = True) -> pd.DataFrame:
    """Funnel-plot limits, one-sided p-values and flags for each council.

    Parameters
    ----------
    counts : pandas.DataFrame
        Indexed by council, with columns ``successes`` and ``n`` (whole counts, or any
        non-negative numbers, as PHEindicatormethods' test data has).
    method : {"exact", "fingertips"}, default "exact"
        How the limits are drawn (see the module notes).
    overdispersion : bool, default False
        Widen the limits for between-council variance as FunnelPlotR does, when phi > 1.
        The flags then come from the widened limits.
    target : float, optional
        The centre line; the pooled proportion by default.
    design_effect : float or array-like, default 1.0
        For ratings clustered in cases: each council's n is divided by it (the effective
        n) before limits, p-values and overdispersion are computed. One number for every
        council keeps ``n`` on the x axis; one per council (in the order of ``counts``)
        puts the councils at their effective n (``attrs["axis"] == "effective_n"``), so
        that each is judged at the information its own ratings carry.
    chances : bool, default True
        With the target pooled (``target`` None) and no overdispersion adjustment, add
        each council's simulated chance of being flagged by chance alone
        (:func:`pooled_chances`, :data:`CHANCE_COLUMNS`), which :func:`chance_outside`
        then reads. False skips the simulation (for simulations of the table itself).

    Returns
    -------
    pandas.DataFrame
        Per council: ``successes``, ``n``, ``share``, ``design_effect``, ``effective_n``,
        ``lower95``, ``upper95``, ``lower998``, ``upper998``, ``p_above``, ``p_below``
        (one-sided p-values at the effective n by the table's own method,
        :func:`method_tails`: exact binomial, or the score test behind the Fingertips
        limits; of the widened model when adjusted) and ``flag`` (one of :data:`FLAGS`,
        from those p-values, so the limits drawn and the p-values printed agree); with
        the target pooled, :data:`CHANCE_COLUMNS`. ``attrs`` hold ``target``, ``method``,
        ``design_effect`` (the one number, or None when per council), ``axis`` (``"n"`` or
        ``"effective_n"``), ``overdispersion`` (an :class:`Overdispersion`), ``adjusted``
        and ``target_pooled``.

    Raises
    ------
    ValueError
        For an unknown method or a design effect below 1.
    """
    if method not in METHODS:
        raise ValueError(f"unknown funnel method {method!r}; expected one of "
                         f"{', '.join(METHODS)}")
    per_council = np.ndim(design_effect) > 0
    effects = np.broadcast_to(np.asarray(design_effect, dtype=float), (len(counts),))
    if not (effects >= 1).all():
        raise ValueError(f"design_effect must be at least 1, got {design_effect}")
    table = counts[["successes", "n"]].astype(float)
    if (table == table.round()).all().all():
        table = table.astype(int)  # whole counts, as good_counts gives them
    pooled = target is None
    if target is None:
        total = table["n"].sum()
        target = float(table["successes"].sum() / total) if total else math.nan
    table["share"] = table["successes"] / table["n"]
    table["design_effect"] = effects
    effective_n = table["n"].to_numpy(dtype=float) / effects
    effective_x = table["share"].to_numpy(dtype=float) * effective_n
    table["effective_n"] = effective_n
    estimate = estimate_overdispersion(effective_x, effective_n, target)
    adjusted = bool(overdispersion and estimate.adjusts)
    table.attrs.update(target=float(target), method=method,
                       design_effect=None if per_council else float(effects[0]) if len(effects)
                       else float(design_effect),
                       axis="effective_n" if per_council else "n",
                       overdispersion=estimate, adjusted=adjusted)
    for level in ("95", "998"):
        lower, upper = limits_at(table, funnel_x(table), level)
        table[f"lower{level}"] = np.atleast_1d(lower)
        table[f"upper{level}"] = np.atleast_1d(upper)
    tau2 = float(estimate.tau2) if adjusted else 0.0
    p_above, p_below = method_tails(effective_x, effective_n, target, method, tau2)
    table["p_above"] = p_above
    table["p_below"] = p_below
    # Flags from the p-values of the method drawn: the limits drawn agree with them, and
    # the p-values printed beside a flag are the ones that gave it (issue 26).
    table["flag"] = _exact_flags(p_above, p_below)
    table.attrs["target_pooled"] = pooled
    if pooled and not adjusted and chances:
        simulated = pooled_chances(table["n"].to_numpy(dtype=float), effects, target, method)
        for column, values in simulated.items():
            table[column] = values
    return table


#: Columns :func:`funnel_table` adds when the target is pooled: each council's chance of
#: being flagged on each side when only chance is at work, the target pooled as it is.
CHANCE_COLUMNS = ("chance95_above", "chance95_below", "chance998_above", "chance998_below")


def pooled_chances(n, design_effect, target: float, method: str = "exact", *,
                   draws: int | None = None, seed: int = 26) -> dict[str, np.ndarray]:
    """Each council's chance of being flagged when only chance is at work, target pooled.

    The reports' target is the programme's own pooled share, so a council's count moves
    the target it is compared with, and every council's limits move with the others'
    counts. That makes flags rarer than against a known target: at about 82% with 14
    councils of 20 records, 2.0% outside the 95% limits rather than 3.7% (issue 26). The
    chances are simulated: every council's count drawn from the binomial at its effective
    n (rounded) and the target, the target pooled from the draws as :func:`funnel_table`
    pools it, and the council flagged by the method's own p-values. Councils with the same
    n and design effect share one estimate.

    Parameters
    ----------
    n : array-like of float
        Each council's denominator (ratings, or records).
    design_effect : array-like of float
        Each council's design effect (1 for one value per record).
    target : float
        The pooled share, taken as the truth for every council.
    method : {"exact", "fingertips"}, default "exact"
        The funnel's method.
    draws : int, optional
        Simulated programmes; by default about 400,000 council-draws in all (20,000 for 14
        councils, never fewer than 2,000).
    seed : int, default 26
        Seed: the same chances every time.

    Returns
    -------
    dict of str to numpy.ndarray
        :data:`CHANCE_COLUMNS`, one value per council.
    """
    n = np.asarray(n, dtype=float)
    effects = np.broadcast_to(np.asarray(design_effect, dtype=float), n.shape)
    k = len(n)
    if k == 0 or not 0 < target < 1:
        return {column: np.zeros(k) for column in CHANCE_COLUMNS}
    draws = draws or int(min(20_000, max(2_000, 400_000 // k)))
    effective = n / effects
    keys = pd.factorize(pd.Series(list(zip(n, effects, strict=True))))[0]
    first = np.unique(keys, return_index=True)[1]  # one council per group
    whole = np.maximum(1, np.round(effective)).astype(int)
    rng = np.random.default_rng(seed)
    counts = rng.binomial(whole, target, size=(draws, k))
    pooled = (counts / whole * n).sum(axis=1) / n.sum()
    flags = {column: np.zeros((draws, k), dtype=bool) for column in CHANCE_COLUMNS}
    sizes = whole[first]
    offsets = np.concatenate([[0], np.cumsum(sizes + 1)])
    if method != "fingertips":
        # Flagged above exactly when the target is below a threshold found for each
        # possible count (the exact p-value rises with the target), and below exactly when
        # it is above another: bisections over every possible count of every group at
        # once, not a p-value per draw.
        shares = np.concatenate([np.arange(m + 1) / m for m in sizes])
        n_effs = np.repeat(effective[first], sizes + 1)
        thresholds = {level: _exact_thresholds(shares * n_effs, n_effs, ALPHA[level])
                      for level in ("95", "998")}
    for key, council in enumerate(first):
        members = keys == key
        m, n_eff = int(whole[council]), float(effective[council])
        drawn = counts[:, members]  # draws x councils of the group
        t = np.broadcast_to(pooled[:, None], drawn.shape)
        inside = (t > 0) & (t < 1)
        for level in ("95", "998"):
            if method == "fingertips":
                from scipy.special import ndtr

                with np.errstate(invalid="ignore", divide="ignore"):
                    z = (drawn / m - t) / np.sqrt(t * (1 - t) / n_eff)
                above, below = ndtr(-z) < ALPHA[level], ndtr(z) < ALPHA[level]
            else:
                part = slice(offsets[key], offsets[key + 1])
                low_t, high_t = (values[part] for values in thresholds[level])
                above, below = t < low_t[drawn], t > high_t[drawn]
            flags[f"chance{level}_below"][:, members] = below & inside
            flags[f"chance{level}_above"][:, members] = above & inside
    # A draw below the 95% limit is not also counted above (the flags' order).
    for level in ("95", "998"):
        flags[f"chance{level}_above"] &= ~flags["chance95_below"]
    result = {}
    for column, flagged in flags.items():
        per_council = flagged.mean(axis=0)
        totals = np.bincount(keys, weights=per_council) / np.bincount(keys)
        result[column] = totals[keys]
    return result


def _exact_thresholds(x: np.ndarray, n_eff: np.ndarray, alpha: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """For counts x of n_eff: the targets below (above) which each is flagged above (below).

    Returns ``(above, below)``: x is above the exact limit exactly when the target is below
    ``above`` (``P(X >= x) < alpha``), and below it exactly when the target is above
    ``below``.
    """
    lo, hi = np.zeros_like(x), np.ones_like(x)
    for _ in range(40):  # P(X >= x) rises with the target; 40 halvings: 1e-12
        mid = (lo + hi) / 2
        flagged = betainc(np.maximum(x, 1e-300), n_eff - x + 1, mid) < alpha
        lo, hi = np.where(flagged, mid, lo), np.where(flagged, hi, mid)
    above = np.where(x <= 0, 0.0, lo)
    lo, hi = np.zeros_like(x), np.ones_like(x)
    for _ in range(40):  # P(X <= x) falls as the target rises
        mid = (lo + hi) / 2
        flagged = betainc(np.maximum(n_eff - x, 1e-300), x + 1, 1 - mid) < alpha
        lo, hi = np.where(flagged, lo, mid), np.where(flagged, mid, hi)
    below = np.where(x >= n_eff, 1.0, hi)
    return above, below


def chance_outside(table: pd.DataFrame, level: str, side: str = "both") -> np.ndarray:
    """Each council's chance of lying outside the table's limits when only chance is at work.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`funnel_table`.
    level : {"95", "998"}
        Which pair of limits.
    side : {"both", "above", "below"}, default "both"
        Outside either limit, or above the upper one, or below the lower one.

    Returns
    -------
    numpy.ndarray
        Per council, ``P(share above upper) + P(share below lower)`` (or one of the two).
        Where the table's target was pooled from its councils (the reports' case), these
        are the simulated chances of :func:`pooled_chances`, kept in the table's
        :data:`CHANCE_COLUMNS` (so that a region's rows of a programme's table keep the
        programme's chances). Against a given target they are computed for
        X ~ Binomial(n, target) at the council's n. For whole counts (no design effect)
        this sums the binomial probabilities of the counts that would be flagged, so it
        shows how far below the nominal rate the exact limits stay and how far above it the
        Fingertips limits go. With a design effect the effective count is not whole and
        the continuous tails are used (the exact method then gives the nominal rate). For
        limits widened for overdispersion, the nominal rate of the widened model (5% or
        0.2%) is returned, since chance there includes the between-council spread.
    """
    nominal = ALPHA[level] * (2 if side == "both" else 1)
    if table.attrs.get("adjusted", False):
        return np.full(len(table), nominal)
    keep_above, keep_below = side in ("both", "above"), side in ("both", "below")
    if all(column in table.columns for column in CHANCE_COLUMNS):  # the target pooled
        above = table[f"chance{level}_above"].to_numpy(dtype=float)
        below = table[f"chance{level}_below"].to_numpy(dtype=float)
        return above * keep_above + below * keep_below
    target = float(table.attrs["target"])
    whole = (table.attrs.get("axis", "n") == "n"
             and float(table.attrs.get("design_effect") or 1.0) == 1.0)
    n = table["effective_n"].to_numpy(dtype=float)
    lower = table[f"lower{level}"].to_numpy(dtype=float)
    upper = table[f"upper{level}"].to_numpy(dtype=float)
    if whole:
        # Smallest count above the upper limit, largest below the lower one.
        first_above = np.floor(upper * n + 1e-9) + 1
        last_below = np.ceil(lower * n - 1e-9) - 1
        above, _ = binomial_tails(first_above, n, target)
        _, below = binomial_tails(last_below, n, target)
        above = np.where(first_above > n, 0.0, above)
        below = np.where(last_below < 0, 0.0, below)
        return above * keep_above + below * keep_below
    above, _ = binomial_tails(upper * n, n, target)
    _, below = binomial_tails(lower * n, n, target)
    above = np.where(upper >= 1, 0.0, above)
    below = np.where(lower <= 0, 0.0, below)
    return above * keep_above + below * keep_below
