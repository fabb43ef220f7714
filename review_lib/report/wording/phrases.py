"""Shared phrasing for the written findings: percentages, counts, intervals, lists."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

import pandas as pd

from review_lib.analysis.clustered import ClusteredProportion
from review_lib.analysis.results import MIN_COUNCILS as MIN_COUNCILS
from review_lib.analysis.summary import (
    Proportion,
    format_percent,
)
from review_lib.data.scale import LEVELS

#: Phi above which the spread between councils is reported and adjusted limits are shown.
OVERDISPERSION_THRESHOLD = 1.5



# --------------------------------------------------------------------------- formatting


def _pct(share: float) -> str:
    """A share as a percentage: whole numbers bare, others to one decimal."""
    return format_percent(share)


def _pct0(share: float) -> str:
    """A share as a whole percentage (for interval ends and limits)."""
    return format_percent(share, 0)


def _number(value: int) -> str:
    """A count with a thousands separator: ``2,428``."""
    return f"{int(value):,}"


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    """``"1 case record"``, ``"2 case records"``."""
    word = singular if count == 1 else (plural or singular + "s")
    return f"{_number(count)} {word}"


def join_words(items: list[str]) -> str:
    """Items joined as a sentence lists them: ``"a"``, ``"a and b"``, ``"a, b and c"``.

    Parameters
    ----------
    items : list of str
        The items, in order.

    Returns
    -------
    str
        The list; empty for no items.
    """
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


_join = join_words


def _of(successes: int, n: int) -> str:
    """``"19 of 20 (95%)"``."""
    share = successes / n if n else math.nan
    return f"{_number(successes)} of {_number(n)} ({_pct(share)})"


def _interval(low: float, high: float) -> str:
    """``"95% interval 70% to 97%"``."""
    return f"95% interval {_pct0(low)} to {_pct0(high)}"


def _with_interval(proportion: Proportion) -> str:
    """``"18 of 20 (90%; 95% interval 70% to 97%)"``."""
    return (f"{_number(proportion.successes)} of {_number(proportion.n)} "
            f"({_pct(proportion.share)}; {_interval(proportion.ci_low, proportion.ci_high)})")


def _points(value: float, signed: bool = True) -> str:
    """A difference of proportions in whole percentage points: ``"+25"``, ``"-1"``, ``"0"``."""
    rounded = round(value * 100)
    if rounded == 0:
        return "0"
    return f"{rounded:+d}" if signed else f"{abs(rounded):d}"


def _end(value: float, signed: bool = True) -> str:
    """An interval end in percentage points, like :func:`_points`, one decimal near zero.

    An end just off zero keeps one decimal (``"-0.1"``), so an interval that crosses zero
    never looks as if it starts at zero.
    """
    if round(value * 100) == 0 and round(value * 100, 1) != 0:
        return f"{value * 100:+.1f}" if signed else f"{abs(value) * 100:.1f}"
    return _points(value, signed)


def _month(review_month: str | None) -> str:
    """The review month in words (``"November 2023"``), or the text as given, or ``""``."""
    raw = str(review_month or "").strip()
    for pattern in ("%Y-%m", "%Y-%m-%d", "%Y/%m", "%m/%Y"):
        try:
            return datetime.strptime(raw, pattern).strftime("%B %Y")
        except ValueError:
            continue
    return raw


def _p_value(p: float) -> str:
    """``"p < 0.001"``, ``"p = 0.034"``, ``"p = 0.41"``."""
    if p < 0.001:
        return "p < 0.001"
    if p < 0.1:
        return f"p = {p:.3f}"
    return f"p = {p:.2f}"


def _level_list(counts: Mapping[str, int]) -> str:
    """``"59 Outstanding, 143 Good, 37 Requires Improvement and 1 Inadequate"``."""
    return _join([f"{_number(counts[level])} {level}" for level in LEVELS])


def _table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _clustering_words(share: ClusteredProportion) -> str:
    """What clustering does to a share of question ratings, in one or two sentences."""
    if not share.estimated:
        return (f"All or nearly all ratings were alike (the less common answer in fewer than "
                f"five records), or there was a single record, so how closely the "
                f"ratings of one record go together cannot be estimated; the interval counts "
                f"each of the {_plural(share.clusters, 'record')} once.")
    councils = getattr(share, "councils", 0)
    if councils > 1 and share.design_effect >= 1.05:
        return (f"The ratings of one case record go together (they share the record and its "
                f"auditor), and so do the records of one council (its practice, its choice of "
                f"records and its review team), so these {_number(share.n)} ratings carry "
                f"about as much information as {_number(round(share.effective_n))} "
                f"independent ones (a design effect of {share.design_effect:.1f}); the "
                "interval allows for that.")
    if share.design_effect < 1.05:
        return ("The ratings of one record went together no more than chance would give "
                f"(design effect {share.design_effect:.1f}), so the interval treats them as "
                "independent.")
    return (f"The ratings of one case record go together (they share the record and its "
            f"auditor), so these {_number(share.n)} ratings carry about as much information "
            f"as {_number(round(share.effective_n))} independent ones (a design effect of "
            f"{share.design_effect:.1f}); the interval allows for that.")


def _alphabetical(names) -> list[str]:
    """Council names in alphabetical order (never by share: councils are not ranked)."""
    return sorted((str(name) for name in names), key=str.casefold)


def _bounded_p(p: float, permutations: int, floor: float | None = None) -> str:
    """A permutation p-value as a bound where no shuffle reached the observed statistic.

    ``"p < 0.0005"`` for a raw p-value at its floor of 1/(1 + permutations); for a
    Holm-adjusted one whose raw p-value (``floor``) was at its floor, ``"p ≤ 0.006"``.
    """
    smallest = 1.0 / (1 + permutations)
    at_floor = (floor if floor is not None else p) <= smallest + 1e-15
    if not at_floor:
        return _p_value(p)
    if floor is None:
        digits = max(0, -math.floor(math.log10(smallest)))
        return f"p < {math.ceil(smallest * 10 ** digits) / 10 ** digits:g}"
    return f"p ≤ {p:.3f}"


def _points_words(points: int) -> str:
    """``"1 percentage point"``, ``"4 percentage points"`` (``points`` already whole)."""
    return _plural(abs(int(points)), "percentage point")


def extremes_sentence(table: pd.DataFrame, labels: Mapping[str, str], scope: Mapping, *,
                      share: str = "share_good", what: str = "share Good or better") -> str:
    """Which questions had the highest and the lowest share, every tie named as a tie.

    "Highest" and "lowest" are said of one question only when no other has the same share;
    questions that share an end are named together ("shared the highest share"). Each end
    is stated as a claim (kind ``question_extreme``).

    Parameters
    ----------
    table : pandas.DataFrame
        Per question (index: question ids), with the ``share`` column; rows with no rating
        left out by the caller.
    labels : mapping of str to str
        Question id to the name to print.
    scope : mapping
        What the table is about (council, cycle), for the claims.
    share : str, default "share_good"
        The column compared.
    what : str, default "share Good or better"
        The measure, in words.

    Returns
    -------
    str
        One sentence; ``""`` for fewer than two questions.
    """
    from review_lib.report.claims import stated

    if len(table) < 2:
        return ""
    values = table[share].astype(float)
    top, bottom = float(values.max()), float(values.min())
    at = {which: [str(q) for q in table.index
                  if math.isclose(float(values[q]), value, abs_tol=1e-12)]
          for which, value in (("highest", top), ("lowest", bottom))}
    if math.isclose(top, bottom, abs_tol=1e-12):
        return stated(f"Every question had the same {what} ({_pct0(top)}).",
                      "question_extreme", scope, measure=share, which="same",
                      questions=list(map(str, table.index)), share=top)

    def end(which: str, value: float) -> str:
        ids = at[which]
        if len(ids) == 1:
            text = f"{labels[ids[0]]} had the {which} {what} ({_pct0(value)})"
        elif len(ids) <= 4:
            text = (f"{_join([labels[q] for q in ids])} shared the {which} {what} "
                    f"({_pct0(value)} each)")
        else:
            text = f"{len(ids)} questions shared the {which} {what} ({_pct0(value)} each)"
        return stated(text, "question_extreme", scope, measure=share, which=which,
                      questions=ids, share=value)

    return f"{end('highest', top)}, and {end('lowest', bottom)}."
