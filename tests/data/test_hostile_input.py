"""Hostile and messy input: each kind as a small generated case, with its message, the exit
status, and what the other reviews got.

The rule throughout: a problem in one review gives that review a located message and no
reports; every other review in the same file, folder or run is still produced; nothing is
overwritten and nothing ambiguous is published.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import resource
import subprocess
import sys
import time
import zipfile
from html import unescape
from pathlib import Path

import openpyxl
import pytest
from conftest import (
    SMALL_QUESTIONS,
    good_rows,
    small_data_folder,
    write_small_council,
    write_wide_csv,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from review_lib.batch.run import run_batch
from review_lib.batch.scratch import SCRATCH_OWNER, make_scratch_folder, sweep_scratch_folders
from review_lib.cli import main
from review_lib.data.catalogue import load_catalogue
from review_lib.data.loading import read_programme_files
from review_lib.data.reading import read_review_file
from review_lib.data.template import write_review_workbook
from review_lib.files import SLUG_LENGTH, slug, slug_collisions
from review_lib.report.wording.notes import review_team_narrative

QUESTIONS = [f"Q{i}" for i in range(1, 13)]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def long_rows(council, cycle="2022-24", cases=3, bad_cell=None):
    """Rows of a long CSV: council, cycle, case, auditor, question, rating."""
    rows = []
    for i in range(1, cases + 1):
        for q in [*QUESTIONS, "Overall"]:
            rows.append([council, cycle, f"{council[:2].upper()}-{i}", "PSW A", q, "Good"])
    if bad_cell is not None:
        rows[bad_cell][5] = "Very good"
    return rows


def write_long(path, rows):
    lines = ["council,cycle,case,auditor,question,rating"]
    lines += [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def errors(problems):
    return [p for p in problems if p.is_error]


# --------------------------------------------------------------------------- isolation


def test_one_bad_cell_in_a_long_csv_refuses_only_its_own_council(tmp_path, catalogue):
    path = write_long(tmp_path / "region.csv",
                      long_rows("Ashford") + long_rows("Bexley", bad_cell=4)
                      + long_rows("Carrow"))
    reviews, problems = read_review_file(path, catalogue)
    assert sorted(r.council for r in reviews) == ["Ashford", "Carrow"]
    [problem] = errors(problems)
    # Header row 1, then Ashford's 3 cases x 13 rows (rows 2-40): Bexley's fifth is row 45.
    assert problem.kind == "unknown-label" and problem.row == 45
    assert "'Very good' is not a rating" in str(problem)


def test_a_row_with_no_council_refuses_the_whole_file(tmp_path, catalogue):
    rows = long_rows("Ashford") + long_rows("Bexley")
    rows[3][0] = ""  # cannot tell which review the row belongs to
    reviews, problems = read_review_file(write_long(tmp_path / "region.csv", rows), catalogue)
    assert reviews == []
    assert any(p.kind == "missing-review-details" for p in errors(problems))


def test_two_files_for_one_review_publish_neither(tmp_path, catalogue):
    write_wide_csv(tmp_path / "a.csv", good_rows(), council="Ashford")
    write_wide_csv(tmp_path / "b.csv", good_rows(), council="ashford")  # same review
    write_wide_csv(tmp_path / "c.csv", good_rows(), council="Carrow")
    results = read_programme_files([tmp_path], catalogue)
    kept = {r.council for result in results for r in result.reviews}
    assert kept == {"Carrow"}
    messages = [str(p) for result in results for p in result.problems]
    assert any("a.csv" in m and "is also in" in m and "b.csv" in m for m in messages)
    assert any("b.csv" in m and "is also in" in m and "a.csv" in m for m in messages)


# --------------------------------------------------------------------------- names


def _council_with_region(folder: Path, council: str, region: str, file: str,
                         cycle: str = "2024") -> Path:
    path = write_small_council(folder, "Tmp", [["G", "RI", "G", "G"], ["O", "G", "G", "O"]] * 3,
                               cycle=cycle)
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = ["Region," + lines[0]] + [f"{region}," + line.replace("Tmp,", f"{council},", 1)
                                     for line in lines[1:]]
    path.unlink()
    target = folder / file
    target.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return target


@pytest.mark.slow
def test_region_spellings_that_share_a_folder_are_one_region_with_a_warning(tmp_path):
    questions = tmp_path / "questions.csv"
    questions.write_text(SMALL_QUESTIONS)
    data = tmp_path / "data"
    data.mkdir()
    for council, region in (("Wigan", "North West"), ("Bolton", "North-West"),
                            ("Bury", "NORTH WEST"), ("Oldham", "North West"),
                            ("Leeds", "Yorkshire")):
        _council_with_region(data, council, region, f"{council.lower()}.csv")
    results = read_programme_files([data], load_catalogue(questions))
    warnings = {r.display_name: [str(p) for p in r.problems if p.kind == "region-spelling"]
                for r in results}
    assert warnings["data/bolton.csv"] and warnings["data/bury.csv"]
    assert "'North-West' is taken as 'North West'" in warnings["data/bolton.csv"][0]
    assert "data/bolton.csv" in warnings["data/bolton.csv"][0]  # located
    assert not warnings["data/wigan.csv"] and not warnings["data/leeds.csv"]
    # Two councils' own reports (one respelt region, and the other region): the regional
    # reports, of every council of each region, are made all the same.
    summary = run_batch(data=data, questions=questions, reports_dir=tmp_path / "reports",
                        figures_dir=tmp_path / "figures", jobs=1, councils=["Bolton", "Leeds"])
    assert not summary.failed, summary.invalid_files
    assert sum("is taken as 'North West'" in m for m in summary.messages) == 2
    regions = tmp_path / "reports" / "2024" / "regions"
    assert sorted(p.name for p in regions.iterdir()) == ["north-west", "yorkshire"]
    html = (regions / "north-west" / "cross-council.html").read_text(encoding="utf-8")
    assert all(council in html for council in ("Wigan", "Bolton", "Bury", "Oldham"))
    regional = [o for o in summary.outcomes if "North" in o.job.label]
    assert len(regional) == 1  # one report, not three into one folder


def test_a_name_in_two_unicode_forms_is_one_council(tmp_path, catalogue):
    composed, decomposed = "S\u00e9aham", "Se\u0301aham"
    write_wide_csv(tmp_path / "seaham.csv", good_rows(), council=composed)
    write_wide_csv(tmp_path / "seaham-copy.csv", good_rows(judgement="RI"),
                   council=decomposed)
    write_wide_csv(tmp_path / "carrow.csv", good_rows(), council="Carrow")
    results = read_programme_files([tmp_path], catalogue)
    kept = sorted(r.council for result in results for r in result.reviews)
    assert kept == ["Carrow"]  # never published twice under one name
    duplicates = [str(p) for result in results for p in result.problems
                  if p.kind == "duplicate-review"]
    assert len(duplicates) == 2 and all(composed in m for m in duplicates)


@pytest.mark.parametrize(("council", "said"), [
    ("Dudl\u0435y", "mixes Latin letters with Cyrillic ones: '\u0435' (U+0435 CYRILLIC SMALL "
                    "LETTER IE) at character 5"),
    ("Dud\u202eley", "U+202E RIGHT-TO-LEFT OVERRIDE at character 4"),
    ("Wig\u200ban", "U+200B ZERO WIDTH SPACE at character 4"),
    ("\u0421\u043e\u0440\u0440\u043e", "looks the same as 'Coppo' ("),
])
def test_look_alike_and_hidden_characters_in_a_name_are_refused_with_where(
        tmp_path, catalogue, council, said):
    write_wide_csv(tmp_path / "odd.csv", good_rows(), council=council)
    write_wide_csv(tmp_path / "coppo.csv", good_rows(), council="Coppo")
    write_wide_csv(tmp_path / "dudley.csv", good_rows(), council="Dudley", cycle="2019")
    results = read_programme_files([tmp_path], catalogue)
    by_file = {Path(r.display_name).name: r for r in results}
    odd = by_file["odd.csv"]
    assert odd.reviews == [] and not odd.ok
    [problem] = errors(odd.problems)
    assert said in str(problem) and str(problem).startswith(odd.display_name)
    assert "coppo.csv" in str(problem) or "Coppo" not in said
    assert by_file["coppo.csv"].ok and by_file["coppo.csv"].reviews
    assert by_file["dudley.csv"].ok and by_file["dudley.csv"].reviews


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_name_is_judged_without_error_and_hidden_characters_always_flagged(name):
    import unicodedata

    from review_lib.data.loading import name_problems

    problems = name_problems(name)
    hidden = [ch for ch in name if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cn")]
    assert bool(hidden) <= bool(problems)
    for message, expected in problems:
        assert repr(name) in message and expected  # says which name, and what to do


@pytest.mark.slow
def test_a_mistyped_cycle_is_warned_of_by_validate_and_run(tmp_path, capsys):
    from review_lib.batch.run import _print_summary
    from review_lib.cli import main

    questions = tmp_path / "questions.csv"
    questions.write_text(SMALL_QUESTIONS)
    data = tmp_path / "data"
    data.mkdir()
    ratings = [["G", "RI", "G", "G"], ["O", "G", "G", "O"]] * 3
    for council in ("Wigan", "Bolton", "Bury"):
        write_small_council(data, council, ratings, cycle="2022-24")
    write_small_council(data, "Oldham", ratings, cycle="2023-24")  # meant 2022-24
    assert main(["validate", str(data), "--questions", str(questions)]) == 0
    out = capsys.readouterr().out
    warning = next(line for line in out.splitlines() if "thin" in line or "latest cycle" in line)
    assert "oldham.csv" in warning and "2023-24" in warning and "3 in 2022-24" in warning
    summary = run_batch(data=data, questions=questions, reports_dir=tmp_path / "reports",
                        figures_dir=tmp_path / "figures", jobs=1, councils=["Oldham"])
    _print_summary(summary, tmp_path / "reports")
    out = capsys.readouterr().out
    note = next(line for line in out.splitlines() if line.startswith("NOTE"))
    assert "oldham.csv: the latest cycle, 2023-24, holds only 1 review beside 3 in 2022-24" \
        in note and "--cycle 2022-24" in note


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=6))
def test_distinct_names_never_share_a_folder_unnoticed(names):
    class Review:  # what slug_collisions reads
        def __init__(self, council):
            self.council, self.cycle = council, "2024"

    reviews = [Review(name) for name in names]
    clashes = slug_collisions(reviews)
    folders = {}
    for name in set(names):
        folder = slug(name)
        assert (re.fullmatch(r"[\w-]+", folder) and folder == folder.lower()) or \
            not folder.isascii()
        assert 0 < len(folder) <= SLUG_LENGTH and ".." not in folder and "/" not in folder
        folders.setdefault(folder, set()).add(name)
    shared = {("2024", folder): sorted(found) for folder, found in folders.items()
              if len(found) > 1}
    assert clashes == shared


@pytest.mark.slow
def test_dollar_signs_in_names_and_labels_are_drawn_as_text(tmp_path):
    questions = tmp_path / "questions.csv"
    questions.write_text("id,short_label,question\nA1,Cost $5 to $10,Money?\n"
                         "A2,Risk,Risk?\nA3,Oversight,Oversight?\n")
    data = tmp_path / "data"
    data.mkdir()
    for council in ("$Ash$ Vale", "Bee \\frac{1}{0}", "Carrow $"):
        write_small_council(data, council, [["G", "RI", "G", "G"], ["O", "G", "G", "O"]] * 3)
    summary = run_batch(data=data, questions=questions, reports_dir=tmp_path / "reports",
                        figures_dir=tmp_path / "figures", jobs=1)
    assert not summary.failed, [o.message for o in summary.outcomes if not o.ok]
    assert len([o for o in summary.outcomes if not o.skipped]) == 7  # 3 x 2 + cross-council


# --------------------------------------------------------------------------- workbooks


def test_a_hidden_ratings_sheet_is_refused_naming_the_sheets(tmp_path, catalogue):
    path = write_review_workbook(tmp_path / "dudley.xlsx", catalogue, council="Dudley",
                                 cycle="2022-24", rows=[r[:] for r in good_rows()])
    book = openpyxl.load_workbook(path)
    book["Ratings"].sheet_state = "hidden"
    current = book.copy_worksheet(book["Ratings"])
    current.title = "Ratings (current)"
    book.save(path)
    reviews, problems = read_review_file(path, catalogue)
    assert reviews == []
    [problem] = errors(problems)
    assert problem.kind == "hidden-ratings-sheet"
    assert "'Ratings' sheet is hidden" in str(problem)
    assert "'Ratings (current)'" in str(problem)


def test_another_hidden_sheet_is_reported_but_not_read(tmp_path, catalogue):
    path = write_review_workbook(tmp_path / "dudley.xlsx", catalogue, council="Dudley",
                                 cycle="2022-24", rows=[r[:] for r in good_rows()])
    book = openpyxl.load_workbook(path)
    old = book.copy_worksheet(book["Ratings"])
    old.title = "Old ratings"
    old.sheet_state = "veryHidden"
    book.save(path)
    reviews, problems = read_review_file(path, catalogue)
    assert len(reviews) == 1 and errors(problems) == []
    assert [p.kind for p in problems] == ["hidden-sheet"]
    assert "Old ratings" in str(problems[0]) and "never read" in str(problems[0])


def test_a_formula_in_the_review_sheet_is_an_error(tmp_path, catalogue):
    path = write_review_workbook(tmp_path / "dudley.xlsx", catalogue, council="Dudley",
                                 cycle="2022-24", rows=[r[:] for r in good_rows()])
    book = openpyxl.load_workbook(path)
    book["Review"]["B2"] = '=HYPERLINK("http://example.org","Dudley")'
    book.save(path)
    reviews, problems = read_review_file(path, catalogue)
    assert reviews == []
    formula = [p for p in errors(problems) if p.kind == "formula"]
    assert formula and formula[0].sheet == "Review" and formula[0].cell == "B2"


def test_the_template_writes_formula_like_labels_as_text(tmp_path):
    questions = tmp_path / "questions.csv"
    questions.write_text('id,short_label,question\nQ1,"=HYPERLINK(""http://x"",""y"")",Voice?\n'
                         "Q2,+1 risk,Risk?\nQ3,@oversight,Oversight?\n")
    path = write_review_workbook(tmp_path / "t.xlsx", load_catalogue(questions))
    book = openpyxl.load_workbook(path)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith(("=", "+", "@"))]
    assert cells, "the labels were written"
    assert all(c.data_type == "s" for c in cells)
    # And the suite reads its own template back without calling those cells formulas.
    _, problems = read_review_file(path, load_catalogue(questions))
    assert not [p for p in problems if p.kind == "formula"]


def _truncated(path: Path) -> Path:
    data = path.read_bytes()
    broken = path.with_name("cut-short.xlsx")
    broken.write_bytes(data[: len(data) * 2 // 3])
    return broken


def _damaged_member(path: Path) -> Path:
    broken = path.with_name("damaged.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith("sheet2.xml"):
                data = data[: len(data) // 2]  # XML cut off mid-element
            target.writestr(info, data)
    return broken


@pytest.mark.parametrize("damage", [_truncated, _damaged_member])
def test_a_damaged_workbook_gets_a_message_naming_it(tmp_path, catalogue, damage):
    path = write_review_workbook(tmp_path / "dudley.xlsx", catalogue, council="Dudley",
                                 cycle="2022-24", rows=[r[:] for r in good_rows()])
    broken = damage(path)
    reviews, problems = read_review_file(broken, catalogue, display_name=broken.name)
    assert reviews == []
    [problem] = errors(problems)
    assert problem.kind == "unreadable-file" and problem.file == broken.name
    assert "cannot be" in problem.message


def test_a_declared_dimension_of_a_million_rows_is_not_trusted(tmp_path, catalogue):
    path = write_review_workbook(tmp_path / "dudley.xlsx", catalogue, council="Dudley",
                                 cycle="2022-24", rows=[r[:] for r in good_rows()])
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bomb, "w",
                                                          zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"',
                              data)
            target.writestr(info.filename, data)
    assert bomb.stat().st_size < 60_000
    started = time.process_time()  # CPU time: a busy machine does not change it
    reviews, problems = read_review_file(bomb, catalogue)
    assert time.process_time() - started < 10
    assert len(reviews) == 1 and errors(problems) == []
    # validate of the file, in a process of its own: seconds, and a few hundred MB at most.
    # Peak memory from /proc (VmHWM, this process only): ru_maxrss would count the copy of
    # the (large) test process that the child was forked from before exec.
    probe = ("import sys; from review_lib.cli import main; code = main(['validate', "
             f"{str(bomb)!r}]); status = open('/proc/self/status').read(); "
             "print(int(status.split('VmHWM:')[1].split()[0])); sys.exit(code)")
    started = _children_cpu_seconds()
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _children_cpu_seconds() - started < 20
    peak_mb = int(done.stdout.strip().splitlines()[-1]) / 1024  # VmHWM is in kB
    assert peak_mb < 400, peak_mb


def test_a_file_over_the_size_limit_is_refused_with_what_to_do(tmp_path, catalogue,
                                                               monkeypatch):
    monkeypatch.setenv("PRACTICE_REVIEW_MAX_FILE_MB", "1")
    path = write_wide_csv(tmp_path / "huge.csv", good_rows(n_cases=15000))
    assert path.stat().st_size > 2 ** 20
    started = time.process_time()
    _reviews, problems = read_review_file(path, catalogue)
    assert time.process_time() - started < 2
    [problem] = errors(problems)
    assert problem.kind == "too-large" and "PRACTICE_REVIEW_MAX_FILE_MB" in problem.expected


def test_a_review_with_too_many_cases_is_refused(tmp_path, catalogue, monkeypatch):
    monkeypatch.setenv("PRACTICE_REVIEW_MAX_CASES", "10")
    wide = write_wide_csv(tmp_path / "wide.csv", good_rows(n_cases=20))
    reviews, problems = read_review_file(wide, catalogue)
    assert reviews == [] and errors(problems)[0].kind == "too-large"
    assert "PRACTICE_REVIEW_MAX_CASES" in errors(problems)[0].expected
    long = write_long(tmp_path / "long.csv", long_rows("Ashford", cases=12)
                      + long_rows("Bexley", cases=3))
    reviews, problems = read_review_file(long, catalogue)
    assert [r.council for r in reviews] == ["Bexley"]  # only the oversized review refused
    assert "Ashford 2022-24 has 12 case records" in str(errors(problems)[0])


# --------------------------------------------------------------------------- personal data


def test_case_identifiers_in_a_narrative_become_pseudonyms(tmp_path, catalogue):
    rows = good_rows()
    rows[4][0] = "DY-123456"
    path = write_wide_csv(tmp_path / "dudley.csv", rows, council="Dudley")
    path.with_suffix(".md").write_text(
        "Case DY-123456 showed good practice; dy-123456 again; DY-1234567 is another "
        "number.\n")
    [review], _ = read_review_file(path, catalogue)
    text = review_team_narrative(review)
    pseudonym = review.case_pseudonyms()["DY-123456"]
    assert "DY-123456 " not in text and "dy-123456" not in text
    assert f"Case {pseudonym} showed good practice; {pseudonym} again" in text
    assert "DY-1234567" in text  # a longer number is not an identifier


def test_a_killed_runs_temporary_folder_is_swept_and_nothing_else(tmp_path):
    dead = make_scratch_folder()
    (dead / "inputs.pickle").write_bytes(b"raw case ids")
    # A process id that is certainly finished: a child that has exited.
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    (dead / SCRATCH_OWNER).write_text(child.stdout)
    alive = make_scratch_folder()  # this process: a run in progress
    unmarked = Path(str(dead) + "-not-ours")
    unmarked.mkdir()
    try:
        removed = sweep_scratch_folders()
        assert dead in removed and not dead.exists()
        assert alive.exists() and unmarked.exists()
    finally:
        for folder in (alive, unmarked):
            for item in folder.iterdir():
                item.unlink()
            folder.rmdir()


def _leaky_notes_programme(root: Path) -> tuple[Path, Path]:
    """Two councils; Wigan's notes name cases in every form people type them."""
    data, questions = small_data_folder(root, ("Wigan", "Bolton"))
    # Case ids: SECRET-WIG-0001 ... (Wigan), SECRET-BOL-0001 ... (Bolton).
    (data / "wigan.md").write_text(
        "---\ntheme: SECRET-WIG-0001 and hospital discharge\nstatus: final\n---\n\n"
        "# Introduction\n\nThe record *SECRET-WIG-0002* and _SECRET-WIG-0003_ were read.\n\n"
        "# Observations\n\nIn SECRET WIG 0004, secret\u2011wig\u20110005 and "
        "**SECRET-WIG\\-0006** the voice was heard. Bolton's SECRET-BOL-0001 was "
        "mentioned. NHS numbers 476 614 3558 and 458-228-4205 and 4766143558 were seen.\n\n"
        "# Recommendations\n\n- Review SECRET-WIG-0001 with its manager. [A1]\n",
        encoding="utf-8")
    return data, questions


