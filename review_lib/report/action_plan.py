"""A review's action plan: its recommendations as a spreadsheet and a Word table to fill in.

The council's leadership team turns the review team's recommendations into actions and
records progress on them until the next review, whose notes give each recommendation a
status (met, partly met, not met, replaced). The plan holds, per recommendation, what the
notes give (number, text, the audit questions it rests on, whether it is urgent, priority,
owner, timescale, measure of progress, the earlier recommendation it takes up again) and
empty status and progress columns. It is written beside the council's reports by
``practice-review run``: ``action-plan.xlsx`` (a status drop-down on every row) and
``action-plan.docx`` (a landscape table), each written atomically. The texts are the
report's, cases pseudonymised.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from review_lib.data.follow_up import FollowUp
from review_lib.data.notes import ReviewNotes
from review_lib.files import write_atomically
from review_lib.report.html import SYNTHETIC_BANNER

#: What the status column offers (the next review's statuses, and two for work under way).
PROGRESS_STATUSES = ("Not started", "In progress", "Met", "Partly met", "Not met", "Replaced")

#: The spreadsheet's columns: heading, width (characters).
COLUMNS: tuple[tuple[str, int], ...] = (
    ("Number", 8), ("Recommendation", 60), ("Questions", 11), ("Urgent", 8),
    ("Priority", 9), ("Owner", 24), ("Timescale", 20), ("Measure of progress", 40),
    ("Raised again from", 16), ("Status", 13), ("Progress", 40), ("Date updated", 13),
)

#: File names, beside the council's reports.
XLSX_NAME, DOCX_NAME = "action-plan.xlsx", "action-plan.docx"


@dataclass(frozen=True)
class ActionRow:
    """One recommendation in the action plan.

    Attributes
    ----------
    number : str
        ``"R1"``.
    text : str
        The recommendation.
    questions : str
        The audit questions it rests on (``"Q2, Q3"``), or empty.
    urgent : bool
        Whether the review team marked it urgent.
    priority, owner, timescale, measure : str
        As the notes give them, or empty.
    raised_again_from : str
        The previous review's recommendations it takes up again (``"2019 R3"``), or empty.
    """

    number: str
    text: str
    questions: str = ""
    urgent: bool = False
    priority: str = ""
    owner: str = ""
    timescale: str = ""
    measure: str = ""
    raised_again_from: str = ""


@dataclass(frozen=True)
class ActionPlan:
    """A review's action plan.

    Attributes
    ----------
    council, cycle : str
        The review.
    draft : bool
        Whether the report is a draft (the plan says so on every page and sheet).
    synthetic : bool
        Whether it comes from the synthetic sample.
    rows : tuple of ActionRow
        One per recommendation, in the notes' order.
    """

    council: str
    cycle: str
    draft: bool
    synthetic: bool
    rows: tuple[ActionRow, ...]

    @property
    def title(self) -> str:
        """``"Action plan: Dudley, Practice Review 2022-24"``."""
        return f"Action plan: {self.council}, Practice Review {self.cycle}"

    def notices(self) -> list[str]:
        """What the plan says above its table: draft, synthetic, how to use it."""
        said = []
        if self.draft:
            said.append("DRAFT: the review team has not yet agreed the final text of its "
                        "recommendations.")
        if self.synthetic:
            said.append(SYNTHETIC_BANNER)
        said.append("One row per recommendation of the review team. Fill in the status "
                    "(choose from the list) and the progress as the work goes on; the next "
                    "Practice Review asks the council for each recommendation's status: met, "
                    "partly met, not met or replaced.")
        return said


def action_plan(notes: ReviewNotes, council: str, cycle: str, *, draft: bool = False,
                synthetic: bool = False, followed: FollowUp | None = None
                ) -> ActionPlan | None:
    """The action plan of a review, from its notes' recommendations.

    Parameters
    ----------
    notes : ReviewNotes
        The review's notes, pseudonymised as its report shows them.
    council, cycle : str
        The review.
    draft : bool, default False
        Whether its report is a draft.
    synthetic : bool, default False
        Whether it comes from the synthetic sample.
    followed : FollowUp, optional
        The follow-up of the previous review (:func:`review_lib.data.notes.follow_up`),
        for the "raised again from" column.

    Returns
    -------
    ActionPlan or None
        None when the notes make no recommendation.
    """
    if notes is None or not notes.recommendations:
        return None
    rows = []
    for rec in notes.recommendations:
        earlier = followed.earlier_for(rec.number) if followed is not None else ()
        rows.append(ActionRow(
            number=rec.label, text=rec.text, questions=", ".join(rec.questions),
            urgent=rec.urgent, priority=(rec.priority or "").capitalize(),
            owner=rec.owner or "", timescale=rec.timescale or "", measure=rec.measure or "",
            raised_again_from=", ".join(f"{followed.previous_cycle} R{n}" for n in earlier)))
    return ActionPlan(council, cycle, draft, synthetic, tuple(rows))


def _values(row: ActionRow) -> list:
    return [row.number, row.text, row.questions, "Yes" if row.urgent else "", row.priority,
            row.owner, row.timescale, row.measure, row.raised_again_from, "", "", ""]


def xlsx_bytes(plan: ActionPlan) -> bytes:
    """The action plan as an Excel workbook, ready to fill in.

    The first sheet has a title, the plan's notices, then a table with a header row that
    stays in view, one row per recommendation, wrapped text, and a drop-down of
    :data:`PROGRESS_STATUSES` in the Status column (a few spare rows included).

    Parameters
    ----------
    plan : ActionPlan
        The plan.

    Returns
    -------
    bytes
        The ``.xlsx`` file.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "Action plan"
    sheet["A1"] = plan.title
    sheet["A1"].font = Font(bold=True, size=14)
    row = 2
    for notice in plan.notices():
        sheet.cell(row=row, column=1, value=notice).font = Font(
            bold=notice.startswith("DRAFT"), italic=not notice.startswith("DRAFT"))
        row += 1
    header = row + 1
    thin = Side(style="thin", color="BFBFBF")
    for column, (name, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=header, column=column, value=name)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="12436D")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(column)].width = width
    for offset, action in enumerate(plan.rows, start=1):
        for column, value in enumerate(_values(action), start=1):
            cell = sheet.cell(row=header + offset, column=column, value=value or None)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
            if action.urgent and COLUMNS[column - 1][0] == "Urgent":
                cell.font = Font(bold=True, color="A8200D")
    last = header + len(plan.rows)
    status_column = get_column_letter([name for name, _ in COLUMNS].index("Status") + 1)
    choose = DataValidation(type="list", formula1='"' + ",".join(PROGRESS_STATUSES) + '"',
                            allow_blank=True, showErrorMessage=True,
                            errorTitle="Status", error="Choose a status from the list: "
                            + ", ".join(PROGRESS_STATUSES) + ".",
                            promptTitle="Status", prompt="Choose from the list.")
    choose.showInputMessage = True
    sheet.add_data_validation(choose)
    choose.add(f"{status_column}{header + 1}:{status_column}{last + 10}")
    sheet.freeze_panes = sheet.cell(row=header + 1, column=3)
    sheet.auto_filter.ref = f"A{header}:{get_column_letter(len(COLUMNS))}{last}"
    sheet.print_title_rows = f"{header}:{header}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if plan.draft:
        sheet.oddHeader.right.text = "DRAFT"
    sheet.oddFooter.left.text = plan.title
    book.properties.title = plan.title
    book.properties.identifier = plan_key(plan)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docx_bytes(plan: ActionPlan) -> bytes:
    """The action plan as a Word document: a landscape table, its header row repeated.

    Parameters
    ----------
    plan : ActionPlan
        The plan.

    Returns
    -------
    bytes
        The ``.docx`` file.
    """
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Arial", Pt(10)
    if plan.draft:
        mark = section.header.paragraphs[0]
        mark.text = "DRAFT"
        mark.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        mark.runs[0].bold = True
    section.footer.paragraphs[0].text = plan.title
    document.core_properties.title = plan.title
    document.core_properties.identifier = plan_key(plan)
    document.add_heading(plan.title, level=1)
    for notice in plan.notices():
        paragraph = document.add_paragraph()
        run = paragraph.add_run(notice)
        run.bold = notice.startswith("DRAFT")
    columns = [("No.", 1.2), ("Recommendation", 8.0), ("Priority", 1.8), ("Owner", 3.6),
               ("Timescale", 3.0), ("Measure of progress", 4.6), ("Status", 1.9),
               ("Progress", 2.6)]
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.autofit = False
    heading = table.rows[0]
    properties = heading._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)  # the header row repeats on each page
    for cell, (name, width) in zip(heading.cells, columns, strict=True):
        cell.width = Cm(width)
        cell.text = ""
        run = cell.paragraphs[0].add_run(name)
        run.bold = True
    for action in plan.rows:
        cells = table.add_row().cells
        for cell, (_, width) in zip(cells, columns, strict=True):
            cell.width = Cm(width)
        cells[0].text = action.number
        text = cells[1].paragraphs[0]
        if action.urgent:
            urgent = text.add_run("Urgent: ")
            urgent.bold = True
            urgent.font.color.rgb = RGBColor(0xA8, 0x20, 0x0D)
        text.add_run(action.text)
        extra = [f"Questions: {action.questions}" if action.questions else "",
                 f"Raised again from {action.raised_again_from}"
                 if action.raised_again_from else ""]
        for line in filter(None, extra):
            cells[1].add_paragraph(line).runs[0].italic = True
        cells[2].text = action.priority
        cells[3].text = action.owner
        cells[4].text = action.timescale
        cells[5].text = action.measure
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def plan_key(plan: ActionPlan) -> str:
    """A key of the plan's contents and of the code that writes it, kept in both files.

    Parameters
    ----------
    plan : ActionPlan
        The plan.

    Returns
    -------
    str
        32 hexadecimal digits, the same exactly when the files would be the same.
    """
    digest = hashlib.sha256(repr(plan).encode("utf-8"))
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:32]


def _holds_key(path: Path, key: str) -> bool:
    """Whether an Office file's properties (``docProps/core.xml``) hold ``key``."""
    try:
        with zipfile.ZipFile(path) as archive:
            return key.encode("ascii") in archive.read("docProps/core.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def write_action_plan(plan: ActionPlan, folder: Path) -> list[Path]:
    """Write the plan's spreadsheet and Word table into a council's report folder.

    Each file is written through a temporary name and renamed, so a reader never sees a
    half-written plan and an existing one survives a failure. Files that already hold this
    plan (:func:`plan_key`, in their document properties) are left as they are, so that a
    run with nothing changed spends no time on them.

    Parameters
    ----------
    plan : ActionPlan
        The plan.
    folder : Path
        The council's report folder (``reports/<cycle>/<council>/``).

    Returns
    -------
    list of Path
        The files written.
    """
    folder = Path(folder)
    key = plan_key(plan)
    written = []
    for name, build in ((XLSX_NAME, xlsx_bytes), (DOCX_NAME, docx_bytes)):
        path = folder / name
        if not _holds_key(path, key):
            write_atomically(path, build(plan))
        written.append(path)
    return written
