"""What a notebook opens: one review (or cycle) with its programme, loaded once per process."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from review_lib.analysis.results import ReviewResults, analyse_review
from review_lib.data.catalogue import Catalogue, load_catalogue
from review_lib.data.loading import found_paths, iter_data_files, read_programme_files
from review_lib.data.notes import NotesIndex, ReviewNotes, read_programme_notes
from review_lib.data.problems import DataValidationError, Problem
from review_lib.data.records import Programme, Review
from review_lib.files import is_synthetic, slug
from review_lib.paths import (
    ENV_FIGURES,
    ENV_PRELOADED,
    ENV_QUESTIONS,
    QUESTIONS_FILE,
    SAMPLE_DIR,
    find_path,
)


@dataclass
class ReviewContext:
    """Everything a council notebook needs: the review, its programme, where figures go.

    Attributes
    ----------
    review : Review
        The council's review.
    programme : Programme
        Every valid review in the data folder (for comparisons and earlier cycles).
    figures_dir : Path or None
        Where this review's chart files are written (None: charts are not saved).
    skipped : list of Problem
        Errors in other files of the folder, which were left out of comparisons.
    funnel_limits : str
        How funnel limits are drawn: ``"exact"`` (binomial) or ``"fingertips"``.
    data_dir : Path or None
        The data folder, searched for notes files that stand alone.
    exercises : list of ModerationExercise
        The folder's moderation exercises (:mod:`review_lib.data.moderation`).
    computed : ReviewResults or None
        The review's analysis as a batch run already computed it from the same read of the
        same files (see :func:`save_analyses`), or None.
    name_councils : bool
        Whether the council's own reports name the other councils of its cycle (those whose
        review is not a draft); by default they are "other councils"
        (:func:`review_lib.report.council.named_councils`).
    """

    review: Review
    programme: Programme
    figures_dir: Path | None
    skipped: list[Problem] = field(default_factory=list)
    funnel_limits: str = "exact"
    data_dir: Path | None = None
    exercises: list = field(default_factory=list)
    computed: ReviewResults | None = field(default=None, repr=False)
    name_councils: bool = False

    @property
    def catalogue(self) -> Catalogue:
        """The question catalogue."""
        return self.programme.catalogue

    @cached_property
    def results(self) -> ReviewResults:
        """The review's analysis, computed once (:func:`~.results.analyse_review`)."""
        if self.computed is not None:
            return self.computed
        return analyse_review(self.review, self.programme, method=self.funnel_limits)

    @cached_property
    def notes_index(self) -> NotesIndex:
        """Every review team's notes in the data folder (:mod:`review_lib.data.notes`)."""
        roots = [self.data_dir] if self.data_dir is not None else []
        return _notes_index(self.programme, roots)

    @cached_property
    def notes(self) -> ReviewNotes | None:
        """The review team's notes for this review, or None when there are none.

        Every text in them (the theme too) names cases only by their pseudonyms, with other
        reviews' case identifiers and ten-digit numbers removed
        (:func:`~review_lib.report.wording.notes.pseudonymised_notes`).
        """
        from review_lib.report.wording.notes import pseudonymised_notes

        return pseudonymised_notes(
            self.notes_index.for_review(self.review.council, self.review.cycle),
            self.review, self.programme)

    @property
    def notes_problems(self) -> list[Problem]:
        """Errors in this review's notes, or its previous review's: a draft lists them.

        See :meth:`~review_lib.data.notes.NotesIndex.problems_for`.
        """
        return self.notes_index.problems_for(self.review.council, self.review.cycle)

    @cached_property
    def previous_notes(self) -> tuple[str, ReviewNotes] | None:
        """The council's notes from its latest earlier review, with that review's cycle.

        Pseudonymised as :attr:`notes` are (the earlier review's identifiers removed).
        """
        from review_lib.report.wording.notes import pseudonymised_notes

        found = self.notes_index.previous(self.review.council, self.review.cycle)
        if found is None:
            return None
        return found[0], pseudonymised_notes(found[1], self.review, self.programme)

    @property
    def synthetic(self) -> bool:
        """Whether the review comes from the synthetic sample."""
        return is_synthetic(self.review.path)


_LOADED: dict[tuple, tuple] = {}
_NOTES: list[tuple] = []


