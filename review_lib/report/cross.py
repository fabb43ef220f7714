"""The cross-council report: funnel plots, heat map, judgements, tests and change.

With about 20 cases per council a league table misleads, so councils are compared with the
programme average through funnel limits, and every difference is described as within or
beyond what chance would give. The same funnel computation feeds each council's findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from review_lib.analysis.comparison import Funnels, cross_metrics, programme_funnels
from review_lib.analysis.funnel import funnel_x
from review_lib.analysis.summary import format_percent
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
    #: One region's councils only ("" for the whole programme).
    region: str = ""
    #: The data folder, searched for notes files that stand alone (None: beside data only).
    data_dir: Path | None = None
    #: The batch run's read of the notes files, from its prepared read (None: read here).
    prepared_notes: tuple | None = field(default=None, repr=False)

    @cached_property
    def national_programme(self) -> Programme:
        """The reviews of this cycle, every region."""
        return self.programme.in_cycle(self.cycle)

    @cached_property
    def cycle_programme(self) -> Programme:
        """The reviews of this cycle (of the region, for a region's report)."""
        if self.region:
            return self.national_programme.in_region(self.region)
        return self.national_programme

    @cached_property
    def regions(self) -> dict[str, str]:
        """Council to region, where the data name regions (``{}`` otherwise)."""
        from review_lib.report.regions import council_regions

        return council_regions(self.national_programme)

    @property
    def long_list(self) -> bool:
        """Whether the report covers more councils than can be named in its sentences."""
        from review_lib.report.regions import LONG_LIST

        return len(self.cycle_programme.reviews) > LONG_LIST

    @cached_property
    def national_funnels(self) -> Funnels:
        """The whole cycle's funnel tables, computed once."""
        return programme_funnels(self.national_programme, self.funnel_limits)

    @cached_property
    def funnels(self) -> Funnels:
        """The funnel tables of the councils reported on.

        A region's are its rows of the whole programme's tables, so each council is
        compared with the programme average.
        """
        if not self.region:
            return self.national_funnels
        from review_lib.report.regions import subset_funnels

        return subset_funnels(self.national_funnels, self.cycle_programme.councils)

    @cached_property
    def notes_index(self):
        """Every review team's notes in the data (:mod:`review_lib.data.notes`)."""
        from review_lib.report.context import _notes_index

        return _notes_index(self.programme, [self.data_dir] if self.data_dir else [],
                            self.prepared_notes)

    @cached_property
    def synthesis(self) -> str:
        """The regional synthesis of the review teams' notes (Markdown, with its claims)."""
        from review_lib.analysis.scopes import cycle_results
        from review_lib.report.claims import claimed
        from review_lib.report.wording.regional import regional_synthesis, team_notes

        teams = team_notes(self.cycle_programme, self.notes_index, self.cycle)
        results = cycle_results(self.cycle_programme, region=self.region)
        return claimed(regional_synthesis, teams, results, self.programme.catalogue)

    @cached_property
    def findings(self) -> dict[str, str]:
        """The regional findings (Markdown by section title), computed once."""
        from review_lib.report.wording.regional import regional_findings as sections

        if not self.region and not self.long_list:
            return sections(self.programme, self.cycle, self.funnel_limits)
        return sections(self.programme, self.cycle, self.funnel_limits, region=self.region,
                        funnels=self.funnels, compact=self.long_list)


def open_cycle(cycle: str, highlight: str = "", data_dir: str | Path | None = None,
               questions: str | Path | None = None, figures_dir: str | Path | None = None,
               overdispersion: bool = False, funnel_limits: str = "exact",
               region: str = "", *, prepared: str | Path | None = None) -> CycleContext:
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
    region : str, optional
        Report on one region's councils (each still compared with the whole programme's
        average); "" for the whole programme.
    prepared : str or Path, optional
        A batch run's prepared file, which ``practice-review run`` passes as the
        notebook's ``prepared`` parameter (:func:`review_lib.report.context.load_inputs`);
        None or "" reads the data folder.

    Returns
    -------
    CycleContext
        The programme and options.

    Raises
    ------
    KeyError
        If no valid review is in that cycle (or region).
    ValueError
        For an unknown ``funnel_limits``.
    """
    from review_lib.analysis.funnel import METHODS
    from review_lib.data.records import normalise_cycle

    if funnel_limits not in METHODS:
        raise ValueError(f"funnel_limits must be one of {', '.join(METHODS)}, "
                         f"not {funnel_limits!r}")
    data, catalogue, results, root = load_inputs(data_dir, questions, figures_dir,
                                                 prepared=prepared)
    programme = Programme([r for result in results for r in result.reviews], catalogue)
    cycle = normalise_cycle(cycle) or cycle
    if not programme.in_cycle(cycle).reviews:
        raise KeyError(f"no valid review in cycle {cycle!r}; cycles: "
                       f"{', '.join(programme.cycles) or 'none'}")
    councils = {c.casefold(): c for c in programme.in_cycle(cycle).councils}
    chosen = councils.get((highlight or "").casefold())
    region = " ".join(str(region or "").split())
    figures = root / cycle / "cross-council" if root is not None else None
    if region:
        from review_lib.report.regions import region_slug

        known = {r.casefold(): r for r in programme.in_cycle(cycle).regions}
        if region.casefold() not in known:
            raise KeyError(f"no valid review in region {region!r} in cycle {cycle!r}; "
                           f"regions: {', '.join(known.values()) or 'none'}")
        region = known[region.casefold()]
        figures = (root / cycle / "regions" / region_slug(region) / "cross-council"
                   if root is not None else None)
    from review_lib.report.context import read_prepared

    return CycleContext(programme, cycle, chosen, figures, overdispersion,
                        is_synthetic(data), funnel_limits, region,
                        data if data.is_dir() else None,
                        read_prepared(prepared)["notes"] if prepared else None)


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
    if context.region:
        national = len(context.national_programme.reviews)
        parts = [f"<h1>Practice Review {esc(context.cycle)}, {esc(context.region)}: "
                 "cross-council comparison</h1>",
                 f'<p class="subtitle">{len(cycle_programme.reviews)} councils of the '
                 f"{esc(context.region)} region, {n_cases:,} case records. Each council is "
                 f"compared with the average of the whole programme ({national} councils), "
                 "allowing for chance; councils are never ranked.</p>",
                 synthetic_banner(context.synthetic)]
        return "\n".join(parts)
    parts = [f"<h1>Practice Review {esc(context.cycle)}: cross-council comparison</h1>",
             f'<p class="subtitle">{len(cycle_programme.reviews)} councils, {n_cases:,} case '
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
    from review_lib.report.claims import claims_of
    from review_lib.report.council import markdown_html

    parts = []
    for heading, text in context.findings.items():
        parts.append(f"<h2>{esc(heading)}</h2>")
        parts.append(markdown_html(text))
    return Section("\n".join(parts),
                   "\n\n".join(f"## {heading}\n\n{text}"
                                for heading, text in context.findings.items()),
                   claims=claims_of(*context.findings.values()))


def _limit_cell(low: float, high: float) -> str:
    """``"61.2% to 99.2%"``; a side no share can pass is shown as such: ``"49.3% (no upper)"``."""
    if low < 0 and high > 1:
        return "none at this n"
    if high > 1:
        return f"{format_percent(low, 1)} (no upper)"
    if low < 0:
        return f"{format_percent(high, 1)} (no lower)"
    return f"{format_percent(low, 1)} to {format_percent(high, 1)}"


def dot_plot_wanted(context: CycleContext, table: pd.DataFrame) -> bool:
    """Whether a view draws a dot plot rather than a funnel plot.

    A dot plot reads better when every council has the same n (a funnel would put every
    point in one column, with the same limits for all). It is drawn in the views that
    group councils by region or list many (more than
    :data:`review_lib.report.regions.LONG_LIST`); the programme without regions keeps its
    funnel, so the 14-council sample reads as it did.

    Parameters
    ----------
    context : CycleContext
        The report.
    table : pandas.DataFrame
        The funnel table to draw.

    Returns
    -------
    bool
        True for a dot plot.
    """
    return charts.same_n(table) and bool(context.regions or context.long_list)


def _grouped(context: CycleContext, table: pd.DataFrame) -> pd.DataFrame:
    """The table's rows alphabetically within region, when the data name regions."""
    if not context.regions:
        return table
    order = [c for _, c in charts.dot_plot_order(table.index, context.regions)]
    ordered = table.loc[order]
    ordered.attrs = dict(table.attrs)
    return ordered


