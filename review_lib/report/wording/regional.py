"""Change between cycles, the regional caveats and methods, and the regional findings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from review_lib.analysis.comparison import programme_funnels
from review_lib.analysis.funnel import limits_at
from review_lib.analysis.scopes import (
    CycleChanges,
    CycleResults,
    council_differences,
    cycle_changes,
    cycle_results,
)
from review_lib.analysis.summary import Proportion
from review_lib.data.records import Programme, normalise_cycle
from review_lib.report.claims import ClaimedText, claimed, stated
from review_lib.report.wording.council import methods_note
from review_lib.report.wording.differences import question_differences
from review_lib.report.wording.notes import pseudonymised_notes
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
    as_cycle_results,
    councils_outside_limits,
    programme_questions,
    regional_headline,
)

# --------------------------------------------------------------------------- formatting

# --------------------------------------------------------------------------- change


def _cell(proportion: Proportion) -> str:
    """``"13 of 20 (65%; 43% to 82%)"``."""
    return (f"{_number(proportion.successes)} of {_number(proportion.n)} "
            f"({_pct(proportion.share)}; {_pct0(proportion.ci_low)} to "
            f"{_pct0(proportion.ci_high)})")


def changes_between_cycles(programme: Programme | CycleChanges, cycle: str | None = None, *,
                           compact: bool = False) -> str:
    """Change in the share of case records judged Outstanding or Good, council by council.

    For each council reviewed in more than one cycle, its latest review is compared with
    the one before it (Newcombe's 95% interval for the difference). Councils are listed
    alphabetically, never by the size of their change.

    Parameters
    ----------
    programme : Programme or CycleChanges
        The whole programme (every cycle), or its changes already computed
        (:func:`review_lib.analysis.scopes.cycle_changes`).
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
    if isinstance(programme, CycleChanges):
        changes, reviewed = programme, True
        cycle = programme.cycle
    else:
        changes = cycle_changes(programme, cycle)
        reviewed = cycle is not None and any(r.cycle == cycle for r in programme.reviews)
    pairs = changes.councils
    if not pairs:
        if reviewed and cycle is not None:
            return (f"None of the councils reviewed in the {cycle} cycle has an earlier review "
                    "in the data, so change between cycles cannot be shown.")
        return ("No council was reviewed in more than one cycle in the data, so change "
                "between cycles cannot be shown.")
    names = [pair.council for pair in pairs]
    # A long list whose councils all compare the same two cycles says the cycles once, in
    # the headings, and each reading in a few words: a row a line (the sentences below
    # say what the readings mean).
    cycles = {(pair.before_cycle, pair.after_cycle) for pair in pairs}
    short = compact and len(cycles) == 1
    rows, rises, falls, within = [], [], [], []
    for pair in pairs:
        change = pair.judgements
        before, after = change.before, change.after
        council = pair.council
        stated(f"{_cell(before)}", "change", {"council": council, "cycle": pair.after_cycle},
               measure="judgements", previous_cycle=pair.before_cycle,
               before_successes=before.successes, before_n=before.n,
               after_successes=after.successes, after_n=after.n,
               points=round(change.difference * 100), clear=bool(change.beyond_chance))
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
            rows.append([council, f"{pair.before_cycle}: {_cell(before)}",
                         f"{pair.after_cycle}: {_cell(after)}",
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
    for pair in pairs:
        if pair.ratings.beyond_chance:
            rated["rise" if pair.ratings.difference > 0 else "fall"].append(pair.council)
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


def regional_caveats(programme_cycle: CycleResults | Programme, method: str = "exact",
                     funnels=None) -> str:
    """What a cross-council comparison of Practice Reviews can and cannot bear.

    Parameters
    ----------
    programme_cycle : CycleResults or Programme
        The cycle's results (:func:`review_lib.analysis.scopes.cycle_results`), or its
        reviews.
    method : {"exact", "fingertips"}, default "exact"
        How the funnel limits are drawn.
    funnels : Funnels, optional
        The funnel tables the councils are compared on (by default those of the cycle,
        computed from its reviews; a region's report passes its rows of the whole
        programme's).

    Returns
    -------
    str
        Markdown: a short list.
    """
    results = as_cycle_results(programme_cycle)
    within = results.design_effect_within
    pooled = results.ratings
    n_councils = results.n_councils
    per_council = list(results.cases_per_council.values())
    auditors = list(results.auditors_per_council.values())
    n_questions = results.n_questions
    n_ratings = results.n_ratings
    if auditors and min(auditors) == max(auditors):
        teams = f"{_plural(auditors[0], 'auditor')} in each council"
    elif auditors:
        teams = f"between {min(auditors)} and {_plural(max(auditors), 'auditor')} per council"
    else:
        teams = "no auditors recorded"
    items = [
        f"- **Auditors and councils are entangled.** One auditor rated each case record "
        f"({teams}), and each review had its own team. An auditor's way of rating cannot be "
        "told apart from the practice in the records they happened to see, and auditors may "
        "differ between councils, so part of a difference between councils may be a "
        "difference between review teams. No record was rated twice, so agreement between "
        "auditors cannot be measured.",
        "- **Councils chose their own records.** Each host council chose which records to "
        "examine, often around a theme of its own and with enough recorded to examine; even "
        "records drawn at random were drawn from work the council chose. So councils are not "
        "strictly comparable: a council that chose harder cases may look weaker. The funnel "
        "limits allow for chance, not for how the records were chosen.",
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
    if per_council:
        n = int(np.median(per_council))
        cases = results.cases
        text = (f"- **{_range_words(per_council, 'case record').capitalize()}.** With "
                f"{_plural(n, 'record')}, one record more or less moves a council's share by "
                f"{_points(1 / n, signed=False)} percentage points.")
        if 0 < cases.share < 1 and n_councils >= MIN_COUNCILS and funnels is None \
                and isinstance(programme_cycle, Programme):
            funnels = programme_funnels(programme_cycle, method)
        if 0 < cases.share < 1 and n_councils >= MIN_COUNCILS and funnels is not None:
            table = funnels.judgements
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
    results = cycle_results(cycle_programme, region=region)
    n_councils = results.n_councils
    claim_scope = {"cycle": cycle, **({"region": region} if region else {})}
    if n_councils >= MIN_COUNCILS:
        funnels = funnels or programme_funnels(cycle_programme, method)
        comparison = claimed(councils_outside_limits, funnels.judgements, funnels.ratings,
                             funnels.ratings_adjusted, compact=compact, scope=scope,
                             claim_scope=claim_scope)
    else:
        funnels = None
        comparison = ClaimedText(
            f"Only {_plural(n_councils, 'council')} {'has' if n_councils == 1 else 'have'} "
            f"data for the {cycle} cycle, so comparing councils with the programme average "
            "is not meaningful.")
    differences = council_differences(cycle_programme, funnels)
    up_to = Programme([r for r in programme.reviews if r.cycle <= cycle], programme.catalogue,
                      programme.problems)
    return {
        "Headline": claimed(regional_headline, results, compact=compact, scope=scope),
        "Questions across the programme": claimed(programme_questions, results),
        "Councils against the programme average": comparison,
        "Differences between councils, question by question": claimed(
            question_differences, differences.tests, differences.permutations,
            differences.set_aside),
        "Change between cycles": claimed(changes_between_cycles, cycle_changes(up_to, cycle),
                                         compact=compact),
        "Caveats": claimed(regional_caveats, results, method, funnels),
        "Methods": claimed(regional_methods_note, method),
    }


# --------------------------------------------------------------------------- synthesis

#: The heading of the regional synthesis in the cross-council report.
SYNTHESIS_HEADING = "What the review teams recommend"

#: Where a recommendation tagged with no question is listed.
UNTAGGED = "Not tied to a question"


@dataclass(frozen=True)
class TeamNotes:
    """One review's notes as the regional synthesis reads them.

    Attributes
    ----------
    council : str
        The council reviewed.
    draft : bool
        Whether its review is still a draft (its notes say so, or have errors).
    recommendations : tuple of (str, str, tuple of str)
        Each recommendation's label (``"R2"``, ``"R1, urgent"`` for one the team marks
        urgent), text and the questions it is tagged with.
    key_messages : tuple of str
        The team's key messages (none where the notes have no such section).
    previous_cycle : str or None
        The cycle of the council's previous review with notes, if any.
    previous_questions : frozenset of str
        The questions that review's recommendations were tagged with.
    """

    council: str
    draft: bool
    recommendations: tuple[tuple[str, str, tuple[str, ...]], ...]
    key_messages: tuple[str, ...] = ()
    previous_cycle: str | None = None
    previous_questions: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        """``"Northwold (draft)"`` for a draft, else the council's name."""
        return f"{self.council} (draft)" if self.draft else self.council

    @property
    def questions(self) -> frozenset[str]:
        """Every question any of its recommendations is tagged with."""
        return frozenset(q for _, _, tags in self.recommendations for q in tags)


def _tags(recommendation) -> tuple[str, ...]:
    """A recommendation's question tags (``questions``; ``tags`` in later notes)."""
    return tuple(getattr(recommendation, "questions", None)
                 or getattr(recommendation, "tags", None) or ())


def team_notes(programme_cycle: Programme, index, cycle: str) -> list[TeamNotes]:
    """Each review of the cycle that has its team's notes, as the synthesis reads them.

    Parameters
    ----------
    programme_cycle : Programme
        The reviews reported on (one cycle; one region's, for a region's report).
    index : NotesIndex
        The programme's notes (:func:`review_lib.data.notes.read_programme_notes`).
    cycle : str
        The cycle.

    Returns
    -------
    list of TeamNotes
        Alphabetically by council; reviews without notes are left out.
    """
    found = []
    for council in sorted({str(r.council) for r in programme_cycle.reviews}, key=str.casefold):
        notes = index.for_review(council, cycle)
        if notes is None:
            continue
        # Case identifiers in the team's words become the review's pseudonyms (and other
        # reviews' identifiers are removed), as in the council's own report.
        review = next(r for r in programme_cycle.reviews if str(r.council) == council
                      and normalise_cycle(str(r.cycle)) == normalise_cycle(str(cycle)))
        notes = pseudonymised_notes(notes, review, programme_cycle)
        previous = index.previous(council, cycle)
        found.append(TeamNotes(
            council=council,
            draft=bool(notes.is_draft or index.problems_for(council, cycle)),
            recommendations=tuple((r.label + (", urgent" if getattr(r, "urgent", False) else ""),
                                   r.text, _tags(r)) for r in notes.recommendations),
            key_messages=tuple(getattr(notes, "key_messages", ()) or ()),
            previous_cycle=previous[0] if previous is not None else None,
            previous_questions=frozenset(q for r in (previous[1].recommendations
                                                     if previous is not None else ())
                                         for q in _tags(r))))
    return found


def regional_synthesis(teams: list[TeamNotes], results: CycleResults, catalogue) -> str:
    """Every review team's recommendations and key messages, brought together by question.

    Recommendations are grouped by the audit questions their team tagged them with, and the
    questions by their theme in the catalogue; a council counts once on a question however
    many of its recommendations are tagged with it. Beside each question are the figures of
    the councils reported on (the share of ratings Outstanding or Good, its 95% interval,
    which allows for the records of one council going together, and n), from ``results``.
    Recommendations with no tag are listed under "Not tied to a question": no question is
    guessed for them. A draft review is marked "(draft)" wherever it appears.

    Parameters
    ----------
    teams : list of TeamNotes
        From :func:`team_notes`.
    results : CycleResults
        The cycle's results (:func:`review_lib.analysis.scopes.cycle_results`).
    catalogue : Catalogue
        The audit tool's questions, with their themes.

    Returns
    -------
    str
        Markdown, its figures stated as claims.
    """
    cycle = _join(list(results.cycles))
    scope = {"cycle": cycle, **({"region": results.region} if results.region else {})}
    where = f"the {results.region} region" if results.region else "the programme"
    reviewed = results.n_councils
    if not teams:
        return (f"No review team's notes are held for the {cycle} reviews of {where}, so "
                "there are no recommendations or key messages to bring together. A team's "
                "notes file beside its review's data (see docs/notes.md) adds its review "
                "here.")
    table = results.questions
    questions = {q.id: q for q in catalogue}
    by_question: dict[str, list[TeamNotes]] = {q: [] for q in questions}
    for team in teams:
        for q in team.questions:
            by_question.setdefault(q, []).append(team)
    drafts = [t.council for t in teams if t.draft]
    count = sum(len(t.recommendations) for t in teams)
    intro = (f"The review teams' notes are held for {len(teams)} of the {reviewed} councils "
             f"reviewed in {cycle}: {_join([t.name for t in teams])}. Their "
             f"{_plural(count, 'recommendation')} are brought together here by the audit "
             "questions each team tagged them with (the questions grouped by theme), beside "
             f"the figures of {where} for those questions. A council counts once on a "
             "question however many of its recommendations rest on it. Recommendations "
             f"without a question are listed under \u201c{UNTAGGED}\u201d: none is guessed "
             "onto a question.")
    if drafts:
        whose = "\u2019s review is" if len(drafts) == 1 else "\u2019 reviews are"
        intro += (f" {_join(drafts)}{whose} still a draft: what its team recommends may "
                  "change before its report is final.")
    parts = [intro]

    def councils_on(q: str, words: str | None = None) -> str:
        on = by_question.get(q, [])
        return stated(words or f"{len(on)} of {len(teams)}", "recommending_councils",
                      {**scope, "question": q}, councils=[t.council for t in on],
                      count=len(on), teams=len(teams), drafts=[t.council for t in on if t.draft])

    def figures(q: str) -> str:
        good, n = int(table.loc[q, "good_or_better"]), int(table.loc[q, "n"])
        return stated(f"{_number(good)} of {_number(n)} ({_pct0(good / n)})", "question_count",
                      {**scope, "question": q}, measure="good_or_better", count=good, n=n)

    rated = [q for q in questions if q in table.index and int(table.loc[q, "n"]) > 0]
    lead = _synthesis_lead(teams, by_question, rated, table, questions, scope, where,
                           councils_on, figures)
    if lead:
        parts.append(lead)
    order = sorted(rated, key=lambda q: (-len(by_question.get(q, [])), rated.index(q)))
    rows = [[f"{q} {questions[q].short_label}", questions[q].theme or "\u2014", councils_on(q),
             figures(q),
             f"{_pct0(table.loc[q, 'ci_low'])} to {_pct0(table.loc[q, 'ci_high'])}"]
            for q in order]
    parts += [f"**Councils recommending on each question, beside {where}'s figures.** "
              "Questions with the most councils recommending on them come first; the order "
              "is of the teams' recommendations, not of practice.",
              _right_aligned(_table(["Question", "Theme", "Councils with notes recommending on "
                                     "it", "Ratings Outstanding or Good", "95% interval"],
                                    rows), first=2)]
    themes: dict[str, list[str]] = {}
    for q in questions:
        if by_question.get(q):
            themes.setdefault(questions[q].theme or "Other questions", []).append(q)
    for theme, qs in themes.items():
        parts.append(f"### {theme}")
        for q in qs:
            on = by_question[q]
            again = [f"{t.council} ({t.previous_cycle})" for t in on
                     if q in t.previous_questions]
            heading = (f"**{q} {questions[q].short_label}**: "
                       f"{_join([t.name for t in on])}."
                       + (f" Recommended on in the previous review too: {_join(again)}."
                          if again else ""))
            items = [f"- {t.name}, {label}: {text}" for t in on
                     for label, text, tags in t.recommendations if q in tags]
            parts += [heading, "\n".join(items)]
    untagged = [f"- {t.name}, {label}: {text}" for t in teams
                for label, text, tags in t.recommendations if not tags]
    parts.append(f"### {UNTAGGED}")
    parts.append("\n".join(untagged) if untagged else
                 "Every recommendation is tagged with at least one question.")
    parts.append("### Key messages")
    with_messages = [t for t in teams if t.key_messages]
    for team in with_messages:
        parts += [f"**{team.name}**", "\n".join(f"- {m}" for m in team.key_messages)]
    without = [t.name for t in teams if not t.key_messages]
    if without:
        parts.append(f"The notes of {_join(without)} give no key messages yet (a "
                     "\u201cKey messages\u201d section of three to five points; see "
                     "docs/notes.md).")
    parts.append("Counting recommendations is not a measure of practice: a team recommends "
                 "where it sees room to improve, and the councils without notes here may "
                 "share the same concerns. The tags are the teams' own.")
    return "\n\n".join(parts)


def _right_aligned(table: str, first: int) -> str:
    """A Markdown table whose columns from ``first`` on (counts, shares) align right."""
    lines = table.split("\n")
    cells = lines[1].strip("|").split("|")
    lines[1] = "|" + "|".join("---:" if i >= first else cell
                              for i, cell in enumerate(cells)) + "|"
    return "\n".join(lines)


def _synthesis_lead(teams, by_question, rated, table, questions, scope, where,
                    councils_on, figures) -> str:
    """Where most councils agree, connected with the question's figures in one paragraph."""
    if not rated:
        return ""
    most = max(len(by_question.get(q, [])) for q in rated)
    if most < 2:
        return "No two review teams recommend on the same question."
    shared = [q for q in rated if len(by_question.get(q, [])) == most]
    low = min(float(table.loc[q, "share_good"]) for q in rated)
    lowest = [q for q in rated if float(table.loc[q, "share_good"]) == low]
    sentences = []
    for q in shared:
        on = by_question[q]
        who = councils_on(q, "Both councils with notes" if most == len(teams) == 2
                          else f"All {len(teams)} councils with notes" if most == len(teams)
                          else f"{most} of the {len(teams)} councils with notes")
        sentences.append(
            f"{who} recommend on {q} {questions[q].short_label}: "
            f"{_join([t.name for t in on])}. Across {where}, {figures(q)} of the ratings "
            f"on {q} were Outstanding or Good (95% interval {_pct0(table.loc[q, 'ci_low'])} "
            f"to {_pct0(table.loc[q, 'ci_high'])}).")
    extreme = stated(
        f"{_join(lowest)} had the lowest share of ratings Outstanding or Good of any question",
        "question_extreme", scope, measure="share_good", which="lowest", questions=lowest,
        share=low)
    if set(lowest) & set(shared):
        sentences.append(f"{extreme} across {where}: what the teams saw in their own reviews "
                         "and what the ratings show agree.")
    else:
        teams_on = (councils_on(lowest[0], f"{len(by_question.get(lowest[0], []))} of the "
                                f"{len(teams)} councils with notes")
                    if len(lowest) == 1 else None)
        sentences.append(f"{extreme} across {where}"
                         + (f"; {teams_on} recommend on it." if teams_on else "."))
    return " ".join(sentences)
