"""Notebook inputs: read once per unchanged folder, read again after any change."""

import os

import pytest
from conftest import write_small_council, write_small_programme

from review_lib.report.context import load_inputs, open_review


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


def _prepare(tmp_path, folder, questions, **kwargs):
    """A batch run's prepared file, in a private folder as a run's scratch folder is."""
    from review_lib.data.catalogue import load_catalogue
    from review_lib.data.loading import read_programme_files
    from review_lib.report.context import write_prepared

    catalogue = load_catalogue(questions)
    results = read_programme_files([folder], catalogue)
    private = tmp_path / "private"
    private.mkdir(mode=0o700, exist_ok=True)
    return write_prepared(private / "prepared.pickle", folder, questions, catalogue, results,
                          **kwargs), catalogue, results


def test_a_batch_runs_prepared_read_is_used_only_while_every_file_is_unchanged(
        tmp_path, monkeypatch):
    from review_lib.data.loading import read_programme_files
    from review_lib.report import context as report

    folder, questions = write_small_programme(tmp_path)
    prepared, _, _ = _prepare(tmp_path, folder, questions)
    monkeypatch.setattr(report, "_LOADED", {})
    # A kernel working elsewhere names the folder relatively, as batch jobs do.
    monkeypatch.chdir(folder.parent)

    def no_reading(*args, **kwargs):
        raise AssertionError("the folder was read again")

    monkeypatch.setattr(report, "read_programme_files", no_reading)
    context = open_review("Beta", "2024", folder.name, questions, prepared=str(prepared))
    assert context.review.n_cases == 6
    # Paths as this process names them, as if it had read the folder itself.
    assert not context.review.path.is_absolute()
    assert context.review.path.parts[0] == folder.name

    # After any change to a file the prepared read no longer applies: the folder is read.
    path = write_small_council(folder, "Beta", [["G", "G", "RI", "G"]] * 6)
    os.utime(path, ns=(1, 1))
    monkeypatch.setattr(report, "read_programme_files", read_programme_files)
    context = open_review("Beta", "2024", folder.name, questions, prepared=str(prepared))
    assert int((context.review.ratings["rating"] == "Requires Improvement").sum()) == 6


def test_without_the_parameter_nothing_a_run_prepared_is_used(tmp_path, monkeypatch):
    """What open_review returns depends on its arguments: a notebook not given a prepared
    file reads the folder itself, whatever was read earlier in the same process."""
    from review_lib.report import context as report

    folder, questions = write_small_programme(tmp_path)
    prepared, _, _ = _prepare(tmp_path, folder, questions)
    calls = []
    original = report.read_programme_files
    monkeypatch.setattr(report, "read_programme_files",
                        lambda *a, **k: calls.append(a) or original(*a, **k))
    monkeypatch.setattr(report, "_LOADED", {})
    monkeypatch.setattr(report, "_STATE", [])
    given = open_review("Alpha", "2024", folder, questions, prepared=prepared)
    assert given.review.n_cases == 6 and not calls  # the prepared read
    monkeypatch.setattr(report, "_LOADED", {})
    monkeypatch.setattr(report, "_STATE", [])
    plain = open_review("Alpha", "2024", folder, questions)
    assert calls and plain.prepared_notes is None and plain.computed is None


def test_a_prepared_file_must_exist_be_private_and_be_one(tmp_path):
    from review_lib.report import context as report

    folder, questions = write_small_programme(tmp_path)
    prepared, catalogue, results = _prepare(tmp_path, folder, questions)
    with pytest.raises(FileNotFoundError, match="leave prepared empty"):
        open_review("Alpha", "2024", folder, questions, prepared=tmp_path / "gone.pickle")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    with pytest.raises(ValueError, match="private to its owner"):
        report.write_prepared(shared / "prepared.pickle", folder, questions, catalogue,
                              results)
    (shared / "prepared.pickle").write_bytes(prepared.read_bytes())
    with pytest.raises(ValueError, match=r"private to its owner.*'shared' is 755"):
        open_review("Alpha", "2024", folder, questions, prepared=shared / "prepared.pickle")
    prepared.write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="is not a prepared file"):
        open_review("Alpha", "2024", folder, questions, prepared=prepared)
    with pytest.raises(ValueError, match="not both"):
        open_review("Alpha", "2024", prepared=prepared,
                    programme=report._programme(catalogue, results))


def test_a_batch_runs_analysis_serves_its_notebooks_while_the_files_are_unchanged(
        tmp_path, monkeypatch):
    from review_lib.analysis import results as analysis
    from review_lib.data.records import Programme
    from review_lib.report import context as report

    folder, questions = write_small_programme(tmp_path)
    prepared, catalogue, results = _prepare(tmp_path, folder, questions)
    programme = Programme([r for f in results for r in f.reviews], catalogue)
    beta = programme.review("Beta", "2024")
    computed = analysis.analyse_review(beta, programme)
    monkeypatch.setattr(report, "_LOADED", {})
    calls = []
    monkeypatch.setattr(report, "analyse_review",
                        lambda *a, **k: calls.append(a) or analysis.analyse_review(*a, **k))
    # Before the run has written its analyses, a notebook computes its own ...
    assert open_review("Beta", "2024", folder, questions, prepared=prepared).computed is None
    # ... and once they are written, uses the run's; one without the parameter does not.
    written = report.save_analyses(prepared, {("Beta", "2024", "exact"): computed})
    assert written.parent == prepared.parent
    context = open_review("Beta", "2024", folder, questions, prepared=prepared)
    assert context.results.cases == computed.cases and not calls  # the run's, not again
    assert context.results.questions.equals(computed.questions)
    assert open_review("Beta", "2024", folder, questions).computed is None
    # Another method of funnel limits, or another review: computed here.
    assert open_review("Beta", "2024", folder, questions, funnel_limits="fingertips",
                       prepared=prepared).results.n_cases == 6
    assert open_review("Alpha", "2024", folder, questions,
                       prepared=prepared).results.n_cases == 6
    assert len(calls) == 2
    # After a change to a file, the saved analysis no longer applies.
    path = write_small_council(folder, "Beta", [["G", "G", "RI", "G"]] * 6)
    os.utime(path, ns=(1, 1))
    context = open_review("Beta", "2024", folder, questions, prepared=prepared)
    assert context.computed is None
    assert context.results.rating_counts["Requires Improvement"] == 6


def test_the_quick_look_at_the_folder_sees_every_kind_of_change(tmp_path):
    """A notebook reuses the read of the folder only while one quick look finds nothing
    added, removed, changed or relinked under it."""
    from review_lib.report.context import QUESTIONS_FILE, _folder_state

    folder, _ = write_small_programme(tmp_path)
    first = _folder_state(folder, QUESTIONS_FILE)
    assert _folder_state(folder, QUESTIONS_FILE) == first
    (folder / "later").mkdir()
    added = _folder_state(folder, QUESTIONS_FILE)
    assert added != first
    (folder / "later" / "more.csv").write_text("x", encoding="utf-8")
    assert _folder_state(folder, QUESTIONS_FILE) != added
    target_a, target_b = tmp_path / "a.csv", tmp_path / "b.csv"
    for target in (target_a, target_b):
        target.write_text("same size", encoding="utf-8")
        os.utime(target, ns=(1, 1))
    (folder / "link.csv").symlink_to(target_a)
    linked = _folder_state(folder, QUESTIONS_FILE)
    (folder / "link.csv").unlink()
    (folder / "link.csv").symlink_to(target_b)  # same size and time: only the link differs
    assert _folder_state(folder, QUESTIONS_FILE) != linked
