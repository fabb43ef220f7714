"""The calibration report: how far the auditors of a moderation exercise agree, in words.

For the network's Principal Social Workers. The notebook ``auditor_calibration.ipynb`` opens
an exercise (:func:`open_exercise`) and shows one section per call; each returns a
:class:`~review_lib.report.section.Section` carrying the table behind it (``.frame``) and
what it says (``.text``). Every figure comes from one
:class:`~review_lib.analysis.calibration.Calibration`, computed once per context.

The wording follows the suite's rules: a band of agreement is a description, never a pass
mark; an auditor is called more generous or more severe only when the interval of their
difference excludes zero; a question is called "read differently" only when the auditors
agreed clearly less on it than on the others, allowing for having looked at every question.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from review_lib.analysis.calibration import (
    LENIENCY_POWER,
    STATISTICS,
    Calibration,
    calibrate,
    calibration_metrics,
)
from review_lib.analysis.summary import format_percent
from review_lib.data.moderation import CONSENSUS, ModerationExercise
from review_lib.data.problems import DataValidationError
from review_lib.data.records import _h, normalise_cycle
from review_lib.files import is_synthetic, slug, write_atomically
from review_lib.paths import ENV_METRICS
from review_lib.report import charts
from review_lib.report.claims import stated
from review_lib.report.context import load_inputs
from review_lib.report.html import (
    callout,
    chart_html,
    esc,
    format_month,
    html_table,
    synthetic_banner,
)
from review_lib.report.section import Section, combined, sectioned

#: Landis and Koch's (1977) verbal bands for kappa-type coefficients: upper limit, words
#: (the first band is every value below zero).
LANDIS_KOCH: tuple[tuple[float, str], ...] = (
    (0.0, "poor (no better than chance)"),
    (0.20, "slight"),
    (0.40, "fair"),
    (0.60, "moderate"),
    (0.80, "substantial"),
    (1.0, "almost perfect"),
)

LANDIS_KOCH_SOURCE = (
    "Landis, J. R. and Koch, G. G. (1977) 'The measurement of observer agreement for "
    "categorical data', Biometrics 33(1): 159-174."
)

BANDS_CAUTION = (
    "These bands describe a figure; they are not pass marks. Landis and Koch proposed them "
    "as a convention for talking about agreement, not as standards, and with a handful of "
    "cases each figure carries a wide interval that often spans two or three bands. A "
    "network should decide what agreement it needs, and watch whether it improves from one "
    "exercise to the next, rather than grade its auditors against a band."
)


@dataclass
class CalibrationContext:
    """Everything the calibration notebook needs.

    Attributes
    ----------
    exercise : ModerationExercise
        The moderation exercise.
    figures_dir : Path or None
        Where its chart files are written (None: charts are not saved).
    synthetic : bool
        Whether it comes from the bundled synthetic sample.
    n_boot : int
        Bootstrap replicates of every interval.
    """

    exercise: ModerationExercise
    figures_dir: Path | None
    synthetic: bool
    n_boot: int = 1000

    @cached_property
    def calibration(self) -> Calibration:
        """The exercise's figures, computed once."""
        return calibrate(self.exercise, n_boot=self.n_boot)

    @property
    def labels(self) -> dict[str, str]:
        """Question id to ``"Q3 Community assets"``."""
        return {q.id: q.heading for q in self.exercise.catalogue}


def open_exercise(exercise: str = "", cycle: str = "", data_dir: str | Path | None = None,
                  questions: str | Path | None = None, figures_dir: str | Path | None = None,
                  n_boot: int = 1000, *,
                  prepared: str | Path | None = None) -> CalibrationContext:
    """Load one moderation exercise for the calibration report.

    Parameters
    ----------
    exercise : str, default ""
        The exercise's name (case and spaces ignored; its folder name also works); "" for
        the only exercise of the cycle.
    cycle : str, default ""
        Its programme cycle; "" for any.
    data_dir : str or Path, optional
        Folder of data files; the bundled synthetic sample by default.
    questions : str or Path, optional
        Question catalogue; else ``$PRACTICE_REVIEW_QUESTIONS``; else the bundled one.
    figures_dir : str or Path, optional
        Chart root; else ``$PRACTICE_REVIEW_FIGURES``; else None (no chart file written).
        Charts go in ``<figures_dir>/<cycle>/moderation/<exercise>/``.
    n_boot : int, default 1000
        Bootstrap replicates for every interval.
    prepared : str or Path, optional
        A batch run's prepared file, which ``practice-review run`` passes as the
        notebook's ``prepared`` parameter (:func:`review_lib.report.context.load_inputs`);
        None or "" reads the data folder.

    Returns
    -------
    CalibrationContext
        The exercise and where its figures go.

    Raises
    ------
    DataValidationError
        If the exercise's file has errors.
    KeyError
        If no valid exercise matches (the message lists those there are), or several do.
    """
    _, _, results, root = load_inputs(data_dir, questions, figures_dir, prepared=prepared)
    wanted_cycle = normalise_cycle(cycle) or cycle if cycle else ""
    found = [(e, r.path) for r in results for e in r.exercises
             if not wanted_cycle or e.cycle == wanted_cycle]
    if exercise:
        found = [(e, p) for e, p in found
                 if _h(e.name) == _h(exercise) or slug(e.name) == slug(exercise)]
    if len(found) != 1:
        broken = [p for r in results if r.is_moderation and not r.ok
                  for p in r.problems if p.is_error]
        if not found and broken:
            raise DataValidationError(broken)
        every = [f"{e.name!r} ({e.cycle})" for r in results for e in r.exercises]
        what = f"{exercise!r}" if exercise else "a moderation exercise"
        where = f" in cycle {wanted_cycle}" if wanted_cycle else ""
        if found:
            raise KeyError(f"{len(found)} moderation exercises{where}: name one of "
                           + ", ".join(f"{e.name!r}" for e, _ in found))
        raise KeyError(f"no valid {what}{where}; exercises: {', '.join(every) or 'none'}")
    chosen, path = found[0]
    folder = (root / chosen.cycle / "moderation" / slug(chosen.name)
              if root is not None else None)
    return CalibrationContext(chosen, folder, is_synthetic(path), n_boot)


