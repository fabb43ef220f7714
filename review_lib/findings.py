"""Written-up findings for leadership: plain-English Markdown generated from the data.

Every function returns Markdown text. The style follows published Practice Review reports:
plain English, British spelling, short sentences. Numbers always come with the n behind
them, and shares with their 95% interval the first time they appear. Councils are compared
with the programme average by funnel limits, never ranked. A difference is described as
"more than chance would readily explain" or "within what chance would give", never loosely
as "significant".

The functions are:

- :func:`headline`: the section-4 numbers in one paragraph set;
- :func:`strengths` and :func:`areas_for_improvement`: the questions at either end;
- :func:`change_since_previous`: change since the council's earlier review;
- :func:`position_in_programme`: the council against the programme average;
- :func:`sample_caveats` and :func:`methods_note`: what the numbers can bear, and how;
- :func:`review_team_narrative`: the review team's own Markdown, made safe to embed;
- :func:`council_findings`: all of the above as ordered sections.

Across the councils of a programme cycle, for the regional network:

- :func:`regional_headline`: councils, case records, ratings and programme-wide shares;
- :func:`programme_questions`: the questions at either end across the programme;
- :func:`councils_outside_limits`: the councils outside the funnel limits, named, not ranked;
- :func:`question_differences`: questions on which councils differ beyond chance, and why
  a permutation Kruskal-Wallis test with Holm's adjustment is used;
- :func:`changes_between_cycles`: change for each council reviewed more than once;
- :func:`regional_caveats` and :func:`regional_methods_note`: what the comparison can bear;
- :func:`regional_findings`: all of the above as ordered sections.
"""

from __future__ import annotations

import math
import re
from datetime import datetime

import numpy as np
import pandas as pd

from review_lib.clustered import ClusteredProportion, ratings_good_or_better
from review_lib.comparison import programme_funnels
from review_lib.funnel import funnel_x, limits_at
from review_lib.loading import Programme, Review, normalise_cycle
from review_lib.paired import QuestionComparison, compare_questions
from review_lib.scale import GOOD_OR_BETTER, LEVELS
from review_lib.stats import (
    case_mann_whitney,
    case_mean_scores,
    chance_outside,
    newcombe_difference,
    question_tests,
)
from review_lib.summary import (
    Proportion,
    format_percent,
    good_or_better,
    headline_sentence,
    level_counts,
    question_summary,
    wilson_interval,
)

#: Phi above which the spread between councils is reported and adjusted limits are shown.
OVERDISPERSION_THRESHOLD = 1.5

#: Fewest councils in a cycle for a comparison with the programme to mean anything.
MIN_COUNCILS = 3

_BELOW_GOOD = tuple(level for level in LEVELS if level not in GOOD_OR_BETTER)


# --------------------------------------------------------------------------- formatting


def _pct(share: float) -> str:
    """A share as a percentage: whole numbers bare, others to one decimal."""
    return format_percent(share)


def _pct0(share: float) -> str:
    """A share as a whole percentage (for interval ends and limits)."""
    return format_percent(share, 0)


def _number(value: int) -> str:
    """A count with a thousands separator: ``2,428``."""
    return f"{int(value):,}"


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    """``"1 case record"``, ``"2 case records"``."""
    word = singular if count == 1 else (plural or singular + "s")
    return f"{_number(count)} {word}"


