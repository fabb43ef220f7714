"""Charts: inspect the Axes (patches, labels, legend), not pixels."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from review_lib.analysis.summary import auditor_summary, level_counts, question_summary
from review_lib.data.scale import LEVELS, RATING_DTYPE
from review_lib.report import charts


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _summary(rows: dict[str, tuple[int, int, int, int]], labels=None) -> pd.DataFrame:
    """A question_summary-shaped frame from (Outstanding, Good, RI, Inadequate) counts."""
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(LEVELS))
    frame.index.name = "question"
    frame["n"] = frame[list(LEVELS)].sum(axis=1)
    frame["share_good"] = (frame["Outstanding"] + frame["Good"]) / frame["n"]
    frame["not_applicable"] = 0
    if labels is not None:
        frame["label"] = labels
    return frame


@pytest.fixture
def small():
    # No Inadequate anywhere: the legend must still show it.
    return _summary({"Q1": (2, 5, 3, 0), "Q2": (0, 4, 0, 0), "Q3": (1, 1, 2, 0)},
                    labels=["Voice", "Strengths", "Community assets"])


def _widths(ax) -> dict[str, list[float]]:
    return {c.get_label(): [p.get_width() for p in c.patches] for c in ax.containers}


def _segment_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("segment-label")]


def _ticks(ax, axis="y") -> list[str]:
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in labels]


# ------------------------------------------------------------------ diverging bars


def test_legend_always_holds_the_four_levels(small):
    ax = charts.diverging_bars(small)
    assert small["Inadequate"].sum() == 0
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(legend) == sorted(LEVELS)
    # Left to right as the bars run, and the negative side is hatched in the legend too.
    assert legend == list(reversed(LEVELS))
    hatches = {h.get_label(): h.get_hatch() for h in ax.get_legend().legend_handles}
    assert hatches["Inadequate"] and hatches["Requires Improvement"]


def test_segment_widths_are_percentages_split_at_good(small):
    ax = charts.diverging_bars(small)
    widths = _widths(ax)
    assert set(widths) == set(LEVELS)
    # Q1: 2 O, 5 G, 3 RI of 10; Q2: 4 G of 4; Q3: 1, 1, 2 of 4. RI and I extend left.
    np.testing.assert_allclose(widths["Good"], [50, 100, 25])
    np.testing.assert_allclose(widths["Outstanding"], [20, 0, 25])
    np.testing.assert_allclose(widths["Requires Improvement"], [-30, 0, -50])
    np.testing.assert_allclose(widths["Inadequate"], [0, 0, 0])
    # Outstanding starts where Good ends; Inadequate where RI ends.
    lefts = {c.get_label(): [p.get_x() for p in c.patches] for c in ax.containers}
    np.testing.assert_allclose(lefts["Outstanding"], [50, 100, 25])
    np.testing.assert_allclose(lefts["Inadequate"], [-30, 0, -50])
    assert {"50%", "100%", "30%"} <= set(_segment_texts(ax))


def test_axis_is_symmetric_with_a_line_at_zero(small):
    ax = charts.diverging_bars(small)
    low, high = ax.get_xlim()
    assert low == pytest.approx(-high)
    assert any(np.allclose(line.get_xdata(), 0) for line in ax.lines)
    assert "percentage" in ax.get_xlabel().lower()
    # Ticks read as positive percentages on both sides.
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == labels[-1] and not any(t.startswith(("-", "−")) for t in labels)


def test_tick_labels_carry_id_label_and_n(small):
    ax = charts.diverging_bars(small)
    assert _ticks(ax) == ["Q1 Voice (n=10)", "Q2 Strengths (n=4)", "Q3 Community assets (n=4)"]
    renamed = charts.diverging_bars(small, labels={"Q2": "Second"})
    assert _ticks(renamed)[1] == "Second (n=4)"


def test_sort_orders_by_share_good_best_at_the_top(small):
    ax = charts.diverging_bars(small, sort=True)
    # Q2 100%, Q1 70%, Q3 50%; the first row is drawn at the top (y axis inverted).
    assert [t.split()[0] for t in _ticks(ax)] == ["Q2", "Q1", "Q3"]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]
    np.testing.assert_allclose(_widths(ax)["Good"], [100, 50, 25])


def test_not_applicable_and_empty_rows_are_shown():
    frame = _summary({"Q1": (1, 1, 0, 0), "Q2": (0, 0, 0, 0)})
    frame["not_applicable"] = [2, 4]
    ax = charts.diverging_bars(frame)
    assert _ticks(ax) == ["Q1 (n=2, 2 N/A)", "Q2 (n=0, 4 N/A)"]
    assert any("no applicable ratings" in t.get_text() for t in ax.texts)


def test_text_on_segments_contrasts_with_the_segment(small):
    ax = charts.diverging_bars(small)
    for text in ax.texts:
        gid = text.get_gid() or ""
        if gid.startswith("segment-label") and text.get_bbox_patch() is None and (
                text.get_horizontalalignment() == "center"):
            level = gid.split(":", 1)[1]
            expected = charts.text_colour_for(charts.LEVEL_COLOURS[level])
            assert matplotlib.colors.same_color(text.get_color(), expected)
    assert charts.text_colour_for("#12436D") == "#FFFFFF"
    assert charts.text_colour_for("#28A197") == "#0B0C0C"


def test_palette_reads_in_grey_and_avoids_red_green():
    assert set(charts.LEVEL_COLOURS.values()) <= set(charts.PALETTE)
    grey = {level: charts.base._luminance(colour) for level, colour in charts.LEVEL_COLOURS.items()}
    # Outer levels are darker than inner ones on each side of zero.
    assert grey["Outstanding"] < grey["Good"] - 0.1
    assert grey["Inadequate"] < grey["Requires Improvement"] - 0.1
    assert charts.LEVEL_HATCHES["Inadequate"] and charts.LEVEL_HATCHES["Requires Improvement"]
    assert charts.LEVEL_HATCHES["Inadequate"] != charts.LEVEL_HATCHES["Requires Improvement"]


def test_single_row_from_level_counts():
    counts = level_counts(pd.Series(["Good"] * 13 + ["Outstanding"] * 5
                                    + ["Requires Improvement"] * 2))
    ax = charts.diverging_bars(counts, labels=["Overall judgements"])
    assert _ticks(ax) == ["Overall judgements (n=20)"]
    widths = _widths(ax)
    assert widths["Good"] == pytest.approx([65]) and widths["Inadequate"] == [0]
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == sorted(LEVELS)


def test_long_labels_wrap_keeping_n_whole():
    label = "A much longer question label that goes on and on about practice"
    frame = _summary({"Q1": (1, 2, 1, 0)}, labels=[label])
    frame["not_applicable"] = 3
    (tick,) = _ticks(charts.diverging_bars(frame))
    assert "\n" in tick and tick.endswith("(n=4, 3 N/A)")
    assert tick.replace("\n", " ") == f"Q1 {label} (n=4, 3 N/A)"


def test_figure_height_grows_with_the_catalogue():
    rows = {f"Q{i}": (1, 2, 1, 0) for i in range(1, 31)}
    tall = charts.diverging_bars(_summary(rows)).figure.get_figheight()
    short = charts.diverging_bars(_summary({"Q1": (1, 2, 1, 0)})).figure.get_figheight()
    assert tall > 3 * short


def test_draws_on_a_given_axes(small):
    _, (left, right) = plt.subplots(1, 2)
    assert charts.diverging_bars(small, ax=right, title="Questions") is right
    assert right.get_title(loc="left") == "Questions"
    assert not left.patches


def test_bad_input_is_an_error(small):
    with pytest.raises(ValueError, match="missing"):
        charts.diverging_bars(small.drop(columns="Inadequate"))
    with pytest.raises(ValueError, match="labels"):
        charts.diverging_bars(small, labels=["only one"])


def test_dudley_question_chart(dudley, catalogue):
    summary = question_summary(dudley.ratings, dudley.not_applicable, catalogue)
    ax = charts.diverging_bars(summary)
    assert _ticks(ax)[2] == "Q3 Community assets (n=20)"
    np.testing.assert_allclose(_widths(ax)["Inadequate"][10], -5)
    assert charts.alt_text_diverging(summary) == (
        "Diverging bar chart of 12 questions, 20 cases each. Share rated Good or better "
        "ranges from 60% (Management oversight) to 95% (Person's voice, Mental capacity "
        "and Partnership).")


# ------------------------------------------------------------------ question panels


def _panel_texts(ax, kind: str) -> dict[str, str]:
    """The panels' texts of one kind by the rest of their gid: ``{"Q1": "...", ...}``."""
    prefix = f"panel-{kind}:"
    return {t.get_gid()[len(prefix):]: t.get_text() for t in ax.texts
            if (t.get_gid() or "").startswith(prefix)}


