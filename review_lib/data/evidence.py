"""Auditors' evidence in a review's data: the Evidence columns of a wide table.

A wide table (a workbook's Ratings sheet, a wide CSV) may carry ``Evidence Q1`` ...
``Evidence overall`` columns; a long CSV an ``evidence`` column
(:data:`EVIDENCE_HEADINGS`). The text is kept per case in the review
(:attr:`review_lib.data.records.Review.evidence`) and shown only in the review team's
internal evidence pack (:mod:`review_lib.report.evidence_pack`).
"""

from __future__ import annotations

import re

from review_lib.data.catalogue import Catalogue
from review_lib.data.problems import Problem, column_letter
from review_lib.data.records import OVERALL, _h
from review_lib.data.scale import is_blank
from review_lib.data.tables import Formula, Table

#: An evidence column's heading: ``Evidence Q3``, ``Evidence: Q3 Community assets``,
#: ``Evidence (overall)``, ``Evidence overall judgement``.
_EVIDENCE_RE = re.compile(r"^\s*evidence\b\s*[:\-–—(]?\s*(.*?)\s*\)?\s*$",
                          re.IGNORECASE | re.DOTALL)

#: What after "Evidence" names the overall judgement's reason.
_OVERALL = {"overall", "overall judgement", "overall judgment", "overall rating", "judgement",
            "judgment", "overall_judgement", "overall judgement reason", "reason"}

#: A long CSV's optional column of the auditor's evidence for each row's rating.
EVIDENCE_HEADINGS = {"evidence", "evidence and analysis", "auditor's evidence",
                     "auditor evidence"}


def evidence_column_indexes(table: Table, catalogue: Catalogue, used: set[int],
                            problems: list[Problem]) -> list[tuple[int, str]]:
    """The optional evidence columns of a wide table (``Evidence Q1`` ... ``Evidence overall``).

    Parameters
    ----------
    table : Table
        A wide table (a row per case).
    catalogue : Catalogue
        The questions.
    used : set of int
        Columns already taken, left alone.
    problems : list of Problem
        Receives a located error for an evidence column naming no question, or a second
        evidence column for one question.

    Returns
    -------
    list of tuple
        ``(column index, question id)``, the id ``"Overall"`` for the overall judgement's
        reason.
    """
    found: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for index, heading in enumerate(table.header):
        if index in used or not heading:
            continue
        match = _EVIDENCE_RE.match(str(heading))
        if not match:
            continue
        rest = match.group(1)
        if _h(rest) in _OVERALL:
            qid = OVERALL
        else:
            question = catalogue.match_heading(rest) if rest else None
            if question is None:
                problems.append(table.problem(
                    "unknown-question",
                    f"evidence column {heading!r} names no question of the catalogue "
                    f"({catalogue.source})",
                    "'Evidence ' followed by a question id (Evidence Q3) or 'Evidence "
                    "overall'", column_index=index, row_number=table.header_row,
                    value=heading))
                used.add(index)
                continue
            qid = question.id
        if qid in seen:
            problems.append(table.problem(
                "duplicate-column",
                f"the evidence for {qid} has a second column (first in column "
                f"{column_letter(seen[qid])})", "one evidence column per question",
                column_index=index, row_number=table.header_row, value=heading))
            used.add(index)
            continue
        seen[qid] = index
        used.add(index)
        found.append((index, qid))
    return found


def read_evidence(table: Table, value: object, column_index: int, row_number: int,
                  problems: list[Problem]) -> str:
    """One evidence cell as text (``""`` when blank); a formula there is a located error.

    Parameters
    ----------
    table : Table
        The table the cell is in.
    value : object
        The cell's value.
    column_index, row_number : int
        Where it is (0-based column, 1-based row).
    problems : list of Problem
        Receives the problem, if any.

    Returns
    -------
    str
        The text, spaces at its ends removed.
    """
    if isinstance(value, Formula):
        problems.append(table.problem(
            "formula", f"the cell holds a formula ({value.text}), not a value",
            "the evidence typed as text (copy the column and Paste Special > Values)",
            column_index=column_index, row_number=row_number, value=value.text))
        return ""
    if is_blank(value):
        return ""
    return str(value).strip()
