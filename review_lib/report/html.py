"""Building blocks the notebooks display: titles, accessible tables, figures, footers."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import itertools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from review_lib import __version__
from review_lib.analysis.summary import format_percent
from review_lib.data.scale import LEVELS
from review_lib.files import write_atomically
from review_lib.report.context import ReviewContext

if TYPE_CHECKING:
    from review_lib.report.section import Section

SYNTHETIC_BANNER = (
    "Synthetic sample data. The case records behind this report are invented to "
    "demonstrate the suite; they describe no real person or practice."
)


#: Longest folder name made from a council's name; longer names are shortened with a hash.
def esc(value: object) -> str:
    """HTML-escape any value.

    Parameters
    ----------
    value : object
        Text or number.

    Returns
    -------
    str
        Escaped text.
    """
    return html.escape(str(value), quote=True)


def synthetic_banner(synthetic: bool) -> str:
    """The notice every output of the synthetic sample carries, or nothing.

    Parameters
    ----------
    synthetic : bool
        Whether the data are the synthetic sample.

    Returns
    -------
    str
        HTML (empty for real data).
    """
    if not synthetic:
        return ""
    return f'<p class="banner" role="note"><strong>{esc(SYNTHETIC_BANNER)}</strong></p>'


def title_block(context: ReviewContext, kind: str) -> str:
    """The report's title, subtitle and (for the sample) the synthetic-data banner.

    Parameters
    ----------
    context : ReviewContext
        The review.
    kind : str
        What the report is, e.g. "Findings" or "Distributions of ratings".

    Returns
    -------
    str
        HTML.
    """
    review = context.review
    month = ""
    if review.review_month:
        month = f", review held {esc(format_month(review.review_month))}"
    parts = [
        f"<h1>Practice Review {esc(review.cycle)}: {esc(review.council)}</h1>",
        f'<p class="subtitle">{esc(kind)}. {review.n_cases} case records, '
        f"{len(review.auditors)} auditors{month}.</p>",
        synthetic_banner(context.synthetic),
    ]
    return "\n".join(parts)


def format_month(value: str) -> str:
    """``"2023-11"`` -> ``"November 2023"``; other text unchanged.

    Parameters
    ----------
    value : str
        A month as written in the data.

    Returns
    -------
    str
        A readable month.
    """
    try:
        return dt.datetime.strptime(value[:7], "%Y-%m").strftime("%B %Y")
    except ValueError:
        return value


#: Row names up to this many characters are kept on one line in tables.
ONE_LINE_NAME = 24


def row_header(content_html: str, plain_text: str, attributes: str = "") -> str:
    """A table's row header cell; a short name (a case, a council) kept on one line.

    Parameters
    ----------
    content_html : str
        The cell's content, already HTML.
    plain_text : str
        The same as plain text, whose length decides.
    attributes : str, optional
        More attributes for the cell, as HTML (a Markdown table's alignment, say).

    Returns
    -------
    str
        ``<th scope="row">`` with class ``name`` when the text is at most
        :data:`ONE_LINE_NAME` characters (so a narrow column never breaks "Case 03").
    """
    name = ' class="name"' if len(plain_text) <= ONE_LINE_NAME else ""
    return f'<th scope="row"{name}{attributes}>{content_html}</th>'


#: Column headings up to this many characters are kept on one line.
ONE_LINE_HEADING = 16


def heading_lines(text: str) -> list[str]:
    """A long column heading of three or more words split into fewer lines than words.

    Left to itself, a browser narrows a table's columns to their longest word, and a
    heading such as "Effective n (design effect)" then reads a word a line. Split here into
    balanced lines (two for up to five words, then about a line per three words), each
    kept whole, it never does. A heading of up to :data:`ONE_LINE_HEADING` characters
    ("Good or better") stays on one line, as do headings of one or two words.

    Parameters
    ----------
    text : str
        The heading.

    Returns
    -------
    list of str
        Its lines, the longest as short as the words allow.
    """
    words = text.split()
    if len(words) < 3 or len(text) <= ONE_LINE_HEADING:
        return [text]
    count = 2 if len(words) <= 5 else len(words) // 3
    best: tuple[int, list[str]] | None = None
    for cuts in itertools.combinations(range(1, len(words)), count - 1):  # a few words only
        bounds = [0, *cuts, len(words)]
        lines = [" ".join(words[a:b]) for a, b in itertools.pairwise(bounds)]
        longest = max(len(line) for line in lines)
        if best is None or longest < best[0]:
            best = (longest, lines)
    return best[1]


def column_heading(content_html: str, plain_text: str, attributes: str = "") -> str:
    """A table's column heading cell, a long heading on balanced lines (:func:`heading_lines`).

    Parameters
    ----------
    content_html : str
        The heading, already HTML (used as it is when it holds markup).
    plain_text : str
        The same as plain text, which is split.
    attributes : str, optional
        More attributes for the cell, as HTML (``class="num"``, an alignment).

    Returns
    -------
    str
        ``<th scope="col">``; a heading of three or more words gets class ``lines`` (its
        lines kept whole, report.css) and a ``<br>`` between its lines.
    """
    if len(plain_text.split()) < 3 or "<" in content_html:
        return f'<th scope="col"{attributes}>{content_html}</th>'
    lines = heading_lines(plain_text)
    if 'class="' in attributes:
        attributes = attributes.replace('class="', 'class="lines ', 1)
    elif "class=" in attributes:  # class=num
        attributes = re.sub(r"class=(\w+)", r'class="lines \1"', attributes, count=1)
    else:
        attributes += ' class="lines"'
    return f'<th scope="col"{attributes}>{"<br>".join(esc(line) for line in lines)}</th>'


def html_table(frame: pd.DataFrame, caption: str, *, index_header: str | None = None,
               formats: Mapping[str, str | callable] | None = None,
               numeric: Iterable[str] | None = None, note: str | None = None) -> str:
    """An accessible HTML table: caption, column headers with scope, row headers.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data; the index becomes row headers.
    caption : str
        What the table shows (read first by screen readers).
    index_header : str, optional
        Heading of the row-header column (the index name by default).
    formats : mapping, optional
        Column -> format string (``"{:.0f}"``) or function.
    numeric : iterable of str, optional
        Columns to right-align (numbers by default).
    note : str, optional
        A note printed under the table.

    Returns
    -------
    str
        HTML.
    """
    formats = dict(formats or {})
    numeric = set(numeric if numeric is not None else
                  [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])])
    head = index_header if index_header is not None else (frame.index.name or "")
    rows = [f'<table class="data"><caption>{esc(caption)}</caption>', "<thead><tr>",
            column_heading(esc(head), str(head))]
    rows += [column_heading(esc(c), str(c), " class=num" if c in numeric else "")
             for c in frame.columns]
    rows.append("</tr></thead><tbody>")
    for index, record in frame.iterrows():
        cells = [row_header(esc(index), str(index))]
        for column in frame.columns:
            value = record[column]
            fmt = formats.get(column)
            if callable(fmt):
                text = fmt(value)
            elif fmt:
                text = fmt.format(value)
            else:
                text = value
            css = ' class="num"' if column in numeric else ""
            cells.append(f"<td{css}>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    rows.append("</tbody></table>")
    if note:
        rows.append(f'<p class="note">{esc(note)}</p>')
    return "".join(rows)


def count_table_html(counts: pd.DataFrame, caption: str) -> str:
    """A section-4 style table: count and percentage of each level, with the total.

    Parameters
    ----------
    counts : pandas.DataFrame
        From :func:`review_lib.analysis.summary.level_counts`.
    caption : str
        Table caption.

    Returns
    -------
    str
        HTML.
    """
    n = counts.attrs.get("n", int(counts["count"].sum()))
    frame = pd.DataFrame({
        "Number": [*counts["count"].astype(int).tolist(), n],
        "Percentage": [*(format_percent(p / 100, 1) if n else "n/a"
                         for p in counts["percent"]), "100%" if n else "n/a"],
    }, index=pd.Index([*LEVELS, "Total"], name="Rating"))
    return html_table(frame, caption, numeric=["Number", "Percentage"])


#: The settings that would give a figure a layout engine of their own.
_LAYOUT_PARAMS = ("figure.autolayout", "figure.constrained_layout.use")


def png_data(fig, dpi: int = 150) -> bytes:
    """Render a matplotlib figure to PNG bytes with :meth:`~matplotlib.figure.Figure.savefig`.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    dpi : int, default 150
        Resolution.

    Returns
    -------
    bytes
        PNG file contents.
    """
    import matplotlib
    from matplotlib.layout_engine import ConstrainedLayoutEngine, PlaceHolderLayoutEngine

    from review_lib.report.charts.base import literal_params

    # A figure with a layout (a constrained layout, or one a chart worked out and kept to
    # place its labels on) already fits every label inside it (tests/report/test_charts.py
    # checks each chart): bbox_inches="tight" would only add a drawing pass. A figure
    # without one is cropped to what is drawn.
    engine = fig.get_layout_engine()
    buffer = io.BytesIO()
    with literal_params():
        if isinstance(engine, ConstrainedLayoutEngine):
            # Laid out once here: savefig would lay it out in a first pass of drawing,
            # then again as it draws.
            engine.execute(fig)
        if isinstance(engine, ConstrainedLayoutEngine | PlaceHolderLayoutEngine):
            # A layout done: with no engine at all, savefig draws the figure once rather
            # than twice (its first pass only lays a figure out). None means no engine
            # while the rcParams ask for none.
            saved = {key: matplotlib.rcParams[key] for key in _LAYOUT_PARAMS}
            matplotlib.rcParams.update(dict.fromkeys(_LAYOUT_PARAMS, False))
            try:
                fig.set_layout_engine(None)
            finally:
                matplotlib.rcParams.update(saved)
        try:
            # Pillow's quickest deflate: charts are flat colour, so files about 5% larger
            # for about a sixth less time saving them (benchmarks/bench_png.py).
            fig.savefig(buffer, format="png", dpi=dpi,
                        bbox_inches=None if engine is not None else "tight",
                        metadata={"Software": None}, pil_kwargs={"compress_level": 1})
        finally:
            if isinstance(engine, ConstrainedLayoutEngine | PlaceHolderLayoutEngine):
                fig.set_layout_engine(engine)
    return buffer.getvalue()


def figure_html(fig, *, alt: str, caption: str, filename: str | None = None,
                folder: Path | None = None) -> str:
    """Embed a figure as a PNG with real alt text and a visible caption; save a copy.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (closed afterwards).
    alt : str
        Alt text: what the chart shows and its key numbers, for screen readers.
    caption : str
        One or two sentences shown beside the chart.
    filename : str, optional
        Name of the PNG copy written to ``folder``.
    folder : Path, optional
        Where to save the copy (e.g. ``context.figures_dir``).

    Returns
    -------
    str
        HTML ``<figure>`` with the image embedded as data.
    """
    import matplotlib.pyplot as plt

    _check_alt(alt)
    data = png_data(fig)
    plt.close(fig)
    if filename and folder is not None:
        write_atomically(Path(folder) / filename, data)
    return _figure_tag(data, alt, caption)


def chart_html(chart, *args, alt: str, caption: str, filename: str | None = None,
               folder: Path | None = None, **kwargs) -> Section:
    """Draw ``chart(*args, **kwargs)`` and embed it as :func:`figure_html` does.

    When ``folder/filename`` holds a PNG drawn before from inputs with the same content
    (:mod:`review_lib.report.chart_cache`: the chart function, every argument, the library's code
    and the plotting libraries), that PNG is used and nothing is drawn.

    Parameters
    ----------
    chart : callable
        A function of :mod:`review_lib.report.charts` returning a matplotlib Axes (or a
        Figure, or a seaborn grid); it knows nothing of this cache.
    *args
        Its positional arguments.
    alt : str
        Alt text: what the chart shows and its key numbers, for screen readers.
    caption : str
        One or two sentences shown beside the chart.
    filename : str, optional
        Name of the PNG copy written to ``folder`` (and of the key beside it).
    folder : Path, optional
        Where to save the copy (e.g. ``context.figures_dir``).
    **kwargs
        Its keyword arguments.

    Returns
    -------
    Section
        Its HTML the ``<figure>`` with the image embedded as data, its one
        :class:`~review_lib.report.section.Chart` holding the PNG, the alt text, the caption
        and a way to draw the chart again as a live matplotlib Figure (``.figure``).
    """
    import matplotlib.pyplot as plt

    from review_lib.report.chart_cache import cached_png, chart_key, key_path, key_text
    from review_lib.report.charts.base import _root_figure
    from review_lib.report.section import Chart, chart_section

    _check_alt(alt)
    path = Path(folder) / filename if filename and folder is not None else None
    key = chart_key(chart, args, kwargs) if path else None
    data = cached_png(path, key) if key else None
    if data is None:
        figure = _root_figure(chart(*args, **kwargs))
        try:
            data = png_data(figure)
        finally:
            plt.close(figure)
        if path:
            # The key goes first and comes back last, so a PNG is never taken for one
            # drawn from other inputs, even if writing stops half way.
            key_path(path).unlink(missing_ok=True)
            write_atomically(path, data)
            if key:
                write_atomically(key_path(path), key_text(key, data))
    return chart_section(Chart(alt, caption, data, _figure_tag(data, alt, caption),
                               lambda: chart(*args, **kwargs)))


def _check_alt(alt: str) -> None:
    if not alt or not alt.strip():
        raise ValueError("every figure needs real alt text")


def _figure_tag(data: bytes, alt: str, caption: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    # A chart taller than it is wide (a row per council, say) may take a whole printed
    # page, where others are held to part of one (report.css).
    from review_lib.report.charts.png import png_size

    size = png_size(data)
    tall = " tall" if size is not None and size[1] > size[0] else ""
    return (f'<figure class="chart{tall}"><img src="data:image/png;base64,{encoded}" '
            f'alt="{esc(alt)}"><figcaption>{esc(caption)}</figcaption></figure>')


def callout(text: str, *, kind: str = "note") -> str:
    """A highlighted paragraph, e.g. a caveat that must not be missed.

    Parameters
    ----------
    text : str
        The paragraph (plain text).
    kind : str, default "note"
        CSS class: ``note`` or ``caveat``.

    Returns
    -------
    str
        HTML.
    """
    return f'<p class="{esc(kind)}" role="note">{esc(text)}</p>'


def footer_html(context: ReviewContext, run_date: dt.date | None = None) -> str:
    """The footer: data file (name and hash, never a path), library version, run date.

    Parameters
    ----------
    context : ReviewContext
        The review.
    run_date : datetime.date, optional
        Today by default.

    Returns
    -------
    str
        HTML ``<footer>``.
    """
    review = context.review
    run_date = run_date or dt.date.today()
    name = Path(review.source).name
    synthetic = " Synthetic sample data." if context.synthetic else ""
    return (f'<footer class="report-footer"><p>Data file: {esc(name)} '
            f"(SHA-256 <code>{esc(review.sha256)}</code>). review_lib {esc(__version__)}. "
            f"Run on {run_date.isoformat()}.{synthetic} Cases are shown by pseudonym only."
            "</p></footer>")
