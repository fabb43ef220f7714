"""Moderation exercises: several auditors rate the same case records, one file per exercise.

In a review each case is rated by one auditor, so how strictly an auditor rates and how good
the practice in their cases was cannot be told apart. In a moderation exercise every auditor
rates the same few (anonymised) case records, with the review's questions and an overall
judgement, and the group then agrees a moderated rating per case. From it come the agreement
between auditors and each auditor's leniency (:mod:`review_lib.analysis.calibration`).

Layout (one file per exercise):

- where: in a folder named ``moderation`` (``data/<programme>/<cycle>/moderation/<name>.xlsx``),
  or anywhere if the workbook's ``Review`` sheet has a ``Moderation`` row;
- workbook: sheet ``Review`` with rows ``Moderation`` (the exercise's name), ``Cycle``,
  optionally ``Review month`` and one ``Auditor`` row per auditor taking part (their labels,
  such as PSW A); sheet ``Ratings`` with a row per case and auditor: ``Case``, ``Auditor``,
  one column per question of the catalogue, ``Overall judgement`` (``Comments`` are skipped);
  the agreed ratings of a case, where there are any, are a row whose auditor is
  ``Consensus``. ``practice-review template --moderation`` writes this layout;
- CSV: the columns of the Ratings sheet, optionally with ``Cycle`` and ``Moderation``
  columns; without them the cycle is the folder holding ``moderation/`` and the name is the
  file's;
- live double rating: the same layout with a ``Council`` row (or column) holds a second
  auditor's ratings of some of that council's review cases, under the review file's own
  case references; each is paired with the review's rating of the case and keeps the
  review's pseudonym. The review itself still counts each case once.

Problems are located as a review's are (:class:`review_lib.data.problems.Problem`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from review_lib.data.catalogue import Catalogue, load_catalogue
from review_lib.data.problems import WARNING, DataValidationError, Problem
from review_lib.data.reading import (
    _AUDITOR_HEADINGS,
    _CASE_HEADINGS,
    _COUNCIL_HEADINGS,
    _CYCLE_HEADINGS,
    _MODERATION_HEADINGS,
    _MONTH_HEADINGS,
    _OVERALL_HEADINGS,
    _find_columns,
    _formula_problem,
    _is_long,
    _read_rating,
    checked_file,
    moderation_row,
    question_column_indexes,
    ratings_table,
)
from review_lib.data.records import _h, natural_key, normalise_cycle, pseudonyms
from review_lib.data.scale import LEVEL_SCORES, NOT_APPLICABLE, RATING_DTYPE, is_blank
from review_lib.data.tables import (
    Formula,
    Table,
)

#: Name of the folder that holds a cycle's moderation exercises.
MODERATION_FOLDER = "moderation"

#: The rater whose rows hold the agreed (moderated) ratings of a case.
CONSENSUS = "Consensus"

#: Auditor labels read as the consensus (case and spaces ignored).
_CONSENSUS_NAMES = {"consensus", "consensus rating", "moderated", "moderated rating",
                    "agreed", "agreed rating"}

_AUDITOR_LIST_HEADINGS = {"auditor", "auditors", "psw", "auditor (psw)"}

_TWO_AUDITORS = ("every case rated by at least two auditors: the exercise measures how far "
                 "auditors agree on the same case (check the case identifier: a typing "
                 "slip makes a new case)")


def in_moderation_folder(path: str | Path) -> bool:
    """Whether a data file sits in a folder named ``moderation`` (any case).

    Parameters
    ----------
    path : str or Path
        A data file.

    Returns
    -------
    bool
        True for ``.../2022-24/moderation/autumn.xlsx``.
    """
    return _h(Path(path).parent.name) == MODERATION_FOLDER


def is_consensus(label: object) -> bool:
    """Whether an auditor label names the consensus (moderated) rater.

    Parameters
    ----------
    label : object
        The value of an Auditor cell.

    Returns
    -------
    bool
        True for ``Consensus``, ``Moderated``, ``Agreed`` (case and spaces ignored).
    """
    return isinstance(label, str) and _h(label) in _CONSENSUS_NAMES


@dataclass(frozen=True, eq=False)
class ModerationExercise:
    """One moderation exercise: the same cases rated by several auditors.

    Attributes
    ----------
    name : str
        The exercise's name (the Review sheet's ``Moderation`` row, else the file's name).
    cycle : str
        The programme cycle (``"2022-24"``).
    source : str
        The data file's name as given (never resolved to a full path).
    sha256 : str
        Hash of the file's bytes, for report footers.
    catalogue : Catalogue
        The questions the file was checked against.
    auditors : tuple of str
        The auditors' labels as the file gives them (PSW A ...), in natural order; the
        consensus is not an auditor.
    cases : tuple of str
        Case pseudonyms (Case 01 ...), following the natural order of the identifiers.
    ratings : pandas.DataFrame
        One row per applicable question rating: ``exercise``, ``cycle``, ``case``
        (pseudonym), ``auditor`` (an auditor's label, or :data:`CONSENSUS`), ``question``,
        ``rating`` (ordered categorical) and ``score`` (Inadequate 1 ... Outstanding 4).
    judgements : pandas.DataFrame
        One row per case and rater: ``exercise``, ``cycle``, ``case``, ``auditor``,
        ``judgement`` and ``score``.
    not_applicable : pandas.DataFrame
        ``exercise``, ``cycle``, ``case``, ``auditor``, ``question`` of every answer marked
        not applicable (missing, for agreement, rather than a rating).
    month : str
        When the exercise took place, where the file says.
    path : Path or None
        The file on this machine, for finding it again. Never shown in outputs.
    review : tuple of str, optional
        For a review's live double-rated cases: the review's data file name and SHA-256
        (its first ratings come from there; ``cases`` are the review's own pseudonyms).
    """

    name: str
    cycle: str
    source: str
    sha256: str
    catalogue: Catalogue = field(repr=False)
    auditors: tuple[str, ...]
    cases: tuple[str, ...]
    ratings: pd.DataFrame = field(repr=False)
    judgements: pd.DataFrame = field(repr=False)
    not_applicable: pd.DataFrame = field(repr=False)
    month: str = ""
    path: Path | None = field(default=None, repr=False)
    review: tuple[str, str] | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        """``(cycle, name)``: what identifies an exercise in a programme."""
        return (self.cycle, self.name)

    @property
    def has_consensus(self) -> bool:
        """Whether any case has a consensus (moderated) row."""
        return bool((self.judgements["auditor"] == CONSENSUS).any())

    @property
    def n_cases(self) -> int:
        """Number of case records in the exercise."""
        return len(self.cases)

    def describe(self) -> str:
        """One line: name, cycle, cases, auditors, and whether there is a consensus.

        Returns
        -------
        str
            E.g. ``"moderation exercise 'Autumn calibration' (2022-24): 8 cases, 5
            auditors and a consensus"``.
        """
        consensus = " and a consensus" if self.has_consensus else ", no consensus"
        return (f"moderation exercise {self.name!r} ({self.cycle}): {self.n_cases} cases, "
                f"{len(self.auditors)} auditors{consensus}")

    def __repr__(self) -> str:
        return f"ModerationExercise({self.describe()[20:]}; from {Path(self.source).name})"


# --------------------------------------------------------------------------- reading


def read_moderation_file(path: str | Path, catalogue: Catalogue | None = None,
                         display_name: str | None = None, *, reviews=None
                         ) -> tuple[list[ModerationExercise], list[Problem]]:
    """Read one moderation exercise file, returning it and every problem found.

    Never raises for bad data, so one bad file never stops the others. A file that names a
    council (a ``Council`` row or column) holds second ratings of some of that council's
    review cases (live double rating): each case is paired with the review's own rating of
    it, by the case reference, and keeps the review's pseudonym.

    Parameters
    ----------
    path : str or Path
        A workbook (``.xlsx``) or a wide CSV, in the layout the module describes.
    catalogue : Catalogue, optional
        The question catalogue; the bundled one by default.
    display_name : str, optional
        Name used in messages; the path as given by default.
    reviews : iterable of Review, optional
        The valid reviews of the data folder, for second ratings to be paired with.

    Returns
    -------
    tuple of (list of ModerationExercise, list of Problem)
        The exercise (none when the file has an error) and every problem, located by
        file, sheet, cell, value found and what was expected.
    """
    path = Path(path)
    catalogue = catalogue or load_catalogue()
    name = display_name or str(path)
    sha, problems = checked_file(path, name, "a data file",
                                 "one moderation exercise (well under 1 MB)")
    if sha is None:
        return [], problems
    table, sheets = ratings_table(path, name, problems)
    if table is None:
        return [], problems
    if sheets is None:
        if _is_long(table):
            problems.append(Problem(
                "unsupported-layout", name,
                "the file is in the long layout (a row per rating), which moderation "
                "exercises do not use", "a row per case and auditor, with a column per "
                "question (as practice-review template --moderation writes)",
                row=table.header_row))
            return [], problems
    exercise = _parse(table, sheets, path, name, sha, catalogue, problems)
    if isinstance(exercise, _SecondRatings):
        exercise = exercise.join(list(reviews or []), problems)
    if exercise is None or any(p.is_error for p in problems):
        return [], problems
    return [exercise], problems


@dataclass
class _SecondRatings:
    """A review's second ratings as read, waiting to be paired with the review's first."""

    name: str | None
    cycle: str
    month: str
    file: str
    sha: str
    catalogue: Catalogue
    path: Path
    answers: dict
    first_row: dict[str, int]
    table: Table
    case_at: int
    auditor_at: int
    council: tuple  # (name, table, column index, row number)

    def join(self, reviews: list, problems: list[Problem]) -> ModerationExercise | None:
        """The exercise: each case's first rating (the review's) and its second ones."""
        council, where, column, number = self.council
        review = next((r for r in reviews
                       if _h(r.council) == _h(council) and r.cycle == self.cycle), None)
        if review is None:
            problems.append(where.problem(
                "missing-review", f"there is no valid review of {council} {self.cycle} to "
                "pair these second ratings with", "the council's review file, without "
                "errors, in the same data folder (practice-review validate lists its "
                "problems)", column_index=column, row_number=number, value=council))
            return None
        names = review.case_pseudonyms()
        first = {case: str(a) for case, a in
                 review.judgements[["case", "auditor"]].itertuples(index=False)}
        answers = dict(self.answers)
        for case_ref, row in self.first_row.items():
            if case_ref not in names:
                problems.append(self.table.problem(
                    "unknown-case", f"case {case_ref!r} is not a case of {review.council}'s "
                    f"{review.cycle} review", "the case's reference exactly as the review's "
                    f"file ({Path(review.source).name}) gives it",
                    column_index=self.case_at, row_number=row, value=case_ref))
                continue
            auditor = first[names[case_ref]]
            for (ref, rater), answer in self.answers.items():
                if ref == case_ref and _h(rater) == _h(auditor):
                    problems.append(self.table.problem(
                        "same-auditor", f"case {case_ref!r} was rated by {auditor} in the "
                        "review already", "a second rating by another auditor",
                        column_index=self.auditor_at, row_number=answer["row"],
                        value=rater))
            answers[(case_ref, auditor)] = _review_answer(review, names[case_ref])
        if any(p.is_error for p in problems):
            return None
        name = self.name or f"{review.council} {review.cycle} double-rated cases"
        return _build(name, self.cycle, self.month or review.review_month, self.file,
                      self.sha, self.catalogue, self.path, answers, names,
                      (Path(review.source).name, review.sha256))


def _review_answer(review, case: str) -> dict:
    """One case's ratings and judgement as the review gives them, as an answer."""
    ratings = {str(q): str(level) for q, level in review.ratings.loc[
        review.ratings["case"] == case, ["question", "rating"]].itertuples(index=False)}
    missing = review.not_applicable
    ratings |= {str(q): NOT_APPLICABLE for q in missing.loc[missing["case"] == case,
                                                           "question"]}
    judged = review.judgements.loc[review.judgements["case"] == case, "judgement"]
    return {"row": None, "ok": True, "ratings": ratings, "judgement": str(judged.iloc[0])}


def _details(sheets, table: Table, columns: dict[str, int], path: Path,
             problems: list[Problem]) -> tuple[str | None, str | None, str, list, tuple | None]:
    """Name, cycle, month, listed auditors and council (with where it was written).

    From the Review sheet, else columns, else the path. A council makes the file a review's
    second ratings (:func:`_join_review`).
    """
    name = cycle = council = None
    month = ""
    listed: list[tuple[str, Table, int]] = []  # (label, sheet, row number)
    found_cycle = None  # (value, table, column index, row number)
    row = moderation_row(sheets) if sheets else None
    review = row[0] if row else None
    if review is None and sheets:
        review = next((t for key, t in sheets.items() if _h(key) == "review" and t is not None
                       and not t.hidden), None)
    if row is not None and not is_blank(row[2]):
        name = " ".join(str(row[2]).split())
    if review is not None:
        for number, values in [(review.header_row, review.header),
                               *zip(review.row_numbers, review.rows, strict=True)]:
            if len(values) < 2 or not isinstance(values[0], str):
                continue
            key, value = _h(values[0]), values[1]
            if key in _CYCLE_HEADINGS:
                found_cycle = (value, review, 1, number)
            elif key in _MONTH_HEADINGS and not is_blank(value):
                month = str(value).strip()
            elif key in _COUNCIL_HEADINGS and not is_blank(value):
                council = (" ".join(str(value).split()), review, 1, number)
            elif key in _AUDITOR_LIST_HEADINGS and not is_blank(value):
                if isinstance(value, Formula):
                    continue  # reported with the workbook's other formulas
                for label in str(value).split(","):
                    if label.strip():
                        listed.append((" ".join(label.split()), review, number))
    for role in ("exercise", "cycle", "council"):
        if role not in columns:
            continue
        values = {}
        for number, values_row in zip(table.row_numbers, table.rows, strict=True):
            value = values_row[columns[role]]
            if not is_blank(value):
                values.setdefault(" ".join(str(value).split()), number)
        if len(values) > 1:
            (first, _), (second, number) = list(values.items())[:2]
            problems.append(table.problem(
                "inconsistent-review", f"the file mixes {role} values {first!r} and "
                f"{second!r}", f"one {role} per file (one file per moderation exercise)",
                column_index=columns[role], row_number=number, value=second))
        elif values:
            value, number = next(iter(values.items()))
            if role == "exercise":
                name = name or value
            elif role == "council":
                council = council or (value, table, columns[role], number)
            elif found_cycle is None or is_blank(found_cycle[0]):
                found_cycle = (value, table, columns[role], number)
    if found_cycle is not None and not is_blank(found_cycle[0]):
        raw, where, index, number = found_cycle
        cycle = normalise_cycle(raw)
        if cycle is None:
            problems.append(where.problem(
                "bad-cycle", f"{raw!s} is not a programme cycle",
                "a year such as 2019 or a span such as 2022-24",
                column_index=index, row_number=number, value=raw))
            cycle = ""
    if cycle is None and in_moderation_folder(path):
        cycle = normalise_cycle(path.parent.parent.name)
    if cycle is None:
        problems.append(Problem(
            "missing-review-details", table.file,
            "the file does not say which programme cycle the exercise belongs to",
            "a 'Cycle' row in the Review sheet (or a Cycle column), or the file in the "
            "cycle's folder: <cycle>/moderation/"))
    return name, cycle, month, listed, council


def _parse(table: Table, sheets, path: Path, file: str, sha: str, catalogue: Catalogue,
           problems: list[Problem]) -> ModerationExercise | None:
    from review_lib.data.limits import max_cases

    columns = _find_columns(table, {
        "case": _CASE_HEADINGS, "auditor": _AUDITOR_HEADINGS, "overall": _OVERALL_HEADINGS,
        "cycle": _CYCLE_HEADINGS, "exercise": _MODERATION_HEADINGS, "month": _MONTH_HEADINGS,
        "council": _COUNCIL_HEADINGS})
    for role, label in (("case", "Case"), ("auditor", "Auditor"),
                        ("overall", "Overall judgement")):
        if role not in columns:
            problems.append(Problem(
                "missing-column", table.file,
                f"there is no '{label}' column in the header row (row {table.header_row})",
                f"a heading '{label}' in the first row of the table", sheet=table.sheet,
                row=table.header_row))
    question_columns = question_column_indexes(table, catalogue, set(columns.values()),
                                               problems)
    name, cycle, month, listed, council = _details(sheets, table, columns, path, problems)
    if {"case", "auditor", "overall"} - columns.keys():
        return None
    if len(table.rows) > max_cases() * 20:
        problems.append(Problem(
            "too-large", table.file, f"the sheet has {len(table.rows):,} rows, more than a "
            "moderation exercise may have", "a row per case and auditor (an exercise has "
            "a few dozen)", sheet=table.sheet))
        return None
    case_at, auditor_at, overall_at = columns["case"], columns["auditor"], columns["overall"]
    answers: dict[tuple[str, str], dict] = {}  # (case ref, rater) -> what its row gave
    first_row: dict[str, int] = {}  # case ref -> its first row
    for number, row in zip(table.row_numbers, table.rows, strict=True):
        case_value, auditor_value = row[case_at], row[auditor_at]
        cells = [(index, qid, row[index]) for index, qid in question_columns]
        empty = all(is_blank(v) for _, _, v in cells) and is_blank(row[overall_at])
        if empty and is_blank(case_value):
            continue  # a template row left unused (only its auditor label filled in)
        ok = True
        case_ref = None
        if isinstance(case_value, Formula) or is_blank(case_value):
            problems.append(
                _formula_problem(table, case_value, case_at, number, "a typed case reference")
                if isinstance(case_value, Formula) else table.problem(
                    "blank-case", "the row has ratings but no case identifier",
                    "the case's reference, the same on each of its rows",
                    column_index=case_at, row_number=number, value=""))
            ok = False
        else:
            case_ref = " ".join(str(case_value).split())
            first_row.setdefault(case_ref, number)
        rater = None
        if isinstance(auditor_value, Formula) or is_blank(auditor_value):
            problems.append(
                _formula_problem(table, auditor_value, auditor_at, number,
                                 "the auditor's label, typed")
                if isinstance(auditor_value, Formula) else table.problem(
                    "blank-auditor", "the row has no auditor",
                    f"the auditor's label (PSW A ...), or {CONSENSUS} for the agreed ratings",
                    column_index=auditor_at, row_number=number, value=""))
            ok = False
        else:
            rater = CONSENSUS if is_consensus(auditor_value) else " ".join(
                str(auditor_value).split())
        if empty:
            problems.append(table.problem(
                "blank-rating", "the row has no ratings and no overall judgement",
                "a rating (or N/A) for every question and an overall judgement",
                row_number=number, value=""))
            ok = False
        if case_ref is not None and rater is not None:
            earlier = answers.get((case_ref, rater))
            if earlier is not None:
                who = "the consensus" if rater == CONSENSUS else rater
                problems.append(table.problem(
                    "duplicate-rating", f"case {case_ref!r} is rated by {who} again (first "
                    f"on row {earlier['row']})", "one row per case and auditor",
                    column_index=auditor_at, row_number=number, value=str(auditor_value)))
                continue
        if empty:
            continue
        ratings = {}
        for index, qid, value in cells:
            level = _read_rating(table, value, index, number, problems)
            if level is None:
                ok = False
            else:
                ratings[qid] = level
        judgement = _read_rating(table, row[overall_at], overall_at, number, problems,
                                 judgement=True)
        if case_ref is not None and rater is not None:
            answers[(case_ref, rater)] = {"row": number, "ok": ok and judgement is not None,
                                          "ratings": ratings, "judgement": judgement}
    _check_design(table, answers, first_row, listed, case_at, auditor_at, problems,
                  second_ratings=council is not None)
    if cycle is None or any(p.is_error for p in problems):
        return None
    if council is not None:  # a review's second ratings: paired with the review itself
        return _SecondRatings(name, cycle, month, file, sha, catalogue, path, answers,
                              first_row, table, case_at, auditor_at, council)
    return _build(name or path.stem, cycle, month, file, sha, catalogue, path, answers)


def _check_design(table: Table, answers: dict, first_row: dict[str, int], listed: list,
                  case_at: int, auditor_at: int, problems: list[Problem], *,
                  second_ratings: bool = False) -> None:
    """Problems of the exercise as a whole: cases with one auditor, auditors with no case.

    A review's second ratings hold one rating of a case by design (the review has the
    first), so they are not checked for cases with one auditor.
    """
    raters: dict[str, list[str]] = {}
    for case_ref, rater in answers:
        raters.setdefault(case_ref, []).append(rater)
    if not answers:  # nothing to check the design of
        if not any(p.is_error and p.row is not None for p in problems):
            problems.append(Problem("empty-file", table.file, "the sheet has a header but "
                                    "no ratings", "a row per case and auditor under the "
                                    "header", sheet=table.sheet, row=table.header_row))
        return
    for case_ref, who in raters.items():
        auditors = [r for r in who if r != CONSENSUS]
        if len(auditors) < 2 and not (second_ratings and auditors):
            by = (f"only one auditor ({auditors[0]})" if auditors
                  else "no auditor, only the consensus")
            problems.append(table.problem(
                "single-rater-case", f"case {case_ref!r} is rated by {by}", _TWO_AUDITORS,
                column_index=case_at, row_number=first_row[case_ref], value=case_ref))
    rated = {r for _, r in answers if r != CONSENSUS}
    if listed:
        names = {}
        for label, sheet, number in listed:
            if _h(label) in names:
                continue
            names[_h(label)] = label
            if not any(_h(r) == _h(label) for r in rated):
                problems.append(sheet.problem(
                    "auditor-without-cases", f"auditor {label!r} is listed but rated no case",
                    "a row of ratings by every listed auditor for the cases of the exercise "
                    "(or remove the auditor from the list)", column_index=1,
                    row_number=number, value=label))
        reported = set()
        for (_, rater), answer in answers.items():
            if rater == CONSENSUS or _h(rater) in names or rater in reported:
                continue
            reported.add(rater)
            problems.append(table.problem(
                "unlisted-auditor", f"auditor {rater!r} is not one of the auditors listed in "
                "the Review sheet", "one of " + ", ".join(repr(n) for n in names.values())
                + f" or {CONSENSUS} (as the Review sheet's Auditor rows name them)",
                column_index=auditor_at, row_number=answer["row"], value=rater))
    if len(rated) < 2 and answers and not second_ratings:
        problems.append(Problem(
            "too-few-auditors", table.file, f"only {len(rated)} auditor rated the cases",
            "at least two auditors rating the same cases", sheet=table.sheet))
    with_consensus = {c for c, r in answers if r == CONSENSUS}
    if with_consensus:
        for case_ref in raters:
            if case_ref not in with_consensus:
                problems.append(table.problem(
                    "no-consensus", f"case {case_ref!r} has no {CONSENSUS} row, unlike other "
                    "cases: each auditor is compared with the consensus on the cases that "
                    "have one", f"a {CONSENSUS} row for every case, or for none",
                    column_index=case_at, row_number=first_row[case_ref], value=case_ref,
                    severity=WARNING))


def _build(name: str, cycle: str, month: str, file: str, sha: str, catalogue: Catalogue,
           path: Path, answers: dict, names: dict[str, str] | None = None,
           review: tuple[str, str] | None = None) -> ModerationExercise:
    names = names or pseudonyms({case_ref for case_ref, _ in answers})
    auditors = tuple(sorted({r for _, r in answers if r != CONSENSUS}, key=natural_key))
    raters = pd.CategoricalDtype([*auditors, CONSENSUS])
    questions = pd.CategoricalDtype(catalogue.ids, ordered=True)
    order = sorted(answers, key=lambda k: (natural_key(names[k[0]]),
                                           raters.categories.get_loc(k[1])))
    rated, missing, judged = [], [], []
    for case_ref, rater in order:
        answer = answers[(case_ref, rater)]
        case = names[case_ref]
        for qid in catalogue.ids:
            level = answer["ratings"][qid]
            if level is NOT_APPLICABLE:
                missing.append((case, rater, qid))
            else:
                rated.append((case, rater, qid, level))
        judged.append((case, rater, answer["judgement"]))

    def frame(rows, columns):
        table = pd.DataFrame(rows, columns=columns)
        table.insert(0, "cycle", cycle)
        table.insert(0, "exercise", name)
        table["auditor"] = table["auditor"].astype(raters)
        if "question" in table:
            table["question"] = table["question"].astype(questions)
        return table

    ratings = frame(rated, ["case", "auditor", "question", "rating"])
    ratings["score"] = ratings["rating"].map(LEVEL_SCORES).astype("int8")
    ratings["rating"] = ratings["rating"].astype(RATING_DTYPE)
    judgements = frame(judged, ["case", "auditor", "judgement"])
    judgements["score"] = judgements["judgement"].map(LEVEL_SCORES).astype("int8")
    judgements["judgement"] = judgements["judgement"].astype(RATING_DTYPE)
    not_applicable = frame(missing, ["case", "auditor", "question"])
    cases = tuple(sorted({names[case_ref] for case_ref, _ in answers}, key=natural_key))
    return ModerationExercise(name, cycle, file, sha, catalogue, auditors, cases, ratings,
                              judgements, not_applicable, month, path, review)


def exercise_named(exercises, name: str, cycle: str) -> ModerationExercise | None:
    """The exercise of ``cycle`` that a notes file's ``moderation:`` line names, if any.

    Names match whatever their case, as a review team types them.

    Parameters
    ----------
    exercises : iterable of ModerationExercise
        The exercises in the data.
    name : str
        The name the notes give.
    cycle : str
        The review's cycle.

    Returns
    -------
    ModerationExercise or None
        The first such exercise; None when the data hold none.
    """
    return next((e for e in exercises
                 if e.name.casefold() == name.casefold() and e.cycle == cycle), None)


def load_moderation(paths: str | Path | list | None = None,
                    catalogue: Catalogue | str | Path | None = None
                    ) -> list[ModerationExercise]:
    """Every moderation exercise under the given files and folders, validated.

    Parameters
    ----------
    paths : str, Path or list of them, optional
        Files and folders; the bundled synthetic sample by default. A relative path is
        looked for from the current folder, then from the project root.
    catalogue : Catalogue, str or Path, optional
        The question catalogue or its CSV; the bundled one by default.

    Returns
    -------
    list of ModerationExercise
        Sorted by cycle and name.

    Raises
    ------
    DataValidationError
        With every problem of the moderation files, if any of them has an error, or
        naming the places looked in for a path that does not exist.
    """
    from review_lib.data.loading import found_paths, read_programme_files

    paths = found_paths(paths)
    if not isinstance(catalogue, Catalogue):
        catalogue = load_catalogue(catalogue)
    results = [r for r in read_programme_files(paths, catalogue) if r.is_moderation]
    problems = [p for r in results for p in r.problems]
    if any(p.is_error for p in problems):
        raise DataValidationError(problems)
    return sorted((e for r in results for e in r.exercises), key=lambda e: e.key)
