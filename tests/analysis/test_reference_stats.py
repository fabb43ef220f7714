"""Every statistic checked against numbers this project did not compute.

- PHEindicatormethods' published funnel test outputs (tests/reference/pheindicatormethods);
- scipy: exact binomial tests, Mann-Whitney;
- statsmodels: Wilson intervals, Newcombe differences, cluster-robust variances, Cochran's Q;
- FunnelPlotR's overdispersion formulas, worked through by hand on a small example;
- simulation: how often each funnel method flags a council when nothing but chance is at
  work, at n = 20 as at n = 240.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.contingency_tables import cochrans_q
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from review_lib.analysis.clustered import cluster_variance, clustered_proportion, wilson_at
from review_lib.analysis.funnel import (
    ALPHA,
    Z95,
    Z998,
    binomial_tails,
    chance_outside,
    estimate_overdispersion,
    exact_limits,
    fingertips_limits,
    funnel_table,
    overdispersed_limits,
)
from review_lib.analysis.paired import cochran_q, compare_questions
from review_lib.analysis.stats import case_mann_whitney, case_mean_scores, newcombe_difference
from review_lib.analysis.summary import Proportion, wilson_intervals

REFERENCE = Path(__file__).parent / "reference" / "pheindicatormethods"


def counts(pairs: dict[str, tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(pairs, orient="index", columns=["successes", "n"])


# --------------------------------------------------------------------------- PHE Fingertips


@pytest.fixture(scope="module")
def phe_inputs() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "testdata_funnel_prop_inputs.csv")


@pytest.fixture(scope="module")
def phe_outputs() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "testdata_funnel_prop_outputs.csv")


def test_fingertips_limits_reproduce_pheindicatormethods_outputs(phe_inputs, phe_outputs):
    # phe_funnels() computes the average from the inputs and evaluates sigma_adjustment at
    # 100 populations, clipping to 0-100; its expected output is published to 6 decimals.
    average = phe_inputs["numerator"].sum() / phe_inputs["denominator"].sum()
    assert average * 100 == pytest.approx(phe_outputs["Baseline"].iloc[0], abs=5e-7)
    population = phe_outputs["Population"].to_numpy(dtype=float)
    lower95, upper95 = fingertips_limits(average, population, Z95)
    lower998, upper998 = fingertips_limits(average, population, Z998)
    for ours, column in ((lower95, "Lower2s0025limit"), (upper95, "Upper2s0025limit"),
                         (lower998, "Lower3s0001limit"), (upper998, "Upper3s0001limit")):
        np.testing.assert_allclose(ours * 100, phe_outputs[column], rtol=0, atol=5e-5,
                                   err_msg=column)
    assert len(population) == 100


def test_fingertips_flags_reproduce_pheindicatormethods_significance(phe_inputs):
    table = funnel_table(phe_inputs.set_index("Area").rename(
        columns={"numerator": "successes", "denominator": "n"}), method="fingertips")
    labels = {"High (0.001)": "above998", "High (0.025)": "above95",
              "Low (0.001)": "below998", "Low (0.025)": "below95",
              "Not significant": "within"}
    expected = phe_inputs.set_index("Area")["significance"].map(labels)
    assert expected.notna().all()
    pd.testing.assert_series_equal(table["flag"], expected, check_names=False)
    # The published set has every kind of flag, so each branch is exercised.
    assert set(expected) == set(labels.values())


def test_the_old_wilson_at_target_curve_is_not_the_fingertips_method():
    # What the suite used to draw: the Wilson interval evaluated at the target. At n = 20
    # and the package's baseline 80.642448%, PHEindicatormethods' lower 95% limit is
    # 63.326743%; the Wilson-at-target curve gives 59.1%, more than 4 points lower.
    target, n = 0.80642448, 20
    lower, _ = fingertips_limits(target, n, Z95)
    assert lower * 100 == pytest.approx(63.326743, abs=5e-5)
    centre, half = target + Z95 ** 2 / (2 * n), Z95 * math.sqrt(
        target * (1 - target) / n + Z95 ** 2 / (4 * n * n))
    wilson_at_target = (centre - half) / (1 + Z95 ** 2 / n)
    assert wilson_at_target * 100 == pytest.approx(59.1, abs=0.05)


# --------------------------------------------------------------------------- exact binomial


@pytest.mark.parametrize("target", [0.05, 0.5, 229 / 280, 0.95])
def test_exact_p_values_are_scipy_binomtest(target):
    for n in (1, 7, 20, 61):
        for x in range(n + 1):
            above, below = binomial_tails(x, n, target)
            assert float(above) == pytest.approx(
                sps.binomtest(x, n, target, alternative="greater").pvalue, abs=1e-12)
            assert float(below) == pytest.approx(
                sps.binomtest(x, n, target, alternative="less").pvalue, abs=1e-12)


@pytest.mark.parametrize("target", [0.03, 0.5, 229 / 280, 0.97])
def test_exact_limits_agree_with_the_flags_at_every_count(target):
    # A point is outside a drawn limit exactly when scipy's one-sided p-value is below the
    # level, at every count from 0 of n to n of n.
    for n in [*range(1, 41), 120, 240]:
        x = np.arange(n + 1)
        share = x / n
        for level, alpha in ALPHA.items():
            lower, upper = exact_limits(target, n, alpha)
            above = sps.binom.sf(x - 1, n, target) < alpha
            below = sps.binom.cdf(x, n, target) < alpha
            np.testing.assert_array_equal(share > upper, above, err_msg=f"{n} {level}")
            np.testing.assert_array_equal(share < lower, below, err_msg=f"{n} {level}")
        table = funnel_table(pd.DataFrame({"successes": x, "n": n}), target=target)
        p_above = sps.binom.sf(x - 1, n, target)
        p_below = sps.binom.cdf(x, n, target)
        expected = np.where(p_below < 0.001, "below998",
                            np.where(p_below < 0.025, "below95",
                                     np.where(p_above < 0.001, "above998",
                                              np.where(p_above < 0.025, "above95",
                                                       "within"))))
        np.testing.assert_array_equal(table["flag"].to_numpy(), expected)


def test_exact_limits_at_whole_and_effective_n_are_continuous():
    # With a design effect, the limits are those of the effective n; the curve runs
    # smoothly between whole n.
    target = 0.78
    grid = np.linspace(20, 80, 241)
    lower, upper = exact_limits(target, grid, 0.025)
    assert np.all(np.diff(lower) > -1e-3) and np.all(np.diff(upper) < 1e-3)
    table = funnel_table(counts({"A": (190, 240), "B": (230, 240)}), target=target,
                         design_effect=4.0)
    assert table["effective_n"].tolist() == [60.0, 60.0]
    low60, high60 = exact_limits(target, 60.0, 0.025)
    assert table.loc["A", "lower95"] == pytest.approx(low60)
    assert table.loc["B", "upper95"] == pytest.approx(high60)
    # p-values at the effective count 57.5 of 60 lie between those at 57 and 58.
    above, _ = binomial_tails(57.5, 60.0, target)
    assert table.loc["B", "p_above"] == pytest.approx(float(above))
    assert sps.binom.sf(57, 60, target) < table.loc["B", "p_above"] < sps.binom.sf(56, 60,
                                                                                 target)


# --------------------------------------------------------------------------- calibration


def simulated_rates(method: str, n: int, target: float, draws: int, seed: int):
    """How often a council is flagged when its true share is the target (no difference)."""
    rng = np.random.default_rng(seed)
    x = rng.binomial(n, target, size=draws)
    values, frequency = np.unique(x, return_counts=True)
    table = funnel_table(pd.DataFrame({"successes": values, "n": n}), method=method,
                         target=target)
    flagged95 = table["flag"].to_numpy() != "within"
    flagged998 = np.isin(table["flag"].to_numpy(), ["above998", "below998"])
    return (frequency[flagged95].sum() / draws, frequency[flagged998].sum() / draws,
            float(chance_outside(table.iloc[:1], "95")[0]),
            float(chance_outside(table.iloc[:1], "998")[0]))


@pytest.mark.parametrize("n", [20, 240])
@pytest.mark.parametrize("target", [0.5, 229 / 280, 0.9])
def test_exact_limits_flag_no_more_often_than_nominal_under_no_difference(n, target):
    draws = 400_000
    rate95, rate998, stated95, stated998 = simulated_rates("exact", n, target, draws, n)
    # Monte Carlo standard error of a 5% rate over 400,000 councils is about 0.00034.
    assert rate95 <= 0.05 + 4 * math.sqrt(0.05 * 0.95 / draws)
    assert rate998 <= 0.002 + 4 * math.sqrt(0.002 * 0.998 / draws)
    # The rate the reports quote (chance_outside) is the rate the simulation achieves.
    assert rate95 == pytest.approx(stated95, abs=4 * math.sqrt(0.05 / draws))
    assert rate998 == pytest.approx(stated998, abs=4 * math.sqrt(0.002 / draws) + 1e-4)


def test_the_old_wilson_at_target_limits_over_flag_at_20_cases():
    # The suite's old curve (Wilson interval at the target) flagged about 1 council in 9
    # outside its "95%" limits at n = 20 and the sample's average of 81.8%.
    rng = np.random.default_rng(7)
    target, n, draws = 229 / 280, 20, 400_000
    x = rng.binomial(n, target, size=draws)
    centre = (target + Z95 ** 2 / (2 * n)) / (1 + Z95 ** 2 / n)
    half = Z95 * math.sqrt(target * (1 - target) / n + Z95 ** 2 / (4 * n * n)) / (
        1 + Z95 ** 2 / n)
    old_rate = np.mean((x / n < centre - half) | (x / n > centre + half))
    assert 0.10 < old_rate < 0.13
    exact95, _, _, _ = simulated_rates("exact", n, target, draws, 8)
    assert exact95 < 0.05 < old_rate


# --------------------------------------------------------------------------- FunnelPlotR


def test_overdispersion_matches_funnelplotr_formulas_worked_by_hand():
    # Six councils; the FunnelPlotR "PR" steps written out one by one (R/od_adjustment.R:
    # transformed_zscore, winsorisation, phi_func, tau_func; R/calculate_limits.R).
    x = [12.0, 15.0, 17.0, 18.0, 20.0, 9.0]
    n = [20.0, 20.0, 20.0, 20.0, 20.0, 24.0]
    target = sum(x) / sum(n)  # 91 / 124
    theta = math.asin(math.sqrt(target))
    z = [(math.asin(math.sqrt(xi / ni)) - theta) * 2 * math.sqrt(ni)
         for xi, ni in zip(x, n, strict=True)]

    def type7(values, p):  # R's default quantile
        ordered = sorted(values)
        h = (len(ordered) - 1) * p
        low = math.floor(h)
        return ordered[low] + (h - low) * (ordered[min(low + 1, len(ordered) - 1)]
                                           - ordered[low])

    lz, uz = type7(z, 0.1), type7(z, 0.9)
    wz = [min(max(v, lz), uz) for v in z]
    phi = sum(v * v for v in wz) / len(wz)
    w = [4 * ni for ni in n]  # 1 / s^2 with s = 1 / (2 sqrt(n))
    k = len(x)
    tau2 = max(0.0, (k * phi - (k - 1)) / (sum(w) - sum(v * v for v in w) / sum(w)))
    estimate = estimate_overdispersion(x, n, target)
    assert estimate.phi == pytest.approx(phi, rel=1e-12)
    assert estimate.tau2 == pytest.approx(tau2, rel=1e-12)
    assert phi > 1 and tau2 > 0
    # calculate_limits, PR: sin(asin(sqrt(target)) +- z sqrt(s^2 + tau2))^2.
    s2 = 1 / (4 * 20.0)
    expected_upper = math.sin(theta + 1.959964 * math.sqrt(s2 + tau2)) ** 2
    expected_lower = math.sin(theta - 3.090232 * math.sqrt(s2 + tau2)) ** 2
    assert overdispersed_limits(target, 20.0, Z95, tau2)[1] == pytest.approx(
        expected_upper, abs=1e-6)
    assert overdispersed_limits(target, 20.0, Z998, tau2)[0] == pytest.approx(
        expected_lower, abs=1e-6)
    # FunnelPlotR's adjustment scales each limit's distance from the target on the arcsine
    # scale by sqrt(s^2 + tau2) / s; the reports apply that ratio to the exact limits.
    plain_upper = math.sin(theta + 1.959964 * math.sqrt(s2)) ** 2
    ratio = ((math.asin(math.sqrt(expected_upper)) - theta)
             / (math.asin(math.sqrt(plain_upper)) - theta))
    assert ratio == pytest.approx(math.sqrt(1 + 4 * 20.0 * tau2), rel=1e-6)
    six = counts(dict(zip("ABCDEF", zip(x, n, strict=True), strict=True)))
    plain = funnel_table(six)
    table = funnel_table(six, overdispersion=True)
    assert table.attrs["adjusted"] is True
    top = math.pi / 2
    for council, (xi, ni) in zip("ABCDEF", zip(x, n, strict=True), strict=True):
        factor = math.sqrt(1 + 4 * ni * tau2)
        limits = {}
        for column in ("lower95", "upper95", "lower998", "upper998"):
            value = plain.loc[council, column]
            if 0 <= value <= 1:
                angle = theta + (math.asin(math.sqrt(value)) - theta) * factor
                value = math.sin(min(max(angle, 0.0), top)) ** 2
            limits[column] = value
            assert table.loc[council, column] == pytest.approx(value, abs=1e-9), column
        share = xi / ni
        expected = ("below998" if share < limits["lower998"] else
                    "below95" if share < limits["lower95"] else
                    "above998" if share > limits["upper998"] else
                    "above95" if share > limits["upper95"] else "within")
        assert table.loc[council, "flag"] == expected, council
        # Widening never narrows.
        assert table.loc[council, "upper95"] >= plain.loc[council, "upper95"]
        assert table.loc[council, "lower95"] <= plain.loc[council, "lower95"]
    # The chart draws the limits the text uses.
    from review_lib.report.charts.funnel import funnel_limits

    drawn_lower, _ = funnel_limits(table, np.array([24.0]), "95")
    assert drawn_lower[0] == pytest.approx(table.loc["F", "lower95"])


def test_no_overdispersion_adjustment_when_phi_is_at_most_one():
    estimate = estimate_overdispersion([16, 15, 17, 16, 16], [20] * 5, 0.8)
    assert estimate.phi <= 1 and not estimate.adjusts
    table = funnel_table(counts({"A": (16, 20), "B": (15, 20), "C": (17, 20)}),
                         overdispersion=True)
    assert table.attrs["adjusted"] is False
    pd.testing.assert_frame_equal(table, funnel_table(counts(
        {"A": (16, 20), "B": (15, 20), "C": (17, 20)})))


# --------------------------------------------------------------------------- statsmodels


def test_wilson_intervals_are_statsmodels_wilson():
    x = np.array([0, 1, 6, 13, 18, 20, 202, 2628])
    n = np.array([20, 20, 20, 20, 20, 20, 240, 3349])
    low, high = wilson_intervals(x, n)
    ref_low, ref_high = proportion_confint(x, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(low, ref_low, atol=1e-12)
    np.testing.assert_allclose(high, ref_high, atol=1e-12)
    # At a whole effective n, the clustered interval is the same Wilson interval.
    assert wilson_at(13 / 20, 20) == pytest.approx(proportion_confint(13, 20, method="wilson"))


@pytest.mark.parametrize("before,after", [((48, 80), (56, 70)), ((13, 20), (18, 20)),
                                          ((6, 20), (6, 20)), ((0, 20), (3, 20)),
                                          ((20, 20), (14, 20))])
def test_newcombe_is_statsmodels_newcomb(before, after):
    change = newcombe_difference(Proportion.of(*before), Proportion.of(*after))
    low, high = confint_proportions_2indep(after[0], after[1], before[0], before[1],
                                           method="newcomb", compare="diff")
    assert change.ci_low == pytest.approx(low, abs=1e-12)
    assert change.ci_high == pytest.approx(high, abs=1e-12)


def test_cluster_variance_is_statsmodels_cluster_robust_variance_of_the_mean(
        sample_programme):
    ratings = sample_programme.review("Dudley", "2022-24").ratings
    good = ratings["rating"].isin(["Outstanding", "Good"]).to_numpy(dtype=float)
    cases = ratings["case"].astype(str).to_numpy()
    fit = OLS(good, np.ones(len(good))).fit(cov_type="cluster",
                                            cov_kwds={"groups": pd.factorize(cases)[0]})
    variance, clusters = cluster_variance(good, cases)
    assert clusters == 20
    assert variance == pytest.approx(float(fit.bse[0]) ** 2, rel=1e-10)
    share = clustered_proportion(good.astype(bool), cases)
    independent = good.mean() * (1 - good.mean()) / len(good)
    assert share.design_effect == pytest.approx(float(fit.bse[0]) ** 2 / independent)
    assert share.effective_n == pytest.approx(len(good) / share.design_effect)
    # Dudley's 240 ratings are worth about 48 independent ones.
    assert 40 < share.effective_n < 60
    assert (share.ci_low, share.ci_high) == pytest.approx(
        proportion_confint(share.share * share.effective_n, share.effective_n,
                           method="wilson"), abs=1e-12)


def test_cochrans_q_is_statsmodels_on_complete_tables():
    rng = np.random.default_rng(3)
    for rows, columns, p in ((20, 12, 0.8), (40, 5, 0.5), (12, 3, 0.7)):
        table = (rng.random((rows, columns)) < p).astype(float)
        assert cochran_q(table) == pytest.approx(cochrans_q(table).statistic, rel=1e-12)


def test_cochrans_q_permutation_p_tracks_the_chi_square_p_for_a_large_table():
    # 300 records, 6 questions with real differences: the permutation p-value and
    # statsmodels' asymptotic one agree closely where the asymptotics hold.
    rng = np.random.default_rng(11)
    shares = np.array([0.72, 0.75, 0.78, 0.8, 0.8, 0.82])
    table = (rng.random((300, 6)) < shares).astype(int)
    frame = pd.DataFrame([(f"Case {i}", f"Q{j + 1}", "Good" if table[i, j] else
                           "Requires Improvement") for i in range(300) for j in range(6)],
                         columns=["case", "question", "rating"])
    result = compare_questions(frame, [f"Q{j + 1}" for j in range(6)], permutations=4000)
    reference = cochrans_q(table)
    assert result.statistic == pytest.approx(reference.statistic, rel=1e-12)
    assert result.p_asymptotic == pytest.approx(reference.pvalue, rel=1e-9)
    assert result.p_value == pytest.approx(reference.pvalue, abs=0.02)


def test_questions_equal_in_truth_rarely_differ_but_the_extremes_do():
    # Twelve questions with the same true share, 20 records: the paired test keeps its 5%
    # level, while a gap test between the largest and smallest share (what the suite used to
    # report) declares a difference in most samples.
    rng = np.random.default_rng(2024)
    questions = [f"Q{j + 1}" for j in range(12)]
    rejections = extremes = 0
    runs = 200
    for run in range(runs):
        # Records differ (as they do), questions do not.
        record_share = rng.beta(8, 2, size=20)
        table = rng.random((20, 12)) < record_share[:, None]
        frame = pd.DataFrame([(f"Case {i}", questions[j], "Good" if table[i, j] else
                               "Inadequate") for i in range(20) for j in range(12)],
                             columns=["case", "question", "rating"])
        result = compare_questions(frame, questions, permutations=500, seed=run)
        rejections += result.differ
        high, low = table.sum(axis=0).max(), table.sum(axis=0).min()
        change = newcombe_difference(Proportion.of(int(low), 20), Proportion.of(int(high), 20))
        extremes += change.beyond_chance
    assert rejections / runs <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / runs)
    assert extremes / runs > 0.5


# --------------------------------------------------------------------------- scipy


def test_case_level_mann_whitney_is_scipy_on_case_means(sample_programme):
    before = sample_programme.review("Lydmouth", "2019").ratings
    after = sample_programme.review("Lydmouth", "2022-24").ratings
    a, b = case_mean_scores(before), case_mean_scores(after)
    assert len(a) == len(b) == 20
    expected = sps.mannwhitneyu(a, b, alternative="two-sided").pvalue
    assert case_mann_whitney(before, after) == pytest.approx(expected, abs=1e-12)
