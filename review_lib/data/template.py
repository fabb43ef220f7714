"""Blank data-entry workbooks for one review, and the writer the sample generator shares.

The workbook has three sheets: ``Review`` (council, cycle, month), ``Ratings`` (a row per
case, a column per question with its wording in the heading, drop-down lists of the allowed
ratings) and ``Questions`` (the catalogue, for reference). A filled-in template loads as it is.
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
                          rows: Sequence[Sequence[object]] | None = None) -> Path:
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

    Returns
    -------
    Path
        The file written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    rows = list(rows or [])
    n_rows = max(n_cases, len(rows))
    workbook = Workbook()
    bold = Font(bold=True)
    white_bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    wrap_top = Alignment(wrap_text=True, vertical="top")

    review = workbook.active
    review.title = REVIEW_SHEET
    review.append(["Item", "Value", "Guidance"])
    review.append(["Council", council, "The council whose case records were reviewed."])
    review.append(["Cycle", cycle, "Programme cycle: a year (2019) or a span (2022-24)."])
    review.append(["Review month", review_month, "When the review took place, e.g. 2023-11."])
    review.append([])
    review.append(["How to fill in", None,
                   "On the Ratings sheet, enter one row per case record: an identifier, the "
                   "auditor, a rating for every question chosen from the drop-down list "
                   "(N/A where a question does not apply) and the overall judgement. "
                   "Comments stay in this workbook: they are never copied into reports."])
    for cell in review[1]:
        cell.font = white_bold
        cell.fill = fill
    for row in review.iter_rows(min_row=2):
        row[0].font = bold
        row[2].alignment = wrap_top
        row[2].font = Font(color=NOTE_COLOUR)
    review.column_dimensions["A"].width = 16
    review.column_dimensions["B"].width = 30
    review.column_dimensions["C"].width = 80

    ratings = workbook.create_sheet(RATINGS_SHEET)
    headings = ["Case", "Auditor",
                *[f"{q.heading}\n{q.question}" for q in catalogue], "Overall judgement",
                "Comments"]
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
    from openpyxl.utils import get_column_letter

    first_q, last_q = 3, 2 + len(catalogue)
    for index in range(first_q, last_q + 2):
        ratings.column_dimensions[get_column_letter(index)].width = 22
    ratings.column_dimensions[get_column_letter(last_q + 2)].width = 40
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
    ratings.add_data_validation(levels)
    ratings.add_data_validation(overall)
    last_row = n_rows + 1
    levels.add(f"{get_column_letter(first_q)}2:{get_column_letter(last_q)}{last_row}")
    overall.add(f"{get_column_letter(last_q + 1)}2:{get_column_letter(last_q + 1)}{last_row}")

    questions = workbook.create_sheet("Questions")
    questions.append(["id", "short_label", "question", "theme"])
    for q in catalogue:
        questions.append([q.id, q.short_label, q.question, q.theme])
    for cell in questions[1]:
        cell.font = white_bold
        cell.fill = fill
    questions.column_dimensions["C"].width = 90
    questions.column_dimensions["B"].width = 24
    questions.column_dimensions["D"].width = 26

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
    return write_review_workbook(path, catalogue, n_cases=n_cases)
