"""The in-process papermill engine and the worker processes that use it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import nbformat
import papermill as pm
import pytest

from review_lib.batch.engine import ENGINE_NAME, CellTimeoutError
from review_lib.batch.jobs import Job, Outcome

pytestmark = pytest.mark.slow


def _notebook(path, *sources, tags=None):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    for index, cell_tags in (tags or {}).items():
        nb.cells[index].metadata["tags"] = cell_tags
    nbformat.write(nb, str(path))
    return path


def _execute(path, **options):
    return pm.execute_notebook(str(path), None, engine_name=ENGINE_NAME,
                               kernel_name="python3", progress_bar=False, **options)


def test_notebooks_run_one_after_another_without_carrying_names_or_counts(tmp_path):
    first = _notebook(tmp_path / "first.ipynb", "leftover = 41", "leftover + 1")
    second = _notebook(tmp_path / "second.ipynb",
                       "import os\nassert 'leftover' not in globals(), 'name carried over'\n"
                       "assert not Out, 'output cache carried over'\nos.getcwd()",
                       "len(In)")
    one = _execute(first)
    assert one.cells[1].outputs[0]["data"]["text/plain"] == "42"
    assert one.cells[1].outputs[0]["execution_count"] == 2
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    two = _execute(second, cwd=str(workdir))
    assert [c.execution_count for c in two.cells] == [1, 2]
    assert two.cells[0].outputs[0]["data"]["text/plain"] == repr(str(workdir))
    assert two.cells[1].outputs[0]["data"]["text/plain"] == "3"  # '' and its own 2 cells
    assert os.getcwd() != str(workdir)  # papermill's cwd applies only while executing
    assert two.metadata["language_info"]["name"] == "python"


def test_outputs_are_recorded_as_a_kernel_would_send_them(tmp_path):
    import warnings

    path = _notebook(
        tmp_path / "outputs.ipynb",
        "print('one'); print('two')\nimport sys; print('problem', file=sys.stderr)",
        "from IPython.display import HTML, display\ndisplay(HTML('<b>shown</b>'))\n"
        "HTML('<i>result</i>')",
        "1;",
        "import warnings\nwarnings.warn('careful now')",
        "get_ipython().run_line_magic('time', 'x = 1')",
        "def broken():\n    raise ValueError('no good')\nbroken()",
        tags={5: ["raises-exception"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as a quiet worker has it: notebooks still warn
        with pytest.raises(pm.PapermillExecutionError) as raised:
            _execute(path)
    assert raised.value.ename == "ValueError" and raised.value.evalue == "no good"
    nb = nbformat.read(str(tmp_path / "outputs.ipynb"), as_version=4)  # the input, intact
    assert all(not c.outputs for c in nb.cells)

    executed = _execute(_notebook(tmp_path / "ok.ipynb", *[c.source for c in nb.cells[:5]]))
    streams = executed.cells[0].outputs
    assert [(o.output_type, o.name, o.text) for o in streams] == [
        ("stream", "stdout", "one\ntwo\n"), ("stream", "stderr", "problem\n")]
    display, result = executed.cells[1].outputs
    assert display.output_type == "display_data"
    assert display.data["text/html"] == "<b>shown</b>"
    assert result.output_type == "execute_result" and result.execution_count == 2
    assert result.data["text/html"] == "<i>result</i>"
    assert executed.cells[2].outputs == []  # a trailing semicolon shows nothing
    warning = executed.cells[3].outputs[0]
    assert warning.name == "stderr" and "UserWarning: careful now" in warning.text
    assert "Wall time" in executed.cells[4].outputs[0].text


def test_a_figure_left_open_is_shown_inline_as_in_jupyter(tmp_path):
    path = _notebook(tmp_path / "figure.ipynb",
                     "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2]);")
    script = textwrap.dedent(f"""
        import papermill as pm
        import review_lib.batch.engine
        nb = pm.execute_notebook({str(path)!r}, None, engine_name="review_lib_inprocess",
                                 kernel_name="python3", progress_bar=False)
        print(sorted(nb.cells[0].outputs[0].data))
    """)
    environment = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=environment, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['image/png', 'text/plain']"


def test_a_cell_over_its_time_limit_is_stopped_even_if_it_catches_exceptions(tmp_path):
    slow = _notebook(tmp_path / "slow.ipynb", "x = 1",
                     "import time\ntry:\n    time.sleep(60)\nexcept Exception:\n    pass",
                     "never_reached = True")
    # Stopped by the limit: a cell left to sleep its 60 s, or whose stop it caught, would
    # end without an error (and the next cell would run).
    with pytest.raises(CellTimeoutError) as raised:
        _execute(slow, execution_timeout=1)
    assert raised.value.cell_index == 1
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no alarm left set
    quick = _execute(_notebook(tmp_path / "quick.ipynb", "x = 2"), execution_timeout=60)
    assert quick.cells[0].execution_count == 1
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # cleared after each cell
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.default_int_handler,
                                                None)


def _job(tmp_path, name: str, source: str) -> Job:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir(exist_ok=True)
    _notebook(notebooks / f"{name}.ipynb", source)
    return Job(name, "Test", "2024", {}, str(tmp_path), str(tmp_path / "out"), name,
               f"Test {name}", notebooks_dir=str(notebooks))


def _run_pool(jobs, *, count=1, timeout=600):
    from review_lib.batch.workers import WorkerPool

    outcomes = []
    pool = WorkerPool(count)
    try:
        pool.run(jobs, options={"timeout": timeout}, timeout=timeout,
                 on_outcome=outcomes.append,
                 failure=lambda job, message: Outcome(job, False, message=message))
        pids = [w.process.pid for w in pool.workers]
    finally:
        pool.stop()
    return {o.job.html_name: o for o in outcomes}, pids


def test_a_worker_that_dies_fails_only_its_job_and_is_replaced(tmp_path):
    jobs = [_job(tmp_path, "dies", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
            _job(tmp_path, "after", "'fine'")]
    outcomes, pids = _run_pool(jobs)
    assert not outcomes["dies"].ok
    assert "the process running it was killed (SIGKILL)" in outcomes["dies"].message
    assert outcomes["after"].ok, outcomes["after"].message
    assert (tmp_path / "out" / "after.html").exists()
    assert not (tmp_path / "out" / "dies.html").exists()
    assert len(pids) == 1  # one worker, in place of the one that died


def test_a_cell_that_ignores_its_time_limit_has_its_worker_killed(tmp_path, monkeypatch):
    from review_lib.batch import workers

    monkeypatch.setattr(workers, "GRACE", 1.0)
    stuck = _job(tmp_path, "stuck", "import signal, time\n"
                                    "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                                    "time.sleep(60)")
    # Killed: left to sleep its 60 s, the notebook would have succeeded.
    outcomes, _ = _run_pool([stuck, _job(tmp_path, "next", "1")], timeout=1)
    assert not outcomes["stuck"].ok
    assert "ran for more than 1 s and did not stop" in outcomes["stuck"].message
    assert outcomes["next"].ok


class _ExitsWhenUnpickled:
    """A job parameter that ends the worker process as it receives the job."""

    def __reduce__(self):
        return (os._exit, (3,))


def test_a_worker_that_dies_before_its_first_notebook_is_started_once_more(tmp_path):
    from review_lib.batch.workers import WorkerPool

    doomed = _job(tmp_path, "doomed", "1")
    doomed.parameters = {"x": _ExitsWhenUnpickled()}
    waiting = _job(tmp_path, "waiting", "2")
    outcomes = []
    pool = WorkerPool(1)
    try:
        pool.run([doomed, waiting], options={"timeout": 60}, timeout=60,
                 on_outcome=outcomes.append,
                 failure=lambda job, message: Outcome(job, False, message=message))
    finally:
        pool.stop()
    by_name = {o.job.html_name: o.message for o in outcomes}
    # The job went back to the queue once; the second worker died the same way, and with
    # no worker able to start, the job left is reported rather than waited for forever.
    assert pool.start_failures == 2
    assert by_name["doomed"] == "the process running it exited with status 3"
    assert by_name["waiting"].startswith("not run: no worker process could start")
    assert not any(o.ok for o in outcomes)


def test_a_report_notebook_gives_what_a_jupyter_kernel_gives(tmp_path):
    """The same notebook, parameters and data, through papermill's own engine (a kernel)."""
    from conftest import write_small_programme

    from review_lib.paths import ENV_FIGURES, ENV_QUESTIONS, NOTEBOOKS_DIR

    folder, questions = write_small_programme(tmp_path)
    parameters = {"council": "Alpha", "cycle": "2024", "data_dir": folder.name}
    saved = {name: os.environ.get(name) for name in (ENV_QUESTIONS, ENV_FIGURES)}
    os.environ[ENV_QUESTIONS] = str(questions)  # the kernel inherits it
    results = []
    try:
        for name, engine in (("kernel", {}), ("in-process", {"engine_name": ENGINE_NAME})):
            # Each draws its own charts (none is read back from the other's folder).
            os.environ[ENV_FIGURES] = str(tmp_path / f"figures-{name}")
            results.append(pm.execute_notebook(
                str(NOTEBOOKS_DIR / "council_leadership.ipynb"), None, parameters=parameters,
                kernel_name="python3", progress_bar=False, cwd=str(tmp_path), **engine))
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.update({name: value})
    kernel, in_process = results
    assert in_process.metadata["language_info"] == kernel.metadata["language_info"]
    assert len(in_process.cells) == len(kernel.cells)
    for ours, theirs in zip(in_process.cells, kernel.cells, strict=True):
        if ours.cell_type == "code":
            assert ours.execution_count == theirs.execution_count
            assert ours.outputs == theirs.outputs, ours.source
    assert any(o.output_type == "execute_result" for c in in_process.cells
               for o in c.get("outputs", []))
    assert list((tmp_path / "figures-in-process").rglob("*.png"))


