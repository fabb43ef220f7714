"""Shared fixtures: the bundled catalogue and sample, and small synthetic review files."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

from review_lib.data.catalogue import load_catalogue
from review_lib.data.loading import load_programme


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="session")
def sample_programme():
    return load_programme()


@pytest.fixture(scope="session")
def dudley(sample_programme):
    return sample_programme.review("Dudley", "2022-24")


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """Dudley's and Northwold's reports, and the cross-council report, rendered by a batch run."""
    from review_lib.batch.run import run_batch

    out = tmp_path_factory.mktemp("sample-reports")
    summary = run_batch(councils=["Dudley", "Northwold"], reports_dir=out / "reports",
                        figures_dir=out / "figures", jobs=2)
    return summary, out


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def write_wide_csv(path: Path, rows, *, council="Testshire", cycle="2022-24", questions=None):
    """Write a wide CSV: Council, Cycle, Case, Auditor, question columns, Overall judgement."""
    questions = questions or [f"Q{i}" for i in range(1, 13)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Council", "Cycle", "Case", "Auditor", *questions, "Overall judgement"])
        for row in rows:
            writer.writerow([council, cycle, *row])
    return path


def good_rows(n_cases=20, n_questions=12, rating="Good", judgement="Good"):
    """Rows of case, auditor, ratings, judgement with every rating the same."""
    return [[f"C{i:03d}", f"PSW {'ABCD'[i % 4]}", *[rating] * n_questions, judgement]
            for i in range(1, n_cases + 1)]


SMALL_QUESTIONS = ("id,short_label,question,theme\nA1,Voice,Is the voice heard?,People\n"
                   "A2,Risk,Are risks managed?,Safety\nA3,Oversight,Is there oversight?,Quality\n")


def write_small_council(folder: Path, council: str, ratings, cycle="2024", auditor="PSW"):
    """A wide CSV of a small review: case ids SECRET-..., questions A1-A3."""
    lines = ["Council,Cycle,Case,Auditor,A1,A2,A3,Overall judgement"]
    for i, (a1, a2, a3, overall) in enumerate(ratings, start=1):
        lines.append(f"{council},{cycle},SECRET-{council[:3].upper()}-{i:04d},"
                     f"{auditor} {'AB'[i % 2]},{a1},{a2},{a3},{overall}")
    path = folder / f"{council.lower()}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_small_programme(root: Path) -> tuple[Path, Path]:
    """Three small councils (6 cases, 3 questions) in root/programme, catalogue beside it."""
    folder = root / "programme"
    folder.mkdir(parents=True)
    questions = root / "questions.csv"
    questions.write_text(SMALL_QUESTIONS)
    write_small_council(folder, "Alpha", [["G", "G", "RI", "G"], ["O", "G", "G", "O"],
                                          ["G", "N/A", "RI", "G"], ["G", "G", "G", "G"],
                                          ["RI", "RI", "I", "RI"], ["O", "O", "G", "O"]])
    write_small_council(folder, "Beta", [["G", "G", "G", "G"]] * 6)
    write_small_council(folder, "Gamma", [["RI", "G", "RI", "RI"], ["G", "G", "G", "G"]] * 3)
    return folder, questions


def rating_column(o=0, g=0, ri=0, i=0, na=0):
    """One question's 20 ratings, best first."""
    values = ["Outstanding"] * o + ["Good"] * g + ["RI"] * ri + ["Inadequate"] * i + ["N/A"] * na
    assert len(values) == 20, len(values)
    return values


def judgement_column(good=20, ri=0, i=0):
    """20 overall judgements: Good, then Requires Improvement, then Inadequate."""
    values = ["Good"] * good + ["Requires Improvement"] * ri + ["Inadequate"] * i
    assert len(values) == 20
    return values


def exact_flag(above: float, below: float) -> str:
    """The exact-binomial funnel flag from one-sided p-values (0.001 and 0.025 each side).

    Written out here, independently of review_lib.analysis.funnel, for the tests to check it by.
    """
    for p, side in ((below, "below"), (above, "above")):
        if p < 0.001:
            return f"{side}998"
    for p, side in ((below, "below"), (above, "above")):
        if p < 0.025:
            return f"{side}95"
    return "within"


def small_data_folder(root: Path, councils, ratings=None) -> tuple[Path, Path]:
    """A folder of small reviews (6 cases, questions A1-A3) and its catalogue."""
    questions = root / "questions.csv"
    questions.write_text(SMALL_QUESTIONS)
    data = root / "data"
    data.mkdir()
    for council in councils:
        write_small_council(data, council, ratings or [["G", "RI", "G", "G"],
                                                       ["O", "G", "G", "O"]] * 3)
    return data, questions


def sample_naming_exercise(folder: Path, name: str) -> Path:
    """A copy of the bundled sample in ``folder`` whose Kestrel Vale notes name ``name`` as
    their moderation exercise (the sample's own is 'Autumn 2023 calibration')."""
    import shutil

    from review_lib.paths import SAMPLE_DIR

    shutil.copytree(SAMPLE_DIR, folder)
    notes = folder / "2022-24" / "kestrel-vale.md"
    notes.write_text(notes.read_text(encoding="utf-8").replace(
        "moderation: Autumn 2023 calibration", f"moderation: {name}"), encoding="utf-8")
    return folder
