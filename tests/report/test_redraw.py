"""The redrawn small charts are the same pictures as full draws, pixel for pixel."""

from __future__ import annotations

import io

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from review_lib.analysis.summary import level_table
from review_lib.data.scale import LEVELS
from review_lib.report import charts
from review_lib.report.charts import redraw
from review_lib.report.html import chart_html

SMALL = dict(xlabel="Rating (n=20 case records)", ylabel="Case records", size=(3.8, 2.6),
             ymax=20)


def _levels(counts) -> object:
    return level_table(dict(zip(LEVELS, (int(c) for c in counts), strict=True)))


def _full(levels, title: str, **options) -> np.ndarray:
    ax = charts.judgement_bars(levels, title=title, **options)
    with matplotlib.rc_context(charts.LITERAL_TEXT):
        buffer = io.BytesIO()  # as matplotlib itself writes it
        ax.figure.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
    plt.close(ax.figure)
    return np.asarray(Image.open(buffer).convert("RGBA"))


def _redrawn(levels, title: str, **options) -> np.ndarray:
    data = redraw.judgement_bars_png(levels, title=title, **options)
    assert data is not None
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


@pytest.fixture(autouse=True)
def _fresh_frames():
    redraw._frames.clear()
    redraw._drawn.clear()
    yield
    redraw._frames.clear()
    redraw._drawn.clear()


TITLES = ["Q7 Safeguarding", "Q11 Management oversight", "Q1 Person's voice",
          # taller glyphs than the frame's first title, and one wider than the axes
          "Q12 Recording (É, þ, [brackets])",
          "Q3 A title far longer than the axes of a small chart can hold on one line"]


def test_redrawn_charts_match_full_draws_pixel_for_pixel():
    rng = np.random.default_rng(7)
    draws = [rng.multinomial(20, [0.2, 0.5, 0.2, 0.1]) for _ in range(10)]
    draws += [np.array([20, 0, 0, 0]), np.array([0, 0, 0, 20]), np.array([0, 0, 0, 0])]
    for number, counts in enumerate(draws):
        levels = _levels(counts)
        title = TITLES[number % len(TITLES)]
        assert np.array_equal(_redrawn(levels, title, **SMALL), _full(levels, title, **SMALL))


def test_frames_are_kept_per_scale_and_title_height():
    levels = _levels([5, 10, 3, 2])
    for title in ["Q7 Safeguarding", "Q8 Carers", "Q9 Partnership"]:
        _redrawn(levels, title, **SMALL)
    assert [len(frames) for frames in redraw._frames.values()] == [1]
    other = {**SMALL, "ymax": 12, "xlabel": "Rating (n=12 case records)"}
    assert np.array_equal(_redrawn(_levels([2, 6, 3, 1]), "Q7 Safeguarding", **other),
                          _full(_levels([2, 6, 3, 1]), "Q7 Safeguarding", **other))
    assert len(redraw._frames) == 2


def test_a_change_of_style_draws_a_new_frame():
    levels = _levels([5, 10, 3, 2])
    _redrawn(levels, "Q7 Safeguarding", **SMALL)
    with matplotlib.rc_context({"font.size": 13}):
        assert np.array_equal(_redrawn(levels, "Q7 Safeguarding", **SMALL),
                              _full(levels, "Q7 Safeguarding", **SMALL))
    assert len(redraw._frames) == 2


def test_a_chart_scaled_to_its_largest_bar_is_redrawn_too():
    """The overall judgements: no fixed scale and the default label, as judgement_bars
    draws them; they share a frame with every chart of the same largest bar and total."""
    for counts in ([3, 9, 6, 2], [2, 9, 5, 4], [0, 0, 1, 0], [0, 0, 0, 0]):
        levels = _levels(counts)
        title = "Overall judgements, Bath and North East Somerset 2025-26"
        assert np.array_equal(_redrawn(levels, title), _full(levels, title))
        assert np.array_equal(_redrawn(levels, title, xlabel="x"), _full(levels, title,
                                                                         xlabel="x"))
    # Largest bar 9 of n=20, 1 of n=1 and none of n=0 (scaled as 1); labelled "x", 9 and 1.
    assert len(redraw._frames) == 5
    scaled = _redrawn(_levels([3, 9, 6, 2]), "Overall judgements",
                      xlabel="Overall judgement (n=20 cases)", ymax=9)
    assert np.array_equal(scaled, _redrawn(_levels([3, 9, 6, 2]), "Overall judgements"))


