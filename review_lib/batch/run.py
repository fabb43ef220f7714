"""``practice-review run``: render every council's reports with papermill and nbconvert.

For each review selected, both council notebooks are executed with papermill (in parallel,
in worker processes that execute notebook after notebook themselves:
:mod:`review_lib.batch.workers`), exported to HTML for leadership, and the council's
``metrics.json`` is written; each moderation exercise of the cycles rendered gets its
calibration report (``auditor_calibration.ipynb``, which writes its own ``metrics.json``).
A council whose file is invalid, or whose notebook fails, gets a line in the summary at the
end and no HTML; every other report is still produced. Every file is written under a temporary name
and then renamed, so nothing is ever left half-written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import threading
import time
from pathlib import Path

from review_lib import __version__
from review_lib.batch.fingerprints import (
    LAST_RUN_FILE,
    _read_text,
    code_fingerprint,
    longest_first,
    run_signature,
    set_fingerprints,
)
from review_lib.batch.jobs import (
    Job,
    Outcome,
    RunSummary,
    plan_calibration_jobs,
    plan_cross_jobs,
    plan_jobs,
)
from review_lib.batch.scratch import make_scratch_folder, sweep_scratch_folders
from review_lib.paths import (
    REPORTS_DIR,
    SAMPLE_DIR,
)


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
              engine: str = "inprocess", pdf: bool = False, docx: bool = False,
              docx_style: str | Path | None = None, name_councils: bool = False) -> RunSummary:
    """Render the council, cross-council and calibration reports of a programme.

    Failures are isolated: a bad file or a failing notebook costs only its own reports.

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
    pdf, docx : bool, default False
        Also write a PDF beside each leadership and cross-council report, and a Word file
        beside each leadership report (:mod:`review_lib.batch.formats`).
    docx_style : str or Path, optional
        A council's Word reference document for the Word files' styles.
    name_councils : bool, default False
        Name the other councils of the cycle in each council's own report (never one whose
        review is a draft); by default they are "other councils"
        (:func:`review_lib.report.council.named_councils`). The cross-council report always
        names them.

    Returns
    -------
    RunSummary
        Outcomes, invalid files and files written (with ``watch``, of the last pass).
    """
    from review_lib.analysis.methods import FUNNEL_METHODS

    if funnel_limits not in FUNNEL_METHODS:
        raise ValueError(f"funnel_limits must be one of {', '.join(FUNNEL_METHODS)}, "
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
                             funnel_limits, name_councils)

    signature = inputs()
    last_run = reports_dir / LAST_RUN_FILE
    workers = _Workers(jobs, verbose=verbose)
    if force or watch or _read_text(last_run) != signature:
        workers.start()
    sweep_scratch_folders(log)
    # Private to this user: it holds the run's analyses (pseudonymised) and, where the
    # system has no in-memory files, its prepared read of the data (raw case identifiers);
    # it goes when the run ends, however it ends: done, failed, Ctrl-C or SIGTERM (stopped
    # as Ctrl-C stops it). Only a run killed outright leaves it, for the next run to sweep.
    # On Linux the prepared read is held in memory only (PreparedInMemory).
    scratch = make_scratch_folder()
    restore_terminate = _terminate_as_interrupt()
    code = code_fingerprint()
    summary, rendering = None, False
    try:
        while True:
            rendering = True
            summary = _run(workers, scratch, data=data, questions=questions,
                           councils=councils, cycle=cycle, reports_dir=reports_dir,
                           figures=figures, verbose=verbose, timeout=timeout, force=force,
                           notebooks_dir=notebooks_dir, log=log, keep_workers=watch,
                           funnel_limits=funnel_limits, engine=engine,
                           name_councils=name_councils)
            if pdf or docx:
                from review_lib.batch.formats import write_formats

                docx = docx and _style_usable(docx_style, summary)
                write_formats(summary, pdf=pdf, docx=docx,
                              docx_style=Path(docx_style) if docx_style else None,
                              jobs=jobs, log=log)
            rendering = False
            if summary.failed:
                last_run.unlink(missing_ok=True)
            elif reports_dir.exists():
                from review_lib.files import write_atomically

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
        _let_go_prepared()
        shutil.rmtree(scratch, ignore_errors=True)
        restore_terminate()


#: The in-memory prepared reads this run holds (one per pass; the last pass's while it runs).
_HELD_PREPARED: list = []


def _let_go_prepared() -> None:
    """Close the run's in-memory prepared reads: freed once no notebook has them open."""
    while _HELD_PREPARED:
        _HELD_PREPARED.pop().close()


