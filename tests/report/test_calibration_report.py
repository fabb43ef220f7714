"""The calibration report: its wording, charts and sections, and its notebook end to end."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys

import nbformat
import pandas as pd
import pytest

from review_lib.data.sample import MODERATION_NAME
from review_lib.paths import PROJECT_ROOT, SAMPLE_DIR
from review_lib.report import calibration as section
from review_lib.report import charts
from review_lib.report.export import html_defects
from review_lib.report.section import Section


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    return section.open_exercise("", "2022-24", figures_dir=tmp_path_factory.mktemp("figs"),
                                 n_boot=200)


def _row(mean, low, high, direction, **judgement):
    return pd.Series({"mean_difference": mean, "low": low, "high": high,
                      "direction": direction, "judgement_mean_difference": 0.0,
                      "judgement_low": -0.1, "judgement_high": 0.1,
                      "judgement_direction": "no clear difference", **judgement})


# --------------------------------------------------------------------------- wording


@pytest.mark.parametrize(("value", "words"), [
    (0.0, "hardly any (less than a tenth of a level)"),
    (0.1, "about a tenth of a level"),
    (-0.27, "about a quarter of a level"),
    (-0.375, "about a third of a level"),  # issue 26: it had read "about half a level"
    (0.7, "about two thirds of a level"),
    (0.49, "about half a level"),
    (0.55, "about half a level"),
    (-0.8, "about three quarters of a level"),
    (1.02, "about one level"),
    (1.5, "about one and a half levels"),
    (2.0, "about two levels"),
])
def test_amounts_read_as_parts_of_a_level(value, words):
    assert section.amount(value) == words


def test_bands_follow_landis_and_koch():
    assert [section.band(v) for v in (-0.1, 0.0, 0.2, 0.21, 0.4, 0.55, 0.61, 0.8, 0.81, 1.0)] \
        == ["poor (no better than chance)", "slight", "slight", "fair", "fair", "moderate",
            "substantial", "substantial", "almost perfect", "almost perfect"]
    assert section.band(float("nan")) == "not defined"
    assert section.band_phrase(0.5, 0.3, 0.7) == ("moderate (its interval runs from fair to "
                                                  "substantial)")
    assert section.band_phrase(0.5, 0.45, 0.55) == ("moderate (its whole interval is in that "
                                                    "band)")
    assert "Landis, J. R. and Koch, G. G. (1977)" in section.LANDIS_KOCH_SOURCE
    assert "not pass marks" in section.BANDS_CAUTION


def test_an_auditor_is_named_only_when_the_interval_excludes_zero():
    generous = _row(0.49, 0.34, 0.61, "more generous")
    assert section.leniency_sentence("PSW B", generous, "consensus") == (
        "PSW B rated about half a level more generously than the consensus (+0.49 levels "
        "per case on average; 95% interval +0.34 to +0.61).")
    severe = _row(-1.0, -1.3, -0.7, "more severe")
    assert section.leniency_sentence("PSW D", severe, "other auditors").startswith(
        "PSW D rated about one level more severely than the other auditors (−1.00")
    # A large difference whose interval includes zero is not named, whatever its size.
    wide = _row(0.6, -0.05, 1.2, "no clear difference")
    assert section.leniency_sentence("PSW E", wide, "consensus") is None
    judged = _row(0.0, -0.1, 0.1, "no clear difference", judgement_mean_difference=0.75,
                  judgement_low=0.38, judgement_high=1.0,
                  judgement_direction="more generous")
    assert section.leniency_sentence("PSW A", judged, "consensus") is None
    assert section.leniency_sentence("PSW A", judged, "consensus", "judgement_") == (
        "PSW A's overall judgements were about three quarters of a level more generous than "
        "the consensus's (+0.75 levels per case on average; 95% interval +0.38 to +1.00).")


def test_leniency_text_names_the_sample_generous_and_severe_auditors_only(context):
    calibration = context.calibration
    assert dict(calibration.named["direction"]) == {"PSW B": "more generous",
                                                    "PSW D": "more severe"}
    text = " ".join(section.leniency_text(calibration))
    assert "PSW B rated about half a level more generously than the consensus" in text
    assert "PSW D rated about half a level more severely than the consensus" in text
    assert "For PSW A, PSW C and PSW E the intervals include zero: no clear evidence" in text
    for fair in ("PSW A", "PSW C", "PSW E"):
        assert not re.search(fair + r" rated .* more (generously|severely)", text)


def test_questions_text_names_the_question_read_differently(context):
    text = section.questions_text(context.calibration, context.labels)
    assert text.startswith("The auditors read this question differently: they agreed "
                           "clearly less on Q11 Management oversight (AC2 0.57")


def test_questions_text_when_none_stands_out(context):
    calibration = context.calibration
    table = calibration.per_question.assign(read_differently=False)
    quiet = type(calibration)(**{**calibration.__dict__, "per_question": table})
    text = section.questions_text(quiet, context.labels)
    assert text.startswith("No question stands out: agreement was lowest on Q11")


# --------------------------------------------------------------------------- sections


def test_sections_are_rich_objects_with_their_data(context):
    shown = {name: getattr(section, name)(context) for name in (
        "title", "summary", "agreement_section", "leniency_section", "questions_section",
        "pairs_section", "how_to_read", "methods", "footer")}
    for name, part in shown.items():
        assert isinstance(part, Section), name
        assert html_defects(part.html) == [], name
        assert "MX-" not in part.html and "Case 0" not in part.html, name
    assert f"<h1>Auditor calibration: {MODERATION_NAME}</h1>" in shown["title"].html
    assert "Synthetic sample data" in shown["title"].html
    assert list(shown["agreement_section"].frame.index) == [
        "alpha_ordinal", "ac2_quadratic", "ac2_linear", "exact_agreement",
        "adjacent_agreement"]
    pd.testing.assert_frame_equal(shown["leniency_section"].frame,
                                  context.calibration.leniency)
    assert "PSW B" in shown["leniency_section"].alt
    assert shown["questions_section"].frame.loc["Q11", "read_differently"]
    assert len(shown["pairs_section"].frame) == 10 + 5
    assert "not pass marks" in shown["agreement_section"].text
    assert "### Bands are not pass marks" in shown["how_to_read"].text
    assert shown["summary"].text.count("\n- ") >= 3
    assert "autumn-2023-calibration.xlsx" in shown["footer"].html
    # Each chart section holds its chart: the image shown, its alt text and caption.
    for name in ("leniency_section", "questions_section"):
        (chart,) = shown[name].charts
        assert chart.html in shown[name].html and chart.png.startswith(b"\x89PNG")
        assert chart.caption and f'alt="{html.escape(chart.alt)}"' in chart.html
    assert (context.figures_dir / "leniency.png").exists()
    assert (context.figures_dir / "question-agreement.png").exists()


def test_write_metrics_only_where_asked(context, tmp_path, monkeypatch):
    monkeypatch.delenv("PRACTICE_REVIEW_METRICS", raising=False)
    assert section.write_metrics(context) is None
    monkeypatch.setenv("PRACTICE_REVIEW_METRICS", str(tmp_path / "m.json"))
    written = section.write_metrics(context)
    metrics = json.loads(written.read_text())
    assert metrics["synthetic"] is True and metrics["exercise"] == MODERATION_NAME


def test_open_exercise_explains_what_is_missing():
    with pytest.raises(KeyError, match="Autumn 2023 calibration"):
        section.open_exercise("no such exercise")
    with pytest.raises(KeyError, match="no valid a moderation exercise in cycle 2019"):
        section.open_exercise("", "2019")
    assert section.open_exercise("autumn-2023-calibration", n_boot=10).exercise.name == \
        MODERATION_NAME


# --------------------------------------------------------------------------- charts


def test_leniency_chart_marks_direction_by_shape_and_text(context):
    table = context.calibration.leniency
    ax = charts.leniency_plot(table, title="t")
    gids = {c.get_gid(): c for c in ax.collections if c.get_gid()}
    assert {"leniency-point:more generous", "leniency-point:more severe",
            "leniency-point:no clear difference", "leniency-interval"} <= set(gids)
    generous = gids["leniency-point:more generous"].get_offsets()
    assert generous.tolist() == [[pytest.approx(table.loc["PSW B", "mean_difference"]), 1.0]]
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "leniency-label"]
    assert labels[1].startswith("+0.49") and labels[3].startswith("−0.54")
    assert [t.get_text() for t in ax.get_yticklabels()] == list(table.index)
    assert ax.get_xlim()[0] == -ax.get_xlim()[1]
    assert len(ax.get_legend().get_texts()) == 3
    alt = charts.alt_text_leniency(table)
    assert "PSW B +0.49" in alt and "more generous" in alt and "5 auditors" in alt


def test_question_chart_marks_the_question_read_differently(context):
    table = context.calibration.per_question
    ax = charts.question_agreement_plot(table, overall=0.83, labels=context.labels)
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[10] == "Q11 Management oversight *" and ticks[0] == "Q1 Person's voice"
    gids = {c.get_gid(): c for c in ax.collections if c.get_gid()}
    assert gids["question-point:different"].get_offsets().tolist() == [
        [pytest.approx(table.loc["Q11", "ac2_quadratic"]), 10.0]]
    assert any(line.get_gid() == "question-overall" for line in ax.lines)
    alt = charts.alt_text_question_agreement(table, overall=0.83, labels=context.labels)
    assert "Read differently" in alt and "Q11 Management oversight" in alt


def test_calibration_charts_fit_inside_their_figures(context):
    for ax in (charts.leniency_plot(context.calibration.leniency, title="Leniency"),
               charts.question_agreement_plot(context.calibration.per_question,
                                              overall=0.8, title="Questions")):
        figure = ax.figure
        figure.canvas.draw()
        drawn = figure.get_tightbbox(figure.canvas.get_renderer())
        page = figure.bbox_inches
        assert drawn.x0 >= page.x0 and drawn.x1 <= page.x1 and drawn.y1 <= page.y1


def test_calibration_charts_take_a_title_and_an_axes(context):
    import matplotlib.pyplot as plt

    drawn = {"leniency_plot": (charts.leniency_plot, context.calibration.leniency, {}),
             "question_agreement_plot": (charts.question_agreement_plot,
                                         context.calibration.per_question, {"overall": 0.8})}
    for name, (chart, table, options) in drawn.items():
        figure, (mine, other) = plt.subplots(1, 2, layout="constrained")
        assert chart(table, ax=mine, title=f"My {name}", **options) is mine, name
        assert f"My {name}" in (mine.get_title(loc="left"), mine.get_title()), name
        assert other.get_title(loc="left") == other.get_title() == ""
        plt.close(figure)


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_notebook_smoke_run_on_small_data(tmp_path):
    folder = tmp_path / "data" / "2024" / "moderation"
    folder.mkdir(parents=True)
    rows = ["Case,Auditor," + ",".join(f"Q{i}" for i in range(1, 13)) + ",Overall judgement"]
    levels = ["Good", "Good", "Outstanding", "Requires Improvement"]
    for case in range(4):
        for rater, shift in (("PSW A", 0), ("PSW B", 1), ("PSW C", 0), ("Consensus", 0)):
            ratings = [levels[(case + q + shift) % 4] for q in range(12)]
            rows.append(f"SECRET-{case},{rater}," + ",".join(ratings) + ",Good")
    (folder / "tiny.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "out.ipynb"
    command = [sys.executable, "-m", "papermill", "notebooks/auditor_calibration.ipynb",
               str(out), "--no-progress-bar", "-k", "python3", "-p", "cycle", "2024",
               "-p", "data_dir", str(tmp_path / "data"), "-p", "n_boot", "50",
               "-p", "figures_dir", str(tmp_path / "figures")]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    executed = nbformat.read(str(out), as_version=4)
    shown = "".join(str(o.get("data", {}).get("text/html", ""))
                    for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "<h1>Auditor calibration: tiny</h1>" in shown
    assert "Table 2. Each auditor" in shown and "SECRET-" not in shown
    assert "Synthetic sample data" not in shown
    assert (tmp_path / "figures" / "2024" / "moderation" / "tiny" / "leniency.png").exists()
    assert not (SAMPLE_DIR / "2024").exists()


def test_live_double_rating_gets_its_own_report(tmp_path):
    import csv
    import shutil

    from review_lib.data.loading import load_programme

    folder = tmp_path / "2022-24"
    (folder / "moderation").mkdir(parents=True)
    shutil.copy(SAMPLE_DIR / "2022-24" / "dudley.xlsx", folder)
    review = load_programme(folder, keep_case_refs=True).review("Dudley", "2022-24")
    with (folder / "moderation" / "second.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Council", "Case", "Auditor", *[f"Q{i}" for i in range(1, 13)],
                         "Overall judgement"])
        for ref, auditor in review.judgements[["case_ref", "auditor"]].head(6).itertuples(
                index=False):
            second = "PSW D" if str(auditor) != "PSW D" else "PSW C"
            writer.writerow(["Dudley", ref, second, *["Good"] * 12, "Good"])
    context = section.open_exercise("", "2022-24", tmp_path, n_boot=50)
    title = section.title(context)
    assert "Live double rating" in title.html and "dudley.xlsx" in title.html
    assert "6 case records were each rated by 2 of 3 auditors" in title.html
    assert "with no consensus, each auditor is compared with the mean of the others" in \
        section.leniency_section(context).text.lower()
    assert "first ratings from dudley.xlsx" in section.footer(context).html
    assert not context.synthetic