_LIMIT_COLUMNS = ["lower95", "upper95", "lower998", "upper998"]


def _shared_limits(table: pd.DataFrame) -> bool:
    """Whether every council of a funnel table has the same limits (the same n)."""
    return len(table) > 1 and bool((table[_LIMIT_COLUMNS].nunique() == 1).all())


def _funnel_frame(table: pd.DataFrame, unit: str,
                  regions: dict[str, str] | None = None) -> pd.DataFrame:
    """A row per council: its share, limits (unless shared by all), p-values and place."""
    shared = _shared_limits(table)
    frame = {}
    # A region's own report has one region: the column would say it on every row.
    if regions and len({regions.get(c, "") for c in table.index}) > 1:
        frame["Region"] = [regions.get(c, "") or "none given" for c in table.index]
    frame |= {
        f"Good or better (of {unit})": [
            f"{s} of {n} ({format_percent(v, 1)})" for s, n, v in
            zip(table["successes"], table["n"], table["share"], strict=True)],
    }
    if table.attrs.get("axis") == "effective_n" or float(table.attrs.get("design_effect")
                                                          or 1.0) > 1:
        frame["Effective n (design effect)"] = [
            f"{n:.0f} ({d:.1f})" for n, d in zip(table["effective_n"], table["design_effect"],
                                                 strict=True)]
    if not shared:  # else said once, in the table's note
        frame.update({
            "95% limits": [_limit_cell(lo, hi) for lo, hi in
                           zip(table["lower95"], table["upper95"], strict=True)],
            "99.8% limits": [_limit_cell(lo, hi) for lo, hi in
                             zip(table["lower998"], table["upper998"], strict=True)],
        })
    frame.update({
        "p above, below": [f"{_p(a)}, {_p(b)}" for a, b in
                           zip(table["p_above"], table["p_below"], strict=True)],
        # "the 95% limits" held together, so a narrow column wraps it onto two lines at
        # most, never a word a line.
        "Position": [FLAG_TEXT[f].replace(" the ", " the\u00a0").replace("% ", "%\u00a0")
                     for f in table["flag"]],
    })
    return pd.DataFrame(frame, index=pd.Index(table.index, name="Council"))