LEAKED = re.compile(r"SECRET[\W_]{0,3}(?:WIG|BOL)|476.?614.?3558|458.?228.?4205|4766143558",
                    re.IGNORECASE)


@pytest.fixture(scope="module")
def leaky_run(tmp_path_factory):
    """One run (HTML and Word) of two councils whose notes name cases in every form,
    keeping the private scratch folder a run killed outright would leave, as it was at the
    end: the summary, the root and that folder."""
    import shutil
    from unittest import mock

    from review_lib.batch import run as batch_run

    tmp_path = tmp_path_factory.mktemp("leaky")
    data, questions = _leaky_notes_programme(tmp_path)
    kept = []

    def kept_scratch():  # the folder a killed run would leave, as it was at the end
        folder = make_scratch_folder()
        kept.append(folder)
        return folder

    try:
        with mock.patch.object(batch_run, "make_scratch_folder", kept_scratch), \
                mock.patch.object(batch_run.shutil, "rmtree", lambda *args, **kwargs: None):
            summary = run_batch(data=data, questions=questions,
                                reports_dir=tmp_path / "reports",
                                figures_dir=tmp_path / "figures", jobs=1, docx=True)
        yield summary, tmp_path, kept
    finally:
        for folder in kept:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_case_identifiers_in_notes_in_any_form_never_reach_an_output(leaky_run):
    summary, tmp_path, _ = leaky_run
    assert not summary.failed, summary.invalid_files
    wigan = tmp_path / "reports" / "2024" / "wigan"
    html = (wigan / "leadership.html").read_text(encoding="utf-8")
    assert "Case 01 and hospital discharge" in html  # the theme
    assert "Case 02" in html and "Case 06" in html and "another review" in html
    assert "[number removed]" in html
    import zipfile

    outputs = [p for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    assert {"leadership.html", "leadership.ipynb", "leadership.docx", "metrics.json"} <= {
        p.name for p in outputs}
    for path in outputs:
        if path.suffix == ".docx":
            with zipfile.ZipFile(path) as package:
                text = " ".join(package.read(n).decode("utf-8", "replace")
                                for n in package.namelist() if n.endswith(".xml"))
        else:
            text = path.read_bytes().decode("utf-8", "replace")
        text = text.replace("\\u2011", "\u2011")  # as JSON writes it
        assert not LEAKED.search(text), (path.name, LEAKED.search(text))


@pytest.mark.slow
def test_a_killed_run_leaves_no_raw_case_identifier_on_disk(leaky_run):
    """A run holds its read of the data (raw case identifiers) in memory only; its private
    scratch folder, which a run killed outright (SIGKILL) leaves for the next run to sweep,
    holds only pseudonymised analyses (here of reviews whose notes name cases too)."""
    summary, _, kept = leaky_run
    assert not summary.failed, summary.invalid_files
    [scratch] = kept
    assert scratch.stat().st_mode & 0o777 == 0o700
    left = {path.name: path.read_bytes() for path in scratch.rglob("*") if path.is_file()}
    assert "analyses.pickle" in left and "prepared.pickle" not in left
    for name, content in left.items():
        assert b"SECRET-" not in content, name
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    (scratch / SCRATCH_OWNER).write_text(child.stdout)  # as if killed
    assert scratch in sweep_scratch_folders() and not scratch.exists()


# --------------------------------------------------------------------------- a whole run


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory, catalogue):
    """One run of the command line over a folder holding a file of every hostile kind
    beside valid councils (some with hostile names or notes): the exit status, what it
    printed, and its reports folder. The tests below each check their own files in it."""
    tmp_path = tmp_path_factory.mktemp("mixed")
    data = tmp_path / "data"
    data.mkdir()
    for council in ("Ashford", "Bolton", "Carrow"):
        write_wide_csv(data / f"{council.lower()}.csv", good_rows(), council=council)
    write_long(data / "region-long.csv", long_rows("Denholm", cases=20)
               + long_rows("Easterby", cases=20, bad_cell=7))
    write_wide_csv(data / "ashford-copy.csv", good_rows(), council="Farleigh")
    write_wide_csv(data / "farleigh.csv", good_rows(), council="Farleigh")
    (data / "not-a-workbook.xlsx").write_text("Case,Auditor\nC1,PSW A\n")
    path = write_review_workbook(data / "hidden.xlsx", catalogue, council="Gorton",
                                 cycle="2022-24", rows=[r[:] for r in good_rows()])
    book = openpyxl.load_workbook(path)
    book["Ratings"].sheet_state = "hidden"
    book.save(path)
    write_wide_csv(data / "st-helens.csv", good_rows(), council="St Helens")
    write_wide_csv(data / "st.-helens.csv", good_rows(), council="St. Helens")
    # Valid councils whose names or notes are hostile: rendered all the same.
    write_wide_csv(data / "dollar.csv", good_rows(), council="$Dollar$ Vale")
    long_name = "Royal Borough of " + "Very " * 56 + "Long"
    write_wide_csv(data / "long-name.csv", good_rows(), council=long_name)
    (data / "ashford.md").write_text(HOSTILE_NOTES)
    # Files that are refused, each with its message.
    formula = write_review_workbook(data / "formula.xlsx", catalogue, council="Hexham",
                                    cycle="2022-24", rows=[r[:] for r in good_rows()])
    book = openpyxl.load_workbook(formula)
    book["Review"]["B2"] = '=CONCAT("Hex","ham")'
    book.save(formula)
    _truncated(write_review_workbook(tmp_path / "ok.xlsx", catalogue, council="Ilkley",
                                     cycle="2022-24", rows=[r[:] for r in good_rows()])
               ).rename(data / "cut-short.xlsx")
    # Paths that are skipped with a warning.
    (data / "elsewhere.csv").symlink_to(write_wide_csv(tmp_path / "secret.csv", good_rows(),
                                                       council="Secret"))
    os.mkfifo(data / "pipe.csv")
    reports = tmp_path / "reports"
    # The command line, in this process (its workers already prepared by earlier runs).
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        code = main(["run", "--data", str(data), "--out", str(reports), "--figures",
                     str(tmp_path / "figures"), "--jobs", "2"])
    return code, printed.getvalue(), reports


