"""``practice-review run --pdf --docx``: PDF and Word files beside the HTML reports.

Each leadership and cross-council report gets a PDF (headless Chromium); each leadership
report gets an editable Word file (pandoc). A file already newer than its HTML is kept.
Without Chromium the run says what to install and writes everything else; a file that
cannot be written costs only itself.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from review_lib.batch.jobs import CROSS_NOTEBOOK, RunSummary, redact

#: The notebooks whose HTML is printed to PDF, and those also written as Word.
PDF_NOTEBOOKS = ("council_leadership", CROSS_NOTEBOOK)
DOCX_NOTEBOOKS = ("council_leadership",)


def _current(target: Path, html: Path) -> bool:
    return target.exists() and target.stat().st_mtime_ns >= html.stat().st_mtime_ns


def write_formats(summary: RunSummary, *, pdf: bool, docx: bool, docx_style: Path | None,
                  jobs: int | None = None, log=None) -> None:
    """Write the PDF and Word files of a run's reports, in parallel, into ``summary``.

    Parameters
    ----------
    summary : RunSummary
        The run's outcomes; files written are added to ``written``, and anything that
        could not be written to ``messages``.
    pdf, docx : bool
        Which formats.
    docx_style : Path or None
        A council's Word reference document, or None for the suite's house style.
    jobs : int, optional
        Files written at once (by default the machine's cores).
    log : callable, optional
        Called with a line per file.
    """
    # What is said names the tools, but a path inside the project or the home folder only
    # as <project> or ~ (the run's log is kept among the reports).
    start = len(summary.messages)
    try:
        _write_formats(summary, pdf=pdf, docx=docx, docx_style=docx_style, jobs=jobs,
                       log=lambda line: (log or (lambda _: None))(redact(line)))
    finally:
        summary.messages[start:] = [redact(m) for m in summary.messages[start:]]


def _write_formats(summary: RunSummary, *, pdf: bool, docx: bool, docx_style: Path | None,
                   jobs: int | None, log) -> None:
    from review_lib.report.formats import (
        PDF_ENGINE_HINT,
        FormatError,
        engine_problem,
        house_style,
        html_to_docx,
        html_to_pdfs,
        pdf_engine,
    )

    engine = pdf_engine() if pdf else None
    problem = engine_problem(engine) if pdf else None
    if problem:
        summary.messages.append(f"No PDF written: {PDF_ENGINE_HINT}." if engine is None
                                else f"No PDF written: {problem[0].upper()}{problem[1:]}.")
        log(f"no PDF: {problem}")
        pdf = False
    if docx_style is not None and not Path(docx_style).is_file():
        summary.messages.append(f"No Word file written: the style document "
                                f"{Path(docx_style).name} was not found.")
        docx = False
    work = []
    for outcome in summary.outcomes:
        if not outcome.ok or not outcome.html:
            continue
        html = Path(outcome.html)
        if not html.exists():
            continue
        notebook = outcome.job.notebook
        if pdf and notebook in PDF_NOTEBOOKS and not _current(html.with_suffix(".pdf"), html):
            work.append(("pdf", outcome.job.label, html, html.with_suffix(".pdf")))
        if docx and notebook in DOCX_NOTEBOOKS and not _current(
                html.with_suffix(".docx"), html):
            work.append(("docx", outcome.job.label, html, html.with_suffix(".docx")))
    if not work:
        return
    style = Path(docx_style) if docx_style else None
    folder = None
    if docx and style is None and any(kind == "docx" for kind, *_ in work):
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="practice-review-style-"))
        try:
            style = house_style(folder / "house-style.docx")
        except (FormatError, OSError) as error:  # pandoc missing, failing or hanging
            summary.messages.append(f"No Word file written: the house style could not be "
                                    f"made: {error}.")
            log(f"no Word files: {error}")
            work = [item for item in work if item[0] != "docx"]

    def word(item):
        _, label, html, target = item
        try:
            return html_to_docx(html, target, reference=style), None  # the h1 is the title
        except (FormatError, OSError) as error:
            return None, f"{label}: no Word file ({html.name} -> {target.name}): {error}"
        except Exception as error:  # never the run's failure
            return None, (f"{label}: no Word file ({html.name} -> {target.name}): "
                          f"{type(error).__name__}: {str(error)[:160]}")

    def printed():
        pairs = [(html, target) for kind, _, html, target in work if kind == "pdf"]
        labels = {target: label for kind, label, _, target in work if kind == "pdf"}
        if not pairs:
            return []
        try:
            return [(pdf, f"{labels[pdf]}: no PDF ({problem})" if problem else None)
                    for pdf, problem in html_to_pdfs(pairs, engine=engine)]
        except FormatError as error:
            return [(None, f"No PDF written ({len(pairs)} report(s)): {error}.")]
        except Exception as error:  # Playwright's own failures: never the run's
            return [(None, f"No PDF written ({len(pairs)} report(s)): printing failed "
                           f"({type(error).__name__}: {str(error)[:160]}); run again with "
                           "--pdf, or set PRACTICE_REVIEW_CHROMIUM to nothing to skip PDFs.")]

    try:
        # One Chromium prints every PDF while pandoc writes the Word files beside it.
        with ThreadPoolExecutor(max_workers=max(1, (jobs or os.cpu_count() or 2))) as pool:
            pdfs = pool.submit(printed)
            words = list(pool.map(word, [item for item in work if item[0] == "docx"]))
            results = [*pdfs.result(), *words]
        for target, problem in results:
            if problem is None and target is not None:
                summary.written.append(target)
                log(f"wrote {target.name}")
            else:
                summary.messages.append(problem)
                log(problem)
    finally:
        if folder is not None:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
