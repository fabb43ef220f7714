"""Following up a review's recommendations: statuses, recommendations raised again.

The next cycle's notes give each of the previous review's recommendations a status in
``# Previous review`` (``- R1 (met): ...``: met, partly met, not met or replaced); a new
recommendation takes an earlier one up again when it says so (``- Follows: R3``) or shares
a question tag with one not met. :func:`follow_up` puts the two reviews' notes together as a
:class:`FollowUp`, which the report's section 2, its summary and the action plan read. The
format is set out in ``docs/notes.md``; reading the notes is :mod:`review_lib.data.notes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from review_lib.data.notes import NotesIndex, Recommendation, ReviewNotes, Update
    from review_lib.data.problems import Problem

#: What the next cycle's notes may say of an earlier recommendation, in the report's order.
FOLLOW_UP_STATUSES = ("met", "partly met", "not met", "replaced")

#: Spellings of each status that are read the same way.
_STATUS_WORDS = {"met": "met", "fully met": "met", "partly met": "partly met",
                 "partially met": "partly met", "part met": "partly met",
                 "not met": "not met", "unmet": "not met", "not yet met": "not met",
                 "replaced": "replaced", "superseded": "replaced"}


def previous_recommendations_problems(notes: ReviewNotes, previous: ReviewNotes | None
                                      ) -> list[Problem]:
    """Updates, and ``Follows:`` lines, that name a recommendation the previous review did not make.

    Parameters
    ----------
    notes : ReviewNotes
        This cycle's notes.
    previous : ReviewNotes or None
        The previous review's notes.

    Returns
    -------
    list of Problem
        One per update, or per recommendation's ``Follows:`` line, with no recommendation
        of the previous review to name.
    """
    from review_lib.data.notes import _problem

    count = len(previous.recommendations) if previous is not None else 0
    expected = (f"R1 to R{count}" if count
                else "no updates, or notes for the previous review")
    found = [_problem(
        "notes-unknown-recommendation", notes.file, update.line,
        f"R{update.number} is not one of the previous review's recommendations"
        + ("" if previous is not None else " (there are no previous notes)"),
        expected, value=f"R{update.number}") for update in notes.updates
        if not 1 <= update.number <= count]
    for rec in notes.recommendations:
        for number in rec.follows_numbers:
            if not 1 <= number <= count:
                found.append(_problem(
                    "notes-unknown-recommendation", notes.file, rec.line,
                    f"{rec.label} follows R{number}, which is not one of the previous "
                    "review's recommendations"
                    + ("" if previous is not None else " (there are no previous notes)"),
                    expected, value=f"R{number}"))
    return found


@dataclass(frozen=True)
class FollowedUp:
    """One of the previous review's recommendations, with what this review says of it.

    Attributes
    ----------
    recommendation : Recommendation
        The earlier recommendation.
    update : Update or None
        The host council's update on it, if given.
    raised_again : tuple of int
        This review's recommendations that take it up again: those that say ``Follows:``
        it, and, where its status is not met, those tagged with one of its questions.
    """

    recommendation: Recommendation
    update: Update | None
    raised_again: tuple[int, ...] = ()

    @property
    def status(self) -> str | None:
        """Its status (:data:`FOLLOW_UP_STATUSES`), or None when the update gives none."""
        return self.update.status if self.update is not None else None


@dataclass(frozen=True)
class FollowUp:
    """How a review follows up its previous review's recommendations.

    Attributes
    ----------
    previous_cycle : str
        The previous review's cycle.
    items : tuple of FollowedUp
        Every earlier recommendation, in order.
    """

    previous_cycle: str
    items: tuple[FollowedUp, ...]

    @property
    def counts(self) -> dict[str, int]:
        """How many earlier recommendations have each status, and ``None`` for no status."""
        counts: dict = {status: 0 for status in FOLLOW_UP_STATUSES}
        counts[None] = 0
        for item in self.items:
            counts[item.status] += 1
        return counts

    def earlier_for(self, number: int) -> tuple[int, ...]:
        """The earlier recommendations this review's recommendation ``number`` takes up."""
        return tuple(item.recommendation.number for item in self.items
                     if number in item.raised_again)


def follow_up(notes: ReviewNotes | None, previous: tuple[str, ReviewNotes] | None
              ) -> FollowUp | None:
    """The follow-up of the previous review's recommendations in this review's notes.

    A recommendation of this review is raised again from an earlier one when it says so
    (``Follows: R3``), or when it shares a question tag with an earlier recommendation
    whose status is not met.

    Parameters
    ----------
    notes : ReviewNotes or None
        This review's notes.
    previous : tuple of (str, ReviewNotes) or None
        The previous review's cycle and notes.

    Returns
    -------
    FollowUp or None
        None when the previous review made no recommendation known here.
    """
    if previous is None or not previous[1].recommendations:
        return None
    cycle, earlier = previous
    current = notes.recommendations if notes is not None else ()
    items = []
    for rec in earlier.recommendations:
        update = notes.update_for(rec.number) if notes is not None else None
        status = update.status if update is not None else None
        again = tuple(new.number for new in current
                      if rec.number in new.follows_numbers
                      or (status == "not met" and set(rec.questions) & set(new.questions)))
        items.append(FollowedUp(rec, update, again))
    return FollowUp(cycle, tuple(items))


def recommendations_summary(index: NotesIndex, council: str, cycle: str) -> dict | None:
    """A review's recommendations and the follow-up of its previous review's, as JSON data.

    Parameters
    ----------
    index : NotesIndex
        The programme's notes.
    council, cycle : str
        The review.

    Returns
    -------
    dict or None
        ``status``, ``key_messages``, ``recommendations`` (number, text, questions,
        urgent, owner, timescale, priority, measure, follows) and ``previous`` (``cycle``,
        ``count``, ``updated``: how many of them this review's notes give an update on,
        ``statuses``: how many have each status, ``none`` for no status), or None when
        the review has no notes and its previous review none either.
    """
    notes = index.for_review(council, cycle)
    previous = index.previous(council, cycle)
    if notes is None and previous is None:
        return None
    earlier = None
    if previous is not None and previous[1].recommendations:
        made = previous[1].recommendations
        updated = sum(1 for r in made if notes is not None and notes.update_for(r.number))
        earlier = {"cycle": previous[0], "count": len(made), "updated": updated,
                   "statuses": {str(k) if k is not None else "none": v for k, v in
                                follow_up(notes, previous).counts.items()}}
    status = None if notes is None else (
        "draft" if index.problems_for(council, cycle) else notes.status)
    return {"status": status,
            "key_messages": list(notes.key_messages) if notes is not None else [],
            "recommendations": [{"number": r.label, "text": r.text,
                                 "questions": list(r.questions), "urgent": r.urgent,
                                 "owner": r.owner, "timescale": r.timescale,
                                 "priority": r.priority, "measure": r.measure,
                                 "follows": r.follows}
                                for r in (notes.recommendations if notes is not None else ())],
            "previous": earlier}
