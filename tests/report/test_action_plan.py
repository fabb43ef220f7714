"""The action plan: a spreadsheet ready to fill in and a Word table, from the notes."""

from __future__ import annotations

import openpyxl
import pytest
from docx import Document

from review_lib.data.notes import follow_up
from review_lib.report.action_plan import (
    COLUMNS,
    DOCX_NAME,
    PROGRESS_STATUSES,
    XLSX_NAME,
    action_plan,
    write_action_plan,
)
from review_lib.report.context import open_review


@pytest.fixture(scope="module")
def dudley_plan():
    context = open_review("Dudley", "2022-24")
    return action_plan(context.notes, "Dudley", "2022-24", synthetic=context.synthetic,
                       followed=follow_up(context.notes, context.previous_notes))


def _table(sheet):
    """The spreadsheet's header row number and its rows as dicts."""
    header = next(row[0].row for row in sheet.iter_rows() if row[0].value == "Number")
    names = [cell.value for cell in sheet[header]]
    rows = [dict(zip(names, (c.value for c in row), strict=True))
            for row in sheet.iter_rows(min_row=header + 1) if row[0].value]
    return header, names, rows


def test_the_spreadsheet_has_a_row_per_recommendation_ready_to_fill_in(dudley_plan, tmp_path):
    written = write_action_plan(dudley_plan, tmp_path)
    assert [p.name for p in written] == [XLSX_NAME, DOCX_NAME]
    sheet = openpyxl.load_workbook(tmp_path / XLSX_NAME).active
    assert sheet["A1"].value == "Action plan: Dudley, Practice Review 2022-24"
    header, names, rows = _table(sheet)
    assert names == [name for name, _ in COLUMNS]
    assert [r["Number"] for r in rows] == [f"R{n}" for n in range(1, 9)]
    first = rows[0]
    assert first["Urgent"] == "Yes" and "practice educator" in first["Recommendation"]
    assert (first["Priority"], first["Owner"], first["Timescale"]) == (
        "High", "Principal Social Worker", "within one month")
    assert rows[1]["Raised again from"] == "2019 R3" and rows[5]["Raised again from"] == "2019 R13"
    assert rows[2]["Questions"] == "Q11" and rows[6]["Questions"] == "Q2, Q3"
    assert all(r["Status"] is None and r["Progress"] is None for r in rows)  # left to fill in
    # a drop-down of statuses covers the Status column of every row
    status = "ABCDEFGHIJKL"[names.index("Status")]
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1 and validations[0].type == "list"
    assert validations[0].formula1 == '"' + ",".join(PROGRESS_STATUSES) + '"'
    ranges = str(validations[0].sqref)
    assert ranges.startswith(f"{status}{header + 1}:")
    assert int(ranges.split(":")[1][1:]) >= header + len(rows)
    assert sheet.freeze_panes == f"C{header + 1}"
    assert any("Synthetic sample" in str(c.value) for c in sheet["A"][:header])


def test_the_word_table_has_the_same_rows(dudley_plan, tmp_path):
    write_action_plan(dudley_plan, tmp_path)
    document = Document(str(tmp_path / DOCX_NAME))
    assert document.paragraphs[0].text == "Action plan: Dudley, Practice Review 2022-24"
    (table,) = document.tables
    header = [cell.text for cell in table.rows[0].cells]
    assert header == ["No.", "Recommendation", "Priority", "Owner", "Timescale",
                      "Measure of progress", "Status", "Progress"]
    assert table.rows[0]._tr.trPr.xml.count("tblHeader") == 1  # repeats on each page
    rows = [[cell.text for cell in row.cells] for row in table.rows[1:]]
    assert [r[0] for r in rows] == [f"R{n}" for n in range(1, 9)]
    assert rows[0][1].startswith("Urgent: Make sure every Social Worker")
    assert "Raised again from 2019 R3" in rows[1][1]
    assert rows[2][3] == "Team Managers, led by the Head of Service"
    assert all(r[6] == "" and r[7] == "" for r in rows)
    section = document.sections[0]
    assert section.page_width > section.page_height  # landscape
    assert not any(p.text == "DRAFT" for p in section.header.paragraphs)


def test_a_draft_plan_says_so_on_every_page_and_in_the_sheet(tmp_path):
    context = open_review("Northwold", "2022-24")
    plan = action_plan(context.notes, "Northwold", "2022-24", draft=True,
                       followed=follow_up(context.notes, context.previous_notes))
    write_action_plan(plan, tmp_path)
    sheet = openpyxl.load_workbook(tmp_path / XLSX_NAME).active
    assert sheet["A2"].value.startswith("DRAFT")
    document = Document(str(tmp_path / DOCX_NAME))
    assert document.sections[0].header.paragraphs[0].text == "DRAFT"
    _, _, rows = _table(sheet)
    # raised again by an explicit Follows: line, and by a tag shared with one not met
    assert {r["Number"]: r["Raised again from"] for r in rows if r["Raised again from"]} == {
        "R2": "2019 R1", "R3": "2019 R2", "R5": "2019 R5"}


def test_no_recommendations_no_plan():
    assert action_plan(None, "Ashcombe", "2022-24") is None
    context = open_review("Kestrel Vale", "2022-24")
    plan = action_plan(context.notes, "Kestrel Vale", "2022-24")
    assert plan is not None and not any(r.urgent for r in plan.rows)
    assert all(r.owner == "" and r.raised_again_from == "" for r in plan.rows)


def test_the_batch_writes_the_plan_beside_the_reports_with_pseudonyms(sample_run):
    _, out = sample_run
    for council in ("dudley", "northwold"):
        folder = out / "reports" / "2022-24" / council
        assert (folder / XLSX_NAME).is_file() and (folder / DOCX_NAME).is_file()
        assert not list(folder.glob(".*.part"))
    sheet = openpyxl.load_workbook(out / "reports/2022-24/northwold" / XLSX_NAME).active
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "NO-" not in text and "/work" not in text and "/tmp" not in text


def test_a_plan_already_written_is_not_written_again(dudley_plan, tmp_path):
    from dataclasses import replace

    first = write_action_plan(dudley_plan, tmp_path)
    times = [p.stat().st_mtime_ns for p in first]
    (tmp_path / XLSX_NAME).touch()  # a later time, the same contents
    again = [p.stat().st_mtime_ns for p in write_action_plan(dudley_plan, tmp_path)]
    assert again[1] == times[1] and again[0] >= times[0]
    assert [p.stat().st_mtime_ns for p in write_action_plan(dudley_plan, tmp_path)] == again
    changed = replace(dudley_plan, rows=dudley_plan.rows[:-1])
    write_action_plan(changed, tmp_path)
    sheet = openpyxl.load_workbook(tmp_path / XLSX_NAME).active
    assert len(_table(sheet)[2]) == len(dudley_plan.rows) - 1
    (tmp_path / DOCX_NAME).write_bytes(b"not a Word file")  # damaged: written again
    write_action_plan(changed, tmp_path)
    assert len(Document(str(tmp_path / DOCX_NAME)).tables[0].rows) == len(changed.rows) + 1