def test_question_panels_one_per_question_each_with_its_n(dudley, catalogue):
    summary = question_summary(dudley.ratings, dudley.not_applicable, catalogue)
    ax = charts.question_panels(summary)
    assert ax.figure.axes == [ax]  # one Axes: the panels are laid out on it by the inch
    headings = _panel_texts(ax, "heading")
    assert list(headings) == list(summary.index)
    assert headings["Q1"] == "Q1 Person's voice (n=20)"
    assert headings["Q11"] == "Q11 Management oversight\n(n=20)"  # "(n=20)" kept whole
    counts = _panel_texts(ax, "count")
    # A bar container per level, best first, with a bar per question in the rows' order.
    assert [c.get_label() for c in ax.containers] == list(LEVELS)
    scale = None
    for level, container in zip(LEVELS, ax.containers, strict=True):
        assert {to_hex(bar.get_facecolor()) for bar in container} == {
            charts.LEVEL_COLOURS[level].lower()}
        assert {bar.get_hatch() or "" for bar in container} == {charts.LEVEL_HATCHES[level]}
        for bar, (question, row) in zip(container, summary.iterrows(), strict=True):
            assert f"(n={int(row['n'])})" in headings[question]
            assert counts[f"{question}:{level}"] == (
                f"{int(row[level])} ({round(100 * row[level] / row['n'])}%)")
            if row[level]:  # one scale for every panel: width per count the same
                per_count = bar.get_width() / row[level]
                scale = scale or per_count
                assert per_count == pytest.approx(scale)
    # The levels are named beside the first panel of each row only: four rows of three.
    names = [t for t in ax.texts if (t.get_gid() or "").startswith("panel-level:")]
    assert len(names) == 4 * len(LEVELS)
    assert {t.get_text() for t in names} == {"Outstanding", "Good", "Requires\nImprovement",
                                             "Inadequate"}
    first_column = min(bar.get_x() for bar in ax.containers[0])
    assert all(t.get_position()[0] == first_column for t in names)
    # Every text inside the figure, and no two texts overlapping.
    figure = ax.figure
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert all(b.x0 >= 0 and b.y0 >= 0 and b.x1 <= figure.bbox.x1 and b.y1 <= figure.bbox.y1
               for b in boxes)
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))


