"""Do the questions of one review differ? A paired test across questions, within cases.

Every case record is rated on (nearly) every question, so the questions are compared as
paired data: the test asks whether some questions are rated Outstanding or Good more
often than others *in the same records*. It is Cochran's Q test (Cochran 1950) of the
records x questions table of Good-or-better, with a permutation p-value: within each
record, its Good-or-better ratings are shuffled among the questions it was rated on (so
not-applicable answers need no special handling, and no record is dropped). Under no
difference between questions every such shuffle is equally likely.

Only when that test finds a difference does any question "stand out"; then each question
is compared with the other questions of the same records, using the same shuffles, and
the p-values are Holm-adjusted. Nothing is concluded from the gap between the largest and
the smallest of twelve shares, which chance alone makes large.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from review_lib.analysis.clustered import case_keys
from review_lib.analysis.stats import holm
from review_lib.data.scale import GOOD_OR_BETTER

#: Shuffles behind every permutation p-value here (seeded: results repeat).
PERMUTATIONS = 2000
SEED = 20241201


@dataclass(frozen=True)
class QuestionComparison:
    """Whether questions differ within the same case records.

    Attributes
    ----------
    questions : tuple of str
        Question ids tested, in catalogue order.
    cases : int
        Case records with at least two rated questions (the others carry no comparison).
    statistic : float
        Cochran's Q (generalised to records not rated on every question: the same
        formula applied to each record's rated questions; identical to Cochran's Q when
        every record is rated on every question).
    p_value : float
        Permutation p-value, ``(1 + #{Q* >= Q}) / (1 + permutations)``.
    permutations : int
        Shuffles behind it.
    p_asymptotic : float
        The chi-square approximation with ``k - 1`` degrees of freedom (for comparison; the
        permutation p-value is the one used).
    differ : bool
        ``p_value < 0.05``.
    per_question : pandas.DataFrame
        Per question: ``n`` (records rated), ``good`` (of those, Outstanding or Good),
        ``expected`` (the count it would have if each record's good ratings were spread
        evenly over its questions), ``difference`` (``good - expected``), ``p_value``
        (two-sided permutation), ``p_holm`` and ``stands_out`` (``"above"``,
        ``"below"`` or ``""``: only when ``differ`` and ``p_holm < 0.05``).
    """

    questions: tuple[str, ...]
    cases: int
    statistic: float
    p_value: float
    permutations: int
    p_asymptotic: float
    differ: bool
    per_question: pd.DataFrame = field(repr=False)

    @property
    def at_floor(self) -> bool:
        """Whether no shuffle reached the observed Q (the p-value is then an upper bound)."""
        return self.p_value <= 1.0 / (1 + self.permutations) + 1e-15


def cochran_q(table: np.ndarray) -> float:
    """Cochran's Q of a records x questions 0/1 table, NaN where a record was not rated.

    Parameters
    ----------
    table : numpy.ndarray
        Rows are case records, columns questions; 1 for Outstanding or Good, 0 for below,
        NaN for not rated.

    Returns
    -------
    float
        ``Q = k(k - 1) sum_j (G_j - E_j)^2 / sum_i L_i (k_i - L_i) k / k_i``, where record i
        has L_i good ratings among its k_i rated questions, G_j is question j's count and
        E_j = sum_i L_i / k_i over the records rated on j. With every record rated on all k
        questions this is the textbook ``(k - 1)(k sum G_j^2 - N^2) / (k N - sum L_i^2)``,
        as statsmodels' ``cochrans_q`` computes it (agreement to 1e-12 is tested). NaN when
        no record has both kinds of rating.
    """
    table = np.asarray(table, dtype=float)
    rated = ~np.isnan(table)
    good = np.nan_to_num(table)
    g_j, e_j = good.sum(axis=0), _expected(rated, good)
    return float(_q_scale(rated, good) * ((g_j - e_j) ** 2).sum())


def _expected(rated: np.ndarray, good: np.ndarray) -> np.ndarray:
    """E_j: each record's good ratings spread evenly over the questions it was rated on."""
    k_i = np.maximum(rated.sum(axis=1), 1)
    return (rated * (good.sum(axis=1) / k_i)[:, None]).sum(axis=0)


def _q_scale(rated: np.ndarray, good: np.ndarray) -> float:
    """``Q / sum_j (G_j - E_j)^2``: fixed by each record's k_i and L_i, so by any shuffle."""
    k = rated.shape[1]
    k_i = np.maximum(rated.sum(axis=1), 1)
    l_i = good.sum(axis=1)
    denominator = float((l_i * (k_i - l_i) * k / k_i).sum())
    return k * (k - 1) / denominator if denominator > 0 else math.nan


def _shuffled_counts(rated: np.ndarray, good: np.ndarray, permutations: int, seed: int
                     ) -> np.ndarray:
    """Column sums after shuffling each record's good ratings among its rated questions.

    Returns permutations x questions counts.
    """
    rng = np.random.default_rng(seed)
    cases, questions = rated.shape
    l_i = good.sum(axis=1).astype(int)
    index = np.clip(l_i - 1, 0, questions - 1)[None, :, None]
    counts = np.empty((permutations, questions), dtype=np.int64)
    chunk = max(1, 400_000 // max(cases * questions, 1))  # bounded memory for programmes
    for start in range(0, permutations, chunk):
        size = min(chunk, permutations - start)
        keys = rng.random((size, cases, questions))
        keys[:, ~rated] = np.inf
        # A cell is good when its key is among the L_i smallest keys of its record.
        threshold = np.take_along_axis(np.sort(keys, axis=2),
                                       np.broadcast_to(index, (size, cases, 1)), axis=2)
        threshold = np.where((l_i > 0)[None, :, None], threshold, -np.inf)
        counts[start:start + size] = (keys <= threshold).sum(axis=1)
    return counts


def records_by_questions(ratings: pd.DataFrame, questions) -> np.ndarray:
    """The records x questions table of Good-or-better (1/0), NaN where not rated.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings of one review (or of many: records are told apart by council, cycle
        and case).
    questions : sequence of str
        Question ids, in the order of the columns.

    Returns
    -------
    numpy.ndarray
        One row per record with at least one rating.
    """
    questions = [str(q) for q in questions]
    record, _ = pd.factorize(pd.Series(case_keys(ratings)))
    column = pd.Index(questions).get_indexer(ratings["question"].astype(str))
    keep = column >= 0
    table = np.full((int(record.max()) + 1 if len(record) else 0, len(questions)), np.nan)
    good = ratings["rating"].isin(GOOD_OR_BETTER).to_numpy(dtype=float)
    table[record[keep], column[keep]] = good[keep]
    return table


def compare_questions(ratings: pd.DataFrame, catalogue, *, permutations: int = PERMUTATIONS,
                      seed: int = SEED) -> QuestionComparison:
    """Test whether the questions differ in their share Good or better, within records.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings of one review (or a programme: records are kept apart).
    catalogue : Catalogue or sequence of str
        The questions, in order (question objects with ``.id``, or ids).
    permutations : int, default 2000
        Shuffles for the permutation p-values.
    seed : int
        Random seed (results repeat).

    Returns
    -------
    QuestionComparison
        The overall test and the per-question follow-up.
    """
    ids = [str(getattr(q, "id", q)) for q in catalogue]
    table = records_by_questions(ratings, ids)
    rated_any = ~np.isnan(table).all(axis=0) if len(table) else np.zeros(len(ids), bool)
    ids = [q for q, keep in zip(ids, rated_any, strict=True) if keep]
    table = table[:, rated_any] if len(table) else table.reshape(0, len(ids))
    rated = ~np.isnan(table)
    usable = rated.sum(axis=1) >= 2
    table, rated = table[usable], rated[usable]
    good = np.nan_to_num(table)
    n_j = rated.sum(axis=0)
    g_j = good.sum(axis=0)
    e_j = _expected(rated, good)
    frame = pd.DataFrame({"n": n_j.astype(int), "good": g_j.astype(int), "expected": e_j,
                          "difference": g_j - e_j}, index=pd.Index(ids, name="question"))
    empty = len(ids) < 2 or len(table) == 0
    statistic = math.nan if empty else cochran_q(table)
    if empty or math.isnan(statistic):
        frame["p_value"] = math.nan
        frame["p_holm"] = math.nan
        frame["stands_out"] = ""
        return QuestionComparison(tuple(ids), len(table), math.nan, math.nan,
                                  permutations, math.nan, False, frame)
    counts = _shuffled_counts(rated, good, permutations, seed)
    # Q is a fixed multiple of sum_j (G_j - E_j)^2 under shuffling: compare those sums.
    shuffled = ((counts - e_j) ** 2).sum(axis=1)
    observed = float(((g_j - e_j) ** 2).sum())
    p_value = float((1 + np.sum(shuffled >= observed - 1e-9)) / (1 + permutations))
    from scipy.special import gammaincc  # chi-square survival function

    p_asymptotic = float(gammaincc((len(ids) - 1) / 2.0, statistic / 2.0))
    deviation = np.abs(g_j - e_j)
    per_p = (1 + (np.abs(counts - e_j) >= deviation - 1e-9).sum(axis=0)) / (1 + permutations)
    frame["p_value"] = per_p
    frame["p_holm"] = holm(per_p)
    differ = p_value < 0.05
    frame["stands_out"] = [
        ("above" if d > 0 else "below") if differ and p < 0.05 else ""
        for d, p in zip(frame["difference"], frame["p_holm"], strict=True)]
    return QuestionComparison(tuple(ids), len(table), statistic, p_value, permutations,
                              p_asymptotic, differ, frame)
