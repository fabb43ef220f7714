"""The leadership report: the published Practice Review report's shape, notes and data together.

The sections follow the published report's order (``docs/notes.md``): a summary that
opens with the review team's key messages and urgent recommendations, then the figures; the
introduction; the previous review's recommendations with their statuses and updates; themes
from the meetings, the case-file audit data (section 4, from the data), the records'
analysis, the observations, key strengths, recommendations with their evidence and action
plan, and the review team. The body is plain English in short sentences; method names,
p-values and the data file's hash are kept for the appendix. Every figure is read from the
review's :class:`~review_lib.analysis.results.ReviewResults`.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import pandas as pd

from review_lib.analysis.summary import format_percent, level_table
from review_lib.data.follow_up import FOLLOW_UP_STATUSES, FollowUp, follow_up
from review_lib.data.notes import ReviewNotes
from review_lib.data.scale import LEVELS
from review_lib.report import charts
from review_lib.report.claims import claims_of, stated
from review_lib.report.context import ReviewContext
from review_lib.report.council import context_findings, funnel_position, markdown_html
from review_lib.report.council import footer as footer  # the same footer as every report
from review_lib.report.html import (
    chart_html,
    count_table_html,
    esc,
    format_month,
    html_table,
    synthetic_banner,
)
from review_lib.report.section import Section, combined, plain_text, sectioned
from review_lib.report.wording.council import _pick, _questions
from review_lib.report.wording.phrases import _points_words, extremes_sentence, join_words

#: The report's sections: anchor and heading, in order.
CONTENTS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("introduction", "1. Introduction"),
    ("previous-review", "2. The previous Practice Review"),
    ("meetings", "3. Themes from the meetings with practitioners and managers"),
    ("audit-data", "4. The case-file audit data"),
    ("records", "5. The Principal Social Workers' analysis of the case records"),
    ("observations", "6. Observations of the review team"),
    ("key-strengths", "7. Key strengths"),
    ("recommendations", "8. Recommendations for practice improvement"),
    ("review-team", "The review team"),
    ("appendix", "Appendix: how to read these figures"),
)

_AWAITS = "This section awaits the review team's notes."


def _heading(anchor: str) -> str:
    title = dict(CONTENTS)[anchor]
    return f'<h2 id="{anchor}">{esc(title)}</h2>'


def _pct(share: float) -> str:
    return format_percent(share, 0)


def _records(n: int) -> str:
    return f"{n} case record" + ("" if n == 1 else "s")


def _notes_markdown(context: ReviewContext, text: str) -> str:
    """A notes section's Markdown: its headings below the section's, cases by pseudonym."""
    from review_lib.report.wording.notes import _clean_markdown, pseudonymise

    text = re.sub(r"^(#{1,4})(?=\s)", r"#\1", text, flags=re.M)
    return pseudonymise(_clean_markdown(text), context.review)


def _notes_html(context: ReviewContext, text: str) -> str:
    """A notes section as safe HTML: its headings below the section's, cases by pseudonym."""
    from review_lib.data.narrative import narrative_html

    return narrative_html(_notes_markdown(context, text))


def _notes_section(context: ReviewContext, anchor: str, key: str, before: str = "") -> Section:
    notes = context.notes
    text = notes.section(key) if notes is not None else None
    body = _notes_html(context, text) if text else f'<p class="awaiting">{esc(_AWAITS)}</p>'
    # The notes are Markdown: the section's Markdown is theirs, under its heading.
    before_text = plain_text(before) if before else ""
    markdown = "\n\n".join(part for part in (
        f"## {dict(CONTENTS)[anchor]}", before_text,
        _notes_markdown(context, text).strip() if text else f"*{_AWAITS}*") if part)
    return Section(f'<section class="report-section">{_heading(anchor)}{before}{body}'
                   "</section>", markdown)


# --------------------------------------------------------------------------- title


def _css_string(text: str) -> str:
    """Text safe inside a CSS string: no quote, backslash, angle bracket or line break."""
    return "".join(ch if ch.isalnum() or ch in " ·-_,.()'&" else " " for ch in text)


@sectioned
def title(context: ReviewContext) -> str:
    """The title, the report's status (a draft is marked on every page) and the sample banner.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    str
        HTML.
    """
    review, notes = context.review, context.notes
    problems = context.notes_problems
    draft = bool(problems) or (notes is not None and notes.is_draft)
    status = ("Draft report" if draft
              else "Final report" if notes is not None else "Report from the data")
    running = f"{review.council} · Practice Review {review.cycle}"
    page = ("@page { @bottom-left { content: \"" + _css_string(running) + "\"; "
            "font: 8.5pt Arial, sans-serif; color: #3d3d3d; }"
            + (" @top-right { content: \"DRAFT\"; font: bold 10pt Arial, sans-serif; }"
               if draft else "") + " }")
    parts = [f"<style>{page}</style>",
             f"<h1>Practice Review {esc(review.cycle)}: {esc(review.council)}</h1>",
             f'<p class="subtitle">{esc(status)}. For the council\'s leadership team.</p>']
    if draft:
        parts.append('<p class="draft-mark" aria-hidden="true">Draft</p>')
        parts.append('<p class="banner draft">This is a draft. The review team has not yet '
                     "agreed its final text.</p>")
    if problems:
        parts.append(_notes_problems_box(context, problems))
    parts.append(synthetic_banner(context.synthetic))
    return "\n".join(parts)


