"""PDF and Word files as a reader gets them: Chromium's print, and pandoc's Word, reopened."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from review_lib.report.formats import (
    FormatError,
    html_to_docx,
    html_to_pdf,
    html_to_pdfs,
    pdf_engine,
)

pytestmark = pytest.mark.slow

A4 = (595, 842)  # points, rounded


@pytest.fixture(scope="module")
def leadership_html(sample_run):
    """Dudley's leadership report, as the session's sample batch wrote it (read only)."""
    summary, out = sample_run
    assert not summary.failed
    return out / "reports" / "2022-24" / "dudley" / "leadership.html"


@pytest.fixture(scope="module")
def cross_html(sample_run):
    """The sample's cross-council report, as the session's sample batch wrote it."""
    return sample_run[1] / "reports" / "2022-24" / "cross-council.html"


def _needs_chromium():
    import os

    if pdf_engine() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (CI installs it)")


@pytest.mark.browser
@pytest.mark.parametrize(("which", "pages"), [("leadership", (12, 26)), ("cross", (6, 20))])
def test_reports_print_on_a4_with_bookmarks_and_tags(which, pages, leadership_html,
                                                      cross_html, tmp_path):
    _needs_chromium()
    from pypdf import PdfReader

    html = leadership_html if which == "leadership" else cross_html
    pdf = html_to_pdf(html, tmp_path / f"{which}.pdf")
    reader = PdfReader(str(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4
    assert pages[0] <= len(reader.pages) <= pages[1], len(reader.pages)
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]  # a tagged PDF
    outline = reader.outline
    titles = [item.title for item in outline if not isinstance(item, list)]
    assert titles and reader.outline[1]  # the h1, then its sections nested below it
    text = reader.pages[0].extract_text()
    if which == "leadership":
        assert "Dudley · Practice Review 2022-24" in text and "Page 1 of" in text
        nested = [item.title for item in outline[1] if not isinstance(item, list)]
        assert nested[:3] == ["Summary", "1. Introduction", "2. The previous Practice Review"]
    # No page ends on a heading: each is printed with what follows it.
    source = html.read_text(encoding="utf-8")
    headings = {unescape(re.sub(r"<[^>]+>", "", heading)).replace("¶", "").strip()
                for heading in re.findall(r"<h[234][^>]*>(.*?)</h[234]>", source, flags=re.S)}
    assert "Methods" in headings or "Appendix: how to read these figures" in headings
    for number, page in enumerate(reader.pages, start=1):
        lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()
                 and not re.fullmatch(r"Page \d+ of \d+|.* · Practice Review .*", line.strip())]
        assert lines and lines[-1] not in headings, (number, lines[-1])
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.browser
def test_one_browser_prints_every_report_the_same_way(leadership_html, cross_html, tmp_path):
    _needs_chromium()
    from pypdf import PdfReader

    missing = tmp_path / "gone.html"
    pairs = [(leadership_html, tmp_path / "a.pdf"), (missing, tmp_path / "c.pdf"),
             (cross_html, tmp_path / "b.pdf")]
    done = html_to_pdfs(pairs, pages=2)  # two pages printing at once
    assert [pdf for pdf, _ in done] == [pdf for _, pdf in pairs]  # in the order given
    assert [problem is None for _, problem in done] == [True, False, True], done
    assert "could not print gone.html" in done[1][1]  # and it cost only itself
    assert not (tmp_path / "c.pdf").exists()
    assert PdfReader(str(tmp_path / "b.pdf")).pages
    single = PdfReader(str(html_to_pdf(leadership_html, tmp_path / "single.pdf")))
    batch = PdfReader(str(tmp_path / "a.pdf"))
    assert len(batch.pages) == len(single.pages)
    assert batch.pages[0].extract_text() == single.pages[0].extract_text()
    assert "/StructTreeRoot" in batch.trailer["/Root"] and batch.outline
    assert not list(tmp_path.glob(".*.part"))


def test_without_chromium_the_pdf_is_refused_with_what_to_install(leadership_html, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("PRACTICE_REVIEW_CHROMIUM", "")
    with pytest.raises(FormatError, match="install Chromium"):
        html_to_pdf(leadership_html, tmp_path / "x.pdf")
    assert not any(tmp_path.iterdir())


def test_the_word_file_has_headings_tables_images_with_alt_text_and_contents(
        leadership_html, tmp_path):
    import docx
    from docx.oxml.ns import qn

    path = html_to_docx(leadership_html, tmp_path / "dudley.docx", title="Dudley 2022-24")
    document = docx.Document(str(path))
    headings = [(p.style.name, p.text) for p in document.paragraphs
                if p.style.name.startswith("Heading")]
    # The report's h1 is the document's title, printed once; its sections are Heading 1.
    texts = [p.text for p in document.paragraphs]
    assert [p.text for p in document.paragraphs if p.style.name == "Title"] == ["Dudley 2022-24"]
    assert "Practice Review 2022-24: Dudley" not in texts
    level1 = [text for style, text in headings if style == "Heading 1"]
    assert level1[:3] == ["Summary", "1. Introduction", "2. The previous Practice Review"]
    assert "Appendix: how to read these figures" in level1
    assert ("Heading 2", "Compared with the other councils") in headings
    assert len(document.tables) >= 2
    table1 = document.tables[0]
    assert [c.text for c in table1.rows[1].cells][:2] == ["Outstanding", "59"]
    descriptions = [e.get("descr") for e in document.element.body.iter(qn("wp:docPr"))]
    # Three images (the chart of every question, the question panels, the funnel), each
    # with its alt text; the panels' gives every question's counts.
    assert len(descriptions) == 3 and all(d and len(d) > 40 for d in descriptions)
    assert any(d.startswith("12 bar charts, one for each question") for d in descriptions)
    xml = document.element.xml
    assert "TOC \\o" in xml or 'w:instr="TOC' in xml  # a Word table of contents field
    assert "Contents" not in [p.text for p in document.paragraphs[:3]]  # not the HTML list
    assert document.styles["Heading 1"].font.name == "Arial"
    # An A4 page with a footer of the title and page numbers; Word fills in the contents
    # list when the file is opened.
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    footer = section.footer.paragraphs[0]._p.xml
    assert all(f'w:instr="{field}"' in footer for field in ("TITLE", "PAGE", "NUMPAGES"))
    settings = document.settings.element
    assert settings.find(qn("w:updateFields")).get(qn("w:val")) == "true"


def test_the_word_file_keeps_tables_and_charts_with_their_captions(leadership_html, tmp_path):
    import docx
    from docx.oxml.ns import qn

    document = docx.Document(str(html_to_docx(leadership_html, tmp_path / "dudley.docx")))
    # With no title given, the report's own h1 is the title.
    assert [p.text for p in document.paragraphs if p.style.name == "Title"] == [
        "Practice Review 2022-24: Dudley"]
    assert document.core_properties.title == "Practice Review 2022-24: Dudley"

    def kept_with_next(paragraph) -> bool:
        return paragraph._p.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is not None

    captions = [p for p in document.paragraphs if p.style.name == "Table Caption"]
    assert captions and all(kept_with_next(p) for p in captions)
    charts = [p for p in document.paragraphs if p.style.name == "Captioned Figure"]
    # The chart of every question, the figure of a panel per question (one figure, one
    # caption), the funnel position.
    assert len(charts) == 3 and all(kept_with_next(p) for p in charts)
    for table in document.tables:
        rows = table.rows
        assert all(row._tr.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None
                   for row in rows)
        if len(rows) <= 25:  # on one page: every row but the last kept with the next
            assert all(kept_with_next(p) for row in rows[:-1] for cell in row.cells
                       for p in cell.paragraphs)
            assert not any(kept_with_next(p) for cell in rows[-1].cells
                           for p in cell.paragraphs)
    # Numbered lists leave room for "10." before the text.
    numbering = document.part.numbering_part.element
    decimal = [level for level in numbering.iter(qn("w:lvl"))
               if level.find(qn("w:numFmt")).get(qn("w:val")) == "decimal"]
    assert decimal
    for level in decimal:
        indent = level.find(f"{qn('w:pPr')}/{qn('w:ind')}")
        assert int(indent.get(qn("w:hanging"))) >= 540
        assert int(indent.get(qn("w:left"))) >= int(indent.get(qn("w:hanging")))


def test_a_councils_own_word_style_is_used(leadership_html, tmp_path):
    import docx
    from docx.shared import RGBColor

    own = docx.Document()
    own.styles["Heading 1"].font.name = "Georgia"
    own.styles["Heading 1"].font.color.rgb = RGBColor(0x80, 0x16, 0x50)
    style = tmp_path / "council.docx"
    own.save(str(style))
    document = docx.Document(str(html_to_docx(leadership_html, tmp_path / "out.docx",
                                              reference=style)))
    assert document.styles["Heading 1"].font.name == "Georgia"
    with pytest.raises(FormatError, match="not found"):
        html_to_docx(leadership_html, tmp_path / "x.docx", reference=tmp_path / "none.docx")


@pytest.mark.browser
def test_a_long_sortable_table_repeats_its_heading_row_on_every_printed_page(tmp_path):
    """A table long enough to be sortable, and to run over three pages: its heading row is
    printed at the top of each (Chromium leaves it out when the row holds a <button>)."""
    _needs_chromium()
    import pandas as pd
    from nbformat.v4 import new_code_cell, new_notebook, new_output
    from pypdf import PdfReader

    from review_lib.report.export import notebook_to_html
    from review_lib.report.html import html_table

    frame = pd.DataFrame({"Share": [f"{i % 21} of 20 ({i % 21 * 5}%)" for i in range(120)]},
                         index=pd.Index([f"Council {i:03d}" for i in range(120)],
                                        name="Council"))
    table = html_table(frame, "A long table")
    cell = new_code_cell("table", execution_count=1, outputs=[
        new_output("display_data", data={"text/html": table})])
    html = tmp_path / "long.html"
    html.write_text(notebook_to_html(new_notebook(cells=[cell]), title="Long"), "utf-8")
    pages = PdfReader(str(html_to_pdf(html, tmp_path / "long.pdf"))).pages
    assert len(pages) >= 3
    for page in pages:
        lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        first_row = next(i for i, line in enumerate(lines)
                         if re.match(r"Council \d{3} ", line))
        assert "Council Share" in lines[:first_row], lines[:first_row + 1]


def test_short_row_names_are_kept_on_one_line_and_long_ones_may_wrap():
    import pandas as pd

    from review_lib.report.html import html_table

    frame = pd.DataFrame({"n": [20, 20]},
                         index=pd.Index(["Case 03", "Bath and North East Somerset Council"]))
    table = html_table(frame, "Names")
    assert '<th scope="row" class="name">Case 03</th>' in table
    assert '<th scope="row">Bath and North East Somerset Council</th>' in table


def test_charts_taller_than_wide_are_marked_to_take_up_to_a_printed_page():
    import matplotlib.pyplot as plt

    from review_lib.report.html import figure_html

    tall = plt.figure(figsize=(4, 9))
    wide = plt.figure(figsize=(8, 4))
    alt = "A chart for this test, with enough words to be real alt text for a reader."
    assert '<figure class="chart tall">' in figure_html(tall, alt=alt, caption="Tall.")
    assert '<figure class="chart">' in figure_html(wide, alt=alt, caption="Wide.")
    css = (Path(__file__).parents[2] / "review_lib/nbtemplates/practice_review/static/"
           "report.css").read_text()
    assert "figure.chart.tall img { max-height: 225mm; }" in css