def _terminate_as_interrupt():
    """Make SIGTERM stop the run as Ctrl-C does (workers stopped, scratch folder removed).

    Only in the main thread, where signal handlers can be set. Returns the function that
    puts back the handler there was.
    """
    import signal

    if (not hasattr(signal, "SIGTERM")
            or threading.current_thread() is not threading.main_thread()):
        return lambda: None

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    return lambda: signal.signal(signal.SIGTERM,
                                 previous if previous is not None else signal.SIG_DFL)


def _run(workers: _Workers, scratch: Path, *, data: Path, questions: Path | None,
         councils: list[str] | None, cycle: str | None, reports_dir: Path,
         figures: Path | None, verbose: bool, timeout: int, force: bool,
         notebooks_dir: str | Path | None, log, keep_workers: bool = False,
         funnel_limits: str = "exact", engine: str = "inprocess",
         name_councils: bool = False) -> RunSummary:
    """One pass of :func:`run_batch`, with its workers already starting."""
    from review_lib.data.catalogue import load_catalogue
    from review_lib.data.loading import (
        read_programme_files,
        thin_cycle_message,
        thin_latest_cycle,
    )
    from review_lib.data.records import Programme, _h, normalise_cycle
    from review_lib.report.context import (
        ANALYSES_FILE,
        PREPARED_FILE,
        PreparedInMemory,
        notes_read,
        write_prepared,
    )

    summary = RunSummary()
    catalogue = load_catalogue(questions)
    results = read_programme_files([data], catalogue)
    reviews = all_reviews = [r for result in results for r in result.reviews]
    for result in results:
        if not result.ok:
            errors = [str(p) for p in result.problems if p.is_error]
            summary.invalid_files.append((result.display_name, errors))
            log(f"invalid: {result.display_name}: {len(errors)} error(s)")
        # Region spellings taken as one, shown as validate shows them.
        summary.messages += [str(p) for p in result.problems if p.kind == "region-spelling"]
    reviews = _refuse_shared_folders(reviews, summary, log)
    exercises = _refuse_shared_exercise_folders(
        [e for result in results for e in result.exercises], summary, log)
    if not reviews and not exercises:
        return summary
    available = sorted({r.cycle for r in reviews} | {e.cycle for e in exercises})
    if cycle and cycle.casefold() == "all":
        cycles = available
    else:
        cycles = [normalise_cycle(cycle) or cycle] if cycle else [available[-1]]
    thin = None if cycle else thin_latest_cycle(reviews)
    if thin is not None and thin[0] in cycles:  # one mistyped cycle would hide the rest
        message, expected = thin_cycle_message(thin)
        files = sorted({r.source for r in reviews if r.cycle == thin[0]})
        summary.messages.append(f"{', '.join(files[:5])}{' ...' if len(files) > 5 else ''}: "
                                f"{message}. Expected: {expected}.")
        log(f"the latest cycle {thin[0]} is thin beside {thin[2]}")
    wanted_cycle = ", ".join(cycles)
    selected = [r for r in reviews if r.cycle in cycles]
    if councils:
        from review_lib.data.records import ReviewNotFound

        names = {_h(c) for c in councils}
        selected = [r for r in selected if _h(r.council) in names]
        found = {_h(r.council) for r in selected}
        valid = Programme(reviews, catalogue)
        for name in dict.fromkeys(c for c in councils if _h(c) not in found):
            # What was probably meant, and what there is (a misspelling is not a bad file).
            summary.not_found.append(ReviewNotFound(name, cycles[-1], valid).message)
            log(f"not found: {name}")
    all_cycles = [c for c in cycles if c in {r.cycle for r in reviews}]
    plan = plan_jobs(selected, data=data, questions=questions, reports_dir=reports_dir,
                     figures_dir=figures, funnel_limits=funnel_limits,
                     name_councils=name_councils)
    regions = {c: sorted({r.region for r in reviews if r.cycle == c and r.region},
                         key=str.casefold) for c in all_cycles}
    plan += plan_cross_jobs(all_cycles, data=data, questions=questions,
                            reports_dir=reports_dir, figures_dir=figures,
                            funnel_limits=funnel_limits, regions=regions)
    # Every moderation exercise of the cycles rendered (--council selects reviews only).
    plan += plan_calibration_jobs([e for e in exercises if e.cycle in cycles], data=data,
                                  questions=questions, reports_dir=reports_dir,
                                  figures_dir=figures)
    programme = Programme(reviews, catalogue)
    for job in plan:
        job.engine = engine
        if notebooks_dir:  # the user's own: each in a worker process of its own
            job.notebooks_dir = str(Path(notebooks_dir).resolve())
            job.own_process = True
    set_fingerprints(plan, programme, questions, exercises, data=data)
    remove_leftovers(reports_dir)
    to_run = [job for job in plan if force or not job.up_to_date()]
    for job in plan:
        if job not in to_run:
            summary.outcomes.append(Outcome(job, True, html=str(job.html), skipped=True))
    log(f"{len(plan) - len(to_run)} report(s) up to date, {len(to_run)} to render "
        f"(cycle {wanted_cycle})")
    # The notes are read once, here: their errors are the run's to report (each review
    # whose notes have errors is rendered as a draft that lists them). The run's read of
    # the data and of the notes (both may name raw case ids) is prepared once, in memory
    # (or, with no in-memory files, in a file in its private scratch folder), and every
    # notebook is given its path as its `prepared` parameter; the analyses, pseudonymised,
    # are written to the scratch folder, which is removed when the run ends (run_batch).
    notes = _read_notes(Programme(all_reviews, catalogue), data, selected, summary, log)
    prepared = None
    if to_run:
        handed_notes = (notes_read(Programme(all_reviews, catalogue),
                                   [data] if data.is_dir() else [], notes)
                        if notes is not None else None)
        (scratch / ANALYSES_FILE).unlink(missing_ok=True)  # a watched run's last pass
        _let_go_prepared()  # a watched run's last pass's
        if PreparedInMemory.available():  # never on disk: gone when this process ends
            held = PreparedInMemory(data, questions, catalogue, results, handed_notes,
                                    analyses=scratch / ANALYSES_FILE)
            _HELD_PREPARED.append(held)
            prepared = held.path
        else:
            prepared = write_prepared(scratch / PREPARED_FILE, data, questions, catalogue,
                                      results, handed_notes)
        workers.submit(to_run, timeout=timeout, prepared=str(prepared))
    elif not keep_workers:
        workers.stop()
    # The figures (each review's analysis, its metrics.json, the cycles') are worked out
    # here while the workers render, which the cross-council reports start: their
    # notebooks use the run's analyses once written (when no review was left out, so that
    # theirs is the same programme).
    working_out = threading.Thread(target=_write_figures, daemon=True, kwargs=dict(
        summary=summary, selected=selected, programme=programme, cycles=all_cycles,
        method=funnel_limits, data=data, reports_dir=reports_dir, notes=notes, force=force,
        prepared=prepared if len(reviews) == len(all_reviews) else None))
    working_out.start()
    if to_run:
        workers.collect(summary, log, keep=keep_workers)
    working_out.join()  # (on Ctrl-C, not waited for: the thread ends with the process)
    for outcome in summary.outcomes:  # the files calibration notebooks wrote themselves
        for name in outcome.job.also_writes if outcome.ok and not outcome.skipped else ():
            summary.written.append(Path(outcome.job.out_dir) / name)
    # Only this programme's reports: others left in the folder by a run of other data
    # would be listed under this one's banner.
    from review_lib.files import slug

    folders = {f"{r.cycle}/{slug(r.council)}" for r in reviews}
    folders |= {f"{e.cycle}/moderation/{slug(e.name)}" for e in exercises}
    index = write_index(reports_dir, folders)
    summary.written.append(index)
    return summary