def test_question_panels_show_a_question_not_rated_and_refuse_bad_input():
    summary = _summary({"Q1": (2, 5, 3, 0), "Q2": (0, 0, 0, 0)}, labels=["Voice", "Carers"])
    ax = charts.question_panels(summary, ncols=2)
    assert _panel_texts(ax, "heading")["Q2"] == "Q2 Carers (n=0)"
    assert "not rated in this review" in [t.get_text() for t in ax.texts]
    assert not [key for key in _panel_texts(ax, "count") if key.startswith("Q2:")]
    text = charts.alt_text_question_panels(summary)
    assert text == ("2 bar charts, one for each question, of how many case records were "
                    "rated at each level. Q1 Voice, 10 records: Outstanding 2, Good 5, "
                    "Requires Improvement 3 and Inadequate 0. Q2 Carers: not rated in this "
                    "review.")
    with pytest.raises(ValueError, match="ncols must be at least 1"):
        charts.question_panels(summary, ncols=0)
    with pytest.raises(ValueError, match="missing"):
        charts.question_panels(summary.drop(columns="Good"))


def test_every_council_chart_takes_a_title_and_an_axes(dudley, catalogue, tiny_review):
    """``title=`` and ``ax=`` on each chart of a council's reports: drawn where asked."""
    summary = question_summary(dudley.ratings, dudley.not_applicable, catalogue)
    ratings, judgements = tiny_review
    drawn = {
        "diverging_bars": (charts.diverging_bars, summary),
        "auditor_bars": (charts.auditor_bars, auditor_summary(ratings, judgements)),
        "judgement_bars": (charts.judgement_bars, level_counts(judgements["judgement"])),
        "case_profile": (charts.case_profile, ratings, judgements),
        "likert": (charts.likert, dudley.ratings),
    }
    for name, (chart, *args) in drawn.items():
        figure, (mine, other) = plt.subplots(1, 2, layout="constrained")
        assert chart(*args, ax=mine, title=f"My {name}") is mine, name
        assert mine.get_title(loc="left") == f"My {name}", name
        assert other.get_title(loc="left") == ""  # nothing drawn outside the given Axes
        plt.close(figure)
    figure, (mine, other) = plt.subplots(1, 2, layout="constrained")
    assert charts.question_panels(summary, ax=mine, title="My panels") is mine
    assert mine.get_title(loc="left") == "My panels" and len(_panel_texts(mine, "heading")) == 12
    assert not other.texts and other.get_title(loc="left") == ""
    plt.close(figure)
    assert charts.question_panels(summary, title="Own").figure.get_suptitle() == "Own"