def _join(items: list[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _of(successes: int, n: int) -> str:
    """``"19 of 20 (95%)"``."""
    share = successes / n if n else math.nan
    return f"{_number(successes)} of {_number(n)} ({_pct(share)})"


def _interval(low: float, high: float) -> str:
    """``"95% interval 70% to 97%"``."""
    return f"95% interval {_pct0(low)} to {_pct0(high)}"


def _with_interval(proportion: Proportion) -> str:
    """``"18 of 20 (90%; 95% interval 70% to 97%)"``."""
    return (f"{_number(proportion.successes)} of {_number(proportion.n)} "
            f"({_pct(proportion.share)}; {_interval(proportion.ci_low, proportion.ci_high)})")


def _points(value: float, signed: bool = True) -> str:
    """A difference of proportions in whole percentage points: ``"+25"``, ``"-1"``, ``"0"``."""
    rounded = round(value * 100)
    if rounded == 0:
        return "0"
    return f"{rounded:+d}" if signed else f"{abs(rounded):d}"


def _end(value: float, signed: bool = True) -> str:
    """An interval end in percentage points, like :func:`_points`, one decimal near zero.

    An end just off zero keeps one decimal (``"-0.1"``), so an interval that crosses zero
    never looks as if it starts at zero.
    """
    if round(value * 100) == 0 and round(value * 100, 1) != 0:
        return f"{value * 100:+.1f}" if signed else f"{abs(value) * 100:.1f}"
    return _points(value, signed)


def _month(review: Review) -> str:
    """The review month in words (``"November 2023"``), or the text as given, or ``""``."""
    raw = str(review.review_month or "").strip()
    for pattern in ("%Y-%m", "%Y-%m-%d", "%Y/%m", "%m/%Y"):
        try:
            return datetime.strptime(raw, pattern).strftime("%B %Y")
        except ValueError:
            continue
    return raw


def _p_value(p: float) -> str:
    """``"p < 0.001"``, ``"p = 0.034"``, ``"p = 0.41"``."""
    if p < 0.001:
        return "p < 0.001"
    if p < 0.1:
        return f"p = {p:.3f}"
    return f"p = {p:.2f}"


def _level_list(values: pd.Series) -> str:
    """``"59 Outstanding, 143 Good, 37 Requires Improvement and 1 Inadequate"``."""
    counts = level_counts(values)["count"]
    return _join([f"{_number(counts[level])} {level}" for level in LEVELS])


def _table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _clustering_words(share: ClusteredProportion) -> str:
    """What clustering does to a share of question ratings, in one or two sentences."""
    if not share.estimated:
        return (f"Every rating was alike or there was a single record, so how closely the "
                f"ratings of one record go together cannot be estimated; the interval counts "
                f"each of the {_plural(share.clusters, 'record')} once.")
    if share.design_effect < 1.05:
        return ("The ratings of one record went together no more than chance would give "
                f"(design effect {share.design_effect:.1f}), so the interval treats them as "
                "independent.")
    return (f"The ratings of one case record go together (they share the record and its "
            f"auditor), so these {_number(share.n)} ratings carry about as much information "
            f"as {_number(round(share.effective_n))} independent ones (a design effect of "
            f"{share.design_effect:.1f}); the interval allows for that.")


# --------------------------------------------------------------------------- headline


def headline(review: Review) -> str:
    """The headline paragraphs, in the style of a published Practice Review report.

    How many case records, auditors and question ratings there were; the overall-judgement
    sentence of :func:`review_lib.summary.headline_sentence` with its 95% interval; the
    share of question ratings Outstanding or Good with its interval and n; and how many
    answers were marked not applicable, where there are any.

    Parameters
    ----------
    review : Review
        The review.

    Returns
    -------
    str
        Markdown.
    """
    n_cases = review.n_cases
    n_questions = len(review.catalogue)
    n_ratings = len(review.ratings)
    n_na = len(review.not_applicable)
    per_auditor = review.judgements.groupby("auditor", observed=True).size()
    n_auditors = len(per_auditor)
    if n_auditors and per_auditor.min() == per_auditor.max():
        each = f" ({per_auditor.iloc[0]} each)"
    elif n_auditors:
        each = f" (between {per_auditor.min()} and {per_auditor.max()} each)"
    else:
        each = ""
    month = _month(review)
    when = f" ({month})" if month else ""
    opening = (f"In the {review.cycle} Practice Review of {review.council}{when}, "
               f"{_plural(n_auditors, 'auditor')} examined {_plural(n_cases, 'case record')}"
               f"{each} and rated each record against the "
               f"{_plural(n_questions, 'question')} of the audit tool")
    if n_na:
        answers = "One answer was" if n_na == 1 else f"{_number(n_na)} answers were"
        opening += (f". {answers} marked "
                    "not applicable: a question that does not apply to a case is not a rating, "
                    "so it is left out of every count and share. That leaves "
                    f"{_plural(n_ratings, 'question rating')}.")
    else:
        opening += f": {_plural(n_ratings, 'question rating')} in all."
    paragraphs = [opening]

    cases = good_or_better(review.judgements["judgement"])
    if cases.n:
        paragraphs.append(
            "Each case record was also given an overall judgement. "
            + headline_sentence(review.judgements["judgement"])
            + f" With only {_plural(cases.n, 'record')}, chance alone could move that share a "
            f"good deal: its 95% interval runs from {_pct0(cases.ci_low)} to "
            f"{_pct0(cases.ci_high)}.")
    ratings = ratings_good_or_better(review.ratings)
    if ratings.n:
        paragraphs.append(
            f"Of the {_plural(ratings.n, 'question rating')}, {_number(ratings.successes)} "
            f"({_pct(ratings.share)}; {_interval(ratings.ci_low, ratings.ci_high)}) were "
            f"Outstanding or Good: {_level_list(review.ratings['rating'])}. "
            + _clustering_words(ratings))
    else:
        paragraphs.append("No question ratings were recorded.")
    return "\n\n".join(paragraphs)


# --------------------------------------------------------------------------- questions

#: How each end of the question list is measured: count column, share column, wording.
_GOOD = ("good_or_better", "share_good", "Outstanding or Good")
_BELOW = ("below_good", "share_ri_or_worse", "below Good")


def _questions(review: Review) -> pd.DataFrame:
    """Per-question summary with counts below Good, questions with no ratings left out."""
    table = question_summary(review.ratings, review.not_applicable, review.catalogue)
    table = table[table["n"] > 0].copy()
    table["below_good"] = table[list(_BELOW_GOOD)].sum(axis=1)
    table["order"] = range(len(table))
    return table


def _name(table: pd.DataFrame, question: str) -> str:
    """``"Person's voice (Q1)"``."""
    return f"{table.loc[question, 'label']} ({question})"


def _names(table: pd.DataFrame, questions: list[str], most: int = 4) -> str:
    """``"A (Q1), B (Q5) and C (Q9)"``; beyond ``most`` names, ``"... and 3 others"``."""
    names = [_name(table, q) for q in questions]
    if len(names) > most:
        rest = len(names) - (most - 1)
        names = [*names[:most - 1], f"{rest} others"]
    return _join(names)


def _proportion(table: pd.DataFrame, question: str, count: str) -> Proportion:
    return Proportion.of(int(table.loc[question, count]), int(table.loc[question, "n"]))


def _ordered(table: pd.DataFrame, share: str) -> pd.DataFrame:
    """Largest share first, then catalogue order."""
    return table.sort_values([share, "order"], ascending=[False, True])


def _at(table: pd.DataFrame, share: str, value: float) -> list[str]:
    """The questions whose share equals ``value`` (in catalogue order)."""
    return [q for q in table.sort_values("order").index
            if math.isclose(table.loc[q, share], value, abs_tol=1e-12)]


def _pick(table: pd.DataFrame, share: str, k: int) -> tuple[list[str], bool]:
    """The k questions with the largest ``share``, plus any tied at the cut-off.

    Returns the question ids (largest share first, then catalogue order) and whether ties
    at the cut-off made the list longer than k.
    """
    ordered = _ordered(table, share)
    if len(ordered) <= k:
        return list(ordered.index), False
    cut = ordered[share].iloc[k - 1]
    chosen = ordered[ordered[share] >= cut - 1e-12]
    return list(chosen.index), len(chosen) > k


def _ties_note(table: pd.DataFrame, chosen: list[str], k: int, measure: tuple[str, str, str]
               ) -> str:
    """Why more than k questions are listed."""
    count, share, wording = measure
    last = chosen[-1]
    tied = _at(table.loc[chosen], share, table.loc[last, share])
    at = f"{_of(table.loc[last, count], table.loc[last, 'n'])} {wording}"
    who = (f"{_names(table, tied, most=len(tied))} are tied at {at}" if len(tied) <= 5
           else f"{len(tied)} questions are tied at {at}")
    return (f"{len(chosen)} questions are listed rather than {k}, because {who}. Choosing "
            "between them would be arbitrary.")


def _next_note(table: pd.DataFrame, candidates: pd.DataFrame, chosen: list[str],
               measure: tuple[str, str, str]) -> str:
    """Which questions come next after those listed (no test: the cut-off is a choice)."""
    count, share, wording = measure
    rest = candidates.drop(index=chosen)
    if rest.empty:
        return ""
    following = _at(rest, share, rest[share].max())
    first = following[0]
    verb = "comes" if len(following) == 1 else "come"
    each = "" if len(following) == 1 else " each"
    return (f"Next {verb} {_names(table, following)}, at "
            f"{_of(table.loc[first, count], table.loc[first, 'n'])} {wording}{each}. Where "
            "the list stops marks where to look first, not a divide between the questions.")


def _permutation_p(p: float, permutations: int) -> str:
    """A permutation p-value with its resolution: ``"p < 0.0005, 2,000 shuffles"``."""
    return f"{_bounded_p(p, permutations)}, {_number(permutations)} shuffles"


def _comparison_note(test: QuestionComparison, table: pd.DataFrame, direction: str,
                     records: str) -> str:
    """Whether the questions differ within records, and which stand out in ``direction``.

    ``direction`` is ``"above"`` (strengths), ``"below"`` (areas for improvement) or
    ``"both"``. Nothing is concluded from the gap between the largest and smallest shares.
    """
    if math.isnan(test.p_value):
        return ""
    how = (f"A test that compares the questions within the same case records (Cochran's "
           f"Q, {_permutation_p(test.p_value, test.permutations)})")
    if not test.differ:
        listed = {"above": "where ratings were most often Outstanding or Good",
                  "below": "where ratings most often fell below Good",
                  "both": "where ratings were most and least often Outstanding or Good"
                  }[direction]
        return (f"{how} gives no clear evidence that the questions differ from one another: "
                f"gaps like these between the questions' shares could arise by chance among "
                f"{records}. So the questions listed are {listed} in these records, not "
                "questions shown to stand out from the rest.")
    per = test.per_question
    sides = ["above", "below"] if direction == "both" else [direction]
    named = []
    for side in sides:
        ids = [q for q in per.index if per.loc[q, "stands_out"] == side and q in table.index]
        if ids:
            verb = "was" if len(ids) == 1 else "were"
            more = "more" if side == "above" else "less"
            named.append(f"{_names(table, ids, most=12)} {verb} rated Outstanding or Good "
                         f"{more} often than the other questions of the same records")
    if not named:
        what = {"above": "above", "below": "below", "both": "above or below"}[direction]
        return (f"{how} finds that the questions do differ, by more than chance would "
                f"readily explain. But no single question stands out {what} the others once "
                "each is compared with the rest and the comparisons are adjusted for their "
                "number (Holm's method).")
    return (f"{how} finds that the questions do differ, by more than chance would readily "
            f"explain. Comparing each question with the others of the same records (Holm's "
            f"adjustment for {_plural(len(per), 'comparison')}): {'; '.join(named)}.")


def _na_note(table: pd.DataFrame, chosen: list[str]) -> str:
    if any(table.loc[q, "not_applicable"] > 0 for q in chosen):
        return ("Where a question did not apply to some case records, its n is smaller: "
                "those answers are left out of the share.")
    return ""


def _all_equal(table: pd.DataFrame, measure: tuple[str, str, str]) -> str:
    """The sentence for when every question has the same share, or ``""``."""
    count, share, wording = measure
    if len(table) < 2 or not math.isclose(table[share].max(), table[share].min(),
                                          abs_tol=1e-12):
        return ""
    first = table.index[0]
    return (f"Every question had the same share of ratings {wording}: "
            f"{_of(table.loc[first, count], table.loc[first, 'n'])}. No question stands out "
            "from the others.")


def strengths(review: Review, k: int = 3) -> str:
    """The questions with the largest share of ratings Outstanding or Good.

    All questions tied at the cut-off are listed (and the text says so) rather than
    choosing between them arbitrarily. Notes say whether the next questions are within
    chance of those listed, and whether the questions at either end differ by more than
    chance would readily explain.

    Parameters
    ----------
    review : Review
        The review.
    k : int, default 3
        How many questions to list, before ties.

    Returns
    -------
    str
        Markdown: a sentence, a table and notes.
    """
    table = _questions(review)
    if table.empty:
        return "No question has any ratings, so there are no strengths to report."
    candidates = table[table["good_or_better"] > 0]
    if candidates.empty:
        return "No question had a rating of Good or better."
    same = _all_equal(table, _GOOD)
    if same:
        return same
    chosen, tied = _pick(candidates, "share_good", k)
    rows = [[_name(table, q), _of(table.loc[q, "good_or_better"], table.loc[q, "n"]),
             f"{_pct0(table.loc[q, 'ci_low'])} to {_pct0(table.loc[q, 'ci_high'])}",
             _number(table.loc[q, "Outstanding"])] for q in chosen]
    parts = [
        "The questions with the largest share of ratings Outstanding or Good were:",
        _table(["Question", "Outstanding or Good", "95% interval", "Of which Outstanding"],
               rows),
    ]
    test = compare_questions(review.ratings, review.catalogue)
    notes = [_ties_note(candidates, chosen, k, _GOOD) if tied else "",
             _na_note(table, chosen),
             _next_note(table, candidates, chosen, _GOOD),
             _comparison_note(test, table, "above", _plural(review.n_cases, "record"))]
    parts += [note for note in notes if note]
    return "\n\n".join(parts)


def areas_for_improvement(review: Review, k: int = 3) -> str:
    """The questions with the largest share of ratings Requires Improvement or Inadequate.

    All questions tied at the cut-off are listed (and the text says so). When no question
    had any rating below Good, says exactly that.

    Parameters
    ----------
    review : Review
        The review.
    k : int, default 3
        How many questions to list, before ties.

    Returns
    -------
    str
        Markdown: a sentence, a table and notes.
    """
    table = _questions(review)
    if table.empty:
        return "No question has any ratings, so there are no areas for improvement to report."
    candidates = table[table["below_good"] > 0]
    if candidates.empty:
        total = int(table["n"].sum())
        return ("No question had a rating below Good. "
                f"All {_plural(total, 'question rating')} were Outstanding or Good.")
    same = _all_equal(table, _BELOW)
    if same:
        return same
    chosen, tied = _pick(candidates, "share_ri_or_worse", k)
    rows = []
    for q in chosen:
        below = _proportion(table, q, "below_good")
        rows.append([_name(table, q), _of(below.successes, below.n),
                     f"{_pct0(below.ci_low)} to {_pct0(below.ci_high)}",
                     _number(table.loc[q, "Inadequate"])])
    parts = [
        "The questions with the largest share of ratings below Good (Requires Improvement or "
        "Inadequate) were:",
        _table(["Question", "Requires Improvement or Inadequate", "95% interval",
                "Of which Inadequate"], rows),
    ]
    notes = [_ties_note(candidates, chosen, k, _BELOW) if tied else "",
             _na_note(table, chosen)]
    if len(chosen) == len(candidates):
        others = len(table) - len(candidates)
        if len(candidates) < k:
            notes.append(f"Only {_plural(len(candidates), 'question')} had any rating below "
                         "Good.")
        elif others:
            notes.append("No other question had a rating below Good.")
    else:
        notes.append(_next_note(table, candidates, chosen, _BELOW))
    test = compare_questions(review.ratings, review.catalogue)
    notes.append(_comparison_note(test, table, "below", _plural(review.n_cases, "record")))
    parts += [note for note in notes if note]
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- change


def _records(n_before: int, n_after: int, unit: str) -> str:
    """``"20 case records in each review"`` or ``"18 and 20 case records"``."""
    if n_before == n_after:
        return f"{_plural(n_after, unit)} in each review"
    return f"{_number(n_before)} and {_plural(n_after, unit)}"


def _change_line(what: str, before: Proportion, after: Proportion, earlier: str, later: str,
                 unit: str) -> tuple[str, bool]:
    change = newcombe_difference(before, after)
    rounded = round(change.difference * 100)
    if rounded > 0:
        moved = f"a rise of {rounded} percentage points"
    elif rounded < 0:
        moved = f"a fall of {-rounded} percentage points"
    elif change.difference == 0:
        moved = "the same share in both reviews"
    else:
        moved = "a difference of less than half a percentage point"
    interval = f"95% interval {_end(change.ci_low)} to {_end(change.ci_high)} points"
    if change.ci_low > 0:
        verdict = ("Even the low end of the interval is a rise, so this is more than chance "
                   "would readily explain.")
    elif change.ci_high < 0:
        verdict = ("Even the high end of the interval is a fall, so this is more than chance "
                   "would readily explain.")
    else:
        verdict = ("The interval includes zero (it runs from a fall to a rise), so there is "
                   f"no clear evidence of a change with {_records(before.n, after.n, unit)}.")
    line = (f"- **{what}**: {_with_interval(before)} in {earlier}; {_with_interval(after)} in "
            f"{later}. That is {moved} ({interval}). {verdict}")
    return line, change.beyond_chance


def change_since_previous(review: Review, previous: Review | None) -> str:
    """Change since the council's previous review.

    Compares the share of case records judged Outstanding or Good (Newcombe's interval for
    the difference) and the share of question ratings Outstanding or Good (Newcombe's
    interval built from each review's interval at its effective n, allowing for ratings
    clustered in records), then gives a Mann-Whitney test of the case records' mean scores
    on all four levels as a supporting check (each record counts once).

    Parameters
    ----------
    review : Review
        The later review.
    previous : Review or None
        The council's earlier review, e.g. from :meth:`Programme.previous_review`.

    Returns
    -------
    str
        Markdown.
    """
    if previous is None:
        return (f"There is no earlier review of {review.council} in the data, so change "
                "since a previous review cannot be shown.")
    earlier, later = previous.cycle, review.cycle
    month = _month(previous)
    when = f" ({month})" if month else ""
    intro = (f"This compares the {later} review with {review.council}'s previous review, in "
             f"the {earlier} cycle{when}. Each review examined its own selection of case "
             "records, perhaps around a different theme and with different auditors, so a "
             "change describes these two sets of records, not necessarily all practice.")
    cases_line, cases_beyond = _change_line(
        "Case records judged Outstanding or Good",
        good_or_better(previous.judgements["judgement"]),
        good_or_better(review.judgements["judgement"]), earlier, later, "case record")
    before_ratings = ratings_good_or_better(previous.ratings)
    after_ratings = ratings_good_or_better(review.ratings)
    ratings_line, ratings_beyond = _change_line(
        "Question ratings Outstanding or Good", before_ratings, after_ratings, earlier,
        later, "question rating")
    ratings_line += (
        f" Both intervals allow for the ratings of one record going together (design "
        f"effects {before_ratings.design_effect:.1f} in {earlier} and "
        f"{after_ratings.design_effect:.1f} in {later}: the ratings carry about as much "
        f"information as {_number(round(before_ratings.effective_n))} and "
        f"{_number(round(after_ratings.effective_n))} independent ones).")
    if cases_beyond and ratings_beyond:
        reading = "Both measures changed by more than chance would readily explain."
    elif ratings_beyond:
        reading = ("The question ratings changed by more than chance would readily explain, "
                   "but for the overall judgements, one per record, there is no clear "
                   "evidence of a change. Taken together, the evidence of change is "
                   "suggestive rather than conclusive.")
    elif cases_beyond:
        reading = ("The overall judgements changed by more than chance would readily explain, "
                   "but for the question ratings there is no clear evidence of a change: the "
                   "change may lie in how records were judged overall rather than question by "
                   "question.")
    else:
        reading = ("For neither measure is there clear evidence of a change: both intervals "
                   "include zero. That is not evidence that nothing changed; 20 or so records "
                   "can show only large changes.")
    levels = (f"Question ratings by level: in {earlier}, "
              f"{_level_list(previous.ratings['rating'])}; in {later}, "
              f"{_level_list(review.ratings['rating'])}.")
    p = case_mann_whitney(previous.ratings, review.ratings)
    if math.isnan(p):
        test = ("A Mann-Whitney test of the case records cannot be run, because every record "
                "in both reviews has the same mean score.")
    else:
        before_mean = case_mean_scores(previous.ratings).mean()
        after_mean = case_mean_scores(review.ratings).mean()
        if after_mean > before_mean:
            lean = f"the {later} records lean towards the better levels"
        elif after_mean < before_mean:
            lean = f"the {later} records lean towards the lower levels"
        else:
            lean = "neither review's records lean towards the better levels"
        if p < 0.05:
            verdict = "a shift this large would be unlikely by chance alone"
        else:
            verdict = "no clear evidence of a shift; one like this could easily arise by chance"
        test = (f"As a supporting check, a Mann-Whitney test compares the two reviews' case "
                f"records on all four levels, not only Good or better, each record counting "
                f"once by its mean score over its questions: {lean} ({_p_value(p)}: "
                f"{verdict}).")
    return "\n\n".join([intro, cases_line + "\n" + ratings_line, reading, levels, test])


# --------------------------------------------------------------------------- programme


def _limits(row: pd.Series, which: str) -> str:
    """``"61% to 99%"``: a council's funnel limits, in words where one cannot be reached.

    To one decimal where whole numbers would make the share look equal to a limit. An
    exact limit beyond 0% or 100% means no share at that n is outside it, and says so.
    """
    low, high = float(row[f"lower{which}"]), float(row[f"upper{which}"])
    share = _pct0(row["share"])
    decimals = 1 if share in (_pct0(low), _pct0(high)) else 0
    if low < 0 and high > 1:
        return "from 0% to 100%: at this n no share can lie outside them"
    if high > 1:
        return (f"from {format_percent(low, decimals)} up: at this n not even 100% lies "
                "above them")
    if low < 0:
        return (f"up to {format_percent(high, decimals)}: at this n not even 0% lies below "
                "them")
    return f"{format_percent(low, decimals)} to {format_percent(high, decimals)}"


def _chance_words(rate: float) -> str:
    """``"about 1 time in 27 (3.7%)"``: how often chance alone gives something."""
    if not rate > 0:
        return "never"
    return f"about 1 time in {round(1 / rate):,} ({format_percent(rate, 1)})"


def _one_limit(row: pd.Series, which: str, side: str) -> str:
    """``"the lower limit is 49%"``, or that no share at this n can pass that side."""
    value = float(row[f"{'upper' if side == 'above' else 'lower'}{which}"])
    if side == "above" and value > 1:
        return "which at this n not even 100% passes"
    if side == "below" and value < 0:
        return "which at this n not even 0% passes"
    decimals = 1 if _pct0(row["share"]) == _pct0(value) else 0
    return (f"the {'upper' if side == 'above' else 'lower'} limit is "
            f"{format_percent(value, decimals)}")


def _position(subject: str, row: pd.Series, unit: str, rate95: float) -> str:
    """Where a share lies against its funnel limits, in plain English.

    ``rate95`` is the chance, with no real difference, of landing beyond the 95% limit on
    the side the council is on, at its n (:func:`review_lib.funnel.chance_outside`).
    """
    flag, n = row["flag"], int(row["n"])
    if flag == "within":
        return (f"{subject} is inside the 95% limits ({_limits(row, '95')}): no clear "
                "evidence that it differs from the programme average. Inside the limits does "
                f"not mean equal to the average: with {_plural(n, unit)} only a large "
                "difference would show.")
    side, direction = ("above", "higher") if flag.startswith("above") else ("below", "lower")
    if flag.endswith("998"):
        return (f"{subject} is {side} the 99.8% limits ({_one_limit(row, '998', side)}): "
                f"{direction} than the programme average by more than chance would readily "
                "explain.")
    return (f"{subject} is {side} the 95% limits ({_one_limit(row, '95', side)}), though "
            f"inside the 99.8% limits ({_one_limit(row, '998', side)}). Even with no real "
            f"difference, a council with {_plural(n, unit)} would land {side} these 95% "
            f"limits by chance alone {_chance_words(rate95)}: worth a closer look, but not "
            "conclusive.")


def _side_rate(table: pd.DataFrame, at: int) -> float:
    """Chance, with no real difference, of a share beyond the 95% limit on this council's side."""
    side = "below" if str(table["flag"].iloc[at]).startswith("below") else "above"
    return float(chance_outside(table, "95", side)[at])


def _effective_words(ratings: pd.DataFrame, council: str) -> str:
    """How a council's ratings are counted on the ratings funnel, in a sentence or two."""
    row = ratings.loc[council]
    used = float(row["design_effect"])
    programme = float(ratings.attrs.get("programme_design_effect", used))
    effective = _number(round(float(row["effective_n"])))
    n = _number(int(row["n"]))
    if used < 1.05:
        return ("The ratings of one record went together no more than chance would give "
                f"(design effect {used:.1f}), so each rating counts once.")
    if used > programme + 1e-9:
        whose = (f"{council}'s own ratings go together more than the programme's (a design "
                 f"effect of {used:.1f}, against {programme:.1f}), so its own figure is used")
    else:
        whose = (f"{council}'s own ratings go together no more than the programme's, so the "
                 f"programme's design effect of {programme:.1f} is used")
    return ("These limits allow for the ratings of one case record going together: each "
            "council's ratings count at their effective number, using its own design effect "
            f"or the programme's, whichever is larger. {whose}: its {n} ratings count as about "
            f"{effective} independent ones.")


def _averages(table: pd.DataFrame, council: str, noun: str, verb: str) -> str:
    """Programme average and the council's share, each with its n."""
    row = table.loc[council]
    total_good, total_n = int(table["successes"].sum()), int(table["n"].sum())
    return (f"Across the programme, {_number(total_good)} of {_plural(total_n, noun)} "
            f"({_pct(total_good / total_n)}) {verb} Outstanding or Good. In {council}, "
            f"{_of(int(row['successes']), int(row['n']))}.")


def position_in_programme(review: Review, programme: Programme, method: str = "exact"
                          ) -> str:
    """How the council compares with the programme average, by funnel limits; never a rank.

    Uses overall judgements (one per case record) and, as a second view, question ratings,
    whose limits allow for the ratings of one record going together (each council's
    ratings count at their effective n, using the programme's design effect). Where
    councils vary more than chance would give (overdispersion ratio above 1.5), the
    position against limits widened for that is given too.

    Parameters
    ----------
    review : Review
        The council's review.
    programme : Programme
        The programme; only the review's cycle is used.
    method : {"exact", "fingertips"}, default "exact"
        How the funnel limits are drawn.

    Returns
    -------
    str
        Markdown.
    """
    cycle = programme.in_cycle(review.cycle)
    councils = sorted({str(r.council) for r in cycle.reviews})
    if len(councils) < MIN_COUNCILS:
        return (f"Only {_plural(len(councils), 'council')} "
                f"{'has' if len(councils) == 1 else 'have'} data for the {review.cycle} "
                "cycle, so a comparison with the programme is not meaningful.")
    council = str(review.council)
    if council not in councils:
        return (f"{council} is not among the {review.cycle} reviews in the data, so no "
                "comparison with the programme is made.")
    funnels = programme_funnels(cycle, method)  # the computation the cross-council report uses
    cases, ratings = funnels.judgements, funnels.ratings
    at = cases.index.get_loc(council)
    share = f"{council}'s share"
    parts = [
        f"In the {review.cycle} cycle, {len(councils)} councils were reviewed. {council} is "
        "compared with the programme average using funnel limits, which allow for chance and "
        "are wider when there are fewer records. Councils are not ranked.",
        "**Overall judgements (one per case record).** "
        + _averages(cases, council, "case record", "were judged") + " "
        + _position(share, cases.loc[council], "case record", _side_rate(cases, at)),
    ]
    rating_text = ("**Question ratings.** "
                   + _averages(ratings, council, "question rating", "were") + " "
                   + _position(share, ratings.loc[council], "question rating",
                               _side_rate(ratings, at))
                   + " " + _effective_words(ratings, council))
    phi = ratings.attrs["overdispersion"].phi
    ratings_flag = ratings.loc[council, "flag"]
    if phi > OVERDISPERSION_THRESHOLD:
        rating_text += (f" The councils' shares of question ratings also vary about "
                        f"{phi:.1f} times as much as chance alone would give (an "
                        f"overdispersion ratio of {phi:.1f}, where chance alone gives about 1 "
                        "or less).")
        adjusted = funnels.ratings_adjusted
        if adjusted.attrs["adjusted"]:
            ratings_flag = adjusted.loc[council, "flag"]
            position = _position(share, adjusted.loc[council], "question rating",
                                 _side_rate(adjusted, at))
            rating_text += " With the limits widened to allow for this, " + position
    rating_text += (" The overall judgements, one per record, remain the main comparison.")
    parts.append(rating_text)
    flags = {cases.loc[council, "flag"], ratings_flag}
    if flags & {"above95", "below95"}:
        parts.append("Among many councils, some fall just outside the 95% limits by chance "
                     "alone, so a share just outside them is a prompt for a closer look rather "
                     "than a finding.")
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- caveats


def sample_caveats(review: Review) -> str:
    """What the review's case records can and cannot show.

    Parameters
    ----------
    review : Review
        The review.

    Returns
    -------
    str
        Markdown: two short lists.
    """
    n = review.n_cases
    n_questions = len(review.catalogue)
    cases = good_or_better(review.judgements["judgement"])
    per_auditor = review.judgements.groupby("auditor", observed=True).size()
    can = [
        f"- Patterns across the {n_questions} questions, which the review team can test "
        "against what they heard from practitioners, managers and people who use services.",
        "- Large differences: a council well outside the funnel limits, or a big change since "
        "a previous review.",
        "- Examples of practice, good and less good, to learn from.",
    ]
    cannot = [
        f"- **What all of the council's practice is like.** The "
        f"{_plural(n, 'case record')} were selected, not drawn at random: the host council "
        "chooses them, often around a theme and with enough recorded to examine. The shares "
        "in this report describe these records, not all practice.",
    ]
    if n:
        width = round((cases.ci_high - cases.ci_low) * 100)
        middle_low, middle_high = wilson_interval(n // 2, n)
        middle = round((middle_high - middle_low) * 100)
        cannot.append(
            f"- **Precise figures.** With {_plural(n, 'record')}, one record more or less "
            f"moves a share by {_points(1 / n, signed=False)} percentage points. The "
            f"{_pct(cases.share)} of records judged Outstanding or Good has a 95% interval "
            f"from {_pct0(cases.ci_low)} to {_pct0(cases.ci_high)}, {width} percentage points "
            f"wide; a share near 50% from {_plural(n, 'record')} would have one about "
            f"{middle} points wide.")
    clustered = ratings_good_or_better(review.ratings)
    worth = (f" Here they carry about as much information as "
             f"{_number(round(clustered.effective_n))} independent ratings (a design effect "
             f"of {clustered.design_effect:.1f}), and every share of ratings in this report "
             "allows for that." if clustered.estimated and clustered.design_effect >= 1.05
             else "")
    cannot += [
        f"- **That {_plural(len(review.ratings), 'rating')} are as many separate pieces of "
        f"evidence.** The {_plural(n_questions, 'rating')} of one record share that record "
        "and its auditor, so the question ratings carry less information than their number "
        f"suggests.{worth}",
        f"- **Differences between auditors.** One auditor rated each record "
        f"({_plural(len(per_auditor), 'auditor')}, each with different records), so an "
        "auditor's way of rating and the records they happened to see cannot be told apart. "
        "No record was rated twice, so agreement between auditors cannot be measured.",
        "- **What a full case file audit would find.** The review is an overview of the "
        "quality of practice from the information provided, not a full case file audit.",
    ]
    return "\n".join([f"What {_plural(n, 'case record')} can show:", "", *can, "",
                      "What they cannot show:", "", *cannot])


def methods_note(method: str = "exact") -> str:
    """A short note on the methods behind every number in the findings.

    Parameters
    ----------
    method : {"exact", "fingertips"}, default "exact"
        How the funnel limits were drawn.

    Returns
    -------
    str
        Markdown: a short list, ending with where the full methods note is.
    """
    if method == "fingertips":
        limits = ("Funnel limits around the programme average at 95% and 99.8%, by the "
                  "public-health Fingertips method (as the PHEindicatormethods package "
                  "computes it). Unlike exact limits, these are not held to their nominal "
                  "rates: with few records chance can put a council outside them more often "
                  "than 5% and 0.2% of the time (around 82% with 20 records, outside the 99.8% "
                  "limits about 0.5% of the time); the cross-council report says how often.")
    else:
        limits = ("Funnel limits around the programme average at 95% and 99.8%, from the "
                  "exact binomial distribution: a council is outside the 95% (99.8%) limits "
                  "when a share at least as far from the average would arise by chance less "
                  "than 2.5% (0.1%) of the time on that side. With few records, chance puts a "
                  "council outside them no more often than that.")
    return "\n".join([
        "- **Scale.** Each question, and each case record overall, is rated on four levels: "
        "Outstanding, Good, Requires Improvement and Inadequate. \"Outstanding or Good\" is "
        "the headline share.",
        "- **Not applicable.** A question that does not apply to a case is not a rating: it "
        "is left out of the count and of the total the share is taken from.",
        "- **95% intervals.** Each share comes with a 95% interval: the range of values "
        "consistent with the data once chance is allowed for. For one value per case record "
        "(overall judgements, or one question) it is the Wilson interval, which behaves well "
        "for small samples and for shares near 0% or 100%.",
        "- **Question ratings are clustered.** The ratings of one record share that record "
        "and its auditor, so they are not independent. Every share of question ratings "
        "carries its design effect (how much clustering inflates its variance), and its "
        "interval is the Wilson interval at the effective number of ratings (the ratings "
        "divided by the design effect).",
        f"- **Comparing councils.** {limits} Inside the 95% limits means no clear evidence of "
        "a difference, not that the council equals the average; outside the 99.8% limits "
        "means more than chance would readily explain. Question ratings are compared at "
        "their effective n. Councils are never ranked.",
        "- **Comparing questions.** Whether the questions differ is tested within the same "
        "records (Cochran's Q with a permutation p-value); a question is said to stand out "
        "only when that test, and its comparison with the other questions adjusted for their "
        "number, support it.",
        "- **Change over time.** The difference between two shares, with Newcombe's 95% "
        "interval for it: when the whole interval is a rise (or a fall), the change is more "
        "than chance would readily explain; an interval that includes zero is no clear "
        "evidence of change. A Mann-Whitney test of the records' mean scores, which uses all "
        "four levels and counts each record once, is a supporting check.",
        "- **More detail.** Each method, its source and what 20 records can and cannot show "
        "are set out in the suite's methods note (docs/methods.md).",
    ])


# --------------------------------------------------------------------------- narrative

_EXTERNAL = re.compile(r"^\s*(?:[A-Za-z][A-Za-z0-9+.\-]*:|//|\\\\)")
_EMBEDDED_IMAGE = re.compile(r"^data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$")
_BLOCKS = re.compile(r"<(script|style|iframe|object|embed|noscript|template|svg|math)\b.*?"
                     r"(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:\-]*(?:\s[^<>]*)?/?>")
_INLINE_LINK = re.compile(
    r"(!?)\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
_REF_DEF = re.compile(r"^ {0,3}\[([^\]\n]+)\]:[ \t]*(<[^>\n]*>|\S+)(?:[ \t]+.*)?$", re.MULTILINE)
_CODE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?(?:^ {0,3}\1[ \t]*$|\Z)|(`+)[^`\n]+?\2",
                   re.MULTILINE | re.DOTALL)
_REF_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\[\]]*\])*)\](?:\[([^\]]*)\])?")
_AUTOLINK = re.compile(r"<((?:[A-Za-z][A-Za-z0-9+.\-]*:|//)[^<>\s]*)>")
_URL_END = r"[^\s<>`)\]]*[^\s<>`)\].,;:!?'\"]"
_BARE_URL = re.compile(rf"(?<![\w`/])((?:https?|ftp|file):(?://)?{_URL_END}|www\.{_URL_END})",
                       re.IGNORECASE)


