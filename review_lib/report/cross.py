"""The cross-council report: funnel plots, heat map, judgements, tests and change.

With about 20 cases per council a league table misleads, so councils are compared with the
programme average through funnel limits, and every difference is described as within or
beyond what chance would give. The same funnel computation feeds each council's findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from review_lib.analysis.comparison import Funnels, cross_metrics, programme_funnels
from review_lib.analysis.stats import newcombe_difference
from review_lib.analysis.summary import Proportion, format_percent, question_summary
from review_lib.data.records import Programme
from review_lib.data.scale import LEVELS
from review_lib.files import is_synthetic
from review_lib.report import charts
from review_lib.report.context import load_inputs
from review_lib.report.html import chart_html, esc, html_table, synthetic_banner
from review_lib.report.section import Section, combined, sectioned

__all__ = ["Funnels", "cross_metrics", "programme_funnels"]  # re-exported

FLAG_TEXT = {
    "within": "within the 95% limits",
    "above95": "above the 95% limits",
    "below95": "below the 95% limits",
    "above998": "above the 99.8% limits",
    "below998": "below the 99.8% limits",
}


@dataclass
class CycleContext:
    """Everything the cross-council notebook needs."""

    programme: Programme
    cycle: str
    highlight: str | None
    figures_dir: Path | None
    overdispersion: bool
    synthetic: bool
    funnel_limits: str = "exact"

    @cached_property
    def cycle_programme(self) -> Programme:
        """The reviews of this cycle."""
        return self.programme.in_cycle(self.cycle)

    @cached_property
    def funnels(self) -> Funnels:
        """The cycle's funnel tables, computed once."""
        return programme_funnels(self.cycle_programme, self.funnel_limits)

    @cached_property
    def findings(self) -> dict[str, str]:
        """The regional findings (Markdown by section title), computed once."""
        from review_lib.report.wording.regional import regional_findings as sections

        return sections(self.programme, self.cycle, self.funnel_limits)


def open_cycle(cycle: str, highlight: str = "", data_dir: str | Path | None = None,
               questions: str | Path | None = None, figures_dir: str | Path | None = None,
               overdispersion: bool = False, funnel_limits: str = "exact") -> CycleContext:
    """Load a programme for the cross-council report of one cycle.

    Files with errors are left out (a batch run reports them).

    Parameters
    ----------
    cycle : str
        The programme cycle.
    highlight : str, optional
        A council to highlight in the charts ("" for none).
    data_dir : str or Path, optional
        Folder of review files; the bundled synthetic sample by default.
    questions : str or Path, optional
        Catalogue; else ``$PRACTICE_REVIEW_QUESTIONS``; else the bundled one.
    figures_dir : str or Path, optional
        Chart root; else ``$PRACTICE_REVIEW_FIGURES``; else the project's ``figures/``.
    overdispersion : bool, default False
        Widen the question-ratings funnel limits for overdispersion in the main chart.
    funnel_limits : {"exact", "fingertips"}, default "exact"
        How funnel limits are drawn (:func:`review_lib.analysis.funnel.funnel_table`).

    Returns
    -------
    CycleContext
        The programme and options.

    Raises
    ------
    KeyError
        If no valid review is in that cycle.
    ValueError
        For an unknown ``funnel_limits``.
    """
    from review_lib.analysis.funnel import METHODS
    from review_lib.data.records import normalise_cycle

    if funnel_limits not in METHODS:
        raise ValueError(f"funnel_limits must be one of {', '.join(METHODS)}, "
                         f"not {funnel_limits!r}")
    data, catalogue, results, root = load_inputs(data_dir, questions, figures_dir)
    programme = Programme([r for result in results for r in result.reviews], catalogue)
    cycle = normalise_cycle(cycle) or cycle
    if not programme.in_cycle(cycle).reviews:
        raise KeyError(f"no valid review in cycle {cycle!r}; cycles: "
                       f"{', '.join(programme.cycles) or 'none'}")
    councils = {c.casefold(): c for c in programme.in_cycle(cycle).councils}
    chosen = councils.get((highlight or "").casefold())
    return CycleContext(programme, cycle, chosen,
                        root / cycle / "cross-council" if root is not None else None,
                        overdispersion, is_synthetic(data), funnel_limits)


