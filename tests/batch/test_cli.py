"""The practice-review command: exit codes, messages, never a traceback."""

import subprocess
import sys

from conftest import good_rows, write_wide_csv

from review_lib.cli import main


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "review_lib.cli", *args],
                          capture_output=True, text=True, timeout=120)


def test_summary_prints_both_tables_for_every_review(capsys):
    assert main(["summary"]) == 0
    out = capsys.readouterr().out
    assert "Synthetic sample data" in out
    assert out.count("Question ratings (") == 19
    assert "Dudley 2022-24" in out
    dudley = out.split("Dudley 2022-24")[1]
    assert "Outstanding             59 (24.6%)" in dudley
    assert "Inadequate               0 (0.0%)" in dudley
    assert "18 of 20 case records (90%) were rated Outstanding or Good" in dudley


def test_validate_clean_sample_exits_zero(capsys):
    from review_lib.paths import SAMPLE_DIR

    assert main(["validate", str(SAMPLE_DIR)]) == 0
    assert "19 file(s) checked: 0 error(s)" in capsys.readouterr().out


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


def test_unknown_catalogue_is_reported(capsys):
    assert main(["summary", "--questions", "missing.csv"]) == 1
    assert "missing.csv" in capsys.readouterr().err