def _local_target(target: str, image: bool) -> bool:
    """Whether a link or image target stays inside the document."""
    target = target.strip().strip("<>").strip()
    if image:
        return bool(_EMBEDDED_IMAGE.match(target))
    return target.startswith("#")


def _clean_markdown(text: str) -> str:
    """Markdown with raw HTML and links or images pointing outside the document removed.

    Code (fenced blocks and inline code) is set aside first and put back unchanged: a
    renderer shows it as text, so it can load nothing.
    """
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    text = _CODE.sub(keep, text.replace("\x00", ""))
    text = _COMMENT.sub("", text)
    text = _BLOCKS.sub("", text)

    def img_tag(match: re.Match) -> str:
        alt = _ALT.search(match.group(0))
        return next((g for g in alt.groups() if g is not None), "") if alt else ""

    text = _IMG_TAG.sub(img_tag, text)

    def inline(match: re.Match) -> str:
        bang, label, target = match.group(1), match.group(2), match.group(3)
        if _local_target(target, bool(bang)):
            return match.group(0)
        return label

    # Nested forms such as a linked image ([![alt](src)](href)) need more than one pass.
    for _ in range(3):
        text = _INLINE_LINK.sub(inline, text)

    definitions = {m.group(1).strip().casefold(): m.group(2) for m in _REF_DEF.finditer(text)}
    external = {key for key, target in definitions.items()
                if not _local_target(target, image=False)}
    text = _REF_DEF.sub(lambda m: "" if m.group(1).strip().casefold() in external
                        else m.group(0), text)

    def reference(match: re.Match) -> str:
        label, ref = match.group(2), match.group(3)
        key = (ref or label).strip().casefold()
        return label if key in external else match.group(0)

    text = _REF_LINK.sub(reference, text)
    text = _AUTOLINK.sub(lambda m: m.group(0) if m.group(1).startswith("#")
                         else f"`{m.group(1)}`", text)
    text = _TAG.sub("", text)
    text = _BARE_URL.sub(lambda m: f"`{m.group(1)}`", text)
    text = re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


