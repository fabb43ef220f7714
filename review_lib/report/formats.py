"""The forms councils pass reports around in: PDF (headless Chromium) and Word (pandoc).

**PDF.** The HTML report is printed by headless Chromium, which the browser checks already
use, so the PDF is exactly the page a reader prints: A4, the running footer, the draft mark.
Chromium writes a tagged PDF (headings, lists, tables and image alt text in its structure
tree) with bookmarks from the headings. No pip-installable engine does all three for this
HTML: WeasyPrint needs system libraries (Pango) that pip cannot install, and writes tagged
PDF only in its PDF/UA mode. Where no Chromium is found, :func:`pdf_engine` says so and a
run writes everything else.

**Word.** pandoc (the ``pypandoc-binary`` wheel, which carries it) turns the same HTML into an
editable ``.docx``: real heading styles, tables as Word tables, charts as images with their
alt text, and a Word table of contents in place of the HTML contents list. Its styles come
from a reference document, by default :func:`house_style` (Arial, the report's blue); a
council can pass its own.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from review_lib.files import publish

#: Where Chromium is looked for, in order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

#: What to install when there is no PDF engine.
PDF_ENGINE_HINT = ("install Chromium to write PDFs (Debian or Ubuntu: "
                   "'apt-get install chromium'); every other file is still written")

_FLAGS = ("--headless", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--disable-default-apps",
          "--disable-extensions", "--no-first-run", "--no-default-browser-check",
          "--disable-quic", "--mute-audio", "--hide-scrollbars")


def pdf_engine() -> str | None:
    """The Chromium that prints PDFs here, or None.

    ``$PRACTICE_REVIEW_CHROMIUM`` names one explicitly (an empty value means none).

    Returns
    -------
    str or None
        The executable.
    """
    if "PRACTICE_REVIEW_CHROMIUM" in os.environ:
        return os.environ["PRACTICE_REVIEW_CHROMIUM"] or None
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


class FormatError(RuntimeError):
    """A PDF or Word file could not be written (the message says why, and what to do)."""


def html_to_pdf(html: Path, pdf: Path, *, engine: str | None = None, timeout: int = 180
                ) -> Path:
    """Print an HTML report to PDF with headless Chromium, atomically.

    Parameters
    ----------
    html : Path
        A self-contained report.
    pdf : Path
        Where the PDF goes (written under a temporary name, then renamed).
    engine : str, optional
        The Chromium executable (by default :func:`pdf_engine`).
    timeout : int, default 180
        Seconds before Chromium is stopped.

    Returns
    -------
    Path
        The PDF.

    Raises
    ------
    FormatError
        With no Chromium, or when it fails.
    """
    engine = engine or pdf_engine()
    if engine is None:
        raise FormatError(f"no PDF engine: {PDF_ENGINE_HINT}")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="practice-review-pdf-") as profile:
        temporary = pdf.with_name(f".{pdf.name}.{os.getpid()}.part")
        command = [engine, *_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
                   "--generate-pdf-document-outline", f"--print-to-pdf={temporary}",
                   Path(html).resolve().as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to run as root otherwise
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            temporary.unlink(missing_ok=True)
            raise FormatError(f"Chromium could not print {html.name} ({type(error).__name__})"
                              ) from None
        if done.returncode != 0 or not temporary.exists() or temporary.stat().st_size == 0:
            temporary.unlink(missing_ok=True)
            raise FormatError(f"Chromium could not print {html.name} (exit {done.returncode})")
        publish(temporary, pdf)
    return pdf


def html_to_pdfs(pairs, *, engine: str | None = None, timeout: int = 180,
                 pages: int | None = None) -> list:
    """Print many reports to PDF with one headless Chromium, each file atomically.

    Starting Chromium costs more than printing a report, so a run prints every PDF from
    one browser, driven through the DevTools protocol by Playwright (with the system's
    Chromium: Playwright downloads nothing). Two pages print at once, one report each
    (Chromium lays out and prints each page in its own process): 15 reports took 2.9 s
    instead of 4.0 s one after another. The PDFs are those of :func:`html_to_pdf`: the
    page as printed, tagged, with bookmarks. Without Playwright each file is printed by
    :func:`html_to_pdf`.

    Parameters
    ----------
    pairs : iterable of (Path, Path)
        ``(html, pdf)`` for each report.
    engine : str, optional
        The Chromium executable (by default :func:`pdf_engine`).
    timeout : int, default 180
        Seconds allowed for each report.
    pages : int, optional
        Reports printed at once (by default 2, or 1 on a single core).

    Returns
    -------
    list of (Path, str or None)
        Each PDF, in the order given, with None, or with what went wrong (the others are
        still printed).

    Raises
    ------
    FormatError
        With no Chromium at all.
    """
    pairs = [(Path(h), Path(p)) for h, p in pairs]
    engine = engine or pdf_engine()
    if engine is None:
        raise FormatError(f"no PDF engine: {PDF_ENGINE_HINT}")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return [_one_pdf(html, pdf, engine, timeout) for html, pdf in pairs]
    if pages is None:
        pages = 2 if (os.cpu_count() or 1) > 1 else 1
    pages = max(1, min(pages, len(pairs)))
    printing = _print_all(pairs, engine, timeout, pages)
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: no event loop in this thread
        return asyncio.run(printing)
    # Called from a running event loop (a notebook cell): print from a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, printing).result()


async def _print_all(pairs: list[tuple[Path, Path]], engine: str, timeout: int,
                     pages: int) -> list:
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    args = [flag for flag in _FLAGS if flag != "--headless"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    done: list = [None] * len(pairs)
    queue = list(enumerate(pairs))

    async def new_page(context):
        page = await context.new_page()
        page.set_default_timeout(timeout * 1000)
        return page

    async def printer(context) -> None:
        page = await new_page(context)
        while queue:
            number, (html, pdf) = queue.pop(0)
            pdf.parent.mkdir(parents=True, exist_ok=True)
            temporary = pdf.with_name(f".{pdf.name}.{os.getpid()}.{number}.part")
            try:
                await page.goto(html.resolve().as_uri(), wait_until="load")
                await page.pdf(path=str(temporary), prefer_css_page_size=True,
                               print_background=True, outline=True, tagged=True)
                publish(temporary, pdf)
                done[number] = (pdf, None)
            except (PlaywrightError, OSError) as error:
                temporary.unlink(missing_ok=True)
                done[number] = (pdf, f"Chromium could not print {html.name} "
                                     f"({type(error).__name__})")
                # A page that failed goes on to its error page, which would cut short the
                # next report's loading: the next report gets a new page.
                await page.close()
                page = await new_page(context)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=engine, headless=True,
                                                   args=args)
        try:
            context = await browser.new_context(offline=True)  # nothing leaves the machine
            await asyncio.gather(*(printer(context) for _ in range(pages)))
        finally:
            await browser.close()
    return done


def _one_pdf(html: Path, pdf: Path, engine: str, timeout: int) -> tuple[Path, str | None]:
    try:
        return html_to_pdf(html, pdf, engine=engine, timeout=timeout), None
    except FormatError as error:
        return pdf, str(error)


def house_style(path: Path) -> Path:
    """Write the suite's Word reference document: pandoc's styles, in the report's look.

    Arial throughout, headings in the report's blue (#12436D), captions and table text a
    little smaller; A4 pages with 20 mm margins and a footer giving the report's title and
    "Page N of M"; Word asked to update fields on opening, so that the contents list is
    filled in. A council replaces it with its own reference document (any ``.docx`` whose
    styles and page it likes: pandoc takes the styles and the page, not the text).

    Parameters
    ----------
    path : Path
        Where to write it.

    Returns
    -------
    Path
        The reference document.
    """
    import docx
    import pypandoc
    from docx.shared import Pt, RGBColor

    with tempfile.TemporaryDirectory(prefix="practice-review-style-") as folder:
        default = Path(folder) / "reference.docx"
        pypandoc.convert_text("", "docx", format="markdown", outputfile=str(default),
                              extra_args=["--print-default-data-file=reference.docx"])
        if not default.exists() or default.stat().st_size == 0:
            data = subprocess.run([pypandoc.get_pandoc_path(), "-o", "-",
                                   "--print-default-data-file", "reference.docx"],
                                  capture_output=True, check=True).stdout
            default.write_bytes(data)
        document = docx.Document(str(default))
    blue = RGBColor(0x12, 0x43, 0x6D)
    for style in document.styles:
        font = getattr(style, "font", None)
        if font is None:
            continue
        font.name = "Arial"
        if style.name.startswith("Heading") or style.name == "Title":
            font.color.rgb = blue
        if style.name in ("Caption", "Image Caption", "Table Caption", "Compact"):
            font.size = Pt(9.5)
    _a4_page_with_footer(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def _field(paragraph, instruction: str, shown: str) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``, ``TITLE``) in 9 points, ending a paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    properties, size = OxmlElement("w:rPr"), OxmlElement("w:sz")
    size.set(qn("w:val"), "18")  # 9 points, as the footer's other text
    properties.append(size)
    run.append(properties)
    text = OxmlElement("w:t")
    text.text = shown
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _a4_page_with_footer(document) -> None:
    """A4, 20 mm margins, a footer of title and page, and fields updated when opened."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(20)
        section.top_margin = section.bottom_margin = Mm(20)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _field(footer, "TITLE", "Practice Review report")
        footer.add_run(" \u00b7 Page ")
        _field(footer, "PAGE", "1")
        footer.add_run(" of ")
        _field(footer, "NUMPAGES", "1")
        for run in footer.runs:
            run.font.size = Pt(9)
    settings = document.settings.element
    if settings.find(qn("w:updateFields")) is None:
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        settings.append(update)