# ------------------------------------------------------------------ auditors


def _ratings(cases: dict[str, tuple[str, str, list[str]]]) -> pd.DataFrame:
    """Tidy ratings from {case_ref: (pseudonym, auditor, [ratings...])}."""
    rows = []
    for ref, (case, auditor, levels) in cases.items():
        for i, level in enumerate(levels, start=1):
            rows.append({"council": "Testshire", "cycle": "2022-24", "case": case,
                         "case_ref": ref, "auditor": auditor, "question": f"Q{i}",
                         "rating": level})
    frame = pd.DataFrame(rows)
    frame["rating"] = frame["rating"].astype(RATING_DTYPE)
    return frame


@pytest.fixture
def tiny_review():
    g, o, ri, i = "Good", "Outstanding", "Requires Improvement", "Inadequate"
    ratings = _ratings({
        "SECRET-901": ("Case 01", "PSW A", [g, g, ri, i]),
        "SECRET-902": ("Case 02", "PSW A", [o, o, o, g]),
        "SECRET-903": ("Case 03", "PSW B", [g, g, ri, ri]),
    })
    judgements = pd.DataFrame({
        "council": "Testshire", "cycle": "2022-24",
        "case": ["Case 01", "Case 02", "Case 03"],
        "case_ref": ["SECRET-901", "SECRET-902", "SECRET-903"],
        "auditor": ["PSW A", "PSW A", "PSW B"],
        "judgement": pd.Categorical([ri, o, g], dtype=RATING_DTYPE)})
    return ratings, judgements


def test_auditor_bars(tiny_review):
    ratings, judgements = tiny_review
    summary = auditor_summary(ratings, judgements)
    ax = charts.auditor_bars(summary)
    assert _ticks(ax) == ["PSW A (2 cases, n=8)", "PSW B (1 case, n=4)"]
    np.testing.assert_allclose(_widths(ax)["Outstanding"], [37.5, 0])
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == sorted(LEVELS)
    text = charts.alt_text_auditors(summary)
    assert text == (
        "Diverging bar chart of ratings by 2 auditors, 4 to 8 ratings each (1 to 2 cases each). "
        "Share rated Good or better ranges from 50% (PSW B) to 75% (PSW A); each auditor rated "
        "different cases, so this mixes auditor and case differences.")


