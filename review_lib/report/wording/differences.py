"""Questions on which councils differ beyond chance, in words."""

from __future__ import annotations

import math
import re

import pandas as pd

from review_lib.report.wording.phrases import (
    _alphabetical,
    _bounded_p,
    _join,
    _number,
    _p_value,
    _plural,
    _table,
)

# --------------------------------------------------------------------------- formatting

# --------------------------------------------------------------------------- question tests

_SMALL_SHARE = re.compile(r"^(\d+)% of expected counts are below 5")


def _question_label(tests: pd.DataFrame, question: str) -> str:
    label = tests.loc[question, "label"] if "label" in tests else question
    return f"{label} ({question})" if label != question else str(question)


def _question_labels(tests: pd.DataFrame, questions, most: int = 12) -> str:
    names = [_question_label(tests, q) for q in questions]
    if len(names) > most:
        rest = len(names) - (most - 1)
        names = [*names[:most - 1], f"{rest} others"]
    return _join(names)


def _per_council(tests: pd.DataFrame) -> int:
    """About how many ratings each council has per question."""
    tested = tests[tests["groups"] > 0]
    if tested.empty:
        return 0
    return round(float((tested["n"] / tested["groups"]).median()))


def _cochran_note(tests: pd.DataFrame) -> str:
    """How many questions met Cochran's rule, and why the others did not."""
    n_questions = len(tests)
    met = [q for q in tests.index if bool(tests.loc[q, "chi2_used"])]
    rule = ("Cochran's rule (every expected count at least 1, and no more than 20% of them "
            "below 5)")
    if len(met) == n_questions:
        return (f"All {n_questions} questions met {rule}, so a chi-square test of councils "
                "by level is given beside each as a check.")
    shares = [int(m.group(1)) for note in tests["chi2_note"].astype(str)
              if (m := _SMALL_SHARE.match(note))]
    if shares and min(shares) == max(shares):
        why = f"{shares[0]}% of expected counts were below 5"
    elif shares:
        why = f"between {min(shares)}% and {max(shares)}% of expected counts were below 5"
    else:
        why = "too many expected counts were small"
    spread = (f"With about {_per_council(tests)} ratings per council spread over four levels, "
              "the rarer levels have few expected ratings in each council: for the questions "
              f"that did not meet the rule, {why}.")
    if not met:
        return (f"None of the {n_questions} questions met {rule}. {spread} So no chi-square "
                "result is given: it would not be reliable.")
    these = "it" if len(met) == 1 else "these"
    return (f"{len(met)} of the {n_questions} questions met {rule}: "
            f"{_question_labels(tests, met)}. For {these}, a chi-square test of councils by "
            f"level is given as a check. {spread}")


def _set_aside_note(councils: list[str], tests: pd.DataFrame) -> str:
    """What the tests say once the councils outside the limits are set aside."""
    names = _join(_alphabetical(councils))
    testable = tests[tests["p_permutation"].notna()]
    remaining = int(tests["groups"].max()) if len(tests) else 0
    lead = (f"Setting aside {names} (outside the 99.8% limits on overall judgements) and "
            f"testing the other {_plural(remaining, 'council')} again")
    if testable.empty or remaining < 2:
        return f"{lead} is not possible: too few councils or ratings remain."
    beyond = [q for q in testable.index if bool(testable.loc[q, "beyond_chance"])]
    if not beyond:
        them = "that council" if len(councils) == 1 else "those councils"
        return (f"{lead}, no question differs by more than chance would readily explain. "
                f"Among the others there is no clear evidence of a difference on any question, "
                f"so the differences found may lie with {them}.")
    if len(beyond) == len(testable):
        return (f"{lead}, every question still differs by more than chance would readily "
                "explain, so the differences are not only about those councils.")
    return (f"{lead}, {_plural(len(beyond), 'question')} still "
            f"{'differs' if len(beyond) == 1 else 'differ'} by more than chance would readily "
            f"explain: {_question_labels(tests, beyond)}. For the others, there is no clear "
            f"evidence of a difference once {names} {'is' if len(councils) == 1 else 'are'} "
            "set aside.")




