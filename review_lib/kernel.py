"""The long-lived Jupyter kernels of a batch run, one per worker.

Starting a kernel and importing pandas and matplotlib costs seconds; a batch of 30
notebooks would pay it 30 times with papermill's default engine. Each worker of
``practice-review run`` keeps one kernel (:class:`WorkerKernel`), clears its namespace
between notebooks, moves it to the job's working folder and sets the job's environment. A
kernel that fails to start is retried once; one that dies, or runs a cell past its time
limit, is reported and replaced for the next job. Every wait on a kernel gives up as soon as
the kernel dies. The papermill engine that executes
notebooks in it is :mod:`review_lib.engine`.

This module imports only ``jupyter_client`` (and that only when a kernel is launched), so a
worker can launch its kernel before it spends time importing papermill and nbconvert, and
the kernel itself can import :func:`clear_namespace` cheaply.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

KERNEL_NAME = "python3"


class KernelStartError(RuntimeError):
    """The kernel could not be started, even after one retry."""



class WorkerKernel:
    """The long-lived kernel of one worker.

    Parameters
    ----------
    startup_timeout : float, default 120
        Seconds to wait for the kernel to answer after it is started.
    quiet : bool, default True
        Send the kernel's own output (start-up warnings and the like) nowhere.
    """

    def __init__(self, startup_timeout: float = 120, quiet: bool = True):
        self.km = None
        self.kc = None
        self.akc = None
        self.ready = False
        self.startup_timeout = startup_timeout
        self.quiet = quiet

    def launch(self) -> None:
        """Start the kernel process without waiting for it to be ready.

        The kernel keeps no input history on disk: batch runs would otherwise fill the
        user's IPython history database, and two kernels would contend for its lock.
        """
        from jupyter_client.manager import KernelManager

        km = KernelManager(kernel_name=KERNEL_NAME)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL} if self.quiet else {}
        km.start_kernel(extra_arguments=["--HistoryManager.enabled=False"], **quiet)
        kc = km.client()
        # This client only asks and waits for replies (preparing, warming up); notebooks
        # run through execution_client(), so it needs no output channel.
        kc.start_channels(iopub=False, stdin=False, hb=False)
        self.km, self.kc, self.ready, self.akc = km, kc, False, None

    def execution_client(self):
        """The client papermill executes notebooks with (made on first use, then kept).

        An asynchronous client: with it, nbclient keeps checking, while it waits for a
        cell's output, that the kernel is alive and the cell within its time limit (with
        a blocking client the wait for output blocks those checks). Made in the thread
        that uses it.

        Returns
        -------
        jupyter_client.asynchronous.AsyncKernelClient
            Connected to this kernel.
        """
        if self.akc is None:
            from jupyter_client.asynchronous import AsyncKernelClient
            from jupyter_client.session import Session

            info = self.km.get_connection_info()
            # Its own session, so its own socket identity: the kernel routes each reply
            # to the client that asked.
            session = Session(key=info.pop("key"),
                              signature_scheme=info.pop("signature_scheme"))
            self.akc = AsyncKernelClient(**info, session=session,
                                         connection_file=self.km.connection_file,
                                         parent=self.km)
            self.akc.start_channels()
        return self.akc

    def _wait(self) -> None:
        try:
            self._wait_for_ready(self.startup_timeout)
        except Exception:
            self.shutdown()
            raise
        self.ready = True

    def _check_alive(self) -> None:
        if self.km is None or not self.km.is_alive():
            raise RuntimeError("the kernel died")

    def _wait_for_ready(self, timeout: float) -> None:
        """Wait for the kernel to answer a kernel-info request.

        Gives up as soon as the kernel dies, rather than after
        ``timeout``; asks again every few seconds (a request sent before the kernel
        listened is lost).
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._await_reply(self.kc.kernel_info(), min(3.0, timeout))
                return
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise

    def _await_reply(self, msg_id: str, timeout: float) -> dict:
        """The shell reply to a request, checking twice a second that the kernel lives."""
        import queue

        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            try:
                reply = self.kc.get_shell_msg(timeout=0.5)
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"the kernel did not answer within {timeout:.0f} s") from None
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return reply

    def _start_once(self) -> None:
        self.launch()
        self._wait()

    def warm_up(self, modules: tuple[str, ...]) -> None:
        """Wait for a launched kernel and have it import modules in the background.

        Once the modules are in, the kernel freezes what exists (``gc.freeze``): the
        garbage collector then never scans the libraries' objects again while notebooks
        run. (Importing them through ``IPKernelApp.exec_lines`` instead, as the kernel
        starts, measured slower on the sample: cold batch 20-23 s against 17-19 s, twice.)

        Parameters
        ----------
        modules : tuple of str
            Modules the notebooks will import (their import then costs nothing).
        """
        if self.km is None:
            return
        try:
            self._wait()
        except Exception:  # ensure_started() tries again when the first job comes
            return
        self.kc.execute("import " + ", ".join(modules) + "\nimport gc as _gc\n_gc.collect()\n"
                        "_gc.freeze()\ndel _gc", silent=True, store_history=False)

    def ensure_started(self) -> None:
        """Start the kernel if it is not running; retry once on the known start-up races.

        Raises
        ------
        KernelStartError
            If two attempts fail.
        """
        if self.km is not None and self.ready and self.km.is_alive():
            return  # answered before; a kernel that stops answering fails prepare()
        if self.km is not None and self.km.is_alive():
            try:
                self._wait()  # launched but not yet answered (see warm_up)
                return
            except Exception:  # not answering (and now shut down): start afresh below
                pass
        self.shutdown()
        try:
            self._start_once()
        except Exception:
            time.sleep(1.0)
            try:
                self._start_once()
            except Exception as exc:
                raise KernelStartError(f"the kernel could not be started: {exc}") from exc

    def prepare(self, cwd: str, environment: dict[str, str], clear: tuple[str, ...]) -> None:
        """Clear the namespace, change folder and set the environment for the next notebook.

        Parameters
        ----------
        cwd : str
            Working folder for the notebook.
        environment : dict
            Variables to set.
        clear : tuple of str
            Variables to remove first.

        Raises
        ------
        RuntimeError
            If the kernel does not accept the preparation.
        """
        self.ensure_started()
        code = (
            "from review_lib.kernel import clear_namespace as _clear\n_clear()\n"
            "import os as _os\n"
            f"_os.chdir({json.dumps(cwd)})\n"
            f"[_os.environ.pop(_k, None) for _k in {json.dumps(list(clear))}]\n"
            f"_os.environ.update({json.dumps(environment)})\n"
            "import matplotlib.pyplot as _plt\n_plt.close('all')\n"
            "del _os, _plt\n"
        )
        content = self._execute_quietly(code, timeout=60)
        if content.get("status") != "ok":
            self.shutdown()
            raise RuntimeError("the kernel could not be prepared for the next notebook: "
                               f"{content.get('ename')}: {content.get('evalue')}")

    def _execute_quietly(self, code: str, timeout: float) -> dict:
        """Run code in the kernel and return its reply's content (no output is read).

        Gives up as soon as the kernel dies, rather than after
        ``timeout``.
        """
        return self._await_reply(self.kc.execute(code, store_history=False),
                                 timeout)["content"]

    def kill_now(self) -> None:
        """Kill the kernel process at once and remove its connection file.

        Takes no locks and starts no threads, so a signal handler may call it (an orderly
        :meth:`shutdown` there can deadlock on a lock the interrupted code holds).
        """
        km = self.km
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None:
            try:
                os.kill(process.pid, signal.SIGKILL)
            except OSError:
                pass
        connection_file = getattr(km, "connection_file", None)
        if connection_file:
            try:
                os.unlink(connection_file)
            except OSError:
                pass

    def shutdown(self) -> None:
        """Stop the kernel, if any."""
        for client in (self.kc, getattr(self, "akc", None)):
            if client is not None:
                try:
                    client.stop_channels()
                except Exception:
                    pass
        if self.km is not None:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:
                pass
        self.km = self.kc = self.akc = None
        self.ready = False