@sectioned
def title(context: CycleContext) -> str:
    """Title block of the cross-council report.

    Parameters
    ----------
    context : CycleContext
        The cycle.

    Returns
    -------
    str
        HTML.
    """
    cycle_programme = context.cycle_programme
    n_cases = len(cycle_programme.judgements)
    parts = [f"<h1>Practice Review {esc(context.cycle)}: cross-council comparison</h1>",
             f'<p class="subtitle">{len(cycle_programme.reviews)} councils, {n_cases} case '
             "records. Councils are compared with the programme average, allowing for "
             "chance; they are never ranked.</p>", synthetic_banner(context.synthetic)]
    return "\n".join(parts)


@sectioned
def regional_findings(context: CycleContext) -> str:
    """The written-up regional findings, one headed section each.

    Parameters
    ----------
    context : CycleContext
        The cycle.

    Returns
    -------
    str
        HTML.
    """
    from review_lib.report.council import markdown_html

    parts = []
    for heading, text in context.findings.items():
        parts.append(f"<h2>{esc(heading)}</h2>")
        parts.append(markdown_html(text))
    return "\n".join(parts)


def _limit_cell(low: float, high: float) -> str:
    """``"61.2% to 99.2%"``; a side no share can pass is shown as such: ``"49.3% (no upper)"``."""
    if low < 0 and high > 1:
        return "none at this n"
    if high > 1:
        return f"{format_percent(low, 1)} (no upper)"
    if low < 0:
        return f"{format_percent(high, 1)} (no lower)"
    return f"{format_percent(low, 1)} to {format_percent(high, 1)}"


def _funnel_frame(table: pd.DataFrame, unit: str) -> pd.DataFrame:
    frame = {
        f"Good or better (of {unit})": [
            f"{s} of {n} ({format_percent(v, 1)})" for s, n, v in
            zip(table["successes"], table["n"], table["share"], strict=True)],
    }
    if table.attrs.get("axis") == "effective_n" or float(table.attrs.get("design_effect")
                                                          or 1.0) > 1:
        frame["Effective n (design effect)"] = [
            f"{n:.0f} ({d:.1f})" for n, d in zip(table["effective_n"], table["design_effect"],
                                                 strict=True)]
    frame.update({
        "95% limits": [_limit_cell(lo, hi) for lo, hi in
                       zip(table["lower95"], table["upper95"], strict=True)],
        "99.8% limits": [_limit_cell(lo, hi) for lo, hi in
                         zip(table["lower998"], table["upper998"], strict=True)],
        "p above, below": [f"{_p(a)}, {_p(b)}" for a, b in
                           zip(table["p_above"], table["p_below"], strict=True)],
        "Position": [FLAG_TEXT[f] for f in table["flag"]],
    })
    return pd.DataFrame(frame, index=pd.Index(table.index, name="Council"))


def _p(value: float) -> str:
    """A one-sided p-value for the funnel table: ``"0.018"``, ``"< 0.001"``."""
    if value < 0.001:
        return "< 0.001"
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


