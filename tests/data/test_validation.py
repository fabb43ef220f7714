"""Every kind of validation problem the loaders report: kind, place, value and expectation.

Each test builds a small input file in ``tmp_path`` (a valid wide CSV, long CSV or template
workbook, with one thing broken) and checks the :class:`~review_lib.data.problems.Problem` that
comes back: its ``kind``, and that its text names the file, the sheet/row/cell where there is
one, the offending value, and what was expected instead.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from review_lib.data.catalogue import load_catalogue
from review_lib.data.loading import load_programme, read_programme_files
from review_lib.data.problems import DataValidationError
from review_lib.data.reading import read_review_file
from review_lib.data.template import write_review_workbook

QUESTIONS = [f"Q{i}" for i in range(1, 13)]
LONG_HEADER = ["Council", "Cycle", "Case", "Auditor", "Question", "Rating"]
LEVELS = ["Outstanding", "Good", "Requires Improvement", "Good", "Inadequate", "N/A"]
JUDGEMENTS = ["Good", "Outstanding", "Good", "Requires Improvement"]

# Wide CSV layout: column letters of the fixed columns and of question Qn.
CASE_COL, AUDITOR_COL, OVERALL_COL = "C", "D", "Q"


def q_col(n: int) -> str:
    """Column letter of question Qn in the wide CSV (Q1 is column E)."""
    return chr(ord("E") + n - 1)


# --------------------------------------------------------------------------- builders


def wide_rows(n_cases: int = 20, questions: list[str] = QUESTIONS, *, council: str = "Dudley",
              cycle: str = "2022-24") -> list[list[str]]:
    """A valid wide table, header first: row i of the list is spreadsheet row i + 1."""
    rows = [["Council", "Cycle", "Case", "Auditor", *questions, "Overall judgement"]]
    for i in range(n_cases):
        ratings = [LEVELS[(i + j) % len(LEVELS)] for j in range(len(questions))]
        rows.append([council, cycle, f"DU-{i + 1:03d}", f"PSW {'ABCD'[i // 5 % 4]}", *ratings,
                     JUDGEMENTS[i % len(JUDGEMENTS)]])
    return rows


def long_rows(n_cases: int = 3, questions: list[str] = QUESTIONS) -> list[list[str]]:
    """A valid long table: per case one row per question, then its Overall row."""
    rows = [list(LONG_HEADER)]
    for i in range(n_cases):
        for j, question in enumerate(questions):
            rows.append(["Dudley", "2022-24", f"DU-{i + 1:03d}", "PSW A", question,
                         LEVELS[(i + j) % 4]])
        rows.append(["Dudley", "2022-24", f"DU-{i + 1:03d}", "PSW A", "Overall", "Good"])
    return rows


def write_csv(path: Path, rows: list[list[str]], *, delimiter: str = ",",
              encoding: str = "utf-8") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def wide_csv(tmp_path: Path, name: str = "dudley.csv", mutate=None, **kwargs) -> Path:
    """Write a valid 20-case wide CSV, after ``mutate(rows)`` has broken it."""
    rows = wide_rows(**kwargs)
    if mutate is not None:
        mutate(rows)
    return write_csv(tmp_path / name, rows)


def long_csv(tmp_path: Path, name: str = "dudley-long.csv", mutate=None, **kwargs) -> Path:
    """Write a valid 3-case long CSV, after ``mutate(rows)`` has broken it."""
    rows = long_rows(**kwargs)
    if mutate is not None:
        mutate(rows)
    return write_csv(tmp_path / name, rows)


def workbook(tmp_path: Path, catalogue, name: str = "dudley.xlsx", edit=None,
             **details) -> Path:
    """Write a filled template workbook (Review, Ratings, Questions), then ``edit(wb)``.

    On the Ratings sheet column A is Case, B Auditor, C..N Q1..Q12, O Overall judgement;
    case i (1-based) is on row i + 1.
    """
    rows = [row[2:] for row in wide_rows()[1:]]
    values = {"council": "Dudley", "cycle": "2022-24", "review_month": "2023-11", **details}
    path = write_review_workbook(tmp_path / name, catalogue, rows=rows, **values)
    if edit is not None:
        book = openpyxl.load_workbook(path)
        edit(book)
        book.save(path)
    return path


def setter(row: int, column: int, value: str):
    """A mutation setting one cell of a table of rows (0-based list indexes)."""
    def mutate(rows):
        rows[row][column] = value
    return mutate


# --------------------------------------------------------------------------- checks


def read(path: Path, catalogue):
    return read_review_file(path, catalogue)


def errors(problems):
    return [p for p in problems if p.is_error]


def the_problem(problems, kind: str):
    """The one problem of a kind (failing with everything found if there is not exactly one)."""
    found = [p for p in problems if p.kind == kind]
    assert len(found) == 1, f"expected one {kind!r}, got:\n" + "\n".join(map(str, problems))
    return found[0]


def assert_says(problem, *fragments: str, expected: bool = True) -> str:
    """The problem's text contains every fragment, and says what was expected."""
    text = str(problem)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    if expected:
        assert "; expected " in text and problem.expected, text
    return text


