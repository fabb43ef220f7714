"""Summaries, including the published section-4 tables of Dudley 2022-24."""

import math

import pandas as pd
import pytest

from review_lib.analysis.summary import (
    Proportion,
    auditor_summary,
    count_table_text,
    format_percent,
    good_or_better,
    headline_sentence,
    level_counts,
    question_summary,
    review_summary,
    wilson_interval,
)
from review_lib.data.published import printed_percent_differences, published_counts
from review_lib.data.scale import LEVELS


def test_dudley_ratings_equal_the_published_table(dudley):
    table = level_counts(dudley.ratings["rating"])
    assert list(table.index) == list(LEVELS)
    assert table["count"].tolist() == [59, 143, 37, 1]
    assert table.attrs["n"] == 240 == 20 * 12
    pd.testing.assert_series_equal(
        table["count"], published_counts("Dudley", "2022-24", "ratings"), check_names=False)
    # Percentages are computed from the counts, not copied: 37/240 is 15.4%, not the 15.5%
    # the report prints.
    assert table["percent"].tolist() == pytest.approx([59 / 2.4, 143 / 2.4, 37 / 2.4, 1 / 2.4])
    assert format_percent(table.loc["Requires Improvement", "percent"] / 100, 1) == "15.4%"


def test_dudley_judgements_equal_the_published_table(dudley):
    table = level_counts(dudley.judgements["judgement"])
    assert table["count"].tolist() == [5, 13, 2, 0]
    assert table["percent"].tolist() == pytest.approx([25, 65, 10, 0])
    pd.testing.assert_series_equal(
        table["count"], published_counts("Dudley", "2022-24", "overall"), check_names=False)


def test_dudley_per_question_split_matches_design(dudley, catalogue):
    table = question_summary(dudley.ratings, dudley.not_applicable, catalogue)
    assert table["Outstanding"].tolist() == [8, 6, 2, 5, 7, 5, 5, 4, 7, 4, 1, 5]
    assert table["Requires Improvement"].tolist() == [1, 2, 7, 3, 1, 2, 2, 4, 1, 5, 7, 2]
    assert table["Inadequate"].tolist() == [0] * 10 + [1, 0]
    assert (table["n"] == 20).all()
    assert table.loc["Q11", "label"] == "Management oversight"


def test_dudley_weakest_cases_are_judged_requires_improvement(dudley):
    scores = dudley.ratings.assign(score=dudley.ratings["rating"].cat.codes + 1)
    mean = scores.groupby("case")["score"].mean()
    judged = dudley.judgements.set_index("case")["judgement"]
    weakest = set(mean.nsmallest(2).index)
    assert set(judged[judged == "Requires Improvement"].index) == weakest


def test_printed_percentages_that_do_not_follow_from_counts_are_found():
    off = printed_percent_differences()
    assert set(off["level"]) == {"Requires Improvement", "Inadequate"}


def test_headline_sentence_for_dudley(dudley):
    assert headline_sentence(dudley.judgements["judgement"]) == (
        "18 of 20 case records (90%) were rated Outstanding or Good, "
        "and 2 (10%) Requires Improvement.")


def test_headline_sentence_lists_every_lower_level():
    values = pd.Series(["Good"] * 15 + ["Requires Improvement"] * 3 + ["Inadequate"] * 2)
    assert headline_sentence(values) == (
        "15 of 20 case records (75%) were rated Outstanding or Good; "
        "3 (15%) Requires Improvement and 2 (10%) Inadequate.")
    assert headline_sentence(pd.Series(["Good"])) == (
        "1 of 1 case record (100%) was rated Outstanding or Good.")


def test_wilson_interval_matches_a_worked_example():
    # 18 of 20, z = 1.959964: centre = (0.9 + z^2/40) / (1 + z^2/20) = 0.83557,
    # half-width = z * sqrt(0.9*0.1/20 + z^2/1600) / (1 + z^2/20) = 0.13661.
    low, high = wilson_interval(18, 20)
    assert low == pytest.approx(0.69897, abs=1e-5)
    assert high == pytest.approx(0.97213, abs=1e-5)


def test_wilson_interval_edges():
    low, high = wilson_interval(20, 20)
    assert high == 1.0 and low == pytest.approx(0.83887, abs=1e-5)
    assert wilson_interval(0, 20)[0] == 0.0
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    with pytest.raises(ValueError):
        wilson_interval(21, 20)


def test_good_or_better_carries_interval_and_n(dudley):
    share = good_or_better(dudley.judgements["judgement"])
    assert isinstance(share, Proportion)
    assert (share.successes, share.n, share.share) == (18, 20, 0.9)
    assert share.describe() == "90% (95% CI 70% to 97%, n = 20)"


def test_level_counts_keep_all_levels_with_zeros():
    table = level_counts(pd.Series(["Good", "Good"]))
    assert table["count"].tolist() == [0, 2, 0, 0]
    empty = level_counts(pd.Series([], dtype=object))
    assert empty["count"].tolist() == [0, 0, 0, 0] and empty.attrs["n"] == 0


def test_question_summary_counts_not_applicable(sample_programme, catalogue):
    review = sample_programme.review("Ashcombe", "2019")
    table = question_summary(review.ratings, review.not_applicable, catalogue)
    assert table["not_applicable"].sum() == len(review.not_applicable) > 0
    assert ((table["n"] + table["not_applicable"]) == review.n_cases).all()


def test_auditor_summary(dudley):
    table = auditor_summary(dudley.ratings, dudley.judgements)
    assert table["cases"].tolist() == [5, 5, 5, 5]
    assert table["n"].sum() == 240


def test_review_summary(sample_programme):
    table = review_summary(sample_programme.ratings, sample_programme.judgements)
    row = table.loc[("Dudley", "2022-24")]
    assert (row["n"], row["good_or_better"], row["cases"], row["cases_good"]) == (240, 202, 20, 18)


def test_count_table_text(dudley):
    text = count_table_text(level_counts(dudley.ratings["rating"]), "Ratings")
    assert "Requires Improvement    37 (15.4%)" in text
    assert "Total                  240" in text