def clear_namespace() -> None:
    """Clear the kernel's namespace and history between notebooks, as ``%reset -f`` does.

    ``%reset`` ends by collecting all garbage (``gc.collect()``), a tenth of a second or
    more after each notebook; here the collector is left to run on its own schedule. Run
    inside the kernel.
    """
    from IPython import get_ipython

    shell = get_ipython()
    hook = shell.displayhook
    full_cache = hook.do_full_cache
    hook.do_full_cache = False  # skips DisplayHook.flush(), which calls gc.collect()
    try:
        shell.reset(new_session=True)  # also empties the output cache (Out, _oh)
    finally:
        hook.do_full_cache = full_cache
    hook._ = hook.__ = hook.___ = ""


_WORKER_KERNEL: WorkerKernel | None = None


def worker_kernel() -> WorkerKernel:
    """Get the kernel of this process (created on first use, shut down at exit).

    Returns
    -------
    WorkerKernel
        The kernel holder.
    """
    global _WORKER_KERNEL
    if _WORKER_KERNEL is None:
        import atexit

        _WORKER_KERNEL = WorkerKernel()
        atexit.register(_WORKER_KERNEL.shutdown)
    return _WORKER_KERNEL


def reset_worker_kernel() -> None:
    """Shut down this process's kernel (after it died or misbehaved)."""
    if _WORKER_KERNEL is not None:
        _WORKER_KERNEL.shutdown()


__all__ = ["KERNEL_NAME", "KernelStartError", "WorkerKernel", "clear_namespace",
           "reset_worker_kernel", "worker_kernel"]