def _notes_problems_box(context: ReviewContext, problems: list) -> str:
    """The errors in the review team's notes, file and line, shown where the title is."""
    from review_lib.report.wording.notes import pseudonymise

    items = "".join(
        f"<li>{esc(pseudonymise(str(p).replace(': error: ', ': ', 1), context.review))}</li>"
        for p in problems)
    count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
    return ('<div class="banner draft notes-problems" role="note">'
            f"<p>The review team's notes have {count}, so this report is a draft until they "
            "are put right. Sections the notes could not give say that they await the "
            "review team.</p>"
            f"<ul>{items}</ul></div>")


def _other_reports(context: ReviewContext) -> list[tuple[str, str]]:
    return [("distributions.html", "Distributions of ratings (for analysts)"),
            ("../cross-council.html", f"All councils in {context.review.cycle}"),
            ("../../index.html", "Index of every report")]


@sectioned
def navigation(context: ReviewContext) -> str:
    """The contents list, and links to the council's other reports and the index.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    str
        HTML ``<nav>``.
    """
    from review_lib.report.navigation import contents_nav

    return contents_nav(CONTENTS, _other_reports(context))


# --------------------------------------------------------------------------- summary


def _scope(context: ReviewContext, **more) -> dict:
    """What a claim of this report is about: its council and cycle, and anything more."""
    return {"council": context.results.council, "cycle": context.results.cycle, **more}


def _lead(context: ReviewContext) -> str:
    results = context.results
    cases = results.cases
    if not cases.n:
        return "No case record had an overall judgement."
    return stated(f"{cases.successes} of the {_records(cases.n)} ({_pct(cases.share)}) were "
                  "Good or better overall.", "share", _scope(context), measure="judgements",
                  successes=cases.successes, n=cases.n)


def _uncertainty(context: ReviewContext) -> str:
    cases = context.results.cases
    if not cases.n:
        return ""
    return ("With " + stated(
        f"{cases.n} records, that figure is not exact. The 95% interval, the range the true "
        f"figure is likely to lie in, runs from {_pct(cases.ci_low)} to "
        f"{_pct(cases.ci_high)}.", "interval", _scope(context), measure="judgements",
        successes=cases.successes, n=cases.n, ci_low=cases.ci_low, ci_high=cases.ci_high))


def _position_words(context: ReviewContext) -> str:
    results = context.results
    position = results.position
    if position is None:
        return (f"Too few councils have data for {results.cycle} to compare "
                f"{results.council} with the others.")
    point = position.judgements
    average = (f"{_pct(point.programme_successes / point.programme_n)}: "
               f"{point.programme_successes} of {_records(point.programme_n)}")
    which = (f"the average of all {len(position.councils)} councils reviewed in "
             f"{results.cycle}, {results.council} included ({average})")
    if point.flag == "within":
        text = (f"This is not clearly different from {which}. The gap is within what chance "
                "would give with this many records.")
    else:
        side = "above" if point.flag.startswith("above") else "below"
        text = (f"This is well {side} {which}. The gap is larger than chance would explain."
                if point.flag.endswith("998") else
                f"This is {side} {which}. The gap is worth a closer look, but chance could "
                "still explain it.")
    return stated(text, "council_vs_average", _scope(context), measure="judgements",
                  successes=point.successes, n=point.n,
                  average_successes=point.programme_successes,
                  average_n=point.programme_n, includes_council=True,
                  councils=len(position.councils), flag=point.flag)