def assert_only(problems, kind: str):
    """The file's only error is one of ``kind``; returns it."""
    found = errors(problems)
    assert [p.kind for p in found] == [kind], "\n".join(map(str, problems))
    return found[0]


# --------------------------------------------------------------------------- baselines


def test_valid_files_load_without_problems(tmp_path, catalogue):
    for path in (wide_csv(tmp_path), long_csv(tmp_path), workbook(tmp_path, catalogue)):
        reviews, problems = read(path, catalogue)
        assert problems == [], path.name
        assert [(r.council, r.cycle) for r in reviews] == [("Dudley", "2022-24")]
    reviews, _ = read(tmp_path / "dudley.csv", catalogue)
    assert reviews[0].n_cases == 20
    assert len(reviews[0].ratings) + len(reviews[0].not_applicable) == 240


# --------------------------------------------------------------------------- whole files


def test_corrupt_workbook_is_unreadable(tmp_path, catalogue):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"\x01\x02 binary, not a zip archive \xff\xfe\x00")
    problem = assert_only(read(path, catalogue)[1], "unreadable-file")
    assert_says(problem, "broken.xlsx", "not a valid .xlsx")
    # Text under an .xlsx name is said to be text.
    path.write_bytes(b"Case,Auditor,Q1\nC1,PSW A,Good\n")
    problem = assert_only(read(path, catalogue)[1], "unreadable-file")
    assert_says(problem, "broken.xlsx", "it is a text file (perhaps a CSV saved with an "
                ".xlsx name)")


def test_workbook_saved_as_csv_is_unreadable(tmp_path, catalogue):
    source = workbook(tmp_path, catalogue)
    path = tmp_path / "dudley-export.csv"
    path.write_bytes(source.read_bytes())
    problem = assert_only(read(path, catalogue)[1], "unreadable-file")
    assert_says(problem, "dudley-export.csv", "binary")


def test_missing_file_is_unreadable(tmp_path, catalogue):
    problem = assert_only(read(tmp_path / "nowhere.csv", catalogue)[1], "unreadable-file")
    assert_says(problem, "nowhere.csv", "no such file")
    with pytest.raises(DataValidationError) as raised:
        load_programme(tmp_path / "nowhere.xlsx", catalogue)
    assert [p.kind for p in raised.value.errors] == ["unreadable-file"]
    assert "nowhere.xlsx" in str(raised.value)


@pytest.mark.parametrize("content", [b"", b"  \n\n", b"\xef\xbb\xbf", b",,,\n  ,\t, \n"])
def test_empty_csv(tmp_path, catalogue, content):
    path = tmp_path / "blank.csv"
    path.write_bytes(content)
    problem = assert_only(read(path, catalogue)[1], "empty-file")
    assert_says(problem, "blank.csv")


def test_header_without_cases_is_empty(tmp_path, catalogue):
    def drop_cases(rows):
        del rows[1:]

    path = wide_csv(tmp_path, mutate=drop_cases)
    problem = assert_only(read(path, catalogue)[1], "empty-file")
    assert_says(problem, "dudley.csv", "row 1", "no cases")


def test_empty_ratings_sheet(tmp_path, catalogue):
    def clear(book):
        sheet = book["Ratings"]
        for row in sheet.iter_rows():
            for cell in row:
                cell.value = None

    problem = assert_only(read(workbook(tmp_path, catalogue, edit=clear), catalogue)[1],
                          "empty-file")
    assert_says(problem, "dudley.xlsx", "sheet 'Ratings'", "empty")


@pytest.mark.parametrize("suffix", [".xls", ".ods"])
def test_legacy_spreadsheets_are_unsupported(tmp_path, catalogue, suffix):
    path = tmp_path / f"dudley{suffix}"
    path.write_bytes(b"\xd0\xcf\x11\xe0 legacy")
    problem = assert_only(read(path, catalogue)[1], "unsupported-format")
    assert problem.value == suffix
    assert_says(problem, f"dudley{suffix}", repr(suffix), ".xlsx")


def test_workbook_without_ratings_sheet(tmp_path, catalogue):
    path = workbook(tmp_path, catalogue, edit=lambda book: book.remove(book["Ratings"]))
    problem = assert_only(read(path, catalogue)[1], "missing-sheet")
    assert_says(problem, "dudley.xlsx", "Review, Questions", "'Ratings'")


# --------------------------------------------------------------------------- columns


def test_wide_missing_column(tmp_path, catalogue):
    def drop_auditor(rows):
        for row in rows:
            del row[3]

    problem = assert_only(read(wide_csv(tmp_path, mutate=drop_auditor), catalogue)[1],
                          "missing-column")
    assert_says(problem, "dudley.csv", "row 1", "'Auditor'")


