"""A programme's changes as one frame: the same figures as each review's analysis."""

from __future__ import annotations

import pytest


def test_programme_changes_match_each_reviews_own_change(sample_programme):
    from review_lib.analysis.changes import programme_changes
    from review_lib.analysis.results import analyse_review

    changes = programme_changes(sample_programme, since="2019")
    councils = list(changes.index.get_level_values("council").unique())
    assert councils == ["Ashcombe", "Greyhaven", "Lydmouth", "Northwold"]
    for council in councils:
        own = analyse_review(sample_programme.review(council, "2022-24"),
                             sample_programme).change
        for measure in ("cases", "ratings"):
            row = changes.loc[(council, measure)]
            expected = getattr(own, measure)
            assert row["previous_cycle"] == own.previous_cycle == "2019"
            assert row["difference"] == pytest.approx(expected.difference)
            assert row["diff_low"] == pytest.approx(expected.ci_low)
            assert row["beyond_chance"] == expected.beyond_chance
            assert row["mann_whitney_p"] == pytest.approx(own.mann_whitney_p)
    assert changes.loc[("Lydmouth", "ratings"), "beyond_chance"]
    # The default compares with each council's latest earlier review: the same here.
    assert programme_changes(sample_programme).equals(changes)


def test_the_cross_council_table_of_change_gives_each_councils_own_figures(sample_programme):
    """cycle_changes computes only the two shares' changes, and they are review_change's."""
    from review_lib.analysis.results import review_change
    from review_lib.analysis.scopes import cycle_changes

    changes = cycle_changes(sample_programme, "2022-24")
    assert [c.council for c in changes.councils] == ["Ashcombe", "Greyhaven", "Lydmouth",
                                                     "Northwold"]
    for change in changes.councils:
        own = review_change(sample_programme.review(change.council, "2022-24"),
                            sample_programme.review(change.council, change.before_cycle))
        assert change.judgements == own.cases and change.ratings == own.ratings
        # The judgements' change is a plain count of both reviews' records.
        later = sample_programme.review(change.council, "2022-24").judgements["judgement"]
        earlier = sample_programme.review(change.council, "2019").judgements["judgement"]
        good = ["Outstanding", "Good"]
        assert change.judgements.difference == pytest.approx(
            later.isin(good).mean() - earlier.isin(good).mean())


def test_programme_changes_name_the_cycles_there_are(sample_programme):
    from review_lib.analysis.changes import programme_changes

    with pytest.raises(KeyError, match="cycles: 2019, 2022-24"):
        programme_changes(sample_programme, since="2018")
    empty = programme_changes(sample_programme, cycle="2019")
    assert empty.empty and "difference" in empty.columns


def test_each_questions_change_is_an_independent_count_of_both_reviews(sample_programme):
    """ReviewChange.questions against pandas counts of the tidy ratings (Northwold 2019 and
    2022-24, whose notes' recommendations are tagged with questions)."""
    from review_lib.analysis.results import analyse_review

    later = sample_programme.review("Northwold", "2022-24")
    earlier = sample_programme.previous_review(later)
    table = analyse_review(later, sample_programme).change.questions
    assert earlier.cycle == "2019" and len(table) == len(sample_programme.catalogue)
    for side, review in (("before", earlier), ("after", later)):
        ratings = review.ratings
        good = ratings["rating"].astype(str).isin(["Outstanding", "Good"])
        counts = good.groupby(ratings["question"].astype(str)).agg(["sum", "size"])
        for qid, row in table.iterrows():
            expected = counts.loc[qid] if qid in counts.index else None
            assert row[f"{side}_good"] == (int(expected["sum"]) if expected is not None else 0)
            assert row[f"{side}_n"] == (int(expected["size"]) if expected is not None else 0)
            if row[f"{side}_n"]:
                assert row[f"{side}_share"] == pytest.approx(
                    row[f"{side}_good"] / row[f"{side}_n"])
    # a question not applicable in some records counts only the records rated on it
    assert (table["before_n"] < len(earlier.judgements)).any()
