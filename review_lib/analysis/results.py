"""One review's analysis, computed once, as typed results.

:func:`analyse_review` turns a review (and, optionally, its programme) into a frozen
:class:`ReviewResults`: the counts, the shares with their intervals and design effects, the
per-question and per-auditor tables, the test of whether the questions differ, the change
since the council's previous review and its position on the programme's funnels. It reads
no file and writes no text. The findings (:mod:`review_lib.report.wording`), the report
sections and ``metrics.json`` (:mod:`review_lib.analysis.metrics`) all read these results,
so every figure a report shows is computed in one place.

Examples
--------
>>> from review_lib.data.loading import load_programme
>>> programme = load_programme("data/sample")                      # doctest: +SKIP
>>> results = analyse_review(programme.review("Dudley", "2022-24"), programme)  # doctest: +SKIP
>>> results.cases.describe()                                         # doctest: +SKIP
'90% (95% CI 70% to 97%, n = 20)'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from review_lib.analysis.clustered import ClusteredProportion, ratings_good_or_better
from review_lib.analysis.comparison import Funnels, programme_funnels
from review_lib.analysis.funnel import chance_outside
from review_lib.analysis.paired import QuestionComparison, compare_questions
from review_lib.analysis.stats import (
    Change,
    case_mann_whitney,
    case_mean_scores,
    newcombe_difference,
)
from review_lib.analysis.summary import (
    Proportion,
    auditor_summary,
    case_table,
    good_or_better,
    level_counts,
    question_summary,
)
from review_lib.data.records import Programme, Review
from review_lib.data.scale import GOOD_OR_BETTER, LEVELS

#: Fewest councils in a cycle for a comparison with the programme to mean anything.
MIN_COUNCILS = 3

#: The levels below Good.
BELOW_GOOD = tuple(level for level in LEVELS if level not in GOOD_OR_BETTER)


def _counts(values: pd.Series) -> dict[str, int]:
    """Level to count, all four levels, in scale order."""
    return {level: int(count) for level, count in level_counts(values)["count"].items()}


@dataclass(frozen=True)
class FunnelPoint:
    """Where one council sits on one funnel plot.

    Attributes
    ----------
    measure : str
        ``"judgements"`` (one per case record), ``"ratings"`` (question ratings at their
        effective n) or ``"ratings_adjusted"`` (the same, limits widened for overdispersion).
    successes, n : int
        Outstanding or Good, and all.
    share : float
        ``successes / n``.
    effective_n, design_effect : float
        The n the council is placed at, and the design effect that gives it (1 for
        judgements).
    target : float
        The programme average the limits are drawn around.
    lower95, upper95, lower998, upper998 : float
        The limits at this council's n. An exact limit beyond 0 or 1 cannot be passed.
    p_above, p_below : float
        One-sided p-values against the average.
    flag : str
        ``"within"``, ``"above95"``, ``"below95"``, ``"above998"`` or ``"below998"``.
    chance_beyond_95 : float
        With no real difference, the chance of landing beyond the 95% limit on the side
        this council is on, at its n, from the limits drawn.
    programme_successes, programme_n : int
        The programme's totals.
    """

    measure: str
    successes: int
    n: int
    share: float
    effective_n: float
    design_effect: float
    target: float
    lower95: float
    upper95: float
    lower998: float
    upper998: float
    p_above: float
    p_below: float
    flag: str
    chance_beyond_95: float
    programme_successes: int
    programme_n: int

    @classmethod
    def from_table(cls, table: pd.DataFrame, council: str, measure: str) -> FunnelPoint:
        """Read one council's row (and the programme's totals) from a funnel table.

        Parameters
        ----------
        table : pandas.DataFrame
            From :func:`review_lib.analysis.funnel.funnel_table`.
        council : str
            The council (an index label).
        measure : str
            What the table measures.

        Returns
        -------
        FunnelPoint
            The council's position.
        """
        at = table.index.get_loc(council)
        row = table.iloc[at]
        side = "below" if str(row["flag"]).startswith("below") else "above"
        return cls(
            measure=measure, successes=int(row["successes"]), n=int(row["n"]),
            share=float(row["share"]), effective_n=float(row["effective_n"]),
            design_effect=float(row["design_effect"]), target=float(table.attrs["target"]),
            lower95=float(row["lower95"]), upper95=float(row["upper95"]),
            lower998=float(row["lower998"]), upper998=float(row["upper998"]),
            p_above=float(row["p_above"]), p_below=float(row["p_below"]),
            flag=str(row["flag"]),
            chance_beyond_95=float(chance_outside(table, "95", side)[at]),
            programme_successes=int(table["successes"].sum()),
            programme_n=int(table["n"].sum()))


@dataclass(frozen=True)
class ProgrammePosition:
    """A council against its cycle's programme average, by funnel limits (never a rank).

    Attributes
    ----------
    cycle : str
        The cycle.
    councils : tuple of str
        Every council of the cycle, alphabetically.
    method : str
        How the limits are drawn: ``"exact"`` or ``"fingertips"``.
    judgements, ratings : FunnelPoint
        The council on the overall-judgement and question-rating funnels.
    ratings_adjusted : FunnelPoint or None
        On the rating funnel with limits widened for overdispersion, when they were.
    phi : float
        The overdispersion ratio of the councils' rating shares.
    programme_design_effect : float
        The programme's design effect for question ratings (estimated within councils).
    funnels : Funnels
        The cycle's funnel tables, as the cross-council report draws them.
    """

    cycle: str
    councils: tuple[str, ...]
    method: str
    judgements: FunnelPoint
    ratings: FunnelPoint
    ratings_adjusted: FunnelPoint | None
    phi: float
    programme_design_effect: float
    funnels: Funnels


@dataclass(frozen=True)
class ReviewChange:
    """Change since the council's previous review.

    Attributes
    ----------
    previous_cycle : str
        The earlier review's cycle.
    previous_month : str or None
        Its review month, as given.
    cases : Change
        Case records judged Outstanding or Good (Newcombe's interval).
    ratings : Change
        Question ratings Outstanding or Good, each side at its effective n.
    previous_rating_counts : dict of str to int
        The earlier review's question ratings by level.
    previous_cases : int
        Case records in the earlier review.
    mann_whitney_p : float
        Mann-Whitney test of the two reviews' case-record mean scores (NaN when every
        record in both has the same mean).
    previous_mean_score, mean_score : float
        The mean of the records' mean scores (Inadequate 1 ... Outstanding 4), before and
        after.
    questions : pandas.DataFrame or None
        Each question's change, one row per question of the catalogue (index ``question``):
        ``before_good``, ``before_n``, ``after_good``, ``after_n`` (ratings Good or better,
        and ratings, not applicable left out) and ``before_share``, ``after_share`` (NaN
        where a cycle has no rating of it).
    """

    previous_cycle: str
    previous_month: str | None
    cases: Change
    ratings: Change
    previous_rating_counts: dict[str, int]
    previous_cases: int
    mann_whitney_p: float
    previous_mean_score: float
    mean_score: float
    questions: pd.DataFrame | None = None


def question_changes(review: Review, previous: Review) -> pd.DataFrame:
    """Each question's share Good or better in the previous review and in this one.

    Parameters
    ----------
    review, previous : Review
        The later and the earlier review.

    Returns
    -------
    pandas.DataFrame
        See :attr:`ReviewChange.questions`.
    """
    before = question_summary(previous.ratings, previous.not_applicable, previous.catalogue)
    after = question_summary(review.ratings, review.not_applicable, review.catalogue)
    table = pd.DataFrame({
        "before_good": before["good_or_better"], "before_n": before["n"],
        "after_good": after["good_or_better"], "after_n": after["n"]},
        index=after.index).fillna(0).astype(int)
    table.index.name = "question"
    with np.errstate(invalid="ignore", divide="ignore"):
        table["before_share"] = table["before_good"] / table["before_n"].replace(0, np.nan)
        table["after_share"] = table["after_good"] / table["after_n"].replace(0, np.nan)
    return table


@dataclass(frozen=True)
class ReviewResults:
    """Everything computed about one review, once.

    Attributes
    ----------
    council, cycle : str
        The review.
    review_month : str or None
        As given in the data.
    n_cases, n_questions, n_ratings, n_not_applicable : int
        Case records, questions in the catalogue, question ratings (not applicable left
        out) and not-applicable answers.
    cases_per_auditor : dict of str to int
        Auditor to the number of case records they rated.
    rating_counts, overall_counts : dict of str to int
        Question ratings and overall judgements by level (all four levels).
    cases : Proportion
        Case records judged Outstanding or Good (one per record; Wilson interval).
    ratings : ClusteredProportion
        Question ratings Outstanding or Good, with the design effect and the interval at
        the effective n.
    questions : pandas.DataFrame
        Per question, in catalogue order (from
        :func:`review_lib.analysis.summary.question_summary`): ``label``, the four level
        counts, ``n``, ``not_applicable``, ``good_or_better``, ``share_good``, ``ci_low``,
        ``ci_high`` (Wilson: one rating per record), ``share_ri_or_worse``,
        ``below_good`` and its Wilson interval ``below_ci_low``, ``below_ci_high``.
    auditors : pandas.DataFrame
        Per auditor (:func:`review_lib.analysis.summary.auditor_summary`).
    case_records : pandas.DataFrame
        Per case record, by pseudonym: its ratings by level, mean score, overall judgement
        and how the judgement sits against its most common rating
        (:func:`review_lib.analysis.summary.case_table`).
    question_comparison : QuestionComparison
        Whether the questions differ within the same records, and which stand out.
    change : ReviewChange or None
        Since the previous review, when the programme holds one.
    position : ProgrammePosition or None
        Against the programme, when a programme was given, the cycle has at least
        :data:`MIN_COUNCILS` councils and this council is among them.
    cycle_councils : int
        Councils reviewed in the cycle (0 when no programme was given).
    method : str
        How funnel limits are drawn.
    """

    council: str
    cycle: str
    review_month: str | None
    n_cases: int
    n_questions: int
    n_ratings: int
    n_not_applicable: int
    cases_per_auditor: dict[str, int]
    rating_counts: dict[str, int]
    overall_counts: dict[str, int]
    cases: Proportion
    ratings: ClusteredProportion
    questions: pd.DataFrame
    auditors: pd.DataFrame
    case_records: pd.DataFrame
    question_comparison: QuestionComparison
    change: ReviewChange | None
    position: ProgrammePosition | None
    cycle_councils: int
    method: str

    @property
    def n_auditors(self) -> int:
        """Auditors who rated at least one record."""
        return len(self.cases_per_auditor)

    @property
    def interval_width_at_half(self) -> float:
        """The width of the Wilson 95% interval of a share near 50% from these records.

        For the caveats: how wide an interval 20 or so records give at its widest.
        """
        from review_lib.analysis.summary import wilson_interval

        if not self.n_cases:
            return math.nan
        low, high = wilson_interval(self.n_cases // 2, self.n_cases)
        return high - low

    @property
    def rated_questions(self) -> pd.DataFrame:
        """:attr:`questions` without the questions no record was rated on."""
        return self.questions[self.questions["n"] > 0]

    def __repr__(self) -> str:
        position = ("" if self.position is None else
                    f", funnel {self.position.judgements.flag} (judgements) / "
                    f"{self.position.ratings.flag} (ratings)")
        change = "" if self.change is None else f", change since {self.change.previous_cycle}"
        return (f"ReviewResults({self.council} {self.cycle}: {self.n_cases} cases, "
                f"{self.n_ratings} ratings; judgements {self.cases.describe()}; ratings "
                f"{self.ratings.describe()}{position}{change})")


def share_changes(review: Review, previous: Review) -> tuple[Change, Change]:
    """The change in the two shares Good or better between a council's two reviews.

    What :func:`review_change` and the cross-council report's table of change
    (:func:`review_lib.analysis.scopes.cycle_changes`) both give, without the tests of the
    records' scores and of each question that only the council's own report shows.

    Parameters
    ----------
    review, previous : Review
        The later and the earlier review.

    Returns
    -------
    tuple of Change
        Case records judged Good or better (Wilson intervals, Newcombe's difference), then
        question ratings Good or better (each side at its effective n).
    """
    cases = newcombe_difference(good_or_better(previous.judgements["judgement"]),
                                good_or_better(review.judgements["judgement"]))
    ratings = newcombe_difference(ratings_good_or_better(previous.ratings),
                                  ratings_good_or_better(review.ratings))
    return cases, ratings


def review_change(review: Review, previous: Review) -> ReviewChange:
    """Change between a council's previous review and this one.

    Parameters
    ----------
    review, previous : Review
        The later and the earlier review.

    Returns
    -------
    ReviewChange
        Both shares' changes with Newcombe's intervals, and the supporting Mann-Whitney
        test of the records' mean scores.
    """
    cases, ratings = share_changes(review, previous)
    before_scores = case_mean_scores(previous.ratings)
    after_scores = case_mean_scores(review.ratings)
    return ReviewChange(
        previous_cycle=previous.cycle, previous_month=previous.review_month,
        cases=cases, ratings=ratings,
        previous_rating_counts=_counts(previous.ratings["rating"]),
        previous_cases=previous.n_cases,
        mann_whitney_p=float(case_mann_whitney(previous.ratings, review.ratings)),
        previous_mean_score=float(np.mean(before_scores)) if len(before_scores) else math.nan,
        mean_score=float(np.mean(after_scores)) if len(after_scores) else math.nan,
        questions=question_changes(review, previous))


def programme_position(review: Review, programme: Programme, method: str = "exact",
                       funnels: Funnels | None = None) -> ProgrammePosition | None:
    """The council's place on its cycle's funnels, or None where no comparison is meaningful.

    Parameters
    ----------
    review : Review
        The council's review.
    programme : Programme
        The programme (only the review's cycle is used).
    method : {"exact", "fingertips"}, default "exact"
        How the limits are drawn.
    funnels : Funnels, optional
        The cycle's funnels, when already computed.

    Returns
    -------
    ProgrammePosition or None
        None when the cycle has fewer than :data:`MIN_COUNCILS` councils, or not this one.
    """
    cycle = programme.in_cycle(review.cycle)
    councils = tuple(sorted({str(r.council) for r in cycle.reviews}, key=str.casefold))
    council = str(review.council)
    if len(councils) < MIN_COUNCILS or council not in councils:
        return None
    funnels = funnels or programme_funnels(cycle, method)
    adjusted = funnels.ratings_adjusted
    return ProgrammePosition(
        cycle=review.cycle, councils=councils, method=funnels.method,
        judgements=FunnelPoint.from_table(funnels.judgements, council, "judgements"),
        ratings=FunnelPoint.from_table(funnels.ratings, council, "ratings"),
        ratings_adjusted=(FunnelPoint.from_table(adjusted, council, "ratings_adjusted")
                          if adjusted.attrs.get("adjusted") else None),
        phi=float(funnels.ratings.attrs["overdispersion"].phi),
        programme_design_effect=float(funnels.ratings.attrs["programme_design_effect"]),
        funnels=funnels)


def _question_table(review: Review) -> pd.DataFrame:
    from review_lib.analysis.summary import wilson_intervals

    table = question_summary(review.ratings, review.not_applicable, review.catalogue)
    table["below_good"] = table[list(BELOW_GOOD)].sum(axis=1).astype(int)
    low, high = wilson_intervals(table["below_good"].to_numpy(dtype=float),
                                 table["n"].to_numpy(dtype=float))
    table["below_ci_low"], table["below_ci_high"] = low, high
    return table


def analyse_review(review: Review, programme: Programme | None = None, *,
                   method: str = "exact", funnels: Funnels | None = None) -> ReviewResults:
    """Compute everything the reports say about one review.

    Parameters
    ----------
    review : Review
        The review.
    programme : Programme, optional
        Its programme, for the previous review and the comparison with the other councils
        of its cycle. Without it, ``change`` and ``position`` are None.
    method : {"exact", "fingertips"}, default "exact"
        How funnel limits are drawn.
    funnels : Funnels, optional
        The cycle's funnels, when already computed (they are shared by every council).

    Returns
    -------
    ReviewResults
        Frozen results; nothing is read from or written to disk.
    """
    per_auditor = review.judgements.groupby("auditor", observed=True).size()
    previous = programme.previous_review(review) if programme is not None else None
    cycle_councils = (len({str(r.council) for r in programme.in_cycle(review.cycle).reviews})
                      if programme is not None else 0)
    return ReviewResults(
        council=str(review.council), cycle=str(review.cycle),
        review_month=review.review_month, n_cases=review.n_cases,
        n_questions=len(review.catalogue), n_ratings=len(review.ratings),
        n_not_applicable=len(review.not_applicable),
        cases_per_auditor={str(a): int(n) for a, n in per_auditor.items()},
        rating_counts=_counts(review.ratings["rating"]),
        overall_counts=_counts(review.judgements["judgement"]),
        cases=good_or_better(review.judgements["judgement"]),
        ratings=ratings_good_or_better(review.ratings),
        questions=_question_table(review),
        auditors=auditor_summary(review.ratings, review.judgements),
        case_records=case_table(review.ratings, review.judgements),
        question_comparison=compare_questions(review.ratings, review.catalogue),
        change=review_change(review, previous) if previous is not None else None,
        position=(programme_position(review, programme, method, funnels)
                  if programme is not None else None),
        cycle_councils=cycle_councils, method=method)
