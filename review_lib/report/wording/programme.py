"""Across a programme cycle: headline, questions at either end, councils outside the limits."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from review_lib.analysis.funnel import chance_outside, funnel_x
from review_lib.analysis.scopes import CycleResults, cycle_results
from review_lib.analysis.summary import format_percent
from review_lib.data.records import Programme
from review_lib.report.claims import stated
from review_lib.report.wording.council import (
    _BELOW,
    _GOOD,
    _all_equal,
    _chance_words,
    _comparison_note,
    _limits,
    _na_note,
    _name,
    _next_note,
    _pick,
    _ties_note,
)
from review_lib.report.wording.phrases import (
    MIN_COUNCILS,
    OVERDISPERSION_THRESHOLD,
    _alphabetical,
    _clustering_words,
    _interval,
    _join,
    _level_list,
    _number,
    _of,
    _pct,
    _pct0,
    _plural,
    _table,
)


def as_cycle_results(cycle: CycleResults | Programme) -> CycleResults:
    """A cycle's results, computed from its reviews where they are not given already.

    Parameters
    ----------
    cycle : CycleResults or Programme
        The results, or the reviews of one cycle.

    Returns
    -------
    CycleResults
        From :func:`review_lib.analysis.scopes.cycle_results`.
    """
    return cycle if isinstance(cycle, CycleResults) else cycle_results(cycle)


# --------------------------------------------------------------------------- formatting



def _cycles_words(results: CycleResults) -> str:
    """``"the 2022-24 cycle"`` or ``"the 2019 and 2022-24 cycles"``."""
    cycles = results.cycles
    if len(cycles) == 1:
        return f"the {cycles[0]} cycle"
    return f"the {_join(cycles)} cycles"


def _is_are(count: int) -> str:
    return "is" if count == 1 else "are"


def _was_were(count: int) -> str:
    return "was" if count == 1 else "were"


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


def regional_headline(programme_cycle: CycleResults | Programme, *, compact: bool = False,
                      scope: str = "") -> str:
    """The headline numbers for a programme cycle, across all its councils.

    How many councils, case records and question ratings there were; the programme-wide
    share of case records judged Outstanding or Good and of question ratings Outstanding or
    Good, each with its Wilson 95% interval and n.

    Parameters
    ----------
    programme_cycle : CycleResults or Programme
        The cycle's results (:func:`review_lib.analysis.scopes.cycle_results`), or its
        reviews, e.g. ``programme.in_cycle("2022-24")``.
    compact : bool, default False
        Count the councils rather than name them all (a long list; the report's tables
        name every council).
    scope : str, optional
        The councils of one region: its name as the text should give it, e.g. ``"the
        London region"``.

    Returns
    -------
    str
        Markdown.
    """
    if isinstance(programme_cycle, Programme) and not programme_cycle.reviews:
        return "There are no reviews in the data for this cycle, so there is nothing to report."
    results = as_cycle_results(programme_cycle)
    councils = list(results.councils)
    n_councils = len(councils)
    n_na = results.n_not_applicable
    per_council = list(results.cases_per_council.values())
    team = "Its review team" if n_councils == 1 else "Their review teams"
    spread = "" if n_councils == 1 else f" ({_range_words(per_council, 'record')})"
    listed = (" (each is named in the tables below)" if compact else f": {_join(councils)}")
    claim_scope = {"cycle": _join(list(results.cycles)),
                   **({"region": results.region} if results.region else {})}
    examined = stated(f"{team} examined {_plural(results.n_cases, 'case record')}{spread}",
                      "records", claim_scope, n_cases=results.n_cases,
                      councils=n_councils, per_council=results.cases_per_council)
    opening = (f"In {_cycles_words(results)} of the Practice Review programme, "
               f"{_plural(n_councils, 'council')}{' in ' + scope if scope else ''} "
               f"{_was_were(n_councils)} reviewed{listed}. {examined} and rated each record "
               f"against the {_plural(results.n_questions, 'question')} of the audit tool")
    if n_na:
        answers = "One answer was" if n_na == 1 else f"{_number(n_na)} answers were"
        opening += (f". {answers} marked not applicable and left out of every count and "
                    f"share, which leaves {_plural(results.n_ratings, 'question rating')}.")
    else:
        opening += f": {_plural(results.n_ratings, 'question rating')} in all."
    paragraphs = [opening]

    cases = results.cases
    if cases.n:
        pooled = stated(f"Across {scope or 'the programme'}, {_number(cases.successes)} of the "
                        f"{_plural(cases.n, 'case record')} ({_pct(cases.share)}",
                        "programme_average", claim_scope, measure="judgements",
                        successes=cases.successes, n=cases.n, councils=n_councils,
                        includes=councils)
        paragraphs.append(
            f"{pooled}; "
            f"{_interval(cases.ci_low, cases.ci_high)}) were judged Outstanding or Good "
            f"overall: {_level_list(results.judgement_counts)}."
            + (" The interval allows for the records of one council going together."
               if n_councils > 1 else ""))
    rated = results.ratings
    if rated.n:
        pooled = stated(f"Of the {_plural(rated.n, 'question rating')}, "
                        f"{_number(rated.successes)} ({_pct(rated.share)}",
                        "programme_average", claim_scope, measure="ratings",
                        successes=rated.successes, n=rated.n, councils=n_councils,
                        includes=councils)
        paragraphs.append(
            f"{pooled}; {_interval(rated.ci_low, rated.ci_high)}) were "
            f"Outstanding or Good: {_level_list(results.rating_counts)}. "
            + _clustering_words(rated))
    else:
        paragraphs.append("No question ratings were recorded.")
    paragraphs.append(
        "These shares pool every council's records. Each council chose its own records, so "
        "they describe these records rather than all practice in the region. How each "
        "council compares with the "
        + ("average of the whole programme" if scope else "programme average")
        + ", allowing for chance, is set out below; councils are not ranked.")
    return "\n\n".join(paragraphs)


# --------------------------------------------------------------------------- questions


def programme_questions(programme_cycle: CycleResults | Programme, k: int = 3) -> str:
    """The questions at either end across the programme, pooling every council's ratings.

    Lists the k questions with the largest share of ratings Outstanding or Good and the k
    with the smallest (all questions tied at a cut-off are listed, and the text says so),
    each with its Wilson 95% interval and n, then says whether the next questions are
    within chance of those listed and whether the two ends differ by more than chance.

    Parameters
    ----------
    programme_cycle : CycleResults or Programme
        The cycle's results, or its reviews.
    k : int, default 3
        How many questions to list at each end, before ties.

    Returns
    -------
    str
        Markdown: sentences, two tables and notes.
    """
    results = as_cycle_results(programme_cycle)
    table = results.questions
    if table.empty:
        return "No question has any ratings, so no question can be picked out."
    n_councils = results.n_councils
    n_values = sorted({int(n) for n in table["n"]})
    scope = {"cycle": _join(list(results.cycles)),
             **({"region": results.region} if results.region else {})}

    def counted(question: str, count: str) -> str:
        value, n = int(table.loc[question, count]), int(table.loc[question, "n"])
        return stated(_of(value, n), "question_count", {**scope, "question": question},
                      measure=count, count=value, n=n)

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
        rows = [[_name(table, q), counted(q, "good_or_better"),
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
            rows.append([_name(table, q), counted(q, "good_or_better"),
                         f"{_pct0(table.loc[q, 'ci_low'])} to {_pct0(table.loc[q, 'ci_high'])}",
                         counted(q, "below_good"),
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

    test = results.question_comparison
    records = _plural(test.cases, "record")
    parts += [note for note in (_na_note(table, list(table.index)),
                                _comparison_note(test, table, "both", records)) if note]
    differ = (f" The records come from {_plural(n_councils, 'council')}, whose practice "
              "and review teams differ, so each interval also allows for the records of one "
              "council going together, which widens it." if n_councils > 1 else "")
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


def _measure(table: pd.DataFrame) -> str:
    """``"ratings"`` for a funnel of question ratings (at effective n), else ``"judgements"``."""
    return "ratings" if table.attrs.get("axis") == "effective_n" else "judgements"


def _funnel_entry(table: pd.DataFrame, council: str, which: str | None,
                  scope: dict | None = None) -> str:
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
    return stated(text + ")", "funnel_flag", scope or {}, measure=_measure(table),
                  council=str(council), successes=int(row["successes"]), n=int(row["n"]),
                  flag=str(row["flag"]), adjusted=bool(table.attrs.get("adjusted", False)))


def _funnel_lines(table: pd.DataFrame, compact: bool = False, scope: dict | None = None
                  ) -> list[str]:
    """Markdown bullets naming the councils outside the limits, then those within.

    ``compact`` (a long list of councils) names only the councils outside the 99.8% limits
    and counts the others: the table beside the text lists every council.
    """
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
        if groups[flag] and compact and which == "95":
            count = len(groups[flag])
            lines.append(f"- {words}: {_plural(count, 'council')} (named in the table).")
        elif groups[flag]:
            entries = [_funnel_entry(table, c, which if varied else None, scope)
                       for c in groups[flag]]
            lines.append(f"- {words}: {'; '.join(entries)}.")
    within = groups["within"]
    inside = ("**Inside the 95% limits** (no clear evidence of a difference from the "
              "programme average; not the same as being equal to it)")
    if within and compact:
        other = (_all_councils(len(within)) if len(within) == len(table)
                 else f"the other {_plural(len(within), 'council')}")
        lines.append(f"- {inside}: {other}.")
    elif within and len(within) == len(table):
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


def _programme_average(table: pd.DataFrame, unit: str, verb: str, scope: str = "",
                       claim_scope: dict | None = None) -> str:
    good, total = int(table["successes"].sum()), int(table["n"].sum())
    councils = [str(c) for c in table.index]
    if scope:
        target = float(table.attrs.get("target", good / total))
        pooled = stated(f"In {scope}, {_number(good)} of {_plural(total, unit)} "
                        f"({_pct(good / total)}) {verb} Outstanding or Good",
                        "programme_average", claim_scope or {}, measure=_measure(table),
                        successes=good, n=total, councils=len(councils), includes=councils)
        return (f"{pooled}; each council is compared with the average of the whole programme, "
                f"{_pct(target)}, which includes the councils of every region.")
    return stated(f"Across the programme, all {_plural(len(councils), 'council')} included, "
                  f"{_number(good)} of {_plural(total, unit)} ({_pct(good / total)}) {verb} "
                  "Outstanding or Good.", "programme_average", claim_scope or {},
                  measure=_measure(table), successes=good, n=total, councils=len(councils),
                  includes=councils)


def _in_short(table: pd.DataFrame, lead: str, compact: bool = False) -> str:
    """One sentence naming the councils outside the 99.8% limits, or saying there are none.

    ``compact`` counts the councils just outside the 95% limits rather than naming them.
    """
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
    who = (_plural(len(near), "council") if compact else _join(_alphabetical(near)))
    return (f"{lead}, no council is outside the 99.8% limits, so none differs from the "
            "programme average by more than chance would readily explain; "
            f"{who} {_is_are(len(near))} just outside the 95% limits.")


def expected_words(expected: float, councils: int) -> str:
    """How many councils chance alone would put outside some limits, in everyday words.

    Parameters
    ----------
    expected : float
        The expected number of councils (the sum of each council's chance).
    councils : int
        How many councils there are.

    Returns
    -------
    str
        ``"about 1 of the 14 councils"``, ``"fewer than one council (about one in every 300
        programmes of 14 councils like this one)"``.
    """
    if not expected > 0:
        return "no council (none could be, at these numbers of records)"
    if expected >= 0.5:
        count = max(1, round(expected))
        return f"about {count} of the {_plural(councils, 'council')}"
    every = max(2, round(float(f"{1 / expected:.2g}")))  # two significant figures
    return (f"fewer than one council (about one in every {_number(every)} programmes of "
            f"{_plural(councils, 'council')} like this one)")


def _chance_sentence(table: pd.DataFrame, unit: str, scope: dict | None = None) -> str:
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
    outside95 = stated(f"{expected_words(expected95, k)} would be expected outside the 95% "
                       "limits by chance", "expected_by_chance", scope or {}, limit="95",
                       expected=expected95, councils=k)
    outside998 = stated(f"{expected_words(expected998, k)} would be expected outside the 99.8% "
                        "limits by chance", "expected_by_chance", scope or {}, limit="998",
                        expected=expected998, councils=k)
    return (f"Even if every council's practice were the same, {each} ({how}). On that basis, "
            f"{outside95}, and {outside998}.")


def councils_outside_limits(judgement_funnel: pd.DataFrame, rating_funnel: pd.DataFrame,
                            rating_funnel_adjusted: pd.DataFrame | None = None, *,
                            compact: bool = False, scope: str = "",
                            claim_scope: dict | None = None) -> str:
    """The councils outside the funnel limits, named, never ranked.

    Overall judgements (one per case record) are the main comparison. Question ratings are
    a second view, with limits at each council's effective n (the ratings of one record go
    together); where councils vary more than chance would give (overdispersion ratio above
    :data:`OVERDISPERSION_THRESHOLD`), the position against limits widened for that is
    given too. Councils are listed alphabetically. How many councils chance alone would
    put outside the limits is computed from the limits drawn
    (:func:`review_lib.analysis.funnel.chance_outside`).

    Parameters
    ----------
    judgement_funnel : pandas.DataFrame
        :func:`review_lib.analysis.funnel.funnel_table` of overall judgements (``good_counts(...,
        "judgement")``).
    rating_funnel : pandas.DataFrame
        The same for question ratings, with the programme's design effect.
    rating_funnel_adjusted : pandas.DataFrame, optional
        The same with ``overdispersion=True``.
    compact : bool, default False
        For a long list of councils: name only those outside the 99.8% limits and count
        the rest (the report's tables list every council).
    scope : str, optional
        For the councils of one region compared with the whole programme's average (the
        tables are that region's rows of the programme's funnel tables): the region's
        name as the text should give it, e.g. ``"the London region"``.
    claim_scope : dict, optional
        What the claims stated are about (cycle, region).

    Returns
    -------
    str
        Markdown.
    """
    k = len(judgement_funnel)
    claim_scope = claim_scope or {}
    if k < MIN_COUNCILS:
        return (f"Only {_plural(k, 'council')} {'has' if k == 1 else 'have'} data for this "
                "cycle, so comparing councils with the programme average is not meaningful.")
    groups = _funnel_groups(judgement_funnel)
    outside95 = k - len(groups["within"])
    parts = [
        "Each council's share is compared with the programme average using funnel limits, "
        "which allow for chance and are wider when a council has fewer records. Councils "
        "are listed alphabetically, not ranked.",
        _in_short(judgement_funnel, "On overall judgements", compact),
        "**Overall judgements (one per case record): the main comparison.** "
        + _programme_average(judgement_funnel, "case record", "were judged", scope,
                             claim_scope) + " "
        + _common_limits(judgement_funnel, "case record"),
        "\n".join(_funnel_lines(judgement_funnel, compact, claim_scope)),
    ]
    chance = _chance_sentence(judgement_funnel, "case record", claim_scope)
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
                   + _programme_average(rating_funnel, "question rating", "were", scope,
                                        claim_scope) + " "
                   + clustering]
    rating_text.append("\n".join(_funnel_lines(rating_funnel, compact, claim_scope)))
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
                                         "arcsine scale)", compact))
            rating_text.append("\n".join(_funnel_lines(rating_funnel_adjusted, compact,
                                                        claim_scope)))
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


