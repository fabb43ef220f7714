"""The four-level rating scale, and forgiving-but-exact parsing of rating labels.

The scale is ordered Inadequate < Requires Improvement < Good < Outstanding. "Not applicable"
is not a rating: a question that does not apply to a case leaves the denominator, so the
parser reports it separately instead of returning a level.
"""

from __future__ import annotations

import re
from enum import Enum

import pandas as pd

#: The four levels, best first: the order tables and legends use.
LEVELS: tuple[str, ...] = ("Outstanding", "Good", "Requires Improvement", "Inadequate")

#: Levels counted as "Good or better" in headline shares.
GOOD_OR_BETTER: tuple[str, ...] = ("Outstanding", "Good")

#: Short codes, in the order of ``LEVELS``.
LEVEL_CODES: dict[str, str] = {
    "Outstanding": "O",
    "Good": "G",
    "Requires Improvement": "RI",
    "Inadequate": "I",
}

#: Ordered categorical dtype, worst to best so that ``<`` and ``max`` mean "better".
RATING_DTYPE = pd.CategoricalDtype(categories=list(reversed(LEVELS)), ordered=True)

#: Numeric score of each level (Inadequate 1 ... Outstanding 4), for rank-based statistics.
LEVEL_SCORES: dict[str, int] = {level: 4 - i for i, level in enumerate(LEVELS)}

#: What a reader is told the parser accepts.
ACCEPTED_LABELS = (
    "Outstanding, Good, Requires Improvement, Inadequate or Not applicable "
    "(case and spaces ignored; O, G, RI, I and N/A accepted)"
)


class NotApplicable(Enum):
    """Marker for a "not applicable" answer, which is not a rating."""

    NA = "N/A"

    def __str__(self) -> str:
        return "Not applicable"


NOT_APPLICABLE = NotApplicable.NA

_ALIASES: dict[str, str | NotApplicable] = {}


def _add(level: str | NotApplicable, *spellings: str) -> None:
    for spelling in spellings:
        _ALIASES[_normalise(spelling)] = level


def _normalise(label: str) -> str:
    """Lower-case; drop spaces, dots, hyphens, underscores (e.g. 'Req. Improvement')."""
    return re.sub(r"[\s.\-_]+", "", label).lower()


_add("Outstanding", "Outstanding", "O")
_add("Good", "Good", "G")
_add(
    "Requires Improvement",
    "Requires Improvement",
    "Requires Improvements",
    "Require Improvement",
    "Req Improvement",
    "Req. Improvement",
    "Req Imp",
    "RI",
    "R/I",
)
_add("Inadequate", "Inadequate", "I")
_add(
    NOT_APPLICABLE,
    "N/A",
    "NA",
    "N A",
    "Not applicable",
    "Not-applicable",
    "n.a.",
)


#: Labels already parsed, by the exact text found (files repeat a handful of spellings).
_PARSED: dict[str, str | NotApplicable | None] = {}
_PARSED_MAX = 4096


def parse_label(raw: object) -> str | NotApplicable | None:
    """Read one rating label, forgiving case, spacing and the usual abbreviations.

    Parameters
    ----------
    raw : object
        The value found in a file (usually a string).

    Returns
    -------
    str or NotApplicable or None
        One of :data:`LEVELS`, :data:`NOT_APPLICABLE`, or ``None`` when the value is not
        a recognised label. Blank values also give ``None``: callers tell blanks apart
        with :func:`is_blank`. Nothing is guessed: "Gd" or "Very good" give ``None``.

    Examples
    --------
    >>> parse_label(" requires  improvement ")
    'Requires Improvement'
    >>> parse_label("RI")
    'Requires Improvement'
    >>> parse_label("n/a") is NOT_APPLICABLE
    True
    >>> parse_label("Very good") is None
    True
    """
    if not isinstance(raw, str):
        return None
    try:
        return _PARSED[raw]
    except KeyError:
        pass
    level = _ALIASES.get(_normalise(raw))
    if len(_PARSED) >= _PARSED_MAX:  # bounded: a file of free text cannot grow it forever
        _PARSED.clear()
    _PARSED[raw] = level
    return level


def is_blank(raw: object) -> bool:
    """Return True for a missing value: None, NaN or a string of only spaces.

    Parameters
    ----------
    raw : object
        The value found in a file.

    Returns
    -------
    bool
        Whether the cell is empty.
    """
    if raw is None:
        return True
    if isinstance(raw, float) and raw != raw:  # NaN
        return True
    return isinstance(raw, str) and not raw.strip()
