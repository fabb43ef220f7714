"""Located problems found in input files, and the exception that carries them.

Every problem names the file, and where it can the sheet, row, column and cell, the value
found and what was expected. Problems are collected, never raised one at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


def column_letter(index: int) -> str:
    """Spreadsheet column letters for a 0-based column index (0 -> 'A', 27 -> 'AB').

    Parameters
    ----------
    index : int
        0-based column position.

    Returns
    -------
    str
        The column's letters as Excel shows them.
    """
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth knowing) about an input file.

    Attributes
    ----------
    kind : str
        Short stable code such as ``"unknown-label"``; tests and tools match on it.
    file : str
        The file's name as the user gave it (never resolved to an absolute path).
    message : str
        What is wrong, in plain words.
    expected : str
        What the suite expects instead.
    severity : str
        ``"error"`` (the file cannot be used) or ``"warning"`` (read, but worth fixing).
    sheet, row, column, cell, value : optional
        Where, and what was found. ``row`` is the 1-based row as a spreadsheet or text
        editor numbers it, header included.
    line : int, optional
        The 1-based line of a text file such as a notes file (said as "line", not "row").
    """

    kind: str
    file: str
    message: str
    expected: str = ""
    severity: str = ERROR
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    cell: str | None = None
    value: str | None = None
    line: int | None = None

    @property
    def is_error(self) -> bool:
        """Whether this problem stops the file being used."""
        return self.severity == ERROR

    def location(self) -> str:
        """Where the problem is.

        Returns
        -------
        str
            E.g. ``"dudley.xlsx, sheet 'Ratings', cell D7 (row 7, column 'Q3')"``.
        """
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        detail = []
        if self.line is not None:
            detail.append(f"line {self.line}")
        if self.row is not None:
            detail.append(f"row {self.row}")
        if self.column:
            detail.append(f"column '{self.column}'")
        if self.cell:
            parts.append(f"cell {self.cell}" + (f" ({', '.join(detail)})" if detail else ""))
        elif detail:
            parts.append(", ".join(detail))
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.location()}: {self.severity}: {self.message}"
        if self.value is not None and repr(self.value) not in self.message:
            text += f" (found {self.value!r})"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


class DataValidationError(ValueError):
    """Raised when input files have errors; carries every problem found, not just the first.

    Parameters
    ----------
    problems : iterable of Problem
        Everything found, errors and warnings.
    """

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.is_error]
        head = f"{len(errors)} error(s) in the input data"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in errors))

    @property
    def errors(self) -> list[Problem]:
        """Only the problems that are errors."""
        return [p for p in self.problems if p.is_error]
