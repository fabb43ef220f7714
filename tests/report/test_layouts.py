"""Layouts used again: the same pictures, pixel for pixel, as charts laid out afresh."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from review_lib.data.scale import LEVELS
from review_lib.report import charts
from review_lib.report.charts import layouts
from review_lib.report.html import png_data

CASES = [f"Case {number:02d}" for number in range(1, 21)]
#: Sets of overall judgements a review might have (None: not recorded).
SETS = [("Good", "Requires Improvement"), ("Outstanding", "Good", "Requires Improvement"),
        ("Good", "Requires Improvement", None), ("Inadequate",), ("Outstanding", "Good")]
COUNCILS = ["Dudley", "Bath and North East Somerset", "Ynys Môn", "St. Helens",
            "Kingston upon Hull (Hull)", "Council 001"]


def _pixels(ax) -> np.ndarray:
    data = png_data(ax.figure)
    plt.close(ax.figure)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def _case_tables(rng) -> list[pd.DataFrame]:
    tables = []
    for _ in range(8):
        kinds = SETS[rng.integers(len(SETS))]
        judgements = [kinds[k] for k in rng.integers(len(kinds), size=len(CASES))]
        counts = rng.multinomial(12, rng.dirichlet([1, 2, 1, 0.5]), size=len(CASES))
        table = pd.DataFrame(counts, columns=list(LEVELS), index=rng.permutation(CASES))
        table["n"] = 12
        table["judgement"] = judgements
        tables.append(table)
    return tables


def _question_tables(rng) -> list[pd.DataFrame]:
    tables = []
    for _ in range(6):
        n = np.where(rng.random(12) < 0.2, rng.integers(15, 20, size=12), 20)
        counts = np.array([rng.multinomial(k, rng.dirichlet([1, 3, 1, 0.5])) for k in n])
        table = pd.DataFrame(counts, columns=list(LEVELS),
                             index=[f"Q{number}" for number in range(1, 13)])
        table["n"] = n
        table["not_applicable"] = 20 - n
        table["share_good"] = table[["Outstanding", "Good"]].sum(axis=1) / n
        tables.append(table)
    return tables


def _compare(draw, inputs) -> int:
    """Draw each input with the layouts kept, then each laid out afresh; the same pixels."""
    layouts.forget_layouts()
    kept = [_pixels(draw(item)) for item in inputs]
    reused = len(inputs) - len(layouts._positions)
    for item, picture in zip(inputs, kept, strict=True):
        layouts.forget_layouts()
        assert np.array_equal(picture, _pixels(draw(item)))
    layouts.forget_layouts()
    return reused


@pytest.fixture(autouse=True)
def _no_layouts_kept():
    layouts.forget_layouts()
    yield
    layouts.forget_layouts()


def test_case_profiles_on_a_kept_layout_are_the_same_pictures():
    tables = _case_tables(np.random.default_rng(3))
    reused = _compare(lambda table: charts.case_profile(
        table, title="Question ratings of each case, with its overall judgement"), tables)
    assert reused >= 3  # some judgement sets repeat, and their layout was used again


def test_question_charts_on_a_kept_layout_are_the_same_pictures():
    rng = np.random.default_rng(4)
    labels = {f"Q{number}": f"Q{number} {name}" for number, name in enumerate(
        ["Person's voice", "Carers", "Safeguarding", "Risk", "Capacity", "Outcomes",
         "Recording", "Reviews", "Partnership", "Oversight", "Equality",
         "A label long enough to wrap onto a second line of the axis"], start=1)}
    items = [(table, COUNCILS[number % len(COUNCILS)])
             for number, table in enumerate(_question_tables(rng) * 2)]
    reused = _compare(lambda item: charts.diverging_bars(
        item[0], labels=labels, sort=True, title=f"Ratings by question, {item[1]} 2025-26"),
        items)
    assert reused >= 4  # the same questions, in another order or for another council


def test_auditor_charts_on_a_kept_layout_are_the_same_pictures():
    rng = np.random.default_rng(5)
    items = []
    for _ in range(4):
        counts = rng.multinomial(60, [0.2, 0.5, 0.2, 0.1], size=4)
        table = pd.DataFrame(counts, columns=list(LEVELS), index=["PSW A", "PSW B", "PSW C",
                                                                   "PSW D"])
        table["n"] = 60
        table["cases"] = 5
        items.append(table)
    reused = _compare(lambda table: charts.auditor_bars(
        table, title="Question ratings by auditor"), items)
    assert reused >= 1  # the same auditors and scale


def test_a_layout_is_kept_only_for_the_same_size_and_style():
    table = _case_tables(np.random.default_rng(6))[0]
    charts.case_profile(table, title="Cases")
    charts.case_profile(table.iloc[:10], title="Cases")  # another figure height
    import matplotlib

    with matplotlib.rc_context({"font.size": 14}):
        charts.case_profile(table, title="Cases")
    assert len(layouts._positions) == 3
    plt.close("all")


def test_a_chart_drawn_on_given_axes_is_laid_out_afresh():
    figure, (left, _beside) = plt.subplots(1, 2, figsize=(12, 6), layout="constrained")
    table = _case_tables(np.random.default_rng(7))[0]
    charts.case_profile(table, ax=left)
    assert not layouts._positions
    plt.close(figure)