def review_team_narrative(review: Review) -> str | None:
    """The review team's own write-up, from a Markdown file beside the data file.

    The file has the data file's name with ``.md`` in place of its extension (for
    ``dudley.xlsx``, ``dudley.md``). Raw HTML tags are removed (scripts and styles with
    their content), and images and links that point outside the document (``http:``,
    ``https:``, ``//``, ``file:``, relative paths) are reduced to their text, so that a
    report loads nothing from the internet. Bare web addresses are kept as code, so that
    no renderer turns them into links.

    Parameters
    ----------
    review : Review
        The review.

    Returns
    -------
    str or None
        The cleaned Markdown, or None when there is no such file.
    """
    if review.path is None:
        return None
    path = review.path.with_suffix(".md")
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    cleaned = pseudonymise(_clean_markdown(text), review)
    return cleaned if cleaned.strip() else None


def pseudonymise(text: str, review: Review) -> str:
    """Replace every case identifier of the review found in a text by its pseudonym.

    Review teams sometimes name a case by its reference in their notes ("DY-368461 showed
    good practice"); a report shows cases only as "Case 01" ... "Case 20". Identifiers are
    matched whole (not inside longer words or numbers), ignoring case, longest first.

    Parameters
    ----------
    text : str
        Any text, such as the review team's narrative.
    review : Review
        The review whose case identifiers are replaced.

    Returns
    -------
    str
        The text with identifiers replaced.
    """
    pairs = {str(ref): str(name) for ref, name in review.case_pseudonyms().items()}
    refs = sorted((ref for ref in pairs if ref.strip()), key=len, reverse=True)
    if not refs:
        return text
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(r) for r in refs) + r")(?![\w-])",
                         re.IGNORECASE)
    folded = {ref.casefold(): name for ref, name in pairs.items()}
    return pattern.sub(lambda m: folded[m.group(1).casefold()], text)


