"""A Jupyter kernel driven through jupyter_client, as JupyterLab drives one.

The kernel runs the project's Python (jupyter_client replaces the kernelspec's ``python``
with the running interpreter) in the folder given, with matplotlib's backend left for the
kernel to choose (the inline backend), not the tests' ``Agg``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Reply:
    """What one cell gave: its display outputs' MIME types, its text, and any error."""

    displays: list[list[str]] = field(default_factory=list)
    text: str = ""
    error: str | None = None

    @property
    def images(self) -> int:
        """How many PNG images the cell displayed."""
        return sum("image/png" in mimes for mimes in self.displays)


class Kernel:
    """Start a kernel in ``cwd``; ``run(code)`` executes a cell and returns its Reply."""

    def __init__(self, cwd: str | Path, timeout: float = 120):
        from jupyter_client.manager import KernelManager

        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
        self.timeout = timeout
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=str(cwd), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=timeout)

    def run(self, code: str) -> Reply:
        """Execute ``code`` as one cell and collect what it showed."""
        reply = Reply()
        msg_id = self.client.execute(code)
        while True:
            message = self.client.get_iopub_msg(timeout=self.timeout)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind in ("display_data", "execute_result"):
                reply.displays.append(sorted(content["data"]))
                reply.text += content["data"].get("text/plain", "") + "\n"
            elif kind == "stream":
                reply.text += content["text"]
            elif kind == "error":
                reply.error = f"{content['ename']}: {content['evalue']}"
            elif kind == "status" and content["execution_state"] == "idle":
                return reply

    def close(self) -> None:
        """Stop the kernel."""
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
