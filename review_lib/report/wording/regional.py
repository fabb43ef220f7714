"""Change between cycles, the regional caveats and methods, and the regional findings."""

from __future__ import annotations

from review_lib.analysis.clustered import ratings_good_or_better
from review_lib.analysis.comparison import programme_funnels
from review_lib.analysis.funnel import limits_at
from review_lib.analysis.stats import (
    newcombe_difference,
    question_tests,
)
from review_lib.analysis.summary import (
    Proportion,
    good_or_better,
)
from review_lib.data.records import Programme, Review, normalise_cycle
from review_lib.report.claims import claimed
from review_lib.report.wording.council import methods_note
from review_lib.report.wording.differences import question_differences
from review_lib.report.wording.phrases import (
    MIN_COUNCILS,
    _end,
    _join,
    _number,
    _pct,
    _pct0,
    _plural,
    _points,
    _table,
)
from review_lib.report.wording.programme import (
    _range_words,
    _was_were,
    councils_outside_limits,
    programme_questions,
    regional_headline,
)

# --------------------------------------------------------------------------- formatting

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


def changes_between_cycles(programme: Programme, cycle: str | None = None, *,
                           compact: bool = False) -> str:
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
    compact : bool, default False
        For a long list of councils: count them in the sentences rather than name them
        all (the table names every council).

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
    # A long list whose councils all compare the same two cycles says the cycles once, in
    # the headings, and each reading in a few words: a row a line (the sentences below
    # say what the readings mean).
    cycles = {(earlier.cycle, later.cycle) for earlier, later in pairs}
    short = compact and len(cycles) == 1
    rows, rises, falls, within = [], [], [], []
    for earlier, later in pairs:
        before = good_or_better(earlier.judgements["judgement"])
        after = good_or_better(later.judgements["judgement"])
        change = newcombe_difference(before, after)
        council = str(later.council)
        if change.ci_low > 0:
            reading, brief = "Yes: a rise beyond chance", "A rise beyond chance"
            rises.append(council)
        elif change.ci_high < 0:
            reading, brief = "Yes: a fall beyond chance", "A fall beyond chance"
            falls.append(council)
        else:
            reading, brief = "No clear evidence: the interval includes zero", "No clear evidence"
            within.append(council)
        if short:
            rows.append([council, _cell(before), _cell(after),
                         f"{_points(change.difference)} ({_end(change.ci_low)} to "
                         f"{_end(change.ci_high)})", brief])
        else:
            rows.append([council, f"{earlier.cycle}: {_cell(before)}",
                         f"{later.cycle}: {_cell(after)}",
                         f"{_points(change.difference)} points ({_end(change.ci_low)} to "
                         f"{_end(change.ci_high)})", reading])
    count = len(pairs)
    listed = "" if compact else f": {_join(names)}"
    intro = (f"{_plural(count, 'council')} {_was_were(count)} reviewed in more than one "
             f"cycle{listed}. For each, the share of case records judged Outstanding "
             "or Good in its latest review is compared with its review before that, with a "
             "95% interval for the change. Each review examined its own selection of records, "
             "perhaps around a different theme and with different auditors, so a change "
             "describes these two sets of records, not necessarily all practice.")
    if short:
        (first, last), = cycles
        table = _table(["Council", f"{first}: Outstanding or Good (95% interval)",
                        f"{last}: Outstanding or Good (95% interval)",
                        "Change in percentage points (95% interval)",
                        "Change beyond chance?"], rows)
    else:
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
            others = (f"the other {_plural(len(within), 'council')}" if compact
                      else _join(within))
            statement += (f" For {others}, there is no clear evidence of a change with "
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


def regional_caveats(programme_cycle: Programme, method: str = "exact",
                     funnels=None) -> str:
    """What a cross-council comparison of Practice Reviews can and cannot bear.

    Parameters
    ----------
    programme_cycle : Programme
        The reviews of one cycle.
    method : {"exact", "fingertips"}, default "exact"
        How the funnel limits are drawn.
    funnels : Funnels, optional
        The funnel tables the councils are compared on (by default those of
        ``programme_cycle``; a region's report passes its rows of the whole programme's).

    Returns
    -------
    str
        Markdown: a short list.
    """
    from review_lib.analysis.clustered import programme_design_effect

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
            table = (funnels or programme_funnels(programme_cycle, method)).judgements
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


def regional_findings(programme: Programme, cycle: str, method: str = "exact", *,
                      region: str = "", funnels=None, compact: bool = False
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
    region : str, optional
        Only the councils of this region (``Review.region``), each compared with the
        average of the whole programme.
    funnels : Funnels, optional
        The funnel tables to use (by default computed from the councils reported on; a
        region's report passes its rows of the whole programme's tables).
    compact : bool, default False
        A long list of councils: name only those outside the 99.8% limits in the text, and
        count the others (the report's tables list every council).

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
    if region:
        programme = programme.in_region(region)
    cycle_programme = programme.in_cycle(cycle)
    scope = f"the {region} region" if region else ""
    if not cycle_programme.reviews:
        available = ", ".join(programme.cycles) or "none"
        raise KeyError(f"no reviews in cycle {cycle!r}; available: {available}")
    n_councils = len({str(r.council) for r in cycle_programme.reviews})
    claim_scope = {"cycle": cycle, **({"region": region} if region else {})}
    if n_councils >= MIN_COUNCILS:
        funnels = funnels or programme_funnels(cycle_programme, method)
        judgements = funnels.judgements
        comparison = claimed(councils_outside_limits, judgements, funnels.ratings,
                             funnels.ratings_adjusted, compact=compact, scope=scope,
                             claim_scope=claim_scope)
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
        "Headline": claimed(regional_headline, cycle_programme, compact=compact, scope=scope),
        "Questions across the programme": claimed(programme_questions, cycle_programme),
        "Councils against the programme average": comparison,
        "Differences between councils, question by question": claimed(
            question_differences, tests, permutations, set_aside),
        "Change between cycles": claimed(changes_between_cycles, up_to, cycle,
                                         compact=compact),
        "Caveats": claimed(regional_caveats, cycle_programme, method,
                           funnels if n_councils >= MIN_COUNCILS else None),
        "Methods": claimed(regional_methods_note, method),
    }