# --------------------------------------------------------------------------- all


def council_findings(review: Review, programme: Programme, method: str = "exact"
                     ) -> dict[str, str]:
    """Every written finding for one council's review, as ordered sections.

    Parameters
    ----------
    review : Review
        The council's review.
    programme : Programme
        The programme it belongs to (for the previous review and the comparison).
    method : {"exact", "fingertips"}, default "exact"
        How the funnel limits are drawn.

    Returns
    -------
    dict of str to str
        Section title to Markdown, in reading order: Headline, Strengths, Areas for
        improvement, Change since the previous review, How the council compares with the
        programme, Themes from the review team (only when the team's narrative exists),
        What N cases can and cannot show, Methods.
    """
    sections = {
        "Headline": headline(review),
        "Strengths": strengths(review),
        "Areas for improvement": areas_for_improvement(review),
        "Change since the previous review": change_since_previous(
            review, programme.previous_review(review)),
        "How the council compares with the programme": position_in_programme(
            review, programme, method),
    }
    narrative = review_team_narrative(review)
    if narrative is not None:
        sections["Themes from the review team"] = narrative
    sections[f"What {review.n_cases} cases can and cannot show"] = sample_caveats(review)
    sections["Methods"] = methods_note(method)
    return sections


# =========================================================================== regional
#
# Findings across the councils of one programme cycle, for the regional network. The same
# rules hold: plain English, n with every share, intervals the first time, councils
# compared with the programme average by funnel limits and listed alphabetically, never
# ranked.

def _alphabetical(names) -> list[str]:
    """Council names in alphabetical order (never by share: councils are not ranked)."""
    return sorted((str(name) for name in names), key=str.casefold)


def _cycles_words(programme: Programme) -> str:
    """``"the 2022-24 cycle"`` or ``"the 2019 and 2022-24 cycles"``."""
    cycles = programme.cycles
    if len(cycles) == 1:
        return f"the {cycles[0]} cycle"
    return f"the {_join(cycles)} cycles"


def _is_are(count: int) -> str:
    return "is" if count == 1 else "are"


def _was_were(count: int) -> str:
    return "was" if count == 1 else "were"


def _expected(value: float) -> str:
    """An expected count in words: ``"0.7"``, ``"about 1"``, ``"0.03"``."""
    if value >= 0.95 and math.isclose(value, round(value), abs_tol=0.05):
        return f"{round(value)}"
    if value >= 0.1:
        return f"{value:.1f}"
    if value >= 0.01:
        return f"{value:.2f}"
    return f"{value:.1g}" if value > 0 else "0"


def _all_councils(count: int) -> str:
    """``"the one council"``, ``"both councils"``, ``"all 14 councils"``."""
    if count == 1:
        return "the one council"
    if count == 2:
        return "both councils"
    return f"all {_plural(count, 'council')}"


def _range_words(values, unit: str) -> str:
    """``"20 case records in each council"`` or ``"between 18 and 20 ... per council"``."""
    values = [int(v) for v in values]
    if not values:
        return f"no {unit}s"
    if min(values) == max(values):
        return f"{_plural(values[0], unit)} in each council"
    return f"between {min(values)} and {_plural(max(values), unit)} per council"


def regional_headline(programme_cycle: Programme) -> str:
    """The headline numbers for a programme cycle, across all its councils.

    How many councils, case records and question ratings there were; the programme-wide
    share of case records judged Outstanding or Good and of question ratings Outstanding or
    Good, each with its Wilson 95% interval and n.

    Parameters
    ----------
    programme_cycle : Programme
        The reviews of one cycle, e.g. ``programme.in_cycle("2022-24")``.

    Returns
    -------
    str
        Markdown.
    """
    reviews = programme_cycle.reviews
    if not reviews:
        return "There are no reviews in the data for this cycle, so there is nothing to report."
    councils = _alphabetical({r.council for r in reviews})
    n_councils = len(councils)
    judgements = programme_cycle.judgements
    ratings = programme_cycle.ratings
    n_na = len(programme_cycle.not_applicable)
    per_council = judgements.groupby(judgements["council"].astype(str)).size()
    team = "Its review team" if n_councils == 1 else "Their review teams"
    spread = "" if n_councils == 1 else f" ({_range_words(per_council, 'record')})"
    opening = (f"In {_cycles_words(programme_cycle)} of the Practice Review programme, "
               f"{_plural(n_councils, 'council')} {_was_were(n_councils)} reviewed: "
               f"{_join(councils)}. {team} examined "
               f"{_plural(len(judgements), 'case record')}{spread} and rated each record "
               "against the "
               f"{_plural(len(programme_cycle.catalogue), 'question')} of the audit tool")
    if n_na:
        answers = "One answer was" if n_na == 1 else f"{_number(n_na)} answers were"
        opening += (f". {answers} marked not applicable and left out of every count and "
                    f"share, which leaves {_plural(len(ratings), 'question rating')}.")
    else:
        opening += f": {_plural(len(ratings), 'question rating')} in all."
    paragraphs = [opening]

    cases = good_or_better(judgements["judgement"])
    if cases.n:
        paragraphs.append(
            f"Across the programme, {_number(cases.successes)} of the "
            f"{_plural(cases.n, 'case record')} ({_pct(cases.share)}; "
            f"{_interval(cases.ci_low, cases.ci_high)}) were judged Outstanding or Good "
            f"overall: {_level_list(judgements['judgement'])}.")
    rated = ratings_good_or_better(ratings)
    if rated.n:
        paragraphs.append(
            f"Of the {_plural(rated.n, 'question rating')}, {_number(rated.successes)} "
            f"({_pct(rated.share)}; {_interval(rated.ci_low, rated.ci_high)}) were "
            f"Outstanding or Good: {_level_list(ratings['rating'])}. "
            + _clustering_words(rated))
    else:
        paragraphs.append("No question ratings were recorded.")
    paragraphs.append(
        "These shares pool every council's records. Each council chose its own records, so "
        "they describe these records rather than all practice in the region. How each "
        "council compares with the programme average, allowing for chance, is set out "
        "below; councils are not ranked.")
    return "\n\n".join(paragraphs)


# --------------------------------------------------------------------------- questions


def programme_questions(programme_cycle: Programme, k: int = 3) -> str:
    """The questions at either end across the programme, pooling every council's ratings.

    Lists the k questions with the largest share of ratings Outstanding or Good and the k
    with the smallest (all questions tied at a cut-off are listed, and the text says so),
    each with its Wilson 95% interval and n, then says whether the next questions are
    within chance of those listed and whether the two ends differ by more than chance.

    Parameters
    ----------
    programme_cycle : Programme
        The reviews of one cycle.
    k : int, default 3
        How many questions to list at each end, before ties.

    Returns
    -------
    str
        Markdown: sentences, two tables and notes.
    """
    table = _questions(programme_cycle)
    if table.empty:
        return "No question has any ratings, so no question can be picked out."
    n_councils = len({str(r.council) for r in programme_cycle.reviews})
    n_values = sorted({int(n) for n in table["n"]})
    each = (f"{_number(n_values[0])} ratings" if len(n_values) == 1
            else f"between {_number(n_values[0])} and {_plural(n_values[-1], 'rating')}")
    intro = (f"Pooling the ratings of {_all_councils(n_councils)}, each question has {each}. "
             "The share of ratings Outstanding or Good is given for each question with its 95% "
             "interval.")
    same = _all_equal(table, _GOOD)
    if same:
        return "\n\n".join([intro, same])
    parts = [intro]

    strong = table[table["good_or_better"] > 0]
    if strong.empty:
        parts.append("No question had a rating of Good or better.")
    else:
        chosen, tied = _pick(strong, "share_good", k)
        rows = [[_name(table, q), _of(table.loc[q, "good_or_better"], table.loc[q, "n"]),
                 f"{_pct0(table.loc[q, 'ci_low'])} to {_pct0(table.loc[q, 'ci_high'])}",
                 _number(table.loc[q, "Outstanding"])] for q in chosen]
        parts += ["**Where practice was strongest.** The questions with the largest share of "
                  "ratings Outstanding or Good across the programme were:",
                  _table(["Question", "Outstanding or Good", "95% interval",
                          "Of which Outstanding"], rows)]
        notes = [_ties_note(strong, chosen, k, _GOOD) if tied else "",
                 _next_note(table, strong, chosen, _GOOD)]
        parts += [note for note in notes if note]

    weak = table[table["below_good"] > 0]
    if weak.empty:
        parts.append("No question had a rating below Good anywhere in the programme.")
    else:
        chosen, tied = _pick(weak, "share_ri_or_worse", k)
        rows = []
        for q in chosen:
            rows.append([_name(table, q), _of(table.loc[q, "good_or_better"], table.loc[q, "n"]),
                         f"{_pct0(table.loc[q, 'ci_low'])} to {_pct0(table.loc[q, 'ci_high'])}",
                         _of(table.loc[q, "below_good"], table.loc[q, "n"]),
                         _number(table.loc[q, "Inadequate"])])
        parts += ["**Where practice most often fell short of Good.** The questions with the "
                  "smallest share of ratings Outstanding or Good (the largest share Requires "
                  "Improvement or Inadequate) were:",
                  _table(["Question", "Outstanding or Good", "95% interval", "Below Good",
                          "Of which Inadequate"], rows)]
        notes = [_ties_note(weak, chosen, k, _BELOW) if tied else ""]
        if len(chosen) == len(weak):
            if len(weak) < k:
                notes.append(f"Only {_plural(len(weak), 'question')} had any rating below "
                             "Good.")
        else:
            notes.append(_next_note(table, weak, chosen, _BELOW))
        parts += [note for note in notes if note]

    test = compare_questions(programme_cycle.ratings, programme_cycle.catalogue)
    records = _plural(test.cases, "record")
    parts += [note for note in (_na_note(table, list(table.index)),
                                _comparison_note(test, table, "both", records)) if note]
    differ = (f" But the records come from {_plural(n_councils, 'council')}, whose practice "
              "and review teams differ, so the real uncertainty is larger than the intervals "
              "show." if n_councils > 1 else "")
    parts.append(
        "Each question's interval counts one rating per case record, so no record is counted "
        f"twice.{differ} Read the order of the questions as a guide to where to look, and a "
        "gap of a few percentage points as no gap at all. Whether councils differ from each "
        "other on a question is tested separately, question by question.")
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- funnel limits


def _funnel_groups(table: pd.DataFrame) -> dict[str, list[str]]:
    """Councils by flag, each list in alphabetical order."""
    return {flag: _alphabetical(table.index[table["flag"] == flag]) for flag in
            ("above998", "below998", "above95", "below95", "within")}