def _notes_index(programme: Programme, roots: list[Path]) -> NotesIndex:
    """The programme's notes, read again only when a notes file has changed.

    A batch worker opens review after review of one programme; their notes are those of
    the whole folder, so they are read once, and again only when any notes file beside the
    data or under the data folder is added, removed or changed (by size or time).
    """
    signature = _notes_signature(programme, roots)
    if _NOTES and _NOTES[0][0] is programme and _NOTES[0][1] == signature:
        return _NOTES[0][2]
    index = _run_notes(signature) or read_programme_notes(programme, roots)
    _NOTES[:] = [(programme, signature, index)]
    return index


#: The batch run's read of the notes, beside its read of the data folder.
def notes_read(programme: Programme, roots: list[Path], index: NotesIndex) -> tuple:
    """The run's read of the notes files, to hand its workers with its read of the data.

    A notebook uses it only while every notes file, and the reviews' data files, are as
    they were read (:func:`_notes_signature`): one Word file that pandoc is slow on is then
    read once in a run, not once in every worker. It reaches the workers in memory
    (:func:`preloaded_read`), never through a file: notes may name raw case identifiers.

    Parameters
    ----------
    programme : Programme
        The programme the notes were read for.
    roots : list of Path
        The folders searched for notes that stand alone.
    index : NotesIndex
        What :func:`~review_lib.data.notes.read_programme_notes` gave.

    Returns
    -------
    tuple
        ``(signature, index)``, for :func:`preloaded_read`'s ``notes``.
    """
    return _notes_signature(programme, roots), index


def _run_notes(signature: tuple) -> NotesIndex | None:
    """The batch run's read of the notes, when it was of exactly these files; else None."""
    import pickle

    if not _HANDED:
        return None
    try:
        handed = pickle.loads(_HANDED[0])
    except Exception:  # unreadable: the notes are read again
        return None
    if len(handed) < 4 or handed[3] is None:
        return None
    saved, index = handed[3]
    return index if saved == signature else None


def _notes_signature(programme: Programme, roots: list[Path]) -> tuple:
    """What identifies a read of the notes: every notes file, with size and time.

    The files beside the reviews' data or under the roots, and the reviews' data files (by
    their full paths, so that a worker and its run name them alike).
    """
    from review_lib.data.notes import NOTES_SUFFIXES

    folders = {os.path.dirname(os.path.realpath(r.path)) for r in programme.reviews
               if r.path is not None}
    found = []
    for top in sorted(folders | {os.path.realpath(root) for root in roots}):
        for folder, _, names in os.walk(top):
            for name in names:
                if os.path.splitext(name)[1].casefold() in NOTES_SUFFIXES:
                    path = os.path.join(folder, name)
                    found.append((path, _stat(Path(path))))
    reviews = sorted((os.path.realpath(r.path), r.council, r.cycle) for r in programme.reviews
                     if r.path is not None)
    return tuple(sorted(set(found))), tuple(reviews)


def load_inputs(data_dir: str | Path | None = None, questions: str | Path | None = None,
                figures_dir: str | Path | None = None) -> tuple:
    """Resolve a notebook's inputs and read the data folder, once per unchanged folder.

    A batch worker runs many notebooks in one process; reading the folder again for each
    would repeat the same work, so results are kept while no file's size or modification
    time (nor the catalogue's) has changed.

    Parameters
    ----------
    data_dir : str or Path, optional
        Folder (or file) of review data; the bundled synthetic sample by default. A
        relative path is looked for from the current folder, then from the project root.
    questions : str or Path, optional
        Catalogue CSV; else ``$PRACTICE_REVIEW_QUESTIONS``; else the bundled one.
    figures_dir : str or Path, optional
        Chart root; else ``$PRACTICE_REVIEW_FIGURES`` (which ``practice-review run`` sets);
        else None: charts are shown but no file is written, so running a notebook in
        JupyterLab, or by papermill by hand, leaves the repository as it was.

    Returns
    -------
    tuple
        ``(data path, catalogue, one FileResult per data file, figures root or None)``.
    """
    data = found_paths([data_dir])[0] if data_dir else SAMPLE_DIR
    questions = questions or os.environ.get(ENV_QUESTIONS) or None
    if questions:
        questions = find_path(questions)
    figures_dir = figures_dir or os.environ.get(ENV_FIGURES) or None
    catalogue_file = Path(questions) if questions else QUESTIONS_FILE
    state = _folder_state(data, catalogue_file)
    if _STATE and _STATE[0] == state and _STATE[1] in _LOADED:
        key = _STATE[1]  # not a file under the folder has changed since the last look
    else:
        files = iter_data_files([data])
        key = inputs_signature(data, catalogue_file, files)
        if key not in _LOADED:
            _LOADED.clear()
            _LOADED[key] = _preloaded(key, files) or _read(data, questions)
        _STATE[:] = [state, key]
    catalogue, results = _LOADED[key]
    return data, catalogue, results, Path(figures_dir) if figures_dir else None


