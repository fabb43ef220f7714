"""Word files, read safely: checked before anything unpacks them, then read within limits.

A ``.docx`` is a zip archive. Before pandoc is given one, its central directory (the list of
parts at the end of the archive, with the size each part declares it unpacks to) is read,
and the file is refused when it is not a Word document at all (text saved under a ``.docx``
name, a zip archive without ``word/document.xml``) or when its parts would unpack past
:data:`~review_lib.data.limits.MAX_WORD_PART_MB` each or
:data:`~review_lib.data.limits.MAX_WORD_TOTAL_MB` together (a "zip bomb": a few megabytes
that unpack to gigabytes). pandoc then runs in a session of its own, with its heap limited
(``+RTS -M``, in case the sizes declared were false), ``--sandbox`` (it reads only the file
named) and a timeout (:func:`~review_lib.data.limits.pandoc_timeout`), after which it and
anything it started are stopped. Every failure is a located :class:`Problem` saying what to
do, never a traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import zipfile
from pathlib import Path

from review_lib.data.problems import Problem

#: The part every Word document holds.
DOCUMENT_PART = "word/document.xml"
#: Most parts a Word file may hold (a notes file has a few dozen).
MAX_WORD_PARTS = 10_000
#: pandoc's exit status when its heap limit is reached (the GHC runtime's).
_HEAP_EXHAUSTED = 251


def word_file_problem(path: Path, name: str, kind: str = "notes-unreadable",
                      what: str = "the notes file") -> Problem | None:
    """Why a ``.docx`` must not be given to pandoc, if it must not; checked without unpacking.

    Parameters
    ----------
    path : Path
        The file.
    name : str
        Its name in messages (never a machine path).
    kind : str, default "notes-unreadable"
        The problem's kind (``"too-large"`` is used for a file past the limits).
    what : str, default "the notes file"
        What the file is, in messages ("the style document").

    Returns
    -------
    Problem or None
        An error, or None when the file may be read.
    """
    from review_lib.data.limits import (
        MAX_WORD_PART_MB,
        MAX_WORD_TOTAL_MB,
        max_file_bytes,
    )

    expected = ("a .docx saved by Word or LibreOffice (Markdown notes are named .md)")
    try:
        size = path.stat().st_size
        if size > max_file_bytes():
            return Problem("too-large", name,
                           f"{what} is {size / 2 ** 20:,.1f} MB, more than the "
                           f"{max_file_bytes() // 2 ** 20} MB a file may be",
                           "a Word file of text (a notes file is well under 1 MB; make "
                           "pictures smaller); if the file is right, set "
                           "PRACTICE_REVIEW_MAX_FILE_MB to a larger number of megabytes")
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as error:
        return Problem(kind, name, f"{what} cannot be read ({error.strerror or error})",
                       "a readable file")
    if not head.startswith(b"PK"):
        found = "is a text file, not" if _is_text(path) else "is not"
        return Problem(kind, name, f"{what} {found} a Word (.docx) document", expected)
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return Problem(kind, name, f"{what} is damaged or cut short (its list of parts "
                       "cannot be read)", expected)
    if len(parts) > MAX_WORD_PARTS:
        return Problem("too-large", name, f"{what} holds {len(parts):,} parts",
                       f"a Word document (at most {MAX_WORD_PARTS:,} parts)")
    if DOCUMENT_PART not in {info.filename for info in parts}:
        return Problem(kind, name, f"{what} is a zip archive but not a Word document (it "
                       f"has no {DOCUMENT_PART})", expected)
    total = sum(info.file_size for info in parts)
    largest = max(parts, key=lambda info: info.file_size)
    if (largest.file_size > MAX_WORD_PART_MB * 2 ** 20
            or total > MAX_WORD_TOTAL_MB * 2 ** 20):
        return Problem("too-large", name,
                       f"{what} would unpack to {total / 2 ** 20:,.0f} MB (its part "
                       f"{largest.filename[:80]} alone to "
                       f"{largest.file_size / 2 ** 20:,.0f} MB)",
                       f"a Word file whose parts unpack to under {MAX_WORD_PART_MB} MB each "
                       f"and {MAX_WORD_TOTAL_MB} MB together (a notes file unpacks to a few "
                       "MB); resave it from Word, or paste its text into a .md notes file")
    return None


def _is_text(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(2048)
        head.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return b"\x00" not in head


def word_markdown(path: Path, name: str) -> tuple[str | None, Problem | None]:
    """A Word file as GitHub Markdown, read by pandoc within limits of time and memory.

    The file is checked first (:func:`word_file_problem`). pandoc runs in a session of
    its own, limited to :data:`~review_lib.data.limits.PANDOC_HEAP_MB` of heap and to
    reading this one file (``--sandbox``); after
    :func:`~review_lib.data.limits.pandoc_timeout` seconds it, and anything it started,
    is stopped.

    Parameters
    ----------
    path : Path
        The ``.docx``.
    name : str
        Its name in messages.

    Returns
    -------
    tuple
        The Markdown (None when it could not be read) and the problem (None when it was).
    """
    from review_lib.data.limits import PANDOC_HEAP_MB, pandoc_timeout

    problem = word_file_problem(path, name)
    if problem is not None:
        return None, problem
    try:
        import pypandoc

        pandoc = pypandoc.get_pandoc_path()
    except (ImportError, OSError) as error:
        return None, Problem("notes-unreadable", name,
                             f"pandoc, which reads Word files, is not available "
                             f"({type(error).__name__})",
                             "pandoc installed (pip install pypandoc-binary, as "
                             "'make install' does), or the notes saved as Markdown (.md)")
    timeout = pandoc_timeout()
    command = [pandoc, "+RTS", f"-M{PANDOC_HEAP_MB}m", "-RTS", "--sandbox", "--from=docx",
               "--to=gfm", "--wrap=none", str(Path(path).resolve())]
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True)
    except OSError as error:
        return None, Problem("notes-unreadable", name,
                             f"pandoc, which reads Word files, could not be started "
                             f"({error.strerror or type(error).__name__})",
                             "a working pandoc ('make install' provides one), or the notes "
                             "saved as Markdown (.md)")
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        return None, Problem(
            "notes-unreadable", name,
            f"pandoc had not finished reading the Word file after {timeout} s and was "
            "stopped",
            "a Word file pandoc reads in a second or two: resave it from Word, or paste its "
            "text into a .md notes file; if the file is right and the machine busy, set "
            "PRACTICE_REVIEW_PANDOC_TIMEOUT to more seconds")
    except BaseException:  # Ctrl-C: pandoc is never left running
        _stop(process)
        raise
    if process.returncode == _HEAP_EXHAUSTED:
        return None, Problem("too-large", name,
                             f"pandoc needed more than the {PANDOC_HEAP_MB} MB of memory "
                             "allowed to it to read the Word file",
                             "a Word file of text: resave it from Word, or paste its text "
                             "into a .md notes file")
    if process.returncode != 0:
        said = err.decode("utf-8", "replace").replace(str(Path(path).resolve()), name)
        first = next((line.strip() for line in said.splitlines() if line.strip()), "")
        return None, Problem("notes-unreadable", name,
                             f"pandoc could not read the Word file (exit status "
                             f"{process.returncode}{': ' + first[:160] if first else ''})",
                             "a .docx saved by Word or LibreOffice; resave it, or paste its "
                             "text into a .md notes file")
    return out.decode("utf-8", "replace"), None


def _stop(process: subprocess.Popen) -> None:
    """Stop pandoc and anything it started (its session), and collect it."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows has no process groups here
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=5)
    except (subprocess.TimeoutExpired, OSError, ValueError):
        pass
