"""The worker processes of ``practice-review run``: each executes notebooks itself.

Where the platform offers it (Linux, macOS), one fork server starts with the run and, while
the run reads the data, imports what notebooks and the HTML export need, makes the notebook
shell and compiles the report templates (:func:`prepare`, via
:mod:`review_lib.batch.preload`); each worker is a fork of it, ready at once. Elsewhere,
and after a change of library code under ``--watch``, each worker is a new interpreter that
prepares itself. A worker takes jobs one at a time, executing each notebook in its IPython
shell (:mod:`review_lib.batch.engine`) and exporting it; each notebook is given the run's
prepared read of the data as its ``prepared`` parameter
(:func:`review_lib.report.context.write_prepared`). The parent hands out jobs, longest
first, and watches every worker:

- a worker that ran a customised notebook (``--notebooks``) is replaced by a fresh fork
  after it, since the notebook may have patched the library in its process;

- a worker that dies (a crash, ``os._exit``, the out-of-memory killer) fails only the job
  it was running, reported as such, and another worker takes its place for the rest; a
  worker that dies before it begins its first notebook failed to start: another is
  started and the job handed on (once), and when more workers have failed to start than
  there are workers, the jobs left are reported as not run;
- a cell past its time limit is stopped inside the worker, which then makes way for a
  fresh one (the stopped cell may have left things half-done); if the cell does not stop
  (stuck in C code), the parent kills the worker :data:`GRACE` seconds later and reports
  the timeout;
- stopping (the run is done, Ctrl-C, a change of library code under ``--watch``) kills the
  workers at once; files are only ever renamed into place whole, so none is half-written.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import signal
import sys
import time
from multiprocessing.connection import wait

#: Seconds past a cell's time limit after which the parent kills a worker whose cell did
#: not stop when told.
GRACE = 10.0

#: Modules notebooks and the export use, imported by each worker before its first job
#: (scipy, which only the cross-council report needs, is left to the worker that runs it).
PRELOAD = ("review_lib.report.council", "review_lib.report.cross", "review_lib.report.wording",
           "IPython.display", "papermill", "nbconvert.exporters.html", "review_lib.report.export",
           "review_lib.batch.engine")


def _worker_main(connection, verbose: bool) -> None:
    """A worker's life: prepare, then run each job received until told to stop.

    Ctrl-C is left to the parent, which stops the workers itself. The worker's own stderr
    (import-time chatter) is silenced unless verbose; notebooks still see warnings as a
    kernel would show them (:mod:`review_lib.batch.engine`).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.modules.setdefault("rfc3987_syntax", None)  # see prepare()
    if not verbose:
        import warnings

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        import review_lib.batch.engine  # noqa: F401 - records the warnings filters first

        warnings.filterwarnings("ignore")
    import threading

    from tqdm import std

    # papermill's progress bars (--verbose) would otherwise make a multiprocessing lock,
    # which a worker stopped with SIGKILL never returns (and Python then warns about).
    std.tqdm.set_lock(threading.RLock())
    started = time.perf_counter()
    prepare()  # nothing left to do in a worker forked from the prepared fork server
    connection.send(("ready", time.perf_counter() - started))
    from review_lib.batch.engine import InProcessEngine
    from review_lib.batch.jobs import execute_job
    from review_lib.report.context import _held_inputs

    InProcessEngine.on_cell_start = lambda index: connection.send(("cell", index))
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):  # the parent has gone
            return
        if message is None:
            return
        job, options = message
        held = _held_inputs()
        outcome = execute_job(job, **options)
        if _held_inputs() != held:
            _freeze_inputs()
        try:
            connection.send(("done", outcome))
        except OSError:
            return
        if outcome.spoilt_worker:  # the parent puts a fresh worker in this one's place
            return


def _freeze_inputs() -> None:
    """Freeze the run's read and analyses once a job has loaded them (or new ones).

    They stay in the worker for the rest of the run, and at national scale they are most
    of its objects: every full collection (one every few jobs) scanned them all, about a
    tenth of a worker's time. What was frozen before is let go first, so that a read the
    new one replaced (``--watch``) is collected, not kept for ever.
    """
    import gc

    gc.unfreeze()
    gc.collect()
    gc.freeze()