@sectioned
def funnel_section(context: CycleContext, measure: str = "judgements") -> str:
    """A funnel plot, the councils outside its limits named in text, and its table.

    Parameters
    ----------
    context : CycleContext
        The cycle.
    measure : {"judgements", "ratings"}
        Overall judgements (one per case) or question ratings (at their effective n).

    Returns
    -------
    str
        HTML.
    """
    from review_lib.analysis.funnel import chance_outside

    funnels = context.funnels
    if measure == "judgements":
        table, unit, what = funnels.judgements, "cases", "case records judged Good or better"
        xlabel = "Number of case records"
    else:
        table = funnels.ratings_adjusted if context.overdispersion else funnels.ratings
        unit, what = "ratings", "question ratings Good or better"
        xlabel = "Effective number of question ratings (ratings ÷ design effect)"
    outside = table[table["flag"] != "within"]
    target = table.attrs["target"]
    expected = float(chance_outside(table, "95").sum())
    sentence = [f"Programme average: {format_percent(target, 1)} of {what}."]
    if outside.empty:
        sentence.append("Every council is within the 95% limits: there is no clear evidence "
                        "that any council differs from the programme average.")
    else:
        named = "; ".join(f"{c} ({FLAG_TEXT[f]})" for c, f in outside["flag"].items())
        about = "about" if measure == "judgements" else "at most about"
        sentence.append(f"Outside the 95% limits: {named}. With no real differences, chance "
                        f"alone would put {about} {expected:.1f} of these {len(table)} "
                        "councils outside the 95% limits drawn here; outside the 99.8% "
                        "limits, chance is an unlikely explanation.")
    if measure == "ratings":
        deff = float(table.attrs.get("programme_design_effect")
                     or table.attrs.get("design_effect") or 1.0)
        sentence.append(f"A case's ratings go together (they share the case and its "
                        f"auditor), so each council is placed at the effective number of "
                        f"its ratings: divided by its own design effect or the programme's "
                        f"{deff:.1f}, whichever is larger, which widens the limits. The "
                        "overall judgements remain the main comparison.")
    if table.attrs["method"] == "exact":
        method = ("exact binomial limits around the programme average: with no real "
                  "difference, a council lands outside the 95% lines at most 1 time in 20 "
                  "and outside the 99.8% lines at most 1 time in 500")
    else:
        method = ("Fingertips limits (as PHEindicatormethods computes them) around the "
                  "programme average, at nominal 95% and 99.8%: unlike exact limits they are "
                  "not held to those rates, and with few records chance can cross them more "
                  "often")
    alt = charts.alt_text_funnel(table, highlight=context.highlight,
                                 measure="overall judgements" if measure == "judgements"
                                 else "question ratings")
    return combined(
        f"<p>{esc(' '.join(sentence))}</p>",
        chart_html(charts.funnel_plot, table, highlight=context.highlight, xlabel=xlabel,
                   title=f"Share of {what}, {context.cycle}", alt=alt,
                   caption=f"Each point is a council. The lines are {method}. They are "
                           "wider for councils with fewer records; where a line is missing, "
                           "no share at that n could be outside it.",
                   filename=f"funnel-{measure}.png", folder=context.figures_dir),
        html_table(_funnel_frame(table, unit), f"Funnel limits for {what}",
                   note="p above, below: the exact one-sided binomial p-values of a share "
                        "at least this high, and at least this low, if the council's true "
                        "share were the programme average. \"No upper\": at this n no share "
                        "can be above that limit.",
                   numeric=[f"Good or better (of {unit})", "Effective n (design effect)",
                            "95% limits", "99.8% limits", "p above, below"]),
        frame=table)


