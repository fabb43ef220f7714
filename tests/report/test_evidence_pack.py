"""The evidence pack: redaction and its counts, order, marks, and its text in no other output."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from review_lib.data.records import OVERALL
from review_lib.paths import SAMPLE_DIR
from review_lib.report.evidence_pack import (
    INTERNAL,
    REMOVED,
    Redaction,
    build_pack,
    pack_html,
    redact_evidence,
    write_evidence_pack,
    write_pack_docx,
)

#: A phrase planted in one record's evidence, found nowhere but in the pack.
PLANTED = "Quillwort tangerine ledger seventeen"


def test_redaction_replaces_identifiers_and_removes_details_counting_each(
        sample_programme, dudley):
    own = sorted(dudley.case_pseudonyms())[0]
    pseudonym = dudley.case_pseudonyms()[own]
    letters, number = own.split("-")
    other = sorted(sample_programme.review("Northwold", "2022-24").case_pseudonyms())[0]
    text = (f"Seen in {own} and in {letters.lower()} {number}; compare {other}. "
            "Phone 01632 960 123 or +44 1632 960999; email a.worker@example.org. "
            "Visits on 14/03/2023, 2023-03-14 and 3rd March 2023. NHS number 943 476 5919. "
            "Care Act 2014 applied; 20 records in 2022-24; Q11 scored 3 of 4.")
    redaction = Redaction()
    shown = redact_evidence(text, dudley, sample_programme, redaction)
    assert shown == (
        f"Seen in {pseudonym} and in {pseudonym}; compare [a case record of another review]. "
        f"Phone {REMOVED['phone']} or {REMOVED['phone']}; email {REMOVED['email']}. "
        f"Visits on {REMOVED['date']}, {REMOVED['date']} and {REMOVED['date']}. "
        f"NHS number {REMOVED['nhs']}. "
        "Care Act 2014 applied; 20 records in 2022-24; Q11 scored 3 of 4.")
    assert dict(redaction.counts) == {"case": 2, "other_case": 1, "phone": 2, "email": 1,
                                      "date": 3, "nhs": 1}
    assert redaction.total == 10


def test_pack_follows_the_catalogue_weakest_first_and_counts_what_it_removed(
        sample_programme, dudley, catalogue):
    pack = build_pack(dudley, sample_programme)
    assert [q[0] for q in pack.questions] == catalogue.ids
    assert [q[2] for q in pack.questions] == [q.question for q in catalogue]
    order = ["Inadequate", "Requires Improvement", "Good", "Outstanding", "Not applicable"]
    for _, _, _, entries in pack.questions:
        assert len(entries) == 20
        ranks = [order.index(e.rating) for e in entries]
        assert ranks == sorted(ranks)
    q11 = pack.questions[10][3]
    assert q11[0].rating == "Inadequate"  # Dudley's one Inadequate rating leads Q11
    assert [e.rating for e in pack.judgements][:2] == ["Requires Improvement"] * 2
    # The sample plants one case identifier, date, phone number, email and NHS number.
    assert dict(pack.redaction.counts) == {"case": 1, "date": 1, "phone": 1, "email": 1,
                                           "nhs": 1}
    html = pack_html(pack)
    refs = dudley.case_pseudonyms()
    assert not [ref for ref in refs if ref in html]
    assert re.search(rf"<title>[^<]*{re.escape(INTERNAL)}[^<]*</title>", html)
    assert f'@top-center {{ content: "{INTERNAL}"' in html  # on every printed page
    counts = dict(re.findall(
        r'<tr><th scope="row">([^<]+)</th><td class="count">(\d+)</td></tr>', html))
    assert counts["dates, removed"] == "1" and counts["email addresses, removed"] == "1"
    assert counts["case identifiers of another review, removed"] == "0"
    for placeholder in ("[date removed]", "[phone number removed]", "[email removed]",
                        "[NHS number removed]"):
        assert html.count(placeholder) == 1


def test_word_pack_is_marked_internal_on_every_page(tmp_path, sample_programme, dudley):
    path = write_pack_docx(build_pack(dudley, sample_programme), tmp_path / "pack.docx")
    document = docx.Document(str(path))
    for section in document.sections:
        assert INTERNAL in section.header.paragraphs[0].text
        assert INTERNAL in section.footer.paragraphs[0].text
    assert INTERNAL in document.core_properties.title
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == ["Q1 Person's voice", "Q2 Strengths"]
    assert headings[-1] == "Overall judgements" and len(headings) == 13
    tables = document.tables
    assert len(tables) == 1 + 13 and all(len(t.rows) == 21 for t in tables[1:])
    assert [c.text for c in tables[11].rows[1].cells][2] == "Inadequate"
    text = "\n".join(cell.text for table in tables for row in table.rows for cell in row.cells)
    assert "[NHS number removed]" in text and "Case 01" in text
    assert not [ref for ref in dudley.case_pseudonyms() if ref in text]


def test_a_review_without_evidence_gets_no_pack(tmp_path, sample_programme):
    with pytest.raises(ValueError, match="holds no auditors' evidence"):
        write_evidence_pack(sample_programme.review("Brackenbury", "2022-24"), tmp_path)


# --------------------------------------------------------------------------- a batch run


def _plant(workbook: Path) -> str:
    """Put PLANTED in one record's Q11 evidence; return that record's pseudonym's ref."""
    book = openpyxl.load_workbook(workbook)
    sheet = book["Ratings"]
    column = next(c.column for c in sheet[1] if c.value == "Evidence Q11")
    sheet.cell(3, column, f"{sheet.cell(3, column).value} {PLANTED}.")
    book.save(workbook)
    return sheet.cell(3, 1).value


