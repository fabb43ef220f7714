"""The sections of the council notebooks, each returned as HTML ready to display.

The notebooks stay thin: a parameter cell, one call to
:func:`review_lib.report.context.open_review`, then one call per section. Each section here
combines a statistic, a chart or table, and the
sentence that says what it shows.
"""

from __future__ import annotations

import html as html_module
import re
from dataclasses import replace

import pandas as pd

from review_lib.analysis.summary import (
    format_percent,
    headline_sentence,
    level_table,
)
from review_lib.data.scale import LEVELS
from review_lib.report import charts
from review_lib.report.claims import claims_of, stated
from review_lib.report.context import ReviewContext
from review_lib.report.html import (
    callout,
    chart_html,
    count_table_html,
    esc,
    footer_html,
    html_table,
    title_block,
)
from review_lib.report.section import Section, combined, sectioned

AUDITOR_CAVEAT = (
    "One auditor rated each case, and each auditor saw different cases. Differences between "
    "auditors therefore mix how strictly each auditor rated with how good the practice in "
    "their cases was; this view cannot separate the two and should not be read as a "
    "comparison of auditors."
)


def _ci(low: float, high: float) -> str:
    return f"{format_percent(low, 0)} to {format_percent(high, 0)}"


@sectioned
def title(context: ReviewContext, kind: str) -> str:
    """The report title block (see :func:`review_lib.report.title_block`).

    Parameters
    ----------
    context : ReviewContext
        The review.
    kind : str
        Which report.

    Returns
    -------
    str
        HTML.
    """
    return title_block(context, kind)


#: The distributions notebook's headings, as nbconvert anchors them (spaces become hyphens).
DISTRIBUTION_HEADINGS = ("The two summary tables", "Ratings by question", "Overall judgements",
                         "Ratings by auditor", "Each case's judgement against its own ratings",
                         "Questions marked not applicable")


