"""practice-review run renders a calibration report per moderation exercise, with metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_small_programme

from review_lib.batch.run import run_batch
from review_lib.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow

LEVELS = ["Good", "Outstanding", "Requires Improvement", "Good", "Good"]


def write_small_exercise(folder: Path, *, generous: str = "PSW B") -> Path:
    """A moderation CSV for the small catalogue (A1-A3): 6 cases x 3 auditors and a
    consensus, one auditor a level above the consensus on every rating it can be."""
    moderation = folder / "moderation"
    moderation.mkdir(exist_ok=True)
    lines = ["Moderation,Cycle,Case,Auditor,A1,A2,A3,Overall judgement"]
    order = ["Inadequate", "Requires Improvement", "Good", "Outstanding"]
    for case in range(6):
        truth = [LEVELS[(case + q) % 5] for q in range(3)]
        for rater in ("PSW A", "PSW B", "PSW C", "Consensus"):
            ratings = [order[min(order.index(t) + 1, 3)] if rater == generous else t
                       for t in truth]
            lines.append(f"Small check,2024,SECRET-M{case},{rater},{','.join(ratings)},"
                         f"{ratings[0]}")
    path = moderation / "small-check.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def calibration_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("calibration")
    folder, questions = write_small_programme(root)
    write_small_exercise(folder)
    out = root / "out"
    summary = run_batch(data=folder, questions=questions, reports_dir=out / "reports",
                        figures_dir=out / "figures", jobs=2)
    return summary, folder, questions, out


def _rendered(summary):
    return sorted(o.job.label for o in summary.outcomes if o.ok and not o.skipped)


def test_the_calibration_report_is_rendered_with_its_charts(calibration_run):
    summary, _, _, out = calibration_run
    assert not summary.failed, [(o.job.label, o.message) for o in summary.outcomes if not o.ok]
    assert "Small check 2024 calibration" in _rendered(summary)
    report = out / "reports/2024/moderation/small-check"
    assert {p.name for p in report.iterdir()} >= {"calibration.html", "calibration.ipynb",
                                                 "metrics.json"}
    assert report / "metrics.json" in summary.written
    figures = out / "figures/2024/moderation/small-check"
    assert {p.name for p in figures.glob("*.png")} == {"leniency.png",
                                                       "question-agreement.png"}
    html = (report / "calibration.html").read_text()
    assert "<h1>Auditor calibration: Small check</h1>" in html
    assert "PSW B rated about three quarters of a level more generously than the consensus" in html
    for fair in ("PSW A rated", "PSW C rated"):
        assert fair not in html
    assert "SECRET-" not in html and "SECRET-" not in (report / "calibration.ipynb").read_text()
    for leak in (str(out), str(PROJECT_ROOT), str(Path.home()) + "/"):
        assert leak not in html and leak not in (report / "calibration.ipynb").read_text()


def test_metrics_json_holds_every_figure(calibration_run):
    _, _, _, out = calibration_run
    metrics = json.loads((out / "reports/2024/moderation/small-check/metrics.json").read_text())
    assert metrics["kind"] == "calibration" and metrics["exercise"] == "Small check"
    assert (metrics["cycle"], metrics["n_cases"], metrics["auditors"]) == (
        "2024", 6, ["PSW A", "PSW B", "PSW C"])
    assert metrics["has_consensus"] and metrics["reference"] == "consensus"
    for part in ("ratings", "judgements"):
        assert set(metrics[part]) == {"alpha_ordinal", "ac2_quadratic", "ac2_linear",
                                      "exact_agreement", "adjacent_agreement"}
        for figure in metrics[part].values():
            assert set(figure) == {"estimate", "ci_low", "ci_high", "n_units", "n_raters",
                                   "n_boot_failed"}
    assert metrics["ratings"]["alpha_ordinal"]["n_units"] == 18  # 6 cases x 3 questions
    assert list(metrics["questions"]) == ["A1", "A2", "A3"]
    assert {"alpha", "alpha_low", "alpha_high", "ac2_quadratic", "ac2_low", "ac2_high",
            "exact_agreement", "adjacent_agreement", "difference", "difference_low",
            "difference_high", "read_differently"} <= set(metrics["questions"]["A1"])
    pairs = {(p["rater_a"], p["rater_b"]) for p in metrics["pairwise"]}
    assert pairs == {("PSW A", "PSW B"), ("PSW A", "PSW C"), ("PSW B", "PSW C"),
                     ("PSW A", "Consensus"), ("PSW B", "Consensus"), ("PSW C", "Consensus")}
    assert metrics["leniency"]["PSW B"]["direction"] == "more generous"
    assert metrics["leniency"]["PSW B"]["mean_difference"] == pytest.approx(7 / 9)  # O stays O
    assert metrics["leniency"]["PSW A"]["mean_difference"] == 0
    assert metrics["auditors_named"] == {"PSW B": "more generous"}
    assert metrics["bootstrap"]["n_boot"] == 1000 and metrics["bootstrap"]["resampled"] == \
        "cases"
    assert metrics["data_file"] == "small-check.csv" and metrics["synthetic"] is False


def test_index_lists_the_calibration_report(calibration_run):
    _, _, _, out = calibration_run
    html = (out / "reports/index.html").read_text()
    assert 'href="2024/moderation/small-check/calibration.html"' in html
    row = html[html.index('<th scope="row">Small check</th>'):]
    row = row[:row.index("</tr>")]
    assert "3 x 6" in row and "PSW B: more generous" in row


def test_reruns_skip_it_and_a_missing_metrics_file_makes_it_again(calibration_run):
    _, folder, questions, out = calibration_run
    again = run_batch(data=folder, questions=questions, reports_dir=out / "reports",
                      figures_dir=out / "figures", jobs=2)
    assert _rendered(again) == []
    (out / "reports/2024/moderation/small-check/metrics.json").unlink()
    remade = run_batch(data=folder, questions=questions, reports_dir=out / "reports",
                       figures_dir=out / "figures", jobs=2)
    assert _rendered(remade) == ["Small check 2024 calibration"]
    assert (out / "reports/2024/moderation/small-check/metrics.json").exists()
    # The exercise's file changed: only its report is made again.
    write_small_exercise(folder, generous="PSW C")
    changed = run_batch(data=folder, questions=questions, reports_dir=out / "reports",
                        figures_dir=out / "figures", jobs=2)
    assert _rendered(changed) == ["Small check 2024 calibration"]
    metrics = json.loads((out / "reports/2024/moderation/small-check/metrics.json").read_text())
    assert metrics["auditors_named"] == {"PSW C": "more generous"}


def test_an_invalid_exercise_fails_alone(tmp_path):
    folder, questions = write_small_programme(tmp_path)
    path = write_small_exercise(folder)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1].replace("Good", "Very good", 1),
                               *lines[2:]]) + "\n")
    summary = run_batch(data=folder, questions=questions, reports_dir=tmp_path / "reports",
                        figures_dir=tmp_path / "figures", jobs=2)
    assert summary.failed
    [(name, errors)] = summary.invalid_files
    assert name == "programme/moderation/small-check.csv"
    assert any("'Very good' is not a rating" in e and "row 2" in e for e in errors)
    assert (tmp_path / "reports/2024/alpha/leadership.html").exists()
    assert not (tmp_path / "reports/2024/moderation").exists()
