"""Files and names on disk, used on every floor: atomic writes, folder names, synthetic data."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from review_lib.paths import (
    SAMPLE_DIR,
)

SLUG_LENGTH = 60


def slug(text: str) -> str:
    """File-name-safe form of a council name: ``"Kestrel Vale"`` -> ``"kestrel-vale"``.

    Parameters
    ----------
    text : str
        Any name.

    Returns
    -------
    str
        Lower-case letters, digits and hyphens, at most :data:`SLUG_LENGTH`
        characters: a longer name keeps its first 51 and ends in 8 hex digits of its hash,
        so that two long names that start alike still get different folders. (Different
        names can still share a slug, such as "St. Helens" and "St Helens"; runs refuse
        those, naming both: :func:`slug_collisions`.)
    """
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    name = "-".join(part for part in out.split("-") if part) or "review"
    if len(name) > SLUG_LENGTH:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        name = name[:SLUG_LENGTH - 9].rstrip("-") + "-" + digest
    return name


def slug_collisions(reviews) -> dict[tuple[str, str], list[str]]:
    """Reviews of one cycle whose different council names make the same folder name.

    Parameters
    ----------
    reviews : iterable of Review
        The reviews of a run.

    Returns
    -------
    dict
        ``(cycle, slug)`` to the council names (two or more, sorted) that share it.
    """
    names: dict[tuple[str, str], set[str]] = {}
    for review in reviews:
        names.setdefault((review.cycle, slug(review.council)), set()).add(review.council)
    return {key: sorted(found) for key, found in names.items() if len(found) > 1}


def is_synthetic(path: str | Path | None) -> bool:
    """Whether data comes from the bundled synthetic sample.

    Parameters
    ----------
    path : str or Path or None
        A data file or folder.

    Returns
    -------
    bool
        True inside ``data/sample``.
    """
    if path is None:
        return False
    try:
        Path(path).resolve().relative_to(SAMPLE_DIR.resolve())
    except ValueError:
        return False
    return True


def write_atomically(path: Path, data: bytes | str) -> Path:
    """Write a file through a temporary name in the same folder, then rename it.

    A reader never sees a half-written file, and an existing file survives a failure.

    Parameters
    ----------
    path : Path
        Destination.
    data : bytes or str
        Contents (str is written as UTF-8).

    Returns
    -------
    Path
        The destination.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        publish(Path(temporary), path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def publish(temporary: Path, path: Path) -> None:
    """Give a finished temporary file the usual permissions and rename it into place.

    Parameters
    ----------
    temporary : Path
        The complete file, in the destination's folder (``mkstemp`` makes it private).
    path : Path
        Its final name; an existing file is replaced in one step.
    """
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    os.replace(temporary, path)


def write_json(data: dict, path: str | Path) -> Path:
    """Write JSON-ready data as indented JSON, atomically (NaN is refused, never written).

    Parameters
    ----------
    data : dict
        E.g. from :func:`review_lib.analysis.metrics.council_metrics`.
    path : str or Path
        The file.

    Returns
    -------
    Path
        The file written.
    """
    import json

    return write_atomically(Path(path), json.dumps(data, indent=2, allow_nan=False) + "\n")