def _word_ready(html: str) -> str:
    """The report's HTML as pandoc should read it: no contents list, no style, no marks.

    The report's h1 is taken out and made its ``<title>``, which pandoc makes the Word
    file's one Title paragraph (else the title would be printed twice: the page's title,
    then the h1 as a heading).
    """
    heading = re.search(r"<h1\b[^>]*>(.*?)</h1>", html, flags=re.S)
    if heading:
        text = re.sub(r"<[^>]+>", "", heading.group(1)).strip()
        html = html[:heading.start()] + html[heading.end():]
        if re.search(r"<title\b", html):
            html = re.sub(r"<title\b[^>]*>.*?</title>", lambda _: f"<title>{text}</title>",
                          html, count=1, flags=re.S)
        else:
            html = re.sub(r"<head\b[^>]*>", lambda m: f"{m.group(0)}<title>{text}</title>",
                          html, count=1)
    html = re.sub(r"<nav\b.*?</nav>", "", html, flags=re.S)
    html = re.sub(r"<style\b.*?</style>", "", html, flags=re.S)
    html = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)
    html = re.sub(r'<p class="draft-mark"[^>]*>.*?</p>', "", html, flags=re.S)
    return html


_EMBEDDED_IMAGE = re.compile(r'src="data:image/(png|jpeg|gif);base64,([A-Za-z0-9+/=]+)"')


