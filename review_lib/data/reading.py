"""Read one review file (wide workbook, wide or long CSV) into records, with located problems."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from review_lib.data.catalogue import Catalogue, load_catalogue
from review_lib.data.evidence import EVIDENCE_HEADINGS as _EVIDENCE_HEADINGS
from review_lib.data.evidence import evidence_column_indexes, read_evidence
from review_lib.data.problems import WARNING, Problem, column_letter
from review_lib.data.records import (
    _LEVEL_CODE,
    OVERALL,
    Review,
    _h,
    clean_name,
    normalise_cycle,
    pseudonyms,
)
from review_lib.data.scale import (
    ACCEPTED_LABELS,
    NOT_APPLICABLE,
    is_blank,
    parse_label,
)
from review_lib.data.tables import (
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

#: The Review-sheet row that makes a workbook a moderation exercise (its value: the name).
MODERATION_ROW = "Moderation"

#: Kind of the problem a review reader gives for a moderation workbook (read elsewhere).
MODERATION_EXERCISE = "moderation-exercise"

_MODERATION_HEADINGS = {"moderation", "moderation exercise", "exercise"}


_CASE_HEADINGS = {"case", "case id", "case ref", "case reference", "case number", "case no",
                  "case no.", "case_id", "case record"}


_AUDITOR_HEADINGS = {"auditor", "reviewer", "psw", "auditor (psw)", "reviewed by", "audited by"}


_OVERALL_HEADINGS = {"overall", "overall judgement", "overall judgment", "overall rating",
                     "judgement", "judgment", "overall_judgement"}


_COUNCIL_HEADINGS = {"council", "local authority", "authority"}


_CYCLE_HEADINGS = {"cycle", "programme cycle", "programme", "review cycle"}


_MONTH_HEADINGS = {"review month", "month", "review date", "review_month"}


#: The optional region a council belongs to (an ADASS region, or a network's own).
_REGION_HEADINGS = {"region", "adass region", "adass_region", "regional network"}


_QUESTION_HEADINGS = {"question", "question id", "question_id"}


_RATING_HEADINGS = {"rating", "judgement", "judgment", "grade"}


#: Free-text columns: read past silently, and never carried into any output.
_IGNORED_HEADINGS = {"comments", "comment", "notes", "note", "free text", "remarks"}


#: Long-form question values that mean "the case's overall judgement".
_OVERALL_QUESTIONS = {"overall", "overall judgement", "overall judgment", "overall rating"}


_ID_LIKE_RE = re.compile(r"^\s*[A-Za-z]{0,3}\s?\d+[A-Za-z]?(?:[\s.:)\-–—]|$)")


_LEVEL_EXPECTED = ACCEPTED_LABELS



_JUDGEMENT_EXPECTED = "Outstanding, Good, Requires Improvement or Inadequate (O, G, RI, I)"



# --------------------------------------------------------------------------- parsing


class _ReviewBuilder:
    """Accumulates one review's validated records and notes its problems."""

    def __init__(self, council, cycle, source, sha, catalogue, month="", region=""):
        self.review = Review(council, cycle, source, sha, catalogue, month, region=region)
        self._position = {qid: code for code, qid in enumerate(catalogue.ids)}

    def add_case(self, case_ref, pseudonym, auditor, ratings, judgement, evidence=None):
        records = self.review._records
        records.evidence.append(dict(evidence or {}))
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
                    ) -> tuple[str | None, str | None, str, str]:
    """Council, cycle, month and region from a Review sheet or from columns of the table."""
    details: dict[str, tuple[object, Table, int, int]] = {}
    review_sheet = None
    if sheets:
        review_sheet = next((t for name, t in sheets.items() if _h(name) == _h(REVIEW_SHEET)),
                            None)
    if review_sheet is not None:
        roles = {"council": _COUNCIL_HEADINGS, "cycle": _CYCLE_HEADINGS,
                 "month": _MONTH_HEADINGS, "region": _REGION_HEADINGS}
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
    for role in ("council", "cycle", "month", "region"):
        if role in columns:
            if not table.rows:
                explained.add(role)
            index = columns[role]
            values = {}
            for row_number, row in zip(table.row_numbers, table.rows, strict=True):
                value = row[index]
                if not is_blank(value):
                    text = clean_name(value)
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
        council = clean_name(details["council"][0])
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
    region = ""
    if "region" in details and not is_blank(details["region"][0]):
        region = clean_name(details["region"][0])
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
    return council, cycle, month, region