def _outside_counted(table: pd.DataFrame, expected: float, measure: str, scope: dict) -> str:
    """A long list's sentence: councils outside the 99.8% limits named, the rest counted."""
    from review_lib.report.wording.phrases import join_words

    flags = table["flag"].astype(str)
    ordered = sorted(flags.items(), key=lambda item: str(item[0]).casefold())
    extreme = [c for c, f in ordered if f.endswith("998")]
    near = int(flags.isin(["above95", "below95"]).sum())
    # A side at a time, so that a long list does not repeat its side after every name.
    sides = [(side, [str(c) for c, f in ordered if f == flag])
             for side, flag in (("Above", "above998"), ("Below", "below998"))]
    text = (" ".join(f"{side} the 99.8% limits ({len(names)}): {join_words(names)}."
                     for side, names in sides if names) if extreme else
            "No council is outside the 99.8% limits.")
    if near:
        text += (f" {near} {'more ' if extreme else ''}council{'s are' if near != 1 else ' is'} "
                 "outside the 95% limits only (see the table).")
    return text + " " + _chance_outside(expected, len(table), measure, scope)


def _chance_outside(expected: float, councils: int, measure: str, scope: dict) -> str:
    """How many councils chance alone would put outside the 95% limits drawn, in words."""
    from review_lib.report.claims import stated
    from review_lib.report.wording.programme import expected_words

    # At effective n, the limits are drawn as if each council's n were that: "at most".
    about = "" if measure == "judgements" else "at most "
    said = stated(f"{about}{expected_words(expected, councils)} would be expected outside "
                  "the 95% limits drawn here by chance", "expected_by_chance", scope,
                  limit="95", expected=expected, councils=councils)
    return (f"With no real differences, {said}; outside the 99.8% limits, chance is an "
            "unlikely explanation.")


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
    table = _grouped(context, table)
    outside = table[table["flag"] != "within"]
    target = table.attrs["target"]
    from review_lib.report.claims import stated

    expected = float(chance_outside(table, "95").sum())
    scope = {"cycle": context.cycle, **({"region": context.region} if context.region else {})}
    whole = context.national_funnels.judgements if measure == "judgements" else (
        context.national_funnels.ratings)
    average = stated(f"Programme average: {format_percent(target, 1)} of {what}",
                     "programme_average", {"cycle": context.cycle},
                     measure=measure, successes=int(whole["successes"].sum()),
                     n=int(whole["n"].sum()), councils=len(whole),
                     includes=[str(c) for c in whole.index])
    sentence = [f"{average}, every council of the cycle included."]
    if outside.empty:
        sentence.append("Every council is within the 95% limits: there is no clear evidence "
                        "that any council differs from the programme average.")
    elif context.long_list:
        sentence.append(_outside_counted(table, expected, measure, scope))
    else:
        named = "; ".join(
            stated(f"{c} ({FLAG_TEXT[f]})", "funnel_flag", scope, measure=measure,
                   council=str(c), successes=int(outside.loc[c, "successes"]),
                   n=int(outside.loc[c, "n"]), flag=str(f),
                   adjusted=bool(table.attrs.get("adjusted", False)))
            for c, f in outside["flag"].items())
        sentence.append(f"Outside the 95% limits: {named}. "
                        + _chance_outside(expected, len(table), measure, scope))
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
    measure_words = "overall judgements" if measure == "judgements" else "question ratings"
    if dot_plot_wanted(context, table):
        regions = context.regions or None
        figure = chart_html(
            charts.dot_plot, table, regions=regions, highlight=context.highlight,
            title=f"Share of {what}, {context.cycle}",
            alt=charts.alt_text_dot_plot(table, regions=regions, highlight=context.highlight,
                                         measure=measure_words),
            caption="Each row is a council, with its share and 95% interval"
                    + (", alphabetically within region" if regions else ", alphabetically")
                    + f". Every council has the same n, so the limits are the same for all: "
                    f"the shaded band is the 95% limits and the dotted lines the 99.8% "
                    f"limits, {method}. Where a line is missing, no share at that n could "
                    "be outside it.",
            filename=f"funnel-{measure}.png", folder=context.figures_dir)
    else:
        alt = charts.alt_text_funnel(table, highlight=context.highlight, measure=measure_words)
        figure = chart_html(
            charts.funnel_plot, table, highlight=context.highlight, xlabel=xlabel,
            title=f"Share of {what}, {context.cycle}", alt=alt,
            caption=f"Each point is a council. The lines are {method}. They are "
                    "wider for councils with fewer records; where a line is missing, "
                    "no share at that n could be outside it.",
            filename=f"funnel-{measure}.png", folder=context.figures_dir)
    note = ("p above, below: the exact one-sided binomial p-values of a share at least "
            "this high, and at least this low, if the council's true share were the "
            "programme average. \"No upper\": at this n no share can be above that limit.")
    if _shared_limits(table):
        first = table.iloc[0]
        n_words = (f"n = {funnel_x(table)[0]:.0f}" if measure == "judgements" else
                   f"the same effective n ({funnel_x(table)[0]:.0f})")
        note = (f"Every council has {n_words}, so the limits are the same for all: 95% "
                f"limits {_limit_cell(first['lower95'], first['upper95'])}, 99.8% limits "
                f"{_limit_cell(first['lower998'], first['upper998'])}. " + note)
    return combined(
        f"<p>{esc(' '.join(sentence))}</p>",
        figure,
        html_table(_funnel_frame(table, unit, context.regions), f"Funnel limits for {what}",
                   note=note,
                   numeric=[f"Good or better (of {unit})", "Effective n (design effect)",
                            "95% limits", "99.8% limits", "p above, below"]),
        frame=table)


