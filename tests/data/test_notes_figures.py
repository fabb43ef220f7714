"""The figures a notes file states are checked against the review's data (issue: claims)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from review_lib.data.notes import parse_notes
from review_lib.data.notes_figures import notes_figure_problems
from review_lib.paths import SAMPLE_DIR


def _problems(text: str, review, file="dudley.md"):
    notes, problems = parse_notes(text, file, None)
    assert notes is not None, problems
    return notes_figure_problems(notes, review)


@pytest.mark.parametrize("council", ["Dudley", "Kestrel Vale", "Northwold"])
def test_the_sample_notes_agree_with_their_data(sample_programme, council):
    name = council.lower().replace(" ", "-")
    text = (SAMPLE_DIR / "2022-24" / f"{name}.md").read_text(encoding="utf-8")
    assert _problems(text, sample_programme.review(council, "2022-24")) == []


@pytest.mark.parametrize(("council", "said", "wrong", "actual"), [
    ("Dudley", "18 of the 20 records were outstanding or good",
     "16 of the 20 records were outstanding or good", "18 of 20"),
    ("Dudley", "and two required improvement", "and three required improvement", "2 of 20"),
    ("Dudley", "An examination of 20 case records", "An examination of 18 case records",
     "20 case records"),
    ("Kestrel Vale", "Seventeen of the 20 records were judged outstanding",
     "Fifteen of the 20 records were judged outstanding", "17 of 20"),
    ("Kestrel Vale", "five records each", "six records each", "5 records each"),
    ("Northwold", "Eight required improvement", "Nine required improvement", "8 of 20"),
    ("Northwold", "None was outstanding", "One was outstanding", "0 of 20"),
])
def test_a_figure_the_data_contradict_is_a_located_warning(sample_programme, council, said,
                                                           wrong, actual):
    name = council.lower().replace(" ", "-")
    text = (SAMPLE_DIR / "2022-24" / f"{name}.md").read_text(encoding="utf-8")
    assert said in text
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if said in row)
    problems = _problems(text.replace(said, wrong), sample_programme.review(council, "2022-24"),
                         f"{name}.md")
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert (problem.kind, problem.line, problem.severity) == ("notes-figure", line, "warning")
    assert f"the data give {actual}" in str(problem)
    assert str(problem).startswith(f"{name}.md, line {line}: warning: the notes say ")


def test_shares_and_one_questions_figures_are_checked(dudley):
    table = dudley.ratings[dudley.ratings["question"] == "Q11"]
    below = int((~table["rating"].isin(["Outstanding", "Good"])).sum())
    base = "---\nstatus: final\n---\n\n# Analysis of the case records\n\n"
    good = (f"Oversight was weakest. On Q11, {below} of 20 records were below good. "
            "In all, 90% of the records were outstanding or good.\n")
    assert _problems(base + good, dudley) == []
    bad = ("Oversight was weakest. On Q11, 12 of 20 records were below good. "
           "In all, 85% of the records were outstanding or good.\n")
    found = [str(p) for p in _problems(base + bad, dudley)]
    assert len(found) == 2, found
    assert f"the data give {below} of 20" in found[0] and "line 7" in found[0]
    assert "the data give 90% (18 of 20)" in found[1]


def test_counts_of_a_subset_are_not_read_as_the_review_size(dudley):
    text = ("---\nstatus: final\n---\n\n# Introduction\n\nTwo case records were referred back. "
            "One of the two case records referred back concerned capacity.\n")
    assert _problems(text, dudley) == []


def test_a_long_notes_file_is_read_in_linear_time(dudley):
    line = "Six of the 20 records were good, and two of them required improvement; " * 2000
    text = "---\nstatus: final\n---\n\n# Observations\n\n" + line + "\n"
    assert len(_problems(text, dudley)) >= 1  # read to the end, every figure checked


def test_validate_warns_at_the_line_with_the_figure_the_data_give(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, data)
    notes = data / "2022-24" / "dudley.md"
    said = "18 of the 20 records were outstanding or good"
    line = next(i for i, row in enumerate(notes.read_text(encoding="utf-8").splitlines(),
                                          start=1) if said in row)
    notes.write_text(notes.read_text(encoding="utf-8").replace(
        said, "16 of the 20 records were outstanding or good"), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "review_lib.cli", "validate", str(data)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert (f"dudley.md, line {line}: warning: the notes say 16 of 20 records Outstanding or "
            "Good, but the data give 18 of 20") in done.stdout, done.stdout[-2000:]