def _style_usable(docx_style: str | Path | None, summary: RunSummary) -> bool:
    """Whether a council's Word style document may be given to pandoc.

    It is checked before anything unpacks it, as Word notes are
    (:func:`review_lib.data.word.word_file_problem`); if it may not, the run's summary
    says why and no Word file is written.
    """
    from review_lib.data.word import word_file_problem

    if docx_style is None or not Path(docx_style).is_file():
        return True  # the house style, or a missing file (which write_formats names)
    style = Path(docx_style)
    problem = word_file_problem(style, style.name, kind="unreadable-file",
                                what="the Word style document")
    if problem is None:
        return True
    summary.messages.append(f"No Word file written: {problem}.")
    return False


def _read_notes(programme, data: Path, selected: list, summary: RunSummary, log):
    """Read every notes file once; record the errors of each review's notes in the summary.

    A review whose notes (or previous review's notes) have errors is still rendered, as a
    draft whose report lists them; the run names it and fails (exit status 1). Errors in
    notes that belong to no review are listed too. Returns the notes (None if they could
    not be read at all, which is reported).
    """
    from review_lib.data.notes import read_programme_notes

    try:
        index = read_programme_notes(programme, [data] if data.is_dir() else [])
    except Exception as exc:  # reported in the run's summary, never a traceback
        summary.messages.append(f"The notes files could not be read ({type(exc).__name__}: "
                                f"{str(exc)[:200]}); the reports say they await them.")
        return None
    for review in selected:
        problems = index.problems_for(review.council, review.cycle)
        if problems:
            summary.drafts.append((f"{review.council} {review.cycle}",
                                   [str(p) for p in problems]))
            log(f"draft: {review.council} {review.cycle}: {len(problems)} error(s) in notes")
    unused: dict[str, list[str]] = {}
    for problem in index.unused_errors():
        unused.setdefault(problem.file, []).append(str(problem))
    summary.unused_notes.extend(unused.items())
    return index


