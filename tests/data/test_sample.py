"""The synthetic sample programme: shape, Dudley's published totals, reproducibility."""

import pandas as pd

from review_lib.data.loading import load_programme
from review_lib.data.sample import SYNTHETIC_NOTE, write_sample
from review_lib.paths import SAMPLE_DIR


def test_programme_shape(sample_programme):
    current = sample_programme.in_cycle("2022-24")
    assert len(current.reviews) == 14
    assert all(r.n_cases == 20 for r in current.reviews)
    for review in current.reviews:
        assert sorted(review.judgements.groupby("auditor", observed=True).size()) == [5] * 4
    earlier = {r.council for r in sample_programme.in_cycle("2019").reviews}
    assert len(earlier) >= 4 and "Dudley" in earlier
    assert sample_programme.cycles == ["2019", "2022-24"]
    assert len(sample_programme.not_applicable) > 0


def test_dudley_has_a_previous_review(sample_programme, dudley):
    previous = sample_programme.previous_review(dudley)
    assert previous is not None and previous.cycle == "2019"


def test_sample_is_labelled_synthetic():
    readme = (SAMPLE_DIR / "README.md").read_text()
    assert SYNTHETIC_NOTE in readme


def test_generator_reproduces_committed_files(tmp_path, sample_programme):
    written = write_sample(tmp_path)
    assert len(written) == 19
    again = load_programme(tmp_path)
    for name in ("ratings", "judgements", "not_applicable"):
        pd.testing.assert_frame_equal(
            getattr(again, name).reset_index(drop=True),
            getattr(sample_programme, name).reset_index(drop=True))
    # Byte-identical too (workbook dates are fixed), so data hashes in reports are stable.
    for path in [*written, tmp_path / "README.md"]:
        relative = path.relative_to(tmp_path)
        assert path.read_bytes() == (SAMPLE_DIR / relative).read_bytes(), relative


def test_strong_and_weak_councils_stand_out(sample_programme):
    ratings = sample_programme.in_cycle("2022-24").ratings
    good = ratings["rating"].isin(["Outstanding", "Good"]).groupby(
        ratings["council"].astype(str)).mean()
    assert good.idxmax() == "Kestrel Vale" and good.idxmin() == "Northwold"
