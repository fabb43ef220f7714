"""Planning and executing one notebook job of ``practice-review run``."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from review_lib.paths import (
    ENV_FIGURES,
    ENV_METRICS,
    ENV_QUESTIONS,
    FIGURES_DIR,
    NOTEBOOKS_DIR,
    PROJECT_ROOT,
    SAMPLE_DIR,
)

#: Notebook stem -> (HTML file stem, what the report is).

COUNCIL_NOTEBOOKS = {
    "council_distributions": ("distributions", "Distributions of ratings"),
    "council_leadership": ("leadership", "Practice Review report"),
}
CROSS_NOTEBOOK = "cross_council"
#: The calibration report of each moderation exercise (``reports/<cycle>/moderation/<name>/``).
CALIBRATION_NOTEBOOK = "auditor_calibration"


@dataclass
class Job:
    """One notebook to render for one review."""

    notebook: str
    council: str
    cycle: str
    parameters: dict
    cwd: str
    out_dir: str
    html_name: str
    title: str
    environment: dict = field(default_factory=dict)
    fingerprint: str = ""
    #: Hash of the inputs that shape the report's charts and tables (all but the funnel
    #: position, narrative and previous review, which change text and at most one chart).
    drawing_inputs: str = ""
    notebooks_dir: str = str(NOTEBOOKS_DIR)
    #: ``"inprocess"`` (the worker runs the notebook itself) or ``"kernel"`` (papermill's
    #: standard engine, with a Jupyter kernel per notebook).
    engine: str = "inprocess"
    #: Other files the notebook itself writes into ``out_dir`` (a calibration report's
    #: metrics.json): the report is not up to date while one is missing.
    also_writes: tuple[str, ...] = ()
    #: Run in a worker process of its own, replaced after it (a customised notebook, which
    #: may change the library in the process it runs in: :func:`execute_job`).
    own_process: bool = False

    @property
    def source(self) -> Path:
        """The notebook this job executes."""
        return Path(self.notebooks_dir) / f"{self.notebook}.ipynb"

    @property
    def stamp(self) -> Path:
        """File recording the inputs of the report last written successfully."""
        return Path(self.out_dir) / f".{self.html_name}.inputs"

    @property
    def html(self) -> Path:
        """The report's HTML file."""
        return Path(self.out_dir) / f"{self.html_name}.html"

    def up_to_date(self) -> bool:
        """Whether the report exists and was made from exactly these inputs."""
        try:
            return bool(self.fingerprint) and self.html.exists() and (
                Path(self.out_dir) / f"{self.html_name}.ipynb").exists() and all(
                (Path(self.out_dir) / name).exists() for name in self.also_writes) and (
                self._stamped()[0] == self.fingerprint)
        except OSError:
            return False

    def _stamped(self) -> list[str]:
        lines = self.stamp.read_text(encoding="utf-8").split()
        return lines + [""] * (2 - len(lines))

    def mostly_redrawn(self) -> bool:
        """Whether most of the report's charts will have to be drawn (a long job).

        True unless the report was last rendered from the same data, code and options and
        only its funnel position, narrative or previous review changed since.
        """
        try:
            return self._stamped()[1] != self.drawing_inputs or not self.drawing_inputs
        except OSError:
            return True

    @property
    def label(self) -> str:
        """E.g. ``"Dudley 2022-24 leadership"``."""
        return f"{self.council} {self.cycle} {self.html_name}"


@dataclass
class Outcome:
    """What happened to one job."""

    job: Job
    ok: bool
    seconds: float = 0.0
    message: str = ""
    html: str | None = None
    skipped: bool = False
    #: The process that ran it may hold what the notebook left half-done (a cell stopped
    #: mid-way): its worker is replaced rather than given another job.
    spoilt_worker: bool = False


