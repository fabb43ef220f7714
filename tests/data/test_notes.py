"""The review team's notes file: reading it, and every kind of problem, located by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from review_lib.data.notes import parse_notes, read_notes, read_programme_notes

QUESTIONS = [f"Q{i}" for i in range(1, 13)]

GOOD = """---
theme: strengths-based practice
status: final
review_dates: November to December 2023
referred_back: 0
---

# Introduction

The review took place over two weeks.

# Previous review

The host council sent these updates.

- R1: A framework is being written
  with staff.
- R2: Waiting lists are checked each week.

# Themes from the meetings

Practitioners felt supported.

# Analysis of the case records

## Voice

Most records used the person's own words.

# Observations

Practice was good.

# Key strengths

- Good support for carers

# Recommendations

- Look at how managers' oversight shows on the record. [Q11]
- Write down the practice framework. [Q2, Q3]
- Review the panel process

# Review team

- Principal Social Worker, a neighbouring council
- 7 January 2024
"""


def kinds(problems):
    return [p.kind for p in problems]


def test_a_complete_notes_file_reads_into_its_sections_and_recommendations():
    notes, problems = parse_notes(GOOD, "dudley.md", QUESTIONS)
    assert [p for p in problems if p.is_error] == [] and problems == []
    assert notes.status == "final" and not notes.is_draft and notes.referred_back == 0
    assert notes.theme == "strengths-based practice"
    assert notes.review_dates == "November to December 2023"
    assert [(r.label, r.questions) for r in notes.recommendations] == [
        ("R1", ("Q11",)), ("R2", ("Q2", "Q3")), ("R3", ())]
    assert notes.recommendations[0].text == "Look at how managers' oversight shows on the record."
    assert [(u.number, u.text) for u in notes.updates] == [
        (1, "A framework is being written with staff."),
        (2, "Waiting lists are checked each week.")]
    assert notes.previous_review_text == "The host council sent these updates."
    assert "## Voice" in notes.section("records")
    assert notes.missing() == []


@pytest.mark.parametrize(("text", "kind", "line", "words"), [
    (GOOD.replace("status: final", "status: finished"), "notes-status", 3, "draft or final"),
    (GOOD.replace("status: final\n", ""), "notes-status", 1, "no status"),
    (GOOD.replace("# Observations", "# Observatons"), "notes-unknown-heading", 30,
     "did you mean 'Observations'"),
    (GOOD.replace("[Q11]", "[Q13]"), "notes-unknown-question", 40, "Q13"),
    (GOOD.replace("referred_back: 0", "referred_back: two"), "notes-referred-back", 5,
     "whole number"),
    (GOOD.replace("---\ntheme", "theme", 1), "notes-front-matter", 1, "front matter"),
    (GOOD.replace("# Key strengths", "# Recommendations"), "notes-duplicate-heading", 38,
     "twice"),
    (GOOD.replace("- R2:", "- R1:"), "notes-duplicate-update", 18, "second update"),
    (GOOD.replace("# Key strengths", "# Key strength"), "notes-unknown-heading", 34,
     "did you mean 'Key strengths'"),
    (GOOD.replace("referred_back: 0\n---", "referred_back: 0"), "notes-front-matter", 1,
     "not closed"),
    (GOOD.replace("status: final", "status: draft\nstatus: final"), "notes-duplicate-field",
     4, "'status' is given a second time (first at line 3, as 'draft')"),
])
def test_each_notes_problem_is_an_error_with_its_line(text, kind, line, words):
    notes, problems = parse_notes(text, "dudley.md", QUESTIONS)
    found = [p for p in problems if p.kind == kind]
    assert found, kinds(problems)
    assert found[0].is_error
    assert found[0].line == line, str(found[0])
    assert words in str(found[0]) and f"dudley.md, line {line}" in str(found[0])
    # The notes are kept, as a draft carrying the error, never dropped or left final.
    assert notes is not None and notes.is_draft and notes.status == "draft"
    assert found[0] in notes.problems


def test_warnings_for_missing_sections_and_unknown_fields_still_give_notes():
    text = GOOD.replace("themes: x\n", "").replace("theme:", "topic:")
    cut = text.index("# Themes from the meetings")
    text = text[:cut] + text[text.index("# Analysis"):]
    notes, problems = parse_notes(text, "dudley.md", QUESTIONS)
    assert notes is not None
    assert {"notes-unknown-field", "notes-missing-section"} <= set(kinds(problems))
    missing = next(p for p in problems if p.kind == "notes-missing-section")
    assert not missing.is_error and "'Themes from the meetings'" in missing.message
    assert notes.missing() == ["Themes from the meetings"]
    field = next(p for p in problems if p.kind == "notes-unknown-field")
    assert field.line == 2 and "(did you mean 'theme'?)" not in field.message  # topic: no match


def test_a_draft_is_a_draft_and_referred_back_words_are_understood():
    notes, _ = parse_notes(GOOD.replace("status: final", "status: Draft")
                           .replace("referred_back: 0", "referred_back: none"), "x.md")
    assert notes.is_draft and notes.referred_back == 0


def test_notes_beside_a_data_file_and_notes_standing_alone(tmp_path, catalogue):
    from conftest import good_rows, write_wide_csv

    from review_lib.data.loading import load_programme

    later, earlier = tmp_path / "2022-24", tmp_path / "2019"
    later.mkdir()
    earlier.mkdir()
    write_wide_csv(later / "testshire.csv", good_rows())
    (later / "testshire.md").write_text(GOOD, encoding="utf-8")
    (earlier / "testshire.md").write_text(
        "---\ncouncil: Testshire\ncycle: 2019\nstatus: final\n---\n\n# Recommendations\n\n"
        "- Make supervision regular.\n- Check waiting lists. [Q6]\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# Not notes\n", encoding="utf-8")
    programme = load_programme(tmp_path)
    index = read_programme_notes(programme, [tmp_path])
    assert index.for_review("Testshire", "2022-24").theme == "strengths-based practice"
    cycle, previous = index.previous("testshire", "2022-24")
    assert cycle == "2019" and [r.text for r in previous.recommendations] == [
        "Make supervision regular.", "Check waiting lists."]
    assert not [p for p in index.problems if p.is_error]


def test_an_update_for_a_recommendation_never_made_is_located(tmp_path):
    from conftest import good_rows, write_wide_csv

    from review_lib.data.loading import load_programme

    write_wide_csv(tmp_path / "testshire.csv", good_rows())
    (tmp_path / "testshire.md").write_text(GOOD, encoding="utf-8")
    index = read_programme_notes(load_programme(tmp_path), [tmp_path])
    problem = next(p for p in index.problems if p.kind == "notes-unknown-recommendation")
    assert problem.line == 16 and "there are no previous notes" in problem.message


def test_notes_that_belong_to_no_review_are_named(tmp_path):
    from conftest import good_rows, write_wide_csv

    from review_lib.data.loading import load_programme

    write_wide_csv(tmp_path / "testshire.csv", good_rows())
    (tmp_path / "stray.md").write_text("---\nstatus: final\n---\n\n# Introduction\n\nHi.\n",
                                       encoding="utf-8")
    index = read_programme_notes(load_programme(tmp_path), [tmp_path])
    stray = next(p for p in index.problems if p.kind == "notes-no-review")
    assert stray.file == "stray.md" and "council:" in stray.expected


def test_a_notes_file_that_is_not_text_is_refused_not_crashed(tmp_path):
    path = tmp_path / "dudley.md"
    path.write_bytes(b"---\nstatus: final\n---\n\xff\xfe\x00bad")
    notes, problems = read_notes(path)
    assert problems[0].kind == "notes-encoding" and problems[0].is_error
    # Empty notes, a draft carrying the error: the report says why it has no notes.
    assert notes.is_draft and notes.problems == (problems[0],) and notes.sections == {}
    assert str(Path(tmp_path)) not in str(problems[0])
