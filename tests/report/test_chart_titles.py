"""Charts take a title, keep it clear of their legend when changed, save at any dpi, and
facet at a size that fits a screen."""

from __future__ import annotations

import itertools

import pytest
from matplotlib.text import Text


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_set_title_on_a_section_chart_replaces_its_heading_clear_of_the_legend():
    from review_lib.report import council as section
    from review_lib.report.context import open_review

    chart = section.question_chart(open_review("Dudley", "2022-24"))
    ax = chart.figure.axes[0]
    assert ax.get_title(loc="left") == "Ratings by question, Dudley 2022-24"
    ax.set_title("Dudley: how the questions were rated")  # the README's recipe
    chart.figure.draw_without_rendering()
    renderer = chart.figure.canvas.get_renderer()
    assert ax.get_title(loc="left") == "Dudley: how the questions were rated"
    assert ax.get_title() == ""  # nothing printed over it in the centre
    title = next(t for t in ax.get_children()
                 if isinstance(t, Text) and t.get_text() == "Dudley: how the questions were rated")
    legend = ax.get_legend().get_window_extent(renderer)
    assert not _overlap(title.get_window_extent(renderer), legend)
    assert title.get_window_extent(renderer).y0 > legend.y1
    # An explicit place is matplotlib's, still above the legend.
    centred = ax.set_title("Centred", loc="center")
    chart.figure.draw_without_rendering()
    assert not _overlap(centred.get_window_extent(renderer), legend)


def test_charts_take_a_title_and_an_axes(sample_programme):
    import matplotlib.pyplot as plt

    from review_lib.report import charts

    q3 = sample_programme.in_cycle("2022-24").ratings.query("question == 'Q3'")
    ax = charts.likert(q3, y="council", title="Community assets (Q3) by council")
    assert ax.get_title(loc="left") == "Community assets (Q3) by council"
    _, mine = plt.subplots()
    assert charts.likert(q3, y="council", ax=mine, title="Mine") is mine
    assert mine.get_title(loc="left") == "Mine"
    grid = charts.likert(sample_programme.ratings.query("council == 'Dudley'"), by="cycle",
                         title="Dudley by cycle")
    assert grid.figure.get_suptitle() == "Dudley by cycle"


def test_a_chart_and_a_section_chart_save_at_the_dpi_asked(tmp_path, sample_programme):
    from PIL import Image

    from review_lib.report import charts
    from review_lib.report import council as section
    from review_lib.report.context import open_review

    q3 = sample_programme.in_cycle("2022-24").ratings.query("question == 'Q3'")
    ax = charts.likert(q3, y="council", title="Q3")
    small = charts.save_figure(ax, tmp_path / "q3-100.png", dpi=100, close=False)
    large = charts.save_figure(ax, tmp_path / "slides" / "q3-300.png", dpi=300)
    with Image.open(small) as a, Image.open(large) as b:
        assert abs(b.width / a.width - 3) < 0.05
        assert round(b.info["dpi"][0]) == 300
    chart = section.question_chart(open_review("Dudley", "2022-24"))
    saved = chart.save(tmp_path / "dudley.png", dpi=300)
    with Image.open(saved) as image:
        assert round(image.info["dpi"][0]) == 300
    with pytest.raises(ValueError, match="no chart"):
        section.question_table(open_review("Dudley", "2022-24")).save(tmp_path / "x.png")


@pytest.mark.slow
def test_fourteen_councils_facet_to_fit_a_screen_with_titles_clear_of_labels(
        sample_programme):
    from review_lib.report import charts

    grid = charts.likert(sample_programme.in_cycle("2022-24").ratings, by="council",
                         col_wrap=4)
    width, height = grid.figure.get_size_inches()
    assert width <= 16 and height <= 12
    figure = grid.figure
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    titles = [ax.title.get_window_extent(renderer) for ax in grid.axes.flat]
    labels = [ax.xaxis.get_tightbbox(renderer) for ax in grid.axes.flat]
    assert len(titles) == 14
    for i, title in enumerate(titles):
        assert not any(_overlap(title, box) for j, box in enumerate(labels) if j != i)
    # Tick labels of one panel do not run into each other.
    for ax in grid.axes.flat:
        ticks = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        assert not any(_overlap(a, b) for a, b in itertools.pairwise(ticks))