def _write_figures(*, summary: RunSummary, **inputs) -> None:
    """Each review's analysis and metrics.json, and each cycle's (runs beside the workers).

    One review's figures never stop the others: a failure is reported for that review.
    Anything else that goes wrong is reported in the run's summary, never as a traceback
    from the thread.
    """
    try:
        _work_out_figures(summary=summary, **inputs)
    except Exception as exc:
        summary.messages.append(f"The figures files (metrics.json) could not all be written "
                                f"({type(exc).__name__}: {str(exc)[:200]}).")


def _work_out_figures(*, summary: RunSummary, selected: list, programme, cycles: list[str],
                      method: str, data: Path, reports_dir: Path, prepared: Path | None,
                      notes=None, force: bool = False) -> None:
    from review_lib.analysis.comparison import cross_metrics
    from review_lib.analysis.metrics import council_metrics
    from review_lib.analysis.results import analyse_review
    from review_lib.data.notes import read_programme_notes, recommendations_summary
    from review_lib.files import slug, write_json
    from review_lib.report.context import save_analyses
    from review_lib.report.wording.notes import pseudonymise

    analyses: dict = {}
    failed: dict = {}
    for review in selected:
        try:
            analyses[(review.council, review.cycle, method)] = analyse_review(
                review, programme, method=method)
        except Exception as exc:  # reported with its metrics.json below
            failed[(review.council, review.cycle)] = exc
    if prepared is not None and analyses:
        try:
            save_analyses(prepared, analyses)
        except (OSError, ValueError):
            pass  # the notebooks then compute their own
    from review_lib.data.notes_figures import notes_figure_problems

    if notes is None:
        notes = read_programme_notes(programme, [data] if data.is_dir() else [])
    for review in selected:
        found = notes.for_review(review.council, review.cycle)
        if found is not None:
            summary.messages += [str(p) for p in notes_figure_problems(found, review)]
        path = reports_dir / review.cycle / slug(review.council) / "metrics.json"
        try:
            if (review.council, review.cycle) in failed:
                raise failed[(review.council, review.cycle)]
            metrics = council_metrics(review, programme, method=method,
                                      results=analyses[(review.council, review.cycle, method)])
            made = recommendations_summary(notes, review.council, review.cycle)
            for each in (made or {}).get("recommendations", []):  # as the reports show them
                each["text"] = pseudonymise(each["text"], review, programme)
            metrics["recommendations"] = made
            summary.written.append(write_json(metrics, path))
            summary.written += _write_action_plan(notes, review, programme, path.parent)
        except Exception as exc:  # one review's figures never stop the others
            summary.invalid_files.append((review.source, [
                f"{review.council} {review.cycle}: its metrics.json could not be written "
                f"({type(exc).__name__}: {str(exc)[:200]})"]))
        if review.has_evidence:  # the review team's internal evidence pack
            from review_lib.report.evidence_pack import write_evidence_pack

            try:
                summary.written += write_evidence_pack(review, reports_dir, programme,
                                                       force=force)
            except Exception as exc:  # one review's pack never stops the others
                summary.invalid_files.append((review.source, [
                    f"{review.council} {review.cycle}: its evidence pack could not be "
                    f"written ({type(exc).__name__}: {str(exc)[:200]})"]))
    for each in cycles:
        try:
            summary.written.append(write_json(cross_metrics(programme.in_cycle(each), method),
                                              reports_dir / each / "metrics.json"))
        except Exception as exc:
            summary.invalid_files.append((f"cycle {each}", [
                f"the cross-council metrics.json could not be written "
                f"({type(exc).__name__}: {str(exc)[:200]})"]))


