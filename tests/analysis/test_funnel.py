"""Funnel methods, clustered ratings and the paired question test as the reports use them.

Reference values from other packages are in test_reference_stats.py; these tests pin what
the sample's councils get, what metrics.json carries, and how the method is chosen.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import write_small_programme
from scipy import stats as sps

from review_lib.analysis.clustered import (
    clustered_proportion,
    programme_design_effect,
    ratings_good_or_better,
)
from review_lib.analysis.comparison import cross_metrics, programme_funnels
from review_lib.analysis.funnel import chance_outside, funnel_table
from review_lib.analysis.metrics import council_metrics
from review_lib.analysis.paired import compare_questions
from review_lib.batch.jobs import plan_cross_jobs, plan_jobs
from review_lib.batch.run import run_batch
from review_lib.paths import SAMPLE_DIR
from review_lib.report.context import open_review


@pytest.fixture(scope="module")
def cycle(sample_programme):
    return sample_programme.in_cycle("2022-24")


def test_sample_flags_by_exact_limits(cycle):
    funnels = programme_funnels(cycle)
    judged = funnels.judgements["flag"]
    # Under the old Wilson-at-target limits Kestrel Vale (20 of 20) was above the 99.8%
    # limits and Pennant Cross and Ravensfield (19 of 20) above the 95% limits.
    assert judged["Kestrel Vale"] == "above95"
    assert judged["Northwold"] == "below998"
    assert (judged.drop(["Kestrel Vale", "Northwold"]) == "within").all()
    # The p-values behind them, against scipy.
    target = 229 / 280
    assert funnels.judgements.loc["Kestrel Vale", "p_above"] == pytest.approx(
        sps.binom.sf(19, 20, target))
    assert funnels.judgements.loc["Northwold", "p_below"] == pytest.approx(
        sps.binom.cdf(6, 20, target))
    # Question ratings at their effective n: Greyhaven, Ravensfield, Dudley and Corrington,
    # once named as outliers from ratings treated as independent, are within.
    rated = funnels.ratings["flag"]
    assert rated["Kestrel Vale"] == "above998" and rated["Northwold"] == "below998"
    assert (rated.drop(["Kestrel Vale", "Northwold"]) == "within").all()
    # Each council at its effective n: its own design effect or the programme's, whichever
    # is larger; the programme's where its own cannot be estimated (Kestrel Vale: 238 of
    # 240, its two ratings below Good in fewer than five records; issue 26).
    programme = funnels.ratings.attrs["programme_design_effect"]
    assert 3 < programme < 5
    assert funnels.ratings.attrs["axis"] == "effective_n"
    for council, row in funnels.ratings.iterrows():
        own = ratings_good_or_better(cycle.ratings[cycle.ratings["council"] == council])
        expected = max(own.design_effect, programme) if own.estimated else programme
        assert row["design_effect"] == pytest.approx(expected)
        assert row["effective_n"] == pytest.approx(row["n"] / row["design_effect"])
    assert funnels.ratings.loc["Dudley", "design_effect"] == pytest.approx(5.0, abs=0.05)
    assert funnels.ratings.loc["Kestrel Vale", "design_effect"] == pytest.approx(programme)


def test_fingertips_method_on_the_sample(cycle):
    table = programme_funnels(cycle, "fingertips").judgements
    assert table.attrs["method"] == "fingertips"
    assert table.loc["Kestrel Vale", "flag"] == "above95"
    assert table.loc["Northwold", "flag"] == "below998"
    # Limits clipped to 0-100%, as phe_funnels clips them.
    assert table["upper998"].max() == 1.0
    assert table["lower95"].min() > 0


def test_unknown_method_and_design_effect_are_refused():
    frame = pd.DataFrame({"successes": [15], "n": [20]}, index=["A"])
    with pytest.raises(ValueError, match="unknown funnel method 'wilson'"):
        funnel_table(frame, method="wilson")
    with pytest.raises(ValueError, match="design_effect must be at least 1"):
        funnel_table(frame, design_effect=0.5)
    with pytest.raises(ValueError, match="funnel_limits must be one of exact, fingertips"):
        open_review("Dudley", "2022-24", funnel_limits="normal")


def test_chance_outside_is_the_binomial_probability_of_the_flagged_counts():
    table = funnel_table(pd.DataFrame({"successes": [15, 20], "n": [20, 20]}, index=["A", "B"]),
                         target=0.8)
    x = np.arange(21)
    flagged = (x / 20 > table["upper95"].iloc[0]) | (x / 20 < table["lower95"].iloc[0])
    expected = sps.binom.pmf(x[flagged], 20, 0.8).sum()
    np.testing.assert_allclose(chance_outside(table, "95"), expected)
    assert expected < 0.05


def test_clustered_share_bounds_and_fallback():
    # Every rating alike: no variance to estimate, so each record counts once.
    good = np.ones(24, dtype=bool)
    share = clustered_proportion(good, np.repeat(np.arange(2), 12))
    assert not share.estimated and share.design_effect == 12 and share.effective_n == 2
    # Ratings that agree less than chance within records are not worth more than
    # independent ones.
    alternating = np.tile([True, False], 12)
    share = clustered_proportion(alternating, np.repeat(np.arange(12), 2))
    assert share.design_effect == 1.0
    # Records whose ratings all agree: at most one per record.
    records = np.repeat(np.arange(20), 12)
    share = clustered_proportion(np.repeat(np.arange(20) % 4 != 0, 12), records)
    assert share.design_effect == pytest.approx(12.0) and share.effective_n == pytest.approx(20)
    assert "design effect 12.0" in share.describe()


def test_programme_design_effect_is_within_councils(cycle):
    within = programme_design_effect(cycle.ratings)
    pooled = ratings_good_or_better(cycle.ratings).design_effect
    # Differences between councils add to the pooled figure, not to the funnel's.
    assert 1 < within < pooled


def test_council_metrics_carry_design_effect_and_question_test(sample_programme):
    dudley = sample_programme.review("Dudley", "2022-24")
    metrics = council_metrics(dudley)
    assert metrics["design_effect"] == pytest.approx(
        ratings_good_or_better(dudley.ratings).design_effect)
    assert metrics["effective_n"] == pytest.approx(240 / metrics["design_effect"])
    block = metrics["ratings_good_or_better"]
    assert block["cases"] == 20 and block["n"] == 240 and block["count"] == 202
    assert block["ci_low"] < 0.79 and block["ci_high"] > 0.88  # wider than independent
    comparison = metrics["question_comparison"]
    assert comparison["questions_differ"] is True
    assert comparison["stand_out"] == {"Q3": "below", "Q11": "below"}
    assert comparison["permutations"] == 2000
    json.dumps(metrics, allow_nan=False)


def test_cross_metrics_rows_carry_method_and_p_values(cycle):
    for method in ("exact", "fingertips"):
        metrics = cross_metrics(cycle, method)
        assert metrics["method"] == method
        for block in (metrics, metrics["question_ratings"],
                      metrics["question_ratings_adjusted"]):
            for row in block["councils"].values():
                assert row["method"] == method
                assert 0 <= row["p_above"] <= 1 and 0 <= row["p_below"] <= 1
                assert {"effective_n", "flag", "lower95", "upper998"} <= set(row)
        assert metrics["question_ratings"]["design_effect"] > 1
        assert metrics["programme_ratings"]["design_effect"] > 1
        assert metrics["programme_ratings"]["effective_n"] < 3349
        json.dumps(metrics, allow_nan=False)


def test_question_comparison_respects_not_applicable_answers(tmp_path):
    frame = pd.DataFrame([(f"Case {i}", q, "Good" if (i + j) % 3 else "Inadequate")
                          for i in range(20) for j, q in enumerate(["Q1", "Q2", "Q3"])],
                         columns=["case", "question", "rating"])
    partial = frame.drop(index=[0, 4, 8])  # three answers not applicable
    result = compare_questions(partial, ["Q1", "Q2", "Q3"], permutations=400)
    assert result.cases == 20
    assert result.per_question["n"].tolist() == [19, 19, 19]
    assert not math.isnan(result.p_value)
    one = compare_questions(frame[frame["question"] == "Q1"], ["Q1", "Q2"], permutations=50)
    assert math.isnan(one.p_value) and not one.differ


def test_the_method_reaches_only_the_notebooks_that_draw_funnels(sample_programme, tmp_path):
    reviews = [sample_programme.review("Dudley", "2022-24")]
    jobs = plan_jobs(reviews, data=SAMPLE_DIR, questions=None, reports_dir=tmp_path,
                     figures_dir=None, funnel_limits="fingertips")
    by_notebook = {job.notebook: job.parameters for job in jobs}
    assert by_notebook["council_leadership"]["funnel_limits"] == "fingertips"
    assert "funnel_limits" not in by_notebook["council_distributions"]
    cross = plan_cross_jobs(["2022-24"], data=SAMPLE_DIR, questions=None,
                            reports_dir=tmp_path, figures_dir=None, funnel_limits="fingertips")
    assert cross[0].parameters["funnel_limits"] == "fingertips"


@pytest.mark.slow
def test_run_with_fingertips_limits(tmp_path):
    folder, questions = write_small_programme(tmp_path / "data")
    summary = run_batch(data=folder, questions=questions, reports_dir=tmp_path / "reports",
                        figures_dir=tmp_path / "figures", jobs=2, funnel_limits="fingertips")
    assert not summary.failed, [o.message for o in summary.outcomes if not o.ok]
    cross = next((tmp_path / "reports").glob("*/metrics.json"))
    metrics = json.loads(cross.read_text())
    assert metrics["method"] == "fingertips"
    findings = next((tmp_path / "reports").glob("*/*/leadership.html")).read_text()
    assert "Fingertips method" in findings
    with pytest.raises(ValueError, match="funnel_limits must be one of"):
        run_batch(data=folder, questions=questions, reports_dir=tmp_path / "r2",
                  funnel_limits="wilson")


def test_auditor_intervals_allow_for_clustering(sample_programme):
    from review_lib.analysis.summary import auditor_summary

    dudley = sample_programme.review("Dudley", "2022-24")
    table = auditor_summary(dudley.ratings, dudley.judgements)
    for auditor, row in table.iterrows():
        own = ratings_good_or_better(dudley.ratings[dudley.ratings["auditor"] == auditor])
        assert own.clusters == 5
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((own.ci_low, own.ci_high))
        assert row["design_effect"] == pytest.approx(own.design_effect)
        assert row["effective_n"] <= row["n"]


def test_cross_council_change_points_to_the_clustered_ratings_changes(sample_programme):
    from review_lib.analysis.stats import newcombe_difference
    from review_lib.report.wording.regional import changes_between_cycles

    text = changes_between_cycles(sample_programme, "2022-24")
    # No overall-judgement change goes beyond chance, so no "single change" prompt.
    assert "None of the 4 changes goes beyond chance" in text
    assert "a single change just beyond chance" not in text
    # Lydmouth's ratings rose beyond chance even with their clustering allowed for.
    lydmouth = newcombe_difference(
        ratings_good_or_better(sample_programme.review("Lydmouth", "2019").ratings),
        ratings_good_or_better(sample_programme.review("Lydmouth", "2022-24").ratings))
    assert lydmouth.ci_low > 0
    assert "there the change goes beyond chance for Lydmouth (a rise)" in text
