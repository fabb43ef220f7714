"""`practice-review run --pdf --docx`: files beside the HTML, kept when current, and no
PDF engine never stops a run."""

from __future__ import annotations

import pytest
from conftest import write_small_programme

from review_lib.batch.run import run_batch

pytestmark = pytest.mark.slow


def test_pdf_and_word_files_are_written_beside_the_reports_and_kept(tmp_path, monkeypatch):
    from review_lib.report.formats import pdf_engine

    if pdf_engine() is None:
        pytest.skip("chromium is not installed (CI installs it)")
    folder, questions = write_small_programme(tmp_path / "data")
    # One council: its leadership report printed and in Word, and the cross-council report
    # printed (three councils printed the same way, at twice the cost).
    options = dict(data=folder, questions=questions, reports_dir=tmp_path / "reports",
                   figures_dir=tmp_path / "figures", jobs=2, pdf=True, docx=True,
                   councils=["Alpha"])
    summary = run_batch(**options)
    assert not summary.failed and summary.messages == []
    alpha = tmp_path / "reports" / "2024" / "alpha"
    made = {p.name for p in alpha.iterdir()}
    assert {"leadership.pdf", "leadership.docx"} <= made
    assert "distributions.pdf" not in made  # the analysts' report stays HTML
    cross = tmp_path / "reports" / "2024" / "cross-council.pdf"
    assert cross.read_bytes().startswith(b"%PDF")
    stamp = (alpha / "leadership.pdf").stat().st_mtime_ns
    again = run_batch(**options)  # nothing changed: nothing written again
    assert (alpha / "leadership.pdf").stat().st_mtime_ns == stamp
    assert not any(str(p).endswith((".pdf", ".docx")) for p in again.written)


def test_without_a_pdf_engine_the_run_says_what_to_install_and_writes_the_rest(
        tmp_path, monkeypatch, capsys):
    from review_lib.batch.run import _print_summary

    monkeypatch.setenv("PRACTICE_REVIEW_CHROMIUM", "")
    folder, questions = write_small_programme(tmp_path / "data")
    summary = run_batch(data=folder, questions=questions, reports_dir=tmp_path / "reports",
                        figures_dir=tmp_path / "figures", jobs=2, pdf=True, docx=True,
                        councils=["Alpha"])
    assert not summary.failed
    alpha = tmp_path / "reports" / "2024" / "alpha"
    assert (alpha / "leadership.html").exists() and (alpha / "leadership.docx").exists()
    assert not (alpha / "leadership.pdf").exists()
    _print_summary(summary, tmp_path / "reports")
    assert "NOTE    No PDF written: install Chromium" in capsys.readouterr().out


# --------------------------------------------------------------------------- outside tools


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One council's reports, rendered once, for the tools below to print (or fail to)."""
    root = tmp_path_factory.mktemp("tools")
    folder, questions = write_small_programme(root / "data")
    summary = run_batch(data=folder, questions=questions, reports_dir=root / "reports",
                        figures_dir=root / "figures", jobs=1, councils=["Alpha"])
    assert not summary.failed, summary.invalid_files
    return summary, root / "reports"


def _fake_tool(folder, name, body):
    script = folder / name
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return script


@pytest.mark.parametrize(("setting", "body", "said"), [
    ("PRACTICE_REVIEW_CHROMIUM", None, "No PDF written: Chromium was not found at"),
    ("PRACTICE_REVIEW_CHROMIUM", "exit 7", "could not start"),
    ("PRACTICE_REVIEW_CHROMIUM", "exec sleep 30", "did not start within 1 s"),
    ("PRACTICE_REVIEW_PANDOC", None, "could not start"),
    ("PRACTICE_REVIEW_PANDOC", "echo 'pandoc: out of memory' >&2; exit 3",
     "failed with exit status 3 (pandoc: out of memory)"),
    ("PRACTICE_REVIEW_PANDOC", "exec sleep 30", "did not finish within 1 s"),
], ids=["chromium-missing", "chromium-crashing", "chromium-hanging", "pandoc-missing",
        "pandoc-failing", "pandoc-hanging"])