def _refusals(output: str) -> dict[str, list[str]]:
    """The run's summary of each refused file: file name -> its error lines."""
    found: dict[str, list[str]] = {}
    lines = output.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("INVALID "):
            name = Path(line[len("INVALID "):].split(": no reports;")[0]).name
            found[name] = [e.strip() for e in itertools.takewhile(
                lambda e: e.startswith("    "), lines[number + 1:])]
    return found


@pytest.mark.slow
def test_a_folder_mixing_every_kind_still_renders_the_valid_councils(mixed_run):
    code, output, reports = mixed_run
    assert code == 1, output
    assert "Traceback" not in output and "internal error" not in output
    made = {p.parent.name for p in (reports / "2022-24").glob("*/leadership.html")}
    long_name = "Royal Borough of " + "Very " * 56 + "Long"
    assert made == {"ashford", "bolton", "carrow", "denholm", "dollar-vale", slug(long_name)}
    for name in ("region-long.csv", "ashford-copy.csv", "farleigh.csv", "not-a-workbook.xlsx",
                 "hidden.xlsx", "st-helens.csv", "st.-helens.csv", "formula.xlsx",
                 "cut-short.xlsx"):
        assert name in output, name
    assert "Secret" not in output
    assert (reports / "2022-24" / "cross-council.html").exists()
    ashford = (reports / "2022-24" / "ashford" / "leadership.html").read_text()
    assert "committed" in ashford and "example.org" not in ashford


