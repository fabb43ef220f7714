"""Batch runs: fault isolation, incremental reruns, --force, interruption, exit status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import write_small_council, write_small_programme

from review_lib.batch.run import run_batch
from review_lib.paths import NOTEBOOKS_DIR, PROJECT_ROOT

pytestmark = pytest.mark.slow


def _run(folder, questions, out, **options):
    return run_batch(data=folder, questions=questions, reports_dir=out / "reports",
                     figures_dir=out / "figures", jobs=2, **options)


def _rendered(summary):
    return sorted(o.job.label for o in summary.outcomes if o.ok and not o.skipped)


def _skipped(summary):
    return sorted(o.job.label for o in summary.outcomes if o.skipped)


def _customised_notebooks(tmp_path, before: str | dict[str, str], cells: dict[str, str]):
    """The project's notebooks, each given a cell (by notebook name) before the first cell
    whose source contains ``before`` (one text, or one per notebook name); written to
    ``tmp_path / "notebooks"``."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for source in NOTEBOOKS_DIR.glob("*.ipynb"):
        nb = nbformat.read(str(source), as_version=4)
        if source.stem in cells:
            marker = before if isinstance(before, str) else before[source.stem]
            at = next(i for i, c in enumerate(nb.cells) if marker in c.source)
            nb.cells.insert(at, nbformat.v4.new_code_cell(cells[source.stem]))
        nbformat.write(nb, str(notebooks / source.name))
    return notebooks


@pytest.fixture(scope="module")
def beta_fails(tmp_path_factory):
    """One run of the small programme, read by the two tests below: Beta's distributions
    notebook raises part way (before section 4's tables), and each leadership notebook
    records what it was given as its `prepared` parameter in ``root / "seen"``."""
    root = tmp_path_factory.mktemp("beta-fails")
    folder, questions = write_small_programme(root)
    seen = root / "seen"
    seen.mkdir()
    record = (
        "import json, os, stat\n"
        "from pathlib import Path\n"
        f"Path({str(seen)!r}, council + '.json').write_text(json.dumps({{\n"
        "    'prepared': prepared, 'exists': os.path.isfile(prepared),\n"
        "    'target': os.readlink(prepared),\n"
        "    'mode': stat.S_IMODE(os.stat(os.path.dirname(prepared)).st_mode),\n"
        "    'used': context.prepared_notes is not None}))")
    notebooks = _customised_notebooks(
        root, {"council_leadership": "section.title(", "council_distributions": "section4_tables"},
        {"council_leadership": record, "council_distributions":
            'if council == "Beta":\n    raise RuntimeError("deliberate failure for Beta")'})
    summary = _run(folder, questions, root, notebooks_dir=notebooks)
    return summary, root


def test_notebook_failing_part_way_is_isolated(beta_fails):
    summary, root = beta_fails
    failed = [o for o in summary.outcomes if not o.ok]
    assert [o.job.label for o in failed] == ["Beta 2024 distributions"]
    assert "RuntimeError: deliberate failure for Beta" in failed[0].message
    assert "section4" not in failed[0].message and "cell " in failed[0].message
    reports = root / "reports" / "2024"
    assert not (reports / "beta" / "distributions.html").exists()
    assert not list(reports.rglob("*.part*"))
    assert (reports / "beta" / "leadership.html").exists()
    assert (reports / "alpha" / "distributions.html").exists()
    assert (reports / "cross-council.html").exists()
    assert summary.failed