@sectioned
def heatmap_section(context: CycleContext) -> str:
    """Council by question heat map of the share Good or better, values and n shown.

    Parameters
    ----------
    context : CycleContext
        The cycle.

    Returns
    -------
    str
        HTML.
    """
    cycle_programme = context.cycle_programme
    ratings = cycle_programme.ratings
    shares, counts = {}, {}
    for council in sorted(cycle_programme.councils, key=str.casefold):
        subset = ratings[ratings["council"] == council]
        summary = question_summary(subset, None)
        shares[council] = summary["share_good"]
        counts[council] = summary["n"]
    labels = {q.id: f"{q.id} {q.short_label}" for q in context.programme.catalogue}
    share_frame = pd.DataFrame(shares).T.rename(columns=labels)
    count_frame = pd.DataFrame(counts).T.rename(columns=labels)
    return chart_html(charts.heatmap, share_frame, count_frame, highlight=context.highlight,
                      title=f"Share of ratings Good or better, by council and question, "
                            f"{context.cycle}",
                      alt=charts.alt_text_heatmap(share_frame, count_frame),
                       caption="Each cell is one council's share of cases rated Outstanding "
                               "or Good on one question (usually of 20 cases; fewer where "
                               "questions did not apply). Darker is higher. With 20 cases, "
                               "one case moves a cell by 5 points.",
                       filename="heatmap.png", folder=context.figures_dir)


@sectioned
def judgements_section(context: CycleContext) -> str:
    """Every council's overall judgements as stacked bars.

    Parameters
    ----------
    context : CycleContext
        The cycle.

    Returns
    -------
    str
        HTML.
    """
    judgements = context.cycle_programme.judgements
    counts = (judgements.groupby([judgements["council"].astype(str), "judgement"],
                                 observed=False).size().unstack("judgement", fill_value=0)
              .reindex(columns=list(LEVELS), fill_value=0))
    counts = counts.loc[sorted(counts.index, key=str.casefold)]
    counts.columns = list(LEVELS)
    return chart_html(charts.council_judgement_bars, counts, highlight=context.highlight,
                      title=f"Overall judgements by council, {context.cycle}",
                      alt=charts.alt_text_council_judgements(counts),
                       caption="Each bar is one council's case records, by overall judgement. "
                               "Councils are in alphabetical order, not ranked.",
                       filename="judgements.png", folder=context.figures_dir)


def cycle_changes(programme: Programme, cycle: str) -> pd.DataFrame:
    """Change in the share of cases judged Good or better, for councils reviewed before.

    Parameters
    ----------
    programme : Programme
        The whole programme (all cycles).
    cycle : str
        The later cycle.

    Returns
    -------
    pandas.DataFrame
        Indexed by council: ``before_cycle``, ``after_cycle``, the two shares with Wilson
        intervals and counts, the difference with Newcombe's interval and
        ``beyond_chance``.
    """
    rows = {}
    for review in programme.in_cycle(cycle).reviews:
        previous = programme.previous_review(review)
        if previous is None:
            continue
        good = ("Outstanding", "Good")
        before = Proportion.of(int(previous.judgements["judgement"].isin(good).sum()),
                               previous.n_cases)
        after = Proportion.of(int(review.judgements["judgement"].isin(good).sum()),
                              review.n_cases)
        change = newcombe_difference(before, after)
        rows[review.council] = {
            "before_cycle": previous.cycle, "after_cycle": review.cycle,
            "before_count": before.successes, "before_n": before.n,
            "before_share": before.share, "before_low": before.ci_low,
            "before_high": before.ci_high, "after_count": after.successes,
            "after_n": after.n, "after_share": after.share, "after_low": after.ci_low,
            "after_high": after.ci_high, "difference": change.difference,
            "diff_low": change.ci_low, "diff_high": change.ci_high,
            "beyond_chance": change.beyond_chance}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "council"
    return frame.sort_index(key=lambda s: s.str.casefold()) if not frame.empty else frame


