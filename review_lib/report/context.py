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
    prepared_notes : tuple or None
        The batch run's read of the notes files (:func:`notes_read`), from its prepared
        file, or None: used only while every notes file is as it was read.
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
    prepared_notes: tuple | None = field(default=None, repr=False)
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
        return _notes_index(self.programme, roots, self.prepared_notes)

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


def _notes_index(programme: Programme, roots: list[Path],
                 prepared: tuple | None = None) -> NotesIndex:
    """The programme's notes, read again only when a notes file has changed.

    A batch worker opens review after review of one programme; their notes are those of
    the whole folder, so they are read once, and again only when any notes file beside the
    data or under the data folder is added, removed or changed (by size or time). The
    batch run's own read (``prepared``: ``(signature, index)``) is used while it is of
    exactly these files.
    """
    # The reviews' data files are the programme's: looked up once per programme, not per
    # notebook (a full path costs a look at each folder on it, 750 files nationally).
    same = bool(_NOTES) and _NOTES[0][0] is programme
    signature = _notes_signature(programme, roots, _NOTES[0][1][1] if same else None)
    if same and _NOTES[0][1] == signature:
        return _NOTES[0][2]
    if prepared is not None and prepared[0] == signature:
        index = prepared[1]
    else:
        index = read_programme_notes(programme, roots)
    _NOTES[:] = [(programme, signature, index)]
    return index


def notes_read(programme: Programme, roots: list[Path], index: NotesIndex) -> tuple:
    """The run's read of the notes files, for its prepared file (:func:`write_prepared`).

    A notebook uses it only while every notes file, and the reviews' data files, are as
    they were read (:func:`_notes_signature`): one Word file that pandoc is slow on is then
    read once in a run, not once in every notebook.

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
        ``(signature, index)``, for :func:`write_prepared`'s ``notes``.
    """
    return _notes_signature(programme, roots), index


def _notes_signature(programme: Programme, roots: list[Path],
                     reviews: tuple | None = None) -> tuple:
    """What identifies a read of the notes: every notes file, with size and time.

    The files beside the reviews' data or under the roots, and the reviews' data files (by
    their full paths, so that a worker and its run name them alike); ``reviews``, when
    given, is that last part as an earlier signature of the same programme gave it.
    """
    from review_lib.data.notes import NOTES_SUFFIXES

    if reviews is None:
        reviews = tuple(sorted((os.path.realpath(r.path), r.council, r.cycle)
                               for r in programme.reviews if r.path is not None))
    folders = {os.path.dirname(path) for path, _, _ in reviews}
    found = []
    for top in sorted(folders | {os.path.realpath(root) for root in roots}):
        for folder, _, names in os.walk(top):
            for name in names:
                if os.path.splitext(name)[1].casefold() in NOTES_SUFFIXES:
                    path = os.path.join(folder, name)
                    found.append((path, _stat(Path(path))))
    return tuple(sorted(set(found))), reviews


def load_inputs(data_dir: str | Path | None = None, questions: str | Path | None = None,
                figures_dir: str | Path | None = None, *,
                prepared: str | Path | None = None) -> tuple:
    """Resolve a notebook's inputs and read the data folder, once per unchanged folder.

    A batch worker runs many notebooks in one process; reading the folder again for each
    would repeat the same work, so results are kept while no file's size or modification
    time (nor the catalogue's) has changed. A batch run reads the folder once itself and
    names its prepared file (:func:`write_prepared`) to every notebook (the ``prepared``
    parameter); that read is used while the folder, the catalogue and every file are still
    exactly as it read them.

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
    prepared : str or Path, optional
        A batch run's prepared file (``practice-review run`` passes it as the notebooks'
        ``prepared`` parameter); None or "" reads the data folder.

    Returns
    -------
    tuple
        ``(data path, catalogue, one FileResult per data file, figures root or None)``.

    Raises
    ------
    FileNotFoundError
        If ``prepared`` names no file (a run removes its prepared file when it ends).
    ValueError
        If the prepared file is not in a folder private to this user, or cannot be read.
    """
    data, catalogue, results, _ = _load(data_dir, questions, prepared)
    figures_dir = figures_dir or os.environ.get(ENV_FIGURES) or None
    return data, catalogue, results, Path(figures_dir) if figures_dir else None


