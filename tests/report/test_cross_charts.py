"""Cross-council charts: funnel plot, heat map, council judgements, change between cycles.

The Axes are inspected (offsets, line data, texts, legend), not pixels.
"""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.markers import MarkerStyle
from matplotlib.transforms import Bbox

from review_lib.analysis import stats
from review_lib.analysis.comparison import programme_funnels
from review_lib.analysis.funnel import ALPHA, exact_limits, funnel_x, widen_limits
from review_lib.analysis.summary import Proportion, format_percent, question_summary
from review_lib.data.scale import LEVELS
from review_lib.report import charts


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def cycle(sample_programme):
    return sample_programme.in_cycle("2022-24")


@pytest.fixture(scope="module")
def judgement_table(cycle):
    return stats.funnel_table(stats.good_counts(cycle.judgements, "judgement"))


@pytest.fixture(scope="module")
def rating_table(cycle):
    return programme_funnels(cycle).ratings  # at the effective n, as the reports draw it


SPREAD = {"Ashcombe": 0.55, "Brackenbury": 0.62, "Corrington": 0.7, "Dudley": 0.74,
          "Elverston": 0.78, "Farleigh Moor": 0.8, "Greyhaven": 0.84, "Hollinsworth": 0.88,
          "Kestrel Vale": 0.92, "Northwold": 0.96, "Ravensfield": 0.2}


def spread_counts() -> pd.DataFrame:
    """Ten councils' ratings that vary far beyond chance (the sample's, once each council's
    own clustering is allowed for, do not: phi <= 1, so nothing is widened there)."""
    return pd.DataFrame({"successes": [round(s * 240) for s in SPREAD.values()], "n": 240},
                        index=list(SPREAD))


@pytest.fixture(scope="module")
def spread_table():
    return stats.funnel_table(spread_counts(), design_effect=np.full(len(SPREAD), 4.0))


@pytest.fixture(scope="module")
def adjusted_table():
    return stats.funnel_table(spread_counts(), design_effect=np.full(len(SPREAD), 4.0),
                              overdispersion=True)


@pytest.fixture(scope="module")
def heat_frames(cycle, catalogue):
    shares, counts = {}, {}
    for council in sorted(cycle.councils, key=str.casefold):
        summary = question_summary(cycle.ratings[cycle.ratings["council"] == council])
        shares[council] = summary["share_good"]
        counts[council] = summary["n"]
    labels = {q.id: f"{q.id} {q.short_label}" for q in catalogue}
    return (pd.DataFrame(shares).T.rename(columns=labels),
            pd.DataFrame(counts).T.rename(columns=labels))


@pytest.fixture(scope="module")
def council_counts(cycle):
    judgements = cycle.judgements
    counts = (judgements.groupby([judgements["council"].astype(str), "judgement"],
                                 observed=False).size().unstack("judgement", fill_value=0)
              .reindex(columns=list(LEVELS), fill_value=0))
    counts.columns = list(LEVELS)
    return counts


def _change_frame(rows: dict[str, tuple[int, int, int, int]]) -> pd.DataFrame:
    """Changes from (before good, before n, after good, after n) per council."""
    records = {}
    for council, (bg, bn, ag, an) in rows.items():
        before, after = Proportion.of(bg, bn), Proportion.of(ag, an)
        change = stats.newcombe_difference(before, after)
        records[council] = {
            "before_cycle": "2019", "after_cycle": "2022-24",
            "before_share": before.share, "before_low": before.ci_low,
            "before_high": before.ci_high, "after_share": after.share,
            "after_low": after.ci_low, "after_high": after.ci_high,
            "beyond_chance": change.beyond_chance}
    frame = pd.DataFrame.from_dict(records, orient="index")
    frame.index.name = "council"
    return frame


@pytest.fixture(scope="module")
def changes(sample_programme, cycle):
    rows = {}
    for review in cycle.reviews:
        previous = sample_programme.previous_review(review)
        if previous is None:
            continue
        good = ("Outstanding", "Good")
        rows[review.council] = (int(previous.judgements["judgement"].isin(good).sum()),
                                previous.n_cases,
                                int(review.judgements["judgement"].isin(good).sum()),
                                review.n_cases)
    return _change_frame(dict(sorted(rows.items())))


# ------------------------------------------------------------------ helpers


def _point_collections(ax) -> list:
    return [c for c in ax.collections if (c.get_gid() or "").startswith("funnel-points:")]


def _points(ax) -> dict[str, np.ndarray]:
    return {council: offset for c in _point_collections(ax)
            for council, offset in zip(c.councils, c.get_offsets(), strict=True)}


def _point_collection(ax, council: str):
    return next(c for c in _point_collections(ax) if council in c.councils)


