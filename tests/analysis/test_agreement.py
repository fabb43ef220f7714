"""Agreement and leniency, checked against published worked examples.

Sources of the reference figures (each cited again at its test):

* Krippendorff, K. (2011) "Computing Krippendorff's Alpha-Reliability", the 4 observers x 12
  units example with missing values: alpha 0.743 nominal, 0.815 ordinal, 0.849 interval.
  The data below match the `krippendorff` package's own test (pln-fing-udelar/fast-
  krippendorff, tests/test_krippendorff.py::test_ordinal_metric) and docstring.
* The same data are irrCAC's `cac.raw4raters` (Gwet 2014, Handbook of Inter-Rater
  Reliability, 4th ed., p. 120). irrCAC's README / vignettes (kgwet/irrCAC) print AC1 =
  0.77544 (pa = 0.8181818), AC2 = 0.914 with quadratic weights; the Python port's tests
  (afergadis/irrCAC, test/unit/irrCAC/raw/test_gwet.py) give AC2 = 0.859 with linear
  weights. irrCAC's copy puts unit 12's single rating (3) under Rater3 rather than observer
  B; every coefficient depends only on per-unit value counts, so both layouts are tested.
* Fleiss, J. L. (1971) Psychological Bulletin 76: 378-382, 30 patients x 6 raters: 0.430.
* SAS/STAT PROC FREQ agreement example, table [[0,4,1],[0,8,0],[0,1,5]]: simple kappa 0.4842,
  Cicchetti-Allison weighted kappa 0.4701 (as used by statsmodels' own tests).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from review_lib.analysis.agreement import (
    AgreementSummary,
    agreement_summary,
    bootstrap_interval,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac,
    krippendorff_alpha,
    leniency,
    percent_agreement,
    units_by_raters,
)

NA = np.nan

# Krippendorff (2011): observers A-D (columns) x units 1-12 (rows), NaN = '.' (missing).
KRIPPENDORFF_2011 = pd.DataFrame(
    {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
        "C": [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
    },
    index=pd.RangeIndex(1, 13, name="unit"),
)
# irrCAC's cac.raw4raters layout: unit 12's lone "3" belongs to Rater3 instead of B.
IRRCAC_RAW4RATERS = KRIPPENDORFF_2011.set_axis(["Rater1", "Rater2", "Rater3", "Rater4"], axis=1)
IRRCAC_RAW4RATERS.loc[12] = [NA, NA, 3, NA]
BOTH_LAYOUTS = pytest.mark.parametrize(
    "data", [KRIPPENDORFF_2011, IRRCAC_RAW4RATERS], ids=["krippendorff", "irrcac"]
)

# Fleiss (1971) diagnoses, 30 patients x 6 psychiatrists, categories 1-5. Copied from
# statsmodels' statsmodels/stats/tests/test_inter_rater.py (`diagnoses`, itself R irr's
# `diagnoses` data set); kappa 0.430 (R irr::kappam.fleiss: 0.4302445).
# One token per patient: the six raters' categories.
_FLEISS_ROWS = """
444444 222555 233335 555555 222444 113333 333355 113334 114444 555555
144444 124444 222333 144444 224445 333335 111455 111112 224444 133555
555555 244444 224555 114444 144445 222224 111155 224444 133333 555555
"""
FLEISS_1971 = pd.DataFrame(
    [[int(c) for c in row] for row in _FLEISS_ROWS.split()],
    columns=[f"rater{i}" for i in range(1, 7)],
)

# SAS PROC FREQ agreement example (rows: rater A's category 1-3, columns: rater B's).
SAS_TABLE = np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]])


def expand_table(table: np.ndarray) -> pd.DataFrame:
    """One row per unit with the two raters' categories (1-based) from a contingency table."""
    pairs = [(i + 1, j + 1) for (i, j), n in np.ndenumerate(table) for _ in range(n)]
    return pd.DataFrame(pairs, columns=["a", "b"], dtype=float)


# --- published reference values ----------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
)
def test_krippendorff_alpha_reproduces_krippendorff_2011(level, published):
    assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(published, abs=0.001)


@BOTH_LAYOUTS
@pytest.mark.parametrize(
    ("weights", "published"), [("identity", 0.775), ("quadratic", 0.914), ("linear", 0.859)]
)
def test_gwet_ac_reproduces_irrcac_raw4raters(data, weights, published):
    assert gwet_ac(data, weights) == pytest.approx(published, abs=0.001)


