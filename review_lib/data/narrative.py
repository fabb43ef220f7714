"""The review team's own narrative (a Markdown file beside the data file), made safe.

The Markdown is parsed by a real Markdown parser (mistune, which nbconvert already uses)
and the HTML it gives is cleaned by a real HTML sanitiser (nh3, the Python binding of
ammonia) with an allow-list: text formatting, headings, lists, tables, quotes and code;
links only to places inside the report (``#...``); images only when embedded in the
file (``data:image/png``, ``jpeg``, ``gif`` or ``webp``). Scripts, styles, frames, forms,
event handlers and every other attribute are removed. A narrative therefore can never make
a report load anything, and never causes its report to be refused.

:func:`narrative_warnings` tells the review team, file and line, what will be removed.
"""

from __future__ import annotations

import re
from pathlib import Path

from review_lib.data.problems import WARNING, Problem

#: Elements kept (their content is kept for any other element, except the dropped ones).
ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u",
    "del", "s", "sub", "sup", "code", "pre", "blockquote", "ul", "ol", "li", "dl", "dt",
    "dd", "table", "thead", "tbody", "tr", "th", "td", "a", "img", "span",
}
#: Elements removed together with their content.
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript",
                        "template", "svg", "math", "form", "textarea", "select", "button"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"},
              "th": {"align"}, "td": {"align"}, "ol": {"start"}}

_EMBEDDED_IMAGE = re.compile(r"^data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$",
                             re.IGNORECASE)
_IMG_WITHOUT_SOURCE = re.compile(r"<img(?![^>]*\bsrc=)([^>]*)>")
_ALT = re.compile(r'\balt="([^"]*)"')


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: only local links and embedded images survive."""
    if tag == "a" and attribute == "href":
        return value if value.strip().startswith("#") else None
    if tag == "img" and attribute == "src":
        return value if _EMBEDDED_IMAGE.match(value.strip()) else None
    return value


def narrative_html(markdown: str) -> str:
    """Render a narrative's Markdown to HTML that loads nothing and runs nothing.

    Parameters
    ----------
    markdown : str
        The review team's Markdown (raw HTML in it is parsed, then cleaned).

    Returns
    -------
    str
        Sanitised HTML. A link to another site keeps its text; an image from elsewhere is
        replaced by its alt text.
    """
    import mistune
    import nh3

    html = mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])(markdown)
    cleaned = nh3.clean(html, tags=ALLOWED_TAGS, clean_content_tags=DROPPED_WITH_CONTENT,
                        attributes=ATTRIBUTES, attribute_filter=_keep_attribute,
                        url_schemes={"data"}, link_rel=None, strip_comments=True)

    def alt_text(match: re.Match) -> str:
        alt = _ALT.search(match.group(1))
        return alt.group(1) if alt else ""

    return _IMG_WITHOUT_SOURCE.sub(alt_text, cleaned)


#: What the narrative checks look for, line by line, and how each is described.
_CHECKS = [
    (re.compile(r"<\s*(script|style|iframe|object|embed|form|svg|math)\b", re.I),
     "an HTML <{0}> element, which is removed with its content"),
    (re.compile(r"\bon[a-z]+\s*=", re.I), "an event handler ({0}), which is removed"),
    (re.compile(r"javascript\s*:", re.I), "a javascript: address, which is removed"),
    (re.compile(r"!\[[^\]]*\]\(\s*<?(?!data:image/)([^)\s>]+)", re.I),
     "an image from {0}, which is shown as its text only (reports load nothing)"),
    (re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']?(?!data:image/)([^\"'\s>]+)", re.I),
     "an image from {0}, which is shown as its text only (reports load nothing)"),
    (re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?((?:[a-z][a-z0-9+.-]*:|//)[^)\s>]*)", re.I),
     "a link to {0}, which keeps its text but not the link (reports link nowhere else)"),
    (re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?((?:[a-z][a-z0-9+.-]*:|//)\S*)", re.I),
     "a link to {0}, which keeps its text but not the link (reports link nowhere else)"),
    (re.compile(r"data:(?!image/(?:png|jpeg|gif|webp);base64,)([a-z]+/[a-z0-9.+-]+)", re.I),
     "embedded data of type {0}, which is removed (only PNG, JPEG, GIF and WebP images are "
     "kept)"),
]


def narrative_warnings(path: Path, display_name: str) -> list[Problem]:
    """Warnings, file and line, for what :func:`narrative_html` will remove from a narrative.

    Parameters
    ----------
    path : Path
        The Markdown file.
    display_name : str
        Its name for messages.

    Returns
    -------
    list of Problem
        Warnings (``narrative-content``); none when the file is absent or clean.
    """
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return []
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern, words in _CHECKS:
            match = pattern.search(line)
            if match:
                found = match.group(1) if match.groups() else match.group(0)
                problems.append(Problem(
                    "narrative-content", display_name,
                    "the narrative has " + words.format(found[:60]),
                    "plain Markdown text, with images pasted into the file (data:image/...) "
                    "rather than linked", severity=WARNING, row=number,
                    value=match.group(0)[:80]))
    return problems