def _lines(ax, prefix: str) -> dict[str, matplotlib.lines.Line2D]:
    return {line.get_gid(): line for line in ax.lines
            if (line.get_gid() or "").startswith(prefix)}


def _labels(ax) -> dict[str, matplotlib.text.Annotation]:
    return {t.get_gid().split(":", 1)[1]: t for t in ax.texts
            if (t.get_gid() or "").startswith("funnel-label:")}


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _marker_vertices(symbol: str) -> np.ndarray:
    style = MarkerStyle(symbol)
    return style.get_path().transformed(style.get_transform()).vertices


def _is_marker(collection, symbol: str) -> bool:
    """Every marker of the collection is ``symbol``'s (a marker moved aside, shifted)."""
    expected = _marker_vertices(symbol)
    for path in collection.get_paths():
        vertices = path.vertices
        shift = vertices[0] - expected[0] if vertices.shape == expected.shape else 0
        if vertices.shape != expected.shape or not np.allclose(vertices - shift, expected):
            return False
        if not np.allclose(shift[1], 0):  # points move sideways only
            return False
    return True


def _marker_boxes(ax, collections):
    """Display boxes of the funnel's markers, each where it is drawn (moved aside or not)."""
    figure = ax.figure
    figure.draw_without_rendering()
    boxes = []
    for collection in collections:
        centres = collection.get_offset_transform().transform(collection.get_offsets())
        for path, size, (x, y) in zip(collection.get_paths(), collection.get_sizes(), centres,
                                      strict=True):
            scale = np.sqrt(size) * figure.dpi / 72  # pixels per unit of the marker path
            extent = path.get_extents()
            boxes.append(Bbox.from_extents(x + extent.x0 * scale, y + extent.y0 * scale,
                                           x + extent.x1 * scale, y + extent.y1 * scale))
    return boxes


# ------------------------------------------------------------------ funnel plot


def test_each_council_is_a_point_at_its_n_and_percent(judgement_table):
    ax = charts.funnel_plot(judgement_table, highlight="Dudley")
    points = _points(ax)
    assert set(points) == set(judgement_table.index)
    assert len(points) == 14
    for council, row in judgement_table.iterrows():
        np.testing.assert_allclose(points[council], [row["n"], row["share"] * 100])
    np.testing.assert_allclose(points["Kestrel Vale"], [20, 100])
    np.testing.assert_allclose(points["Northwold"], [20, 30])


def test_limit_curves_are_exact_limits_across_a_widened_n_range(judgement_table):
    ax = charts.funnel_plot(judgement_table)
    target = judgement_table.attrs["target"]
    lines = _lines(ax, "funnel-limit:")
    assert set(lines) == {f"funnel-limit:{z}:{end}" for z in ("95", "99.8")
                          for end in ("lower", "upper")}
    for name, level in (("95", "95"), ("99.8", "998")):
        upper, lower = lines[f"funnel-limit:{name}:upper"], lines[f"funnel-limit:{name}:lower"]
        x = upper.get_xdata()
        # Every council has n = 20: the curves run from 20% below to 20% above it.
        assert x.min() == pytest.approx(16) and x.max() == pytest.approx(24)
        assert len(x) > 100  # drawn smoothly, not only at the councils' n
        low, high = exact_limits(target, x, ALPHA[level])
        # Where a limit lies beyond 100% (no count can pass it) nothing is drawn.
        np.testing.assert_allclose(upper.get_ydata(), np.where(high > 1, np.nan, high * 100))
        np.testing.assert_allclose(lower.get_ydata(), np.where(low < 0, np.nan, low * 100))
    # Around 81.8%, even 24 of 24 is not unlikely enough for the 99.8% upper limit
    # (0.818^24 = 0.008 > 0.001): that line is absent, the 95% one is drawn throughout.
    # The 95% one only from n = 19, where 0.818^n first falls below 0.025.
    x = lines["funnel-limit:95:upper"].get_xdata()
    assert np.isnan(lines["funnel-limit:99.8:upper"].get_ydata()).all()
    drawn = np.isfinite(lines["funnel-limit:95:upper"].get_ydata())
    assert drawn[x >= 19].all() and not drawn[x < 18].any()
    # At the councils' n the curves meet the table's own limits.
    middle = np.argmin(np.abs(lines["funnel-limit:95:upper"].get_xdata() - 20))
    assert lines["funnel-limit:95:upper"].get_xdata()[middle] == pytest.approx(20)
    assert lines["funnel-limit:95:upper"].get_ydata()[middle] == pytest.approx(
        judgement_table["upper95"].iloc[0] * 100)
    assert lines["funnel-limit:99.8:lower"].get_ydata()[middle] == pytest.approx(
        judgement_table["lower998"].iloc[0] * 100)
    target_line = _lines(ax, "funnel-target")["funnel-target"]
    np.testing.assert_allclose(target_line.get_ydata(), target * 100)


