"""The evidence pack: the auditors' evidence beside each rating, for the review team only.

Real audit forms record, per question, the evidence the auditor found in the record and
their analysis of it beside the rating; the review team writes its report from them. The
pack sets them out question by question (in the catalogue's order, with its wording),
each record's rating with its evidence, weakest first, then the overall judgements with
their reasons. It is **internal**: marked so in its title and on every printed page,
written in a folder of its own (``reports/<cycle>/internal/<council>-evidence-pack.html``
and ``.docx``), linked from no other report nor the index, and its text is in no other
output.

Cases are named by their pseudonyms only. In the auditors' text, the review's own case
identifiers become their pseudonyms, another review's become
:data:`~review_lib.report.wording.notes.OTHER_CASE`, and NHS numbers, dates, telephone
numbers and email addresses are removed; the pack counts each kind removed
(:func:`redact_evidence`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from review_lib.data.records import OVERALL, Review
from review_lib.data.scale import LEVELS
from review_lib.report.html import esc

#: The mark on the pack's title and on every page.
INTERNAL = "Internal: for the review team only"

#: The pack's folder under a cycle's reports.
INTERNAL_FOLDER = "internal"

#: What stands in for each kind of detail removed from the auditors' text.
REMOVED = {
    "email": "[email removed]",
    "date": "[date removed]",
    "nhs": "[NHS number removed]",
    "phone": "[phone number removed]",
}
#: How the pack names each kind of replacement it counts, in its order.
KIND_NAMES = {
    "case": "case identifiers of this review, replaced by the case's pseudonym",
    "other_case": "case identifiers of another review, removed",
    "nhs": "NHS numbers, removed",
    "date": "dates, removed",
    "phone": "telephone numbers, removed",
    "email": "email addresses, removed",
}

_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
           r"aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?![\w-])")
_DATE = re.compile(
    r"(?<![\w/.-])(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"          # 14/03/2023, 14.3.23
    r"|\d{4}-\d{1,2}-\d{1,2}"                                           # 2023-03-14
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+\d{{4}}"  # 14th March 2023
    rf"|{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"          # March 14, 2023
    r"(?![\w/-])", re.IGNORECASE)
#: Ten digits grouped 3-3-4, as NHS numbers are written (not a telephone number's 0 first).
_NHS = re.compile(r"(?<![\w+])[1-9]\d{2}[ \u00a0-]?\d{3}[ \u00a0-]?\d{4}(?![\w])")
#: A UK telephone number: 0 or +44, then 9 or 10 digits in groups.
_PHONE = re.compile(r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|\(?0)\d{2,4}\)?(?:[ \u00a0-]?\d{2,4}){1,3}"
                    r"(?![\w])")


@dataclass
class Redaction:
    """What was replaced or removed in the auditors' text, kind by kind.

    Attributes
    ----------
    counts : Counter
        Replacements per kind (the keys of :data:`KIND_NAMES`).
    """

    counts: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Every replacement made."""
        return sum(self.counts.values())


def redact_evidence(text: str, review: Review, programme=None,
                    redaction: Redaction | None = None) -> str:
    """The auditors' text with case identifiers replaced and personal details removed.

    The review's own case identifiers, however typed (``DY 368461``, ``dy-368461``),
    become the case's pseudonym; another review's (with ``programme``) become
    :data:`~review_lib.report.wording.notes.OTHER_CASE`; email addresses, dates
    (``14/03/2023``, ``2023-03-14``, ``14th March 2023``), NHS numbers (ten digits, 3-3-4)
    and UK telephone numbers become :data:`REMOVED`'s marks.

    Parameters
    ----------
    text : str
        An auditor's evidence.
    review : Review
        Its review.
    programme : Programme, optional
        The other reviews, whose identifiers are removed too.
    redaction : Redaction, optional
        Counts each replacement made.

    Returns
    -------
    str
        The text as the pack shows it.
    """
    from review_lib.report.wording.notes import (
        _INVISIBLE,
        OTHER_CASE,
        _own_identifiers,
        _programme_identifiers,
    )
    from review_lib.report.wording.notes import _key as ref_key
    from review_lib.report.wording.notes import _parts as ref_parts

    counts = redaction.counts if redaction is not None else Counter()
    text = _INVISIBLE.sub("", str(text))
    own: dict[str, str] = {}
    for ref, name in review.case_pseudonyms().items():
        if str(ref).strip() and ref_parts(str(ref)):
            own.setdefault(ref_key(str(ref)), str(name))

    def own_case(key: str) -> str | None:
        name = own.get(key)
        if name is not None:
            counts["case"] += 1
        return name

    text = _own_identifiers(tuple(sorted(map(str, review.case_pseudonyms())))).replace(
        text, own_case)
    if programme is not None:
        def other_case(key: str) -> str | None:
            if key in own:
                return None
            counts["other_case"] += 1
            return OTHER_CASE

        text = _programme_identifiers(programme).replace(text, other_case)
    for kind, pattern in (("email", _EMAIL), ("date", _DATE), ("nhs", _NHS),
                          ("phone", _PHONE)):
        def removed(match: re.Match, kind: str = kind) -> str:
            if kind == "phone" and not 10 <= sum(ch.isdigit() for ch in match.group(0)
                                                 .replace("+44", "0")) <= 11:
                return match.group(0)
            counts[kind] += 1
            return REMOVED[kind]

        text = pattern.sub(removed, text)
    return text


