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
import contextlib
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

#: Seconds an external tool (Chromium, pandoc) may take over one file before it is stopped;
#: ``$PRACTICE_REVIEW_TOOL_TIMEOUT`` sets another.
TOOL_TIMEOUT = 180.0

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


def tool_timeout() -> float:
    """Seconds Chromium or pandoc may take over one file (``$PRACTICE_REVIEW_TOOL_TIMEOUT``).

    Returns
    -------
    float
        :data:`TOOL_TIMEOUT`, unless the variable holds a positive number of seconds.
    """
    raw = os.environ.get("PRACTICE_REVIEW_TOOL_TIMEOUT", "").strip()
    try:
        value = float(raw)
    except ValueError:
        return TOOL_TIMEOUT
    return value if value > 0 else TOOL_TIMEOUT


def _configured(variable: str, tool: str) -> str:
    """Where a tool's path came from, for messages."""
    return (f"${variable}" if variable in os.environ
            else f"the {tool} found on the PATH")


def engine_problem(engine: str | None) -> str | None:
    """Why a configured Chromium cannot be used, before starting it; None if it can.

    Parameters
    ----------
    engine : str or None
        The executable (:func:`pdf_engine`).

    Returns
    -------
    str or None
        What is wrong and what to do, naming the setting it came from.
    """
    if engine is None:
        return f"no PDF engine: {PDF_ENGINE_HINT}"
    found = shutil.which(engine)
    if found is None or not os.access(found, os.X_OK):
        return (f"Chromium was not found at {engine!r} "
                f"({_configured('PRACTICE_REVIEW_CHROMIUM', 'Chromium')}): set "
                "PRACTICE_REVIEW_CHROMIUM to Chromium's full path, or to nothing to skip PDFs")
    return None


def _chromium_failed(engine: str, what: str) -> str:
    return (f"Chromium ({engine!r}, {_configured('PRACTICE_REVIEW_CHROMIUM', 'Chromium')}) "
            f"{what}; check that '{engine} --headless --version' works, or set "
            "PRACTICE_REVIEW_CHROMIUM to a Chromium that does (or to nothing to skip PDFs)")


def pandoc_engine() -> str | None:
    """The pandoc that writes Word files here, or None.

    ``$PRACTICE_REVIEW_PANDOC`` names one explicitly (an empty value means none); otherwise
    the one the ``pypandoc-binary`` wheel carries, or one on the PATH.

    Returns
    -------
    str or None
        The executable.
    """
    if "PRACTICE_REVIEW_PANDOC" in os.environ:
        return os.environ["PRACTICE_REVIEW_PANDOC"] or None
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        return shutil.which("pandoc")


#: What to do when pandoc cannot be used.
PANDOC_HINT = ("reinstall the suite ('make install' brings pandoc with the pypandoc-binary "
               "wheel) or set PRACTICE_REVIEW_PANDOC to pandoc's full path (or to nothing to "
               "skip Word files)")


