"""HTML export: the promises made to leadership readers are checked before writing."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from review_lib.report.export import PLACEHOLDER_ALT, ReportDefect, html_defects, notebook_to_html


def _notebook(outputs, source="print('secret code')"):
    cell = new_code_cell(source, outputs=outputs, execution_count=1)
    nb = new_notebook(cells=[new_markdown_cell("## A heading"), cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def test_export_hides_code_and_sets_title():
    nb = _notebook([new_output("display_data", data={"text/html": "<p>Shown</p>"})])
    html = notebook_to_html(nb, title="My report")
    assert "<title>My report</title>" in html
    assert "Shown" in html and "A heading" in html
    assert "secret code" not in html
    assert 'lang="en-GB"' in html
    assert html_defects(html) == []
    for banned in ("require.js", "mathjax", "cdnjs", "unpkg", "https://"):
        assert banned not in html.lower()


def test_kernel_warnings_never_reach_readers():
    nb = _notebook([new_output("stream", name="stderr", text="UserWarning: /home/me/x.py"),
                    new_output("display_data", data={"text/html": "<p>ok</p>"})])
    html = notebook_to_html(nb, title="t")
    assert "UserWarning" not in html and "/home/me" not in html


def test_image_without_alt_text_is_refused():
    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU"
           "5ErkJggg==")
    nb = _notebook([new_output("display_data", data={"image/png": png,
                                                      "text/plain": "<Figure>"})])
    with pytest.raises(ReportDefect, match="alt text"):
        notebook_to_html(nb, title="t")


@pytest.mark.parametrize("snippet", [
    '<script src="https://cdn.example.org/x.js"></script>',
    '<link rel="stylesheet" href="//fonts.example.org/css">',
    '<img src="http://example.org/a.png" alt="a chart">',
    "<style>@import url('https://fonts.example.org/x.css');</style>",
    f'<img src="data:image/png;base64,AA" alt="{PLACEHOLDER_ALT}">',
    '<img src="data:image/png;base64,AA" alt="">',
    '<div class="highlight hl-ipython3"><pre>x = 1</pre></div>',
])
def test_html_defects_are_found(snippet):
    assert html_defects(f"<html><body>{snippet}</body></html>")


def test_links_between_reports_are_not_defects():
    assert html_defects('<a href="#strengths">x</a><a href="2022-24/x.html">y</a>') == []


def test_export_of_a_file(tmp_path):
    nb = _notebook([new_output("display_data", data={"text/html": "<p>From file</p>"})])
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, str(path))
    assert "From file" in notebook_to_html(path, title="t")


def test_the_page_is_nbconverts_own_less_its_second_parse():
    """The reports' exporter skips HTMLExporter's BeautifulSoup pass (alt text for images
    without any, focus for .jp-Notebook cells): parsed and written out by BeautifulSoup as
    nbconvert's own exporter does, its page is nbconvert's, character for character."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    from review_lib.report.export import configured_exporter

    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU"
           "5ErkJggg==")
    chart = (f'<figure><img src="data:image/png;base64,{png}" alt="A chart of 20 cases.">'
             "<figcaption>Twenty case records.</figcaption></figure>")
    table = ("<table><caption>Table 1</caption><thead><tr><th>Rating</th><th>Number</th>"
             "</tr></thead><tbody><tr><td>Good</td><td>12</td></tr></tbody></table>")
    nb = _notebook([new_output("display_data", data={"text/html": chart + table}),
                    new_output("display_data", data={"text/markdown": "**Strengths** & more"}),
                    new_output("stream", name="stdout", text="a line < of text\n")])
    nb.cells.append(new_markdown_cell("### Appendix\n\n- one\n- two"))
    nb.metadata["title"] = "Dudley 2022-24"
    ours, _ = configured_exporter(type(_reports_exporter())).from_notebook_node(nb)
    theirs, _ = configured_exporter(HTMLExporter).from_notebook_node(nb)
    assert type(_reports_exporter()) is not HTMLExporter
    assert ours != theirs  # not parsed a second time
    assert str(BeautifulSoup(ours, features="html.parser")) == theirs
    assert "A chart of 20 cases." in ours and "Appendix" in ours


def _reports_exporter():
    from review_lib.report import export

    return export._exporter()  # the one reports are written with
