"""`practice-review run --pdf --docx`: files beside the HTML, kept when current, and no
PDF engine never stops a run."""

from __future__ import annotations

import pytest
from conftest import write_small_programme

from review_lib.batch.run import run_batch

pytestmark = pytest.mark.slow


def test_pdf_and_word_files_are_written_beside_the_reports_and_kept(tmp_path, monkeypatch):
    from review_lib.report.formats import pdf_engine

    if pdf_engine() is None:
        pytest.skip("chromium is not installed (CI installs it)")
    folder, questions = write_small_programme(tmp_path / "data")
    options = dict(data=folder, questions=questions, reports_dir=tmp_path / "reports",
                   figures_dir=tmp_path / "figures", jobs=2, pdf=True, docx=True)
    summary = run_batch(**options)
    assert not summary.failed and summary.messages == []
    alpha = tmp_path / "reports" / "2024" / "alpha"
    made = {p.name for p in alpha.iterdir()}
    assert {"leadership.pdf", "leadership.docx"} <= made
    assert "distributions.pdf" not in made  # the analysts' report stays HTML
    cross = tmp_path / "reports" / "2024" / "cross-council.pdf"
    assert cross.read_bytes().startswith(b"%PDF")
    stamp = (alpha / "leadership.pdf").stat().st_mtime_ns
    again = run_batch(**options)  # nothing changed: nothing written again
    assert (alpha / "leadership.pdf").stat().st_mtime_ns == stamp
    assert not any(str(p).endswith((".pdf", ".docx")) for p in again.written)


def test_without_a_pdf_engine_the_run_says_what_to_install_and_writes_the_rest(
        tmp_path, monkeypatch, capsys):
    from review_lib.batch.run import _print_summary

    monkeypatch.setenv("PRACTICE_REVIEW_CHROMIUM", "")
    folder, questions = write_small_programme(tmp_path / "data")
    summary = run_batch(data=folder, questions=questions, reports_dir=tmp_path / "reports",
                        figures_dir=tmp_path / "figures", jobs=2, pdf=True, docx=True,
                        councils=["Alpha"])
    assert not summary.failed
    alpha = tmp_path / "reports" / "2024" / "alpha"
    assert (alpha / "leadership.html").exists() and (alpha / "leadership.docx").exists()
    assert not (alpha / "leadership.pdf").exists()
    _print_summary(summary, tmp_path / "reports")
    assert "NOTE    No PDF written: install Chromium" in capsys.readouterr().out