def _header_further_down(table: Table, look: int = 20) -> int | None:
    """The row number of a row below the header that has Case and Auditor headings."""
    for row_number, row in zip(table.row_numbers[:look], table.rows[:look], strict=False):
        headings = {_h(v) for v in row if isinstance(v, str)}
        if headings & _CASE_HEADINGS and headings & _AUDITOR_HEADINGS:
            return row_number
    return None


def question_column_indexes(table: Table, catalogue: Catalogue, used: set[int],
                            problems: list[Problem]) -> list[tuple[int, str]]:
    """The question columns of a wide table, noting unknown, repeated and missing ones.

    Parameters
    ----------
    table : Table
        A wide table (a row per case, or per case and auditor).
    catalogue : Catalogue
        The questions.
    used : set of int
        Columns already taken (case, auditor, overall judgement, ...), left alone.
    problems : list of Problem
        Receives the located problems.

    Returns
    -------
    list of tuple
        ``(column index, question id)`` in the table's order.
    """
    question_columns: list[tuple[int, str]] = []
    seen_questions: dict[str, int] = {}
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
    return question_columns


def _did_you_mean(table: Table, label: str, used: set[int]) -> str:
    """``"; did you mean the column 'Auditer'?"`` for a heading close to a missing one."""
    import difflib

    headings = {_h(h): h for i, h in enumerate(table.header) if h and i not in used}
    close = difflib.get_close_matches(_h(label), list(headings), n=1, cutoff=0.75)
    return f"; did you mean the column {headings[close[0]]!r}?" if close else ""


def _parse_wide(table: Table, sheets, catalogue: Catalogue, sha: str,
                problems: list[Problem]) -> list[Review]:
    columns = _find_columns(table, {
        "case": _CASE_HEADINGS, "auditor": _AUDITOR_HEADINGS, "overall": _OVERALL_HEADINGS,
        "council": _COUNCIL_HEADINGS, "cycle": _CYCLE_HEADINGS, "month": _MONTH_HEADINGS,
        "region": _REGION_HEADINGS})
    elsewhere = _header_further_down(table) if "case" not in columns else None
    for role, label in (("case", "Case"), ("auditor", "Auditor"),
                        ("overall", "Overall judgement")):
        if role not in columns:
            hint = (f"; row {elsewhere} looks like the header (it has the headings "
                    "Case and Auditor): delete the rows above it" if elsewhere else
                    _did_you_mean(table, label, set(columns.values())))
            problems.append(Problem(
                "missing-column", table.file,
                f"there is no '{label}' column in the header row (row {table.header_row})"
                + hint,
                f"a heading '{label}' in the first row of the table",
                sheet=table.sheet, row=table.header_row))
    used = set(columns.values())
    evidence_columns = evidence_column_indexes(table, catalogue, used, problems)
    question_columns = question_column_indexes(table, catalogue, used, problems)
    council, cycle, month, region = _review_details(sheets, table, columns, problems)
    if {"case", "auditor", "overall"} - columns.keys():
        return []
    if not table.rows:
        problems.append(Problem("empty-file", table.file, "the sheet has a header but no cases",
                                "one row per case under the header", sheet=table.sheet,
                                row=table.header_row))
        return []
    from review_lib.data.limits import max_cases

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
                    "each case once per review (a second auditor's ratings of the same "
                    "case belong in a moderation exercise, in the cycle's moderation/ "
                    "folder)", column_index=case_at, row_number=row_number, value=case_ref))
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
        evidence = {}
        for index, qid in evidence_columns:
            text = read_evidence(table, row[index], index, row_number, problems)
            if text:
                evidence[qid] = text
        if ok:
            cases.append((case_ref, " ".join(str(auditor).split()), ratings, judgement,
                          evidence))
    if not council or not cycle or any(p.is_error for p in problems):
        return []
    builder = _ReviewBuilder(council, cycle, table.file, sha, catalogue, month, region)
    names = pseudonyms(c[0] for c in cases)
    for case_ref, auditor, ratings, judgement, evidence in cases:
        builder.add_case(case_ref, names[case_ref], auditor, ratings, judgement, evidence)
    return [builder.review]