def test_long_missing_column(tmp_path, catalogue):
    def drop_auditor(rows):
        for row in rows:
            del row[3]

    problem = assert_only(read(long_csv(tmp_path, mutate=drop_auditor), catalogue)[1],
                          "missing-column")
    assert_says(problem, "dudley-long.csv", "row 1", "'auditor'", "council, cycle, case")


def test_workbook_missing_column_names_sheet(tmp_path, catalogue):
    path = workbook(tmp_path, catalogue, edit=lambda book: book["Ratings"].delete_cols(15))
    problem = assert_only(read(path, catalogue)[1], "missing-column")
    assert_says(problem, "dudley.xlsx", "sheet 'Ratings'", "row 1", "'Overall judgement'")


def test_wide_unknown_question_column(tmp_path, catalogue):
    def add_q13(rows):
        rows[0].append("Q13")
        for row in rows[1:]:
            row.append("Good")

    problem = assert_only(read(wide_csv(tmp_path, mutate=add_q13), catalogue)[1],
                          "unknown-question")
    assert_says(problem, "dudley.csv", "cell R1", "'Q13'", "Q1, Q2", "questions.csv")


def test_long_unknown_question(tmp_path, catalogue):
    path = long_csv(tmp_path, mutate=setter(27, 4, "Q13"))  # case 3, in place of Q1
    problems = read(path, catalogue)[1]
    problem = the_problem(problems, "unknown-question")
    assert_says(problem, "dudley-long.csv", "cell E28", "'Q13'", "Overall")
    # The question it should have been is then missing for the case.
    missing = the_problem(problems, "missing-question")
    assert_says(missing, "'DU-003'", "Q1")


def test_unused_column_is_a_warning_and_the_file_loads(tmp_path, catalogue):
    def add_team(rows):
        rows[0].insert(4, "Team")
        for row in rows[1:]:
            row.insert(4, "Older adults")

    reviews, problems = read(wide_csv(tmp_path, mutate=add_team), catalogue)
    assert len(reviews) == 1 and reviews[0].n_cases == 20
    problem = the_problem(problems, "ignored-column")
    assert not problem.is_error
    assert errors(problems) == []
    assert_says(problem, "dudley.csv", "cell E1", "'Team'", "warning")


def test_comments_column_is_read_past_silently(tmp_path, catalogue):
    def add_comments(rows):
        rows[0].append("Comments")
        for row in rows[1:]:
            row.append("Mrs X's daughter was not contacted")

    reviews, problems = read(wide_csv(tmp_path, mutate=add_comments), catalogue)
    assert problems == [] and len(reviews) == 1


def test_duplicate_question_column(tmp_path, catalogue):
    def repeat_q3(rows):
        rows[0].append("Q3 again")
        for row in rows[1:]:
            row.append("Good")

    problem = assert_only(read(wide_csv(tmp_path, mutate=repeat_q3), catalogue)[1],
                          "duplicate-column")
    assert_says(problem, "dudley.csv", "cell R1", "'Q3 again'", "Q3", f"column {q_col(3)}")


def test_wide_missing_question_column(tmp_path, catalogue):
    def drop_q12(rows):
        for row in rows:
            del row[4 + 11]

    problem = assert_only(read(wide_csv(tmp_path, mutate=drop_q12), catalogue)[1],
                          "missing-question")
    assert_says(problem, "dudley.csv", "row 1", "Q12", "12 catalogue questions")


def test_long_case_with_too_few_questions(tmp_path, catalogue):
    path = long_csv(tmp_path, mutate=lambda rows: rows.pop(14 + 4))  # case 2's Q5
    problem = assert_only(read(path, catalogue)[1], "missing-question")
    assert_says(problem, "dudley-long.csv", "cell C15", "'DU-002'", "Q5", "12")


# --------------------------------------------------------------------------- cells, wide


def test_blank_rating(tmp_path, catalogue):
    path = wide_csv(tmp_path, mutate=setter(6, 4 + 2, "  "))  # row 7, Q3
    problem = assert_only(read(path, catalogue)[1], "blank-rating")
    assert_says(problem, "dudley.csv", f"cell {q_col(3)}7", "row 7", "column 'Q3'", "''",
                "N/A")


def test_row_with_no_ratings_and_no_judgement(tmp_path, catalogue):
    def blank_row(rows):
        rows[9][4:] = [""] * 13

    problem = assert_only(read(wide_csv(tmp_path, mutate=blank_row), catalogue)[1],
                          "blank-rating")
    assert_says(problem, "dudley.csv", "row 10", "no ratings")


def test_unknown_label_in_wide_csv(tmp_path, catalogue):
    path = wide_csv(tmp_path, mutate=setter(4, 4 + 6, "Gd"))  # row 5, Q7
    problem = assert_only(read(path, catalogue)[1], "unknown-label")
    assert problem.value == "Gd" and problem.cell == "K5"
    assert_says(problem, "dudley.csv", "cell K5", "column 'Q7'", "'Gd'", "Requires Improvement")