def _write_action_plan(notes, review, programme, folder: Path) -> list[Path]:
    """The review's action plan (spreadsheet and Word table) beside its reports, if any."""
    from review_lib.data.follow_up import follow_up
    from review_lib.files import is_synthetic
    from review_lib.report.action_plan import action_plan, write_action_plan
    from review_lib.report.wording.notes import pseudonymised_notes

    found = notes.for_review(review.council, review.cycle)
    if found is None or not found.recommendations:
        return []
    shown = pseudonymised_notes(found, review, programme)
    previous = notes.previous(review.council, review.cycle)
    plan = action_plan(shown, str(review.council), str(review.cycle),
                       draft=bool(notes.problems_for(review.council, review.cycle))
                       or found.is_draft, synthetic=is_synthetic(review.path),
                       followed=follow_up(shown, previous))
    return write_action_plan(plan, folder)


#: Prefix of a run's private temporary folder, and the file in it naming its process.
def _refuse_shared_folders(reviews: list, summary: RunSummary, log) -> list:
    """Leave out reviews whose different council names would share an output folder.

    "St. Helens" and "St Helens" both make ``st-helens``: rendering both would overwrite
    one council's reports with the other's. Neither is rendered, and the run names both.
    """
    from review_lib.files import slug_collisions

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


def _refuse_shared_exercise_folders(exercises: list, summary: RunSummary, log) -> list:
    """Leave out moderation exercises whose different names would share a report folder."""
    from review_lib.files import slug

    names: dict[tuple[str, str], list] = {}
    for exercise in exercises:
        names.setdefault((exercise.cycle, slug(exercise.name)), []).append(exercise)
    kept = []
    for (cycle, folder), sharing in names.items():
        if len(sharing) == 1:
            kept += sharing
            continue
        listed = " and ".join(repr(e.name) for e in sharing)
        for exercise in sharing:
            summary.invalid_files.append((exercise.source, [
                f"{cycle}: the moderation exercises {listed} both make the folder name "
                f"{folder!r}, so neither is rendered (one would overwrite the other); "
                "expected names that differ in more than case and punctuation"]))
        log(f"refused: exercises {listed} share the folder {folder!r} in {cycle}")
    return kept


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


class _Workers:
    """The run's worker processes (:mod:`review_lib.batch.workers`), started early."""

    def __init__(self, jobs: int | None, *, verbose: bool, fresh: bool = False):
        self.verbose = verbose
        self.fresh = fresh
        self.count = max(1, jobs or os.cpu_count() or 1)
        self.pool = None
        self.plan: list[Job] = []
        self.options: dict = {}

    def start(self) -> None:
        """Start the worker processes (each then prepares in the background)."""
        from review_lib.batch.workers import WorkerPool

        if self.pool is None:
            self.pool = WorkerPool(self.count, verbose=self.verbose, fresh=self.fresh)
        self.pool.start()

    def submit(self, plan: list[Job], *, timeout: int, prepared: str | None) -> None:
        """Queue the jobs, the longest expected first (see :func:`longest_first`).

        ``prepared`` is the run's prepared file, each notebook's ``prepared`` parameter.
        """
        self.start()
        self.plan = longest_first(plan)
        self.options = {"verbose": self.verbose, "timeout": timeout, "prepared": prepared}

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


