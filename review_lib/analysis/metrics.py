"""``metrics.json``: a council's :class:`~review_lib.analysis.results.ReviewResults` as JSON.

Nothing here computes a figure: every number is read from the results, the same ones the
findings and the report sections show. Cases are never listed.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from review_lib import __version__
from review_lib.analysis.results import (
    FunnelPoint,
    ProgrammePosition,
    ReviewChange,
    ReviewResults,
    analyse_review,
)
from review_lib.analysis.stats import Change
from review_lib.analysis.summary import Proportion
from review_lib.data.records import Programme, Review
from review_lib.data.scale import LEVELS
from review_lib.files import is_synthetic


def _number(value) -> float | int | None:
    """A JSON number: NaN and infinities become null."""
    if isinstance(value, bool | int):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def _share(share: Proportion) -> dict:
    plain = {"share": _number(share.share), "ci_low": _number(share.ci_low),
             "ci_high": _number(share.ci_high), "n": share.n, "count": share.successes}
    if hasattr(share, "design_effect"):
        plain.update(cases=share.clusters, design_effect=_number(share.design_effect),
                     effective_n=_number(share.effective_n),
                     design_effect_estimated=bool(share.estimated))
    return plain


def _change(change: Change) -> dict:
    return {"before": _share(change.before), "after": _share(change.after),
            "difference": _number(change.difference), "ci_low": _number(change.ci_low),
            "ci_high": _number(change.ci_high), "beyond_chance": change.beyond_chance}


def _review_change(change: ReviewChange | None) -> dict | None:
    if change is None:
        return None
    return {"previous_cycle": change.previous_cycle,
            "case_records_good_or_better": _change(change.cases),
            "ratings_good_or_better": _change(change.ratings),
            "case_mean_scores_mann_whitney_p": _number(change.mann_whitney_p),
            "previous_mean_score": _number(change.previous_mean_score),
            "mean_score": _number(change.mean_score)}


def _point(point: FunnelPoint | None) -> dict | None:
    if point is None:
        return None
    return {name: (value if isinstance(value, str) else _number(value))
            for name, value in vars(point).items() if name != "measure"}


def _position(position: ProgrammePosition | None) -> dict | None:
    if position is None:
        return None
    return {"cycle": position.cycle, "councils": len(position.councils),
            "method": position.method, "judgements": _point(position.judgements),
            "ratings": _point(position.ratings),
            "ratings_adjusted": _point(position.ratings_adjusted),
            "overdispersion_phi": _number(position.phi),
            "programme_design_effect": _number(position.programme_design_effect)}


def results_metrics(results: ReviewResults) -> dict:
    """The results as plain JSON-ready data (no provenance).

    Parameters
    ----------
    results : ReviewResults
        From :func:`review_lib.analysis.results.analyse_review`.

    Returns
    -------
    dict
        See :func:`council_metrics`.
    """
    test = results.question_comparison
    questions = {}
    for qid, row in results.questions.iterrows():
        questions[str(qid)] = {
            "label": str(row["label"]),
            "rating_counts": {level: int(row[level]) for level in LEVELS},
            "n": int(row["n"]),
            "not_applicable": int(row["not_applicable"]),
            "good_or_better": {"share": _number(row["share_good"]),
                               "ci_low": _number(row["ci_low"]),
                               "ci_high": _number(row["ci_high"]), "n": int(row["n"]),
                               "count": int(row["good_or_better"])},
        }
    return {
        "council": results.council,
        "cycle": results.cycle,
        "review_month": results.review_month,
        "n_cases": results.n_cases,
        "n_auditors": results.n_auditors,
        "n_ratings": results.n_ratings,
        "n_not_applicable": results.n_not_applicable,
        "rating_counts": dict(results.rating_counts),
        "overall_counts": dict(results.overall_counts),
        "good_or_better": _share(results.cases),
        "ratings_good_or_better": _share(results.ratings),
        "design_effect": _number(results.ratings.design_effect),
        "effective_n": _number(results.ratings.effective_n),
        "question_comparison": {
            "test": "Cochran's Q on Good or better, paired by case record, permutation "
                    "p-value (case records' ratings shuffled among their own questions)",
            "q": _number(test.statistic), "p_value": _number(test.p_value),
            "permutations": test.permutations, "cases": test.cases,
            "questions_differ": bool(test.differ),
            "stand_out": {str(q): row.stands_out for q, row in test.per_question.iterrows()
                          if row.stands_out}},
        "questions": questions,
        "change_since_previous": _review_change(results.change),
        "position_in_programme": _position(results.position),
    }


def council_metrics(review: Review, programme: Programme | None = None, *,
                    method: str = "exact", results: ReviewResults | None = None,
                    run_date: dt.date | None = None) -> dict:
    """The figures of one review, as plain JSON-ready data, with their provenance.

    Parameters
    ----------
    review : Review
        The review.
    programme : Programme, optional
        Its programme, for the change since the previous review and the position on the
        cycle's funnels (both null without it).
    method : {"exact", "fingertips"}, default "exact"
        How funnel limits are drawn.
    results : ReviewResults, optional
        The review's results, when already computed (else they are computed here).
    run_date : datetime.date, optional
        Today by default.

    Returns
    -------
    dict
        ``council``, ``cycle``, ``n_cases``, ``n_ratings``, ``n_not_applicable``,
        ``rating_counts`` and ``overall_counts`` (level to count, all four levels),
        ``good_or_better`` (cases judged Outstanding or Good: ``share``, ``ci_low``,
        ``ci_high``, ``n``, ``count``), ``ratings_good_or_better`` (the same over question
        ratings, with ``cases``, ``design_effect`` and ``effective_n``, the interval being
        Wilson at the effective n), ``design_effect`` and ``effective_n`` of the question
        ratings again at the top level, ``question_comparison`` (whether the questions
        differ within case records, and which stand out), ``questions`` (per question:
        label, counts, n, not applicable, share Good or better with its Wilson interval:
        one rating per case), ``change_since_previous`` (both shares' changes with their
        Newcombe intervals, or null), ``position_in_programme`` (the council's place on
        the judgement and rating funnels: limits at its n, p-values, flag, or null), and
        provenance (data file name and hash, library version, run date, whether the data
        are synthetic); and ``region`` where the data name the council's region.
    """
    results = results or analyse_review(review, programme, method=method)
    return {
        **results_metrics(results),
        **({"region": review.region} if review.region else {}),
        "data_file": Path(review.source).name,
        "data_sha256": review.sha256,
        "synthetic": is_synthetic(review.path),
        "library_version": __version__,
        "run_date": (run_date or dt.date.today()).isoformat(),
    }