def _change_words(context: ReviewContext) -> str:
    results = context.results
    change = results.change
    if change is None:
        previous = context.previous_notes
        if previous is not None:
            return stated(
                f"The previous review, in {previous[0]}, has no case-level figures here, so "
                "the two cannot be compared. Section 2 follows up its recommendations.",
                "earlier_review", _scope(context), exists=True, earlier_cycle=previous[0],
                with_ratings=False)
        return stated(f"There is no earlier review of {results.council} in the data to compare "
                      "with.", "earlier_review", _scope(context), exists=False)
    before, after = change.cases.before, change.cases.after
    points = round(change.cases.difference * 100)
    then = (f"At the previous review, in {change.previous_cycle}, {before.successes} of "
            f"{before.n} records ({_pct(before.share)}) were Good or better.")
    if change.cases.beyond_chance:
        way = "rise" if points > 0 else "fall"
        verdict = f"The {way} of {_points_words(points)} is clear evidence of a change."
    elif change.cases.difference == 0:
        verdict = ("The share is the same now, which is no clear evidence of a change either "
                   "way: twenty or so records can show only large changes.")
    elif points == 0:
        verdict = ("The two shares are within half a percentage point of each other: no clear "
                   "evidence of a change.")
    else:
        way = "rise" if points > 0 else "fall"
        verdict = (f"The {way} of {_points_words(points)} is not clear evidence of a change. "
                   "Twenty or so records can show only large changes.")
    return stated(f"{then} {verdict}", "change", _scope(context), measure="judgements",
                  previous_cycle=change.previous_cycle, before_successes=before.successes,
                  before_n=before.n, after_successes=after.successes, after_n=after.n,
                  points=points, clear=bool(change.cases.beyond_chance))


def _ends(context: ReviewContext, column: str, most: int = 3) -> list[str]:
    """The questions with the largest value of ``column``, ties at the cut-off included.

    The same choice as the findings' strengths and areas for improvement make.
    """
    table = _questions(context.results)
    count = {"share_good": "good_or_better", "share_ri_or_worse": "below_good"}[column]
    candidates = table[table[count] > 0]
    return _pick(candidates, column, most)[0] if len(candidates) else []


def _question_list(context: ReviewContext, ids: list[str], count: str) -> str:
    """Each question with its own count; questions with the same count named together."""
    table = context.results.questions
    what = "Good or better" if count == "good_or_better" else "below Good"
    groups: list[tuple[tuple[int, int], list[str]]] = []
    for qid in ids:
        key = (int(table.loc[qid, count]), int(table.loc[qid, "n"]))
        if groups and groups[-1][0] == key:
            groups[-1][1].append(qid)
        else:
            groups.append((key, [qid]))
    phrases = []
    for (value, n), members in groups:
        names = join_words([f"{table.loc[q, 'label']} ({q})" for q in members])
        each = " each" if len(members) > 1 else ""
        phrase = f"{names}: {value} of {n} {what}{each}"
        for qid in members:
            stated(phrase, "question_count", _scope(context, question=qid), measure=count,
                   count=value, n=n)
        phrases.append(phrase)
    text = "; ".join(phrases)
    return stated(text, "question_top", _scope(context), measure=count, questions=ids)


def _questions_differ(context: ReviewContext) -> str:
    """Whether the questions differ within the same records, in plain words."""
    test = context.results.question_comparison
    if math.isnan(test.p_value):
        return ""
    if test.differ:
        text = ("The questions do differ from one another by more than chance would explain "
                "(the appendix says which stand out).")
    else:
        text = (f"The questions are not clearly different from one another: gaps like these "
                f"could arise by chance in {_records(context.results.n_cases)}. So these are "
                "where to look first, not proven strengths or weaknesses.")
    return stated(text, "questions_differ", _scope(context), differ=bool(test.differ))


_URGENT_MARK = '<strong class="urgent-mark">Urgent</strong>'
_KEY_MESSAGES_AWAIT = "The key messages await the review team."


def _recommendation_items(notes: ReviewNotes | None) -> str:
    if notes is None or not notes.recommendations:
        return f'<p class="awaiting">{esc("The recommendations await the review team.")}</p>'
    items = "".join(f'<li value="{r.number}">'
                    + (f"{_URGENT_MARK} " if getattr(r, "urgent", False) else "")
                    + f"{esc(r.text)}</li>" for r in notes.recommendations)
    return f"<ol>{items}</ol>"


def _key_messages(context: ReviewContext) -> str:
    """The review team's key messages and any urgent recommendation: the summary's opening."""
    notes = context.notes
    messages = tuple(getattr(notes, "key_messages", ())) if notes is not None else ()
    parts = ["<h3>Key messages</h3>"]
    if messages:
        parts.append('<ul class="key-messages">'
                     + "".join(f"<li>{_inline_html(context, m)}</li>" for m in messages)
                     + "</ul>")
    else:
        parts.append(f'<p class="awaiting">{esc(_KEY_MESSAGES_AWAIT)}</p>')
    urgent = [r for r in (notes.recommendations if notes is not None else ())
              if getattr(r, "urgent", False)]
    if urgent:
        count = ("One recommendation is" if len(urgent) == 1
                 else f"{len(urgent)} recommendations are")
        items = "".join(
            f'<li>{_URGENT_MARK} <span class="label">{esc(r.label)}</span> {esc(r.text)}'
            + (f" <em>Owner: {esc(r.owner)}.</em>" if r.owner else "")
            + (f" <em>Timescale: {esc(r.timescale)}.</em>" if r.timescale else "") + "</li>"
            for r in urgent)
        parts.append(f'<div class="urgent" role="note"><p><strong>{count} to be put right '
                     f"urgently:</strong></p><ul>{items}</ul></div>")
    return "\n".join(parts)


