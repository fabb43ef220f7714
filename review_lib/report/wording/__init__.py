"""Written-up findings for leadership: plain-English Markdown from the analysis results.

The style follows published Practice Review reports: plain English, British spelling, short
sentences. Numbers always come with the n behind them, and shares with their 95% interval the
first time they appear. Councils are compared with the programme average by funnel limits,
never ranked.

- :mod:`.council`: one council's findings (headline, strengths, areas for improvement,
  change, position in the programme, caveats, methods);
- :mod:`.notes`: the review team's own Markdown, made safe to embed;
- :mod:`.programme`, :mod:`.differences` and :mod:`.regional`: across a programme cycle.
"""

from review_lib.report.wording.council import (
    areas_for_improvement,
    change_since_previous,
    council_findings,
    headline,
    methods_note,
    position_in_programme,
    sample_caveats,
    strengths,
)
from review_lib.report.wording.differences import question_differences
from review_lib.report.wording.notes import pseudonymise, review_team_narrative
from review_lib.report.wording.programme import (
    councils_outside_limits,
    programme_questions,
    regional_headline,
)
from review_lib.report.wording.regional import (
    changes_between_cycles,
    regional_caveats,
    regional_findings,
    regional_methods_note,
)

__all__ = [
    "areas_for_improvement", "change_since_previous", "changes_between_cycles",
    "council_findings", "councils_outside_limits", "headline", "methods_note",
    "position_in_programme", "programme_questions", "pseudonymise", "question_differences",
    "regional_caveats", "regional_findings", "regional_headline", "regional_methods_note",
    "review_team_narrative", "sample_caveats", "strengths",
]
