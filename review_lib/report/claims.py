"""Claims: each sentence that states a figure, kept as data beside the words.

A report's sentence such as "18 of the 20 case records (90%) were Good or better overall" is
a *claim*: it says something countable about the data. The wording layer renders every such
sentence through :func:`stated`, which returns the sentence unchanged and, while a section
is being built (:func:`recording`), keeps a :class:`Claim`: the sentence as printed, what
kind of statement it is, the scope it is about (council, cycle, question, region) and the
figures it states. A section carries its claims (:attr:`review_lib.report.section.Section.claims`)
and shows them to Jupyter under its own MIME type (:data:`CLAIMS_MIME`), which nbconvert
does not render; a batch run collects them from the executed notebook into
``<report>.claims.json`` beside ``metrics.json``.

The claims exist so that something other than the code that wrote them can check them:
``tests/claims_checker.py`` re-derives every claim from the tidy data, without this
library's analysis, and checks that the sections of one report agree with each other. The
kinds of claim, and what each one's figures hold, are listed in :data:`KINDS`.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

#: The MIME type under which a displayed section carries its claims.
CLAIMS_MIME = "application/vnd.practice-review.claims+json"

#: Every kind of claim, with what its figures hold.
KINDS: dict[str, str] = {
    "share": "measure ('judgements' or 'ratings'), successes, n; the share printed",
    "interval": "measure, successes, n, ci_low, ci_high (as printed, to the whole percent)",
    "level_counts": "measure, counts: level to count, all four levels",
    "records": "n_cases, and auditors and per_auditor where stated",
    "ratings_total": "n_ratings, n_cases, n_questions, not_applicable",
    "not_applicable": "count: answers marked not applicable",
    "question_count": "question, measure ('good_or_better' or 'below_good'), count, n",
    "question_interval": "question, successes, n, ci_low, ci_high (Wilson, one per record)",
    "question_top": "measure, questions listed as having the most of measure (ties included)",
    "question_extreme": "measure, which ('highest' or 'lowest'), questions: all tied there",
    "questions_differ": "differ (bool): whether the questions are said to differ",
    "no_question_below_good": "no figures: no rating below Good in the scope",
    "council_vs_average": "measure, successes, n, average_successes, average_n, "
                          "includes_council, councils, flag",
    "programme_average": "measure, successes, n, councils, includes (list of councils), or "
                         "includes_all (every council of the cycle, not listed)",
    "recommending_councils": "question, councils (those whose review team recommends on it, "
                             "by its notes' tags), count, teams (councils with notes), drafts "
                             "(those of the councils whose review is a draft)",
    "change": "measure, previous_cycle, before_successes, before_n, after_successes, after_n, "
              "points, clear",
    "lean": "previous_cycle, direction ('better', 'lower' or None), p",
    "earlier_review": "exists (bool) and cycle, or notes (bool)",
    "recommendation_statuses": "earlier_cycle, count (the earlier review's recommendations), "
                               "statuses (met, partly met, not met, replaced: how many each, "
                               "as the notes give them), no_status",
    "question_change": "question, previous_cycle, before_successes, before_n, "
                       "after_successes, after_n (ratings Good or better, each cycle)",
    "selection": "how ('chosen' or 'random')",
    "review_dates": "dates, as printed",
    "funnel_flag": "measure, council, successes, n, flag",
    "expected_by_chance": "limit ('95' or '998'), expected, councils",
    "leniency": "auditor, measure ('ratings' or 'judgements'), reference ('consensus' or "
                "'other auditors'), mean_difference, low, high, confidence, direction",
}


@dataclass(frozen=True)
class Claim:
    """One sentence that states a figure, with what it states.

    Attributes
    ----------
    text : str
        The sentence, or the part of it that states the figure, exactly as printed.
    kind : str
        One of :data:`KINDS`.
    scope : dict
        What the figures are about: ``council``, ``cycle``, ``question``, ``region``.
    figures : dict
        The figures stated, as plain JSON values.
    """

    text: str
    kind: str
    scope: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The claim as JSON-ready data."""
        return {"text": self.text, "kind": self.kind, "scope": dict(self.scope),
                "figures": dict(self.figures)}