# --------------------------------------------------------------------------- wording


def band(value: float) -> str:
    """Landis and Koch's words for a coefficient (see :data:`LANDIS_KOCH`).

    Parameters
    ----------
    value : float
        Alpha, kappa or AC2.

    Returns
    -------
    str
        E.g. ``"moderate"``; ``"not defined"`` for NaN.
    """
    if value != value:
        return "not defined"
    if value < 0:
        return LANDIS_KOCH[0][1]
    for upper, words in LANDIS_KOCH[1:]:
        if value <= upper + 1e-12:
            return words
    return LANDIS_KOCH[-1][1]


def _short_band(value: float) -> str:
    return band(value).split(" (")[0]


def band_phrase(estimate: float, low: float, high: float) -> str:
    """A coefficient's band, and the bands its interval spans when they differ.

    Parameters
    ----------
    estimate, low, high : float
        The coefficient and its 95% interval.

    Returns
    -------
    str
        E.g. ``"moderate (its interval runs from fair to substantial)"``.
    """
    words = band(estimate)
    if low != low or high != high:
        return words
    first, last = _short_band(low), _short_band(high)
    if first == last == _short_band(estimate):
        return f"{words} (its whole interval is in that band)"
    return f"{words} (its interval runs from {first} to {last})"


def _number(value: float, places: int = 2) -> str:
    return "n/a" if value != value else f"{value:.{places}f}".replace("-", "−")


def _signed(value: float) -> str:
    return "n/a" if value != value else f"{value:+.2f}".replace("-", "−")


def _interval(low: float, high: float, signed: bool = False) -> str:
    show = _signed if signed else _number
    return f"{show(low)} to {show(high)}"


#: Fractions of a level a reader pictures, with their words, for :func:`amount`.
_FRACTIONS = ((0.1, "a tenth"), (0.2, "a fifth"), (0.25, "a quarter"), (1 / 3, "a third"),
              (0.5, "half"), (2 / 3, "two thirds"), (0.75, "three quarters"))
_AND = {0.25: "and a quarter", 1 / 3: "and a third", 0.5: "and a half",
        2 / 3: "and two thirds", 0.75: "and three quarters"}


def amount(difference: float) -> str:
    """How large a difference in scale points is, in words that say what the number says.

    The nearest of a tenth, a fifth, a quarter, a third, half, two thirds and three
    quarters of a level (or of whole levels and a quarter, a third, a half, two thirds or
    three quarters): -0.38 is "about a third of a level", not "half".

    Parameters
    ----------
    difference : float
        In levels of the four-level scale (either sign).

    Returns
    -------
    str
        ``"about a third of a level"``, ``"about half a level"``, ``"about one level"``,
        ``"about one and a half levels"``, or ``"hardly any (less than a tenth of a
        level)"``.
    """
    size = abs(difference)
    if size < 0.05:
        return "hardly any (less than a tenth of a level)"
    whole = int(size)
    if whole == 0 or (whole == 1 and size < 1 + 1 / 8):
        candidates = [*_FRACTIONS, (1.0, "one")]
        value, words = min(candidates, key=lambda c: abs(c[0] - size))
        if value == 1.0:
            return "about one level"
        return "about half a level" if value == 0.5 else f"about {words} of a level"
    names = {1: "one", 2: "two", 3: "three", 4: "four"}
    candidates = [(0.0, ""), *_AND.items(), (1.0, "")]
    part, words = min(candidates, key=lambda c: abs(c[0] - (size - whole)))
    number = names.get(whole + int(part), str(whole + int(part)))
    return f"about {number} levels" if not words else f"about {number} {words} levels"


