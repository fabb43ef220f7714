"""A PNG's size in pixels, read from its header.

Charts are written by matplotlib's own :meth:`~matplotlib.figure.Figure.savefig`
(:func:`review_lib.report.html.png_data`); ``benchmarks/bench_png.py`` measured the
hand-written writer the suite used to have and found it not worth its code.
"""

from __future__ import annotations

import struct

#: The eight bytes every PNG file starts with.
SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int] | None:
    """A PNG's width and height in pixels, from its header; None for anything else.

    Parameters
    ----------
    data : bytes
        A file's bytes.

    Returns
    -------
    tuple of int, or None
        ``(width, height)``.
    """
    if data[:8] != SIGNATURE or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])