def _inline_html(context: ReviewContext, text: str) -> str:
    """One line of notes (a key message) as inline HTML: emphasis kept, cases pseudonymised."""
    html = _notes_html(context, text).strip()
    match = re.fullmatch(r"<p>(.*)</p>", html, flags=re.S)
    return match.group(1) if match else html


def _follow_up(context: ReviewContext) -> FollowUp | None:
    return follow_up(context.notes, context.previous_notes)


def _status_words(context: ReviewContext, found: FollowUp, these: bool = False) -> str:
    """How many of the previous review's recommendations were met, partly met and so on.

    ``these``: the sentence follows one that gave the recommendations' count and cycle.
    """
    counts = found.counts
    total = len(found.items)
    figures = {"statuses": {status: counts[status] for status in FOLLOW_UP_STATUSES},
               "no_status": counts[None], "count": total,
               "earlier_cycle": found.previous_cycle}
    recs = f"recommendation{'s' if total != 1 else ''}"
    given = [f"{counts[s]} {'were ' if i == 0 else ''}{s}" for i, s in
             enumerate(s for s in FOLLOW_UP_STATUSES if counts[s])]
    if not given:
        text = (f"The host council's updates give no status (met, partly met, not met or "
                f"replaced) for the {found.previous_cycle} review's {total} {recs}.")
    else:
        listed = join_words(given)
        if given[0].startswith("1 were"):
            listed = listed.replace("1 were", "1 was", 1)
        if counts[None]:
            listed += (f"; {counts[None]} {'has' if counts[None] == 1 else 'have'} no status "
                       "in the update")
        text = (f"Of these {total} {recs}, {listed}." if these else
                f"Of the {found.previous_cycle} review's {total} {recs}, {listed}.")
    return stated(text, "recommendation_statuses", _scope(context), **figures)


def _raised_again_words(context: ReviewContext, found: FollowUp) -> str:
    again = [(item.recommendation.label, item.raised_again) for item in found.items
             if item.raised_again]
    if not again:
        return ""
    earlier = join_words([f"{found.previous_cycle} {label}" for label, _ in again])
    now = join_words(sorted({f"R{n}" for _, numbers in again for n in numbers},
                            key=lambda label: int(label[1:])))
    return (f"This review raises again {earlier}: see its recommendation"
            f"{'s' if ' and ' in now or ',' in now else ''} {now}.")


@sectioned
def summary(context: ReviewContext) -> str:
    """The summary: key messages and urgent recommendations first, then the figures.

    The review team's key messages (or a plain note that they await the team) and any
    recommendation marked urgent open it, before any figure; then the share Good or better,
    the comparison with the other councils, the change since the previous review with the
    count of its recommendations' statuses, the questions at either end and the
    recommendations.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    str
        HTML.
    """
    results, notes = context.results, context.notes
    highest = _ends(context, "share_good")
    lowest = _ends(context, "share_ri_or_worse")
    rows = []
    if highest:
        rows.append(f"<li><strong>Most often Good or better:</strong> "
                    f"{esc(_question_list(context, highest, 'good_or_better'))}.</li>")
    if lowest:
        rows.append(f"<li><strong>Most often below Good:</strong> "
                    f"{esc(_question_list(context, lowest, 'below_good'))}.</li>")
    elif results.n_ratings:
        rows.append("<li>" + esc(stated("No question had a rating below Good.",
                                        "no_question_below_good", _scope(context))) + "</li>")
    differ = _questions_differ(context) if rows else ""
    theme = (f"<p>The theme of the review was {esc(notes.theme)}.</p>"
             if notes is not None and notes.theme else "")
    found = _follow_up(context)
    since = [esc(_change_words(context))]
    if found is not None:
        since += [esc(_status_words(context, found)), esc(_raised_again_words(context, found))]
    parts = [
        '<section class="summary report-section">', _heading("summary"),
        _key_messages(context),
        "<h3>What the case records show</h3>",
        f'<p class="lead"><strong>{esc(_lead(context))}</strong> {esc(_uncertainty(context))}'
        "</p>", theme,
        "<h3>Compared with the other councils</h3>", f"<p>{esc(_position_words(context))}</p>",
        "<h3>Since the previous review</h3>", f"<p>{' '.join(p for p in since if p)}</p>",
        "<h3>The questions at either end</h3>",
        f"<ul>{''.join(rows)}</ul>" if rows else "<p>No question was rated.</p>",
        "<p>Each figure counts case records, out of the records rated on that question."
        + (f" {esc(differ)}" if differ else "") + "</p>",
        "<h3>The review team's recommendations</h3>", _recommendation_items(notes),
        "</section>",
    ]
    return "\n".join(p for p in parts if p)


