"""open_review with a programme already loaded: nothing read again."""

from __future__ import annotations

import pytest


def test_open_review_takes_the_programme_already_loaded(sample_programme, monkeypatch):
    from review_lib.report import context as context_module
    from review_lib.report import council as section

    def no_reading(*args, **kwargs):
        raise AssertionError("the data were read again")

    monkeypatch.setattr(context_module, "read_programme_files", no_reading)
    monkeypatch.setattr(context_module, "iter_data_files", no_reading)
    context = context_module.open_review("Dudley", "2022-24", programme=sample_programme)
    assert context.programme is sample_programme
    assert context.review is sample_programme.review("Dudley", "2022-24")
    assert "Table 3. Ratings by question" in section.question_table(context).text
    assert context.notes is not None  # the notes beside the review's data file
    with pytest.raises(ValueError, match="not both"):
        context_module.open_review("Dudley", "2022-24", "data/sample",
                                   programme=sample_programme)