def _images_as_files(html: str, folder: Path) -> str:
    """The report's embedded images written beside it, for pandoc to read as files.

    Pandoc reads a report whose charts are data URLs four times more slowly than the same
    report naming the charts' files (0.7 s against 0.16 s for a leadership report); the
    Word file embeds the same images either way. The files are in the conversion's own
    temporary folder, removed with it.
    """
    import base64

    count = 0

    def written(match: re.Match) -> str:
        nonlocal count
        count += 1
        name = f"chart-{count:03d}.{match.group(1)}"
        (folder / name).write_bytes(base64.b64decode(match.group(2)))
        return f'src="{name}"'

    return _EMBEDDED_IMAGE.sub(written, html)


#: Room for a numbered list's numbers, in twentieths of a point: pandoc's lists leave a
#: quarter of an inch (360), where "10." and the text after it touch.
_NUMBER_ROOM = 540
#: Tables of at most this many rows are kept on one page (with their caption); longer ones
#: may break between rows, their heading row repeated on each page.
_KEPT_TABLE_ROWS = 25
#: Paragraph styles pandoc gives what must stay with the paragraph after it: a table's
#: caption (above it) and a chart (its caption below).
_KEPT_WITH_NEXT = ("TableCaption", "CaptionedFigure")


def _finish_word_file(path: Path) -> None:
    """Print-ready touches pandoc does not make, written into the Word file in place.

    - Numbered lists get room for two-digit numbers (bulleted lists are left alone).
    - No table row is split across pages; a table of up to 25 rows is kept on one page,
      and a longer one repeats its heading row (pandoc marks it) on each.
    - A table's caption is kept with its table, and a chart with its caption.
    """
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document(str(path))

    def properties(parent, tag: str):
        found = parent.find(qn(tag))
        if found is None:
            found = OxmlElement(tag)
            parent.insert(0, found)
        return found

    def keep_with_next(paragraph) -> None:
        pr = properties(paragraph, "w:pPr")
        if pr.find(qn("w:keepNext")) is None:
            style = pr.find(qn("w:pStyle"))
            # keepNext follows the style reference, as the schema orders them
            pr.insert(1 if style is not None else 0, OxmlElement("w:keepNext"))

    body = document.element.body
    for paragraph in body.iter(qn("w:p")):
        style = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        if style is not None and style.get(qn("w:val")) in _KEPT_WITH_NEXT:
            keep_with_next(paragraph)
    for table in body.iter(qn("w:tbl")):
        rows = table.findall(qn("w:tr"))
        for number, row in enumerate(rows, start=1):
            row_pr = row.find(qn("w:trPr"))
            if row_pr is None:
                row_pr = OxmlElement("w:trPr")
                grid = row.find(qn("w:tblPrEx"))
                row.insert(1 if grid is not None else 0, row_pr)
            if row_pr.find(qn("w:cantSplit")) is None:
                row_pr.insert(0, OxmlElement("w:cantSplit"))
            if len(rows) <= _KEPT_TABLE_ROWS and number < len(rows):
                for paragraph in row.iter(qn("w:p")):
                    keep_with_next(paragraph)
    if _has_numbering(document):
        for level in document.part.numbering_part.element.iter(qn("w:lvl")):
            form = level.find(qn("w:numFmt"))
            indent = level.find(f"{qn('w:pPr')}/{qn('w:ind')}")
            if form is None or indent is None or form.get(qn("w:val")) in ("bullet", "none"):
                continue
            room = max(int(indent.get(qn("w:hanging")) or 0), _NUMBER_ROOM)
            indent.set(qn("w:left"), str(max(int(indent.get(qn("w:left")) or 0), room)))
            indent.set(qn("w:hanging"), str(room))
    document.save(str(path))