def test_unknown_judgement_label(tmp_path, catalogue):
    path = wide_csv(tmp_path, mutate=setter(3, 16, "Satisfactory"))
    problem = assert_only(read(path, catalogue)[1], "unknown-label")
    assert_says(problem, f"cell {OVERALL_COL}4", "'Satisfactory'", "Inadequate")


def test_missing_judgement(tmp_path, catalogue):
    path = wide_csv(tmp_path, mutate=setter(11, 16, ""))
    problem = assert_only(read(path, catalogue)[1], "missing-judgement")
    assert_says(problem, "dudley.csv", f"cell {OVERALL_COL}12", "column 'Overall judgement'",
                "''", "Outstanding, Good")


def test_judgement_not_applicable(tmp_path, catalogue):
    path = wide_csv(tmp_path, mutate=setter(2, 16, "n/a"))
    problem = assert_only(read(path, catalogue)[1], "judgement-not-applicable")
    assert_says(problem, "dudley.csv", f"cell {OVERALL_COL}3", "'n/a'", "Inadequate")


def test_wide_judgement_without_ratings(tmp_path, catalogue):
    def clear_ratings(rows):
        rows[8][4:16] = [""] * 12

    problem = assert_only(read(wide_csv(tmp_path, mutate=clear_ratings), catalogue)[1],
                          "judgement-without-ratings")
    assert_says(problem, "dudley.csv", f"cell {OVERALL_COL}9", repr(JUDGEMENTS[7 % 4]),
                "12 questions")


def test_blank_case(tmp_path, catalogue):
    path = wide_csv(tmp_path, mutate=setter(15, 2, ""))
    problem = assert_only(read(path, catalogue)[1], "blank-case")
    assert_says(problem, "dudley.csv", f"cell {CASE_COL}16", "column 'Case'", "''",
                "case id")


def test_duplicate_case(tmp_path, catalogue):
    path = wide_csv(tmp_path, mutate=setter(20, 2, " DU-004 "))
    problem = assert_only(read(path, catalogue)[1], "duplicate-case")
    assert_says(problem, "dudley.csv", f"cell {CASE_COL}21", "'DU-004'", "row 5",
                "each case once")


def test_blank_auditor(tmp_path, catalogue):
    path = wide_csv(tmp_path, mutate=setter(6, 3, ""))
    problem = assert_only(read(path, catalogue)[1], "blank-auditor")
    assert_says(problem, "dudley.csv", f"cell {AUDITOR_COL}7", "column 'Auditor'", "''",
                "auditor's name")


# --------------------------------------------------------------------------- cells, long


def test_long_unknown_label(tmp_path, catalogue):
    path = long_csv(tmp_path, mutate=setter(5, 5, "Very good"))  # case 1, Q5
    problem = assert_only(read(path, catalogue)[1], "unknown-label")
    assert_says(problem, "dudley-long.csv", "cell F6", "column 'Rating'", "'Very good'")


def test_long_blank_rating(tmp_path, catalogue):
    path = long_csv(tmp_path, mutate=setter(16, 5, ""))
    problem = assert_only(read(path, catalogue)[1], "blank-rating")
    assert_says(problem, "dudley-long.csv", "cell F17", "''")


def test_long_missing_judgement(tmp_path, catalogue):
    path = long_csv(tmp_path, mutate=lambda rows: rows.pop(26))  # case 2's Overall row
    problem = assert_only(read(path, catalogue)[1], "missing-judgement")
    assert_says(problem, "dudley-long.csv", "cell C15", "'DU-002'", "'Overall'")


def test_long_bad_judgement_is_not_also_reported_missing(tmp_path, catalogue):
    path = long_csv(tmp_path, mutate=setter(13, 5, "Gd"))  # case 1's Overall row
    problem = assert_only(read(path, catalogue)[1], "unknown-label")
    assert_says(problem, "cell F14", "'Gd'", "Inadequate")


def test_long_judgement_not_applicable(tmp_path, catalogue):
    path = long_csv(tmp_path, mutate=setter(13, 5, "N/A"))
    problem = assert_only(read(path, catalogue)[1], "judgement-not-applicable")
    assert_says(problem, "dudley-long.csv", "cell F14", "'N/A'")


def test_long_judgement_without_ratings(tmp_path, catalogue):
    def add_lonely_case(rows):
        rows.append(["Dudley", "2022-24", "DU-099", "PSW B", "Overall", "Good"])

    problem = assert_only(read(long_csv(tmp_path, mutate=add_lonely_case), catalogue)[1],
                          "judgement-without-ratings")
    assert_says(problem, "dudley-long.csv", "cell C41", "'DU-099'", "12 questions")


def test_long_blank_case(tmp_path, catalogue):
    path = long_csv(tmp_path, mutate=setter(30, 2, " "))
    problem = the_problem(read(path, catalogue)[1], "blank-case")
    assert_says(problem, "dudley-long.csv", "cell C31", "''")


