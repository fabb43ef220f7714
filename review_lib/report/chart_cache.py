"""Content keys for charts, so a chart drawn before from the same inputs is not drawn again.

Drawing and encoding a chart costs a few tenths of a second, and a batch draws about a
hundred. After one council's file changes, most charts are the same as last time: every
other council's charts, the question chart the findings report shares with the
distributions report, the cross-council charts the change does not touch. A chart's key is a
SHA-256 of everything that shapes the picture:

- the chart function and every argument passed to it, by content (data frames by their
  values, index, columns, dtypes and ``attrs``);
- the code of ``review_lib`` (any change to it draws every chart again);
- the matplotlib, numpy and pandas versions and matplotlib's ``rcParams``.

A saved PNG is reused only when the key written beside it (``.<name>.key``) matches and the
PNG's own SHA-256, also recorded there, still matches the file; anything else draws afresh.
An argument of a type this module cannot read by content gives no key, so that chart is
always drawn: a key can only ever be missed, never wrongly matched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

PACKAGE_DIR = Path(__file__).resolve().parents[1]

_code_digest: tuple[tuple, str] | None = None
_code_checked = 0.0


class Unkeyable(TypeError):
    """An argument whose content this module cannot read, so the chart gets no key."""


def code_digest() -> str:
    """SHA-256 of the library's Python files, recomputed only when one of them changes.

    Returns
    -------
    str
        Hex digest.
    """
    global _code_digest, _code_checked
    # A report draws a dozen charts in well under a second: the files are looked at again
    # only when a second has passed since they last were.
    now = time.monotonic()
    if _code_digest is not None and now - _code_checked < 1.0:
        return _code_digest[1]
    _code_checked = now
    files = sorted(PACKAGE_DIR.rglob("*.py"))
    signature = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    if _code_digest is None or _code_digest[0] != signature:
        digest = hashlib.sha256()
        for path in files:
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        _code_digest = (signature, digest.hexdigest())
    return _code_digest[1]


#: rcParams that never change a saved picture (interactive mode, GUI and key settings):
#: left out of keys, since IPython switches interactive mode on during a shell's first
#: notebook, which would otherwise make every chart of that notebook look new.
_UNDRAWN_PARAMS = ("interactive", "backend", "keymap.", "webagg.", "toolbar", "tk.",
                   "macosx.", "figure.raise_window", "figure.max_open_warning",
                   "savefig.directory")


_environment_seen: tuple[tuple, str] | None = None


def drawing_environment() -> str:
    """What shapes a chart's picture besides its inputs, as text.

    The plotting libraries' versions and matplotlib's settings (``rcParams``).

    Returns
    -------
    str
        JSON text, the same exactly while no setting has changed.
    """
    global _environment_seen
    import matplotlib

    # The same value objects as last time give the same text: rcParams stores a new
    # (validated) object whenever a setting is set, so only then is it written out again.
    # The objects themselves are kept (not their ids), so none can be freed and replaced.
    values = tuple(dict.values(matplotlib.rcParams))
    seen = _environment_seen
    if (seen is not None and len(seen[0]) == len(values)
            and all(a is b for a, b in zip(seen[0], values, strict=True))):
        return seen[1]
    params = sorted((key, repr(value)) for key, value in matplotlib.rcParams.items()
                    if not key.startswith(_UNDRAWN_PARAMS))
    text = json.dumps([matplotlib.__version__, np.__version__, pd.__version__, params])
    _environment_seen = (values, text)
    return text


def _feed(digest, value) -> None:
    """Add a value to the digest by content, with its type; raise Unkeyable otherwise."""
    def tag(text: str) -> None:
        digest.update(b"<" + text.encode() + b">")

    if value is None or isinstance(value, bool | int | float | complex | str | bytes):
        tag(type(value).__name__)
        digest.update(repr(value).encode())
    elif isinstance(value, np.generic):
        tag("np." + value.dtype.str)
        digest.update(repr(value.item()).encode())
    elif isinstance(value, pd.DataFrame):
        tag("DataFrame")
        _feed(digest, [str(t) for t in value.dtypes])
        _feed(digest, value.columns)
        _feed(digest, value.index)
        for position in range(value.shape[1]):
            _feed_values(digest, value.iloc[:, position])
        _feed(digest, dict(value.attrs))
    elif isinstance(value, pd.Series):
        tag("Series")
        _feed(digest, value.name)
        _feed(digest, str(value.dtype))
        _feed(digest, value.index)
        _feed_values(digest, value)
        _feed(digest, dict(value.attrs))
    elif isinstance(value, pd.Index):
        tag(type(value).__name__)
        _feed(digest, list(value.names))
        _feed(digest, str(value.dtype))
        _feed_values(digest, value)
    elif isinstance(value, np.ndarray):
        tag("ndarray")
        _feed(digest, (value.dtype.str, value.shape))
        if value.dtype.kind == "O":
            _feed(digest, value.tolist())
        else:
            digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, Mapping):
        tag("Mapping")
        for key, item in value.items():
            _feed(digest, key)
            _feed(digest, item)
        tag("/Mapping")
    elif isinstance(value, list | tuple | set | frozenset):
        tag(type(value).__name__)
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        for item in items:
            _feed(digest, item)
        tag("/" + type(value).__name__)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        tag(type(value).__qualname__)
        for item in dataclasses.fields(value):
            _feed(digest, item.name)
            _feed(digest, getattr(value, item.name))
    else:
        raise Unkeyable(f"cannot key a chart argument of type {type(value).__name__}")


def _feed_values(digest, values) -> None:
    """Values of a Series or Index, by a hash that is the same in every process."""
    try:
        hashed = pd.util.hash_pandas_object(values, index=False, categorize=False)
    except TypeError as exc:
        raise Unkeyable(str(exc)) from exc
    digest.update(np.asarray(hashed, dtype=np.uint64).tobytes())


def chart_key(chart: Callable, args: tuple, kwargs: dict) -> str | None:
    """The content key of ``chart(*args, **kwargs)``, or None when an argument is unkeyable.

    Parameters
    ----------
    chart : callable
        A chart function of :mod:`review_lib.report.charts`.
    args, kwargs : tuple, dict
        Its arguments.

    Returns
    -------
    str or None
        Hex SHA-256.
    """
    digest = hashlib.sha256()
    digest.update(f"{chart.__module__}.{chart.__qualname__}".encode())
    digest.update(code_digest().encode())
    digest.update(drawing_environment().encode())
    try:
        _feed(digest, list(args))
        _feed(digest, dict(sorted(kwargs.items())))
    except Unkeyable:
        return None
    return digest.hexdigest()


def cached_png(path: Path, key: str) -> bytes | None:
    """The PNG saved at ``path`` if it was drawn from inputs with this key, else None.

    Parameters
    ----------
    path : Path
        The chart's PNG file.
    key : str
        From :func:`chart_key`.

    Returns
    -------
    bytes or None
        The PNG's contents, when the key beside it matches and the file is intact.
    """
    try:
        recorded = key_path(path).read_text(encoding="ascii").split()
        if len(recorded) != 2 or recorded[0] != key:
            return None
        data = path.read_bytes()
    except (OSError, UnicodeDecodeError):
        return None
    return data if hashlib.sha256(data).hexdigest() == recorded[1] else None


def key_path(path: Path) -> Path:
    """Where the key of the chart saved at ``path`` is kept: ``.<name>.key`` beside it.

    Parameters
    ----------
    path : Path
        The chart's PNG file.

    Returns
    -------
    Path
        The key file.
    """
    return path.with_name(f".{path.name}.key")


def key_text(key: str, data: bytes) -> str:
    """What the key file holds: the inputs' key and the PNG's SHA-256.

    Parameters
    ----------
    key : str
        From :func:`chart_key`.
    data : bytes
        The PNG written.

    Returns
    -------
    str
        One line.
    """
    return f"{key} {hashlib.sha256(data).hexdigest()}\n"


__all__ = ["Unkeyable", "cached_png", "chart_key", "code_digest", "key_path", "key_text"]
