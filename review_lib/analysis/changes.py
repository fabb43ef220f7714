"""A programme's changes between cycles as one frame, for analysts (and Excel).

Each council's change is :func:`review_lib.analysis.results.review_change`, the same figures
the council's own report gives; this gathers them for every council reviewed before, so an
analyst writes ``programme_changes(programme, since="2019").to_excel(...)`` rather than a
loop over ``analyse_review(...).change``.
"""

from __future__ import annotations

import pandas as pd

from review_lib.analysis.results import review_change
from review_lib.data.records import Programme

#: The two measures of change, as the frame's ``measure`` level names them.
MEASURES = {"cases": "Case records judged Good or better",
            "ratings": "Question ratings Good or better"}


def programme_changes(programme: Programme, cycle: str | None = None, *,
                      since: str | None = None) -> pd.DataFrame:
    """Every council's change since its earlier review: cases and question ratings.

    Parameters
    ----------
    programme : Programme
        The programme, with all its cycles.
    cycle : str, optional
        The later cycle; the programme's latest by default.
    since : str, optional
        The earlier cycle to compare with (``"2019"``); by default each council's latest
        review before ``cycle``. Councils not reviewed in it are left out.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``council`` and ``measure`` (``"cases"``: case records judged
        Outstanding or Good, Wilson intervals; ``"ratings"``: question ratings Outstanding
        or Good, each at its effective n), councils alphabetically. Columns: ``cycle``,
        ``previous_cycle``, ``before_count``, ``before_n``, ``before_share``,
        ``before_low``, ``before_high``, the same for ``after``, ``difference`` with
        Newcombe's 95% interval ``diff_low`` and ``diff_high``, ``beyond_chance`` (the
        interval excludes zero) and ``mann_whitney_p`` (the records' mean scores, the
        same on both rows of a council). Empty, with these columns, when no council was
        reviewed before.

    Raises
    ------
    KeyError
        If ``cycle`` or ``since`` is not a cycle of the programme (naming those there are).

    Examples
    --------
    >>> from review_lib.data.loading import load_programme
    >>> changes = programme_changes(load_programme(), since="2019")
    >>> sorted(changes.index.get_level_values("council").unique())[:2]
    ['Ashcombe', 'Greyhaven']
    """
    cycles = programme.cycles
    for name, wanted in (("cycle", cycle), ("since", since)):
        if wanted is not None and wanted not in cycles:
            raise KeyError(f"{name}={wanted!r} is not a cycle of the programme; cycles: "
                           f"{', '.join(cycles) or 'none'}")
    cycle = cycle or (cycles[-1] if cycles else None)
    rows = []
    for review in programme.in_cycle(cycle).reviews if cycle else []:
        if since is not None:
            earlier = [r for r in programme.reviews
                       if r.council == review.council and r.cycle == since]
            previous = earlier[0] if earlier and since < review.cycle else None
        else:
            previous = programme.previous_review(review)
        if previous is None or previous.n_cases == 0 or previous.ratings.empty:
            continue  # no case data to compare with (a review of recommendations only)
        change = review_change(review, previous)
        for measure in MEASURES:
            rows.append({"council": review.council, "measure": measure,
                         "cycle": review.cycle, "previous_cycle": previous.cycle,
                         **getattr(change, measure).as_row(),
                         "mann_whitney_p": change.mann_whitney_p})
    columns = ["council", "measure", "cycle", "previous_cycle",
               *(f"{when}_{what}" for when in ("before", "after")
                 for what in ("count", "n", "share", "low", "high")),
               "difference", "diff_low", "diff_high", "beyond_chance", "mann_whitney_p"]
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.sort_values(["council", "measure"], key=lambda s: s.str.casefold(),
                              kind="stable")
    return frame.set_index(["council", "measure"])


__all__ = ["MEASURES", "programme_changes"]
