"""A council's written findings: headline, questions, change, position, caveats."""

from __future__ import annotations

import math

import pandas as pd

from review_lib.analysis.paired import QuestionComparison
from review_lib.analysis.results import FunnelPoint, ReviewResults
from review_lib.analysis.stats import (
    Change,
)
from review_lib.analysis.summary import (
    format_percent,
    headline_sentence,
)
from review_lib.report.claims import claimed, stated
from review_lib.report.wording.phrases import (
    MIN_COUNCILS,
    OVERDISPERSION_THRESHOLD,
    _bounded_p,
    _clustering_words,
    _end,
    _interval,
    _join,
    _level_list,
    _month,
    _number,
    _of,
    _p_value,
    _pct,
    _pct0,
    _plural,
    _points,
    _points_words,
    _table,
    _with_interval,
)

# --------------------------------------------------------------------------- formatting

# --------------------------------------------------------------------------- headline


def _scope(results: ReviewResults, **more) -> dict:
    """What a claim about this review is about."""
    return {"council": results.council, "cycle": results.cycle, **more}


def headline(results: ReviewResults, review_dates: str | None = None) -> str:
    """The headline paragraphs, in the style of a published Practice Review report.

    How many case records, auditors and question ratings there were; the overall-judgement
    sentence of :func:`review_lib.analysis.summary.headline_sentence` with its 95% interval; the
    share of question ratings Outstanding or Good with its interval and n; and how many
    answers were marked not applicable, where there are any.

    Parameters
    ----------
    results : ReviewResults
        The review's results (:func:`review_lib.analysis.results.analyse_review`).
    review_dates : str, optional
        When the review took place, as the review team's notes give it; by default the
        review month of the data. The report gives the dates one way throughout.

    Returns
    -------
    str
        Markdown.
    """
    n_cases = results.n_cases
    n_questions = results.n_questions
    n_ratings = results.n_ratings
    n_na = results.n_not_applicable
    per_auditor = list(results.cases_per_auditor.values())
    n_auditors = len(per_auditor)
    if n_auditors and min(per_auditor) == max(per_auditor):
        each = f" ({per_auditor[0]} each)"
    elif n_auditors:
        each = f" (between {min(per_auditor)} and {max(per_auditor)} each)"
    else:
        each = ""
    month = review_dates or _month(results.review_month)
    when = f" ({stated(month, 'review_dates', _scope(results), dates=month)})" if month else ""
    examined = stated(f"{_plural(n_auditors, 'auditor')} examined "
                      f"{_plural(n_cases, 'case record')}{each}", "records", _scope(results),
                      n_cases=n_cases, auditors=n_auditors,
                      per_auditor=(per_auditor[0] if n_auditors
                                   and min(per_auditor) == max(per_auditor) else None))
    opening = (f"In the {results.cycle} Practice Review of {results.council}{when}, "
               f"{examined} and rated each record against the "
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

    cases = results.cases
    if cases.n:
        paragraphs.append(
            "Each case record was also given an overall judgement. "
            + headline_sentence(results.overall_counts)
            + f" With only {_plural(cases.n, 'record')}, chance alone could move that share a "
            f"good deal: its 95% interval runs from {_pct0(cases.ci_low)} to "
            f"{_pct0(cases.ci_high)}.")
    ratings = results.ratings
    if ratings.n:
        share = stated(f"Of the {_plural(ratings.n, 'question rating')}, "
                       f"{_number(ratings.successes)} ({_pct(ratings.share)}",
                       "share", _scope(results), measure="ratings",
                       successes=ratings.successes, n=ratings.n)
        levels = stated(_level_list(results.rating_counts), "level_counts", _scope(results),
                        measure="ratings", counts=results.rating_counts)
        paragraphs.append(
            f"{share}; {_interval(ratings.ci_low, ratings.ci_high)}) were "
            f"Outstanding or Good: {levels}. " + _clustering_words(ratings))
    else:
        paragraphs.append("No question ratings were recorded.")
    return "\n\n".join(paragraphs)


# --------------------------------------------------------------------------- questions

#: How each end of the question list is measured: count column, share column, wording.
_GOOD = ("good_or_better", "share_good", "Outstanding or Good")
_BELOW = ("below_good", "share_ri_or_worse", "below Good")


def _questions(results: ReviewResults) -> pd.DataFrame:
    """The per-question table, questions with no ratings left out, with catalogue order."""
    table = results.rated_questions.copy()
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


def _counted(results: ReviewResults, table: pd.DataFrame, question: str, count: str) -> str:
    """``"13 of 20 (65%)"``: one question's count, stated as a claim."""
    value, n = int(table.loc[question, count]), int(table.loc[question, "n"])
    return stated(_of(value, n), "question_count", _scope(results, question=question),
                  measure=count, count=value, n=n)


def strengths(results: ReviewResults, k: int = 3) -> str:
    """The questions with the largest share of ratings Outstanding or Good.

    All questions tied at the cut-off are listed (and the text says so) rather than
    choosing between them arbitrarily. Notes say whether the next questions are within
    chance of those listed, and whether the questions at either end differ by more than
    chance would readily explain.

    Parameters
    ----------
    results : ReviewResults
        The review's results.
    k : int, default 3
        How many questions to list, before ties.

    Returns
    -------
    str
        Markdown: a sentence, a table and notes.
    """
    table = _questions(results)
    if table.empty:
        return "No question has any ratings, so there are no strengths to report."
    candidates = table[table["good_or_better"] > 0]
    if candidates.empty:
        return "No question had a rating of Good or better."
    same = _all_equal(table, _GOOD)
    if same:
        return same
    chosen, tied = _pick(candidates, "share_good", k)
    rows = [[_name(table, q), _counted(results, table, q, "good_or_better"),
             f"{_pct0(table.loc[q, 'ci_low'])} to {_pct0(table.loc[q, 'ci_high'])}",
             _number(table.loc[q, "Outstanding"])] for q in chosen]
    parts = [
        stated("The questions with the largest share of ratings Outstanding or Good were:",
               "question_top", _scope(results), measure="good_or_better", questions=chosen),
        _table(["Question", "Outstanding or Good", "95% interval", "Of which Outstanding"],
               rows),
    ]
    test = results.question_comparison
    notes = [_ties_note(candidates, chosen, k, _GOOD) if tied else "",
             _na_note(table, chosen),
             _next_note(table, candidates, chosen, _GOOD),
             _comparison_note(test, table, "above", _plural(results.n_cases, "record"))]
    parts += [note for note in notes if note]
    return "\n\n".join(parts)


def areas_for_improvement(results: ReviewResults, k: int = 3) -> str:
    """The questions with the largest share of ratings Requires Improvement or Inadequate.

    All questions tied at the cut-off are listed (and the text says so). When no question
    had any rating below Good, says exactly that.

    Parameters
    ----------
    results : ReviewResults
        The review's results.
    k : int, default 3
        How many questions to list, before ties.

    Returns
    -------
    str
        Markdown: a sentence, a table and notes.
    """
    table = _questions(results)
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
        rows.append([_name(table, q), _counted(results, table, q, "below_good"),
                     f"{_pct0(table.loc[q, 'below_ci_low'])} to "
                     f"{_pct0(table.loc[q, 'below_ci_high'])}",
                     _number(table.loc[q, "Inadequate"])])
    parts = [
        stated("The questions with the largest share of ratings below Good (Requires "
               "Improvement or Inadequate) were:", "question_top", _scope(results),
               measure="below_good", questions=chosen),
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
    test = results.question_comparison
    notes.append(_comparison_note(test, table, "below", _plural(results.n_cases, "record")))
    parts += [note for note in notes if note]
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- change


def _records(n_before: int, n_after: int, unit: str) -> str:
    """``"20 case records in each review"`` or ``"18 and 20 case records"``."""
    if n_before == n_after:
        return f"{_plural(n_after, unit)} in each review"
    return f"{_number(n_before)} and {_plural(n_after, unit)}"


def _change_line(what: str, change: Change, earlier: str, later: str, unit: str, *,
                 scope: dict, measure: str) -> str:
    before, after = change.before, change.after
    rounded = round(change.difference * 100)
    if rounded > 0:
        moved = f"a rise of {_points_words(rounded)}"
    elif rounded < 0:
        moved = f"a fall of {_points_words(rounded)}"
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
    text = (f"{_with_interval(before)} in {earlier}; {_with_interval(after)} in {later}. "
            f"That is {moved} ({interval}). {verdict}")
    stated(text, "change", scope, measure=measure, previous_cycle=earlier,
           before_successes=before.successes, before_n=before.n,
           after_successes=after.successes, after_n=after.n, points=rounded,
           clear=bool(change.ci_low > 0 or change.ci_high < 0))
    return f"- **{what}**: {text}"


def change_since_previous(results: ReviewResults, earlier_cycle: str | None = None) -> str:
    """Change since the council's previous review.

    Compares the share of case records judged Outstanding or Good (Newcombe's interval for
    the difference) and the share of question ratings Outstanding or Good (Newcombe's
    interval built from each review's interval at its effective n, allowing for ratings
    clustered in records), then gives a Mann-Whitney test of the case records' mean scores
    on all four levels as a supporting check (each record counts once).

    Parameters
    ----------
    results : ReviewResults
        The later review's results; :attr:`~ReviewResults.change` holds the comparison.
    earlier_cycle : str, optional
        The cycle of an earlier review that the data hold only as notes (its
        recommendations), with no case-level figures.

    Returns
    -------
    str
        Markdown.
    """
    change = results.change
    if change is None and earlier_cycle:
        return stated(f"The previous review of {results.council}, in the {earlier_cycle} "
                      "cycle, has no case-level figures in the data, so change since then "
                      "cannot be shown.", "earlier_review", _scope(results), exists=True,
                      earlier_cycle=earlier_cycle, with_ratings=False)
    if change is None:
        return stated(f"There is no earlier review of {results.council} in the data, so "
                      "change since a previous review cannot be shown.", "earlier_review",
                      _scope(results), exists=False)
    earlier, later = change.previous_cycle, results.cycle
    month = _month(change.previous_month)
    when = f" ({month})" if month else ""
    intro = (f"This compares the {later} review with {results.council}'s previous review, in "
             f"the {earlier} cycle{when}. Each review examined its own selection of case "
             "records, perhaps around a different theme and with different auditors, so a "
             "change describes these two sets of records, not necessarily all practice.")
    cases_line = _change_line("Case records judged Outstanding or Good", change.cases,
                              earlier, later, "case record", scope=_scope(results),
                              measure="judgements")
    before_ratings, after_ratings = change.ratings.before, change.ratings.after
    ratings_line = _change_line("Question ratings Outstanding or Good", change.ratings,
                                earlier, later, "question rating", scope=_scope(results),
                                measure="ratings")
    ratings_line += (
        f" Both intervals allow for the ratings of one record going together (design "
        f"effects {before_ratings.design_effect:.1f} in {earlier} and "
        f"{after_ratings.design_effect:.1f} in {later}: the ratings carry about as much "
        f"information as {_number(round(before_ratings.effective_n))} and "
        f"{_number(round(after_ratings.effective_n))} independent ones).")
    cases_beyond, ratings_beyond = change.cases.beyond_chance, change.ratings.beyond_chance
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
              f"{_level_list(change.previous_rating_counts)}; in {later}, "
              f"{_level_list(results.rating_counts)}.")
    p = change.mann_whitney_p
    if math.isnan(p):
        test = ("A Mann-Whitney test of the case records cannot be run, because every record "
                "in both reviews has the same mean score.")
    else:
        if p < 0.05 and change.mean_score != change.previous_mean_score:
            towards = "better" if change.mean_score > change.previous_mean_score else "lower"
            lean = (f"the {later} records lean towards the {towards} levels ({_p_value(p)}: a "
                    "shift this large would be unlikely by chance alone)")
        else:
            towards = None
            lean = (f"no clear evidence that either review's records lean towards the better "
                    f"levels ({_p_value(p)}: a shift like this could easily arise by chance)")
        lean = stated(lean, "lean", _scope(results), previous_cycle=earlier,
                      direction=towards, p=p)
        test = (f"As a supporting check, a Mann-Whitney test compares the two reviews' case "
                f"records on all four levels, not only Good or better, each record counting "
                f"once by its mean score over its questions: {lean}.")
    return "\n\n".join([intro, cases_line + "\n" + ratings_line, reading, levels, test])


# --------------------------------------------------------------------------- programme


def _limits(row: pd.Series, which: str) -> str:
    """``"61% to 99%"``: a council's funnel limits, in words where one cannot be reached.

    To one decimal where whole numbers would make the share look equal to a limit. An
    exact limit beyond 0% or 100% means no share at that n is outside it, and says so.
    """
    low, high = float(getattr(row, f"lower{which}")), float(getattr(row, f"upper{which}"))
    share = _pct0(row.share)
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
    value = float(getattr(row, f"{'upper' if side == 'above' else 'lower'}{which}"))
    if side == "above" and value > 1:
        return "which at this n not even 100% passes"
    if side == "below" and value < 0:
        return "which at this n not even 0% passes"
    decimals = 1 if _pct0(row.share) == _pct0(value) else 0
    return (f"the {'upper' if side == 'above' else 'lower'} limit is "
            f"{format_percent(value, decimals)}")


def _position(subject: str, row: pd.Series, unit: str, rate95: float) -> str:
    """Where a share lies against its funnel limits, in plain English.

    ``rate95`` is the chance, with no real difference, of landing beyond the 95% limit on
    the side the council is on, at its n (:func:`review_lib.analysis.funnel.chance_outside`).
    """
    flag, n = row.flag, int(row.n)
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


def _effective_words(point: FunnelPoint, council: str, programme: float) -> str:
    """How a council's ratings are counted on the ratings funnel, in a sentence or two."""
    used = point.design_effect
    effective = _number(round(point.effective_n))
    n = _number(point.n)
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


def _averages(point: FunnelPoint, council: str, noun: str, verb: str, scope: dict,
              councils: tuple[str, ...]) -> str:
    """Programme average (saying that it includes the council) and the council's share.

    The claim records that the average is of every council of the cycle (``includes_all``)
    rather than listing them: a council's own report, its claims file too, names no other
    council (:func:`review_lib.report.council.named_councils`).
    """
    total_good, total_n = point.programme_successes, point.programme_n
    measure = "judgements" if point.measure == "judgements" else "ratings"
    average = stated(f"Across all {len(councils)} councils of the programme, {council} included, "
                     f"{_number(total_good)} of {_plural(total_n, noun)} "
                     f"({_pct(total_good / total_n)}) {verb} Outstanding or Good",
                     "programme_average", scope, measure=measure, successes=total_good,
                     n=total_n, councils=len(councils), includes_all=True,
                     includes_council=True)
    own = stated(f"In {council}, {_of(point.successes, point.n)}", "share", scope,
                 measure=measure, successes=point.successes, n=point.n)
    return f"{average}. {own}."


def position_in_programme(results: ReviewResults) -> str:
    """How the council compares with the programme average, by funnel limits; never a rank.

    Uses overall judgements (one per case record) and, as a second view, question ratings,
    whose limits allow for the ratings of one record going together (each council's
    ratings count at their effective n, using the programme's design effect). Where
    councils vary more than chance would give (overdispersion ratio above 1.5), the
    position against limits widened for that is given too.

    Parameters
    ----------
    results : ReviewResults
        The council's results, analysed with its programme
        (:attr:`~ReviewResults.position`).

    Returns
    -------
    str
        Markdown.
    """
    position, council, cycle = results.position, results.council, results.cycle
    if position is None:
        count = results.cycle_councils
        if count < MIN_COUNCILS:
            return (f"Only {_plural(count, 'council')} "
                    f"{'has' if count == 1 else 'have'} data for the {cycle} "
                    "cycle, so a comparison with the programme is not meaningful.")
        return (f"{council} is not among the {cycle} reviews in the data, so no "
                "comparison with the programme is made.")
    cases, ratings = position.judgements, position.ratings
    share = f"{council}'s share"
    parts = [
        f"In the {cycle} cycle, {len(position.councils)} councils were reviewed. {council} is "
        "compared with the programme average using funnel limits, which allow for chance and "
        "are wider when there are fewer records. Councils are not ranked.",
        "**Overall judgements (one per case record).** "
        + _averages(cases, council, "case record", "were judged", _scope(results),
                    position.councils) + " "
        + _position(share, cases, "case record", cases.chance_beyond_95),
    ]
    rating_text = ("**Question ratings.** "
                   + _averages(ratings, council, "question rating", "were", _scope(results),
                               position.councils) + " "
                   + _position(share, ratings, "question rating", ratings.chance_beyond_95)
                   + " " + _effective_words(ratings, council, position.programme_design_effect))
    phi = position.phi
    ratings_flag = ratings.flag
    if phi > OVERDISPERSION_THRESHOLD:
        rating_text += (f" The councils' shares of question ratings also vary about "
                        f"{phi:.1f} times as much as chance alone would give (an "
                        f"overdispersion ratio of {phi:.1f}, where chance alone gives about 1 "
                        "or less).")
        adjusted = position.ratings_adjusted
        if adjusted is not None:
            ratings_flag = adjusted.flag
            rating_text += (" With the limits widened to allow for this, "
                            + _position(share, adjusted, "question rating",
                                        adjusted.chance_beyond_95))
    rating_text += (" The overall judgements, one per record, remain the main comparison.")
    parts.append(rating_text)
    flags = {cases.flag, ratings_flag}
    if flags & {"above95", "below95"}:
        parts.append("Among many councils, some fall just outside the 95% limits by chance "
                     "alone, so a share just outside them is a prompt for a closer look rather "
                     "than a finding.")
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- caveats


def _selection_words(n: int, selection: str | None, scope: dict) -> str:
    """How the records were chosen, as the review team's notes say (or that they do not)."""
    records = _plural(n, "case record")
    if selection == "random":
        text = (f"The {records} were drawn at random by the host council, as the review "
                "team's notes say; even so, they come from the work the council drew them "
                "from, and so many records show only large differences.")
    elif selection == "chosen":
        text = (f"The {records} were chosen by the host council, not drawn at random, as "
                "the review team's notes say: often around a theme and with enough recorded "
                "to examine. The shares in this report describe these records, not all "
                "practice.")
    else:
        text = (f"The review team's notes do not say how the {records} were chosen. Host "
                "councils usually choose them, often around the theme, rather than drawing "
                "them at random, so the shares in this report describe these records, not "
                "all practice.")
    return stated(text, "selection", scope, how=selection)


def sample_caveats(results: ReviewResults, selection: str | None = None) -> str:
    """What the review's case records can and cannot show.

    Parameters
    ----------
    results : ReviewResults
        The review's results.
    selection : {"random", "chosen"}, optional
        How the host council chose the records, as the notes say (None: not said).

    Returns
    -------
    str
        Markdown: two short lists.
    """
    n = results.n_cases
    n_questions = results.n_questions
    cases = results.cases
    can = [
        f"- Patterns across the {n_questions} questions, which the review team can test "
        "against what they heard from practitioners, managers and people who use services.",
        "- Large differences: a council well outside the funnel limits, or a big change since "
        "a previous review.",
        "- Examples of practice, good and less good, to learn from.",
    ]
    cannot = [
        "- **What all of the council's practice is like.** "
        + _selection_words(n, selection, _scope(results)),
    ]
    if n:
        width = round((cases.ci_high - cases.ci_low) * 100)
        middle = round(results.interval_width_at_half * 100)
        cannot.append(
            f"- **Precise figures.** With {_plural(n, 'record')}, one record more or less "
            f"moves a share by {_points(1 / n, signed=False)} percentage points. The "
            f"{_pct(cases.share)} of records judged Outstanding or Good has a 95% interval "
            f"from {_pct0(cases.ci_low)} to {_pct0(cases.ci_high)}, {width} percentage points "
            f"wide; a share near 50% from {_plural(n, 'record')} would have one about "
            f"{middle} points wide.")
    clustered = results.ratings
    worth = (f" Here they carry about as much information as "
             f"{_number(round(clustered.effective_n))} independent ratings (a design effect "
             f"of {clustered.design_effect:.1f}), and every share of ratings in this report "
             "allows for that." if clustered.estimated and clustered.design_effect >= 1.05
             else "")
    cannot += [
        f"- **That {_plural(results.n_ratings, 'rating')} are as many separate pieces of "
        f"evidence.** The {_plural(n_questions, 'rating')} of one record share that record "
        "and its auditor, so the question ratings carry less information than their number "
        f"suggests.{worth}",
        f"- **Differences between auditors.** One auditor rated each record "
        f"({_plural(results.n_auditors, 'auditor')}, each with different records), so an "
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


# --------------------------------------------------------------------------- all


def council_findings(results: ReviewResults, narrative: str | None = None, *,
                     review_dates: str | None = None, earlier_cycle: str | None = None,
                     selection: str | None = None) -> dict[str, str]:
    """Every written finding for one council's review, as ordered sections.

    Parameters
    ----------
    results : ReviewResults
        The council's results, analysed with its programme
        (:func:`review_lib.analysis.results.analyse_review`).
    narrative : str, optional
        The review team's own notes, made safe (:func:`~.notes.review_team_narrative`).
    review_dates : str, optional
        When the review took place, as the notes give it (else the data's review month).
    earlier_cycle : str, optional
        The cycle of an earlier review held only as notes, with no case-level figures.
    selection : {"random", "chosen"}, optional
        How the host council chose the records, as the notes say.

    Returns
    -------
    dict of str to ClaimedText
        Section title to Markdown, in reading order: Headline, Strengths, Areas for
        improvement, Change since the previous review, How the council compares with the
        programme, Themes from the review team (only when there is a narrative), What N
        cases can and cannot show, Methods. Each carries the claims its sentences state
        (:mod:`review_lib.report.claims`).
    """
    sections = {
        "Headline": claimed(headline, results, review_dates),
        "Strengths": claimed(strengths, results),
        "Areas for improvement": claimed(areas_for_improvement, results),
        "Change since the previous review": claimed(change_since_previous, results,
                                                    earlier_cycle),
        "How the council compares with the programme": claimed(position_in_programme,
                                                               results),
    }
    if narrative is not None:
        sections["Themes from the review team"] = claimed(str, narrative)
    sections[f"What {results.n_cases} cases can and cannot show"] = claimed(
        sample_caveats, results, selection)
    sections["Methods"] = claimed(methods_note, results.method)
    return sections