@sectioned
def change_section(context: CycleContext, *, with_table: bool = True) -> str:
    """Change between cycles for councils reviewed in both, with intervals.

    Parameters
    ----------
    context : CycleContext
        The cycle.
    with_table : bool, default True
        Add the sentence and table (leave them out where the written-up findings,
        which hold the same table, come just before).

    Returns
    -------
    str
        HTML: the chart, and optionally a sentence and a table.
    """
    changes = cycle_changes(context.programme, context.cycle)
    if changes.empty:
        return ("<p>No council in this cycle was also reviewed in an earlier cycle, so "
                "change cannot be shown.</p>")
    beyond = changes.index[changes["beyond_chance"]].tolist()
    within = changes.index[~changes["beyond_chance"]].tolist()
    sentence = (f"{len(changes)} councils were also reviewed in an earlier cycle. "
                + (f"The change in the share of case records judged Outstanding or Good goes "
                   f"beyond what chance would give for {', '.join(beyond)}. " if beyond else
                   "No change goes beyond what chance would give. ")
                + (f"For {', '.join(within)} there is no clear evidence of a change: each "
                   "interval includes zero, and with about 20 cases in each review only large "
                   "changes would show." if within else ""))
    frame = pd.DataFrame({
        "Earlier": [f"{c}: {k} of {n} ({format_percent(s, 0)})" for c, k, n, s in
                    zip(changes["before_cycle"], changes["before_count"], changes["before_n"],
                        changes["before_share"], strict=True)],
        "Later": [f"{c}: {k} of {n} ({format_percent(s, 0)})" for c, k, n, s in
                  zip(changes["after_cycle"], changes["after_count"], changes["after_n"],
                      changes["after_share"], strict=True)],
        "Change (points)": [f"{d * 100:+.0f}" for d in changes["difference"]],
        "95% interval": [f"{lo * 100:+.0f} to {hi * 100:+.0f}" for lo, hi in
                         zip(changes["diff_low"], changes["diff_high"], strict=True)],
        "Beyond chance?": ["yes" if b else "no" for b in changes["beyond_chance"]],
    }, index=pd.Index(changes.index, name="Council"))
    figure = chart_html(charts.change_plot, changes,
                        title="Case records judged Outstanding or Good, earlier and later "
                              "review",
                        alt=charts.alt_text_change(changes),
                         caption="For each council, the share of case records judged "
                                 "Outstanding or Good in its earlier and later review, each "
                                 "with its 95% interval. * marks a change beyond what chance "
                                 "would give.",
                         filename="change.png", folder=context.figures_dir)
    if not with_table:
        return figure
    return combined(
        f"<p>{esc(sentence)}</p>", figure,
        html_table(frame, "Change between cycles in case records judged Good or better",
                   numeric=["Change (points)", "95% interval"]),
        frame=changes)


@sectioned
def footer(context: CycleContext, data_files: list[tuple[str, str]] | None = None) -> str:
    """Footer naming the data files (names and hashes), library version and run date.

    Parameters
    ----------
    context : CycleContext
        The cycle.
    data_files : list of (name, sha256), optional
        Defaults to the files of the cycle's reviews.

    Returns
    -------
    str
        HTML.
    """
    import datetime as dt

    from review_lib import __version__

    files = data_files or [(Path(r.source).name, r.sha256)
                           for r in context.cycle_programme.reviews]
    listed = "; ".join(f"{esc(name)} (SHA-256 <code>{esc(sha[:12])}</code>…)"
                       for name, sha in files)
    synthetic = " Synthetic sample data." if context.synthetic else ""
    return (f'<footer class="report-footer"><p>Data files: {listed}. review_lib '
            f"{esc(__version__)}. Run on {dt.date.today().isoformat()}.{synthetic}</p>"
            "</footer>")


@sectioned
def findings_section(context: CycleContext, heading: str, *, level: int = 2) -> str:
    """One section of the regional findings, with its heading.

    Parameters
    ----------
    context : CycleContext
        The cycle.
    heading : str
        The section's title in :func:`review_lib.report.wording.regional_findings`.
    level : int, default 2
        Heading level.

    Returns
    -------
    str
        HTML (empty when the findings have no such section).
    """
    from review_lib.report.council import markdown_html

    text = context.findings.get(heading)
    if text is None:
        return ""
    return Section(f"<h{level}>{esc(heading)}</h{level}>\n{markdown_html(text)}",
                   text=f"{'#' * level} {heading}\n\n{text}")
