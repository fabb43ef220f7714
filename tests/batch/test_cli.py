"""The practice-review command: exit codes, messages, never a traceback."""

import subprocess
import sys

import pytest
from conftest import good_rows, sample_naming_exercise, write_wide_csv

from review_lib.cli import main


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "review_lib.cli", *args],
                          capture_output=True, text=True, timeout=120)


def test_summary_prints_both_tables_for_every_review(capsys):
    assert main(["summary"]) == 0
    out = capsys.readouterr().out
    assert "Synthetic sample data" in out
    assert out.count("Question ratings (") == 18
    assert "Dudley 2022-24" in out
    dudley = out.split("Dudley 2022-24")[1]
    assert "Outstanding             59 (24.6%)" in dudley
    assert "Inadequate               0 (0.0%)" in dudley
    assert "18 of 20 case records (90%) were rated Outstanding or Good" in dudley


def test_validate_clean_sample_exits_zero(capsys):
    from review_lib.paths import SAMPLE_DIR

    assert main(["validate", str(SAMPLE_DIR)]) == 0
    out = capsys.readouterr().out
    assert "26 file(s) checked: 0 error(s)" in out  # 18 reviews, an exercise and 7 notes
    assert ("OK   sample/2022-24/moderation/autumn-2023-calibration.xlsx: moderation exercise "
            "'Autumn 2023 calibration' (2022-24): 8 cases, 5 auditors and a consensus") in out


def test_validate_reports_located_errors_and_exits_one(tmp_path):
    rows = good_rows()
    rows[4][5] = "Very good"
    rows[9][-1] = ""
    write_wide_csv(tmp_path / "bad.csv", rows)
    result = run_cli("validate", str(tmp_path / "bad.csv"))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "row 6, column 'Q4'" in result.stdout and "'Very good' is not a rating" in result.stdout
    assert "row 11, column 'Overall judgement'" in result.stdout