def _funnel_entry(table: pd.DataFrame, council: str, which: str | None) -> str:
    """``"Kestrel Vale, 20 of 20 (100%)"``, with the council's limits when asked for."""
    row = table.loc[council]
    text = (f"{council}, {_number(int(row['successes']))} of {_number(int(row['n']))} "
            f"({_pct(row['share'])}")
    if (table.attrs.get("axis") == "effective_n"
            and abs(float(row["effective_n"]) - float(row["n"])) >= 0.5):
        text += f"; effective n {_number(round(float(row['effective_n'])))}"
    if which:
        label = "99.8%" if which == "998" else "95%"
        text += f"; {label} limits {_limits(row, which)}"
    return text + ")"


def _funnel_lines(table: pd.DataFrame) -> list[str]:
    """Markdown bullets naming the councils outside the limits, then those within."""
    groups = _funnel_groups(table)
    varied = len(set(np.round(funnel_x(table), 6))) > 1
    lines = []
    wording = {
        "above998": ("**Above the 99.8% limits** (higher than the programme average by more "
                     "than chance would readily explain)", "998"),
        "below998": ("**Below the 99.8% limits** (lower than the programme average by more "
                     "than chance would readily explain)", "998"),
        "above95": ("**Above the 95% limits only** (inside the 99.8% limits: worth a closer "
                    "look, but not conclusive)", "95"),
        "below95": ("**Below the 95% limits only** (inside the 99.8% limits: worth a closer "
                    "look, but not conclusive)", "95"),
    }
    for flag, (words, which) in wording.items():
        if groups[flag]:
            entries = [_funnel_entry(table, c, which if varied else None) for c in groups[flag]]
            lines.append(f"- {words}: {'; '.join(entries)}.")
    within = groups["within"]
    inside = ("**Inside the 95% limits** (no clear evidence of a difference from the "
              "programme average; not the same as being equal to it)")
    if within and len(within) == len(table):
        lines.append(f"- {inside}: all {_plural(len(within), 'council')} ({_join(within)}).")
    elif within:
        other = "the other council" if len(within) == 1 else f"the other {len(within)} councils"
        lines.append(f"- {inside}: {other} ({_join(within)}).")
    return lines


def _common_limits(table: pd.DataFrame, unit: str) -> str:
    """The limits, when every council has the same n; ``""`` otherwise."""
    if len(set(np.round(funnel_x(table), 6))) != 1:
        return (f"The limits depend on each council's number of {unit}s, so they are given "
                "beside each council named outside them.")
    row = table.iloc[0]
    target = float(table.attrs.get("target", 0.5))
    if not 0 < target < 1:
        return ("Every record in the programme was judged the same way, so no council's share "
                "can differ from the average.")
    return (f"For a council with {_plural(int(row['n']), unit)}, the 95% limits "
            f"{_run(row, '95')}. The 99.8% limits {_run(row, '998')}.")


def _run(row: pd.Series, which: str) -> str:
    """``"run from 61% to 99%"`` or ``"run from 49% up: ..."``."""
    text = _limits(row, which)
    return f"run from {text}" if text[0].isdigit() else f"run {text}"


def _programme_average(table: pd.DataFrame, unit: str, verb: str) -> str:
    good, total = int(table["successes"].sum()), int(table["n"].sum())
    return (f"Across the programme, {_number(good)} of {_plural(total, unit)} "
            f"({_pct(good / total)}) {verb} Outstanding or Good.")


def _in_short(table: pd.DataFrame, lead: str) -> str:
    """One sentence naming the councils outside the 99.8% limits, or saying there are none."""
    groups = _funnel_groups(table)
    above, below = groups["above998"], groups["below998"]
    if above and below:
        return (f"{lead}, {_join(above)} {_is_are(len(above))} above and "
                f"{_join(below)} {_is_are(len(below))} below the programme average by more "
                "than chance would readily explain.")
    if above or below:
        names = above or below
        side = "above" if above else "below"
        return (f"{lead}, {_join(names)} {_is_are(len(names))} {side} the programme "
                "average by more than chance would readily explain.")
    near = groups["above95"] + groups["below95"]
    if not near:
        return (f"{lead}, {_all_councils(len(table))} are inside the 95% limits: there is no "
                "clear evidence that any council differs from the programme average.")
    return (f"{lead}, no council is outside the 99.8% limits, so none differs from the "
            "programme average by more than chance would readily explain; "
            f"{_join(_alphabetical(near))} {_is_are(len(near))} just outside the 95% limits.")


def _chance_sentence(table: pd.DataFrame, unit: str) -> str:
    """How many councils chance alone would put outside the limits actually drawn."""
    k = len(table)
    expected95 = float(chance_outside(table, "95").sum())
    expected998 = float(chance_outside(table, "998").sum())
    rates95 = chance_outside(table, "95")
    if not expected95 > 0:
        return ("Even if every council's practice were the same, no council could fall "
                "outside these limits by chance: at these numbers of records no share is "
                "unlikely enough.")
    if len(set(np.round(funnel_x(table), 6))) == 1:
        each = (f"each council, with {_plural(int(table['n'].iloc[0]), unit)}, would fall "
                f"outside the 95% limits by chance alone {_chance_words(expected95 / k)}")
    else:
        each = (f"a council would fall outside the 95% limits by chance alone between "
                f"{format_percent(float(rates95.min()), 1)} and "
                f"{format_percent(float(rates95.max()), 1)} of the time, depending on its n")
    if table.attrs.get("method") == "exact":
        how = ("exact limits keep this at or below 5%, less where few records make every "
               "share a whole number of records")
    else:
        how = ("Fingertips limits are not held to their nominal 5% and 0.2%: with few records "
               "they can be crossed by chance more often")
    return (f"Even if every council's practice were the same, {each} ({how}): about "
            f"{_expected(expected95)} of the {k} councils here, on average. Chance alone "
            f"would put about {_expected(expected998)} of the {k} outside the 99.8% limits.")


def councils_outside_limits(judgement_funnel: pd.DataFrame, rating_funnel: pd.DataFrame,
                            rating_funnel_adjusted: pd.DataFrame | None = None) -> str:
    """The councils outside the funnel limits, named, never ranked.

    Overall judgements (one per case record) are the main comparison. Question ratings are
    a second view, with limits at each council's effective n (the ratings of one record go
    together); where councils vary more than chance would give (overdispersion ratio above
    :data:`OVERDISPERSION_THRESHOLD`), the position against limits widened for that is
    given too. Councils are listed alphabetically. How many councils chance alone would
    put outside the limits is computed from the limits drawn
    (:func:`review_lib.funnel.chance_outside`).

    Parameters
    ----------
    judgement_funnel : pandas.DataFrame
        :func:`review_lib.funnel.funnel_table` of overall judgements (``good_counts(...,
        "judgement")``).
    rating_funnel : pandas.DataFrame
        The same for question ratings, with the programme's design effect.
    rating_funnel_adjusted : pandas.DataFrame, optional
        The same with ``overdispersion=True``.

    Returns
    -------
    str
        Markdown.
    """
    k = len(judgement_funnel)
    if k < MIN_COUNCILS:
        return (f"Only {_plural(k, 'council')} {'has' if k == 1 else 'have'} data for this "
                "cycle, so comparing councils with the programme average is not meaningful.")
    groups = _funnel_groups(judgement_funnel)
    outside95 = k - len(groups["within"])
    parts = [
        "Each council's share is compared with the programme average using funnel limits, "
        "which allow for chance and are wider when a council has fewer records. Councils "
        "are listed alphabetically, not ranked.",
        _in_short(judgement_funnel, "On overall judgements"),
        "**Overall judgements (one per case record): the main comparison.** "
        + _programme_average(judgement_funnel, "case record", "were judged") + " "
        + _common_limits(judgement_funnel, "case record"),
        "\n".join(_funnel_lines(judgement_funnel)),
    ]
    chance = _chance_sentence(judgement_funnel, "case record")
    near = len(groups["above95"]) + len(groups["below95"])
    if outside95 and near:
        chance += (f" So the {_plural(near, 'council')} just outside the 95% limits "
                   f"{_is_are(near)} a prompt for a closer look rather than a finding.")
    parts.append(chance)

    deff = float(rating_funnel.attrs.get("programme_design_effect")
                 or rating_funnel.attrs.get("design_effect") or 1.0)
    if float(rating_funnel["design_effect"].max()) >= 1.05:
        clustering = ("The ratings of one case record share that record and its auditor, so "
                      f"they go together: within councils the design effect is {deff:.1f}, "
                      "and each council's ratings are compared at their effective number "
                      "(its ratings divided by its own design effect or the programme's "
                      f"{deff:.1f}, whichever is larger), which widens the limits "
                      "accordingly.")
    else:
        clustering = ("Within councils the ratings of one record went together no more than "
                      f"chance would give (design effect {deff:.1f}), so each rating counts "
                      "once.")
    rating_text = ["**Question ratings: a second view.** "
                   + _programme_average(rating_funnel, "question rating", "were") + " "
                   + clustering]
    rating_text.append("\n".join(_funnel_lines(rating_funnel)))
    estimate = rating_funnel.attrs.get("overdispersion")
    phi = estimate.phi if estimate is not None else math.nan
    ratio = (f"an overdispersion ratio of {phi:.2f}" if phi < 10 else
             f"an overdispersion ratio of {phi:.1f}") + ", where chance alone gives about 1 or less"
    if phi > OVERDISPERSION_THRESHOLD:
        spread = (f"The councils' shares of question ratings vary about {phi:.1f} times as "
                  f"much as chance alone would give, even allowing for clustering ({ratio}).")
        if (rating_funnel_adjusted is not None
                and rating_funnel_adjusted.attrs.get("adjusted", False)):
            rating_text.append(
                spread + " " + _in_short(rating_funnel_adjusted,
                                         "With the limits widened to allow for this (the "
                                         "random-effects adjustment FunnelPlotR uses, on the "
                                         "arcsine scale)"))
            rating_text.append("\n".join(_funnel_lines(rating_funnel_adjusted)))
        else:
            rating_text.append(spread + " Limits widened to allow for this are not shown.")
    elif not math.isnan(phi):
        how = "no more than" if phi <= 1 else "only a little more than"
        rating_text.append(
            "Once clustering is allowed for, and leaving aside the most extreme councils (the "
            "spread is measured with the tenth of councils furthest from the average at each "
            "end pulled in, as FunnelPlotR does), the councils' shares of question ratings "
            f"vary {how} chance alone would give ({ratio}), so the limits are not widened "
            "further.")
    rating_text.append("The overall judgements, one per record, remain the main comparison.")
    parts += rating_text
    return "\n\n".join(part for part in parts if part)


# --------------------------------------------------------------------------- question tests

_SMALL_SHARE = re.compile(r"^(\d+)% of expected counts are below 5")


def _question_label(tests: pd.DataFrame, question: str) -> str:
    label = tests.loc[question, "label"] if "label" in tests else question
    return f"{label} ({question})" if label != question else str(question)


def _question_labels(tests: pd.DataFrame, questions, most: int = 12) -> str:
    names = [_question_label(tests, q) for q in questions]
    if len(names) > most:
        rest = len(names) - (most - 1)
        names = [*names[:most - 1], f"{rest} others"]
    return _join(names)