@pytest.mark.slow
def test_names_that_make_one_folder_are_refused_naming_both(mixed_run):
    _, output, reports = mixed_run
    refused = _refusals(output)
    for name in ("st-helens.csv", "st.-helens.csv"):
        [error] = [e for e in refused[name] if "'St Helens' and 'St. Helens'" in e]
        assert "'st-helens'" in error and "neither is rendered" in error, error
    assert not (reports / "2022-24" / "st-helens").exists()


@pytest.mark.slow
def test_a_300_character_name_gets_a_short_folder_and_stays_whole_in_the_report(mixed_run):
    _, output, reports = mixed_run
    long_name = "Royal Borough of " + "Very " * 56 + "Long"
    assert len(long_name) > 290
    assert "long-name.csv" not in _refusals(output)
    folder = reports / "2022-24" / slug(long_name)
    assert len(folder.name) <= SLUG_LENGTH
    html = (folder / "leadership.html").read_text(encoding="utf-8")
    assert long_name in html


@pytest.mark.slow
def test_a_hostile_narrative_never_stops_its_report(mixed_run):
    _, output, reports = mixed_run
    assert "ashford.csv" not in _refusals(output)
    html = (reports / "2022-24" / "ashford" / "leadership.html").read_text()
    assert "3. Themes from the meetings" in html and "committed" in html
    assert "example.org" not in html and "javascript:" not in html


