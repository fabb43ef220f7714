"""Statistics for 20 cases: Newcombe, Kruskal-Wallis, Holm, Mann-Whitney, chi-square rule.

Funnel limits and overdispersion are tested in test_funnel.py and against other packages'
published values in test_reference_stats.py.

Each check is against numbers worked out independently of review_lib.analysis.stats: by hand, by
solving the defining equation numerically, from a published worked example, or with scipy.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy import stats as sps

from review_lib.analysis.stats import (
    Z95,
    chi_square_allowed,
    good_counts,
    holm,
    kruskal_permutation,
    mann_whitney,
    newcombe_difference,
    question_tests,
)
from review_lib.analysis.summary import Proportion
from review_lib.data.catalogue import load_catalogue


@pytest.fixture(scope="module")
def cycle(sample_programme):
    return sample_programme.in_cycle("2022-24")


def counts(rows: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """A counts table as good_counts returns it: council -> (successes, n)."""
    return pd.DataFrame.from_dict(rows, orient="index", columns=["successes", "n"])


def wilson_score_roots(p: float, n: int, z: float) -> tuple[float, float]:
    """Wilson limits at p, found numerically rather than from the closed form.

    The Wilson score interval around an observed share p is the set of p0 with
    |p - p0| <= z * sqrt(p0 (1 - p0) / n); its ends are the roots of
    f(p0) = (p - p0)^2 - z^2 p0 (1 - p0) / n, one on each side of p.
    """
    def f(p0):
        return (p - p0) ** 2 - z * z * p0 * (1 - p0) / n

    # At p = 0 (or 1) one root is p itself; the other end is found away from it.
    tiny = 1e-12
    lower = 0.0 if p == 0 else optimize.brentq(f, 0.0, min(p, 1 - tiny), xtol=1e-15)
    upper = 1.0 if p == 1 else optimize.brentq(f, max(p, tiny), 1.0, xtol=1e-15)
    return lower, upper


def test_good_counts_counts_outstanding_and_good():
    frame = pd.DataFrame({"council": ["A"] * 4 + ["B"] * 2,
                          "judgement": ["Outstanding", "Good", "Requires Improvement",
                                        "Inadequate", "Good", "Good"]})
    table = good_counts(frame, "judgement")
    assert table.to_dict("index") == {"A": {"successes": 2, "n": 4},
                                      "B": {"successes": 2, "n": 2}}


# --------------------------------------------------------------------------- Newcombe


def test_newcombe_matches_the_published_worked_example():
    # Newcombe (1998) Statistics in Medicine 17:873-890, Table II, example (a):
    # 56/70 - 48/80 = 0.2000, method 10 (hybrid score) 95% interval 0.0524 to 0.3339.
    change = newcombe_difference(Proportion.of(48, 80), Proportion.of(56, 70))
    assert change.difference == pytest.approx(0.2)
    assert change.ci_low == pytest.approx(0.0524, abs=5e-5)
    assert change.ci_high == pytest.approx(0.3339, abs=5e-5)
    assert change.beyond_chance


def test_newcombe_from_numerically_solved_wilson_limits():
    # The same interval rebuilt from Wilson limits found by root-finding, not the formula.
    for (x1, n1), (x2, n2) in [((48, 80), (56, 70)), ((13, 20), (18, 20)), ((6, 20), (6, 20)),
                               ((0, 20), (3, 20)), ((20, 20), (14, 20))]:
        p1, p2 = x1 / n1, x2 / n2
        l1, u1 = wilson_score_roots(p1, n1, Z95)
        l2, u2 = wilson_score_roots(p2, n2, Z95)
        d = p2 - p1
        lower = d - math.hypot(p2 - l2, u1 - p1)
        upper = d + math.hypot(u2 - p2, p1 - l1)
        change = newcombe_difference(Proportion.of(x1, n1), Proportion.of(x2, n2))
        assert change.ci_low == pytest.approx(lower, abs=1e-9)
        assert change.ci_high == pytest.approx(upper, abs=1e-9)
        assert change.ci_low <= change.difference <= change.ci_high


def test_newcombe_within_chance_and_symmetry():
    change = newcombe_difference(Proportion.of(13, 20), Proportion.of(18, 20))
    assert (round(change.ci_low, 3), round(change.ci_high, 3)) == (-0.013, 0.479)
    assert not change.beyond_chance
    reverse = newcombe_difference(Proportion.of(18, 20), Proportion.of(13, 20))
    assert reverse.ci_low == pytest.approx(-change.ci_high)
    assert reverse.ci_high == pytest.approx(-change.ci_low)
    assert change.as_dict()["beyond_chance"] is False


# --------------------------------------------------------------------------- rank tests


def ordinal_groups(seed, sizes, probabilities):
    rng = np.random.default_rng(seed)
    return [rng.choice([1, 2, 3, 4], size=size, p=p)
            for size, p in zip(sizes, probabilities, strict=True)]


def test_kruskal_h_equals_scipy_on_tied_ordinal_data():
    groups = ordinal_groups(7, [20, 20, 18], [[.05, .15, .6, .2], [.05, .25, .5, .2],
                                              [.1, .2, .5, .2]])
    h, p_asymptotic, p_permutation = kruskal_permutation(groups)
    expected = sps.kruskal(*groups)
    assert h == pytest.approx(expected.statistic, rel=1e-12)
    assert p_asymptotic == pytest.approx(expected.pvalue, rel=1e-9)
    assert 0 < p_permutation <= 1
    # Heavily tied: two levels only.
    two = [np.array([3] * 15 + [2] * 5), np.array([3] * 10 + [2] * 10),
           np.array([3] * 18 + [2] * 2)]
    assert kruskal_permutation(two)[0] == pytest.approx(sps.kruskal(*two).statistic)


def test_kruskal_permutation_close_to_asymptotic_for_large_groups():
    # 150 ratings per group: the chi-square approximation is good, so the permutation
    # p-value (20,000 relabellings, Monte Carlo SE about 0.003) should be close to it.
    groups = ordinal_groups(11, [150, 150, 150], [[.05, .2, .55, .2], [.05, .25, .55, .15],
                                                  [.08, .27, .5, .15]])
    _, p_asymptotic, p_permutation = kruskal_permutation(groups, permutations=20000)
    assert p_asymptotic == pytest.approx(0.32, abs=0.01)
    assert p_permutation == pytest.approx(p_asymptotic, abs=0.015)
    # A large, clear difference: both p-values tiny; the permutation p-value is at its
    # floor of 1 / (1 + permutations).
    clear = ordinal_groups(3, [150, 150], [[.0, .1, .6, .3], [.2, .4, .3, .1]])
    h, p_asymptotic, p_permutation = kruskal_permutation(clear, permutations=999)
    assert h > 50
    assert p_asymptotic < 1e-10
    assert p_permutation == pytest.approx(1 / 1000)


def test_kruskal_permutation_is_reproducible_with_the_seed():
    groups = ordinal_groups(7, [20, 20, 18], [[.05, .15, .6, .2], [.05, .25, .5, .2],
                                              [.1, .2, .5, .2]])
    first = kruskal_permutation(groups, permutations=500, seed=1)
    assert kruskal_permutation(groups, permutations=500, seed=1) == first
    other = kruskal_permutation(groups, permutations=500, seed=2)
    assert other[:2] == first[:2]
    assert other[2] == pytest.approx(first[2], abs=0.03)
    # The default seed is fixed too.
    assert kruskal_permutation(groups) == kruskal_permutation(groups)


def test_kruskal_nan_when_all_tied_or_one_group():
    all_tied = kruskal_permutation([np.full(20, 3.0), np.full(20, 3.0)])
    assert all(math.isnan(v) for v in all_tied)
    one = kruskal_permutation([np.array([1.0, 2.0, 3.0])])
    assert all(math.isnan(v) for v in one)
    empty_dropped = kruskal_permutation([np.array([1.0, 2.0, 3.0]), np.array([])])
    assert all(math.isnan(v) for v in empty_dropped)


def test_mann_whitney_matches_scipy_and_is_nan_when_all_tied():
    before = pd.Series(["Good"] * 12 + ["Requires Improvement"] * 8)
    after = pd.Series(["Outstanding"] * 5 + ["Good"] * 14 + ["Requires Improvement"])
    expected = sps.mannwhitneyu([3] * 12 + [2] * 8, [4] * 5 + [3] * 14 + [2],
                                alternative="two-sided").pvalue
    assert mann_whitney(before, after) == pytest.approx(expected)
    assert math.isnan(mann_whitney(pd.Series(["Good"] * 3), pd.Series(["Good"] * 4)))
    assert math.isnan(mann_whitney(pd.Series([], dtype=object), after))


# --------------------------------------------------------------------------- Holm


def test_holm_against_a_hand_worked_example():
    # m = 4. Sorted: 0.005, 0.01, 0.03, 0.04.
    #   0.005 x 4 = 0.02
    #   0.01  x 3 = 0.03                       (running maximum 0.03)
    #   0.03  x 2 = 0.06                       (0.06)
    #   0.04  x 1 = 0.04 -> raised to the running maximum 0.06
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_keeps_nan():
    adjusted = holm([0.5, np.nan, 0.2, 0.01])
    # m = 3 valid: 0.01 x 3 = 0.03; 0.2 x 2 = 0.4; 0.5 x 1 = 0.5.
    np.testing.assert_allclose(adjusted, [0.5, np.nan, 0.4, 0.03])
    np.testing.assert_allclose(holm([0.6, 0.7]), [1.0, 1.0])
    assert holm([]).shape == (0,)


# --------------------------------------------------------------------------- chi-square


def test_chi_square_allowed_by_cochrans_rule():
    allowed, note = chi_square_allowed(np.array([[30, 20, 10], [25, 25, 12]]))
    assert allowed
    assert note == "every expected count is at least 1 and no more than 20% are below 5"
    # An all-zero level (Inadequate) is ignored rather than counted as small.
    assert chi_square_allowed(np.array([[30, 20, 0], [25, 25, 0]]))[0]


def test_chi_square_not_allowed_with_small_expected_counts():
    # Two councils of 20 over four levels: expected counts for the rare levels are tiny.
    table = np.array([[5, 12, 2, 1], [4, 13, 3, 0]])
    allowed, note = chi_square_allowed(table)
    assert not allowed
    # Expected: row totals 20 and 20, column totals 9, 25, 5, 1 -> 4.5, 12.5, 2.5, 0.5 twice;
    # 6 of 8 below 5 (75%), smallest 0.5.
    assert note == ("75% of expected counts are below 5 (smallest 0.5), so the chi-square "
                    "approximation is unsafe")
    # Every expected count 5 or more except one of ten cells (10%), but one below 1.
    assert not chi_square_allowed(np.array([[40, 40, 1], [40, 40, 0], [40, 40, 0],
                                            [40, 40, 0], [40, 40, 0]]))[0]
    assert chi_square_allowed(np.array([[20, 0], [0, 0]])) == (
        False, "fewer than two groups or levels have any ratings")


# --------------------------------------------------------------------------- question tests


@pytest.fixture(scope="module")
def sample_tests(cycle):
    return question_tests(cycle.ratings, cycle.catalogue)


def test_question_tests_on_the_sample(cycle, sample_tests):
    tests = sample_tests
    assert list(tests.index) == [f"Q{i}" for i in range(1, 13)]
    assert len(tests) == 12
    assert tests.loc["Q11", "label"] == "Management oversight"
    assert (tests["groups"] == 14).all()
    assert int(tests["n"].sum()) == len(cycle.ratings) == 3349
    # About 20 ratings per council spread over four levels: expected counts are too small
    # for chi-square on every question, and the note says why.
    assert not tests["chi2_used"].any()
    assert tests["chi2_p"].isna().all()
    for note in tests["chi2_note"]:
        assert "of expected counts are below 5" in note
        assert "the chi-square approximation is unsafe" in note
    # H is scipy's tie-corrected Kruskal-Wallis statistic.
    q1 = cycle.ratings[cycle.ratings["question"] == "Q1"]
    groups = [g["rating"].astype(object).map({"Outstanding": 4, "Good": 3,
                                              "Requires Improvement": 2,
                                              "Inadequate": 1}).to_numpy(float)
              for _, g in q1.groupby(q1["council"].astype(str))]
    assert tests.loc["Q1", "H"] == pytest.approx(sps.kruskal(*groups).statistic)
    # Holm never lowers a p-value, and beyond_chance follows the adjusted one.
    assert (tests["p_holm"] >= tests["p_permutation"] - 1e-12).all()
    assert (tests["beyond_chance"] == (tests["p_holm"] < 0.05)).all()
    # Kestrel Vale and Northwold differ on every question by design.
    assert tests["beyond_chance"].all()


def test_question_tests_check_the_small_count_claim(cycle, sample_tests):
    q1 = cycle.ratings[cycle.ratings["question"] == "Q1"]
    table = pd.crosstab(q1["council"].astype(str), q1["rating"].astype(object)).to_numpy()
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    share = (expected < 5).mean()
    assert sample_tests.loc["Q1", "chi2_note"].startswith(f"{share:.0%} of expected counts")


def test_question_tests_use_chi_square_where_counts_allow():
    catalogue = load_catalogue()
    rng = np.random.default_rng(4)
    levels = np.array(["Outstanding", "Good", "Requires Improvement", "Inadequate"])
    rows = [{"council": council, "question": "Q1",
             "rating": levels[rng.choice(4, p=[.3, .4, .2, .1])]}
            for council in ("A", "B", "C") for _ in range(100)]
    rows += [{"council": council, "question": "Q2", "rating": "Good"} for council in "AB"]
    tests = question_tests(pd.DataFrame(rows), catalogue, permutations=200)
    assert tests.loc["Q1", "chi2_used"]
    assert 0 < tests.loc["Q1", "chi2_p"] <= 1
    # Q2: every rating the same, so nothing can be tested; Q3 onwards: no ratings.
    assert math.isnan(tests.loc["Q2", "p_permutation"])
    assert not tests.loc["Q2", "chi2_used"]
    assert tests.loc["Q3", "chi2_note"] == "no ratings"
    assert tests.loc["Q3", "groups"] == 0
    assert not tests.loc["Q2", "beyond_chance"]


def test_mann_whitney_and_ranks_agree_with_scipy():
    """The numpy versions used in notebooks give scipy's answers (scipy.stats not imported)."""
    from scipy import stats as sps

    from review_lib.analysis.stats import mann_whitney_p, rank_average

    rng = np.random.default_rng(7)
    for _ in range(500):
        n1, n2 = rng.integers(1, 40, 2)
        a = rng.integers(1, 5, n1).astype(float)
        b = rng.integers(1, 5, n2).astype(float)
        values = np.concatenate([a, b])
        np.testing.assert_allclose(rank_average(values), sps.rankdata(values))
        if len(np.unique(values)) > 1:
            expected = sps.mannwhitneyu(a, b, alternative="two-sided").pvalue
            assert mann_whitney_p(a, b) == pytest.approx(expected, abs=1e-12)
    a, b = rng.normal(size=6), rng.normal(size=9)  # no ties: scipy's own method
    assert mann_whitney_p(a, b) == pytest.approx(
        sps.mannwhitneyu(a, b, alternative="two-sided").pvalue)