# --------------------------------------------------------------------------- notes sections


@sectioned
def introduction(context: ReviewContext) -> Section:
    """Section 1: the theme, the dates and the elements of the review.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    Section
        The review team's introduction, after the facts the data give.
    """
    review, notes = context.review, context.notes
    when = (notes.review_dates if notes is not None and notes.review_dates
            else format_month(review.review_month) if review.review_month else None)
    scope = _scope(context)
    facts = [f"The Practice Review of {review.council} took place"
             + (f" in {stated(when, 'review_dates', scope, dates=when)}." if when
                else f" in the {review.cycle} cycle.")]
    if notes is not None and notes.theme:
        facts.append(f"The theme was {notes.theme}.")
    facts.append(stated(f"The review team examined {_records(review.n_cases)}.", "records",
                        scope, n_cases=review.n_cases))
    return _notes_section(context, "introduction", "introduction",
                          f"<p>{esc(' '.join(facts))}</p>")


@sectioned
def previous_review(context: ReviewContext) -> Section:
    """Section 2: the previous review's recommendations, each with the host council's update.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    Section
        HTML, with a frame of the recommendations and their updates.
    """
    notes, previous = context.notes, context.previous_notes
    parts = ['<section class="report-section">', _heading("previous-review")]
    if notes is not None and notes.previous_review_text.strip():
        parts.append(_notes_html(context, notes.previous_review_text))
    frame = None
    if previous is not None and previous[1].recommendations:
        cycle, earlier = previous
        when = f" ({earlier.review_dates})" if earlier.review_dates else ""
        count = len(earlier.recommendations)
        made = stated(f"The previous review, in the {cycle} cycle{when}, made {count} "
                      f"recommendation{'s' if count != 1 else ''}.", "earlier_review",
                      _scope(context), exists=True, earlier_cycle=cycle)
        found = _follow_up(context)
        parts.append(f"<p>{esc(made)} {esc(_status_words(context, found, these=True))} "
                     "Each is given below with its status and the host council's update.</p>")
        items, rows = [], []
        for item in found.items:
            rec, update = item.recommendation, item.update
            said = (_notes_html(context, update.text) if update is not None
                    else '<p class="no-update">No update given.</p>')
            status = item.status
            mark = (f'<p class="status status-{status.replace(" ", "-")}"><strong>Status:'
                    f"</strong> {esc(status)}</p>" if status else
                    '<p class="status no-update"><strong>Status:</strong> not given</p>')
            again = ""
            if item.raised_again:
                labels = join_words([f"R{n}" for n in item.raised_again])
                again = (f'<p class="raised-again"><strong>Raised again</strong> in this '
                         f"review: see {esc(labels)} (section 8).</p>")
            changes = _question_changes(context, rec.questions, cycle)
            change_html = ("" if not changes else '<div class="question-change"><p><strong>'
                           f"Then and now</strong> (records Good or better, {esc(cycle)} and "
                           f"{esc(context.results.cycle)}):</p><ul>"
                           + "".join(f"<li>{esc(line)}</li>" for line in changes)
                           + "</ul></div>")
            items.append(f'<li value="{rec.number}"><p class="recommendation">{esc(rec.text)}'
                         f"</p>{mark}"
                         f'<div class="update"><strong>Update:</strong> {said}</div>'
                         f"{again}{change_html}</li>")
            rows.append({"number": rec.label, "recommendation": rec.text, "status": status,
                         "update": update.text if update is not None else None,
                         "raised_again": ", ".join(f"R{n}" for n in item.raised_again)
                         or None})
        parts.append(f'<ol class="follow-up">{"".join(items)}</ol>')
        frame = pd.DataFrame(rows).set_index("number")
    elif notes is None or not notes.previous_review_text.strip():
        change = context.results.change
        if change is not None:
            said = stated(f"The data hold the {change.previous_cycle} review of "
                          f"{context.review.council}, but no notes of its recommendations.",
                          "earlier_review", _scope(context), exists=True,
                          earlier_cycle=change.previous_cycle, notes=False)
        else:
            said = stated(f"There is no earlier review of {context.review.council} in the "
                          "data.", "earlier_review", _scope(context), exists=False)
        parts.append(f"<p>{esc(said)}</p>")
    parts.append("</section>")
    return Section("\n".join(parts), frame=frame)