def _parse_long(table: Table, catalogue: Catalogue, sha: str,
                problems: list[Problem]) -> list[Review]:
    columns = _find_columns(table, {
        "council": _COUNCIL_HEADINGS, "cycle": _CYCLE_HEADINGS, "case": _CASE_HEADINGS,
        "auditor": _AUDITOR_HEADINGS, "question": _QUESTION_HEADINGS,
        "rating": _RATING_HEADINGS, "month": _MONTH_HEADINGS, "region": _REGION_HEADINGS,
        "evidence": _EVIDENCE_HEADINGS})
    required = ("council", "cycle", "case", "auditor", "question", "rating")
    absent = [c for c in required if c not in columns]
    for role in absent:
        problems.append(Problem(
            "missing-column", table.file, f"there is no '{role}' column"
            + _did_you_mean(table, role, set(columns.values())),
            "long-form columns council, cycle, case, auditor, question, rating",
            row=table.header_row))
    if absent:
        return []
    at = columns
    council_at, cycle_at, case_at = at["council"], at["cycle"], at["case"]
    auditor_at, question_at, rating_at = at["auditor"], at["question"], at["rating"]
    month_at = at.get("month")
    region_at = at.get("region")
    evidence_at = at.get("evidence")
    # Problems are kept per review: a row placed in a review makes its problems that
    # review's, so one bad cell refuses only its own council and cycle.
    first_problem = len(problems)
    row_review: dict[int, tuple[str, str]] = {}
    # (council, cycle) -> case_ref -> {"auditor", "rows", "ratings", "judgement", "first"}
    reviews: dict[tuple[str, str], dict[str, dict]] = {}
    months: dict[tuple[str, str], str] = {}
    # (council, cycle) -> (region, the row it was first read on): one region per review.
    regions: dict[tuple[str, str], tuple[str, int]] = {}
    region_cache: dict[object, str] = {}
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
                None if is_blank(raw_council) else clean_name(raw_council))
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
        if region_at is not None:
            raw_region = row[region_at]
            try:
                region = region_cache[raw_region]
            except KeyError:
                region = region_cache[raw_region] = (
                    "" if is_blank(raw_region) else clean_name(raw_region))
            if region:
                seen = regions.get(key)
                if seen is None:
                    regions[key] = (region, row_number)
                elif seen[0] != region:
                    problems.append(table.problem(
                        "inconsistent-region",
                        f"{council} {cycle} is in region {region!r} here but "
                        f"{seen[0]!r} on row {seen[1]}",
                        "one region per review (every row of a council and cycle)",
                        column_index=region_at, row_number=row_number, value=region))
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
                                      "blank_auditor": False, "ok": True,
                                      "evidence": {}}
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
        if evidence_at is not None:
            text = read_evidence(table, row[evidence_at], evidence_at, row_number, problems)
            if text:
                case["evidence"][OVERALL if is_overall else question.id] = text
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
                                 months.get((council, cycle), ""),
                                 regions.get((council, cycle), ("", 0))[0])
        names = pseudonyms(cases)
        ids = catalogue.ids
        for case_ref, case in cases.items():
            ratings = [(q, case["ratings"][q][0]) for q in ids]
            builder.add_case(case_ref, names[case_ref], case["auditor"], ratings,
                             case["judgement"][0], case["evidence"])
        built.append(builder.review)
    return built


def _is_long(table: Table) -> bool:
    headings = {_h(h) for h in table.header}
    return bool(headings & _QUESTION_HEADINGS) and bool(headings & (_RATING_HEADINGS - {
        "judgement", "judgment"} | {"rating"}))