def _load(data_dir, questions, prepared) -> tuple:
    """``(data, catalogue, results, what the batch run prepared for this read or None)``."""
    data = found_paths([data_dir])[0] if data_dir else SAMPLE_DIR
    questions = questions or os.environ.get(ENV_QUESTIONS) or None
    if questions:
        questions = find_path(questions)
    catalogue_file = Path(questions) if questions else QUESTIONS_FILE
    handed = read_prepared(prepared) if prepared else None
    state = _folder_state(data, catalogue_file)
    if _STATE and _STATE[0] == state and _STATE[1] in _LOADED:
        key = _STATE[1]  # not a file under the folder has changed since the last look
    else:
        files = iter_data_files([data])
        key = inputs_signature(data, catalogue_file, files)
        if key not in _LOADED:
            _LOADED.clear()
            _LOADED[key] = _handed_read(handed, key, files) or _read(data, questions)
        _STATE[:] = [state, key]
    catalogue, results = _LOADED[key]
    return data, catalogue, results, handed if handed and handed["key"] == key else None


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

    def state(file: Path):
        # A folder of audit forms is one review: every form in it counts.
        if file.is_dir():
            return tuple(sorted((p.name, _stat(p)) for p in file.iterdir()))
        return _stat(file)

    return (str(root), str(catalogue_file.resolve()), _stat(catalogue_file),
            tuple((full_path(f), state(f)) for f in files))


#: What a batch run's prepared file is called, in the run's private scratch folder.
PREPARED_FILE = "prepared.pickle"
#: The run's analyses, written beside its prepared file while the first notebooks run.
ANALYSES_FILE = "analyses.pickle"


def _prepared_bytes(data: Path, questions: str | Path | None, catalogue: Catalogue,
                    results: list, notes: tuple | None, analyses: Path | None) -> bytes:
    import pickle

    read = _kept(results)
    payload = {"key": _read_key(data, questions, read), "catalogue": catalogue,
               "results": read, "notes": notes,
               "analyses": str(analyses) if analyses is not None else None}
    return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)


def write_prepared(path: str | Path, data: Path, questions: str | Path | None,
                   catalogue: Catalogue, results: list, notes: tuple | None = None, *,
                   analyses: str | Path | None = None) -> Path:
    """Write a batch run's read of the data folder for its notebooks (``prepared``).

    ``practice-review run`` has read and validated every file before its notebooks start;
    it hands that read to each notebook as its ``prepared`` parameter (:func:`load_inputs`,
    :func:`open_review`). On Linux the run holds it in memory only
    (:class:`PreparedInMemory`), so nothing personal is ever on disk; this writes it to a
    file instead (elsewhere, and for tests). The read names the files' raw case
    identifiers, so the file must be in a folder private to this user (the run's scratch
    folder, :mod:`review_lib.batch.scratch`), which the run removes when it ends.

    Parameters
    ----------
    path : str or Path
        The file to write, in a folder only this user may open (mode 0700).
    data : Path
        The data folder or file that was read.
    questions : str or Path or None
        The catalogue file, or None for the bundled one.
    catalogue : Catalogue
        The catalogue read.
    results : list of FileResult
        What reading each file gave.
    notes : tuple, optional
        The run's read of the notes files (:func:`notes_read`).
    analyses : str or Path, optional
        Where the run will keep its analyses (:func:`save_analyses`); beside ``path`` by
        default.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        If the folder is open to other users.
    """
    from review_lib.files import write_atomically

    path = Path(path)
    _check_private(path.parent)
    return write_atomically(path, _prepared_bytes(data, questions, catalogue, results, notes,
                                                  Path(analyses) if analyses else None))


