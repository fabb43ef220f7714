"""Validated reviews and programmes: the tidy frames, pseudonyms and lookups."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from review_lib.data.catalogue import Catalogue
from review_lib.data.problems import Problem
from review_lib.data.scale import (
    NOT_APPLICABLE,
    RATING_DTYPE,
    is_blank,
)

_CYCLE_RE = re.compile(r"^\s*(\d{4})\s*(?:[-/–—]\s*(\d{2}|\d{4}))?\s*$")


FRAME_KEYS = ("council", "cycle", "case", "auditor")
#: Where the raw case identifier goes in a frame, for those who opt in (keep_case_refs).
CASE_REF_AT = 3


def _h(text: object) -> str:
    return unicodedata.normalize("NFC", " ".join(str(text).split())).casefold()


def clean_name(raw: object) -> str:
    """A name as read from a cell: spaces collapsed, and in Unicode's composed form (NFC).

    "Séaham" typed with a composed ``é`` and with ``e`` plus a combining accent look the
    same and are the same name: both become the composed form, so that they make one
    council, one folder and one report.

    Parameters
    ----------
    raw : object
        The cell's value.

    Returns
    -------
    str
        The name.
    """
    return unicodedata.normalize("NFC", " ".join(str(raw).split()))


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
    ``levels`` (codes of ``RATING_DTYPE``, -1 for "not applicable"). ``evidence`` holds,
    per case, the auditor's evidence text by question id (``"Overall"`` for the overall
    judgement's reason), only where some was written.
    """

    cases: list[str] = field(default_factory=list)
    case_refs: list[str] = field(default_factory=list)
    auditors: list[str] = field(default_factory=list)
    judgements: list[int] = field(default_factory=list)
    answer_case: list[int] = field(default_factory=list)
    questions: list[int] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)
    evidence: list[dict[str, str]] = field(default_factory=list)


#: The question id an overall judgement's evidence (its reason) is filed under.
OVERALL = "Overall"


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
    region : str
        The region the council belongs to (e.g. an ADASS region such as ``"London"``), where
        the file says; ``""`` otherwise. Regions group councils in the cross-council reports.
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
    region: str = ""
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

    def _repr_html_(self) -> str:
        import html as markup

        cells = [("Council", self.council), ("Cycle", self.cycle),
                 ("Review month", self.review_month or "not given"),
                 *([("Region", self.region)] if self.region else []),
                 ("Case records", self.n_cases), ("Question ratings", len(self.ratings)),
                 ("Not applicable", len(self.not_applicable)),
                 ("Auditors", len(set(self._records.auditors))),
                 ("Data file", Path(self.source).name)]
        rows = "".join(f"<tr><th scope='row'>{markup.escape(str(k))}</th>"
                       f"<td>{markup.escape(str(v))}</td></tr>" for k, v in cells)
        return f"<table><caption>Review</caption><tbody>{rows}</tbody></table>"

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
    def has_evidence(self) -> bool:
        """Whether the auditors wrote evidence for any rating or judgement of the review."""
        return any(self._records.evidence)

    @cached_property
    def evidence(self) -> pd.DataFrame:
        """Every answer of every case with the auditor's evidence beside it.

        Internal to the review team: the evidence pack
        (:mod:`review_lib.report.evidence_pack`) is the only output that reads it. Cases
        are named by their pseudonyms; the text is as the auditor wrote it, so it may hold
        case identifiers and personal details (the pack replaces and redacts them).

        Returns
        -------
        pandas.DataFrame
            One row per case and question, then one per case for its overall judgement:
            ``council, cycle, case, auditor, question`` (a catalogue id, or ``"Overall"``),
            ``rating`` (the level's name, or ``"Not applicable"``) and ``evidence`` (``""``
            where none was written).
        """
        records = self._records
        ids = self.catalogue.ids
        levels = list(RATING_DTYPE.categories)
        notes = records.evidence or [{}] * len(records.cases)
        rows = []
        for case, question, level in zip(records.answer_case, records.questions,
                                         records.levels, strict=True):
            rows.append((case, ids[question],
                         levels[level] if level >= 0 else str(NOT_APPLICABLE),
                         notes[case].get(ids[question], "")))
        for case, level in enumerate(records.judgements):
            rows.append((case, OVERALL, levels[level], notes[case].get(OVERALL, "")))
        return pd.DataFrame({
            "council": self.council, "cycle": self.cycle,
            "case": [records.cases[c] for c, *_ in rows],
            "auditor": [records.auditors[c] for c, *_ in rows],
            "question": [q for _, q, _, _ in rows],
            "rating": [r for _, _, r, _ in rows],
            "evidence": [e for *_, e in rows]}, columns=[
                "council", "cycle", "case", "auditor", "question", "rating", "evidence"])

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
        wanted = normalise_cycle(cycle) or cycle
        for review in self._by_council.get(_h(council), ()):
            if review.cycle == wanted:
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
        earlier = [r for r in self._by_council.get(_h(review.council), ())
                   if r.cycle < review.cycle]
        return max(earlier, key=lambda r: r.cycle) if earlier else None

    @cached_property
    def _by_council(self) -> dict[str, list[Review]]:
        """Each council's reviews (by its name as written any way), in the programme's order.

        Looking a review up by scanning them all cost a national report 0.4 s: 300 looks
        through 750 reviews.
        """
        index: dict[str, list[Review]] = {}
        for review in self.reviews:
            index.setdefault(_h(review.council), []).append(review)
        return index

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
        return self._subset(("cycle", cycle), [r for r in self.reviews if r.cycle == cycle])

    def _subset(self, key: tuple, members: list[Review]) -> Programme:
        """A programme of some of these reviews, kept for the next ask of the same ones.

        Its frames (``ratings``, ``judgements``) are built once, when first read, so a
        report that asks for its cycle's programme again does not join them again. Kept
        only while it holds exactly these review objects.
        """
        kept = self.__dict__.setdefault("_subsets", {})
        found = kept.get(key)
        if (found is not None and len(found.reviews) == len(members)
                and all(a is b for a, b in zip(found.reviews, members, strict=True))
                and found.catalogue is self.catalogue):
            return found
        kept[key] = Programme(members, self.catalogue, self.problems)
        return kept[key]

    @property
    def regions(self) -> list[str]:
        """The regions named in the reviews, alphabetically (``[]`` when none is)."""
        return sorted({r.region for r in self.reviews if r.region}, key=str.casefold)

    def in_region(self, region: str) -> Programme:
        """The reviews of councils in one region, as a programme of their own.

        Parameters
        ----------
        region : str
            The region (case-insensitive).

        Returns
        -------
        Programme
            Only that region's reviews (every cycle).
        """
        wanted = " ".join(str(region).split()).casefold()
        return self._subset(("region", wanted),
                            [r for r in self.reviews if r.region.casefold() == wanted])


