"""Data-entry template: layout, drop-downs, and a filled-in copy loads unchanged."""

import openpyxl
import pytest

from review_lib.data.catalogue import load_catalogue
from review_lib.data.loading import load_review
from review_lib.data.reading import read_review_file
from review_lib.data.template import RATING_CHOICES, write_template


def test_blank_template_layout(tmp_path, catalogue):
    path = write_template(tmp_path / "blank.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Review", "Ratings", "Questions"]
    ratings = workbook["Ratings"]
    headings = [c.value for c in ratings[1]]
    assert headings[:2] == ["Case", "Auditor"]
    # Then the optional evidence columns, one per question and one for the judgement.
    evidence = [f"Evidence {q.id}" for q in catalogue] + ["Evidence overall"]
    assert headings[-len(evidence):] == evidence
    headings = headings[:-len(evidence)]
    assert headings[-2:] == ["Overall judgement", "Comments"]
    for question, heading in zip(catalogue, headings[2:-2], strict=True):
        assert heading.startswith(question.id) and question.question in heading
    validations = ratings.data_validations.dataValidation
    formulas = {dv.formula1 for dv in validations}
    assert '"' + ",".join(RATING_CHOICES) + '"' in formulas
    ranges = " ".join(str(dv.sqref) for dv in validations)
    assert "C2:N21" in ranges and "O2:O21" in ranges
    review = workbook["Review"]
    assert [review.cell(row, 1).value for row in (2, 3, 4, 5)] == ["Council", "Cycle",
                                                                    "Review month", "Region"]


def test_filled_template_loads_without_change(tmp_path, catalogue):
    path = write_template(tmp_path / "filled.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["Review"]["B2"] = "Testshire"
    workbook["Review"]["B3"] = "2022-24"
    ratings = workbook["Ratings"]
    labels = ["Outstanding", "Good", "Requires Improvement", "Inadequate", "N/A"]
    for row in range(2, 22):
        ratings.cell(row, 1, f"T{row:02d}")
        ratings.cell(row, 2, "PSW A" if row < 12 else "PSW B")
        for column in range(3, 15):
            ratings.cell(row, column, labels[(row + column) % 4] if column != 7 else "N/A")
        ratings.cell(row, 15, "Good")
        ratings.cell(row, 16, "free text that must never reach a report")
    workbook.save(path)
    review = load_review(path)
    assert (review.council, review.cycle, review.n_cases) == ("Testshire", "2022-24", 20)
    assert review.region == ""  # the Region row left blank: no region
    workbook["Review"]["B5"] = "West Midlands"
    workbook.save(path)
    assert load_review(path).region == "West Midlands"
    assert len(review.ratings) == 20 * 11 and len(review.not_applicable) == 20
    assert "free text" not in review.ratings.to_string()


def test_template_with_custom_catalogue(tmp_path):
    questions = tmp_path / "questions.csv"
    questions.write_text("id,short_label,question\nA1,One,First?\nA2,Two,Second?\n")
    path = write_template(tmp_path / "custom.xlsx", questions, n_cases=3)
    headings = [c.value for c in openpyxl.load_workbook(path)["Ratings"][1]]
    assert headings == ["Case", "Auditor", "A1 One\nFirst?", "A2 Two\nSecond?",
                        "Overall judgement", "Comments", "Evidence A1", "Evidence A2",
                        "Evidence overall"]
    reviews, problems = read_review_file(path, load_catalogue(questions))
    assert not reviews and {p.kind for p in problems} >= {"missing-review-details"}


def test_template_never_leaves_a_partial_file(tmp_path, monkeypatch):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"previous contents")

    def broken_save(self, filename):
        with open(filename, "wb") as handle:
            handle.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken_save)
    with pytest.raises(OSError):
        write_template(path)
    assert path.read_bytes() == b"previous contents"
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]
