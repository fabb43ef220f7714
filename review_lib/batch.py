"""``practice-review run``: render every council's reports with papermill and nbconvert.

For each review selected, both council notebooks are executed with papermill (in parallel,
in worker processes that execute notebook after notebook themselves: :mod:`review_lib.workers`),
exported to HTML for leadership, and the council's ``metrics.json`` is written. A council
whose file is invalid, or whose notebook fails, gets a line in the summary at the end and no
HTML; every other report is still produced. Every file is written under a temporary name
and then renamed, so nothing is ever left half-written.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from review_lib import __version__
from review_lib.paths import (
    ENV_FIGURES,
    ENV_PRELOADED,
    ENV_QUESTIONS,
    FIGURES_DIR,
    NOTEBOOKS_DIR,
    PROJECT_ROOT,
    REPORTS_DIR,
    SAMPLE_DIR,
)

#: Notebook stem -> (HTML file stem, what the report is).
COUNCIL_NOTEBOOKS = {
    "council_distributions": ("distributions", "Distributions of ratings"),
    "council_findings": ("findings", "Findings"),
}
CROSS_NOTEBOOK = "cross_council"


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
                Path(self.out_dir) / f"{self.html_name}.ipynb").exists() and (
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
        """E.g. ``"Dudley 2022-24 findings"``."""
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

    @property
    def failed(self) -> bool:
        """Whether anything failed."""
        return bool(self.invalid_files) or any(not o.ok for o in self.outcomes)


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


def _scrub_notebook(notebook, *roots: Path) -> None:
    """Remove machine paths from an executed notebook's metadata and printed text.

    Papermill records the input and output paths; warnings and errors a notebook printed
    may name files. Both are reduced as :func:`redact` does.
    """
    meta = notebook.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if meta.get(key):
            meta[key] = Path(str(meta[key])).name
    if meta.get("environment_variables"):
        meta["environment_variables"] = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = redact(str(output.get("text", "")), *roots)
            elif output.get("output_type") == "error":
                output["traceback"] = [redact(line, *roots)
                                       for line in output.get("traceback", [])]


def execute_job(job: Job, *, verbose: bool = False, timeout: int = 600,
                preloaded: str | None = None) -> Outcome:
    """Execute one notebook with papermill and export its HTML (runs in a worker process).

    The notebook runs in this process (:mod:`review_lib.engine`), in the job's working
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
    preloaded : str, optional
        File holding the run's read of the data folder
        (:func:`review_lib.report.save_preloaded`).

    Returns
    -------
    Outcome
        Success, or the failing cell and error.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from review_lib.engine import ENGINE_NAME, CellTimeoutError
    from review_lib.export import notebook_to_html
    from review_lib.report import write_atomically

    start = time.perf_counter()
    out_dir = Path(job.out_dir)

    def failed(message: str, spoilt: bool = False) -> Outcome:
        return Outcome(job, False, time.perf_counter() - start, redact(message, Path(job.cwd)),
                       spoilt_worker=spoilt)

    job.stamp.unlink(missing_ok=True)  # until this run succeeds, the report is not current
    environment = {**job.environment, **({ENV_PRELOADED: preloaded} if preloaded else {})}
    try:
        with _job_environment(environment, (ENV_QUESTIONS, ENV_FIGURES, ENV_PRELOADED)):
            executed = pm.execute_notebook(
                str(Path(job.source).resolve()), None, parameters=job.parameters,
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
              figures_dir: Path | None, funnel_limits: str = "exact") -> list[Job]:
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
        How funnel limits are drawn (passed to the findings notebook).

    Returns
    -------
    list of Job
        Two per review.
    """
    from review_lib.report import slug

    cwd, data_param, environment = _kernel_inputs(data, questions, figures_dir)
    jobs = []
    for review in reviews:
        out_dir = reports_dir / review.cycle / slug(review.council)
        for notebook, (html_name, kind) in COUNCIL_NOTEBOOKS.items():
            parameters = {"council": review.council, "cycle": review.cycle,
                          "data_dir": data_param, "questions": "", "figures_dir": ""}
            if notebook == "council_findings":
                parameters["funnel_limits"] = funnel_limits
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
                    funnel_limits: str = "exact") -> list[Job]:
    """One cross-council report job per cycle.

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

    Returns
    -------
    list of Job
        Writing ``reports/<cycle>/cross-council.html``.
    """
    cwd, data_param, environment = _kernel_inputs(data, questions, figures_dir)
    return [Job(CROSS_NOTEBOOK, "all councils", cycle,
                {"cycle": cycle, "highlight": "", "data_dir": data_param, "questions": "",
                 "figures_dir": "", "overdispersion": False, "funnel_limits": funnel_limits},
                str(cwd), str(reports_dir / cycle), "cross-council",
                f"Practice Review {cycle}: cross-council comparison", environment)
            for cycle in cycles]


class Progress:
    """One progress line across the batch: reports done of total, failures so far."""

    def __init__(self, total: int, stream=None):
        self.total = total
        self.done = 0
        self.failed = 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()

    def update(self, outcome: Outcome) -> None:
        """Count one finished job and redraw the line."""
        self.done += 1
        self.failed += 0 if outcome.ok else 1
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        bar = "#" * filled + "-" * (width - filled)
        elapsed = time.perf_counter() - self.start
        line = (f"[{bar}] {self.done}/{self.total} reports, {self.failed} failed, "
                f"{elapsed:.0f}s")
        if self.tty:
            print("\r" + line, end="" if self.done < self.total else "\n", file=self.stream,
                  flush=True)
        else:
            print(line + f"  ({outcome.job.label}{'' if outcome.ok else ': FAILED'})",
                  file=self.stream, flush=True)


def run_batch(*, data: str | Path | None = None, questions: str | Path | None = None,
              councils: list[str] | None = None, cycle: str | None = None,
              reports_dir: str | Path | None = None, figures_dir: str | Path | None = None,
              jobs: int | None = None, verbose: bool = False, timeout: int = 600,
              force: bool = False, notebooks_dir: str | Path | None = None,
              log=None, watch: bool = False, poll: float = 0.25,
              on_summary=None, funnel_limits: str = "exact",
              engine: str = "inprocess") -> RunSummary:
    """Render the council and cross-council reports of a programme, isolating failures.

    Parameters
    ----------
    data : str or Path, optional
        Folder (or file) of review data; the bundled synthetic sample by default.
    questions : str or Path, optional
        Catalogue CSV; the bundled one by default.
    councils : list of str, optional
        Only these councils (names matched ignoring case); all by default.
    cycle : str, optional
        The programme cycle; the latest in the data by default; ``"all"`` for every cycle.
        A cross-council report is rendered for each cycle rendered.
    reports_dir, figures_dir : str or Path, optional
        Output roots; the project's ``reports/`` and ``figures/`` by default.
    jobs : int, optional
        Parallel notebook runs; the machine's cores by default.
    verbose : bool, default False
        Show papermill's per-cell progress.
    timeout : int, default 600
        Per-cell timeout in seconds.
    force : bool, default False
        Render every report, even those whose inputs have not changed since they were
        last rendered.
    notebooks_dir : str or Path, optional
        A folder of customised notebooks (same names and parameters) to run instead of
        the project's ``notebooks/``.
    log : callable, optional
        Called with each line for the run's log file.
    watch : bool, default False
        After rendering, keep the workers and watch the inputs: each
        time a data file, narrative, catalogue or notebook changes, render what is out of
        date again (a change to the library's own code restarts the workers first). Stops
        on Ctrl-C (KeyboardInterrupt) while waiting.
    poll : float, default 0.25
        With ``watch``: seconds between looks at the inputs; a change is acted on once the
        files have stayed the same for one more look (a spreadsheet being saved).
    on_summary : callable, optional
        With ``watch``: called with each pass's RunSummary.
    funnel_limits : {"exact", "fingertips"}, default "exact"
        How funnel limits are drawn in every report and in ``metrics.json``.
    engine : {"inprocess", "kernel"}, default "inprocess"
        How notebooks run: in the worker process itself (fast), or through papermill's
        standard engine with a Jupyter kernel per notebook, for full kernel behaviour
        (widgets aside, which need a live front end either way).

    Returns
    -------
    RunSummary
        Outcomes, invalid files and files written (with ``watch``, of the last pass).
    """
    from review_lib.funnel import METHODS

    if funnel_limits not in METHODS:
        raise ValueError(f"funnel_limits must be one of {', '.join(METHODS)}, "
                         f"not {funnel_limits!r}")
    if engine not in ("inprocess", "kernel"):
        raise ValueError(f"engine must be 'inprocess' or 'kernel', not {engine!r}")
    log = log or (lambda line: None)
    data = Path(data) if data else SAMPLE_DIR
    reports_dir = Path(reports_dir) if reports_dir else REPORTS_DIR
    questions = Path(questions) if questions else None
    figures = Path(figures_dir) if figures_dir else None
    # Unless nothing has changed since the last complete run, the workers start now, while
    # this process reads the data, works out what needs rendering and writes the metrics;
    # if nothing does, they are stopped.
    def inputs() -> str:
        return run_signature(data, questions, notebooks_dir, councils, cycle, figures,
                             funnel_limits)

    signature = inputs()
    last_run = reports_dir / LAST_RUN_FILE
    workers = _Workers(jobs, verbose=verbose)
    if force or watch or _read_text(last_run) != signature:
        workers.start()
    sweep_scratch_folders(log)
    scratch = make_scratch_folder()  # private to this user; swept if the run is killed
    code = code_fingerprint()
    summary, rendering = None, False
    try:
        while True:
            rendering = True
            summary = _run(workers, scratch, data=data, questions=questions,
                           councils=councils, cycle=cycle, reports_dir=reports_dir,
                           figures=figures, verbose=verbose, timeout=timeout, force=force,
                           notebooks_dir=notebooks_dir, log=log, keep_workers=watch,
                           funnel_limits=funnel_limits, engine=engine)
            rendering = False
            if summary.failed:
                last_run.unlink(missing_ok=True)
            elif reports_dir.exists():
                from review_lib.report import write_atomically

                write_atomically(last_run, signature)
            if not watch:
                return summary
            if on_summary:
                on_summary(summary)
            log("watching the inputs for changes")
            signature = _wait_for_change(signature, inputs, poll)
            if signature is None:  # Ctrl-C while waiting: the normal way to stop
                log("stopped watching")
                return summary
            force = False
            if code_fingerprint() != code:  # workers hold the old code: start afresh
                code = code_fingerprint()
                workers.stop()
                workers = _Workers(jobs, verbose=verbose, fresh=True)
                workers.start()
    except KeyboardInterrupt:
        workers.stop()
        remove_leftovers(reports_dir)
        if watch and summary is not None and not rendering:  # between passes: a normal stop
            log("stopped watching")
            return summary
        log("interrupted: finished reports kept, unfinished ones left out")
        raise
    finally:
        workers.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def _run(workers: _Workers, scratch: Path, *, data: Path, questions: Path | None,
         councils: list[str] | None, cycle: str | None, reports_dir: Path,
         figures: Path | None, verbose: bool, timeout: int, force: bool,
         notebooks_dir: str | Path | None, log, keep_workers: bool = False,
         funnel_limits: str = "exact", engine: str = "inprocess") -> RunSummary:
    """One pass of :func:`run_batch`, with its workers already starting."""
    from review_lib.catalogue import load_catalogue
    from review_lib.comparison import cross_metrics
    from review_lib.loading import Programme, normalise_cycle, read_programme_files
    from review_lib.metrics import council_metrics, write_metrics
    from review_lib.report import save_preloaded, slug

    summary = RunSummary()
    catalogue = load_catalogue(questions)
    results = read_programme_files([data], catalogue)
    reviews = [r for result in results for r in result.reviews]
    for result in results:
        if not result.ok:
            errors = [str(p) for p in result.problems if p.is_error]
            summary.invalid_files.append((result.display_name, errors))
            log(f"invalid: {result.display_name}: {len(errors)} error(s)")
    reviews = _refuse_shared_folders(reviews, summary, log)
    if not reviews:
        return summary
    available = sorted({r.cycle for r in reviews})
    if cycle and cycle.casefold() == "all":
        cycles = available
    else:
        cycles = [normalise_cycle(cycle) or cycle] if cycle else [available[-1]]
    wanted_cycle = ", ".join(cycles)
    selected = [r for r in reviews if r.cycle in cycles]
    if councils:
        names = {c.casefold() for c in councils}
        selected = [r for r in selected if r.council.casefold() in names]
        missing = names - {r.council.casefold() for r in selected}
        for name in sorted(missing):
            summary.invalid_files.append(
                (name, [f"no valid review of {name!r} in cycle {wanted_cycle}"]))
    all_cycles = [c for c in cycles if c in available]
    plan = plan_jobs(selected, data=data, questions=questions, reports_dir=reports_dir,
                     figures_dir=figures, funnel_limits=funnel_limits)
    plan += plan_cross_jobs(all_cycles, data=data, questions=questions,
                            reports_dir=reports_dir, figures_dir=figures,
                            funnel_limits=funnel_limits)
    programme = Programme(reviews, catalogue)
    for job in plan:
        job.engine = engine
        if notebooks_dir:
            job.notebooks_dir = str(Path(notebooks_dir).resolve())
    set_fingerprints(plan, programme, questions)
    remove_leftovers(reports_dir)
    to_run = [job for job in plan if force or not job.up_to_date()]
    for job in plan:
        if job not in to_run:
            summary.outcomes.append(Outcome(job, True, html=str(job.html), skipped=True))
    log(f"{len(plan) - len(to_run)} report(s) up to date, {len(to_run)} to render "
        f"(cycle {wanted_cycle})")
    if to_run:
        preloaded = scratch / "inputs.pickle"
        save_preloaded(preloaded, data, questions, catalogue, results)
        workers.submit(to_run, timeout=timeout, preloaded=str(preloaded))
    elif not keep_workers:
        workers.stop()
    for review in selected:
        path = reports_dir / review.cycle / slug(review.council) / "metrics.json"
        try:
            summary.written.append(write_metrics(council_metrics(review), path))
        except Exception as exc:  # one review's figures never stop the others
            summary.invalid_files.append((review.source, [
                f"{review.council} {review.cycle}: its metrics.json could not be written "
                f"({type(exc).__name__}: {str(exc)[:200]})"]))
    for each in all_cycles:
        try:
            summary.written.append(write_metrics(
                cross_metrics(programme.in_cycle(each), funnel_limits),
                reports_dir / each / "metrics.json"))
        except Exception as exc:
            summary.invalid_files.append((f"cycle {each}", [
                f"the cross-council metrics.json could not be written "
                f"({type(exc).__name__}: {str(exc)[:200]})"]))
    if to_run:
        workers.collect(summary, log, keep=keep_workers)
    index = write_index(reports_dir)
    summary.written.append(index)
    return summary


#: Prefix of a run's private temporary folder, and the file in it naming its process.
SCRATCH_PREFIX = "practice-review-"
SCRATCH_OWNER = "owner.pid"


def make_scratch_folder() -> Path:
    """A private temporary folder for one run, marked with the run's process id.

    It holds the run's read of the data (which names raw case identifiers) while workers
    use it. The run deletes it at the end; if the run is killed first, the next run
    finds the marker of a process that no longer exists and deletes it
    (:func:`sweep_scratch_folders`).

    Returns
    -------
    Path
        The folder (mode 0700).
    """
    folder = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    (folder / SCRATCH_OWNER).write_text(f"{os.getpid()}\n", encoding="ascii")
    return folder


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, but another user's (or cannot tell): leave it alone
    return True


def sweep_scratch_folders(log=None) -> list[Path]:
    """Delete the temporary folders that killed runs of this user left behind.

    Only folders named ``practice-review-*`` in the system temporary folder, owned by this
    user, holding this suite's marker file, whose process no longer exists, are removed:
    nothing else is touched.

    Parameters
    ----------
    log : callable, optional
        Called with a line for each folder removed.

    Returns
    -------
    list of Path
        The folders removed.
    """
    removed = []
    root = Path(tempfile.gettempdir())
    try:
        candidates = list(root.glob(f"{SCRATCH_PREFIX}*"))
    except OSError:
        return removed
    for folder in candidates:
        marker = folder / SCRATCH_OWNER
        try:
            if (folder.is_symlink() or not folder.is_dir()
                    or (hasattr(os, "getuid") and folder.stat().st_uid != os.getuid())):
                continue
            pid = int(marker.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue
        if pid == os.getpid() or _process_alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
        if log:
            log("removed the temporary folder a killed run left behind")
    return removed


def _refuse_shared_folders(reviews: list, summary: RunSummary, log) -> list:
    """Leave out reviews whose different council names would share an output folder.

    "St. Helens" and "St Helens" both make ``st-helens``: rendering both would overwrite
    one council's reports with the other's. Neither is rendered, and the run names both.
    """
    from review_lib.report import slug_collisions

    clashes = slug_collisions(reviews)
    if not clashes:
        return reviews
    refused = set()
    for (cycle, folder), names in clashes.items():
        listed = " and ".join(repr(n) for n in names)
        for name in names:
            refused.add((name, cycle))
            files = sorted({r.source for r in reviews if r.council == name and r.cycle == cycle})
            summary.invalid_files.append((", ".join(files), [
                f"{cycle}: the council names {listed} both make the folder name "
                f"{folder!r}, so neither is rendered (one would overwrite the other); "
                "expected one spelling of each council's name across the files"]))
        log(f"refused: {listed} share the folder {folder!r} in {cycle}")
    return [r for r in reviews if (r.council, r.cycle) not in refused]


def _wait_for_change(signature: str, inputs, poll: float) -> str | None:
    """Wait until the inputs differ from ``signature`` and then hold still for one look.

    Returns
    -------
    str or None
        The new signature, or None if Ctrl-C was pressed while waiting.
    """
    try:
        while True:
            time.sleep(poll)
            current = inputs()
            if current == signature:
                continue
            while True:  # let a save finish: act once two looks agree
                time.sleep(poll)
                settled = inputs()
                if settled == current:
                    return settled
                current = settled
    except KeyboardInterrupt:
        return None


#: In the reports folder: a hash of what the last complete run was made from.
LAST_RUN_FILE = ".last-run"


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def run_signature(data: Path, questions: Path | None, notebooks_dir, councils, cycle,
                  figures: Path | None, funnel_limits: str = "exact") -> str:
    """A cheap hash of a run's inputs: files by size and modification time, and options.

    Equal to the last complete run's when no data file, narrative, catalogue, notebook or
    library file has changed since; the run then reads and checks everything as usual, but
    does not start workers before it knows there is work for them.

    Parameters
    ----------
    data : Path
        Data folder or file.
    questions : Path or None
        Catalogue file.
    notebooks_dir : str or Path or None
        Customised notebooks.
    councils, cycle
        The run's selection.
    figures : Path or None
        Chart folder.
    funnel_limits : str, default "exact"
        The funnel method.

    Returns
    -------
    str
        Hex SHA-256 (no path is stored in the reports folder).
    """
    from review_lib.paths import QUESTIONS_FILE

    roots = [data, questions or QUESTIONS_FILE, Path(notebooks_dir or NOTEBOOKS_DIR),
             Path(__file__).resolve().parent]
    entries = []
    for root in roots:
        found = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in found:
            try:
                info = path.stat()
            except OSError:
                continue
            entries.append((str(path), info.st_size, info.st_mtime_ns))
    options = [__version__, sorted(councils or []), cycle, str(figures), funnel_limits]
    return hashlib.sha256(json.dumps([entries, options]).encode()).hexdigest() + "\n"


class _Workers:
    """The run's worker processes (:mod:`review_lib.workers`), started as soon as work is likely."""

    def __init__(self, jobs: int | None, *, verbose: bool, fresh: bool = False):
        self.verbose = verbose
        self.fresh = fresh
        self.count = max(1, jobs or os.cpu_count() or 1)
        self.pool = None
        self.plan: list[Job] = []
        self.options: dict = {}

    def start(self) -> None:
        """Start the worker processes (each then prepares in the background)."""
        from review_lib.workers import WorkerPool

        if self.pool is None:
            self.pool = WorkerPool(self.count, verbose=self.verbose, fresh=self.fresh)
        self.pool.start()

    def submit(self, plan: list[Job], *, timeout: int, preloaded: str | None) -> None:
        """Queue the jobs, the longest expected first (see :func:`longest_first`)."""
        self.start()
        self.plan = longest_first(plan)
        self.options = {"verbose": self.verbose, "timeout": timeout, "preloaded": preloaded}

    def collect(self, summary: RunSummary, log, *, keep: bool = False) -> None:
        """Run the queued jobs, recording outcomes as they finish; then stop, unless keep."""
        progress = Progress(len(self.plan))
        log(f"rendering {len(self.plan)} report(s) with {self.count} worker(s)")

        def record(outcome: Outcome) -> None:
            summary.outcomes.append(outcome)
            progress.update(outcome)
            log(f"{'ok' if outcome.ok else 'FAILED'}: {outcome.job.label} "
                f"({outcome.seconds:.1f}s){': ' + outcome.message if outcome.message else ''}")
            if outcome.html:
                summary.written.append(Path(outcome.html))

        def failure(job: Job, message: str) -> Outcome:
            return Outcome(job, False, message=message)

        self.pool.log = log
        self.pool.run(self.plan, options=self.options, timeout=self.options["timeout"],
                      on_outcome=record, failure=failure)
        if not keep:
            self.stop()  # every job is done: no need to wait for an orderly exit
            log("workers stopped")

    def stop(self) -> None:
        """Stop the workers now."""
        if self.pool is not None:
            self.pool.stop()
            self.pool = None


def longest_first(plan: list[Job]) -> list[Job]:
    """Order jobs so that the longest start first and two workers finish close together.

    Reports whose charts will mostly be drawn come first: the cross-council report, then
    distributions (four charts), then findings; reports that only need new text (another
    council changed the programme average) come last. Each report's charts are measured in
    its previous stamp (:meth:`Job.mostly_redrawn`).

    Parameters
    ----------
    plan : list of Job
        The jobs to run.

    Returns
    -------
    list of Job
        The same jobs, in the order to start them.
    """
    kinds = [CROSS_NOTEBOOK, "council_distributions", "council_findings"]

    def key(job: Job) -> tuple:
        kind = kinds.index(job.notebook) if job.notebook in kinds else len(kinds)
        return (not job.mostly_redrawn(), kind)

    return sorted(plan, key=key)


def _hash_files(paths) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(Path(path).name).encode())
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def code_fingerprint() -> str:
    """Hash of the library's code and templates, and of the notebooks, with its version.

    Returns
    -------
    str
        Changes whenever anything that shapes a report changes.
    """
    package = Path(__file__).resolve().parent
    files = sorted([*package.rglob("*.py"), *package.rglob("*.j2"), *package.rglob("*.css"),
                    *NOTEBOOKS_DIR.glob("*.ipynb")])
    return __version__ + ":" + _hash_files(files)


