"""Layouts and backgrounds used again: the same pictures, pixel for pixel, as full draws of
charts laid out afresh."""

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


def _as_reports_draw(ax, on_background: list) -> np.ndarray:
    """As chart_html draws a chart: on a kept background where it can, else in full."""
    data = layouts.png_on_kept_background(ax.figure)
    on_background.append(data is not None)
    if data is None:
        data = png_data(ax.figure)
    plt.close(ax.figure)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def _compare(draw, inputs) -> int:
    """Draw each input as a report does, with layouts and backgrounds kept, then each laid
    out afresh and drawn in full: the same pixels. Returns how many were drawn on a kept
    background (as many as reused a layout: the first of each layout is drawn in full)."""
    layouts.forget_layouts()
    on_background: list[bool] = []
    kept = [_as_reports_draw(draw(item), on_background) for item in inputs]
    assert sum(on_background) == len(inputs) - len(layouts._positions)
    # A background for each layout that came round again (as many as are kept).
    assert 0 < len(layouts._backgrounds) <= len(layouts._positions) or not any(on_background)
    for item, picture in zip(inputs, kept, strict=True):
        layouts.forget_layouts()
        assert np.array_equal(picture, _pixels(draw(item)))  # png_data: a full draw
    layouts.forget_layouts()
    return sum(on_background)


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


def test_a_chart_changed_after_it_was_drawn_is_not_drawn_on_a_background():
    """Only chart_html, which draws a chart and saves it at once, uses the background: a
    figure saved twice, or not laid out by key, is drawn in full."""
    table = _case_tables(np.random.default_rng(8))[0]
    plt.close(charts.case_profile(table, title="Cases").figure)
    ax = charts.case_profile(table, title="Cases")  # the same layout again
    assert layouts.png_on_kept_background(ax.figure) is not None
    assert layouts.png_on_kept_background(ax.figure) is None  # once only
    plt.close(ax.figure)
    figure, given = plt.subplots(layout="constrained")
    charts.case_profile(table, ax=given)
    assert layouts.png_on_kept_background(figure) is None
    plt.close(figure)


def test_the_report_charts_are_drawn_on_backgrounds(tmp_path, monkeypatch):
    from review_lib.report import council
    from review_lib.report.context import open_review

    used = []
    quick = layouts.png_on_kept_background

    def counted(figure, dpi=150):
        data = quick(figure, dpi)
        used.append(data is not None)
        return data

    monkeypatch.setattr(layouts, "png_on_kept_background", counted)
    for folder in ("first", "again"):  # a new chart folder: drawn again, not read back
        context = open_review("Dudley", "2022-24", figures_dir=tmp_path / folder)
        council.question_chart(context)
        council.auditor_section(context)
        council.case_section(context)
        council.funnel_position(context)
    assert used == [False] * 4 + [True] * 4  # the first of each layout is drawn in full


def test_funnels_of_each_council_on_a_kept_layout_are_the_same_pictures():
    """The leadership report's funnel: the cycle's councils, one highlighted; the limits,
    axes and scales are kept with the layout, the points, names, legend and title drawn."""
    from review_lib.report.context import open_review

    table = open_review("Dudley", "2022-24").results.position.funnels.judgements
    councils = list(table.index)
    reused = _compare(lambda council: charts.funnel_plot(
        table, highlight=council, title=f"{council} among the {len(table)} councils"),
        [*councils, None, *councils[:4]])
    assert reused >= 4  # the same council again (and any names of the same width)


def test_a_chart_never_saved_is_not_kept_alive_by_its_layout():
    """What a figure's layout keeps goes with the figure: one an analyst draws and drops is
    freed, whether or not a report ever saved it."""
    import gc
    import weakref

    table = _case_tables(np.random.default_rng(9))[0]
    ax = charts.case_profile(table, title="Cases")
    figure = weakref.ref(ax.figure)
    plt.close(ax.figure)
    del ax
    gc.collect()
    assert figure() is None


def _compare_on_kept_figures(draw, inputs) -> int:
    """Draw each input as chart_html does, on a figure kept from a chart like it where
    there is one; then each afresh, in full: the same pixels. Returns how many charts were
    drawn on a kept figure."""
    layouts.forget_layouts()
    figures, pictures = [], []
    for item in inputs:
        with layouts.reused_figures():
            ax = draw(item)
        figures.append(id(ax.figure))
        data = layouts.png_on_kept_background(ax.figure) or png_data(ax.figure)
        plt.close(ax.figure)
        pictures.append(np.asarray(Image.open(io.BytesIO(data)).convert("RGBA")))
    for item, picture in zip(inputs, pictures, strict=True):
        layouts.forget_layouts()
        assert np.array_equal(picture, _pixels(draw(item))), "a chart on a kept figure differs"
    layouts.forget_layouts()
    return len(figures) - len(set(figures))


def test_charts_drawn_on_kept_figures_are_the_same_pictures():
    rng = np.random.default_rng(11)
    cases = _case_tables(rng)
    title = "Question ratings of each case, with its overall judgement"
    assert _compare_on_kept_figures(
        lambda table: charts.case_profile(table, title=title), cases * 2) >= 8
    labels = {f"Q{number}": f"Q{number} Question {number}" for number in range(1, 13)}
    items = [(table, COUNCILS[number % len(COUNCILS)])
             for number, table in enumerate(_question_tables(rng) * 2)]
    assert _compare_on_kept_figures(lambda item: charts.diverging_bars(
        item[0], labels=labels, sort=True, title=f"Ratings by question, {item[1]} 2025-26"),
        items) >= 4


def test_a_chart_outside_chart_html_gets_a_figure_of_its_own():
    table = _case_tables(np.random.default_rng(12))[0]
    with layouts.reused_figures():
        kept = charts.case_profile(table, title="Cases")
    mine = charts.case_profile(table, title="Cases")  # not inside reused_figures
    assert mine.figure is not kept.figure
    with layouts.reused_figures():
        again = charts.case_profile(table, title="Cases")
    assert again.figure is kept.figure
    # Drawn on the kept figure, the last chart's bars and labels are gone: one set each.
    assert len(again.containers) == 4
    assert len([t for t in again.texts if t.get_gid() == "judgement-label"]) == len(table)
    plt.close("all")


def test_kept_figures_are_bounded_and_never_dropped():
    rng = np.random.default_rng(13)
    tables = _case_tables(rng)
    kept = []
    for limit in range(12, 12 + layouts._MAX_KEPT_FIGURES + 3):  # a new frame each time
        table = tables[0].copy()
        table["n"] = limit
        with layouts.reused_figures():
            kept.append(charts.case_profile(table, title="Cases").figure)
    assert len(layouts._kept_figures) == layouts._MAX_KEPT_FIGURES
    held = [k.ax.figure for k in layouts._kept_figures.values()]
    assert held == kept[:layouts._MAX_KEPT_FIGURES]  # the first ones, none replaced
    plt.close("all")