class PreparedInMemory:
    """A batch run's read of the data, held in an anonymous in-memory file (Linux).

    The file exists only while this process holds it open: the notebooks the run's
    workers execute open it by :attr:`path` (``/proc/<run>/fd/<n>``, readable only by
    this user), and it is gone the moment the run ends, however it ends, SIGKILL
    included. Nothing is written to disk.

    Parameters
    ----------
    data, questions, catalogue, results, notes, analyses
        As :func:`write_prepared`'s.
    """

    def __init__(self, data: Path, questions: str | Path | None, catalogue: Catalogue,
                 results: list, notes: tuple | None = None, *,
                 analyses: str | Path | None = None):
        content = _prepared_bytes(data, questions, catalogue, results, notes,
                                  Path(analyses) if analyses else None)
        self.fd = os.memfd_create("practice-review-prepared", os.MFD_CLOEXEC)
        view = memoryview(content)
        while view:
            view = view[os.write(self.fd, view):]
        self.path = Path(f"/proc/{os.getpid()}/fd/{self.fd}")

    @staticmethod
    def available() -> bool:
        """Whether this system has in-memory files that other processes can open by path."""
        return hasattr(os, "memfd_create") and Path(f"/proc/{os.getpid()}/fd").is_dir()

    def close(self) -> None:
        """Let the in-memory file go (it is freed once no process has it open)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __str__(self) -> str:
        return str(self.path)


def _check_private(folder: Path) -> None:
    """Refuse a folder other users may open: a prepared file holds personal data."""
    info = folder.stat()
    if (info.st_mode & 0o077) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        raise ValueError(f"a prepared file holds personal data and goes only in a folder "
                         f"private to its owner (mode 0700); {folder.name!r} is "
                         f"{oct(info.st_mode & 0o777)[2:]}")


_PREPARED: list = []


def read_prepared(path: str | Path) -> dict:
    """A batch run's prepared file, read once per process while it is unchanged.

    Parameters
    ----------
    path : str or Path
        The file (:func:`write_prepared`).

    Returns
    -------
    dict
        ``key`` (what identifies the read, :func:`inputs_signature`), ``catalogue``,
        ``results``, ``notes`` and ``path``.

    Raises
    ------
    FileNotFoundError
        If there is no such file (a run removes its prepared file when it ends).
    ValueError
        If it is not in a private folder, or is not a prepared file.
    """
    import pickle

    path = Path(path)
    try:
        info = path.stat()
    except OSError:
        raise FileNotFoundError(
            f"no prepared file {path.name!r}: practice-review run passes one to its "
            "notebooks while it runs and removes it when it ends; leave prepared empty "
            "to read the data folder") from None
    stamp = (str(path.resolve()), info.st_ino, info.st_size, info.st_mtime_ns)
    if _PREPARED and _PREPARED[0] == stamp:
        return _PREPARED[1]
    _check_private(path.parent)
    try:
        payload = pickle.loads(path.read_bytes())
    except Exception:
        payload = None
    if not isinstance(payload, dict) or not {"key", "catalogue", "results", "notes"} <= set(
            payload):
        raise ValueError(f"{path.name!r} is not a prepared file of practice-review run")
    payload["path"] = path
    _PREPARED[:] = [stamp, payload]
    return payload


def save_analyses(prepared: str | Path, analyses: dict) -> Path:
    """Keep the run's analysis of each review for the notebooks, beside its prepared file.

    Written (atomically) while the first notebooks run; a notebook that opens a review
    of the same read after it appears uses the run's analysis rather than computing it
    again (:attr:`ReviewContext.computed`); one that opens it before computes its own.
    The analyses name cases only by their pseudonyms.

    Parameters
    ----------
    prepared : str or Path
        The run's prepared file (:func:`write_prepared`): the analyses go beside it, in
        the run's private scratch folder, and are of its read.
    analyses : dict
        ``(council, cycle, funnel limits) -> ReviewResults``, computed from the programme
        of exactly the prepared read's reviews.

    Returns
    -------
    Path
        The file written.
    """
    import pickle

    from review_lib.files import write_atomically

    handed = read_prepared(prepared)
    return write_atomically(_analyses_path(handed),
                            pickle.dumps((handed["key"], analyses),
                                         protocol=pickle.HIGHEST_PROTOCOL))


def _analyses_path(handed: dict) -> Path:
    """Where a run keeps its analyses: as its prepared read says, else beside the file."""
    return (Path(handed["analyses"]) if handed.get("analyses")
            else Path(handed["path"]).with_name(ANALYSES_FILE))


_ANALYSES: list[tuple] = []


def _held_inputs() -> tuple:
    """Which read of the data, and which batch analyses, this process holds now.

    A batch worker compares it before and after a job: when a job loaded a read or the
    run's analyses, the worker freezes them for the garbage collector
    (:mod:`review_lib.batch.workers`).

    Returns
    -------
    tuple
        Equal before and after a job exactly when it loaded nothing new.
    """
    return tuple(_LOADED), _ANALYSES[0][0] if _ANALYSES else None


def _kept(results: list) -> list:
    return [r for r in results if not any(p.kind == "skipped-path" for p in r.problems)]


def _read_key(data: Path, questions: str | Path | None, read: list) -> tuple:
    catalogue_file = Path(questions) if questions else QUESTIONS_FILE
    return inputs_signature(data, catalogue_file, [r.path for r in read])


def _run_analysis(handed: dict | None, council: str, cycle: str, method: str):
    """The batch run's analysis of a review of its prepared read, once it has been written."""
    import pickle

    if handed is None:
        return None
    path = _analyses_path(handed)
    stamp = (str(path), _stat(path))
    if stamp[1] is None:
        return None  # not written yet: computed by the notebook
    if not _ANALYSES or _ANALYSES[0][0] != stamp:
        try:
            saved_key, analyses = pickle.loads(path.read_bytes())
        except Exception:
            saved_key, analyses = None, {}
        _ANALYSES[:] = [(stamp, saved_key, analyses)]
    _, saved_key, analyses = _ANALYSES[0]
    return analyses.get((council, cycle, method)) if saved_key == handed["key"] else None