@sectioned
def regions_section(context: CycleContext) -> str:
    """The national report's table of regions, with a link to each region's report.

    Parameters
    ----------
    context : CycleContext
        The cycle (the whole programme).

    Returns
    -------
    str
        HTML; empty for a region's report and where the data name no regions.
    """
    from review_lib.analysis.scopes import region_summary
    from review_lib.report.regions import region_slug, region_table_frame

    if context.region or not context.regions:
        return ""
    summary = region_summary(context.national_programme, context.national_funnels,
                             context.regions)
    frame = region_table_frame(summary)
    frame["Report"] = [
        f"regions/{region_slug(r)}/cross-council.html" if r else "" for r in summary.index]
    count = int(sum(len(a) + len(b) for a, b in
                    zip(summary["above998"], summary["below998"], strict=True)))
    named = count and "; ".join(
        f"{c} ({r}, {'above' if c in a else 'below'})"
        for r, a, b in zip(summary.index, summary["above998"], summary["below998"],
                           strict=True) for c in sorted([*a, *b], key=str.casefold))
    text = (f"{len(context.national_programme.reviews)} councils in "
            f"{len(context.cycle_programme.regions)} regions. Each region's report compares "
            "its councils with the average of the whole programme, at the same limits as "
            "here. " + (f"Outside the 99.8% limits: {named}." if count else
                        "No council is outside the 99.8% limits."))
    links = "".join(
        f'<li><a href="{esc(link)}">{esc(region)}: cross-council comparison</a></li>'
        for region, link in zip(frame.index, frame["Report"], strict=True) if link)
    return combined(
        f"<p>{esc(text)}</p>",
        html_table(frame.drop(columns="Report"), f"Regions, {context.cycle}",
                   note="Case records judged Good or better pool the region's records; the "
                        "95% interval allows for the records of one council going together "
                        "(Wilson at the effective n). Regions are in alphabetical order, not "
                        "ranked. Councils outside the 95% limits only are counted, not "
                        "named: with no real differences, about 1 council in 20 would be.",
                   numeric=["Councils", "Case records judged Good or better", "95% interval",
                            "Outside the 95% limits only"]),
        f'<ul class="region-links">{links}</ul>', frame=summary)


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
    from review_lib.analysis.scopes import question_grid

    by_region = _by_region(context)
    shares, counts = question_grid(context.cycle_programme,
                                   context.regions if by_region else None)
    labels = {q.id: f"{q.id} {q.short_label}" for q in context.programme.catalogue}
    share_frame = shares.rename(columns=labels)
    count_frame = counts.rename(columns=labels)
    if by_region:
        return combined('<div class="heatmap">', chart_html(
            charts.heatmap, share_frame, count_frame,
            title=f"Share of ratings Good or better, by region and question, {context.cycle}",
            alt=charts.alt_text_heatmap(share_frame, count_frame, unit="region"),
            caption="Each cell is one region's share of its case records rated Outstanding "
                    "or Good on one question (n, the records rated, in the cell). Darker is "
                    "higher. Each regional report shows its councils one by one.",
            filename="heatmap.png", folder=context.figures_dir), "</div>")
    # Printed at the page's width (report.css: .heatmap), so its figures can be read.
    return combined('<div class="heatmap">', chart_html(
        charts.heatmap, share_frame, count_frame, highlight=context.highlight,
        title=f"Share of ratings Good or better, by council and question, {context.cycle}",
        alt=charts.alt_text_heatmap(share_frame, count_frame),
        caption="Each cell is one council's share of cases rated Outstanding or Good on one "
                "question (usually of 20 cases; fewer where questions did not apply). Darker "
                "is higher. With 20 cases, one case moves a cell by 5 points.",
        filename="heatmap.png", folder=context.figures_dir), "</div>")


