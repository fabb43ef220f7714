"""Paths an analyst gives resolve the same from the project root, notebooks/ or elsewhere."""

from __future__ import annotations

import pytest

from review_lib.data.problems import DataValidationError
from review_lib.paths import NOTEBOOKS_DIR, PROJECT_ROOT


@pytest.mark.parametrize("where", ["root", "notebooks", "elsewhere"])
def test_the_readme_paths_load_from_any_folder(monkeypatch, tmp_path, where):
    from review_lib.data.catalogue import load_catalogue
    from review_lib.data.loading import load_programme
    from review_lib.data.moderation import load_moderation

    monkeypatch.chdir({"root": PROJECT_ROOT, "notebooks": NOTEBOOKS_DIR,
                       "elsewhere": tmp_path}[where])
    programme = load_programme("data/sample", "data/questions.csv")
    assert len(programme.reviews) == 18
    assert [e.name for e in load_moderation("data/sample")] == ["Autumn 2023 calibration"]
    assert len(load_catalogue("data/questions.csv")) == 12


def test_a_missing_folder_is_an_error_naming_where_it_looked(monkeypatch, tmp_path):
    from review_lib.data.loading import load_programme
    from review_lib.data.moderation import load_moderation

    monkeypatch.chdir(tmp_path)
    for load in (load_programme, load_moderation):
        with pytest.raises(DataValidationError) as raised:
            load("no/such/folder")
        message = str(raised.value)
        assert str(tmp_path / "no/such/folder") in message
        assert str(PROJECT_ROOT / "no/such/folder") in message


def test_a_folder_beside_the_current_one_wins_over_the_projects(monkeypatch, tmp_path):
    import shutil

    from review_lib.data.loading import load_programme

    shutil.copytree(PROJECT_ROOT / "data/sample/2019", tmp_path / "data/sample")
    monkeypatch.chdir(tmp_path)
    assert {r.cycle for r in load_programme("data/sample").reviews} == {"2019"}


def test_open_review_finds_the_data_folder_from_notebooks(monkeypatch):
    from review_lib.report.context import open_review

    monkeypatch.chdir(NOTEBOOKS_DIR)
    context = open_review("Dudley", "2022-24", data_dir="data/sample")
    assert context.review.n_cases == 20
    with pytest.raises(DataValidationError, match="looked in"):
        open_review("Dudley", "2022-24", data_dir="data/nowhere")