HOSTILE_NARRATIVE = """# Themes
Practitioners were <b>committed</b>.<script>fetch('https://x')</script>
![Chart](https://example.org/chart.png "c") and ![kept](data:image/png;base64,iVBORw0KGgo=)
See [policy](http://intranet.example/p) and [below](#next).
<img src=x onerror=alert(1)> [![nested](https://a.example/b.png)](https://c.example)
<a href="javascript:alert(1)">click</a> <iframe src="https://e.example"></iframe>
Read [the guide][g].

[g]: https://example.org/guide
<svg><a href="https://x.example">s</a></svg><p onclick="x()">para</p>
"""


#: The same, as a review team's notes file (docs/notes.md) beside a data file.
HOSTILE_NOTES = ("---\nstatus: final\n---\n\n# Themes from the meetings\n\n"
                 + HOSTILE_NARRATIVE.split("\n", 1)[1])


def test_a_hostile_narrative_is_parsed_and_sanitised_not_refused():
    from review_lib.data.narrative import narrative_html

    html = narrative_html(HOSTILE_NARRATIVE)
    for gone in ("<script", "https:", "http:", "javascript", "onerror", "onclick", "<iframe",
                 "<svg", "//"):
        assert gone not in html, gone
    assert '<a href="#next">below</a>' in html
    assert '<img src="data:image/png;base64,iVBORw0KGgo=" alt="kept">' in html
    for text in ("committed", "Chart", "policy", "nested", "click", "the guide", "para"):
        assert text in html


def test_validate_warns_about_the_narrative_with_file_and_line(tmp_path, catalogue):
    path = write_wide_csv(tmp_path / "dudley.csv", good_rows(), council="Dudley")
    path.with_suffix(".md").write_text(HOSTILE_NARRATIVE)
    reviews, problems = read_review_file(path, catalogue, display_name="dudley.csv")
    assert len(reviews) == 1 and errors(problems) == []  # warnings only
    warned = {(p.file, p.row) for p in problems if p.kind == "narrative-content"}
    assert {("dudley.md", 2), ("dudley.md", 3), ("dudley.md", 4), ("dudley.md", 5),
            ("dudley.md", 6), ("dudley.md", 9), ("dudley.md", 10)} <= warned
    assert ("dudley.md", 1) not in warned


