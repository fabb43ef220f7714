"""Report sections as data: the HTML a reader sees, and what it was made from.

A :class:`Section` is a small frozen object, in the manner of statsmodels' ``Summary`` or
pandas' ``Styler``: it holds the section's HTML body (``.html``), what it says as Markdown
(``.markdown``, where its builder wrote it so), its charts (``.charts``, each a
:class:`Chart`: the embedded image, alt text, caption, and a way to draw it again as a live
matplotlib Figure), the table behind it (``.frame``) and the figures its sentences state
(``.claims``). It shows itself in JupyterLab and in nbconvert alike through
``_repr_html_``, with ``_repr_markdown_`` and a plain-text form for other front ends, so a
notebook cell is just ``section.question_table(context)``, and an analyst can take
``.frame`` or ``.figure`` and keep working.

A section is not a string: join sections with :func:`combined` (which keeps every part's
charts and claims), and use ``.html`` where HTML is wanted (``str(section)`` and f-strings
give it too, without the charts and claims).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd


class _Text(HTMLParser):
    """The readable text of a fragment of HTML: blocks on their own lines, images as alt."""

    BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "li", "tr", "table", "figure",
                        "figcaption", "caption", "footer", "br", "ul", "ol"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.skip += 1
        elif tag == "img":
            alt = dict(attrs).get("alt") or ""
            if alt:
                self.parts.append(f"\n[Chart: {alt}]\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "h2":
            self.parts.append("## ")
        elif tag == "h1":
            self.parts.append("# ")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def plain_text(fragment: str) -> str:
    """The text a reader sees in an HTML fragment, one block per line.

    Parameters
    ----------
    fragment : str
        HTML.

    Returns
    -------
    str
        Plain text; images appear as ``[Chart: alt text]``.
    """
    parser = _Text()
    parser.feed(fragment)
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text, blank = [], False
    for line in lines:
        if line:
            text.append(line)
            blank = False
        elif not blank and text:
            text.append("")
            blank = True
    return "\n".join(text).strip()


def _root(drawn):
    """The top-level Figure of what a chart function returned (Figure, Axes, grid)."""
    figure = getattr(drawn, "figure", drawn)
    while getattr(figure, "figure", figure) is not figure:  # a SubFigure's parent
        figure = figure.figure
    return figure


@dataclass(frozen=True)
class Chart:
    """One chart of a section: the image a report embeds, and how to draw it again.

    Parameters
    ----------
    alt : str
        Alt text: what the chart shows and its key numbers, for screen readers.
    caption : str, default ""
        The sentence or two shown beside it.
    png : bytes, optional
        The image as embedded (PNG), where the builder has it.
    html : str, default ""
        The chart as it appears in the section's HTML (its ``<figure>``).
    draw : callable, optional
        A function of no arguments that draws the chart and returns its Figure, Axes or
        grid. A report embeds the image, often one drawn on an earlier run, so the live
        Figure is drawn only when :attr:`figure` is asked for.
    """

    alt: str
    caption: str = ""
    png: bytes | None = field(default=None, repr=False)
    html: str = field(default="", repr=False)
    draw: Callable[[], Any] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def figure(self):
        """The chart as a matplotlib Figure, drawn on first use (None if it cannot be).

        The Figure is kept, so changes made to it (a title, limits) stay; it belongs to the
        chart, not to pyplot's list of open figures, so it is not shown again unless
        displayed.
        """
        if self.draw is None:
            return None
        figure = _root(self.draw())
        import matplotlib.pyplot as plt

        plt.close(figure)
        return figure

    def save(self, path, *, dpi: int = 300) -> Path:
        """Write the chart to an image file (``.png``, ``.svg`` or ``.pdf``), redrawn at ``dpi``.

        Parameters
        ----------
        path : str or path-like
            The file; missing folders are created.
        dpi : int, default 300
            Resolution: 300 suits slides and print.

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        ValueError
            If the chart cannot be drawn again (a chart kept only as an image), unless
            ``path`` is a ``.png`` file: the embedded image is then written as it is.
        """
        from review_lib.report.charts.base import save_figure

        figure = self.figure
        if figure is not None:
            return save_figure(figure, path, dpi=dpi, close=False)
        path = Path(path)
        if self.png is not None and path.suffix.lower() == ".png":
            from review_lib.files import write_atomically

            path.parent.mkdir(parents=True, exist_ok=True)
            return write_atomically(path, self.png)
        raise ValueError(f"the chart {self.alt[:60]!r} is kept only as a PNG image and "
                         f"cannot be drawn again as {path.suffix or 'an image'}")

    def _repr_png_(self) -> bytes | None:
        return self.png

    def __reduce__(self):
        # The drawing function need not pickle (a closure over the report's inputs).
        return (Chart, (self.alt, self.caption, self.png, self.html))


@dataclass(frozen=True, eq=False)
class Section:
    """A report section: its HTML, with the text, charts, table and claims behind it.

    Parameters
    ----------
    html : str
        The section's body as HTML.
    markdown : str, optional
        What the section says, as Markdown, where the builder wrote it so (findings, notes,
        lists); else :meth:`to_markdown` gives the HTML's plain text.
    charts : tuple of Chart, default ()
        The section's charts, in reading order.
    frame : pandas.DataFrame, optional
        The table the section shows, as data.
    claims : tuple of Claim, default ()
        The figures its sentences state (:mod:`review_lib.report.claims`); shown to Jupyter
        beside the HTML, and collected by a batch run into the report's ``claims.json``.

    Notes
    -----
    Two sections are equal when their HTML, Markdown, charts (image, alt text and
    caption), claims and frames (by :meth:`pandas.DataFrame.equals`) are; they hash by
    their HTML. ``str(section)`` and f-strings give the HTML; to join sections keep them
    whole with :func:`combined`.
    """

    html: str
    markdown: str | None = None
    charts: tuple[Chart, ...] = ()
    frame: pd.DataFrame | None = field(default=None, repr=False)
    claims: tuple = field(default=(), repr=False)

    def __post_init__(self):
        if isinstance(self.html, Section) or not isinstance(self.html, str):
            raise TypeError(f"a section's html is a str, not {type(self.html).__name__}; "
                            "join sections with review_lib.report.section.combined")
        object.__setattr__(self, "html", str(self.html))
        object.__setattr__(self, "charts", tuple(self.charts))
        object.__setattr__(self, "claims", tuple(self.claims))

    def __eq__(self, other) -> bool:
        if not isinstance(other, Section):
            return NotImplemented
        if (self.html, self.markdown, self.charts, self.claims) != (
                other.html, other.markdown, other.charts, other.claims):
            return False
        if self.frame is None or other.frame is None:
            return self.frame is other.frame
        return self.frame.equals(other.frame)

    def __hash__(self) -> int:
        return hash(self.html)

    # ------------------------------------------------------------------ renderers

    def to_html(self) -> str:
        """The section as HTML (charts embedded as images).

        Returns
        -------
        str
            ``.html``.
        """
        return self.html

    def to_markdown(self) -> str:
        """What the section says, as Markdown.

        Returns
        -------
        str
            The Markdown its builder wrote, else the plain text of its HTML (one block a
            line, tables as ``| cells``, each chart as ``[Chart: alt text]``).
        """
        if self.markdown is not None:
            return self.markdown
        return self._plain

    @cached_property
    def _plain(self) -> str:
        return plain_text(self.html)

    @property
    def text(self) -> str:
        """What the section says: the same as :meth:`to_markdown`."""
        return self.to_markdown()

    def __str__(self) -> str:
        return self.html

    def __html__(self) -> str:  # markupsafe / Jinja: the section is already HTML
        return self.html

    def _repr_html_(self) -> str:
        return self.html

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # Only the claims: IPython fills in the HTML, Markdown and text from the other reprs.
        if not self.claims:
            return {}
        from review_lib.report.claims import CLAIMS_MIME

        return {CLAIMS_MIME: {"claims": [claim.as_dict() for claim in self.claims]}}

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.to_markdown())

    def __repr__(self) -> str:
        text = self.to_markdown()
        shown = text if len(text) < 400 else text[:397] + "..."
        table = "" if self.frame is None else f", frame {self.frame.shape[0]}x{self.frame.shape[1]}"
        charts = f", {len(self.charts)} chart{'s' * (len(self.charts) != 1)}" if self.charts \
            else ""
        return f"Section({shown!r}{table}{charts})"

    # ------------------------------------------------------------------ charts

    @property
    def alt(self) -> str:
        """The first chart's alt text ("" when the section has no chart)."""
        return self.charts[0].alt if self.charts else ""

    @property
    def figure(self):
        """The first chart as a matplotlib Figure (drawn on first use and kept), or None."""
        return self.charts[0].figure if self.charts else None

    @property
    def figures(self) -> tuple:
        """Every chart as a matplotlib Figure, in reading order (each drawn on first use)."""
        return tuple(chart.figure for chart in self.charts)

    def save(self, path, *, dpi: int = 300, chart: int = 0) -> Path:
        """Write one of the section's charts to an image file, at any resolution, in one call.

        Parameters
        ----------
        path : str or path-like
            The file (``.png``, ``.svg`` or ``.pdf``); missing folders are created.
        dpi : int, default 300
            Resolution: 300 suits slides and print.
        chart : int, default 0
            Which chart, by position in :attr:`charts` (the first by default).

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        ValueError
            If the section has no chart, or none at that position.
        """
        if not self.charts:
            raise ValueError("this section has no chart to save")
        if not -len(self.charts) <= chart < len(self.charts):
            raise ValueError(f"this section has {len(self.charts)} chart(s); chart={chart} "
                             "is not one of them")
        return self.charts[chart].save(path, dpi=dpi)

    def __reduce__(self):
        return (_rebuild, (self.html, self.markdown, self.charts, self.frame, self.claims))


