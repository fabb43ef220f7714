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
    # No ratings are invented for a real council beyond the published 2022-24 totals.
    assert earlier == {"Ashcombe", "Greyhaven", "Lydmouth", "Northwold"}
    assert sample_programme.cycles == ["2019", "2022-24"]
    assert len(sample_programme.not_applicable) > 0


def test_dudleys_2019_review_is_its_published_recommendations_only(sample_programme, dudley):
    from review_lib.data.notes import read_programme_notes

    assert sample_programme.previous_review(dudley) is None  # no invented 2019 ratings
    cycle, notes = read_programme_notes(sample_programme, [SAMPLE_DIR]).previous(
        "Dudley", "2022-24")
    assert cycle == "2019" and len(notes.recommendations) == 15
    assert notes.sections.keys() == {"recommendations"}


def test_sample_is_labelled_synthetic():
    readme = (SAMPLE_DIR / "README.md").read_text()
    assert SYNTHETIC_NOTE in readme


def test_generator_reproduces_committed_files(tmp_path, sample_programme):
    written = write_sample(tmp_path)
    # 17 reviews as one file each, Ashcombe 2022-24 as 20 audit forms, the moderation
    # exercise; and nothing else in the committed forms folder.
    assert len(written) == 17 + 20 + 1
    forms = sorted(p.name for p in written if p.parent.name == "ashcombe-forms")
    assert forms == [f"case-{n:02d}.xlsx" for n in range(1, 21)]
    assert sorted(p.name for p in (SAMPLE_DIR / "2022-24" / "ashcombe-forms").iterdir()) == forms
    assert not (SAMPLE_DIR / "2022-24" / "ashcombe.xlsx").exists()
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


def test_sample_shows_evidence_and_forms(sample_programme):
    """Evidence in three councils' workbooks and Ashcombe's forms; one planted case's details."""
    with_evidence = {r.council for r in sample_programme.in_cycle("2022-24").reviews
                     if r.has_evidence}
    assert with_evidence == {"Dudley", "Kestrel Vale", "Northwold", "Ashcombe"}
    ashcombe = sample_programme.review("Ashcombe", "2022-24")
    assert ashcombe.path.name == "ashcombe-forms" and ashcombe.n_cases == 20
    dudley = sample_programme.review("Dudley", "2022-24")
    texts = " ".join(dudley.evidence["evidence"])
    first_ref = next(iter(dudley.case_pseudonyms()))
    for planted in (first_ref, "14/03/2023", "01632 960 123", "carer.contact@example.org",
                    "943 476 5919"):
        assert planted in texts
    # Evidence follows the ratings: every answer and judgement has some.
    assert (dudley.evidence["evidence"] != "").all()