def _question_changes(context: ReviewContext, question_ids, earlier_cycle: str) -> list[str]:
    """Each tagged question's share Good or better at the earlier review and now, in words.

    Only where the data hold both reviews (:attr:`ReviewChange.questions`); the figures are
    the analysis's, never counted here.
    """
    change = context.results.change
    if change is None or change.questions is None or change.previous_cycle != earlier_cycle:
        return []
    table, labels = change.questions, {q.id: q.short_label for q in context.catalogue}
    lines = []
    for qid in question_ids:
        if qid not in table.index:
            continue
        row = table.loc[qid]
        before, after = (int(row["before_good"]), int(row["before_n"])), (
            int(row["after_good"]), int(row["after_n"]))
        if not before[1] or not after[1]:
            continue
        text = (f"{labels.get(qid, qid)} ({qid}): {before[0]} of {before[1]} records "
                f"({_pct(row['before_share'])}) in {earlier_cycle}; {after[0]} of {after[1]} "
                f"({_pct(row['after_share'])}) in {context.results.cycle}.")
        lines.append(stated(text, "question_change", _scope(context, question=qid),
                            previous_cycle=earlier_cycle, before_successes=before[0],
                            before_n=before[1], after_successes=after[0], after_n=after[1]))
    return lines


@sectioned
def meetings(context: ReviewContext) -> Section:
    """Section 3: themes from the meetings with practitioners and managers.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    Section
        HTML.
    """
    return _notes_section(context, "meetings", "meetings")


@sectioned
def records_analysis(context: ReviewContext) -> Section:
    """Section 5: the Principal Social Workers' analysis of the case records.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    Section
        HTML.
    """
    return _notes_section(context, "records", "records")


@sectioned
def observations(context: ReviewContext) -> Section:
    """Section 6: the review team's observations.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    Section
        HTML.
    """
    return _notes_section(context, "observations", "observations")


@sectioned
def key_strengths(context: ReviewContext) -> Section:
    """Section 7: the key strengths the review team found.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    Section
        HTML.
    """
    return _notes_section(context, "key-strengths", "key_strengths")


@sectioned
def review_team(context: ReviewContext) -> Section:
    """Who wrote the report, and when.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    Section
        HTML.
    """
    return _notes_section(context, "review-team", "review_team")


# --------------------------------------------------------------------------- recommendations


def evidence(context: ReviewContext, question_ids) -> list[str]:
    """What the data say about the questions a recommendation is tagged with, in words.

    Parameters
    ----------
    context : ReviewContext
        The review.
    question_ids : iterable of str
        Question ids, such as ``["Q11"]``.

    Returns
    -------
    list of str
        One sentence per question rated in this review.
    """
    table = context.results.questions
    lines = []
    for qid in question_ids:
        if qid not in table.index or not int(table.loc[qid, "n"]):
            continue
        row = table.loc[qid]
        n, good, below = int(row["n"]), int(row["good_or_better"]), int(row["below_good"])
        scope = _scope(context, question=qid)
        good_words = stated(f"{good} of {n} records Good or better", "question_count", scope,
                            measure="good_or_better", count=good, n=n)
        interval = stated(f"95% interval {_pct(row['ci_low'])} to {_pct(row['ci_high'])}",
                          "question_interval", scope, successes=good, n=n,
                          ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]))
        below_words = stated(f"{below} below Good", "question_count", scope,
                             measure="below_good", count=below, n=n)
        lines.append(f"{row['label']} ({qid}): {good_words} ({_pct(row['share_good'])}; "
                     f"{interval}). {below_words}.")
    return lines


@sectioned
def recommendations(context: ReviewContext) -> Section:
    """Section 8: the recommendations, each beside the evidence for its tagged questions.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    Section
        HTML, with a frame of the recommendations and their questions.
    """
    notes = context.notes
    parts = ['<section class="report-section">', _heading("recommendations")]
    if notes is None or not notes.recommendations:
        parts += [f'<p class="awaiting">{esc(_AWAITS)}</p>', "</section>"]
        return Section("\n".join(parts))
    followed = _follow_up(context)
    items, rows = [], []
    for rec in notes.recommendations:
        found = evidence(context, rec.questions)
        aside = ("" if not found else '<div class="evidence"><p class="evidence-title">'
                 "What the case records show</p><ul>"
                 + "".join(f"<li>{esc(line)}</li>" for line in found) + "</ul></div>")
        earlier = followed.earlier_for(rec.number) if followed is not None else ()
        again = ("" if not earlier else '<p class="raised-again"><strong>Raised again:'
                 "</strong> see " + esc(join_words([f"{followed.previous_cycle} R{n}"
                                                    for n in earlier])) + " (section 2).</p>")
        plan = [(name, value) for name, value in (
            ("Priority", (rec.priority or "").capitalize()), ("Owner", rec.owner),
            ("Timescale", rec.timescale), ("Measure of progress", rec.measure)) if value]
        plan_html = ("" if not plan else '<dl class="action">' + "".join(
            f"<dt>{esc(name)}</dt><dd>{esc(value)}</dd>" for name, value in plan) + "</dl>")
        mark = f"{_URGENT_MARK} " if rec.urgent else ""
        items.append(f'<li value="{rec.number}"><p class="recommendation">{mark}'
                     f"{esc(rec.text)}</p>{again}{plan_html}{aside}</li>")
        rows.append({"number": rec.label, "recommendation": rec.text,
                     "questions": ", ".join(rec.questions), "urgent": rec.urgent,
                     "priority": rec.priority, "owner": rec.owner,
                     "timescale": rec.timescale, "measure": rec.measure,
                     "raised_again": ", ".join(f"R{n}" for n in earlier) or None})
    plan_note = ('<p class="action-plan-note">The action plan sets out these recommendations '
                 "with their owners and timescales, ready to record progress: "
                 '<a href="action-plan.xlsx">a spreadsheet</a> and '
                 '<a href="action-plan.docx">a Word table</a>, beside this report.</p>')
    parts += [f'<ol class="recommendations">{"".join(items)}</ol>', plan_note, "</section>"]
    return Section("\n".join(parts), frame=pd.DataFrame(rows).set_index("number"))