@dataclass
class RunSummary:
    """Everything a run did, for the closing summary and the exit status."""

    outcomes: list[Outcome] = field(default_factory=list)
    invalid_files: list[tuple[str, list[str]]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    #: Things worth saying that fail nothing (a PDF that could not be written, say).
    messages: list[str] = field(default_factory=list)
    #: Reviews rendered as drafts because their notes have errors: review, its errors.
    drafts: list[tuple[str, list[str]]] = field(default_factory=list)
    #: Notes files with errors that belong to no review: file, its errors.
    unused_notes: list[tuple[str, list[str]]] = field(default_factory=list)
    #: Councils asked for (``--council``) that the data do not hold, each with what was
    #: probably meant: no file is at fault, but the run did not do what was asked.
    not_found: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether anything failed (errors in notes included: their reports are drafts)."""
        return (bool(self.invalid_files or self.drafts or self.unused_notes or self.not_found)
                or any(not o.ok for o in self.outcomes))


def redact(text: str, *roots: Path) -> str:
    """Remove machine paths from a message (project root, home folder, data folders).

    Parameters
    ----------
    text : str
        A message that may name files.
    *roots : Path
        Further folders to hide.

    Returns
    -------
    str
        The message with those folders replaced by ``<project>``, ``<data>`` or ``~``.
    """
    replacements = [(str(PROJECT_ROOT), "<project>")]
    replacements += [(str(Path(r).resolve()), "<data>") for r in roots]
    replacements.append((str(Path.home()), "~"))
    for old, new in sorted(replacements, key=lambda p: -len(p[0])):
        if old and old not in ("/", "."):
            text = text.replace(old, new)
    return text


#: The notebook parameter through which a run hands each notebook its prepared file.
PREPARED_PARAMETER = "prepared"
#: What an executed notebook records for it: the file was the run's, removed when it ended.
PREPARED_RECORDED = '""  # the run\'s prepared file, removed when the run ended'


def _scrub_notebook(notebook, *roots: Path) -> None:
    """Remove machine paths from an executed notebook's metadata and printed text.

    Papermill records the input and output paths, and the parameters it injected (the
    run's prepared file is in a temporary folder: it is recorded as ``""``, which reads
    the data folder when the notebook is run again); warnings and errors a notebook
    printed may name files. All are reduced as :func:`redact` does.
    """
    meta = notebook.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if meta.get(key):
            meta[key] = Path(str(meta[key])).name
    if meta.get("environment_variables"):
        meta["environment_variables"] = {}
    if meta.get("parameters", {}).get(PREPARED_PARAMETER):
        meta["parameters"][PREPARED_PARAMETER] = ""
    for cell in notebook.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = re.sub(rf"^{PREPARED_PARAMETER} = .*$",
                                 lambda _: f"{PREPARED_PARAMETER} = {PREPARED_RECORDED}",
                                 cell.source, flags=re.M)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = redact(str(output.get("text", "")), *roots)
            elif output.get("output_type") == "error":
                output["traceback"] = [redact(line, *roots)
                                       for line in output.get("traceback", [])]


def execute_job(job: Job, *, verbose: bool = False, timeout: int = 600,
                prepared: str | None = None) -> Outcome:
    """Execute one notebook with papermill and export its HTML (runs in a worker process).

    A customised notebook (``--notebooks``) may change the library, matplotlib or any
    module in the process it runs in (a cell that patches a function); clearing the
    namespace does not undo that. So after each one, the worker is replaced by a fresh
    one, forked from the prepared fork server: each customised notebook starts as a fresh
    kernel would (``Job.own_process``, which ``practice-review run --notebooks`` sets, makes
    ``Outcome.spoilt_worker``). The project's own notebooks change nothing of the sort, and
    their workers are kept.

    The notebook runs in this process (:mod:`review_lib.batch.engine`), in the job's working
    folder and with the job's environment, both restored afterwards. A cell running longer
    than ``timeout`` seconds fails the job with a message saying so, and the worker is then
    replaced (as a kernel would be), since the stopped cell may have left things half-done
    in the process. The executed notebook
    is kept in memory and both it and the HTML are written only when complete (temporary
    name, then rename).

    Parameters
    ----------
    job : Job
        What to render.
    verbose : bool, default False
        Show papermill's per-cell progress bar and the notebook's output.
    timeout : int, default 600
        Per-cell execution timeout in seconds.
    prepared : str, optional
        The run's prepared file (:func:`review_lib.report.context.write_prepared`), passed
        to the notebook as its ``prepared`` parameter (not part of the job's fingerprint:
        each run writes its own).

    Returns
    -------
    Outcome
        Success, or the failing cell and error.
    """
    outcome = _execute_job(job, verbose=verbose, timeout=timeout, prepared=prepared)
    if job.own_process and job.engine == "inprocess":
        outcome.spoilt_worker = True
    return outcome


def _execute_job(job: Job, *, verbose: bool, timeout: int, prepared: str | None) -> Outcome:
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from review_lib.batch.engine import ENGINE_NAME, CellTimeoutError
    from review_lib.files import write_atomically
    from review_lib.report.claims import claims_in_notebook
    from review_lib.report.export import notebook_to_html

    start = time.perf_counter()
    out_dir = Path(job.out_dir)

    def failed(message: str, spoilt: bool = False) -> Outcome:
        if prepared:  # the run's scratch folder, named in a message
            message = message.replace(str(Path(prepared).parent), "<temporary folder>")
        return Outcome(job, False, time.perf_counter() - start, redact(message, Path(job.cwd)),
                       spoilt_worker=spoilt)

    job.stamp.unlink(missing_ok=True)  # until this run succeeds, the report is not current
    parameters = {**job.parameters, **({PREPARED_PARAMETER: prepared} if prepared else {})}
    try:
        with _job_environment(job.environment, (ENV_QUESTIONS, ENV_FIGURES, ENV_METRICS)):
            executed = pm.execute_notebook(
                str(Path(job.source).resolve()), None, parameters=parameters,
                engine_name=ENGINE_NAME if job.engine == "inprocess" else "nbclient",
                kernel_name="python3", progress_bar=verbose,
                log_output=verbose, execution_timeout=timeout, cwd=job.cwd)
    except PapermillExecutionError as exc:
        first_line = (exc.source or "").strip().splitlines()[:1]
        return failed(f"cell {exc.cell_index + 1} of the executed notebook "
                      f"({first_line[0] if first_line else ''}) failed: "
                      f"{exc.ename}: {exc.evalue}")
    except CellTimeoutError as exc:
        return failed(f"cell {exc.cell_index + 1} of the executed notebook ran for more "
                      f"than {timeout} s and was stopped", spoilt=True)
    except Exception as exc:  # reported in the run summary, never a traceback
        return failed(f"{type(exc).__name__}: {exc}", spoilt=True)
    try:
        _scrub_notebook(executed, Path(job.cwd))
        html = notebook_to_html(executed, title=job.title)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(out_dir / f"{job.html_name}.ipynb", nbformat.writes(executed))
        # Every sentence that states a figure, as printed, beside the figures it states.
        write_atomically(out_dir / f"{job.html_name}.claims.json",
                         json.dumps({"report": job.html_name, "title": job.title,
                                     "claims": claims_in_notebook(executed)}, indent=1))
        html_path = write_atomically(job.html, html)
        if job.fingerprint:
            write_atomically(job.stamp, f"{job.fingerprint}\n{job.drawing_inputs}\n")
    except Exception as exc:  # reported in the run summary, never a traceback
        return failed(f"export failed: {type(exc).__name__}: {exc}")
    return Outcome(job, True, time.perf_counter() - start, html=str(html_path))


@contextlib.contextmanager
def _job_environment(environment: dict[str, str], clear: tuple[str, ...]):
    """Set a job's environment variables (after removing ``clear``), restored afterwards.

    Also closes any matplotlib figure left open, so each notebook starts with none.
    """
    saved = dict(os.environ)
    for name in clear:
        os.environ.pop(name, None)
    os.environ.update(environment)
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def plan_jobs(reviews, *, data: Path, questions: Path | None, reports_dir: Path,
              figures_dir: Path | None, funnel_limits: str = "exact",
              name_councils: bool = False) -> list[Job]:
    """Jobs for both council notebooks of each review.

    The data folder is passed by name, with the notebook working in its parent folder; a
    catalogue or figures folder of the user's choosing reaches the notebook through
    environment variables. Executed notebooks so never record a path on this machine.

    Parameters
    ----------
    reviews : iterable of Review
        The reviews to render.
    data : Path
        The data folder or file.
    questions : Path or None
        Catalogue file, or None for the bundled one.
    reports_dir : Path
        Root of the outputs.
    figures_dir : Path or None
        Root of the charts, or None for the project's ``figures/``.
    funnel_limits : {"exact", "fingertips"}, default "exact"
        How funnel limits are drawn (passed to the leadership report's notebook).
    name_councils : bool, default False
        Name the other councils in each council's leadership report (passed to its
        notebook only when set, so that a run without it renders as before).

    Returns
    -------
    list of Job
        Two per review.
    """
    from review_lib.files import slug

    cwd, data_param, environment = _kernel_inputs(data, questions, figures_dir)
    jobs = []
    for review in reviews:
        out_dir = reports_dir / review.cycle / slug(review.council)
        for notebook, (html_name, kind) in COUNCIL_NOTEBOOKS.items():
            parameters = {"council": review.council, "cycle": review.cycle,
                          "data_dir": data_param, "questions": "", "figures_dir": ""}
            if notebook == "council_leadership":
                parameters["funnel_limits"] = funnel_limits
                if name_councils:
                    parameters["name_councils"] = True
            jobs.append(Job(notebook, review.council, review.cycle, parameters, str(cwd),
                            str(out_dir), html_name,
                            f"Practice Review {review.cycle}: {review.council} — {kind}",
                            environment))
    return jobs


def _kernel_inputs(data: Path, questions: Path | None, figures_dir: Path | None
                   ) -> tuple[Path, str, dict]:
    """Working folder, data parameter and environment for notebooks (no machine paths)."""
    default_data = data.resolve() == SAMPLE_DIR.resolve()
    cwd = PROJECT_ROOT if default_data else data.resolve().parent
    data_param = "" if default_data else data.resolve().name
    environment = {}
    if questions:
        environment[ENV_QUESTIONS] = str(questions.resolve())
    # Only runs write charts: a notebook run by hand (no figures folder) writes none.
    environment[ENV_FIGURES] = str((figures_dir or FIGURES_DIR).resolve())
    return cwd, data_param, environment


def plan_cross_jobs(cycles: list[str], *, data: Path, questions: Path | None,
                    reports_dir: Path, figures_dir: Path | None,
                    funnel_limits: str = "exact",
                    regions: dict[str, list[str]] | None = None) -> list[Job]:
    """One cross-council report job per cycle, and one per region of each cycle.

    Parameters
    ----------
    cycles : list of str
        The cycles.
    data : Path
        The data folder or file.
    questions : Path or None
        Catalogue file, or None for the bundled one.
    reports_dir : Path
        Root of the outputs.
    figures_dir : Path or None
        Root of the charts, or None for the project's ``figures/``.
    funnel_limits : {"exact", "fingertips"}, default "exact"
        How funnel limits are drawn.
    regions : dict of str to list of str, optional
        Cycle to the regions its data name: each gets a regional report too.

    Returns
    -------
    list of Job
        Writing ``reports/<cycle>/cross-council.html`` and
        ``reports/<cycle>/regions/<region>/cross-council.html``.
    """
    from review_lib.report.regions import region_slug

    cwd, data_param, environment = _kernel_inputs(data, questions, figures_dir)
    jobs = []
    for cycle in cycles:
        parameters = {"cycle": cycle, "highlight": "", "data_dir": data_param,
                      "questions": "", "figures_dir": "", "overdispersion": False,
                      "funnel_limits": funnel_limits}
        jobs.append(Job(CROSS_NOTEBOOK, "all councils", cycle, parameters, str(cwd),
                        str(reports_dir / cycle), "cross-council",
                        f"Practice Review {cycle}: cross-council comparison", environment))
        for region in (regions or {}).get(cycle, []):
            jobs.append(Job(CROSS_NOTEBOOK, region, cycle, {**parameters, "region": region},
                            str(cwd), str(reports_dir / cycle / "regions" / region_slug(region)),
                            "cross-council",
                            f"Practice Review {cycle}, {region}: cross-council comparison",
                            environment))
    return jobs


def plan_calibration_jobs(exercises, *, data: Path, questions: Path | None,
                          reports_dir: Path, figures_dir: Path | None) -> list[Job]:
    """One calibration report job per moderation exercise.

    Each writes ``reports/<cycle>/moderation/<exercise>/calibration.html`` and, through
    ``$PRACTICE_REVIEW_METRICS``, the ``metrics.json`` beside it (the notebook computes the
    figures once, for both).

    Parameters
    ----------
    exercises : iterable of ModerationExercise
        The exercises.
    data : Path
        The data folder or file.
    questions : Path or None
        Catalogue file, or None for the bundled one.
    reports_dir : Path
        Root of the outputs.
    figures_dir : Path or None
        Root of the charts, or None for the project's ``figures/``.

    Returns
    -------
    list of Job
        One per exercise.
    """
    from review_lib.files import slug

    cwd, data_param, environment = _kernel_inputs(data, questions, figures_dir)
    jobs = []
    for exercise in exercises:
        out_dir = reports_dir / exercise.cycle / "moderation" / slug(exercise.name)
        metrics = out_dir / "metrics.json"
        jobs.append(Job(CALIBRATION_NOTEBOOK, exercise.name, exercise.cycle,
                        {"exercise": exercise.name, "cycle": exercise.cycle,
                         "data_dir": data_param, "questions": "", "figures_dir": ""},
                        str(cwd), str(out_dir), "calibration",
                        f"Practice Review {exercise.cycle}: auditor calibration — "
                        f"{exercise.name}",
                        {**environment, ENV_METRICS: str(metrics.resolve())},
                        also_writes=("metrics.json",)))
    return jobs