def _rebuild(html, markdown, charts, frame, claims) -> Section:
    return Section(html, markdown, charts, frame, claims)


def _html_of(part) -> str:
    if isinstance(part, Section):
        return part.html
    if isinstance(part, str):
        return str(part)
    raise TypeError(f"a section is made of HTML strings and sections, not "
                    f"{type(part).__name__}")


def combined(*parts: str | Section, frame: pd.DataFrame | None = None,
             markdown: str | None = None, sep: str = "\n") -> Section:
    """Join section parts into one section, keeping every chart and claim of every part.

    Parameters
    ----------
    *parts : str or Section
        HTML fragments and sections (e.g. a chart from
        :func:`review_lib.report.html.chart_html`), in reading order.
    frame : pandas.DataFrame, optional
        The table the joined section shows.
    markdown : str, optional
        What it says, as Markdown; by default each part's Markdown (a section's own, or
        an HTML fragment's plain text), in order.
    sep : str, default newline
        Put between the parts' HTML.

    Returns
    -------
    Section
        With the charts of all the parts, in order, and every part's claims.

    Raises
    ------
    TypeError
        If a part is neither a string nor a section.
    """
    from review_lib.report.claims import claims_of

    html = sep.join(_html_of(part) for part in parts)
    if markdown is None and any(isinstance(p, Section) and p.markdown is not None
                                for p in parts):
        texts = [p.to_markdown() if isinstance(p, Section) else plain_text(p)
                 for p in parts]
        markdown = "\n\n".join(t for t in texts if t)
    charts = tuple(chart for part in parts if isinstance(part, Section)
                   for chart in part.charts)
    return Section(html, markdown, charts, frame, claims_of(*parts))


