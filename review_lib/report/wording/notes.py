"""The review team's own Markdown notes, made safe to embed, with cases pseudonymised."""

from __future__ import annotations

import re

from review_lib.data.narrative import contain_html, strip_comments
from review_lib.data.records import Review

# --------------------------------------------------------------------------- formatting

# --------------------------------------------------------------------------- narrative

_EXTERNAL = re.compile(r"^\s*(?:[A-Za-z][A-Za-z0-9+.\-]*:|//|\\\\)")
_EMBEDDED_IMAGE = re.compile(r"^data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$")
_IMG_TAG = re.compile(r"<img\b[^<>]*>", re.IGNORECASE)  # never past a "<": linear
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:\-]*(?:\s[^<>]*)?/?>")
_INLINE_LINK = re.compile(
    r"(!?)\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
_REF_DEF = re.compile(r"^ {0,3}\[([^\]\n]+)\]:[ \t]*(<[^>\n]*>|\S+)(?:[ \t]+.*)?$", re.MULTILINE)
_CODE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?(?:^ {0,3}\1[ \t]*$|\Z)|(`+)[^`\n]+?\2",
                   re.MULTILINE | re.DOTALL)
_REF_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\[\]]*\])*)\](?:\[([^\]]*)\])?")
_AUTOLINK = re.compile(r"<((?:[A-Za-z][A-Za-z0-9+.\-]*:|//)[^<>\s]*)>")
_URL_END = r"[^\s<>`)\]]*[^\s<>`)\].,;:!?'\"]"
_BARE_URL = re.compile(rf"(?<![\w`/])((?:https?|ftp|file):(?://)?{_URL_END}|www\.{_URL_END})",
                       re.IGNORECASE)


def _local_target(target: str, image: bool) -> bool:
    """Whether a link or image target stays inside the document."""
    target = target.strip().strip("<>").strip()
    if image:
        return bool(_EMBEDDED_IMAGE.match(target))
    return target.startswith("#")


def _clean_markdown(text: str) -> str:
    """Markdown with raw HTML and links or images pointing outside the document removed.

    Code (fenced blocks and inline code) is set aside first and put back unchanged: a
    renderer shows it as text, so it can load nothing.
    """
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    text = _CODE.sub(keep, text.replace("\x00", ""))
    # Comments, and scripts, styles, templates and the like with their content, end where
    # they are closed; one never closed is kept as text, never the rest of the notes with it.
    text = contain_html(strip_comments(text))

    def img_tag(match: re.Match) -> str:
        alt = _ALT.search(match.group(0))
        return next((g for g in alt.groups() if g is not None), "") if alt else ""

    text = _IMG_TAG.sub(img_tag, text)

    def inline(match: re.Match) -> str:
        bang, label, target = match.group(1), match.group(2), match.group(3)
        if _local_target(target, bool(bang)):
            return match.group(0)
        return label

    # Nested forms such as a linked image ([![alt](src)](href)) need more than one pass.
    for _ in range(3):
        text = _INLINE_LINK.sub(inline, text)

    definitions = {m.group(1).strip().casefold(): m.group(2) for m in _REF_DEF.finditer(text)}
    external = {key for key, target in definitions.items()
                if not _local_target(target, image=False)}
    text = _REF_DEF.sub(lambda m: "" if m.group(1).strip().casefold() in external
                        else m.group(0), text)

    def reference(match: re.Match) -> str:
        label, ref = match.group(2), match.group(3)
        key = (ref or label).strip().casefold()
        return label if key in external else match.group(0)

    text = _REF_LINK.sub(reference, text)
    text = _AUTOLINK.sub(lambda m: m.group(0) if m.group(1).startswith("#")
                         else f"`{m.group(1)}`", text)
    text = _TAG.sub("", text)
    text = _BARE_URL.sub(lambda m: f"`{m.group(1)}`", text)
    text = re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


def review_team_narrative(review: Review) -> str | None:
    """The review team's own write-up, from a Markdown file beside the data file.

    The file has the data file's name with ``.md`` in place of its extension (for
    ``dudley.xlsx``, ``dudley.md``). Raw HTML tags are removed (scripts and styles with
    their content), and images and links that point outside the document (``http:``,
    ``https:``, ``//``, ``file:``, relative paths) are reduced to their text, so that a
    report loads nothing from the internet. Bare web addresses are kept as code, so that
    no renderer turns them into links.

    Parameters
    ----------
    review : Review
        The review.

    Returns
    -------
    str or None
        The cleaned Markdown, or None when there is no such file.
    """
    if review.path is None:
        return None
    path = review.path.with_suffix(".md")
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    cleaned = pseudonymise(_clean_markdown(text), review)
    return cleaned if cleaned.strip() else None


def pseudonymise(text: str, review: Review) -> str:
    """Replace every case identifier of the review found in a text by its pseudonym.

    Review teams sometimes name a case by its reference in their notes ("DY-368461 showed
    good practice"); a report shows cases only as "Case 01" ... "Case 20". Identifiers are
    matched whole (not inside longer words or numbers), ignoring case, longest first.

    Parameters
    ----------
    text : str
        Any text, such as the review team's narrative.
    review : Review
        The review whose case identifiers are replaced.

    Returns
    -------
    str
        The text with identifiers replaced.
    """
    pairs = {str(ref): str(name) for ref, name in review.case_pseudonyms().items()}
    refs = sorted((ref for ref in pairs if ref.strip()), key=len, reverse=True)
    if not refs:
        return text
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(r) for r in refs) + r")(?![\w-])",
                         re.IGNORECASE)
    folded = {ref.casefold(): name for ref, name in pairs.items()}
    return pattern.sub(lambda m: folded[m.group(1).casefold()], text)