_STATE: list = []


def _folder_state(data: Path, catalogue_file: Path) -> tuple:
    """Everything under the data folder as the file system gives it, in one quick look.

    Each entry's path, kind, size and modification time (a link's target too), and the
    catalogue's, from one ``scandir`` of each folder (links to folders are not followed,
    as :func:`~review_lib.data.loading.iter_data_files` does not follow them). Equal to the
    last look exactly when nothing was added, removed, changed or relinked, so the read
    kept for that look still holds; otherwise the folder is looked at in full.
    """
    entries = []

    def look(folder: str) -> None:
        try:
            with os.scandir(folder) as listing:
                found = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            entries.append((folder, "unreadable", str(error)))
            return
        for entry in found:
            try:
                link = entry.is_symlink()
                info = entry.stat()  # a link's target
                kind = "dir" if entry.is_dir(follow_symlinks=False) else "file"
                entries.append((entry.path, kind, link, os.readlink(entry.path) if link
                                else "", info.st_size, info.st_mtime_ns))
            except OSError as error:
                entries.append((entry.path, "unreadable", str(error)))
                continue
            if kind == "dir" and not link:
                look(entry.path)

    if data.is_dir():
        look(str(data))
    return (str(data), os.getcwd(), str(data.resolve()), _stat(data), str(catalogue_file),
            _stat(catalogue_file), tuple(entries))


def _read(data: Path, questions) -> tuple:
    catalogue = load_catalogue(questions)
    return catalogue, read_programme_files([data], catalogue)


def inputs_signature(data: Path, catalogue_file: Path, files: Iterable[Path]) -> tuple:
    """What identifies a read of a data folder: every file's full path, size and time.

    Parameters
    ----------
    data : Path
        The data folder or file.
    catalogue_file : Path
        The question catalogue.
    files : iterable of Path
        The data files in it (:func:`review_lib.data.loading.iter_data_files`).

    Returns
    -------
    tuple
        Equal for two reads exactly when neither the catalogue nor any file has changed.
    """
    root = data.resolve()

    def full_path(file: Path) -> str:
        # A file found inside the folder is named from the folder's own full path: no link
        # to a folder is ever followed inside it, so only the file itself may be a link.
        try:
            inside = file.relative_to(data)
        except ValueError:
            return str(file.resolve())
        return str(root / inside) if inside.parts and not file.is_symlink() else \
            str(file.resolve())

    return (str(root), str(catalogue_file.resolve()), _stat(catalogue_file),
            tuple((full_path(f), _stat(f)) for f in files))


def preloaded_read(data: Path, questions: str | Path | None, catalogue: Catalogue,
                   results: list, notes: tuple | None = None) -> bytes:
    """A batch run's read of the data folder, for its workers (see :func:`load_inputs`).

    ``practice-review run`` has read and validated every file before its notebooks start;
    it hands this read to each worker in memory (:func:`use_read`), never through a file:
    the read names the files' raw case identifiers, and a file would outlive a run that was
    killed. A notebook uses it only when the folder, the catalogue and every file are still
    exactly as they were read.

    Parameters
    ----------
    data : Path
        The data folder or file that was read.
    questions : str or Path or None
        The catalogue file, or None for the bundled one.
    catalogue : Catalogue
        The catalogue read.
    results : list of FileResult
        What reading each file gave.
    notes : tuple, optional
        The run's read of the notes files (:func:`notes_read`), handed over with it.

    Returns
    -------
    bytes
        The read, pickled.
    """
    import pickle

    read = _kept(results)
    return pickle.dumps((_read_key(data, questions, read), catalogue, read, notes),
                        protocol=pickle.HIGHEST_PROTOCOL)


