"""``practice-review run``: render every council's reports with papermill and nbconvert.

For each review selected, both council notebooks are executed with papermill (in parallel,
one kernel per job), exported to HTML for leadership, and the council's ``metrics.json`` is
written. A council whose file is invalid, or whose notebook fails, gets a line in the
summary at the end and no HTML; every other report is still produced. Every file is written
under a temporary name and then renamed, so nothing is ever left half-written.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from review_lib import __version__
from review_lib.paths import NOTEBOOKS_DIR, PROJECT_ROOT, REPORTS_DIR, SAMPLE_DIR

#: Notebook stem -> (HTML file stem, what the report is).
COUNCIL_NOTEBOOKS = {
    "council_distributions": ("distributions", "Distributions of ratings"),
    "council_findings": ("findings", "Findings"),
}
#: Environment variables through which a run tells kernels where the catalogue and
#: chart folders are (parameters would record the paths in the executed notebooks).
ENV_QUESTIONS = "PRACTICE_REVIEW_QUESTIONS"
ENV_FIGURES = "PRACTICE_REVIEW_FIGURES"
KERNEL_START_ERRORS = ("Kernel didn't respond", "Kernel died before replying",
                       "kernel_info", "Kernel not responding", "timed out")


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


def _scrub_notebook(path: Path) -> None:
    """Remove machine paths papermill records in the executed notebook's metadata."""
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    meta = notebook.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if meta.get(key):
            meta[key] = Path(meta[key]).name
    if meta.get("environment_variables"):
        meta["environment_variables"] = {}
    nbformat.write(notebook, str(path))