def _per_council(tests: pd.DataFrame) -> int:
    """About how many ratings each council has per question."""
    tested = tests[tests["groups"] > 0]
    if tested.empty:
        return 0
    return round(float((tested["n"] / tested["groups"]).median()))


def _cochran_note(tests: pd.DataFrame) -> str:
    """How many questions met Cochran's rule, and why the others did not."""
    n_questions = len(tests)
    met = [q for q in tests.index if bool(tests.loc[q, "chi2_used"])]
    rule = ("Cochran's rule (every expected count at least 1, and no more than 20% of them "
            "below 5)")
    if len(met) == n_questions:
        return (f"All {n_questions} questions met {rule}, so a chi-square test of councils "
                "by level is given beside each as a check.")
    shares = [int(m.group(1)) for note in tests["chi2_note"].astype(str)
              if (m := _SMALL_SHARE.match(note))]
    if shares and min(shares) == max(shares):
        why = f"{shares[0]}% of expected counts were below 5"
    elif shares:
        why = f"between {min(shares)}% and {max(shares)}% of expected counts were below 5"
    else:
        why = "too many expected counts were small"
    spread = (f"With about {_per_council(tests)} ratings per council spread over four levels, "
              "the rarer levels have few expected ratings in each council: for the questions "
              f"that did not meet the rule, {why}.")
    if not met:
        return (f"None of the {n_questions} questions met {rule}. {spread} So no chi-square "
                "result is given: it would not be reliable.")
    these = "it" if len(met) == 1 else "these"
    return (f"{len(met)} of the {n_questions} questions met {rule}: "
            f"{_question_labels(tests, met)}. For {these}, a chi-square test of councils by "
            f"level is given as a check. {spread}")


def _set_aside_note(councils: list[str], tests: pd.DataFrame) -> str:
    """What the tests say once the councils outside the limits are set aside."""
    names = _join(_alphabetical(councils))
    testable = tests[tests["p_permutation"].notna()]
    remaining = int(tests["groups"].max()) if len(tests) else 0
    lead = (f"Setting aside {names} (outside the 99.8% limits on overall judgements) and "
            f"testing the other {_plural(remaining, 'council')} again")
    if testable.empty or remaining < 2:
        return f"{lead} is not possible: too few councils or ratings remain."
    beyond = [q for q in testable.index if bool(testable.loc[q, "beyond_chance"])]
    if not beyond:
        them = "that council" if len(councils) == 1 else "those councils"
        return (f"{lead}, no question differs by more than chance would readily explain. "
                f"Among the others there is no clear evidence of a difference on any question, "
                f"so the differences found may lie with {them}.")
    if len(beyond) == len(testable):
        return (f"{lead}, every question still differs by more than chance would readily "
                "explain, so the differences are not only about those councils.")
    return (f"{lead}, {_plural(len(beyond), 'question')} still "
            f"{'differs' if len(beyond) == 1 else 'differ'} by more than chance would readily "
            f"explain: {_question_labels(tests, beyond)}. For the others, there is no clear "
            f"evidence of a difference once {names} {'is' if len(councils) == 1 else 'are'} "
            "set aside.")


def _bounded_p(p: float, permutations: int, floor: float | None = None) -> str:
    """A permutation p-value as a bound where no shuffle reached the observed statistic.

    ``"p < 0.0005"`` for a raw p-value at its floor of 1/(1 + permutations); for a
    Holm-adjusted one whose raw p-value (``floor``) was at its floor, ``"p ≤ 0.006"``.
    """
    smallest = 1.0 / (1 + permutations)
    at_floor = (floor if floor is not None else p) <= smallest + 1e-15
    if not at_floor:
        return _p_value(p)
    if floor is None:
        digits = max(0, -math.floor(math.log10(smallest)))
        return f"p < {math.ceil(smallest * 10 ** digits) / 10 ** digits:g}"
    return f"p ≤ {p:.3f}"


def question_differences(tests: pd.DataFrame, permutations: int = 2000,
                         set_aside: tuple[list[str], pd.DataFrame] | None = None) -> str:
    """Which questions' ratings differ across councils beyond chance, and why this test.

    Parameters
    ----------
    tests : pandas.DataFrame
        From :func:`review_lib.stats.question_tests`.
    permutations : int, default 2000
        The relabellings behind the permutation p-values (as passed to
        ``question_tests``), for the explanation.
    set_aside : tuple of (list of str, pandas.DataFrame), optional
        Councils set aside (e.g. those outside the 99.8% limits) and the tests repeated
        without them: says whether the differences remain among the other councils.

    Returns
    -------
    str
        Markdown: the finding, a table and a plain explanation of the choice of test.
    """
    if tests.empty:
        return "There are no questions to test."
    n_questions = len(tests)
    testable = tests[tests["p_permutation"].notna()]
    untestable = [q for q in tests.index if q not in testable.index]
    groups = int(tests["groups"].max())
    if testable.empty:
        if groups < 2:
            return ("Only one council has ratings, so whether councils differ on each "
                    "question cannot be tested.")
        return ("No question could be tested: on every question, every rating was at the "
                "same level, so there is no difference between councils to find.")
    beyond = [q for q in testable.index if bool(testable.loc[q, "beyond_chance"])]
    within = [q for q in testable.index if q not in beyond]
    councils = _plural(groups, "council")
    adjust = (f"once the p-values are adjusted for testing {_plural(n_questions, 'question')} "
              "at once")
    if beyond and not within:
        first = (f"For every one of the {_plural(len(beyond), 'question')} tested, ratings "
                 f"differ between the {councils} by more than chance would readily explain, "
                 f"{adjust}.")
    elif beyond:
        first = (f"For {len(beyond)} of the {_plural(len(testable), 'question')} tested, "
                 f"ratings differ between the {councils} by more than chance would readily "
                 f"explain, {adjust}: {_question_labels(tests, beyond)}. For the other "
                 f"{len(within)} ({_question_labels(tests, within)}), there is no clear "
                 "evidence that councils differ.")
    else:
        first = (f"For none of the {_plural(len(testable), 'question')} tested do ratings "
                 f"differ between the {councils} by more than chance would readily explain, "
                 f"{adjust}: there is no clear evidence that councils differ on any question. "
                 "That is not evidence that they rate alike: with about 20 ratings per council "
                 "per question, only large differences would show.")
    paragraphs = [first]
    if untestable:
        verb = "was" if len(untestable) == 1 else "were"
        paragraphs.append(
            f"{_question_labels(tests, untestable)} {verb} not tested: every rating was at "
            "the same level, or fewer than two councils had ratings.")
    if beyond:
        if set_aside is not None and set_aside[0]:
            paragraphs.append(_set_aside_note(*set_aside))
        paragraphs.append(
            "A test like this says that councils differ on a question, not which councils or "
            "why: one or two councils well away from the rest are enough. And because one "
            "auditor rates each record and review teams differ between councils, differences "
            "in how auditors rate are part of what is being tested.")
    show_chi2 = bool(tests["chi2_used"].any())
    header = ["Question", "Councils", "Ratings", "Kruskal-Wallis H",
              f"p (permutation, {_number(permutations)} shuffles)", "p (Holm-adjusted)",
              "Beyond chance?"]
    if show_chi2:
        header.insert(6, "p (chi-square)")
    rows = []
    for q in tests.index:
        row = tests.loc[q]
        tested = not math.isnan(row["p_permutation"])
        cells = [_question_label(tests, q), _number(row["groups"]), _number(row["n"]),
                 f"{row['H']:.1f}" if tested else "not tested",
                 _bounded_p(row["p_permutation"], permutations) if tested else "",
                 _bounded_p(row["p_holm"], permutations,
                            floor=row["p_permutation"]) if tested else "",
                 ("Yes" if row["beyond_chance"] else "No") if tested else ""]
        if show_chi2:
            cells.insert(6, _p_value(row["chi2_p"]) if row["chi2_used"] else "not used")
        rows.append(cells)
    paragraphs.append(_table(header, rows))
    smallest = 1 / (1 + permutations)
    paragraphs.append(
        "**Why this test.** The ratings are ordered (Inadequate, Requires Improvement, Good, "
        f"Outstanding) but are not measurements, and each council has only about "
        f"{_per_council(tests)} ratings per question. So a rank-based test is used: the "
        "Kruskal-Wallis test, which asks whether some councils' ratings sit higher or lower "
        "in the order than others', without treating the four levels as equally spaced "
        "numbers. Its usual p-value leans "
        "on an approximation that is rough with so few ratings per council and so many tied "
        "at the same level, so the p-value here comes from a permutation test instead: the "
        f"council labels were shuffled at random {_number(permutations)} times (with a fixed "
        "seed, so the result repeats), and the p-value is the share of shuffles that gave a "
        "difference at least as large as the one seen. The smallest p-value this can give is "
        f"about {smallest:.4f}.")
    paragraphs.append(
        f"With {_plural(n_questions, 'question')} tested, some would cross the usual 5% line "
        "by chance alone, so the p-values are adjusted by Holm's method, which allows for "
        "the number of tests. A question counts as differing beyond chance when its adjusted "
        "p-value is below 0.05.")
    paragraphs.append(
        "A chi-square test of councils by level is used only where the expected counts allow. "
        + _cochran_note(tests))
    return "\n\n".join(paragraphs)


# --------------------------------------------------------------------------- change


def _repeat_pairs(programme: Programme, cycle: str | None) -> list[tuple[Review, Review]]:
    """(earlier, later) review pairs, one per council reviewed more than once."""
    pairs = []
    councils: dict[str, list[Review]] = {}
    for review in programme.reviews:
        councils.setdefault(str(review.council).casefold(), []).append(review)
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


def _cell(proportion: Proportion) -> str:
    """``"13 of 20 (65%; 43% to 82%)"``."""
    return (f"{_number(proportion.successes)} of {_number(proportion.n)} "
            f"({_pct(proportion.share)}; {_pct0(proportion.ci_low)} to "
            f"{_pct0(proportion.ci_high)})")


