"""Results for every scope above one review: a cycle (or a region of it), and change.

:func:`review_lib.analysis.results.analyse_review` computes one review's figures once. This
module does the same for the scopes the cross-council reports describe, so that the words,
charts and tables of :mod:`review_lib.report` read figures and never compute them:

- :func:`cycle_results`: a programme cycle's (or one region's) pooled counts and shares,
  the per-question table, and whether the questions differ within the same records;
- :func:`council_differences`: whether councils differ question by question (Kruskal-Wallis
  with permutation p-values), with the councils outside the 99.8% limits set aside too;
- :func:`cycle_changes`: each council's change since its previous review, for overall
  judgements and question ratings;
- :func:`region_summary` and :func:`region_changes`: the same pooled by region, each
  region's interval allowing for the records of one council going together.

Nothing here reads a file or writes text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from review_lib.analysis.clustered import (
    ProgrammeProportion,
    clustered_proportion,
    programme_design_effect,
    programme_judgements_good_or_better,
    programme_question_intervals,
    programme_ratings_good_or_better,
)
from review_lib.analysis.comparison import Funnels
from review_lib.analysis.paired import QuestionComparison, compare_questions
from review_lib.analysis.results import BELOW_GOOD, share_changes
from review_lib.analysis.stats import Change, newcombe_difference, question_tests
from review_lib.analysis.summary import question_summary
from review_lib.data.records import Programme, Review
from review_lib.data.scale import GOOD_OR_BETTER, LEVELS


def _counts(values: pd.Series) -> dict[str, int]:
    counts = values.astype(str).value_counts()
    return {level: int(counts.get(level, 0)) for level in LEVELS}


@dataclass(frozen=True)
class CycleResults:
    """Everything the cross-council reports say about a cycle's councils taken together.

    Attributes
    ----------
    cycles : tuple of str
        The cycles pooled (one, for a cycle's report).
    region : str
        The region whose councils these are, or ``""`` for the whole programme.
    councils : tuple of str
        The councils, alphabetically.
    cases_per_council, auditors_per_council : dict of str to int
        Case records and auditors of each council.
    n_questions, n_cases, n_ratings, n_not_applicable : int
        Questions in the catalogue, case records, question ratings and answers marked not
        applicable.
    judgement_counts, rating_counts : dict of str to int
        By level, all four levels.
    cases : ProgrammeProportion
        Case records judged Outstanding or Good, pooled; the interval allows for the
        records of one council going together.
    ratings : ProgrammeProportion
        Question ratings Outstanding or Good, pooled; the design effect is the larger of
        the one over councils and the one over records.
    design_effect_within : float
        The design effect of question ratings within councils.
    questions : pandas.DataFrame
        Per question rated (catalogue order): the columns of
        :func:`review_lib.analysis.summary.question_summary`, ``below_good`` and ``order``;
        ``ci_low`` and ``ci_high`` allow for the records of one council going together
        (:func:`review_lib.analysis.clustered.programme_question_intervals`).
    question_comparison : QuestionComparison
        Whether the questions differ within the same records (pooled over councils).
    """

    cycles: tuple[str, ...]
    region: str
    councils: tuple[str, ...]
    cases_per_council: dict[str, int]
    auditors_per_council: dict[str, int]
    n_questions: int
    n_cases: int
    n_ratings: int
    n_not_applicable: int
    judgement_counts: dict[str, int]
    rating_counts: dict[str, int]
    cases: ProgrammeProportion
    ratings: ProgrammeProportion
    design_effect_within: float
    questions: pd.DataFrame
    question_comparison: QuestionComparison

    @property
    def n_councils(self) -> int:
        """How many councils."""
        return len(self.councils)


def cycle_results(programme_cycle: Programme, *, region: str = "") -> CycleResults:
    """Compute a cycle's pooled figures once (for one region's councils, or all).

    Parameters
    ----------
    programme_cycle : Programme
        The reviews of one cycle (or of one region in it).
    region : str, optional
        The region the reviews are, for the record.

    Returns
    -------
    CycleResults
        Frozen results.
    """
    judgements, ratings = programme_cycle.judgements, programme_cycle.ratings
    council = judgements["council"].astype(str)
    per_council = judgements.groupby(council).size()
    auditors = (judgements.assign(council=council, auditor=judgements["auditor"].astype(str))
                .groupby("council")["auditor"].nunique())
    table = question_summary(ratings, programme_cycle.not_applicable, programme_cycle.catalogue)
    table = table[table["n"] > 0].copy()
    table["below_good"] = table[list(BELOW_GOOD)].sum(axis=1).astype(int)
    table["order"] = range(len(table))
    if len(table):
        clustered = programme_question_intervals(ratings)  # by council
        table[["ci_low", "ci_high"]] = clustered.loc[table.index.astype(str),
                                                     ["ci_low", "ci_high"]].to_numpy()
    return CycleResults(
        cycles=tuple(programme_cycle.cycles), region=region,
        councils=tuple(sorted({str(r.council) for r in programme_cycle.reviews},
                              key=str.casefold)),
        cases_per_council={str(c): int(n) for c, n in per_council.items()},
        auditors_per_council={str(c): int(n) for c, n in auditors.items()},
        n_questions=len(programme_cycle.catalogue), n_cases=len(judgements),
        n_ratings=len(ratings), n_not_applicable=len(programme_cycle.not_applicable),
        judgement_counts=_counts(judgements["judgement"]),
        rating_counts=_counts(ratings["rating"]),
        cases=programme_judgements_good_or_better(judgements),
        ratings=programme_ratings_good_or_better(ratings),
        design_effect_within=float(programme_design_effect(ratings)) if len(ratings) else 1.0,
        questions=table,
        question_comparison=compare_questions(ratings, programme_cycle.catalogue))


@dataclass(frozen=True)
class CouncilDifferences:
    """Whether councils differ, question by question.

    Attributes
    ----------
    tests : pandas.DataFrame
        Per question (:func:`review_lib.analysis.stats.question_tests`).
    permutations : int
        Relabellings behind each permutation p-value.
    set_aside : tuple or None
        ``(councils, tests)``: the councils outside the 99.8% limits on overall judgements,
        and the tests again without them, where some question differed beyond chance and
        some council is outside those limits.
    """

    tests: pd.DataFrame
    permutations: int
    set_aside: tuple[list[str], pd.DataFrame] | None


def council_differences(programme_cycle: Programme, funnels: Funnels | None = None, *,
                        permutations: int = 2000) -> CouncilDifferences:
    """Test, per question, whether councils differ more than chance would give.

    Parameters
    ----------
    programme_cycle : Programme
        The reviews of one cycle.
    funnels : Funnels, optional
        The cycle's funnels: where some question differs beyond chance, the tests are run
        again without the councils outside the 99.8% limits on overall judgements.
    permutations : int, default 2000
        Relabellings for each permutation p-value.

    Returns
    -------
    CouncilDifferences
        Frozen results.
    """
    tests = question_tests(programme_cycle.ratings, programme_cycle.catalogue,
                           permutations=permutations)
    set_aside = None
    if funnels is not None and tests["beyond_chance"].any():
        judgements = funnels.judgements
        outside = [str(c) for c in judgements.index
                   if judgements.loc[c, "flag"] in ("above998", "below998")]
        if outside:
            ratings = programme_cycle.ratings
            rest = ratings[~ratings["council"].astype(str).isin(outside)]
            set_aside = (outside, question_tests(rest, programme_cycle.catalogue,
                                                 permutations=permutations))
    return CouncilDifferences(tests, permutations, set_aside)


@dataclass(frozen=True)
class CouncilChange:
    """One council's change between its previous review and a later one.

    Attributes
    ----------
    council, before_cycle, after_cycle : str
        Who, and which two cycles.
    judgements : Change
        Case records judged Outstanding or Good (Wilson intervals, Newcombe's difference).
    ratings : Change
        Question ratings Outstanding or Good, each side at its effective n.
    """

    council: str
    before_cycle: str
    after_cycle: str
    judgements: Change
    ratings: Change


@dataclass(frozen=True)
class CycleChanges:
    """Change since each council's previous review, for the councils reviewed before.

    Attributes
    ----------
    cycle : str or None
        The later cycle, or None for each council's latest review.
    councils : tuple of CouncilChange
        Alphabetically by council.
    """

    cycle: str | None
    councils: tuple[CouncilChange, ...]

    @property
    def table(self) -> pd.DataFrame:
        """Per council: ``before_cycle``, ``after_cycle`` and the judgements' change row.

        The columns of :meth:`review_lib.analysis.stats.Change.as_row`, then the question
        ratings' difference, interval and verdict as ``ratings_difference``,
        ``ratings_diff_low``, ``ratings_diff_high`` and ``ratings_beyond_chance``.
        """
        rows = {}
        for change in self.councils:
            rated = change.ratings
            rows[change.council] = {
                "before_cycle": change.before_cycle, "after_cycle": change.after_cycle,
                **change.judgements.as_row(), "ratings_difference": rated.difference,
                "ratings_diff_low": rated.ci_low, "ratings_diff_high": rated.ci_high,
                "ratings_beyond_chance": rated.beyond_chance}
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "council"
        return frame


def _pairs(programme: Programme, cycle: str | None) -> list[tuple[Review, Review]]:
    """(earlier, later) review pairs, one per council reviewed more than once."""
    councils: dict[str, list[Review]] = {}
    for review in programme.reviews:
        councils.setdefault(str(review.council).casefold(), []).append(review)
    pairs = []
    for reviews in councils.values():
        if cycle is None:
            later = max(reviews, key=lambda r: r.cycle)
        else:
            matching = [r for r in reviews if r.cycle == cycle]
            if not matching:
                continue
            later = matching[0]
        earlier = [r for r in reviews if r.cycle < later.cycle]
        if earlier:
            pairs.append((max(earlier, key=lambda r: r.cycle), later))
    return sorted(pairs, key=lambda pair: str(pair[1].council).casefold())


def cycle_changes(programme: Programme, cycle: str | None = None) -> CycleChanges:
    """Each council's change since its previous review.

    Parameters
    ----------
    programme : Programme
        The whole programme (every cycle).
    cycle : str, optional
        Only councils reviewed in this cycle, each compared with its review before. By
        default each council's latest review.

    Returns
    -------
    CycleChanges
        Frozen results, alphabetically by council.
    """
    changes = []
    for earlier, later in _pairs(programme, cycle):
        # The figures the council's own report gives (review_change), without its tests.
        judgements, ratings = share_changes(later, earlier)
        changes.append(CouncilChange(
            council=str(later.council), before_cycle=earlier.cycle, after_cycle=later.cycle,
            judgements=judgements, ratings=ratings))
    return CycleChanges(cycle, tuple(changes))


def region_summary(cycle_programme: Programme, funnels: Funnels,
                   regions: dict[str, str]) -> pd.DataFrame:
    """One row per region: councils, records judged Good or better, councils outside.

    The share pools the region's case records; its 95% interval allows for the records
    of one council going together (a design effect over councils, Wilson at the effective
    n: :func:`review_lib.analysis.clustered.clustered_proportion`).

    Parameters
    ----------
    cycle_programme : Programme
        The reviews of one cycle.
    funnels : Funnels
        The cycle's funnel tables.
    regions : dict of str to str
        Council to region.

    Returns
    -------
    pandas.DataFrame
        Indexed by region (alphabetical; councils with no region under ``""``, last):
        ``councils``, ``successes``, ``n``, ``share``, ``ci_low``, ``ci_high``,
        ``design_effect``, ``above998`` and ``below998`` (lists of councils), ``outside95``
        (councils outside the 95% limits only, a count).
    """
    judgements = cycle_programme.judgements
    council = judgements["council"].astype(str).to_numpy()
    good = judgements["judgement"].isin(list(GOOD_OR_BETTER)).to_numpy()
    region_of = np.array([regions.get(c, "") for c in council], dtype=object)
    flags = funnels.judgements["flag"].astype(str)
    rows = {}
    for region in sorted(set(region_of), key=lambda r: (r == "", r.casefold())):
        mask = region_of == region
        share = clustered_proportion(good[mask], council[mask])
        members = sorted(set(council[mask]), key=str.casefold)
        flagged = flags.reindex(members)
        rows[region] = {
            "councils": len(members), "successes": share.successes, "n": share.n,
            "share": share.share, "ci_low": share.ci_low, "ci_high": share.ci_high,
            "design_effect": share.design_effect,
            "above998": [c for c in members if flagged.get(c) == "above998"],
            "below998": [c for c in members if flagged.get(c) == "below998"],
            "outside95": int(flagged.isin(["above95", "below95"]).sum())}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "region"
    return frame


def region_changes(changes: CycleChanges, programme: Programme,
                   regions: dict[str, str]) -> pd.DataFrame:
    """Change between cycles pooled by region, for the national view of many councils.

    Each region pools the case records of its councils reviewed in both cycles: their
    earlier reviews on one side, the later ones on the other. Each side's interval allows
    for the records of one council going together (a design effect over councils), and the
    change's interval is Newcombe's over those two.

    Parameters
    ----------
    changes : CycleChanges
        Per council (:func:`cycle_changes`).
    programme : Programme
        The whole programme (all cycles).
    regions : dict of str to str
        Council to region.

    Returns
    -------
    pandas.DataFrame
        The columns of :attr:`CycleChanges.table` for judgements, indexed by region
        (alphabetical; councils with no region under "No region given", last), plus
        ``councils``, how many were pooled.
    """
    reviews = {(str(r.council), r.cycle): r for r in programme.reviews}
    sides: dict[str, dict[str, list]] = {}
    for change in changes.councils:
        side = sides.setdefault(regions.get(change.council, ""),
                                {"before": [], "after": [], "cycles": [], "later": []})
        side["cycles"].append(change.before_cycle)
        side["later"].append(change.after_cycle)
        for when, cycle in (("before", change.before_cycle), ("after", change.after_cycle)):
            one = reviews[(change.council, cycle)]
            good = one.judgements["judgement"].isin(list(GOOD_OR_BETTER)).to_numpy()
            side[when].append((good, [change.council] * len(good)))
    rows = {}
    for region in sorted(sides, key=lambda r: (r == "", r.casefold())):
        side = sides[region]
        shares = {}
        for when in ("before", "after"):
            good = np.concatenate([g for g, _ in side[when]])
            council = np.concatenate([c for _, c in side[when]])
            shares[when] = clustered_proportion(good, council)
        earlier, later = sorted(set(side["cycles"])), sorted(set(side["later"]))
        rows[region or "No region given"] = {
            "before_cycle": earlier[0] if len(earlier) == 1 else "earlier",
            "after_cycle": later[0] if len(later) == 1 else "later",
            "councils": len(side["before"]),
            **newcombe_difference(shares["before"], shares["after"]).as_row()}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "region"
    return frame


def question_grid(programme_cycle: Programme, regions: dict[str, str] | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each council's (or region's) share of ratings Good or better on each question.

    Parameters
    ----------
    programme_cycle : Programme
        The reviews of one cycle.
    regions : dict of str to str, optional
        Council to region: one row per region, pooling its councils' ratings.

    Returns
    -------
    tuple of pandas.DataFrame
        The shares and the ratings behind them (n), both with a row per council or region
        (alphabetical) and a column per question id.
    """
    ratings = programme_cycle.ratings
    groups = ratings["council"].astype(str)
    if regions is not None:
        groups = groups.map(regions)
    shares, counts = {}, {}
    for name in sorted(set(groups), key=str.casefold):
        summary = question_summary(ratings[groups == name], None)
        shares[name] = summary["share_good"]
        counts[name] = summary["n"]
    return pd.DataFrame(shares).T, pd.DataFrame(counts).T


def funnel_intervals(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each council's Wilson 95% interval at the n it is compared at on a funnel table.

    Parameters
    ----------
    table : pandas.DataFrame
        A funnel table (:func:`review_lib.analysis.funnel.funnel_table`).

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper ends, in the table's order.
    """
    from review_lib.analysis.funnel import funnel_x
    from review_lib.analysis.summary import wilson_intervals

    n = funnel_x(table)
    return wilson_intervals(table["share"].to_numpy(dtype=float) * n, n)
