"""A blank notes file, with short guidance and examples under each heading.

``practice-review template --notes dudley.md`` writes it. The guidance and examples are
HTML comments, which never reach the report and are never read as the team's text; a
section holding only its guidance is reported as not written yet. The format is set out in
``docs/notes.md``.
"""

from __future__ import annotations

from pathlib import Path

from review_lib.data.notes import SECTIONS

#: Guidance written under each heading of a blank notes file.
GUIDANCE = {
    "key_messages": "Three to five short bullets: the review team's main messages, which "
                    "open the report's summary before any figure. Say plainly what must be "
                    "put right urgently.",
    "introduction": "The theme, when the review took place, and its elements: the "
                    "self-assessment, the meetings with practitioners and managers, the case "
                    "records examined, and the conversations with people and their families.",
    "previous_review": "The host council's update on each of the previous review's "
                       "recommendations, one bullet each, starting with its number and its "
                       "status in brackets: '- R1 (met): ...'. The status is met, partly "
                       "met, not met or replaced. The report lists every recommendation, "
                       "with its status and update or 'no update given'.",
    "meetings": "What practitioners and managers said, theme by theme. Use ## headings for "
                "themes if you like. Name no one.",
    "records": "The Principal Social Workers' analysis of the case records, and of their "
               "conversations with people or their families. Name a case by its identifier in "
               "the data file if you need to: the report shows its pseudonym.",
    "observations": "The review team's observations.",
    "key_strengths": "One bullet per key strength.",
    "recommendations": "One bullet per recommendation. End it with the audit questions it "
                       "rests on, such as [Q11] or [Q2, Q3], and the report shows their "
                       "evidence beside it. Start it with '**Urgent:**' if it must be put "
                       "right now. For the action plan, add indented sub-bullets: "
                       "'- Owner: Head of Service', '- Timescale: by March 2024', "
                       "'- Priority: high' (high, medium or low), '- Measure: how progress "
                       "will be seen', and '- Follows: R3' when it takes up the previous "
                       "review's R3 again.",
    "review_team": "One bullet per member of the review team (role and council; names are "
                   "optional), then the date of the report.",
}


#: Examples shown in a blank notes file (in comments, so never read as the team's text).
EXAMPLES = {
    "key_messages": [
        "- Practice in the records was mostly good, but strengths-based working is not yet "
        "part of everyday practice.",
        "- One practice educator has no professional supervision: this must be put right "
        "urgently.",
        "- Management oversight rarely shows on the case record.",
    ],
    "previous_review": [
        "- R1 (met): A practice framework was written with staff and launched in 2022.",
        "- R2 (partly met): Supervision is monthly in most teams, but not yet in the hospital "
        "team.",
        "- R3 (not met): Case-file audits have not restarted.",
        "- R4 (replaced): The restructure replaced this recommendation.",
    ],
    "recommendations": [
        "- **Urgent:** Make sure every Social Worker has professional supervision. [Q11]",
        "  - Owner: Principal Social Worker",
        "  - Timescale: within one month",
        "  - Priority: high",
        "  - Measure: a named supervisor and a recorded session each month for everyone",
        "  - Follows: R2",
        "- Audit case files regularly, and feed the learning back to practitioners.",
        "  - Owner: Quality Assurance Lead",
        "  - Timescale: by September 2024",
        "  - Priority: medium",
    ],
}


def notes_template(council: str = "", cycle: str = "") -> str:
    """A blank notes file, with short guidance under each heading.

    The guidance is written as HTML comments, which never reach the report; a section
    holding only its guidance is reported as not written yet.

    Parameters
    ----------
    council, cycle : str, optional
        Filled in when given (needed only when no data file sits beside the notes).

    Returns
    -------
    str
        Markdown, in the layout of ``docs/notes.md``.
    """
    lines = ["---",
             f"council: {council}" if council else "# council: (only when no data file is "
                                                    "beside these notes)",
             f"cycle: {cycle}" if cycle else "# cycle: (likewise, e.g. 2022-24)",
             "theme: ", "status: draft", "review_dates: ",
             "referred_back: ", "selection: ", "---", ""]
    for key, heading, _ in SECTIONS:
        if key == "records":
            lines += ["<!-- Section 4, the case-file audit data, is written by the suite from "
                      "the data: it has no heading here. -->", ""]
        lines += [f"# {heading}", "", f"<!-- {GUIDANCE[key]} -->", ""]
        if key in EXAMPLES:
            lines += ["<!-- For example:", "", *EXAMPLES[key], "-->", ""]
    return "\n".join(lines)


def write_notes_template(path: Path, council: str = "", cycle: str = "") -> Path:
    """Write :func:`notes_template` to a new file (an existing file is never overwritten).

    Parameters
    ----------
    path : Path
        The notes file to create (``.md``).
    council, cycle : str, optional
        See :func:`notes_template`.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    FileExistsError
        If the file exists.
    """
    path = Path(path)
    with path.open("x", encoding="utf-8") as handle:
        handle.write(notes_template(council, cycle))
    return path