@BOTH_LAYOUTS
def test_gwet_ac1_with_explicit_observed_categories(data):
    # irrCAC uses the categories observed, 1..5; passing them explicitly changes nothing.
    assert gwet_ac(data, categories=[1, 2, 3, 4, 5]) == pytest.approx(0.775, abs=0.001)


@BOTH_LAYOUTS
def test_unit_averaged_percent_agreement_reproduces_irrcac_pa(data):
    # irrCAC pa.coeff.raw(cac.raw4raters): 0.8181818
    assert percent_agreement(data, average="units") == pytest.approx(0.8181818, abs=1e-6)


def test_fleiss_kappa_reproduces_fleiss_1971():
    result = fleiss_kappa(FLEISS_1971)
    assert result.estimate == pytest.approx(0.430, abs=0.001)
    assert (result.n_units, result.n_raters) == (30, 6)


def test_fleiss_kappa_refuses_unequal_numbers_of_ratings():
    with pytest.raises(ValueError, match="same number of ratings"):
        fleiss_kappa(KRIPPENDORFF_2011)


def test_cohen_kappa_reproduces_sas_simple_and_linear():
    pairs = expand_table(SAS_TABLE)
    simple = cohen_kappa(pairs["a"], pairs["b"])
    linear = cohen_kappa(pairs["a"], pairs["b"], weights="linear")
    assert simple.estimate == pytest.approx(0.4842, abs=0.0001)
    assert linear.estimate == pytest.approx(0.4701, abs=0.0001)
    assert simple.n_units == linear.n_units == 19


def test_cohen_kappa_keeps_categories_and_skips_missing():
    pairs = expand_table(SAS_TABLE)
    # An unused category (4) leaves simple kappa unchanged ...
    assert cohen_kappa(pairs["a"], pairs["b"], categories=[1, 2, 3, 4]).estimate == (
        pytest.approx(0.4842, abs=0.0001)
    )
    # ... and units that only one rater scored are left out.
    extra = pd.DataFrame({"a": [1.0, NA], "b": [NA, 3.0]})
    padded = pd.concat([pairs, extra], ignore_index=True)
    result = cohen_kappa(padded["a"], padded["b"], weights="linear")
    assert result.n_units == 19
    assert result.estimate == pytest.approx(0.4701, abs=0.0001)


# --- hand-checkable cases -----------------------------------------------------------------


def test_percent_agreement_by_hand():
    scores = pd.DataFrame({"x": [1, 2, 4, 3], "y": [1, 3, 2, NA], "z": [1, NA, 4, NA]})
    # Unit 1: 3 pairs, all exact. Unit 2: one pair, 1 apart. Unit 3: pairs (4,2) (4,4) (2,4):
    # one exact, none other adjacent. Unit 4: rated once, no pairs. 7 pairs in all.
    assert percent_agreement(scores) == pytest.approx(4 / 7)
    assert percent_agreement(scores, adjacent=True) == pytest.approx(5 / 7)
    assert percent_agreement(scores, average="units") == pytest.approx((1 + 0 + 1 / 3) / 3)


def test_undefined_coefficients_are_nan():
    single = pd.DataFrame({"x": [1, NA], "y": [NA, 2]})
    assert np.isnan(krippendorff_alpha(single))
    assert np.isnan(gwet_ac(single))
    assert np.isnan(percent_agreement(single))
    assert np.isnan(cohen_kappa(single["x"], single["y"]).estimate)


def test_leniency_detects_a_generous_rater():
    consensus = pd.Series([1, 2, 3, 3, 2, 1, 2, 3, 2, 1, 2, 3] * 2, dtype=float)
    scores = pd.DataFrame(
        {"generous": consensus + 1, "exact": consensus, "moderator": consensus}
    )
    result = leniency(scores, consensus="moderator")
    assert "moderator" not in result.index
    assert result.loc["generous", "mean_difference"] == pytest.approx(1.0)
    assert result.loc["generous", "direction"] == "more generous"
    assert result.loc["generous", "n_units"] == 24
    assert result.loc["exact", "direction"] == "no clear difference"
    # The same with the consensus given as a Series.
    as_series = leniency(scores.drop(columns="moderator"), consensus=consensus)
    assert as_series.loc["generous", "direction"] == "more generous"
    assert (as_series["reference"] == "consensus").all()