def _by_region(context: CycleContext) -> bool:
    """Whether a view of every council reads better as one row per region.

    The national report of a programme with regions and more councils than a sentence can
    name shows regions; each regional report shows its own councils.
    """
    return not context.region and bool(context.regions) and context.long_list


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
    by_region = _by_region(context)
    groups = (judgements["council"].astype(str).map(context.regions) if by_region
              else judgements["council"].astype(str))
    counts = (judgements.groupby([groups, "judgement"], observed=False).size()
              .unstack("judgement", fill_value=0).reindex(columns=list(LEVELS), fill_value=0))
    counts = counts.loc[sorted(counts.index, key=str.casefold)]
    counts.columns = list(LEVELS)
    if by_region:
        return chart_html(
            charts.council_judgement_bars, counts,
            title=f"Overall judgements by region, {context.cycle}",
            alt=charts.alt_text_council_judgements(counts, unit="region"),
            caption="Each bar is one region's case records, by overall judgement. Regions "
                    "are in alphabetical order, not ranked; each regional report shows its "
                    "councils.", filename="judgements.png", folder=context.figures_dir)
    return chart_html(charts.council_judgement_bars, counts, highlight=context.highlight,
                      title=f"Overall judgements by council, {context.cycle}",
                      alt=charts.alt_text_council_judgements(counts),
                       caption="Each bar is one council's case records, by overall judgement. "
                               "Councils are in alphabetical order, not ranked.",
                       filename="judgements.png", folder=context.figures_dir)


