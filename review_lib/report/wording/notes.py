"""The review team's own Markdown notes, made safe to embed, with cases pseudonymised."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from review_lib.data.narrative import contain_html, strip_comments
from review_lib.data.notes import ReviewNotes
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


#: What may stand between the parts of a case identifier as people type it: up to three of
#: spaces (a non-breaking one too), hyphens and dashes (a non-breaking hyphen too), a minus
#: sign, slashes, dots, underscores, Markdown's emphasis and escapes.
_BETWEEN = re.compile("[\\s\\-\u2010-\u2015\u2212_./\\\\*~]{0,3}")
#: Runs of letters, and of digits: the parts of an identifier, and of a text.
_PART = re.compile(r"[^\W\d_]+|\d+")
#: Ten digits as NHS numbers (and telephone numbers) are written: ``476 614 3558``,
#: ``458-228-4205``, ``4766143558``; not inside a longer number or word.
_TEN_DIGITS = re.compile(r"(?<![^\W_])\d{3}[\s\-\u2010-\u2015\u2212.]?\d{3}"
                         r"[\s\-\u2010-\u2015\u2212.]?\d{4}(?![^\W_])")
#: What stands in for a case identifier of another review, and for a ten-digit number.
OTHER_CASE = "[a case record of another review]"
NUMBER_REMOVED = "[number removed]"
#: Invisible characters that could hide an identifier from matching (zero-width ones).
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")


def _parts(ref: str) -> list[str]:
    """An identifier's runs of letters and of digits: ``"DY-368461"`` -> DY, 368461."""
    return _PART.findall(ref)


def _key(text: str) -> str:
    return "".join(_parts(text)).casefold()


class _Identifiers:
    """Finds identifiers in a text, however their parts are separated.

    The identifiers' parts (folded) make a tree; the text's parts are walked through it,
    each step allowed only over separators (:data:`_BETWEEN`), and the longest identifier
    that starts and ends on a word's edge wins. One look-up per part of the text, however
    many identifiers there are (a national programme has 15,000; one pattern of them all
    took two seconds to compile and a third of a second per page).
    """

    def __init__(self, refs):
        self.tree: dict = {}
        for ref in refs:
            parts = _parts(str(ref))
            if not parts:
                continue
            node = self.tree
            for part in parts:
                node = node.setdefault(part.casefold(), {})
            node.setdefault(None, _key(str(ref)))

    def replace(self, text: str, replacement) -> str:
        """``text`` with each identifier found replaced by ``replacement(key)``.

        ``replacement`` returns the new text for an identifier's key, or None to leave it.
        """
        if not self.tree:
            return text
        tokens = list(_PART.finditer(text))
        pieces, at, i = [], 0, 0
        while i < len(tokens):
            first = tokens[i]
            found = None
            if first.start() == 0 or not text[first.start() - 1].isalnum():
                node, j = self.tree.get(first.group(0).casefold()), i
                while node is not None:
                    end = tokens[j].end()
                    if None in node and (end == len(text) or not text[end].isalnum()):
                        found = (j, node[None])
                    if j + 1 >= len(tokens) or not _BETWEEN.fullmatch(
                            text, end, tokens[j + 1].start()):
                        break
                    j += 1
                    node = node.get(tokens[j].group(0).casefold())
            new = replacement(found[1]) if found else None
            if new is None:
                i += 1
                continue
            pieces += [text[at:first.start()], new]
            at = tokens[found[0]].end()
            i = found[0] + 1
        return "".join(pieces) + text[at:]


@lru_cache(maxsize=64)
def _own_identifiers(refs: tuple[str, ...]) -> _Identifiers:
    return _Identifiers(refs)


def pseudonymise(text: str, review: Review, programme=None) -> str:
    """Replace every case identifier found in a text, and every ten-digit number.

    Review teams sometimes name a case by its reference in their notes ("DY-368461 showed
    good practice"); a report shows cases only as "Case 01" ... "Case 20". Identifiers are
    matched whole (not inside longer words or numbers), ignoring case and however their
    parts are separated: ``DY 368461``, ``DY‑368461`` (a non-breaking hyphen),
    ``dy_368461``, in italics (``*DY-368461*``, ``_DY-368461_``) or with Markdown escapes.
    An identifier of another review of the programme (another council's, or this
    council's earlier review) becomes :data:`OTHER_CASE`, and any ten-digit number written
    as NHS numbers are (``476 614 3558``, ``458-228-4205``) becomes
    :data:`NUMBER_REMOVED`.

    Parameters
    ----------
    text : str
        Any text, such as the review team's narrative.
    review : Review
        The review whose case identifiers become its pseudonyms.
    programme : Programme, optional
        The other reviews whose identifiers are removed too.

    Returns
    -------
    str
        The text with identifiers replaced.
    """
    text = _INVISIBLE.sub("", str(text))
    own: dict[str, str] = {}
    for ref, name in review.case_pseudonyms().items():
        if str(ref).strip() and _parts(str(ref)):
            own.setdefault(_key(str(ref)), str(name))
    text = _own_identifiers(tuple(sorted(map(str, review.case_pseudonyms())))).replace(
        text, own.get)
    if programme is not None:  # the review's own were replaced above
        text = _programme_identifiers(programme).replace(
            text, lambda key: None if key in own else OTHER_CASE)
    return _TEN_DIGITS.sub(NUMBER_REMOVED, text)


_REFS: list[tuple] = []


def _programme_identifiers(programme) -> _Identifiers:
    """Every review's identifiers that could not be mistaken for words or small numbers.

    At least four letters and digits, a digit among them. The same for every review of a
    programme, so that one tree serves all its reports (kept for the last programme).
    """
    if _REFS and _REFS[0][0] is programme and _REFS[0][1] == len(programme.reviews):
        return _REFS[0][2]
    refs = {str(ref) for review in programme.reviews for ref in review.case_pseudonyms()
            if len(_key(str(ref))) >= 4 and any(ch.isdigit() for ch in str(ref))}
    found = _Identifiers(refs)
    _REFS[:] = [(programme, len(programme.reviews), found)]
    return found


def pseudonymised_notes(notes: ReviewNotes | None, review: Review, programme=None
                        ) -> ReviewNotes | None:
    """A review team's notes with :func:`pseudonymise` applied to every text they hold.

    The theme, the review dates, every section, the key messages, each recommendation (its
    owner, timescale and measure too) and update, and the previous review's introduction:
    whatever a report may show.

    Parameters
    ----------
    notes : ReviewNotes or None
        The notes as read.
    review : Review
        The review whose report shows them.
    programme : Programme, optional
        The other reviews, whose identifiers are removed too.

    Returns
    -------
    ReviewNotes or None
        A copy; None for None.
    """
    if notes is None:
        return None

    def clean(value):
        return pseudonymise(value, review, programme) if isinstance(value, str) else value

    return replace(
        notes, theme=clean(notes.theme), review_dates=clean(notes.review_dates),
        sections={key: clean(text) for key, text in notes.sections.items()},
        key_messages=tuple(clean(text) for text in getattr(notes, "key_messages", ())),
        recommendations=tuple(replace(r, text=clean(r.text), owner=clean(r.owner),
                                      timescale=clean(r.timescale), measure=clean(r.measure))
                              for r in notes.recommendations),
        updates=tuple(replace(u, text=clean(u.text)) for u in notes.updates),
        previous_review_text=clean(notes.previous_review_text))