def interval_words(confidence: float) -> str:
    """The name of a leniency interval: ``"95% interval"``, or one allowing for several.

    Parameters
    ----------
    confidence : float
        The interval's own confidence (``interval_confidence`` of the leniency table).

    Returns
    -------
    str
        ``"95% interval"`` for one auditor; e.g. ``"99% interval (allowing for every
        auditor compared)"`` when the interval is adjusted for several.
    """
    if not confidence == confidence or abs(confidence - 0.95) < 1e-9:
        return "95% interval"
    share = confidence * 100
    text = f"{share:.0f}%" if abs(share - round(share)) < 0.05 else f"{share:.1f}%"
    return f"{text} interval (allowing for every auditor compared)"


def _interval_heading(table: pd.DataFrame) -> str:
    """``"99% interval"``: the leniency intervals' own confidence, as a column heading."""
    levels = table.get("interval_confidence")
    confidence = float(levels.iloc[0]) if levels is not None and len(levels) else 0.95
    return interval_words(confidence).split(" (")[0]


def power_words(calibration: Calibration) -> str:
    """How likely the exercise was to name an auditor half a level out (simulated).

    Parameters
    ----------
    calibration : Calibration
        The exercise's figures.

    Returns
    -------
    str
        Sentences quoting :data:`~review_lib.analysis.calibration.LENIENCY_POWER` for the
        exercise's size, or for the nearest size simulated, saying which.
    """
    size = (len(calibration.auditors), calibration.n_cases)
    sizes = sorted({(a, c) for _, a, c in LENIENCY_POWER},
                   key=lambda ac: (abs(ac[1] - size[1]), abs(ac[0] - size[0])))
    auditors, cases = size if size in sizes else sizes[0]
    ratings = LENIENCY_POWER[("ratings", auditors, cases)]
    judged = LENIENCY_POWER[("judgements", auditors, cases)]
    where = ("In simulated exercises of this size" if (auditors, cases) == size else
             f"In simulated exercises of {auditors} auditors and {cases} cases (the nearest "
             "size simulated)")
    return (f"{where}, an auditor who rated half their answers one level higher than the "
            f"others would be named from the question ratings "
            f"{format_percent(ratings, 0)} of the time, but from the overall judgements "
            f"only {format_percent(judged, 0)}: one judgement per case shows only large "
            "differences in so few cases, so a judgement not named is weak evidence of "
            "none.")


def leniency_sentence(auditor: str, row: pd.Series, reference: str,
                      prefix: str = "", scope: dict | None = None) -> str | None:
    """The sentence naming an auditor as more generous or severe, or None if not named.

    Parameters
    ----------
    auditor : str
        The auditor's label.
    row : pandas.Series
        Their row of :attr:`Calibration.leniency`.
    reference : str
        ``"consensus"`` or ``"other auditors"``.
    prefix : str, default ""
        ``"judgement_"`` for the overall judgements' columns.
    scope : dict, optional
        The exercise the sentence is about, for the claim it states
        (:mod:`review_lib.report.claims`).

    Returns
    -------
    str or None
        E.g. "PSW B rated about half a level more generously than the consensus (+0.49
        levels per case on average; 99% interval (allowing for every auditor compared)
        +0.34 to +0.61)."; None when the interval includes zero.
    """
    direction = row[f"{prefix}direction"]
    if direction not in ("more generous", "more severe"):
        return None
    than = "the consensus" if reference == "consensus" else "the other auditors"
    mean, low, high = (row[f"{prefix}mean_difference"], row[f"{prefix}low"],
                       row[f"{prefix}high"])
    confidence = float(row.get(f"{prefix}interval_confidence", 0.95))
    figures = (f"({_signed(mean)} levels per case on average; {interval_words(confidence)} "
               f"{_interval(low, high, True)})")
    if prefix:
        how = "generous" if direction == "more generous" else "severe"
        theirs = "the consensus's" if reference == "consensus" else "the other auditors'"
        text = (f"{auditor}'s overall judgements were {amount(mean)} more {how} than "
                f"{theirs} {figures}.")
    else:
        how = "generously" if direction == "more generous" else "severely"
        text = f"{auditor} rated {amount(mean)} more {how} than {than} {figures}."
    return stated(text, "leniency", scope or {}, auditor=auditor,
                  measure="judgements" if prefix else "ratings", reference=reference,
                  mean_difference=float(mean), low=float(low), high=float(high),
                  confidence=confidence, direction=direction)


