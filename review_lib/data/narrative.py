"""The review team's own narrative (a Markdown file beside the data file), made safe.

The Markdown is parsed by a real Markdown parser (mistune, which nbconvert already uses)
and the HTML it gives is cleaned by a real HTML sanitiser (nh3, the Python binding of
ammonia) with an allow-list: text formatting, headings, lists, tables, quotes and code;
links only to places inside the report (``#...``); images only when embedded in the
file (``data:image/png``, ``jpeg``, ``gif`` or ``webp``). Scripts, styles, frames, forms,
event handlers and every other attribute are removed. A narrative therefore can never make
a report load anything, and never causes its report to be refused.

Nothing is lost beyond what is removed on purpose: an element removed with its content
(``<script>``, ``<template>``, ``<svg>`` ...) is removed only up to its closing tag, and one
that is never closed, like a comment that is never closed, is shown as text
(:func:`contain_html`), so a bare ``<template>`` in a sentence no longer takes the rest of
the section with it. Every pattern here runs in time linear in its text.

:func:`narrative_warnings` tells the review team, file and line, what will be removed.
"""

from __future__ import annotations

import html as _html
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

#: Of those, the void ones: a tag with no content and no closing tag.
_VOID = {"embed"}
#: Of those, the ones that may close themselves (``<svg/>``), as foreign elements do.
_SELF_CLOSING = {"svg", "math"}
# One tag of the elements above: its name, then anything up to the next ">" (never past
# a "<"), so that each character is looked at a bounded number of times.
_CONTAINER_TAG = re.compile(
    r"<(/?)(" + "|".join(sorted(DROPPED_WITH_CONTENT)) + r")(?=[\s/>])[^<>]*>", re.IGNORECASE)
_EMBEDDED_IMAGE = re.compile(r"^data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$",
                             re.IGNORECASE)
_IMG_WITHOUT_SOURCE = re.compile(r"<img(?![^>]*\bsrc=)([^>]*)>")
_ALT = re.compile(r'\balt="([^"]*)"')


def strip_comments(text: str, *, escape_unclosed: bool = True) -> str:
    """Remove ``<!-- ... -->`` comments; one never closed is kept, as text.

    Parameters
    ----------
    text : str
        Markdown or HTML.
    escape_unclosed : bool, default True
        Write an unclosed ``<!--`` as ``&lt;!--`` (so that it is shown, and the text after
        it with it); with False it is left as it is.

    Returns
    -------
    str
        The text without its comments, in time linear in its length.
    """
    parts, at = [], 0
    while True:
        start = text.find("<!--", at)
        if start < 0:
            break
        end = text.find("-->", start + 4)
        if end < 0:  # never closed: neither is any later one
            parts.append(text[at:start])
            parts.append("&lt;!--" if escape_unclosed else "<!--")
            at = start + 4
            rest = text[at:]
            parts.append(rest.replace("<!--", "&lt;!--") if escape_unclosed else rest)
            return "".join(parts)
        parts.append(text[at:start])
        at = end + 3
    parts.append(text[at:])
    return "".join(parts)


def contain_html(text: str) -> str:
    """Remove the elements dropped with their content, each only up to its closing tag.

    A ``<script>``, ``<style>``, ``<template>``, ``<svg>`` (and the rest of
    :data:`DROPPED_WITH_CONTENT`) that is closed is removed with what it holds. One that is
    never closed is written as text (``&lt;template&gt;``), so that it is shown as typed and
    the text after it is kept: an HTML parser would otherwise take everything after it as
    its content. A close matches the latest open of the same name; the work is linear.

    Parameters
    ----------
    text : str
        Markdown (code set aside) or HTML.

    Returns
    -------
    str
        The text with closed elements removed and unclosed tags escaped.
    """
    opened: dict[str, list[re.Match]] = {}
    spans: list[tuple[int, int]] = []
    for match in _CONTAINER_TAG.finditer(text):
        name = match.group(2).lower()
        if name in _VOID or (name in _SELF_CLOSING and match.group(0).endswith("/>")):
            if not match.group(1):
                spans.append((match.start(), match.end()))
            continue
        if not match.group(1):
            opened.setdefault(name, []).append(match)
        elif opened.get(name):
            spans.append((opened[name].pop().start(), match.end()))
    unclosed = sorted((m for stack in opened.values() for m in stack),
                      key=lambda m: m.start())
    edits = sorted([(start, end, "") for start, end in spans]
                   + [(m.start(), m.end(), _html.escape(m.group(0), quote=False))
                      for m in unclosed])
    parts, at = [], 0
    for start, end, replacement in edits:
        if start < at:  # inside an element already removed
            continue
        parts += [text[at:start], replacement]
        at = end
    parts.append(text[at:])
    return "".join(parts)


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
    # Raw HTML reaches here as written (code is already escaped): comments and elements
    # dropped with their content end where they are closed, or are shown as text.
    html = contain_html(strip_comments(html))
    cleaned = nh3.clean(html, tags=ALLOWED_TAGS, clean_content_tags=DROPPED_WITH_CONTENT,
                        attributes=ATTRIBUTES, attribute_filter=_keep_attribute,
                        url_schemes={"data"}, link_rel=None, strip_comments=True)

    def alt_text(match: re.Match) -> str:
        alt = _ALT.search(match.group(1))
        return alt.group(1) if alt else ""

    return _IMG_WITHOUT_SOURCE.sub(alt_text, cleaned)


#: What the narrative checks look for, line by line, and how each is described. No pattern
#: scans past a "<" or "[" it could start at, so each is linear in its line.
_CHECKS = [
    (re.compile(r"<\s*(" + "|".join(sorted(DROPPED_WITH_CONTENT)) + r")\b", re.I),
     "an HTML <{0}> element, which is removed with its content up to its closing tag (one "
     "never closed is shown as text)"),
    (re.compile(r"\bon[a-z]+\s*=", re.I), "an event handler ({0}), which is removed"),
    (re.compile(r"javascript\s*:", re.I), "a javascript: address, which is removed"),
    (re.compile(r"!\[[^\[\]]*\]\(\s*<?(?!data:image/)([^)\s>]+)", re.I),
     "an image from {0}, which is shown as its text only (reports load nothing)"),
    (re.compile(r"<img\b[^<>]*\bsrc\s*=\s*[\"']?(?!data:image/)([^\"'\s>]+)", re.I),
     "an image from {0}, which is shown as its text only (reports load nothing)"),
    (re.compile(r"(?<!!)\[[^\[\]]*\]\(\s*<?((?:[a-z][a-z0-9+.-]*:|//)[^)\s>]*)", re.I),
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