def set_fingerprints(plan: list[Job], programme, questions: Path | None) -> None:
    """Record in each job a hash of every input its report depends on.

    A distributions report depends on its council's data file; a findings report also on
    the council's narrative, its previous review, and every council's counts in the cycle
    (its funnel position); a cross-council report on every data file. All depend on the
    code, notebooks, catalogue, parameters and output folders.

    Parameters
    ----------
    plan : list of Job
        The jobs (updated in place).
    programme : Programme
        Every valid review.
    questions : Path or None
        The catalogue file, or None for the bundled one.
    """
    from review_lib.paths import QUESTIONS_FILE
    from review_lib.stats import good_counts

    base = {"code": code_fingerprint(), "catalogue": _hash_files([questions or QUESTIONS_FILE])}
    everything = sorted((r.council, r.cycle, r.sha256) for r in programme.reviews)
    funnel_inputs: dict[str, list] = {}
    for cycle in {job.cycle for job in plan}:
        part = programme.in_cycle(cycle)
        if part.reviews:
            judged = good_counts(part.judgements, "judgement")
            rated = good_counts(part.ratings, "rating")
            funnel_inputs[cycle] = [judged.reset_index().values.tolist(),
                                    rated.reset_index().values.tolist()]
    for job in plan:
        inputs = {**base, "notebook": job.notebook, "source": _hash_files([job.source]),
                  "parameters": job.parameters, "engine": job.engine,
                  "environment": job.environment, "out": job.html_name}
        if job.notebook == CROSS_NOTEBOOK:
            inputs["data"] = everything
        else:
            review = programme.review(job.council, job.cycle)
            inputs["data"] = review.sha256
            if job.notebook == "council_findings":
                narrative = review.path.with_suffix(".md") if review.path else None
                inputs["narrative"] = (_hash_files([narrative]) if narrative and
                                       narrative.exists() else None)
                previous = programme.previous_review(review)
                inputs["previous"] = previous.sha256 if previous else None
                inputs["funnel"] = funnel_inputs.get(job.cycle)
        job.fingerprint = hashlib.sha256(
            json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
        drawing = {k: v for k, v in inputs.items()
                   if k not in ("funnel", "narrative", "previous")}
        job.drawing_inputs = hashlib.sha256(
            json.dumps(drawing, sort_keys=True, default=str).encode()).hexdigest()


def remove_leftovers(reports_dir: Path) -> None:
    """Delete temporary files an interrupted run may have left (``.*.part*``).

    Parameters
    ----------
    reports_dir : Path
        Root of the outputs.
    """
    if not reports_dir.exists():
        return
    for leftover in reports_dir.rglob(".*.part*"):
        leftover.unlink(missing_ok=True)


def write_index(reports_dir: Path) -> Path:
    """Write ``reports/index.html``: every cycle's council reports with headline figures.

    Parameters
    ----------
    reports_dir : Path
        Root of the outputs (holding ``<cycle>/<council>/metrics.json``).

    Returns
    -------
    Path
        The index file.
    """
    from review_lib.index_page import build_index
    from review_lib.report import write_atomically

    return write_atomically(reports_dir / "index.html", build_index(reports_dir))


def _print_summary(summary: RunSummary, reports_dir: Path, stream=None) -> None:
    stream = stream or sys.stdout
    made = [o for o in summary.outcomes if o.ok and not o.skipped]
    skipped = [o for o in summary.outcomes if o.skipped]
    failed = [o for o in summary.outcomes if not o.ok]
    print(f"\n{len(made)} report(s) written, {len(skipped)} already up to date, "
          f"{len(failed)} failed, {len(summary.invalid_files)} invalid file(s).", file=stream)
    for name, errors in summary.invalid_files:
        print(f"INVALID {name}: no reports; {len(errors)} error(s):", file=stream)
        for error in errors[:20]:
            print(f"    {error}", file=stream)
        if len(errors) > 20:
            print(f"    ... and {len(errors) - 20} more (practice-review validate {name})",
                  file=stream)
    for outcome in failed:
        print(f"FAILED  {outcome.job.label} ({outcome.job.notebook}.ipynb): "
              f"{outcome.message}", file=stream)
    index = reports_dir / "index.html"
    if index.exists():
        print(f"Open {index} to read the reports.", file=stream)
    stream.flush()


def cmd_run(args: argparse.Namespace) -> int:
    """The ``run`` sub-command."""
    reports_dir = Path(args.out) if args.out else Path(os.path.relpath(REPORTS_DIR))
    reports_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_dir = reports_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    log_path = log_dir / f"run-{stamp}.log"
    with log_path.open("a", encoding="utf-8") as handle:
        def log(line: str) -> None:
            handle.write(f"{dt.datetime.now().isoformat(timespec='milliseconds')} {line}\n")
            handle.flush()

        log(f"review_lib {__version__}; jobs={args.jobs or os.cpu_count()}")
        watched = args.data or os.path.relpath(SAMPLE_DIR)

        def each_pass(summary: RunSummary) -> None:
            _print_summary(summary, reports_dir)
            print(f"Watching {watched} for changes; press Ctrl-C to stop.", flush=True)

        summary = run_batch(data=args.data, questions=args.questions, councils=args.council,
                            cycle=args.cycle, reports_dir=reports_dir, figures_dir=args.figures,
                            jobs=args.jobs, verbose=args.verbose, timeout=args.timeout,
                            force=args.force, notebooks_dir=args.notebooks, log=log,
                            watch=args.watch, on_summary=each_pass,
                            funnel_limits=args.funnel_limits, engine=args.engine)
    if args.watch:
        print("Stopped watching.", flush=True)
    else:
        _print_summary(summary, reports_dir)
    return 1 if summary.failed else 0


def add_run_parser(sub) -> None:
    """Register ``practice-review run``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The sub-command registry.
    """
    run = sub.add_parser("run", help="render every council's reports (papermill + nbconvert)")
    run.add_argument("--data", metavar="PATH",
                     help="folder of review files (default: the bundled synthetic sample)")
    run.add_argument("--questions", metavar="FILE", help="question catalogue CSV")
    run.add_argument("--council", action="append", metavar="NAME",
                     help="only this council (repeatable)")
    run.add_argument("--cycle", help="programme cycle, or 'all' (default: the latest in the "
                                     "data)")
    run.add_argument("--out", metavar="DIR", help="reports folder (default: reports/)")
    run.add_argument("--figures", metavar="DIR", help="charts folder (default: figures/)")
    run.add_argument("--jobs", type=int, default=None,
                     help="notebooks run at once (default: the number of cores)")
    run.add_argument("--timeout", type=int, default=600, help="per-cell timeout, seconds")
    run.add_argument("--notebooks", metavar="DIR",
                     help="customised notebooks to run instead of the project's notebooks/")
    run.add_argument("--force", action="store_true",
                     help="render every report, even those whose inputs have not changed")
    run.add_argument("--verbose", action="store_true", help="show per-cell progress")
    run.add_argument("--engine", choices=("inprocess", "kernel"), default="inprocess",
                     help="run notebooks in the worker processes themselves (default, "
                          "fast) or through papermill's standard engine with a Jupyter "
                          "kernel per notebook (full kernel behaviour)")
    run.add_argument("--funnel-limits", choices=("exact", "fingertips"), default="exact",
                     help="how funnel limits are drawn: exact binomial (default; flags a "
                          "council by chance no more often than the stated 5%% or 0.2%%) or "
                          "the PHE Fingertips method (as PHEindicatormethods computes it)")
    run.add_argument("--watch", action="store_true",
                     help="after rendering, keep the workers warm and render again whenever "
                          "a data file changes (Ctrl-C to stop)")
    run.set_defaults(func=cmd_run)


# Keep these importable for tests and the benchmark.
__all__ = ["COUNCIL_NOTEBOOKS", "Job", "Outcome", "RunSummary", "add_run_parser",
           "execute_job", "longest_first", "plan_jobs", "redact", "run_batch", "write_index"]