# ------------------------------------------------------------------ judgements


def test_judgement_bars_show_every_level_with_counts_and_percentages():
    counts = level_counts(pd.Series(["Good"] * 13 + ["Outstanding"] * 5
                                    + ["Requires Improvement"] * 2))
    ax = charts.judgement_bars(counts, title="Overall judgements")
    assert [t.replace("\n", " ") for t in _ticks(ax, "x")] == list(reversed(LEVELS))
    assert [p.get_height() for p in ax.patches] == [0, 2, 13, 5]
    annotations = {t.get_gid(): t.get_text() for t in ax.texts}
    assert annotations["bar-label:Inadequate"] == "0 (0%)"
    assert annotations["bar-label:Good"] == "13 (65%)"
    assert "n=20" in ax.get_xlabel()
    assert charts.alt_text_judgements(counts) == (
        "Bar chart of overall judgements for 20 cases: Outstanding 5 (25%), Good 13 (65%), "
        "Requires Improvement 2 (10%) and Inadequate 0 (0%). 18 of 20 cases (90%) were "
        "judged Good or better.")


# ------------------------------------------------------------------ case profile


def test_case_profile_uses_pseudonyms_only(tiny_review):
    ratings, judgements = tiny_review
    ax = charts.case_profile(ratings, judgements)
    ticks = _ticks(ax)
    # Sorted by judgement, best first.
    assert ticks == ["Case 02", "Case 03", "Case 01"]
    everything = " ".join([*ticks, *(t.get_text() for t in ax.texts), ax.get_title()])
    assert "SECRET" not in everything
    judged = [t.get_text() for t in ax.texts if t.get_gid() == "judgement-label"]
    assert judged == ["Outstanding", "Good", "Requires Improvement"]
    widths = _widths(ax)
    # Counts of the case's questions, not percentages: Case 01 has 2 G, 1 RI, 1 I.
    assert widths["Good"] == [1, 2, 2] and widths["Inadequate"] == [0, 0, -1]
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == sorted(LEVELS)


def test_case_profile_ignores_case_ref_column(tiny_review):
    ratings, judgements = tiny_review
    ax = charts.case_profile(ratings.drop(columns="case_ref"),
                             judgements.drop(columns="case_ref"))
    assert _ticks(ax) == ["Case 02", "Case 03", "Case 01"]


def test_case_profile_breaks_ties_by_mean_rating(dudley):
    ax = charts.case_profile(dudley.ratings, dudley.judgements)
    ticks = _ticks(ax)
    assert sorted(ticks) == sorted(dudley.judgements["case"])
    assert not set(ticks) & set(dudley.case_pseudonyms())
    judged = [t.get_text() for t in ax.texts if t.get_gid() == "judgement-label"]
    order = [LEVELS.index(j) for j in judged]
    assert order == sorted(order)
    assert judged.count("Requires Improvement") == 2


def test_case_profile_refuses_two_reviews(tiny_review):
    ratings, judgements = tiny_review
    other = ratings.assign(council="Elsewhere")
    with pytest.raises(ValueError, match="more than one review"):
        charts.case_profile(pd.concat([ratings, other]), judgements)


def test_case_profile_alt_text(tiny_review):
    ratings, judgements = tiny_review
    text = charts.alt_text_case_profile(ratings, judgements)
    assert text.startswith("Chart of 3 cases, each showing how many of its 4 questions")
    assert "Outstanding (1) had 4 questions rated Good or better" in text
    assert "Good (1) 2" in text and "Requires Improvement (1) 2" in text
    assert "SECRET" not in text


