"""Funnel comparisons of a cycle's councils, shared by every report and ``metrics.json``.

Kept free of plotting imports so that batch runs can write metrics quickly.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from review_lib.analysis.clustered import (
    programme_design_effect,
    programme_ratings_good_or_better,
    ratings_good_or_better,
)
from review_lib.analysis.funnel import METHODS
from review_lib.analysis.stats import funnel_table, good_counts
from review_lib.data.records import Programme


@dataclass
class Funnels:
    """Funnel tables of one cycle, computed once and shared by every report.

    Attributes
    ----------
    judgements : pandas.DataFrame
        Cases judged Outstanding or Good, per council (one judgement per case).
    ratings : pandas.DataFrame
        Question ratings Outstanding or Good, per council, at each council's effective n
        (its ratings divided by its own design effect or the programme's, whichever is
        larger: :func:`council_design_effects`), because the ratings of one case record
        are clustered.
    ratings_adjusted : pandas.DataFrame
        The same, also widened for overdispersion where phi exceeds 1 (FunnelPlotR).
    method : str
        ``"exact"`` or ``"fingertips"``.
    """

    judgements: pd.DataFrame
    ratings: pd.DataFrame
    ratings_adjusted: pd.DataFrame
    method: str = "exact"


def programme_funnels(cycle_programme: Programme, method: str = "exact") -> Funnels:
    """Compute the funnel tables of a cycle (see :func:`review_lib.analysis.funnel.funnel_table`).

    Parameters
    ----------
    cycle_programme : Programme
        The reviews of one cycle.
    method : {"exact", "fingertips"}, default "exact"
        How the limits are drawn.

    Returns
    -------
    Funnels
        Judgements, ratings (clustered), and ratings with the overdispersion adjustment.

    Raises
    ------
    ValueError
        For an unknown method.
    """
    if method not in METHODS:
        raise ValueError(f"unknown funnel method {method!r}; expected one of "
                         f"{', '.join(METHODS)}")
    # Every council's findings place it on the same funnels: compute them once per cycle.
    key = (method, _content_key(cycle_programme.ratings),
           _content_key(cycle_programme.judgements))
    if key not in _FUNNELS:
        if len(_FUNNELS) >= 8:
            _FUNNELS.pop(next(iter(_FUNNELS)))
        _FUNNELS[key] = _programme_funnels(cycle_programme, method)
    return _FUNNELS[key]


#: Funnels already computed in this process, by method and the reviews' identities.
_FUNNELS: dict[tuple, Funnels] = {}


def _content_key(frame: pd.DataFrame) -> tuple:
    """A key that changes with any value of the frame (hashes of every row, in order)."""
    hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return (len(frame), tuple(frame.columns), hashes.tobytes())


def _programme_funnels(cycle_programme: Programme, method: str) -> Funnels:
    rating_counts = good_counts(cycle_programme.ratings, "rating")
    effects = council_design_effects(cycle_programme, rating_counts.index)
    ratings = funnel_table(rating_counts, method=method, design_effect=effects.to_numpy())
    adjusted = funnel_table(rating_counts, method=method, overdispersion=True,
                            design_effect=effects.to_numpy())
    for table in (ratings, adjusted):
        table.attrs["programme_design_effect"] = effects.attrs["programme"]
    return Funnels(
        judgements=funnel_table(good_counts(cycle_programme.judgements, "judgement"),
                                method=method),
        ratings=ratings, ratings_adjusted=adjusted, method=method)


def council_design_effects(cycle_programme: Programme, councils) -> pd.Series:
    """The design effect each council's ratings are judged at on the ratings funnel.

    Each council's own design effect or the programme's (estimated within councils),
    whichever is larger: a council is never judged on more information than its own
    ratings carry, nor on more than a typical council's, so a council whose few ratings
    below Good happen to fall in different records is not taken as unclustered.

    Where a council's own design effect cannot be estimated (all or nearly all its ratings
    alike: the less common answer in fewer than
    :data:`~review_lib.analysis.clustered.RECORDS_TO_ESTIMATE` records), it is judged at
    the programme's design effect. Taking "each record counts once" there, as its own
    interval does, had flagged 240 of 240 Good above only the 95% limit and 239 of 240
    above the 99.8% limit (issue 26): a council moving into that state by more ratings
    becoming Good now only gains effective n, so is never flagged less.

    Parameters
    ----------
    cycle_programme : Programme
        The reviews of one cycle.
    councils : sequence of str
        The councils, in the order wanted.

    Returns
    -------
    pandas.Series
        Indexed by council; ``attrs["programme"]`` holds the programme's design effect,
        ``attrs["own"]`` each council's own and ``attrs["estimated"]`` whether it could be
        estimated.
    """
    ratings = cycle_programme.ratings
    programme = programme_design_effect(ratings)
    shares = {str(c): ratings_good_or_better(part)
              for c, part in ratings.groupby(ratings["council"].astype(str), observed=True)}
    own = {c: share.design_effect for c, share in shares.items()}
    estimated = {c: share.estimated for c, share in shares.items()}
    effects = pd.Series([max(programme, own[str(c)]) if estimated.get(str(c)) else programme
                         for c in councils], index=list(councils), dtype=float)
    effects.attrs["programme"] = float(programme)
    effects.attrs["own"] = own
    effects.attrs["estimated"] = estimated
    return effects


def _block(table: pd.DataFrame) -> dict:
    method = table.attrs["method"]
    return {council: {"n": int(row.n), "successes": int(row.successes),
                      "share": float(row.share), "design_effect": float(row.design_effect),
                      "effective_n": float(row.effective_n),
                      "lower95": float(row.lower95), "upper95": float(row.upper95),
                      "lower998": float(row.lower998), "upper998": float(row.upper998),
                      "p_above": float(row.p_above), "p_below": float(row.p_below),
                      "method": method, "flag": row.flag}
            for council, row in table.iterrows()}


def _about(table: pd.DataFrame) -> dict:
    estimate = table.attrs["overdispersion"]
    return {"target": table.attrs["target"], "method": table.attrs["method"],
            "design_effect": table.attrs.get("programme_design_effect",
                                             table.attrs["design_effect"]),
            "phi": float(estimate.phi), "tau2": float(estimate.tau2),
            "adjusted": table.attrs["adjusted"]}


def cross_metrics(cycle_programme: Programme, method: str = "exact") -> dict:
    """Per council funnel figures of one cycle, for ``metrics.json``.

    Parameters
    ----------
    cycle_programme : Programme
        The reviews of one cycle.
    method : {"exact", "fingertips"}, default "exact"
        How the funnel limits are drawn.

    Returns
    -------
    dict
        ``cycle``, ``measure``, ``method``, ``target``, overdispersion, and ``councils``
        (each with ``n``, ``successes``, ``share``, ``design_effect``, ``effective_n``,
        ``lower95``,
        ``upper95``, ``lower998``, ``upper998``, ``p_above`` and ``p_below`` (exact
        one-sided binomial p-values against the target), ``method`` and ``flag``) for
        overall judgements, the headline measure; the same under ``question_ratings`` and
        ``question_ratings_adjusted``, whose councils are judged at their effective n (own
        design effect or the programme's, whichever is larger); and
        ``programme_ratings``: the programme's share of question ratings Good or better
        with its interval, ``design_effect`` and ``effective_n``, allowing for councils and
        records (:func:`review_lib.analysis.clustered.programme_ratings_good_or_better`).
        A limit beyond 0-1 means no share at that n is outside it. Where the data name
        regions, ``regions`` maps each council to its region.
    """
    funnels = programme_funnels(cycle_programme, method)
    pooled = programme_ratings_good_or_better(cycle_programme.ratings)
    cycles = {r.cycle for r in cycle_programme.reviews}
    regions = {r.council: r.region for r in cycle_programme.reviews if r.region}
    return {
        **({"regions": dict(sorted(regions.items()))} if regions else {}),
        "cycle": next(iter(cycles)) if len(cycles) == 1 else sorted(cycles),
        "measure": "case records judged Outstanding or Good",
        **_about(funnels.judgements),
        "councils": _block(funnels.judgements),
        "question_ratings": {**_about(funnels.ratings), "councils": _block(funnels.ratings)},
        "question_ratings_adjusted": {**_about(funnels.ratings_adjusted),
                                      "councils": _block(funnels.ratings_adjusted)},
        "programme_ratings": pooled.as_dict(),
    }