def question_differences(tests: pd.DataFrame, permutations: int = 2000,
                         set_aside: tuple[list[str], pd.DataFrame] | None = None) -> str:
    """Which questions' ratings differ across councils beyond chance, and why this test.

    Parameters
    ----------
    tests : pandas.DataFrame
        From :func:`review_lib.analysis.stats.question_tests`.
    permutations : int, default 2000
        The relabellings behind the permutation p-values (as passed to
        ``question_tests``), for the explanation.
    set_aside : tuple of (list of str, pandas.DataFrame), optional
        Councils set aside (e.g. those outside the 99.8% limits) and the tests repeated
        without them: says whether the differences remain among the other councils.

    Returns
    -------
    str
        Markdown: the finding, a table and a plain explanation of the choice of test.
    """
    if tests.empty:
        return "There are no questions to test."
    n_questions = len(tests)
    testable = tests[tests["p_permutation"].notna()]
    untestable = [q for q in tests.index if q not in testable.index]
    groups = int(tests["groups"].max())
    if testable.empty:
        if groups < 2:
            return ("Only one council has ratings, so whether councils differ on each "
                    "question cannot be tested.")
        return ("No question could be tested: on every question, every rating was at the "
                "same level, so there is no difference between councils to find.")
    beyond = [q for q in testable.index if bool(testable.loc[q, "beyond_chance"])]
    within = [q for q in testable.index if q not in beyond]
    councils = _plural(groups, "council")
    adjust = (f"once the p-values are adjusted for testing {_plural(n_questions, 'question')} "
              "at once")
    if beyond and not within:
        first = (f"For every one of the {_plural(len(beyond), 'question')} tested, ratings "
                 f"differ between the {councils} by more than chance would readily explain, "
                 f"{adjust}.")
    elif beyond:
        first = (f"For {len(beyond)} of the {_plural(len(testable), 'question')} tested, "
                 f"ratings differ between the {councils} by more than chance would readily "
                 f"explain, {adjust}: {_question_labels(tests, beyond)}. For the other "
                 f"{len(within)} ({_question_labels(tests, within)}), there is no clear "
                 "evidence that councils differ.")
    else:
        first = (f"For none of the {_plural(len(testable), 'question')} tested do ratings "
                 f"differ between the {councils} by more than chance would readily explain, "
                 f"{adjust}: there is no clear evidence that councils differ on any question. "
                 "That is not evidence that they rate alike: with about 20 ratings per council "
                 "per question, only large differences would show.")
    paragraphs = [first]
    if untestable:
        verb = "was" if len(untestable) == 1 else "were"
        paragraphs.append(
            f"{_question_labels(tests, untestable)} {verb} not tested: every rating was at "
            "the same level, or fewer than two councils had ratings.")
    if beyond:
        if set_aside is not None and set_aside[0]:
            paragraphs.append(_set_aside_note(*set_aside))
        paragraphs.append(
            "A test like this says that councils differ on a question, not which councils or "
            "why: one or two councils well away from the rest are enough. And because one "
            "auditor rates each record and review teams differ between councils, differences "
            "in how auditors rate are part of what is being tested.")
    show_chi2 = bool(tests["chi2_used"].any())
    header = ["Question", "Councils", "Ratings", "Kruskal-Wallis H",
              f"p (permutation, {_number(permutations)} shuffles)", "p (Holm-adjusted)",
              "Beyond chance?"]
    if show_chi2:
        header.insert(6, "p (chi-square)")
    rows = []
    for q in tests.index:
        row = tests.loc[q]
        tested = not math.isnan(row["p_permutation"])
        cells = [_question_label(tests, q), _number(row["groups"]), _number(row["n"]),
                 f"{row['H']:.1f}" if tested else "not tested",
                 _bounded_p(row["p_permutation"], permutations) if tested else "",
                 _bounded_p(row["p_holm"], permutations,
                            floor=row["p_permutation"]) if tested else "",
                 ("Yes" if row["beyond_chance"] else "No") if tested else ""]
        if show_chi2:
            cells.insert(6, _p_value(row["chi2_p"]) if row["chi2_used"] else "not used")
        rows.append(cells)
    paragraphs.append(_table(header, rows))
    smallest = 1 / (1 + permutations)
    paragraphs.append(
        "**Why this test.** The ratings are ordered (Inadequate, Requires Improvement, Good, "
        f"Outstanding) but are not measurements, and each council has only about "
        f"{_per_council(tests)} ratings per question. So a rank-based test is used: the "
        "Kruskal-Wallis test, which asks whether some councils' ratings sit higher or lower "
        "in the order than others', without treating the four levels as equally spaced "
        "numbers. Its usual p-value leans "
        "on an approximation that is rough with so few ratings per council and so many tied "
        "at the same level, so the p-value here comes from a permutation test instead: the "
        f"council labels were shuffled at random {_number(permutations)} times (with a fixed "
        "seed, so the result repeats), and the p-value is the share of shuffles that gave a "
        "difference at least as large as the one seen. The smallest p-value this can give is "
        f"about {smallest:.4f}.")
    paragraphs.append(
        f"With {_plural(n_questions, 'question')} tested, some would cross the usual 5% line "
        "by chance alone, so the p-values are adjusted by Holm's method, which allows for "
        "the number of tests. A question counts as differing beyond chance when its adjusted "
        "p-value is below 0.05.")
    paragraphs.append(
        "A chi-square test of councils by level is used only where the expected counts allow. "
        + _cochran_note(tests))
    return "\n\n".join(paragraphs)


