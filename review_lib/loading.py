"""Load review files (wide workbooks, wide CSV, long CSV) into tidy, validated frames.

A **wide** file has a row per case: case id, auditor, one column per catalogue question and
the overall judgement; council and cycle come from a ``Review`` sheet (workbooks) or from
``Council`` and ``Cycle`` columns. A **long** CSV has a row per rating with columns council,
cycle, case, auditor, question and rating; a case's overall judgement is the row whose
question is ``Overall``. Every problem in a file is collected and reported together.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from review_lib.catalogue import Catalogue, load_catalogue
from review_lib.problems import WARNING, DataValidationError, Problem, column_letter
from review_lib.scale import (
    ACCEPTED_LABELS,
    NOT_APPLICABLE,
    RATING_DTYPE,
    is_blank,
    parse_label,
)
from review_lib.tables import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    LEGACY_SUFFIXES,
    Formula,
    Table,
    read_csv,
    read_workbook,
    unsupported_format,
)

RATINGS_SHEET = "Ratings"
REVIEW_SHEET = "Review"

_CASE_HEADINGS = {"case", "case id", "case ref", "case reference", "case number", "case no",
                  "case no.", "case_id", "case record"}
_AUDITOR_HEADINGS = {"auditor", "reviewer", "psw", "auditor (psw)", "reviewed by", "audited by"}
_OVERALL_HEADINGS = {"overall", "overall judgement", "overall judgment", "overall rating",
                     "judgement", "judgment", "overall_judgement"}
_COUNCIL_HEADINGS = {"council", "local authority", "authority"}
_CYCLE_HEADINGS = {"cycle", "programme cycle", "programme", "review cycle"}
_MONTH_HEADINGS = {"review month", "month", "review date", "review_month"}
_QUESTION_HEADINGS = {"question", "question id", "question_id"}
_RATING_HEADINGS = {"rating", "judgement", "judgment", "grade"}
#: Free-text columns: read past silently, and never carried into any output.
_IGNORED_HEADINGS = {"comments", "comment", "notes", "note", "free text", "remarks"}
#: Long-form question values that mean "the case's overall judgement".
_OVERALL_QUESTIONS = {"overall", "overall judgement", "overall judgment", "overall rating"}

_CYCLE_RE = re.compile(r"^\s*(\d{4})\s*(?:[-/–—]\s*(\d{2}|\d{4}))?\s*$")
_ID_LIKE_RE = re.compile(r"^\s*[A-Za-z]{0,3}\s?\d+[A-Za-z]?(?:[\s.:)\-–—]|$)")

_LEVEL_EXPECTED = ACCEPTED_LABELS
_JUDGEMENT_EXPECTED = "Outstanding, Good, Requires Improvement or Inadequate (O, G, RI, I)"

FRAME_KEYS = ("council", "cycle", "case", "auditor")
#: Where the raw case identifier goes in a frame, for those who opt in (keep_case_refs).
CASE_REF_AT = 3


def _h(text: object) -> str:
    return " ".join(str(text).split()).casefold()


def normalise_cycle(raw: object) -> str | None:
    """Read a programme cycle: ``"2019"``, ``"2022-24"``, ``"2022/2024"`` -> ``"2022-24"``.

    Parameters
    ----------
    raw : object
        The value found.

    Returns
    -------
    str or None
        The cycle as ``YYYY`` or ``YYYY-YY``, or None if it is not a year or a span.
    """
    match = _CYCLE_RE.match(str(raw)) if not is_blank(raw) else None
    if not match:
        return None
    start, end = match.groups()
    if end is None:
        return start
    end = end[-2:]
    if int(end) <= int(start[-2:]) and end != start[-2:]:
        return None
    return f"{start}-{end}"


def natural_key(text: str) -> list[object]:
    """Sort key that orders ``"C2"`` before ``"C10"``.

    Parameters
    ----------
    text : str
        The text to sort.

    Returns
    -------
    list
        Alternating text and integer parts.
    """
    return [int(part) if part.isdigit() else part.casefold()
            for part in re.split(r"(\d+)", text)]


def pseudonyms(case_refs: Iterable[str]) -> dict[str, str]:
    """Stable pseudonyms ``Case 01 ... Case 20`` for a review's case identifiers.

    Pseudonyms follow the natural order of the identifiers, so they do not change when the
    rows of a file are re-sorted.

    Parameters
    ----------
    case_refs : iterable of str
        The review's case identifiers (each once).

    Returns
    -------
    dict
        Identifier to pseudonym.
    """
    refs = sorted(set(case_refs), key=natural_key)
    width = max(2, len(str(len(refs))))
    return {ref: f"Case {i:0{width}d}" for i, ref in enumerate(refs, start=1)}


#: Code of each level in ``RATING_DTYPE`` (worst first); "not applicable" is -1.
_LEVEL_CODE: dict[object, int] = {level: code
                                  for code, level in enumerate(RATING_DTYPE.categories)}
_LEVEL_CODE[NOT_APPLICABLE] = -1

#: Which answers each part of a review holds, and the name of its rating column.
_PARTS = {"ratings": "rating", "not_applicable": None, "judgements": "judgement"}


@dataclass
class _Records:
    """Column-wise records of one review, turned into frames only when asked.

    Per case (in the order added): ``cases`` (pseudonyms), ``case_refs``, ``auditors`` and
    ``judgements`` (codes of ``RATING_DTYPE``). Per answer (in the order added):
    ``answer_case`` (index of its case), ``questions`` (position in the catalogue) and
    ``levels`` (codes of ``RATING_DTYPE``, -1 for "not applicable").
    """

    cases: list[str] = field(default_factory=list)
    case_refs: list[str] = field(default_factory=list)
    auditors: list[str] = field(default_factory=list)
    judgements: list[int] = field(default_factory=list)
    answer_case: list[int] = field(default_factory=list)
    questions: list[int] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)


@dataclass
class Review:
    """One council's review in one programme cycle.

    Attributes
    ----------
    council, cycle : str
        Who was reviewed, and in which programme cycle (``"2022-24"``).
    source : str
        The data file's name (never its full path).
    sha256 : str
        Hash of the data file's bytes, for report footers.
    catalogue : Catalogue
        The questions the review was checked against.
    review_month : str
        When the review took place, where the file says.
    path : Path or None
        The data file on this machine, for finding files beside it. Never shown in outputs.
    keep_case_refs : bool
        Whether the tidy frames carry a ``case_ref`` column of raw case identifiers (off
        by default: frames carry the pseudonyms only, so an export never names a case).
    """

    council: str
    cycle: str
    source: str
    sha256: str
    catalogue: Catalogue
    review_month: str = ""
    path: Path | None = None
    _records: _Records = field(default_factory=_Records, repr=False)
    keep_case_refs: bool = field(default=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        """``(council, cycle)``."""
        return (self.council, self.cycle)

    def __repr__(self) -> str:
        return (f"Review({self.council} {self.cycle}: {self.n_cases} cases, "
                f"{len(self._records.levels)} answers, {len(set(self._records.auditors))} "
                f"auditors; from {Path(self.source).name})")

    @cached_property
    def ratings(self) -> pd.DataFrame:
        """Tidy ratings, one row per applicable rating (not-applicable answers excluded)."""
        return _build_frame(*self._codes, "ratings", self.catalogue, self.keep_case_refs)

    @cached_property
    def not_applicable(self) -> pd.DataFrame:
        """Case and question of every "not applicable" answer."""
        return _build_frame(*self._codes, "not_applicable", self.catalogue,
                            self.keep_case_refs)

    @cached_property
    def judgements(self) -> pd.DataFrame:
        """Overall judgements, one row per case."""
        return _build_frame(*self._codes, "judgements", self.catalogue, self.keep_case_refs)

    def case_pseudonyms(self) -> dict[str, str]:
        """Raw case identifier to pseudonym, for replacing identifiers in free text.

        Returns
        -------
        dict of str to str
            E.g. ``{"DY-368461": "Case 11", ...}``. Kept out of the tidy frames unless
            ``keep_case_refs``: handle with the care personal data needs.
        """
        return dict(zip(self._records.case_refs, self._records.cases, strict=True))

    @cached_property
    def _codes(self) -> tuple[_CaseTable, tuple[np.ndarray, ...]]:
        """The records as arrays (built once for all three frames)."""
        records = self._records
        n = len(records.cases)
        auditors = sorted(set(records.auditors))
        position = {name: code for code, name in enumerate(auditors)}
        zeros = np.zeros(n, dtype=np.intp)
        cases = _CaseTable(zeros, (self.council,), zeros, (self.cycle,),
                           _string_array(records.cases), _string_array(records.case_refs),
                           np.array([position[a] for a in records.auditors], dtype=np.intp),
                           tuple(auditors))
        answers = tuple(np.array(values, dtype=np.intp) for values in (
            records.answer_case, records.questions, records.levels, records.judgements))
        return cases, answers

    def _lists(self, part: str) -> dict[str, list]:
        """One part as plain lists of values: the straightforward form, for checks."""
        records = self._records
        ids, levels = self.catalogue.ids, list(RATING_DTYPE.categories)
        if part == "judgements":
            picked = [(i, -1, code) for i, code in enumerate(records.judgements)]
        else:
            picked = [(i, q, level) for i, q, level in zip(
                records.answer_case, records.questions, records.levels, strict=True)
                if (level >= 0) == (part == "ratings")]
        columns = {"council": [self.council] * len(picked),
                   "cycle": [self.cycle] * len(picked),
                   "case": [records.cases[i] for i, _, _ in picked]}
        if self.keep_case_refs:
            columns["case_ref"] = [records.case_refs[i] for i, _, _ in picked]
        columns["auditor"] = [records.auditors[i] for i, _, _ in picked]
        if part != "judgements":
            columns["question"] = [ids[q] for _, q, _ in picked]
        if _PARTS[part]:
            columns[_PARTS[part]] = [levels[code] for _, _, code in picked]
        return columns

    @property
    def n_cases(self) -> int:
        """Number of cases reviewed."""
        return len(self._records.cases)

    @property
    def auditors(self) -> list[str]:
        """Auditors in order of first appearance."""
        return list(dict.fromkeys(self._records.auditors))


@dataclass(frozen=True)
class _CaseTable:
    """Case-level key columns as codes into sorted names, for building frames fast."""

    council: np.ndarray
    councils: tuple[str, ...]
    cycle: np.ndarray
    cycles: tuple[str, ...]
    case: pd.api.extensions.ExtensionArray
    case_ref: pd.api.extensions.ExtensionArray
    auditor: np.ndarray
    auditors: tuple[str, ...]


def _string_array(values: list[str]) -> pd.api.extensions.ExtensionArray:
    """Strings as the array ``astype(str)`` gives, to ``take`` rows from without checks."""
    return pd.array(values, dtype="str")


@lru_cache(maxsize=4096)
def _category_dtype(categories: tuple[str, ...], ordered: bool = False) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(categories), ordered=ordered)


def _used_categorical(codes: np.ndarray, names: tuple[str, ...]) -> pd.Categorical:
    """A categorical of ``names[codes]`` whose categories are only the (sorted) names used.

    This is what ``astype("category")`` gives for the values, when ``names`` are sorted.
    """
    if len(names) > 1:
        used = np.flatnonzero(np.bincount(codes, minlength=len(names)))
        if len(used) < len(names):
            remap = np.full(len(names), -1, dtype=np.intp)
            remap[used] = np.arange(len(used))
            names = tuple(names[i] for i in used)
            codes = remap[codes]
    return pd.Categorical.from_codes(codes, dtype=_category_dtype(names))


def _build_frame(cases: _CaseTable, answers: tuple[np.ndarray, ...], part: str,
                 catalogue: Catalogue, keep_case_refs: bool = False) -> pd.DataFrame:
    """One part of a review or programme as a tidy frame, built from codes.

    ``answers`` holds the arrays of answer case, question, level and judgement (as in
    :class:`_Records`). The frame equals, dtypes and categories included, :func:`_frame` of
    the same values as lists.
    """
    rating_column = _PARTS[part]
    extra: dict[str, pd.Categorical] = {}
    answer_case, questions, levels, judgements = answers
    if part == "judgements":
        rows = np.arange(len(judgements))
        extra["judgement"] = pd.Categorical.from_codes(judgements, dtype=RATING_DTYPE)
    else:
        keep = levels >= 0 if part == "ratings" else levels < 0
        rows = answer_case[keep]
        extra["question"] = pd.Categorical.from_codes(
            questions[keep], dtype=_category_dtype(tuple(catalogue.ids), ordered=True))
        if rating_column:
            extra[rating_column] = pd.Categorical.from_codes(levels[keep], dtype=RATING_DTYPE)
    if not len(rows):
        return _empty_frame(tuple(catalogue.ids), rating_column, keep_case_refs).copy()
    columns = {
        "council": _used_categorical(cases.council[rows], cases.councils),
        "cycle": _used_categorical(cases.cycle[rows], cases.cycles),
        "case": cases.case.take(rows),
    }
    if keep_case_refs:
        columns["case_ref"] = cases.case_ref.take(rows)
    columns["auditor"] = _used_categorical(cases.auditor[rows], cases.auditors)
    return pd.DataFrame({**columns, **extra}, copy=False)


@lru_cache(maxsize=64)
def _empty_frame(ids: tuple[str, ...], rating_column: str | None,
                 keep_case_refs: bool = False) -> pd.DataFrame:
    keys = list(FRAME_KEYS)
    if keep_case_refs:
        keys.insert(CASE_REF_AT, "case_ref")
    columns = [*keys, *(["question"] if rating_column != "judgement" else []),
               *([rating_column] if rating_column else [])]
    return _frame({key: [] for key in columns}, _Ids(ids), rating_column)


class _Ids:
    """Stands in for a catalogue where only its ids are needed."""

    def __init__(self, ids: tuple[str, ...]):
        self.ids = list(ids)


def _frame(columns: dict[str, list], catalogue: Catalogue, rating_column: str | None
           ) -> pd.DataFrame:
    """A tidy frame from plain lists: the straightforward (slow) construction."""
    frame = pd.DataFrame(columns)
    for key in ("council", "cycle", "auditor"):
        frame[key] = frame[key].astype("category")
    frame["case"] = frame["case"].astype(str)
    if "case_ref" in frame:
        frame["case_ref"] = frame["case_ref"].astype(str)
    if "question" in frame:
        frame["question"] = pd.Categorical(frame["question"], categories=catalogue.ids,
                                           ordered=True)
    if rating_column:
        frame[rating_column] = pd.Categorical(frame[rating_column],
                                              dtype=RATING_DTYPE)
    return frame


class ReviewNotFound(KeyError):
    """No review of that council in that cycle: says what exists, and what was probably meant.

    A subclass of :class:`KeyError`, so ``except KeyError`` still catches it. In IPython and
    JupyterLab it shows as one line, not a traceback.
    """

    def __init__(self, council: str, cycle: str, programme: Programme):
        import difflib

        councils = sorted(programme.councils, key=str.casefold)
        cycles = programme.cycles
        cycle_ok = (normalise_cycle(cycle) or cycle) in cycles
        hints = []
        if not any(_h(c) == _h(council) for c in councils):
            close = difflib.get_close_matches(council, councils, n=1, cutoff=0.6)
            if not close:
                folded = {c.casefold(): c for c in councils}
                close = [folded[m] for m in difflib.get_close_matches(
                    council.casefold(), list(folded), n=1, cutoff=0.6)]
            if close:
                hints.append(f"did you mean {close[0]!r}?")
            hints.append(f"councils: {', '.join(councils) or 'none'}")
        if not cycle_ok:
            hints.append(f"cycles: {', '.join(cycles) or 'none'}")
        if not hints:
            have = [r.cycle for r in programme.reviews if _h(r.council) == _h(council)]
            hints.append(f"{council} was reviewed in {', '.join(have)}")
        self.message = f"no review of {council!r} in cycle {cycle!r}; " + "; ".join(hints)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback."""
        return [f"ReviewNotFound: {self.message}"]


