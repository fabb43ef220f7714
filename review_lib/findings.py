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
"""

from __future__ import annotations

import math
import re
from datetime import datetime

import pandas as pd

from review_lib.loading import Programme, Review
from review_lib.scale import GOOD_OR_BETTER, LEVELS
from review_lib.stats import funnel_table, good_counts, mann_whitney, newcombe_difference, scores
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
    ratings = good_or_better(review.ratings["rating"])
    if ratings.n:
        paragraphs.append(
            f"Of the {_plural(ratings.n, 'question rating')}, {_number(ratings.successes)} "
            f"({_pct(ratings.share)}; {_interval(ratings.ci_low, ratings.ci_high)}) were "
            f"Outstanding or Good: {_level_list(review.ratings['rating'])}.")
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


def _gap(change) -> str:
    """``"35 percentage points (95% interval 9 to 57 points)"``, signs where the ends differ."""
    signed = change.ci_low < 0 < change.ci_high
    return (f"{_points(change.difference, signed=False)} percentage points (95% interval "
            f"{_points(change.ci_low, signed=signed)} to "
            f"{_points(change.ci_high, signed=signed)} points)")


def _per_question(table: pd.DataFrame) -> str:
    n_values = sorted(set(int(n) for n in table["n"]))
    if len(n_values) == 1:
        return f"{n_values[0]} ratings per question"
    return f"{n_values[0]} to {n_values[-1]} ratings per question"


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
    """How far behind the listed questions the next ones are."""
    count, share, wording = measure
    rest = candidates.drop(index=chosen)
    if rest.empty:
        return ""
    following = _at(rest, share, rest[share].max())
    first = following[0]
    change = newcombe_difference(_proportion(table, first, count),
                                 _proportion(table, chosen[-1], count))
    verb = "comes" if len(following) == 1 else "come"
    each = "" if len(following) == 1 else " each"
    text = (f"Next {verb} {_names(table, following)}, at "
            f"{_of(table.loc[first, count], table.loc[first, 'n'])} {wording}{each}. ")
    if change.beyond_chance:
        return text + ("The gap to the questions listed is more than chance would readily "
                       "explain.")
    them = "it" if len(following) == 1 else "them"
    return text + (f"The gap between {them} and the questions listed, {_gap(change)}, is "
                   "within what chance would give: the line drawn here marks where to look "
                   "first, not a real divide.")


def _spread_note(table: pd.DataFrame, measure: tuple[str, str, str]) -> str:
    """Whether the questions at either end differ by more than chance would give."""
    count, share, wording = measure
    ordered = _ordered(table, share)
    top_share, bottom_share = ordered[share].iloc[0], ordered[share].iloc[-1]
    if math.isclose(top_share, bottom_share, abs_tol=1e-12):
        return ""
    tops, bottoms = _at(table, share, top_share), _at(table, share, bottom_share)
    high = _proportion(table, tops[0], count)
    low = _proportion(table, bottoms[0], count)
    change = newcombe_difference(low, high)
    ends = (f"Across all {len(table)} questions, the largest share {wording} was "
            f"{_with_interval(high)}, for {_names(table, tops)}; the smallest was "
            f"{_with_interval(low)}, for {_names(table, bottoms)}.")
    if change.beyond_chance:
        return (f"{ends} The gap of {_gap(change)} is more than chance would readily explain, "
                "so the questions at either end do differ. The ratings of different "
                "questions come from the same case records, so treat this as a guide rather "
                "than a formal test.")
    return (f"{ends} Their 95% intervals overlap, and the gap of {_gap(change)} is within what "
            f"chance would give with {_per_question(table)}: no question clearly stands apart "
            "from the others.")


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
    notes = [_ties_note(candidates, chosen, k, _GOOD) if tied else "",
             _na_note(table, chosen),
             _next_note(table, candidates, chosen, _GOOD),
             _spread_note(table, _GOOD)]
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
    notes.append(_spread_note(table, _BELOW))
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
    else:
        moved = "no change to the nearest percentage point"
    interval = f"95% interval {_points(change.ci_low)} to {_points(change.ci_high)} points"
    if change.ci_low > 0:
        verdict = ("Even the low end of the interval is a rise, so this is more than chance "
                   "would readily explain.")
    elif change.ci_high < 0:
        verdict = ("Even the high end of the interval is a fall, so this is more than chance "
                   "would readily explain.")
    else:
        verdict = ("The interval runs from a fall to a rise, so this is within what chance "
                   f"would give with {_records(before.n, after.n, unit)}.")
    line = (f"- **{what}**: {_with_interval(before)} in {earlier}; {_with_interval(after)} in "
            f"{later}. That is {moved} ({interval}). {verdict}")
    return line, change.beyond_chance


def change_since_previous(review: Review, previous: Review | None) -> str:
    """Change since the council's previous review.

    Compares the share of case records judged Outstanding or Good and the share of question
    ratings Outstanding or Good (Newcombe's interval for each difference), then gives a
    Mann-Whitney test on all four levels of the question ratings as a supporting check.

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
    ratings_line, ratings_beyond = _change_line(
        "Question ratings Outstanding or Good",
        good_or_better(previous.ratings["rating"]),
        good_or_better(review.ratings["rating"]), earlier, later, "question rating")
    ratings_line += (" This interval treats every rating as independent, but the ratings of "
                     "one record share that record and its auditor, so the true interval is "
                     "wider.")
    if cases_beyond and ratings_beyond:
        reading = "Both measures changed by more than chance would readily explain."
    elif ratings_beyond:
        reading = ("The question ratings changed by more than chance would readily explain, "
                   "but they count each record many times over. The overall judgements, one "
                   "per record, changed by an amount within what chance would give. Taken "
                   "together, the evidence of change is suggestive rather than conclusive.")
    elif cases_beyond:
        reading = ("The overall judgements changed by more than chance would readily explain, "
                   "but the question ratings did not: the change may lie in how records were "
                   "judged overall rather than question by question.")
    else:
        reading = "Neither measure changed by more than chance would give."
    levels = (f"Question ratings by level: in {earlier}, "
              f"{_level_list(previous.ratings['rating'])}; in {later}, "
              f"{_level_list(review.ratings['rating'])}.")
    p = mann_whitney(previous.ratings["rating"], review.ratings["rating"])
    if math.isnan(p):
        test = ("A Mann-Whitney test on the four levels cannot be run, because every question "
                "rating in both reviews is at the same level.")
    else:
        before_mean = scores(previous.ratings["rating"]).mean()
        after_mean = scores(review.ratings["rating"]).mean()
        if after_mean > before_mean:
            lean = f"the {later} ratings lean towards the better levels"
        elif after_mean < before_mean:
            lean = f"the {later} ratings lean towards the lower levels"
        else:
            lean = "neither set of ratings leans towards the better levels"
        if p < 0.05:
            verdict = "a shift this large would be unlikely by chance alone"
        else:
            verdict = "a shift like this could easily arise by chance"
        test = (f"As a supporting check, a Mann-Whitney test compares the two sets of question "
                f"ratings on all four levels, not only Good or better: {lean} ({_p_value(p)}: "
                f"{verdict}). Ratings within a case record are not independent, so this test "
                "overstates the evidence and is indicative only.")
    return "\n\n".join([intro, cases_line + "\n" + ratings_line, reading, levels, test])


# --------------------------------------------------------------------------- programme


def _limits(row: pd.Series, which: str) -> str:
    """``"60% to 93%"``: a council's funnel limits.

    To one decimal where whole numbers would make the share look equal to a limit.
    """
    low, high = row[f"lower{which}"], row[f"upper{which}"]
    share = _pct0(row["share"])
    decimals = 1 if share in (_pct0(low), _pct0(high)) else 0
    return f"{format_percent(low, decimals)} to {format_percent(high, decimals)}"


def _position(subject: str, row: pd.Series, unit: str) -> str:
    """Where a share lies against its funnel limits, in plain English."""
    flag, n = row["flag"], int(row["n"])
    if flag == "within":
        return (f"{subject} is inside the 95% limits ({_limits(row, '95')}), so it is within "
                f"what chance would give for {_plural(n, unit)}.")
    side, direction = ("above", "higher") if flag.startswith("above") else ("below", "lower")
    if flag.endswith("998"):
        return (f"{subject} is {side} the 99.8% limits ({_limits(row, '998')}): {direction} "
                "than the programme average by more than chance would readily explain.")
    return (f"{subject} is {side} the 95% limits ({_limits(row, '95')}), though inside the "
            f"99.8% limits ({_limits(row, '998')}). A share this far {side} the average would "
            "arise by chance for about 1 council in 40: worth a closer look, but not "
            "conclusive.")


def _averages(table: pd.DataFrame, council: str, noun: str, verb: str) -> str:
    """Programme average and the council's share, each with its n."""
    row = table.loc[council]
    total_good, total_n = int(table["successes"].sum()), int(table["n"].sum())
    return (f"Across the programme, {_number(total_good)} of {_plural(total_n, noun)} "
            f"({_pct(total_good / total_n)}) {verb} Outstanding or Good. In {council}, "
            f"{_of(int(row['successes']), int(row['n']))}.")


def position_in_programme(review: Review, programme: Programme) -> str:
    """How the council compares with the programme average, by funnel limits; never a rank.

    Uses overall judgements (one per case record) and, as a second view, question ratings,
    whose limits are too narrow because ratings within a case record are clustered. Where
    councils vary more than chance would give (overdispersion ratio above 1.5), the position
    against limits widened for that is given too.

    Parameters
    ----------
    review : Review
        The council's review.
    programme : Programme
        The programme; only the review's cycle is used.

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
    cases = funnel_table(good_counts(cycle.judgements, "judgement"))
    ratings = funnel_table(good_counts(cycle.ratings, "rating"))
    share = f"{council}'s share"
    parts = [
        f"In the {review.cycle} cycle, {len(councils)} councils were reviewed. {council} is "
        "compared with the programme average using funnel limits, which allow for chance and "
        "are wider when there are fewer records. Councils are not ranked.",
        "**Overall judgements (one per case record).** "
        + _averages(cases, council, "case record", "were judged") + " "
        + _position(share, cases.loc[council], "case record"),
    ]
    rating_text = ("**Question ratings.** "
                   + _averages(ratings, council, "question rating", "were") + " "
                   + _position(share, ratings.loc[council], "question rating")
                   + " These limits are too narrow, however: they treat every rating as "
                   "independent, when the ratings of one case record share that record and "
                   "its auditor.")
    phi = ratings.attrs["overdispersion"].phi
    ratings_flag = ratings.loc[council, "flag"]
    if phi > OVERDISPERSION_THRESHOLD:
        rating_text += (f" The councils' shares of question ratings also vary about "
                        f"{phi:.1f} times as much as chance alone would give (an "
                        f"overdispersion ratio of {phi:.1f}, where about 1 is expected).")
        adjusted = funnel_table(good_counts(cycle.ratings, "rating"), overdispersion=True)
        if adjusted.attrs["adjusted"]:
            ratings_flag = adjusted.loc[council, "flag"]
            position = _position(share, adjusted.loc[council], "question rating")
            rating_text += " With the limits widened to allow for this, " + position
    rating_text += " The overall judgements are the safer guide."
    parts.append(rating_text)
    flags = {cases.loc[council, "flag"], ratings_flag}
    if flags & {"above95", "below95"}:
        parts.append("About 1 council in 20 would fall outside the 95% limits by chance "
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
    cannot += [
        f"- **That {_plural(len(review.ratings), 'rating')} are as many separate pieces of "
        f"evidence.** The {_plural(n_questions, 'rating')} of one record share that record "
        "and its auditor, so the question ratings carry less information than their number "
        "suggests.",
        f"- **Differences between auditors.** One auditor rated each record "
        f"({_plural(len(per_auditor), 'auditor')}, each with different records), so an "
        "auditor's way of rating and the records they happened to see cannot be told apart. "
        "No record was rated twice, so agreement between auditors cannot be measured.",
        "- **What a full case file audit would find.** The review is an overview of the "
        "quality of practice from the information provided, not a full case file audit.",
    ]
    return "\n".join([f"What {_plural(n, 'case record')} can show:", "", *can, "",
                      "What they cannot show:", "", *cannot])


def methods_note() -> str:
    """A short note on the methods behind every number in the findings.

    Returns
    -------
    str
        Markdown: a short list.
    """
    return "\n".join([
        "- **Scale.** Each question, and each case record overall, is rated on four levels: "
        "Outstanding, Good, Requires Improvement and Inadequate. \"Outstanding or Good\" is "
        "the headline share.",
        "- **Not applicable.** A question that does not apply to a case is not a rating: it "
        "is left out of the count and of the total the share is taken from.",
        "- **95% intervals.** Each share comes with a Wilson 95% interval: the range of "
        "values consistent with the data once chance is allowed for. Wilson intervals behave "
        "well for small samples and for shares near 0% or 100%.",
        "- **Comparing councils.** Funnel limits around the programme average, at 95% and "
        "99.8%, based on Wilson intervals as in the public-health Fingertips method. Inside "
        "the 95% limits means within what chance would give; outside the 99.8% limits means "
        "more than chance would readily explain. Where councils vary more than chance "
        "allows, limits widened for that (overdispersion) are shown too. Councils are never "
        "ranked.",
        "- **Change over time.** The difference between two shares, with Newcombe's 95% "
        "interval for it: when the whole interval is a rise (or a fall), the change is more "
        "than chance would readily explain. A Mann-Whitney test, which uses all four levels, "
        "is a supporting check.",
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
    cleaned = _clean_markdown(text)
    return cleaned if cleaned.strip() else None


# --------------------------------------------------------------------------- all


def council_findings(review: Review, programme: Programme) -> dict[str, str]:
    """Every written finding for one council's review, as ordered sections.

    Parameters
    ----------
    review : Review
        The council's review.
    programme : Programme
        The programme it belongs to (for the previous review and the comparison).

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
        "How the council compares with the programme": position_in_programme(review,
                                                                             programme),
    }
    narrative = review_team_narrative(review)
    if narrative is not None:
        sections["Themes from the review team"] = narrative
    sections[f"What {review.n_cases} cases can and cannot show"] = sample_caveats(review)
    sections["Methods"] = methods_note()
    return sections
