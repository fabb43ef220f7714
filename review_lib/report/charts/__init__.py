"""Accessible charts: pure functions of their data, each taking ``ax=None`` and ``title=None``.

Every chart draws on a new figure, or on the Axes given, and returns the Axes (a figure of
panels returns its Figure, a faceted ``likert`` its seaborn grid). None knows of caching:
a report's charts are cached by their inputs at one place,
:func:`review_lib.report.html.chart_html`.

Colours come from the Government Analysis Function's accessible palette; the negative side
of every diverging chart is hatched, so colour is never the only cue. Each chart has an
``alt_text_*`` partner that says what it shows in words.

- :mod:`.base`: the palette, level colours and shared helpers;
- :mod:`.council`: diverging bars by question and by auditor, judgements, case profiles,
  one small panel per question;
- :mod:`.likert_chart`: tidy ratings in, diverging bars out, optionally faceted;
- :mod:`.funnel`: funnel plots against the programme;
- :mod:`.dotplot`: dot plots against the programme, where every council has the same n;
- :mod:`.programme`: the heat map, council judgement bars and change between cycles;
- :mod:`.calibration`: auditors' leniency and agreement by question (moderation exercises);
- :mod:`.png`: a PNG's width and height, from its header.
"""

from review_lib.report.charts.base import (
    CONTEXT_COLOUR,
    FOCUS_COLOUR,
    LEVEL_COLOURS,
    LEVEL_HATCHES,
    LEVELS_WORST_FIRST,
    LITERAL_TEXT,
    NEGATIVE_LEVELS,
    PALETTE,
    POSITIVE_LEVELS,
    level_handles,
    literal_text,
    save_figure,
    text_colour_for,
)
from review_lib.report.charts.calibration import (
    LENIENCY_STYLES,
    QUESTION_STYLES,
    alt_text_leniency,
    alt_text_question_agreement,
    leniency_plot,
    question_agreement_plot,
)
from review_lib.report.charts.council import (
    alt_text_auditors,
    alt_text_case_profile,
    alt_text_diverging,
    alt_text_judgements,
    alt_text_question_levels,
    alt_text_question_panels,
    auditor_bars,
    case_profile,
    diverging_bars,
    judgement_bars,
    question_panels,
)
from review_lib.report.charts.dotplot import (
    alt_text_dot_plot,
    dot_plot,
    dot_plot_order,
    same_n,
)
from review_lib.report.charts.funnel import (
    CHANGE_COLOURS,
    CHANGE_MARKERS,
    FUNNEL_MARKERS,
    HEATMAP_COLOURS,
    alt_text_funnel,
    funnel_labelled,
    funnel_limits,
    funnel_plot,
)
from review_lib.report.charts.likert_chart import likert, likert_counts
from review_lib.report.charts.programme import (
    alt_text_change,
    alt_text_council_judgements,
    alt_text_heatmap,
    change_plot,
    council_judgement_bars,
    heatmap,
    heatmap_colormap,
)

__all__ = [
    "CHANGE_COLOURS",
    "CHANGE_MARKERS",
    "CONTEXT_COLOUR",
    "FOCUS_COLOUR",
    "FUNNEL_MARKERS",
    "HEATMAP_COLOURS",
    "LENIENCY_STYLES",
    "LEVELS_WORST_FIRST",
    "LEVEL_COLOURS",
    "LEVEL_HATCHES",
    "LITERAL_TEXT",
    "NEGATIVE_LEVELS",
    "PALETTE",
    "POSITIVE_LEVELS",
    "QUESTION_STYLES",
    "alt_text_auditors",
    "alt_text_case_profile",
    "alt_text_change",
    "alt_text_council_judgements",
    "alt_text_diverging",
    "alt_text_dot_plot",
    "alt_text_funnel",
    "alt_text_heatmap",
    "alt_text_judgements",
    "alt_text_leniency",
    "alt_text_question_agreement",
    "alt_text_question_levels",
    "alt_text_question_panels",
    "auditor_bars",
    "case_profile",
    "change_plot",
    "council_judgement_bars",
    "diverging_bars",
    "dot_plot",
    "dot_plot_order",
    "funnel_labelled",
    "funnel_limits",
    "funnel_plot",
    "heatmap",
    "heatmap_colormap",
    "judgement_bars",
    "leniency_plot",
    "level_handles",
    "likert",
    "likert_counts",
    "literal_text",
    "question_agreement_plot",
    "question_panels",
    "same_n",
    "save_figure",
    "text_colour_for",
]
