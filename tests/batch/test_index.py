"""The index lists the reports of the data a run read, not those another run left."""

from __future__ import annotations

import pytest
from conftest import small_data_folder

from review_lib.batch.run import run_batch

pytestmark = pytest.mark.slow


def test_a_run_of_other_data_leaves_the_first_programmes_councils_out_of_the_index(
        tmp_path):
    for name in ("mine", "other"):
        (tmp_path / name).mkdir()
    mine, questions = small_data_folder(tmp_path / "mine", ["Alpha"])
    other, _ = small_data_folder(tmp_path / "other", ["Beta"])
    out = tmp_path / "out"
    for data in (mine, other):
        summary = run_batch(data=data, questions=questions, reports_dir=out / "reports",
                            figures_dir=out / "figures", jobs=1)
        assert not summary.failed
    index = (out / "reports" / "index.html").read_text(encoding="utf-8")
    assert ">Beta<" in index
    assert "Alpha" not in index
    assert "1 other report folder here is not listed" in index
    assert (out / "reports" / "2024" / "alpha" / "leadership.html").exists()  # kept