def test_each_notebook_is_given_the_runs_prepared_read_and_none_outlives_the_run(beta_fails):
    """The run's read of the data reaches every notebook as its `prepared` parameter: an
    in-memory file of the run's process (never on disk), gone when the run ends, a failed
    one too."""
    summary, root = beta_fails
    assert [o.job.label for o in summary.outcomes if not o.ok] == ["Beta 2024 distributions"]
    records = {p.stem: json.loads(p.read_text()) for p in (root / "seen").glob("*.json")}
    assert set(records) == {"Alpha", "Beta", "Gamma"}
    files = {r["prepared"] for r in records.values()}
    assert len(files) == 1  # prepared once for the run
    prepared = Path(files.pop())
    # /proc/<this process>/fd/<n>: an anonymous in-memory file, in a folder only its owner
    # may open, which the kernel frees when the run's process lets it go or dies.
    assert prepared.parent == Path(f"/proc/{os.getpid()}/fd")
    assert all(r["exists"] and r["mode"] & 0o077 == 0 and r["used"] for r in records.values())
    assert all(r["target"].startswith("/memfd:practice-review-prepared")
               for r in records.values())
    # Nothing of it outlives the run, though a notebook failed (the descriptor's number
    # may since name another file of this process, never the prepared read).
    assert not prepared.exists() or not os.readlink(prepared).startswith("/memfd:practice")
    # Papermill injected it as a parameter; the executed notebook records it as "" (the
    # file is gone), and no output names the temporary folder.
    executed = nbformat.read(str(root / "reports/2024/alpha/leadership.ipynb"), 4)
    injected = next(c for c in executed.cells
                    if "injected-parameters" in c.metadata.get("tags", []))
    assert 'prepared = ""  # the run\'s prepared file, removed when the run ended' in \
        injected.source.splitlines()
    assert executed.metadata.papermill.parameters["prepared"] == ""
    for path in (root / "reports").rglob("*"):
        if path.is_file() and path.suffix in (".ipynb", ".html", ".json"):
            assert "/proc/" not in path.read_text(encoding="utf-8"), path


def test_a_stuck_cell_and_a_crashing_notebook_fail_only_their_reports(tmp_path):
    folder, questions = write_small_programme(tmp_path)
    # Gamma's stuck cell waits for an event that never comes: only the run's limit ends it.
    notebooks = _customised_notebooks(tmp_path, "open_review", {
        "council_leadership": 'if council == "Gamma":\n    import threading\n'
                              '    threading.Event().wait()',
        "council_distributions": 'if council == "Alpha":\n    import os, signal\n'
                                 '    os.kill(os.getpid(), signal.SIGKILL)'})
    # The slowest ordinary cell of these small reports takes under a second on the idle
    # machine, but one has reached 3 s on a busy one. So the run is made again, under a
    # longer limit, if an ordinary cell was stopped too: a busy machine costs a rerun, never
    # a failure. Stopped by the limit, the stuck cell says so ("was stopped"); had the alarm
    # not stopped it, its worker would have been killed after a grace period, which says
    # otherwise ("did not stop").
    for limit in STUCK_LIMITS:
        summary = _run(folder, questions, tmp_path / f"limit-{limit}",
                       notebooks_dir=notebooks, timeout=limit)
        failed = {o.job.label: o.message for o in summary.outcomes if not o.ok}
        if not [label for label, message in failed.items() if label != "Gamma 2024 leadership"
                and f"ran for more than {limit} s" in message]:
            break
    assert set(failed) == {"Gamma 2024 leadership", "Alpha 2024 distributions"}
    assert f"ran for more than {limit} s and was stopped" in failed["Gamma 2024 leadership"]
    assert "was killed (SIGKILL)" in failed["Alpha 2024 distributions"]
    assert _rendered(summary) == ["Alpha 2024 leadership", "Beta 2024 distributions",
                                  "Beta 2024 leadership", "Gamma 2024 distributions",
                                  "all councils 2024 cross-council"]
    reports = tmp_path / f"limit-{limit}" / "reports"
    assert not (reports / "2024/gamma/leadership.html").exists()
    assert not list(reports.rglob("*.part*"))


#: The stuck-cell test's cell limits, tried in turn while an ordinary cell also reaches one
#: (the first is what the test costs on an idle machine).
STUCK_LIMITS = (5, 20, 60)