def test_long_blank_auditor_is_one_error(tmp_path, catalogue):
    path = long_csv(tmp_path, mutate=setter(1, 3, ""))  # the first row of case 1
    problem = assert_only(read(path, catalogue)[1], "blank-auditor")
    assert_says(problem, "dudley-long.csv", "cell D2", "''")


def test_long_blank_auditor_on_a_later_row(tmp_path, catalogue):
    path = long_csv(tmp_path, mutate=setter(20, 3, ""))
    problem = assert_only(read(path, catalogue)[1], "blank-auditor")
    assert_says(problem, "dudley-long.csv", "cell D21")


def test_long_inconsistent_auditor(tmp_path, catalogue):
    path = long_csv(tmp_path, mutate=setter(20, 3, "PSW B"))  # case 2, first on row 15
    problem = assert_only(read(path, catalogue)[1], "inconsistent-auditor")
    assert_says(problem, "dudley-long.csv", "cell D21", "'PSW B'", "'PSW A'", "row 15",
                "one auditor per case")


def test_long_too_many_questions(tmp_path, catalogue):
    def repeat_q4(rows):
        rows.insert(20, ["Dudley", "2022-24", "DU-002", "PSW A", "Q4", "Good"])

    problem = assert_only(read(long_csv(tmp_path, mutate=repeat_q4), catalogue)[1],
                          "duplicate-rating")
    assert_says(problem, "dudley-long.csv", "cell E21", "'DU-002'", "Q4", "row 18",
                "one rating per case and question")


def test_long_two_overall_rows(tmp_path, catalogue):
    def second_overall(rows):
        rows.append(["Dudley", "2022-24", "DU-001", "PSW A", "Overall judgement", "Good"])

    problem = assert_only(read(long_csv(tmp_path, mutate=second_overall), catalogue)[1],
                          "duplicate-rating")
    assert_says(problem, "dudley-long.csv", "cell E41", "'Overall judgement'", "row 14",
                "one overall judgement")


# --------------------------------------------------------------------------- workbooks


def test_formula_in_rating_cell(tmp_path, catalogue):
    def formula(book):
        book["Ratings"]["D7"] = "=B2"

    path = workbook(tmp_path, catalogue, edit=formula)
    problem = assert_only(read(path, catalogue)[1], "formula")
    assert problem.sheet == "Ratings" and problem.cell == "D7"
    assert_says(problem, "dudley.xlsx", "sheet 'Ratings'", "cell D7", "row 7", "Q2", "=B2",
                "Paste Special")


@pytest.mark.parametrize("cell", ["A9", "B9", "O9"])
def test_formula_in_case_auditor_or_judgement_cell(tmp_path, catalogue, cell):
    def formula(book):
        book["Ratings"][cell] = "=C9"

    path = workbook(tmp_path, catalogue, edit=formula)
    problem = assert_only(read(path, catalogue)[1], "formula")
    assert_says(problem, "dudley.xlsx", "sheet 'Ratings'", f"cell {cell}", "=C9")


def test_workbook_cell_problems_name_the_sheet(tmp_path, catalogue):
    def break_cells(book):
        book["Ratings"]["E3"] = "Very good"

    problem = assert_only(read(workbook(tmp_path, catalogue, edit=break_cells), catalogue)[1],
                          "unknown-label")
    assert_says(problem, "dudley.xlsx", "sheet 'Ratings'", "cell E3", "Q3", "'Very good'")


def test_workbook_bad_cycle_on_review_sheet(tmp_path, catalogue):
    path = workbook(tmp_path, catalogue, cycle="2024-22")
    problem = assert_only(read(path, catalogue)[1], "bad-cycle")
    assert_says(problem, "dudley.xlsx", "sheet 'Review'", "cell B3", "'2024-22'", "2022-24")


@pytest.mark.parametrize(("detail", "cell"), [("council", "B2"), ("cycle", "B3")])
def test_workbook_blank_review_details(tmp_path, catalogue, detail, cell):
    path = workbook(tmp_path, catalogue, **{detail: ""})
    problem = assert_only(read(path, catalogue)[1], "missing-review-details")
    assert_says(problem, "dudley.xlsx", "sheet 'Review'", f"cell {cell}", detail)


def test_workbook_without_review_sheet(tmp_path, catalogue):
    path = workbook(tmp_path, catalogue, edit=lambda book: book.remove(book["Review"]))
    problems = errors(read(path, catalogue)[1])
    assert {p.kind for p in problems} == {"missing-review-details"}
    assert len(problems) == 2
    for problem in problems:
        assert_says(problem, "dudley.xlsx", "'Review' sheet")


# --------------------------------------------------------------------------- review details


@pytest.mark.parametrize("cycle", ["2024-22", "next year", "20222"])
def test_wide_csv_bad_cycle(tmp_path, catalogue, cycle):
    problem = assert_only(read(wide_csv(tmp_path, cycle=cycle), catalogue)[1], "bad-cycle")
    assert_says(problem, "dudley.csv", "cell B2", "column 'Cycle'", repr(cycle), "2022-24")