def write_index(reports_dir: Path, folders=None) -> Path:
    """Write ``reports/index.html``: every cycle's council reports with headline figures.

    Parameters
    ----------
    reports_dir : Path
        Root of the outputs (holding ``<cycle>/<council>/metrics.json``).
    folders : collection of str, optional
        The report folders of the programme the run read (see
        :func:`review_lib.report.index.build_index`); every report found by default.

    Returns
    -------
    Path
        The index file.
    """
    from review_lib.files import write_atomically
    from review_lib.report.index import build_index

    return write_atomically(reports_dir / "index.html",
                            build_index(reports_dir, folders=folders))


def _print_summary(summary: RunSummary, reports_dir: Path, stream=None) -> None:
    stream = stream or sys.stdout
    made = [o for o in summary.outcomes if o.ok and not o.skipped]
    skipped = [o for o in summary.outcomes if o.skipped]
    failed = [o for o in summary.outcomes if not o.ok]
    print(f"\n{len(made)} report(s) written, {len(skipped)} already up to date, "
          f"{len(failed)} failed, {len(summary.invalid_files)} invalid file(s)"
          + (f", {len(summary.drafts)} draft(s) for errors in their notes"
             if summary.drafts else "") + ".", file=stream)
    for message in summary.not_found:
        print(f"NOT FOUND {message}", file=stream)
    for name, errors in summary.invalid_files:
        print(f"INVALID {name}: no reports; {len(errors)} error(s):", file=stream)
        for error in errors[:20]:
            print(f"    {error}", file=stream)
        if len(errors) > 20:
            print(f"    ... and {len(errors) - 20} more (practice-review validate {name})",
                  file=stream)
    for name, errors in summary.drafts:
        print(f"DRAFT   {name}: rendered as a draft, since its notes have {len(errors)} "
              "error(s), listed in its report:", file=stream)
        for error in errors[:20]:
            print(f"    {error}", file=stream)
    for name, errors in summary.unused_notes:
        print(f"NOTES   {name}: not used by any report; {len(errors)} error(s):", file=stream)
        for error in errors[:20]:
            print(f"    {error}", file=stream)
    for outcome in failed:
        print(f"FAILED  {outcome.job.label} ({outcome.job.notebook}.ipynb): "
              f"{outcome.message}", file=stream)
    for message in summary.messages:
        print(f"NOTE    {message}", file=stream)
    packs = sorted({Path(p).parent for p in summary.written
                    if Path(p).name.endswith("-evidence-pack.html")})
    for folder in packs:  # written this run; linked from no report, so said here
        count = sum(1 for p in summary.written if Path(p).parent == folder
                    and Path(p).name.endswith("-evidence-pack.html"))
        print(f"{count} evidence pack(s), internal: for the review team only, in {folder} "
              "(linked from no report)", file=stream)
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
                            funnel_limits=args.funnel_limits, engine=args.engine,
                            pdf=args.pdf, docx=args.docx, docx_style=args.docx_style,
                            name_councils=args.name_councils)
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
    run.add_argument("--name-councils", action="store_true",
                     help="name the other councils in each council's own report (never one "
                          "whose review is a draft); by default they are 'other councils'. "
                          "The cross-council report always names them")
    run.add_argument("--pdf", action="store_true",
                     help="also write a PDF beside each leadership and cross-council report "
                          "(headless Chromium; without it, says what to install)")
    run.add_argument("--docx", action="store_true",
                     help="also write an editable Word file beside each leadership report")
    run.add_argument("--docx-style", metavar="FILE",
                     help="a Word document whose styles the Word files use (a council's "
                          "house style); the suite's own by default")
    run.add_argument("--watch", action="store_true",
                     help="after rendering, keep the workers warm and render again whenever "
                          "a data file changes (Ctrl-C to stop)")
    run.set_defaults(func=cmd_run)
