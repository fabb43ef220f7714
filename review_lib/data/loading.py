"""Finding review files and loading them into a programme, one bad file never stopping the rest."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from review_lib.data.catalogue import Catalogue, load_catalogue
from review_lib.data.moderation import in_moderation_folder, read_moderation_file
from review_lib.data.problems import WARNING, DataValidationError, Problem
from review_lib.data.reading import MODERATION_EXERCISE, read_review_file
from review_lib.data.records import Programme, Review, _h, natural_key
from review_lib.data.tables import (
    EXCEL_SUFFIXES,
    LEGACY_SUFFIXES,
)


def iter_data_files(paths: Iterable[str | Path], problems: list[Problem] | None = None
                    ) -> list[Path]:
    """Expand files and folders into the data files they hold, sorted, folders recursively.

    A folder of audit forms (named ``<council>-forms``, :mod:`review_lib.data.forms`) is one
    review: it is listed itself, and the forms in it are not.

    Hidden files, Excel lock files (``~$...``) and non-data files (Markdown, JSON) are left
    out; legacy spreadsheet files are kept so that they can be reported. Anything else that
    is not read gets a warning in ``problems``: a link that leads outside the folder given,
    a linked folder (never followed, so a link loop cannot trap the run), a folder that
    cannot be read, and special files such as named pipes (which would block a reader).

    Parameters
    ----------
    paths : iterable of str or Path
        Files and folders.
    problems : list of Problem, optional
        Receives the warnings.

    Returns
    -------
    list of Path
        The data files.
    """
    import stat

    wanted = EXCEL_SUFFIXES | {".csv"} | LEGACY_SUFFIXES
    files: list[Path] = []
    found_problems = problems if problems is not None else []

    def warn(where: Path, root: Path, message: str, expected: str) -> None:
        try:
            shown = str(where.relative_to(root.parent if root.name else root))
        except ValueError:
            shown = where.name
        found_problems.append(Problem("skipped-path", shown, message, expected,
                                      severity=WARNING))

    from review_lib.data.forms import is_forms_folder

    for path in map(Path, paths):
        if not path.is_dir() or is_forms_folder(path):
            files.append(path)  # a folder of audit forms is one review: read as a unit
            continue
        try:
            inside = path.resolve()
        except OSError:
            inside = path.absolute()
        found: list[Path] = []

        def unreadable(error: OSError, root: Path = path) -> None:
            warn(Path(error.filename or root), root,
                 f"the folder cannot be read ({error.strerror or error}), so it was skipped",
                 "a folder this user can read")

        for folder, names, filenames in os.walk(path, onerror=unreadable, followlinks=False):
            base = Path(folder)
            relative_parts = base.relative_to(path).parts
            if any(part.startswith((".", "~$")) for part in relative_parts):
                names[:] = []
                continue
            for name in list(names):
                if (base / name).is_symlink():
                    if not name.startswith((".", "~$")):
                        warn(base / name, path, "the folder is a link, and links to folders "
                             "are not followed", "the review files themselves in the folder")
                    names.remove(name)
                elif not name.startswith((".", "~$")) and is_forms_folder(base / name):
                    found.append(base / name)  # a review's audit forms: read as one
                    names.remove(name)
            for name in filenames:
                if name.startswith((".", "~$")):
                    continue
                candidate = base / name
                if candidate.suffix.lower() not in wanted:
                    try:
                        special = not stat.S_ISREG(candidate.lstat().st_mode) and \
                            not candidate.is_symlink()
                    except OSError:
                        special = False
                    if special:
                        warn(candidate, path, "this is not a regular file (perhaps a named "
                             "pipe), so it was skipped", "regular .xlsx or .csv files")
                    continue
                try:
                    mode = os.stat(candidate).st_mode  # follows a link to its target
                    link = candidate.is_symlink()
                    target = candidate.resolve() if link else None
                except OSError as exc:
                    warn(candidate, path, f"the file cannot be opened ({exc.strerror or exc}), "
                         "so it was skipped", "a readable file (a link that leads nowhere?)")
                    continue
                if link and not target.is_relative_to(inside):
                    warn(candidate, path, "the file is a link to a place outside the data "
                         "folder, so it was not read", "the review files themselves inside "
                         "the data folder")
                    continue
                if not stat.S_ISREG(mode):
                    warn(candidate, path, "this is not a regular file (perhaps a named pipe), "
                         "so it was skipped", "regular .xlsx or .csv files")
                    continue
                found.append(candidate)
        files.extend(sorted(found, key=lambda p: natural_key(str(p))))
    return files


@dataclass
class FileResult:
    """What loading one file gave: its reviews (or moderation exercise) and its problems."""

    path: Path
    display_name: str
    reviews: list[Review]
    problems: list[Problem]
    #: The moderation exercise a moderation file holds (:mod:`review_lib.data.moderation`).
    exercises: list = field(default_factory=list)
    #: Whether the file was read as a moderation exercise rather than a review.
    is_moderation: bool = False

    @property
    def ok(self) -> bool:
        """Whether the file loaded without errors."""
        return not any(p.is_error for p in self.problems)


def _display_name(path: Path, roots: list[Path]) -> str:
    """A short name for messages: relative to the folder given, never an absolute path."""
    for root in roots:
        if root.is_dir():
            try:
                return str(path.relative_to(root.parent if root.name else root))
            except ValueError:
                continue
    return path.name if path.is_absolute() else str(path)


def read_programme_files(paths: Iterable[str | Path], catalogue: Catalogue | None = None
                         ) -> list[FileResult]:
    """Read every data file under the given paths, one result per file, never raising.

    Parameters
    ----------
    paths : iterable of str or Path
        Files and folders.
    catalogue : Catalogue, optional
        The question catalogue; the bundled one by default.

    Returns
    -------
    list of FileResult
        One per file, with the reviews that can be used. When two files hold the same
        council and cycle, a ``duplicate-review`` error is added to both and neither
        review is kept. A file in a ``moderation`` folder, or a workbook whose Review
        sheet has a ``Moderation`` row, is read as a moderation exercise instead
        (:mod:`review_lib.data.moderation`; ``is_moderation``, ``exercises``); two files
        for one exercise get a ``duplicate-exercise`` error each.
    """
    roots = [Path(p) for p in paths]
    catalogue = catalogue or load_catalogue()
    results = []
    holders: dict[tuple[str, str], list[FileResult]] = {}
    skipped: list[Problem] = []
    for path in iter_data_files(roots, skipped):
        name = _display_name(path, roots)
        moderation = in_moderation_folder(path)
        reviews, problems = [], []
        if path.is_dir():
            from review_lib.data.forms import read_forms_folder

            try:
                reviews, problems = read_forms_folder(path, catalogue, display_name=name)
            except Exception as exc:  # a form no check foresaw: its own review's failure
                reviews, problems = [], [_unforeseen(name, exc)]
            moderation = False
        elif not moderation:
            try:
                reviews, problems = read_review_file(path, catalogue, display_name=name)
            except Exception as exc:  # a file no check foresaw: its own failure, not the run's
                problems = [_unforeseen(name, exc)]
            # A workbook whose Review sheet has a Moderation row is an exercise too.
            moderation = any(p.kind == MODERATION_EXERCISE for p in problems)
        result = FileResult(path, name, reviews, [] if moderation else problems,
                            is_moderation=moderation)
        results.append(result)
    _check_names(results)
    _merge_region_spellings(results)
    for result in results:
        for review in result.reviews:
            holders.setdefault((_h(review.council), review.cycle), []).append(result)
    # Two files for one review: neither is published, and each names the other.
    for key, files in holders.items():
        if len(files) < 2:
            continue
        for result in files:
            review = next(r for r in result.reviews if (_h(r.council), r.cycle) == key)
            others = [f.display_name for f in files if f is not result]
            result.problems.append(Problem(
                "duplicate-review", result.display_name,
                f"{review.council} {review.cycle} is also in {', '.join(others)}, so "
                "neither is used: the suite cannot tell which is current",
                "one file per council and cycle: remove or rename the out-of-date one",
                value=f"{review.council} {review.cycle}"))
            result.reviews = [r for r in result.reviews if (_h(r.council), r.cycle) != key]
    # Moderation files last: a review's second ratings are paired with the review's own.
    valid = [review for result in results for review in result.reviews]
    for result in results:
        if result.is_moderation:
            try:
                result.exercises, result.problems = read_moderation_file(
                    result.path, catalogue, display_name=result.display_name, reviews=valid)
            except Exception as exc:
                result.problems = [_unforeseen(result.display_name, exc)]
    _refuse_duplicate_exercises(results)
    _warn_of_a_thin_latest_cycle(results)
    data_files = len(results)
    for problem in skipped:  # paths not read: shown by validate, never an error
        results.append(FileResult(Path(problem.file), problem.file, [], [problem]))
    if not data_files:
        results.append(FileResult(roots[0] if roots else Path("."), ", ".join(map(str, roots)),
                                  [], [Problem("empty-file", ", ".join(map(str, roots)) or ".",
                                               "no .xlsx or .csv data files were found",
                                               "a folder holding review files")]))
    return results


#: Scripts whose letters may be mixed in one name (Japanese writes Han and kana together).
_SCRIPT_FAMILY = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK"}
#: Letters of other scripts that look like Latin ones, as Unicode's confusables list has them
#: (those a council's or region's name could hide behind), and their Latin twins.
_LOOKALIKES = str.maketrans(
    "АВЕКМНОРСТУХаеорсухіјѕӏԁԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧοϲ",
    "ABEKMHOPCTYXaeopcyxijslbqwABEZHIKMNOPTYXoc")


def _script(ch: str) -> str | None:
    """The script of a letter (the first word of its Unicode name), or None."""
    if not ch.isalpha():
        return None
    import unicodedata

    word = unicodedata.name(ch, "UNKNOWN").split()[0]
    return _SCRIPT_FAMILY.get(word, word)


def name_problems(name: str, role: str = "council") -> list[tuple[str, str]]:
    """What makes a name unsafe to publish: hidden characters, or letters of mixed scripts.

    A right-to-left override (U+202E) or another control or invisible character can show a
    name other than the one stored; a Cyrillic ``е`` in "Dudlеy" looks like "Dudley" but is
    another council, folder and report. Names in one script, with letters, digits, spaces
    and punctuation, pass.

    Parameters
    ----------
    name : str
        The name as read.
    role : str, default "council"
        What the name is, for the message.

    Returns
    -------
    list of (str, str)
        ``(message, expected)`` per problem; empty for a good name.
    """
    import unicodedata

    found = []
    for position, ch in enumerate(name, start=1):
        if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cn", "Zl", "Zp"):
            found.append((
                f"the {role} name {name!r} holds U+{ord(ch):04X} "
                f"{unicodedata.name(ch, 'an unassigned character')} at character {position}: "
                "an invisible character that can change how the name is shown",
                f"the {role}'s name in letters, digits, spaces and punctuation only: "
                "retype it in the cell"))
    scripts: dict[str, list[tuple[int, str]]] = {}
    for position, ch in enumerate(name, start=1):
        script = _script(ch)
        if script:
            scripts.setdefault(script, []).append((position, ch))
    if len(scripts) > 1:
        main = max(scripts, key=lambda s: len(scripts[s]))
        odd = [(p, ch, script) for script, chars in scripts.items() if script != main
               for p, ch in chars]
        shown = ", ".join(f"{ch!r} (U+{ord(ch):04X} {unicodedata.name(ch, '?')}) at "
                          f"character {p}" for p, ch, _ in sorted(odd)[:3])
        found.append((
            f"the {role} name {name!r} mixes {main.title()} letters with "
            f"{', '.join(sorted({s.title() for _, _, s in odd}))} ones: {shown}; it may look "
            "like another name but is not the same",
            f"the {role}'s name typed in one alphabet (retype it on the usual keyboard)"))
    return found


def _skeleton(name: str) -> str:
    """What a name looks like: compatibility forms folded, look-alike letters made Latin."""
    import unicodedata

    return unicodedata.normalize("NFKC", name).translate(_LOOKALIKES).casefold()


def _check_names(results: list[FileResult]) -> None:
    """Refuse reviews whose council or region name is unsafe, or imitates another's.

    Each review of a bad name gets a located error (the file, the name and the character)
    and is left out; every other review in the file is kept. A name written with
    look-alike letters (an all-Cyrillic "Соррo", full-width letters) that looks the same as
    another council's name is refused; the name written plainly is kept.
    """
    import unicodedata

    refused: dict[int, list[Problem]] = {}
    for result in results:
        for review in result.reviews:
            for role, name in (("council", review.council), ("region", review.region)):
                for message, expected in name_problems(name, role) if name else ():
                    refused.setdefault(id(review), []).append(Problem(
                        "unsafe-name", result.display_name, message, expected, value=name))
    written: dict[str, dict[str, str]] = {}  # skeleton -> folded name -> a file holding it
    for result in results:
        for review in result.reviews:
            written.setdefault(_skeleton(review.council), {}).setdefault(
                _h(review.council), f"{review.council!r} ({result.display_name})")
    for result in results:
        for review in result.reviews:
            name = review.council
            plain = unicodedata.normalize("NFKC", name).translate(_LOOKALIKES) == name
            others = [shown for key, shown in written[_skeleton(name)].items()
                      if key != _h(name)]
            if plain or not others or id(review) in refused:
                continue
            refused[id(review)] = [Problem(
                "look-alike-name", result.display_name,
                f"the council name {name!r} looks the same as {', '.join(sorted(others))} "
                "but is written with other characters (look-alike letters of another "
                "alphabet, or full-width ones), so it is not used: readers could not tell "
                "the two apart", "the council's name typed on the usual keyboard",
                value=name)]
    for result in results:
        for review in list(result.reviews):
            if id(review) in refused:
                result.problems.extend(refused[id(review)])
                result.reviews.remove(review)


def _merge_region_spellings(results: list[FileResult]) -> None:
    """Take region names that make one folder ("North West", "North-West") as one region.

    The spelling most reviews use is kept (the first alphabetically on a tie); each file
    that wrote another gets a warning naming both, and its reviews take the kept spelling.
    """
    from collections import Counter

    from review_lib.files import slug

    spellings: dict[str, Counter] = {}
    for result in results:
        for review in result.reviews:
            if review.region:
                spellings.setdefault(slug(review.region), Counter())[review.region] += 1
    for folder, counts in spellings.items():
        if len(counts) < 2:
            continue
        kept = min(counts, key=lambda name: (-counts[name], name))
        listed = ", ".join(repr(name) for name in sorted(counts))
        for result in results:
            written = sorted({r.region for r in result.reviews
                              if r.region in counts and r.region != kept})
            for review in result.reviews:
                if review.region in counts:
                    review.region = kept
            for name in written:
                result.problems.append(Problem(
                    "region-spelling", result.display_name,
                    f"the region {name!r} is taken as {kept!r}: the spellings {listed} would "
                    f"share the folder regions/{folder}, so they are one region, named as most "
                    "files name it",
                    f"one spelling of each region across the files ({kept!r})",
                    severity=WARNING, value=name))


#: The latest cycle is thin when it holds at most this share of the reviews of a larger
#: earlier or overlapping cycle.
THIN_CYCLE_SHARE = 0.5


def _cycle_years(cycle: str) -> tuple[int, int]:
    start, _, end = cycle.partition("-")
    first = int(start)
    return first, (first // 100 * 100 + int(end[-2:]) if end else first)


def thin_latest_cycle(reviews) -> tuple[str, int, str, int] | None:
    """Whether the latest cycle holds few reviews beside a larger earlier or overlapping one.

    One file with its cycle mistyped (``2023-24`` for ``2022-24``) makes a cycle of its own,
    and, being the latest, the only one a run renders by default. A cycle that overlaps a
    larger one, or holds at most half the reviews of a larger earlier one, is worth a
    warning (a new cycle's first reviews get it too, and it says what to do then).

    Parameters
    ----------
    reviews : iterable of Review
        Every valid review.

    Returns
    -------
    tuple or None
        ``(latest cycle, its reviews, the larger cycle, its reviews)``, or None.
    """
    counts: dict[str, int] = {}
    for review in reviews:
        counts[review.cycle] = counts.get(review.cycle, 0) + 1
    if len(counts) < 2:
        return None
    latest = max(counts)
    try:
        start, end = _cycle_years(latest)
        spans = {c: _cycle_years(c) for c in counts}
    except ValueError:
        return None
    larger = [c for c in counts if c != latest and counts[c] > counts[latest] and (
        counts[latest] <= THIN_CYCLE_SHARE * counts[c]
        or (spans[c][0] <= end and start <= spans[c][1]))]
    if not larger:
        return None
    other = max(larger, key=lambda c: (counts[c], c))
    return latest, counts[latest], other, counts[other]


def thin_cycle_message(found: tuple[str, int, str, int]) -> tuple[str, str]:
    """What to say of a thin latest cycle (:func:`thin_latest_cycle`): message, expected.

    Parameters
    ----------
    found : tuple
        As :func:`thin_latest_cycle` returns it.

    Returns
    -------
    tuple of str
        The message and what is expected.
    """
    latest, n_latest, other, n_other = found
    return (f"the latest cycle, {latest}, holds only {n_latest} review"
            f"{'' if n_latest == 1 else 's'} beside {n_other} in {other}; 'practice-review run' "
            f"renders only the latest cycle unless told otherwise",
            f"if {latest} is a typing mistake, the file's cycle corrected to {other}; if "
            f"{latest} has just begun, 'practice-review run --cycle {other}' (or --cycle all) "
            f"to render {other}")


def _warn_of_a_thin_latest_cycle(results: list[FileResult]) -> None:
    """A warning on each file of a thin latest cycle (:func:`thin_latest_cycle`)."""
    found = thin_latest_cycle(r for result in results for r in result.reviews)
    if found is None:
        return
    message, expected = thin_cycle_message(found)
    for result in results:
        if any(r.cycle == found[0] for r in result.reviews):
            result.problems.append(Problem("thin-latest-cycle", result.display_name,
                                           message, expected, severity=WARNING,
                                           value=found[0]))


def _unforeseen(name: str, exc: Exception) -> Problem:
    return Problem("unreadable-file", name,
                   f"the file could not be read ({type(exc).__name__}: {str(exc)[:200]})",
                   "an .xlsx workbook or .csv file in one of the layouts the README describes")


def _refuse_duplicate_exercises(results: list[FileResult]) -> None:
    """Two files for one moderation exercise (cycle and name): neither is used."""
    holders: dict[tuple[str, str], list[FileResult]] = {}
    for result in results:
        for exercise in result.exercises:
            holders.setdefault((exercise.cycle, _h(exercise.name)), []).append(result)
    for (cycle, _), files in holders.items():
        if len(files) < 2:
            continue
        for result in files:
            others = [f.display_name for f in files if f is not result]
            exercise = result.exercises[0]
            result.problems.append(Problem(
                "duplicate-exercise", result.display_name,
                f"moderation exercise {exercise.name!r} ({cycle}) is also in "
                f"{', '.join(others)}, so neither is used: the suite cannot tell which is "
                "current", "one file per moderation exercise: remove the out-of-date one, or "
                "give each exercise its own name (the Review sheet's Moderation row)",
                value=exercise.name))
            result.exercises = []


def load_review(path: str | Path, catalogue: Catalogue | None = None) -> Review:
    """Load and validate one review file.

    Parameters
    ----------
    path : str or Path
        A wide ``.xlsx`` workbook or wide CSV (or a long CSV holding one review).
    catalogue : Catalogue, optional
        The question catalogue; the bundled one by default.

    Returns
    -------
    Review
        The validated review.

    Raises
    ------
    DataValidationError
        With every problem found, if the file has any error or holds no single review.
    """
    reviews, problems = read_review_file(path, catalogue)
    if any(p.is_error for p in problems):
        raise DataValidationError(problems)
    if len(reviews) != 1:
        raise DataValidationError([Problem(
            "inconsistent-review", str(path), f"the file holds {len(reviews)} reviews",
            "exactly one council and cycle; use load_programme for several")])
    return reviews[0]


def found_paths(paths: str | Path | Iterable[str | Path] | None) -> list[Path]:
    """Files and folders an analyst named, found from here or from the project root.

    Parameters
    ----------
    paths : str, Path or iterable of them, optional
        Files and folders; the bundled synthetic sample when None. A relative path that
        does not exist from the current folder is looked for from the project root
        (:func:`review_lib.paths.find_path`), so ``"data/sample"`` works from
        ``notebooks/`` too.

    Returns
    -------
    list of Path
        The paths found.

    Raises
    ------
    DataValidationError
        An ``unreadable-file`` error for each path found in neither place, naming both
        places looked in.
    """
    from review_lib.paths import SAMPLE_DIR, find_path, looked_in

    if paths is None:
        return [SAMPLE_DIR]
    if isinstance(paths, str | Path):
        paths = [paths]
    found, missing = [], []
    for path in paths:
        where = find_path(path)
        found.append(where)
        if not where.exists() and not where.is_symlink():
            missing.append(Problem(
                "unreadable-file", str(path), f"there is no such file or folder "
                f"({looked_in(path)})", "an existing folder of review files, or an .xlsx "
                "or .csv file"))
    if missing:
        raise DataValidationError(missing)
    return found


def load_programme(paths: str | Path | Iterable[str | Path] | None = None,
                   catalogue: Catalogue | str | Path | None = None, *,
                   keep_case_refs: bool = False) -> Programme:
    """Load and validate every review file under the given files and folders.

    Parameters
    ----------
    paths : str, Path or iterable of them, optional
        Files and folders; the bundled synthetic sample (``data/sample``) by default. A
        relative path is looked for from the current folder, then from the project root,
        so the same path works from the project root and from ``notebooks/``.
    catalogue : Catalogue, str or Path, optional
        The question catalogue, or the path of a catalogue CSV; the bundled one by default.
    keep_case_refs : bool, default False
        Add a ``case_ref`` column of the files' raw case identifiers to the tidy frames.
        Off by default, so that frames, and whatever is exported from them
        (``programme.ratings.to_excel(...)``), name cases only by their pseudonyms. Turn it
        on only to trace a case back to its file, and never publish what it gives.

    Returns
    -------
    Programme
        Every review, with any warnings in ``problems``.

    Raises
    ------
    DataValidationError
        With every problem in every file, if any file has an error, or naming the places
        looked in for a path that does not exist.
    """
    paths = found_paths(paths)
    if not isinstance(catalogue, Catalogue):
        catalogue = load_catalogue(catalogue)
    results = read_programme_files(paths, catalogue)
    problems = [p for r in results for p in r.problems]
    if any(p.is_error for p in problems):
        raise DataValidationError(problems)
    reviews = [rv for r in results for rv in r.reviews]
    for review in reviews:
        review.keep_case_refs = keep_case_refs
    return Programme(reviews, catalogue, problems)
