"""The library as analysts use it: frames without raw identifiers, helpful lookups, reprs."""

from __future__ import annotations

import pytest


def test_public_frames_carry_no_raw_case_identifiers_unless_asked(tmp_path):
    from review_lib.loading import load_programme

    programme = load_programme()
    for frame in (programme.ratings, programme.judgements, programme.not_applicable,
                  programme.reviews[0].ratings):
        assert "case_ref" not in frame.columns
    exported = tmp_path / "ratings.csv"
    programme.ratings.to_csv(exported)
    refs = set(programme.reviews[0].case_pseudonyms())
    assert not [ref for ref in refs if ref in exported.read_text()]
    traced = load_programme(keep_case_refs=True)
    assert "case_ref" in traced.ratings.columns and "case_ref" in traced.judgements.columns
    assert set(traced.reviews[0].judgements["case_ref"]) == refs


def test_a_misspelt_council_says_what_was_meant_in_one_line(sample_programme):
    with pytest.raises(KeyError) as raised:
        sample_programme.review("Dudly", "2022-24")
    message = str(raised.value)
    assert message.startswith("no review of 'Dudly' in cycle '2022-24'; did you mean 'Dudley'?")
    assert "Ashcombe, Brackenbury" in message  # what exists, alphabetically
    assert raised.value._render_traceback_() == [f"ReviewNotFound: {message}"]
    with pytest.raises(KeyError, match="cycles: 2019, 2022-24"):
        sample_programme.review("Dudley", "2021")
    with pytest.raises(KeyError, match="Kestrel Vale was reviewed in 2022-24"):
        sample_programme.review("Kestrel Vale", "2019")


def test_programme_and_review_show_a_small_table_and_no_paths(sample_programme):
    text = repr(sample_programme)
    assert text.splitlines()[0] == ("Programme: 14 councils, 2 cycles, 19 reviews, 0 warnings "
                                    "(cases per review below)")
    assert len(text.splitlines()) == 16 and "/" not in text.replace("2022-24", "")
    assert "<table>" in sample_programme._repr_html_()
    review = repr(sample_programme.review("Dudley", "2022-24"))
    assert review == ("Review(Dudley 2022-24: 20 cases, 240 answers, 4 auditors; from "
                      "dudley.xlsx)")


@pytest.mark.slow
def test_a_notebook_run_by_hand_with_the_defaults_writes_nothing_in_the_repository(tmp_path):
    import papermill as pm

    from review_lib.paths import FIGURES_DIR, NOTEBOOKS_DIR, PROJECT_ROOT, REPORTS_DIR

    def snapshot():
        return {(str(p), p.stat().st_size, p.stat().st_mtime_ns)
                for root in (FIGURES_DIR, REPORTS_DIR, NOTEBOOKS_DIR) if root.exists()
                for p in root.rglob("*") if p.is_file()}

    before = snapshot()
    executed = pm.execute_notebook(str(NOTEBOOKS_DIR / "council_distributions.ipynb"),
                                   str(tmp_path / "out.ipynb"), cwd=str(PROJECT_ROOT),
                                   kernel_name="python3", progress_bar=False)
    assert snapshot() == before
    # The charts are still shown, embedded in the notebook's output.
    outputs = [o for cell in executed.cells for o in cell.get("outputs", [])]
    assert any("data:image/png;base64," in str(o.get("data", {})) for o in outputs)