def _scope(calibration: Calibration) -> dict:
    """What a claim about this exercise is about."""
    return {"exercise": calibration.exercise, "cycle": calibration.cycle}


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def leniency_text(calibration: Calibration) -> list[str]:
    """The leniency findings: who is named and why, and what the others' figures mean.

    Parameters
    ----------
    calibration : Calibration
        The exercise's figures.

    Returns
    -------
    list of str
        Paragraphs (plain text).
    """
    table = calibration.leniency
    reference = calibration.reference
    scope = _scope(calibration)
    named = [s for a, row in table.iterrows()
             if (s := leniency_sentence(str(a), row, reference, scope=scope)) is not None]
    others = [str(a) for a, row in table.iterrows() if row["direction"] == "no clear difference"]
    than = "the consensus" if reference == "consensus" else "the other auditors"
    paragraphs = []
    if named:
        paragraphs.append(" ".join(named))
    if others:
        verb = "includes" if len(others) == 1 else "include"
        whose = "interval" if len(others) == 1 else "intervals"
        paragraphs.append(
            f"For {_join(others)} the {whose} {verb} zero: no clear evidence that "
            f"{'they rate' if len(others) > 1 else 'this auditor rates'} more generously or "
            f"more severely than {than}. That is not proof of rating exactly as "
            f"{than} {'does' if reference == 'consensus' else 'do'}: a few cases can show a "
            "large difference, not rule out a small one.")
    if not named:
        paragraphs.insert(0, f"No auditor rated clearly more generously or more severely "
                             f"than {than}: every interval includes zero.")
    if reference != "consensus":
        paragraphs.append(
            "With no consensus, each auditor is compared with the mean of the others, so one "
            "markedly generous or severe auditor moves everyone else's figure the other way "
            "(by that auditor's difference divided by the number of others): read the "
            "largest difference first, and the rest in its light.")
    judged = [s for a, row in table.iterrows()
              if (s := leniency_sentence(str(a), row, reference, "judgement_",
                                         scope)) is not None]
    if judged:
        paragraphs.append(" ".join(judged))
    else:
        paragraphs.append("In the overall judgements, no auditor differed clearly from "
                          f"{than}.")
    return paragraphs


def agreement_sentence(calibration: Calibration) -> str:
    """One paragraph: how far the auditors agreed over all the question ratings.

    Parameters
    ----------
    calibration : Calibration
        The exercise's figures.

    Returns
    -------
    str
        Plain text, with the figures and their intervals.
    """
    r = calibration.ratings
    alpha, ac2 = r["alpha_ordinal"], r["ac2_quadratic"]
    exact, adjacent = r["exact_agreement"], r["adjacent_agreement"]
    return (
        f"Two auditors rating the same question of the same case gave the same rating "
        f"{format_percent(exact.estimate, 0)} of the time (95% interval "
        f"{format_percent(exact.low, 0)} to {format_percent(exact.high, 0)}), and ratings "
        f"within one level of each other {format_percent(adjacent.estimate, 0)} of the "
        f"time. Allowing for the agreement that chance alone would give, Krippendorff's "
        f"alpha is "
        f"{_number(alpha.estimate)} (95% interval {_interval(alpha.low, alpha.high)}): "
        f"{band_phrase(alpha.estimate, alpha.low, alpha.high)} on Landis and Koch's bands. "
        f"Gwet's AC2 is {_number(ac2.estimate)} ({_interval(ac2.low, ac2.high)}), "
        f"{band(ac2.estimate)}: it is higher because ratings pile up on Good, which makes "
        "alpha and kappa expect much agreement by chance and so read low (see how to read "
        "this report).")


def questions_text(calibration: Calibration, labels: dict[str, str]) -> str:
    """Which questions the auditors read differently, or that none stands out.

    Parameters
    ----------
    calibration : Calibration
        The exercise's figures.
    labels : dict
        Question id to its name.

    Returns
    -------
    str
        Plain text.
    """
    table = calibration.per_question
    different = calibration.questions_read_differently
    if different:
        parts = [f"{labels.get(q, q)} (AC2 {_number(table.loc[q, 'ac2_quadratic'])} against "
                 f"{_number(table.loc[q, 'ac2_others'])} on the other questions; exact "
                 f"agreement {format_percent(table.loc[q, 'exact_agreement'], 0)})"
                 for q in different]
        subject = "this question" if len(different) == 1 else "these questions"
        return (f"The auditors read {subject} differently: they agreed clearly less on "
                f"{_join(parts)} than on the rest, beyond what chance would give once every "
                "question has been looked at. The question's wording, or what evidence is "
                "expected for it, is worth discussing together.")
    lowest = table["ac2_quadratic"].astype(float).idxmin()
    return (f"No question stands out: agreement was lowest on {labels.get(lowest, lowest)} "
            f"(AC2 {_number(table.loc[lowest, 'ac2_quadratic'])}), but not clearly lower "
            f"than on the other questions once chance is allowed for, with "
            f"{calibration.n_cases} cases and {len(table)} questions looked at.")


# --------------------------------------------------------------------------- sections


@sectioned
def title(context: CalibrationContext) -> str:
    """The report's title, what the exercise was, and (for the sample) the banner.

    Parameters
    ----------
    context : CalibrationContext
        The exercise.

    Returns
    -------
    str
        HTML.
    """
    exercise = context.exercise
    when = f", held {format_month(exercise.month)}" if exercise.month else ""
    consensus = (" The group then agreed a moderated (consensus) rating for each case."
                 if exercise.has_consensus else " No consensus rating was recorded, so "
                 "each auditor is compared with the others.")
    judged = exercise.judgements[exercise.judgements["auditor"] != CONSENSUS]
    per_case = judged.groupby("case").size()
    n, k, q = exercise.n_cases, len(exercise.auditors), len(exercise.catalogue)
    if per_case.min() == k:
        design = f"{k} auditors rated the same {n} case records on the {q} questions"
    else:
        fewest, most = int(per_case.min()), int(per_case.max())
        each = f"{fewest}" if fewest == most else f"{fewest} to {most}"
        design = (f"{n} case records were each rated by {each} of {k} auditors on the {q} "
                  "questions")
    kind = "Moderation exercise"
    if exercise.review:
        kind = (f"Live double rating: cases of a review rated a second time, paired with "
                f"the review's own ratings ({exercise.review[0]})")
    return "\n".join([
        f"<h1>Auditor calibration: {esc(exercise.name)}</h1>",
        f'<p class="subtitle">{esc(kind)}, Practice Review cycle {esc(exercise.cycle)}'
        f"{esc(when)}. {esc(design)} of the audit tool.{esc(consensus)}</p>",
        synthetic_banner(context.synthetic),
    ])