@pytest.mark.parametrize("which", ["judgement_table", "rating_table", "adjusted_table"])
def test_a_point_lies_outside_a_drawn_limit_exactly_when_flagged(request, which):
    table = request.getfixturevalue(which)
    n = funnel_x(table)  # the ratings funnel places each council at its effective n
    share = table["share"].to_numpy(dtype=float)
    outside = {}
    for level in ("95", "998"):
        lower, upper = charts.funnel_limits(table, n, level)
        # A limit not drawn (NaN) cannot be passed.
        outside[level] = (np.nan_to_num(share > upper) | np.nan_to_num(share < lower))
    flags = table["flag"].to_numpy()
    np.testing.assert_array_equal(outside["998"], np.isin(flags, ["above998", "below998"]))
    np.testing.assert_array_equal(outside["95"], flags != "within")


def test_limit_line_styles_and_legend(judgement_table):
    ax = charts.funnel_plot(judgement_table, highlight="Dudley")
    lines = _lines(ax, "funnel-limit:")
    assert lines["funnel-limit:95:upper"].get_linestyle() == "--"
    assert lines["funnel-limit:99.8:upper"].get_linestyle() == ":"
    legend = _legend(ax)
    assert legend[:3] == ["Programme average (82%)", "95% limits", "99.8% limits"]
    for entry in ("Within the 95% limits", "Above the 95% limits", "Below the 95% limits",
                  "Dudley (highlighted)"):
        assert entry in legend
    assert ax.yaxis.get_major_formatter()(90, 0) == "90%"


def test_n_range_spans_councils_of_different_sizes():
    table = stats.funnel_table(pd.DataFrame(
        {"successes": [11, 8, 16, 36, 100], "n": [12, 15, 20, 40, 120]},
        index=list("ABCDE")))
    ax = charts.funnel_plot(table)
    x = _lines(ax, "funnel-limit:95:upper")["funnel-limit:95:upper"].get_xdata()
    assert x.min() < 12 and x.max() > 120
    assert x.min() > 0
    assert x.max() - 120 < 0.1 * (120 - 12)  # a little beyond, not 20%


def test_markers_show_where_councils_lie_by_shape_and_highlight_by_colour(judgement_table):
    ax = charts.funnel_plot(judgement_table, highlight="dudley")  # case-insensitive
    for council, flag in judgement_table["flag"].items():
        collection = _point_collection(ax, council)
        symbol = "^" if flag.startswith("above") else "v" if flag.startswith("below") else "o"
        assert _is_marker(collection, symbol), council
    kestrel, northwold = (_point_collection(ax, c) for c in ("Kestrel Vale", "Northwold"))
    assert _is_marker(kestrel, "^") and _is_marker(northwold, "v")
    dudley, other = _point_collection(ax, "Dudley"), _point_collection(ax, "Lydmouth")
    assert to_hex(dudley.get_facecolor()[0]) == charts.FOCUS_COLOUR.lower()
    assert to_hex(other.get_facecolor()[0]) == charts.CONTEXT_COLOUR.lower()
    assert dudley.get_sizes()[0] > other.get_sizes()[0]


def test_crowded_funnel_names_outside_councils_and_the_highlight(judgement_table):
    ax = charts.funnel_plot(judgement_table, highlight="Dudley")
    labels = _labels(ax)
    outside = set(judgement_table.index[judgement_table["flag"] != "within"])
    # Exact limits: 20 of 20 is above the 95% limit and 6 of 20 below the 99.8% one;
    # 19 of 20 (Pennant Cross, Ravensfield) is not outside (P(X >= 19) = 0.098).
    assert outside == {"Kestrel Vale", "Northwold"}
    assert set(labels) == outside | {"Dudley"}
    assert {t.get_text() for t in labels.values()} == set(labels)
    assert labels["Dudley"].get_fontweight() == "bold"
    assert labels["Northwold"].get_fontweight() == "normal"
    assert charts.funnel_labelled(judgement_table, highlight="Dudley") == [
        c for c in judgement_table.index if c in labels]


def test_few_councils_are_all_named():
    table = stats.funnel_table(pd.DataFrame(
        {"successes": [16, 16, 16, 17, 12, 20], "n": [20] * 6},
        index=["Ashcombe", "Brackenbury", "Corrington", "Dudley", "Elverston", "Farleigh"]))
    ax = charts.funnel_plot(table, highlight="Dudley")
    assert set(_labels(ax)) == set(table.index)
    assert charts.funnel_labelled(table) == list(table.index)
    assert "named on the chart" not in charts.alt_text_funnel(table)