def test_long_bad_cycle(tmp_path, catalogue):
    path = long_csv(tmp_path, mutate=setter(2, 1, "2022-2020"))
    problem = assert_only(read(path, catalogue)[1], "bad-cycle")
    assert_says(problem, "dudley-long.csv", "cell B3", "'2022-2020'", "2022-24")


def test_long_blank_cycle_is_missing_detail(tmp_path, catalogue):
    path = long_csv(tmp_path, mutate=setter(2, 1, ""))
    problem = assert_only(read(path, catalogue)[1], "missing-review-details")
    assert_says(problem, "dudley-long.csv", "cell B3", "cycle")


def test_long_blank_council(tmp_path, catalogue):
    path = long_csv(tmp_path, mutate=setter(2, 0, ""))
    problem = assert_only(read(path, catalogue)[1], "missing-review-details")
    assert_says(problem, "dudley-long.csv", "cell A3", "council")


def test_wide_csv_without_council_column(tmp_path, catalogue):
    def drop_council(rows):
        for row in rows:
            del row[0]

    problem = assert_only(read(wide_csv(tmp_path, mutate=drop_council), catalogue)[1],
                          "missing-review-details")
    assert_says(problem, "dudley.csv", "council", "'Council' column")


def test_wide_file_mixing_councils(tmp_path, catalogue):
    path = wide_csv(tmp_path, mutate=setter(12, 0, "Walsall"))
    problem = assert_only(read(path, catalogue)[1], "inconsistent-review")
    assert_says(problem, "dudley.csv", "cell A13", "column 'Council'", "'Dudley'",
                "'Walsall'", "one council per wide file")


def test_wide_file_mixing_cycles(tmp_path, catalogue):
    path = wide_csv(tmp_path, mutate=setter(5, 1, "2019"))
    problem = assert_only(read(path, catalogue)[1], "inconsistent-review")
    assert_says(problem, "cell B6", "'2019'", "one cycle")


def test_one_cycle_spelt_two_ways_is_not_mixing(tmp_path, catalogue):
    reviews, problems = read(wide_csv(tmp_path, mutate=setter(5, 1, "2022/2024")), catalogue)
    assert problems == [] and reviews[0].cycle == "2022-24"


def test_duplicate_review_across_files(tmp_path, catalogue):
    folder = tmp_path / "programme"
    folder.mkdir()
    wide_csv(folder, name="a-dudley.csv")
    workbook(folder, catalogue, name="b-dudley.xlsx")
    results = read_programme_files([folder], catalogue)
    # Neither file is used: which one is current cannot be told. Each names the other.
    assert [r.ok for r in results] == [False, False]
    assert [r.reviews for r in results] == [[], []]
    first = assert_only(results[0].problems, "duplicate-review")
    assert_says(first, "a-dudley.csv", "Dudley 2022-24", "programme/b-dudley.xlsx",
                "neither is used", "one file per council and cycle")
    second = assert_only(results[1].problems, "duplicate-review")
    assert_says(second, "b-dudley.xlsx", "Dudley 2022-24", "programme/a-dudley.csv")
    with pytest.raises(DataValidationError) as raised:
        load_programme(folder, catalogue)
    assert [p.kind for p in raised.value.errors] == ["duplicate-review"] * 2
    assert str(tmp_path) not in str(raised.value)  # names, never machine paths


# --------------------------------------------------------------------------- collecting


def test_all_errors_in_a_file_are_reported(tmp_path, catalogue):
    def break_three(rows):
        rows[4][4 + 6] = "Gd"      # K5
        rows[6][3] = ""            # D7
        rows[7][2] = "DU-001"      # C8

    problems = read(wide_csv(tmp_path, mutate=break_three), catalogue)[1]
    assert [(p.kind, p.cell) for p in errors(problems)] == [
        ("unknown-label", "K5"), ("blank-auditor", "D7"), ("duplicate-case", "C8")]
    with pytest.raises(DataValidationError) as raised:
        load_programme(tmp_path / "dudley.csv", catalogue)
    message = str(raised.value)
    assert message.startswith("3 error(s)")
    for fragment in ("cell K5", "'Gd'", "cell D7", "cell C8", "'DU-001'"):
        assert fragment in message


def test_errors_in_several_files_are_all_reported(tmp_path, catalogue):
    folder = tmp_path / "programme"
    folder.mkdir()
    wide_csv(folder, name="dudley.csv", mutate=setter(3, 5, "Gd"))
    wide_csv(folder, name="walsall.csv", council="Walsall", mutate=setter(4, 3, ""))
    (folder / "old.xls").write_bytes(b"legacy")
    with pytest.raises(DataValidationError) as raised:
        load_programme(folder, catalogue)
    found = {(p.file, p.kind) for p in raised.value.errors}
    assert found == {("programme/dudley.csv", "unknown-label"),
                     ("programme/walsall.csv", "blank-auditor"),
                     ("programme/old.xls", "unsupported-format")}