# --------------------------------------------------------------------------- section 4


def _rounding_note(context: ReviewContext) -> str:
    """Where a published report printed a percentage rounded otherwise than the counts give.

    Only for a review whose counts are a published report's
    (:mod:`review_lib.data.published`), using its check of the printed percentages.
    """
    from review_lib.data.published import load_published, printed_percent_differences

    review, results = context.review, context.results
    try:
        totals = load_published()
    except (OSError, ValueError):
        return ""
    rows = totals[(totals["council"].str.casefold() == review.council.casefold())
                  & (totals["cycle"] == review.cycle)]
    tables = {"ratings": (results.rating_counts, "question ratings"),
              "overall": (results.overall_counts, "overall judgements")}
    for table, (counts, _) in tables.items():
        printed = rows[rows["table"] == table].set_index("level")["count"]
        if printed.empty or any(int(printed.get(level, 0)) != counts[level] for level in LEVELS):
            return ""  # not the published counts: the printed percentages say nothing here
    differ = [f"{row.level} {tables[row.table][1]} as {row.printed_percent}%, where the "
              f"counts give {row.computed_percent:.1f}%"
              for row in printed_percent_differences(rows).itertuples()]
    if not differ:
        return ""
    return ("The counts in these tables are the published ones. The published report printed "
            + "; ".join(differ) + ". Only the rounding differs.")


