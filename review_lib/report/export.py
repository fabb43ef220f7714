"""Turn executed notebooks into self-contained HTML for leadership, with nbconvert.

The HTML hides all code, embeds its images, loads nothing from the internet, and is
checked for the defects a reader would meet (placeholder alt text, external resources)
before it is written.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from review_lib.files import write_atomically
from review_lib.paths import TEMPLATE_DIR, TEMPLATE_NAME

__all__ = ["PLACEHOLDER_ALT", "TEMPLATE_DIR", "TEMPLATE_NAME", "ReportDefect", "export_report",
           "html_defects", "notebook_to_html"]
#: nbconvert's alt text for images that have none: a defect if it ever reaches a report.
PLACEHOLDER_ALT = "No description has been provided for this image"
_EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?"""
    r"""(?:src|href|data)\s*=\s*["']?\s*(?:https?:|//|ftp:|file:)""", re.I)
_CSS_EXTERNAL = re.compile(r"""(?:@import|url\()\s*["']?\s*(?:https?:|//)""", re.I)
#: An embedded file's bytes: checked as a ``data:`` URL, never scanned for tags.
_EMBEDDED = re.compile(r"(data:[\w/+.-]+;base64,)[A-Za-z0-9+/=]+")


class ReportDefect(RuntimeError):
    """Raised when exported HTML would break a promise made to its readers."""


def html_defects(text: str) -> list[str]:
    """List what is wrong with report HTML: external resources, placeholder alt, code.

    Parameters
    ----------
    text : str
        The HTML.

    Returns
    -------
    list of str
        One line per defect; empty when the report is fit to send.
    """
    defects = []
    text = _EMBEDDED.sub(r"\1", text)  # a chart's hundred kilobytes, scanned once
    for match in _EXTERNAL.finditer(text):
        defects.append(f"loads an external resource: {match.group(0)[:80]}")
    for match in _CSS_EXTERNAL.finditer(text):
        defects.append(f"stylesheet loads from the internet: {match.group(0)[:80]}")
    if PLACEHOLDER_ALT in text:
        defects.append("an image has nbconvert's placeholder alt text")
    for match in re.finditer(r"<img\b[^>]*>", text, flags=re.I):
        tag = match.group(0)
        alt = re.search(r"""\balt\s*=\s*(["'])(.*?)\1""", tag, flags=re.S)
        if not alt or not alt.group(2).strip():
            defects.append("an image has no alt text")
    if re.search(r'class="[^"]*\b(?:jp-InputArea-editor|highlight hl-)', text):
        defects.append("code cells are visible")
    if re.search(r'data-mime-type="application/vnd.jupyter.stderr"', text):
        defects.append("warnings or errors from the kernel are shown")
    return defects


def _strip_for_readers(notebook) -> None:
    """Drop kernel chatter (stderr streams, errors) that must never reach leadership."""
    for cell in notebook.cells:
        if cell.get("cell_type") != "code":
            continue
        cell.outputs = [
            o for o in cell.get("outputs", [])
            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            and o.get("output_type") != "error"
        ]


@functools.cache
def _report_exporter_class():
    """The HTML exporter of nbconvert, without the pass that parses the page a second time.

    ``HTMLExporter.from_notebook_node`` renders the template, then parses the whole page
    with BeautifulSoup to give placeholder alt text to images that have none and to make
    the cells of a ``.jp-Notebook`` focusable, and writes the page out again. Our template
    has no ``.jp-Notebook``, and an image without alt text is a defect that stops the
    report (:func:`html_defects`), so the pass changes nothing but the page's spelling,
    and it took two thirds of the export's time (about 20 of 30 ms a report). This exporter does the
    rest of what ``HTMLExporter.from_notebook_node`` does; tests/report/test_export.py
    checks the page is nbconvert's own, once both are parsed alike.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            language = nb.metadata.get("language_info", {})
            lexer = language.get("pygments_lexer", language.get("name", None))
            highlight_code = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportExporter


@functools.lru_cache(maxsize=1)
def _exporter():
    """The HTML exporter, made once per process.

    A new exporter compiles its Jinja templates again, about 0.2 s per report; this one
    keeps them compiled. Nothing of one notebook stays in it for the next.
    """
    return configured_exporter(_report_exporter_class())


def configured_exporter(kind):
    """An exporter of class ``kind`` set up as the reports' exporter is.

    Parameters
    ----------
    kind : type
        ``nbconvert.HTMLExporter`` or a subclass of it.

    Returns
    -------
    nbconvert.HTMLExporter
        With the report template, code and prompts left out, images embedded, the page in
        British English and the ``hide`` tags honoured.
    """
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = kind(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        # The notebook validated once, after its preprocessors, not after each of the
        # thirteen (most of them disabled): a sixth of the export's time.
        optimistic_validation=True,
    )
    exporter.language_code = "en-GB"
    remove = TagRemovePreprocessor(
        remove_cell_tags={"hide"}, remove_input_tags={"hide-input"},
        remove_all_outputs_tags={"hide-output"}, enabled=True)
    exporter.register_preprocessor(remove, enabled=True)
    try:  # compiled templates kept between runs, by source checksum (Jinja's own cache)
        from jinja2 import FileSystemBytecodeCache

        exporter.environment.bytecode_cache = FileSystemBytecodeCache()
    except RuntimeError:  # no private temporary folder: compile each time
        pass
    return exporter


def warm_up() -> None:
    """Make the exporter and compile its templates now (a batch worker, before its first job)."""
    import nbformat

    notebook_to_html(nbformat.v4.new_notebook(), title="warm-up")


def notebook_to_html(notebook, *, title: str) -> str:
    """Export an executed notebook to report HTML (no code, nothing external).

    Parameters
    ----------
    notebook : NotebookNode, str or Path
        The executed notebook or its file.
    title : str
        The page title (``<title>``).

    Returns
    -------
    str
        The HTML.

    Raises
    ------
    ReportDefect
        If the HTML would load anything from the internet, show code, or carry an image
        without real alt text.
    """
    import nbformat

    if not isinstance(notebook, nbformat.NotebookNode):
        notebook = nbformat.read(str(notebook), as_version=4)
    notebook = nbformat.from_dict(notebook)  # a copy: the caller's notebook is untouched
    notebook.metadata["title"] = title
    _strip_for_readers(notebook)
    exporter = _exporter()
    body, _ = exporter.from_notebook_node(notebook)
    defects = html_defects(body)
    if defects:
        raise ReportDefect("; ".join(defects))
    return body


def export_report(notebook, out: str | Path, *, title: str) -> Path:
    """Write a notebook's report HTML atomically (temporary name, then rename).

    Parameters
    ----------
    notebook : NotebookNode, str or Path
        The executed notebook.
    out : str or Path
        The ``.html`` file to write.
    title : str
        The page title.

    Returns
    -------
    Path
        The file written.
    """
    return write_atomically(Path(out), notebook_to_html(notebook, title=title))