#: Weakest first: Inadequate, Requires Improvement, Good, Outstanding, then not applicable.
_ORDER = {level: rank for rank, level in enumerate(reversed(LEVELS))}


@dataclass(frozen=True)
class PackEntry:
    """One record's answer to one question, as the pack shows it."""

    case: str
    auditor: str
    rating: str
    evidence: str


@dataclass(frozen=True)
class EvidencePack:
    """A review's evidence pack, ready to write as HTML or Word.

    Attributes
    ----------
    council, cycle : str
        The review.
    source : str
        The data file's (or forms folder's) name, never its path.
    questions : list of tuple
        Per question, in the catalogue's order: ``(id, label, wording, entries)``, the
        entries weakest first.
    judgements : list of PackEntry
        The overall judgements with their reasons, weakest first.
    redaction : Redaction
        What was replaced or removed from the auditors' text.
    synthetic : bool
        Whether the data are the bundled synthetic sample.
    """

    council: str
    cycle: str
    source: str
    questions: list
    judgements: list
    redaction: Redaction
    synthetic: bool = False

    @property
    def title(self) -> str:
        """The pack's title, marked internal."""
        return f"Evidence pack: {self.council}, {self.cycle} ({INTERNAL})"


def build_pack(review: Review, programme=None) -> EvidencePack:
    """Gather a review's evidence, pseudonymised and redacted, for the pack.

    Parameters
    ----------
    review : Review
        A review whose auditors wrote evidence (:attr:`Review.has_evidence`).
    programme : Programme, optional
        The programme, so that other reviews' case identifiers are removed too.

    Returns
    -------
    EvidencePack
        Everything the pack shows.
    """
    from review_lib.files import is_synthetic

    frame = review.evidence
    redaction = Redaction()

    def entries(rows) -> list[PackEntry]:
        found = [PackEntry(row.case, row.auditor, row.rating,
                           redact_evidence(row.evidence, review, programme, redaction)
                           if row.evidence else "")
                 for row in rows.itertuples(index=False)]
        return sorted(found, key=lambda e: (_ORDER.get(e.rating, len(_ORDER)), e.case))

    questions = []
    for question in review.catalogue:
        rows = frame[frame["question"] == question.id]
        questions.append((question.id, question.short_label, question.question,
                          entries(rows)))
    judgements = entries(frame[frame["question"] == OVERALL])
    return EvidencePack(review.council, review.cycle, Path(review.source).name, questions,
                        judgements, redaction, is_synthetic(review.path))


# --------------------------------------------------------------------------- HTML

_CSS = """
body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; max-width: 60rem;
       margin: 0 auto; padding: 1rem 1.5rem; line-height: 1.45; font-size: 1rem; }
.internal { border: 3px solid #d4351c; color: #0b0c0c; background: #fff4f2;
            padding: .5rem .8rem; font-weight: bold; margin: 0 0 1rem; }
h1 { font-size: 1.8rem; margin: .5rem 0 .25rem; }
h1 .mark { display: block; font-size: 1rem; color: #d4351c; }
h2 { font-size: 1.35rem; margin-top: 2rem; border-bottom: 2px solid #12436d; }
.wording { font-style: italic; margin: .25rem 0 .75rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid #b1b4b6; padding: .35rem .5rem; text-align: left;
         vertical-align: top; }
thead th { background: #12436d; color: #fff; }
td.rating { white-space: nowrap; font-weight: bold; width: 11em; }
tbody th, td.auditor { white-space: nowrap; }
td.count { text-align: right; width: 6em; }
td.none { color: #505a5f; font-style: italic; }
caption { text-align: left; font-weight: bold; padding: .25rem 0; }
nav ol { columns: 2; }
footer { margin-top: 2rem; font-size: .85rem; color: #505a5f; }
.print-mark { display: none; }
@page { size: A4; margin: 18mm 15mm;
        @top-center { content: "Internal: for the review team only";
                      font: bold 9pt Arial, sans-serif; color: #d4351c; }
        @bottom-center { content: "Page " counter(page) " of " counter(pages);
                         font: 9pt Arial, sans-serif; } }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .wording { break-after: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
}
"""