@sectioned
def summary(context: CalibrationContext) -> Section:
    """The findings in a few lines: agreement, who is named, questions read differently.

    Parameters
    ----------
    context : CalibrationContext
        The exercise.

    Returns
    -------
    Section
        A list of the headline findings.
    """
    calibration = context.calibration
    alpha = calibration.ratings["alpha_ordinal"]
    named = calibration.named
    than = "the consensus" if calibration.has_consensus else "the other auditors"
    points = [f"Agreement between auditors, allowing for chance: "
              f"{band(alpha.estimate)} (Krippendorff's alpha {_number(alpha.estimate)}, 95% "
              f"interval {_interval(alpha.low, alpha.high)})."]
    if named.empty:
        points.append(f"No auditor rated clearly more generously or more severely than "
                      f"{than}.")
    for auditor, row in named.iterrows():
        points.append(leniency_sentence(str(auditor), row, calibration.reference,
                                        scope=_scope(calibration)))
    different = calibration.questions_read_differently
    if different:
        points.append("Read differently by the auditors: "
                      + _join([context.labels.get(q, q) for q in different]) + ".")
    else:
        points.append("No question was read clearly differently from the others.")
    points.append(f"With {calibration.n_cases} cases, every figure is approximate: read "
                  "the intervals, and the guide at the end, before drawing conclusions.")
    html = "<ul>" + "".join(f"<li>{esc(p)}</li>" for p in points) + "</ul>"
    return Section(html, markdown="\n".join(f"- {p}" for p in points))


def _estimate_cells(estimate) -> tuple[str, str]:
    return _number(estimate.estimate), _interval(estimate.low, estimate.high)


def _percent_cells(estimate) -> tuple[str, str]:
    return (format_percent(estimate.estimate, 0),
            f"{format_percent(estimate.low, 0)} to {format_percent(estimate.high, 0)}")


@sectioned
def agreement_section(context: CalibrationContext) -> Section:
    """The agreement figures over all questions and over the overall judgements, in words.

    Parameters
    ----------
    context : CalibrationContext
        The exercise.

    Returns
    -------
    Section
        A paragraph, the table (``.frame``: one row per statistic, with estimates and
        intervals for the question ratings and for the judgements) and the bands' caution.
    """
    calibration = context.calibration
    rows, data = [], []
    for key, name in STATISTICS.items():
        rated, judged = calibration.ratings[key], calibration.judgements[key]
        cells = _percent_cells if "agreement" in key else _estimate_cells
        words = "" if "agreement" in key else band(rated.estimate)
        rows.append((name, *cells(rated), words, *cells(judged)))
        data.append({"statistic": key, "ratings": rated.estimate, "ratings_low": rated.low,
                     "ratings_high": rated.high, "judgements": judged.estimate,
                     "judgements_low": judged.low, "judgements_high": judged.high})
    frame = pd.DataFrame(rows, columns=["Statistic", "Question ratings", "95% interval",
                                        "In words (Landis and Koch)", "Overall judgements",
                                        "95% interval "]).set_index("Statistic")
    n_ratings = calibration.ratings["alpha_ordinal"].n_units
    note = (f"Question ratings: {n_ratings} case-and-question pairs rated by two or more "
            f"auditors, in {calibration.n_cases} cases; overall judgements: one per case. "
            "Every interval resamples whole cases (a bootstrap of "
            f"{calibration.n_boot:,} replicates), so a case's ratings stay together. "
            "Agreement shares are over pairs of auditors rating the same thing; the "
            "consensus is not counted as an auditor.")
    judged = calibration.judgements["alpha_ordinal"]
    judgement_text = (
        f"On the overall judgements, alpha is {_number(judged.estimate)} (95% interval "
        f"{_interval(judged.low, judged.high)}): with one judgement per case and "
        f"{calibration.n_cases} cases, its interval is wide.")
    html = "\n".join([
        f"<p>{esc(agreement_sentence(calibration))}</p>",
        html_table(frame, "Table 1. Agreement between auditors",
                   numeric=["Question ratings", "95% interval", "Overall judgements",
                            "95% interval "], note=note),
        f"<p>{esc(judgement_text)}</p>",
        callout(BANDS_CAUTION, kind="caveat"),
    ])
    return Section(html, frame=pd.DataFrame(data).set_index("statistic"))


