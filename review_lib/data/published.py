"""Totals printed by published Practice Review reports, for checking and comparison."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from review_lib.data.scale import LEVELS
from review_lib.paths import PUBLISHED_DIR

PUBLISHED_TOTALS = PUBLISHED_DIR / "practice-review-totals.csv"


def load_published(path: str | Path | None = None) -> pd.DataFrame:
    """Read published totals (columns council, cycle, table, level, count, printed_percent).

    Parameters
    ----------
    path : str or Path, optional
        The CSV; the bundled ``data/published/practice-review-totals.csv`` by default.

    Returns
    -------
    pandas.DataFrame
        One row per review, table and level.
    """
    frame = pd.read_csv(path or PUBLISHED_TOTALS, dtype={"cycle": str, "printed_percent": str})
    frame["level"] = pd.Categorical(frame["level"], categories=list(LEVELS), ordered=False)
    return frame


def published_counts(council: str, cycle: str, table: str,
                     totals: pd.DataFrame | None = None) -> pd.Series:
    """The counts a published report prints for one review and table, all four levels.

    Parameters
    ----------
    council, cycle : str
        The review.
    table : {"ratings", "overall"}
        Which section-4 table.
    totals : pandas.DataFrame, optional
        From :func:`load_published`; read from the bundled file by default.

    Returns
    -------
    pandas.Series
        Count per level, best first.

    Raises
    ------
    KeyError
        If the review or table is not in the published totals.
    """
    totals = load_published() if totals is None else totals
    rows = totals[(totals["council"].str.casefold() == council.casefold())
                  & (totals["cycle"] == cycle) & (totals["table"] == table)]
    if rows.empty:
        raise KeyError(f"no published {table} totals for {council} {cycle}")
    return rows.set_index("level")["count"].reindex(list(LEVELS), fill_value=0).astype(int)


def printed_percent_differences(totals: pd.DataFrame | None = None,
                                tolerance: float = 1e-9) -> pd.DataFrame:
    """Rows whose printed percentage differs from count / total by more than rounding.

    Parameters
    ----------
    totals : pandas.DataFrame, optional
        From :func:`load_published`.
    tolerance : float, default 1e-9
        Allowed difference in percentage points beyond rounding to the printed precision.

    Returns
    -------
    pandas.DataFrame
        The rows that differ, with the ``computed_percent``.
    """
    totals = (load_published() if totals is None else totals).copy()
    sums = totals.groupby(["council", "cycle", "table"])["count"].transform("sum")
    totals["computed_percent"] = totals["count"] / sums * 100
    printed = totals["printed_percent"].astype(float)
    decimals = totals["printed_percent"].astype(str).str.partition(".")[2].str.len()
    half_step = 0.5 * 10.0 ** (-decimals.astype(float))
    off = (printed - totals["computed_percent"]).abs() > half_step + tolerance
    return totals[off]