def pack_key(review: Review, programme=None) -> str:
    """What a review's pack is made from, and the code that makes it, as one key.

    The review's data (its file's or forms' SHA-256, which covers the evidence and the case
    identifiers), every other review's (whose identifiers the pack removes), the questions'
    wording and this module's source: equal keys make equal packs but for the date.

    Parameters
    ----------
    review : Review
        The review.
    programme : Programme, optional
        The programme the pack is made with.

    Returns
    -------
    str
        A SHA-256, hex.
    """
    import hashlib
    import json

    others = sorted((r.council, r.cycle, r.sha256) for r in programme.reviews) \
        if programme is not None else []
    questions = [(q.id, q.short_label, q.question) for q in review.catalogue]
    digest = hashlib.sha256(json.dumps([review.council, review.cycle, review.sha256,
                                        Path(review.source).name, others, questions,
                                        _synthetic(review)]).encode("utf-8"))
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def _synthetic(review: Review) -> bool:
    from review_lib.files import is_synthetic

    return is_synthetic(review.path)


def pack_html(pack: EvidencePack, run_date: dt.date | None = None, key: str = "") -> str:
    """The evidence pack as a self-contained HTML page, marked internal throughout.

    Parameters
    ----------
    pack : EvidencePack
        From :func:`build_pack`.
    run_date : date, optional
        The date it was made (today by default).
    key : str, optional
        The pack's :func:`pack_key`, kept in the page so that a later run can tell it is
        up to date.

    Returns
    -------
    str
        The page.
    """
    from review_lib import __version__

    run_date = run_date or dt.date.today()
    parts = [
        "<!DOCTYPE html>", '<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="robots" content="noindex, nofollow">',
        *([f'<meta name="pack-key" content="{esc(key)}">'] if key else []),
        f"<title>{esc(pack.title)}</title><style>{_CSS}</style></head><body>",
        f'<p class="internal" role="note">{esc(INTERNAL)}. This pack holds the auditors\' '
        "own evidence and analysis. It is not part of the leadership report: do not "
        "publish it, forward it outside the review team or quote it without "
        "checking.</p>",
        f'<h1>Evidence pack: {esc(pack.council)}, {esc(pack.cycle)}'
        f'<span class="mark">{esc(INTERNAL)}</span></h1>',
    ]
    if pack.synthetic:
        parts.append('<p class="internal">Synthetic sample data: the evidence is invented '
                     "and describes no real person.</p>")
    parts.append(
        "<p>For each question of the audit tool, in its order, every case record's rating "
        "with the auditor's evidence beside it, weakest rating first; then the overall "
        "judgements with the auditors' reasons. Cases are named by their pseudonyms, as in "
        "the reports.</p>")
    parts.append(_redaction_table(pack))
    parts.append('<nav aria-label="Contents"><h2>Contents</h2><ol>')
    for qid, label, _, _ in pack.questions:
        parts.append(f'<li><a href="#{esc(qid.lower())}">{esc(qid)} {esc(label)}</a></li>')
    parts.append('<li><a href="#overall">Overall judgements</a></li></ol></nav>')
    for qid, label, wording, entries in pack.questions:
        parts.append(f'<section aria-labelledby="{esc(qid.lower())}">'
                     f'<h2 id="{esc(qid.lower())}">{esc(qid)} {esc(label)}</h2>'
                     f'<p class="wording">{esc(wording)}</p>')
        parts.append(_entries_table(entries, f"{qid} {label}: ratings and evidence, "
                                             "weakest first", "Rating", "Evidence"))
        parts.append("</section>")
    parts.append('<section aria-labelledby="overall"><h2 id="overall">Overall judgements'
                 "</h2><p class=\"wording\">The auditor's overall judgement of each case "
                 "record, and the reason given for it.</p>")
    parts.append(_entries_table(pack.judgements, "Overall judgements and their reasons, "
                                                 "weakest first", "Judgement", "Reason"))
    parts.append("</section>")
    parts.append(
        f"<footer><p><strong>{esc(INTERNAL)}.</strong> Made from {esc(pack.source)} on "
        f"{run_date:%d %B %Y} by review_lib {esc(__version__)}. No other report links to "
        "this pack or holds its text.</p></footer></body></html>")
    return "\n".join(parts)


