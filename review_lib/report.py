"""Building blocks the notebooks display: titles, accessible tables, figures, footers.

Everything here returns HTML that reads the same in JupyterLab and in the exported report:
figures are embedded as PNG data with real alt text and a caption, tables have captions and
header scopes, and cases appear only by pseudonym.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import io
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from review_lib import __version__
from review_lib.catalogue import Catalogue, load_catalogue
from review_lib.loading import Programme, Review, iter_data_files, read_programme_files
from review_lib.paths import (
    ENV_FIGURES,
    ENV_PRELOADED,
    ENV_QUESTIONS,
    QUESTIONS_FILE,
    SAMPLE_DIR,
)
from review_lib.problems import DataValidationError, Problem
from review_lib.scale import LEVELS
from review_lib.summary import format_percent

SYNTHETIC_BANNER = (
    "Synthetic sample data. The case records behind this report are invented to "
    "demonstrate the suite; they describe no real person or practice."
)


#: Longest folder name made from a council's name; longer names are shortened with a hash.
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


@dataclass
class ReviewContext:
    """Everything a council notebook needs: the review, its programme, where figures go.

    Attributes
    ----------
    review : Review
        The council's review.
    programme : Programme
        Every valid review in the data folder (for comparisons and earlier cycles).
    figures_dir : Path or None
        Where this review's chart files are written (None: charts are not saved).
    skipped : list of Problem
        Errors in other files of the folder, which were left out of comparisons.
    funnel_limits : str
        How funnel limits are drawn: ``"exact"`` (binomial) or ``"fingertips"``.
    """

    review: Review
    programme: Programme
    figures_dir: Path | None
    skipped: list[Problem] = field(default_factory=list)
    funnel_limits: str = "exact"

    @property
    def catalogue(self) -> Catalogue:
        """The question catalogue."""
        return self.programme.catalogue

    @property
    def synthetic(self) -> bool:
        """Whether the review comes from the synthetic sample."""
        return is_synthetic(self.review.path)


_LOADED: dict[tuple, tuple] = {}


def load_inputs(data_dir: str | Path | None = None, questions: str | Path | None = None,
                figures_dir: str | Path | None = None) -> tuple:
    """Resolve a notebook's inputs and read the data folder, once per unchanged folder.

    A batch worker runs many notebooks in one process; reading the folder again for each
    would repeat the same work, so results are kept while no file's size or modification
    time (nor the catalogue's) has changed.

    Parameters
    ----------
    data_dir : str or Path, optional
        Folder (or file) of review data; the bundled synthetic sample by default.
    questions : str or Path, optional
        Catalogue CSV; else ``$PRACTICE_REVIEW_QUESTIONS``; else the bundled one.
    figures_dir : str or Path, optional
        Chart root; else ``$PRACTICE_REVIEW_FIGURES`` (which ``practice-review run`` sets);
        else None: charts are shown but no file is written, so running a notebook in
        JupyterLab, or by papermill by hand, leaves the repository as it was.

    Returns
    -------
    tuple
        ``(data path, catalogue, one FileResult per data file, figures root or None)``.
    """
    data = Path(data_dir) if data_dir else SAMPLE_DIR
    questions = questions or os.environ.get(ENV_QUESTIONS) or None
    figures_dir = figures_dir or os.environ.get(ENV_FIGURES) or None
    catalogue_file = Path(questions) if questions else QUESTIONS_FILE
    files = iter_data_files([data])
    key = inputs_signature(data, catalogue_file, files)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = _preloaded(key, files) or _read(data, questions)
    catalogue, results = _LOADED[key]
    return data, catalogue, results, Path(figures_dir) if figures_dir else None


def _read(data: Path, questions) -> tuple:
    catalogue = load_catalogue(questions)
    return catalogue, read_programme_files([data], catalogue)


def inputs_signature(data: Path, catalogue_file: Path, files: Iterable[Path]) -> tuple:
    """What identifies a read of a data folder: every file's full path, size and time.

    Parameters
    ----------
    data : Path
        The data folder or file.
    catalogue_file : Path
        The question catalogue.
    files : iterable of Path
        The data files in it (:func:`review_lib.loading.iter_data_files`).

    Returns
    -------
    tuple
        Equal for two reads exactly when neither the catalogue nor any file has changed.
    """
    return (str(data.resolve()), str(catalogue_file.resolve()), _stat(catalogue_file),
            tuple((str(f.resolve()), _stat(f)) for f in files))


def save_preloaded(path: Path, data: Path, questions: str | Path | None, catalogue: Catalogue,
                   results: list) -> None:
    """Keep a read of the data folder for the workers of a batch run (see :func:`load_inputs`).

    ``practice-review run`` has read and validated every file before its notebooks start;
    it saves that here, in a private temporary folder it deletes at the end of the run,
    and names the file in ``$PRACTICE_REVIEW_PRELOADED``. A notebook uses it only when the
    folder, the catalogue and every file are still exactly as they were read.

    Parameters
    ----------
    path : Path
        The file to write (in a folder only this user can read).
    data : Path
        The data folder or file that was read.
    questions : str or Path or None
        The catalogue file, or None for the bundled one.
    catalogue : Catalogue
        The catalogue read.
    results : list of FileResult
        What reading each file gave.
    """
    import pickle

    catalogue_file = Path(questions) if questions else QUESTIONS_FILE
    read = [r for r in results if not any(p.kind == "skipped-path" for p in r.problems)]
    key = inputs_signature(data, catalogue_file, [r.path for r in read])
    path.write_bytes(pickle.dumps((key, catalogue, read), protocol=pickle.HIGHEST_PROTOCOL))


def _preloaded(key: tuple, files: list[Path]) -> tuple | None:
    """The batch run's read of this data folder, when it matches ``key``; else None."""
    import pickle

    source = os.environ.get(ENV_PRELOADED)
    if not source:
        return None
    try:
        saved_key, catalogue, results = pickle.loads(Path(source).read_bytes())
    except Exception:  # missing or unreadable: the folder is simply read again
        return None
    if saved_key != key:
        return None
    # Paths as this process names them (the run read them by their full path).
    by_full_path = {str(f.resolve()): f for f in files}
    for result in results:
        result.path = by_full_path[str(Path(result.path).resolve())]
        for review in result.reviews:
            review.path = result.path
    return catalogue, results


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns)