@pytest.mark.parametrize("which", ["judgement_table", "rating_table", "adjusted_table"])
def test_names_overlap_neither_each_other_nor_points(request, which):
    table = request.getfixturevalue(which)
    ax = charts.funnel_plot(table, highlight="Dudley", show_adjusted=True)
    labels = list(_labels(ax).values())
    assert labels
    points = _point_collections(ax)
    # The words alone, without the leader lines that run to the points.
    ax.figure.draw_without_rendering()
    renderer = ax.figure.canvas.get_renderer()
    label_boxes = [matplotlib.text.Text.get_window_extent(label, renderer) for label in labels]
    point_boxes = _marker_boxes(ax, points)
    axes_box = ax.get_window_extent()
    for a, b in itertools.combinations(label_boxes, 2):
        assert not a.overlaps(b)
    for box in label_boxes:
        assert not any(box.overlaps(p) for p in point_boxes)
        assert axes_box.x0 <= box.x0 and box.x1 <= axes_box.x1
        assert axes_box.y0 <= box.y0 and box.y1 <= axes_box.y1
    # Markers at the same n and share are set side by side, so none hides another.
    for a, b in itertools.combinations(point_boxes, 2):
        assert a.width > 0
        overlap_x = min(a.x1, b.x1) - max(a.x0, b.x0)
        overlap_y = min(a.y1, b.y1) - max(a.y0, b.y0)
        assert overlap_x <= 0.5 * a.width or overlap_y <= 0.5 * a.height


@pytest.fixture
def national_table():
    """150 councils crowded at the largest n, as the national ratings funnel is.

    Shares vary more than chance would give, so that far more than twelve councils are
    outside the 95% limits, several of them at the largest n and a high share (where names
    were once cut off at the figure's edge).
    """
    rng = np.random.default_rng(20261202)
    n = np.clip(np.round(60 - rng.exponential(6, 150)), 26, 60).astype(int)
    share = np.clip(rng.normal(0.82, 0.11, 150), 0.3, 1.0)
    share[:6] = 1.0  # at the top of the largest n
    n[:6] = 60
    councils = [f"Council {i:03d}" for i in range(1, 151)]
    return stats.funnel_table(pd.DataFrame({"successes": np.round(share * n).astype(int),
                                            "n": n}, index=councils))


def test_a_national_funnel_keeps_every_point_and_name_inside_the_axes(national_table):
    flags = national_table["flag"].astype(str)
    assert (flags != "within").sum() > 12
    extreme = set(national_table.index[flags.str.endswith("998")])
    assert extreme and extreme < set(national_table.index[flags != "within"])
    ax = charts.funnel_plot(national_table, highlight="Council 003",
                            title="Share of question ratings Good or better")
    labels = _labels(ax)
    # More than twelve outside the 95% limits: only those outside the 99.8% are named.
    assert set(labels) == extreme | {"Council 003"}
    assert charts.funnel_labelled(national_table, highlight="Council 003") == [
        c for c in national_table.index if c in labels]
    text = charts.alt_text_funnel(national_table, highlight="Council 003",
                                  measure="question ratings")
    assert text.endswith("Only the councils outside the 99.8% limits are named on the chart."
                         ) or text.endswith("Only the councils outside the 99.8% limits and "
                                            "Council 003 are named on the chart.")
    # The alt text names the same councils as the chart, and counts the rest.
    near = int(flags.isin(["above95", "below95"]).sum())
    assert f"{near} more councils are outside the 95% limits only." in text
    assert all(c in text for c in extreme)
    named = {c for c in national_table.index if f"{c} " in text}
    assert named - {"Council 003"} == extreme - {"Council 003"}  # and the highlight
    ax.figure.draw_without_rendering()
    renderer = ax.figure.canvas.get_renderer()
    axes_box = ax.get_window_extent()
    boxes = [matplotlib.text.Text.get_window_extent(label, renderer)
             for label in labels.values()]
    for box in boxes:  # the words, without their leader lines
        assert axes_box.x0 <= box.x0 and box.x1 <= axes_box.x1
        assert axes_box.y0 <= box.y0 and box.y1 <= axes_box.y1
    for a, b in itertools.combinations(boxes, 2):  # names may touch, never cover
        assert min(a.x1, b.x1) - max(a.x0, b.x0) <= 0.5 or min(a.y1, b.y1) - max(a.y0, b.y0) <= 0.5
    # Points moved aside so as not to hide each other stay inside the axes too.
    for box in _marker_boxes(ax, _point_collections(ax)):
        assert axes_box.x0 - 0.5 <= box.x0 and box.x1 <= axes_box.x1 + 0.5


