"""Print and Word as a reader meets them: page ends, a readable heat map, Word's details."""

from __future__ import annotations

import re
import unicodedata
from html import unescape

import numpy as np
import pytest

from review_lib.report.charts.programme import _HEATMAP_VALUE_FONT
from review_lib.report.formats import LIST_STYLE, html_to_docx, html_to_pdfs, pdf_engine

pytestmark = pytest.mark.slow

#: The resolution charts are written at (review_lib.report.html.png_data).
CHART_DPI = 150


def _needs_chromium():
    if pdf_engine() is None:
        pytest.skip("chromium is not installed (CI installs it)")


def _body_lines(page) -> list[str]:
    """A printed page's lines, less the running header and footer (page, council, DRAFT)."""
    lines = []
    for line in (page.extract_text() or "").splitlines():
        line = " ".join(unicodedata.normalize("NFKC", line).split())  # "ﬁ" is "fi"
        line = re.sub(r"^(DRAFT)?(Page \d+ of \d+)?", "", line).strip()
        line = re.sub(r"^[^·]* · Practice Review [\d-]+$", "", line).strip()
        if line and line != "DRAFT":
            lines.append(line)
    return lines


@pytest.fixture(scope="module")
def printed(sample_run, tmp_path_factory):
    """Dudley's and Northwold's (a draft) leadership reports and the cross-council report."""
    _needs_chromium()
    from pypdf import PdfReader

    _, out = sample_run
    root = out / "reports" / "2022-24"
    folder = tmp_path_factory.mktemp("printed")
    reports = {"dudley": root / "dudley" / "leadership.html",
               "northwold": root / "northwold" / "leadership.html",
               "cross": root / "cross-council.html"}
    # One browser prints all three, as a run does (the same PDFs as html_to_pdf's: see
    # test_formats.py::test_one_browser_prints_every_report_the_same_way).
    done = html_to_pdfs([(html, folder / f"{name}.pdf") for name, html in reports.items()])
    assert [problem for _, problem in done] == [None] * len(reports), done
    return {name: (html, PdfReader(str(pdf)))
            for (name, html), (pdf, _) in zip(reports.items(), done, strict=True)}


@pytest.mark.browser
@pytest.mark.parametrize("name", ["dudley", "northwold", "cross"])
def test_no_printed_page_is_empty_or_holds_only_the_data_files_footer(printed, name):
    _, reader = printed[name]
    for number, page in enumerate(reader.pages, start=1):
        lines = _body_lines(page)
        assert lines, f"page {number} of {name} is empty"
        footer_only = all("Data file" in line or "SHA-256" in line
                          or line.startswith("review_lib") for line in lines)
        assert not footer_only, f"page {number} of {name} holds only the footer: {lines}"
        if number < len(reader.pages):  # nor a line or two left over (the review team's date)
            words = sum(len(line.split()) for line in lines)
            assert words >= 12, f"page {number} of {name} holds only {lines}"
    # The footer is on the last page, after the report's last words.
    last = _body_lines(reader.pages[-1])
    assert any("Data file" in line for line in last), last
    assert any("Data file" not in line and "SHA-256" not in line
               and not line.startswith("review_lib") for line in last), last


@pytest.mark.browser
@pytest.mark.parametrize("name", ["dudley", "northwold"])
def test_the_appendix_starts_a_page_and_no_page_ends_on_a_heading(printed, name):
    html, reader = printed[name]
    source = html.read_text(encoding="utf-8")
    headings = {unescape(re.sub(r"<[^>]+>", "", h)).replace("¶", "").strip()
                for h in re.findall(r"<h[234][^>]*>(.*?)</h[234]>", source, flags=re.S)}
    starts = [n for n, page in enumerate(reader.pages, start=1)
              if _body_lines(page)[:1] == ["Appendix: how to read these figures"]]
    assert len(starts) == 1, starts
    for number, page in enumerate(reader.pages, start=1):
        assert _body_lines(page)[-1] not in headings, (name, number)


def _printed_images(reader, page):
    """Each image drawn on a page: its pixel width and its printed width in points."""
    from pypdf.generic import ContentStream

    stack, found = [np.eye(3)], []
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"q":
            stack.append(stack[-1].copy())
        elif operator == b"Q":
            stack.pop()
        elif operator == b"cm":
            a, b, c, d, e, f = (float(x) for x in operands)
            stack[-1] = np.array([[a, b, 0], [c, d, 0], [e, f, 1]]) @ stack[-1]
        elif operator == b"Do":
            image = page["/Resources"]["/XObject"][operands[0]].get_object()
            if image.get("/Subtype") == "/Image":
                found.append((int(image["/Width"]), float(stack[-1][0][0])))
    return found


