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
#: Set by ``practice-review run`` for a calibration notebook: where its metrics.json goes.
ENV_METRICS = "PRACTICE_REVIEW_METRICS"
#: nbconvert template of the leadership HTML (also styles the index page).
TEMPLATE_DIR = Path(__file__).resolve().parent / "nbtemplates"
TEMPLATE_NAME = "practice_review"


def find_path(path: str | Path) -> Path:
    """An analyst's path, found from the current folder or else from the project root.

    JupyterLab starts a notebook's kernel in the notebook's folder (``notebooks/``) and
    papermill in the caller's, so ``"data/sample"`` written in the README means the
    project's ``data/sample`` wherever the code runs. A path that exists from the current
    folder is that one; a relative path that does not, but does from the project root,
    is the project's; anything else is returned as given (for the caller to report with
    :func:`looked_in`).

    Parameters
    ----------
    path : str or Path
        A file or folder, absolute or relative.

    Returns
    -------
    Path
        The path as given when it exists (or is absolute), else the project root's when
        that exists, else the path as given.
    """
    given = Path(path).expanduser()
    if given.exists() or given.is_absolute():
        return given
    rooted = PROJECT_ROOT / given
    return rooted if rooted.exists() else given


def looked_in(path: str | Path) -> str:
    """Where :func:`find_path` looked for a path it did not find, for a message.

    Parameters
    ----------
    path : str or Path
        The path as the analyst gave it.

    Returns
    -------
    str
        ``"looked in /where/you/are/x and /project/x"``, or the one place for an
        absolute path.
    """
    given = Path(path).expanduser()
    if given.is_absolute():
        return f"looked in {given}"
    return f"looked in {Path.cwd() / given} and {PROJECT_ROOT / given}"
