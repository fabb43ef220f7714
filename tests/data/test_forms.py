"""Auditors' evidence: Evidence columns, per-case audit forms, and a folder of forms as a review."""

from __future__ import annotations

import shutil

import openpyxl
import pandas as pd
import pytest

from review_lib.cli import main
from review_lib.data.forms import FORM_SHEET, read_forms_folder, write_form
from review_lib.data.loading import iter_data_files, load_programme, read_programme_files
from review_lib.data.problems import DataValidationError
from review_lib.data.reading import read_review_file
from review_lib.data.sample import PROFILES_2022_24 as PROFILES
from review_lib.data.sample import generate_council, sample_evidence
from review_lib.data.template import RATING_CHOICES, write_review_workbook
from review_lib.paths import SAMPLE_DIR


def _rows(catalogue, n=6):
    rows = generate_council(PROFILES[2], catalogue, seed=77)[:n]
    rows[1][2 + 4] = "N/A"  # Q5 does not apply to the second case
    return rows


def _forms(folder, catalogue, rows, council="Testshire", cycle="2024", evidence=None):
    evidence = evidence or sample_evidence(rows, catalogue)
    for number, (row, texts) in enumerate(zip(rows, evidence, strict=True), start=1):
        ref, auditor, *labels = row
        write_form(folder / f"case-{number:02d}.xlsx", catalogue, council=council, cycle=cycle,
                   case=ref, auditor=auditor, review_month="2024-05",
                   ratings=dict(zip(catalogue.ids, labels, strict=False)),
                   judgement=labels[len(catalogue)], evidence=texts)
    return folder


def _only(problems, kind):
    found = [p for p in problems if p.kind == kind]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def test_forms_and_workbook_of_the_same_ratings_load_the_same(tmp_path, catalogue):
    rows = _rows(catalogue)
    evidence = sample_evidence(rows, catalogue, plant=0)
    book = tmp_path / "book" / "2024"
    write_review_workbook(book / "testshire.xlsx", catalogue, council="Testshire",
                          cycle="2024", review_month="2024-05", rows=rows,
                          evidence_rows=evidence)
    forms = _forms(tmp_path / "forms" / "2024" / "testshire-forms", catalogue, rows,
                   evidence=evidence)
    from_book = load_programme(tmp_path / "book").review("Testshire", "2024")
    from_forms = load_programme(tmp_path / "forms").review("Testshire", "2024")
    for part in ("ratings", "judgements", "not_applicable", "evidence"):
        pd.testing.assert_frame_equal(getattr(from_book, part), getattr(from_forms, part))
    assert len(from_forms.not_applicable) > 0  # N/A answers travel too
    assert from_forms.review_month == "2024-05" and from_forms.path == forms
    # One review per folder: the folder is listed as one data "file", its forms are not.
    assert iter_data_files([tmp_path / "forms"]) == [forms]
    texts = from_forms.evidence.set_index(["case", "question"])["evidence"]
    assert rows[0][0] in texts[(from_forms.case_pseudonyms()[rows[0][0]], "Q9")]
    assert texts.xs("Overall", level="question").str.startswith("Judged").all()


def test_the_sample_review_given_as_forms_holds_evidence():
    results = read_programme_files([SAMPLE_DIR / "2022-24" / "ashcombe-forms"])
    [result] = results
    assert result.ok and result.display_name == "ashcombe-forms"
    [review] = result.reviews
    assert (review.council, review.cycle, review.n_cases) == ("Ashcombe", "2022-24", 20)
    assert review.has_evidence and review.source == "ashcombe-forms"