def test_an_outside_tool_that_fails_is_a_note_saying_what_to_do(
        rendered, tmp_path, monkeypatch, capsys, setting, body, said):
    from review_lib.batch.formats import write_formats
    from review_lib.batch.jobs import RunSummary
    from review_lib.batch.run import _print_summary

    source, reports = rendered
    tool = tmp_path / "missing" / "tool" if body is None else _fake_tool(tmp_path, "tool", body)
    monkeypatch.setenv(setting, str(tool))
    monkeypatch.setenv("PRACTICE_REVIEW_TOOL_TIMEOUT", "1")
    pdf = setting == "PRACTICE_REVIEW_CHROMIUM"
    summary = RunSummary(outcomes=list(source.outcomes))
    write_formats(summary, pdf=pdf, docx=not pdf, docx_style=None, jobs=1)
    _print_summary(summary, reports)
    out = capsys.readouterr().out
    notes = [line for line in out.splitlines() if line.startswith("NOTE")]
    assert notes and any(said in line for line in notes), out
    assert all(str(tool) in line and ("PRACTICE_REVIEW_" in line) for line in notes), notes
    assert not list(reports.rglob("*.pdf")) and not list(reports.rglob("*.docx"))
    assert not list(reports.rglob(".*.part"))


def test_printed_reports_link_to_each_other_without_machine_paths(rendered, tmp_path):
    from pypdf import PdfReader

    from review_lib.report.formats import html_to_pdfs, pdf_engine

    if pdf_engine() is None:
        pytest.skip("chromium is not installed (CI installs it)")
    _, reports = rendered
    html = reports / "2024" / "alpha" / "leadership.html"
    pdf = tmp_path / "copy" / "leadership.pdf"
    [(_, problem)] = html_to_pdfs([(html, pdf)])
    assert problem is None
    uris = []
    for page in PdfReader(str(pdf)).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    assert "../cross-council.html" in uris and "../../index.html" in uris, uris
    assert not any(uri.startswith("file:") or str(reports) in uri for uri in uris), uris
    assert str(reports).encode() not in pdf.read_bytes()


def test_a_councils_style_document_lends_its_styles_but_no_outside_address(tmp_path):
    import zipfile

    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import parse_xml

    from review_lib.report.formats import house_style, html_to_docx

    document = docx.Document(str(house_style(tmp_path / "house.docx")))
    namespaces = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
                  'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:r="http://schemas.'
                  'openxmlformats.org/officeDocument/2006/relationships"')
    settings = document.part._settings_part
    template = settings.relate_to("https://tracker.invalid/template.dotx", "http://schemas."
                                  "openxmlformats.org/officeDocument/2006/relationships/"
                                  "attachedTemplate", is_external=True)
    settings.element.insert(0, parse_xml(f'<w:attachedTemplate {namespaces} r:id="{template}"/>'))
    header = document.sections[0].header
    image = header.part.relate_to("https://tracker.invalid/pixel.png", RELATIONSHIP_TYPE.IMAGE,
                                  is_external=True)
    header.paragraphs[0]._p.append(parse_xml(
        f'<w:r {namespaces}><w:pict><v:shape style="width:9pt;height:9pt">'
        f'<v:imagedata r:id="{image}"/></v:shape></w:pict></w:r>'))
    style = tmp_path / "council-style.docx"
    document.save(str(style))
    html = tmp_path / "report.html"
    html.write_text('<html><head><title>Report</title></head><body><h1>Report</h1>'
                    '<h2>Summary</h2><p>Text, and <a href="../cross-council.html">all '
                    'councils</a>.</p></body></html>', encoding="utf-8")
    written = html_to_docx(html, tmp_path / "report.docx", reference=style)
    with zipfile.ZipFile(written) as package:
        contents = {name: package.read(name) for name in package.namelist()}
    assert not [name for name, data in contents.items() if b"tracker.invalid" in data]
    assert not any(b"attachedTemplate" in data for data in contents.values())
    assert any(b"../cross-council.html" in data for data in contents.values())  # kept
    reopened = docx.Document(str(written))
    assert any(p.text == "Summary" for p in reopened.paragraphs)
    with zipfile.ZipFile(style) as package:  # the council's own file is left alone
        assert b"tracker.invalid" in package.read("word/_rels/settings.xml.rels")