def open_review(council: str, cycle: str, data_dir: str | Path | None = None,
                questions: str | Path | None = None,
                figures_dir: str | Path | None = None,
                funnel_limits: str = "exact") -> ReviewContext:
    """Load a council's review and the rest of its programme for a report.

    Files in the folder that have errors are left out of comparisons (and listed in
    ``skipped``); an error in the council's own file stops the report.

    Parameters
    ----------
    council, cycle : str
        Which review.
    data_dir : str or Path, optional
        Folder (or file) of review data; the bundled synthetic sample by default.
    questions : str or Path, optional
        Question catalogue CSV; else ``$PRACTICE_REVIEW_QUESTIONS``; else the bundled one.
    figures_dir : str or Path, optional
        Root folder for charts; else ``$PRACTICE_REVIEW_FIGURES``; else the project's
        ``figures/``. Charts go in ``<figures_dir>/<cycle>/<council>/``.
    funnel_limits : {"exact", "fingertips"}, default "exact"
        How funnel limits are drawn (:func:`review_lib.funnel.funnel_table`).

    Returns
    -------
    ReviewContext
        The review, its programme and the figure folder.

    Raises
    ------
    DataValidationError
        If the council's own file has errors.
    KeyError
        If no file holds that council and cycle.
    ValueError
        For an unknown ``funnel_limits``.
    """
    from review_lib.funnel import METHODS

    if funnel_limits not in METHODS:
        raise ValueError(f"funnel_limits must be one of {', '.join(METHODS)}, "
                         f"not {funnel_limits!r}")
    _, catalogue, results, root = load_inputs(data_dir, questions, figures_dir)
    reviews = [r for result in results for r in result.reviews]
    skipped = [p for result in results if not result.ok for p in result.problems if p.is_error]
    programme = Programme(reviews, catalogue,
                          [p for result in results if result.ok for p in result.problems])
    try:
        review = programme.review(council, cycle)
    except KeyError:
        own = [p for p in skipped if council.casefold() in p.file.casefold()]
        if own:
            raise DataValidationError(own) from None
        raise
    folder = root / review.cycle / slug(review.council) if root is not None else None
    return ReviewContext(review, programme, folder, skipped, funnel_limits)


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
            f'<th scope="col">{esc(head)}</th>']
    rows += [f'<th scope="col"{" class=num" if c in numeric else ""}>{esc(c)}</th>'
             for c in frame.columns]
    rows.append("</tr></thead><tbody>")
    for index, record in frame.iterrows():
        cells = [f'<th scope="row">{esc(index)}</th>']
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
        From :func:`review_lib.summary.level_counts`.
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


def png_data(fig, dpi: int = 150) -> bytes:
    """Render a matplotlib figure to PNG bytes.

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
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    # A constrained layout already fits every label inside the figure (tests/test_charts.py
    # checks each chart), so the extra drawing pass of bbox_inches="tight" buys nothing.
    fitted = isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
    buffer = io.BytesIO()
    import matplotlib

    from review_lib.charts import LITERAL_TEXT

    with matplotlib.rc_context(LITERAL_TEXT):
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches=None if fitted else "tight",
                    metadata={"Software": None})
    return buffer.getvalue()


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
               folder: Path | None = None, **kwargs) -> str:
    """Draw ``chart(*args, **kwargs)`` and embed it as :func:`figure_html` does.

    When ``folder/filename`` holds a PNG drawn before from inputs with the same content
    (:mod:`review_lib.chart_cache`: the chart function, every argument, the library's code
    and the plotting libraries), that PNG is used and nothing is drawn.

    Parameters
    ----------
    chart : callable
        A function of :mod:`review_lib.charts` returning a matplotlib Axes.
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
    str
        HTML ``<figure>`` with the image embedded as data.
    """
    import matplotlib.pyplot as plt

    from review_lib.chart_cache import cached_png, chart_key, key_path, key_text

    _check_alt(alt)
    path = Path(folder) / filename if filename and folder is not None else None
    key = chart_key(chart, args, kwargs) if path else None
    data = cached_png(path, key) if key else None
    if data is None:
        ax = chart(*args, **kwargs)
        data = png_data(ax.figure)
        plt.close(ax.figure)
        if path:
            key_path(path).unlink(missing_ok=True)
            write_atomically(path, data)
            if key:
                write_atomically(key_path(path), key_text(key, data))
    return _figure_tag(data, alt, caption)


def _check_alt(alt: str) -> None:
    if not alt or not alt.strip():
        raise ValueError("every figure needs real alt text")


def _figure_tag(data: bytes, alt: str, caption: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return (f'<figure class="chart"><img src="data:image/png;base64,{encoded}" '
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
