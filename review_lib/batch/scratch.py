"""Private scratch folders for a run, swept when their owner is gone."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

SCRATCH_PREFIX = "practice-review-"
SCRATCH_OWNER = "owner.pid"


def make_scratch_folder() -> Path:
    """A private temporary folder for one run, marked with the run's process id.

    It holds the run's read of the data (which names raw case identifiers) while workers
    use it. The run deletes it at the end; if the run is killed first, the next run
    finds the marker of a process that no longer exists and deletes it
    (:func:`sweep_scratch_folders`).

    Returns
    -------
    Path
        The folder (mode 0700).
    """
    folder = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    (folder / SCRATCH_OWNER).write_text(f"{os.getpid()}\n", encoding="ascii")
    return folder


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, but another user's (or cannot tell): leave it alone
    return True


def sweep_scratch_folders(log=None) -> list[Path]:
    """Delete the temporary folders that killed runs of this user left behind.

    Only folders named ``practice-review-*`` in the system temporary folder, owned by this
    user, holding this suite's marker file, whose process no longer exists, are removed:
    nothing else is touched.

    Parameters
    ----------
    log : callable, optional
        Called with a line for each folder removed.

    Returns
    -------
    list of Path
        The folders removed.
    """
    removed = []
    root = Path(tempfile.gettempdir())
    try:
        candidates = list(root.glob(f"{SCRATCH_PREFIX}*"))
    except OSError:
        return removed
    for folder in candidates:
        marker = folder / SCRATCH_OWNER
        try:
            if (folder.is_symlink() or not folder.is_dir()
                    or (hasattr(os, "getuid") and folder.stat().st_uid != os.getuid())):
                continue
            pid = int(marker.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue
        if pid == os.getpid() or _process_alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
        if log:
            log("removed the temporary folder a killed run left behind")
    return removed


