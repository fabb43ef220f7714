"""The question catalogue: which questions an audit tool asks, of any length.

The real audit tool's wording is not public; ``data/questions.csv`` holds an illustrative
set of 12 drawn from the themes of a published Practice Review report. A council or network
can supply its own catalogue with the same columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from review_lib.data.problems import DataValidationError, Problem
from review_lib.data.tables import read_table
from review_lib.paths import QUESTIONS_FILE, find_path

REQUIRED_COLUMNS = ("id", "short_label", "question")


@dataclass(frozen=True)
class Question:
    """One question of the audit tool.

    Attributes
    ----------
    id : str
        Short identifier used as a column heading, e.g. ``"Q3"``.
    short_label : str
        A few words for chart axes, e.g. ``"Community assets"``.
    question : str
        The full wording.
    theme : str
        The practice theme the question belongs to (may be empty).
    """

    id: str
    short_label: str
    question: str
    theme: str = ""

    @property
    def heading(self) -> str:
        """Column heading used in data-entry templates: ``"Q3 Community assets"``."""
        return f"{self.id} {self.short_label}"


class Catalogue:
    """An ordered set of questions, looked up by id, heading or wording.

    Parameters
    ----------
    questions : list of Question
        The questions, in the order reports show them.
    source : str
        Name of the file the catalogue came from, for messages.
    """

    def __init__(self, questions: list[Question], source: str = "questions.csv"):
        self.questions = list(questions)
        self.source = source
        self._by_key: dict[str, Question] = {}
        for q in self.questions:
            for key in (q.id, q.heading, q.short_label, q.question):
                self._by_key.setdefault(_key(key), q)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def __len__(self) -> int:
        return len(self.questions)

    def __getitem__(self, question_id: str) -> Question:
        return self._by_key[_key(question_id)]

    @property
    def ids(self) -> list[str]:
        """Question ids in catalogue order."""
        return [q.id for q in self.questions]

    def labels(self) -> dict[str, str]:
        """Map of id to short label."""
        return {q.id: q.short_label for q in self.questions}

    def match_heading(self, heading: str) -> Question | None:
        """Find the question a column heading names, or None.

        A heading matches when it is the id, the short label, the full wording, or the id
        followed by a separator and anything ("Q3", "q3.", "Q3 - Community assets",
        "Q3: Have community assets ...").

        Parameters
        ----------
        heading : str
            A column heading from an input file.

        Returns
        -------
        Question or None
            The question, or None when the heading names none.
        """
        found = self._by_key.get(_key(heading))
        if found is not None:
            return found
        match = re.match(r"^\s*([A-Za-z]*\d+[A-Za-z]?)(?:[\s.:)\-–—]|$)", heading)
        if match:
            return self._by_key.get(_key(match.group(1)))
        return None


def _key(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Read a question catalogue CSV (columns id, short_label, question, optional theme).

    Parameters
    ----------
    path : str or Path, optional
        The catalogue file (a relative path is looked for from the current folder, then
        from the project root). Defaults to the bundled ``data/questions.csv``.

    Returns
    -------
    Catalogue
        The questions in file order.

    Raises
    ------
    DataValidationError
        If the file cannot be read, lacks a column, or has blank or repeated ids.
    """
    # A relative path missing from here is looked for from the project root too.
    path = find_path(path) if path is not None else QUESTIONS_FILE
    name = path.name
    table, problems = read_table(path, display_name=name)
    if table is not None:
        columns = {_key(h): i for i, h in enumerate(table.header)}
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        for column in missing:
            problems.append(
                Problem(
                    "missing-column",
                    name,
                    f"the catalogue has no '{column}' column",
                    expected="columns id, short_label, question and optionally theme",
                    row=table.header_row,
                )
            )
        questions: list[Question] = []
        if not missing:
            seen: dict[str, int] = {}
            theme_at = columns.get("theme")
            for row_number, row in zip(table.row_numbers, table.rows, strict=True):
                values = {c: str(row[columns[c]] or "").strip() for c in REQUIRED_COLUMNS}
                theme = str(row[theme_at] or "").strip() if theme_at is not None else ""
                qid = values["id"]
                if not qid:
                    problems.append(
                        Problem("blank-value", name, "a question has no id", "an id such as Q1",
                                row=row_number, column="id", value="")
                    )
                    continue
                if _key(qid) in seen:
                    problems.append(
                        Problem(
                            "duplicate-question",
                            name,
                            f"question id {qid!r} appears again (first on row {seen[_key(qid)]})",
                            "each id once",
                            row=row_number,
                            column="id",
                            value=qid,
                        )
                    )
                    continue
                seen[_key(qid)] = row_number
                questions.append(
                    Question(qid, values["short_label"] or qid, values["question"] or qid, theme)
                )
            if not questions and not problems:
                problems.append(Problem("empty-file", name, "the catalogue lists no questions",
                                        "one row per question"))
    if any(p.is_error for p in problems):
        raise DataValidationError(problems)
    return Catalogue(questions, source=name)
