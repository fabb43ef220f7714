"""Contents lists and links between a council's reports, the cross-council report and the index."""

from __future__ import annotations

from collections.abc import Iterable

from review_lib.report.html import esc


def contents_nav(contents: Iterable[tuple[str, str]], links: Iterable[tuple[str, str]]) -> str:
    """A report's contents list and its links to the other reports.

    Parameters
    ----------
    contents : iterable of (str, str)
        ``(anchor, heading)`` of each section, in order.
    links : iterable of (str, str)
        ``(relative href, text)`` of each other report.

    Returns
    -------
    str
        HTML ``<nav>``: its title is not a heading, so PDF bookmarks and Word's table of
        contents hold only the report's own sections.
    """
    items = "".join(f'<li><a href="#{esc(anchor)}">{esc(text)}</a></li>'
                    for anchor, text in contents)
    others = " · ".join(f'<a href="{esc(href)}">{esc(text)}</a>' for href, text in links)
    return (f'<nav class="contents" aria-label="Contents"><p class="contents-title">Contents'
            f'</p><ol>{items}</ol><p class="other-reports">Other reports: {others}</p></nav>')
