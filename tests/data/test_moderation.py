"""Moderation exercises: layout, located problems, the template round trip, discovery."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from review_lib.cli import main
from review_lib.data.loading import load_programme, read_programme_files
from review_lib.data.moderation import (
    CONSENSUS,
    ModerationExercise,
    in_moderation_folder,
    is_consensus,
    load_moderation,
    read_moderation_file,
)
from review_lib.data.problems import DataValidationError
from review_lib.data.reading import MODERATION_EXERCISE, read_review_file
from review_lib.data.sample import MODERATION_AUDITORS, MODERATION_NAME
from review_lib.data.template import (
    RATING_CHOICES,
    write_moderation_template,
    write_moderation_workbook,
)
from review_lib.paths import SAMPLE_DIR

QUESTIONS = [f"Q{i}" for i in range(1, 13)]
LEVELS = ["Good", "Outstanding", "Requires Improvement", "Good"]


def exercise_rows(cases=("M1", "M2", "M3"), auditors=("PSW A", "PSW B", "PSW C"),
                  consensus=True):
    """Rows of case, auditor, 12 ratings and a judgement; the same shape as the template."""
    rows = []
    for c, case in enumerate(cases):
        for a, auditor in enumerate([*auditors, *(["Consensus"] if consensus else [])]):
            ratings = [LEVELS[(c + a + q) % 4] for q in range(12)]
            rows.append([case, auditor, *ratings, "Good"])
    return rows


def write_csv(path: Path, rows, header=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header or ["Case", "Auditor", *QUESTIONS, "Overall judgement"])
        writer.writerows(rows)
    return path


def workbook(tmp_path, catalogue, rows=None, **options) -> Path:
    options = {"name": "Spring check", "cycle": "2022-24",
               "auditors": ("PSW A", "PSW B", "PSW C"), **options}
    return write_moderation_workbook(tmp_path / "2022-24" / "moderation" / "spring.xlsx",
                                     catalogue, rows=rows or exercise_rows(), **options)


def only(problems, kind):
    found = [p for p in problems if p.kind == kind]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def test_sample_exercise_is_read_with_its_design(catalogue):
    exercise = load_moderation()[0]
    assert isinstance(exercise, ModerationExercise)
    assert (exercise.name, exercise.cycle, exercise.month) == (MODERATION_NAME, "2022-24",
                                                               "2023-10")
    assert exercise.auditors == MODERATION_AUDITORS and exercise.has_consensus
    assert exercise.cases == tuple(f"Case {i:02d}" for i in range(1, 9))
    raters = 5 + 1
    answers = len(exercise.ratings) + len(exercise.not_applicable)
    assert answers == 8 * raters * 12 and len(exercise.judgements) == 8 * raters
    assert list(exercise.ratings.columns) == ["exercise", "cycle", "case", "auditor",
                                              "question", "rating", "score"]
    assert set(exercise.ratings["score"]) <= {1, 2, 3, 4}
    assert list(exercise.ratings["auditor"].cat.categories) == [*MODERATION_AUDITORS,
                                                                 CONSENSUS]
    # Pseudonyms only: the file's own case references never reach a frame.
    text = exercise.ratings.to_string() + exercise.judgements.to_string()
    assert "MX-" not in text
    assert "5 auditors and a consensus" in repr(exercise)
    assert exercise.path == SAMPLE_DIR / "2022-24" / "moderation" / \
        "autumn-2023-calibration.xlsx"


def test_moderation_files_are_not_reviews(sample_programme):
    assert len(sample_programme.reviews) == 18  # the exercise is not taken for a review
    results = read_programme_files([SAMPLE_DIR])
    moderation = [r for r in results if r.is_moderation]
    assert [r.display_name for r in moderation] == [
        "sample/2022-24/moderation/autumn-2023-calibration.xlsx"]
    assert moderation[0].ok and not moderation[0].reviews


def test_template_round_trip(tmp_path, catalogue):
    path = write_moderation_template(tmp_path / "2022-24" / "moderation" / "blank.xlsx",
                                     n_auditors=5, n_cases=8)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Review", "Ratings", "Questions"]
    review = book["Review"]
    labels = [review.cell(row, 2).value for row in range(5, 10)]
    assert labels == ["PSW A", "PSW B", "PSW C", "PSW D", "PSW E"]
    assert [review.cell(row, 1).value for row in (2, 3, 4, 5, 10)] == [
        "Moderation", "Cycle", "Review month", "Auditor", "Consensus"]
    ratings = book["Ratings"]
    assert ratings.max_row == 1 + 8 * 6
    assert [ratings.cell(row, 2).value for row in range(2, 8)] == [*labels, "Consensus"]
    validations = {dv.formula1: str(dv.sqref) for dv in ratings.data_validations.dataValidation}
    assert validations['"' + ",".join(RATING_CHOICES) + '"'] == "C2:N49"
    assert validations["Review!$B$5:$B$10"] == "B2:B49"  # auditors' drop-down, Consensus too
    # A blank template is not an exercise yet, and says so.
    assert read_moderation_file(path)[0] == []
    # Fill it in as a network would: the case reference on each row, every rating.
    review["B2"] = "Winter calibration"
    review["B4"] = "2024-01"
    for row in range(2, ratings.max_row + 1):
        case, rater = (row - 2) // 6, (row - 2) % 6
        ratings.cell(row, 1, f"W-{case + 1:03d}")
        for column in range(3, 15):
            ratings.cell(row, column, "N/A" if column == 7 else
                         LEVELS[(case + rater + column) % 4])
        ratings.cell(row, 15, "Good" if rater != 1 else "Outstanding")
        ratings.cell(row, 16, "free text never copied")
    book.save(path)
    [exercise], problems = read_moderation_file(path, display_name="blank.xlsx")
    assert not [p for p in problems if p.is_error]
    assert (exercise.name, exercise.cycle, exercise.month) == ("Winter calibration",
                                                               "2022-24", "2024-01")
    assert exercise.auditors == tuple(labels) and exercise.n_cases == 8
    assert len(exercise.ratings) == 8 * 6 * 11 and len(exercise.not_applicable) == 8 * 6
    judged = exercise.judgements.set_index(["case", "auditor"])["judgement"]
    assert judged[("Case 01", "PSW B")] == "Outstanding"
    assert "free text" not in exercise.ratings.to_string()


def test_a_case_rated_by_one_auditor_is_located(tmp_path, catalogue):
    rows = exercise_rows()
    rows = [r for r in rows if not (r[0] == "M2" and r[1] in ("PSW B", "PSW C"))]
    problems = read_moderation_file(workbook(tmp_path, catalogue, rows),
                                    display_name="spring.xlsx")[1]
    problem = only(problems, "single-rater-case")
    assert (problem.sheet, problem.cell, problem.value) == ("Ratings", "A6", "M2")
    assert str(problem).startswith("spring.xlsx, sheet 'Ratings', cell A6 (row 6, column "
                                   "'Case'): error: case 'M2' is rated by only one auditor "
                                   "(PSW A); expected every case rated by at least two")


def test_a_case_with_only_a_consensus_is_located(tmp_path, catalogue):
    rows = [*exercise_rows(), ["M9", "Consensus", *["Good"] * 12, "Good"]]
    problem = only(read_moderation_file(workbook(tmp_path, catalogue, rows))[1],
                   "single-rater-case")
    assert "no auditor, only the consensus" in problem.message and problem.cell == "A14"


def test_a_listed_auditor_who_rated_no_case_is_located(tmp_path, catalogue):
    path = workbook(tmp_path, catalogue, auditors=("PSW A", "PSW B", "PSW C", "PSW D"))
    problem = only(read_moderation_file(path, display_name="spring.xlsx")[1],
                   "auditor-without-cases")
    assert (problem.sheet, problem.cell, problem.value) == ("Review", "B8", "PSW D")
    assert "auditor 'PSW D' is listed but rated no case" in str(problem)


def test_an_auditor_missing_from_the_list_is_located(tmp_path, catalogue):
    rows = exercise_rows()
    rows[1][1] = "PSW  b "  # case and spaces ignored only for the consensus label
    rows[4][1] = "PSW Bee"
    problems = read_moderation_file(workbook(tmp_path, catalogue, rows))[1]
    unlisted = only(problems, "unlisted-auditor")
    assert unlisted.cell == "B6" and unlisted.value == "PSW Bee"
    assert "'PSW A', 'PSW B', 'PSW C'" in unlisted.expected


def test_unknown_rating_and_judgement_are_located(tmp_path, catalogue):
    rows = exercise_rows()
    rows[2][4] = "Very good"   # M1, PSW C, Q3: cell E4
    rows[5][14] = "N/A"       # M2, PSW B: overall judgement not applicable, cell O7
    problems = read_moderation_file(workbook(tmp_path, catalogue, rows),
                                    display_name="spring.xlsx")[1]
    label = only(problems, "unknown-label")
    assert str(label).startswith("spring.xlsx, sheet 'Ratings', cell E4 (row 4, column 'Q3 "
                                 "Community assets'): error: 'Very good' is not a rating; "
                                 "expected Outstanding, Good")
    assert only(problems, "judgement-not-applicable").cell == "O7"


def test_duplicate_case_and_auditor_rows_are_located(tmp_path, catalogue):
    rows = exercise_rows()
    rows.append(list(rows[1]))  # M1 by PSW B again, on row 14
    rows.append(["M2", "moderated", *["Good"] * 12, "Good"])  # a second consensus for M2
    problems = read_moderation_file(workbook(tmp_path, catalogue, rows))[1]
    duplicates = [p for p in problems if p.kind == "duplicate-rating"]
    assert [(p.cell, p.message) for p in duplicates] == [
        ("B14", "case 'M1' is rated by PSW B again (first on row 3)"),
        ("B15", "case 'M2' is rated by the consensus again (first on row 9)")]


def test_blank_cells_and_missing_columns(tmp_path, catalogue):
    rows = exercise_rows()
    rows[0][1] = ""  # no auditor
    rows[1][0] = ""  # ratings but no case
    rows[2][9] = ""  # a blank rating
    problems = read_moderation_file(workbook(tmp_path, catalogue, rows))[1]
    assert only(problems, "blank-auditor").cell == "B2"
    assert only(problems, "blank-case").cell == "A3"
    assert only(problems, "blank-rating").cell == "J4"
    path = write_csv(tmp_path / "moderation" / "short.csv", [["M1", "PSW A", "Good"]],
                     header=["Case", "Auditor", "Q1"])
    problems = read_moderation_file(path)[1]
    assert {p.kind for p in problems} >= {"missing-column", "missing-question"}


def test_csv_takes_its_cycle_from_the_folder_and_its_name_from_the_file(tmp_path, catalogue):
    path = write_csv(tmp_path / "2019" / "moderation" / "summer-check.csv",
                     exercise_rows(consensus=False))
    [exercise], problems = read_moderation_file(path)
    assert not problems
    assert (exercise.name, exercise.cycle, exercise.has_consensus) == ("summer-check", "2019",
                                                                      False)
    elsewhere = write_csv(tmp_path / "loose" / "moderation" / "x.csv", exercise_rows())
    problem = only(read_moderation_file(elsewhere)[1], "missing-review-details")
    assert "<cycle>/moderation/" in problem.expected


def test_long_csv_is_refused_with_the_layout_expected(tmp_path):
    path = write_csv(tmp_path / "2019" / "moderation" / "long.csv",
                     [["M1", "PSW A", "Q1", "Good"]],
                     header=["case", "auditor", "question", "rating"])
    problem = only(read_moderation_file(path)[1], "unsupported-layout")
    assert "a row per case and auditor" in problem.expected


def test_missing_consensus_rows_are_a_warning(tmp_path, catalogue):
    rows = [r for r in exercise_rows() if not (r[0] == "M3" and r[1] == "Consensus")]
    [exercise], problems = read_moderation_file(workbook(tmp_path, catalogue, rows))
    warning = only(problems, "no-consensus")
    assert not warning.is_error and warning.cell == "A10" and exercise.has_consensus


def test_a_moderation_row_marks_a_workbook_anywhere(tmp_path, catalogue):
    path = write_moderation_workbook(tmp_path / "2022-24" / "spring.xlsx", catalogue,
                                     name="Spring check", cycle="2022-24",
                                     auditors=("PSW A", "PSW B", "PSW C"),
                                     rows=exercise_rows())
    assert not in_moderation_folder(path)
    reviews, problems = read_review_file(path)
    assert reviews == [] and only(problems, MODERATION_EXERCISE).severity == "warning"
    [result] = read_programme_files([tmp_path / "2022-24"])
    assert result.is_moderation and result.ok and result.exercises[0].name == "Spring check"


def test_two_files_for_one_exercise_are_both_refused(tmp_path, catalogue):
    folder = tmp_path / "2022-24" / "moderation"
    workbook(tmp_path, catalogue)
    write_csv(folder / "copy.csv", [[*r, "Spring check", "2022-24"] for r in exercise_rows()],
              header=["Case", "Auditor", *QUESTIONS, "Overall judgement", "Moderation",
                      "Cycle"])
    results = read_programme_files([tmp_path])
    assert [p.kind for r in results for p in r.problems] == ["duplicate-exercise"] * 2
    assert all(r.exercises == [] for r in results)
    with pytest.raises(DataValidationError, match="also in"):
        load_moderation(tmp_path)


def test_consensus_labels():
    assert all(is_consensus(v) for v in ("Consensus", " consensus ", "Moderated", "AGREED"))
    assert not any(is_consensus(v) for v in ("PSW A", "", None, 3))


def test_validate_names_the_cells(tmp_path, catalogue, capsys):
    rows = exercise_rows()
    rows[2][4] = "Very good"
    rows = [r for r in rows if not (r[0] == "M2" and r[1] in ("PSW B", "PSW C"))]
    workbook(tmp_path, catalogue, rows, auditors=("PSW A", "PSW B", "PSW C", "PSW D"))
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "moderation/spring.xlsx: 3 error(s)" in out
    for located in ("sheet 'Ratings', cell E4", "sheet 'Ratings', cell A6",
                    "sheet 'Review', cell B8"):
        assert located in out


def test_load_programme_of_a_folder_with_an_exercise(tmp_path, catalogue):
    workbook(tmp_path, catalogue)
    programme = load_programme(tmp_path)
    assert programme.reviews == []
    frame = load_moderation(tmp_path)[0].judgements
    assert isinstance(frame, pd.DataFrame) and len(frame) == 12


# --------------------------------------------------------------------------- live double rating


@pytest.fixture
def double_rated(tmp_path):
    """Dudley's sample review and a second auditor's ratings of four of its cases."""
    import shutil

    folder = tmp_path / "data" / "2022-24"
    (folder / "moderation").mkdir(parents=True)
    shutil.copy(SAMPLE_DIR / "2022-24" / "dudley.xlsx", folder)
    review = load_programme(folder, keep_case_refs=True).review("Dudley", "2022-24")
    first = review.judgements.head(4)
    rows = [[ref, "PSW E", *["Good"] * 12, "Good"] for ref in first["case_ref"]]
    path = write_csv(folder / "moderation" / "dudley-second.csv",
                     [["Dudley", "2022-24", *row] for row in rows],
                     header=["Council", "Cycle", "Case", "Auditor", *QUESTIONS,
                             "Overall judgement"])
    return path, review, first


def test_a_reviews_second_ratings_are_paired_with_its_own(double_rated):
    path, review, first = double_rated
    results = read_programme_files([path.parents[1]])
    [result] = [r for r in results if r.is_moderation]
    assert result.ok, [str(p) for p in result.problems]
    [exercise] = result.exercises
    assert exercise.name == "Dudley 2022-24 double-rated cases"
    assert exercise.review == ("dudley.xlsx", review.sha256)
    # The review's own pseudonyms, so "Case 11" here is Case 11 of Dudley's reports.
    assert set(exercise.cases) == set(first["case"])
    judged = exercise.judgements.set_index(["case", "auditor"])["judgement"].astype(str)
    for case, auditor, judgement in first[["case", "auditor", "judgement"]].itertuples(
            index=False):
        assert judged[(case, str(auditor))] == str(judgement)
        assert judged[(case, "PSW E")] == "Good"
    assert not exercise.has_consensus and "PSW E" in exercise.auditors
    assert "DY-" not in exercise.ratings.to_string()


def test_second_ratings_problems_are_located(double_rated):
    path, _, first = double_rated
    text = path.read_text().splitlines()
    refs = list(first["case_ref"])
    text[1] = text[1].replace("PSW E", str(first["auditor"].iloc[0]))  # the same auditor
    text[2] = text[2].replace(refs[1], "DY-000000")  # not a case of the review
    path.write_text("\n".join(text) + "\n")
    [result] = [r for r in read_programme_files([path.parents[1]]) if r.is_moderation]
    assert only(result.problems, "same-auditor").cell == "D2"
    unknown = only(result.problems, "unknown-case")
    assert unknown.cell == "C3" and "dudley.xlsx" in unknown.expected
    path.write_text(path.read_text().replace("Dudley,", "Dudly,"))
    [result] = [r for r in read_programme_files([path.parents[1]]) if r.is_moderation]
    missing = only(result.problems, "missing-review")
    assert missing.cell == "A2" and "no valid review of Dudly 2022-24" in missing.message