def _has_numbering(document) -> bool:
    try:
        return document.part.numbering_part is not None
    except (KeyError, NotImplementedError):
        return False


def html_to_docx(html: Path, docx_path: Path, *, reference: Path | None = None,
                 title: str | None = None) -> Path:
    """Turn an HTML report into an editable Word document, atomically.

    Parameters
    ----------
    html : Path
        A self-contained report (images embedded as data).
    docx_path : Path
        Where the ``.docx`` goes.
    reference : Path, optional
        A Word document whose styles to use (by default :func:`house_style`).
    title : str, optional
        The document's title property.

    Returns
    -------
    Path
        The Word document.

    Raises
    ------
    FormatError
        When pandoc fails or the reference document cannot be read.
    """
    import pypandoc

    docx_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="practice-review-docx-") as folder:
        style = Path(reference) if reference is not None else house_style(
            Path(folder) / "house-style.docx")
        if not style.is_file():
            raise FormatError(f"the Word style document {style.name} was not found")
        source = Path(folder) / "report.html"
        source.write_text(_images_as_files(
            _word_ready(Path(html).read_text(encoding="utf-8")), Path(folder)),
            encoding="utf-8")
        temporary = docx_path.with_name(f".{docx_path.name}.{os.getpid()}.part")
        # The report's h1 becomes the document's title (its one Title paragraph, and the
        # title the footer shows), its sections Heading 1 and their parts Heading 2; the
        # contents list lists the sections, as the HTML's does.
        extra = ["--toc", "--toc-depth=1", "--shift-heading-level-by=-1",
                 f"--reference-doc={style}", f"--resource-path={folder}"]
        if title:
            extra.append(f"--metadata=title:{title}")
        try:
            pypandoc.convert_file(str(source), "docx", format="html",
                                  outputfile=str(temporary), extra_args=extra)
            _finish_word_file(temporary)
        except (RuntimeError, OSError) as error:
            temporary.unlink(missing_ok=True)
            raise FormatError(f"pandoc could not write {docx_path.name} "
                              f"({str(error).splitlines()[0][:160] if str(error) else 'error'})"
                              ) from None
        publish(temporary, docx_path)
    return docx_path
