"""The batch runs the same way on every platform and with either engine.

- The ``spawn`` start method (what Windows uses, and what ``--watch`` uses after the
  library's code changes) is exercised here on Linux.
- ``practice-review run --engine kernel`` runs the notebooks through papermill's standard
  Jupyter kernel engine; its reports read exactly as the default engine's.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest
from conftest import write_small_programme

from review_lib.batch.jobs import Job, Outcome
from review_lib.batch.run import run_batch

pytestmark = pytest.mark.slow


def _notebook(path: Path, source: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, str(path))
    return path


def test_spawned_workers_prepare_themselves_and_render(tmp_path):
    from review_lib.batch.workers import WorkerPool

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _notebook(notebooks / "probe.ipynb",
              "import multiprocessing, os\n"
              "from review_lib.analysis.summary import format_percent\n"
              "print(multiprocessing.current_process().name, format_percent(0.25))")
    job = Job("probe", "Test", "2024", {}, str(tmp_path), str(tmp_path / "out"), "probe",
              "Test probe", notebooks_dir=str(notebooks))
    outcomes = []
    pool = WorkerPool(1, fresh=True)
    assert pool.method == "spawn"
    try:
        pool.run([job], options={"timeout": 120}, timeout=120, on_outcome=outcomes.append,
                 failure=lambda job, message: Outcome(job, False, message=message))
    finally:
        pool.stop()
    [outcome] = outcomes
    assert outcome.ok, outcome.message
    executed = nbformat.read(str(tmp_path / "out" / "probe.ipynb"), as_version=4)
    text = executed.cells[0].outputs[0]["text"]
    assert "25%" in text
    assert (tmp_path / "out" / "probe.html").exists()


def _visible_text(path: Path) -> str:
    """What a reader sees: the text of the page, without tags, scripts or random ids."""
    page = path.read_text(encoding="utf-8")
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]+>", "\n", page))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def test_the_kernel_engine_renders_the_same_reports(tmp_path):
    folder, questions = write_small_programme(tmp_path / "data")
    reports = {}
    # One council's two reports and the cross-council report: every notebook, each started
    # in a Jupyter kernel of its own by the kernel engine (a few seconds each).
    for engine in ("inprocess", "kernel"):
        summary = run_batch(data=folder, questions=questions, councils=["Alpha"],
                            reports_dir=tmp_path / engine / "reports",
                            figures_dir=tmp_path / engine / "figures", jobs=2, engine=engine)
        assert not summary.failed, [o.message for o in summary.outcomes if not o.ok]
        reports[engine] = tmp_path / engine / "reports"
    pages = sorted(p.relative_to(reports["inprocess"])
                   for p in reports["inprocess"].rglob("*.html") if p.name != "index.html")
    assert len(pages) == 3  # Alpha's 2 reports, and the cross-council report
    for page in pages:
        assert _visible_text(reports["inprocess"] / page) == _visible_text(
            reports["kernel"] / page), page
    executed = nbformat.read(str(reports["kernel"] / "2024" / "alpha" / "leadership.ipynb"),
                             as_version=4)
    assert executed.metadata["language_info"]["name"] == "python"
    # The kernel was given the run's prepared file as a parameter, as the workers are
    # (recorded as "", the file being gone with the run).
    injected = next(c for c in executed.cells
                    if "injected-parameters" in c.metadata.get("tags", []))
    assert any(line.startswith('prepared = ""  # ') for line in injected.source.splitlines())
    assert executed.metadata["papermill"]["parameters"]["prepared"] == ""
    with pytest.raises(ValueError, match="engine must be"):
        run_batch(data=folder, questions=questions, reports_dir=tmp_path / "x",
                  engine="threads")
