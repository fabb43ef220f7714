"""A papermill engine that executes notebooks in the calling process, in an IPython shell.

Papermill's own engine starts a Jupyter kernel (a second Python process) for each notebook
and talks to it over ZeroMQ. A batch worker of ``practice-review run`` instead executes
notebook after notebook itself (:mod:`review_lib.batch.workers`): it already holds pandas,
matplotlib and the library, so no kernel process is started, no import is paid twice, and
no chart travels through a socket. What a kernel would have done for the notebook, this
engine does in-process:

- each code cell runs in one IPython shell (:class:`NotebookShell`), so magics,
  ``display()``, rich reprs, the output cache and matplotlib's inline figures behave as in
  Jupyter; its outputs (``stream``, ``display_data``, ``execute_result``, ``error``) are
  recorded in the notebook as nbclient would record them;
- between notebooks the namespace, output cache and execution count are cleared (as a
  fresh kernel would have them), and warnings filters are those the process started with;
  what a notebook changes beyond its namespace (a patched library function, matplotlib's
  settings) stays with the process, so a customised notebook (``--notebooks``) has a
  worker process of its own, replaced after it (``Job.own_process``);
- a cell running past its time limit is stopped (:class:`CellTimeout`, raised in the cell
  by an alarm signal, so this engine runs only in a process's main thread); the worker's
  parent also kills a worker whose cell ignores the alarm (stuck in C code);
- the ``raises-exception`` and ``skip-execution`` cell tags mean what they mean to nbclient.

A notebook that brings its process down (a crash, ``os._exit``) takes only its worker with
it; the parent reports it and starts another worker.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import threading
import warnings

from papermill.engines import Engine, papermill_engines

ENGINE_NAME = "review_lib_inprocess"


class CellTimeout(BaseException):
    """Raised inside a cell that ran past its time limit.

    A ``BaseException``, like ``KeyboardInterrupt``, so that a cell's own ``except Exception``
    does not swallow it.
    """


class CellTimeoutError(RuntimeError):
    """A cell ran past its time limit and was stopped.

    Parameters
    ----------
    cell_index : int
        Index of the cell in the executed notebook.
    timeout : float
        The limit, in seconds.
    """

    def __init__(self, cell_index: int, timeout: float):
        super().__init__(f"cell {cell_index + 1} ran for more than {timeout:g} s and was stopped")
        self.cell_index = cell_index
        self.timeout = timeout


class _CellOutputs:
    """Collects one cell's outputs in nbformat's shape, as nbclient records them."""

    def __init__(self, echo=None):
        self.outputs: list = []
        self.clear_before_next = False
        self.echo = echo  # called with each output (papermill's log_output)
        self.displays: dict[str, list] = {}  # display_id -> outputs showing it

    def begin(self, outputs: list) -> None:
        """Start collecting into a new cell's (empty) output list."""
        self.outputs = outputs
        self.clear_before_next = False

    def _add(self, output) -> None:
        if self.clear_before_next:
            self.outputs.clear()
            self.clear_before_next = False
        self.outputs.append(output)
        if self.echo:
            self.echo(output)

    def stream(self, name: str, text: str) -> None:
        """Text written to stdout or stderr (consecutive writes to one stream joined)."""
        from nbformat.v4 import new_output

        if not text:
            return
        last = self.outputs[-1] if self.outputs and not self.clear_before_next else None
        if last is not None and last.output_type == "stream" and last.name == name:
            last.text += text
            if self.echo:
                self.echo(new_output("stream", name=name, text=text))
            return
        self._add(new_output("stream", name=name, text=text))

    def display(self, data: dict, metadata: dict | None, transient: dict | None,
                update: bool) -> None:
        """A ``display_data`` output (or an update of an earlier one with the same id)."""
        from nbformat.v4 import new_output

        display_id = (transient or {}).get("display_id")
        if update:
            for output in self.displays.get(display_id, []):
                output.data, output.metadata = data, metadata or {}
            return
        output = new_output("display_data", data=data, metadata=metadata or {})
        if display_id:
            self.displays.setdefault(display_id, []).append(output)
        self._add(output)

    def result(self, data: dict, metadata: dict | None, execution_count: int) -> None:
        """The ``execute_result`` of a cell's last expression."""
        from nbformat.v4 import new_output

        self._add(new_output("execute_result", data=data, metadata=metadata or {},
                             execution_count=execution_count))

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        """An ``error`` output: the exception a cell raised."""
        from nbformat.v4 import new_output

        self._add(new_output("error", ename=ename, evalue=evalue, traceback=traceback))

    def clear(self, wait: bool) -> None:
        """``clear_output``: now, or (``wait``) when the next output arrives."""
        if wait:
            self.clear_before_next = True
        else:
            self.outputs.clear()