def test_incremental_reruns_and_force(tmp_path):
    folder, questions = write_small_programme(tmp_path)
    first = _run(folder, questions, tmp_path)
    assert not first.failed and len(_rendered(first)) == 7
    html = tmp_path / "reports/2024/alpha/distributions.html"
    stamp = html.stat().st_mtime_ns

    again = _run(folder, questions, tmp_path)
    assert _rendered(again) == [] and len(_skipped(again)) == 7
    assert html.stat().st_mtime_ns == stamp

    # Beta's auditors renamed: Beta's counts, and so everyone's funnel, are unchanged.
    write_small_council(folder, "Beta", [["G", "G", "G", "G"]] * 6, auditor="Reviewer")
    renamed = _run(folder, questions, tmp_path)
    assert _rendered(renamed) == ["Beta 2024 distributions", "Beta 2024 leadership",
                                  "all councils 2024 cross-council"]

    # One of Beta's ratings lowered: Beta's reports, the cross-council report, and every
    # leadership report (each shows its funnel position among all councils) are redone.
    figures = tmp_path / "figures/2024"
    drawn = {path: path.stat().st_mtime_ns for path in figures.rglob("*.png")}
    write_small_council(folder, "Beta", [["G", "G", "G", "G"]] * 5 + [["RI", "G", "G", "RI"]],
                        auditor="Reviewer")
    changed = _run(folder, questions, tmp_path)
    assert _rendered(changed) == ["Alpha 2024 leadership", "Beta 2024 distributions",
                                  "Beta 2024 leadership", "Gamma 2024 leadership",
                                  "all councils 2024 cross-council"]
    # Only the charts whose inputs changed were drawn again; the others were reused.
    redrawn = sorted(str(path.relative_to(figures)) for path, when in drawn.items()
                     if path.stat().st_mtime_ns != when)
    assert redrawn == ["alpha/funnel-position.png", "beta/auditors.png", "beta/cases.png",
                       "beta/funnel-position.png", "beta/overall-judgements.png",
                       "beta/question-panels.png", "beta/questions.png",
                       "cross-council/funnel-judgements.png",
                       "cross-council/funnel-ratings.png", "cross-council/heatmap.png",
                       "cross-council/judgements.png", "gamma/funnel-position.png"]
    metrics = json.loads((tmp_path / "reports/2024/beta/metrics.json").read_text())
    assert metrics["overall_counts"]["Requires Improvement"] == 1

    forced = _run(folder, questions, tmp_path, force=True)
    assert len(_rendered(forced)) == 7 and _skipped(forced) == []
    assert html.stat().st_mtime_ns != stamp


def test_a_deleted_report_is_made_again(tmp_path):
    folder, questions = write_small_programme(tmp_path)
    _run(folder, questions, tmp_path, councils=["Gamma"])
    target = tmp_path / "reports/2024/gamma/leadership.html"
    target.unlink()
    summary = _run(folder, questions, tmp_path, councils=["Gamma"])
    assert _rendered(summary) == ["Gamma 2024 leadership"]
    assert target.exists()


def test_workers_start_early_only_when_something_may_have_changed(tmp_path, monkeypatch):
    from review_lib.batch import run as batch

    starts = []
    real_start, real_submit = batch._Workers.start, batch._Workers.submit

    def start(self):
        starts.append("early" if self.pool is None else "again")
        real_start(self)

    def submit(self, plan, **options):
        starts.append("submit")
        real_submit(self, plan, **options)

    monkeypatch.setattr(batch._Workers, "start", start)
    monkeypatch.setattr(batch._Workers, "submit", submit)
    folder, questions = write_small_programme(tmp_path)
    assert not _run(folder, questions, tmp_path, councils=["Alpha"]).failed
    assert starts[:2] == ["early", "submit"]  # a first run: workers start with the run
    starts.clear()
    assert _rendered(_run(folder, questions, tmp_path, councils=["Alpha"])) == []
    assert starts == []  # nothing changed: no worker is started at all
    (tmp_path / "reports/2024/alpha/leadership.html").unlink()
    assert _rendered(_run(folder, questions, tmp_path, councils=["Alpha"])) == [
        "Alpha 2024 leadership"]  # still made again, with workers started when needed
    assert starts[0] == "submit"
    starts.clear()
    write_small_council(folder, "Alpha", [["G", "RI", "G", "G"]] * 6)
    _run(folder, questions, tmp_path, councils=["Alpha"])
    assert starts[:2] == ["early", "submit"]


def test_workers_start_before_the_run_imports_pandas_or_scipy(tmp_path):
    """Workers take about a second to prepare: they start before the parent does anything
    heavy, which had held them back by a third of a second (pandas and scipy, imported to
    check the funnel method's name)."""
    code = (
        "import sys\n"
        "from review_lib.batch import run as batch\n"
        "class Started(Exception):\n"
        "    pass\n"
        "def start(self):\n"
        "    print(sorted(m for m in ('pandas', 'scipy', 'numpy', 'matplotlib')\n"
        "                 if m in sys.modules))\n"
        "    raise Started\n"
        "batch._Workers.start = start\n"
        "try:\n"
        f"    batch.run_batch(reports_dir={str(tmp_path / 'reports')!r})\n"
        "except Started:\n"
        "    pass\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path, check=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_interrupted_run_leaves_no_partial_outputs(tmp_path):
    folder, questions = write_small_programme(tmp_path)
    out = tmp_path / "reports"
    command = [sys.executable, "-m", "review_lib.cli", "run", "--data", str(folder),
               "--questions", str(questions), "--out", str(out), "--figures",
               str(tmp_path / "figures"), "--jobs", "2"]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=_ctrl_c_stops_it)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.rglob("*.html")):
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "Traceback" not in stderr
    assert not [p for p in out.rglob("*") if ".part" in p.name]
    # Its scratch folder, with the prepared read of the data, went with it.
    assert _scratch_of(process.pid) == []
    for page in out.rglob("*.html"):
        assert page.read_text().rstrip().endswith("</html>"), page
    for data in out.rglob("*.json"):
        json.loads(data.read_text())
    # A rerun (the same run, in this process, with its workers already prepared) finishes
    # the job and leaves the reports complete.
    finished = _run(folder, questions, tmp_path)
    assert not finished.failed, [o.message for o in finished.outcomes if not o.ok]
    assert len(list(out.rglob("*.html"))) == 8  # 6 council reports, cross-council, index