def test_leniency_sees_no_clear_difference_in_balanced_noise():
    consensus = pd.Series([2, 3, 2, 3, 2, 3] * 5, dtype=float)
    noise = np.tile([1, -1, 0, -1, 1, 0], 5)
    scores = pd.DataFrame({"noisy": consensus + noise, "severe": consensus - 1})
    result = leniency(scores, consensus=consensus)
    assert result.loc["noisy", "mean_difference"] == pytest.approx(0.0)
    assert result.loc["noisy", "low"] < 0 < result.loc["noisy", "high"]
    assert result.loc["noisy", "direction"] == "no clear difference"
    assert result.loc["severe", "direction"] == "more severe"


def test_leniency_without_consensus_compares_with_the_other_raters():
    base = pd.Series([1, 2, 3, 4, 2, 3] * 4, dtype=float)
    scores = pd.DataFrame({"high": base + 1, "b": base, "c": base})
    result = leniency(scores)
    # "high" minus the mean of b and c is +1 on every unit; b minus mean(high, c) is -0.5.
    assert result.loc["high", "mean_difference"] == pytest.approx(1.0)
    assert result.loc["b", "mean_difference"] == pytest.approx(-0.5)
    assert result.loc["high", "direction"] == "more generous"
    assert (result["reference"] == "other raters").all()