# --------------------------------------------------------------------------- labels


@pytest.mark.parametrize(("label", "level"), [
    (" requires  improvement", "Requires Improvement"),
    ("RI", "Requires Improvement"),
    ("Req. Improvement", "Requires Improvement"),
    ("o", "Outstanding"),
    ("GOOD", "Good"),
    ("i", "Inadequate"),
])
def test_forgiving_labels_load(tmp_path, catalogue, label, level):
    path = wide_csv(tmp_path, mutate=setter(1, 4, label))
    reviews, problems = read(path, catalogue)
    assert problems == []
    ratings = reviews[0].ratings
    case = reviews[0].case_pseudonyms()["DU-001"]
    first = ratings[(ratings.case == case) & (ratings.question == "Q1")]
    assert list(first.rating.astype(str)) == [level]


def test_not_applicable_leaves_the_denominator(tmp_path, catalogue):
    def all_na(rows):
        rows[1][4:16] = ["Good"] * 11 + ["n/a"]

    reviews, problems = read(wide_csv(tmp_path, mutate=all_na), catalogue)
    assert problems == []
    na = reviews[0].not_applicable
    case = reviews[0].case_pseudonyms()["DU-001"]
    assert ((na.case == case) & (na.question == "Q12")).sum() == 1


@pytest.mark.parametrize("label", ["Gd", "Very good", "Good+", "Requires", "4"])
def test_unrecognised_labels_are_never_guessed(tmp_path, catalogue, label):
    path = wide_csv(tmp_path, mutate=setter(1, 4, label))
    problem = assert_only(read(path, catalogue)[1], "unknown-label")
    assert_says(problem, f"cell {q_col(1)}2", repr(label))


# --------------------------------------------------------------------------- warnings


def test_windows_1252_csv_loads_with_a_warning(tmp_path, catalogue):
    rows = wide_rows()
    rows[3][3] = "Zoë Ní Bhriain"  # row 4
    path = write_csv(tmp_path / "latin.csv", rows, encoding="cp1252")
    reviews, problems = read(path, catalogue)
    assert len(reviews) == 1 and "Zoë Ní Bhriain" in reviews[0].auditors
    problem = the_problem(problems, "encoding")
    assert not problem.is_error and errors(problems) == []
    assert_says(problem, "latin.csv", "row 4", "'ë'", "Windows-1252", "UTF-8")


def test_excel_unicode_text_loads_with_warnings(tmp_path, catalogue):
    # Excel's "Unicode Text": UTF-16 with a byte-order mark, tab-separated.
    rows = wide_rows()
    rows[3][3] = "Zoë Ní Bhriain"
    path = write_csv(tmp_path / "unicode.csv", rows, delimiter="\t", encoding="utf-16")
    assert path.read_bytes()[:2] == b"\xff\xfe"
    reviews, problems = read(path, catalogue)
    expected, _ = read(write_csv(tmp_path / "plain.csv", rows), catalogue)
    assert len(reviews) == 1 and "Zoë Ní Bhriain" in reviews[0].auditors
    assert reviews[0].ratings.equals(expected[0].ratings)
    assert errors(problems) == [] and sorted(p.kind for p in problems) == ["encoding",
                                                                         "separator"]
    assert_says(the_problem(problems, "encoding"), "unicode.csv", "UTF-16", "UTF-8")


def test_semicolon_csv_loads_with_a_warning(tmp_path, catalogue):
    path = write_csv(tmp_path / "semi.csv", wide_rows(), delimiter=";")
    reviews, problems = read(path, catalogue)
    assert len(reviews) == 1 and reviews[0].n_cases == 20
    problem = the_problem(problems, "separator")
    assert not problem.is_error and errors(problems) == []
    assert_says(problem, "semi.csv", "row 1", "semicolons", "';'", "comma")


def test_warnings_do_not_stop_a_programme_loading(tmp_path, catalogue):
    folder = tmp_path / "programme"
    folder.mkdir()
    rows = wide_rows()
    rows[0].append("Team")
    for row in rows[1:]:
        row.append("Hospital discharge")
    rows[2][3] = "Siân"
    write_csv(folder / "dudley.csv", rows, delimiter=";", encoding="cp1252")
    programme = load_programme(folder, catalogue)
    assert programme.councils == ["Dudley"]
    assert len(programme.ratings) + len(programme.not_applicable) == 240
    assert sorted(p.kind for p in programme.problems) == ["encoding", "ignored-column",
                                                          "separator"]
    assert all(p.file == "programme/dudley.csv" for p in programme.problems)


# --------------------------------------------------------------------------- catalogues


def write_catalogue(path: Path, rows: list[list[str]]) -> Path:
    return write_csv(path, rows)


CATALOGUE_HEADER = ["id", "short_label", "question", "theme"]
THREE = [["A1", "Voice", "Is the person's voice heard?", "Person-centred"],
         ["A2", "Risk", "Are risks managed positively?", "Safety"],
         ["A3", "Carers", "Were carers offered an assessment?", "Carers"]]