# ------------------------------------------------------------------ alt text


def test_alt_text_names_numbers_not_generic(small):
    text = charts.alt_text_diverging(small)
    assert text == ("Diverging bar chart of 3 questions, 4 to 10 cases each. Share rated Good "
                    "or better ranges from 50% (Community assets) to 100% (Strengths).")
    counts = level_counts(pd.Series(["Good"] * 3 + ["Inadequate"]))
    single = charts.alt_text_diverging(counts, what="overall judgements")
    assert single == ("Diverging bar chart of overall judgements (n=4): 0% Outstanding, 75% Good, "
                      "0% Requires Improvement and 25% Inadequate, so 75% were Good or better.")


def test_alt_text_when_every_row_is_equal():
    frame = _summary({"Q1": (0, 4, 0, 0), "Q2": (1, 3, 0, 0)})
    assert charts.alt_text_diverging(frame).endswith(
        "Every question has 100% rated Good or better.")


# ------------------------------------------------------------------ saving


def test_save_figure_writes_png_atomically(small, tmp_path):
    ax = charts.diverging_bars(small)
    target = tmp_path / "deep" / "folder" / "questions.png"
    written = charts.save_figure(ax, target)
    assert written == target
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in target.parent.iterdir()] == ["questions.png"]  # no temp left
    assert not plt.get_fignums()  # closed


def test_save_figure_replaces_and_cleans_up_on_failure(small, tmp_path):
    target = tmp_path / "chart.png"
    target.write_bytes(b"old")
    charts.save_figure(charts.diverging_bars(small).figure, target)
    assert target.read_bytes()[:4] == b"\x89PNG"

    class Broken(matplotlib.figure.Figure):
        def savefig(self, *args, **kwargs):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        charts.save_figure(Broken(), target)
    assert target.read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["chart.png"]


@pytest.mark.slow
def test_every_report_chart_fits_inside_its_figure(monkeypatch, tmp_path):
    """PNGs are saved without a tight bounding box, so nothing may spill past the figure."""
    from review_lib.paths import SAMPLE_DIR
    from review_lib.report import council as council_report
    from review_lib.report import cross as cross_report
    from review_lib.report import html as report
    from review_lib.report import leadership
    from review_lib.report.context import open_review

    checked = []
    save = report.png_data

    def check(fig, dpi=150):
        fig.canvas.draw()
        drawn = fig.get_tightbbox(fig.canvas.get_renderer())
        page = fig.bbox_inches.expanded(1 + 1e-9, 1 + 1e-9)  # floating-point rounding
        assert (drawn.x0 >= page.x0 and drawn.y0 >= page.y0 and drawn.x1 <= page.x1
                and drawn.y1 <= page.y1), (fig.axes[0].get_title(), drawn, page)
        checked.append(fig.axes[0].get_title(loc="left"))
        return save(fig, dpi)

    monkeypatch.setattr(report, "png_data", check)
    for council in ("Dudley", "Kestrel Vale"):  # twelve questions; the longest names
        # An empty chart folder: every chart is drawn, none read back from an earlier run.
        context = open_review(council, "2022-24", SAMPLE_DIR, figures_dir=tmp_path)
        council_report.question_chart(context)
        council_report.judgements_section(context)
        council_report.auditor_section(context)
        council_report.case_section(context)
        council_report.funnel_position(context)
        leadership.audit_data(context)  # the chart of every question, the question panels
    cycle = cross_report.open_cycle("2022-24", "Kestrel Vale", SAMPLE_DIR,
                                    figures_dir=tmp_path)
    cross_report.funnel_section(cycle, "judgements")
    cross_report.funnel_section(cycle, "ratings")
    cross_report.heatmap_section(cycle)
    cross_report.judgements_section(cycle)
    cross_report.change_section(cycle)
    # Five charts a council and the question panels (its chart of every question is the
    # findings report's, drawn once), and five cross-council charts.
    assert len(checked) == 17