@pytest.mark.browser
def test_the_heat_maps_figures_print_at_seven_points_or_more(printed):
    _, reader = printed["cross"]
    # The section's page (the contents on page 1 names it too, with no chart).
    images = [image for page in reader.pages
              if any("Share Good or better, question by question" in line
                     for line in _body_lines(page))
              for image in _printed_images(reader, page)]
    pixels, width = max(images, key=lambda image: image[1])
    drawn = pixels / CHART_DPI * 72  # the chart's own width, in points
    assert _HEATMAP_VALUE_FONT * width / drawn >= 7.0, (width, drawn)


@pytest.fixture(scope="module")
def word_files(sample_run, tmp_path_factory):
    import docx

    _, out = sample_run
    folder = tmp_path_factory.mktemp("word")
    return {name: docx.Document(str(html_to_docx(
        out / "reports" / "2022-24" / name / "leadership.html", folder / f"{name}.docx")))
        for name in ("dudley", "northwold")}


def test_a_draft_says_draft_at_the_top_of_every_page_and_a_final_report_does_not(word_files):
    for section in word_files["northwold"].sections:
        assert section.header.paragraphs[0].text == "DRAFT"
        assert not section.header.is_linked_to_previous
    assert all("DRAFT" not in p.text for s in word_files["dudley"].sections
               for p in s.header.paragraphs)


def test_the_contents_is_never_an_empty_heading(word_files):
    from docx.oxml.ns import qn

    body = word_files["dudley"].element.body
    contents = body.find(qn("w:sdt"))
    lines = ["".join(t.text for t in p.iter(qn("w:t"))) for p in contents.iter(qn("w:p"))]
    assert lines[0] == "Contents" and "Table of Contents" not in lines
    assert lines[1:4] == ["Summary", "1. Introduction", "2. The previous Practice Review"]
    assert "Appendix: how to read these figures" in lines and "" not in lines
    # Still a field Word updates (with page numbers), begun and ended once.
    kinds = [c.get(qn("w:fldCharType")) for c in contents.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"]
    assert any((t.text or "").strip().startswith("TOC") for t in contents.iter(qn("w:instrText")))


def test_numbers_are_right_aligned_and_list_text_is_the_body_texts_size(word_files):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = word_files["dudley"]
    table = document.tables[0]
    assert [c.text for c in table.rows[1].cells] == ["Outstanding", "59", "24.6%"]
    for row in table.rows:
        assert row.cells[0].paragraphs[0].alignment != WD_ALIGN_PARAGRAPH.RIGHT
        for cell in row.cells[1:]:
            assert cell.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT, cell.text
    listed = [p for p in document.paragraphs
              if p._p.pPr is not None and p._p.pPr.numPr is not None]
    # List items, and the action plan's fields inside them (a definition list: its terms
    # and definitions), all at the body text's size.
    styles = {p.style.name for p in listed}
    assert listed and styles <= {LIST_STYLE, "Normal", "Body Text", "Definition Term",
                                 "Definition"}
    style = document.styles[LIST_STYLE]
    assert style.base_style.name == "Body Text" and style.font.size is None
    for name in styles & {"Definition Term", "Definition"}:
        assert document.styles[name].font.size is None, name  # the body's, inherited
    # Table text stays the smaller size it was given.
    assert document.styles["Compact"].font.size.pt == pytest.approx(9.5)


def test_the_word_file_names_no_other_council(word_files):
    """As its HTML (tests/report/test_council_naming.py): text, tables and alt texts."""
    from docx.oxml.ns import qn

    from review_lib.data.loading import load_programme
    from review_lib.paths import SAMPLE_DIR

    others = sorted({str(r.council) for r in load_programme(SAMPLE_DIR).in_cycle(
        "2022-24").reviews} - {"Dudley"})
    document = word_files["dudley"]
    texts, team = [], False
    for paragraph in document.paragraphs:
        if paragraph.style.name == "Heading 1":
            team = paragraph.text == "The review team"  # the team's own list of members
        if not team:
            texts.append(paragraph.text)
    texts += [cell.text for table in document.tables for row in table.rows
              for cell in row.cells]
    texts += [e.get("descr") or "" for e in document.element.body.iter(qn("wp:docPr"))]
    words = "\n".join(texts)
    assert "Dudley" in words
    assert [name for name in others if re.search(rf"\b{re.escape(name)}\b", words)] == []


def test_headings_in_all_but_style_are_bold_and_kept_with_what_they_head(word_files,
                                                                         sample_run):
    document = word_files["dudley"]
    titles = [p for p in document.paragraphs if p.text == "What the case records show"
              and not p.style.name.startswith("Heading")]  # the summary's is a heading
    html = (sample_run[1] / "reports" / "2022-24" / "dudley" / "leadership.html").read_text()
    assert len(titles) == html.count('class="evidence-title">What the case records show<') >= 3
    for paragraph in titles:
        assert paragraph.paragraph_format.keep_with_next
        assert all(run.bold for run in paragraph.runs if run.text.strip())
    # Word's own headings keep with the next paragraph by their style.
    for level in ("Heading 1", "Heading 2", "Heading 3"):
        assert document.styles[level].paragraph_format.keep_with_next