_CHARTS: contextvars.ContextVar[list[Chart] | None] = contextvars.ContextVar(
    "practice_review_charts", default=None)


def chart_section(chart: Chart) -> Section:
    """A section holding one chart, its HTML the chart's ``<figure>``.

    While a :func:`sectioned` function runs, the chart is also kept for the section it
    returns, even if only its HTML reaches that section (an f-string, say).

    Parameters
    ----------
    chart : Chart
        The chart, with its ``html``.

    Returns
    -------
    Section
        ``Section(chart.html, charts=(chart,))``.
    """
    made = _CHARTS.get()
    if made is not None:
        made.append(chart)
    return Section(chart.html, charts=(chart,))


@contextlib.contextmanager
def _recording_charts() -> Iterator[list[Chart]]:
    outer = _CHARTS.get()
    charts: list[Chart] = []
    token = _CHARTS.set(charts)
    try:
        yield charts
    finally:
        _CHARTS.reset(token)
        if outer is not None:
            outer.extend(charts)


def _charts_shown(html: str, carried: tuple[Chart, ...], made: list[Chart]) -> tuple:
    """The charts a section shows, in the order its HTML shows them.

    Those it carries, and those made for it that its HTML embeds; any not found in the
    HTML come last.
    """
    charts = list(carried)
    known = {id(c) for c in charts}
    for chart in made:
        if id(chart) not in known and chart.html and chart.html in html:
            charts.append(chart)
            known.add(id(chart))
    if len(charts) == len(carried):
        return tuple(carried)

    def position(chart: Chart) -> int:
        found = html.find(chart.html) if chart.html else -1
        return found if found >= 0 else len(html)

    return tuple(sorted(charts, key=position))


class _Carrier:
    """Claims in a list, as :func:`~review_lib.report.claims.claims_of` takes them."""

    def __init__(self, claims):
        self.claims = claims


def sectioned(function):
    """Make a section function return a :class:`Section` carrying its claims and charts.

    Every sentence stated (:func:`review_lib.report.claims.stated`) while the function runs
    becomes one of the section's claims, and every chart made for it
    (:func:`chart_section`, which :func:`review_lib.report.html.chart_html` uses) whose
    HTML the section shows becomes one of its charts, with any the returned section
    already carries.

    Parameters
    ----------
    function : callable
        Returns HTML, or a Section.

    Returns
    -------
    callable
        The same function, returning a Section.
    """
    from review_lib.report.claims import claims_of, recording

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with recording() as recorded, _recording_charts() as made:
            result = function(*args, **kwargs)
        section = result if isinstance(result, Section) else Section(_html_of(result))
        return dataclasses.replace(
            section, charts=_charts_shown(section.html, section.charts, made),
            claims=claims_of(result, section, _Carrier(recorded)))

    return wrapper