def execute_job(job: Job, *, verbose: bool = False, timeout: int = 600) -> Outcome:
    """Execute one notebook with papermill and export its HTML (runs in a worker process).

    A kernel that fails to start is retried once; a cell running longer than ``timeout``
    seconds, or a kernel that dies, fails the job with a message saying so.

    Parameters
    ----------
    job : Job
        What to render.
    verbose : bool, default False
        Show papermill's per-cell progress bar and the notebook's output.
    timeout : int, default 600
        Per-cell execution timeout in seconds.

    Returns
    -------
    Outcome
        Success, or the failing cell and error.
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    from review_lib.export import export_report

    start = time.perf_counter()
    out_dir = Path(job.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final_nb = out_dir / f"{job.html_name}.ipynb"
    temp_nb = out_dir / f".{job.html_name}.{os.getpid()}.part.ipynb"
    source = NOTEBOOKS_DIR / f"{job.notebook}.ipynb"
    for name in (ENV_QUESTIONS, ENV_FIGURES):
        os.environ.pop(name, None)
    os.environ.update(job.environment)  # inherited by the kernel this job starts
    message = ""
    for attempt in (1, 2):
        try:
            pm.execute_notebook(
                str(source), str(temp_nb), parameters=job.parameters, kernel_name="python3",
                progress_bar=verbose, log_output=verbose, cwd=job.cwd,
                execution_timeout=timeout, start_timeout=120)
            break
        except PapermillExecutionError as exc:
            first_line = (exc.source or "").strip().splitlines()[:1]
            message = (f"cell {exc.exec_count or exc.cell_index} "
                       f"({first_line[0] if first_line else ''}) failed: "
                       f"{exc.ename}: {exc.evalue}")
        except CellTimeoutError:
            message = f"a cell ran for more than {timeout} s and was stopped"
        except DeadKernelError:
            message = "the kernel died while running the notebook"
        except (RuntimeError, TimeoutError) as exc:
            text = str(exc)
            if attempt == 1 and any(s in text for s in KERNEL_START_ERRORS):
                time.sleep(1.0)
                continue  # the known start-up race of parallel kernels: try once more
            message = f"the kernel could not be started: {text}"
        temp_nb.unlink(missing_ok=True)
        return Outcome(job, False, time.perf_counter() - start,
                       redact(message, Path(job.cwd)))
    try:
        _scrub_notebook(temp_nb)
        html_path = out_dir / f"{job.html_name}.html"
        export_report(temp_nb, html_path, title=job.title)
        os.replace(temp_nb, final_nb)
    except Exception as exc:
        temp_nb.unlink(missing_ok=True)
        return Outcome(job, False, time.perf_counter() - start,
                       redact(f"export failed: {type(exc).__name__}: {exc}", Path(job.cwd)))
    return Outcome(job, True, time.perf_counter() - start, html=str(html_path))


def _quiet_worker(verbose: bool) -> None:
    """Send a worker's stderr (and so its kernels' start-up chatter) away unless verbose."""
    if verbose:
        return
    import warnings

    warnings.filterwarnings("ignore")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def plan_jobs(reviews, *, data: Path, questions: Path | None, reports_dir: Path,
              figures_dir: Path | None) -> list[Job]:
    """Jobs for both council notebooks of each review.

    The data folder is passed by name, with the kernel started in its parent folder; a
    catalogue or figures folder of the user's choosing reaches the kernel through
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

    Returns
    -------
    list of Job
        Two per review.
    """
    from review_lib.report import slug

    default_data = data.resolve() == SAMPLE_DIR.resolve()
    cwd = PROJECT_ROOT if default_data else data.resolve().parent
    data_param = "" if default_data else data.resolve().name
    jobs = []
    for review in reviews:
        out_dir = reports_dir / review.cycle / slug(review.council)
        environment = {}
        if questions:
            environment[ENV_QUESTIONS] = str(questions.resolve())
        if figures_dir:
            environment[ENV_FIGURES] = str(figures_dir.resolve())
        for notebook, (html_name, kind) in COUNCIL_NOTEBOOKS.items():
            parameters = {"council": review.council, "cycle": review.cycle,
                          "data_dir": data_param, "questions": "", "figures_dir": ""}
            jobs.append(Job(notebook, review.council, review.cycle, parameters, str(cwd),
                            str(out_dir), html_name,
                            f"Practice Review {review.cycle}: {review.council} — {kind}",
                            environment))
    return jobs


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
              log=None) -> RunSummary:
    """Render the council reports of a programme, in parallel, isolating failures.

    Parameters
    ----------
    data : str or Path, optional
        Folder (or file) of review data; the bundled synthetic sample by default.
    questions : str or Path, optional
        Catalogue CSV; the bundled one by default.
    councils : list of str, optional
        Only these councils (names matched ignoring case); all by default.
    cycle : str, optional
        The programme cycle; the latest in the data by default.
    reports_dir, figures_dir : str or Path, optional
        Output roots; the project's ``reports/`` and ``figures/`` by default.
    jobs : int, optional
        Parallel notebook runs; the machine's cores by default.
    verbose : bool, default False
        Show papermill's per-cell progress.
    timeout : int, default 600
        Per-cell timeout in seconds.
    log : callable, optional
        Called with each line for the run's log file.

    Returns
    -------
    RunSummary
        Outcomes, invalid files and files written.
    """
    from review_lib.catalogue import load_catalogue
    from review_lib.loading import normalise_cycle, read_programme_files
    from review_lib.metrics import council_metrics, write_metrics
    from review_lib.report import slug

    log = log or (lambda line: None)
    data = Path(data) if data else SAMPLE_DIR
    reports_dir = Path(reports_dir) if reports_dir else REPORTS_DIR
    questions = Path(questions) if questions else None
    figures = Path(figures_dir) if figures_dir else None
    summary = RunSummary()
    catalogue = load_catalogue(questions)
    results = read_programme_files([data], catalogue)
    reviews = [r for result in results for r in result.reviews]
    for result in results:
        if not result.ok:
            errors = [str(p) for p in result.problems if p.is_error]
            summary.invalid_files.append((result.display_name, errors))
            log(f"invalid: {result.display_name}: {len(errors)} error(s)")
    if not reviews:
        return summary
    wanted_cycle = normalise_cycle(cycle) if cycle else max(r.cycle for r in reviews)
    selected = [r for r in reviews if r.cycle == wanted_cycle]
    if councils:
        names = {c.casefold() for c in councils}
        selected = [r for r in selected if r.council.casefold() in names]
        missing = names - {r.council.casefold() for r in selected}
        for name in sorted(missing):
            summary.invalid_files.append(
                (name, [f"no valid review of {name!r} in cycle {wanted_cycle}"]))
    plan = plan_jobs(selected, data=data, questions=questions, reports_dir=reports_dir,
                     figures_dir=figures)
    for review in selected:
        path = reports_dir / review.cycle / slug(review.council) / "metrics.json"
        summary.written.append(write_metrics(council_metrics(review), path))
    workers = max(1, min(jobs or os.cpu_count() or 1, len(plan) or 1))
    progress = Progress(len(plan))
    log(f"rendering {len(plan)} reports for cycle {wanted_cycle} with {workers} worker(s)")
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                initializer=_quiet_worker, initargs=(verbose,)) as pool:
        futures = {pool.submit(execute_job, job, verbose=verbose, timeout=timeout): job
                   for job in plan}
        for future in cf.as_completed(futures):
            try:
                outcome = future.result()
            except Exception as exc:
                outcome = Outcome(futures[future], False,
                                  message=f"worker failed: {type(exc).__name__}: {exc}")
            summary.outcomes.append(outcome)
            progress.update(outcome)
            log(f"{'ok' if outcome.ok else 'FAILED'}: {outcome.job.label} "
                f"({outcome.seconds:.1f}s){': ' + outcome.message if outcome.message else ''}")
            if outcome.html:
                summary.written.append(Path(outcome.html))
    index = write_index(reports_dir)
    summary.written.append(index)
    return summary


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
    ok = [o for o in summary.outcomes if o.ok]
    failed = [o for o in summary.outcomes if not o.ok]
    print(f"\n{len(ok)} report(s) written, {len(failed)} failed, "
          f"{len(summary.invalid_files)} invalid file(s).", file=stream)
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


def cmd_run(args: argparse.Namespace) -> int:
    """The ``run`` sub-command."""
    reports_dir = Path(args.out) if args.out else Path(os.path.relpath(REPORTS_DIR))
    reports_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_dir = reports_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    log_path = log_dir / f"run-{stamp}.log"
    with log_path.open("w", encoding="utf-8") as handle:
        def log(line: str) -> None:
            handle.write(f"{dt.datetime.now().isoformat(timespec='seconds')} {line}\n")
            handle.flush()

        log(f"review_lib {__version__}; jobs={args.jobs or os.cpu_count()}")
        summary = run_batch(data=args.data, questions=args.questions, councils=args.council,
                            cycle=args.cycle, reports_dir=reports_dir, figures_dir=args.figures,
                            jobs=args.jobs, verbose=args.verbose, timeout=args.timeout,
                            log=log)
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
    run.add_argument("--cycle", help="programme cycle (default: the latest in the data)")
    run.add_argument("--out", metavar="DIR", help="reports folder (default: reports/)")
    run.add_argument("--figures", metavar="DIR", help="charts folder (default: figures/)")
    run.add_argument("--jobs", type=int, default=None,
                     help="notebooks run at once (default: the number of cores)")
    run.add_argument("--timeout", type=int, default=600, help="per-cell timeout, seconds")
    run.add_argument("--verbose", action="store_true", help="show per-cell progress")
    run.set_defaults(func=cmd_run)


# Keep these importable for tests and the benchmark.
__all__ = ["COUNCIL_NOTEBOOKS", "Job", "Outcome", "RunSummary", "add_run_parser",
           "execute_job", "plan_jobs", "redact", "run_batch", "write_index"]

