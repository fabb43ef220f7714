"""Where the project's files are, found from the package rather than the current folder.

papermill runs a kernel in the caller's folder while Jupyter runs it in the notebook's, so
every default path is built from this file's location.
"""

from __future__ import annotations

from pathlib import Path

#: The repository root (the folder holding ``review_lib/``).
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
PUBLISHED_DIR = DATA_DIR / "published"
QUESTIONS_FILE = DATA_DIR / "questions.csv"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"
FIGURES_DIR = PROJECT_ROOT / "figures"
#: Environment variables through which a batch run tells notebooks where the
#: catalogue and the chart folder are (parameters would record the paths in the executed
#: notebooks).
ENV_QUESTIONS = "PRACTICE_REVIEW_QUESTIONS"
ENV_FIGURES = "PRACTICE_REVIEW_FIGURES"
#: Set by ``practice-review run`` for its notebooks: a name in the run's private temporary
#: folder, beside which it writes its analyses (pseudonymised). The run's read of the data
#: itself reaches the workers in memory, never as a file.
ENV_PRELOADED = "PRACTICE_REVIEW_PRELOADED"
#: Set by ``practice-review run`` for a calibration notebook: where its metrics.json goes.
ENV_METRICS = "PRACTICE_REVIEW_METRICS"
#: nbconvert template of the leadership HTML (also styles the index page).
TEMPLATE_DIR = Path(__file__).resolve().parent / "nbtemplates"
TEMPLATE_NAME = "practice_review"