def _text_of(path: Path) -> str:
    """Everything a reader or tool could find in a file: Word's XML, a PDF's text, else bytes."""
    if path.suffix == ".docx":
        with zipfile.ZipFile(path) as package:
            return "\n".join(package.read(name).decode("utf-8", "replace")
                             for name in package.namelist())
    if path.suffix == ".pdf":
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    return path.read_bytes().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def evidence_run(tmp_path_factory):
    """A batch run (HTML, PDF and Word) of a small copy of the sample, a phrase planted."""
    from review_lib.batch.run import run_batch

    root = tmp_path_factory.mktemp("evidence-run")
    data = root / "data" / "2022-24"
    data.mkdir(parents=True)
    for name in ("dudley.xlsx", "brackenbury.xlsx"):
        shutil.copy(SAMPLE_DIR / "2022-24" / name, data / name)
    shutil.copytree(SAMPLE_DIR / "2022-24" / "ashcombe-forms", data / "ashcombe-forms")
    _plant(data / "dudley.xlsx")
    summary = run_batch(data=root / "data", reports_dir=root / "reports",
                        figures_dir=root / "figures", jobs=2, pdf=True, docx=True)
    return summary, root


@pytest.mark.slow
def test_planted_evidence_is_in_the_pack_and_in_no_other_output(evidence_run):
    summary, root = evidence_run
    assert not summary.failed, summary.invalid_files
    internal = root / "reports" / "2022-24" / "internal"
    packs = sorted(p.name for p in internal.iterdir())
    assert packs == ["ashcombe-evidence-pack.docx", "ashcombe-evidence-pack.html",
                     "dudley-evidence-pack.docx", "dudley-evidence-pack.html"]
    outputs = [p for p in root.rglob("*") if p.is_file() and "data" not in
               p.relative_to(root).parts[:1]]
    kinds = {p.suffix for p in outputs}
    assert {".html", ".json", ".ipynb", ".png", ".pdf", ".docx"} <= kinds, kinds
    assert any(p.name.endswith("claims.json") for p in outputs)
    assert (root / "reports" / "2022-24" / "dudley" / "leadership.pdf").exists()
    found = sorted(str(p.relative_to(root)) for p in outputs if PLANTED in _text_of(p))
    assert found == ["reports/2022-24/internal/dudley-evidence-pack.docx",
                     "reports/2022-24/internal/dudley-evidence-pack.html"]
    # Nor any other evidence: a sentence every Dudley record's evidence of Q1 starts with.
    sentence = "The person's own words are quoted in the assessment"
    assert not [p for p in outputs if p.parent.name != "internal"
                and sentence in _text_of(p).replace("&#x27;", "'").replace("&#39;", "'")]


@pytest.mark.slow
def test_the_pack_is_linked_from_no_report_nor_the_index(evidence_run):
    _, root = evidence_run
    reports = root / "reports"
    for page in reports.rglob("*.html"):
        if page.parent.name == "internal":
            continue
        html = page.read_text(encoding="utf-8")
        assert "evidence-pack" not in html and "internal/" not in html, page
        assert "Evidence pack" not in html, page
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "Dudley" in index and "internal" not in index.casefold()
    pack = (reports / "2022-24" / "internal" / "dudley-evidence-pack.html").read_text()
    assert INTERNAL in pack.split("</title>")[0]
    # The pack itself links only within itself.
    assert all(ref.startswith("#") for ref in re.findall(r'href="([^"]+)"', pack))


def test_overall_reasons_come_last(sample_programme, dudley):
    pack = build_pack(dudley, sample_programme)
    frame = dudley.evidence
    reasons = frame[frame["question"] == OVERALL]
    assert len(pack.judgements) == len(reasons) == 20
    assert all(e.evidence.startswith("Judged ") for e in pack.judgements)


def test_an_unchanged_pack_is_not_written_again(tmp_path, sample_programme, dudley):
    first = write_evidence_pack(dudley, tmp_path, sample_programme)
    assert [p.suffix for p in first] == [".html", ".docx"]
    stamps = [p.stat().st_mtime_ns for p in first]
    assert write_evidence_pack(dudley, tmp_path, sample_programme) == []
    assert [p.stat().st_mtime_ns for p in first] == stamps
    first[1].unlink()  # a file gone: both written again
    assert len(write_evidence_pack(dudley, tmp_path, sample_programme)) == 2
    assert len(write_evidence_pack(dudley, tmp_path, sample_programme, force=True)) == 2
