"""Machine-readable figures of a council's review, written as ``metrics.json`` by runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from review_lib import __version__
from review_lib.analysis.summary import good_or_better, level_counts, question_summary
from review_lib.data.records import Review
from review_lib.files import is_synthetic, write_atomically


def _clustered_share(ratings) -> dict[str, float | int | bool | None]:
    from review_lib.analysis.clustered import ratings_good_or_better

    share = ratings_good_or_better(ratings)
    return {"share": _nan_none(share.share), "ci_low": _nan_none(share.ci_low),
            "ci_high": _nan_none(share.ci_high), "n": share.n, "count": share.successes,
            "cases": share.clusters, "design_effect": float(share.design_effect),
            "effective_n": float(share.effective_n),
            "design_effect_estimated": share.estimated}


def _question_comparison(review: Review) -> dict:
    from review_lib.analysis.paired import compare_questions

    test = compare_questions(review.ratings, review.catalogue)
    return {"test": "Cochran's Q on Good or better, paired by case record, permutation "
                    "p-value (case records' ratings shuffled among their own questions)",
            "q": _nan_none(test.statistic), "p_value": _nan_none(test.p_value),
            "permutations": test.permutations, "cases": test.cases,
            "questions_differ": bool(test.differ),
            "stand_out": {str(q): row.stands_out for q, row in test.per_question.iterrows()
                          if row.stands_out}}


def _counts(values) -> dict[str, int]:
    return {level: int(count) for level, count in level_counts(values)["count"].items()}


def _share(values) -> dict[str, float | int]:
    share = good_or_better(values)
    return {"share": share.share, "ci_low": share.ci_low, "ci_high": share.ci_high,
            "n": share.n, "count": share.successes}


def council_metrics(review: Review, run_date: dt.date | None = None) -> dict:
    """The headline figures of one review, as plain JSON-ready data.

    Parameters
    ----------
    review : Review
        The review.
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
        one rating per case), and provenance (data file name and hash, library version,
        run date, whether the data are synthetic). Cases are never listed.
    """
    ratings_share = _clustered_share(review.ratings)
    summary = question_summary(review.ratings, review.not_applicable, review.catalogue)
    questions = {}
    for qid, row in summary.iterrows():
        questions[str(qid)] = {
            "label": review.catalogue[qid].short_label,
            "rating_counts": {level: int(row[level]) for level in
                              ("Outstanding", "Good", "Requires Improvement", "Inadequate")},
            "n": int(row["n"]),
            "not_applicable": int(row["not_applicable"]),
            "good_or_better": {"share": _nan_none(row["share_good"]),
                               "ci_low": _nan_none(row["ci_low"]),
                               "ci_high": _nan_none(row["ci_high"]), "n": int(row["n"]),
                               "count": int(row["good_or_better"])},
        }
    return {
        "council": review.council,
        "cycle": review.cycle,
        "review_month": review.review_month,
        "n_cases": review.n_cases,
        "n_auditors": len(review.auditors),
        "n_ratings": len(review.ratings),
        "n_not_applicable": len(review.not_applicable),
        "rating_counts": _counts(review.ratings["rating"]),
        "overall_counts": _counts(review.judgements["judgement"]),
        "good_or_better": _share(review.judgements["judgement"]),
        "ratings_good_or_better": ratings_share,
        "design_effect": ratings_share["design_effect"],
        "effective_n": ratings_share["effective_n"],
        "question_comparison": _question_comparison(review),
        "questions": questions,
        "data_file": Path(review.source).name,
        "data_sha256": review.sha256,
        "synthetic": is_synthetic(review.path),
        "library_version": __version__,
        "run_date": (run_date or dt.date.today()).isoformat(),
    }


def _nan_none(value: float) -> float | None:
    return None if value != value else float(value)


def write_metrics(metrics: dict, path: str | Path) -> Path:
    """Write metrics as indented JSON, atomically.

    Parameters
    ----------
    metrics : dict
        From :func:`council_metrics` (or any JSON-ready mapping).
    path : str or Path
        The file.

    Returns
    -------
    Path
        The file written.
    """
    return write_atomically(Path(path), json.dumps(metrics, indent=2, allow_nan=False) + "\n")