def test_a_highlight_inside_a_crowded_row_is_named_clear_of_the_points():
    # 150 councils of 20 records, as in the national benchmark's latest cycle: rows of
    # points at each share, the highlight first in the table and so in the middle of the
    # 18-of-20 row (33 councils, between rows of 32 and 15), where no place beside it is
    # clear of the points without a leader line.
    rows = {18: 33, 6: 1, 8: 2, 9: 1, 10: 1, 11: 4, 12: 4, 13: 5, 14: 10, 15: 9, 16: 14,
            17: 15, 19: 32, 20: 19}
    successes = [count for count, councils in rows.items() for _ in range(councils)]
    councils = [f"Council {i:03d}" for i in range(1, 151)]
    table = stats.funnel_table(pd.DataFrame({"successes": successes, "n": 20},
                                            index=councils))
    chosen = "Council 001"
    ax = charts.funnel_plot(table, highlight=chosen, title=f"{chosen} among the 150 councils")
    label = _labels(ax)[chosen]
    ax.figure.draw_without_rendering()
    box = matplotlib.text.Text.get_window_extent(label, ax.figure.canvas.get_renderer())
    axes_box = ax.get_window_extent()
    assert axes_box.x0 <= box.x0 and box.x1 <= axes_box.x1
    assert not any(box.overlaps(p) for p in _marker_boxes(ax, _point_collections(ax)))
    assert label.arrow_patch is not None  # moved off its row: a line shows whose name it is


def test_adjusted_table_draws_widened_limits(adjusted_table, spread_table):
    assert adjusted_table.attrs["adjusted"]
    assert adjusted_table.attrs["overdispersion"].phi > 3
    xlabel = "Effective number of question ratings (ratings ÷ design effect)"
    ax = charts.funnel_plot(adjusted_table, xlabel=xlabel)
    target = adjusted_table.attrs["target"]
    tau2 = adjusted_table.attrs["overdispersion"].tau2
    line = _lines(ax, "funnel-limit:95:upper")["funnel-limit:95:upper"]
    x, y = line.get_xdata(), line.get_ydata()
    # Councils sit at their effective n (240 / 4 = 60); the limits are the exact limits
    # there, widened by FunnelPlotR's ratio on the arcsine scale: never narrower.
    np.testing.assert_allclose(funnel_x(adjusted_table), 60.0)
    low, high = exact_limits(target, x, ALPHA["95"])
    expected = widen_limits(target, x, low, high, tau2)[1]
    np.testing.assert_allclose(y, expected * 100)
    plain = charts.funnel_limits(spread_table, x, "95")[1] * 100
    assert np.all(y > plain)
    legend = _legend(ax)
    assert "95% limits (widened for overdispersion)" in legend
    assert "99.8% limits (widened for overdispersion)" in legend
    assert ax.get_xlabel() == xlabel
    # Ten councils at one n: only those outside the widened limits are named.
    outside = set(adjusted_table.index[adjusted_table["flag"] != "within"])
    # Winsorising keeps the one extreme council from widening the limits around itself.
    assert outside == {"Ravensfield"}
    assert outside < set(spread_table.index[spread_table["flag"] != "within"])
    assert set(_labels(ax)) == outside


def test_show_adjusted_adds_the_widened_limits(spread_table):
    plain = charts.funnel_plot(spread_table)
    assert not _lines(plain, "funnel-adjusted")
    ax = charts.funnel_plot(spread_table, show_adjusted=True)
    lines = _lines(ax, "funnel-adjusted")
    assert set(lines) == {"funnel-adjusted:99.8:upper", "funnel-adjusted:99.8:lower"}
    band = [c for c in ax.collections if c.get_gid() == "funnel-adjusted:95"]
    assert len(band) == 1
    x = lines["funnel-adjusted:99.8:upper"].get_xdata()
    _, upper = charts.funnel_limits(spread_table, x, "998", adjusted=True)
    np.testing.assert_allclose(lines["funnel-adjusted:99.8:upper"].get_ydata(), upper * 100)
    legend = _legend(ax)
    assert "95% limits widened for overdispersion" in legend
    assert "99.8% limits widened for overdispersion" in legend
    # Every council is at an effective n of 60: the curves span 20% either side.
    assert x.min() == pytest.approx(0.8 * 60) and x.max() == pytest.approx(1.2 * 60)


def test_sample_ratings_are_not_widened(rating_table):
    # Once each council's own clustering is allowed for, the sample's councils vary no
    # more than chance (phi <= 1): there is nothing to widen, and show_adjusted adds nothing.
    assert rating_table.attrs["overdispersion"].phi <= 1
    ax = charts.funnel_plot(rating_table, show_adjusted=True)
    assert not _lines(ax, "funnel-adjusted")


def test_single_council_funnel_draws():
    table = stats.funnel_table(pd.DataFrame({"successes": [15], "n": [20]}, index=["Solo"]))
    ax = charts.funnel_plot(table, highlight="Solo")
    assert set(_points(ax)) == {"Solo"} and set(_labels(ax)) == {"Solo"}
    text = charts.alt_text_funnel(table, highlight="Solo")
    assert "Every council is within the 95% limits." in text
    assert "Solo (75%), highlighted, is within the limits." in text