def test_custom_catalogue_of_three_questions(tmp_path):
    three = load_catalogue(write_catalogue(tmp_path / "short-tool.csv",
                                           [CATALOGUE_HEADER, *THREE]))
    assert three.ids == ["A1", "A2", "A3"] and len(three) == 3
    ids = three.ids
    wide = wide_csv(tmp_path, name="wide3.csv", questions=ids)
    reviews, problems = read(wide, three)
    assert problems == [] and reviews[0].n_cases == 20
    assert len(reviews[0].ratings) + len(reviews[0].not_applicable) == 60
    long = long_csv(tmp_path, name="long3.csv", questions=ids)
    reviews, problems = read(long, three)
    assert problems == [] and reviews[0].n_cases == 3
    # load_programme takes the catalogue's path too.
    programme = load_programme(wide, tmp_path / "short-tool.csv")
    assert programme.catalogue.ids == ids


def test_twelve_question_file_against_a_three_question_catalogue(tmp_path):
    three = load_catalogue(write_catalogue(tmp_path / "short-tool.csv",
                                           [CATALOGUE_HEADER, *THREE]))
    problems = read(wide_csv(tmp_path), three)[1]
    unknown = [p for p in problems if p.kind == "unknown-question"]
    assert len(unknown) == 12
    assert_says(unknown[0], "dudley.csv", "cell E1", "'Q1'", "short-tool.csv", "A1, A2, A3")
    missing = the_problem(problems, "missing-question")
    assert_says(missing, "A1, A2, A3", "3 catalogue questions")


def test_long_file_against_a_three_question_catalogue(tmp_path):
    three = load_catalogue(write_catalogue(tmp_path / "short-tool.csv",
                                           [CATALOGUE_HEADER, *THREE]))
    path = long_csv(tmp_path, questions=["A1", "A2"])
    problems = errors(read(path, three)[1])
    assert [p.kind for p in problems] == ["missing-question"] * 3
    assert_says(problems[0], "dudley-long.csv", "cell C2", "'DU-001'", "A3", "3 catalogue")


def test_catalogue_duplicate_id(tmp_path):
    path = write_catalogue(tmp_path / "tool.csv",
                           [CATALOGUE_HEADER, *THREE, ["a2", "Risk again", "Risk?", ""]])
    with pytest.raises(DataValidationError) as raised:
        load_catalogue(path)
    problem = the_problem(raised.value.problems, "duplicate-question")
    assert_says(problem, "tool.csv", "row 5", "column 'id'", "'a2'", "row 3", "each id once")
    assert "tool.csv" in str(raised.value)


def test_catalogue_missing_column(tmp_path):
    rows = [["id", "label", "question"], *[row[:3] for row in THREE]]
    with pytest.raises(DataValidationError) as raised:
        load_catalogue(write_catalogue(tmp_path / "tool.csv", rows))
    problem = the_problem(raised.value.problems, "missing-column")
    assert_says(problem, "tool.csv", "row 1", "'short_label'", "columns id, short_label")


def test_catalogue_blank_id_and_empty_file(tmp_path):
    rows = [CATALOGUE_HEADER, THREE[0], ["", "Nameless", "What?", ""]]
    with pytest.raises(DataValidationError) as raised:
        load_catalogue(write_catalogue(tmp_path / "tool.csv", rows))
    problem = the_problem(raised.value.problems, "blank-value")
    assert_says(problem, "tool.csv", "row 3", "column 'id'")
    empty = tmp_path / "empty-tool.csv"
    empty.write_text("id,short_label,question\n")
    with pytest.raises(DataValidationError) as raised:
        load_catalogue(empty)
    assert_says(the_problem(raised.value.problems, "empty-file"), "empty-tool.csv")


def test_catalogue_missing_file(tmp_path):
    with pytest.raises(DataValidationError) as raised:
        load_programme(tmp_path, tmp_path / "no-such-tool.csv")
    assert_says(the_problem(raised.value.problems, "unreadable-file"), "no-such-tool.csv")


def test_template_heading_is_named_by_its_first_line(tmp_path):
    """Template headings carry the question's wording; messages name only 'Q3 Community assets'."""
    import openpyxl

    from review_lib.paths import SAMPLE_DIR

    path = tmp_path / "dudley.xlsx"
    path.write_bytes((SAMPLE_DIR / "2022-24" / "dudley.xlsx").read_bytes())
    workbook = openpyxl.load_workbook(path)
    workbook["Ratings"]["E7"] = "Very good"
    workbook.save(path)
    _, problems = read_review_file(path)
    assert [str(p) for p in problems] == [
        f"{path}, sheet 'Ratings', cell E7 (row 7, column 'Q3 Community assets'): error: "
        "'Very good' is not a rating; expected Outstanding, Good, Requires Improvement, "
        "Inadequate or Not applicable (case and spaces ignored; O, G, RI, I and N/A accepted)"]
