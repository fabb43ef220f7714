"""Shared fixtures: the bundled catalogue and sample, and small synthetic review files."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

from review_lib.catalogue import load_catalogue
from review_lib.loading import load_programme


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="session")
def sample_programme():
    return load_programme()


@pytest.fixture(scope="session")
def dudley(sample_programme):
    return sample_programme.review("Dudley", "2022-24")


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
