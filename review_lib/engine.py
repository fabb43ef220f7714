"""A papermill engine that runs notebook after notebook in one long-lived kernel.

Papermill's own engine starts a kernel for each notebook. This one executes in the batch
worker's kernel (:mod:`review_lib.kernel`), passed to :func:`papermill.execute_notebook` as
``km`` and ``kc``, and otherwise lets papermill execute the notebook as usual.
"""

from __future__ import annotations

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.utils import merge_kwargs, remove_args

from review_lib.kernel import (
    KERNEL_NAME,
    KernelStartError,
    WorkerKernel,
    reset_worker_kernel,
    worker_kernel,
)

ENGINE_NAME = "review_lib_reuse"


class _ReusedKernelClient(PapermillNotebookClient):
    """A papermill client that uses an already-connected kernel client."""

    def __init__(self, nb_man, km=None, kc=None, **kw):
        super().__init__(nb_man, km=km, **kw)
        self.kc = kc


class ReusedKernelEngine(NBClientEngine):
    """papermill engine executing in the kernel passed as ``km``/``kc``."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None,
                                 **kwargs):
        """Execute with the given kernel (same arguments as papermill's nbclient engine).

        Returns
        -------
        nbformat.NotebookNode
            The executed notebook.
        """
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout, kernel_name=kernel_name, log=_logger(),
            log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
        return _ReusedKernelClient(nb_man, **final_kwargs).execute()


def _logger():
    from papermill.log import logger

    return logger


papermill_engines.register(ENGINE_NAME, ReusedKernelEngine)


__all__ = ["ENGINE_NAME", "KERNEL_NAME", "KernelStartError", "ReusedKernelEngine",
           "WorkerKernel", "reset_worker_kernel", "worker_kernel"]
