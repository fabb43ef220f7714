"""Messages for the everyday slips: a misspelt council, column or filter, a new folder."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import write_small_programme

from review_lib.paths import PROJECT_ROOT


@pytest.mark.slow
def test_run_with_a_misspelt_council_suggests_it_and_blames_no_file(tmp_path):
    folder, questions = write_small_programme(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "review_lib.cli", "run", "--data", str(folder), "--questions",
         str(questions), "--out", str(tmp_path / "reports"), "--figures",
         str(tmp_path / "figures"), "--council", "Alpah"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "0 invalid file(s)" in result.stdout
    assert ("NOT FOUND no review of 'Alpah' in cycle '2024'; did you mean 'Alpha'?"
            in result.stdout)


def test_a_misspelt_column_says_what_was_meant(tmp_path, catalogue):
    from review_lib.data.loading import read_programme_files

    path = tmp_path / "x.csv"
    path.write_text("Council,Cycle,Case,Auditer,Q1,Overall judgement\n"
                    "X,2024,C1,PSW A,Good,Good\n")
    problems = read_programme_files([path], catalogue)[0].problems
    missing = next(p for p in problems if p.kind == "missing-column")
    assert "did you mean the column 'Auditer'?" in missing.message


def test_a_filter_that_matched_nothing_is_said_not_summarised_as_zeros(sample_programme):
    from review_lib.analysis.summary import (
        NothingSelectedWarning,
        auditor_summary,
        question_summary,
    )
    from review_lib.report import charts

    ratings = sample_programme.ratings
    mistyped = ratings[ratings["council"] == "Dudly"]
    with pytest.warns(NothingSelectedWarning, match="the filter matched no rows"):
        question_summary(mistyped, None, sample_programme.catalogue)
    with pytest.warns(NothingSelectedWarning):
        auditor_summary(mistyped)
    with pytest.raises(ValueError, match="the filter matched no rows"):
        charts.likert(mistyped)


def test_a_notes_template_in_a_new_folder_is_written(tmp_path, capsys, monkeypatch):
    from review_lib.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["template", "--notes", "data/mine/2024/testshire.md"]) == 0
    assert (tmp_path / "data/mine/2024/testshire.md").exists()
    assert "Errno" not in capsys.readouterr().err