def test_links_loops_and_pipes_are_skipped_with_a_warning(tmp_path, catalogue):
    data = tmp_path / "data"
    data.mkdir()
    write_wide_csv(data / "ashford.csv", good_rows(), council="Ashford")
    outside = write_wide_csv(tmp_path / "elsewhere.csv", good_rows(), council="Secret")
    (data / "linked.csv").symlink_to(outside)  # leads out of the data folder
    (data / "inner.csv").symlink_to(data / "ashford.csv")  # stays inside: read
    (data / "loop").symlink_to(data, target_is_directory=True)  # a link loop
    os.mkfifo(data / "pipe.csv")  # opening it would block for ever
    started = time.process_time()
    results = read_programme_files([data], catalogue)
    assert time.process_time() - started < 10
    councils = [r.council for result in results for r in result.reviews]
    assert "Secret" not in councils
    warnings = {p.file: p.message for result in results for p in result.problems
                if p.kind == "skipped-path"}
    assert "outside the data folder" in warnings["data/linked.csv"]
    assert "links to folders are not followed" in warnings["data/loop"]
    assert "not a regular file" in warnings["data/pipe.csv"]
    assert all(not p.is_error for result in results for p in result.problems
               if p.kind == "skipped-path")
    # inner.csv (a link inside the folder) is read: it duplicates ashford.csv.
    assert any(p.kind == "duplicate-review" for result in results for p in result.problems)


def test_an_unreadable_folder_is_skipped_with_a_warning(tmp_path, catalogue, monkeypatch):
    data = tmp_path / "data"
    (data / "locked").mkdir(parents=True)
    write_wide_csv(data / "ashford.csv", good_rows(), council="Ashford")
    # Permissions do not stop root (CI runs as root), so the refusal is made by hand: the
    # operating system's answer to listing a folder one may not read.
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    results = read_programme_files([data], catalogue)
    assert any("cannot be read" in p.message for r in results for p in r.problems)
    assert [r.council for result in results for r in result.reviews] == ["Ashford"]


# --------------------------------------------------------------------------- clearer messages


def test_merged_cells_are_named_as_merged_not_blank(tmp_path, catalogue):
    path = write_review_workbook(tmp_path / "dudley.xlsx", catalogue, council="Dudley",
                                 cycle="2022-24", rows=[r[:] for r in good_rows()])
    book = openpyxl.load_workbook(path)
    book["Ratings"].merge_cells("B2:B4")  # one auditor written once for three cases
    book.save(path)
    _, problems = read_review_file(path, catalogue)
    blanks = [p for p in errors(problems) if p.cell in ("B3", "B4")]
    assert blanks and all("merged cells B2:B4" in str(p) for p in blanks)
    assert all("unmerge the cells and fill in each one" in p.expected for p in blanks)


def test_a_header_further_down_is_pointed_to(tmp_path, catalogue):
    path = write_review_workbook(tmp_path / "dudley.xlsx", catalogue, council="Dudley",
                                 cycle="2022-24", rows=[r[:] for r in good_rows()])
    book = openpyxl.load_workbook(path)
    book["Ratings"].insert_rows(1, amount=3)
    book["Ratings"]["A1"] = "Dudley case file audit, November 2023"
    book.save(path)
    _, problems = read_review_file(path, catalogue)
    missing = [p for p in errors(problems) if p.kind == "missing-column"]
    assert missing
    assert "row 4 looks like the header" in str(missing[0])
    assert "delete the rows above it" in str(missing[0])


def test_utf16_without_a_byte_order_mark_is_read_with_a_warning(tmp_path, catalogue):
    source = write_wide_csv(tmp_path / "utf8.csv", good_rows(), council="Dudley")
    path = tmp_path / "dudley.csv"
    path.write_bytes(source.read_text(encoding="utf-8").encode("utf-16-le"))
    reviews, problems = read_review_file(path, catalogue)
    assert len(reviews) == 1 and reviews[0].n_cases == 20
    assert any("UTF-16 text without a byte-order mark" in p.message for p in problems)


def test_an_ods_file_is_told_how_to_resave(tmp_path, catalogue):
    path = tmp_path / "dudley.ods"
    path.write_bytes(b"PK\x03\x04 not really")
    _, problems = read_review_file(path, catalogue)
    [problem] = errors(problems)
    assert problem.kind == "unsupported-format" and "LibreOffice" in problem.expected


def test_an_unforeseen_failure_reading_one_file_fails_only_that_file(tmp_path, catalogue,
                                                                      monkeypatch):
    import review_lib.data.loading as loading

    for council in ("Ashford", "Bolton"):
        write_wide_csv(tmp_path / f"{council.lower()}.csv", good_rows(), council=council)
    real = loading.read_review_file

    def fragile(path, *args, **kwargs):
        if Path(path).name == "bolton.csv":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(loading, "read_review_file", fragile)
    results = read_programme_files([tmp_path], catalogue)
    assert [r.council for result in results for r in result.reviews] == ["Ashford"]
    [problem] = [p for result in results for p in result.problems]
    assert problem.file.endswith("bolton.csv") and "RecursionError" in problem.message


# --------------------------------------------------------------------------- label parsing

_SPELLINGS = {"Outstanding": ["Outstanding", "O"], "Good": ["Good", "G"],
              "Requires Improvement": ["Requires Improvement", "RI", "Req. Improvement"],
              "Inadequate": ["Inadequate", "I"]}


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(allow_nan=True),
                 st.none(), st.binary(max_size=20)))
def test_any_value_parses_to_a_level_or_to_nothing_never_an_exception(value):
    from review_lib.data.scale import LEVELS, NOT_APPLICABLE, parse_label

    result = parse_label(value)
    assert result is None or result in LEVELS or result is NOT_APPLICABLE


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([(level, spelling) for level, spellings in _SPELLINGS.items()
                        for spelling in spellings]),
       st.lists(st.sampled_from([str.upper, str.lower, str.title, str.strip]), max_size=3),
       st.text(alphabet=" \t", max_size=3), st.text(alphabet=" \t", max_size=3))
def test_known_labels_parse_whatever_their_case_and_surrounding_spaces(pair, changes, before,
                                                                        after):
    from review_lib.data.scale import parse_label

    level, spelling = pair
    for change in changes:
        spelling = change(spelling)
    assert parse_label(f"{before}{spelling}{after}") == level


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_a_rating_cell_never_gives_a_traceback_only_a_located_problem(tmp_path_factory, text):
    from review_lib.data.scale import parse_label

    folder = tmp_path_factory.mktemp("label")
    rows = good_rows()
    rows[2][5] = text.replace("\x00", "")
    path = write_wide_csv(folder / "dudley.csv", rows, council="Dudley")
    reviews, problems = read_review_file(path, load_catalogue())
    # Whatever the cell holds: no exception; an unreadable rating refuses the review with
    # an error, and a readable one leaves it valid.
    if parse_label(rows[2][5]) is None:
        assert reviews == [] and errors(problems)
    else:
        assert len(reviews) == 1 and not errors(problems)