#: The batch run's read of the data folder, handed to this process in memory.
_HANDED: list[bytes] = []


def use_read(payload: bytes | None) -> None:
    """Keep a batch run's read of the data folder (:func:`preloaded_read`) in this process.

    Parameters
    ----------
    payload : bytes or None
        The read, or None to forget it.
    """
    _HANDED[:] = [payload] if payload else []


def save_analyses(preloaded: Path, data: Path, questions: str | Path | None, results: list,
                  analyses: dict) -> Path:
    """Keep the run's analysis of each review for the notebooks, beside its read.

    Written (atomically) while the first notebooks run; a notebook that opens a review
    of the same read after it appears uses the run's analysis rather than computing it
    again (:attr:`ReviewContext.computed`); one that opens it before computes its own.
    The analyses name cases only by their pseudonyms.

    Parameters
    ----------
    preloaded : Path
        The name ``$PRACTICE_REVIEW_PRELOADED`` gives the workers: the analyses go beside
        it (in the run's private temporary folder).
    data : Path
        The data folder or file that was read.
    questions : str or Path or None
        The catalogue file, or None for the bundled one.
    results : list of FileResult
        What reading each file gave.
    analyses : dict
        ``(council, cycle, funnel limits) -> ReviewResults``, computed from the programme
        of exactly these files' reviews.

    Returns
    -------
    Path
        The file written.
    """
    import pickle

    from review_lib.files import write_atomically

    key = _read_key(data, questions, _kept(results))
    return write_atomically(Path(preloaded).with_name(ANALYSES_FILE),
                            pickle.dumps((key, analyses), protocol=pickle.HIGHEST_PROTOCOL))


#: The run's analyses, beside its read of the data folder.
ANALYSES_FILE = "analyses.pickle"
_ANALYSES: list[tuple] = []


def _kept(results: list) -> list:
    return [r for r in results if not any(p.kind == "skipped-path" for p in r.problems)]


def _read_key(data: Path, questions: str | Path | None, read: list) -> tuple:
    catalogue_file = Path(questions) if questions else QUESTIONS_FILE
    return inputs_signature(data, catalogue_file, [r.path for r in read])


def _run_analysis(results: list, council: str, cycle: str, method: str):
    """The batch run's analysis of a review of this read, once it has been written."""
    import pickle

    source = os.environ.get(ENV_PRELOADED)
    key = next((k for k, (_, read) in _LOADED.items() if read is results), None)
    if not source or key is None:
        return None
    path = Path(source).with_name(ANALYSES_FILE)
    stamp = (str(path), _stat(path))
    if stamp[1] is None:
        return None  # not written yet (or no run): computed by the notebook
    if not _ANALYSES or _ANALYSES[0][0] != stamp:
        try:
            saved_key, analyses = pickle.loads(path.read_bytes())
        except Exception:
            saved_key, analyses = None, {}
        _ANALYSES[:] = [(stamp, saved_key, analyses)]
    _, saved_key, analyses = _ANALYSES[0]
    return analyses.get((council, cycle, method)) if saved_key == key else None


def _preloaded(key: tuple, files: list[Path]) -> tuple | None:
    """The batch run's read of this data folder, when it matches ``key``; else None."""
    import pickle

    if not _HANDED:
        return None
    try:
        saved_key, catalogue, results = pickle.loads(_HANDED[0])[:3]
    except Exception:  # unreadable: the folder is simply read again
        return None
    if saved_key != key or len(results) != len(files):
        return None
    # Paths as this process names them. The run may have named them relative to another
    # folder (``--data sub/mine`` from the project root, where this notebook runs in
    # ``sub/``), so they are matched by position: the keys are equal, so the files are the
    # same files in the same order.
    for result, file in zip(results, files, strict=True):
        result.path = file
        for review in result.reviews:
            review.path = file
    return catalogue, results


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns)


_PROGRAMME: list[tuple] = []