@sectioned
def leniency_section(context: CalibrationContext) -> Section:
    """Each auditor's leniency: who rated more generously or severely, chart and table.

    Parameters
    ----------
    context : CalibrationContext
        The exercise.

    Returns
    -------
    Section
        Paragraphs, the chart and the table (``.frame``: the leniency table).
    """
    calibration = context.calibration
    table = calibration.leniency
    reference = calibration.reference
    paragraphs = leniency_text(calibration)
    level = _interval_heading(table)
    frame = pd.DataFrame({
        "Question ratings: difference": [_signed(v) for v in table["mean_difference"]],
        level: [_interval(lo, hi, True) for lo, hi in zip(table["low"], table["high"],
                                                          strict=True)],
        "Reading": table["direction"],
        "Overall judgements: difference": [_signed(v) for v in table["judgement_mean_difference"]],
        level + " ": [_interval(lo, hi, True) for lo, hi in
                      zip(table["judgement_low"], table["judgement_high"], strict=True)],
        "Reading ": table["judgement_direction"],
    }, index=table.index)
    than = "the consensus" if reference == "consensus" else "the mean of the other auditors"
    caption = (f"Each auditor's mean difference from {than}, in levels of the scale "
               "(Inadequate 1 to Outstanding 4), over the cases: above zero more generous, "
               "below zero more severe. Only an auditor whose whole interval is on one side "
               "of zero is named.")
    chart = chart_html(charts.leniency_plot, table, reference=reference,
                       title=f"Each auditor against {than}",
                       alt=charts.alt_text_leniency(table, reference=reference),
                       caption=caption, filename="leniency.png", folder=context.figures_dir)
    note = (f"Question ratings: each case's mean rating by the auditor, over the questions "
            f"every rater of that case rated, minus {than}'s; averaged over the auditor's "
            f"{int(table['n_units'].max()) if len(table) else 0} cases. Overall judgements: "
            "the same with the judgement of each case. Intervals: t intervals over cases, "
            f"each at {level.split()[0]} so that, when no auditor differs, all "
            f"{len(table)} together name none 95% of the time (Bonferroni).")
    return combined(*(f"<p>{esc(p)}</p>" for p in paragraphs), chart,
                    html_table(frame, "Table 2. Each auditor's leniency",
                               index_header="Auditor",
                               numeric=["Question ratings: difference", level,
                                        "Overall judgements: difference", level + " "],
                               note=note),
                    frame=table)


@sectioned
def questions_section(context: CalibrationContext) -> Section:
    """Agreement question by question, naming the questions auditors read differently.

    Parameters
    ----------
    context : CalibrationContext
        The exercise.

    Returns
    -------
    Section
        A paragraph, the chart and the table (``.frame``: the per-question figures).
    """
    calibration = context.calibration
    table = calibration.per_question
    labels = context.labels
    overall = calibration.ratings["ac2_quadratic"].estimate
    chart = chart_html(
        charts.question_agreement_plot, table, overall=overall, labels=labels,
        title="Agreement between auditors, question by question",
        alt=charts.alt_text_question_agreement(table, overall=overall, labels=labels),
        caption="Gwet's AC2 of the auditors' ratings of each question, with its 95% "
                "interval; the dashed line is the AC2 of every rating together. A question "
                "marked * drew clearly less agreement than the other questions.",
        filename="question-agreement.png", folder=context.figures_dir)
    frame = pd.DataFrame({
        "Question": [labels.get(q, q) + (" *" if table.loc[q, "read_differently"] else "")
                     for q in table.index],
        "Alpha": [_number(v) for v in table["alpha"]],
        "95% interval": [_interval(lo, hi) for lo, hi in zip(table["alpha_low"],
                                                            table["alpha_high"], strict=True)],
        "AC2": [_number(v) for v in table["ac2_quadratic"]],
        "95% interval ": [_interval(lo, hi) for lo, hi in zip(table["ac2_low"],
                                                             table["ac2_high"], strict=True)],
        "Exact": [format_percent(v, 0) for v in table["exact_agreement"]],
        "Within one level": [format_percent(v, 0) for v in table["adjacent_agreement"]],
        "AC2 against the other questions": [
            f"{_signed(d)} ({_interval(lo, hi, True)})" for d, lo, hi in
            zip(table["difference"], table["difference_low"], table["difference_high"],
                strict=True)],
    }).set_index("Question")
    confidence = 1 - (1 - calibration.confidence) / max(len(table), 1)
    note = (f"Each question rests on {int(table['n_cases'].max()) if len(table) else 0} "
            "cases, so its alpha swings with how alike its cases happen to be: when nearly "
            "every case is Good, alpha falls even where auditors agree. Questions are "
            "therefore compared on AC2: the last column is the question's AC2 minus that "
            f"of all the other questions' ratings, with a {format_percent(confidence, 1)} "
            "interval (Bonferroni, one for each question, so that looking at every question "
            "does not by itself produce a finding). * the whole interval is below zero.")
    return combined(f"<p>{esc(questions_text(calibration, labels))}</p>", chart,
                    html_table(frame, "Table 3. Agreement by question",
                               numeric=[c for c in frame.columns], note=note),
                    frame=table)


