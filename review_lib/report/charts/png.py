"""PNG files of rendered charts, written directly from the canvas's pixels.

A chart's PNG is written in one pass: each row of pixels is copied once behind its filter
byte (filter type 0, "None") and the whole image is deflated at once. Charts are large flat
areas of a few colours, which deflate compresses well without filtering; Pillow's writer
tries every filter on every row, which took about twice as long for a file about 5% smaller
(27 ms against 13 ms for the 1200 x 1515 case chart of a 20-case review).

The deflating is done by Intel's ISA-L (the ``isal`` package) where it is installed, as the
suite's own dependencies install it, else by Python's zlib. Both write the zlib format the
PNG specification asks for, and a file of either decodes to the same pixels. For that
1200 x 1515 chart, ISA-L at its level 2 took 1.2 ms for 164,692 bytes where zlib at level
3 took 10.2 ms for 164,605 (2026-12-02). The RGB rows are copied one channel at a time:
numpy copies a channel as one strided loop, 1.9 ms for that chart, where copying three
bytes of every four in one assignment took 7.3 ms.

The format is that of the PNG specification (W3C, second edition, 2003): the signature, then
``IHDR``, ``pHYs`` (the resolution), one ``IDAT`` and ``IEND``, each chunk with its CRC-32.
Tests read the files back with Pillow and compare every pixel with the canvas.
"""

from __future__ import annotations

import functools
import struct
import zlib
from contextlib import contextmanager

import numpy as np

try:
    from isal import isal_zlib as _deflate
except ImportError:  # a platform without ISA-L's wheels: Python's own zlib
    _deflate = zlib

#: The eight bytes every PNG file starts with.
SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The deflater's level: ISA-L's 2 (of 0-3) is about as quick as its 1, and smaller; zlib's
#: 3 is about as quick as its 1, and smaller.
LEVEL = 2 if _deflate is not zlib else 3
_COLOUR_TYPE = {3: 2, 4: 6}  # channels -> PNG colour type (truecolour, with alpha)
_METRES_PER_INCH = 0.0254


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind))))


def encode_png(rgba: np.ndarray, dpi: int) -> bytes:
    """PNG bytes of a rendered chart: RGB when every pixel is opaque, else RGBA.

    Charts are drawn on an opaque white figure, so their alpha channel says nothing and is
    left out. The pixels are the same.

    Parameters
    ----------
    rgba : numpy.ndarray
        The canvas's ``buffer_rgba()``: height x width x 4 bytes, rows top first.
    dpi : int
        Resolution, recorded in the file (``pHYs``, in pixels per metre).

    Returns
    -------
    bytes
        The PNG.

    Raises
    ------
    ValueError
        If ``rgba`` is not a non-empty height x width x 4 array of bytes.
    """
    pixels = np.asarray(rgba)
    if (pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.dtype != np.uint8
            or not pixels.size):
        raise ValueError(f"expected height x width x 4 bytes of RGBA, got {pixels.dtype} "
                         f"{pixels.shape}")
    height, width = pixels.shape[:2]
    channels = 3 if pixels[..., 3].min() == 255 else 4
    rows = np.empty((height, 1 + width * channels), np.uint8)
    rows[:, 0] = 0  # each row's filter type: None
    body = rows[:, 1:]
    body.shape = (height, width, channels)  # a view: raises rather than copy
    for channel in range(channels):  # a channel at a time: see the module's docstring
        body[..., channel] = pixels[..., channel]
    per_metre = round(dpi / _METRES_PER_INCH)
    return b"".join([
        SIGNATURE,
        _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPE[channels],
                                    0, 0, 0)),
        _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
        _chunk(b"IDAT", _deflate.compress(rows, LEVEL)),
        _chunk(b"IEND", b""),
    ])


@functools.cache
def _plain_canvases() -> tuple:
    """The canvases a chart may be on to be drawn in one pass (:func:`one_pass_allowed`).

    Found when first needed: importing them imports matplotlib, which the index page does
    not need.
    """
    from matplotlib.backend_bases import FigureCanvasBase
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvases = [FigureCanvasBase, FigureCanvasAgg]
    try:  # the canvas of figures made in a notebook (Jupyter's inline backend)
        from matplotlib_inline.backend_inline import FigureCanvas as InlineCanvas

        canvases.append(InlineCanvas)
    except ImportError:
        pass
    return tuple(canvases)


def one_pass_allowed(figure) -> bool:
    """Whether a figure's PNG may be drawn on an Agg canvas rather than by ``savefig``.

    True for a figure with a constrained layout on a plain canvas, while no ``savefig``
    setting would change its pixels (face and edge colour, transparency).

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure.

    Returns
    -------
    bool
        Whether :func:`agg_canvas` draws what ``savefig`` would write.
    """
    import matplotlib
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    params = matplotlib.rcParams
    return (isinstance(figure.get_layout_engine(), ConstrainedLayoutEngine)
            and type(figure.canvas) in _plain_canvases()
            and params["savefig.facecolor"] == params["savefig.edgecolor"] == "auto"
            and not params["savefig.transparent"])


@contextmanager
def agg_canvas(figure, dpi: int):
    """A figure on an Agg canvas at ``dpi``, for a while; its own canvas and dpi after.

    A figure that laid itself out to fit its labels
    (:data:`~review_lib.report.charts.base.LAID_OUT`) is drawn on that layout, with its
    layout engine off meanwhile.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure.
    dpi : int
        Resolution.

    Yields
    ------
    matplotlib.backends.backend_agg.FigureCanvasAgg
        The canvas, not yet drawn.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from review_lib.report.charts.base import LAID_OUT

    original_canvas, original_dpi = figure.canvas, figure.dpi
    engine = figure.get_layout_engine()
    try:
        figure.dpi = dpi
        canvas = FigureCanvasAgg(figure)
        if figure in LAID_OUT:
            figure.set_layout_engine("none")
        yield canvas
    finally:
        figure.set_layout_engine(engine)
        figure.dpi = original_dpi
        figure.set_canvas(original_canvas)


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