def test_form_template_has_wording_drop_downs_and_evidence_boxes(tmp_path, catalogue):
    assert main(["template", "--form", str(tmp_path / "testshire-forms"), "--council",
                 "Testshire", "--cycle", "2024/25", "--cases", "3"]) == 0
    forms = sorted((tmp_path / "testshire-forms").glob("*.xlsx"))
    assert [p.name for p in forms] == ["case-01.xlsx", "case-02.xlsx", "case-03.xlsx"]
    sheet = openpyxl.load_workbook(forms[0])[FORM_SHEET]
    fields = {sheet.cell(row, 1).value: sheet.cell(row, 2).value for row in range(4, 9)}
    assert fields == {"Council": "Testshire", "Cycle": "2024-25", "Case identifier": None,
                      "Auditor": None, "Review month": None}
    header = [c.value for c in sheet[10]]
    assert header == ["Question", "What to look for", "Rating", "Evidence and analysis"]
    for row, question in enumerate(catalogue, start=11):
        assert sheet.cell(row, 1).value == question.heading
        assert sheet.cell(row, 2).value == question.question  # wording from questions.csv
    assert sheet.cell(23, 1).value == "Overall judgement"
    validations = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert validations["C11:C22"] == '"' + ",".join(RATING_CHOICES) + '"'
    assert "N/A" not in validations["C23"] and "Inadequate" in validations["C23"]
    # One blank form to copy, and refusing to write over forms already there.
    assert main(["template", "--form", str(tmp_path / "one.xlsx")]) == 0
    assert main(["template", "--form", str(tmp_path / "testshire-forms")]) == 2
    # Blank spare forms are skipped with a warning; all blank is an error.
    reviews, problems = read_forms_folder(tmp_path / "testshire-forms", catalogue)
    assert not reviews and [p.kind for p in problems] == ["blank-form"] * 3 + ["empty-file"]


def test_each_problem_in_a_folder_of_forms_is_located(tmp_path, catalogue):
    rows = _rows(catalogue)
    folder = _forms(tmp_path / "2024" / "testshire-forms", catalogue, rows)

    def edit(name, **cells):
        path = folder / name
        book = openpyxl.load_workbook(path)
        for ref, value in cells.items():
            book[FORM_SHEET][ref] = value
        book.save(path)

    edit("case-01.xlsx", B6=None)                   # no case identifier
    edit("case-02.xlsx", B6=rows[2][0])             # the same case as case-03.xlsx
    edit("case-04.xlsx", B4="Otherton")             # another council than the others
    edit("case-05.xlsx", C13="Very good")           # not a rating
    edit("case-06.xlsx", C23=None)                  # no overall judgement
    reviews, problems = read_forms_folder(folder, catalogue, display_name="testshire-forms")
    assert reviews == []
    blank = _only(problems, "blank-case")
    assert (blank.file, blank.sheet, blank.cell) == ("testshire-forms/case-01.xlsx",
                                                     FORM_SHEET, "B6")
    duplicate = _only(problems, "duplicate-case")
    assert duplicate.file.endswith("case-03.xlsx") and "case-02.xlsx" in duplicate.message
    assert duplicate.cell == "B6" and duplicate.value == rows[2][0]
    council = _only(problems, "inconsistent-review")
    assert council.file.endswith("case-04.xlsx") and council.cell == "B4"
    assert "'Otherton'" in council.message and "'Testshire'" in council.message
    label = _only(problems, "unknown-label")
    assert (label.cell, label.value, label.column) == ("C13", "Very good", "Rating")
    assert "N/A" in label.expected
    judgement = _only(problems, "missing-judgement")
    assert judgement.file.endswith("case-06.xlsx") and judgement.cell == "C23"
    assert "case-06.xlsx, sheet 'Audit form', cell C23" in str(judgement)
    with pytest.raises(DataValidationError) as raised:
        load_programme(tmp_path)
    assert "testshire-forms/case-05.xlsx" in str(raised.value)


def test_forms_that_disagree_with_their_folder_are_refused(tmp_path, catalogue):
    rows = _rows(catalogue, 3)
    misnamed = _forms(tmp_path / "2024" / "otherton-forms", catalogue, rows)
    problem = _only(read_forms_folder(misnamed, catalogue)[1], "inconsistent-review")
    assert "Testshire" in problem.message and "'testshire-forms'" in problem.expected
    wrong_cycle = _forms(tmp_path / "2019" / "testshire-forms", catalogue, rows)
    problem = _only(read_forms_folder(wrong_cycle, catalogue)[1], "inconsistent-review")
    assert "cycle 2024" in problem.message and "'2019'" in problem.message
    empty = tmp_path / "2024" / "empty-forms"
    empty.mkdir()
    assert _only(read_forms_folder(empty, catalogue)[1], "empty-file")