@sectioned
def pairs_section(context: CalibrationContext) -> Section:
    """Weighted kappa for each pair of auditors, and for each auditor against the consensus.

    Parameters
    ----------
    context : CalibrationContext
        The exercise.

    Returns
    -------
    Section
        The table (``.frame``: :attr:`Calibration.pairwise`).
    """
    calibration = context.calibration
    table = calibration.pairwise
    frame = pd.DataFrame({
        "Auditor": table["rater_a"],
        "Compared with": table["rater_b"],
        "Ratings compared": table["n_ratings"],
        "Exact agreement": [format_percent(v, 0) for v in table["exact_agreement"]],
        "Kappa, linear": [_number(v) for v in table["kappa_linear"]],
        "95% interval": [_interval(lo, hi) for lo, hi in
                         zip(table["kappa_linear_low"], table["kappa_linear_high"],
                             strict=True)],
        "Kappa, quadratic": [_number(v) for v in table["kappa_quadratic"]],
        "95% interval ": [_interval(lo, hi) for lo, hi in
                          zip(table["kappa_quadratic_low"], table["kappa_quadratic_high"],
                              strict=True)],
    }).set_index("Auditor")
    note = ("Cohen's kappa over the question ratings both gave, weighted so that ratings one "
            "level apart count as partial agreement (on the four-level scale, linear weights "
            "give them 2/3 of full credit and quadratic weights 8/9). Pairs with the "
            "consensus show how close each auditor came to the agreed rating. Intervals: "
            "bootstrap over cases.")
    html = html_table(frame, "Table 4. Agreement of each pair",
                      numeric=[c for c in frame.columns if c != "Compared with"], note=note)
    return Section(html, frame=table)


@sectioned
def how_to_read(context: CalibrationContext) -> Section:
    """How to read the report: the statistics, the bands, leniency, and what it cannot show.

    Parameters
    ----------
    context : CalibrationContext
        The exercise.

    Returns
    -------
    Section
        Headed paragraphs and the bands table.
    """
    calibration = context.calibration
    n = calibration.n_cases
    than = "the consensus" if calibration.has_consensus else "the other auditors"
    bands = pd.DataFrame({
        "Coefficient": ["below 0", "0.00 to 0.20", "0.21 to 0.40", "0.41 to 0.60",
                        "0.61 to 0.80", "0.81 to 1.00"],
        "Landis and Koch's words": [w for _, w in LANDIS_KOCH],
    }).set_index("Coefficient")
    parts = [
        ("What the figures measure",
         "Exact agreement is the share of pairs of auditors who gave the same rating to the "
         "same question of the same case; agreement within one level also counts "
         "neighbouring ratings. Both are easy to read but flatter agreement: if nearly "
         "everything is rated Good, two auditors agree often by chance. Krippendorff's "
         "alpha and Cohen's kappa correct for that: 1 is full agreement, 0 is what chance "
         "would give, and below 0 is worse than chance. They treat the four levels as "
         "ordered, so Good against Outstanding is a smaller disagreement than Good against "
         "Inadequate. When ratings pile up on Good, their correction for chance is large "
         "and they can read low even where auditors mostly agree; Gwet's AC2 corrects for "
         "chance in a way that does not fall in that case, so it is shown beside them. "
         "Where the two differ a lot, the ratings are concentrated on one level."),
        ("Bands are not pass marks", BANDS_CAUTION + " Krippendorff suggests relying on "
         "data with alpha of at least 0.800, and drawing only tentative conclusions from "
         "0.667 to 0.800; those are also conventions, for research data."),
        ("Leniency",
         f"Each auditor's leniency is how far, on average over the cases, their ratings sit "
         f"above or below {than}, in levels of the scale: +0.5 means about half a level "
         "more generous, so that, say, half their ratings would be one level higher. An "
         "auditor is named only when the whole interval is on one side of zero. Because "
         "every auditor of the exercise is looked at, each interval is wider than a 95% "
         f"one ({_interval_heading(calibration.leniency)}): when no auditor differs, the "
         "chance that any is named is then at most 5%. " + power_words(calibration) + " A "
         "named auditor is not wrong: the consensus is the group's agreed view, and an "
         "auditor who rates differently is a reason for discussion, not a verdict on them."),
        ("What a small exercise can show",
         f"The exercise has {n} case records. Every agreement interval resamples whole "
         f"cases, and with {n} of them those intervals are approximate (if anything, a "
         "little narrow), "
         "and a large difference can be seen but a small one cannot be ruled out: an "
         "interval that includes zero is no clear evidence of a difference, not evidence "
         "of none. Auditors rate differently in an exercise, knowing they will be "
         "compared, than in a review; and the cases chosen shape the figures (a set of "
         "mostly Good cases lowers alpha). Compare exercises over time, with similar "
         "cases, rather than reading one as final."),
        ("Auditors and reviews",
         "Auditors appear under the labels the exercise's file gives them: the network's "
         "labels (PSW A ...), which is why the template asks for labels, not names. An "
         "auditor's leniency here is one reason their review ratings may differ "
         "from others'; in a review, each auditor still sees different cases, so the "
         "practice they saw and their way of rating remain mixed there."),
    ]
    html, text = [], []
    for heading, paragraph in parts:
        html.append(f"<h3>{esc(heading)}</h3><p>{esc(paragraph)}</p>")
        text.append(f"### {heading}\n\n{paragraph}")
        if heading.startswith("Bands"):
            html.append(html_table(bands, "Table 5. Landis and Koch's bands for agreement "
                                          "beyond chance", note=LANDIS_KOCH_SOURCE))
    return Section("\n".join(html), markdown="\n\n".join(text), frame=bands)


