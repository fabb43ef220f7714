"""One moderation exercise's calibration: leniency found where it is built in, and only there."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from review_lib.analysis.calibration import (
    STATISTICS,
    calibrate,
    calibration_metrics,
    case_means,
    score_cube,
)
from review_lib.data.moderation import read_moderation_file

LABELS = {4: "Outstanding", 3: "Good", 2: "Requires Improvement", 1: "Inadequate"}
QUESTIONS = [f"Q{i}" for i in range(1, 13)]


def write_exercise(tmp_path, scores: dict[str, np.ndarray], judgements=None, name="test"):
    """A wide CSV in <tmp>/2024/moderation/ from {rater: cases x 12 array of 1-4 or 0 (N/A)}."""
    folder = tmp_path / "2024" / "moderation"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Case", "Auditor", *QUESTIONS, "Overall judgement"])
        for rater, grid in scores.items():
            for case, row in enumerate(grid):
                judged = (judgements or {}).get(rater)
                overall = judged[case] if judged is not None else round(
                    float(np.mean([v for v in row if v])))
                writer.writerow([f"T-{case + 1:03d}", rater,
                                 *[LABELS.get(int(v), "N/A") for v in row], LABELS[overall]])
    [exercise], problems = read_moderation_file(path)
    assert not [p for p in problems if p.is_error]
    return exercise


@pytest.fixture(scope="module")
def truth():
    rng = np.random.default_rng(7)
    return rng.choice([1, 2, 3], size=(10, 12), p=[0.15, 0.45, 0.4])


def _noisy(truth, seed, share=0.15):
    rng = np.random.default_rng(seed)
    flips = rng.random(truth.shape) < share
    step = rng.choice([-1, 1], size=truth.shape)
    return np.clip(truth + flips * step, 1, 4)


def test_an_auditor_shifted_by_one_level_is_found_and_fair_ones_are_not(tmp_path, truth):
    scores = {"PSW A": _noisy(truth, 1), "PSW B": truth + 1, "PSW C": _noisy(truth, 2),
              "PSW D": _noisy(truth, 3), "Consensus": truth}
    calibration = calibrate(write_exercise(tmp_path, scores), n_boot=400)
    lenient = calibration.leniency
    assert dict(calibration.named["direction"]) == {"PSW B": "more generous"}
    assert lenient.loc["PSW B", "mean_difference"] == pytest.approx(1.0)
    assert lenient.loc["PSW B", "low"] > 0.9
    for fair in ("PSW A", "PSW C", "PSW D"):
        row = lenient.loc[fair]
        assert row["low"] <= 0 <= row["high"] and row["direction"] == "no clear difference"
    assert set(lenient["reference"]) == {"consensus"} and calibration.reference == "consensus"
    assert (lenient["n_units"] == 10).all()
    assert lenient.loc["PSW B", "judgement_direction"] == "more generous"


def test_a_severe_auditor_is_found_against_the_other_auditors_without_consensus(tmp_path,
                                                                               truth):
    lower = truth + 1  # 2..4, so that one level less stays on the scale
    scores = {"PSW A": _noisy(lower, 4), "PSW B": _noisy(lower, 5), "PSW C": lower - 1,
              "PSW D": _noisy(lower, 6)}
    calibration = calibrate(write_exercise(tmp_path, scores), n_boot=400)
    assert not calibration.has_consensus and calibration.reference == "other auditors"
    lenient = calibration.leniency
    assert lenient.loc["PSW C", "direction"] == "more severe"
    assert lenient.loc["PSW C", "mean_difference"] == pytest.approx(-1, abs=0.1)
    # Against the mean of the others, one severe auditor lifts everyone else by a third of
    # that (the report says so when there is no consensus).
    fair = lenient.drop("PSW C")["mean_difference"]
    assert fair.to_numpy() == pytest.approx([1 / 3] * 3, abs=0.1)
    assert set(calibration.leniency["reference"]) == {"other raters"}
    assert not any("Consensus" in (a, b) for a, b in
                   zip(calibration.pairwise["rater_a"], calibration.pairwise["rater_b"],
                       strict=True))


def test_perfect_agreement(tmp_path, truth):
    scores = {r: truth for r in ("PSW A", "PSW B", "PSW C", "Consensus")}
    calibration = calibrate(write_exercise(tmp_path, scores), n_boot=100)
    for key in STATISTICS:
        assert calibration.ratings[key].estimate == pytest.approx(1.0), key
        assert calibration.ratings[key].low == pytest.approx(1.0), key
    assert (calibration.pairwise[["kappa_linear", "kappa_quadratic"]] == 1).all().all()
    assert calibration.named.empty and calibration.questions_read_differently == []
    assert len(calibration.pairwise) == 3 + 3  # three pairs, and each against the consensus


def test_a_question_read_differently_is_named_and_only_it(tmp_path, truth):
    rng = np.random.default_rng(11)
    scores = {f"PSW {c}": _noisy(truth, 20 + i, 0.05) for i, c in enumerate("ABCDE")}
    for grid in scores.values():
        grid[:, 10] = rng.integers(1, 5, size=len(grid))  # Q11: every auditor guesses
    calibration = calibrate(write_exercise(tmp_path, scores), n_boot=500)
    assert calibration.questions_read_differently == ["Q11"]
    q11 = calibration.per_question.loc["Q11"]
    assert q11["difference_high"] < 0 and q11["ac2_quadratic"] < q11["ac2_others"]
    assert q11["label"] == "Management oversight" and q11["n_cases"] == 10


def test_intervals_resample_cases_and_are_reproducible(tmp_path, truth):
    scores = {"PSW A": _noisy(truth, 1), "PSW B": _noisy(truth, 2), "PSW C": _noisy(truth, 3)}
    exercise = write_exercise(tmp_path, scores)
    first, again = calibrate(exercise, n_boot=300), calibrate(exercise, n_boot=300)
    for key, estimate in first.ratings.items():
        assert estimate == again.ratings[key]
        assert estimate.low <= estimate.estimate <= estimate.high, key
        assert estimate.n_units == 120 and estimate.n_raters == 3
    for key, estimate in first.judgements.items():
        assert estimate.n_units == 10, key
    # Resampling cases, not single ratings: an exercise of one case has no spread at all.
    one = write_exercise(tmp_path, {r: g[:1] for r, g in scores.items()}, name="one")
    single = calibrate(one, n_boot=50).ratings["exact_agreement"]
    assert single.low == single.high == single.estimate


def test_case_means_leave_out_questions_not_every_rater_rated(tmp_path):
    grid = np.full((2, 12), 3)
    other = grid.copy()
    other[0, 0] = 0  # N/A on Q1 of the first case
    other[0, 1] = 4
    exercise = write_exercise(tmp_path, {"PSW A": grid, "PSW B": other})
    cube, _, raters = score_cube(exercise)
    assert cube.shape == (2, 12, 2) and raters == ["PSW A", "PSW B"]
    means = case_means(cube)
    assert means[0].tolist() == [3.0, pytest.approx(3 + 1 / 11)]  # over Q2-Q12 for both
    assert means[1].tolist() == [3.0, 3.0]


def test_metrics_carry_every_figure_and_no_case(tmp_path, truth):
    scores = {"PSW A": _noisy(truth, 1), "PSW B": truth + 1, "PSW C": _noisy(truth, 2),
              "Consensus": truth}
    exercise = write_exercise(tmp_path, scores)
    calibration = calibrate(exercise, n_boot=100)
    metrics = calibration_metrics(calibration, exercise)
    text = json.dumps(metrics, allow_nan=False)
    assert "T-00" not in text and "Case 0" not in text
    assert metrics["kind"] == "calibration" and metrics["n_cases"] == 10
    assert set(metrics["ratings"]) == set(metrics["judgements"]) == set(STATISTICS)
    assert set(metrics["ratings"]["alpha_ordinal"]) == {"estimate", "ci_low", "ci_high",
                                                        "n_units", "n_raters",
                                                        "n_boot_failed"}
    assert list(metrics["questions"]) == QUESTIONS
    assert set(metrics["questions"]["Q1"]) == set(calibration.per_question.columns)
    assert len(metrics["pairwise"]) == 3 + 3
    assert set(metrics["leniency"]) == {"PSW A", "PSW B", "PSW C"}
    assert metrics["auditors_named"] == {"PSW B": "more generous"}
    assert metrics["leniency"]["PSW B"]["mean_difference"] == pytest.approx(1.0)
    assert metrics["bootstrap"] == {"n_boot": 100, "seed": 0, "confidence": 0.95,
                                    "resampled": "cases",
                                    "question_difference_confidence": pytest.approx(
                                        1 - 0.05 / 12)}
    assert metrics["data_file"] == "test.csv" and len(metrics["data_sha256"]) == 64


def test_auditor_leniency_for_a_reviews_auditors(tmp_path, truth):
    from review_lib.analysis.calibration import auditor_leniency

    scores = {"PSW A": _noisy(truth, 1), "PSW B": truth + 1, "Consensus": truth}
    calibration = calibrate(write_exercise(tmp_path, scores), n_boot=100)
    table = auditor_leniency([calibration], ["psw b", "PSW A", "PSW Z"])
    assert list(table.index) == ["psw b", "PSW A"]  # PSW Z took part in no exercise
    assert table.loc["psw b", "direction"] == "more generous"
    assert table.loc["psw b", "exercise"] == "test"
    assert auditor_leniency([], ["PSW A"]).empty