def test_charts_without_a_title_are_drawn_in_full():
    levels = _levels([5, 10, 3, 2])
    assert redraw.judgement_bars_png(levels, ymax=20) is None
    assert redraw.judgement_bars_png(_levels([25, 0, 0, 0]), title="Q7", ymax=20) is None
    assert redraw.redrawn_png(charts.diverging_bars, (levels,), {}) is None


def test_chart_html_embeds_the_redrawn_picture(tmp_path):
    levels = _levels([4, 13, 3, 0])
    section = chart_html(charts.judgement_bars, levels, title="Q7 Safeguarding", **SMALL,
                         alt="Q7: 4 Outstanding, 13 Good, 3 Requires Improvement.",
                         caption="Q7.", filename="question-Q7.png", folder=tmp_path)
    written = np.asarray(Image.open(tmp_path / "question-Q7.png").convert("RGBA"))
    assert np.array_equal(written, _full(levels, "Q7 Safeguarding", **SMALL))
    assert "data:image/png;base64," in str(section)
    assert section.figure is not None  # the live figure is still a full matplotlib draw


def test_one_pass_png_has_the_pixels_savefig_writes(monkeypatch):
    """Every chart of the Dudley reports, the cross-council report and the calibration
    report: the one-pass PNG of ``png_data`` has, pixel for pixel, what ``savefig`` writes,
    in files of much the same size. A chart that laid itself out to fit its labels
    (``LAID_OUT``) is saved on that layout: what savefig writes with the layout engine then
    switched off."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    import review_lib.report.html as report_html
    from review_lib.report import calibration, council, cross, leadership
    from review_lib.report.context import open_review

    compared, laid_out, sizes = [], [], []
    quick = redraw.redrawn_png

    def both(chart, args, kwargs):
        data = quick(chart, args, kwargs)
        if data is not None:
            return data
        ax = chart(*args, **kwargs)
        if not isinstance(ax.figure.get_layout_engine(), ConstrainedLayoutEngine):
            return None
        data = report_html.png_data(ax.figure)  # the one-pass way
        twin = chart(*args, **kwargs)  # drawn afresh, as savefig would meet it
        if twin.figure in charts.LAID_OUT:
            twin.figure.set_layout_engine("none")
            laid_out.append(ax.get_title(loc="left"))
        with matplotlib.rc_context(charts.LITERAL_TEXT):
            reference = io.BytesIO()
            twin.figure.savefig(reference, format="png", dpi=150, metadata={"Software": None})
        ours, theirs = (np.asarray(Image.open(io.BytesIO(b)).convert("RGBA"))
                        for b in (data, reference.getvalue()))
        assert ours.shape == theirs.shape and np.array_equal(ours, theirs), \
            ax.get_title(loc="left")
        sizes.append((len(data), len(reference.getvalue())))
        compared.append(ax.get_title(loc="left"))
        plt.close(ax.figure)
        plt.close(twin.figure)
        return data

    monkeypatch.setattr(redraw, "redrawn_png", both)
    context = open_review("Dudley", "2022-24")
    council.question_chart(context)
    council.judgements_section(context)
    council.auditor_section(context)
    council.case_section(context)
    leadership.appendix(context)
    cycle = cross.open_cycle("2022-24", "Dudley")
    for measure in ("judgements", "ratings"):
        cross.funnel_section(cycle, measure)
    cross.heatmap_section(cycle)
    cross.judgements_section(cycle)
    cross.change_section(cycle)
    exercise = calibration.open_exercise()
    calibration.leniency_section(exercise)
    calibration.questions_section(exercise)
    assert len(compared) >= 11  # the rest redrawn on frames (tested above)
    assert 4 <= len(laid_out) < len(compared)  # the labelled bars and the funnels
    # Unfiltered rows deflated at level 3 against matplotlib's filtered RGBA at level 6:
    # quicker to write, and the files no more than a tenth larger in all (smaller, when
    # this was written: 1.35 MB against 1.52 MB).
    ours, theirs = map(sum, zip(*sizes, strict=True))
    assert ours <= 1.1 * theirs, (ours, theirs)


def test_a_chart_drawn_before_is_not_drawn_again(monkeypatch):
    levels = _levels([4, 13, 3, 0])
    first = redraw.judgement_bars_png(levels, title="Q7 Safeguarding", **SMALL)
    monkeypatch.setattr(redraw._BarsFrame, "render", lambda *a: pytest.fail("drawn again"))
    assert redraw.judgement_bars_png(levels, title="Q7 Safeguarding", **SMALL) is first
    with matplotlib.rc_context({"font.size": 13}), pytest.raises(pytest.fail.Exception):
        redraw.judgement_bars_png(levels, title="Q7 Safeguarding", **SMALL)