def test_funnel_alt_text_names_councils_outside_with_numbers(judgement_table):
    text = charts.alt_text_funnel(judgement_table, highlight="Dudley")
    assert text.startswith("Funnel plot of 14 councils' share of case records judged Good or "
                           "better against number of records (20 each); programme average "
                           "82%.")
    assert "Kestrel Vale 100% (above)" in text
    assert "Northwold 30% (below)" in text
    assert "Pennant Cross" not in text  # 19 of 20 is within the exact limits
    assert "Of these, Northwold is also outside the 99.8% limits." in text
    assert "Dudley (90%), highlighted, is within the limits." in text
    assert "Only the councils outside the 95% limits and Dudley are named on the chart." in text


def test_funnel_alt_text_for_ratings(rating_table, adjusted_table):
    text = charts.alt_text_funnel(rating_table, highlight="Dudley", measure="question ratings")
    assert ("share of question ratings Good or better against effective number of ratings, "
            "allowing for the ratings of a record going together (41 to 63 each); programme "
            "average 78%.") in text
    # At the effective n (ratings clustered in records) Dudley and Corrington are within;
    # treating 240 ratings as independent put them outside the 95% limits.
    assert "Dudley (84%), highlighted, is within the limits." in text
    assert "Corrington" not in text
    assert "Kestrel Vale 99% (above) and Northwold 33% (below); both also outside" in text
    adjusted = charts.alt_text_funnel(adjusted_table, highlight="Dudley",
                                      measure="question ratings")
    assert "The limits are widened for overdispersion." in adjusted
    assert "(60 each)" in adjusted
    assert "Dudley (74%), highlighted, is within the limits." in adjusted


# ------------------------------------------------------------------ heat map


def test_heatmap_prints_every_share_and_unusual_n(heat_frames):
    shares, counts = heat_frames
    ax = charts.heatmap(shares, counts)
    values = {t.get_gid().split(":", 1)[1]: t.get_text() for t in ax.texts
              if (t.get_gid() or "").startswith("heatmap-value:")}
    assert len(values) == shares.size == 14 * 12
    for council, row in shares.iterrows():
        for question, share in row.items():
            assert values[f"{council}:{question}"] == format_percent(share, 0)
    assert values["Kestrel Vale:Q1 Person's voice"] == "100%"
    n_texts = {t.get_gid().split(":", 1)[1]: t.get_text() for t in ax.texts
               if (t.get_gid() or "").startswith("heatmap-n:")}
    unusual = counts.stack()
    unusual = unusual[unusual != 20]
    assert len(n_texts) == len(unusual) > 0
    for (council, question), n in unusual.items():
        assert n_texts[f"{council}:{question}"] == f"n={n}"
    assert "n = 20 cases per cell unless shown" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == list(shares.index)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(shares.columns)


def test_heatmap_colours_are_sequential_blues_with_contrasting_text(heat_frames):
    shares, counts = heat_frames
    ax = charts.heatmap(shares, counts)
    image = ax.images[0]
    np.testing.assert_allclose(image.get_array(), shares.to_numpy())
    cmap = image.get_cmap()
    assert to_hex(cmap(0.0)) == charts.HEATMAP_COLOURS[0].lower()
    assert to_hex(cmap(1.0)) == charts.HEATMAP_COLOURS[1].lower()
    ramp = [cmap(v) for v in np.linspace(0, 1, 11)]
    assert all(b >= r and b >= g for r, g, b, _ in ramp)  # blue throughout: no red or green
    lightness = [charts.base._luminance(to_hex(c)) for c in ramp]
    assert lightness == sorted(lightness, reverse=True)  # light to dark
    texts = {t.get_gid(): t for t in ax.texts}
    dark = texts["heatmap-value:Kestrel Vale:Q1 Person's voice"]
    light = texts["heatmap-value:Northwold:Q10 Legislation"]
    assert dark.get_color() == "#FFFFFF" and light.get_color() == "#0B0C0C"


def test_heatmap_marks_cells_without_ratings_and_bolds_highlight():
    shares = pd.DataFrame({"Q1": [0.9, 0.5], "Q2": [np.nan, 0.75]}, index=["A", "B"])
    counts = pd.DataFrame({"Q1": [20, 20], "Q2": [0, 16]}, index=["A", "B"])
    ax = charts.heatmap(shares, counts, highlight="B", title="Test")
    texts = {t.get_gid(): t.get_text() for t in ax.texts if t.get_gid()}
    assert texts["heatmap-value:A:Q2"] == "–"
    assert texts["heatmap-value:B:Q2"] == "75%" and texts["heatmap-n:B:Q2"] == "n=16"
    assert "heatmap-n:A:Q1" not in texts
    assert [t.get_fontweight() for t in ax.get_yticklabels()] == ["normal", "bold"]
    assert ax.get_title(loc="left") == "Test"
    text = charts.alt_text_heatmap(shares, counts)
    assert "1 cell has no ratings" in text
    assert "Lowest 50%: B on Q1." in text and "Highest 90%: A on Q1." in text