@sectioned
def navigation(context: ReviewContext) -> str:
    """The distributions report's contents, and links to the council's other reports.

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

    return contents_nav(
        [(h.replace(" ", "-"), h) for h in DISTRIBUTION_HEADINGS],
        [("leadership.html", "The Practice Review report (for leadership)"),
         ("../cross-council.html", f"All councils in {context.review.cycle}"),
         ("../../index.html", "Index of every report")])


@sectioned
def section4_tables(context: ReviewContext) -> str:
    """The two tables a published report prints in section 4, and the headline sentence.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    str
        HTML: question ratings table, overall judgements table, headline paragraph.
    """
    results = context.results
    ratings = level_table(results.rating_counts)
    judgements = level_table(results.overall_counts)
    na = results.n_not_applicable
    scope = {"council": results.council, "cycle": results.cycle}
    rated = stated(f"In total {results.n_ratings} question ratings were given "
                   f"({results.n_cases} cases x {results.n_questions} questions"
                   + (f", less {na} marked not applicable" if na else "") + ").",
                   "ratings_total", scope, n_ratings=results.n_ratings,
                   n_cases=results.n_cases, n_questions=results.n_questions,
                   not_applicable=na)
    cases, share = results.cases, results.ratings
    judged = stated(headline_sentence(results.overall_counts), "share", scope,
                    measure="judgements", successes=cases.successes, n=cases.n)
    rated_share = stated(f"Of the question ratings, {share.describe()} were Outstanding or "
                         "Good.", "share", scope, measure="ratings",
                         successes=share.successes, n=share.n)
    html = "\n".join([
        f"<p>{esc(rated)}</p>",
        count_table_html(ratings, "Table 1. Question ratings, all questions and cases"),
        f"<p>{esc(judged)} {esc(rated_share)}</p>",
        count_table_html(judgements, "Table 2. Overall judgement of each case record"),
    ])
    frame = pd.concat({"Question ratings": ratings["count"],
                       "Overall judgements": judgements["count"]}, axis=1)
    return Section(html, frame=frame)


def _summary(context: ReviewContext, sort: bool) -> pd.DataFrame:
    table = context.results.questions
    if sort:
        table = table.sort_values(["share_good", "Outstanding"], ascending=False,
                                  kind="stable")
    return table


@sectioned
def question_chart(context: ReviewContext, *, sort: bool = True) -> str:
    """Diverging stacked bars of every question, with alt text and a caption.

    Parameters
    ----------
    context : ReviewContext
        The review.
    sort : bool, default True
        Order questions by share Good or better (else catalogue order).

    Returns
    -------
    str
        HTML figure.
    """
    table = _summary(context, sort)
    labels = {q.id: f"{q.id} {q.short_label}" for q in context.catalogue}
    from review_lib.report.wording.phrases import extremes_sentence

    order = "ordered from the highest share Good or better" if sort else "in audit-tool order"
    ends = extremes_sentence(table[table["n"] > 0], labels,
                             {"council": context.results.council,
                              "cycle": context.results.cycle})
    caption = (
        f"Each bar shows how the {context.review.n_cases} cases were rated on one question, "
        f"{order}: Good and Outstanding to the right of the centre line, Requires "
        f"Improvement and Inadequate to the left. {ends}")
    return chart_html(charts.diverging_bars, table, labels=labels, sort=False,
                      title=f"Ratings by question, {context.review.council} "
                            f"{context.review.cycle}",
                      alt=charts.alt_text_diverging(table, labels=labels), caption=caption,
                      filename="questions.png", folder=context.figures_dir)


@sectioned
def question_table(context: ReviewContext, *, sort: bool = True) -> str:
    """Per-question counts, n, not applicable, and share Good or better with its interval.

    Parameters
    ----------
    context : ReviewContext
        The review.
    sort : bool, default True
        Same order as the chart.

    Returns
    -------
    str
        HTML table with a note on reading the intervals.
    """
    table = _summary(context, sort)
    frame = pd.DataFrame({
        "Question": [f"{q} {context.catalogue[q].short_label}" for q in table.index],
        **{level: table[level] for level in LEVELS},
        "N/A": table["not_applicable"],
        "n": table["n"],
        "Good or better": [format_percent(s, 0) for s in table["share_good"]],
        "95% interval": [_ci(lo, hi) for lo, hi in zip(table["ci_low"], table["ci_high"],
                                                       strict=True)],
    }).set_index("Question")
    widest = (table["ci_high"] - table["ci_low"]).max()
    note = (f"n is the number of cases rated on the question (not-applicable answers are "
            f"left out). With n around {int(table['n'].median())}, a 95% interval spans up to "
            f"{format_percent(widest, 0)}: questions whose intervals overlap may not truly "
            "differ.")
    return Section(html_table(frame, "Table 3. Ratings by question, with the share Good or "
                              "better", numeric=[*LEVELS, "N/A", "n", "Good or better",
                                                 "95% interval"], note=note),
                   frame=table)


@sectioned
def judgements_section(context: ReviewContext) -> str:
    """Chart of the overall judgements, with alt text and caption.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    str
        HTML figure.
    """
    review, results = context.review, context.results
    counts = level_table(results.overall_counts)
    cases = results.cases
    caption = stated(f"{headline_sentence(results.overall_counts)} The share Good or better "
                     f"is {cases.describe()}.", "share",
                     {"council": results.council, "cycle": results.cycle},
                     measure="judgements", successes=cases.successes, n=cases.n)
    return chart_html(charts.judgement_bars, counts,
                      title=f"Overall judgements, {review.council} {review.cycle}",
                      alt=charts.alt_text_judgements(counts), caption=caption,
                      filename="overall-judgements.png", folder=context.figures_dir)


@sectioned
def auditor_section(context: ReviewContext) -> str:
    """Ratings by auditor: the caveat first, then a table and a chart.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    str
        HTML.
    """
    table = context.results.auditors
    data = table
    lenient, moderation_note = _moderation_leniency(context)
    frame = pd.DataFrame({
        "Cases": table["cases"],
        **{level: table[level] for level in LEVELS},
        "n": table["n"],
        "Good or better": [format_percent(s, 0) for s in table["share_good"]],
        "95% interval": [_ci(lo, hi) for lo, hi in zip(table["ci_low"], table["ci_high"],
                                                       strict=True)],
        "Design effect": [f"{d:.1f}" for d in table["design_effect"]],
    }, index=table.index)
    numeric = ["Cases", *LEVELS, "n", "Good or better", "95% interval", "Design effect"]
    if lenient is not None:
        frame["Leniency in the moderation exercise"] = [
            _leniency_cell(lenient.loc[a]) if a in lenient.index else "not in the exercise"
            for a in frame.index.astype(str)]
        data = table.join(lenient.add_prefix("leniency_"), how="left")
    return combined(
        callout(AUDITOR_CAVEAT, kind="caveat"),
        html_table(frame, "Table 4. Question ratings by auditor", index_header="Auditor",
                   numeric=numeric,
                   note="Each auditor's ratings come from a few case records, so the "
                        "interval allows for the ratings of one record going together "
                        "(Wilson at the effective n: ratings divided by the design effect)."
                        + moderation_note),
        chart_html(charts.auditor_bars, table, title="Question ratings by auditor",
                   alt=charts.alt_text_auditors(table),
                    caption="Each bar shows all the question ratings one auditor gave, over "
                            "the cases that auditor reviewed. " + AUDITOR_CAVEAT.split(". ")[0]
                            + ".",
                    filename="auditors.png", folder=context.figures_dir),
        frame=data)


def _moderation_leniency(context: ReviewContext) -> tuple[pd.DataFrame | None, str]:
    """The review's auditors' leniency in the moderation exercise its notes name, if any.

    Auditor labels are per review, so an exercise is linked only by the review team's
    notes (``moderation:`` in the front matter): its auditors took part under the same
    labels.
    """
    from review_lib.analysis.calibration import exercise_leniency
    from review_lib.data.moderation import exercise_named

    notes = context.notes
    name = notes.moderation if notes is not None else None
    if not name:
        return None, ""
    cycle = context.review.cycle
    exercise = exercise_named(context.exercises, name, cycle)
    if exercise is None:
        return None, (f" The review team's notes name the moderation exercise '{name}', but "
                      f"the data hold no such exercise in {cycle}, so no leniency is shown.")
    key = (exercise.sha256, exercise.name, exercise.cycle)
    if key not in _LENIENCY:
        _LENIENCY[key] = exercise_leniency(exercise)
    lenient = _LENIENCY[key]
    reference = ("the agreed (consensus) rating" if exercise.has_consensus
                 else "the mean of the other auditors")
    return lenient, (
        f" Leniency: in the moderation exercise '{exercise.name}' ({exercise.n_cases} case "
        f"records that every auditor rated), how far each auditor's ratings sat above (+) or "
        f"below (-) {reference}, in scale points (Inadequate 1 to Outstanding 4), with its "
        "95% interval. The review team's notes say this review's auditors took part under "
        "the same labels. An auditor is called more generous or more severe only when the "
        "interval leaves out zero: a tendency measured on other records, which may explain "
        "part, not all, of a difference in the table.")


#: Leniency already computed in this process, by exercise.
_LENIENCY: dict[tuple, pd.DataFrame] = {}


def _leniency_cell(row: pd.Series) -> str:
    def signed(value: float) -> str:
        return f"{value:+.2f}".replace("-", "−")

    words = {"more generous": "; more generous", "more severe": "; more severe"}.get(
        str(row["direction"]), "; no clear difference")
    return (f"{signed(row['mean_difference'])} ({signed(row['low'])} to "
            f"{signed(row['high'])}){words}")


def case_consistency(context: ReviewContext) -> pd.DataFrame:
    """Each case's overall judgement beside the spread of its own question ratings.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    pandas.DataFrame
        :attr:`ReviewResults.case_records <review_lib.analysis.results.ReviewResults>`:
        indexed by case pseudonym, counts of each level, the most common level, the mean
        score (Inadequate 1 ... Outstanding 4), the judgement and whether the judgement is
        above, equal to or below the most common rating.
    """
    return context.results.case_records


@sectioned
def case_section(context: ReviewContext) -> str:
    """How each case's overall judgement sits against its own question ratings.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    str
        HTML: a sentence, a chart and a table, by case pseudonym only.
    """
    table = case_consistency(context)
    same = int((table["judgement_vs_ratings"] == "same").sum())
    higher = table.index[table["judgement_vs_ratings"] == "higher"].tolist()
    lower = table.index[table["judgement_vs_ratings"] == "lower"].tolist()
    parts = [f"In {same} of {len(table)} cases the overall judgement was the same as the "
             "case's most common question rating."]
    if higher:
        parts.append(f"It was higher in {len(higher)} ({', '.join(higher)}).")
    if lower:
        parts.append(f"It was lower in {len(lower)} ({', '.join(lower)}).")
    parts.append("Auditors weigh questions differently, so a difference is not an error, "
                 "but it is worth a look when the judgement is discussed.")
    frame = pd.DataFrame({
        "Auditor": table["auditor"],
        **{level: table[level] for level in LEVELS},
        "Mean score": [f"{m:.2f}" for m in table["mean_score"]],
        "Overall judgement": table["judgement"],
        "Judgement vs most common rating": table["judgement_vs_ratings"],
    }, index=table.index)
    return combined(
        f"<p>{esc(' '.join(parts))}</p>",
        chart_html(charts.case_profile, table,
                   title="Question ratings of each case, with its overall judgement",
                   alt=charts.alt_text_case_profile(table),
                    caption="Each row is one case record (by pseudonym): the bar shows how "
                            "its questions were rated, and the label at the end its overall "
                            "judgement.",
                    filename="cases.png", folder=context.figures_dir),
        html_table(frame, "Table 5. Each case's ratings and overall judgement",
                   index_header="Case",
                   numeric=[*LEVELS, "Mean score"],
                   note="Mean score: Inadequate 1, Requires Improvement 2, Good 3, "
                        "Outstanding 4, over the questions that applied."),
        frame=table)


@sectioned
def not_applicable_section(context: ReviewContext) -> str:
    """Not-applicable answers per question, or a sentence saying there were none.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    str
        HTML.
    """
    review = context.review
    na = review.not_applicable
    if na.empty:
        return ("<p>Every question applied to every case: no answer was marked not "
                "applicable.</p>")
    per_question = na.groupby("question", observed=True).size()
    frame = pd.DataFrame({
        "Question": [f"{q} {context.catalogue[q].short_label}" for q in per_question.index],
        "Not applicable": per_question.to_numpy(),
        "Cases rated": [review.n_cases - int(v) for v in per_question],
    }).set_index("Question")
    said = stated(f"{len(na)} answers were marked not applicable.", "not_applicable",
                  {"council": review.council, "cycle": review.cycle}, count=len(na))
    return "\n".join([
        f"<p>{esc(said)} They are left out of every count and share, so those questions "
        "rest on fewer cases.</p>",
        html_table(frame, "Table 6. Not-applicable answers by question",
                   numeric=["Not applicable", "Cases rated"]),
    ])


@sectioned
def footer(context: ReviewContext) -> str:
    """The report footer (see :func:`review_lib.report.footer_html`).

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    str
        HTML.
    """
    return footer_html(context)


def markdown_html(text: str) -> str:
    """Render Markdown written by the suite or a review team as HTML (raw HTML escaped).

    Parameters
    ----------
    text : str
        Markdown.

    Returns
    -------
    str
        HTML.
    """
    import mistune

    html = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])(text)
    return _with_table_headers(html) if "<table>" in html else html


_BODY_ROW_START = re.compile(r"<tr>(\s*)<td([^>]*)>(.*?)</td>", re.S)
#: A Markdown table's column heading: ``<th>`` with any attributes but a scope.
_HEADING_CELL = re.compile(r"<th((?:\s(?![^>]*\bscope=)[^>]*)?)>(.*?)</th>", re.S)


def _with_table_headers(html: str) -> str:
    """Markdown tables as :func:`~review_lib.report.html.html_table` makes tables.

    Column headings get ``scope="col"``, and long ones balanced lines; each row's first
    cell becomes its row header (``scope="row"``), kept on one line when it is a short
    name, as in ``html_table``.
    """
    from review_lib.report.html import column_heading, row_header

    def first_cell(match: re.Match) -> str:
        space, attributes, content = match.groups()
        return f"<tr>{space}{row_header(content, re.sub(r'<[^>]+>', '', content), attributes)}"

    def heading(match: re.Match) -> str:
        attributes, content = match.groups()
        return column_heading(content, html_module.unescape(content), attributes)

    html = _HEADING_CELL.sub(heading, html)
    return _BODY_ROW_START.sub(first_cell, html)


@sectioned
def findings(context: ReviewContext) -> str:
    """The written-up findings, one headed section each, with the question chart.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    str
        HTML: a ``<h2>`` and its text for each section of
        :func:`review_lib.report.wording.council_findings`, with the question chart after the
        areas for improvement.
    """
    from review_lib.data.narrative import narrative_html

    parts, markdown = [], []
    # The review team's notes are the leadership report's (review_lib.report.leadership).
    written = context_findings(context)
    for heading, text in written.items():
        parts.append(f"<h2>{esc(heading)}</h2>")
        markdown.append(f"## {heading}\n\n{text}")
        if heading.startswith("Themes from the review team"):
            # A team's own headings sit under this section's heading, never beside it.
            text = re.sub(r"^(#{1,4})(?=\s)", r"##\1", text, flags=re.M)
            parts.append(narrative_html(text))  # parsed, then sanitised by an allow-list
        else:
            parts.append(markdown_html(text))
        charted = []
        if heading.lower().startswith("areas for improvement"):
            charted.append(question_chart(context, sort=True))
        if heading.lower().startswith("how the council compares"):
            charted.append(funnel_position(context))
        parts += charted
        markdown += [chart.to_markdown() for chart in charted if chart.html]
    section = combined(*parts, markdown="\n\n".join(markdown))
    return replace(section, claims=claims_of(section, *written.values()))


def context_findings(context: ReviewContext) -> dict[str, str]:
    """The council's written findings, told what the review team's notes say.

    The notes' review dates, an earlier review held only as notes, and how the records
    were chosen reach :func:`review_lib.report.wording.council_findings`, so that every
    section of a report says these things the same way.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    dict of str to str
        Section title to Markdown (each carrying its claims).
    """
    from review_lib.report.wording.council import council_findings

    results, notes, previous = context.results, context.notes, context.previous_notes
    return council_findings(
        results, None, review_dates=notes.review_dates if notes is not None else None,
        earlier_cycle=previous[0] if previous is not None and results.change is None else None,
        selection=notes.selection if notes is not None else None)


def draft_councils(context: ReviewContext) -> frozenset[str]:
    """The councils of the review's cycle whose review is still a draft.

    A review is a draft when its team's notes say so or have errors (its own or its previous
    review's: :meth:`~review_lib.data.notes.NotesIndex.problems_for`), as its own report
    says. A review without notes is not a draft: its report is the data alone.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    frozenset of str
        Council names, as the data give them.
    """
    index, cycle = context.notes_index, context.review.cycle
    drafts = set()
    for review in context.programme.in_cycle(cycle).reviews:
        notes = index.for_review(review.council, cycle)
        if (notes is not None and notes.is_draft) or index.problems_for(review.council, cycle):
            drafts.add(str(review.council))
    return frozenset(drafts)


def named_councils(context: ReviewContext) -> frozenset[str]:
    """The councils a council's own report may name: itself, and others only when asked.

    A council's leadership and distributions reports are written for its own leadership,
    so by default they name no other council: the others are "other councils", and a
    chart of every council names only this one. With ``name_councils``
    (``practice-review run --name-councils``) they name the other councils too, except a
    council whose review is still a draft (:func:`draft_councils`): its findings are not
    yet agreed, so it is left unnamed, as every other council is by default. The
    cross-council report, written for the network, names every council.

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    frozenset of str
        Council names, the review's own always among them.
    """
    own = {str(context.review.council)}
    if not context.name_councils:
        return frozenset(own)
    everyone = {str(r.council) for r in context.programme.in_cycle(context.review.cycle).reviews}
    return frozenset(own | (everyone - draft_councils(context)))


@sectioned
def funnel_position(context: ReviewContext) -> str:
    """The council's own place on its cycle's funnel plot of overall judgements, highlighted.

    The funnel is computed as in the cross-council report
    (:func:`review_lib.analysis.comparison.programme_funnels`).

    Parameters
    ----------
    context : ReviewContext
        The review.

    Returns
    -------
    str
        HTML figure, or nothing when the cycle has fewer than three councils.
    """
    position = context.results.position
    if position is None:
        return ""
    table = position.funnels.judgements
    council = context.review.council
    named = sorted(named_councils(context))
    which = ("the other councils are named where there is room, except any whose review is "
             "still a draft" if len(named) > 1 else "the other councils are not named")
    return chart_html(
        charts.funnel_plot, table, highlight=council, named=named,
        title=f"{council} among the {len(table)} councils of {context.review.cycle}",
        alt=charts.alt_text_funnel(table, highlight=council, named=named),
        caption=f"Share of case records judged Outstanding or Good, against the number of "
                f"records, for every council in the cycle; {council} is highlighted and "
                f"{which}. For a "
                "point inside the dashed 95% lines there is no clear evidence of a difference "
                "from the programme average; beyond the dotted 99.8% lines, the difference is "
                "more than chance would readily explain. Where a line is missing (often the "
                "upper 99.8% line with about 20 records), no share at that number of records "
                "could be beyond it.",
        filename="funnel-position.png", folder=context.figures_dir)