def test_evidence_columns_are_read_and_checked(tmp_path, catalogue):
    rows = _rows(catalogue, 3)
    path = write_review_workbook(tmp_path / "t.xlsx", catalogue, council="Testshire",
                                 cycle="2024", rows=rows,
                                 evidence_rows=[{"Q3": "Lunch club tried.", "Overall": "Fine."}])
    [review], problems = read_review_file(path, catalogue)
    assert not [p for p in problems if p.is_error] and review.has_evidence
    shown = review.evidence[review.evidence["evidence"] != ""]
    assert shown["question"].tolist() == ["Q3", "Overall"]
    # "Evidence Q3" is not taken for the question's own column, nor refused as unknown.
    assert not [p for p in problems if p.kind == "ignored-column"]
    book = openpyxl.load_workbook(path)
    sheet = book["Ratings"]
    sheet.cell(1, sheet.max_column + 1, "Evidence Q99")
    sheet["R2"] = "=A2"  # a formula in the Evidence Q2 column
    book.save(path)
    reviews, problems = read_review_file(path, catalogue, display_name="t.xlsx")
    assert not reviews
    unknown = _only(problems, "unknown-question")
    assert "Evidence Q99" in unknown.message and unknown.cell.endswith("1")
    assert _only(problems, "formula").cell == "R2"


def test_a_long_csv_may_carry_evidence(tmp_path, catalogue):
    lines = ["council,cycle,case,auditor,question,rating,evidence"]
    for qid in [*catalogue.ids, "Overall"]:
        note = "Manager's sign-off seen." if qid == "Q11" else ""
        lines.append(f"Testshire,2024,T1,PSW A,{qid},Good,{note}")
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n")
    [review], problems = read_review_file(path, catalogue)
    assert not [p for p in problems if p.is_error]
    frame = review.evidence.set_index("question")["evidence"]
    assert frame["Q11"] == "Manager's sign-off seen." and frame["Q1"] == ""


def test_a_bad_forms_folder_never_stops_the_other_reviews(tmp_path, catalogue):
    shutil.copy(SAMPLE_DIR / "2022-24" / "dudley.xlsx", tmp_path / "dudley.xlsx")
    bad = tmp_path / "testshire-forms"
    bad.mkdir()
    (bad / "case-01.xlsx").write_text("not a workbook")
    (bad / "notes.txt").write_text("stray")
    results = {r.display_name: r for r in read_programme_files([tmp_path], catalogue)}
    assert results[f"{tmp_path.name}/dudley.xlsx"].ok
    bad_result = results[f"{tmp_path.name}/testshire-forms"]
    kinds = {p.kind for p in bad_result.problems}
    assert not bad_result.ok and {"unreadable-file", "skipped-path"} <= kinds


def test_notes_beside_a_forms_folder_are_its_reviews(tmp_path, catalogue):
    from review_lib.data.notes import read_programme_notes

    cycle = tmp_path / "2022-24"
    shutil.copytree(SAMPLE_DIR / "2022-24" / "ashcombe-forms", cycle / "ashcombe-forms")
    (cycle / "ashcombe-forms.md").write_text(
        "---\nstatus: final\n---\n\n# Recommendations\n\n- Record management oversight. [Q11]\n")
    programme = load_programme(tmp_path)
    notes = read_programme_notes(programme, [tmp_path])
    found = notes.for_review("Ashcombe", "2022-24")
    assert found is not None and not [p for p in notes.problems if p.is_error]
    assert [r.text for r in found.recommendations] == ["Record management oversight."]


def test_a_changed_form_changes_the_read_a_notebook_reuses(tmp_path, catalogue):
    """The forms folder is one entry of the data; each form in it counts for its signature."""
    import os

    from review_lib.paths import QUESTIONS_FILE
    from review_lib.report.context import inputs_signature

    folder = _forms(tmp_path / "2024" / "testshire-forms", catalogue, _rows(catalogue, 3))
    files = iter_data_files([tmp_path])
    before = inputs_signature(tmp_path, QUESTIONS_FILE, files)
    form = folder / "case-02.xlsx"
    book = openpyxl.load_workbook(form)
    book[FORM_SHEET]["C11"] = "Inadequate"
    book.save(form)
    stat = form.stat()
    os.utime(form, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    assert inputs_signature(tmp_path, QUESTIONS_FILE, iter_data_files([tmp_path])) != before