def _handed_read(handed: dict | None, key: tuple, files: list[Path]) -> tuple | None:
    """The batch run's prepared read of this data folder, when it matches ``key``."""
    if handed is None or handed["key"] != key or len(handed["results"]) != len(files):
        return None
    catalogue, results = handed["catalogue"], handed["results"]
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
                exercises: list | None = None,
                prepared: str | Path | None = None,
                name_councils: bool = False) -> ReviewContext:
    """Load a council's review and the rest of its programme for a report.

    Files in the folder that have errors are left out of comparisons (and listed in
    ``skipped``); an error in the council's own file stops the report. Given a
    ``programme`` already loaded, nothing is read: the review and its comparisons come
    from that programme. What it returns depends only on its arguments and the files they
    name: the data folder is read once per process while no file in it changes.

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
    prepared : str or Path, optional
        A batch run's prepared file (:func:`write_prepared`; ``practice-review run``
        passes it as the notebooks' ``prepared`` parameter): its read of the data and the
        notes, and its analysis of the review once written, used while every file is as
        it read them. None or "" (an analyst in JupyterLab) reads the data folder.
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
    FileNotFoundError
        If ``prepared`` names no file.
    ValueError
        For an unknown ``funnel_limits``, ``programme`` given with ``data_dir``,
        ``questions`` or ``prepared``, or a prepared file that is not private or not one.
    """
    from review_lib.analysis.funnel import METHODS

    if funnel_limits not in METHODS:
        raise ValueError(f"funnel_limits must be one of {', '.join(METHODS)}, "
                         f"not {funnel_limits!r}")
    if programme is not None:
        if data_dir or questions or prepared:
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
    _, catalogue, results, handed = _load(data_dir, questions, prepared)
    root = figures_dir or os.environ.get(ENV_FIGURES) or None
    root = Path(root) if root else None
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
    computed = _run_analysis(handed, review.council, review.cycle, funnel_limits)
    return ReviewContext(review, programme, folder, skipped, funnel_limits,
                         data if data.is_dir() else None, exercises, computed,
                         handed["notes"] if handed is not None else None,
                         name_councils=name_councils)