def _redaction_table(pack: EvidencePack) -> str:
    rows = "".join(f"<tr><th scope=\"row\">{esc(name)}</th>"
                   f"<td class=\"count\">{pack.redaction.counts.get(kind, 0)}</td></tr>"
                   for kind, name in KIND_NAMES.items())
    return ("<table class=\"redaction\"><caption>Taken out of the auditors' text before "
            "it was shown here</caption><thead><tr><th scope=\"col\">What</th>"
            f"<th scope=\"col\">How many</th></tr></thead><tbody>{rows}</tbody></table>")


def _entries_table(entries: list[PackEntry], caption: str, rating: str, evidence: str
                   ) -> str:
    rows = []
    for entry in entries:
        text = (f"<td>{esc(entry.evidence)}</td>" if entry.evidence
                else '<td class="none">No evidence recorded</td>')
        rows.append(f"<tr><th scope=\"row\">{esc(entry.case)}</th><td class=\"auditor\">"
                    f"{esc(entry.auditor)}</td><td class=\"rating\">{esc(entry.rating)}</td>"
                    f"{text}</tr>")
    return (f"<table><caption>{esc(caption)}</caption><thead><tr><th scope=\"col\">Case</th>"
            f"<th scope=\"col\">Auditor</th><th scope=\"col\">{esc(rating)}</th>"
            f"<th scope=\"col\">{esc(evidence)}</th></tr></thead><tbody>{''.join(rows)}"
            "</tbody></table>")


# --------------------------------------------------------------------------- Word