@dataclass
class Programme:
    """Every review loaded from a set of files: one or more councils and cycles.

    Attributes
    ----------
    reviews : list of Review
        In the order of the files, then of their contents.
    catalogue : Catalogue
        The question catalogue used.
    problems : list of Problem
        Warnings found while loading (errors stop loading; see :func:`load_programme`).
    """

    reviews: list[Review]
    catalogue: Catalogue
    problems: list[Problem] = field(default_factory=list)

    @cached_property
    def _codes(self) -> tuple[_CaseTable, tuple[np.ndarray, ...]]:
        """Every review's records concatenated, as codes (built once for all three frames)."""
        reviews = self.reviews
        councils = tuple(sorted({r.council for r in reviews}))
        cycles = tuple(sorted({r.cycle for r in reviews}))
        auditors = tuple(sorted({a for r in reviews for a in r._records.auditors}))
        council_at = {name: code for code, name in enumerate(councils)}
        cycle_at = {name: code for code, name in enumerate(cycles)}
        auditor_at = {name: code for code, name in enumerate(auditors)}
        n_cases = np.array([len(r._records.cases) for r in reviews], dtype=np.intp)
        n_answers = np.array([len(r._records.levels) for r in reviews], dtype=np.intp)
        cases = _CaseTable(
            np.repeat(np.array([council_at[r.council] for r in reviews], dtype=np.intp),
                      n_cases),
            councils,
            np.repeat(np.array([cycle_at[r.cycle] for r in reviews], dtype=np.intp), n_cases),
            cycles,
            _string_array([c for r in reviews for c in r._records.cases]),
            _string_array([c for r in reviews for c in r._records.case_refs]),
            np.array([auditor_at[a] for r in reviews for a in r._records.auditors],
                     dtype=np.intp),
            auditors)
        offsets = np.repeat(np.cumsum(n_cases) - n_cases, n_answers)

        def joined(name: str) -> np.ndarray:
            return np.fromiter((v for r in reviews for v in getattr(r._records, name)),
                               dtype=np.intp)

        questions = joined("questions")
        ids = self.catalogue.ids
        if any(r.catalogue is not self.catalogue and r.catalogue.ids != ids for r in reviews):
            # Questions are stored as positions in each review's own catalogue: re-code them
            # in the programme's (-1, shown as missing, for a question it does not have).
            at = {qid: code for code, qid in enumerate(ids)}
            remap = np.concatenate([
                np.array([at.get(qid, -1) for qid in r.catalogue.ids], dtype=np.intp)
                for r in reviews])
            starts = np.cumsum([0] + [len(r.catalogue.ids) for r in reviews[:-1]])
            questions = remap[np.repeat(starts, n_answers) + questions]
        answers = (joined("answer_case") + offsets, questions, joined("levels"),
                   joined("judgements"))
        return cases, answers

    def _concat(self, part: str) -> pd.DataFrame:
        keep = bool(self.reviews) and all(r.keep_case_refs for r in self.reviews)
        return _build_frame(*self._codes, part, self.catalogue, keep)

    @cached_property
    def ratings(self) -> pd.DataFrame:
        """All applicable ratings of all reviews."""
        return self._concat("ratings")

    @cached_property
    def not_applicable(self) -> pd.DataFrame:
        """All "not applicable" answers."""
        return self._concat("not_applicable")

    @cached_property
    def judgements(self) -> pd.DataFrame:
        """All overall judgements."""
        return self._concat("judgements")

    @property
    def councils(self) -> list[str]:
        """Councils in order of first appearance."""
        return list(dict.fromkeys(r.council for r in self.reviews))

    @property
    def cycles(self) -> list[str]:
        """Cycles, oldest first."""
        return sorted({r.cycle for r in self.reviews})

    def review(self, council: str, cycle: str) -> Review:
        """The review of a council in a cycle (council matched ignoring case).

        Parameters
        ----------
        council, cycle : str
            Which review.

        Returns
        -------
        Review
            The review.

        Raises
        ------
        KeyError
            With the reviews available, if there is no such review.
        """
        wanted = (_h(council), normalise_cycle(cycle) or cycle)
        for review in self.reviews:
            if (_h(review.council), review.cycle) == wanted:
                return review
        raise ReviewNotFound(council, cycle, self)

    def previous_review(self, review: Review) -> Review | None:
        """The same council's review in the latest earlier cycle, if there is one.

        Parameters
        ----------
        review : Review
            The later review.

        Returns
        -------
        Review or None
            The earlier review.
        """
        earlier = [r for r in self.reviews
                   if _h(r.council) == _h(review.council) and r.cycle < review.cycle]
        return max(earlier, key=lambda r: r.cycle) if earlier else None

    def __repr__(self) -> str:
        councils, cycles = sorted(self.councils, key=str.casefold), self.cycles
        lines = [f"Programme: {len(councils)} council{'s' if len(councils) != 1 else ''}, "
                 f"{len(cycles)} cycle{'s' if len(cycles) != 1 else ''}, "
                 f"{len(self.reviews)} review{'s' if len(self.reviews) != 1 else ''}, "
                 f"{len(self.problems)} warning{'s' if len(self.problems) != 1 else ''} "
                 "(cases per review below)"]
        width = max([len(c) for c in councils] + [7])
        lines.append(f"{'council':<{width}}  " + "  ".join(f"{c:>7}" for c in cycles))
        cases = {(r.council, r.cycle): r.n_cases for r in self.reviews}
        for council in councils:
            cells = [f"{cases.get((council, c), ''):>7}" for c in cycles]
            lines.append(f"{council:<{width}}  " + "  ".join(cells))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html as markup

        cycles = self.cycles
        cases = {(r.council, r.cycle): r.n_cases for r in self.reviews}
        head = "".join(f"<th>{markup.escape(c)}</th>" for c in cycles)
        rows = "".join(
            f"<tr><th>{markup.escape(council)}</th>"
            + "".join(f"<td>{cases.get((council, c), '')}</td>" for c in cycles) + "</tr>"
            for council in sorted(self.councils, key=str.casefold))
        return (f"<p>Programme: {len(self.reviews)} reviews of {len(self.councils)} councils, "
                f"{len(self.problems)} warnings. Case records per review:</p>"
                f"<table><thead><tr><th>Council</th>{head}</tr></thead><tbody>{rows}</tbody>"
                "</table>")

    def in_cycle(self, cycle: str) -> Programme:
        """The reviews of one cycle, as a programme of their own.

        Parameters
        ----------
        cycle : str
            The cycle.

        Returns
        -------
        Programme
            Only that cycle's reviews.
        """
        cycle = normalise_cycle(cycle) or cycle
        return Programme([r for r in self.reviews if r.cycle == cycle], self.catalogue,
                         self.problems)