_PREPARED = False


def prepare() -> None:
    """Import what the notebooks need, make the shell, and freeze the libraries in memory.

    Done once per process (a worker forked from the fork server inherits it done). The
    garbage collector is off meanwhile (imports make many objects and no cycles worth
    collecting), and what exists afterwards is frozen (``gc.freeze``): the collector then
    never scans the libraries' objects while notebooks run, nor, in a fork, touches the
    memory it shares with the server.
    """
    global _PREPARED
    if _PREPARED:
        return
    import gc
    import importlib

    gc.disable()
    try:
        # jsonschema (via nbformat) builds an IRI grammar on import when rfc3987_syntax is
        # installed, about a second per process; notebook schemas use no IRI formats.
        sys.modules.setdefault("rfc3987_syntax", None)
        from review_lib.batch.engine import notebook_shell

        notebook_shell()  # before matplotlib is used, so its inline backend finds the shell
        for module in PRELOAD:
            importlib.import_module(module)
        from review_lib.report.export import warm_up

        warm_up()  # compiles the report templates and the HTML checks' selectors
        gc.freeze()
    finally:
        gc.enable()
    _PREPARED = True


class _Worker:
    """The parent's view of one worker process."""

    def __init__(self, context, verbose: bool):
        parent_end, child_end = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child_end, verbose),
                                       daemon=True, name="practice-review-worker")
        self.process.start()
        child_end.close()
        self.connection = parent_end
        self.job = None
        self.deadline = None
        self.started_job = False  # the current job's first cell has begun
        self.finished_one = False

    def describe_death(self) -> str:
        """How the process ended, for the run summary."""
        self.process.join(timeout=1)
        code = self.process.exitcode
        if code is None:
            return "stopped answering"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"was killed ({name})"
        return f"exited with status {code}"

    def kill(self) -> None:
        """Kill the process now."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=10)
        self.connection.close()


class WorkerPool:
    """Worker processes that execute notebooks, watched by the parent.

    Workers are forked from a fork server that has prepared once what they all need
    (:mod:`review_lib.batch.preload`), where the platform has one; otherwise, or with
    ``fresh``, each is a new interpreter that prepares itself.

    Parameters
    ----------
    count : int
        Number of workers.
    verbose : bool, default False
        Let the workers print papermill's per-cell progress and the notebooks' output.
    fresh : bool, default False
        Start every worker as a new interpreter, importing the library afresh (after the
        library's code has changed: the fork server holds the code it started with).
    """

    def __init__(self, count: int, *, verbose: bool = False, fresh: bool = False):
        self.count = max(1, count)
        self.verbose = verbose
        forkserver = "forkserver" in multiprocessing.get_all_start_methods() and not fresh
        self.method = "forkserver" if forkserver else "spawn"
        self.context = multiprocessing.get_context(self.method)
        self.workers: list[_Worker] = []
        self.start_failures = 0
        self.requeued: set[int] = set()
        self.log = None  # called with a line for the run's log

    def start(self) -> None:
        """Start preparing workers in the background, without waiting.

        With a fork server, the server is started (it prepares, and workers are forked
        from it when jobs come); otherwise the workers themselves are started. Workers that
        died while idle (under ``--watch``, between passes) are replaced.
        """
        for worker in [w for w in self.workers if not w.process.is_alive()]:
            worker.kill()
            self.workers.remove(worker)
        if self.method == "forkserver":
            from multiprocessing import forkserver

            forkserver.set_forkserver_preload(["review_lib.batch.preload"])
            forkserver.ensure_running()
        else:
            self._fill()

    def _fill(self) -> None:
        while len(self.workers) < self.count:
            self.workers.append(_Worker(self.context, self.verbose))

    def run(self, jobs: list, *, options: dict, timeout: float, on_outcome, failure) -> None:
        """Run every job, calling ``on_outcome`` with each result as it arrives.

        Parameters
        ----------
        jobs : list
            The jobs, in the order they should start.
        options : dict
            Keyword arguments for :func:`review_lib.batch.execute_job`.
        timeout : float
            Per-cell time limit in seconds (the parent's backstop adds :data:`GRACE`).
        on_outcome : callable
            Called with each job's outcome.
        failure : callable
            ``failure(job, message)`` makes the outcome of a job its worker did not finish.
        """
        self.start()
        self._fill()  # with a fork server, waits for it to be prepared
        queue = collections.deque(jobs)
        while queue or any(w.job is not None for w in self.workers):
            for worker in self.workers:
                if worker.job is None and queue:
                    worker.job = queue.popleft()
                    worker.deadline, worker.started_job = None, False
                    try:
                        worker.connection.send((worker.job, options))
                    except OSError:
                        pass  # it has died: found below
            waitables = {}
            for worker in self.workers:
                waitables[worker.connection] = worker
                waitables[worker.process.sentinel] = worker
            # A short wait, again and again, so that Ctrl-C is noticed promptly.
            for ready in wait(list(waitables), timeout=0.2):
                worker = waitables[ready]
                if worker not in self.workers:
                    continue  # already replaced in this round
                if ready is worker.connection:
                    self._receive(worker, timeout, on_outcome, failure, queue)
                elif not worker.process.is_alive() or worker.process.exitcode is not None:
                    self._receive_all(worker, timeout, on_outcome, failure, queue)
                    if worker in self.workers:
                        self._died(worker, f"the process running it {worker.describe_death()}",
                                   on_outcome, failure, queue)
            now = time.monotonic()
            for worker in list(self.workers):
                if worker.job is not None and worker.deadline and now > worker.deadline:
                    worker.kill()
                    self._died(worker, f"a cell ran for more than {timeout:g} s and did not "
                                       "stop when told; its process was killed",
                               on_outcome, failure, queue)

    def _receive_all(self, worker, timeout, on_outcome, failure, queue) -> None:
        """Read whatever a worker sent before it ended."""
        try:
            while worker.connection.poll():
                self._receive(worker, timeout, on_outcome, failure, queue)
        except (EOFError, OSError):
            pass

    def _receive(self, worker, timeout, on_outcome, failure, queue) -> None:
        try:
            kind, value = worker.connection.recv()
        except (EOFError, OSError):  # the worker died: its sentinel says so next
            if worker.process.is_alive():
                worker.process.join(timeout=1)
            if not worker.process.is_alive() and worker in self.workers:
                self._died(worker, f"the process running it {worker.describe_death()}",
                           on_outcome, failure, queue)
            return
        if kind == "ready":
            if self.log:
                prepared = f" (prepared in {value:.1f} s)" if value >= 0.05 else ""
                self.log(f"worker {worker.process.pid} ready{prepared}")
        elif kind == "cell":
            worker.started_job = True
            worker.deadline = time.monotonic() + timeout + GRACE if timeout else None
        elif kind == "done":
            worker.job, worker.deadline, worker.finished_one = None, None, True
            on_outcome(value)
            if getattr(value, "spoilt_worker", False):  # it is exiting: replace it now
                worker.kill()
                self.workers.remove(worker)
                self.workers.append(_Worker(self.context, self.verbose))

    def _died(self, worker: _Worker, message: str, on_outcome, failure, queue) -> None:
        """Report the dead worker's job, and put another worker in its place.

        A worker that dies before it began any notebook failed to start: its job goes back
        to the front of the queue (once) and another worker is started; when more workers
        have failed to start than there are workers, the jobs left are reported as not run.
        """
        worker.kill()
        self.workers.remove(worker)
        job = worker.job
        if not worker.finished_one and (job is None or not worker.started_job):
            self.start_failures += 1
            if job is not None and id(job) not in self.requeued:
                self.requeued.add(id(job))
                queue.appendleft(job)
                job = None
        if job is not None:
            on_outcome(failure(job, message))
        if self.start_failures > self.count:
            while queue:
                on_outcome(failure(queue.popleft(),
                                   f"not run: no worker process could start ({message})"))
            return
        self.workers.append(_Worker(self.context, self.verbose))

    def stop(self) -> None:
        """Stop every worker now (they hold nothing that needs an orderly exit)."""
        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.kill()
        for worker in self.workers:
            worker.process.join(timeout=10)
            worker.connection.close()
        self.workers = []


__all__ = ["GRACE", "PRELOAD", "WorkerPool"]