def test_summary_of_bad_data_has_no_traceback(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    result = run_cli("summary", str(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "empty.csv" in result.stderr and "the file is empty" in result.stderr


def test_missing_path_has_no_traceback():
    result = run_cli("validate", "no-such-folder/file.xlsx")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "no-such-folder/file.xlsx" in result.stdout


def test_template_command(tmp_path, capsys):
    out = tmp_path / "review.xlsx"
    assert main(["template", str(out)]) == 0
    assert out.exists()
    assert main(["template", str(out)]) == 2  # will not overwrite without --force
    assert main(["template", str(tmp_path / "review.csv")]) == 2


def test_moderation_template_command(tmp_path, capsys):
    import openpyxl

    out = tmp_path / "exercise.xlsx"
    assert main(["template", "--moderation", str(out), "--auditors", "5", "--cases", "8"]) == 0
    assert "5 auditors and 8 cases" in capsys.readouterr().out
    ratings = openpyxl.load_workbook(out)["Ratings"]
    assert ratings.max_row == 1 + 8 * 6  # a row per auditor and a Consensus row, per case
    assert main(["template", "--moderation", str(out)]) == 2  # no overwrite without --force
    assert main(["template", "--moderation", str(tmp_path / "x.xlsx"), "--auditors", "1"]) == 2
    assert main(["template", str(tmp_path / "r.xlsx"), "--auditors", "3"]) == 2
    assert main(["template", str(tmp_path / "r.xlsx"), "--moderation", str(out)]) == 2
    assert main(["template"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_unknown_catalogue_is_reported(capsys):
    assert main(["summary", "--questions", "missing.csv"]) == 1
    assert "missing.csv" in capsys.readouterr().err


def test_template_writes_a_blank_notes_file_that_validate_reads(tmp_path, capsys):
    from review_lib.data.notes import SECTIONS

    out = tmp_path / "testshire.md"
    assert main(["template", "--notes", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "status: draft" in text
    assert all(f"# {heading}\n\n<!-- " in text for _, heading, _ in SECTIONS)
    assert main(["template", "--notes", str(out)]) == 2  # never overwritten unasked
    assert "already exists" in capsys.readouterr().err
    write_wide_csv(tmp_path / "testshire.csv", good_rows())
    assert main(["validate", str(tmp_path)]) == 0
    out_text = capsys.readouterr().out
    # Eight sections await the team (nothing to follow up: no earlier review).
    assert "OK   " in out_text and "testshire.md: notes (8 warning(s))" in out_text
    assert "there is no 'Recommendations' section yet" in out_text


def test_validate_warns_of_notes_naming_a_moderation_exercise_not_in_the_data(
        tmp_path, capsys):
    import shutil

    from review_lib.paths import SAMPLE_DIR

    data = sample_naming_exercise(tmp_path / "sample", "Autumn 2023 calibraton")
    notes = data / "2022-24" / "kestrel-vale.md"
    assert main(["validate", str(data)]) == 0  # a warning: the report still renders
    out = capsys.readouterr().out
    assert "kestrel-vale.md: notes (1 warning(s))" in out
    assert ("kestrel-vale.md, line 2: warning: the notes name the moderation exercise "
            "'Autumn 2023 calibraton', which the data do not hold for 2022-24") in out
    assert "(Autumn 2023 calibration)" in out  # what the data do hold
    # With the exercise's name as the data have it, no warning.
    shutil.copy(SAMPLE_DIR / "2022-24" / "kestrel-vale.md", notes)
    assert main(["validate", str(data)]) == 0
    assert "calibraton" not in capsys.readouterr().out


def test_validate_locates_each_notes_problem_by_file_and_line(tmp_path, capsys):
    write_wide_csv(tmp_path / "testshire.csv", good_rows())
    (tmp_path / "testshire.md").write_text(
        "---\nstatus: finished\n---\n\n# Introduction\n\nText.\n\n# Recomendations\n\n"
        "- Do more. [Q99]\n", encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL " in out and "testshire.md: 2 error(s)" in out
    assert "testshire.md, line 2: error: the status is 'finished'" in out
    assert ("testshire.md, line 9: error: 'Recomendations' is not a section of the report "
            "(did you mean 'Recommendations'?)") in out


@pytest.mark.slow
def test_run_with_failing_outside_tools_still_prints_its_summary_and_exits_one(tmp_path):
    import os

    from conftest import write_small_programme

    folder, questions = write_small_programme(tmp_path / "data")
    (folder / "broken.csv").write_text("Council,Cycle,Case\nDelta,2024,\n")
    tools = {}
    for name, body in (("chromium", "exec sleep 30"), ("pandoc", "echo 'broken' >&2; exit 9")):
        tools[name] = tmp_path / name
        tools[name].write_text(f"#!/bin/sh\n{body}\n")
        tools[name].chmod(0o755)
    environment = {**os.environ, "PRACTICE_REVIEW_CHROMIUM": str(tools["chromium"]),
                   "PRACTICE_REVIEW_PANDOC": str(tools["pandoc"]),
                   "PRACTICE_REVIEW_TOOL_TIMEOUT": "2", "MPLBACKEND": "Agg"}
    out = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, "-m", "review_lib.cli", "run", "--data", str(folder), "--questions",
         str(questions), "--out", str(out), "--figures", str(tmp_path / "figures"),
         "--jobs", "1", "--council", "Alpha", "--pdf", "--docx"],
        capture_output=True, text=True, timeout=300, env=environment)
    printed = result.stdout + result.stderr
    assert result.returncode == 1, printed  # the broken file, not the tools
    assert "internal error" not in printed and "Traceback" not in printed
    assert "report(s) written" in result.stdout and "INVALID" in result.stdout
    notes = [line for line in result.stdout.splitlines() if line.startswith("NOTE")]
    assert any("No PDF written" in n and "did not start within 2 s" in n for n in notes), notes
    assert any("No Word file written" in n and "exit status 9 (broken)" in n for n in notes), notes
    assert (out / "2024" / "alpha" / "leadership.html").exists()
    assert not list(out.rglob("*.pdf")) and not list(out.rglob("*.docx"))