class _Stream(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` while a cell runs: text becomes stream outputs."""

    def __init__(self, name: str, sink: _CellOutputs):
        super().__init__()
        self.name = name
        self.sink = sink

    @property
    def encoding(self) -> str:
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.sink.stream(self.name, text)
        return len(text)


def _shell_class():
    """The shell classes, built on first use (IPython is imported only when needed)."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets import Type

    class _Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None,
                    update=False, **kwargs):
            self.shell.outputs.display(data, metadata, transient, update)

        def clear_output(self, wait=False):
            self.shell.outputs.clear(wait)

    class _DisplayHook(DisplayHook):
        def start_displayhook(self):
            pass

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            self.shell.outputs.result(format_dict, md_dict, self.prompt_count)

        def finish_displayhook(self):
            pass

    class NotebookShell(InteractiveShell):
        """An IPython shell whose outputs become notebook outputs."""

        displayhook_class = Type(_DisplayHook)
        display_pub_class = Type(_Publisher)

        def _showtraceback(self, etype, evalue, stb):
            self.outputs.error(etype.__name__, str(evalue), list(stb))

        system = InteractiveShell.system_piped  # `!command` output lands in the cell

    return NotebookShell


_SHELL = None
_WARNING_FILTERS = list(warnings.filters)  # as the process started, before any silencing


def notebook_shell():
    """The process's notebook shell (made on first use; a kernel's, without the kernel).

    The shell keeps no history on disk. If no matplotlib backend is chosen (``MPLBACKEND``
    unset), the inline backend is used, as in a Jupyter kernel: figures left open at the
    end of a cell are shown as images.

    Returns
    -------
    IPython.core.interactiveshell.InteractiveShell
        The shell, also what ``get_ipython()`` returns while notebooks run.
    """
    global _SHELL
    if _SHELL is None:
        from traitlets.config import Config

        os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        config = Config()
        config.HistoryManager.enabled = False
        shell_class = _shell_class()
        main = sys.modules.get("__main__")
        try:
            _SHELL = shell_class.instance(config=config)
        finally:  # the shell installs its own __main__; it is the notebook's only while one runs
            sys.modules["__main__"] = main
        _SHELL.outputs = _CellOutputs()
    return _SHELL


def clear_namespace(shell) -> None:
    """Clear a shell's namespace, output cache and count between notebooks.

    As ``%reset -f`` does, without the full garbage collection ``%reset`` ends with (a
    tenth of a second or more per notebook); the collector runs on its own schedule.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell
        The shell to clear.
    """
    hook = shell.displayhook
    full_cache = hook.do_full_cache
    hook.do_full_cache = False  # skips DisplayHook.flush(), which calls gc.collect()
    try:
        shell.reset(new_session=True)
    finally:
        hook.do_full_cache = full_cache
    hook._ = hook.__ = hook.___ = ""
    shell.execution_count = 1


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Raise :class:`CellTimeout` in this (main) thread after ``seconds``.

    Where there is no alarm signal (Windows), nothing is raised here: a batch worker's
    parent then stops the cell by killing the worker (:mod:`review_lib.batch.workers`).
    """
    if not seconds or not hasattr(signal, "setitimer"):
        yield
        return
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("a cell time limit needs the main thread")

    def expired(signum, frame):
        raise CellTimeout(f"the cell ran for more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


LANGUAGE_INFO = {
    "name": "python", "mimetype": "text/x-python", "file_extension": ".py",
    "codemirror_mode": {"name": "ipython", "version": 3}, "pygments_lexer": "ipython3",
    "nbconvert_exporter": "python",
}


class InProcessEngine(Engine):
    """papermill engine executing notebooks in this process (see the module's notes)."""

    #: Called with the index of each cell as it starts (the worker tells its parent).
    on_cell_start = None

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                 execution_timeout=None, **kwargs):
        """Execute every cell of ``nb_man.nb`` in this process's notebook shell.

        Stops at the first cell that raises (unless tagged ``raises-exception``); papermill
        then reports it as a :class:`papermill.exceptions.PapermillExecutionError`.

        Parameters
        ----------
        nb_man : papermill.engines.NotebookExecutionManager
            The notebook and papermill's record of its execution.
        kernel_name : str
            Ignored: notebooks run in this process's Python.
        log_output : bool, default False
            Also write each output to this process's stderr as it arrives.
        execution_timeout : float, optional
            Seconds a cell may run.
        **kwargs
            Papermill's other engine options (ignored).

        Returns
        -------
        nbformat.NotebookNode
            The executed notebook.

        Raises
        ------
        CellTimeoutError
            If a cell ran past ``execution_timeout``.
        """
        shell = notebook_shell()
        shell.outputs = _CellOutputs(echo=_echo if log_output else None)
        clear_namespace(shell)
        nb = nb_man.nb
        with _notebook_process_state(shell):
            for index, cell in enumerate(nb.cells):
                nb_man.cell_start(cell, index)
                try:
                    if not _run(shell, cell, index, execution_timeout, cls.on_cell_start):
                        nb_man.cell_exception(nb.cells[index], cell_index=index)
                        break
                finally:
                    nb_man.cell_complete(nb.cells[index], cell_index=index)
        nb.metadata["language_info"] = {**LANGUAGE_INFO, "version": sys.version.split()[0]}
        clear_namespace(shell)  # the notebook's objects are not kept until the next one
        return nb


@contextlib.contextmanager
def _notebook_process_state(shell):
    """What a kernel process would show a notebook, restored afterwards.

    ``__main__`` is the notebook's namespace; modules in the working folder can be
    imported (``""`` first on ``sys.path``); warnings are filtered as when the process
    started (shown, not silenced, and shown again even if shown before) and printed to the
    cell's stderr.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = shell.user_module
    added_path = "" not in sys.path
    if added_path:
        sys.path.insert(0, "")
    try:
        with warnings.catch_warnings():
            warnings.filters[:] = _WARNING_FILTERS
            warnings._filters_mutated()
            warnings.showwarning = _show_warning
            yield
    finally:
        sys.modules["__main__"] = main
        if added_path and "" in sys.path:
            sys.path.remove("")


def _run(shell, cell, index: int, timeout: float | None, on_cell_start) -> bool:
    """Execute one cell; False if it raised an exception it was not allowed to."""
    if cell.cell_type != "code":
        return True
    tags = cell.get("metadata", {}).get("tags", [])
    if not cell.source.strip() or "skip-execution" in tags:
        return True
    if on_cell_start:
        on_cell_start(index)
    cell.outputs = []
    shell.outputs.begin(cell.outputs)
    cell.execution_count = shell.execution_count
    streams = (_Stream("stdout", shell.outputs), _Stream("stderr", shell.outputs))
    timed_out = False
    with contextlib.redirect_stdout(streams[0]), contextlib.redirect_stderr(streams[1]):
        try:
            with _time_limit(timeout):
                result = shell.run_cell(cell.source, store_history=True)
        except CellTimeout:  # the alarm came outside the cell's own code
            timed_out = True
            result = None
    if timed_out or (result is not None and isinstance(result.error_in_exec, CellTimeout)):
        raise CellTimeoutError(index, timeout)
    failed = not result.success
    return not failed or "raises-exception" in tags


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning to the cell's stderr, as Python does by default."""
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _echo(output) -> None:
    """Write an output to stderr as it arrives (``--verbose``)."""
    if output.output_type == "stream":
        text = output.text
    elif output.output_type == "error":
        text = f"{output.ename}: {output.evalue}\n"
    else:
        text = output.data.get("text/plain", "") + "\n"
    sys.__stderr__.write(text)
    sys.__stderr__.flush()


papermill_engines.register(ENGINE_NAME, InProcessEngine)


__all__ = ["ENGINE_NAME", "LANGUAGE_INFO", "CellTimeout", "CellTimeoutError",
           "InProcessEngine", "clear_namespace", "notebook_shell"]