def test_workbook_xml_is_parsed_through_defusedxml():
    # openpyxl parses workbook XML with defusedxml when it is installed, which refuses the
    # entity expansion of a "billion laughs" file; the suite declares it.
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


# --------------------------------------------------------------------------- notes and Word files

#: A review team's notes with every section, for the small councils (questions A1-A3).
SMALL_NOTES = """---
status: final
---

# Introduction

The review took place in spring.

# Themes from the meetings

Practitioners felt supported.

# Analysis of the case records

Records were clear.

# Observations

Practice was good.

# Key strengths

- Good support for carers

# Recommendations

- Look at oversight. [A3]

# Review team

- Principal Social Worker, a neighbouring council
"""


@pytest.mark.slow
def test_notes_with_errors_are_rendered_as_drafts_that_list_them(tmp_path, capsys):
    data, questions = small_data_folder(tmp_path, ("Alpha", "Beta", "Gamma", "Delta"))
    # Alpha: a misspelt heading, an unknown tag and an unclosed front matter would each
    # have dropped its notes; Beta: a text file named .docx; Gamma: draft, then final.
    (data / "alpha.md").write_text(SMALL_NOTES.replace("# Key strengths", "# Key strength")
                                   .replace("[A3]", "[A13]"))
    (data / "beta.docx").write_text(SMALL_NOTES)
    (data / "gamma.md").write_text(SMALL_NOTES.replace("status: final",
                                                       "status: draft\nstatus: final"))
    (data / "delta.md").write_text(SMALL_NOTES)
    reports = tmp_path / "reports"
    # The command line, in this process (its workers already prepared by earlier runs).
    code = main(["run", "--data", str(data), "--questions", str(questions), "--out",
                 str(reports), "--figures", str(tmp_path / "figures"), "--jobs", "2"])
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert code == 1, output
    assert "Traceback" not in output and "internal error" not in output
    html = {name: unescape((reports / "2024" / name / "leadership.html").read_text())
            for name in ("alpha", "beta", "gamma", "delta")}  # every council rendered
    for name in ("alpha", "beta", "gamma"):
        assert "Draft report" in html[name] and "notes-problems" in html[name], name
        assert f"DRAFT   {name.title()} 2024" in output, output
    assert "'Key strength' is not a section of the report" in html["alpha"]
    assert "alpha.md, line 21" in html["alpha"] and "alpha.md, line 27" in html["alpha"]
    assert "Records were clear." in html["alpha"]  # read as far as it could be
    assert "beta.docx" in html["beta"] and "not a Word (.docx) document" in html["beta"]
    assert "gamma.md, line 3" in html["gamma"] and "given a second time" in html["gamma"]
    assert "Final report" in html["delta"] and "notes-problems" not in html["delta"]
    assert "DRAFT   Delta" not in output
    metrics = json.loads((reports / "2024" / "gamma" / "metrics.json").read_text())
    assert metrics["recommendations"]["status"] == "draft"


def test_pathological_lines_in_notes_are_read_in_linear_time():
    # Each of these took minutes or more with the old patterns (time tripling with each tag
    # of the first, growing with the cube of the spaces of the second, the square of the
    # others); read in a process of its own, they must finish within 60 s of CPU time (a
    # limit the kernel enforces on CPU used, so a busy machine cannot make the test fail).
    probe = """if True:
        from review_lib.data.narrative import narrative_html, narrative_warnings
        from review_lib.data.notes import parse_notes
        from review_lib.report.wording.notes import _clean_markdown
        tags = '   '.join(f'Q{i % 12 + 1}' for i in range(40))
        text = ('---\\nstatus: final\\n---\\n# Recommendations\\n'
                f'- Do better [{tags}] by March 2024.\\n# Intro' + ' ' * 50_000 + 'x\\n')
        notes, problems = parse_notes(text, 'x.md', [f'Q{i}' for i in range(1, 13)])
        assert notes.recommendations[0].questions == ()
        prose = '<img ' * 40_000 + '![' * 40_000 + '[' * 40_000
        narrative_html(_clean_markdown(prose))
        import pathlib, tempfile
        path = pathlib.Path(tempfile.mkdtemp()) / 'x.md'
        path.write_text(prose)
        narrative_warnings(path, 'x.md')
        print('done')
    """
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=1800, preexec_fn=_cpu_limit(60))
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr


def test_the_tag_list_is_read_as_before():
    from review_lib.data.notes import _tags

    assert _tags("Do it. [Q11]") == ("Do it.", ("Q11",))
    assert _tags("Do it [q2, Q3]. ") == ("Do it", ("Q2", "Q3"))
    assert _tags("Do it [Q2 Q3]") == ("Do it", ("Q2", "Q3"))
    assert _tags("See [the guide] first.") == ("See [the guide] first.", ())
    assert _tags("Do better [Q1   Q2   Q3] by March 2024.") == (
        "Do better [Q1   Q2   Q3] by March 2024.", ())


@pytest.mark.parametrize("tag", ["template", "embed", "math", "svg", "style", "script",
                                 "noscript", "textarea"])
def test_a_bare_tag_in_prose_keeps_the_rest_of_its_section(tag):
    from review_lib.data.narrative import narrative_html
    from review_lib.report.wording.notes import _clean_markdown

    text = (f"Staff fill in the <{tag}> for each review.\n\nA later paragraph.\n\n"
            "- and a list\n")
    for html in (narrative_html(_clean_markdown(text)), narrative_html(text)):
        assert "for each review." in html and "A later paragraph." in html, html
        assert "and a list" in html
        if tag != "embed":  # a void element: it has no content to lose
            assert f"&lt;{tag}&gt;" in html  # shown as typed
        assert f"<{tag}" not in html


def test_closed_elements_are_still_removed_with_their_content_and_no_more():
    from review_lib.data.narrative import contain_html, narrative_html, strip_comments

    text = ("Before <script>alert(1)</script> after.\n\n<style>p {}</style>Styled.\n\n"
            "<svg><a href='https://x.example'>s</a></svg> Drawn. <svg/> <math> open\n\n"
            "End <!-- open comment\n")
    html = narrative_html(text)
    for gone in ("alert", "p {}", "x.example", "<svg", "<script", "<style"):
        assert gone not in html, gone
    for kept in ("Before", "after.", "Styled.", "Drawn.", "&lt;math&gt; open", "End",
                 "&lt;!-- open comment"):
        assert kept in html, kept
    assert contain_html("<svg><svg></svg>x") == "&lt;svg&gt;x"
    assert strip_comments("a<!--b-->c<!--d") == "ac&lt;!--d"


