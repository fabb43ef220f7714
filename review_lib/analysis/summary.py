"""Counts, shares and intervals: the section-4 tables of a Practice Review report and more.

Every count table keeps all four levels, zeros included. Every share carries its Wilson 95%
interval and the n behind it, because a share of 20 cases is never exact.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from review_lib.data.scale import GOOD_OR_BETTER, LEVEL_SCORES, LEVELS

#: The two-sided 95% normal quantile, to the last bit as ``scipy.stats.norm.ppf(0.975)``
#: gives it (``statistics.NormalDist().inv_cdf(0.975)`` differs by 4e-16). A literal, so
#: that importing this module does not import scipy.
Z95 = 1.959963984540054

#: Index of level-count tables (copied for each table: an index's name can be changed).
_LEVEL_INDEX = pd.Index(list(LEVELS), name="level")

#: Positions in ``LEVELS`` of the levels counted as Good or better.
_GOOD_AT = [LEVELS.index(level) for level in GOOD_OR_BETTER]


def _z(confidence: float) -> float:
    """The two-sided normal quantile for a coverage."""
    if confidence == 0.95:
        return Z95
    return statistics.NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    r"""Wilson score interval for a binomial proportion.

    Parameters
    ----------
    successes : int
        Number of "successes" (e.g. cases rated Good or better).
    n : int
        Number of trials (e.g. cases rated).
    confidence : float, default 0.95
        Two-sided coverage.

    Returns
    -------
    tuple of float
        ``(low, high)`` as proportions in [0, 1]; ``(nan, nan)`` when ``n`` is 0.

    Notes
    -----
    With :math:`\hat p = x/n` and :math:`z` the normal quantile,

    .. math:: \frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    Unlike the normal ("Wald") interval it stays inside [0, 1] and is not zero-width at
    0% or 100%, which matters for samples of 20 (Newcombe 1998; Brown, Cai & DasGupta 2001).
    statsmodels' ``proportion_confint(method="wilson")`` agrees to 1e-12
    (tests/test_reference_stats.py).
    """
    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n ({n}), got {successes}")
    z = _z(confidence)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def wilson_intervals(successes, n, confidence: float = 0.95
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score intervals for many binomial proportions at once.

    Element by element the same numbers, to the last bit, as :func:`wilson_interval`.

    Parameters
    ----------
    successes : array-like of int
        Numbers of "successes".
    n : array-like of int
        Numbers of trials, the same shape as ``successes``.
    confidence : float, default 0.95
        Two-sided coverage.

    Returns
    -------
    tuple of numpy.ndarray
        ``(low, high)`` as float arrays of proportions in [0, 1]; NaN where ``n`` is 0.

    Raises
    ------
    ValueError
        If some ``successes`` is not between 0 and its ``n``.
    """
    successes = np.asarray(successes, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    rated = n > 0
    bad = rated & ((successes < 0) | (successes > n))
    if bad.any():
        at = np.flatnonzero(bad.ravel())[0]
        raise ValueError(f"successes must be between 0 and n ({n.ravel()[at]}), "
                         f"got {successes.ravel()[at]}")
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = successes / n
        denominator = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = np.where(rated, np.maximum(0.0, centre - half), np.nan)
    high = np.where(rated, np.minimum(1.0, centre + half), np.nan)
    return low, high


@dataclass(frozen=True)
class Proportion:
    """A share with its Wilson 95% interval and the counts behind it.

    Attributes
    ----------
    successes, n : int
        Count and denominator.
    share, ci_low, ci_high : float
        Proportions in [0, 1].
    """

    successes: int
    n: int
    share: float
    ci_low: float
    ci_high: float

    @classmethod
    def of(cls, successes: int, n: int) -> Proportion:
        """Build from a count and its denominator.

        Parameters
        ----------
        successes, n : int
            Count and denominator.

        Returns
        -------
        Proportion
            With its Wilson 95% interval.
        """
        low, high = wilson_interval(int(successes), int(n))
        share = successes / n if n else math.nan
        return cls(int(successes), int(n), share, low, high)

    def as_dict(self) -> dict[str, float | int]:
        """Plain dictionary (for JSON)."""
        return asdict(self)

    def describe(self) -> str:
        """E.g. ``"90% (95% CI 70% to 97%, n = 20)"``."""
        return (f"{format_percent(self.share)} (95% CI {format_percent(self.ci_low, 0)} to "
                f"{format_percent(self.ci_high, 0)}, n = {self.n})")


def format_percent(share: float, decimals: int | None = None) -> str:
    """Format a proportion as a percentage: whole numbers bare, others to one decimal.

    Parameters
    ----------
    share : float
        Proportion in [0, 1].
    decimals : int, optional
        Fixed number of decimals; by default 0 for whole percentages, else 1.

    Returns
    -------
    str
        E.g. ``"90%"``, ``"24.6%"``, ``"n/a"`` for NaN.
    """
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "n/a"
    value = share * 100
    if decimals is None:
        decimals = 0 if abs(value - round(value)) < 1e-9 else 1
    return f"{value:.{decimals}f}%"


def level_table(counts: Mapping[str, int]) -> pd.DataFrame:
    """The table :func:`level_counts` gives, from counts already made.

    Parameters
    ----------
    counts : mapping of str to int
        Count per level (missing levels count 0).

    Returns
    -------
    pandas.DataFrame
        As :func:`level_counts`.
    """
    array = np.array([int(counts.get(level, 0)) for level in LEVELS])
    n = int(array.sum())
    table = pd.DataFrame({"count": array, "percent": array / n * 100 if n else array * math.nan},
                         index=_LEVEL_INDEX.copy(), copy=False)
    table.attrs["n"] = n
    return table


def case_table(ratings: pd.DataFrame, judgements: pd.DataFrame) -> pd.DataFrame:
    """A row per case record: its ratings by level, mean score and overall judgement.

    Parameters
    ----------
    ratings : pandas.DataFrame
        One review's tidy ratings (``case``, ``rating``; ``auditor`` optional).
    judgements : pandas.DataFrame
        The same review's overall judgements (``case``, ``judgement``, ``auditor``).

    Returns
    -------
    pandas.DataFrame
        Indexed by case pseudonym, best judgement first, then by mean score, then by
        case: the four level counts, ``n``, ``mean_score`` (Inadequate 1 ... Outstanding 4,
        over the questions rated), ``judgement``, ``judgement_score``, ``auditor``,
        ``most_common`` (the most common level; a tie goes to the lower level, the more
        cautious reading) and ``judgement_vs_ratings`` (``"higher"``, ``"same"`` or
        ``"lower"``: the judgement against the most common rating).

    Raises
    ------
    ValueError
        If the frames hold more than one review (pseudonyms repeat across reviews).
    """
    for frame, name in ((ratings, "ratings"), (judgements, "judgements")):
        keys = [k for k in ("council", "cycle") if k in frame]
        if keys and len(frame[keys].drop_duplicates()) > 1:
            raise ValueError(f"{name} hold more than one review; pass one review's frames")
    rating = ratings["rating"].astype("object")
    counts = (pd.crosstab(ratings["case"].astype(str), rating)
              .reindex(columns=list(LEVELS), fill_value=0).astype(int))
    counts.columns.name = None
    scores = rating.map(LEVEL_SCORES).astype(float)
    mean = scores.groupby(ratings["case"].astype(str)).mean()
    judged = judgements.assign(case=judgements["case"].astype(str)).set_index("case")
    table = counts.reindex(judged.index.union(counts.index), fill_value=0)
    table["n"] = table[list(LEVELS)].sum(axis=1)
    table["mean_score"] = mean.reindex(table.index)
    table["judgement"] = judged["judgement"].astype("object").reindex(table.index)
    table["judgement_score"] = table["judgement"].map(LEVEL_SCORES)
    if "auditor" in judged:
        table["auditor"] = judged["auditor"].astype(str).reindex(table.index)
    table["most_common"] = table[list(reversed(LEVELS))].idxmax(axis=1)
    difference = table["judgement_score"] - table["most_common"].map(LEVEL_SCORES)
    table["judgement_vs_ratings"] = difference.map(
        lambda d: "higher" if d > 0 else "lower" if d < 0 else "same")
    table = table.rename_axis("case").reset_index()
    table = table.sort_values(["judgement_score", "mean_score", "case"],
                              ascending=[False, False, True], na_position="last",
                              kind="stable")
    return table.set_index("case")


def level_counts(values: pd.Series) -> pd.DataFrame:
    """Count and percentage per level, all four levels kept, best first.

    Parameters
    ----------
    values : pandas.Series
        Ratings or judgements (categorical or strings of the four levels).

    Returns
    -------
    pandas.DataFrame
        Indexed by level (Outstanding ... Inadequate) with columns ``count`` and
        ``percent`` (0-100, unrounded), plus the total in ``attrs["n"]``.
    """
    counts = _level_count_array(values)
    if counts is None:  # plain strings: count the values themselves
        counts = pd.Series(values).astype("object").value_counts().reindex(
            list(LEVELS), fill_value=0).to_numpy()
    n = int(counts.sum())
    table = pd.DataFrame({"count": counts.astype(int),
                          "percent": counts / n * 100 if n else counts * math.nan},
                         index=_LEVEL_INDEX.copy(), copy=False)
    table.attrs["n"] = n
    return table


def _level_positions(dtype: pd.CategoricalDtype) -> np.ndarray:
    """Position in ``LEVELS`` of each category (-1 for a category that is not a level)."""
    at = {level: i for i, level in enumerate(LEVELS)}
    return np.array([at.get(category, -1) if isinstance(category, str) else -1
                     for category in dtype.categories.tolist()], dtype=np.intp)


def _level_count_array(values) -> np.ndarray | None:
    """Counts of each level (``LEVELS`` order) from category codes; None if not categorical."""
    array = values.array if isinstance(values, pd.Series) else values
    if not isinstance(array, pd.Categorical):
        return None
    codes = array.codes
    per_category = np.bincount(codes[codes >= 0], minlength=len(array.categories))
    positions = _level_positions(array.dtype)
    counts = np.zeros(len(LEVELS), dtype=np.int64)
    counts[positions[positions >= 0]] = per_category[positions >= 0]
    return counts


def _level_count_values(values) -> np.ndarray:
    """Counts of each level in ``LEVELS`` order, whatever the input."""
    counts = _level_count_array(values)
    if counts is None:
        counts = level_counts(values)["count"].to_numpy()
    return counts


def _level_matrix(frame: pd.DataFrame, by: str, column: str) -> pd.DataFrame:
    """Counts of each level for each value of ``by``, all four levels as columns."""
    grouped = (frame.groupby([by, column], observed=False).size()
               .unstack(column, fill_value=0))
    grouped = grouped.reindex(columns=list(LEVELS), fill_value=0).astype(int)
    grouped.columns.name = None
    return grouped


def _share_columns(counts: np.ndarray) -> dict[str, np.ndarray]:
    """``n``, Good or better, its share and interval, from rows of counts in LEVELS order."""
    counts = np.asarray(counts, dtype=np.int64).reshape(-1, len(LEVELS))
    n = counts.sum(axis=1)
    good = counts[:, _GOOD_AT].sum(axis=1)
    low, high = wilson_intervals(good, n)
    share = good / np.where(n > 0, n, np.nan)
    return {"n": n, "good_or_better": good, "share_good": share, "ci_low": low,
            "ci_high": high, "share_ri_or_worse": 1 - share}


def _with_shares(counts: pd.DataFrame) -> pd.DataFrame:
    table = counts.copy()
    for name, column in _share_columns(counts[list(LEVELS)].to_numpy()).items():
        table[name] = column
    return table


def _shares_frame(counts: np.ndarray, index: pd.Index, **more) -> pd.DataFrame:
    """Level counts (rows in LEVELS order), their shares and ``more`` columns, built at once."""
    counts = np.asarray(counts, dtype=np.int64).reshape(-1, len(LEVELS))
    columns = {level: counts[:, i] for i, level in enumerate(LEVELS)}
    columns.update(_share_columns(counts))
    columns.update(more)
    return pd.DataFrame(columns, index=index, copy=False)


def _is_categorical(frame: pd.DataFrame, column: str) -> bool:
    return isinstance(frame[column].dtype, pd.CategoricalDtype)


class NothingSelectedWarning(UserWarning):
    """A summary was asked of no rows: most often a filter that matched nothing."""


def warn_if_nothing_selected(frame: pd.DataFrame, what: str = "rows") -> bool:
    """Warn, naming the likely cause, when an analyst's frame has no rows.

    ``ratings[ratings["council"] == "Dudly"]`` is an empty frame, and a summary of it is a
    table of zeros and NaN, which reads like data; this says what happened instead.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame given.
    what : str, default "rows"
        What its rows are, for the message ("ratings").

    Returns
    -------
    bool
        Whether the frame was empty (and a warning given).
    """
    if not frame.empty:
        return False
    import warnings

    warnings.warn(f"there are no {what} to summarise: if the frame was filtered (by council, "
                  "cycle or question), the filter matched no rows; check the spelling "
                  "against programme.councils, programme.cycles or the catalogue's ids",
                  NothingSelectedWarning, stacklevel=3)
    return True


def question_summary(ratings: pd.DataFrame, not_applicable: pd.DataFrame | None = None,
                     catalogue=None, *, by: str | Sequence[str] | None = None
                     ) -> pd.DataFrame:
    """Per-question counts of each level, n, N/A count and share Good or better with CI.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings (columns ``question`` and ``rating``), e.g. ``review.ratings``.
    not_applicable : pandas.DataFrame, optional
        Not-applicable answers (column ``question``), counted in ``not_applicable``.
    catalogue : Catalogue, optional
        Adds a ``label`` column of short labels.
    by : str or sequence of str, optional
        Columns to summarise separately by, e.g. ``("council", "cycle")`` to get every
        review's table of a programme at once from ``programme.ratings`` and
        ``programme.not_applicable`` (much faster than one call per review).

    Returns
    -------
    pandas.DataFrame
        One row per question in catalogue order: the four level counts, ``n``,
        ``good_or_better``, ``share_good``, ``ci_low``, ``ci_high``, ``share_ri_or_worse``,
        ``not_applicable`` and (with a catalogue) ``label``. With ``by``, one such block per
        group (every combination of the ``by`` values found in ``ratings`` or
        ``not_applicable``, sorted), indexed by the ``by`` values then ``question``:
        ``table.loc[("Dudley", "2022-24")]`` equals the table of that review alone.

    Examples
    --------
    >>> from review_lib.data.loading import load_programme
    >>> programme = load_programme()
    >>> tables = question_summary(programme.ratings, programme.not_applicable,
    ...                           programme.catalogue, by=("council", "cycle"))
    >>> int(tables.loc[("Dudley", "2022-24"), "Outstanding"].sum())
    59
    """
    if ratings.empty and (not_applicable is None or not_applicable.empty):
        warn_if_nothing_selected(ratings, "ratings")
    if by is not None:
        return _question_summary_by(ratings, not_applicable, catalogue,
                                    [by] if isinstance(by, str) else list(by))
    fast = _question_counts(ratings, not_applicable)
    if fast is not None:
        counts, index, na = fast
        labels = {} if catalogue is None else {"label": _labels(catalogue, index)}
        return _shares_frame(counts, index, not_applicable=na, **labels)
    table = _with_shares(_level_matrix(ratings, "question", "rating"))
    if not_applicable is not None:
        na = not_applicable.groupby("question", observed=False).size()
        table["not_applicable"] = na.reindex(table.index, fill_value=0).astype(int)
    else:
        table["not_applicable"] = 0
    if catalogue is not None:
        table["label"] = [catalogue[q].short_label for q in table.index]
    table.index.name = "question"
    return table


def _labels(catalogue, questions) -> list[str]:
    """Short label of each question, looking each distinct question up once."""
    labels: dict[object, str] = {}
    out = []
    for question in questions:
        if question not in labels:
            labels[question] = catalogue[question].short_label
        out.append(labels[question])
    return out


def _question_counts(ratings: pd.DataFrame, not_applicable: pd.DataFrame | None,
                     groups: tuple[np.ndarray, np.ndarray | None] | None = None,
                     n_groups: int = 1):
    """Level counts per (group, question) from category codes, or None if not categorical.

    Returns counts (rows group-major then question, columns in LEVELS order), the question
    index of one group, and the not-applicable count of each row: what grouping by question
    and rating with ``observed=False`` gives, without the grouping. ``groups`` gives the
    group of each row of ``ratings`` and ``not_applicable`` (-1: in no group).
    """
    question, rating = ratings["question"].array, ratings["rating"].array
    if not (isinstance(question, pd.Categorical) and isinstance(rating, pd.Categorical)):
        return None
    question_dtype = question.dtype
    if not_applicable is not None:
        na_question = not_applicable["question"].array
        if not (isinstance(na_question, pd.Categorical)
                and na_question.dtype == question_dtype):
            return None
    k, n_levels = len(question_dtype.categories), len(LEVELS)
    questions = question.codes.astype(np.intp)
    rating_codes = rating.codes
    levels = np.where(rating_codes >= 0, _level_positions(rating.dtype)[rating_codes], -1)
    keep = (questions >= 0) & (levels >= 0)
    cell = questions * n_levels + levels
    if groups is not None:
        keep &= groups[0] >= 0
        cell += groups[0] * (k * n_levels)
    counts = np.bincount(cell[keep], minlength=n_groups * k * n_levels).reshape(-1, n_levels)
    na = np.zeros(n_groups * k, dtype=np.int64)
    if not_applicable is not None:
        cell = na_question.codes.astype(np.intp)
        keep = cell >= 0
        if groups is not None:
            keep &= groups[1] >= 0
            cell = cell + groups[1] * k
        na = np.bincount(cell[keep], minlength=n_groups * k).astype(np.int64)
    index = pd.CategoricalIndex(pd.Categorical.from_codes(np.arange(k), dtype=question_dtype),
                                name="question")
    return counts, index, na


def _group_codes(frames: list[pd.DataFrame], by: list[str]
                 ) -> tuple[list[np.ndarray], list[tuple]]:
    """The group of each row of each frame, and the groups' keys in sorted order.

    A group is a combination of ``by`` values found in any of the frames; as in a groupby,
    a row missing one of them belongs to no group (-1).
    """
    found = []
    for frame in frames:
        factorized = [pd.factorize(frame[column]) for column in by]
        sizes = [len(values) + 1 for _, values in factorized]  # 0 stands for missing
        flat = np.ravel_multi_index([codes + 1 for codes, _ in factorized], sizes)
        present, inverse = np.unique(flat, return_inverse=True)
        labels = [tuple(values[i - 1] if i else None for (_, values), i in
                        zip(factorized, np.unravel_index(code, sizes), strict=True))
                  for code in present.tolist()]
        found.append((labels, inverse.reshape(-1)))
    keys = list(dict.fromkeys(label for labels, _ in found for label in labels
                              if None not in label))
    try:
        keys.sort()
    except TypeError:  # values that cannot be compared keep the order found
        pass
    rank = {key: i for i, key in enumerate(keys)}
    groups = [np.array([rank.get(label, -1) for label in labels], dtype=np.intp)[inverse]
              for labels, inverse in found]
    return groups, keys


def _question_summary_by(ratings: pd.DataFrame, not_applicable: pd.DataFrame | None,
                         catalogue, by: list[str]) -> pd.DataFrame:
    frames = [ratings] if not_applicable is None else [ratings, not_applicable]
    groups, keys = _group_codes(frames, by)
    fast = _question_counts(ratings, not_applicable,
                            (groups[0], groups[1] if len(groups) > 1 else None), len(keys))
    if fast is None:  # not categorical: one straightforward table per group
        tables = {}
        for number, key in enumerate(keys):
            parts = [frame[group == number] for frame, group in zip(frames, groups,
                                                                   strict=True)]
            tables[key] = question_summary(parts[0], parts[1] if len(parts) > 1 else None,
                                           catalogue)
        if not tables:
            empty = question_summary(ratings.iloc[:0], None if not_applicable is None
                                     else not_applicable.iloc[:0], catalogue).iloc[:0]
            empty.index = pd.MultiIndex.from_arrays([[]] * len(by) + [empty.index],
                                                    names=[*by, "question"])
            return empty
        return pd.concat(tables, names=by)
    counts, questions, na = fast
    k = len(questions)
    arrays: list = [pd.Index([key[i] for key in keys for _ in range(k)]) for i in range(len(by))]
    arrays.append(pd.Categorical.from_codes(np.tile(np.arange(k), len(keys)),
                                            dtype=questions.dtype))
    labels = {} if catalogue is None else {"label": _labels(catalogue, questions) * len(keys)}
    return _shares_frame(counts, pd.MultiIndex.from_arrays(arrays, names=[*by, "question"]),
                         not_applicable=na, **labels)


def auditor_summary(ratings: pd.DataFrame, judgements: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """Per-auditor counts of each level over all their ratings, with share Good or better.

    One auditor rates each case, so differences between auditors are entangled with
    differences between the cases they happened to audit.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings with ``auditor`` and ``rating`` columns.
    judgements : pandas.DataFrame, optional
        Overall judgements; adds ``cases`` (number of cases each auditor rated).

    Returns
    -------
    pandas.DataFrame
        One row per auditor: level counts, ``n``, ``share_good``, and, when ``ratings``
        has a ``case`` column, ``ci_low`` and ``ci_high`` allowing for the auditor's
        ratings being clustered in a few case records (Wilson at the effective n; see
        :mod:`review_lib.analysis.clustered`), with ``design_effect`` and ``effective_n``.
    """
    warn_if_nothing_selected(ratings, "ratings")
    frame = ratings.copy()
    frame["auditor"] = frame["auditor"].astype(str)
    table = _with_shares(_level_matrix(frame, "auditor", "rating"))
    if "case" in frame.columns:
        from review_lib.analysis.clustered import ratings_good_or_better

        shares = {name: ratings_good_or_better(part)
                  for name, part in frame.groupby("auditor", sort=False)}
        table["ci_low"] = [shares[a].ci_low for a in table.index]
        table["ci_high"] = [shares[a].ci_high for a in table.index]
        table["design_effect"] = [shares[a].design_effect for a in table.index]
        table["effective_n"] = [shares[a].effective_n for a in table.index]
    if judgements is not None:
        cases = judgements.assign(auditor=judgements["auditor"].astype(str)).groupby(
            "auditor").size()
        table["cases"] = cases.reindex(table.index, fill_value=0).astype(int)
    table.index.name = "auditor"
    return table


def review_summary(ratings: pd.DataFrame, judgements: pd.DataFrame) -> pd.DataFrame:
    """One row per review (council and cycle): counts, n and share Good or better.

    Parameters
    ----------
    ratings, judgements : pandas.DataFrame
        Tidy frames of a programme.

    Returns
    -------
    pandas.DataFrame
        Indexed by (council, cycle), with level counts of all ratings, ``n``,
        ``share_good`` and its interval, and ``cases`` and ``cases_good`` from judgements.
        The ratings' interval here treats them as independent, which they are not (they
        are clustered in case records): for a review's share of ratings as the reports
        give it, use :func:`review_lib.analysis.clustered.ratings_good_or_better`.
    """
    fast = _review_summary_fast(ratings, judgements)
    if fast is not None:
        return fast
    r = ratings.assign(review=list(zip(ratings["council"].astype(str),
                                       ratings["cycle"].astype(str), strict=True)))
    table = _with_shares(_level_matrix(r, "review", "rating"))
    j = judgements.assign(review=list(zip(judgements["council"].astype(str),
                                          judgements["cycle"].astype(str), strict=True)))
    jcounts = _with_shares(_level_matrix(j, "review", "judgement"))
    table["cases"] = jcounts["n"].reindex(table.index, fill_value=0)
    table["cases_good"] = jcounts["good_or_better"].reindex(table.index, fill_value=0)
    table.index = pd.MultiIndex.from_tuples(table.index, names=["council", "cycle"])
    return table


def _review_counts(frame: pd.DataFrame, column: str, keys: dict[tuple[str, str], int] | None
                   ) -> tuple[np.ndarray, dict[tuple[str, str], int]] | None:
    """Level counts per (council, cycle) as text, from category codes; None if not possible.

    With ``keys`` None the groups are those found (rows with a level); else only ``keys``.
    """
    if not (all(_is_categorical(frame, c) for c in ("council", "cycle", column))
            and set(frame[column].dtype.categories.tolist()) == set(LEVELS)):
        return None
    council = frame["council"].array.codes.astype(np.intp)
    cycle = frame["cycle"].array.codes.astype(np.intp)
    if len(frame) and (council.min() < 0 or cycle.min() < 0):
        return None  # a missing council or cycle: the general path decides what it means
    codes = frame[column].array.codes
    if keys is None and len(frame) and codes.min() < 0:
        return None  # a missing rating: the general path decides which reviews are shown
    levels = np.where(codes >= 0, _level_positions(frame[column].dtype)[codes], -1)
    n_cycles = len(frame["cycle"].dtype.categories)
    councils = frame["council"].dtype.categories.astype(str).tolist()
    cycles = frame["cycle"].dtype.categories.astype(str).tolist()
    rated = levels >= 0
    pair = council * n_cycles + cycle
    present = np.unique(pair[rated])
    found = {(councils[p // n_cycles], cycles[p % n_cycles]): p for p in present.tolist()}
    if len(found) < len(present):
        return None  # two categories with the same text: leave it to the general path
    if keys is None:
        keys = {key: i for i, key in enumerate(sorted(found))}
    slot = np.full(len(councils) * n_cycles, -1, dtype=np.intp)
    for key, p in found.items():
        if key in keys:
            slot[p] = keys[key]
    row_slot = slot[pair]
    use = rated & (row_slot >= 0)
    counts = np.bincount(row_slot[use] * len(LEVELS) + levels[use],
                         minlength=len(keys) * len(LEVELS)).reshape(-1, len(LEVELS))
    return counts, keys


def _review_summary_fast(ratings: pd.DataFrame, judgements: pd.DataFrame
                         ) -> pd.DataFrame | None:
    """:func:`review_summary` from category codes, for the frames a programme gives."""
    done = _review_counts(ratings, "rating", None)
    if done is None or not len(done[1]):
        return None
    counts, keys = done
    judged = _review_counts(judgements, "judgement", keys)
    if judged is None:
        return None
    judged_counts = judged[0]
    index = pd.MultiIndex.from_tuples(list(keys), names=["council", "cycle"])
    table = _shares_frame(counts, index)
    table["cases"] = judged_counts.sum(axis=1)
    table["cases_good"] = judged_counts[:, _GOOD_AT].sum(axis=1)
    return table


def good_or_better(values: pd.Series) -> Proportion:
    """Share of values rated Outstanding or Good, with its Wilson 95% interval.

    Parameters
    ----------
    values : pandas.Series
        Ratings or judgements.

    Returns
    -------
    Proportion
        Count, n, share and interval.
    """
    counts = _level_count_values(values)
    return Proportion.of(int(counts[_GOOD_AT].sum()), int(counts.sum()))


def count_table_text(table: pd.DataFrame, title: str) -> str:
    """Render a level-count table as the report prints it: ``Outstanding  59 (24.6%)``.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`level_counts`.
    title : str
        A line printed above the rows.

    Returns
    -------
    str
        Plain text, one level per line, then the total.
    """
    width = max(len(level) for level in LEVELS)
    lines = [title]
    counts = table["count"].to_numpy()
    rated = table.attrs.get("n")
    percents = table["percent"].tolist() if rated else [None] * len(counts)
    for level, count, percent in zip(table.index.tolist(), counts.tolist(), percents,
                                     strict=True):
        shown = format_percent(percent / 100, 1) if rated else "n/a"
        lines.append(f"  {level:<{width}}  {int(count):>4} ({shown})")
    lines.append(f"  {'Total':<{width}}  {int(counts.sum()):>4}")
    return "\n".join(lines)


def headline_sentence(judgements: pd.Series | Mapping[str, int]) -> str:
    """The sentence a report prints about overall judgements.

    Parameters
    ----------
    judgements : pandas.Series or mapping of str to int
        The review's overall judgements, or their count per level.

    Returns
    -------
    str
        E.g. "18 of 20 case records (90%) were rated Outstanding or Good, and 2 (10%)
        Requires Improvement."

    Examples
    --------
    >>> import pandas as pd
    >>> headline_sentence(pd.Series(["Good"] * 18 + ["Requires Improvement"] * 2))
    '18 of 20 case records (90%) were rated Outstanding or Good, and 2 (10%) Requires Improvement.'
    """
    if isinstance(judgements, Mapping):
        counts = np.array([int(judgements.get(level, 0)) for level in LEVELS])
    else:
        counts = _level_count_values(judgements)
    n = int(counts.sum())
    if n == 0:
        return "No case records were rated."
    good = int(counts[_GOOD_AT].sum())
    records = "case record" if n == 1 else "case records"
    verb = "was" if n == 1 else "were"
    sentence = (f"{good} of {n} {records} ({format_percent(good / n, 0)}) {verb} rated "
                "Outstanding or Good")
    others = [(level, int(counts[i])) for i, level in enumerate(LEVELS) if i >= 2
              and counts[i] > 0]
    if len(others) == 1:
        level, count = others[0]
        sentence += f", and {count} ({format_percent(count / n, 0)}) {level}"
    elif others:
        parts = [f"{count} ({format_percent(count / n, 0)}) {level}" for level, count in others]
        sentence += f"; {parts[0]} and {parts[1]}"
    return sentence + "."
