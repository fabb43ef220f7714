"""Per-case audit forms: one workbook per case record, a folder of them being one review.

Real audit forms record, per question, the rating and the auditor's evidence and analysis
beside it. ``practice-review template --form`` writes them (:func:`write_forms`, or one
blank form to copy, :func:`write_form`); a folder named ``<council>-forms`` (any name
ending ``-forms``) inside a data folder is read as one review (:func:`read_forms_folder`),
into the same :class:`~review_lib.data.records.Review` a workbook gives, so every report
reads it. The convention is ``data/<programme>/<cycle>/<council>-forms/``: one ``.xlsx``
form per case, whatever the files are called (the case identifier is typed in the form).

A form has one sheet, ``Audit form``: the fields Council, Cycle, Case identifier, Auditor
and Review month (column A the field, column B its value); then a table headed
``Question | What to look for | Rating | Evidence and analysis`` with a row per question
of the catalogue (its id and label in column A, its wording in B, a drop-down rating in C
and the evidence in D) and a last row, ``Overall judgement``, with its drop-down and the
reason for it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

from review_lib.data.catalogue import Catalogue, load_catalogue
from review_lib.data.problems import WARNING, Problem, column_letter
from review_lib.data.records import OVERALL, Review, _h, clean_name, normalise_cycle
from review_lib.data.scale import NOT_APPLICABLE, is_blank, parse_label

#: A folder whose name ends with this holds a review's audit forms, one per case.
FORMS_SUFFIX = "-forms"

#: The form's one sheet.
FORM_SHEET = "Audit form"

#: Its fields: the label in column A, the value in column B.
FORM_FIELDS = ("Council", "Cycle", "Case identifier", "Auditor", "Review month", "Region")

_FIELD_NAMES = {
    "council": {"council", "local authority"},
    "cycle": {"cycle", "programme cycle", "review cycle"},
    "case": {"case identifier", "case", "case id", "case ref", "case reference",
             "case number", "case no", "case no."},
    "auditor": {"auditor", "auditor (psw)", "reviewer", "psw"},
    "month": {"review month", "month"},
    "region": {"region"},
}
_OVERALL_ROWS = {"overall", "overall judgement", "overall judgment", "overall rating"}

_RATING_EXPECTED = ("Outstanding, Good, Requires Improvement, Inadequate or N/A (chosen from "
                    "the drop-down list)")
_JUDGEMENT_EXPECTED = ("Outstanding, Good, Requires Improvement or Inadequate (chosen from "
                       "the drop-down list)")

#: Columns of the question table (0-based): id and label, wording, rating, evidence.
_ID, _WORDING, _RATING, _EVIDENCE = 0, 1, 2, 3
_COLUMN_NAMES = {_ID: "Question", _WORDING: "What to look for", _RATING: "Rating",
                 _EVIDENCE: "Evidence and analysis"}


def is_forms_folder(path: str | Path) -> bool:
    """Whether a folder holds a review's audit forms (its name ends ``-forms``).

    Parameters
    ----------
    path : str or Path
        A folder.

    Returns
    -------
    bool
        True for a folder such as ``ashcombe-forms``.
    """
    path = Path(path)
    return path.name.casefold().endswith(FORMS_SUFFIX) and path.is_dir()


# --------------------------------------------------------------------------- writing


def write_form(path: str | Path, catalogue: Catalogue | None = None, *, council: str = "",
               cycle: str = "", case: str = "", auditor: str = "", review_month: str = "",
               ratings: dict[str, str] | None = None, judgement: str = "",
               evidence: dict[str, str] | None = None) -> Path:
    """Write one audit form, blank or filled.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` file; written to a temporary name, then renamed.
    catalogue : Catalogue, optional
        The questions, a row each; the bundled 12 by default.
    council, cycle, case, auditor, review_month : str
        The form's fields (blank in a template).
    ratings : dict, optional
        Rating per question id (``"N/A"`` where it does not apply).
    judgement : str
        The overall judgement.
    evidence : dict, optional
        The auditor's evidence per question id, and the judgement's reason under
        ``"Overall"``.

    Returns
    -------
    Path
        The file written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    from review_lib.data.template import HEADER_FILL, NOTE_COLOUR, _finish, _rating_drop_downs

    catalogue = catalogue or load_catalogue()
    ratings, evidence = dict(ratings or {}), dict(evidence or {})
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = FORM_SHEET
    sheet.append(["Practice Review audit form"])
    sheet.append(["One form per case record. Choose each rating from its drop-down list "
                  "(N/A where a question does not apply) and write the evidence you found "
                  "in the record and your analysis of it beside the rating. The evidence "
                  "is read by the review team only: it never appears in a report."])
    sheet.append([])
    values = {"Council": council, "Cycle": cycle, "Case identifier": case,
              "Auditor": auditor, "Review month": review_month}
    for label in FORM_FIELDS[:5]:
        sheet.append([label, values[label] or None])
    sheet.append([])
    sheet.append(list(_COLUMN_NAMES.values()))
    header_row = sheet.max_row
    for q in catalogue:
        sheet.append([q.heading, q.question, ratings.get(q.id) or None,
                      evidence.get(q.id) or None])
    sheet.append(["Overall judgement", "The overall judgement of the case record, and the "
                  "reason for it.", judgement or None, evidence.get(OVERALL) or None])
    last_row = sheet.max_row

    thin = Side(style="thin", color="B0B0B0")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap_top = Alignment(wrap_text=True, vertical="top")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells("A2:D2")
    sheet["A2"].alignment = wrap_top
    sheet["A2"].font = Font(color=NOTE_COLOUR)
    sheet.row_dimensions[2].height = 48
    for row in range(4, 9):
        sheet.cell(row, 1).font = Font(bold=True)
        sheet.cell(row, 2).border = box
    for cell in sheet[header_row]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = wrap_top
    for row in range(header_row + 1, last_row + 1):
        sheet.row_dimensions[row].height = 75
        for column in range(1, 5):
            cell = sheet.cell(row, column)
            cell.alignment = wrap_top
            cell.border = box
        sheet.cell(row, 1).font = Font(bold=True)
    for letter, width in (("A", 24), ("B", 48), ("C", 22), ("D", 70)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    levels, overall = _rating_drop_downs()
    sheet.add_data_validation(levels)
    sheet.add_data_validation(overall)
    levels.add(f"C{header_row + 1}:C{last_row - 1}")
    overall.add(f"C{last_row}")
    sheet.print_options.gridLines = False
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return _finish(workbook, Path(path))


def write_forms(folder: str | Path, catalogue: Catalogue | None = None, *, council: str = "",
                cycle: str = "", n_cases: int = 20) -> list[Path]:
    """Write a folder of blank audit forms, one per case, council and cycle filled in.

    Parameters
    ----------
    folder : str or Path
        The folder, which should be named ``<council>-forms`` (for example
        ``data/mine/2024/testshire-forms``) so that the suite reads it as a review.
    catalogue : Catalogue, optional
        The questions; the bundled 12 by default.
    council, cycle : str
        Filled in on every form, so that the forms agree.
    n_cases : int, default 20
        Forms written: ``case-01.xlsx`` ...

    Returns
    -------
    list of Path
        The forms written.
    """
    folder = Path(folder)
    width = max(2, len(str(n_cases)))
    return [write_form(folder / f"case-{number:0{width}d}.xlsx", catalogue, council=council,
                       cycle=cycle) for number in range(1, n_cases + 1)]


# --------------------------------------------------------------------------- reading


def _cell_problem(name: str, kind: str, message: str, expected: str, column: int, row: int,
                  value: object = "", severity: str = "error", label: str | None = None
                  ) -> Problem:
    """A problem located at a form's cell."""
    return Problem(kind, name, message, expected, severity=severity, sheet=FORM_SHEET,
                   row=row, column=label or _COLUMN_NAMES.get(column, column_letter(column)),
                   cell=f"{column_letter(column)}{row}",
                   value=None if value is None else str(value))


class _Form:
    """What one form holds, as read: its fields and answers, with where each was found."""

    def __init__(self, name: str):
        self.name = name
        self.fields: dict[str, tuple[str, int]] = {}   # role -> (value, row)
        self.ratings: dict[str, object] = {}          # question id -> level
        self.evidence: dict[str, str] = {}
        self.judgement = None
        self.ok = True
        #: Nothing typed: no case, rating, judgement or evidence (a spare blank form).
        self.blank = False


def _read_form(path: Path, name: str, catalogue: Catalogue, problems: list[Problem]
               ) -> _Form | None:
    """Read one form; its problems are appended; None when it cannot be read at all."""
    from review_lib.data.reading import checked_file
    from review_lib.data.tables import Formula, read_workbook

    _, found = checked_file(path, name, "an audit form",
                            "one case record's ratings and evidence (well under 1 MB)")
    if found:
        problems.extend(found)
        return None
    sheets, found = read_workbook(path, name)
    problems.extend(found)
    if sheets is None:
        return None
    table = next((t for sheet, t in sheets.items() if _h(sheet) == _h(FORM_SHEET)), None)
    if table is None:
        visible = [t for t in sheets.values() if t is not None and not t.hidden]
        table = visible[0] if len(visible) == 1 else None
    if table is None or table.hidden:
        problems.append(Problem(
            "missing-sheet", name, f"there is no '{FORM_SHEET}' sheet (sheets found: "
            f"{', '.join(sheets)})", "an audit form as 'practice-review template --form' "
            "writes it", value=", ".join(sheets)))
        return None
    form = _Form(name)
    rows = [(table.header_row, table.header), *zip(table.row_numbers, table.rows, strict=True)]

    def text(value: object, column: int, row: int, what: str) -> str:
        if isinstance(value, Formula):
            problems.append(_cell_problem(
                name, "formula", f"the cell holds a formula ({value.text}), not a value",
                f"{what}, typed (copy the cell and Paste Special > Values)", column, row,
                value.text, label="Value" if column == 1 else None))
            form.ok = False
            return ""
        return "" if is_blank(value) else " ".join(str(value).split())

    def cell(row: list, column: int) -> object:
        return row[column] if column < len(row) else None

    header_at = None
    for index, (row_number, row) in enumerate(rows):
        key = _h(cell(row, 0) or "") if isinstance(cell(row, 0), str) else ""
        if key == "question":
            header_at = index
            break
        for role, names in _FIELD_NAMES.items():
            if key in names and role not in form.fields:
                form.fields[role] = (text(cell(row, 1), 1, row_number, f"the {role}"),
                                     row_number)
    for role, label in (("council", "Council"), ("cycle", "Cycle"),
                        ("case", "Case identifier"), ("auditor", "Auditor")):
        if role not in form.fields:
            problems.append(Problem(
                "missing-review-details", name, f"the form has no '{label}' field",
                f"a row '{label}' above the questions, its value in column B",
                sheet=table.sheet))
            form.ok = False
        elif not form.fields[role][0]:
            what = {"council": "the council's name", "cycle": "a cycle such as 2022-24",
                    "case": "the case record's identifier, as the council's system has it",
                    "auditor": "the auditor's label (PSW A ...) or initials"}[role]
            kind = "blank-case" if role == "case" else (
                "blank-auditor" if role == "auditor" else "missing-review-details")
            problems.append(_cell_problem(name, kind, f"the {label} is blank", what, 1,
                                          form.fields[role][1], "", label="Value"))
            form.ok = False
    if "cycle" in form.fields and form.fields["cycle"][0]:
        raw, row_number = form.fields["cycle"]
        cycle = normalise_cycle(raw)
        if cycle is None:
            problems.append(_cell_problem(
                name, "bad-cycle", f"{raw!r} is not a programme cycle",
                "a year such as 2019 or a span such as 2022-24", 1, row_number, raw,
                label="Value"))
            form.ok = False
        else:
            form.fields["cycle"] = (cycle, row_number)
    for role in ("council", "region"):
        if role in form.fields and form.fields[role][0]:
            form.fields[role] = (clean_name(form.fields[role][0]), form.fields[role][1])
    if header_at is None:
        problems.append(Problem(
            "missing-column", name, "the form has no table of questions (a row headed "
            "'Question' in column A)", "the question table of the audit form, as "
            "'practice-review template --form' writes it", sheet=table.sheet))
        form.ok = False
        return form
    seen: dict[str, int] = {}
    last_row = rows[header_at][0]
    for row_number, row in rows[header_at + 1:]:
        last_row = row_number
        label = cell(row, _ID)
        if is_blank(label):
            continue
        overall = isinstance(label, str) and _h(label) in _OVERALL_ROWS
        question = None if overall else catalogue.match_heading(str(label))
        if not overall and question is None:
            problems.append(_cell_problem(
                name, "unknown-question", f"{str(label).strip()!r} is not a question in the "
                f"catalogue ({catalogue.source})", "one of " + ", ".join(catalogue.ids)
                + " or Overall judgement", _ID, row_number, label))
            form.ok = False
            continue
        qid = OVERALL if overall else question.id
        if qid in seen:
            problems.append(_cell_problem(
                name, "duplicate-rating", f"{qid} has a second row (first on row "
                f"{seen[qid]})", "one row per question", _ID, row_number, label))
            form.ok = False
            continue
        seen[qid] = row_number
        value = cell(row, _RATING)
        if isinstance(value, Formula):
            text(value, _RATING, row_number, "a rating")
            continue
        words = text(cell(row, _EVIDENCE), _EVIDENCE, row_number, "the evidence")
        if words:
            form.evidence[qid] = str(cell(row, _EVIDENCE)).strip()
        if is_blank(value):
            problems.append(_cell_problem(
                name, "missing-judgement" if overall else "blank-rating",
                "the case has no overall judgement" if overall else
                f"the rating of {qid} is blank", _JUDGEMENT_EXPECTED if overall else
                _RATING_EXPECTED, _RATING, row_number, ""))
            form.ok = False
            continue
        level = parse_label(value)
        if level is None or (overall and level is NOT_APPLICABLE):
            problems.append(_cell_problem(
                name, "judgement-not-applicable" if level is not None else "unknown-label",
                "an overall judgement cannot be 'not applicable'" if level is not None
                else f"{str(value).strip()!r} is not a rating",
                _JUDGEMENT_EXPECTED if overall else _RATING_EXPECTED, _RATING, row_number,
                str(value).strip()))
            form.ok = False
            continue
        if overall:
            form.judgement = level
        else:
            form.ratings[qid] = level
    if not form.fields.get("case", ("", 0))[0] and not form.ratings and \
            form.judgement is None and not form.evidence and all(
                is_blank(cell(row, _RATING)) for _, row in rows[header_at + 1:]):
        form.blank = True
        return form
    missing = [q for q in catalogue.ids if q not in seen]
    if missing:
        problems.append(Problem(
            "missing-question", name, f"the form has no row for {', '.join(missing)}",
            f"a row for each of the {len(catalogue)} questions of the catalogue "
            f"({catalogue.source}); use --questions for a different catalogue",
            sheet=table.sheet, row=rows[header_at][0], value=", ".join(missing)))
        form.ok = False
    if OVERALL not in seen:
        problems.append(Problem(
            "missing-judgement", name, "the form has no 'Overall judgement' row, so the case "
            "has no overall judgement", "a last row 'Overall judgement' with the judgement "
            f"in column C (after row {last_row})", sheet=table.sheet, row=last_row))
        form.ok = False
    return form


def _folder_hash(files: list[Path]) -> str:
    """One SHA-256 for a folder of forms: over each form's name and bytes, in name order."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def form_files(folder: Path, problems: list[Problem] | None = None,
               display_name: str | None = None) -> list[Path]:
    """The forms in a forms folder: its ``.xlsx`` files, in natural order.

    Parameters
    ----------
    folder : Path
        The forms folder.
    problems : list of Problem, optional
        Receives a warning for each other file or folder in it (not read).
    display_name : str, optional
        The folder's name in messages.

    Returns
    -------
    list of Path
        The forms (hidden files and Excel lock files ``~$...`` left out).
    """
    from review_lib.data.records import natural_key

    name = display_name or folder.name
    found = []
    try:
        entries = sorted(folder.iterdir(), key=lambda p: natural_key(p.name))
    except OSError as exc:
        if problems is not None:
            problems.append(Problem("unreadable-file", name, f"the folder cannot be read "
                                    f"({exc.strerror or exc})", "a folder this user can read"))
        return []
    for entry in entries:
        if entry.name.startswith((".", "~$")):
            continue
        if entry.suffix.lower() == ".xlsx" and entry.is_file() and not entry.is_symlink():
            found.append(entry)
        elif problems is not None:
            problems.append(Problem(
                "skipped-path", f"{name}/{entry.name}", "this is not an audit form (.xlsx), "
                "so it was not read", "only the review's audit forms, one .xlsx per case, in "
                "a forms folder", severity=WARNING))
    return found


def read_forms_folder(folder: str | Path, catalogue: Catalogue | None = None,
                      display_name: str | None = None) -> tuple[list[Review], list[Problem]]:
    """Read a folder of audit forms as one review, with every problem located.

    Each form is checked (its fields, every question's rating from the list, the overall
    judgement); then the forms together: a case given on two forms, a form whose council,
    cycle or region is not that of the others or of the folder (``<council>-forms`` inside
    a cycle's folder), a folder holding no form. Any error refuses the review, as an error
    in a workbook does.

    Parameters
    ----------
    folder : str or Path
        The forms folder (``.../2022-24/ashcombe-forms``).
    catalogue : Catalogue, optional
        The questions; the bundled 12 by default.
    display_name : str, optional
        The folder's name in messages; its path as given by default.

    Returns
    -------
    tuple of (list of Review, list of Problem)
        The review (none when any form has an error) and every problem; a form's
        problems name ``<folder>/<form>.xlsx``, the sheet and the cell.
    """
    from review_lib.data.limits import max_cases
    from review_lib.data.reading import _ReviewBuilder
    from review_lib.data.records import pseudonyms
    from review_lib.files import slug

    folder = Path(folder)
    catalogue = catalogue or load_catalogue()
    name = display_name or str(folder)
    problems: list[Problem] = []
    files = form_files(folder, problems, name)
    if not files:
        problems.append(Problem("empty-file", name, "the forms folder holds no audit form",
                                "one .xlsx audit form per case record ('practice-review "
                                "template --form' writes them)"))
        return [], problems
    if len(files) > max_cases():
        problems.append(Problem(
            "too-large", name, f"the folder holds {len(files):,} forms, more than the "
            f"{max_cases():,} case records a review may have", "the forms of one review "
            "(usually about 20); if they are right, set PRACTICE_REVIEW_MAX_CASES to a "
            "larger number"))
        return [], problems
    forms = []
    for path in files:
        found: list[Problem] = []
        form = _read_form(path, f"{name}/{path.name}", catalogue, found)
        if form is not None and form.blank:
            # A spare form never filled in (template --form writes 20): noted, not an error.
            problems.append(Problem(
                "blank-form", form.name, "the form is blank (no case identifier, rating or "
                "judgement), so it was not read", "a filled-in form per case record; delete "
                "spare blank forms", severity=WARNING))
            continue
        problems.extend(found)
        if form is not None:
            forms.append(form)
    if not forms and not any(p.is_error for p in problems):
        problems.append(Problem("empty-file", name, "every form in the folder is blank",
                                "one filled-in audit form per case record"))
        return [], problems
    # The forms together: one council, cycle and region, as the folder says.
    agreed: dict[str, str] = {}
    for role, label in (("council", "council"), ("cycle", "cycle"), ("region", "region")):
        values = Counter(f.fields[role][0] for f in forms
                         if role in f.fields and f.fields[role][0])
        if not values:
            continue
        most = max(values, key=lambda v: (values[v], v))
        agreed[role] = most
        if len(values) > 1:
            for form in forms:
                value, row = form.fields.get(role, ("", 0))
                if value and value != most:
                    others = sum(n for v, n in values.items() if v == most)
                    problems.append(_cell_problem(
                        form.name, "inconsistent-review",
                        f"the form's {label} is {value!r}, but {others} of the "
                        f"{len(forms)} forms in the folder say {most!r}",
                        f"one {label} on every form of a review", 1, row, value,
                        label="Value"))
                    form.ok = False
    council = agreed.get("council")
    if council and not folder.name.casefold().startswith(slug(council)):
        expected = f"{slug(council)}{FORMS_SUFFIX}"
        problems.append(Problem(
            "inconsistent-review", name,
            f"the forms are for {council}, but the folder is named {folder.name!r}",
            f"the folder named after its council, {expected!r} (or the forms' Council "
            "corrected)", value=folder.name))
    folder_cycle = normalise_cycle(folder.parent.name)
    if folder_cycle and agreed.get("cycle") and agreed["cycle"] != folder_cycle:
        problems.append(Problem(
            "inconsistent-review", name,
            f"the forms say cycle {agreed['cycle']}, but the folder is in the "
            f"{folder.parent.name!r} folder", f"forms of cycle {folder_cycle} there, or the "
            f"folder moved into a '{agreed['cycle']}' folder", value=agreed["cycle"]))
    first_form: dict[str, str] = {}
    for form in forms:
        case, row = form.fields.get("case", ("", 0))
        if not case:
            continue
        if case in first_form:
            problems.append(_cell_problem(
                form.name, "duplicate-case", f"case {case!r} is also on the form "
                f"{first_form[case]}", "one form per case record (a second auditor's "
                "ratings of a case belong in a moderation exercise)", 1, row, case,
                label="Value"))
            form.ok = False
        else:
            first_form[case] = form.name.rsplit("/", 1)[-1]
    months = Counter(f.fields["month"][0] for f in forms
                     if "month" in f.fields and f.fields["month"][0])
    if len(months) > 1:
        problems.append(Problem(
            "inconsistent-review", name, f"the forms give different review months "
            f"({', '.join(sorted(months))}); the most common, "
            f"{max(months, key=lambda v: (months[v], v))}, is used",
            "one review month on every form (or leave it blank)", severity=WARNING,
            value=", ".join(sorted(months))))
    if any(p.is_error for p in problems) or not all(f.ok for f in forms):
        return [], problems
    month = max(months, key=lambda v: (months[v], v)) if months else ""
    builder = _ReviewBuilder(agreed["council"], agreed["cycle"], name, _folder_hash(files),
                             catalogue, month, agreed.get("region", ""))
    names = pseudonyms(f.fields["case"][0] for f in forms)
    for form in forms:  # in the folder's order of files, as a workbook's rows
        case = form.fields["case"][0]
        builder.add_case(case, names[case], form.fields["auditor"][0],
                         [(q, form.ratings[q]) for q in catalogue.ids], form.judgement,
                         form.evidence)
    review = builder.review
    review.path = folder
    return [review], problems