def _word_file(path: Path, text: str = "Notes") -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    document.save(str(path))
    return path


def test_a_word_file_that_would_unpack_too_large_is_refused_before_pandoc(tmp_path,
                                                                          monkeypatch):
    from review_lib.data.notes import read_notes

    source = _word_file(tmp_path / "real.docx")
    bomb = tmp_path / "dudley.docx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(
            bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == "word/document.xml":  # 30 MB of spaces: 30 kB packed
                data = data.replace(b"<w:body>", b"<w:body>" + b" " * (30 * 2 ** 20))
            target.writestr(info.filename, data)
    assert bomb.stat().st_size < 2 ** 20

    def never(*args, **kwargs):
        raise AssertionError("pandoc was given the file")

    monkeypatch.setattr(subprocess, "Popen", never)
    notes, problems = read_notes(bomb)
    [problem] = problems
    assert problem.kind == "too-large" and problem.file == "dudley.docx"
    assert "its part word/document.xml alone to 30 MB" in problem.message
    assert notes.is_draft and notes.problems == (problem,)


@pytest.mark.parametrize(("content", "words"), [
    (b"---\nstatus: final\n---\n# Introduction\n", "is a text file, not a Word (.docx)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "the notes file is not a Word (.docx) document"),
    (b"PK\x03\x04 cut short", "damaged or cut short"),
])
def test_a_file_named_docx_that_is_not_a_word_document_is_named_as_such(tmp_path, content,
                                                                       words):
    from review_lib.data.notes import read_notes

    path = tmp_path / "dudley.docx"
    path.write_bytes(content)
    notes, [problem] = read_notes(path)
    assert problem.kind == "notes-unreadable" and words in problem.message, str(problem)
    assert "Markdown notes are named .md" in problem.expected
    assert notes.is_draft


def _fake_pandoc(tmp_path: Path, monkeypatch, script: str) -> Path:
    import pypandoc

    pandoc = tmp_path / "pandoc"
    pandoc.write_text("#!/bin/sh\n" + script)
    pandoc.chmod(0o755)
    monkeypatch.setattr(pypandoc, "get_pandoc_path", lambda: str(pandoc))
    return pandoc


def test_a_pandoc_that_never_returns_is_stopped_with_what_to_do(tmp_path, monkeypatch):
    from review_lib.data.notes import read_notes

    pid_file = tmp_path / "child.pid"
    # pandoc starts a child of its own that would outlive it, and never returns.
    _fake_pandoc(tmp_path, monkeypatch, f"sleep 300 &\necho $! > {pid_file}\nwait\n")
    monkeypatch.setenv("PRACTICE_REVIEW_PANDOC_TIMEOUT", "1")
    notes, [problem] = read_notes(_word_file(tmp_path / "dudley.docx"))
    assert problem.kind == "notes-unreadable" and problem.file == "dudley.docx"
    assert "had not finished reading the Word file after 1 s and was stopped" in str(problem)
    assert "PRACTICE_REVIEW_PANDOC_TIMEOUT" in problem.expected and notes.is_draft
    child = int(pid_file.read_text())
    for _ in range(50):  # the child was stopped with it (give the kernel a moment)
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        if Path(f"/proc/{child}/stat").read_text().split()[2] == "Z":
            break  # stopped, waiting only to be collected by its parent (gone)
        time.sleep(0.1)
    else:
        pytest.fail("pandoc's child was left running")


def test_a_pandoc_failure_is_a_located_message_not_a_traceback(tmp_path, monkeypatch):
    from review_lib.data.notes import read_notes

    path = _word_file(tmp_path / "dudley.docx")
    _fake_pandoc(tmp_path, monkeypatch, f"echo 'cannot parse {path.resolve()}' >&2\nexit 3\n")
    notes, [problem] = read_notes(path)
    assert "pandoc could not read the Word file (exit status 3: cannot parse dudley.docx)" \
        in problem.message
    assert str(tmp_path) not in str(problem) and notes.is_draft
    _fake_pandoc(tmp_path, monkeypatch, "exit 251\n")  # its heap limit reached
    _, [problem] = read_notes(path)
    assert problem.kind == "too-large" and "MB of memory" in problem.message


def test_a_style_document_that_would_unpack_too_large_writes_no_word_file(tmp_path,
                                                                         monkeypatch):
    from review_lib.batch.jobs import RunSummary
    from review_lib.batch.run import _style_usable

    monkeypatch.setattr("review_lib.data.limits.MAX_WORD_TOTAL_MB", 0)
    style = _word_file(tmp_path / "house.docx")
    summary = RunSummary()
    assert not _style_usable(style, summary)
    [message] = summary.messages
    assert message.startswith("No Word file written: house.docx") and "unpack" in message
    assert _style_usable(None, RunSummary())


@pytest.mark.slow
def test_a_run_reads_each_word_notes_file_once(tmp_path):
    # A Word file pandoc is slow on costs the run its time once, not once in every worker.
    import pypandoc

    data, questions = small_data_folder(tmp_path, ("Alpha", "Beta", "Gamma"))
    _word_file(data / "alpha.docx", "Introduction")
    calls = tmp_path / "calls.txt"
    pandoc = tmp_path / "pandoc"
    pandoc.write_text(f'#!/bin/sh\ncase "$*" in *--from=docx*) echo x >> {calls};; esac\n'
                      f'exec {pypandoc.get_pandoc_path()} "$@"\n')
    pandoc.chmod(0o755)
    result = subprocess.run(
        [sys.executable, "-m", "review_lib.cli", "run", "--data", str(data), "--questions",
         str(questions), "--out", str(tmp_path / "reports"), "--figures",
         str(tmp_path / "figures"), "--jobs", "2", "--council", "Alpha"],
        # Alpha's two reports and the cross-council report: three notebooks on two workers.
        capture_output=True, text=True,
        env={**os.environ, "MPLBACKEND": "Agg", "PYPANDOC_PANDOC": str(pandoc)}, timeout=600)
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert (tmp_path / "reports" / "2024" / "alpha" / "leadership.html").exists(), output
    assert calls.read_text().count("x") == 1


def _children_cpu_seconds() -> float:
    """CPU seconds used so far by this process's finished children (user and system)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_limit(seconds: int):
    """A ``preexec_fn`` that stops the child (SIGXCPU) once it has used ``seconds`` of CPU."""

    def limit():
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))

    return limit
