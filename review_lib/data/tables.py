"""Read CSV files and Excel workbooks into plain tables that remember where each cell was.

Everything downstream validates these tables cell by cell, so a problem can always be
reported with its file, sheet, row and cell. Reading is forgiving where there is one right
answer (a Windows-1252 CSV, a semicolon-separated CSV) and says so in a warning.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from review_lib.data.limits import (
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_WORKBOOK_PART_MB,
    MAX_WORKBOOK_TOTAL_MB,
)
from review_lib.data.problems import WARNING, Problem, column_letter

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
LEGACY_SUFFIXES = {".xls", ".ods", ".numbers"}


@dataclass(frozen=True)
class Formula:
    """A spreadsheet cell holding a formula instead of a value."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Table:
    """A header row and the data rows under it, with their row numbers.

    Attributes
    ----------
    file : str
        Name of the file, for messages.
    sheet : str or None
        Worksheet name (None for CSV).
    header : list of str
        Column headings, blanks as ``""``.
    rows : list of list
        Data rows, each padded to the header's length. Blank rows are dropped.
    row_numbers : list of int
        1-based row number of each data row as the file numbers it.
    header_row : int
        1-based row number of the header.
    labels : list of str
        How messages name each column.
    hidden : bool
        A worksheet hidden in Excel (never read as the ratings).
    merged : list of tuple
        Merged ranges of the worksheet: 1-based (min column, min row, max column, max row)
        and the reference.
    """

    file: str
    sheet: str | None
    header: list[str]
    rows: list[list[object]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    header_row: int = 1
    labels: list[str] = field(default_factory=list)
    hidden: bool = False
    merged: list[tuple[int, int, int, int, str]] = field(default_factory=list)

    def merged_range(self, column_index: int, row_number: int) -> str | None:
        """The merged range (``"B2:B5"``) a cell belongs to, other than as its first cell."""
        column = column_index + 1
        for low_col, low_row, high_col, high_row, ref in self.merged:
            if (low_col <= column <= high_col and low_row <= row_number <= high_row
                    and (column, row_number) != (low_col, low_row)):
                return ref
        return None

    def cell(self, column_index: int, row_number: int) -> str | None:
        """Spreadsheet-style cell reference (``"D7"``) for a column and row number."""
        return f"{column_letter(column_index)}{row_number}"

    def problem(self, kind: str, message: str, expected: str = "", *, column_index=None,
                row_number=None, value=None, severity="error") -> Problem:
        """Build a :class:`Problem` located in this table.

        Parameters
        ----------
        kind, message, expected : str
            As for :class:`Problem`.
        column_index : int, optional
            0-based column of the cell.
        row_number : int, optional
            1-based row number of the cell.
        value : object, optional
            The value found.
        severity : str
            ``"error"`` or ``"warning"``.

        Returns
        -------
        Problem
            The located problem.
        """
        column = None
        cell = None
        if column_index is not None:
            names = self.labels or self.header
            heading = names[column_index] if column_index < len(names) else ""
            column = " ".join(heading.split()) or column_letter(column_index)
            if len(column) > 40:
                column = column[:37] + "..."
            if row_number is not None:
                cell = self.cell(column_index, row_number)
                merged = self.merged_range(column_index, row_number)
                if merged and (value is None or str(value).strip() == ""):
                    message += (f" (the cell is part of the merged cells {merged}, and only "
                                "the first cell of a merged range holds a value)")
                    expected = (expected + "; " if expected else "") + (
                        "unmerge the cells and fill in each one")
        return Problem(
            kind,
            self.file,
            message,
            expected,
            severity=severity,
            sheet=self.sheet,
            row=row_number,
            column=column,
            cell=cell,
            value=None if value is None else str(value),
        )


def _cell_text(value: object) -> object:
    """Normalise a spreadsheet value: whole floats become ints, dates ISO strings."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10] if not isinstance(value, dt.datetime) or not (
            value.hour or value.minute) else value.isoformat()
    return value


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _make_table(file: str, sheet: str | None, raw_rows: list[tuple[int, list[object]]]
                ) -> Table | None:
    """Turn numbered raw rows into a Table whose header is the first non-blank row."""
    return _table_from_rows(file, sheet, [n for n, _ in raw_rows], [r for _, r in raw_rows])


def _table_from_rows(file: str, sheet: str | None, numbers, rows: list[list[object]]
                     ) -> Table | None:
    """Like :func:`_make_table`, from row numbers and rows; the rows become the table's own.

    Rows are padded in place, not copied: pass lists nothing else holds.
    """
    start = next((i for i, row in enumerate(rows) if not all(_blank(v) for v in row)), None)
    if start is None:
        return None
    header = ["" if _blank(v) else " ".join(str(v).split()) if not isinstance(v, Formula)
              else str(v) for v in rows[start]]
    # Drop trailing blank headings (spreadsheets often carry empty formatted columns).
    while header and not header[-1]:
        header.pop()
    # How messages name a column: a heading's first line ("Q3 Community assets" of a
    # template heading that continues with the question's wording).
    labels = [" ".join(str(v).strip().splitlines()[0].split()) if isinstance(v, str) and v.strip()
              else h for v, h in zip(rows[start], header, strict=False)]
    table = Table(file, sheet, header, header_row=numbers[start], labels=labels)
    width = len(header)
    body, body_numbers = rows[start + 1:], numbers[start + 1:]
    if width and all(len(row) >= width and isinstance(row[0], str) and row[0].strip()
                     for row in body):
        # The usual case: full rows, each with a first cell, so none is blank or short.
        table.rows, table.row_numbers = body, list(body_numbers)
        return table
    kept_rows, kept_numbers = table.rows, table.row_numbers
    for number, row in zip(body_numbers, body, strict=True):
        first = row[0] if row else None
        # Only a row whose first cell is blank can be a blank row.
        if (first is None or (isinstance(first, str) and not first.strip())) and all(
                _blank(v) for v in row):
            continue
        if len(row) < width:
            row.extend([None] * (width - len(row)))
        kept_rows.append(row)
        kept_numbers.append(number)
    return table


def _split_plain_csv(text: str, delimiter: str) -> list[list[str]] | None:
    """The rows ``csv.reader`` gives for text without quotes, found by splitting; else None.

    With no quote character, no NUL and no carriage return but in CR LF line ends, every line
    is one record and the csv module only splits it at the delimiter (a blank line is an
    empty record), so ``str.split`` gives the same rows, record i on line i + 1. Anything
    else (quotes, lone carriage returns, fields beyond the csv module's size limit) returns
    None, for the csv module to read.
    """
    if '"' in text or "\x00" in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()  # the text's final line break ends the last record, not a new one
    if lines and max(map(len, lines)) >= csv.field_size_limit():
        return None  # the csv module would refuse a field this long: let it say so
    return [line.split(delimiter) if line else [] for line in lines]


def _utf16_without_mark(data: bytes) -> bool:
    """Whether bytes look like UTF-16 text of mostly Latin characters, with no BOM.

    Every other byte is then zero: at odd positions for little-endian, even for big-endian.
    """
    head = data[:4096]
    if len(head) < 4 or len(head) % 2:
        head = head[:len(head) - len(head) % 2]
    if len(head) < 4:
        return False
    even, odd = head[0::2], head[1::2]
    little = odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0
    big = even.count(0) >= 0.9 * len(even) and odd.count(0) == 0
    return little or big


def read_csv(path: Path, display_name: str) -> tuple[Table | None, list[Problem]]:
    """Read a CSV file, detecting Windows-1252 or UTF-16 encoding and ``;`` or tab separators.

    Parameters
    ----------
    path : Path
        The file.
    display_name : str
        Name to use in messages.

    Returns
    -------
    tuple of (Table or None, list of Problem)
        The table (None when nothing usable was read) and what was found on the way.
    """
    problems: list[Problem] = []
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem("unreadable-file", display_name,
                              f"the file cannot be opened ({exc.strerror or exc})",
                              "a readable CSV or .xlsx file")]
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))  # Excel's "Unicode Text"
    if utf16:
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            utf16 = False  # not text after all: reported as binary below
        else:
            problems.append(Problem(
                "encoding", display_name,
                "the file is UTF-16 (as Excel's 'Unicode Text' saves it); it was read as such",
                "UTF-8 (in Excel: Save As > 'CSV UTF-8')", severity=WARNING))
    if not utf16 and not data.startswith(b"PK\x03\x04") and _utf16_without_mark(data):
        try:
            text = data.decode("utf-16-le" if data[1:2] == b"\x00" else "utf-16-be")
        except UnicodeDecodeError:
            pass
        else:
            utf16 = True
            problems.append(Problem(
                "encoding", display_name,
                "the file is UTF-16 text without a byte-order mark; it was read as such",
                "UTF-8 (in Excel: Save As > 'CSV UTF-8')", severity=WARNING))
    if not utf16 and (data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]):
        return None, [Problem("unreadable-file", display_name,
                              "the file is binary (perhaps a workbook saved with a .csv name), "
                              "not comma-separated text",
                              "a CSV text file, or a workbook named .xlsx")]
    try:
        if not utf16:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        text = data.decode("cp1252", errors="replace")
        bad = data[exc.start: exc.start + 1].decode("cp1252", errors="replace")
        problems.append(Problem(
            "encoding", display_name,
            "the file is not UTF-8; it was read as Windows-1252 (Latin-1), "
            f"first non-UTF-8 character {bad!r}",
            "UTF-8 (in Excel: Save As > 'CSV UTF-8')",
            severity=WARNING, row=line, value=bad))
    if not text.strip():
        return None, problems + [Problem("empty-file", display_name, "the file is empty",
                                         "a header row and one row per case or rating")]
    first_line = text.lstrip().splitlines()[0]
    delimiter = ","
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    if counts[";"] > counts[","] and counts[";"] >= counts["\t"]:
        delimiter = ";"
    elif counts["\t"] > counts[","]:
        delimiter = "\t"
    if delimiter != ",":
        name = "semicolons" if delimiter == ";" else "tabs"
        problems.append(Problem(
            "separator", display_name,
            f"columns are separated by {name}, not commas; read with {name}",
            "comma-separated values (in Excel: Save As > 'CSV UTF-8 (Comma delimited)')",
            severity=WARNING, row=1, value=delimiter))
    rows = _split_plain_csv(text, delimiter)
    numbers = range(1, len(rows) + 1) if rows is not None else None
    if rows is None:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows, numbers = [], []
        try:
            line_start = 1
            for row in reader:
                rows.append(row)
                numbers.append(line_start)
                line_start = reader.line_num + 1
        except csv.Error as exc:
            return None, problems + [Problem("unreadable-file", display_name,
                                             f"the CSV cannot be parsed ({exc})",
                                             "well-formed comma-separated text",
                                             row=reader.line_num)]
    table = _table_from_rows(display_name, None, numbers, rows)
    if table is None:
        problems.append(Problem("empty-file", display_name, "the file has no rows",
                                "a header row and one row per case or rating"))
    return table, problems


def read_workbook(path: Path, display_name: str
                  ) -> tuple[dict[str, Table | None] | None, list[Problem]]:
    """Read every sheet of an .xlsx workbook, marking formula cells as :class:`Formula`.

    Parameters
    ----------
    path : Path
        The workbook.
    display_name : str
        Name to use in messages.

    Returns
    -------
    tuple of (dict or None, list of Problem)
        Tables by sheet name in workbook order (None for an empty sheet), or None when the
        workbook cannot be read, and the problems found.
    """
    import openpyxl  # imported here: CSV-only runs never pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    expected = "an Excel .xlsx workbook saved by Excel or LibreOffice"
    oversized = _oversized_parts(path, display_name)
    if oversized is not None:
        return None, [oversized]
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        reason = "it is not a valid .xlsx workbook" if not isinstance(exc, OSError) else (
            exc.strerror or str(exc))
        if not isinstance(exc, OSError) and _looks_like_text(path):
            reason = ("it is a text file (perhaps a CSV saved with an .xlsx name), not a "
                      "workbook")
        return None, [Problem("unreadable-file", display_name,
                              f"the workbook cannot be opened: {reason}", expected)]
    except Exception as exc:  # damaged XML or compressed data inside the zip
        return None, [Problem("unreadable-file", display_name,
                              f"the workbook cannot be opened: part of it is damaged "
                              f"({type(exc).__name__})", expected)]
    sheets: dict[str, Table | None] = {}
    problems: list[Problem] = []
    try:
        for worksheet in workbook.worksheets:
            # The size a sheet declares for itself is not trusted: one stray cell reference
            # (XFD1048576) would have every row padded to 16,384 columns.
            worksheet.reset_dimensions()
            raw_rows = []
            for number, cells in enumerate(worksheet.iter_rows(), start=1):
                # A formula is told from text that merely starts with "=" by its cell type.
                row = [Formula(c.value) if getattr(c, "data_type", None) == "f" else c.value
                       for c in cells]
                if number > MAX_ROWS:
                    problems.append(Problem(
                        "too-large", display_name,
                        f"the sheet has more than {MAX_ROWS:,} rows",
                        "one row per case record (a review has about 20)",
                        sheet=worksheet.title))
                    break
                if len(row) > MAX_COLUMNS:
                    if any(not _blank(v) for v in row[MAX_COLUMNS:]):
                        problems.append(Problem(
                            "too-large", display_name,
                            f"row {number} has a value beyond column "
                            f"{column_letter(MAX_COLUMNS - 1)}",
                            f"at most {MAX_COLUMNS:,} columns", sheet=worksheet.title,
                            row=number))
                        break
                    row = row[:MAX_COLUMNS]
                values = [value if isinstance(value, Formula) else _cell_text(value)
                          for value in row]
                raw_rows.append((number, values))
            table = _make_table(display_name, worksheet.title, raw_rows)
            if table is not None:
                table.hidden = worksheet.sheet_state != "visible"
                table.merged = _merged_ranges(worksheet)
            sheets[worksheet.title] = table
    except Exception as exc:  # damaged or cut-short XML or compressed data
        return None, [Problem("unreadable-file", display_name,
                              f"the workbook cannot be read: part of it is damaged or cut "
                              f"short ({type(exc).__name__})", expected)]
    finally:
        workbook.close()
    if any(p.is_error for p in problems):
        return None, problems
    hidden = [t.sheet for t in sheets.values() if t is not None and t.hidden]
    empty_hidden = [name for name, ws in zip(sheets, workbook.worksheets, strict=True)
                    if sheets[name] is None and ws.sheet_state != "visible"]
    for name in hidden + empty_hidden:
        problems.append(Problem(
            "hidden-sheet", display_name, f"the workbook has a hidden sheet '{name}'",
            "hidden sheets are never read: unhide it (or delete it) if it matters",
            severity=WARNING, sheet=name))
    return sheets, problems


def _merged_ranges(worksheet) -> list[tuple[int, int, int, int, str]]:
    """Merged ranges of a read-only worksheet, from its XML (openpyxl does not give them)."""
    import re

    from openpyxl.utils import range_boundaries

    try:
        data = worksheet._get_source().read()
    except Exception:  # a private openpyxl interface: without it, no merge hints
        return []
    ranges = []
    for ref in re.findall(rb'<mergeCell ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"', data)[:500]:
        text = ref.decode("ascii")
        ranges.append((*range_boundaries(text), text))
    return ranges


def _oversized_parts(path: Path, display_name: str) -> Problem | None:
    """A problem when a part of the workbook would unpack too large (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None  # reported as unreadable when openpyxl tries it
    total = sum(info.file_size for info in infos)
    largest = max((info.file_size for info in infos), default=0)
    if largest > MAX_WORKBOOK_PART_MB * 2 ** 20 or total > MAX_WORKBOOK_TOTAL_MB * 2 ** 20:
        return Problem("too-large", display_name,
                       f"the workbook would unpack to {total / 2 ** 20:,.0f} MB",
                       f"a workbook whose contents unpack to under {MAX_WORKBOOK_TOTAL_MB} MB "
                       "(a review's workbook is well under 1 MB)")
    return None


def _looks_like_text(path: Path) -> bool:
    """Whether a file's first bytes are text rather than a zip archive."""
    try:
        head = path.open("rb").read(2048)
    except OSError:
        return False
    if not head or head.startswith(b"PK"):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            head.decode("utf-16")
        except UnicodeDecodeError:
            return False
    return b"\x00" not in head or head.startswith((b"\xff\xfe", b"\xfe\xff"))


def read_table(path: str | Path, display_name: str | None = None
               ) -> tuple[Table | None, list[Problem]]:
    """Read a CSV file, or the first sheet of a workbook, as one table.

    Parameters
    ----------
    path : str or Path
        The file.
    display_name : str, optional
        Name to use in messages; defaults to the path as given.

    Returns
    -------
    tuple of (Table or None, list of Problem)
        The table and the problems found.
    """
    path = Path(path)
    name = display_name or str(path)
    suffix = path.suffix.lower()
    if not path.exists():
        return None, [Problem("unreadable-file", name, "the file does not exist",
                              "an existing CSV or .xlsx file")]
    if suffix in EXCEL_SUFFIXES:
        sheets, problems = read_workbook(path, name)
        if sheets is None:
            return None, problems
        first = next(iter(sheets.values()), None)
        if first is None:
            problems.append(Problem("empty-file", name, "the workbook's first sheet is empty",
                                    "a header row and data rows"))
        return first, problems
    if suffix in LEGACY_SUFFIXES:
        return None, [unsupported_format(name, suffix)]
    return read_csv(path, name)


def unsupported_format(name: str, suffix: str) -> Problem:
    """The problem reported for a file type the suite does not read.

    Parameters
    ----------
    name : str
        File name for the message.
    suffix : str
        The file's extension.

    Returns
    -------
    Problem
        An ``unsupported-format`` error.
    """
    return Problem("unsupported-format", name,
                   f"files of type {suffix or '(none)'} are not read",
                   "an Excel .xlsx workbook or a .csv file: re-save .xls and .ods files as "
                   ".xlsx (Excel: File > Save As > Excel Workbook; LibreOffice: File > Save "
                   "As > Excel 2007-365)",
                   value=suffix)