def test_a_notebook_imports_modules_from_its_working_folder_as_in_a_kernel(tmp_path):
    (tmp_path / "local_helpers.py").write_text("ANSWER = 42\n")
    job = _job(tmp_path, "imports", "import local_helpers\nlocal_helpers.ANSWER")
    outcomes, _ = _run_pool([job])
    assert outcomes["imports"].ok, outcomes["imports"].message


def test_after_a_cell_is_stopped_the_next_notebook_gets_a_fresh_worker(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()

    def noting_pid(name: str, then: str = "") -> Job:
        return _job(tmp_path, name, f"import os\nopen({str(pids / name)!r}, 'w')"
                                    f".write(str(os.getpid()))\n{then}")

    jobs = [noting_pid("first"), noting_pid("stuck", "import time\ntime.sleep(60)"),
            noting_pid("after")]
    outcomes, _ = _run_pool(jobs, timeout=2)
    assert [outcomes[name].ok for name in ("first", "stuck", "after")] == [True, False, True]
    pid = {name: (pids / name).read_text() for name in ("first", "stuck", "after")}
    assert pid["first"] == pid["stuck"] != pid["after"]




def test_a_worker_freezes_the_read_a_job_loaded_and_lets_a_replaced_one_go():
    """The run's read lives as long as a worker: frozen once loaded, not scanned again."""
    import gc

    from review_lib.batch import workers
    from review_lib.report import context

    held = context._held_inputs()
    context.open_review("Dudley", "2022-24")  # the sample's read, if not loaded already
    read = context._held_inputs()
    assert read[0] and (read != held or held[0])
    # Something that lived when the read was frozen and is let go later (an old read).
    replaced = [[] for _ in range(5000)]
    for item in replaced:
        item.append(item)  # cycles: only the collector frees them
    try:
        workers._freeze_inputs()
        frozen = gc.get_freeze_count()
        assert frozen > 5000
        del replaced, item
        workers._freeze_inputs()  # lets the frozen go first: the cycles are collected
        assert gc.get_freeze_count() < frozen - 4000
    finally:
        gc.unfreeze()