def _programme(catalogue: Catalogue, results: list) -> Programme:
    """The programme of one read of the data folder, made once for all its reports.

    A batch worker opens review after review of the same read (:func:`load_inputs`); the
    same programme then serves them all, with its cycle's frames joined once.
    """
    if _PROGRAMME and _PROGRAMME[0][0] is results and _PROGRAMME[0][1] is catalogue:
        return _PROGRAMME[0][2]
    reviews = [r for result in results for r in result.reviews]
    programme = Programme(reviews, catalogue,
                          [p for result in results if result.ok for p in result.problems])
    _PROGRAMME[:] = [(results, catalogue, programme)]
    return programme


def open_review(council: str, cycle: str, data_dir: str | Path | None = None,
                questions: str | Path | None = None,
                figures_dir: str | Path | None = None,
                funnel_limits: str = "exact", *, programme: Programme | None = None,
                exercises: list | None = None, name_councils: bool = False) -> ReviewContext:
    """Load a council's review and the rest of its programme for a report.

    Files in the folder that have errors are left out of comparisons (and listed in
    ``skipped``); an error in the council's own file stops the report. Given a
    ``programme`` already loaded, nothing is read: the review and its comparisons come
    from that programme.

    Parameters
    ----------
    council, cycle : str
        Which review.
    data_dir : str or Path, optional
        Folder (or file) of review data; the bundled synthetic sample by default.
    questions : str or Path, optional
        Question catalogue CSV; else ``$PRACTICE_REVIEW_QUESTIONS``; else the bundled one.
    figures_dir : str or Path, optional
        Root folder for charts; else ``$PRACTICE_REVIEW_FIGURES``; else the project's
        ``figures/``. Charts go in ``<figures_dir>/<cycle>/<council>/``.
    funnel_limits : {"exact", "fingertips"}, default "exact"
        How funnel limits are drawn (:func:`review_lib.analysis.funnel.funnel_table`).
    programme : Programme, optional
        A programme already loaded (:func:`review_lib.data.loading.load_programme`):
        used as it is, without reading the data again. Not with ``data_dir`` or
        ``questions``.
    exercises : list of ModerationExercise, optional
        With ``programme``: its moderation exercises
        (:func:`review_lib.data.moderation.load_moderation`), for the auditors' leniency
        in the by-auditor view; none by default.
    name_councils : bool, default False
        Name the other councils of the cycle in this council's reports (never one whose
        review is a draft); by default they are "other councils" and only this council is
        named (``practice-review run --name-councils``).

    Returns
    -------
    ReviewContext
        The review, its programme and the figure folder.

    Raises
    ------
    DataValidationError
        If the council's own file has errors.
    KeyError
        If no file holds that council and cycle.
    ValueError
        For an unknown ``funnel_limits``, or ``programme`` given with ``data_dir`` or
        ``questions``.
    """
    from review_lib.analysis.funnel import METHODS

    if funnel_limits not in METHODS:
        raise ValueError(f"funnel_limits must be one of {', '.join(METHODS)}, "
                         f"not {funnel_limits!r}")
    if programme is not None:
        if data_dir or questions:
            raise ValueError("give either a programme already loaded or data_dir and "
                             "questions to read, not both")
        review = programme.review(council, cycle)
        root = figures_dir or os.environ.get(ENV_FIGURES) or None
        folder = (Path(root) / review.cycle / slug(review.council)
                  if root is not None else None)
        return ReviewContext(review, programme, folder, [], funnel_limits, None,
                             list(exercises or []), name_councils=name_councils)
    if exercises is not None:
        raise ValueError("exercises go with a programme already loaded (programme=)")
    _, catalogue, results, root = load_inputs(data_dir, questions, figures_dir)
    skipped = [p for result in results if not result.ok for p in result.problems if p.is_error]
    programme = _programme(catalogue, results)
    try:
        review = programme.review(council, cycle)
    except KeyError:
        own = [p for p in skipped if council.casefold() in p.file.casefold()]
        if own:
            raise DataValidationError(own) from None
        raise
    folder = root / review.cycle / slug(review.council) if root is not None else None
    data = found_paths([data_dir])[0] if data_dir else SAMPLE_DIR
    exercises = [e for result in results if result.ok for e in getattr(result, "exercises", [])]
    # The run's own analysis of this review, when these are the files it analysed.
    computed = _run_analysis(results, review.council, review.cycle, funnel_limits)
    return ReviewContext(review, programme, folder, skipped, funnel_limits,
                         data if data.is_dir() else None, exercises, computed,
                         name_councils=name_councils)