def write_pack_docx(pack: EvidencePack, path: str | Path,
                    run_date: dt.date | None = None) -> Path:
    """Write the evidence pack as an editable Word file, marked internal on every page.

    Parameters
    ----------
    pack : EvidencePack
        From :func:`build_pack`.
    path : str or Path
        The ``.docx`` file; written under a temporary name, then renamed.
    run_date : date, optional
        The date it was made (today by default).

    Returns
    -------
    Path
        The file written.
    """
    import os

    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt, RGBColor

    from review_lib import __version__
    from review_lib.files import publish
    from review_lib.report.formats import _field

    run_date = run_date or dt.date.today()
    document = docx.Document()
    document.core_properties.title = pack.title
    document.core_properties.author = "review_lib"
    document.core_properties.created = dt.datetime(run_date.year, run_date.month,
                                                   run_date.day)
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin = section.bottom_margin = Mm(20)
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    mark = header.add_run(INTERNAL)
    mark.bold, mark.font.size = True, Pt(10)
    mark.font.color.rgb = RGBColor(0xD4, 0x35, 0x1C)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{INTERNAL} \u00b7 Evidence pack, {pack.council} {pack.cycle} "
                   "\u00b7 Page ").font.size = Pt(9)
    _field(footer, "PAGE", "1")
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(10)

    document.add_heading(f"Evidence pack: {pack.council}, {pack.cycle}", level=0)
    warning = document.add_paragraph()
    run = warning.add_run(f"{INTERNAL}. This pack holds the auditors' own evidence and "
                          "analysis. It is not part of the leadership report: do not "
                          "publish it, forward it outside the review team or quote it "
                          "without checking.")
    run.bold = True
    if pack.synthetic:
        document.add_paragraph("Synthetic sample data: the evidence is invented and "
                               "describes no real person.")
    document.add_paragraph(
        "For each question of the audit tool, in its order, every case record's rating "
        "with the auditor's evidence beside it, weakest rating first; then the overall "
        "judgements with the auditors' reasons. Cases are named by their pseudonyms, as in "
        "the reports.")
    document.add_paragraph("Taken out of the auditors' text before it was shown here",
                           style="Caption")
    table = document.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "What", "How many"
    for kind, name in KIND_NAMES.items():
        cells = table.add_row().cells
        cells[0].text, cells[1].text = name, str(pack.redaction.counts.get(kind, 0))
        cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _bold_first_row(table)

    def entries_table(entries: list[PackEntry], rating: str, evidence: str) -> None:
        grid = document.add_table(rows=1, cols=4)
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, ("Case", "Auditor", rating, evidence),
                              strict=True):
            cell.text = text
        for entry in entries:
            cells = grid.add_row().cells
            cells[0].text, cells[1].text, cells[2].text = (entry.case, entry.auditor,
                                                           entry.rating)
            cells[3].text = entry.evidence or "No evidence recorded"
            if not entry.evidence:
                cells[3].paragraphs[0].runs[0].italic = True
        for row in grid.rows:
            for cell, width in zip(row.cells, (Mm(20), Mm(18), Mm(32), Mm(104)), strict=True):
                cell.width = width
        _bold_first_row(grid)

    for qid, label, wording, entries in pack.questions:
        document.add_heading(f"{qid} {label}", level=1)
        document.add_paragraph(wording).runs[0].italic = True
        entries_table(entries, "Rating", "Evidence")
    document.add_heading("Overall judgements", level=1)
    document.add_paragraph("The auditor's overall judgement of each case record, and the "
                           "reason given for it.").runs[0].italic = True
    entries_table(pack.judgements, "Judgement", "Reason")
    document.add_paragraph(f"{INTERNAL}. Made from {pack.source} on {run_date:%d %B %Y} by "
                           f"review_lib {__version__}.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        document.save(str(temporary))
        publish(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _bold_first_row(table) -> None:
    """A table's heading row in bold, repeated on each page it runs over."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    row = table.rows[0]
    for cell in row.cells:
        for paragraph in cell.paragraphs:
            for run in paragraph.runs:
                run.bold = True
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


# --------------------------------------------------------------------------- files


def pack_paths(reports_dir: str | Path, council: str, cycle: str) -> tuple[Path, Path]:
    """Where a review's evidence pack goes: its HTML and Word files.

    Parameters
    ----------
    reports_dir : str or Path
        The reports' root.
    council, cycle : str
        The review.

    Returns
    -------
    tuple of Path
        ``<reports>/<cycle>/internal/<council>-evidence-pack.html`` and ``.docx``.
    """
    from review_lib.files import slug

    folder = Path(reports_dir) / cycle / INTERNAL_FOLDER
    stem = f"{slug(council)}-evidence-pack"
    return folder / f"{stem}.html", folder / f"{stem}.docx"


def write_evidence_pack(review: Review, reports_dir: str | Path, programme=None, *,
                        docx: bool = True, run_date: dt.date | None = None,
                        force: bool = False) -> list[Path]:
    """Write a review's evidence pack (HTML, and Word), each file atomically.

    A pack whose content and code have not changed since it was written (its page keeps
    its :func:`pack_key`) is not written again, unless ``force``: a run with nothing
    changed does not spend the second or so a Word file takes.

    Parameters
    ----------
    review : Review
        A review with evidence (:attr:`Review.has_evidence`).
    reports_dir : str or Path
        The reports' root: the pack goes in ``<cycle>/internal/``.
    programme : Programme, optional
        The programme, so that other reviews' case identifiers are removed too.
    docx : bool, default True
        Write the Word file too.
    run_date : date, optional
        The date printed (today by default).
    force : bool, default False
        Write the files even when they are up to date.

    Returns
    -------
    list of Path
        The files written (none when they were up to date).

    Raises
    ------
    ValueError
        When the review holds no evidence.
    """
    from review_lib.files import write_atomically

    if not review.has_evidence:
        raise ValueError(f"{review.council} {review.cycle} holds no auditors' evidence: "
                         "its data file has no Evidence columns (or forms with evidence)")
    html_path, docx_path = pack_paths(reports_dir, review.council, review.cycle)
    key = pack_key(review, programme)
    if not force and (docx_path.is_file() or not docx) and html_path.is_file():
        try:
            current = f'<meta name="pack-key" content="{key}">' in html_path.read_text(
                encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            current = False
        if current:
            return []
    pack = build_pack(review, programme)
    written = [write_atomically(html_path, pack_html(pack, run_date, key))]
    if docx:
        written.append(write_pack_docx(pack, docx_path, run_date))
    return written