_RECORDING: contextvars.ContextVar[list[Claim] | None] = contextvars.ContextVar(
    "practice_review_claims", default=None)


def _plain(value):
    """A figure as a plain JSON value (numpy numbers, tuples and NaN made plain)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, int | float):
        return value
    return str(value)


def stated(text: str, kind: str, scope: Mapping | None = None, **figures) -> str:
    """Return ``text`` unchanged, keeping it as a claim while a section is recorded.

    Parameters
    ----------
    text : str
        The words as they will be printed.
    kind : str
        One of :data:`KINDS`.
    scope : mapping, optional
        What the figures are about (``council``, ``cycle``, ``question``, ``region``).
    **figures
        The figures the words state.

    Returns
    -------
    str
        ``text``.

    Raises
    ------
    ValueError
        For a kind not in :data:`KINDS`.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of claim {kind!r}; expected one of {sorted(KINDS)}")
    claims = _RECORDING.get()
    if claims is not None:
        claims.append(Claim(text, kind, _plain(dict(scope or {})), _plain(figures)))
    return text


@contextlib.contextmanager
def recording(*, propagate: bool = True) -> Iterator[list[Claim]]:
    """Keep the claims stated inside the block.

    Parameters
    ----------
    propagate : bool, default True
        Also pass them on to an enclosing recording when the block ends. Text computed
        once and shown later (cached findings) records without propagating, and carries
        its claims itself (:class:`ClaimedText`).

    Yields
    ------
    list of Claim
        Filled as sentences are stated.
    """
    outer = _RECORDING.get()
    claims: list[Claim] = []
    token = _RECORDING.set(claims)
    try:
        yield claims
    finally:
        _RECORDING.reset(token)
        if propagate and outer is not None:
            outer.extend(claims)


class ClaimedText(str):
    """Text (Markdown) that carries the claims its sentences state.

    Parameters
    ----------
    text : str
        The text.
    claims : iterable of Claim
        The claims stated in it.
    """

    claims: tuple[Claim, ...]

    def __new__(cls, text: str, claims=()) -> ClaimedText:
        """Text with its claims."""
        made = super().__new__(cls, text)
        made.claims = tuple(claims)
        return made

    def __reduce__(self):
        return (ClaimedText, (str(self), self.claims))


def claimed(build, *args, **kwargs) -> ClaimedText:
    """Call ``build`` (which returns text) and keep the claims it states with the text.

    Parameters
    ----------
    build : callable
        Returns a string.
    *args, **kwargs
        Passed to ``build``.

    Returns
    -------
    ClaimedText
        The text, carrying its claims; they are not passed to an enclosing recording.
    """
    with recording(propagate=False) as claims:
        text = build(*args, **kwargs)
    return ClaimedText(text, list(getattr(text, "claims", ())) + claims)


def claims_of(*parts) -> tuple[Claim, ...]:
    """The claims carried by text or sections, in order, each once.

    Parameters
    ----------
    *parts : str
        Text, :class:`ClaimedText` or sections.

    Returns
    -------
    tuple of Claim
    """
    seen, found = set(), []
    for part in parts:
        for claim in getattr(part, "claims", ()) or ():
            key = id(claim)
            if key not in seen:
                seen.add(key)
                found.append(claim)
    return tuple(found)


def claims_in_notebook(notebook) -> list[dict]:
    """Every claim an executed notebook's outputs carry, in the order shown.

    Parameters
    ----------
    notebook : NotebookNode or dict
        An executed notebook.

    Returns
    -------
    list of dict
        Each claim as :meth:`Claim.as_dict` gives it.
    """
    found = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data") or {}
            carried = data.get(CLAIMS_MIME)
            if isinstance(carried, dict):
                found.extend(carried.get("claims", []))
    return found