@sectioned
def methods(context: CalibrationContext) -> Section:
    """Methods and sources, for the technical reader.

    Parameters
    ----------
    context : CalibrationContext
        The exercise.

    Returns
    -------
    Section
        A list of the methods with their sources.
    """
    calibration = context.calibration
    items = [
        "Krippendorff's alpha with the ordinal difference function, with missing ratings "
        "and not-applicable answers left out (the krippendorff package): Krippendorff, K. "
        "(2011) Computing Krippendorff's alpha-reliability. Checked against that paper's "
        "worked example (0.815 ordinal).",
        "Gwet's AC2 with quadratic and linear weights, as irrCAC computes it: Gwet, K. L. "
        "(2014) Handbook of Inter-Rater Reliability, 4th ed. Checked against irrCAC's "
        "worked example (AC2 0.914 quadratic, 0.859 linear).",
        "Weighted Cohen's kappa, linear (Cicchetti-Allison) and quadratic (Fleiss-Cohen), "
        "from statsmodels, over the four-level scale scored Inadequate 1 to Outstanding 4.",
        "Exact and adjacent agreement: the share of pairs of auditors, within the same "
        "case and question, giving the same rating or ratings at most one level apart.",
        f"Agreement intervals: percentile bootstrap, {calibration.n_boot:,} replicates, seed "
        f"{calibration.seed}, resampling cases (a case's ratings stay together).",
        "Leniency: each auditor's mean rating of each case (over the questions every rater "
        "of the case rated) minus the consensus's, or the other auditors' mean where there "
        "is no consensus; the mean of those differences over cases, with a one-sample t "
        "interval over cases, Bonferroni-adjusted for the number of auditors (each at "
        f"{_interval_heading(calibration.leniency).split()[0]}). Named only when that "
        "interval excludes zero: in simulated exercises of 5 x 8 and 6 x 10 with no "
        "lenient auditor, each fair auditor was named in at most 2% of exercises and at "
        "least one of them in 4% to 7%.",
        "Questions read differently: the question's AC2 minus the AC2 of the other "
        "questions' ratings together, with a Bonferroni-adjusted bootstrap interval over "
        "cases; named only when the whole interval is below zero.",
        "Verbal bands: " + LANDIS_KOCH_SOURCE,
    ]
    html = "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"
    return Section(html, markdown="\n".join(f"- {i}" for i in items))


@sectioned
def footer(context: CalibrationContext) -> str:
    """The footer: data file (name and hash, never a path), library version, run date.

    Parameters
    ----------
    context : CalibrationContext
        The exercise.

    Returns
    -------
    str
        HTML ``<footer>``.
    """
    import datetime as dt

    from review_lib import __version__

    exercise = context.exercise
    synthetic = " Synthetic sample data." if context.synthetic else ""
    paired = (f"; first ratings from {esc(exercise.review[0])} (SHA-256 "
              f"<code>{esc(exercise.review[1])}</code>)" if exercise.review else "")
    return (f'<footer class="report-footer"><p>Data file: {esc(Path(exercise.source).name)} '
            f"(SHA-256 <code>{esc(exercise.sha256)}</code>){paired}. "
            f"review_lib {esc(__version__)}. "
            f"Run on {dt.date.today().isoformat()}.{synthetic} Auditors are named by the "
            "labels in the file; no case is shown.</p></footer>")


def write_metrics(context: CalibrationContext, path: str | Path | None = None) -> Path | None:
    """Write the exercise's figures as ``metrics.json``, where a batch run asks for it.

    ``practice-review run`` names the file in ``$PRACTICE_REVIEW_METRICS``; run by hand
    without ``path``, the notebook writes nothing.

    Parameters
    ----------
    context : CalibrationContext
        The exercise.
    path : str or Path, optional
        The file; ``$PRACTICE_REVIEW_METRICS`` by default.

    Returns
    -------
    Path or None
        The file written, or None when there is nowhere to write.
    """
    import json

    target = path or os.environ.get(ENV_METRICS)
    if not target:
        return None
    metrics = calibration_metrics(context.calibration, context.exercise)
    metrics["synthetic"] = context.synthetic
    return write_atomically(Path(target),
                            json.dumps(metrics, indent=2, allow_nan=False) + "\n")
