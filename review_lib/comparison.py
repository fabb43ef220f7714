"""Funnel comparisons of a cycle's councils, shared by every report and ``metrics.json``.

Kept free of plotting imports so that batch runs can write metrics quickly.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from review_lib.loading import Programme
from review_lib.stats import funnel_table, good_counts


@dataclass
class Funnels:
    """Funnel tables of one cycle, computed once and shared by every report.

    Attributes
    ----------
    judgements : pandas.DataFrame
        Cases judged Outstanding or Good, per council (one judgement per case).
    ratings : pandas.DataFrame
        Question ratings Outstanding or Good, per council (binomial limits: too narrow,
        because ratings are clustered within cases).
    ratings_adjusted : pandas.DataFrame
        The same, with limits widened for overdispersion.
    """

    judgements: pd.DataFrame
    ratings: pd.DataFrame
    ratings_adjusted: pd.DataFrame


def programme_funnels(cycle_programme: Programme) -> Funnels:
    """Compute the funnel tables of a cycle (see :func:`review_lib.stats.funnel_table`).

    Parameters
    ----------
    cycle_programme : Programme
        The reviews of one cycle.

    Returns
    -------
    Funnels
        Judgements, ratings, and ratings with the overdispersion adjustment.
    """
    rating_counts = good_counts(cycle_programme.ratings, "rating")
    return Funnels(
        judgements=funnel_table(good_counts(cycle_programme.judgements, "judgement")),
        ratings=funnel_table(rating_counts),
        ratings_adjusted=funnel_table(rating_counts, overdispersion=True),
    )


def cross_metrics(cycle_programme: Programme) -> dict:
    """Per council funnel figures of one cycle, for ``metrics.json``.

    Parameters
    ----------
    cycle_programme : Programme
        The reviews of one cycle.

    Returns
    -------
    dict
        ``cycle``, ``councils`` (each with ``n``, ``share``, ``lower95``, ``upper95``,
        ``lower998``, ``upper998``, ``flag`` for overall judgements, the headline measure),
        and the same under ``question_ratings`` and ``question_ratings_adjusted``, with each
        measure's ``target`` and overdispersion estimate.
    """
    funnels = programme_funnels(cycle_programme)

    def block(table: pd.DataFrame) -> dict:
        return {council: {"n": int(row.n), "successes": int(row.successes),
                          "share": float(row.share), "lower95": float(row.lower95),
                          "upper95": float(row.upper95), "lower998": float(row.lower998),
                          "upper998": float(row.upper998), "flag": row.flag}
                for council, row in table.iterrows()}

    def about(table: pd.DataFrame) -> dict:
        estimate = table.attrs["overdispersion"]
        return {"target": table.attrs["target"], "phi": float(estimate.phi),
                "tau2": float(estimate.tau2), "adjusted": table.attrs["adjusted"]}

    cycles = {r.cycle for r in cycle_programme.reviews}
    return {
        "cycle": next(iter(cycles)) if len(cycles) == 1 else sorted(cycles),
        "measure": "case records judged Outstanding or Good",
        **about(funnels.judgements),
        "councils": block(funnels.judgements),
        "question_ratings": {**about(funnels.ratings), "councils": block(funnels.ratings)},
        "question_ratings_adjusted": {**about(funnels.ratings_adjusted),
                                      "councils": block(funnels.ratings_adjusted)},
    }