def _unstated(text: str, *args, **kwargs) -> str:
    """The words of a claim not printed here (:func:`~review_lib.report.claims.stated`)."""
    return text


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
    # A regional report shows its own councils' change, as its findings describe.
    programme = (context.programme.in_region(context.region) if context.region
                 else context.programme)
    from review_lib.analysis.scopes import cycle_changes

    computed = cycle_changes(programme, context.cycle)
    changes = computed.table
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
    from review_lib.report.claims import stated

    frame = pd.DataFrame({
        # stated only where the table is shown (the findings hold it otherwise)
        "Earlier": [(stated if with_table else _unstated)(
                            f"{c}: {k} of {n} ({format_percent(s, 0)})", "change",
                           {"council": council, "cycle": row["after_cycle"]},
                           measure="judgements", previous_cycle=c, before_successes=k,
                           before_n=n, after_successes=row["after_count"],
                           after_n=row["after_n"], points=round(row["difference"] * 100),
                           clear=bool(row["beyond_chance"]))
                    for (council, row), c, k, n, s in
                    zip(changes.iterrows(), changes["before_cycle"], changes["before_count"],
                        changes["before_n"], changes["before_share"], strict=True)],
        "Later": [f"{c}: {k} of {n} ({format_percent(s, 0)})" for c, k, n, s in
                  zip(changes["after_cycle"], changes["after_count"], changes["after_n"],
                      changes["after_share"], strict=True)],
        "Change (points)": [f"{d * 100:+.0f}" for d in changes["difference"]],
        "95% interval": [f"{lo * 100:+.0f} to {hi * 100:+.0f}" for lo, hi in
                         zip(changes["diff_low"], changes["diff_high"], strict=True)],
        "Beyond chance?": ["yes" if b else "no" for b in changes["beyond_chance"]],
    }, index=pd.Index(changes.index, name="Council"))
    if _by_region(context):
        from review_lib.analysis.scopes import region_changes

        pooled = region_changes(computed, context.programme, context.regions)
        figure = chart_html(
            charts.change_plot, pooled,
            title="Case records judged Outstanding or Good, earlier and later, by region",
            alt=charts.alt_text_change(pooled, unit="region"),
            caption="For each region, the share of case records judged Outstanding or Good "
                    "in the earlier and later reviews of its councils reviewed in both, each "
                    "with its 95% interval (allowing for the records of one council going "
                    "together). * marks a change beyond what chance would give. Each "
                    "regional report shows its councils one by one.",
            filename="change.png", folder=context.figures_dir)
    else:
        figure = chart_html(charts.change_plot, changes,
                            title="Case records judged Outstanding or Good, earlier and "
                                  "later review",
                            alt=charts.alt_text_change(changes),
                            caption="For each council, the share of case records judged "
                                    "Outstanding or Good in its earlier and later review, "
                                    "each with its 95% interval. * marks a change beyond what "
                                    "chance would give.",
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
def synthesis_section(context: CycleContext) -> str:
    """The review teams' recommendations and key messages, brought together by question.

    See :func:`review_lib.report.wording.regional.regional_synthesis`: recommendations
    grouped by their questions' tags and themes, the number of councils recommending on
    each question beside the figures for it, untagged recommendations listed apart, and
    drafts marked wherever they appear.

    Parameters
    ----------
    context : CycleContext
        The cycle (and region, for a region's report).

    Returns
    -------
    str
        HTML, with a heading.
    """
    from review_lib.report.council import markdown_html
    from review_lib.report.wording.regional import SYNTHESIS_HEADING

    text = context.synthesis
    return Section(f'<h2 id="{_anchor(SYNTHESIS_HEADING)}">{esc(SYNTHESIS_HEADING)}</h2>\n'
                   f"{markdown_html(text)}", markdown=f"## {SYNTHESIS_HEADING}\n\n{text}",
                   claims=getattr(text, "claims", ()))


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
    return Section(f'<h{level} id="{_anchor(heading)}">{esc(heading)}</h{level}>\n'
                   f"{markdown_html(text)}", markdown=f"{'#' * level} {heading}\n\n{text}",
                   claims=getattr(text, "claims", ()))


def _anchor(heading: str) -> str:
    """The anchor nbconvert gives a Markdown heading (spaces become hyphens), for the same."""
    return esc(heading.replace(" ", "-"))


#: The cross-council notebook's level-2 headings, in order.
CROSS_HEADINGS = ("Headline", "Questions across the programme",
                  "What the review teams recommend",
                  "Councils against the programme average",
                  "Share Good or better, question by question",
                  "Overall judgements, council by council",
                  "Differences between councils, question by question",
                  "Change between cycles", "Caveats", "Methods")


@sectioned
def navigation(context: CycleContext) -> str:
    """The contents list, and links to the national or regional reports and the index.

    Parameters
    ----------
    context : CycleContext
        The cycle (and region, for a regional report).

    Returns
    -------
    str
        HTML ``<nav>``.
    """
    from review_lib.report.navigation import contents_nav

    notebook_headings = {"Share Good or better, question by question",
                         "Overall judgements, council by council",
                         "What the review teams recommend"}
    contents = [(h.replace(" ", "-"), h) for h in CROSS_HEADINGS
                if h in notebook_headings or h in context.findings]
    if context.region:
        links = [("../../cross-council.html", f"All councils in {context.cycle}"),
                 ("../../../index.html", "Index of every report")]
    else:
        links = [("../index.html", "Index of every report (each council's reports)")]
    return contents_nav(contents, links)