def test_heatmap_alt_text_names_lowest_and_highest_cells(heat_frames):
    shares, counts = heat_frames
    text = charts.alt_text_heatmap(shares, counts)
    assert text.startswith("Heat map of the share rated Good or better for 14 councils by 12 "
                           "questions, n = 20 cases per cell except 8 cells (17 to 19).")
    lowest = (shares * 100).round().min().min()
    assert lowest == 15
    assert ("Lowest 15%, in 2 cells: Northwold on Q10 Legislation and Q11 Management "
            "oversight.") in text
    assert "Highest 100%, in 18 cells: Kestrel Vale on 10 questions;" in text


# ------------------------------------------------------------------ council judgements


def test_council_judgement_bars_bold_the_highlight(council_counts):
    ax = charts.council_judgement_bars(council_counts, highlight="Dudley", title="Judgements")
    ticks = ax.get_yticklabels()
    assert [t.get_text() for t in ticks] == [f"{c} (n=20)" for c in council_counts.index]
    weights = {t.get_text(): t.get_fontweight() for t in ticks}
    assert weights["Dudley (n=20)"] == "bold"
    assert {w for text, w in weights.items() if text != "Dudley (n=20)"} == {"normal"}
    assert sorted(_legend(ax)) == sorted(LEVELS)
    widths = {c.get_label(): [p.get_width() for p in c.patches] for c in ax.containers}
    dudley = list(council_counts.index).index("Dudley")
    # Dudley 2022-24: 5 Outstanding, 13 Good, 2 Requires Improvement, 0 Inadequate.
    assert widths["Outstanding"][dudley] == pytest.approx(25)
    assert widths["Good"][dudley] == pytest.approx(65)
    assert widths["Requires Improvement"][dudley] == pytest.approx(-10)
    assert widths["Inadequate"][dudley] == pytest.approx(0)


def test_council_judgement_bars_keep_input_order_unless_sorted(council_counts):
    ax = charts.council_judgement_bars(council_counts)
    assert ax.get_yticklabels()[0].get_text().startswith("Ashcombe")
    ax = charts.council_judgement_bars(council_counts, sort=True, highlight="Northwold")
    ticks = ax.get_yticklabels()
    assert ticks[0].get_text().startswith("Kestrel Vale")
    assert ticks[-1].get_text().startswith("Northwold")
    assert ticks[-1].get_fontweight() == "bold"


def test_council_judgements_alt_text(council_counts):
    text = charts.alt_text_council_judgements(council_counts)
    total = council_counts.to_numpy().sum()
    assert text.startswith("Diverging bar chart of overall judgements for 14 councils, 20 "
                           "cases each.")
    assert "judged Good or better ranges from 30% (Northwold) to 100% (Kestrel Vale)." in text
    assert f"Across all {total} cases: Outstanding {council_counts['Outstanding'].sum()} (" \
        in text
    assert "Inadequate" in text


# ------------------------------------------------------------------ change


def test_change_plot_draws_both_reviews_with_intervals_and_arrows(changes):
    assert list(changes.index) == ["Ashcombe", "Greyhaven", "Lydmouth", "Northwold"]
    ax = charts.change_plot(changes, title="Change")
    before = next(c for c in ax.collections if c.get_gid() == "change-point:before")
    after = next(c for c in ax.collections if c.get_gid() == "change-point:after")
    np.testing.assert_allclose(before.get_offsets()[:, 0], changes["before_share"] * 100)
    np.testing.assert_allclose(after.get_offsets()[:, 0], changes["after_share"] * 100)
    # Earlier above later on each row, and different shapes as well as shades.
    assert np.all(before.get_offsets()[:, 1] < after.get_offsets()[:, 1])
    assert _is_marker(before, "s") and _is_marker(after, "o")
    assert to_hex(before.get_facecolor()[0]) != to_hex(after.get_facecolor()[0])
    for when in ("before", "after"):
        interval = next(c for c in ax.collections if c.get_gid() == f"change-interval:{when}")
        segments = interval.get_segments()
        assert len(segments) == len(changes)
        for segment, (_, row) in zip(segments, changes.iterrows(), strict=True):
            np.testing.assert_allclose(sorted(segment[:, 0]),
                                       [row[f"{when}_low"] * 100, row[f"{when}_high"] * 100])
    arrows = [t for t in ax.texts if t.get_gid() == "change-arrow"]
    assert len(arrows) == len(changes)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(changes.index)  # none beyond
    legend = _legend(ax)
    assert legend[0] == "Earlier review (2019), with 95% interval"
    assert legend[1] == "Later review (2022-24), with 95% interval"
    assert "(none here)" in legend[2]
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "change-label"]
    assert labels[1] == "70% → 90% (+20 pts)"
    assert labels[-1] == "30% → 30% (±0 pts)"