def checked_file(path: Path, name: str, what: str, typical: str
                 ) -> tuple[str | None, list[Problem]]:
    """Check that a data file exists, is a workbook or CSV and is not too large; hash it.

    Parameters
    ----------
    path : Path
        The file.
    name : str
        Its name in messages.
    what : str
        What such a file is, in the size message ("a review's data file").
    typical : str
        What such a file usually holds, in the size message.

    Returns
    -------
    tuple
        The SHA-256 of its bytes (None when it cannot be used) and the problems found.
    """
    from review_lib.data.limits import max_file_bytes

    suffix = path.suffix.lower()
    if not path.is_file():
        return None, [Problem("unreadable-file", name, "there is no such file",
                              "an existing .xlsx or .csv file")]
    if suffix in LEGACY_SUFFIXES or suffix not in EXCEL_SUFFIXES | CSV_SUFFIXES:
        return None, [unsupported_format(name, suffix)]
    try:
        size = path.stat().st_size
        if size > max_file_bytes():
            return None, [Problem(
                "too-large", name,
                f"the file is {size / 2 ** 20:,.1f} MB, more than the "
                f"{max_file_bytes() // 2 ** 20} MB {what} may be",
                f"{typical}; if the file is right, set PRACTICE_REVIEW_MAX_FILE_MB to a "
                "larger number of megabytes")]
        return hashlib.sha256(path.read_bytes()).hexdigest(), []
    except OSError as exc:
        return None, [Problem("unreadable-file", name,
                              f"the file cannot be read ({exc.strerror})", "a readable file")]


def ratings_table(path: Path, name: str, problems: list[Problem], refuse=None
                  ) -> tuple[Table | None, dict | None]:
    """The table of ratings in a workbook (its Ratings sheet) or a CSV.

    Parameters
    ----------
    path : Path
        A file :func:`checked_file` accepted.
    name : str
        Its name in messages.
    problems : list of Problem
        Extended with what is found.
    refuse : callable, optional
        Given a workbook's sheets; a Problem it returns is added and stops the reading.

    Returns
    -------
    tuple
        The table (None when there is none to read) and the workbook's sheets (None for
        a CSV).
    """
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        table, found = read_csv(path, name)
        problems.extend(found)
        return table, None
    sheets, found = read_workbook(path, name)
    problems.extend(found)
    if sheets is None:
        return None, None
    stop = refuse(sheets) if refuse is not None else None
    if stop is not None:
        problems.append(stop)
        return None, sheets
    table = _ratings_sheet(sheets, name, problems)
    if table is not None:
        _formulas_elsewhere(sheets, table, problems)
    return table, sheets


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
    sha, problems = checked_file(path, name, "a review's data file",
                                 "one review's ratings (a review of 20 cases is well under 1 MB)")
    if sha is None:
        return [], problems

    def refuse_moderation(sheets) -> Problem | None:
        if moderation_row(sheets) is None:
            return None
        # Several auditors rate the same cases: review_lib.data.moderation reads it.
        return Problem(
            MODERATION_EXERCISE, name, "the workbook is a moderation exercise (its "
            f"'{REVIEW_SHEET}' sheet has a '{MODERATION_ROW}' row), not one council's "
            "review", "a review workbook here; moderation exercises are read by "
            "review_lib.data.moderation", severity=WARNING)

    table, sheets = ratings_table(path, name, problems, refuse=refuse_moderation)
    if table is None:
        return [], problems
    if sheets is None and _is_long(table):
        reviews = _parse_long(table, catalogue, sha, problems)
    else:
        reviews = _parse_wide(table, sheets, catalogue, sha, problems)
    narrative = path.with_suffix(".md")
    if narrative.is_file():
        from review_lib.data.narrative import narrative_warnings

        problems.extend(narrative_warnings(narrative, str(Path(name).with_suffix(".md"))))
    from review_lib.data.limits import max_cases

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


def moderation_row(sheets: dict[str, Table | None]) -> tuple[Table, int, object] | None:
    """Where a workbook's Review sheet names a moderation exercise, if it does.

    Parameters
    ----------
    sheets : dict
        The workbook's tables by sheet name (:func:`review_lib.data.tables.read_workbook`).

    Returns
    -------
    tuple or None
        ``(the Review sheet, row number, value)`` of its ``Moderation`` row (first column
        ``Moderation``, ``Moderation exercise`` or ``Exercise``), or None.
    """
    review = next((t for name, t in sheets.items() if _h(name) == _h(REVIEW_SHEET)), None)
    if review is None or review.hidden:
        return None
    for row_number, row in [(review.header_row, review.header),
                            *zip(review.row_numbers, review.rows, strict=True)]:
        if row and isinstance(row[0], str) and _h(row[0]) in _MODERATION_HEADINGS:
            return review, row_number, row[1] if len(row) > 1 else None
    return None


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


