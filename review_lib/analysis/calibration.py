"""Auditor calibration: one moderation exercise's agreement and leniency, computed once.

:func:`calibrate` turns a :class:`~review_lib.data.moderation.ModerationExercise` into a
frozen :class:`Calibration` that the calibration report describes and ``metrics.json``
serialises (:func:`calibration_metrics`); nothing downstream recomputes. The statistics
themselves are :mod:`review_lib.analysis.agreement`'s.

The question ratings of one case share that case record, so every interval over question
ratings resamples **cases** (a cluster bootstrap), never single ratings: a case's twelve
ratings stay together in each replicate. With the eight or so cases of an exercise, the
percentile bootstrap is approximate and, if anything, too narrow. All replicates are
computed at once from each case's part of the statistic's totals
(:class:`~review_lib.analysis.agreement.ClusterSums`): the same draws and figures as
resampling replicate by replicate, in a fraction of a second.

Leniency is not bootstrapped: an auditor is named more generous or more severe only on a
t-test over cases adjusted for the number of auditors in the exercise (Bonferroni), whose
interval is the one shown (:func:`~review_lib.analysis.agreement.leniency`).
:data:`LENIENCY_POWER` gives the chance of naming an auditor half a level out.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from review_lib import __version__
from review_lib.analysis.agreement import (
    AgreementEstimate,
    ClusterSums,
    agreement_sums,
    alpha_sums,
    cluster_bootstrap,
    cohen_kappa,
    gwet_ac,
    gwet_sums,
    kappa_sums,
    krippendorff_alpha,
    leniency,
    percent_agreement,
    resample_counts,
)
from review_lib.data.moderation import CONSENSUS, ModerationExercise
from review_lib.data.scale import LEVEL_SCORES
from review_lib.files import is_synthetic

#: The scale's numeric codes (Inadequate 1 ... Outstanding 4), passed to every statistic so
#: that weights and chance terms never depend on which levels happen to occur.
CATEGORIES: tuple[int, ...] = tuple(sorted(LEVEL_SCORES.values()))

#: The figures of the headline table, in order: key -> what it is.
STATISTICS: dict[str, str] = {
    "alpha_ordinal": "Krippendorff's alpha (ordinal)",
    "ac2_quadratic": "Gwet's AC2 (quadratic weights)",
    "ac2_linear": "Gwet's AC2 (linear weights)",
    "exact_agreement": "Exact agreement",
    "adjacent_agreement": "Agreement within one level",
}

_NAN = float("nan")


@dataclass(frozen=True, eq=False)
class Calibration:
    """What one moderation exercise shows about its auditors.

    Attributes
    ----------
    exercise, cycle : str
        The exercise's name and programme cycle.
    auditors : tuple of str
        The auditors' labels (the consensus is not one).
    n_cases : int
        Case records in the exercise.
    has_consensus : bool
        Whether there is a consensus (moderated) rating to compare auditors with.
    ratings : dict of str to AgreementEstimate
        Agreement over all question ratings (units: case x question; intervals resample
        cases), keyed as :data:`STATISTICS`.
    judgements : dict of str to AgreementEstimate
        The same over the overall judgements (units: cases).
    per_question : pandas.DataFrame
        Indexed by question id: ``label``, ``n_cases`` (rated twice or more), ``alpha``,
        ``alpha_low``, ``alpha_high``, ``ac2_quadratic``, ``ac2_low``, ``ac2_high``,
        ``ac2_others`` (AC2 of the other
        questions' ratings, pooled), ``exact_agreement``, ``adjacent_agreement``,
        ``difference`` (``ac2_quadratic - ac2_others``), ``difference_low``,
        ``difference_high`` (a simultaneous interval: Bonferroni over the questions) and
        ``read_differently`` (the whole interval below zero: auditors agreed clearly less
        on this question than on the others). The comparison uses AC2, not alpha: over a
        few cases, a question's alpha falls whenever its cases happen to be rated alike
        (nearly all Good), however well the auditors agree, and would name such questions.
    pairwise : pandas.DataFrame
        A row per pair of auditors, then per auditor against the consensus: ``rater_a``,
        ``rater_b``, ``n_cases``, ``n_ratings``, ``exact_agreement``, ``kappa_linear``,
        ``kappa_quadratic`` with ``_low`` / ``_high`` (weighted Cohen's kappa over the
        question ratings both gave; intervals resample cases).
    leniency : pandas.DataFrame
        Indexed by auditor (:func:`review_lib.analysis.agreement.leniency` on each case's
        mean question rating): ``reference`` ("consensus" or "other raters"),
        ``mean_difference`` in scale points (positive: more generous), ``low``, ``high``
        (a t interval over cases, simultaneous across the auditors), ``n_units`` (cases),
        ``p_value``, ``p_adjusted``, ``interval_confidence``, ``direction``; and the same
        for the overall judgements, prefixed ``judgement_``.
    n_boot, seed : int
        Bootstrap replicates and seed of every agreement interval (not of leniency).
    confidence : float
        Coverage of every interval (0.95).
    """

    exercise: str
    cycle: str
    auditors: tuple[str, ...]
    n_cases: int
    has_consensus: bool
    ratings: dict[str, AgreementEstimate]
    judgements: dict[str, AgreementEstimate]
    per_question: pd.DataFrame
    pairwise: pd.DataFrame
    leniency: pd.DataFrame
    n_boot: int
    seed: int
    confidence: float = 0.95

    @property
    def reference(self) -> str:
        """What each auditor is compared with: ``"consensus"`` or ``"other auditors"``."""
        return "consensus" if self.has_consensus else "other auditors"

    @property
    def named(self) -> pd.DataFrame:
        """The auditors whose leniency interval excludes zero (more generous or severe)."""
        return self.leniency[self.leniency["direction"] != "no clear difference"]

    @property
    def questions_read_differently(self) -> list[str]:
        """Ids of the questions auditors agreed on clearly less than on the others."""
        return [str(q) for q in self.per_question.index[self.per_question["read_differently"]]]

    def __repr__(self) -> str:
        alpha = self.ratings["alpha_ordinal"]
        return (f"Calibration({self.exercise!r} {self.cycle}: {len(self.auditors)} auditors x "
                f"{self.n_cases} cases; alpha {alpha.estimate:.2f} "
                f"({alpha.low:.2f} to {alpha.high:.2f}); {len(self.named)} auditor(s) named)")


def score_cube(exercise: ModerationExercise) -> tuple[np.ndarray, list[str], list[str]]:
    """The question scores as an array: cases x questions x raters (NaN where not rated).

    Parameters
    ----------
    exercise : ModerationExercise
        The exercise.

    Returns
    -------
    tuple
        ``(array, question ids, rater labels)``; the raters are the auditors, then
        :data:`~review_lib.data.moderation.CONSENSUS` if any case has a consensus row.
    """
    raters = [*exercise.auditors, *([CONSENSUS] if exercise.has_consensus else [])]
    questions = list(exercise.catalogue.ids)
    ratings = exercise.ratings
    cube = np.full((len(exercise.cases), len(questions), len(raters)), np.nan)
    case_at = {case: i for i, case in enumerate(exercise.cases)}
    question_at = {q: i for i, q in enumerate(questions)}
    rater_at = {r: i for i, r in enumerate(raters)}
    cube[ratings["case"].map(case_at).to_numpy(),
         ratings["question"].astype(str).map(question_at).to_numpy(),
         ratings["auditor"].astype(str).map(rater_at).to_numpy()] = ratings["score"]
    return cube, questions, raters


def judgement_scores(exercise: ModerationExercise) -> pd.DataFrame:
    """Cases x raters: each rater's overall judgement as a score (NaN where not given).

    Parameters
    ----------
    exercise : ModerationExercise
        The exercise.

    Returns
    -------
    pandas.DataFrame
        Indexed by case pseudonym; columns the auditors, then the consensus if any.
    """
    raters = [*exercise.auditors, *([CONSENSUS] if exercise.has_consensus else [])]
    table = exercise.judgements.assign(auditor=exercise.judgements["auditor"].astype(str))
    return (table.pivot(index="case", columns="auditor", values="score").astype(float)
            .reindex(index=list(exercise.cases), columns=raters))


def case_means(cube: np.ndarray) -> np.ndarray:
    """Each rater's mean score of each case, over the questions every rater of it rated.

    A question one rater marked not applicable is left out of that case for everyone, so
    that a difference between two raters' means is a difference of ratings, not of which
    questions they rated.

    Parameters
    ----------
    cube : numpy.ndarray
        Cases x questions x raters (:func:`score_cube`).

    Returns
    -------
    numpy.ndarray
        Cases x raters; NaN where a rater did not rate the case.
    """
    rated_case = ~np.isnan(cube).all(axis=1)  # cases x raters
    missing = np.isnan(cube) & rated_case[:, None, :]
    usable = ~missing.any(axis=2)  # cases x questions rated by every rater of the case
    values = np.where(usable[:, :, None], cube, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a case no rater rated: NaN
        means = np.nanmean(values, axis=1)
    return np.where(rated_case, means, np.nan)


def _estimate(name: str, statistic: _Statistic, cases: np.ndarray, counts: np.ndarray,
              confidence: float) -> AgreementEstimate:
    """A statistic of the units of ``cases`` (cases x units x raters), with its interval.

    The estimate is the statistic's own function over every unit; the interval resamples
    cases, all replicates at once (:class:`~review_lib.analysis.agreement.ClusterSums`).
    """
    point, sums = statistic
    items = cases.reshape(-1, cases.shape[-1])
    ci = cluster_bootstrap(sums(cases), counts, confidence)
    pairable = int(((~np.isnan(items)).sum(axis=1) >= 2).sum())
    used = int((~np.isnan(items)).any(axis=0).sum())
    return AgreementEstimate(name, point(items), ci.low, ci.high, pairable, used,
                             ci.n_failed)


def _ac2(scores: np.ndarray) -> float:
    return gwet_ac(scores, "quadratic", CATEGORIES)


#: A statistic of (units x raters), and the same as sums over clusters.
_Statistic = tuple[Callable[[np.ndarray], float], Callable[[np.ndarray], ClusterSums]]


def _statistics() -> dict[str, _Statistic]:
    return {
        "alpha_ordinal": (lambda s: krippendorff_alpha(s, "ordinal"),
                          lambda v: alpha_sums(v, CATEGORIES)),
        "ac2_quadratic": (_ac2, lambda v: gwet_sums(v, "quadratic", CATEGORIES)),
        "ac2_linear": (lambda s: gwet_ac(s, "linear", CATEGORIES),
                       lambda v: gwet_sums(v, "linear", CATEGORIES)),
        "exact_agreement": (percent_agreement, agreement_sums),
        "adjacent_agreement": (lambda s: percent_agreement(s, adjacent=True),
                               lambda v: agreement_sums(v, adjacent=True)),
    }


def _per_question(cube: np.ndarray, questions: list[str], labels: dict[str, str],
                  n_auditors: int, counts: np.ndarray, confidence: float) -> pd.DataFrame:
    auditors = cube[:, :, :n_auditors]
    n_questions = auditors.shape[1]
    tail = (1 - confidence) / max(n_questions, 1)  # Bonferroni: simultaneous intervals
    rows = []
    for q, qid in enumerate(questions):
        own = auditors[:, q, :]
        rest = np.delete(auditors, q, axis=1)
        alpha, ac2 = alpha_sums(own, CATEGORIES), gwet_sums(own, "quadratic", CATEGORIES)
        others = gwet_sums(rest, "quadratic", CATEGORIES)
        alpha_ci = cluster_bootstrap(alpha, counts, confidence)
        ac2_ci = cluster_bootstrap(ac2, counts, confidence)
        # The question's cases and the other questions' are the same cases: one resample.
        diff_ci = cluster_bootstrap(ac2 - others, counts, 1 - tail)
        own_ac2, rest_ac2 = _ac2(own), _ac2(rest.reshape(-1, n_auditors))
        rows.append({
            "question": qid, "label": labels.get(qid, qid),
            "n_cases": int(((~np.isnan(own)).sum(axis=1) >= 2).sum()),
            "alpha": krippendorff_alpha(own), "alpha_low": alpha_ci.low,
            "alpha_high": alpha_ci.high, "ac2_quadratic": own_ac2, "ac2_low": ac2_ci.low,
            "ac2_high": ac2_ci.high, "ac2_others": rest_ac2,
            "exact_agreement": percent_agreement(own),
            "adjacent_agreement": percent_agreement(own, adjacent=True),
            "difference": own_ac2 - rest_ac2, "difference_low": diff_ci.low,
            "difference_high": diff_ci.high,
            "read_differently": bool(diff_ci.high < 0),
        })
    return pd.DataFrame(rows).set_index("question")


def _pairwise(cube: np.ndarray, raters: list[str], n_auditors: int, counts: np.ndarray,
              confidence: float) -> pd.DataFrame:
    pairs = [(i, j) for i in range(n_auditors) for j in range(i + 1, n_auditors)]
    if len(raters) > n_auditors:  # each auditor against the consensus
        pairs += [(i, n_auditors) for i in range(n_auditors)]
    rows = []
    for i, j in pairs:
        pair = cube[:, :, [i, j]]
        both = ~np.isnan(pair).any(axis=2)
        if not both.any():
            continue
        items = pair.reshape(-1, 2)
        row = {"rater_a": raters[i], "rater_b": raters[j],
               "n_cases": int(both.any(axis=1).sum()), "n_ratings": int(both.sum()),
               "exact_agreement": percent_agreement(items)}
        for weights in ("linear", "quadratic"):
            kappa = cohen_kappa(items[:, 0], items[:, 1], weights=weights,
                                categories=CATEGORIES).estimate
            ci = cluster_bootstrap(kappa_sums(pair, weights, CATEGORIES), counts, confidence)
            row |= {f"kappa_{weights}": kappa, f"kappa_{weights}_low": ci.low,
                    f"kappa_{weights}_high": ci.high}
        rows.append(row)
    columns = ["rater_a", "rater_b", "n_cases", "n_ratings", "exact_agreement",
               *[f"kappa_{w}{s}" for w in ("linear", "quadratic") for s in ("", "_low",
                                                                           "_high")]]
    return pd.DataFrame(rows, columns=columns)


def calibrate(exercise: ModerationExercise, *, n_boot: int = 1000, seed: int = 0,
              confidence: float = 0.95) -> Calibration:
    """Agreement between the auditors of a moderation exercise, and each one's leniency.

    Parameters
    ----------
    exercise : ModerationExercise
        The exercise (:func:`review_lib.data.moderation.read_moderation_file`).
    n_boot : int, default 1000
        Bootstrap replicates for every interval (each resamples the cases).
    seed : int, default 0
        Seed: the same figures every time.
    confidence : float, default 0.95
        Coverage of the intervals.

    Returns
    -------
    Calibration
        Every figure the calibration report shows.
    """
    cube, questions, raters = score_cube(exercise)
    n_auditors = len(exercise.auditors)
    auditors = cube[:, :, :n_auditors]
    # Every interval resamples the same cases: the draws bootstrap_interval would make.
    counts = resample_counts(len(auditors), n_boot, seed)
    statistics = _statistics()
    ratings = {key: _estimate(key, stat, auditors, counts, confidence)
               for key, stat in statistics.items()}
    judged = judgement_scores(exercise)
    judged_auditors = judged[list(exercise.auditors)].to_numpy()
    judgements = {key: _estimate(key, stat, judged_auditors[:, None, :], counts, confidence)
                  for key, stat in statistics.items()}
    labels = exercise.catalogue.labels()
    per_question = _per_question(cube, questions, labels, n_auditors, counts, confidence)
    pairwise = _pairwise(cube, raters, n_auditors, counts, confidence)
    consensus = CONSENSUS if exercise.has_consensus else None
    means = pd.DataFrame(case_means(cube), index=list(exercise.cases), columns=raters)
    lenient = leniency(means, consensus, confidence=confidence)
    by_judgement = leniency(judged, consensus, confidence=confidence)
    lenient = lenient.join(by_judgement.drop(columns="reference").add_prefix("judgement_"))
    lenient.index.name = "auditor"
    return Calibration(exercise.name, exercise.cycle, tuple(exercise.auditors),
                       exercise.n_cases, exercise.has_consensus, ratings, judgements,
                       per_question, pairwise, lenient, n_boot, seed, confidence)


def exercise_leniency(exercise: ModerationExercise, *, n_boot: int = 1000, seed: int = 0,
                      confidence: float = 0.95) -> pd.DataFrame:
    """Each auditor's leniency in an exercise alone, as :func:`calibrate` computes it.

    The same case means and test as :func:`calibrate`, so the figures equal the
    calibration report's, without the agreement statistics.

    Parameters
    ----------
    exercise : ModerationExercise
        The exercise.
    n_boot, seed : int
        Accepted for compatibility; leniency is not bootstrapped.
    confidence : float, default 0.95
        As for :func:`calibrate`.

    Returns
    -------
    pandas.DataFrame
        Indexed by auditor: ``reference``, ``mean_difference``, ``low``, ``high``,
        ``n_units``, ``p_value``, ``p_adjusted``, ``interval_confidence`` and
        ``direction``.
    """
    cube, _, raters = score_cube(exercise)
    consensus = CONSENSUS if exercise.has_consensus else None
    means = pd.DataFrame(case_means(cube), index=list(exercise.cases), columns=raters)
    lenient = leniency(means, consensus, confidence=confidence)
    lenient.index.name = "auditor"
    return lenient


#: The chance that an auditor half a level out is named, from :func:`naming_rates` (1,000
#: simulated exercises each, seed 11, shift +1): by ``(measure, auditors, cases)``. "ratings": one
#: auditor rates half their question ratings one level higher (or lower) than a fair one;
#: "judgements": their overall judgement is one level out on half the cases. Fair
#: auditors differ from the consensus by one level on 15% of answers either way.
LENIENCY_POWER: dict[tuple[str, int, int], float] = {
    ("ratings", 5, 8): 0.98, ("judgements", 5, 8): 0.13,
    ("ratings", 6, 10): 1.00, ("judgements", 6, 10): 0.27,
}


def simulated_exercise(rng: np.random.Generator, n_auditors: int, n_cases: int,
                       shift: int = 0, measure: str = "ratings", noise: float = 0.15
                       ) -> pd.DataFrame:
    """One simulated moderation exercise, as :func:`leniency` takes it.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n_auditors, n_cases : int
        The exercise's size.
    shift : {-1, 0, 1}, default 0
        The first auditor ("A1") moves half their answers one level down or up: half a
        level on average. The others are fair.
    measure : {"ratings", "judgements"}, default "ratings"
        "ratings": each case's mean of twelve question ratings (:func:`case_means`), the
        consensus drawn from Outstanding 20%, Good 50%, Requires Improvement 25% and
        Inadequate 5%; "judgements": one overall judgement per case, Good 60% and
        Requires Improvement 40%.
    noise : float, default 0.15
        Share of a fair auditor's answers one level from the consensus, either way.

    Returns
    -------
    pandas.DataFrame
        Cases x auditors ``A1`` ... and ``Consensus``.
    """
    if measure not in ("ratings", "judgements"):
        raise ValueError(f"measure must be ratings or judgements, not {measure!r}")
    shape = (n_cases, 12) if measure == "ratings" else (n_cases, 1)
    if measure == "ratings":
        truth = rng.choice([1, 2, 3, 4], size=shape, p=[0.05, 0.25, 0.5, 0.2])
    else:
        truth = rng.choice([2, 3], size=shape, p=[0.4, 0.6])
    grids = []
    for j in range(n_auditors):
        grid = truth + (rng.random(shape) < noise) * rng.choice([-1, 1], shape)
        if j == 0 and shift:
            grid = grid + shift * (rng.random(shape) < 0.5)
        grids.append(np.clip(grid, 1, 4))
    cube = np.stack([*grids, truth], axis=2).astype(float)
    columns = [*(f"A{j + 1}" for j in range(n_auditors)), CONSENSUS]
    return pd.DataFrame(case_means(cube), columns=columns)


def naming_rates(n_auditors: int, n_cases: int, *, shift: int = 0, measure: str = "ratings",
                 draws: int = 1000, seed: int = 11) -> dict[str, float]:
    """How often :func:`leniency` names auditors in simulated exercises.

    Parameters
    ----------
    n_auditors, n_cases : int
        The exercise's size.
    shift : {-1, 0, 1}, default 0
        As :func:`simulated_exercise` (0: every auditor fair).
    measure : {"ratings", "judgements"}, default "ratings"
        As :func:`simulated_exercise`.
    draws : int, default 1000
        Simulated exercises.
    seed : int, default 11
        Seed.

    Returns
    -------
    dict
        ``shifted``: share of exercises naming the shifted auditor (its power; with
        ``shift=0`` the first fair auditor's rate); ``each_fair``: the largest of the fair
        auditors' rates; ``any_fair``: share of exercises naming at least one fair auditor.
    """
    rng = np.random.default_rng(seed)
    named = np.zeros((draws, n_auditors), dtype=bool)
    for i in range(draws):
        table = leniency(simulated_exercise(rng, n_auditors, n_cases, shift, measure),
                         CONSENSUS)
        named[i] = (table["direction"] != "no clear difference").to_numpy()
    fair = named[:, 1:] if shift else named
    return {"shifted": float(named[:, 0].mean()), "each_fair": float(fair.mean(axis=0).max()),
            "any_fair": float(fair.any(axis=1).mean())}


def auditor_leniency(calibrations, auditors) -> pd.DataFrame:
    """Each of a review's auditors' leniency, where a moderation exercise measured it.

    For the by-auditor view of a review (issue 15 item 5): auditor labels are matched as
    written (case and spaces ignored), so this is only meaningful where the network keeps
    its labels the same between its reviews and its exercises.

    Parameters
    ----------
    calibrations : iterable of Calibration
        Exercises of the review's cycle, most relevant first.
    auditors : iterable of str
        The review's auditor labels.

    Returns
    -------
    pandas.DataFrame
        Indexed by the review's auditors found in an exercise, in the order given (the
        first exercise measuring an auditor wins):
        ``exercise``, ``reference``, ``mean_difference``, ``low``, ``high``, ``n_units``
        and ``direction``. Empty when none is found.
    """
    columns = ["exercise", "reference", "mean_difference", "low", "high", "n_units",
               "direction"]
    rows = {}
    wanted = {" ".join(str(a).split()).casefold(): str(a) for a in auditors}
    for calibration in calibrations:
        for label, row in calibration.leniency.iterrows():
            key = " ".join(str(label).split()).casefold()
            if key in wanted and wanted[key] not in rows:
                rows[wanted[key]] = {"exercise": calibration.exercise,
                                     **{c: row[c] for c in columns[1:]}}
    order = [a for a in wanted.values() if a in rows]  # the review's own order
    frame = pd.DataFrame.from_dict({a: rows[a] for a in order}, orient="index",
                                   columns=columns)
    frame.index.name = "auditor"
    return frame


# --------------------------------------------------------------------------- metrics.json


def _number(value) -> float | int | bool | str | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if value != value else float(value)
    return value


def _estimate_dict(estimate: AgreementEstimate) -> dict:
    return {"estimate": _number(estimate.estimate), "ci_low": _number(estimate.low),
            "ci_high": _number(estimate.high), "n_units": estimate.n_units,
            "n_raters": estimate.n_raters, "n_boot_failed": estimate.n_boot_failed}


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _number(v) for k, v in row.items()} for row in frame.to_dict("records")]


def calibration_metrics(calibration: Calibration, exercise: ModerationExercise,
                        run_date: dt.date | None = None) -> dict:
    """Every figure of a calibration, as plain JSON-ready data (``metrics.json``).

    Parameters
    ----------
    calibration : Calibration
        From :func:`calibrate`.
    exercise : ModerationExercise
        The exercise it was computed from (for its provenance).
    run_date : datetime.date, optional
        Today by default.

    Returns
    -------
    dict
        ``kind`` ("calibration"), ``exercise``, ``cycle``, ``n_cases``, ``auditors``,
        ``has_consensus``, ``reference``; ``ratings`` and ``judgements`` (each statistic of
        :data:`STATISTICS`: ``estimate``, ``ci_low``, ``ci_high``, ``n_units``,
        ``n_raters``), ``questions`` (per question, every column of
        :attr:`Calibration.per_question`), ``pairwise`` (a list of pairs),
        ``leniency`` (per auditor), ``auditors_named`` and ``questions_read_differently``,
        the bootstrap's ``n_boot``, ``seed`` and ``confidence``, the category codes, and
        provenance (file name and hash; for live double ratings the review's file and hash;
        library version, run date, whether synthetic).
        Cases appear only as a count.
    """
    leniency_table = {str(a): {k: _number(v) for k, v in row.items()}
                      for a, row in calibration.leniency.iterrows()}
    questions = {str(q): {k: _number(v) for k, v in row.items()}
                 for q, row in calibration.per_question.iterrows()}
    return {
        "kind": "calibration",
        "exercise": calibration.exercise,
        "cycle": calibration.cycle,
        "month": exercise.month,
        "n_cases": calibration.n_cases,
        "auditors": list(calibration.auditors),
        "has_consensus": calibration.has_consensus,
        "reference": calibration.reference,
        "categories": {level: score for level, score in LEVEL_SCORES.items()},
        "ratings": {k: _estimate_dict(v) for k, v in calibration.ratings.items()},
        "judgements": {k: _estimate_dict(v) for k, v in calibration.judgements.items()},
        "questions": questions,
        "pairwise": _records(calibration.pairwise),
        "leniency": leniency_table,
        "auditors_named": {str(a): row["direction"]
                           for a, row in calibration.named.iterrows()},
        "questions_read_differently": calibration.questions_read_differently,
        "bootstrap": {"n_boot": calibration.n_boot, "seed": calibration.seed,
                      "confidence": calibration.confidence, "resampled": "cases",
                      "question_difference_confidence": 1 - (1 - calibration.confidence)
                      / max(len(calibration.per_question), 1)},
        "data_file": Path(exercise.source).name,
        "data_sha256": exercise.sha256,
        "review_file": exercise.review[0] if exercise.review else None,
        "review_sha256": exercise.review[1] if exercise.review else None,
        "synthetic": is_synthetic(exercise.path),
        "library_version": __version__,
        "run_date": (run_date or dt.date.today()).isoformat(),
    }
