"""Report sections that are objects, not bare HTML strings.

A :class:`Section` is the section's HTML (it *is* a ``str``, so joining and searching it
work as before) and carries what the HTML was made from: ``.frame`` (a DataFrame, where
the section has a table), ``.text`` (what it says, as readable Markdown or plain text) and
``.alt`` (a chart's alt text). It shows itself in JupyterLab and in nbconvert alike
through ``_repr_html_``, with ``_repr_markdown_`` and a plain-text form for other front
ends, so a notebook cell is just ``section.question_table(context)`` and an analyst can
take ``.frame`` and keep working.
"""

from __future__ import annotations

from html.parser import HTMLParser

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


class Section(str):
    """A report section: its HTML, with the table, text and alt text it was made from.

    Parameters
    ----------
    html : str
        The section as HTML.
    frame : pandas.DataFrame, optional
        The table the section shows, as data.
    text : str, optional
        What the section says, as Markdown; by default the HTML's plain text.
    alt : str, optional
        The alt text of the section's chart, where it has one.
    figure : matplotlib.figure.Figure or callable, optional
        The section's chart, or a function of no arguments that draws it (and returns its
        Figure or Axes): a report embeds the chart as an image, often one drawn on an
        earlier run, so the live Figure is drawn only when :attr:`figure` is asked for.
    claims : iterable of Claim, optional
        The figures its sentences state (:mod:`review_lib.report.claims`); shown to Jupyter
        beside the HTML, and collected by a batch run into the report's ``claims.json``.
    """

    frame: pd.DataFrame | None
    alt: str
    claims: tuple

    def __new__(cls, html: str, *, frame: pd.DataFrame | None = None, text: str | None = None,
                alt: str = "", figure=None, claims=()) -> Section:
        """Build a section from its HTML and what it was made from."""
        section = super().__new__(cls, html)
        section.frame = frame
        section._text = text
        section.alt = alt
        section._figure = figure
        section.claims = tuple(claims)
        return section

    @property
    def figure(self):
        """The section's chart as a matplotlib Figure (drawn on first use), or None.

        Each section keeps the Figure it drew, so changes made to it (a title, limits)
        stay; it is not shown again unless displayed.
        """
        source = self._figure
        if source is None or not callable(source):
            return source
        drawn = source()
        figure = getattr(drawn, "figure", drawn)
        while getattr(figure, "figure", figure) is not figure:  # a SubFigure's parent
            figure = figure.figure
        import matplotlib.pyplot as plt

        plt.close(figure)  # owned by this section, not by pyplot's list of open figures
        self._figure = figure
        return figure

    def save(self, path, *, dpi: int = 300):
        """Write the section's chart to an image file, at any resolution, in one call.

        Parameters
        ----------
        path : str or path-like
            The file (``.png``, ``.svg`` or ``.pdf``); missing folders are created.
        dpi : int, default 300
            Resolution: 300 suits slides and print.

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        ValueError
            If the section has no chart.
        """
        from review_lib.report.charts.base import save_figure

        figure = self.figure
        if figure is None:
            raise ValueError("this section has no chart to save")
        return save_figure(figure, path, dpi=dpi, close=False)

    @property
    def html(self) -> str:
        """The section's HTML, as a plain string."""
        return str.__str__(self)

    @property
    def text(self) -> str:
        """What the section says: Markdown where it was written so, else its plain text."""
        if self._text is None:
            self._text = plain_text(self.html)
        return self._text

    def _repr_html_(self) -> str:
        return self.html

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # Only the claims: IPython fills in the HTML, Markdown and text from the other reprs.
        if not self.claims:
            return {}
        from review_lib.report.claims import CLAIMS_MIME

        return {CLAIMS_MIME: {"claims": [claim.as_dict() for claim in self.claims]}}

    def _repr_markdown_(self) -> str:
        return self.text

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.text)

    def __repr__(self) -> str:
        shown = self.text if len(self.text) < 400 else self.text[:397] + "..."
        table = "" if self.frame is None else f", frame {self.frame.shape[0]}x{self.frame.shape[1]}"
        return f"Section({shown!r}{table})"

    def __reduce__(self):
        # A chart is redrawn from its inputs, which need not pickle; the image is in the HTML.
        return (_rebuild, (self.html, self.frame, self._text, self.alt, self.claims))


def _rebuild(html: str, frame, text, alt, claims=()) -> Section:
    return Section(html, frame=frame, text=text, alt=alt, claims=claims)


def combined(*parts: str, frame: pd.DataFrame | None = None, text: str | None = None,
             sep: str = "\n") -> Section:
    """Join section parts into one section, keeping the chart of the first part that has one.

    Parameters
    ----------
    *parts : str or Section
        HTML fragments, some of them sections (e.g. a chart from
        :func:`review_lib.report.html.chart_html`).
    frame : pandas.DataFrame, optional
        The table the joined section shows.
    text : str, optional
        What it says, as Markdown (by default its plain text).
    sep : str, default newline
        Put between the parts.

    Returns
    -------
    Section
        With the first chart's ``figure`` and ``alt``, and every part's claims.
    """
    from review_lib.report.claims import claims_of

    charted = next((p for p in parts if isinstance(p, Section) and p._figure is not None),
                   None)
    return Section(sep.join(parts), frame=frame, text=text,
                   alt=charted.alt if charted is not None else "",
                   figure=charted._figure if charted is not None else None,
                   claims=claims_of(*parts))



class _Carrier:
    """Claims in a list, as :func:`~review_lib.report.claims.claims_of` takes them."""

    def __init__(self, claims):
        self.claims = claims


def sectioned(function):
    """Make a section function return a :class:`Section` carrying the claims it states.

    Every sentence stated (:func:`review_lib.report.claims.stated`) while the function runs
    becomes one of the section's claims, with any the returned section already carries.

    Parameters
    ----------
    function : callable
        Returns HTML, or a Section.

    Returns
    -------
    callable
        The same function, returning a Section.
    """
    import functools

    from review_lib.report.claims import claims_of, recording

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with recording() as recorded:
            result = function(*args, **kwargs)
        section = result if isinstance(result, Section) else Section(result)
        section.claims = claims_of(section, _Carrier(recorded))
        return section

    return wrapper
