"""What a run depends on: input signatures and code fingerprints, to skip unchanged reports."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from review_lib import __version__
from review_lib.batch.jobs import CALIBRATION_NOTEBOOK, CROSS_NOTEBOOK, Job
from review_lib.paths import (
    NOTEBOOKS_DIR,
)

#: In the reports folder: a hash of what the last complete run was made from.
LAST_RUN_FILE = ".last-run"


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def run_signature(data: Path, questions: Path | None, notebooks_dir, councils, cycle,
                  figures: Path | None, funnel_limits: str = "exact",
                  name_councils: bool = False) -> str:
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
    name_councils : bool, default False
        Whether council reports name the other councils.

    Returns
    -------
    str
        Hex SHA-256 (no path is stored in the reports folder).
    """
    from review_lib.paths import QUESTIONS_FILE

    roots = [data, questions or QUESTIONS_FILE, Path(notebooks_dir or NOTEBOOKS_DIR),
             Path(__file__).resolve().parents[1]]
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
    if name_councils:  # only when set: a run without it keeps its signature
        options.append("name_councils")
    return hashlib.sha256(json.dumps([entries, options]).encode()).hexdigest() + "\n"


def longest_first(plan: list[Job]) -> list[Job]:
    """Order jobs so that the longest start first and two workers finish close together.

    Reports whose charts will mostly be drawn come first: the cross-council report, then
    the calibration reports (their bootstraps take a few seconds), distributions (four
    charts), then the leadership reports; reports that only need new text (another
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
    kinds = [CROSS_NOTEBOOK, CALIBRATION_NOTEBOOK, "council_distributions",
             "council_leadership"]

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
    package = Path(__file__).resolve().parents[1]
    files = sorted([*package.rglob("*.py"), *package.rglob("*.j2"), *package.rglob("*.css"),
                    *NOTEBOOKS_DIR.glob("*.ipynb")])
    return __version__ + ":" + _hash_files(files)


def _notes_files(data: Path | None) -> list[Path]:
    from review_lib.data.notes import NOTES_SUFFIXES

    if data is None or not Path(data).is_dir():
        return []
    return sorted(p for p in Path(data).rglob("*") if p.suffix.casefold() in NOTES_SUFFIXES
                  and p.is_file() and p.name.casefold() != "readme.md"
                  and "moderation" not in (part.casefold() for part in p.parts))


def set_fingerprints(plan: list[Job], programme, questions: Path | None,
                     exercises=(), data: Path | None = None) -> None:
    """Record in each job a hash of every input its report depends on.

    A distributions report depends on its council's data file; a leadership report also on
    the council's notes files (this review's and earlier ones': every notes file in the data
    folder whose name starts with the council's folder name, and every one that stands
    alone), its previous review, and every council's counts in the cycle (its funnel
    position); a cross-council report on every data file. All depend on the code,
    notebooks, catalogue, parameters and output folders.

    Parameters
    ----------
    plan : list of Job
        The jobs (updated in place).
    programme : Programme
        Every valid review.
    questions : Path or None
        The catalogue file, or None for the bundled one.
    exercises : iterable of ModerationExercise, optional
        The moderation exercises: a calibration report depends on its exercise's file.
    data : Path, optional
        The data folder, searched for notes files.
    """
    from review_lib.analysis.stats import good_counts
    from review_lib.files import slug
    from review_lib.paths import QUESTIONS_FILE

    base = {"code": code_fingerprint(), "catalogue": _hash_files([questions or QUESTIONS_FILE])}
    everything = sorted((r.council, r.cycle, r.sha256) for r in programme.reviews)
    notes = _notes_files(data)
    # Notes beside a data file of several reviews stand alone (they say which review).
    per_file = Counter(Path(r.path).resolve() for r in programme.reviews if r.path)
    stems = {path.with_suffix("") for path, count in per_file.items() if count == 1}
    standalone = [p for p in notes if p.resolve().with_suffix("") not in stems]
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
        elif job.notebook == CALIBRATION_NOTEBOOK:
            inputs["data"] = sorted([e.sha256, *(e.review or ())] for e in exercises
                                    if (e.name, e.cycle) == (job.council, job.cycle))
        else:
            review = programme.review(job.council, job.cycle)
            inputs["data"] = review.sha256
            if job.notebook == "council_leadership":
                own = slug(review.council)
                mine = [p for p in notes if p.stem.casefold().startswith(own)]
                if review.path is not None:
                    mine += [review.path.with_suffix(s) for s in (".md", ".docx")
                             if review.path.with_suffix(s).is_file()]
                inputs["narrative"] = _hash_files(sorted({*mine, *standalone}))
                previous = programme.previous_review(review)
                inputs["previous"] = previous.sha256 if previous else None
                inputs["funnel"] = funnel_inputs.get(job.cycle)
        job.fingerprint = hashlib.sha256(
            json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
        drawing = {k: v for k, v in inputs.items()
                   if k not in ("funnel", "narrative", "previous")}
        job.drawing_inputs = hashlib.sha256(
            json.dumps(drawing, sort_keys=True, default=str).encode()).hexdigest()