def run_pandoc(arguments: list[str], *, timeout: float | None = None) -> bytes:
    """Run pandoc with a time limit; its standard output, or a FormatError saying why not.

    Parameters
    ----------
    arguments : list of str
        pandoc's arguments.
    timeout : float, optional
        Seconds allowed (by default :func:`tool_timeout`).

    Returns
    -------
    bytes
        What pandoc wrote to its standard output.

    Raises
    ------
    FormatError
        When there is no pandoc, it cannot start, fails or runs past the time limit; the
        message names the pandoc used and what to do.
    """
    engine = pandoc_engine()
    source = _configured("PRACTICE_REVIEW_PANDOC", "pandoc")
    if engine is None:
        raise FormatError(f"no pandoc ({source} is empty): {PANDOC_HINT}")
    timeout = timeout or tool_timeout()
    try:
        done = subprocess.run([engine, *arguments], capture_output=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        raise FormatError(f"pandoc ({engine!r}, {source}) did not finish within "
                          f"{timeout:g} s and was stopped; {PANDOC_HINT}") from None
    except OSError as error:
        raise FormatError(f"pandoc ({engine!r}, {source}) could not start "
                          f"({error.strerror or error}); {PANDOC_HINT}") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise FormatError(f"pandoc ({engine!r}, {source}) failed with exit status "
                          f"{done.returncode}" + (f" ({said[0][:160]})" if said else "")
                          + f"; {PANDOC_HINT}")
    return done.stdout


def html_to_pdf(html: Path, pdf: Path, *, engine: str | None = None,
                timeout: float | None = None) -> Path:
    """Print an HTML report to PDF with headless Chromium, atomically.

    Parameters
    ----------
    html : Path
        A self-contained report.
    pdf : Path
        Where the PDF goes (written under a temporary name, then renamed).
    engine : str, optional
        The Chromium executable (by default :func:`pdf_engine`).
    timeout : float, optional
        Seconds before Chromium is stopped (by default :func:`tool_timeout`).

    Returns
    -------
    Path
        The PDF, its links to other reports relative (:func:`relative_links`).

    Raises
    ------
    FormatError
        With no Chromium, or when it fails.
    """
    engine = engine or pdf_engine()
    problem = engine_problem(engine)
    if problem:
        raise FormatError(problem)
    timeout = timeout or tool_timeout()
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
        except subprocess.TimeoutExpired:
            temporary.unlink(missing_ok=True)
            raise FormatError(_chromium_failed(
                engine, f"did not print {html.name} within {timeout:g} s and was stopped")
                              ) from None
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise FormatError(_chromium_failed(
                engine, f"could not start ({error.strerror or error})")) from None
        if done.returncode != 0 or not temporary.exists() or temporary.stat().st_size == 0:
            temporary.unlink(missing_ok=True)
            raise FormatError(_chromium_failed(
                engine, f"could not print {html.name} (exit status {done.returncode})"))
        try:
            relative_links(temporary, html)
        except Exception as error:  # a PDF whose links cannot be checked is not published
            temporary.unlink(missing_ok=True)
            raise FormatError(f"the links of {pdf.name} could not be made relative "
                              f"({type(error).__name__})") from None
        publish(temporary, pdf)
    return pdf


def html_to_pdfs(pairs, *, engine: str | None = None, timeout: float | None = None,
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
    timeout : float, optional
        Seconds allowed for starting the browser, and for each report (by default
        :func:`tool_timeout`).
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
        With no Chromium at all, or one that cannot start, crashes or does not answer
        (the message names it and says what to do).
    """
    pairs = [(Path(h), Path(p)) for h, p in pairs]
    engine = engine or pdf_engine()
    problem = engine_problem(engine)
    if problem:
        raise FormatError(problem)
    timeout = timeout or tool_timeout()
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


async def _print_all(pairs: list[tuple[Path, Path]], engine: str, timeout: float,
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
                await asyncio.wait_for(page.pdf(
                    path=str(temporary), prefer_css_page_size=True, print_background=True,
                    outline=True, tagged=True), timeout)
                relative_links(temporary, html)
                publish(temporary, pdf)
                done[number] = (pdf, None)
            except TimeoutError:
                temporary.unlink(missing_ok=True)
                done[number] = (pdf, f"Chromium did not print {html.name} within "
                                     f"{timeout:g} s")
            except (PlaywrightError, OSError, ValueError) as error:
                temporary.unlink(missing_ok=True)
                done[number] = (pdf, f"Chromium could not print {html.name} "
                                     f"({type(error).__name__})")
                # A page that failed goes on to its error page, which would cut short the
                # next report's loading: the next report gets a new page.
                await page.close()
                page = await new_page(context)

    async with async_playwright() as playwright:
        try:
            browser = await playwright.chromium.launch(
                executable_path=engine, headless=True, args=args, timeout=timeout * 1000)
        except PlaywrightError as error:
            said = "did not start" if "Timeout" in type(error).__name__ else "could not start"
            first = str(error).strip().splitlines()[:1]
            raise FormatError(_chromium_failed(
                engine, f"{said} within {timeout:g} s" if said == "did not start" else
                f"{said} ({first[0][:160] if first else type(error).__name__})")) from None
        try:
            context = await browser.new_context(offline=True)  # nothing leaves the machine
            # Each page's work has its own limit; this one bounds a browser that stops
            # answering altogether (every report's limit, plus a start).
            await asyncio.wait_for(asyncio.gather(*(printer(context) for _ in range(pages))),
                                   timeout * (len(pairs) + 1))
        except (TimeoutError, PlaywrightError):
            for number, (html, pdf) in enumerate(pairs):
                if done[number] is None:
                    done[number] = (pdf, _chromium_failed(
                        engine, f"stopped answering before it printed {html.name}"))
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(browser.close(), timeout)
    return done


def relative_links(pdf: Path, html: Path) -> Path:
    """Make a printed report's links to other files relative, in place.

    Chromium prints a link to another report (``../cross-council.html``) as the full
    ``file://`` address it resolved it to, which names folders on this machine. Each such
    link is rewritten relative to the report's own folder, as the HTML has it, so that it
    still works beside the other reports wherever they are copied; a ``file:`` link that
    cannot be made relative is removed (its text stays).

    Parameters
    ----------
    pdf : Path
        The printed PDF (rewritten in place only when it has such links).
    html : Path
        The report it was printed from (links are made relative to its folder).

    Returns
    -------
    Path
        The PDF.
    """
    from urllib.parse import unquote, urlsplit

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    base = Path(html).resolve().parent
    reader = PdfReader(str(pdf))
    changed = False
    writer = PdfWriter(clone_from=reader)
    for page in writer.pages:
        annotations = page.get("/Annots")
        if annotations is None:
            continue
        kept = []
        for reference in annotations.get_object():
            annotation = reference.get_object()
            action = annotation.get("/A")
            action = action.get_object() if action is not None else None
            uri = str(action.get("/URI", "")) if action is not None else ""
            if not uri.casefold().startswith("file:"):
                kept.append(reference)
                continue
            changed = True
            parts = urlsplit(uri)
            try:
                target = os.path.relpath(unquote(parts.path), base).replace(os.sep, "/")
            except ValueError:  # another drive (Windows): nothing relative to say
                continue
            if target.startswith("../../../"):
                continue  # outside the reports' folders: not a link between reports
            action[NameObject("/URI")] = TextStringObject(
                target + (f"#{parts.fragment}" if parts.fragment else ""))
            kept.append(reference)
        if changed:
            annotations.get_object().clear()
            annotations.get_object().extend(kept)
    if changed:
        with open(pdf, "wb") as stream:
            writer.write(stream)
    return pdf


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

    Raises
    ------
    FormatError
        When pandoc cannot give its own reference document (:func:`run_pandoc`).
    """
    import docx
    from docx.shared import Pt, RGBColor

    with tempfile.TemporaryDirectory(prefix="practice-review-style-") as folder:
        default = Path(folder) / "reference.docx"
        default.write_bytes(run_pandoc(["--print-default-data-file", "reference.docx"]))
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
    # What the stylesheet makes bold (a recommendation, the title over its evidence) is
    # bold in Word too, and so kept with what it heads (_bold_heading).
    html = re.sub(r'(<p class="(?:recommendation|evidence-title)">)(.*?)(</p>)',
                  r"\1<strong>\2</strong>\3", html, flags=re.S)
    # A number's cell (class "num") is right-aligned in Word too: pandoc reads the
    # alignment from the cell's style, not from the stylesheet left out above.
    return _NUMBER_CELL.sub(lambda m: f'{m.group(0)[:-1]} style="text-align: right">', html)


#: A table cell the report marks as holding a number (``class="num"``), without a style.
_NUMBER_CELL = re.compile(
    r"<t[dh]\b(?![^>]*\bstyle=)[^>]*\bclass=(?:\"[^\"]*\bnum\b[^\"]*\"|num\b)[^>]*>")


def _is_draft(html: str) -> bool:
    """Whether an HTML report is a draft: it carries the draft mark every printed page shows.

    Parameters
    ----------
    html : str
        A report's HTML.

    Returns
    -------
    bool
        True when the report says DRAFT (its title's draft mark).
    """
    return re.search(r'<p class="draft-mark"', html) is not None


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


def _finish_word_file(path: Path, *, draft: bool = False) -> None:
    """Print-ready touches pandoc does not make, written into the Word file in place.

    - Numbered lists get room for two-digit numbers (bulleted lists are left alone).
    - No table row is split across pages; a table of up to 25 rows is kept on one page,
      and a longer one repeats its heading row (pandoc marks it) on each.
    - A table's caption is kept with its table, a chart with its caption, and a short
      paragraph wholly in bold (a heading in all but style) with what follows it.
    - The items of a list read at the size of the body text (:func:`_list_style`).
    - The table of contents is headed "Contents" and already lists the sections, so it is
      never an empty heading before Word (or LibreOffice) updates it (:func:`_contents`).
    - A draft says DRAFT at the top of every page (:func:`_draft_header`).
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
        elif _bold_heading(paragraph):
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
    _list_style(document)
    _contents(document)
    if draft:
        _draft_header(document)
    document.save(str(path))


#: The style given to the items of tight lists, which pandoc gives its "Compact" style: that
#: is also its table cells' style, set smaller than the body text (:func:`house_style`).
LIST_STYLE = "List Text"


def _list_style(document) -> None:
    """List items in :data:`LIST_STYLE`: the body text's size, Compact's spacing."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml.ns import qn

    names = {style.name for style in document.styles}
    if "Compact" not in names or "Body Text" not in names:
        return
    if LIST_STYLE not in names:
        style = document.styles.add_style(LIST_STYLE, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = document.styles["Body Text"]
        compact = document.styles["Compact"].paragraph_format
        style.paragraph_format.space_before = compact.space_before
        style.paragraph_format.space_after = compact.space_after
    style_id = document.styles[LIST_STYLE].style_id
    compact_id = document.styles["Compact"].style_id
    for paragraph in document.element.body.iter(qn("w:p")):
        pr = paragraph.find(qn("w:pPr"))
        if pr is None or pr.find(qn("w:numPr")) is None:
            continue
        style = pr.find(qn("w:pStyle"))
        if style is not None and style.get(qn("w:val")) == compact_id:
            style.set(qn("w:val"), style_id)


def _contents(document) -> None:
    """The table of contents headed "Contents", listing the sections before any update.

    pandoc writes the field empty under a "Table of Contents" heading, for Word to fill in
    when the file is opened (after asking) and LibreOffice only on Tools, Update: until
    then the reader saw a heading over nothing. The field's result now holds every
    Heading 1, which an update replaces with the same list and its page numbers.
    """
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    body = document.element.body
    field = next((instr for instr in body.iter(qn("w:instrText"))
                  if (instr.text or "").strip().startswith("TOC")), None)
    if field is None:
        return
    paragraph = field.getparent().getparent()
    for heading in paragraph.itersiblings(preceding=True):
        if heading.tag == qn("w:p"):
            for text in heading.iter(qn("w:t")):
                if text.text == "Table of Contents":
                    text.text = "Contents"
            break
    level1 = document.styles["Heading 1"].style_id
    titles = [" ".join("".join(t.text or "" for t in p.iter(qn("w:t"))).split())
              for p in body.iter(qn("w:p"))
              if (s := p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")) is not None
              and s.get(qn("w:val")) == level1]
    titles = [title for title in titles if title]
    end = next((c for c in paragraph.iter(qn("w:fldChar"))
                if c.get(qn("w:fldCharType")) == "end"), None)
    if not titles or end is None:
        return
    def listed(entry, title: str) -> None:
        pr = entry.find(qn("w:pPr"))
        if pr is None:
            pr = OxmlElement("w:pPr")
            entry.insert(0, pr)
        style = OxmlElement("w:pStyle")
        style.set(qn("w:val"), "TOC1")
        pr.insert(0, style)
        run, text = OxmlElement("w:r"), OxmlElement("w:t")
        text.text = title
        run.append(text)
        entry.append(run)

    # The first section is listed in the field's own paragraph, after its separator; the
    # others each in a paragraph, and the field ends with the last of them.
    end.getparent().remove(end)
    listed(paragraph, titles[0])
    last = paragraph
    for title in titles[1:]:
        entry = OxmlElement("w:p")
        listed(entry, title)
        last.addnext(entry)
        last = entry
    closing = OxmlElement("w:r")
    closing.append(end)
    last.append(closing)


def _draft_header(document) -> None:
    """DRAFT, bold, at the top right of every page of every section."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    for section in document.sections:
        section.header.is_linked_to_previous = False
        paragraph = section.header.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = paragraph.add_run("DRAFT")
        run.bold = True
        run.font.size = Pt(10)
        if section.different_first_page_header_footer:
            first = section.first_page_header.paragraphs[0]
            first.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            first.add_run("DRAFT").bold = True


def _bold_heading(paragraph) -> bool:
    """A short paragraph wholly in bold: the report's headings that are not headings.

    "What the case records show" over a recommendation's evidence, say, which must not be
    left at the foot of a page, away from what it heads (Word's headings keep with the next
    paragraph by their style).
    """
    from docx.oxml.ns import qn

    runs = [r for r in paragraph.iter(qn("w:r")) if "".join(
        t.text or "" for t in r.iter(qn("w:t"))).strip()]
    text = "".join(t.text or "" for t in paragraph.iter(qn("w:t"))).strip()
    return bool(runs) and len(text) <= 120 and all(
        r.find(f"{qn('w:rPr')}/{qn('w:b')}") is not None for r in runs)


def _has_numbering(document) -> bool:
    try:
        return document.part.numbering_part is not None
    except (KeyError, NotImplementedError):
        return False


#: The relationship a Word file has with each hyperlink: the one kind of outside address kept
#: (following a link is the reader's choice; nothing is fetched when the file opens).
_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"


def strip_external(source: Path, target: Path | None = None) -> list[str]:
    """Remove every outside address a Word file would contact when opened.

    A council's style document can carry an attached template (``w:attachedTemplate``) or
    images linked rather than embedded, whose addresses pandoc copies into every Word file
    it writes with that style; Word then fetches them on opening, telling whoever serves
    them that the report was opened, where and when. Every relationship marked
    ``TargetMode="External"`` except hyperlinks is removed, with the attached template and
    every attribute that referred to it (a linked image keeps its place, empty).

    Parameters
    ----------
    source : Path
        A ``.docx`` (or ``.dotx``) file.
    target : Path, optional
        Where to write the cleaned copy; by default ``source`` is rewritten (only when it
        had any such address).

    Returns
    -------
    list of str
        The addresses removed.

    Raises
    ------
    FormatError
        When the file is not a Word document that can be read.
    """
    import zipfile

    from lxml import etree

    target = Path(target) if target is not None else Path(source)
    try:
        with zipfile.ZipFile(source) as package:
            parts = {info.filename: (info, package.read(info)) for info in package.infolist()}
    except (zipfile.BadZipFile, OSError, KeyError) as error:
        raise FormatError(f"{Path(source).name} is not a Word document that can be read "
                          f"({type(error).__name__}); expected a .docx saved by Word") from None
    removed: list[str] = []
    owners: dict[str, set[str]] = {}
    for name, (_, data) in list(parts.items()):
        if not name.endswith(".rels"):
            continue
        try:
            tree = etree.fromstring(data)
        except etree.XMLSyntaxError:
            continue
        gone = set()
        for relationship in list(tree):
            if (relationship.get("TargetMode") == "External"
                    and relationship.get("Type") != _HYPERLINK):
                gone.add(relationship.get("Id"))
                removed.append(relationship.get("Target", ""))
                tree.remove(relationship)
        if gone:
            folder, _, rels = name.rpartition("_rels/")
            owners[folder + rels[:-len(".rels")]] = gone
            parts[name] = (parts[name][0], etree.tostring(tree, xml_declaration=True,
                                                          encoding="UTF-8", standalone=True))
    for owner, gone in owners.items():
        if owner not in parts:
            continue
        tree = etree.fromstring(parts[owner][1])
        for element in list(tree.iter()):
            if not isinstance(element.tag, str):
                continue
            for attribute, value in list(element.attrib.items()):
                if attribute.startswith(f"{{{_RELATIONSHIPS}}}") and value in gone:
                    del element.attrib[attribute]
                    if etree.QName(element).localname == "attachedTemplate":
                        element.getparent().remove(element)
                        break
        parts[owner] = (parts[owner][0], etree.tostring(tree, xml_declaration=True,
                                                        encoding="UTF-8", standalone=True))
    if not removed and target == Path(source):
        return removed
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as package:
        for info, data in parts.values():
            package.writestr(info, data)
    os.replace(temporary, target)
    return removed


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
        When pandoc fails, hangs (:func:`tool_timeout`) or is missing, or the reference
        document cannot be read. A council's reference document is used without the
        outside addresses it names (:func:`strip_external`), and the Word file written has
        none either.
    """
    docx_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="practice-review-docx-") as folder:
        if reference is not None and not Path(reference).is_file():
            raise FormatError(f"the Word style document {Path(reference).name} was not found")
        style = house_style(Path(folder) / "house-style.docx") if reference is None else \
            Path(folder) / "style.docx"
        if reference is not None:  # a council's own: without the addresses it would contact
            strip_external(Path(reference), style)
        source = Path(folder) / "report.html"
        page = Path(html).read_text(encoding="utf-8")
        source.write_text(_images_as_files(_word_ready(page), Path(folder)), encoding="utf-8")
        temporary = docx_path.with_name(f".{docx_path.name}.{os.getpid()}.part")
        # The report's h1 becomes the document's title (its one Title paragraph, and the
        # title the footer shows), its sections Heading 1 and their parts Heading 2; the
        # contents list lists the sections, as the HTML's does.
        extra = ["--toc", "--toc-depth=1", "--shift-heading-level-by=-1",
                 f"--reference-doc={style}", f"--resource-path={folder}"]
        if title:
            extra.append(f"--metadata=title:{title}")
        try:
            run_pandoc([str(source), "--from=html", "--to=docx", f"--output={temporary}",
                        *extra])
            _finish_word_file(temporary, draft=_is_draft(page))
            strip_external(temporary)
        except FormatError as error:
            temporary.unlink(missing_ok=True)
            raise FormatError(f"{docx_path.name} was not written: {error}") from None
        except Exception as error:  # a file pandoc wrote that cannot be read back
            temporary.unlink(missing_ok=True)
            raise FormatError(f"{docx_path.name} was not written: pandoc's file could not "
                              f"be read back ({type(error).__name__})") from None
        publish(temporary, docx_path)
    return docx_path
