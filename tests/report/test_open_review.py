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


def test_one_process_sees_a_notes_file_added_or_changed_between_notebooks(tmp_path):
    """A worker opens review after review: the notes are read again when a file changes."""
    import shutil

    from review_lib.paths import SAMPLE_DIR
    from review_lib.report.context import open_review

    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR / "2022-24", data / "2022-24", ignore=shutil.ignore_patterns(
        "*.md", "*.docx", "moderation"))
    assert open_review("Lydmouth", "2022-24", data).notes is None
    notes = data / "2022-24" / "lydmouth.md"
    notes.write_text("# Key messages\n\n- Supervision is regular.\n")
    first = open_review("Lydmouth", "2022-24", data).notes
    assert first is not None and "Supervision is regular." in str(first.key_messages)
    notes.write_text("# Key messages\n\n- Supervision is regular and recorded.\n")
    again = open_review("Lydmouth", "2022-24", data).notes
    assert "Supervision is regular and recorded." in str(again.key_messages)
    notes.unlink()
    assert open_review("Lydmouth", "2022-24", data).notes is None
