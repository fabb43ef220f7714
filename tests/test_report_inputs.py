"""Notebook inputs: read once per unchanged folder, read again after any change."""

import os

from conftest import write_small_council, write_small_programme

from review_lib.report import load_inputs, open_review


def test_folder_is_read_once_until_a_file_changes(tmp_path):
    folder, questions = write_small_programme(tmp_path)
    first = load_inputs(folder, questions)[2]
    assert load_inputs(folder, questions)[2] is first
    path = write_small_council(folder, "Beta", [["G", "G", "RI", "G"]] * 6)
    os.utime(path, ns=(1, 1))  # a different modification time, whatever the clock
    again = load_inputs(folder, questions)[2]
    assert again is not first
    context = open_review("Beta", "2024", folder, questions)
    assert int((context.review.ratings["rating"] == "Requires Improvement").sum()) == 6


def test_environment_names_catalogue_and_figures(tmp_path, monkeypatch):
    folder, questions = write_small_programme(tmp_path)
    monkeypatch.setenv("PRACTICE_REVIEW_QUESTIONS", str(questions))
    monkeypatch.setenv("PRACTICE_REVIEW_FIGURES", str(tmp_path / "figs"))
    context = open_review("Alpha", "2024", folder)
    assert context.catalogue.ids == ["A1", "A2", "A3"]
    assert context.figures_dir == tmp_path / "figs" / "2024" / "alpha"
