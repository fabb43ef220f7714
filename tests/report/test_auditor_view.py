"""Audit the auditor: the by-auditor view shows leniency where a moderation exercise measured it."""

from __future__ import annotations

import pytest
from conftest import sample_naming_exercise

from review_lib.report import council
from review_lib.report.context import open_review
from review_lib.report.section import plain_text


def test_the_by_auditor_view_shows_each_auditors_leniency_from_the_linked_exercise():
    from review_lib.analysis.calibration import calibrate

    context = open_review("Kestrel Vale", "2022-24")
    assert context.notes.moderation == "Autumn 2023 calibration"
    section = council.auditor_section(context)
    text = plain_text(section.html)
    assert "| PSW B |" in text and "more generous" in text and "more severe" in text
    rows = {line.split("|")[1].strip(): line for line in text.splitlines()
            if line.startswith("| PSW")}
    assert rows["PSW B"].rstrip(" |").endswith("more generous")
    assert rows["PSW D"].rstrip(" |").endswith("more severe")
    assert rows["PSW A"].rstrip(" |").endswith("no clear difference")
    assert "moderation exercise 'Autumn 2023 calibration' (8 case records" in text
    # The same figures as the calibration report's (the same cases, seed and replicates).
    exercise = context.exercises[0]
    report = calibrate(exercise).leniency
    for auditor in ("PSW A", "PSW B", "PSW C", "PSW D"):
        assert section.frame.loc[auditor, "leniency_mean_difference"] == pytest.approx(
            report.loc[auditor, "mean_difference"])
        assert section.frame.loc[auditor, "leniency_low"] == pytest.approx(
            report.loc[auditor, "low"])


def test_reviews_not_linked_to_an_exercise_show_no_leniency():
    # Auditor labels are per review: Dudley's PSW B is not the exercise's PSW B.
    section = council.auditor_section(open_review("Dudley", "2022-24"))
    assert "Leniency" not in section.html and "leniency_mean_difference" not in section.frame


def test_notes_naming_an_exercise_the_data_lack_say_so(tmp_path):
    data = sample_naming_exercise(tmp_path / "data", "Spring 2024 calibration")
    text = plain_text(council.auditor_section(open_review("Kestrel Vale", "2022-24",
                                                          data)).html)
    assert "name the moderation exercise 'Spring 2024 calibration', but the data hold no " \
           "such exercise in 2022-24" in text