def _scratch_of(pid: int) -> list[Path]:
    """The scratch folders of the run with this process id that are still there."""
    import tempfile

    from review_lib.batch.scratch import SCRATCH_OWNER, SCRATCH_PREFIX

    found = []
    for scratch in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        try:
            if (scratch / SCRATCH_OWNER).read_text().strip() == str(pid):
                found.append(scratch)
        except OSError:
            continue
    return found


def test_a_terminated_run_removes_its_prepared_read(tmp_path):
    folder, questions = write_small_programme(tmp_path)
    out = tmp_path / "reports"
    process = subprocess.Popen(
        [sys.executable, "-m", "review_lib.cli", "run", "--data", str(folder), "--questions",
         str(questions), "--out", str(out), "--figures", str(tmp_path / "figures"),
         "--jobs", "1"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.rglob("*.html")):
        time.sleep(0.05)
    assert _scratch_of(process.pid)  # the run is under way, with its scratch folder
    process.terminate()  # SIGTERM, to the run alone
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0 and "Traceback" not in stderr
    assert _scratch_of(process.pid) == []


def test_cli_exit_status_and_summary_for_an_invalid_file(tmp_path):
    folder, questions = write_small_programme(tmp_path)
    (folder / "delta.csv").write_text(
        "Council,Cycle,Case,Auditor,A1,A2,A3,Overall judgement\n"
        "Delta,2024,D1,PSW A,Good,Gd,Good,Good\n")
    result = subprocess.run(
        [sys.executable, "-m", "review_lib.cli", "run", "--data", str(folder), "--questions",
         str(questions), "--out", str(tmp_path / "reports"), "--figures",
         str(tmp_path / "figures"), "--council", "Alpha"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "INVALID programme/delta.csv" in result.stdout
    assert "row 2, column 'A2'" in result.stdout and "'Gd' is not a rating" in result.stdout
    assert (tmp_path / "reports/2024/alpha/leadership.html").exists()
    logs = list((tmp_path / "reports" / "logs").glob("run-*.log"))
    assert logs and "invalid: programme/delta.csv" in logs[0].read_text()
    assert str(tmp_path) not in logs[0].read_text()


def test_watch_renders_again_after_a_change_and_stops_cleanly_on_ctrl_c(tmp_path):
    import psutil

    folder, questions = write_small_programme(tmp_path)
    out = tmp_path / "reports"
    command = [sys.executable, "-m", "review_lib.cli", "run", "--data", str(folder),
               "--questions", str(questions), "--out", str(out), "--figures",
               str(tmp_path / "figures"), "--jobs", "2", "--watch"]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, start_new_session=True,
                               preexec_fn=_ctrl_c_stops_it)
    lines: list[str] = []

    def wait_for_watching(count: int) -> None:
        while sum("Watching" in line for line in lines) < count:
            line = process.stdout.readline()
            assert line, "the watch stopped early:\n" + "".join(lines)
            lines.append(line)

    try:
        wait_for_watching(1)
        assert any("7 report(s) written" in line for line in lines)
        beta = out / "2024/beta/distributions.html"
        alpha = out / "2024/alpha/distributions.html"
        before = (beta.stat().st_mtime_ns, alpha.stat().st_mtime_ns)
        helpers = psutil.Process(process.pid).children(recursive=True)
        assert len(helpers) >= 2  # the workers (and their fork server) kept while watching
        write_small_council(folder, "Beta", [["G", "G", "G", "G"]] * 6, auditor="Reviewer")
        wait_for_watching(2)
        assert "3 report(s) written, 4 already up to date" in "".join(lines[-4:])
        assert beta.stat().st_mtime_ns != before[0]
        assert alpha.stat().st_mtime_ns == before[1]
        # The same worker processes did the work, and no other was started.
        assert all(p.is_running() for p in helpers)
        assert {p.pid for p in psutil.Process(process.pid).children(recursive=True)} == {
            p.pid for p in helpers}
        os.killpg(process.pid, signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0
    assert "Stopped watching." in rest
    _, alive = psutil.wait_procs(helpers, timeout=10)
    assert not alive, alive  # no worker or server outlives the run
    assert not [p for p in out.rglob("*") if ".part" in p.name]


def test_reports_with_most_to_draw_start_first(tmp_path):
    from review_lib.batch.fingerprints import longest_first
    from review_lib.batch.jobs import Job

    def job(notebook: str, name: str, stamped: str | None, drawing: str) -> Job:
        made = Job(notebook, name, "2024", {}, str(tmp_path), str(tmp_path / name), notebook,
                   name)
        made.drawing_inputs = drawing
        if stamped is not None:
            (tmp_path / name).mkdir()
            made.stamp.write_text(f"fingerprint\n{stamped}\n")
        return made

    text_only = job("council_leadership", "a", "same", "same")  # only its funnel changed
    never_made = job("council_leadership", "b", None, "new")
    old_stamp = job("council_distributions", "c", None, "new")
    (tmp_path / "c").mkdir()
    old_stamp.stamp.write_text("fingerprint\n")  # written before stamps held more
    redrawn = job("council_distributions", "d", "before", "after")
    cross = job("cross_council", "e", "before", "after")
    order = longest_first([text_only, never_made, old_stamp, redrawn, cross])
    assert [j.out_dir[-1] for j in order] == ["e", "c", "d", "b", "a"]


def test_the_figures_thread_reports_a_failure_instead_of_raising(monkeypatch, tmp_path):
    """The figures (metrics.json) are worked out beside the workers; anything that goes
    wrong there is said in the run's summary, never a traceback from the thread."""
    import review_lib.data.notes as notes
    from review_lib.batch import run
    from review_lib.batch.jobs import RunSummary
    from review_lib.data.loading import load_programme
    from review_lib.paths import SAMPLE_DIR

    def broken(*args, **kwargs):
        raise RuntimeError("notes folder vanished")

    monkeypatch.setattr(notes, "read_programme_notes", broken)
    programme = load_programme(SAMPLE_DIR)
    summary = RunSummary()
    run._write_figures(summary=summary, selected=programme.in_cycle("2022-24").reviews[:2],
                       programme=programme, cycles=["2022-24"], method="exact",
                       data=SAMPLE_DIR, reports_dir=tmp_path / "reports", prepared=None)
    assert summary.messages == ["The figures files (metrics.json) could not all be written "
                                "(RuntimeError: notes folder vanished)."]


def test_a_customised_notebook_that_patches_the_library_leaves_the_next_one_alone(tmp_path):
    folder, questions = write_small_programme(tmp_path)
    # Each council notebook says whether it finds the library patched, then patches it: a
    # notebook rendered after another in the same worker would find the earlier patch.
    patch = ("import review_lib.files\n"
             "print('found patched by:', getattr(review_lib.files.slug, 'patched_by', None))\n"
             "def slug(text, _slug=review_lib.files.slug):\n"
             "    return _slug(text)\n"
             "slug.patched_by = council\n"
             "review_lib.files.slug = slug")
    notebooks = _customised_notebooks(tmp_path, "section.title(", {
        "council_distributions": patch, "council_leadership": patch})
    summary = run_batch(data=folder, questions=questions, reports_dir=tmp_path / "reports",
                        figures_dir=tmp_path / "figures", jobs=1, notebooks_dir=notebooks)
    assert not summary.failed, [o.message for o in summary.outcomes if not o.ok]
    executed = sorted((tmp_path / "reports" / "2024").glob("*/*.ipynb"))
    assert len(executed) == 6
    for path in executed:
        printed = "".join(str(output.get("text", "")) for cell in
                          nbformat.read(str(path), as_version=4).cells
                          for output in cell.get("outputs", []))
        assert "found patched by: None" in printed, (path, printed)


def _ctrl_c_stops_it() -> None:
    """In the child, before it starts: SIGINT's default action, as a terminal's Ctrl-C finds
    it, even where the tests were started in the background (a shell starts background jobs
    with SIGINT ignored, and Python then leaves it ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