# --------------------------------------------------------------------------- parsing


class _ReviewBuilder:
    """Accumulates one review's validated records and notes its problems."""

    def __init__(self, council, cycle, source, sha, catalogue, month=""):
        self.review = Review(council, cycle, source, sha, catalogue, month)
        self._position = {qid: code for code, qid in enumerate(catalogue.ids)}

    def add_case(self, case_ref, pseudonym, auditor, ratings, judgement):
        records = self.review._records
        position, level_code = self._position, _LEVEL_CODE
        records.answer_case.extend([len(records.cases)] * len(ratings))
        records.questions.extend([position[question] for question, _ in ratings])
        records.levels.extend([level_code[level] for _, level in ratings])
        records.cases.append(pseudonym)
        records.case_refs.append(case_ref)
        records.auditors.append(auditor)
        records.judgements.append(level_code[judgement])


def _find_columns(table: Table, wanted: dict[str, set[str]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, heading in enumerate(table.header):
        key = _h(heading)
        for role, names in wanted.items():
            if key in names and role not in found:
                found[role] = index
    return found


def _formula_problem(table: Table, value: Formula, column_index: int, row_number: int,
                     what: str) -> Problem:
    """The problem for a cell holding a formula where a typed value is needed."""
    return table.problem(
        "formula", f"the cell holds a formula ({value.text}), not a value",
        f"{what} (copy the column and Paste Special > Values)",
        column_index=column_index, row_number=row_number, value=value.text)


def _read_rating(table: Table, value: object, column_index: int, row_number: int,
                 problems: list[Problem], *, judgement: bool = False):
    """Parse one rating cell; on a problem, append it and return None."""
    if isinstance(value, Formula):
        problems.append(_formula_problem(table, value, column_index, row_number,
                                         "a typed rating"))
        return None
    if is_blank(value):
        if judgement:
            problems.append(table.problem(
                "missing-judgement", "the case has no overall judgement",
                _JUDGEMENT_EXPECTED, column_index=column_index, row_number=row_number,
                value=""))
        else:
            problems.append(table.problem(
                "blank-rating", "the rating is blank",
                "a rating, or N/A where the question does not apply",
                column_index=column_index, row_number=row_number, value=""))
        return None
    level = parse_label(value)
    if level is None:
        problems.append(table.problem(
            "unknown-label", f"{str(value).strip()!r} is not a rating",
            _JUDGEMENT_EXPECTED if judgement else _LEVEL_EXPECTED,
            column_index=column_index, row_number=row_number, value=str(value).strip()))
        return None
    if judgement and level is NOT_APPLICABLE:
        problems.append(table.problem(
            "judgement-not-applicable",
            "an overall judgement cannot be 'not applicable'",
            _JUDGEMENT_EXPECTED, column_index=column_index, row_number=row_number,
            value=str(value).strip()))
        return None
    return level


def _review_details(sheets: dict[str, Table | None] | None, table: Table,
                    columns: dict[str, int], problems: list[Problem]
                    ) -> tuple[str | None, str | None, str]:
    """Council, cycle and month from a Review sheet or from columns of the table."""
    details: dict[str, tuple[object, Table, int, int]] = {}
    review_sheet = None
    if sheets:
        review_sheet = next((t for name, t in sheets.items() if _h(name) == _h(REVIEW_SHEET)),
                            None)
    if review_sheet is not None:
        roles = {"council": _COUNCIL_HEADINGS, "cycle": _CYCLE_HEADINGS,
                 "month": _MONTH_HEADINGS}
        for row_number, row in [(review_sheet.header_row, review_sheet.header),
                                *zip(review_sheet.row_numbers, review_sheet.rows, strict=True)]:
            if len(row) < 2:
                continue
            key = _h(row[0] or "")
            for role, names in roles.items():
                if key in names:
                    details[role] = (row[1], review_sheet, 1, row_number)
    # Roles already explained by another problem: a column mixing values, or a column with
    # no rows under it (the table is reported empty), so not also "missing".
    explained = set()
    for role in ("council", "cycle", "month"):
        if role in columns:
            if not table.rows:
                explained.add(role)
            index = columns[role]
            values = {}
            for row_number, row in zip(table.row_numbers, table.rows, strict=True):
                value = row[index]
                if not is_blank(value):
                    text = " ".join(str(value).split())
                    if role == "cycle":  # "2022-24" and "2022/2024" are the same cycle
                        text = normalise_cycle(text) or text
                    values.setdefault(text, row_number)
            if len(values) > 1:
                explained.add(role)
                (first, _), (second, row_two) = list(values.items())[:2]
                problems.append(table.problem(
                    "inconsistent-review",
                    f"the file mixes {role} values {first!r} and {second!r}",
                    f"one {role} per wide file (one file per review)",
                    column_index=index, row_number=row_two, value=second))
            elif values:
                value, row_number = next(iter(values.items()))
                details.setdefault(role, (value, table, index, row_number))
    council = cycle = None
    month = ""
    if "council" in details and not is_blank(details["council"][0]):
        council = " ".join(str(details["council"][0]).split())
    if "cycle" in details and not is_blank(details["cycle"][0]):
        raw, where, index, row_number = details["cycle"]
        cycle = normalise_cycle(raw)
        if cycle is None:
            problems.append(where.problem(
                "bad-cycle", f"{raw!s} is not a programme cycle",
                "a year such as 2019 or a span such as 2022-24",
                column_index=index, row_number=row_number, value=raw))
            cycle = ""
    if "month" in details and not is_blank(details["month"][0]):
        month = str(details["month"][0]).strip()
    where = (f"a '{REVIEW_SHEET}' sheet with rows Council and Cycle, or"
             if sheets is not None else "")
    for role, found, label in (("council", council, "council"), ("cycle", cycle, "cycle")):
        if found is None and role in details:
            _, sheet_table, index, row_number = details[role]
            problems.append(sheet_table.problem(
                "missing-review-details", f"the {label} is blank",
                "the council's name" if role == "council" else "a cycle such as 2022-24",
                column_index=index, row_number=row_number, value=""))
            if role == "council":
                council = ""
            else:
                cycle = ""
    if council is None and "council" not in explained:
        problems.append(Problem("missing-review-details", table.file,
                                "the file does not say which council was reviewed",
                                f"{where} a 'Council' column".strip()))
    if cycle is None and "cycle" not in explained:
        problems.append(Problem("missing-review-details", table.file,
                                "the file does not say which programme cycle it belongs to",
                                f"{where} a 'Cycle' column (e.g. 2022-24)".strip()))
    return council, cycle, month


def _header_further_down(table: Table, look: int = 20) -> int | None:
    """The row number of a row below the header that has Case and Auditor headings."""
    for row_number, row in zip(table.row_numbers[:look], table.rows[:look], strict=False):
        headings = {_h(v) for v in row if isinstance(v, str)}
        if headings & _CASE_HEADINGS and headings & _AUDITOR_HEADINGS:
            return row_number
    return None


def _parse_wide(table: Table, sheets, catalogue: Catalogue, sha: str,
                problems: list[Problem]) -> list[Review]:
    columns = _find_columns(table, {
        "case": _CASE_HEADINGS, "auditor": _AUDITOR_HEADINGS, "overall": _OVERALL_HEADINGS,
        "council": _COUNCIL_HEADINGS, "cycle": _CYCLE_HEADINGS, "month": _MONTH_HEADINGS})
    elsewhere = _header_further_down(table) if "case" not in columns else None
    for role, label in (("case", "Case"), ("auditor", "Auditor"),
                        ("overall", "Overall judgement")):
        if role not in columns:
            hint = (f"; row {elsewhere} looks like the header (it has the headings "
                    "Case and Auditor): delete the rows above it" if elsewhere else "")
            problems.append(Problem(
                "missing-column", table.file,
                f"there is no '{label}' column in the header row (row {table.header_row})"
                + hint,
                f"a heading '{label}' in the first row of the table",
                sheet=table.sheet, row=table.header_row))
    question_columns: list[tuple[int, str]] = []
    seen_questions: dict[str, int] = {}
    used = set(columns.values())
    for index, heading in enumerate(table.header):
        if index in used or not heading or _h(heading) in _IGNORED_HEADINGS:
            continue
        question = catalogue.match_heading(heading)
        if question is None:
            if _ID_LIKE_RE.match(heading):
                problems.append(table.problem(
                    "unknown-question",
                    f"column {heading!r} is not a question in the catalogue "
                    f"({catalogue.source})",
                    "one of " + ", ".join(catalogue.ids),
                    column_index=index, row_number=table.header_row, value=heading))
            else:
                problems.append(table.problem(
                    "ignored-column", f"column {heading!r} is not used",
                    "case, auditor, question and overall judgement columns",
                    column_index=index, row_number=table.header_row, value=heading,
                    severity=WARNING))
            continue
        if question.id in seen_questions:
            problems.append(table.problem(
                "duplicate-column",
                f"question {question.id} has a second column (first in column "
                f"{column_letter(seen_questions[question.id])})",
                "one column per question", column_index=index,
                row_number=table.header_row, value=heading))
            continue
        seen_questions[question.id] = index
        question_columns.append((index, question.id))
    missing = [qid for qid in catalogue.ids if qid not in seen_questions]
    if missing:
        problems.append(Problem(
            "missing-question", table.file,
            f"every case is short of question(s) {', '.join(missing)}: no column for them",
            f"a column for each of the {len(catalogue)} catalogue questions "
            f"({catalogue.source}); use --questions for a different catalogue",
            sheet=table.sheet, row=table.header_row, value=", ".join(missing)))
    council, cycle, month = _review_details(sheets, table, columns, problems)
    if {"case", "auditor", "overall"} - columns.keys():
        return []
    if not table.rows:
        problems.append(Problem("empty-file", table.file, "the sheet has a header but no cases",
                                "one row per case under the header", sheet=table.sheet,
                                row=table.header_row))
        return []
    from review_lib.limits import max_cases

    if len(table.rows) > max_cases():
        # Refused before each row is read: a huge sheet must not take minutes to reject.
        problems.append(Problem(
            "too-large", table.file,
            f"the sheet has {len(table.rows):,} case rows, more than the {max_cases():,} a "
            "review may have", "the case records of one review (usually about 20); if they "
            "are right, set PRACTICE_REVIEW_MAX_CASES to a larger number", sheet=table.sheet))
        return []
    case_at, auditor_at, overall_at = columns["case"], columns["auditor"], columns["overall"]
    first_row_of: dict[str, int] = {}
    label_cache: dict[str, object] = {}
    cases = []
    for row_number, row in zip(table.row_numbers, table.rows, strict=True):
        ok = True
        case_value = row[case_at]
        if isinstance(case_value, Formula) or is_blank(case_value):
            problems.append(
                _formula_problem(table, case_value, case_at, row_number,
                                 "a typed case id or reference")
                if isinstance(case_value, Formula) else table.problem(
                    "blank-case", "the row has no case identifier", "a case id or reference",
                    column_index=case_at, row_number=row_number, value=""))
            ok = False
            case_ref = None
        else:
            case_ref = str(case_value).strip()
            if case_ref in first_row_of:
                problems.append(table.problem(
                    "duplicate-case",
                    f"case {case_ref!r} appears again (first on row {first_row_of[case_ref]})",
                    "each case once per review",
                    column_index=case_at, row_number=row_number, value=case_ref))
                ok = False
            else:
                first_row_of[case_ref] = row_number
        auditor = row[auditor_at]
        if isinstance(auditor, Formula) or is_blank(auditor):
            problems.append(
                _formula_problem(table, auditor, auditor_at, row_number,
                                 "the auditor's name or initials, typed")
                if isinstance(auditor, Formula) else table.problem(
                    "blank-auditor", "the case has no auditor",
                    "the auditor's name or initials",
                    column_index=auditor_at, row_number=row_number, value=""))
            ok = False
        cells = [(index, qid, row[index]) for index, qid in question_columns]
        judgement_value = row[overall_at]
        if cells and all(is_blank(v) for _, _, v in cells):
            if not is_blank(judgement_value):
                problems.append(table.problem(
                    "judgement-without-ratings",
                    "the case has an overall judgement but no question ratings",
                    f"a rating (or N/A) for each of the {len(question_columns)} questions",
                    column_index=overall_at, row_number=row_number,
                    value=str(judgement_value)))
            else:
                problems.append(table.problem(
                    "blank-rating", "the case has no ratings and no overall judgement",
                    "a rating (or N/A) for every question and an overall judgement",
                    row_number=row_number, value=""))
            continue
        ratings = []
        for index, qid, value in cells:
            # A value read once without a problem means the same in every cell.
            level = label_cache.get(value) if isinstance(value, str) else None
            if level is None:
                level = _read_rating(table, value, index, row_number, problems)
                if level is not None:
                    label_cache[value] = level
            if level is None:
                ok = False
            else:
                ratings.append((qid, level))
        judgement = _read_rating(table, judgement_value, overall_at, row_number, problems,
                                 judgement=True)
        if judgement is None:
            ok = False
        if ok:
            cases.append((case_ref, " ".join(str(auditor).split()), ratings, judgement))
    if not council or not cycle or any(p.is_error for p in problems):
        return []
    builder = _ReviewBuilder(council, cycle, table.file, sha, catalogue, month)
    names = pseudonyms(c[0] for c in cases)
    for case_ref, auditor, ratings, judgement in cases:
        builder.add_case(case_ref, names[case_ref], auditor, ratings, judgement)
    return [builder.review]


def _parse_long(table: Table, catalogue: Catalogue, sha: str,
                problems: list[Problem]) -> list[Review]:
    columns = _find_columns(table, {
        "council": _COUNCIL_HEADINGS, "cycle": _CYCLE_HEADINGS, "case": _CASE_HEADINGS,
        "auditor": _AUDITOR_HEADINGS, "question": _QUESTION_HEADINGS,
        "rating": _RATING_HEADINGS, "month": _MONTH_HEADINGS})
    required = ("council", "cycle", "case", "auditor", "question", "rating")
    absent = [c for c in required if c not in columns]
    for role in absent:
        problems.append(Problem(
            "missing-column", table.file, f"there is no '{role}' column",
            "long-form columns council, cycle, case, auditor, question, rating",
            row=table.header_row))
    if absent:
        return []
    at = columns
    council_at, cycle_at, case_at = at["council"], at["cycle"], at["case"]
    auditor_at, question_at, rating_at = at["auditor"], at["question"], at["rating"]
    month_at = at.get("month")
    # Problems are kept per review: a row placed in a review makes its problems that
    # review's, so one bad cell refuses only its own council and cycle.
    first_problem = len(problems)
    row_review: dict[int, tuple[str, str]] = {}
    # (council, cycle) -> case_ref -> {"auditor", "rows", "ratings", "judgement", "first"}
    reviews: dict[tuple[str, str], dict[str, dict]] = {}
    months: dict[tuple[str, str], str] = {}
    # Files repeat a few distinct values per column, so each is read once: raw value ->
    # what it means (None for a blank council; (blank, cycle) for cycles; (is the overall
    # judgement, question) for questions; "" for a blank auditor).
    council_cache: dict[object, str | None] = {}
    cycle_cache: dict[object, tuple[bool, str | None]] = {}
    auditor_cache: dict[object, str] = {}
    question_cache: dict[object, tuple[bool, object]] = {}
    label_cache: dict[object, object] = {}
    judgement_cache: dict[object, object] = {}
    # Cases with a row that could not be placed in a review (no council, bad cycle): that
    # row's error is enough, so the case is not also reported short of a question.
    unplaced: set[str] = set()
    overall = _OVERALL_QUESTIONS
    for row_number, row in zip(table.row_numbers, table.rows, strict=True):
        raw_council = row[council_at]
        raw_cycle = row[cycle_at]
        case_value = row[case_at]
        try:
            council = council_cache[raw_council]
        except KeyError:
            council = council_cache[raw_council] = (
                None if is_blank(raw_council) else " ".join(raw_council.split()))
        try:
            blank_cycle, cycle = cycle_cache[raw_cycle]
        except KeyError:
            blank_cycle = is_blank(raw_cycle)
            cycle = None if blank_cycle else normalise_cycle(raw_cycle)
            cycle_cache[raw_cycle] = (blank_cycle, cycle)
        if council is None or blank_cycle:
            role = "council" if council is None else "cycle"
            problems.append(table.problem(
                "missing-review-details", f"the row has no {role}",
                "the council's name" if role == "council" else "a cycle such as 2022-24",
                column_index=at[role], row_number=row_number, value=""))
            unplaced.add(str(case_value or "").strip())
            continue
        if cycle is None:
            problems.append(table.problem(
                "bad-cycle", f"{raw_cycle!s} is not a programme cycle",
                "a year such as 2019 or a span such as 2022-24",
                column_index=cycle_at, row_number=row_number, value=raw_cycle))
            unplaced.add(str(case_value or "").strip())
            continue
        key = (council, cycle)
        row_review[row_number] = key
        case_ref = case_value.strip() if isinstance(case_value, str) else None
        if not case_ref and is_blank(case_value):
            problems.append(table.problem("blank-case", "the row has no case identifier",
                                          "a case id or reference", column_index=case_at,
                                          row_number=row_number, value=""))
            continue
        if month_at is not None and key not in months and not is_blank(row[month_at]):
            months[key] = str(row[month_at]).strip()
        if case_ref is None:
            case_ref = case_value.strip()
        cases = reviews.get(key)
        if cases is None:
            cases = reviews[key] = {}
        case = cases.get(case_ref)
        raw_auditor = row[auditor_at]
        try:
            auditor = auditor_cache[raw_auditor]
        except KeyError:
            auditor = auditor_cache[raw_auditor] = (
                "" if is_blank(raw_auditor) else " ".join(raw_auditor.split()))
        if case is None:
            # "rows" and "judgement_row" note where each question and the Overall row were
            # found, even when the value there is bad, so they are not also called missing.
            case = cases[case_ref] = {"auditor": "", "auditor_row": None,
                                      "first": row_number, "ratings": {}, "rows": {},
                                      "judgement": None, "judgement_row": None,
                                      "blank_auditor": False, "ok": True}
        if not auditor:
            if not case["blank_auditor"]:  # once per case, not once per row
                problems.append(table.problem(
                    "blank-auditor", f"case {case_ref!r} has no auditor on this row",
                    "the auditor's name or initials on every row of the case",
                    column_index=auditor_at, row_number=row_number, value=""))
                case["blank_auditor"] = True
            case["ok"] = False
        elif not case["auditor"]:
            case["auditor"], case["auditor_row"] = auditor, row_number
        elif auditor != case["auditor"]:
            problems.append(table.problem(
                "inconsistent-auditor",
                f"case {case_ref!r} has auditor {auditor!r} here but {case['auditor']!r} on "
                f"row {case['auditor_row']}", "one auditor per case",
                column_index=auditor_at, row_number=row_number, value=auditor))
            case["ok"] = False
        question_value = row[question_at]
        try:
            is_overall, question = question_cache[question_value]
        except KeyError:
            is_overall = _h(question_value or "") in overall
            question = (None if is_overall
                        else catalogue.match_heading(str(question_value or "")))
            question_cache[question_value] = (is_overall, question)
        if not is_overall and question is None:
            problems.append(table.problem(
                "unknown-question",
                f"{question_value!s} is not a question in the catalogue ({catalogue.source})",
                "one of " + ", ".join(catalogue.ids) + " or Overall",
                column_index=question_at, row_number=row_number,
                value=str(question_value or "")))
            case["ok"] = False
            continue
        value = row[rating_at]
        # Only values read without a problem are remembered, so a bad value is reported
        # on every row that holds it.
        cache = judgement_cache if is_overall else label_cache
        level = cache.get(value) if isinstance(value, str) else None
        if level is None:
            level = _read_rating(table, value, rating_at, row_number, problems,
                                 judgement=is_overall)
            if level is not None and isinstance(value, str):
                cache[value] = level
        if is_overall:
            if case["judgement_row"] is not None:
                problems.append(table.problem(
                    "duplicate-rating",
                    f"case {case_ref!r} has a second overall judgement "
                    f"(first on row {case['judgement_row']})",
                    "one overall judgement per case", column_index=question_at,
                    row_number=row_number, value=str(question_value)))
                case["ok"] = False
                continue
            case["judgement_row"] = row_number
        else:
            rows = case["rows"]
            if question.id in rows:
                problems.append(table.problem(
                    "duplicate-rating",
                    f"case {case_ref!r} is rated on {question.id} twice "
                    f"(first on row {rows[question.id]}): too many questions",
                    "one rating per case and question", column_index=question_at,
                    row_number=row_number, value=str(question_value)))
                case["ok"] = False
                continue
            rows[question.id] = row_number
        if level is None:
            case["ok"] = False
        elif is_overall:
            case["judgement"] = (level, row_number)
        else:
            case["ratings"][question.id] = (level, row_number)
    built = []
    n_questions = len(catalogue)
    for cases in reviews.values():
        for case_ref, case in cases.items():
            rated = case["rows"]  # questions with a row, whether or not its value was good
            if case_ref in unplaced:
                continue
            if not rated and case["judgement_row"] is not None:
                problems.append(table.problem(
                    "judgement-without-ratings",
                    f"case {case_ref!r} has an overall judgement but no question ratings",
                    f"a row for each of the {n_questions} questions",
                    column_index=at["case"], row_number=case["judgement_row"], value=case_ref))
                continue
            if len(rated) < n_questions:
                missing = [q for q in catalogue.ids if q not in rated]
                problems.append(table.problem(
                    "missing-question",
                    f"case {case_ref!r} has too few questions: no rating for "
                    f"{', '.join(missing)}",
                    f"a row for each of the {n_questions} catalogue questions "
                    "(N/A where a question does not apply)",
                    column_index=at["case"], row_number=case["first"], value=case_ref))
            if case["judgement_row"] is None and rated:
                problems.append(table.problem(
                    "missing-judgement",
                    f"case {case_ref!r} has no overall judgement",
                    "a row with question 'Overall' and the case's judgement",
                    column_index=at["case"], row_number=case["first"], value=case_ref))
    refused: set[tuple[str, str]] = set()
    whole_file = False  # a problem no review can be named for (e.g. a row with no council)
    for problem in problems[first_problem:]:
        if problem.is_error:
            key = row_review.get(problem.row) if problem.row is not None else None
            if key is None:
                whole_file = True
            else:
                refused.add(key)
    if whole_file:
        return []
    for (council, cycle), cases in reviews.items():
        if (council, cycle) in refused:
            continue
        builder = _ReviewBuilder(council, cycle, table.file, sha, catalogue,
                                 months.get((council, cycle), ""))
        names = pseudonyms(cases)
        ids = catalogue.ids
        for case_ref, case in cases.items():
            ratings = [(q, case["ratings"][q][0]) for q in ids]
            builder.add_case(case_ref, names[case_ref], case["auditor"], ratings,
                             case["judgement"][0])
        built.append(builder.review)
    return built


def _is_long(table: Table) -> bool:
    headings = {_h(h) for h in table.header}
    return bool(headings & _QUESTION_HEADINGS) and bool(headings & (_RATING_HEADINGS - {
        "judgement", "judgment"} | {"rating"}))


def read_review_file(path: str | Path, catalogue: Catalogue | None = None,
                     display_name: str | None = None) -> tuple[list[Review], list[Problem]]:
    """Read one data file, returning the reviews in it and every problem found.

    This never raises for bad data: use it where one bad file must not stop the others.

    Parameters
    ----------
    path : str or Path
        A wide ``.xlsx`` workbook, a wide CSV, or a long CSV.
    catalogue : Catalogue, optional
        The question catalogue; the bundled one by default.
    display_name : str, optional
        Name used in messages; defaults to the path as given.

    Returns
    -------
    tuple of (list of Review, list of Problem)
        The reviews without errors and every problem. A long CSV holding several councils
        keeps the reviews that have no problem of their own; a problem that belongs to no
        one review (a row with no council, a missing column) refuses the whole file.
    """
    path = Path(path)
    catalogue = catalogue or load_catalogue()
    name = display_name or str(path)
    suffix = path.suffix.lower()
    problems: list[Problem] = []
    if not path.is_file():
        return [], [Problem("unreadable-file", name, "there is no such file",
                            "an existing .xlsx or .csv file")]
    if suffix in LEGACY_SUFFIXES or suffix not in EXCEL_SUFFIXES | CSV_SUFFIXES:
        return [], [unsupported_format(name, suffix)]
    from review_lib.limits import max_file_bytes

    try:
        size = path.stat().st_size
    except OSError as exc:
        return [], [Problem("unreadable-file", name, f"the file cannot be read ({exc.strerror})",
                            "a readable file")]
    if size > max_file_bytes():
        return [], [Problem(
            "too-large", name,
            f"the file is {size / 2 ** 20:,.1f} MB, more than the {max_file_bytes() // 2 ** 20} "
            "MB a review's data file may be",
            "one review's ratings (a review of 20 cases is well under 1 MB); if the file is "
            "right, set PRACTICE_REVIEW_MAX_FILE_MB to a larger number of megabytes")]
    try:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        return [], [Problem("unreadable-file", name, f"the file cannot be read ({exc.strerror})",
                            "a readable file")]
    sheets = None
    if suffix in EXCEL_SUFFIXES:
        sheets, found = read_workbook(path, name)
        problems.extend(found)
        if sheets is None:
            return [], problems
        table = _ratings_sheet(sheets, name, problems)
        if table is None:
            return [], problems
        _formulas_elsewhere(sheets, table, problems)
    else:
        table, found = read_csv(path, name)
        problems.extend(found)
        if table is None:
            return [], problems
    if sheets is None and _is_long(table):
        reviews = _parse_long(table, catalogue, sha, problems)
    else:
        reviews = _parse_wide(table, sheets, catalogue, sha, problems)
    narrative = path.with_suffix(".md")
    if narrative.is_file():
        from review_lib.narrative import narrative_warnings

        problems.extend(narrative_warnings(narrative, str(Path(name).with_suffix(".md"))))
    from review_lib.limits import max_cases

    kept = []
    for review in reviews:
        if review.n_cases > max_cases():
            problems.append(Problem(
                "too-large", name,
                f"{review.council} {review.cycle} has {review.n_cases:,} case records, more "
                f"than the {max_cases():,} a review may have",
                "the case records of one review (usually about 20); if they are right, set "
                "PRACTICE_REVIEW_MAX_CASES to a larger number",
                value=f"{review.council} {review.cycle}"))
            continue
        review.path = path
        kept.append(review)
    return kept, problems


def _formulas_elsewhere(sheets: dict[str, Table | None], ratings: Table,
                        problems: list[Problem]) -> None:
    """A located error for each formula outside the Ratings sheet (that one checks its own).

    A formula's result is not stored in a form the suite can trust (nor reads), and in the
    Review sheet a formula would otherwise become the council's name.
    """
    for table in sheets.values():
        if table is None or table is ratings or table.hidden:
            continue
        found = [(table.header_row, index, value) for index, value in enumerate(table.header)
                 if isinstance(value, str) and value.startswith("=") and len(value) > 1]
        for row_number, row in zip(table.row_numbers, table.rows, strict=True):
            found += [(row_number, index, value) for index, value in enumerate(row)
                      if isinstance(value, Formula)]
        for row_number, index, value in found[:20]:
            problems.append(table.problem(
                "formula", f"the cell holds a formula ({str(value)[:40]})",
                "typed values only: copy the cells and paste them as values",
                column_index=index, row_number=row_number, value=str(value)[:80]))


def _ratings_sheet(sheets: dict[str, Table | None], name: str, problems: list[Problem]
                   ) -> Table | None:
    by_name = {_h(sheet): sheet for sheet in sheets}

    def looks_like_ratings(table: Table | None) -> bool:
        return table is not None and any(_h(h) in _CASE_HEADINGS for h in table.header)

    if _h(RATINGS_SHEET) in by_name:
        table = sheets[by_name[_h(RATINGS_SHEET)]]
        if table is None:
            problems.append(Problem("empty-file", name, "the Ratings sheet is empty",
                                    "a header row and one row per case",
                                    sheet=by_name[_h(RATINGS_SHEET)]))
        elif table.hidden:
            # Hidden sheets are never read silently: the visible ones may be the current.
            visible = [t.sheet for t in sheets.values()
                       if looks_like_ratings(t) and not t.hidden]
            also = (f"; the visible sheet{'s' if len(visible) > 1 else ''} "
                    f"{', '.join(repr(v) for v in visible)} "
                    f"{'look' if len(visible) > 1 else 'looks'} like ratings too"
                    if visible else "")
            problems.append(Problem(
                "hidden-ratings-sheet", name,
                f"the '{table.sheet}' sheet is hidden in Excel{also}, so the suite cannot "
                "tell which ratings are current",
                f"the current ratings on a visible sheet named '{RATINGS_SHEET}': unhide it, "
                "or delete or rename the out-of-date sheet", sheet=table.sheet))
            return None
        return table
    candidates = [t for t in sheets.values() if looks_like_ratings(t) and not t.hidden]
    if len(candidates) == 1:
        return candidates[0]
    if all(t is None for t in sheets.values()):
        problems.append(Problem("empty-file", name, "every sheet of the workbook is empty",
                                "a 'Ratings' sheet with one row per case"))
        return None
    problems.append(Problem(
        "missing-sheet", name,
        f"there is no '{RATINGS_SHEET}' sheet (sheets found: {', '.join(sheets)})",
        f"a sheet named '{RATINGS_SHEET}' with one row per case", value=", ".join(sheets)))
    return None


def iter_data_files(paths: Iterable[str | Path], problems: list[Problem] | None = None
                    ) -> list[Path]:
    """Expand files and folders into the data files they hold, sorted, folders recursively.

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

    for path in map(Path, paths):
        if not path.is_dir():
            files.append(path)
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
                    target = candidate.resolve()
                except OSError as exc:
                    warn(candidate, path, f"the file cannot be opened ({exc.strerror or exc}), "
                         "so it was skipped", "a readable file (a link that leads nowhere?)")
                    continue
                if candidate.is_symlink() and not target.is_relative_to(inside):
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
    """What loading one file gave: its reviews and its problems."""

    path: Path
    display_name: str
    reviews: list[Review]
    problems: list[Problem]

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
        review is kept.
    """
    roots = [Path(p) for p in paths]
    catalogue = catalogue or load_catalogue()
    results = []
    holders: dict[tuple[str, str], list[FileResult]] = {}
    skipped: list[Problem] = []
    for path in iter_data_files(roots, skipped):
        name = _display_name(path, roots)
        try:
            reviews, problems = read_review_file(path, catalogue, display_name=name)
        except Exception as exc:  # a file no check foresaw: its own failure, not the run's
            reviews, problems = [], [Problem(
                "unreadable-file", name,
                f"the file could not be read ({type(exc).__name__}: {str(exc)[:200]})",
                "an .xlsx workbook or .csv file in one of the layouts the README describes")]
        result = FileResult(path, name, reviews, problems)
        results.append(result)
        for review in reviews:
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
    data_files = len(results)
    for problem in skipped:  # paths not read: shown by validate, never an error
        results.append(FileResult(Path(problem.file), problem.file, [], [problem]))
    if not data_files:
        results.append(FileResult(roots[0] if roots else Path("."), ", ".join(map(str, roots)),
                                  [], [Problem("empty-file", ", ".join(map(str, roots)) or ".",
                                               "no .xlsx or .csv data files were found",
                                               "a folder holding review files")]))
    return results


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


def load_programme(paths: str | Path | Iterable[str | Path] | None = None,
                   catalogue: Catalogue | str | Path | None = None, *,
                   keep_case_refs: bool = False) -> Programme:
    """Load and validate every review file under the given files and folders.

    Parameters
    ----------
    paths : str, Path or iterable of them, optional
        Files and folders; the bundled synthetic sample by default.
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
        With every problem in every file, if any file has an error.
    """
    from review_lib.paths import SAMPLE_DIR

    if paths is None:
        paths = [SAMPLE_DIR]
    elif isinstance(paths, str | Path):
        paths = [paths]
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
