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


def test_programme_changes_name_the_cycles_there_are(sample_programme):
    from review_lib.analysis.changes import programme_changes

    with pytest.raises(KeyError, match="cycles: 2019, 2022-24"):
        programme_changes(sample_programme, since="2018")
    empty = programme_changes(sample_programme, cycle="2019")
    assert empty.empty and "difference" in empty.columns