def changes_between_cycles(programme: Programme, cycle: str | None = None) -> str:
    """Change in the share of case records judged Outstanding or Good, council by council.

    For each council reviewed in more than one cycle, its latest review is compared with
    the one before it (Newcombe's 95% interval for the difference). Councils are listed
    alphabetically, never by the size of their change.

    Parameters
    ----------
    programme : Programme
        The whole programme (every cycle).
    cycle : str, optional
        Only councils reviewed in this cycle, comparing that review with the one before
        it. By default each council's latest review.

    Returns
    -------
    str
        Markdown: a sentence, a table and a plain statement of which changes go beyond
        chance.
    """
    if cycle is not None:
        cycle = normalise_cycle(cycle) or cycle
    pairs = _repeat_pairs(programme, cycle)
    if not pairs:
        if cycle is not None and any(r.cycle == cycle for r in programme.reviews):
            return (f"None of the councils reviewed in the {cycle} cycle has an earlier review "
                    "in the data, so change between cycles cannot be shown.")
        return ("No council was reviewed in more than one cycle in the data, so change "
                "between cycles cannot be shown.")
    names = [str(later.council) for _, later in pairs]
    rows, rises, falls, within = [], [], [], []
    for earlier, later in pairs:
        before = good_or_better(earlier.judgements["judgement"])
        after = good_or_better(later.judgements["judgement"])
        change = newcombe_difference(before, after)
        council = str(later.council)
        if change.ci_low > 0:
            reading = "Yes: a rise beyond chance"
            rises.append(council)
        elif change.ci_high < 0:
            reading = "Yes: a fall beyond chance"
            falls.append(council)
        else:
            reading = "No clear evidence: the interval includes zero"
            within.append(council)
        rows.append([council, f"{earlier.cycle}: {_cell(before)}",
                     f"{later.cycle}: {_cell(after)}",
                     f"{_points(change.difference)} points ({_end(change.ci_low)} to "
                     f"{_end(change.ci_high)})", reading])
    count = len(pairs)
    intro = (f"{_plural(count, 'council')} {_was_were(count)} reviewed in more than one "
             f"cycle: {_join(names)}. For each, the share of case records judged Outstanding "
             "or Good in its latest review is compared with its review before that, with a "
             "95% interval for the change. Each review examined its own selection of records, "
             "perhaps around a different theme and with different auditors, so a change "
             "describes these two sets of records, not necessarily all practice.")
    table = _table(["Council", "Earlier review: Outstanding or Good (95% interval)",
                    "Later review: Outstanding or Good (95% interval)",
                    "Change in percentage points (95% interval)", "Beyond chance?"], rows)
    moved = []
    if rises:
        moved.append(f"a rise for {_join(rises)}")
    if falls:
        moved.append(f"a fall for {_join(falls)}")
    if moved:
        beyond = len(rises) + len(falls)
        statement = (f"The change goes beyond chance for {_plural(beyond, 'council')}: "
                     f"{' and '.join(moved)}. The whole of "
                     f"{'its' if beyond == 1 else 'each'} 95% interval lies on one side of "
                     "zero.")
        if within:
            statement += (f" For {_join(within)}, there is no clear evidence of a change with "
                          "20 or so records in each review: the interval includes zero (it "
                          "runs from a fall to a rise).")
    elif count == 1:
        statement = (f"For {names[0]} there is no clear evidence of a change: the interval "
                     "includes zero (it runs from a fall to a rise).")
    else:
        statement = (f"None of the {count} changes goes beyond chance: for each council the "
                     "interval includes zero (it runs from a fall to a rise), so there is no "
                     "clear evidence of a change, though 20 or so records in each review can "
                     "show only large ones.")
    parts = [intro, table, statement]
    if count > 1:
        anyone = 1 - 0.95 ** count
        parts.append(
            f"With {count} councils compared, there would be about a {anyone:.0%} chance that "
            "at least one interval left out zero by chance alone, even if nothing had changed "
            "anywhere" + (": a single change just beyond chance is a prompt for a closer look."
                          if rises or falls else "."))
    rated = {"rise": [], "fall": []}
    for earlier, later in pairs:
        change = newcombe_difference(ratings_good_or_better(earlier.ratings),
                                     ratings_good_or_better(later.ratings))
        if change.beyond_chance:
            rated["rise" if change.difference > 0 else "fall"].append(str(later.council))
    moved_ratings = [f"{_join(names)} ({'a ' + kind if len(names) == 1 else kind + 's'})"
                     for kind, names in rated.items() if names]
    parts.append("Each council's own findings also compare its question ratings between the "
                 "two reviews, allowing for the ratings of one record going together: "
                 + (f"there the change goes beyond chance for {' and '.join(moved_ratings)}, "
                    "which the overall judgements above do not show as clearly."
                    if moved_ratings else "for none of these councils does that change go "
                    "beyond chance either."))
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- caveats


def regional_caveats(programme_cycle: Programme, method: str = "exact") -> str:
    """What a cross-council comparison of Practice Reviews can and cannot bear.

    Parameters
    ----------
    programme_cycle : Programme
        The reviews of one cycle.
    method : {"exact", "fingertips"}, default "exact"
        How the funnel limits are drawn.

    Returns
    -------
    str
        Markdown: a short list.
    """
    from review_lib.clustered import programme_design_effect

    judgements = programme_cycle.judgements
    within = programme_design_effect(programme_cycle.ratings)
    pooled = ratings_good_or_better(programme_cycle.ratings)
    n_councils = len({str(r.council) for r in programme_cycle.reviews})
    per_council = judgements.groupby(judgements["council"].astype(str)).size()
    auditors = (judgements.assign(council=judgements["council"].astype(str),
                                  auditor=judgements["auditor"].astype(str))
                .groupby("council")["auditor"].nunique())
    n_questions = len(programme_cycle.catalogue)
    n_ratings = len(programme_cycle.ratings)
    if len(auditors) and auditors.min() == auditors.max():
        teams = f"{_plural(int(auditors.iloc[0]), 'auditor')} in each council"
    elif len(auditors):
        teams = (f"between {auditors.min()} and {_plural(int(auditors.max()), 'auditor')} "
                 "per council")
    else:
        teams = "no auditors recorded"
    items = [
        f"- **Auditors and councils are entangled.** One auditor rated each case record "
        f"({teams}), and each review had its own team. An auditor's way of rating cannot be "
        "told apart from the practice in the records they happened to see, and auditors may "
        "differ between councils, so part of a difference between councils may be a "
        "difference between review teams. No record was rated twice, so agreement between "
        "auditors cannot be measured.",
        "- **Councils chose their own records.** Each host council selected its records, "
        "often around a theme of its own and with enough recorded to examine, not at random. "
        "So councils are not strictly comparable: a council that chose harder cases may look "
        "weaker. The funnel limits allow for chance, not for how the records were chosen.",
        f"- **Ratings are clustered.** The {_plural(n_questions, 'rating')} of one case "
        "record share that record and its auditor, so the "
        f"{_plural(n_ratings, 'question rating')} carry far less information than their "
        "number suggests"
        + (f": within councils the design effect is {within:.1f}, so they are worth about "
           f"{_number(round(n_ratings / within))} independent ratings"
           + (f" (across the programme as a whole it is {pooled.design_effect:.1f}, because "
              "differences between councils add to it)"
              if pooled.design_effect > within + 0.05 else "")
           + ". Every comparison of ratings here allows for that, but the overall judgements, "
           "one per record, remain the main comparison." if n_ratings else "."),
    ]
    if len(per_council):
        n = int(per_council.median())
        cases = good_or_better(judgements["judgement"])
        text = (f"- **{_range_words(per_council, 'case record').capitalize()}.** With "
                f"{_plural(n, 'record')}, one record more or less moves a council's share by "
                f"{_points(1 / n, signed=False)} percentage points.")
        if 0 < cases.share < 1 and n_councils >= MIN_COUNCILS:
            table = programme_funnels(programme_cycle, method).judgements
            low, high = limits_at(table, n, "95")
            below = f"below {_pct0(low)}" if low > 0 else ""
            above = f"above {_pct0(high)}" if high < 1 else ""
            where = " or ".join(part for part in (below, above) if part)
            if where:
                text += (f" Around the programme average of {_pct(cases.share)}, a council's "
                         f"share would have to be {where} before it stood outside the 95% "
                         "limits, so only large differences between councils can be seen.")
        items.append(text)
    if n_councils:
        items.append(
            "- **What a review can show.** Each review is an overview of the quality of "
            "practice from the information provided, not a full case file audit, and these "
            "findings compare the councils' selected records, not their whole services.")
    return "\n".join(items)


# --------------------------------------------------------------------------- all


def regional_methods_note(method: str = "exact") -> str:
    """The methods note, with the cross-council tests added.

    Parameters
    ----------
    method : {"exact", "fingertips"}, default "exact"
        How the funnel limits are drawn.

    Returns
    -------
    str
        Markdown: a short list.
    """
    text = methods_note(method).replace(
        " A Mann-Whitney test of the records' mean scores, which uses all four levels and "
        "counts each record once, is a supporting check.", "")
    return text + "\n" + (
        "- **Differences between councils, question by question.** A Kruskal-Wallis rank "
        "test across councils, because ratings are ordered levels and each council has about "
        "20 per question, with a permutation p-value because the usual approximation is "
        "rough with so few ratings and so many ties. The p-values are adjusted for testing "
        "every question (Holm's method). A chi-square test is used only where expected "
        "counts allow (Cochran's rule).")


def regional_findings(programme: Programme, cycle: str, method: str = "exact"
                      ) -> dict[str, str]:
    """Every written regional finding for one programme cycle, as ordered sections.

    Parameters
    ----------
    programme : Programme
        The whole programme (earlier cycles are used for change between cycles; later
        ones are ignored).
    cycle : str
        The cycle to report on, e.g. ``"2022-24"``.
    method : {"exact", "fingertips"}, default "exact"
        How the funnel limits are drawn.

    Returns
    -------
    dict of str to str
        Section title to Markdown, in reading order: Headline, Questions across the
        programme, Councils against the programme average, Differences between councils,
        question by question, Change between cycles, Caveats, Methods.

    Raises
    ------
    KeyError
        When the programme has no review in ``cycle``.
    """
    cycle = normalise_cycle(cycle) or cycle
    cycle_programme = programme.in_cycle(cycle)
    if not cycle_programme.reviews:
        available = ", ".join(programme.cycles) or "none"
        raise KeyError(f"no reviews in cycle {cycle!r}; available: {available}")
    n_councils = len({str(r.council) for r in cycle_programme.reviews})
    if n_councils >= MIN_COUNCILS:
        funnels = programme_funnels(cycle_programme, method)
        judgements = funnels.judgements
        comparison = councils_outside_limits(judgements, funnels.ratings,
                                             funnels.ratings_adjusted)
    else:
        comparison = (f"Only {_plural(n_councils, 'council')} "
                      f"{'has' if n_councils == 1 else 'have'} data for the {cycle} cycle, "
                      "so comparing councils with the programme average is not meaningful.")
    permutations = 2000
    tests = question_tests(cycle_programme.ratings, cycle_programme.catalogue,
                           permutations=permutations)
    set_aside = None
    if n_councils >= MIN_COUNCILS and tests["beyond_chance"].any():
        outside = [str(c) for c in judgements.index
                   if judgements.loc[c, "flag"] in ("above998", "below998")]
        if outside:
            rest = cycle_programme.ratings[
                ~cycle_programme.ratings["council"].astype(str).isin(outside)]
            set_aside = (outside, question_tests(rest, cycle_programme.catalogue,
                                                 permutations=permutations))
    up_to = Programme([r for r in programme.reviews if r.cycle <= cycle], programme.catalogue,
                      programme.problems)
    return {
        "Headline": regional_headline(cycle_programme),
        "Questions across the programme": programme_questions(cycle_programme),
        "Councils against the programme average": comparison,
        "Differences between councils, question by question": question_differences(
            tests, permutations, set_aside),
        "Change between cycles": changes_between_cycles(up_to, cycle),
        "Caveats": regional_caveats(cycle_programme, method),
        "Methods": regional_methods_note(method),
    }
