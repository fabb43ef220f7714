"""Open reports as a reader meets them: headless Chromium, with the network shut off."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def rendered(sample_run):
    """The session's sample batch (Dudley, Northwold, the cross-council report and the
    index), opened read only."""
    summary, out = sample_run
    assert not summary.failed
    return out / "reports"


def open_offline(browser, path: Path, screenshot: Path):
    """Open a file with every non-file request blocked; return page facts and requests."""
    context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))

    def block(route):
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", block)
    page = context.new_page()
    page.goto(path.as_uri(), wait_until="load")
    facts = page.evaluate("""() => ({
        title: document.title,
        lang: document.documentElement.lang,
        h1: Array.from(document.querySelectorAll('h1')).map(h => h.innerText),
        h2: Array.from(document.querySelectorAll('h2')).map(h => h.innerText),
        images: Array.from(document.images).map(i => ({
            ok: i.complete && i.naturalWidth > 0, width: i.getBoundingClientRect().width,
            alt: i.alt})),
        text: document.body.innerText,
        code: document.querySelectorAll('.jp-InputArea-editor, .highlight').length,
        // The report's own stylesheet applies: its colour variables are defined and the
        // widest element fits the page (no table or figure running off the right edge).
        textColour: getComputedStyle(document.body).getPropertyValue('--text').trim(),
        h1Colour: document.querySelector('h1') ?
            getComputedStyle(document.querySelector('h1')).color : '',
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        // Short row names ("Case 03", a council) broken over two lines: one text box a line.
        wrappedNames: Array.from(document.querySelectorAll('th[scope=row]'))
            .filter(th => th.innerText.trim().length <= 24 && th.innerText.includes(' '))
            .filter(th => {
                const range = document.createRange();
                range.selectNodeContents(th);
                return range.getClientRects().length > 1;
            }).map(th => th.innerText),
        wordALine: WORD_A_LINE(),
    })""".replace("WORD_A_LINE()", f"({WORD_A_LINE})()"))
    page.screenshot(path=str(screenshot), full_page=True)
    # As printed: A4 less the page margins of report.css (210 - 2 x 15 mm) is 680 px.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 680, "height": 900})
    facts["printedWordALine"] = page.evaluate(WORD_A_LINE)
    context.close()
    return facts, requests


#: Table cells of three words or more that read a word a line: one line box per word.
WORD_A_LINE = """() => Array.from(document.querySelectorAll('table th, table td')).filter(cell => {
    const words = cell.innerText.trim().split(/\\s+/).filter(Boolean).length;
    if (words < 3) return false;
    const range = document.createRange();
    range.selectNodeContents(cell);
    const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
    return lines.size >= words;
}).map(cell => cell.innerText.replace(/\\s+/g, ' '))"""


@pytest.mark.parametrize("name", ["leadership", "distributions"])
def test_report_renders_offline_with_its_charts(browser, rendered, name, tmp_path):
    path = rendered / "2022-24" / "dudley" / f"{name}.html"
    facts, requests = open_offline(browser, path, tmp_path / f"{name}.png")
    leaving = [u for u in requests if not u.startswith(("file:", "data:"))]
    assert leaving == [], "requests left the machine"
    assert facts["title"].startswith("Practice Review 2022-24: Dudley")
    assert facts["lang"] == "en-GB"
    assert facts["h1"] == ["Practice Review 2022-24: Dudley"]
    assert len(facts["h2"]) >= 4
    assert facts["images"], "no charts"
    for image in facts["images"]:
        assert image["ok"] and image["width"] > 300, image
        assert len(image["alt"]) > 40
    assert facts["code"] == 0
    assert "Case 01" in facts["text"] or name == "leadership"
    assert "SHA-256" in facts["text"]
    assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    assert_styled(facts)


def assert_styled(facts):
    """The report's stylesheet took effect, and nothing runs off the page at 1,100 px."""
    assert facts["textColour"] == "#0b0c0c", "the report's colour variables are not defined"
    assert facts["h1Colour"] == "rgb(18, 67, 109)"  # the accent colour of the stylesheet
    assert facts["overflow"] <= 0, f"the page is {facts['overflow']} px wider than the window"
    assert facts["wrappedNames"] == [], "short row names wrap onto two lines"
    assert facts["wordALine"] == [], "table cells read a word a line"
    assert facts["printedWordALine"] == [], "printed table cells read a word a line"


def test_cross_council_report_renders_offline(browser, rendered, tmp_path):
    path = rendered / "2022-24" / "cross-council.html"
    facts, requests = open_offline(browser, path, tmp_path / "cross.png")
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert facts["h1"] == ["Practice Review 2022-24: cross-council comparison"]
    assert len(facts["images"]) >= 5
    for image in facts["images"]:
        assert image["ok"] and image["width"] > 300 and len(image["alt"]) > 40, image
    assert facts["code"] == 0
    assert "Kestrel Vale" in facts["text"] and "Northwold" in facts["text"]
    assert_styled(facts)


def test_index_renders_offline_and_links_to_reports(browser, rendered, tmp_path):
    facts, requests = open_offline(browser, rendered / "index.html", tmp_path / "index.png")
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert facts["h1"] == ["Practice Review reports"]
    assert "Dudley" in facts["text"] and "18 of 20 (90%)" in facts["text"]
    assert "Cross-council comparison, 2022-24" in facts["text"]


def test_long_tables_sort_by_any_column_in_the_browser(browser, rendered):
    """The 14-row funnel tables get sort buttons; short tables (Section 4's) get none."""
    context = browser.new_context(offline=True)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
        ("file:", "data:")) else route.abort())
    page = context.new_page()
    page.goto((rendered / "2022-24" / "cross-council.html").as_uri(), wait_until="load")
    sortable = page.locator("table.sortable")
    assert sortable.count() >= 2
    table = sortable.first
    rows = table.locator("tbody tr")
    councils = [rows.nth(i).locator("th, td").first.inner_text() for i in range(rows.count())]
    assert rows.count() == 14
    share_column = next(i for i, text in enumerate(table.locator("thead th").all_inner_texts())
                        if "%" in text or "share" in text.lower() or "Good" in text)
    button = table.locator("thead th").nth(share_column).locator('[role="button"].sort')
    button.click()
    assert table.locator("thead th").nth(share_column).get_attribute("aria-sort") == \
        "ascending"
    def share(i: int) -> float:
        text = rows.nth(i).locator("th, td").nth(share_column).inner_text()
        return float(re.search(r"([\d.]+)%", text).group(1))

    numbers = [share(i) for i in range(rows.count())]
    assert numbers == sorted(numbers)
    button.focus()
    page.keyboard.press("Enter")  # by keyboard too
    assert table.locator("thead th").nth(share_column).get_attribute("aria-sort") == \
        "descending"
    assert [share(i) for i in range(rows.count())] == sorted(numbers, reverse=True)
    # The first column sorts by name, and pressing it twice restores the reverse order.
    first = table.locator("thead th").first.locator('[role="button"].sort')
    assert first.get_attribute("tabindex") == "0"
    first.focus()
    page.keyboard.press(" ")
    names = [rows.nth(i).locator("th, td").first.inner_text() for i in range(rows.count())]
    assert names == sorted(councils, key=str.casefold)
    page.goto((rendered / "2022-24" / "dudley" / "leadership.html").as_uri(), wait_until="load")
    table_1 = page.locator("table.data", has=page.locator("caption", has_text="Table 1."))
    assert table_1.count() == 1 and "sortable" not in (table_1.get_attribute("class") or "")
    assert table_1.locator(".sort").count() == 0  # short tables are left as they are
    context.close()