def test_leniency_is_scipys_t_test_adjusted_for_the_raters_of_the_exercise():
    from scipy import stats

    rng = np.random.default_rng(5)
    scores = pd.DataFrame(rng.normal(0, 0.3, (9, 4)), columns=list("ABCD")).assign(C0=0.0)
    scores["B"] += 0.4
    result = leniency(scores, "C0")
    for rater in "ABCD":
        test = stats.ttest_1samp(scores[rater], 0.0)
        ci = test.confidence_interval(1 - 0.05 / 4)  # Bonferroni over the four raters
        row = result.loc[rater]
        assert row["p_value"] == pytest.approx(test.pvalue, rel=1e-9)
        assert row["p_adjusted"] == pytest.approx(min(1.0, 4 * test.pvalue), rel=1e-9)
        assert (row["low"], row["high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)
        assert row["interval_confidence"] == pytest.approx(0.9875)
        named = row["direction"] != "no clear difference"
        assert named == (row["p_adjusted"] < 0.05) == (not row["low"] <= 0 <= row["high"])


# --- bootstrap and summary ---------------------------------------------------------------


def test_bootstrap_interval_contains_estimate_and_is_reproducible():
    def stat(s):
        return gwet_ac(s, "quadratic", [1, 2, 3, 4, 5])

    first = bootstrap_interval(stat, KRIPPENDORFF_2011, n_boot=300, seed=7)
    again = bootstrap_interval(stat, KRIPPENDORFF_2011, n_boot=300, seed=7)
    other = bootstrap_interval(stat, KRIPPENDORFF_2011, n_boot=300, seed=8)
    assert first == again
    assert first != other
    assert first.low <= stat(KRIPPENDORFF_2011) <= first.high
    assert first.confidence == 0.95 and first.n_boot == 300


def test_bootstrap_interval_skips_and_counts_nan_replicates():
    scores = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    calls = iter(range(100))

    def flaky(s):
        return NA if next(calls) % 4 == 0 else float(s["x"].mean())

    result = bootstrap_interval(flaky, scores, n_boot=100, seed=0)
    assert result.n_failed == 25
    assert 1.0 <= result.low <= result.high <= 3.0


def test_agreement_summary_matches_the_point_estimates():
    consensus = KRIPPENDORFF_2011.median(axis=1).round().rename("moderated")
    summary = agreement_summary(KRIPPENDORFF_2011, consensus, n_boot=200, seed=0)
    assert isinstance(summary, AgreementSummary)
    assert summary.alpha_ordinal.estimate == pytest.approx(0.815, abs=0.001)
    assert summary.ac2_quadratic.estimate == pytest.approx(0.914, abs=0.001)
    assert summary.ac2_linear.estimate == pytest.approx(0.859, abs=0.001)
    assert (summary.alpha_ordinal.n_units, summary.alpha_ordinal.n_raters) == (11, 4)
    for est in (summary.alpha_ordinal, summary.ac2_quadratic, summary.exact_agreement):
        assert est.low <= est.estimate <= est.high
    assert summary.exact_agreement.estimate <= summary.adjacent_agreement.estimate
    pairwise = summary.pairwise
    assert len(pairwise) == 6 + 4
    assert list(pairwise["rater_b"].iloc[-4:]) == ["moderated"] * 4
    ab = pairwise.iloc[0]
    a, b = KRIPPENDORFF_2011["A"], KRIPPENDORFF_2011["B"]
    expected = cohen_kappa(a, b, "quadratic", categories=[1, 2, 3, 4, 5])
    assert ab["kappa_quadratic"] == pytest.approx(expected.estimate)
    assert ab["n_units"] == expected.n_units == 9


# --- reshaping ----------------------------------------------------------------------------


def test_units_by_raters_pivots_tidy_ratings():
    tidy = pd.DataFrame(
        {
            "case": ["c1", "c1", "c2", "c2", "c2"],
            "question": ["q1", "q1", "q1", "q2", "q2"],
            "auditor": ["ann", "bob", "ann", "ann", "bob"],
            "score": [3, 2, 4, 1, np.nan],
        }
    )
    by_case_item = units_by_raters(tidy, unit=["case", "question"])
    assert by_case_item.shape == (3, 2)
    assert by_case_item.loc[("c1", "q1"), "bob"] == 2
    assert np.isnan(by_case_item.loc[("c2", "q1"), "bob"])
    assert list(by_case_item.dtypes) == [np.float64, np.float64]


def test_units_by_raters_refuses_duplicates():
    tidy = pd.DataFrame(
        {"case": ["c1", "c1", "c2"], "auditor": ["ann", "ann", "bob"], "score": [3, 2, 4]}
    )
    with pytest.raises(ValueError, match=r"case 'c1' rated by auditor 'ann'"):
        units_by_raters(tidy)


# --------------------------------------------------------------------------- vectorised bootstrap


def _ragged_exercise(seed: int, n_cases: int = 9, n_items: int = 4, n_raters: int = 4):
    """Cases x items x raters on 1-4, with some ratings missing and one case unrated."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 5, (n_cases, n_items, 1))
    values = np.clip(truth + rng.choice([-1, 0, 0, 0, 1], (n_cases, n_items, n_raters)), 1, 4)
    values = values.astype(float)
    values[rng.random(values.shape) < 0.15] = np.nan
    values[0, :, 1:] = np.nan  # a case only one rater rated
    return values


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cluster_sums_give_the_replicates_of_the_row_by_row_bootstrap(seed):
    from review_lib.analysis.agreement import (
        agreement_sums,
        alpha_sums,
        cluster_bootstrap,
        gwet_sums,
        kappa_sums,
        resample_counts,
    )

    cube = _ragged_exercise(seed)
    n_cases, _, k = cube.shape
    rows = cube.reshape(n_cases, -1)
    counts = resample_counts(n_cases, 200, seed)
    cats = [1, 2, 3, 4]

    def on_items(f):
        return lambda r: f(np.asarray(r).reshape(-1, k))

    checks = [
        (alpha_sums(cube, cats), on_items(krippendorff_alpha)),
        (gwet_sums(cube, "quadratic", cats), on_items(lambda s: gwet_ac(s, "quadratic", cats))),
        (gwet_sums(cube, "identity", cats), on_items(lambda s: gwet_ac(s, "identity", cats))),
        (agreement_sums(cube), on_items(percent_agreement)),
        (agreement_sums(cube, adjacent=True), on_items(lambda s: percent_agreement(s, True))),
    ]
    pair = cube[:, :, [1, 2]]
    for w in ("linear", "quadratic"):
        def kappa(r, w=w):
            s = np.asarray(r).reshape(-1, 2)
            return cohen_kappa(s[:, 0], s[:, 1], weights=w, categories=cats).estimate

        checks.append((kappa_sums(pair, w, cats), kappa, pair.reshape(n_cases, -1)))
    for check in checks:
        sums, statistic, data = (*check, rows)[:3]
        # The point estimate is the package's own (krippendorff, statsmodels, irrCAC-style).
        assert sums.estimate() == pytest.approx(statistic(data), abs=1e-12)
        fast = cluster_bootstrap(sums, counts)
        slow = bootstrap_interval(statistic, data, n_boot=200, seed=seed)
        assert (fast.low, fast.high) == pytest.approx((slow.low, slow.high), abs=1e-12)
        assert fast.n_failed == slow.n_failed


def test_resample_counts_are_the_draws_of_bootstrap_interval():
    from review_lib.analysis.agreement import resample_counts

    counts = resample_counts(8, 50, 3)
    rng = np.random.default_rng(3)
    for row in counts:
        assert row.tolist() == np.bincount(rng.integers(0, 8, 8), minlength=8).tolist()