def test_change_beyond_chance_is_marked_with_a_star():
    frame = _change_frame({"Alpha": (150, 240, 205, 240), "Beta": (16, 20, 17, 20)})
    assert frame["beyond_chance"].tolist() == [True, False]
    ax = charts.change_plot(frame)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Alpha *", "Beta"]
    assert "* change beyond what chance would give" in _legend(ax)
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "change-label"]
    assert labels == ["62.5% → 85.4% (+22.9 pts)", "80.0% → 85.0% (+5.0 pts)"]
    text = charts.alt_text_change(frame)
    assert "Alpha 62% (2019) to 85% (2022-24); Beta 80% (2019) to 85% (2022-24)." in text
    assert ("The change for Alpha (marked *) goes beyond what chance would give; for the "
            "other 1 there is no clear evidence of a change.") in text


def test_change_alt_text(changes):
    text = charts.alt_text_change(changes)
    assert text.startswith("Chart of the share Good or better for 4 councils in their earlier "
                           "and later reviews, each with its 95% interval:")
    assert "Greyhaven 70% (2019) to 90% (2022-24)" in text
    assert "Northwold 30% (2019) to 30% (2022-24)" in text
    assert text.endswith("No change goes beyond what chance would give: there is no clear "
                         "evidence of a change for any council.")


# ------------------------------------------------------------------ saving


def test_every_cross_chart_saves(tmp_path, judgement_table, heat_frames, council_counts,
                                 changes):
    axes = [charts.funnel_plot(judgement_table, highlight="Dudley"),
            charts.heatmap(*heat_frames), charts.council_judgement_bars(council_counts),
            charts.change_plot(changes)]
    for i, ax in enumerate(axes):
        path = charts.save_figure(ax, tmp_path / f"chart-{i}.png")
        assert path.stat().st_size > 10_000


def test_councils_outside_the_998_limits_are_filled_darker(judgement_table):
    ax = charts.funnel_plot(judgement_table)
    northwold, kestrel = (_point_collection(ax, c) for c in ("Northwold", "Kestrel Vale"))
    assert judgement_table.loc["Northwold", "flag"] == "below998"
    assert judgement_table.loc["Kestrel Vale", "flag"] == "above95"
    assert to_hex(northwold.get_facecolor()[0]) != to_hex(kestrel.get_facecolor()[0])
    assert to_hex(kestrel.get_facecolor()[0]) == charts.CONTEXT_COLOUR.lower()
    legend = _legend(ax)
    assert "Below the 99.8% limits too" in legend
    assert "Above the 99.8% limits too" not in legend  # no council is


def test_change_chart_keeps_title_and_legend_inside_the_figure_with_long_names():
    """Long names (a region, or "Bath and North East Somerset") wrap onto two lines, so the
    title and legend, which start at the axes' left edge, stay inside the figure."""
    frame = _change_frame({"Yorkshire and the Humber": (331, 400, 353, 400),
                           "Bath and North East Somerset": (15, 20, 17, 20),
                           "London": (16, 20, 17, 20)})
    ax = charts.change_plot(frame, title="Case records judged Outstanding or Good, earlier "
                                         "and later, by region")
    figure = ax.figure
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    width = figure.bbox.width
    titles = [t for t in ax.get_children() if isinstance(t, matplotlib.text.Text)
              and t.get_text().startswith("Case records judged")]
    assert titles
    for artist in (ax.get_legend(), *titles):
        box = artist.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width + 0.5, artist
    first = ax.get_yticklabels()[0].get_text()
    assert first.startswith("Yorkshire and the\nHumber")


def test_every_cross_chart_takes_a_title_and_an_axes(judgement_table, heat_frames,
                                                     council_counts, changes):
    """``title=`` and ``ax=`` on each chart of the cross-council report: drawn where asked."""
    drawn = {
        "funnel_plot": (charts.funnel_plot, judgement_table),
        "dot_plot": (charts.dot_plot, judgement_table),
        "heatmap": (charts.heatmap, *heat_frames),
        "council_judgement_bars": (charts.council_judgement_bars, council_counts),
        "change_plot": (charts.change_plot, changes),
    }
    for name, (chart, *args) in drawn.items():
        figure, (mine, other) = plt.subplots(1, 2, layout="constrained")
        assert chart(*args, ax=mine, title=f"My {name}") is mine, name
        assert f"My {name}" in (mine.get_title(loc="left"), mine.get_title()), name
        assert other.get_title(loc="left") == other.get_title() == ""
        plt.close(figure)