@sectioned
def audit_data(context: ReviewContext) -> Section:
    """Section 4: the published section, completed, with a graph for every question.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    Section
        HTML: who examined the records, whether any was referred back, the two tables,
        the chart of every question and one figure of a small panel per question.
    """
    results, notes = context.results, context.notes
    per = list(results.cases_per_auditor.values())
    each = (f" ({per[0]} each)" if per and min(per) == max(per) else "")
    auditors = results.n_auditors
    opening = [stated(f"The {auditors} Principal Social Worker{'s' if auditors != 1 else ''} "
                      f"examined {_records(results.n_cases)}{each}.", "records",
                      _scope(context), n_cases=results.n_cases, auditors=auditors,
                      per_auditor=per[0] if each else None)
               + " They completed the audit tool for each one."]
    if notes is not None and notes.referred_back is not None:
        count = notes.referred_back
        opening.append("No case record was referred back to the council because of "
                       "significant concerns." if count == 0 else
                       f"{_records(count).capitalize()} {'was' if count == 1 else 'were'} "
                       "referred back to the council because of significant concerns.")
    else:
        opening.append("The review team has not yet said whether any case record was "
                       "referred back to the council because of significant concerns.")
    opening.append(f"The audit tool has {results.n_questions} questions. Each is rated "
                   "Outstanding, Good, Requires Improvement or Inadequate.")
    na = results.n_not_applicable
    rated = stated(f"In total {results.n_ratings} questions were rated ({results.n_cases} x "
                   f"{results.n_questions}" + (f", less {na} that did not apply" if na else "")
                   + ")", "ratings_total", _scope(context), n_ratings=results.n_ratings,
                   n_cases=results.n_cases, n_questions=results.n_questions,
                   not_applicable=na) + ":"
    ratings_share = results.ratings
    after_table = stated(
        f"Of the question ratings, {ratings_share.successes} of {ratings_share.n} "
        f"({_pct(ratings_share.share)}) were Good or better", "share", _scope(context),
        measure="ratings", successes=ratings_share.successes, n=ratings_share.n) + (
        f" (95% interval {_pct(ratings_share.ci_low)} to {_pct(ratings_share.ci_high)}). The "
        "interval allows for the ratings of one record going together.")
    counts = level_table(results.overall_counts)
    overall = [f"{level} {int(counts.loc[level, 'count'])}" for level in LEVELS]
    judged = ("Each case record was also given an overall judgement on the same scale: "
              + stated(f"{', '.join(overall[:-1])} and {overall[-1]}", "level_counts",
                       _scope(context), measure="judgements", counts=results.overall_counts)
              + ".")
    note = _rounding_note(context)
    labels = {q.id: f"{q.id} {q.short_label}" for q in context.catalogue}
    table = results.questions.sort_values(["share_good", "Outstanding"], ascending=False,
                                          kind="stable")
    ends = extremes_sentence(table[table["n"] > 0], labels, _scope(context))
    overview = chart_html(
        charts.diverging_bars, table, labels=labels, sort=False,
        title=f"Ratings by question, {results.council} {results.cycle}",
        alt=charts.alt_text_diverging(table, labels=labels),
        caption=f"Each bar is one question, highest share Good or better first. {ends}",
        filename="questions.png", folder=context.figures_dir)
    # One figure of a small panel per question, in catalogue order (the tables' order).
    panels = chart_html(
        charts.question_panels, results.questions, labels=labels,
        alt=charts.alt_text_question_panels(results.questions, labels=labels),
        caption="Each panel is one question: how many case records were rated at each "
                "level, with the number rated (n). Every panel has the same scale, so bars "
                "of the same length are the same number of records.",
        filename="question-panels.png", folder=context.figures_dir)
    parts = [
        '<section class="report-section">', _heading("audit-data"),
        f"<p>{esc(' '.join(opening))}</p>", f"<p>{esc(rated)}</p>",
        count_table_html(level_table(results.rating_counts),
                         "Table 1. Question ratings, all questions and cases"),
        f"<p>{esc(after_table)}</p>", f"<p>{esc(judged)}</p>",
        count_table_html(counts, "Table 2. Overall judgement of each case record"),
        f'<p class="footnote">{esc(note)}</p>' if note else "",
        f"<h3>Graphs for the {results.n_questions} questions</h3>", overview, panels,
        "</section>",
    ]
    return combined(*[p for p in parts if p], frame=results.questions)


# --------------------------------------------------------------------------- appendix


@sectioned
def appendix(context: ReviewContext) -> Section:
    """How to read the figures, the methods, the detailed findings and the funnel chart.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    Section
        HTML.
    """
    notes = context.notes
    selection = notes.selection if notes is not None else None
    how = {"random": "**The council drew the case records at random**, as the review team's "
                     "notes say. Even so, about 20 records show only large differences.",
           "chosen": "**Case records were chosen, not drawn at random**, as the review team's "
                     "notes say. The host council selects them, often around the theme. The "
                     "figures describe these records, not all practice."}.get(
        selection, "**How the case records were chosen** is not given in the review team's "
                   "notes. Host councils usually choose them, often around the theme, rather "
                   "than drawing them at random; the figures describe these records, not all "
                   "practice.")
    stated(how.replace("**", ""), "selection", _scope(context), how=selection)
    reading = "\n".join([
        "- **Good or better** means a rating of Outstanding or Good.",
        "- **95% interval.** With about 20 case records, one record more or less moves a "
        "share by about 5 points. The 95% interval is the range the true share for records "
        "like these is likely to lie in.",
        "- **Compared with the other councils.** A council is compared with the average of "
        "all the councils in its cycle. Limits around that average show how far chance "
        "alone could take a council with this many records. A council outside the wider "
        "limits differs by more than chance would explain. Councils are never ranked.",
        f"- {how}",
    ])
    technical = context_findings(context)
    detail = []
    for heading, text in technical.items():
        detail.append(f"<h4>{esc(heading)}</h4>")
        detail.append(markdown_html(text))
        if heading.startswith("How the council compares"):
            detail.append(funnel_position(context))
    questions = pd.DataFrame(
        {"Short label": [q.short_label for q in context.catalogue],
         "The question": [q.question for q in context.catalogue]},
        index=pd.Index([q.id for q in context.catalogue], name="Question"))
    wording = html_table(questions, "The questions of the audit tool, as the auditors read "
                                    "them", numeric=[])
    parts = ['<section class="report-section appendix">', _heading("appendix"),
             markdown_html(reading), "<h3>The questions of the audit tool</h3>",
             "<p>Each case record was rated on these questions. The charts and tables give "
             "each by its number and short label.</p>", wording,
             "<h3>Detailed figures and methods</h3>",
             "<p>These are the figures behind the report, with the statistical methods "
             "named, for analysts and for anyone checking the numbers.</p>", *detail,
             "</section>"]
    section = combined(*parts)
    return replace(section, claims=claims_of(section, *technical.values()))
