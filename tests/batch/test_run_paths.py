"""`practice-review run` with data folders named relative to the current folder."""

from __future__ import annotations

import pytest
from conftest import write_small_programme

from review_lib.batch.run import run_batch

pytestmark = pytest.mark.slow


def test_a_nested_relative_data_folder_renders_every_report(tmp_path, monkeypatch):
    # The notebooks run in the data folder's parent (here sub/), the run in tmp_path: the
    # files the run read (sub/programme/alpha.csv) must be found from there too.
    write_small_programme(tmp_path / "sub")
    monkeypatch.chdir(tmp_path)
    summary = run_batch(data="sub/programme", questions="sub/questions.csv",
                        councils=["Alpha"], reports_dir="out/reports",
                        figures_dir="out/figures", jobs=1)
    failures = [o.message for o in summary.outcomes if not o.ok]
    assert not failures and not summary.invalid_files
    assert len(summary.outcomes) == 3  # two council reports and the cross-council report
    assert (tmp_path / "out/reports/2024/alpha/leadership.html").exists()
