"""Blank data-entry workbooks for a review or a moderation exercise, and their writers.

A review workbook has three sheets: ``Review`` (council, cycle, month), ``Ratings`` (a row
per case, a column per question with its wording in the heading, drop-down lists of the
allowed ratings) and ``Questions`` (the catalogue, for reference). A moderation exercise's
workbook is the same but for its ``Review`` sheet (the exercise's name, cycle, month and
auditors) and its Ratings rows: one per case and auditor, and a ``Consensus`` row per case.
A filled-in template loads as it is; the sample generator writes its files with the same
writers.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from review_lib.data.catalogue import Catalogue, load_catalogue
from review_lib.data.reading import RATINGS_SHEET, REVIEW_SHEET
from review_lib.data.scale import LEVELS
from review_lib.files import publish

HEADER_FILL = "12436D"  # Analysis Function palette, dark blue
NOTE_COLOUR = "3D3D3D"
RATING_CHOICES = (*LEVELS, "N/A")


def write_review_workbook(path: str | Path, catalogue: Catalogue, *, council: str = "",
                          cycle: str = "", review_month: str = "", n_cases: int = 20,
                          rows: Sequence[Sequence[object]] | None = None,
                          region: str | None = None, evidence: bool = False,
                          evidence_rows: Sequence[dict[str, str]] | None = None) -> Path:
    """Write a review workbook in the template layout, blank or filled.

    Parameters
    ----------
    path : str or Path
        Where to write the ``.xlsx`` file. Written to a temporary name, then renamed, so
        an existing file is never left half-written.
    catalogue : Catalogue
        The questions, one column each.
    council, cycle, review_month : str
        Values for the Review sheet (blank in a template).
    n_cases : int, default 20
        Blank case rows that get drop-down lists (at least ``len(rows)``).
    rows : sequence of sequences, optional
        Filled case rows: case, auditor, one rating per question, overall judgement and
        optionally a comment.
    region : str, optional
        Adds a Region row (blank in a template, which always has one): the ADASS region
        or other grouping of councils. Without it the sheet has no Region row.
    evidence : bool, default False
        Add the optional evidence columns after Comments: ``Evidence Q1`` ... and
        ``Evidence overall`` (the reason for the overall judgement). Always added when
        ``evidence_rows`` is given.
    evidence_rows : sequence of dict, optional
        For each filled row, the auditor's evidence by question id (``"Overall"`` for the
        judgement's reason).

    Returns
    -------
    Path
        The file written.
    """
    from openpyxl import Workbook

    path = Path(path)
    rows = list(rows or [])
    n_rows = max(n_cases, len(rows))
    workbook = Workbook()
    details = [
        ["Council", council, "The council whose case records were reviewed."],
        ["Cycle", cycle, "Programme cycle: a year (2019) or a span (2022-24)."],
        ["Review month", review_month, "When the review took place, e.g. 2023-11."]]
    if region is not None:
        details.append(["Region", region, "Optional: the council's region (such as an "
                        "ADASS region), to compare councils region by region."])
    _review_sheet(workbook, [
        *details,
        [],
        ["How to fill in", None,
         "On the Ratings sheet, enter one row per case record: an identifier, the "
         "auditor, a rating for every question chosen from the drop-down list "
         "(N/A where a question does not apply) and the overall judgement. "
         "Comments stay in this workbook: they are never copied into reports."
         + (" The Evidence columns hold the auditor's evidence and analysis for each "
            "rating, and the reason for the overall judgement: only the review team's "
            "internal evidence pack shows them." if evidence or evidence_rows is not None
            else "")]])
    if evidence or evidence_rows is not None:
        from review_lib.data.records import OVERALL

        width = 2 + len(catalogue) + 2  # case, auditor, questions, judgement, comments
        texts = list(evidence_rows or [])
        ids = [*catalogue.ids, OVERALL]
        rows = [[*row, *[None] * (width - len(row)),
                 *[(texts[i].get(q) if i < len(texts) else None) or None for q in ids]]
                for i, row in enumerate(rows)]
    _ratings_sheet(workbook, catalogue, rows, n_rows,
                   evidence=evidence or evidence_rows is not None)
    _questions_sheet(workbook, catalogue)
    return _finish(workbook, path)


def _review_sheet(workbook, rows: list[list[object]]) -> None:
    """The Review sheet (the workbook's first): a heading row, then Item, Value, Guidance."""
    from openpyxl.styles import Alignment, Font, PatternFill

    review = workbook.active
    review.title = REVIEW_SHEET
    review.append(["Item", "Value", "Guidance"])
    for row in rows:
        review.append(row)
    for cell in review[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
    for row in review.iter_rows(min_row=2):
        row[0].font = Font(bold=True)
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
        row[2].font = Font(color=NOTE_COLOUR)
    review.column_dimensions["A"].width = 16
    review.column_dimensions["B"].width = 30
    review.column_dimensions["C"].width = 80


def write_moderation_workbook(path: str | Path, catalogue: Catalogue, *, name: str = "",
                              cycle: str = "", month: str = "",
                              auditors: Sequence[str] = ("PSW A", "PSW B", "PSW C"),
                              n_cases: int = 8, consensus: bool = True,
                              rows: Sequence[Sequence[object]] | None = None) -> Path:
    """Write a moderation exercise workbook, blank or filled (:mod:`review_lib.data.moderation`).

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` file; written to a temporary name, then renamed.
    catalogue : Catalogue
        The questions, one column each.
    name, cycle, month : str
        The exercise's name, programme cycle and month, for the Review sheet.
    auditors : sequence of str
        The auditors' labels, one ``Auditor`` row each in the Review sheet; the Ratings
        sheet's Auditor column offers them (and Consensus) as a drop-down list.
    n_cases : int, default 8
        Blank cases prepared: a row for each auditor (their label filled in), and a
        Consensus row when ``consensus``.
    consensus : bool, default True
        Prepare a Consensus row for each case.
    rows : sequence of sequences, optional
        Filled rows instead (case, auditor, one rating per question, overall judgement);
        no blank rows are then prepared.

    Returns
    -------
    Path
        The file written.
    """
    from openpyxl import Workbook

    from review_lib.data.moderation import CONSENSUS

    auditors = list(auditors)
    if not auditors:
        raise ValueError("a moderation exercise needs at least one auditor label")
    raters = [*auditors, *([CONSENSUS] if consensus else [])]
    if rows is None:
        blank = [None] * (len(catalogue) + 1)
        rows = [[None, rater, *blank] for _ in range(n_cases) for rater in raters]
    rows = list(rows)
    path = Path(path)
    workbook = Workbook()
    first = 5  # the first Auditor row of the Review sheet
    _review_sheet(workbook, [
        ["Moderation", name, "The exercise's name, e.g. Autumn 2023 calibration: reports "
                             "and their folders are named after it."],
        ["Cycle", cycle, "Programme cycle: a year (2019) or a span (2022-24)."],
        ["Review month", month, "When the exercise took place, e.g. 2023-10."],
        *[["Auditor", label, "One row per auditor taking part, by the label the network "
                             "uses (PSW A ...), never a full name: reports name auditors "
                             "by these labels." if i == 0 else None]
          for i, label in enumerate(auditors)],
        *([["Consensus", CONSENSUS, "The rows holding the moderated rating the group "
                                    "agreed for a case (optional; leave this label as it "
                                    "is)."]] if consensus else []),
        [],
        ["How to fill in", None,
         "On the Ratings sheet, each auditor rates every case on every question, on their "
         "own row (their label is filled in; choose ratings from the drop-down lists, N/A "
         "where a question does not apply) and gives an overall judgement. Type the case's "
         "reference on each of its rows. After the discussion, the agreed ratings go on the "
         "case's Consensus row. Rows left without a case are ignored. Comments stay in this "
         "workbook: they are never copied into reports."]])
    last = first + len(auditors) - (0 if consensus else 1)
    _ratings_sheet(workbook, catalogue, rows, len(rows),
                   auditor_list=f"{REVIEW_SHEET}!$B${first}:$B${last}")
    _questions_sheet(workbook, catalogue)
    return _finish(workbook, path)


def write_moderation_template(path: str | Path,
                              questions: str | Path | Catalogue | None = None, *,
                              n_auditors: int = 5, n_cases: int = 8) -> Path:
    """Write a blank moderation exercise workbook.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` file to write.
    questions : str, Path or Catalogue, optional
        A question catalogue (or its CSV); the bundled 12 questions by default.
    n_auditors : int, default 5
        Auditors taking part, labelled PSW A, PSW B, ... (relabel them in the Review sheet
        and the Ratings rows if the network uses other labels).
    n_cases : int, default 8
        Case records every auditor rates.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        For fewer than two auditors or one case, or more than 26 auditors.
    """
    if not 2 <= n_auditors <= 26 or n_cases < 1:
        raise ValueError("a moderation exercise needs 2 to 26 auditors and at least one case")
    catalogue = questions if isinstance(questions, Catalogue) else load_catalogue(questions)
    labels = [f"PSW {chr(65 + i)}" for i in range(n_auditors)]
    return write_moderation_workbook(path, catalogue, auditors=labels, n_cases=n_cases)


def _ratings_sheet(workbook, catalogue: Catalogue, rows: list, n_rows: int,
                   auditor_list: str | None = None, evidence: bool = False) -> None:
    """The Ratings sheet: headings with the questions' wording, rows, drop-down lists.

    ``auditor_list`` is a range (``"Review!$B$5:$B$10"``) offered as the Auditor column's
    drop-down list.
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    white_bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    wrap_top = Alignment(wrap_text=True, vertical="top")
    ratings = workbook.create_sheet(RATINGS_SHEET)
    headings = ["Case", "Auditor",
                *[f"{q.heading}\n{q.question}" for q in catalogue], "Overall judgement",
                "Comments",
                *([*[f"Evidence {q.id}" for q in catalogue], "Evidence overall"]
                  if evidence else [])]
    ratings.append(headings)
    for row in rows:
        ratings.append(list(row))
    for cell in ratings[1]:
        cell.font = white_bold
        cell.fill = fill
        cell.alignment = wrap_top
    ratings.row_dimensions[1].height = 120
    ratings.freeze_panes = "C2"
    ratings.column_dimensions["A"].width = 14
    ratings.column_dimensions["B"].width = 14

    first_q, last_q = 3, 2 + len(catalogue)
    for index in range(first_q, last_q + 2):
        ratings.column_dimensions[get_column_letter(index)].width = 22
    ratings.column_dimensions[get_column_letter(last_q + 2)].width = 40
    if evidence:
        for index in range(last_q + 3, last_q + 4 + len(catalogue)):
            ratings.column_dimensions[get_column_letter(index)].width = 50
    levels, overall = _rating_drop_downs()
    ratings.add_data_validation(levels)
    ratings.add_data_validation(overall)
    last_row = n_rows + 1
    levels.add(f"{get_column_letter(first_q)}2:{get_column_letter(last_q)}{last_row}")
    overall.add(f"{get_column_letter(last_q + 1)}2:{get_column_letter(last_q + 1)}{last_row}")
    if auditor_list:
        auditors = DataValidation(type="list", formula1=auditor_list, allow_blank=True,
                                  showErrorMessage=True, errorTitle="Not a listed auditor",
                                  error="Choose an auditor listed in the Review sheet, or "
                                        "Consensus.")
        ratings.add_data_validation(auditors)
        auditors.add(f"B2:B{last_row}")


def _questions_sheet(workbook, catalogue: Catalogue) -> None:
    from openpyxl.styles import Font, PatternFill

    questions = workbook.create_sheet("Questions")
    questions.append(["id", "short_label", "question", "theme"])
    for q in catalogue:
        questions.append([q.id, q.short_label, q.question, q.theme])
    for cell in questions[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
    questions.column_dimensions["C"].width = 90
    questions.column_dimensions["B"].width = 24
    questions.column_dimensions["D"].width = 26


def _rating_drop_downs():
    """The drop-downs of a rating (the four levels and N/A) and of an overall judgement.

    Returns
    -------
    tuple of openpyxl.worksheet.datavalidation.DataValidation
        ``(ratings, judgements)``, each refusing anything else with a message saying what
        to choose; add them to a sheet, then add its cells to them.
    """
    from openpyxl.worksheet.datavalidation import DataValidation

    levels = DataValidation(type="list", formula1='"' + ",".join(RATING_CHOICES) + '"',
                            allow_blank=True, showErrorMessage=True,
                            errorTitle="Not a rating",
                            error="Choose Outstanding, Good, Requires Improvement, "
                                  "Inadequate or N/A.")
    overall = DataValidation(type="list", formula1='"' + ",".join(LEVELS) + '"',
                             allow_blank=True, showErrorMessage=True,
                             errorTitle="Not a judgement",
                             error="Choose Outstanding, Good, Requires Improvement or "
                                   "Inadequate.")
    return levels, overall


def _finish(workbook, path: Path) -> Path:
    # Fixed document dates keep regenerated files byte-stable where openpyxl allows.
    import datetime as dt

    stamp = dt.datetime(2024, 1, 1)
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    workbook.properties.creator = "review_lib"
    return _save_atomically(workbook, path)


def _fix_zip_timestamps(path: Path) -> None:
    """Fix the dates inside an .xlsx file, so that regenerated files are byte-identical."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time here whatever the workbook says.
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z",
                              data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, data)


#: First characters that make spreadsheet programs read text as a formula.
FORMULA_STARTS = ("=", "+", "-", "@")


def values_only(workbook) -> None:
    """Make every cell that looks like a formula hold its text instead.

    openpyxl stores a string starting with ``=`` as a live formula, so a catalogue label
    such as ``=HYPERLINK(...)`` would become a link when the template is opened. Such
    cells (and those starting ``+``, ``-`` or ``@``, which Excel may also read as formulas)
    are stored as plain text.

    Parameters
    ----------
    workbook : openpyxl.Workbook
        Changed in place.
    """
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def _save_atomically(workbook, path: Path) -> Path:
    values_only(workbook)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".xlsx",
                                         dir=path.parent)
    os.close(handle)
    try:
        workbook.save(temporary)
        _fix_zip_timestamps(Path(temporary))
        publish(Path(temporary), path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_template(path: str | Path, questions: str | Path | Catalogue | None = None,
                   n_cases: int = 20) -> Path:
    """Write a blank data-entry workbook for one review.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` file to write.
    questions : str, Path or Catalogue, optional
        A question catalogue (or its CSV); the bundled 12 questions by default.
    n_cases : int, default 20
        Number of case rows prepared with drop-down lists.

    Returns
    -------
    Path
        The file written.
    """
    catalogue = questions if isinstance(questions, Catalogue) else load_catalogue(questions)
    return write_review_workbook(path, catalogue, n_cases=n_cases, region="", evidence=True)
