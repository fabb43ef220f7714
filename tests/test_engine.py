"""The reused-kernel papermill engine: one kernel, notebook after notebook, nothing carried."""

from __future__ import annotations

import nbformat
import papermill as pm
import pytest

from review_lib.engine import ENGINE_NAME, WorkerKernel

pytestmark = pytest.mark.slow


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, str(path))
    return path


def test_one_kernel_runs_notebooks_without_carrying_names_or_counts(tmp_path):
    first = _notebook(tmp_path / "first.ipynb", "leftover = 41", "leftover + 1")
    second = _notebook(tmp_path / "second.ipynb",
                       "import os\nassert 'leftover' not in globals(), 'name carried over'\n"
                       "assert not Out, 'output cache carried over'\nos.getcwd()",
                       "os.environ.get('REVIEW_TEST_FLAG')")
    kernel = WorkerKernel()
    try:
        kernel.prepare(str(tmp_path), {"REVIEW_TEST_FLAG": "first"}, ())
        pid = kernel.km.provisioner.process.pid
        one = pm.execute_notebook(str(first), None, engine_name=ENGINE_NAME,
                                  kernel_name="python3", progress_bar=False,
                                  km=kernel.km, kc=kernel.execution_client())
        assert one.cells[1].outputs[0]["data"]["text/plain"] == "42"
        workdir = tmp_path / "elsewhere"
        workdir.mkdir()
        kernel.prepare(str(workdir), {"REVIEW_TEST_FLAG": "second"}, ())
        two = pm.execute_notebook(str(second), None, engine_name=ENGINE_NAME,
                                  kernel_name="python3", progress_bar=False,
                                  km=kernel.km, kc=kernel.execution_client())
        # The same kernel process ran both, and the second saw only its own job's state.
        assert kernel.km.provisioner.process.pid == pid
        assert [c.execution_count for c in two.cells] == [1, 2]
        assert two.cells[0].outputs[0]["data"]["text/plain"] == repr(str(workdir))
        assert two.cells[1].outputs[0]["data"]["text/plain"] == "'second'"
    finally:
        kernel.shutdown()


def test_a_dead_kernel_is_started_again_for_the_next_job(tmp_path):
    kernel = WorkerKernel()
    try:
        kernel.prepare(str(tmp_path), {}, ())
        kernel.km.provisioner.process.kill()
        kernel.km.provisioner.process.wait()
        kernel.prepare(str(tmp_path), {}, ())  # notices the dead kernel and starts another
        assert kernel.km.is_alive()
    finally:
        kernel.shutdown()


def test_a_cell_over_its_time_limit_is_stopped_and_a_dying_kernel_reported(tmp_path):
    import threading
    import time

    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    slow = _notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(60)")
    kernel = WorkerKernel()
    try:
        kernel.prepare(str(tmp_path), {}, ())
        start = time.monotonic()
        with pytest.raises(CellTimeoutError):  # a silent cell: no output to wake the wait
            pm.execute_notebook(str(slow), None, engine_name=ENGINE_NAME,
                                kernel_name="python3", progress_bar=False,
                                execution_timeout=2, km=kernel.km,
                                kc=kernel.execution_client())
        assert time.monotonic() - start < 20
        kernel.shutdown()
        kernel.prepare(str(tmp_path), {}, ())
        process = kernel.km.provisioner.process
        threading.Timer(1.0, process.kill).start()
        start = time.monotonic()
        with pytest.raises(DeadKernelError):
            pm.execute_notebook(str(slow), None, engine_name=ENGINE_NAME,
                                kernel_name="python3", progress_bar=False, km=kernel.km,
                                kc=kernel.execution_client())
        assert time.monotonic() - start < 20
    finally:
        kernel.shutdown()
